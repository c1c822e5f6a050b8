"""Project-root discovery (discover.root): real folder trees, a real git repository and worktree.

Every tree is built under tmp_path and searched with `ceiling=tmp_path`, so a
marker above the test's folder (a developer's home) cannot change the answer,
exactly as GIT_CEILING_DIRECTORIES keeps git inside a folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES

from axios_portlint.config import find_config
from axios_portlint.discover import SKIPPED_NAMES, discover
from axios_portlint.discover.root import (
    PROJECT_EXCLUDES,
    REGISTRY_PLACES,
    Marker,
    ProjectRoot,
    find_project_root,
    has_portlint_table,
    is_inside,
    project_of,
    targets_of,
)
from axios_portlint.extract.cache import CACHE_DIR

CAIRN = FIXTURES / "cairn"
CAIRN_NIX_FILES = [
    "flake.nix",
    "home/ai/default.nix",
    "home/ai/mcp-gateway.nix",
    "home/ai/mcp.nix",
    "home/default.nix",
    "modules/ai/default.nix",
    "modules/default.nix",
    "modules/desktop/default.nix",
    "modules/networking/tailscale.nix",
    "modules/pim/default.nix",
    "modules/services/immich.nix",
]


def tree(root: Path, *files: str) -> Path:
    """Create `files` (a trailing `/` makes a folder) below `root`; return `root`."""
    for name in files:
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("{ }\n" if name.endswith(".nix") else "")
    return root


def root_of(start: Path, ceiling: Path) -> tuple[Path, Marker] | None:
    found = find_project_root(start, ceiling=ceiling)
    return None if found is None else (found.path, found.marker)


def git(*args: str, cwd: Path) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


# -- markers, one at a time -------------------------------------------------------------


@pytest.mark.parametrize(
    ("marker_file", "marker"),
    [
        ("portlint.toml", Marker.PORTLINT_TOML),
        ("ports.md", Marker.REGISTRY),
        ("openspec/specs/networking/ports.md", Marker.REGISTRY),
        ("flake.nix", Marker.FLAKE),
        (".git/", Marker.GIT),
    ],
)
def test_each_marker_found_from_a_deep_subfolder(
    tmp_path: Path, marker_file: str, marker: Marker
) -> None:
    project = tree(tmp_path / "project", marker_file, "modules/pim/default.nix")
    start = project / "modules" / "pim"
    found = find_project_root(start, ceiling=tmp_path)
    assert found == ProjectRoot(project, marker, project / marker_file.rstrip("/"))


def test_pyproject_counts_only_with_a_portlint_table(tmp_path: Path) -> None:
    outer = tree(tmp_path, "flake.nix")
    inner = outer / "tools"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.ruff]\nline-length = 99\n')
    assert root_of(inner, tmp_path) == (outer, Marker.FLAKE)
    (inner / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.portlint]\npaths = []\n')
    assert root_of(inner, tmp_path) == (inner, Marker.PYPROJECT_TOML)


def test_a_broken_pyproject_naming_portlint_counts_so_settings_report_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.portlint\nselect = [")
    assert has_portlint_table(tmp_path / "pyproject.toml")
    assert root_of(tmp_path, tmp_path) == (tmp_path, Marker.PYPROJECT_TOML)


def test_a_pyproject_mentioning_portlint_elsewhere_does_not_count(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["axios-portlint"]\n')
    assert not has_portlint_table(tmp_path / "pyproject.toml")


def test_portlint_toml_beats_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    tree(tmp_path, "portlint.toml")
    (tmp_path / "pyproject.toml").write_text("[tool.portlint]\n")
    assert root_of(tmp_path, tmp_path) == (tmp_path, Marker.PORTLINT_TOML)


def test_flake_beats_git_in_the_same_folder(tmp_path: Path) -> None:
    tree(tmp_path, "flake.nix", ".git/")
    assert root_of(tmp_path, tmp_path) == (tmp_path, Marker.FLAKE)


# -- precedence across folders ----------------------------------------------------------


def test_outer_settings_beat_a_nearer_subflake(tmp_path: Path) -> None:
    """A subflake inside the project is part of it: the settings say where the project is."""
    tree(tmp_path, "portlint.toml", "flake.nix", "modules/sub/flake.nix", "modules/sub/x.nix")
    assert root_of(tmp_path / "modules" / "sub", tmp_path) == (tmp_path, Marker.PORTLINT_TOML)


def test_outer_registry_beats_a_nearer_subflake(tmp_path: Path) -> None:
    tree(tmp_path, "ports.md", ".git/", "modules/sub/flake.nix", "modules/sub/deeper/")
    assert root_of(tmp_path / "modules" / "sub" / "deeper", tmp_path) == (
        tmp_path,
        Marker.REGISTRY,
    )


def test_a_nested_repository_is_its_own_project(tmp_path: Path) -> None:
    """A git submodule: the outer project's settings and registry stop at its `.git`."""
    tree(tmp_path, "portlint.toml", "ports.md", ".git/", "vendor/sub/.git", "vendor/sub/x/")
    assert root_of(tmp_path / "vendor" / "sub" / "x", tmp_path) == (
        tmp_path / "vendor" / "sub",
        Marker.GIT,
    )


def test_markers_above_the_repository_are_not_looked_at(tmp_path: Path) -> None:
    """A stray ~/ports.md or ~/portlint.toml must not make the home folder the project."""
    home = tree(tmp_path, "ports.md", "portlint.toml", "src/repo/.git/", "src/repo/modules/")
    repo = home / "src" / "repo"
    assert root_of(repo / "modules", tmp_path) == (repo, Marker.GIT)
    tree(repo, "flake.nix")
    assert root_of(repo / "modules", tmp_path) == (repo, Marker.FLAKE)


def test_a_subflake_with_its_own_registry_is_its_own_project(tmp_path: Path) -> None:
    tree(tmp_path, "ports.md", "flake.nix", "sub/flake.nix", "sub/ports.md")
    assert root_of(tmp_path / "sub", tmp_path) == (tmp_path / "sub", Marker.REGISTRY)


def test_nearest_of_flake_and_git_wins(tmp_path: Path) -> None:
    tree(tmp_path, ".git/", "sub/flake.nix", "sub/deeper/")
    assert root_of(tmp_path / "sub" / "deeper", tmp_path) == (tmp_path / "sub", Marker.FLAKE)
    tree(tmp_path / "sub" / "deeper", ".git/")
    assert root_of(tmp_path / "sub" / "deeper", tmp_path) == (
        tmp_path / "sub" / "deeper",
        Marker.GIT,
    )


def test_settings_root_is_where_the_settings_loader_looks(tmp_path: Path) -> None:
    """Inside one repository the root's settings file is the one find_config finds."""
    tree(tmp_path, "a/portlint.toml", "a/b/ports.md", "a/b/c/flake.nix")
    start = tmp_path / "a" / "b" / "c"
    found = find_project_root(start, ceiling=tmp_path)
    assert found is not None
    assert found.marker_path == find_config(start)


def test_no_marker_no_root(tmp_path: Path) -> None:
    """A start folder outside any project: None, and callers fall back to it."""
    start = tree(tmp_path, "somewhere/else/x.nix") / "somewhere" / "else"
    assert find_project_root(start, ceiling=tmp_path) is None


def test_the_ceiling_hides_markers_above_it(tmp_path: Path) -> None:
    tree(tmp_path, "ports.md", "inner/x.nix")
    assert find_project_root(tmp_path / "inner", ceiling=tmp_path / "inner") is None
    assert root_of(tmp_path / "inner", tmp_path) == (tmp_path, Marker.REGISTRY)


def test_registry_places_are_the_ones_the_cli_looks_at() -> None:
    from axios_portlint.api import REGISTRY_CANDIDATES

    assert REGISTRY_PLACES == REGISTRY_CANDIDATES


def test_a_registry_folder_is_not_a_registry(tmp_path: Path) -> None:
    tree(tmp_path, "flake.nix", "sub/ports.md/")
    assert root_of(tmp_path / "sub", tmp_path) == (tmp_path, Marker.FLAKE)


# -- real git, symlinks, the fixture ----------------------------------------------------


@needs_git
def test_a_real_git_repository(tmp_path: Path) -> None:
    repo = tree(tmp_path / "repo", "modules/pim/default.nix")
    git("init", "-q", cwd=repo)
    assert root_of(repo / "modules" / "pim", tmp_path) == (repo, Marker.GIT)


@needs_git
def test_a_real_git_worktree_has_a_git_file(tmp_path: Path) -> None:
    repo = tree(tmp_path / "repo", "modules/x.nix")
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x", cwd=repo)
    git("worktree", "add", "-q", str(tmp_path / "wt"), cwd=repo)
    found = find_project_root(tmp_path / "wt" / "modules", ceiling=tmp_path)
    assert found == ProjectRoot(tmp_path / "wt", Marker.GIT, tmp_path / "wt" / ".git")
    assert found.marker_path.is_file()


def test_a_symlinked_checkout_keeps_the_name_it_was_reached_by(tmp_path: Path) -> None:
    real = tree(tmp_path / "real", "ports.md", "modules/x.nix")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert root_of(link / "modules", tmp_path) == (link, Marker.REGISTRY)


def test_a_symlinked_subfolder_is_walked_up_lexically(tmp_path: Path) -> None:
    """Like `cd` and git: `..` of a linked folder is the folder holding the link."""
    project = tree(tmp_path / "project", "flake.nix")
    outside = tree(tmp_path / "outside", "ports.md", "lib/x.nix")
    (project / "lib").symlink_to(outside / "lib", target_is_directory=True)
    assert root_of(project / "lib", tmp_path) == (project, Marker.FLAKE)


def test_the_cairn_fixture_is_rooted_at_its_registry(tmp_path: Path) -> None:
    shutil.copytree(CAIRN, tmp_path / "cairn")
    for sub in ("modules/pim", "home/ai", "openspec/specs", "."):
        found = find_project_root(tmp_path / "cairn" / sub, ceiling=tmp_path)
        assert found == ProjectRoot(
            tmp_path / "cairn",
            Marker.REGISTRY,
            tmp_path / "cairn" / "openspec" / "specs" / "networking" / "ports.md",
        )


# -- the whole-project walk -------------------------------------------------------------


def test_project_excludes_are_one_definition_each() -> None:
    assert CACHE_DIR in PROJECT_EXCLUDES
    assert not SKIPPED_NAMES.intersection(PROJECT_EXCLUDES)


def test_whole_project_walk_of_the_fixture(tmp_path: Path) -> None:
    root = tmp_path / "cairn"
    shutil.copytree(CAIRN, root)
    noise = [
        ".portlint_cache/ab/cd.nix",
        ".direnv/flake-profile.nix",
        ".devenv/state.nix",
        "node_modules/x/default.nix",
        ".venv/lib/x.nix",
        "modules/__pycache__/x.nix",
        ".git/x.nix",
    ]
    tree(root, *noise)
    (root / "result").symlink_to(root / "modules", target_is_directory=True)
    (root / "result-man").symlink_to(root / "home", target_is_directory=True)
    found = discover([Path()], excludes=PROJECT_EXCLUDES, cwd=root)
    assert [source.path for source in found.files] == CAIRN_NIX_FILES
    assert found.problems == ()


def test_a_real_folder_named_result_is_walked(tmp_path: Path) -> None:
    """Only nix build's links are skipped: a module folder may be called `result`."""
    tree(tmp_path, "flake.nix", "modules/result/default.nix")
    found = discover([Path()], excludes=PROJECT_EXCLUDES, cwd=tmp_path)
    assert [source.path for source in found.files] == ["flake.nix", "modules/result/default.nix"]


# -- user arguments as display paths ----------------------------------------------------


def test_targets_from_the_root_a_subfolder_and_absolute(tmp_path: Path) -> None:
    tree(tmp_path, "ports.md", "modules/pim/default.nix")
    pim = "modules/pim/default.nix"
    assert targets_of([Path(pim)], cwd=tmp_path, base=tmp_path) == {pim}
    assert targets_of([Path("pim/default.nix")], cwd=tmp_path / "modules", base=tmp_path) == {pim}
    assert targets_of([tmp_path / pim], cwd=tmp_path / "modules", base=tmp_path) == {pim}
    assert targets_of(
        [Path("./pim/../pim/default.nix")], cwd=tmp_path / "modules", base=tmp_path
    ) == {pim}
    assert targets_of([Path("../ports.md")], cwd=tmp_path / "modules", base=tmp_path) == {
        "ports.md"
    }
    assert targets_of([Path()], cwd=tmp_path, base=tmp_path) == {"."}
    assert targets_of([Path()], cwd=tmp_path / "modules", base=tmp_path) == {"modules"}


def test_a_target_through_a_symlink_also_names_the_real_file(tmp_path: Path) -> None:
    tree(tmp_path, "modules/pim/default.nix")
    (tmp_path / "pim.nix").symlink_to(tmp_path / "modules" / "pim" / "default.nix")
    assert targets_of([Path("pim.nix")], cwd=tmp_path, base=tmp_path) == {
        "pim.nix",
        "modules/pim/default.nix",
    }


def test_the_openspec_registry_folder_is_no_project_of_its_own(tmp_path: Path) -> None:
    """Its ports.md is the registry of the folder three levels up, from any folder below it."""
    networking = tmp_path / "repo" / "openspec" / "specs" / "networking"
    networking.mkdir(parents=True)
    (networking / "ports.md").write_text("# Ports\n")
    found = find_project_root(networking, ceiling=tmp_path)
    assert found == ProjectRoot(tmp_path / "repo", Marker.REGISTRY, networking / "ports.md")
    # A ports.md of its own in a folder merely named `networking` still counts.
    (tmp_path / "networking").mkdir()
    (tmp_path / "networking" / "ports.md").write_text("# Ports\n")
    assert find_project_root(tmp_path / "networking", ceiling=tmp_path) == ProjectRoot(
        tmp_path / "networking", Marker.REGISTRY, tmp_path / "networking" / "ports.md"
    )


def test_project_of_a_named_path_and_is_inside(tmp_path: Path) -> None:
    root = tmp_path / "cairn"
    shutil.copytree(CAIRN, root)
    assert project_of(root / "modules" / "pim" / "default.nix") == root
    assert project_of(root / "home") == root
    assert project_of(root / "openspec" / "specs" / "networking" / "ports.md") == root
    (tmp_path / "link").symlink_to(root, target_is_directory=True)
    assert is_inside(tmp_path / "link" / "modules", root)
    assert is_inside(root, root)
    assert not is_inside(tmp_path, root)
    assert not is_inside(tmp_path / "cairn-old" / "x.nix", root)
