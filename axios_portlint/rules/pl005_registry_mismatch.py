"""## What it does
Reports a registry row and the code disagreeing on a port: the option's
default differs from the row's cell, the row leaves a port blank that the code
declares, or the row claims a port that the matched module does not declare.

Rows are matched to code by their Module column when present (a Module value
matches an option namespace by its trailing segments: `ai.local` matches
`services.ai.local.*`), else by service name against the option namespace,
else by port. Three drifts of the row are reported once, at the row, where the
fix goes (`registry sync` makes it):

- **Module renamed**: an `Active` row whose Module names nothing in the tree,
  while its ports (local, or its named Tailscale Service) are declared under
  exactly one other namespace that no other row names. The row is matched to
  that namespace, so its declarations are not undocumented (no PL003), and the
  declarations are related.
- **Tailscale port moved**: the row gives a numbered Tailscale port, and the
  code serves the service as a named Tailscale Service on 443; the service's
  declaration is related.
- **Module gone**: an `Active` row whose Module names no namespace in the tree
  and whose ports no other single service declares (any declarations that hold
  its ports are named in the message).

An unresolved, null or absent value is never compared: PL009 reports it.

## Why is this bad?
One of the two is wrong, and people read the registry to pick free ports:
a stale number there leads straight to a collision.

## Example
```markdown
| Service       | Local Port | Tailscale Port | Module |
|---------------|------------|----------------|--------|
| axios-ai-mail | 8080       | 8443           | `pim`  |
| Immich        | 2283       | 8460           | `selfHosted.immich` |
```
```nix
options.pim.port = lib.mkOption { type = lib.types.port; default = 8090; };
options.cairn.immich.port = lib.mkOption { type = lib.types.port; default = 2283; };
```

## How to fix
Decide which side is right and change the other: the option default in the
module, or the cell in `ports.md`. For a renamed module, a moved Tailscale
port or a module gone, the code is right: `portlint registry sync` rewrites the
Module cell, writes the Tailscale cell as `NAME (443)`, or sets the Status to
`Removed`.
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.graph import RowMatch
from axios_portlint.model import (
    LISTENER_KINDS,
    CellKind,
    Finding,
    Kind,
    Location,
    Origin,
    PortCell,
    PortDecl,
    Registry,
    Severity,
    ValueState,
)
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    registry = context.registry
    if registry is None:
        return
    for match in context.graph.matches:
        if match.renamed:
            yield _renamed(context, registry, match)
        if match.namespaces:
            for namespace in match.namespaces:
                decls = context.graph.services[namespace]
                for kind in LISTENER_KINDS:
                    yield from _compare(registry, match, namespace, kind, decls)
        elif (
            match.row.module
            and match.row.is_active
            and not context.graph.lives_elsewhere(match.row.module)
        ):
            yield _missing_module(context, registry, match)


def _compare(
    registry: Registry, match: RowMatch, namespace: str, kind: Kind, decls: list[PortDecl]
) -> Iterator[Finding]:
    row = match.row
    cell = row.cell(kind)
    if cell.kind is CellKind.INVALID:
        return
    of_kind = [d for d in decls if d.kind is kind]
    where = f"{registry.path}:{row.line}"
    if not of_kind:
        if cell.kind is not CellKind.NONE:
            yield RULE.finding(
                registry.location(row.line),
                f"'{row.service}' registers {kind.column} {cell.text} but {namespace} "
                f"declares no {kind} port option",
                port=cell.single,
            )
        return
    # The row's number still served too: the named service is an addition, not a move.
    served = any(agrees(decl, cell) for decl in of_kind)
    for decl in of_kind:
        if decl.fixed_port is None:
            # Unresolved, null or absent: nothing to compare (PL009 says what it can);
            # 0 (any free port, or off) allocates nothing a row could register.
            continue
        if agrees(decl, cell):
            continue
        if moved_to_named_service(decl, cell) and not served:
            yield RULE.finding(
                registry.location(row.line),
                f"Tailscale port moved: the row '{row.service}' says {cell.text}, the code "
                f"serves it as the Tailscale Service {decl.name} ({decl.port})",
                option=decl.option,
                port=decl.port,
                related=[decl.location],
            )
            continue
        registered = "no port" if cell.kind is CellKind.NONE else cell.text
        yield RULE.finding(
            decl.location,
            f"{decl.option} {_default_text(decl)}, but {where} registers {registered} "
            f"as the {kind.column} of '{row.service}'",
            option=decl.option,
            port=decl.port,
            related=[registry.location(row.line)],
        )


def agrees(decl: PortDecl, cell: PortCell) -> bool:
    """Does the registry cell say what the declaration declares? `registry sync` asks this too."""
    if decl.state is not ValueState.KNOWN:
        return cell.kind is CellKind.NONE
    if cell.kind is CellKind.NAMED and decl.name != cell.name:
        return False  # `axios-llama (443)` names the Tailscale Service, not just its port
    return decl.port in cell.ports


def moved_to_named_service(decl: PortDecl, cell: PortCell) -> bool:
    """A numbered Tailscale port the code now serves as a named Tailscale Service.

    The code is right and the row drifted, so the finding goes to the row.
    """
    return (
        decl.origin is Origin.TAILSCALE_SERVICE
        and decl.state is ValueState.KNOWN
        and cell.kind in (CellKind.PORT, CellKind.RANGE)
    )


def _renamed(context: Context, registry: Registry, match: RowMatch) -> Finding:
    row, namespace = match.row, match.namespaces[0]
    holders = [d for d in context.graph.holding(row) if context.graph.service_of(d) == namespace]
    return RULE.finding(
        registry.location(row.line),
        f"module renamed: the row '{row.service}' says {(row.module or '').strip()}, "
        f"the code declares {namespace}",
        related=sorted((decl.location for decl in holders), key=Location.sort_key),
    )


def _default_text(decl: PortDecl) -> str:
    """What the code says of a known port: an option default, or a configured value."""
    if decl.origin is Origin.TAILSCALE_SERVICE:
        return f"is Tailscale Service '{decl.name}' on port {decl.port}"
    if decl.origin is Origin.CONFIG:
        return f"is configured as {decl.port}"
    return f"defaults to {decl.port}"


def _missing_module(context: Context, registry: Registry, match: RowMatch) -> Finding:
    row = match.row
    holders = sorted(
        {
            f"{decl.option} ({decl.location.file}:{decl.location.line})"
            for kind in LISTENER_KINDS
            if (port := row.cell(kind).single) is not None
            for decl in context.graph.claimants(kind, port)
        }
    )
    detail = f"; its port is declared by {', '.join(holders)}" if holders else ""
    return RULE.finding(
        registry.location(row.line),
        f"Active row '{row.service}' names module '{row.module}', which declares no "
        f"listener port in the tree{detail}",
    )


RULE = Rule(
    code="PL005",
    name="registry-mismatch",
    severity=Severity.ERROR,
    summary="A registry row and the code disagree on a port",
    check=check,
    needs_registry=True,
)
