"""## What it does
Reports a `portlint: ignore` comment that suppresses nothing: no finding of
the codes it names lies on its line or the next, a code it names is unknown or
not selected, or the comment is not a valid directive at all.

## Why is this bad?
A suppression outlives the problem it silenced. Once the port is fixed, the
stale comment would silently hide the next real finding on that line. Like
ruff's unused-noqa (RUF100), this keeps suppressions few and current.

## Example
```nix
# portlint: ignore[PL005]
default = 8453;  # the registry now says 8453 too: nothing left to ignore
```

## How to fix
Delete the comment, or the codes in it that no longer apply. PL020 is judged
after suppressions are applied, so it cannot itself be suppressed inline;
`--ignore PL020` turns it off.

## How it is computed
Not from the rules' shared context like other rules: the pipeline applies the
suppressions once every other selected rule has run, and each comment that
silenced nothing becomes a PL020 finding at the comment. So a code the comment
names that is unknown, or not selected in this run, is reported too.
"""

from __future__ import annotations

from axios_portlint.model import Severity
from axios_portlint.rules.base import Rule

RULE = Rule(
    code="PL020",
    name="unused-suppression",
    severity=Severity.INFO,
    summary="A `portlint: ignore` comment suppresses nothing",
    # No check over the Context: which comments went unused is known only once every
    # other rule has run, so the pipeline computes PL020 where it applies suppressions
    # (`suppress.unused_suppressions`, called by `api.check`).
    check=None,
)
