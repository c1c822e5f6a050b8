"""Walking one directory tree for `*.nix` files, without ever reading them."""

from __future__ import annotations

import heapq
import os
from operator import attrgetter
from typing import NamedTuple

from axios_portlint.discover.excludes import ExcludeMatcher
from axios_portlint.discover.paths import child, printable
from axios_portlint.model_base import FileProblem

# Never interesting, often huge, and (for .git) full of objects that are not sources.
SKIPPED_NAMES = frozenset(
    {".git", ".hg", ".svn", ".bzr", ".jj", "_darcs", ".direnv", "node_modules", ".venv"}
)

NIX_SUFFIX = ".nix"

_Identity = tuple[int, int]


class Candidate(NamedTuple):
    """A file to read: the path users see and the path the OS opens.

    A tuple, built once per file of the tree (a frozen dataclass costs three
    times as much), whose order is the order duplicates are settled in: real
    paths before paths through a symlink, then the smaller display path.
    """

    via_link: bool  # reached through a symlink; the real path is preferred on duplicates
    display: str
    path: str


class _Dir(NamedTuple):
    path: str
    rel: str  # relative to the walked root, "" for the root itself
    via_link: bool


class WalkOutput:
    """What walks gather. Like the tuples above, no dataclass: a walk's own bookkeeping,
    and each dataclass costs a millisecond of every start (Python 3.11 compiles its methods)."""

    __slots__ = ("candidates", "problems")

    def __init__(self) -> None:
        self.candidates: list[Candidate] = []
        self.problems: list[FileProblem] = []


def is_build_result(name: str) -> bool:
    return name == "result" or name.startswith("result-")


def error_text(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


class TreeWalker:
    """Walks one root; symlinked directories wait until every real one is seen.

    Deferring links means a file is first met under its real path, and the
    set of visited (st_dev, st_ino) pairs then stops both cycles and
    directories that several links point at from being walked twice.
    """

    def __init__(
        self,
        root: str,
        display: str,
        matcher: ExcludeMatcher,
        out: WalkOutput,
        *,
        first_only: bool = False,
    ) -> None:
        self._root = root
        self._first_only = first_only  # stop once a file or a problem is found
        self._display = display
        self._matcher = matcher
        self._out = out
        real = os.path.realpath(root)
        self._real_prefix = real if real.endswith(os.sep) else real + os.sep
        self._visited: set[_Identity] = set()
        self._stack: list[_Dir] = []
        self._links: list[tuple[str, _Identity, _Dir]] = []

    def run(self) -> None:
        identity = self._identity(self._root, "")
        if identity is None:
            return
        self._visited.add(identity)
        self._stack.append(_Dir(self._root, "", via_link=False))
        while (directory := self._next_dir()) is not None:
            self._scan(directory)
            if self._first_only and (self._out.candidates or self._out.problems):
                return

    def _next_dir(self) -> _Dir | None:
        if self._stack:
            return self._stack.pop()
        while self._links:
            _, identity, directory = heapq.heappop(self._links)
            if identity not in self._visited:
                self._visited.add(identity)
                return directory
        return None

    def _scan(self, directory: _Dir) -> None:
        try:
            with os.scandir(directory.path) as iterator:
                entries = sorted(iterator, key=_NAME)
        except OSError as error:
            self._problem(directory.rel, f"cannot read directory: {error_text(error)}")
            return
        # Once per directory, not per entry: the display path's prefix, the matcher.
        if directory.rel:
            prefix, shown = f"{directory.rel}/", child(self._display, directory.rel) + "/"
        else:
            prefix, shown = "", "" if self._display == "." else f"{self._display}/"
        excluded = self._matcher.excluded if self._matcher.active else None
        via_link = directory.via_link
        candidates = self._out.candidates
        for entry in entries:
            name = entry.name
            if name in SKIPPED_NAMES:
                continue
            # Inline, not through a function: this runs for every entry of the tree.
            try:
                is_link = entry.is_symlink()
            except OSError:
                is_link = False
            if is_link and is_build_result(name):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir and not name.endswith(NIX_SUFFIX):
                continue
            rel = prefix + name
            # printable() per name: the directory's part is printable already.
            display = shown + (name if name.isascii() else printable(name))
            if excluded is not None and excluded(rel, display, name, is_dir=is_dir):
                continue
            if is_link and not self._stays_inside(entry.path):
                continue
            if is_dir:
                self._enter(entry, rel, is_link=is_link, via_link=via_link or is_link)
            else:
                # FIFOs and sockets named *.nix land here too; reading reports them.
                candidates.append(Candidate(via_link or is_link, display, entry.path))

    def _enter(self, entry: os.DirEntry[str], rel: str, *, is_link: bool, via_link: bool) -> None:
        identity = self._identity(entry.path, rel, quiet=is_link)
        if identity is None or identity in self._visited:
            return
        directory = _Dir(entry.path, rel, via_link)
        if is_link:
            heapq.heappush(self._links, (rel, identity, directory))
        else:
            self._visited.add(identity)
            self._stack.append(directory)

    def _stays_inside(self, path: str) -> bool:
        try:
            target = os.path.realpath(path, strict=True)
        except (OSError, RuntimeError):
            return False  # dangling, or a loop of links
        return (target + os.sep).startswith(self._real_prefix)

    def _identity(self, path: str, rel: str, *, quiet: bool = False) -> _Identity | None:
        try:
            status = os.stat(path)  # noqa: PTH116 - a str from scandir; no Path per entry
        except OSError as error:
            if not quiet:
                self._problem(rel, f"cannot read directory: {error_text(error)}")
            return None
        return (status.st_dev, status.st_ino)

    def _problem(self, rel: str, message: str) -> None:
        display = child(self._display, rel) if rel else self._display
        self._out.problems.append(FileProblem(display, message))


_NAME = attrgetter("name")
