"""## What it does
Reports two different local listener options that would bind the same port.
A port option is a listener when the listener model says so (docs/listeners.md):
its name (`port`, `httpPort`, `listen_port`, ...) unless its path, siblings,
default or description show it is the port of another server (a client) or
cannot tell (unknown); clients and unknown options are never compared.

A port is a number and a transport: a listener whose code says UDP never meets
one that says TCP (53/udp beside 53/tcp), and one that says neither meets both;
the message then names the transport (`514/tcp`). A listener on port 0 (any
free port the OS picks, or none: dnsmasq's and redis' `port = 0`) claims no port
and meets nothing.

Conflicts are per host. Where portlint finds hosts (`nixosConfigurations`,
`hosts/*/`, `[hosts]` in portlint.toml), it compares the listeners active on one
host: values set in that host's module files, and the defaults of its modules
that no file of the host overrides (a module guarded by `mkIf cfg.enable` only
where the host enables it); the finding names the host (`on host alpha, ...`).
Listeners in files tied to no host (a module library) are compared with each
other, default against default, as whenever both services are enabled together.

## Why is this bad?
Both services try to bind the same port on the host. Whichever starts second
fails, usually at boot and far from the change that caused it.

## Example
```nix
# modules/pim/default.nix
options.pim.port = lib.mkOption { type = lib.types.port; default = 8080; };
# modules/ai/webui.nix
options.services.ai.webui.port = lib.mkOption { type = lib.types.port; default = 8080; };
```

## How to fix
Give one of the services the next free port of its range in `ports.md`
(`portlint` reports which ports are taken) and update its default.
"""

from __future__ import annotations

from collections.abc import Iterable

from axios_portlint.model import Finding, Kind, Severity
from axios_portlint.rules.base import Context, Rule
from axios_portlint.rules.conflicts import listener_collisions


def check(context: Context) -> Iterable[Finding]:
    return listener_collisions(RULE, context, Kind.LOCAL)


RULE = Rule(
    code="PL001",
    name="local-port-conflict",
    severity=Severity.ERROR,
    summary="Two different local listener options share a default port",
    check=check,
)
