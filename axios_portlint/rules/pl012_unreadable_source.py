"""## What it does
Reports a `.nix` file that portlint could not read as Nix source: it cannot
be opened, is not a regular file, is binary (contains NUL bytes), is not valid
UTF-8, or is larger than the size limit.

## Why is this bad?
A file portlint cannot read is a file whose ports it cannot check. The rest of
the tree is still checked; this finding makes the gap visible.

## Example
A module saved in Latin-1 with `é` in a description:
`modules/pim/default.nix:12:20: PL012 [error] not valid UTF-8 at line 12, column 20`.

## How to fix
Re-encode the file as UTF-8, fix its permissions, or exclude it with
`--exclude` if it is not a module.
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import Finding, Location, Severity
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    for problem in context.file_problems:
        line, column = problem.line, problem.column
        yield RULE.finding(Location(problem.path, line, column, line, column), problem.message)


RULE = Rule(
    code="PL012",
    name="unreadable-source",
    severity=Severity.ERROR,
    summary="A Nix file cannot be read as UTF-8 source",
    check=check,
)
