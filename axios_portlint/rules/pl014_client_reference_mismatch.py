"""## What it does
Reports a client-side reference to a service's Tailscale port whose default
differs from the Tailscale port the registry gives that service. A reference
is a port option that is not a listener (`pwa.httpsPort`, `serverPort`, ...)
inside a service's option namespace; the service is found by module
(`pim.pwa.httpsPort` belongs to the `pim` row).

## Why is this bad?
The client (a PWA, a CLI, another host) connects to the port it was told.
When the service moves, a stale reference keeps pointing at the old port, or
at whatever took it over.

## Example
```nix
options.pim.pwa.httpsPort = lib.mkOption { type = lib.types.port; default = 8444; };
```
with `| axios-ai-mail | 8080 | 8443 | `pim` | Active |` in ports.md.

## How to fix
Derive the reference from the listener (`default = cfg.tailscaleServe.httpsPort;`)
or update it to the registered port.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from axios_portlint.graph import RowMatch
from axios_portlint.model import (
    CellKind,
    Finding,
    Kind,
    Origin,
    PortDecl,
    Registry,
    Severity,
    ValueState,
    split_option_path,
)
from axios_portlint.rules.base import Context, Rule

# Names of options that hold the port a client connects to, not one a server binds.
REFERENCE = re.compile(r"^(https|server|remote|public|client|tailscale)\w*Port$", re.I)


def check(context: Context) -> Iterator[Finding]:
    registry = context.registry
    if registry is None:
        return
    for decl in context.decls:
        if not _is_reference(decl) or decl.port is None:
            continue
        match = _owner(context, decl)
        if match is None:
            continue
        cell = match.row.tailscale
        if cell.kind in (CellKind.NONE, CellKind.INVALID) or decl.port in cell.ports:
            continue
        yield _finding(registry, decl, match)


def _is_reference(decl: PortDecl) -> bool:
    return (
        decl.origin is Origin.OPTION
        and decl.kind is Kind.OTHER
        and decl.placed
        and decl.state is ValueState.KNOWN
        and bool(REFERENCE.match(split_option_path(decl.option)[-1]))
    )


def _owner(context: Context, decl: PortDecl) -> RowMatch | None:
    """The matched registry row of the longest service namespace enclosing the option."""
    parts = split_option_path(decl.option)
    best: tuple[int, RowMatch] | None = None
    for match in context.graph.matches:
        for namespace in match.namespaces:
            prefix = split_option_path(namespace)
            if parts[: len(prefix)] == prefix and (best is None or len(prefix) > best[0]):
                best = (len(prefix), match)
    return best[1] if best is not None else None


def _finding(registry: Registry, decl: PortDecl, match: RowMatch) -> Finding:
    row = match.row
    return RULE.finding(
        decl.location,
        f"{decl.option} defaults to {decl.port}, but {registry.path}:{row.line} gives "
        f"'{row.service}' the Tailscale port {row.tailscale.text}",
        option=decl.option,
        port=decl.port,
        related=[registry.location(row.line)],
    )


RULE = Rule(
    code="PL014",
    name="client-reference-mismatch",
    severity=Severity.ERROR,
    summary="A client-side reference differs from the service's registered Tailscale port",
    check=check,
    needs_registry=True,
)
