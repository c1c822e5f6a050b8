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
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

from axios_portlint.model import Finding, Severity
from axios_portlint.rules.base import Context, Rule
from axios_portlint.suppress import Applied, Suppression


def check(context: Context) -> Iterator[Finding]:
    # Nothing to see in the Context: unused suppressions are known only once every
    # other rule has run and suppression has been applied (see `unused_suppressions`).
    return iter(())


def unused_suppressions(
    suppressions: Iterable[Suppression],
    applied: Applied,
    *,
    known: Collection[str],
    selected: Collection[str],
) -> Iterator[Finding]:
    """One finding per suppression comment that did not earn its place."""
    for suppression in suppressions:
        if suppression.problem:
            message = f"malformed suppression: {suppression.problem}"
            yield RULE.finding(suppression.location, message)
            continue
        used = applied.used_codes(suppression)
        if not suppression.codes:
            if not used:
                yield RULE.finding(
                    suppression.location, "unused suppression: no finding on this line or the next"
                )
            continue
        reasons = []
        for code in suppression.codes:
            if code in used:
                continue
            if code not in known:
                reasons.append(f"unknown rule code {code}")
            elif code not in selected:
                reasons.append(f"{code} is not selected")
            else:
                reasons.append(f"no {code} finding on this line or the next")
        if reasons:
            yield RULE.finding(suppression.location, "unused suppression: " + "; ".join(reasons))


RULE = Rule(
    code="PL020",
    name="unused-suppression",
    severity=Severity.INFO,
    summary="A `portlint: ignore` comment suppresses nothing",
    check=check,
)
