"""Inline suppressions: `# portlint: ignore[PL001]` in Nix, `<!-- portlint: ignore -->` in ports.md.

Comments are collected while scanning (nix.py, markdown.py) and applied here,
once, after every rule has run and before anything is reported. A comment
covers its own line and the line after it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from axios_portlint.model import Finding, Location

__all__ = [
    "MARKER",
    "Applied",
    "Suppression",
    "apply_suppressions",
    "directives",
    "unused_suppressions",
]

# Cheap test before any parsing: a file without it has no suppression.
MARKER = "portlint:"

_IGNORE = re.compile(r"ignore(?:\[(?P<codes>[^\]\n]*)\])?(?P<after>\S*)")
# `portlint: ignore PL001` reads as a bare ignore-all; the brackets are what was meant.
_LOOSE_CODE = re.compile(r"\s+[A-Z]+\d")
EXPECTED = "expected `portlint: ignore` or `portlint: ignore[CODE, ...]`"


@dataclass(frozen=True, slots=True)
class Suppression:
    """One `portlint: ignore` directive, at its comment."""

    location: Location
    codes: tuple[str, ...]  # as written; empty means every code
    problem: str = ""  # why the comment is not a valid directive; it then ignores nothing

    @property
    def lines(self) -> range:
        """The comment's own lines and the line after it."""
        return range(self.location.line, self.location.end_line + 2)

    def ignores(self, code: str) -> bool:
        return not self.problem and (not self.codes or code in self.codes)


def directives(body: str) -> Iterator[tuple[tuple[str, ...], str]]:
    """(codes, problem) of each directive in a comment's text, markers stripped.

    A directive starts the comment, or follows a `#` inside it
    (`# keep: upstream default # portlint: ignore[PL005]`).
    """
    for segment in body.split("#"):
        text = segment.strip()
        if not text.startswith(MARKER):
            continue
        rest = text[len(MARKER) :].lstrip()
        match = _IGNORE.match(rest)
        if match is None or match["after"] or _LOOSE_CODE.match(rest, match.end()):
            yield (), EXPECTED
            continue
        if match["codes"] is None:
            yield (), ""
            continue
        codes = tuple(code.strip() for code in match["codes"].split(",") if code.strip())
        yield (codes, "") if codes else ((), "empty `ignore[]`: " + EXPECTED)


@dataclass(frozen=True, slots=True)
class Applied:
    findings: tuple[Finding, ...]  # what is still reported
    suppressed: tuple[Finding, ...]
    used: frozenset[tuple[Suppression, str]]  # (directive, code) pairs that silenced a finding

    def used_codes(self, suppression: Suppression) -> set[str]:
        return {code for s, code in self.used if s == suppression}


def apply_suppressions(findings: Iterable[Finding], suppressions: Iterable[Suppression]) -> Applied:
    by_line: dict[tuple[str, int], list[Suppression]] = defaultdict(list)
    for suppression in suppressions:
        for line in suppression.lines:
            by_line[suppression.location.file, line].append(suppression)
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    used: set[tuple[Suppression, str]] = set()
    for finding in findings:
        where = (finding.location.file, finding.location.line)
        matching = [s for s in by_line.get(where, ()) if s.ignores(finding.code)]
        # Every matching comment counts as used, so two overlapping ones are not reported.
        used.update((s, finding.code) for s in matching)
        (suppressed if matching else kept).append(finding)
    return Applied(tuple(kept), tuple(suppressed), frozenset(used))


def unused_suppressions(
    suppressions: Iterable[Suppression],
    applied: Applied,
    *,
    known: Collection[str],
    selected: Collection[str],
    unjudged: Collection[str] = (),
) -> Iterator[tuple[Location, str]]:
    """(where, why) of each comment that did not earn its place: what PL020 reports.

    Known only here, once every rule has run and the suppressions have been applied.
    `unjudged` are selected rules that could not run (those needing a registry, in a
    check without one): a comment naming one, or naming none, may be there for it.
    """
    for suppression in suppressions:
        if suppression.problem:
            yield suppression.location, f"malformed suppression: {suppression.problem}"
            continue
        used = applied.used_codes(suppression)
        if not suppression.codes:
            if not used and not unjudged:
                yield (
                    suppression.location,
                    "unused suppression: no finding on this line or the next",
                )
            continue
        reasons = []
        for code in suppression.codes:
            if code in used or code in unjudged:
                continue
            if code not in known:
                reasons.append(f"unknown rule code {code}")
            elif code not in selected:
                reasons.append(f"{code} is not selected")
            else:
                reasons.append(f"no {code} finding on this line or the next")
        if reasons:
            yield suppression.location, "unused suppression: " + "; ".join(reasons)
