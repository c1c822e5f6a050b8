"""## What it does
Reports a Nix syntax error at the first error tree-sitter finds in a file.
The trailing comma in function formals (`{ config, lib, }:`), which Nix
accepts, is not an error.

## Why is this bad?
Nix refuses to evaluate the file, and portlint cannot promise to have seen
every port in it: declarations after the error may be missing.

## Example
```nix
{ lib, ... }:
{
  options.pim.port = lib.mkOption { type = lib.types.port; default = 8080 };
}
```

## How to fix
Fix the syntax (here: the missing `;` after `8080`). `nix-instantiate --parse
FILE` shows Nix's own message.
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import Finding, Severity
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    for issue in context.syntax_issues:
        yield RULE.finding(issue.location, issue.message)


RULE = Rule(
    code="PL010",
    name="syntax-error",
    severity=Severity.ERROR,
    summary="A Nix file has a syntax error",
    check=check,
)
