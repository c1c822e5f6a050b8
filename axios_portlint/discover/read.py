"""Reading candidates into SourceFiles, or saying why a file cannot be one."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

from axios_portlint.discover.walk import Candidate, error_text
from axios_portlint.model_base import FileProblem, SourceFile

# O_NONBLOCK: should a path turn into a FIFO between stat() and open(), the
# open must not wait for a writer. O_NOCTTY: a terminal must never become ours.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_CHUNK = 1024 * 1024

_Identity = tuple[int, int]
_DISPLAY = attrgetter("display")


@dataclass(frozen=True, slots=True)
class StatFile:
    """A file found and stat()ed but not yet read: what a stat-keyed cache is asked with.

    `signature` is (size, mtime_ns, ctime_ns, inode, device): an unchanged signature
    means an unchanged file except when someone rewrites it in place with the
    same size and restores both times, the known limit of every stat cache
    (git's index, make, ruff share it; see docs/security.md).
    """

    path: str  # what the OS opens
    display: str  # what users see, and what every later stage keys on
    signature: tuple[int, int, int, int, int]


def read_all(
    candidates: Iterable[Candidate], max_bytes: int
) -> tuple[list[SourceFile], list[FileProblem]]:
    """Read each distinct file once: the same inode under two paths is one file.

    Real paths sort before paths through a symlink, so an alias never wins over
    the file's own location; among equals the smaller display path wins.
    """
    found, problems = stat_all(candidates, max_bytes)
    files: list[SourceFile] = []
    for file in found:
        result = read_file(file, max_bytes)
        if isinstance(result, SourceFile):
            files.append(result)
        else:
            problems.append(result)
    problems.sort(key=lambda p: (p.path, p.message))
    return files, problems


def stat_all(
    candidates: Iterable[Candidate], max_bytes: int
) -> tuple[list[StatFile], list[FileProblem]]:
    """`read_all` without the reading: each distinct file once, with its stat signature.

    Everything stat() can tell (unreadable, not a regular file, too large) is a
    problem here already; what only the bytes tell comes from `read_file`.
    One stat() per file and as little else as can be: a warm run does this for
    every file of the tree before it can answer.
    """
    files: list[StatFile] = []
    problems: list[FileProblem] = []
    seen_paths: set[str] = set()
    seen_files: set[_Identity] = set()
    # Candidates sort real paths first, then by display path (see `Candidate`).
    for _, display, path in sorted(candidates):
        if display in seen_paths:
            continue
        seen_paths.add(display)
        try:
            status = os.stat(path)  # noqa: PTH116 - a str from scandir; no Path per file
        except OSError as error:
            problems.append(FileProblem(display, f"cannot read: {error_text(error)}"))
            continue
        identity = (status.st_dev, status.st_ino)
        if identity in seen_files:
            continue  # the same file under another path
        seen_files.add(identity)
        # Checked before open(): opening a FIFO without a writer blocks forever.
        if not stat.S_ISREG(status.st_mode) or status.st_size > max_bytes:
            problems.append(FileProblem(display, _status_problem(status, max_bytes)))
            continue
        signature = (
            status.st_size,
            status.st_mtime_ns,
            status.st_ctime_ns,
            status.st_ino,
            status.st_dev,
        )
        files.append(StatFile(path, display, signature))
    files.sort(key=_DISPLAY)
    problems.sort(key=lambda p: (p.path, p.message))
    return files, problems


def read_file(file: StatFile, max_bytes: int) -> SourceFile | FileProblem:
    """The bytes of a file `stat_all` found, or why they cannot be a source."""
    try:
        data = _load(file.path, max_bytes)
    except _UnfitError as unfit:
        return FileProblem(file.display, str(unfit))
    except OSError as error:
        return FileProblem(file.display, f"cannot read: {error_text(error)}")
    return content_problem(file.display, data) or SourceFile(file.display, data)


class _UnfitError(Exception):
    """The file changed between stat() and open() into something we refuse."""


def _status_problem(status: os.stat_result, max_bytes: int) -> str:
    if not stat.S_ISREG(status.st_mode):
        return "not a regular file"
    if status.st_size > max_bytes:
        return too_large(max_bytes)
    return ""


def _load(path: str, max_bytes: int) -> bytes:
    fd = os.open(path, _OPEN_FLAGS)
    try:
        # Again on the open descriptor: the path may have been swapped since stat().
        status = os.fstat(fd)
        problem = _status_problem(status, max_bytes)
        if problem:
            raise _UnfitError(problem)
        return _read_capped(fd, status.st_size, max_bytes)
    finally:
        os.close(fd)


def _read_capped(fd: int, size_hint: int, max_bytes: int) -> bytes:
    """Normally one read of the whole file plus the empty read that proves EOF.

    The loop and the cap only matter for files that grow while we read, or
    report a size of 0 (procfs); the size hint keeps us from allocating
    max_bytes up front for every small file.
    """
    chunks: list[bytes] = []
    total = 0
    want = min(size_hint, max_bytes) + 1
    while chunk := os.read(fd, want):
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise _UnfitError(too_large(max_bytes))
        want = min(_CHUNK, max_bytes + 1 - total)
    return b"".join(chunks)


def content_problem(display: str, data: bytes) -> FileProblem | None:
    # NUL first: it is valid UTF-8, but no Nix source contains it.
    nul = data.find(b"\0")
    if nul != -1:
        line, column = _position(data, nul)
        return FileProblem(display, "binary file (contains NUL bytes)", line, column)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _position(data, error.start)
        return FileProblem(
            display, f"not valid UTF-8 at line {line}, column {column}", line, column
        )
    return None


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and character column of a byte offset (everything before is valid)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def too_large(max_bytes: int) -> str:
    return f"file is larger than {_human_size(max_bytes)}"


def _human_size(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"
