"""## What it does
Reports a listener port declared in code (a local `port` or a
`tailscaleServe.httpsPort` option) whose service has no row in the registry.

One finding per option, at its first declaration; other places that declare
the same option are related. When a row registers the same port under another
service name or module (a renamed module, say), the message names that row and
relates it. Reads of an option (`x.port or 8085`, `port = cfg.port;`) are client
references, not listeners, and need no row; a port that cannot be known
statically (unresolved, null, no default) is left to PL009, and port 0 (any free
port, or the listener off) allocates nothing and needs no row.

## Why is this bad?
The registry is how the team avoids collisions before they happen. A port
that exists only in code is invisible to the next person choosing a port.

## Example
```nix
# modules/services/grafana.nix declares a service that ports.md does not list
options.services.axios-grafana.port = lib.mkOption { type = lib.types.port; default = 8084; };
```

## How to fix
Add a row for the service to the allocation table of its category in
`ports.md`, with a Module column naming the option namespace
(`services.axios-grafana`).
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import (
    CellKind,
    Finding,
    Location,
    PortDecl,
    Registry,
    RegistryRow,
    Severity,
)
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    registry = context.registry
    if registry is None:
        return
    for namespace, decls in sorted(context.graph.services.items()):
        if context.graph.rows_of(namespace):
            continue
        for sites in _known_by_option(decls):
            yield _finding(context, registry, sites)


def _known_by_option(decls: list[PortDecl]) -> list[list[PortDecl]]:
    """Each option's declarations with a known port, first location first.

    One option is one listener however often it is written (under mkIf, per
    branch); a port nobody can know statically is PL009's, not a missing row, and
    port 0 (any free port) allocates nothing.
    """
    sites: dict[str, list[PortDecl]] = {}
    for decl in sorted(decls, key=lambda d: d.location.sort_key()):
        if decl.fixed_port is not None:  # 0 (any free port) allocates nothing
            sites.setdefault(decl.option, []).append(decl)
    return list(sites.values())


def _finding(context: Context, registry: Registry, sites: list[PortDecl]) -> Finding:
    first = sites[0]
    rows = _rows_registering(context, registry, first)
    message = f"{first.kind} port {first.port} of {first.option} has no row in {registry.path}"
    if rows:
        message += "; " + ", ".join(f"line {row.line} {_registers(row, first)}" for row in rows)
    related: list[Location] = [site.location for site in sites[1:]]
    related.extend(registry.location(row.line) for row in rows)
    return RULE.finding(
        first.location,
        message,
        option=first.option,
        port=first.port,
        related=related,
    )


def _rows_registering(context: Context, registry: Registry, decl: PortDecl) -> list[RegistryRow]:
    """The rows that register this very port, under another service name or module."""
    if decl.name is not None:
        return sorted(context.graph.tailscale_service_rows(decl.name), key=lambda r: r.line)
    return [
        row
        for row in registry.rows
        if not row.reserved
        and row.cell(decl.kind).kind is not CellKind.NAMED
        and decl.port in row.cell(decl.kind).ports
    ]


def _registers(row: RegistryRow, decl: PortDecl) -> str:
    what = row.cell(decl.kind).text if decl.name is not None else str(decl.port)
    module = f" under module {row.module.strip()}" if row.module else ""
    return f"registers {what} for '{row.service}'{module}"


RULE = Rule(
    code="PL003",
    name="undocumented-port",
    severity=Severity.ERROR,
    summary="A listener port in code has no registry row",
    check=check,
    needs_registry=True,
)
