"""The issue-11 fixture (tests/fixtures/cairn/): valid Nix, and the target its EXPECTED.md states.

The target tests are strict xfails until issue 11's commands layer lands: they
fail today (EXPECTED.md, section 7, says how), and the day one of them passes,
pytest reports it, so its marker is removed and it guards the behaviour from then on.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import FIXTURES, Run, run_portlint
from nixeval import _env, _nix_instantiate, evaluate_tree

CAIRN = FIXTURES / "cairn"
REGISTRY = "openspec/specs/networking/ports.md"
EXPECTED = CAIRN / "EXPECTED.md"
SYNCED = CAIRN / "expected-synced-ports.md"
_BLOCK = re.compile(r"<!-- expected: (?P<name>[\w-]+) -->\n```text\n(?P<body>.*?)```", re.DOTALL)

needs_nix = pytest.mark.nix


def expected(name: str) -> str:
    blocks = {m["name"]: m["body"] for m in _BLOCK.finditer(EXPECTED.read_text(encoding="utf-8"))}
    return blocks[name]


@pytest.fixture
def cairn(tmp_path: Path) -> Path:
    root = tmp_path / "cairn"
    shutil.copytree(CAIRN, root)
    return root


def nix_files() -> list[Path]:
    return sorted(CAIRN.rglob("*.nix"))


@needs_nix
@pytest.mark.parametrize("path", nix_files(), ids=lambda p: str(p.relative_to(CAIRN)))
def test_every_file_is_valid_nix(path: Path) -> None:
    exe = _nix_instantiate()
    assert exe is not None
    with tempfile.TemporaryDirectory(prefix="portlint-nix-") as state:
        done = subprocess.run(
            [exe, "--parse", str(path)],
            env=_env(exe, Path(state)),
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr


@needs_nix
def test_nix_sees_the_listeners_expected_md_assumes() -> None:
    """Nix's verdict on the NixOS side: three named services on 443, no gateway listener.

    The `or 8085` reads declare nothing; `services.mcp-gateway.port` is no option of
    the tree. (home/ai/mcp.nix takes the flake's `inputs`, which the stub cannot give,
    so the home side is judged by mcp-gateway.nix alone.)
    """
    files = [
        CAIRN / "modules" / relative
        for relative in (
            "ai/default.nix",
            "desktop/default.nix",
            "networking/tailscale.nix",
            "pim/default.nix",
            "services/immich.nix",
        )
    ]
    ports = evaluate_tree([*files, CAIRN / "home" / "ai" / "mcp-gateway.nix"])
    seen = sorted((p.option, p.origin, p.port, p.state) for p in ports)
    assert seen == [
        ("cairn.immich.port", "option", 2283, "known"),
        ("networking.tailscale.services.<name>.port", "option", 443, "known"),
        ("networking.tailscale.services.cairn-immich.port", "tailscale-service", 443, "known"),
        ("networking.tailscale.services.cairn-llama.port", "tailscale-service", 443, "known"),
        ("networking.tailscale.services.cairn-mail.port", "tailscale-service", 443, "known"),
        ("services.ai.local.port", "option", 11434, "known"),
        ("services.cairn-mail.port", "config", 8080, "known"),
        ("services.immich.port", "config", 2283, "known"),
        ("services.pim.port", "option", 8080, "known"),
    ]


def test_the_blocks_of_expected_md_are_there() -> None:
    assert expected("check").endswith("in 11 files.\n")
    assert expected("sync").endswith("4 changes.\n")
    assert expected("sync-notes").startswith("portlint: note: ")


def test_synced_registry_changes_only_owned_cells() -> None:
    """Four cells and one inserted Reserved row; every other byte of the registry kept."""
    before = (CAIRN / REGISTRY).read_text(encoding="utf-8").splitlines(keepends=True)
    after = SYNCED.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = [
        line
        for line in difflib.unified_diff(before, after, n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == [
        "-| cairn-mail | 8080 | 8443 | `pim` | Active |\n",
        "-| Open WebUI | 8081 | 8444 | `ai.webui` | Active |\n",
        "+| cairn-mail | 8080 | cairn-mail (443) | `pim` | Active |\n",
        "+| Open WebUI | 8081 | 8444 | `ai.webui` | Removed |\n",
        "-| *Reserved* | 8084-8089 | — | — | Future |\n",
        "+| *Reserved* | 8084 | — | — | Future |\n",
        "+| *Reserved* | 8086-8089 | — | — | Future |\n",
        "-| Immich | 2283 | cairn-immich (443) | `selfHosted.immich` | Active |\n",
        "+| Immich | 2283 | cairn-immich (443) | `cairn.immich` | Active |\n",
    ]


def run_with_seed(seed: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "axios_portlint", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_output_is_the_same_under_two_hash_seeds(cairn: Path) -> None:
    args = ("check", "--no-cache", "--format", "json")
    first, second = (run_with_seed(seed, *args, cwd=cairn) for seed in ("0", "1"))
    assert first.returncode == second.returncode == 1
    assert first.stdout == second.stdout


# -- the target of issue 11 ---------------------------------------------------------------


def check_in(folder: Path, *args: str) -> Run:
    return run_portlint(*args, "--no-cache", cwd=folder)


def test_portlint_at_the_root(cairn: Path) -> None:
    run = check_in(cairn)
    assert (run.code, run.stdout, run.stderr) == (1, expected("check"), "")


@pytest.mark.parametrize("subfolder", ["modules", "home/ai"])
def test_portlint_from_a_subfolder(cairn: Path, subfolder: str) -> None:
    run = check_in(cairn / subfolder)
    assert (run.code, run.stdout, run.stderr) == (1, expected("check"), "")


def test_naming_the_registry_narrows_to_its_findings(cairn: Path) -> None:
    run = check_in(cairn, REGISTRY)
    lines = [line for line in expected("check").splitlines() if line.startswith(REGISTRY)]
    summary = "Found 4 findings (4 errors, 0 warnings, 0 info) in 1 file."
    assert (run.code, run.stdout) == (1, "\n".join([*lines, summary]) + "\n")


def test_naming_a_module_without_findings_passes(cairn: Path) -> None:
    run = check_in(cairn, "modules/pim/default.nix")
    assert (run.code, run.stdout) == (0, "All checks passed (1 file checked).\n")


def test_registry_sync_writes_the_expected_registry(cairn: Path) -> None:
    run = run_portlint("registry", "sync", cwd=cairn)
    assert (run.code, run.stdout) == (0, expected("sync"))
    assert run.stderr == expected("sync-notes")
    assert (cairn / REGISTRY).read_bytes() == SYNCED.read_bytes()
    again = run_portlint("registry", "sync", cwd=cairn)
    assert (again.code, again.stdout) == (0, f"{REGISTRY} is in sync with the code.\n")
    assert (cairn / REGISTRY).read_bytes() == SYNCED.read_bytes()


def test_sync_check_exits_1_on_drift(cairn: Path) -> None:
    run = run_portlint("registry", "sync", "--check", cwd=cairn)
    assert run.code == 1
    assert (cairn / REGISTRY).read_bytes() == (CAIRN / REGISTRY).read_bytes()


def test_after_sync_only_the_unresolved_port_remains(cairn: Path) -> None:
    shutil.copyfile(SYNCED, cairn / REGISTRY)
    run = check_in(cairn)
    first = expected("check").splitlines()[0]
    summary = "Found 1 finding (0 errors, 0 warnings, 1 info) in 11 files."
    assert (run.code, run.stdout) == (0, f"{first}\n{summary}\n")
