"""The pre-commit hook, run by the real pre-commit in a throwaway git repository.

pre-commit installs the hook the way a user's machine would: it clones the hook
repository at a commit, creates a virtualenv and pip-installs portlint into it (from
PyPI's packages). That takes a while, so the whole module shares one PRE_COMMIT_HOME
and installs once.

The hook repository is a snapshot of this checkout: the tree of HEAD plus the working
copy of `.pre-commit-hooks.yaml`, committed in a fresh repository. `pre-commit try-repo`
would not do: it makes a new store in a temporary folder on every call (so every run
reinstalls), and it carries over tracked changes only, not a new hook file. In CI, a
fresh clone, HEAD is the working tree, so the snapshot is exactly what is submitted;
on a developer's machine it keeps others' unfinished edits out of the hook.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import AXIOS, REGISTRY, ROOT

HOOK_MANIFEST = ROOT / ".pre-commit-hooks.yaml"
TIMEOUT_SECONDS = 900  # the first run builds the hook's virtualenv from PyPI

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(),
    reason="needs git and a git checkout of axios-portlint",
)


def _git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Git without the machine's own configuration, so only what a test sets applies."""
    env = dict(os.environ)
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        NO_COLOR="1",
    )
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(name, None)
    env.update(extra or {})
    return env


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        ["git", *args],
        cwd=repo,
        env=env or _git_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, f"git {' '.join(args)}: {completed.stderr}"
    return completed.stdout


def _new_repo(path: Path) -> None:
    _git(path, "init", "--quiet", "--initial-branch=main")
    _git(path, "config", "user.name", "portlint tests")
    _git(path, "config", "user.email", "portlint-tests@example.invalid")
    _git(path, "config", "commit.gpgsign", "false")


def _commit_all(repo: Path, message: str) -> str:
    _git(repo, "add", "--all")
    _git(repo, "commit", "--quiet", "--no-verify", "-m", message)
    return _git(repo, "rev-parse", "HEAD").strip()


@dataclass(frozen=True)
class HookRepo:
    path: Path
    rev: str


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    """This checkout's HEAD with the working copy of the hook manifest, as a git repo."""
    path = tmp_path_factory.mktemp("portlint-hook-repo")
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"],
        cwd=ROOT,
        env=_git_env(),
        capture_output=True,
        timeout=120,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(path, filter="data")
    shutil.copyfile(HOOK_MANIFEST, path / HOOK_MANIFEST.name)
    _new_repo(path)
    return HookRepo(path, _commit_all(path, "portlint under test"))


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    yield home
    shutil.rmtree(home, ignore_errors=True)


@dataclass
class AxiosRepo:
    root: Path
    env: dict[str, str]

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text()
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {relative}"
        path.write_text(text.replace(old, new))

    def git(self, *args: str) -> str:
        return _git(self.root, *args, env=self.env)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )

    def pre_commit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "-m", "pre_commit", *args, "--color", "never")


@pytest.fixture
def axios_repo(tmp_path: Path, hook_repo: HookRepo, pre_commit_home: Path) -> AxiosRepo:
    """An axios-like repository whose .pre-commit-config.yaml uses the portlint hook."""
    root = tmp_path / "axios"
    shutil.copytree(AXIOS / "modules", root / "modules")
    shutil.copyfile(REGISTRY, root / "ports.md")
    (root / "README.md").write_text("# axios\n")
    config = {
        "repos": [
            {"repo": str(hook_repo.path), "rev": hook_repo.rev, "hooks": [{"id": "portlint"}]}
        ]
    }
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    _new_repo(root)
    env = _git_env({"PRE_COMMIT_HOME": str(pre_commit_home)})
    repo = AxiosRepo(root, env)
    _commit_all(root, "axios modules and their port registry")
    return repo


def test_manifest_declares_a_whole_tree_hook() -> None:
    (hook,) = yaml.safe_load(HOOK_MANIFEST.read_text())
    assert hook["id"] == "portlint"
    assert hook["language"] == "python"
    assert hook["entry"] == "portlint"
    assert hook["pass_filenames"] is False
    assert hook["require_serial"] is True
    assert hook["files"] == r"(\.nix|(^|/)ports\.md)$"


def test_clean_tree_passes(axios_repo: AxiosRepo) -> None:
    done = axios_repo.pre_commit("run", "--all-files")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "portlint (NixOS module ports vs ports.md)" in output
    assert "Passed" in output


def test_commit_with_a_port_conflict_is_refused(axios_repo: AxiosRepo) -> None:
    axios_repo.run(sys.executable, "-m", "pre_commit", "install")
    head = axios_repo.git("rev-parse", "HEAD")
    # Immich's local port moved onto the LLM API's 11434.
    axios_repo.edit(
        "modules/services/immich.nix", "local = 2283;", "local = 11434; # clashes with ollama"
    )
    axios_repo.git("add", "modules/services/immich.nix")

    done = axios_repo.run("git", "commit", "-m", "move immich")
    output = done.stdout + done.stderr

    assert done.returncode != 0, output
    assert "Failed" in output
    assert (
        "modules/services/immich.nix:16:17: PL001 [error] local port 11434 of "
        "axios.immich.port is also the default of services.ai.local.port "
        "(modules/ai/default.nix:16:17)"
    ) in output
    assert axios_repo.git("rev-parse", "HEAD") == head, "the commit went through"


def test_registry_change_alone_rechecks_the_tree(axios_repo: AxiosRepo) -> None:
    axios_repo.edit("ports.md", "| Immich | 2283 | 8460 |", "| Immich | 2284 | 8460 |")
    axios_repo.git("add", "ports.md")

    done = axios_repo.pre_commit("run")
    output = done.stdout + done.stderr

    assert done.returncode == 1, output
    assert "PL005" in output
    assert "registers 2284 as the Local Port of 'Immich'" in output


def test_change_to_neither_modules_nor_registry_skips_the_hook(axios_repo: AxiosRepo) -> None:
    # The tree is broken but unstaged; only README.md is staged.
    axios_repo.edit("modules/services/immich.nix", "local = 2283;", "local = 11434;")
    (axios_repo.root / "README.md").write_text("# axios\n\nNixOS modules.\n")
    axios_repo.git("add", "README.md")

    done = axios_repo.pre_commit("run")
    output = done.stdout + done.stderr

    assert done.returncode == 0, output
    assert "(no files to check)Skipped" in output


@pytest.mark.parametrize("doc", ["README.md", "docs/ci.md"])
def test_documented_configs_name_this_hook(doc: str) -> None:
    ids = {hook["id"] for hook in yaml.safe_load(HOOK_MANIFEST.read_text())}
    blocks = re.findall(r"^```yaml\n(.*?)^```$", (ROOT / doc).read_text(), re.M | re.S)
    configs = [c for c in map(yaml.safe_load, blocks) if isinstance(c, dict) and "repos" in c]
    assert configs, f"{doc} shows no .pre-commit-config.yaml"
    for config in configs:
        (repo,) = config["repos"]
        assert {hook["id"] for hook in repo["hooks"]} <= ids


@pytest.mark.parametrize("doc", ["README.md", "docs/ci.md"])
def test_documented_local_hook_runs_the_installed_portlint(
    doc: str, tmp_path: Path, pre_commit_home: Path
) -> None:
    """The `repo: local` config the docs show, as written, with portlint on the PATH."""
    blocks = re.findall(r"^```yaml\n(.*?)^```$", (ROOT / doc).read_text(), re.M | re.S)
    (config,) = [b for b in blocks if "repos:" in b and "repo: local" in b]
    root = tmp_path / "axios"
    shutil.copytree(AXIOS / "modules", root / "modules")
    shutil.copyfile(REGISTRY, root / "ports.md")
    (root / ".pre-commit-config.yaml").write_text(config)
    _new_repo(root)
    bin_dir = Path(sys.executable).parent  # where this environment installed `portlint`
    assert (bin_dir / "portlint").exists()
    env = _git_env({"PRE_COMMIT_HOME": str(pre_commit_home)})
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    repo = AxiosRepo(root, env)
    _commit_all(root, "axios modules and their port registry")

    done = repo.pre_commit("run", "--all-files")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "portlint (NixOS module ports vs ports.md)" in done.stdout + done.stderr

    repo.edit("modules/services/immich.nix", "local = 2283;", "local = 11434;")
    done = repo.pre_commit("run", "--all-files")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "PL001" in done.stdout + done.stderr
