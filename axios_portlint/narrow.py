"""File arguments narrow reporting, not analysis: `portlint FILE...` keeps the findings in FILE.

Ports are a property of the whole tree (a conflict needs both sides, a stale row
needs every module), so the whole project is analyzed and only then are the
findings narrowed to the files the user named: what editors, `pass_filenames`
hooks and `git diff --name-only | xargs portlint` need. Naming the registry
keeps the registry's findings. This runs after the rules and the suppressions,
before any formatter, and reads nothing but `Finding` values.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from axios_portlint.model_base import Finding, Location

__all__ = ["narrow", "within"]


def within(targets: Collection[str]) -> Callable[[str], bool]:
    """Whether a display path is one of `targets` or below one of them (`.` holds every path)."""
    folders = tuple("" if target == "." else target.rstrip("/") + "/" for target in targets)
    exact = frozenset(targets)

    def inside(file: str) -> bool:
        return file in exact or file.startswith(folders)

    return inside


def narrow(
    findings: Iterable[Finding], targets: Collection[str], *, related: bool = False
) -> tuple[Finding, ...]:
    """The findings located in `targets`, in their given order.

    `targets` are display paths, spelled as findings spell their files
    (`discover.root.targets_of` turns user arguments into them). A target that
    is a folder keeps the findings below it; `.` keeps everything. With
    `related`, a finding is also kept when one of its related locations is in a
    target (a renamed module's registry row, for a hook that saw only the module).
    No targets keep nothing: whether to narrow at all is the caller's choice.
    """
    in_targets = within(targets)

    def inside(location: Location) -> bool:
        return in_targets(location.file)

    return tuple(
        finding
        for finding in findings
        if inside(finding.location) or (related and any(map(inside, finding.related)))
    )
