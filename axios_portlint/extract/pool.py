"""Work spread over forked processes that the caller joins when it is ready.

`Pool(items, work, workers)` forks `workers - 1` processes at once and lets them
take chunks of `items` from a shared queue while the caller goes on with other
work (a cold `check` imports networkx and markdown-it and reads the registry
meanwhile). `results()` then makes the caller a worker too: it takes chunks from
the same queue until none is left, and collects what the others did.

- The queue is a pipe holding one byte per chunk, written whole before the first
  fork: a read of one byte from a pipe is atomic, so each chunk goes to exactly one
  process, and whoever is free takes the next (a late caller takes a small share).
- The items are never sent: forked processes inherit them with the memory.
  Only the results come back, pickled, once per process.
- A chunk a process did not report back (it died, or `work` raised there) is done
  again by the caller, so a failure is the caller's own exception, as without a pool.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# One byte names a chunk. More chunks than processes lets a late caller take a share.
MAX_CHUNKS = 256


class Pool(Generic[Item, Result]):
    """`work` over `items`, in the caller and `workers - 1` forked processes."""

    def __init__(self, items: Sequence[Item], work: Callable[[Item], Result], workers: int) -> None:
        self._items = items
        self._work = work
        count = len(items)
        size = max(1, -(-count // MAX_CHUNKS))
        self._chunks = [(start, min(start + size, count)) for start in range(0, count, size)]
        self._children: list[tuple[int, int]] = []  # (pid, read end of its results)
        self._queue: int | None = None
        self._queue, writer = os.pipe()
        try:
            os.write(writer, bytes(range(len(self._chunks))))
        finally:
            os.close(writer)  # readers see the end of the queue once it is empty
        # Objects that exist now are never collected in a child: no copy of their pages.
        gc.freeze()
        try:
            for _ in range(max(0, workers - 1)):
                self._fork()
        finally:
            gc.unfreeze()

    def _fork(self) -> None:
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(reader)
            self._serve(writer)
        os.close(writer)
        self._children.append((pid, reader))

    def _serve(self, writer: int) -> None:
        code = 1
        try:
            done: list[tuple[int, list[Result]]] = []
            try:
                self._take(done)
                code = 0
            finally:
                with os.fdopen(writer, "wb") as out:
                    out.write(pickle.dumps(done, pickle.HIGHEST_PROTOCOL))
        finally:
            os._exit(code)  # no atexit handlers, no flushing of the parent's buffers

    def _take(self, done: list[tuple[int, list[Result]]]) -> None:
        work, items, queue = self._work, self._items, self._queue
        assert queue is not None
        while chunk := os.read(queue, 1):
            start, stop = self._chunks[chunk[0]]
            done.append((chunk[0], [work(item) for item in items[start:stop]]))

    def results(self) -> list[Result]:
        """Every item's result, in the order of `items`; the caller works until none is left."""
        done: list[tuple[int, list[Result]]] = []
        try:
            self._take(done)
            self._close_queue()
            by_chunk = dict(done)
            for pid, reader in self._children:
                by_chunk.update(_collect(pid, reader))
            self._children = []
            results: list[Result] = []
            for index, (start, stop) in enumerate(self._chunks):
                part = by_chunk.get(index)
                if part is None:  # lost with its process: done here
                    part = [self._work(item) for item in self._items[start:stop]]
                results.extend(part)
        finally:
            self.close()
        return results

    def _close_queue(self) -> None:
        if self._queue is not None:
            os.close(self._queue)
            self._queue = None

    def close(self) -> None:
        """Stop the processes without waiting for their results (the caller failed)."""
        self._close_queue()
        for pid, reader in self._children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.close(reader)
            os.waitpid(pid, 0)
        self._children = []


def _collect(pid: int, reader: int) -> list[tuple[int, list[Result]]]:
    with os.fdopen(reader, "rb") as stream:
        payload = stream.read()
    os.waitpid(pid, 0)
    try:
        found: list[tuple[int, list[Result]]] = pickle.loads(payload)
    except Exception:  # cut short: its chunks are done again
        return []
    return found
