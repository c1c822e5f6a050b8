"""## What it does
Reports an `Active` row of an allocation table without a Module value that
matches no port declaration in the module tree (by service name, or by port).
An `Active` row whose Module value names no namespace in the tree is reported
by PL005 instead, naming the declarations that hold its ports.

## Why is this bad?
A stale row keeps a port reserved for a service that no longer exists, or
hides that the service was renamed and its ports moved without the registry.

## Example
```markdown
| Service       | Local Port | Tailscale Port | Status |
|---------------|------------|----------------|--------|
| axios-gallery | 8086       | 8449           | Active |
```
with no module in the tree declaring 8086 or 8449.

## How to fix
Delete the row or set its status to `Removed` (`portlint registry sync` sets
it); if the service was renamed, add a Module column naming its new option
namespace. Rows with other statuses (`Proposed`, `Planned`, `In Progress`) may
describe services that do not exist yet, or live in another flake.
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import Finding, Severity
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    registry = context.registry
    if registry is None:
        return
    for match in context.graph.matches:
        row = match.row
        if match.namespaces or not row.is_active or row.module:
            continue
        yield RULE.finding(
            registry.location(row.line),
            f"Active row '{row.service}' matches no port declaration in the module tree",
        )


RULE = Rule(
    code="PL004",
    name="stale-registry-row",
    severity=Severity.ERROR,
    summary="An Active registry row has no declaration in code",
    check=check,
    needs_registry=True,
)
