"""The stat-keyed fast path: a warm scan reads no file, and never answers for a changed one.

Every test compares the cached scan with a scan without a cache of the same tree:
the fast path may only save work, never change an answer. The reading and the
extracting are counted by wrapping the real functions (they still run).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import AxiosTree, run_importtime

from axios_portlint.api import Inventory, scan
from axios_portlint.discover import read_file as discovered
from axios_portlint.extract import batch, declarations
from axios_portlint.extract.cache import CACHE_DIR, FILE_NAME
from axios_portlint.extract.replay import RUN_FILES
from axios_portlint.model import FileProblem

SUPPRESSED = (
    "{ lib, ... }:\n{\n  # portlint: ignore[PL003]\n"
    "  options.extra.port = lib.mkOption { type = lib.types.port; default = 7001; };\n"
    '  description = "# portlint: ignore is only a string here";\n}\n'
)


class Counts:
    def __init__(self) -> None:
        self.read: list[str] = []
        self.extracted: list[str] = []


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counts]:
    seen = Counts()
    real_extract = declarations.extract_file

    def read_file(file: Any, max_bytes: int) -> Any:
        seen.read.append(file.display)
        return discovered(file, max_bytes)

    def extract_file(source: Any) -> Any:
        seen.extracted.append(source.path)
        return real_extract(source)

    monkeypatch.setattr(batch, "read_file", read_file)
    monkeypatch.setattr(declarations, "extract_file", extract_file)
    yield seen


def scans(tree: AxiosTree) -> Callable[[], tuple[Inventory, Inventory]]:
    """A cached scan and the same scan without a cache, for comparison."""

    def both() -> tuple[Inventory, Inventory]:
        kwargs: dict[str, Any] = {"cwd": tree.root, "with_suppressions": True}
        cached = scan([Path("modules")], cache_dir=tree.root / CACHE_DIR, **kwargs)
        return cached, scan([Path("modules")], **kwargs)

    return both


@pytest.fixture
def tree(axios_tree: AxiosTree) -> AxiosTree:
    axios_tree.write("modules/extra.nix", SUPPRESSED)
    return axios_tree


def test_a_warm_scan_reads_no_file_and_answers_the_same(tree: AxiosTree, counts: Counts) -> None:
    cold, plain = scans(tree)()
    assert cold == plain
    assert len(plain.suppressions) == 1  # the comment, not the string
    assert plain.suppressions[0].codes == ("PL003",)
    counts.read.clear()
    counts.extracted.clear()
    warm = scan(
        [Path("modules")], cwd=tree.root, cache_dir=tree.root / CACHE_DIR, with_suppressions=True
    )
    assert warm == plain
    assert (counts.read, counts.extracted) == ([], [])


def test_a_touched_file_is_read_again_but_not_parsed(tree: AxiosTree, counts: Counts) -> None:
    scans(tree)()
    path = tree.modules / "extra.nix"
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 10**9))
    counts.read.clear()
    counts.extracted.clear()
    warm, plain = scans(tree)()
    assert warm == plain
    # A fresh checkout looks like this: new times, same bytes; the content key still hits.
    assert counts.read.count("modules/extra.nix") == 2  # the cached scan, then the plain one
    assert counts.extracted.count("modules/extra.nix") == 1  # the plain scan only


@pytest.mark.parametrize(
    "new",
    [
        SUPPRESSED.replace("7001", "7002"),  # same size
        SUPPRESSED.replace("7001", "70010"),
        SUPPRESSED.replace("# portlint: ignore[PL003]", "# no longer ignored"),
    ],
    ids=["same-size", "longer", "suppression-removed"],
)
def test_an_edit_is_seen(tree: AxiosTree, counts: Counts, new: str) -> None:
    scans(tree)()
    path = tree.modules / "extra.nix"
    before = path.stat()
    path.write_text(new)
    # Even with the modification time put back, the change time gives the edit away.
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    warm, plain = scans(tree)()
    assert warm == plain
    assert any(decl.location.file == "modules/extra.nix" for decl in warm.decls)
    assert warm.suppressions == plain.suppressions


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{ a = 1; }\0", "binary file (contains NUL bytes)"),
        (b"{ a = \xff; }", "not valid UTF-8 at line 1, column 7"),
    ],
    ids=["binary", "not-utf8"],
)
def test_a_file_turned_bad_after_a_warm_run_is_reported(
    tree: AxiosTree, content: bytes, message: str
) -> None:
    scans(tree)()
    (tree.modules / "extra.nix").write_bytes(content)
    warm, plain = scans(tree)()
    assert warm == plain
    assert (
        FileProblem("modules/extra.nix", message, 1, warm.file_problems[0].column)
        in warm.file_problems
    )
    assert "modules/extra.nix" not in warm.files


def test_a_removed_or_replaced_file_is_not_answered_from_the_cache(tree: AxiosTree) -> None:
    scans(tree)()
    (tree.modules / "extra.nix").unlink()
    (tree.modules / "extra.nix").mkdir()  # now a folder of that name: not a source
    (tree.modules / "services" / "immich.nix").unlink()
    warm, plain = scans(tree)()
    assert warm == plain
    assert not any(decl.location.file.endswith(("extra.nix", "immich.nix")) for decl in warm.decls)


def test_the_same_bytes_under_another_path_are_their_own_entry(tree: AxiosTree) -> None:
    scans(tree)()
    (tree.modules / "extra.nix").rename(tree.modules / "moved.nix")
    warm, plain = scans(tree)()
    assert warm == plain
    assert {s.location.file for s in warm.suppressions} == {"modules/moved.nix"}


def test_a_fully_warm_check_imports_no_parser(tree: AxiosTree) -> None:
    def check() -> subprocess.CompletedProcess[str]:
        # Without the run cache (tests/test_replay.py): the per-file cache answers alone.
        for run in (tree.root / CACHE_DIR).glob(RUN_FILES):
            run.unlink()
        return run_importtime("check", cwd=tree.root)

    cold = check()
    assert "tree_sitter" in cold.stderr  # the probe works: a cold run parses
    assert (tree.root / CACHE_DIR / FILE_NAME).exists()
    warm = check()
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
    loaded = [line for line in warm.stderr.splitlines() if "tree_sitter" in line]
    assert loaded == []
    tree.edit("modules/extra.nix", "7001", "7002")
    assert "tree_sitter" in check().stderr  # one changed file: parsed again
