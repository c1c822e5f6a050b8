"""Discovery: the one stage that touches the file system for Nix sources.

It finds ``*.nix`` files, reads each once, and hands every later stage plain
``SourceFile`` values (display path + bytes). Anything that goes wrong with a
single file becomes a ``FileProblem``; only a nonexistent input path raises.
"""

from __future__ import annotations

import errno
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from axios_portlint.discover.excludes import ExcludeMatcher
from axios_portlint.discover.paths import DisplayPaths
from axios_portlint.discover.read import StatFile, read_file, stat_all
from axios_portlint.discover.walk import (
    SKIPPED_NAMES,
    Candidate,
    TreeWalker,
    WalkOutput,
    error_text,
)
from axios_portlint.model_base import FileProblem, SourceFile

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SKIPPED_NAMES",
    "Discovery",
    "DiscoveryError",
    "EmptySelectionError",
    "StatFile",
    "Stats",
    "discover",
    "discover_stats",
    "empty_selection_message",
    "read_file",
    "require_sources",
    "sorted_problems",
]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

# Errors that mean "there is nothing at this path" rather than "cannot look".
_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR})


class DiscoveryError(Exception):
    """A usage error: an input path that does not exist."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        super().__init__(f"path {_quote(self.path)} does not exist")


class EmptySelectionError(DiscoveryError):
    """A usage error: the inputs exist but hold no Nix file (after excludes).

    A CI job pointed at an empty or mistyped folder must fail, not pass having
    checked nothing.
    """

    def __init__(self, paths: Sequence[str], excludes: Sequence[str] = ()) -> None:
        Exception.__init__(self, empty_selection_message(paths, excludes))
        self.path = paths[0] if paths else "."
        self.paths = tuple(paths)


def empty_selection_message(paths: Sequence[str], excludes: Sequence[str] = ()) -> str:
    message = f"no Nix file found in {', '.join(_quote(path) for path in paths)}"
    patterns = [pattern for pattern in excludes if pattern.strip()]
    if patterns:
        message += f" with excludes {', '.join(_quote(pattern) for pattern in patterns)}"
    return message


@dataclass(frozen=True, slots=True)
class Discovery:
    files: tuple[SourceFile, ...]  # sorted by display path
    problems: tuple[FileProblem, ...]  # sorted by (path, message)


@dataclass(frozen=True, slots=True)
class Stats:
    """What `discover_stats` found: files not yet read, and the problems stat() showed."""

    files: tuple[StatFile, ...]  # sorted by display path
    problems: tuple[FileProblem, ...]  # sorted by (path, message)


def discover(
    paths: Sequence[Path],
    *,
    excludes: Sequence[str] = (),
    cwd: Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Discovery:
    """Find and read every Nix source below ``paths``.

    Inputs: relative ``paths`` are taken relative to ``cwd`` (default: the
    process working directory). Every path is checked before anything is
    walked; one that does not exist (including a dangling symlink) raises
    ``DiscoveryError``. A path that is a file is read as-is, whatever its
    name and whatever ``excludes`` say, since it was named explicitly.

    Walking a directory: every entry named ``*.nix`` (case-sensitive) that is
    not a directory, recursively, in sorted order. Directories in
    ``SKIPPED_NAMES`` (VCS metadata, ``.direnv``, ``node_modules``, ``.venv``)
    and symlinks named ``result`` or ``result-*`` (nix build outputs) are
    never entered. A symlink is followed only when its fully resolved target
    lies inside the resolved walked root; links leaving the root, dangling
    links and link loops are skipped silently. Directory cycles cannot hang
    the walk: each directory (by ``st_dev``/``st_ino``) is entered at most once
    per root, real directories before symlinked ones.

    Excludes (see ``axios_portlint.discover.excludes`` for the full rules):
    ``fnmatchcase`` globs where ``*`` also matches ``/``, tested against the
    path relative to the walked root, the display path and the basename; a
    directory is also tested with a trailing ``/`` and, when excluded, is not
    entered. A leading ``**/`` also matches zero directories. So ``vendor``,
    ``vendor/*``, ``modules/vendor`` and ``**/vendor/**`` all prune
    ``modules/vendor`` when walking ``modules``.

    Results: a file reached more than once (overlapping inputs, symlinks,
    hard links; identity is ``st_dev``/``st_ino``) is returned once, under its
    non-symlink path if it has one, else under the smallest display path.
    Display paths are relative to ``cwd`` when below it (lexically, or below
    its resolved form), else absolute; always ``/``-separated; undecodable
    name bytes appear as ``\\xNN``. Files that cannot be handed over become
    ``FileProblem`` entries: ``cannot read: <strerror>``, ``cannot read
    directory: <strerror>``, ``not a regular file`` (FIFOs are never opened),
    ``file is larger than 50 MiB`` (per ``max_bytes``), ``binary file (contains
    NUL bytes)``, ``not valid UTF-8 at line L, column C`` (1-based, column in
    characters, pointing at the first bad byte).

    Empty selection: when the inputs hold no Nix file at all (nothing to read
    and nothing that failed to read; an empty folder, a folder of other files,
    excludes that match everything), ``EmptySelectionError`` is raised, a
    ``DiscoveryError``: checking nothing must never pass. No ``paths`` at all
    is the caller's business (the whole project, see ``api.scan``) and finds nothing.
    """
    found = discover_stats(paths, excludes=excludes, cwd=cwd, max_bytes=max_bytes)
    files: list[SourceFile] = []
    problems = list(found.problems)
    for file in found.files:
        result = read_file(file, max_bytes)
        if isinstance(result, SourceFile):
            files.append(result)
        else:
            problems.append(result)
    return Discovery(tuple(files), sorted_problems(problems))


def discover_stats(
    paths: Sequence[Path],
    *,
    excludes: Sequence[str] = (),
    cwd: Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Stats:
    """`discover` up to the reading: each file with its stat signature, read by `read_file`.

    A caller with a stat-keyed cache reads only the files whose signature it has
    not seen; problems only the bytes show (binary, not UTF-8, a file swapped
    since the stat) come from `read_file` and must join `problems`
    (`sorted_problems`), so that the outcome is exactly `discover`'s.
    """
    out = _walk(paths, excludes, cwd, first_only=False)
    files, problems = stat_all(out.candidates, max_bytes)
    return Stats(tuple(files), sorted_problems([*problems, *out.problems]))


def require_sources(
    paths: Sequence[Path], *, excludes: Sequence[str] = (), cwd: Path | None = None
) -> None:
    """Raise what `discover_stats` raises for `paths`, walking only until a Nix file is found.

    For a caller that needs the verdict (a path that does not exist, a folder
    without any Nix file) and not the files: it stops at the first file or
    problem met, and stats no file.
    """
    _walk(paths, excludes, cwd, first_only=True)


def _walk(
    paths: Sequence[Path], excludes: Sequence[str], cwd: Path | None, *, first_only: bool
) -> WalkOutput:
    """Every candidate file below `paths` (the first one only, with `first_only`).

    Raises `DiscoveryError` for an input that does not exist and
    `EmptySelectionError` when the inputs hold nothing at all.
    """
    base = (Path.cwd() if cwd is None else cwd).absolute()
    displays = DisplayPaths(base)
    roots = [(str(base / path), path) for path in paths]
    statuses = [_stat_input(absolute, path) for absolute, path in roots]

    matcher = ExcludeMatcher(excludes)
    out = WalkOutput()
    for (absolute, _), status in zip(roots, statuses, strict=True):
        if first_only and (out.candidates or out.problems):
            break
        display = displays.of(absolute)
        if isinstance(status, OSError):
            out.problems.append(FileProblem(display, f"cannot read: {error_text(status)}"))
        elif status:
            TreeWalker(absolute, display, matcher, out, first_only=first_only).run()
        else:
            out.candidates.append(Candidate(via_link=False, display=display, path=absolute))

    if roots and not out.candidates and not out.problems:
        raise EmptySelectionError([displays.of(absolute) for absolute, _ in roots], excludes)
    return out


def sorted_problems(problems: Sequence[FileProblem]) -> tuple[FileProblem, ...]:
    """Sorted by (path, message), each once: overlapping inputs walk a broken directory twice."""
    ordered = sorted(problems, key=lambda problem: (problem.path, problem.message))
    return tuple(dict.fromkeys(ordered))


def _stat_input(absolute: str, given: Path) -> bool | OSError:
    """Whether an input is a directory; the error when it exists but cannot be seen."""
    try:
        return stat.S_ISDIR(Path(absolute).stat().st_mode)
    except OSError as error:
        if error.errno in _MISSING:
            raise DiscoveryError(given) from None
        return error


def _quote(path: str) -> str:
    # repr() only when needed, so the usual message reads `path 'x' does not exist`
    # and a name holding a newline still stays on one line.
    return f"'{path}'" if path.isprintable() else repr(path)
