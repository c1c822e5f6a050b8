"""Shared helpers: realistic trees copied from tests/fixtures, and the real CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
AXIOS = FIXTURES / "axios"
REGISTRY = ROOT / "ports.md"
SEED_REGISTRY = FIXTURES / "registry" / "seed-ports.md"


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
    completed = subprocess.run(
        [sys.executable, "-m", "axios_portlint", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def portlint() -> Callable[..., Run]:
    return run_portlint
