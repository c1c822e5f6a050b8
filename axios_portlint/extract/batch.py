"""Extraction of a whole tree: from the cache where the content is unchanged, the rest
in a process pool when there are enough files to pay for one.

Per-file extraction is independent by design, so the order of work never
changes a result: the pool and the cache give the same findings as one process
without a cache (a test checks it on every fixture).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from axios_portlint.extract import extract_file
from axios_portlint.extract.cache import Cache, content_key
from axios_portlint.model import FileResult, SourceFile

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


# The sources of the current run, for forked workers: they inherit this list with
# the process instead of receiving the bytes pickled through a pipe.
_SHARED: Sequence[SourceFile] = ()


def _extract(sources: list[SourceFile], workers: int | None, threshold: int) -> list[FileResult]:
    global _SHARED
    count = workers if workers is not None else (os.cpu_count() or 1)
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
    return [extract_file(source) for source in _SHARED[start::step]]
