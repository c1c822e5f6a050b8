"""Shared helpers: realistic trees copied from tests/fixtures, and the real CLI.

Tests that need the real Nix evaluator carry the `nix` marker; this file alone
decides what happens when `nix-instantiate` is missing: a skip on a developer's
machine, a failure when PORTLINT_REQUIRE_NIX=1 (CI sets it: a run that skipped
the judge must not pass).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from nixeval import nix_available

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
AXIOS = FIXTURES / "axios"
REGISTRY = ROOT / "ports.md"
SEED_REGISTRY = FIXTURES / "registry" / "seed-ports.md"

REQUIRE_NIX_ENV = "PORTLINT_REQUIRE_NIX"
NIX_MISSING = "nix-instantiate not found: install Debian's nix-bin (apt-get install nix-bin)"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"nix: needs nix-instantiate (skipped without it, a failure with {REQUIRE_NIX_ENV}=1)",
    )


@cache
def _nix_available() -> bool:
    return nix_available()


def nix_required() -> bool:
    return os.environ.get(REQUIRE_NIX_ENV, "") not in ("", "0")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """The one place a missing Nix is handled, before any fixture runs."""
    if item.get_closest_marker("nix") is None or _nix_available():
        return
    if nix_required():
        pytest.fail(f"{NIX_MISSING} ({REQUIRE_NIX_ENV} is set)", pytrace=False)
    pytest.skip(NIX_MISSING)


@dataclass
class AxiosTree:
    """A writable copy of the bundled example: modules/ plus ports.md."""

    root: Path

    @property
    def modules(self) -> Path:
        return self.root / "modules"

    @property
    def registry(self) -> Path:
        return self.root / "ports.md"

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace exactly one occurrence, so a test breaks the tree in one known way."""
        path = self.root / relative
        text = path.read_text()
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {relative}"
        path.write_text(text.replace(old, new))

    def write(self, relative: str, content: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path


@pytest.fixture
def axios_tree(tmp_path: Path) -> AxiosTree:
    shutil.copytree(AXIOS / "modules", tmp_path / "modules")
    shutil.copyfile(REGISTRY, tmp_path / "ports.md")
    return AxiosTree(tmp_path)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_portlint(*args: str | Path, cwd: Path) -> Run:
    """The real command, in a fresh interpreter, as CI and pre-commit run it."""
    cache_before = _repository_cache_state()
    completed = subprocess.run(
        [sys.executable, "-m", "axios_portlint", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if _repository_cache_state() != cache_before:
        assert_no_repository_cache(f"portlint {' '.join(map(str, args))} (in {cwd})")
    return Run(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def portlint() -> Callable[..., Run]:
    return run_portlint


def fixture_settings(folder: Path, *fixtures: str) -> Path:
    """A settings file in `folder` whose tree is `fixtures` (paths below ROOT), for a run at ROOT.

    Inside this repository a path named on the command line only narrows the report
    of the whole project (every fixture at once); a settings file's `paths` are the tree.
    """
    settings = folder / "portlint.toml"
    trees = ", ".join(repr(str(ROOT / fixture)) for fixture in fixtures)
    settings.write_text(f"paths = [{trees}]\nregistry = {str(ROOT / 'ports.md')!r}\n")
    return settings


def run_importtime(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`portlint ARGS` under `python -X importtime`: stderr names every module it imported."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "axios_portlint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# -- no test reads a cache left in the repository ----------------------------------------
# `portlint check` keeps .portlint_cache/ in its working directory. One left in the
# repository root (by `make run`, or a test run from there) once let a broken
# extractor pass: its old results were reused. So CLI tests run in tmp_path or pass
# --no-cache, a cache found in the root is moved aside for the session, and any
# run that writes one there fails the test that made it (a cache another pytest
# session puts back meanwhile is not this run's doing).
REPOSITORY_CACHE = ROOT / ".portlint_cache"


def _repository_cache_state() -> int | None:
    """When the repository's cache was last written (None: there is none)."""
    try:
        return (REPOSITORY_CACHE / "results.json").stat().st_mtime_ns
    except OSError:
        return 0 if REPOSITORY_CACHE.exists() else None


def assert_no_repository_cache(what: str) -> None:
    assert not REPOSITORY_CACHE.exists(), (
        f"{what} left {REPOSITORY_CACHE}: run it in tmp_path or pass --no-cache, so "
        "that no later run reuses results of other code"
    )


@pytest.fixture(scope="session", autouse=True)
def _repository_cache_moved_aside(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    aside = tmp_path_factory.mktemp("repository-cache") / REPOSITORY_CACHE.name
    found = REPOSITORY_CACHE.exists()
    if found:
        shutil.move(REPOSITORY_CACHE, aside)
    yield
    left = REPOSITORY_CACHE.exists()  # made by a run outside run_portlint
    if left:
        shutil.rmtree(REPOSITORY_CACHE)
    if found:
        shutil.move(aside, REPOSITORY_CACHE)  # the developer's own cache, as it was
    assert not left, f"a test left {REPOSITORY_CACHE}: run it in tmp_path or pass --no-cache"
