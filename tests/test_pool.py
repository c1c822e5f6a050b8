"""The forked pool (extract/pool.py) gives every result once, in order, whatever a worker does."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES

from axios_portlint.discover import discover_stats
from axios_portlint.extract import batch
from axios_portlint.extract.batch import extract_found
from axios_portlint.extract.cache import Cache
from axios_portlint.extract.pool import Pool
from axios_portlint.model import HostMap

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the pool forks")

PARENT = os.getpid()


def square(value: int) -> int:
    return value * value


def test_results_come_back_in_order_from_every_process() -> None:
    items = list(range(1000))
    pids: set[int] = set()

    def work(value: int) -> tuple[int, int]:
        pids.add(os.getpid())
        return square(value), os.getpid()

    results = Pool(items, work, 3).results()
    assert [value for value, _ in results] == [square(value) for value in items]
    # The caller joined late (after forking two), so the workers did chunks too.
    assert {pid for _, pid in results} - {PARENT}


def test_a_worker_that_dies_loses_nothing() -> None:
    def work(value: int) -> int:
        if os.getpid() != PARENT:
            os._exit(3)  # a worker killed mid-chunk: no results at all
        return square(value)

    assert Pool(list(range(300)), work, 2).results() == [square(v) for v in range(300)]


def test_an_error_in_the_work_is_the_callers_own() -> None:
    def work(value: int) -> int:
        if value == 250:
            raise ValueError("bad item")
        return value

    with pytest.raises(ValueError, match="bad item"):
        Pool(list(range(300)), work, 2).results()


def test_close_stops_the_workers() -> None:
    def work(value: int) -> int:
        return value

    pool = Pool(list(range(5000)), work, 3)
    children = [pid for pid, _ in pool._children]
    pool.close()
    for pid in children:
        with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
            os.waitpid(pid, os.WNOHANG)


@pytest.mark.parametrize("tree", ["cairn", "listeners", "parse"])
def test_forked_extraction_equals_one_process(
    tree: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers that read their own files (no cache) or get them read (cache) agree with one
    process: results, notes and problems. The files this process read are its own share
    only when workers read theirs."""
    files = discover_stats([FIXTURES / tree], cwd=FIXTURES).files

    def note(source: object) -> str:
        return repr(source)[:40]

    alone = extract_found(files, None, max_bytes=10**7, note=note, workers=1)
    monkeypatch.setattr(batch, "POOL_THRESHOLD", 1)
    forked = extract_found(files, None, max_bytes=10**7, note=note, workers=2)
    cached = extract_found(files, Cache(tmp_path), max_bytes=10**7, note=note, workers=2)
    assert (forked.results, forked.notes, forked.problems) == (
        alone.results,
        alone.notes,
        alone.problems,
    )
    assert set(forked.read) <= set(alone.read)
    assert cached == alone
    assert len(alone.results) == len(files) - len(alone.problems) == len(alone.read)


HOST_TREES = [
    "hosts/flake-set",
    "hosts/host-folders",
    "hosts/test-nodes",
    "hosts/unread-host-set",
    "hosts/module-library",
    "listeners/two-hosts",
    "axios/modules",  # a module library: no host
]


@pytest.mark.parametrize("tree", HOST_TREES)
def test_a_check_finds_the_same_hosts_forked_and_from_the_cache(
    tree: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forked workers read files the caller then never reads, and a warm run reads none:
    the hosts pass still gets the same hosts, told from each file's note."""
    from axios_portlint.api import check

    def hosts_and_findings(cache_dir: Path | None = None) -> tuple[HostMap | None, object]:
        report = check([FIXTURES / tree], cwd=FIXTURES, no_registry=True, cache_dir=cache_dir)
        return report.inventory.hosts, report.findings

    monkeypatch.setattr(batch, "_spare_cores", lambda: 1)
    alone = hosts_and_findings()
    monkeypatch.setattr(batch, "_spare_cores", lambda: 2)
    forked = hosts_and_findings()
    cold = hosts_and_findings(tmp_path)
    warm = hosts_and_findings(tmp_path)
    assert forked == cold == warm == alone
    hosts = alone[0]
    assert hosts is not None
    assert bool(hosts.hosts or hosts.unread_files) is (tree != "axios/modules")


@pytest.mark.parametrize(("others", "spare"), [(0, 4), (1, 3), (2, 2), (3, 1), (9, 1)])
def test_workers_only_on_cores_nobody_else_wants(
    others: int, spare: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a busy machine a worker only slows the others down: what runs now decides."""
    monkeypatch.setattr(batch, "_cores", lambda: 4)
    monkeypatch.setattr(batch, "_others_running", lambda: others)
    assert batch._spare_cores() == spare


@pytest.mark.parametrize(("load", "spare"), [(0.2, 4), (1.0, 3), (2.0, 2), (3.0, 1), (9.0, 1)])
def test_without_a_runnable_count_the_load_average_decides(
    load: float, spare: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "_cores", lambda: 4)
    monkeypatch.setattr(batch, "_others_running", lambda: None)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert batch._spare_cores() == spare


@pytest.mark.skipif(not Path("/proc/loadavg").exists(), reason="Linux only")
def test_the_runnable_count_counts_a_busy_process() -> None:
    """A process spinning beside this one is one more runnable process (the count
    includes this test's own process, which `_others_running` leaves out)."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        counts = []
        for _ in range(50):
            counts.append(batch._others_running())
            time.sleep(0.01)
    finally:
        spinner.kill()
        spinner.wait()
    assert all(isinstance(count, int) and count >= 0 for count in counts)
    assert max(c for c in counts if c is not None) >= 1


def test_no_fork_while_another_thread_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fork copies the locks other threads hold, never their release: work stays here."""
    import threading

    monkeypatch.setattr(batch, "_spare_cores", lambda: 2)
    forked = batch._start(list(range(10)), square, None, 1)
    assert isinstance(forked, Pool)
    assert forked.results() == [square(value) for value in range(10)]
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        work = batch._start(list(range(10)), square, None, 1)
        assert not isinstance(work, Pool)
        assert work.results() == [square(value) for value in range(10)]
    finally:
        release.set()
        thread.join()
