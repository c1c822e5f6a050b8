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
from typing import Any

from axios_portlint.discover import StatFile, read_file
from axios_portlint.extract.cache import Cache, content_key, stat_key
from axios_portlint.model import FileProblem, FileResult, SourceFile

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
    hits: dict[int, tuple[FileResult, Any]] = {}
    sources: list[tuple[int, SourceFile]] = []
    problems: list[FileProblem] = []
    stats = [stat_key(file.display, file.signature) for file in files]
    kept: list[str] = []  # the content keys of this run, for the cache to keep
    for index, file in enumerate(files):
        resolved = cache.resolve(stats[index]) if cache else None
        known = _known(cache, resolved, note) if cache else None
        if known is not None and resolved is not None:
            hits[index] = known
            kept.append(resolved)
            continue
        read = read_file(file, max_bytes)
        if isinstance(read, FileProblem):
            problems.append(read)
        else:
            sources.append((index, read))
    keys = {index: content_key(source.path, source.data) for index, source in sources}
    missing: list[tuple[int, SourceFile]] = []
    for index, source in sources:
        known = _known(cache, keys[index], note) if cache else None
        if known is None:
            missing.append((index, source))
        else:
            hits[index] = known
    computed = _extract([source for _, source in missing], workers, POOL_THRESHOLD)
    for (index, source), result in zip(missing, computed, strict=True):
        hits[index] = (result, note(source) if note else None)
        if cache is not None:
            cache.put(keys[index], result)
            if note is not None:
                cache.put_note(keys[index], hits[index][1])
    if cache is not None:
        for index, key in keys.items():
            cache.link(stats[index], key)
        cache.save([*kept, *keys.values()])
    ordered = [hits[index] for index in sorted(hits)]
    return Batch(
        tuple(result for result, _ in ordered),
        tuple(value for _, value in ordered),
        tuple(problems),
    )


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


# The sources of the current run, for forked workers: they inherit this list with
# the process instead of receiving the bytes pickled through a pipe.
_SHARED: Sequence[SourceFile] = ()


def _extract(sources: list[SourceFile], workers: int | None, threshold: int) -> list[FileResult]:
    global _SHARED
    if not sources:
        return []
    count = workers if workers is not None else (os.cpu_count() or 1)
    # Imported here: a fully warm run extracts nothing and never loads the parser.
    from axios_portlint.extract.declarations import extract_file

    if count < 2 or len(sources) < threshold:
        return [extract_file(source) for source in sources]
    # Imported here: most runs (pre-commit on a few files, a warm cache) never start a
    # pool, and these imports cost more than such a run's extraction.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return [extract_file(source) for source in sources]
    _SHARED = sources
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
            parts = list(pool.map(_extract_share, range(count), [count] * count))
    finally:
        _SHARED = ()
    # Undo the round-robin split so results line up with `sources`.
    streams = [iter(part) for part in parts]
    return [next(streams[index % count]) for index in range(len(sources))]


def _extract_share(start: int, step: int) -> list[FileResult]:
    from axios_portlint.extract.declarations import extract_file

    return [extract_file(source) for source in _SHARED[start::step]]
