"""## What it does
Reports two different Tailscale listeners (option paths ending in
`tailscaleServe.httpsPort`) whose defaults are the same port.

Named Tailscale Services (`networking.tailscale.services."NAME"`) are distinct
hostnames, so several on 443 never collide; two definitions of one name that
point at different backends do.

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

from axios_portlint.model import Finding, Kind, PortDecl, Severity
from axios_portlint.rules.base import Context, Rule
from axios_portlint.rules.conflicts import listener_collisions


def check(context: Context) -> Iterable[Finding]:
    yield from listener_collisions(RULE, context, Kind.TAILSCALE)
    for name in context.graph.tailscale_service_names():
        yield from _same_name(name, context.graph.tailscale_services(name))


def _same_name(name: str, definitions: list[PortDecl]) -> Iterable[Finding]:
    """Definitions of one service merge, unless they expose different backends."""
    with_backend = sorted(
        (d for d in definitions if d.exposes), key=lambda d: d.location.sort_key()
    )
    if len({d.exposes for d in with_backend}) < 2:
        return
    first, *others = with_backend
    for decl in others:
        if decl.exposes == first.exposes:
            continue
        yield RULE.finding(
            decl.location,
            f"Tailscale Service '{name}' exposes {decl.exposes} here but {first.exposes} at "
            f"{first.location.file}:{first.location.line}",
            option=decl.option,
            port=decl.port,
            related=[first.location],
        )


RULE = Rule(
    code="PL002",
    name="tailscale-port-conflict",
    severity=Severity.ERROR,
    summary="Two different Tailscale listeners share a port",
    check=check,
)
