"""## What it does
Reports an `or` fallback whose literal differs from the port it stands in for:
the default of the option it reads, when a module of the tree declares that
option (`osConfig.services.mcp-gateway.port or 8086` where
`services.mcp-gateway.port` defaults to 8085); else, when the option comes from
another flake, the Local Port of the registry row whose Module names it.

## Why is this bad?
The fallback is used when the option is absent (another host, a home-manager
config without the NixOS module). Two numbers for one listener means the two
setups talk to different ports.

## Example
```nix
# modules/ai/mcp-gateway.nix
options.services.mcp-gateway.port = lib.mkOption { type = lib.types.port; default = 8085; };
# modules/home/ai.nix
url = "http://127.0.0.1:${toString (osConfig.services.mcp-gateway.port or 8086)}";
```

## How to fix
Make the fallback the option's default (or the registered port). A fallback is
a client reference, never a listener of its own: it needs no registry row.
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.graph import module_names
from axios_portlint.model import (
    CellKind,
    Finding,
    Kind,
    Origin,
    PortDecl,
    Registry,
    Severity,
    ValueState,
)
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    for decl in context.decls:
        if decl.origin is not Origin.FALLBACK or decl.reads is None:
            continue
        if decl.state is not ValueState.KNOWN:
            continue
        target = context.graph.declared.get(decl.reads)
        if target is None:
            if context.registry is not None:
                yield from _against_registry(context.registry, decl)
            continue
        if target.state is ValueState.KNOWN and decl.port != target.port:
            yield RULE.finding(
                decl.location,
                f"fallback {decl.port} for {decl.reads} differs from its default "
                f"{target.port} ({target.location.file}:{target.location.line})",
                option=decl.reads,
                port=decl.port,
                related=[target.location],
            )


def _against_registry(registry: Registry, decl: PortDecl) -> Iterator[Finding]:
    """A fallback for another flake's option, against the row whose Module names it."""
    if decl.kind is not Kind.LOCAL:
        return
    for row in registry.rows:
        cell = row.local
        if row.reserved or row.module is None or cell.kind not in (CellKind.PORT, CellKind.RANGE):
            continue
        if module_names(row.module, decl.namespace) and decl.port not in cell.ports:
            yield RULE.finding(
                decl.location,
                f"fallback {decl.port} for {decl.reads} differs from {cell.text}, which "
                f"{registry.path}:{row.line} registers for '{row.service}'",
                option=decl.reads,
                port=decl.port,
                related=[registry.location(row.line)],
            )


RULE = Rule(
    code="PL015",
    name="fallback-mismatch",
    severity=Severity.WARNING,
    summary="An `or` fallback differs from the default of the option it reads",
    check=check,
)
