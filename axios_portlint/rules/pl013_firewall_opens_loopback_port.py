"""## What it does
Reports a port opened in `networking.firewall.allowedTCPPorts` /
`allowedUDPPorts` (or their port ranges) that is the local port of a service
meant for loopback only: an axios web service that Tailscale fronts, i.e. one
with a Tailscale listener in code or a Tailscale port in the registry.

## Why is this bad?
axios services listen on 127.0.0.1 and are reached through `tailscale serve`,
which terminates HTTPS and authenticates the tailnet. Opening the local port
exposes the plain-HTTP backend to every network the host is on.

## Example
```nix
services.ai.webui.port = lib.mkOption { type = lib.types.port; default = 8081; };
networking.firewall.allowedTCPPorts = [ 22 config.services.ai.webui.port ];
```

## How to fix
Remove the port from the firewall list and reach the service through its
Tailscale port instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import CellKind, Finding, Kind, Origin, PortDecl, Severity, ValueState
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    loopback = _loopback_ports(context)
    if not loopback:
        return
    for decl in context.decls:
        if decl.origin is not Origin.FIREWALL or decl.port is None:
            continue
        high = decl.end_port if decl.end_port is not None else decl.port
        for port in sorted(p for p in loopback if decl.port <= p <= high):
            service = loopback[port]
            if not decl.protocol.transports & service.protocol.transports:
                continue  # `allowedUDPPorts` opens nothing of a TCP listener
            yield RULE.finding(
                decl.location,
                f"{decl.option} opens port {port}, the loopback-only local port of "
                f"{service.option} ({service.location.file}:{service.location.line}); "
                "Tailscale fronts it",
                option=decl.option,
                port=port,
                related=[service.location],
            )


def _loopback_ports(context: Context) -> dict[int, PortDecl]:
    """Local ports of services with a Tailscale listener (in code or in the registry)."""
    fronted = {
        namespace
        for namespace, decls in context.graph.services.items()
        if any(d.kind is Kind.TAILSCALE for d in decls)
        or any(r.tailscale.kind is not CellKind.NONE for r in context.graph.rows_of(namespace))
    }
    ports: dict[int, PortDecl] = {}
    for namespace in sorted(fronted):
        for decl in context.graph.services[namespace]:
            if decl.kind is Kind.LOCAL and decl.state is ValueState.KNOWN and decl.port:
                ports.setdefault(decl.port, decl)
    return ports


RULE = Rule(
    code="PL013",
    name="firewall-opens-loopback-port",
    severity=Severity.WARNING,
    summary="The firewall opens the local port of a service Tailscale fronts",
    check=check,
)
