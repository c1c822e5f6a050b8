"""The cache and the process pool never change an answer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, ROOT, AxiosTree, Run

from axios_portlint import __version__
from axios_portlint.discover import discover
from axios_portlint.extract.batch import extract_all
from axios_portlint.extract.cache import (
    CACHE_DIR,
    EMPTY,
    FILE_NAME,
    Cache,
    code_key,
    content_key,
    signing_key,
)
from axios_portlint.extract.signed import _signature
from axios_portlint.model import FileResult, Kind, SourceFile

TREES = sorted({path.parent for path in FIXTURES.rglob("*.nix")}, key=lambda path: path.as_posix())


def sources_of(folder: Path) -> tuple[SourceFile, ...]:
    return discover([folder], cwd=FIXTURES).files


def plain(sources: tuple[SourceFile, ...]) -> list[FileResult]:
    return extract_all(sources, None, workers=1)


def read_document(folder: Path) -> dict[str, Any]:
    signature, _, payload = (folder / FILE_NAME).read_bytes().partition(b"\n")
    key = signing_key()
    assert key is not None
    assert signature.decode() == _signature(key, payload)
    document: dict[str, Any] = json.loads(payload)
    return document


def write_signed(folder: Path, document: dict[str, Any]) -> None:
    """A cache file as this machine would sign it: only its content can make it a miss."""
    key = signing_key()
    assert key is not None
    payload = json.dumps(document).encode()
    (folder / FILE_NAME).write_bytes(_signature(key, payload).encode() + b"\n" + payload)


@pytest.mark.parametrize("folder", TREES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_pool_and_cache_give_the_same_results(folder: Path, tmp_path: Path) -> None:
    sources = sources_of(folder)
    expected = plain(sources)
    assert extract_all(sources, None, workers=2, pool_threshold=1) == expected
    cold = extract_all(sources, Cache(tmp_path / CACHE_DIR), workers=1)
    warm = extract_all(sources, Cache(tmp_path / CACHE_DIR), workers=1)
    assert cold == warm == expected


def test_a_warm_run_reads_every_result_from_the_cache(tmp_path: Path) -> None:
    sources = sources_of(FIXTURES / "axios")
    extract_all(sources, Cache(tmp_path), workers=1)
    cache = Cache(tmp_path)
    entries = read_document(tmp_path)["entries"]
    assert all(cache.get(key) is not None for key in entries)
    assert len(entries) == len(sources)


def test_changed_content_is_parsed_again(tmp_path: Path) -> None:
    source = SourceFile(
        "m.nix",
        b"{ lib, ... }: { options.a.port = lib.mkOption { type = lib.types.port; default = 1; }; }",
    )
    changed = SourceFile("m.nix", source.data.replace(b"default = 1", b"default = 2"))
    (first,) = extract_all([source], Cache(tmp_path), workers=1)
    (second,) = extract_all([changed], Cache(tmp_path), workers=1)
    assert (first.decls[0].port, second.decls[0].port) == (1, 2)


@pytest.mark.parametrize(
    "content",
    [
        "not json at all",
        json.dumps({"format": 1, "version": "0.0.0-foreign", "entries": {}}),
        json.dumps({"format": 99, "version": __version__, "entries": {}}),
        "[1, 2, 3]",
        "0" * 64 + "\n{}",
    ],
)
def test_a_corrupt_or_foreign_cache_is_ignored(tmp_path: Path, content: str) -> None:
    sources = sources_of(FIXTURES / "axios")
    (tmp_path / FILE_NAME).write_text(content)
    assert extract_all(sources, Cache(tmp_path), workers=1) == plain(sources)


def test_a_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    sources = sources_of(FIXTURES / "axios")
    extract_all(sources, Cache(tmp_path), workers=1)
    document = read_document(tmp_path)
    damaged = 0
    for entry in document["entries"].values():
        for decl in entry[0] if entry != EMPTY else []:
            decl["port"] = "8080; rm -rf /"  # wrong type: never trusted
            decl["kind"] = "nonsense"
            damaged += 1
    assert damaged
    write_signed(tmp_path, document)
    assert extract_all(sources, Cache(tmp_path), workers=1) == plain(sources)


def planted(tmp_path: Path, code: str) -> tuple[SourceFile, FileResult]:
    """A correctly signed cache whose one entry says something the file does not."""
    source = SourceFile(
        "m.nix",
        b"{ lib, ... }: { options.a.port = lib.mkOption { type = lib.types.port; default = 1; }; }",
    )
    (real,) = plain((source,))
    Cache(tmp_path).put(content_key(source.path, source.data), real)
    extract_all([source], Cache(tmp_path), workers=1)
    document = read_document(tmp_path)
    (entry,) = document["entries"].values()
    entry[0][0]["port"] = 2
    document["code"] = code
    write_signed(tmp_path, document)
    return source, real


def test_entries_made_by_other_code_are_never_reused(tmp_path: Path) -> None:
    # The planted port shows the entry is read when the code key matches, and not otherwise.
    source, real = planted(tmp_path, code_key())
    (reused,) = extract_all([source], Cache(tmp_path), workers=1)
    assert reused.decls[0].port == 2
    source, real = planted(tmp_path, "0" * 32)
    assert extract_all([source], Cache(tmp_path), workers=1) == [real]


def test_one_changed_byte_fails_the_signature(tmp_path: Path) -> None:
    source, real = planted(tmp_path, code_key())
    data = (tmp_path / FILE_NAME).read_bytes()
    assert b'"port": 2' in data
    (tmp_path / FILE_NAME).write_bytes(data.replace(b'"port": 2', b'"port": 3'))
    assert extract_all([source], Cache(tmp_path), workers=1) == [real]


def test_a_file_without_ports_is_stored_as_a_bare_zero(tmp_path: Path) -> None:
    sources = (
        SourceFile("empty.nix", b'{ lib, ... }: { options.a = lib.mkEnableOption "a"; }'),
        SourceFile("port.nix", b"{ config.services.a.port = 80; }"),
    )
    expected = plain(sources)
    extract_all(sources, Cache(tmp_path), workers=1)
    entries = read_document(tmp_path)["entries"]
    assert entries[content_key(*astuple(sources[0]))] == EMPTY
    assert entries[content_key(*astuple(sources[1]))] != EMPTY
    assert extract_all(sources, Cache(tmp_path), workers=1) == expected
    assert expected[1].decls[0].kind is Kind.LOCAL


def test_cli_caches_by_default_and_not_with_no_cache(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    run = portlint
    result = run("--no-cache", cwd=axios_tree.root)
    assert result.code == 0
    assert not (axios_tree.root / CACHE_DIR).exists()
    first = run(cwd=axios_tree.root)
    second = run(cwd=axios_tree.root)
    assert first.stdout == second.stdout == result.stdout
    assert (axios_tree.root / CACHE_DIR / ".gitignore").read_text().endswith("*\n")
    axios_tree.edit("modules/services/immich.nix", "local = 2283;", "local = 11434;")
    assert run(cwd=axios_tree.root).code == 1  # the edited file is parsed again


# Appended to the module that defines extract_file, in a copy of the package: the
# "changed code" of the test below. Its version string is the same; its bytes are not.
CHANGED_EXTRACTOR = """

# Appended by tests/test_cache.py: this copy's extractor forgets every declaration.
_extract_file_as_released = extract_file


def extract_file(source):
    import dataclasses

    return dataclasses.replace(_extract_file_as_released(source), decls=())
"""


def _changed_package(folder: Path) -> dict[str, str]:
    """A copy of axios_portlint whose extractor differs, and the environment that runs it."""
    package = folder / "axios_portlint"
    shutil.copytree(ROOT / "axios_portlint", package, ignore=shutil.ignore_patterns("__pycache__"))
    defining = [p for p in package.rglob("*.py") if "\ndef extract_file(" in p.read_text()]
    assert len(defining) == 1, f"extract_file is defined in {defining}"
    with defining[0].open("a") as stream:
        stream.write(CHANGED_EXTRACTOR)
    env = {**os.environ, "PYTHONPATH": str(folder)}
    probe = subprocess.run(
        [sys.executable, "-c", "import axios_portlint; print(axios_portlint.__file__)"],
        cwd=folder.parent,  # as `-m` runs it: the working directory, then PYTHONPATH
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == str(package / "__init__.py")  # the copy runs, not ROOT's
    return env


def test_a_cache_made_by_other_code_is_not_reused(
    axios_tree: AxiosTree, portlint: Callable[..., Run], tmp_path: Path
) -> None:
    """The cache key covers the code itself, not only __version__.

    Between two commits the version string stays the same while the extractor
    changes; results cached by the old code must not stand in for the new code's.
    """
    env = _changed_package(tmp_path / "changed")

    def changed_code(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "axios_portlint", *args],
            cwd=axios_tree.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    fresh = changed_code("check", "--no-cache")
    assert fresh.returncode == 1, fresh.stderr  # no declarations: the registry's rows are orphans
    assert portlint("check", cwd=axios_tree.root).code == 0  # the released code warms the cache
    assert (axios_tree.root / CACHE_DIR).exists()
    warm = changed_code("check")
    assert (warm.returncode, warm.stdout) == (fresh.returncode, fresh.stdout), (
        "the changed extractor reused results the released code cached: the cache key "
        "must cover the code (not only __version__)"
    )
