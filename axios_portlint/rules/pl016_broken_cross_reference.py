"""## What it does
Reports a relative link in the registry's Cross-References section (the
section under a heading containing "Cross-Reference") that points to no file
or folder, relative to the registry's own folder. Links with a scheme
(`https://...`), absolute paths and in-page anchors (`#statuses`) are not
checked, and neither is a path written as code (`` `modules/pim/default.nix` ``):
only a Markdown link says "this file is here".

## Why is this bad?
The Cross-References are how a reader gets from an allocation to the module
and the specification behind it. A link that breaks when a module moves or a
proposal is archived sends the next person choosing a port to nothing.

## Example
```markdown
## Cross-References

- axios-ai-mail: [modules/pim/default.nix](modules/pim.nix)
```
with no `modules/pim.nix` beside `ports.md`.

## How to fix
Point the link at the file's current path, relative to the registry
(`[axios-ai-mail](modules/pim/default.nix)`), or delete the entry if the file
is gone for good.
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import Finding, Severity
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    registry = context.registry
    if registry is None:
        return
    for reference in registry.references:
        if reference.exists:
            continue
        yield RULE.finding(
            registry.location(reference.line, reference.column),
            f"Cross-References link '{reference.target}' points to no file "
            f"(relative to the folder of {registry.path})",
        )


RULE = Rule(
    code="PL016",
    name="broken-cross-reference",
    severity=Severity.WARNING,
    summary="A Cross-References link of the registry points to no file",
    check=check,
    needs_registry=True,
)
