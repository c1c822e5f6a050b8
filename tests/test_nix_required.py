"""Without nix-instantiate, Nix-marked tests skip on a laptop and fail in CI.

The suite itself is run (two of its tests: one marked `nix`, one not) in a child
pytest whose PATH holds no nix-instantiate, once as a developer runs it and once
with PORTLINT_REQUIRE_NIX=1 as `.ci/run` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REQUIRE_NIX_ENV, ROOT

NEEDS_NIX = "tests/test_nixeval.py::test_detailed_types"
NEEDS_NO_NIX = "tests/test_nixeval.py::test_split_option_inverts_show_option"


def _pytest_without_nix(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    empty = tmp_path / "bin"
    empty.mkdir()
    environment = {k: v for k, v in os.environ.items() if k != REQUIRE_NIX_ENV}
    environment.update(PATH=str(empty), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", NEEDS_NIX, NEEDS_NO_NIX],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _summary(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout.strip().splitlines()[-1].split(" in ")[0]


def test_without_nix_a_developer_run_skips(tmp_path: Path) -> None:
    done = _pytest_without_nix(tmp_path)
    assert (done.returncode, _summary(done)) == (0, "1 passed, 1 skipped"), done.stdout


def test_without_nix_a_ci_run_fails(tmp_path: Path) -> None:
    done = _pytest_without_nix(tmp_path, **{REQUIRE_NIX_ENV: "1"})
    assert (done.returncode, _summary(done)) == (1, "1 passed, 1 error"), done.stdout
    assert "nix-instantiate not found: install Debian's nix-bin" in done.stdout


def test_ci_requires_nix() -> None:
    exports = [
        line.split("#")[0].strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.startswith("export ")
    ]
    assert f"export {REQUIRE_NIX_ENV}=1" in exports
