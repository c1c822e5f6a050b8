"""## What it does
Reports a malformed part of the port registry at its line: a row with the
wrong number of cells, a port that is not a number or lies outside 1-65535,
a range whose end is below its start, a duplicated header, or a registry
with no allocation table at all.

## Why is this bad?
portlint cannot compare code against a cell it cannot read; skipping it
silently would hide exactly the allocation that is wrong.

## Example
```markdown
| Service    | Local Port | Tailscale Port | Status |
|------------|------------|----------------|--------|
| Open WebUI | 8081-80    | 8444           | Active |
```

## How to fix
Write ports as numbers (`8081`), ranges as `LOW-HIGH` with LOW <= HIGH,
no port as `-`, and named Tailscale Services as `name (443)`.
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import Finding, Severity
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    registry = context.registry
    if registry is None:
        return
    for problem in registry.problems:
        yield RULE.finding(registry.location(problem.line, problem.column), problem.message)


RULE = Rule(
    code="PL011",
    name="malformed-registry",
    severity=Severity.ERROR,
    summary="The registry has a malformed table, row or cell",
    check=check,
    needs_registry=True,
)
