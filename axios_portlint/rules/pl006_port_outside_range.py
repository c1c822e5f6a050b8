"""## What it does
Reports a listener port outside every range of its kind (local or Tailscale)
declared in the registry's "Port Ranges Summary" table. Single-port rows of
that table (upstream defaults such as Ollama's 11434) count as ranges. Port 0
(any free port, or the listener off) is in no range and needs none.

## Why is this bad?
Ranges are how the registry leaves room for related services. A port outside
them is likely to collide with something nobody planned for.

## Example
```nix
options.pim.tailscaleServe.httpsPort = lib.mkOption { type = lib.types.port; default = 9443; };
```
with Tailscale ranges 8443-8452, 8453-8459 and 8460-8469.

## How to fix
Move the port into the range for the service's category, or, when an
upstream default must be kept, add it to the ranges table with its purpose.
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import (
    LISTENER_KINDS,
    CellKind,
    Finding,
    Kind,
    Origin,
    Severity,
)
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    registry = context.registry
    if registry is None:
        return
    for decl in context.graph.listeners:
        port = decl.fixed_port  # 0 (any free port) is in no range and needs none
        if port is None:
            continue
        if decl.origin is Origin.TAILSCALE_SERVICE:
            continue  # a named service is its own hostname: 443 is its port, not a range slot
        ranges = context.ranges(decl.kind)
        if ranges and not any(port in r for r in ranges):
            yield RULE.finding(
                decl.location,
                f"{decl.kind} port {port} of {decl.option} is outside every {decl.kind} "
                f"range in {registry.path} ({_labels(context, decl.kind)})",
                option=decl.option,
                port=port,
            )
    yield from _unmatched_rows(context)


def _unmatched_rows(context: Context) -> Iterator[Finding]:
    """Rows for services not in code yet are checked at the row instead."""
    registry = context.registry
    assert registry is not None
    for match in context.graph.matches:
        if match.namespaces:
            continue
        for kind in LISTENER_KINDS:
            cell = match.row.cell(kind)
            port = cell.single if cell.kind is not CellKind.NAMED else None
            ranges = context.ranges(kind)
            if port is None or not ranges or any(port in r for r in ranges):
                continue
            yield RULE.finding(
                registry.location(match.row.line),
                f"'{match.row.service}' registers {kind} port {port}, outside every {kind} "
                f"range ({_labels(context, kind)})",
                port=port,
            )


def _labels(context: Context, kind: Kind) -> str:
    return ", ".join(r.label for r in context.ranges(kind))


RULE = Rule(
    code="PL006",
    name="port-outside-range",
    severity=Severity.WARNING,
    summary="A port lies outside every declared range of its kind",
    check=check,
    needs_registry=True,
)
