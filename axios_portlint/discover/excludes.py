"""Exclude patterns: which walked entries a user asked us to leave out.

Semantics (the contract ``discover`` documents and the tests pin):

* A pattern is an ``fnmatch`` glob matched case-sensitively (``fnmatchcase``),
  so ``*`` also crosses ``/``; ``**`` is therefore the same as ``*``.
* A leading ``./`` and trailing ``/`` are removed, so ``./vendor/`` is ``vendor``.
* A leading ``**/`` may also match zero directories: ``**/generated/**``
  matches ``generated/x.nix`` as well as ``a/b/generated/x.nix``.
* An entry is excluded when a pattern matches any of: its path relative to the
  walked root, its path as displayed (relative to the working directory), or
  its basename. All use ``/`` separators.
* A directory is additionally tested with a trailing ``/`` so that ``vendor/*``
  and ``**/generated/**`` exclude the directory itself; excluded directories
  are never entered.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence


class ExcludeMatcher:
    """All patterns compiled into one regex: one match call per candidate string.

    Patterns that are plain names (no wildcard, no `/`), as the project's own
    caches are, can match nothing but an entry's basename (its relative and
    displayed paths hold a `/` wherever they differ from it): for those a set
    lookup decides, without a regex call per file walked.
    """

    __slots__ = ("_names", "_regex")

    def __init__(self, patterns: Sequence[str]) -> None:
        globs = sorted({glob for pattern in patterns for glob in _expand(pattern)})
        plain = not any(set(glob) & _NOT_A_NAME for glob in globs)
        self._names = frozenset(globs) if globs and plain else None
        self._regex = (
            re.compile("|".join(fnmatch.translate(glob) for glob in globs))
            if globs and not plain
            else None
        )

    @property
    def active(self) -> bool:
        """Whether any pattern was given: a walk without one skips the matching."""
        return self._names is not None or self._regex is not None

    def excluded(self, rel: str, display: str, name: str, *, is_dir: bool) -> bool:
        if self._names is not None:
            # The display path holds no `/` only at the top of a walk of the working folder.
            return name in self._names or display in self._names
        if self._regex is None:
            return False
        match = self._regex.match
        # Called for every file walked: no list, no generator.
        if match(rel) or (display != rel and match(display)) or match(name):
            return True
        return is_dir and bool(match(rel + "/") or match(display + "/"))


# What makes a pattern more than a name: fnmatch's wildcards and a path separator.
_NOT_A_NAME = frozenset("*?[/")


def _expand(pattern: str) -> Iterable[str]:
    glob = pattern.strip()
    while glob.startswith("./"):
        glob = glob[2:]
    glob = glob.rstrip("/")
    if not glob:
        return
    yield glob
    # `**/x` in gitignore style also means `x` at the top of the tree.
    while glob.startswith("**/"):
        glob = glob[3:]
        if glob:
            yield glob
