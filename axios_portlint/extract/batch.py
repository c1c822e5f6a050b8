"""Extraction of a whole tree: from the cache where the content is unchanged, the rest
in a process pool when there are enough files to pay for one.

Per-file extraction is independent by design, so the order of work never
changes a result: the pool and the cache give the same findings as one process
without a cache (a test checks it on every fixture).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from axios_portlint.discover import StatFile, read_file
from axios_portlint.extract.cache import Cache, content_key, stat_key
from axios_portlint.model import FileProblem, FileResult, SourceFile

S = TypeVar("S")
T = TypeVar("T")

# Below this many files to parse, starting workers costs more than it saves.
POOL_THRESHOLD = 400


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
    # The files this run read (those the cache answered by stat were not), by display path.
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
    """What `start_found` learnt before parsing: the cache's answers and the files read."""

    hits: dict[int, tuple[FileResult, Any]]  # by the file's index
    problems: list[FileProblem]
    read: list[tuple[int, SourceFile]]
    missing: list[tuple[int, SourceFile]]  # read, and not in the cache: to extract
    keys: dict[int, str]  # content key of each file read (with a cache)
    kept: list[str]  # content keys the stat key answered for
    links: list[tuple[str, str]]  # (stat key, content key) of each file read


class Extraction:
    """Extraction under way (`start_found`): forked workers parse while the caller
    does other work; `result()` joins them, `close()` stops them unfinished."""

    def __init__(
        self,
        found: _Found,
        cache: Cache | None,
        note: Callable[[SourceFile], Any] | None,
        workers: int | None,
    ) -> None:
        self._found = found
        self._cache = cache
        self._note = note
        sources = [source for _, source in found.missing]
        self._extract_file: Callable[[SourceFile], FileResult] | None = None
        if sources:
            # Imported here: a fully warm run extracts nothing and never loads the parser.
            from axios_portlint.extract.declarations import extract_file

            self._extract_file = extract_file
        self._work = _start(sources, self._extract_one, workers, POOL_THRESHOLD)

    def _extract_one(self, source: SourceFile) -> tuple[FileResult, Any]:
        assert self._extract_file is not None
        return self._extract_file(source), self._note(source) if self._note else None

    def result(self) -> Batch:
        computed = self._work.results()
        found, cache = self._found, self._cache
        hits = dict(found.hits)
        for (index, _source), (result, value) in zip(found.missing, computed, strict=True):
            hits[index] = (result, value)
            if cache is not None:
                cache.put(found.keys[index], result)
                if self._note is not None:
                    cache.put_note(found.keys[index], value)
        if cache is not None:
            for stat, key in found.links:
                cache.link(stat, key)
            cache.save([*found.kept, *found.keys.values()])
        ordered = [hits[index] for index in sorted(hits)]
        return Batch(
            tuple(result for result, _ in ordered),
            tuple(value for _, value in ordered),
            tuple(found.problems),
            tuple(source for _, source in found.read),
        )

    def close(self) -> None:
        self._work.close()


def start_found(
    files: Sequence[StatFile],
    cache: Cache | None,
    *,
    max_bytes: int,
    note: Callable[[SourceFile], Any] | None = None,
    workers: int | None = None,
) -> Extraction:
    """`extract_found`, started: the files are read here and their parsing forked off."""
    hits: dict[int, tuple[FileResult, Any]] = {}
    sources: list[tuple[int, SourceFile]] = []
    problems: list[FileProblem] = []
    stats = [stat_key(file.display, file.signature) for file in files] if cache else []
    kept: list[str] = []
    for index, file in enumerate(files):
        if cache is not None:
            resolved = cache.resolve(stats[index])
            known = _known(cache, resolved, note)
            if known is not None and resolved is not None:
                hits[index] = known
                kept.append(resolved)
                continue
        read = read_file(file, max_bytes)
        if isinstance(read, FileProblem):
            problems.append(read)
        else:
            sources.append((index, read))
    keys: dict[int, str] = {}
    missing: list[tuple[int, SourceFile]] = []
    for index, source in sources:
        if cache is not None:
            keys[index] = content_key(source.path, source.data)
            known = _known(cache, keys[index], note)
            if known is not None:
                hits[index] = known
                continue
        missing.append((index, source))
    links = [(stats[index], key) for index, key in keys.items()]
    found = _Found(hits, problems, sources, missing, keys, kept, links)
    return Extraction(found, cache, note, workers)


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
    count = workers if workers is not None else _cores()
    if count < 2 or len(items) < threshold or not hasattr(os, "fork"):
        return _Here(items, work)
    # Imported here: most runs (pre-commit on a few files, a warm cache) never fork.
    from axios_portlint.extract.pool import Pool

    return Pool(items, work, count)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _extract(sources: list[SourceFile], workers: int | None, threshold: int) -> list[FileResult]:
    from axios_portlint.extract.declarations import extract_file

    return _start(sources, extract_file, workers, threshold).results()
