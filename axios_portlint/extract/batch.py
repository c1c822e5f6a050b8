"""Extraction of a whole tree: from the cache where the content is unchanged, the rest
in forked workers (extract/pool.py) when there are enough files, and spare cores,
to pay for them.

Per-file extraction is independent by design, so the order of work never
changes a result: the pool and the cache give the same findings as one process
without a cache (a test checks it on every fixture).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from types import ModuleType
from typing import Any, Generic, Protocol, TypeVar

from axios_portlint.discover import StatFile, read_file
from axios_portlint.extract.cache import Cache, content_key, stat_key
from axios_portlint.model import FileProblem, FileResult, SourceFile

S = TypeVar("S")
T = TypeVar("T")

# Below this many files to parse, starting workers costs more than it saves...
POOL_THRESHOLD = 400
# ... unless the caller has work of its own meanwhile: while a check imports networkx and
# markdown-it, one worker imports the parser and extraction and parses a small tree, so
# the caller never imports them (docs/performance.md, "Start-up").
BUSY_CALLER_POOL_THRESHOLD = 1


def extract_all(
    sources: Sequence[SourceFile],
    cache: Cache | None = None,
    *,
    workers: int | None = None,
    pool_threshold: int = POOL_THRESHOLD,
) -> list[FileResult]:
    keys = [content_key(source.path, source.data) for source in sources]
    results: list[FileResult | None] = [cache.get(key) if cache else None for key in keys]
    missing = [index for index, result in enumerate(results) if result is None]
    computed = _extract([sources[index] for index in missing], workers, pool_threshold)
    for index, result in zip(missing, computed, strict=True):
        results[index] = result
        if cache is not None:
            cache.put(keys[index], result)
    if cache is not None:
        cache.save(keys)
    return [result for result in results if result is not None]


@dataclass(frozen=True, slots=True)
class Batch:
    """The outcome of `extract_found`: one result (and note) per file that could be read."""

    results: tuple[FileResult, ...]  # in the order of the files given
    notes: tuple[Any, ...]  # `note` of each result's file; None without a `note` function
    problems: tuple[FileProblem, ...]  # files only reading showed unfit (binary, not UTF-8)
    # The files this process read: not those a forked worker read, nor those the cache
    # answered by stat.
    read: tuple[SourceFile, ...] = ()


def extract_found(
    files: Sequence[StatFile],
    cache: Cache | None,
    *,
    max_bytes: int,
    note: Callable[[SourceFile], Any] | None = None,
    workers: int | None = None,
) -> Batch:
    """Extraction of discovered files, reading only those the cache cannot answer for.

    The cache is asked by stat key first (no read), then, after reading, by
    content key. `note` is whatever else a run needs from a file's bytes (its
    suppression comments); it is stored beside the result, so a warm run reads
    nothing. A result without its note in the cache counts as a miss.
    """
    return start_found(files, cache, max_bytes=max_bytes, note=note, workers=workers).result()


@dataclass(frozen=True, slots=True)
class _Found:
    """What `start_found` learnt before parsing: the cache's answers and what to extract."""

    hits: dict[int, tuple[FileResult, Any]]  # by the file's index
    problems: list[FileProblem]  # files reading showed unfit
    read: dict[int, SourceFile]  # the files read so far, by index
    missing: list[tuple[int, StatFile]]  # the files to extract (read or not yet)
    keys: dict[int, str]  # content key of each file read (with a cache)
    kept: list[str]  # content keys the stat key answered for
    links: list[tuple[str, str]]  # (stat key, content key) of each file read


# What extracting one file gives: its result and note, or why it cannot be read.
Extracted = tuple[FileResult, Any] | FileProblem
# As it travels back from a forked worker: a result that found nothing (nine files in
# ten) is None, and the parent makes it again from the file's path. Unpickling 3,500
# frozen dataclasses took the parent 29 ms after the pool, 3,200 of them empty.
Sent = tuple[FileResult | None, Any] | FileProblem


class Extraction:
    """Extraction under way (`start_found`): forked workers parse while the caller
    does other work; `result()` joins them, `close()` stops them unfinished.

    Without a cache nothing needs the bytes before parsing, so the workers are
    forked before any file is read: each process reads its own share, and only the
    files this one read are in `Batch.read` (the hosts pass reads the others again
    only for a tree that may name a host).
    """

    def __init__(
        self,
        found: _Found,
        cache: Cache | None,
        note: Callable[[SourceFile], Any] | None,
        workers: int | None,
        max_bytes: int,
        pool_threshold: int,
    ) -> None:
        self._found = found
        self._cache = cache
        self._note = note
        self._max_bytes = max_bytes
        if len(found.missing) >= POOL_THRESHOLD:
            # This process takes a share too: imported before forking, it is imported once.
            _extraction()
        # Not a bound method: the pool keeps its work function, and one that kept this
        # object made a reference cycle holding every file's source and stat until the
        # cyclic collector ran, which axios_portlint.cli turns off while a command runs.
        self._extract_one = partial(_extract_one, found.read, note, max_bytes)
        self._work = _start(
            found.missing, partial(_send_one, self._extract_one), workers, pool_threshold
        )

    def result(self) -> Batch:
        found, cache = self._found, self._cache
        hits = dict(found.hits)
        problems = list(found.problems)
        computed = self._work.results()
        for (index, file), sent in zip(found.missing, computed, strict=True):
            if isinstance(sent, FileProblem):  # unfit, as the process that read it found
                problems.append(sent)
                continue
            result, value = sent
            extracted = (FileResult(file.display) if result is None else result), value
            hits[index] = extracted
            if cache is not None:
                cache.put(found.keys[index], extracted[0])
                if self._note is not None:
                    cache.put_note(found.keys[index], extracted[1])
        if cache is not None:
            for stat, key in found.links:
                cache.link(stat, key)
            cache.save([*found.kept, *found.keys.values()])
        ordered = [hits[index] for index in sorted(hits)]
        return Batch(
            tuple(result for result, _ in ordered),
            tuple(value for _, value in ordered),
            tuple(problems),
            tuple(found.read[index] for index in sorted(found.read)),
        )

    def close(self) -> None:
        self._work.close()


def _extract_one(
    read: dict[int, SourceFile],
    note: Callable[[SourceFile], Any] | None,
    max_bytes: int,
    item: tuple[int, StatFile],
) -> Extracted:
    """A file's result and note, from its bytes read already or read now."""
    index, file = item
    source = read.get(index) or read_file(file, max_bytes)
    if isinstance(source, FileProblem):
        return source
    # Kept for the hosts pass when this is the caller (a forked worker's copy goes nowhere).
    read[index] = source
    result: FileResult = _extraction().extract_file(source)
    return result, note(source) if note else None


@cache
def _extraction() -> ModuleType:
    """extract/declarations, imported when first needed: a worker forked for a small
    tree imports the parser and extraction (70 ms) while the caller does other work,
    and a caller it leaves nothing to never imports them; a fully warm run never does.
    (The module, not its function: `extract_file` is looked up at each call.)"""
    from axios_portlint.extract import declarations

    return declarations


def _send_one(
    extract_one: Callable[[tuple[int, StatFile]], Extracted], item: tuple[int, StatFile]
) -> Sent:
    """`extract_one` as a worker sends it back (`Sent`)."""
    extracted = extract_one(item)
    if isinstance(extracted, FileProblem) or extracted[0] != FileResult(item[1].display):
        return extracted
    return None, extracted[1]


def start_found(
    files: Sequence[StatFile],
    cache: Cache | None,
    *,
    max_bytes: int,
    note: Callable[[SourceFile], Any] | None = None,
    workers: int | None = None,
    pool_threshold: int = POOL_THRESHOLD,
) -> Extraction:
    """`extract_found`, started: the cache asked, and the parsing forked off.

    `pool_threshold`: the fewest files to fork workers for. A caller with work of
    its own to do meanwhile gains from workers on fewer files than one that waits.
    """
    if cache is None:
        every = _Found({}, [], {}, list(enumerate(files)), {}, [], [])
        return Extraction(every, None, note, workers, max_bytes, pool_threshold)
    hits: dict[int, tuple[FileResult, Any]] = {}
    read: dict[int, SourceFile] = {}
    problems: list[FileProblem] = []
    stats = [stat_key(file.display, file.signature) for file in files]
    kept: list[str] = []
    for index, file in enumerate(files):
        resolved = cache.resolve(stats[index])
        known = _known(cache, resolved, note)
        if known is not None and resolved is not None:
            hits[index] = known
            kept.append(resolved)
            continue
        source = read_file(file, max_bytes)
        if isinstance(source, FileProblem):
            problems.append(source)
        else:
            read[index] = source
    keys: dict[int, str] = {}
    missing: list[tuple[int, StatFile]] = []
    for index, source in read.items():
        keys[index] = content_key(source.path, source.data)
        known = _known(cache, keys[index], note)
        if known is None:
            missing.append((index, files[index]))
        else:
            hits[index] = known
    links = [(stats[index], key) for index, key in keys.items()]
    found = _Found(hits, problems, read, missing, keys, kept, links)
    return Extraction(found, cache, note, workers, max_bytes, pool_threshold)


def _known(
    cache: Cache, key: str | None, note: Callable[[SourceFile], Any] | None
) -> tuple[FileResult, Any] | None:
    if key is None:
        return None
    result = cache.get(key)
    if result is None:
        return None
    if note is None:
        return result, None
    found, value = cache.note(key)
    return (result, value) if found else None


class _Work(Protocol[T]):
    def results(self) -> list[T]: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _Here(Generic[S, T]):
    """The work done in this process, when `results()` is asked for."""

    items: Sequence[S]
    work: Callable[[S], T]

    def results(self) -> list[T]:
        return [self.work(item) for item in self.items]

    def close(self) -> None:
        pass


def _start(
    items: Sequence[S], work: Callable[[S], T], workers: int | None, threshold: int
) -> _Work[T]:
    count = workers if workers is not None else _spare_cores()
    if count < 2 or len(items) < threshold or not _may_fork():
        return _Here(items, work)
    # Imported here: most runs (pre-commit on a few files, a warm cache) never fork.
    from axios_portlint.extract.pool import Pool

    return Pool(items, work, count)


def _may_fork() -> bool:
    """Can this process fork safely: a system with `fork`, and no other thread running.

    A thread holding a lock at the fork (an embedding program's, a logging handler's)
    leaves it held forever in the child, which then hangs; Python 3.12 warns of it.
    """
    if not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")  # never imported: no thread was started
    return threading is None or threading.active_count() == 1


def _spare_cores() -> int:
    """The cores this run can have to itself, its own included.

    A worker gains wall time only on a core nobody else wants: on two cores with
    other work running (load average 3 to 4), forking made a cold check of the
    3,500-file corpus slower (3.23 s against 3.02 s of wall) and cost 0.25 s more
    CPU, as the processes slow each other down. So what runs right now decides:
    Linux's count of runnable processes (`/proc/loadavg`, ours included). The
    one-minute load average lags by a minute: after a test suite, a build or the
    previous step of a benchmark it still says "busy" for cores that are idle
    now, and a cold check then ran on one core with the second one free.
    """
    cores = _cores()
    others = _others_running()
    if others is None:
        try:
            others = round(os.getloadavg()[0])  # no instantaneous count: the average
        except (AttributeError, OSError):  # no load average on this system
            return cores
    return max(1, min(cores, cores - others))


def _others_running() -> int | None:
    """How many other processes are runnable right now; None where Linux cannot say."""
    try:
        running = Path("/proc/loadavg").read_text(encoding="ascii").split()[3].split("/")[0]
    except (OSError, IndexError):
        return None
    return max(0, int(running) - 1) if running.isdigit() else None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _extract(sources: list[SourceFile], workers: int | None, threshold: int) -> list[FileResult]:
    from axios_portlint.extract.declarations import extract_file

    return _start(sources, extract_file, workers, threshold).results()
