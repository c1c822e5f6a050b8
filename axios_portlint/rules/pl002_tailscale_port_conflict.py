"""## What it does
Reports two different Tailscale listeners (option paths ending in
`tailscaleServe.httpsPort`) whose defaults are the same port.

## Why is this bad?
`tailscale serve` maps one HTTPS port of the node to one backend. A second
service on the same port silently replaces the first one's exposure.

## Example
```nix
options.pim.tailscaleServe.httpsPort = lib.mkOption { type = lib.types.port; default = 8443; };
options.services.ai.webui.tailscaleServe.httpsPort =
  lib.mkOption { type = lib.types.port; default = 8443; };
```

## How to fix
Follow the registry's offset convention (Tailscale port = local port + 363)
or take the next free port of the Tailscale range for the service's category.
"""

from __future__ import annotations

from collections.abc import Iterable

from axios_portlint.model import Finding, Kind, Severity
from axios_portlint.rules.base import Context, Rule
from axios_portlint.rules.conflicts import listener_collisions


def check(context: Context) -> Iterable[Finding]:
    return listener_collisions(RULE, context, Kind.TAILSCALE)


RULE = Rule(
    code="PL002",
    name="tailscale-port-conflict",
    severity=Severity.ERROR,
    summary="Two different Tailscale listeners share a port",
    check=check,
)
