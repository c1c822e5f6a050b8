"""The project root: where `portlint` with no path starts, found like git and ruff find theirs.

Walking up from a start folder, markers are looked for in three tiers; the
nearest folder of the highest tier that has one wins:

1. Settings: ``portlint.toml``, or a ``pyproject.toml`` with a ``[tool.portlint]``
   table (``settings_file``, which the settings loader uses too).
2. The registry at one of its default places (``ports.md``,
   ``openspec/specs/networking/ports.md``): portlint's own file.
3. ``flake.nix`` or ``.git`` (a folder, or the file of a worktree or submodule),
   whichever is nearer; ``flake.nix`` first in the same folder.

So an explicit setting beats a nearer project marker: run from inside a
subflake (``modules/sub/flake.nix``) of a repository whose top has
``portlint.toml`` or ``ports.md``, the root is that top, because that is where
the user put the registry and the settings. A subflake with its own registry
is its own project.

The walk never leaves the repository it starts in: it stops at the first folder
holding ``.git``. A stray ``~/ports.md`` or ``~/portlint.toml`` must not turn a
run inside ``~/src/repo`` into a walk of the whole home folder, and a git
submodule is a project of its own, as git sees it. Settings therefore resolve
against the root (``settings_file(root.path)``), not against the nearest
settings file above the repository. Outside any repository the walk goes up to
the file-system root. Without any marker there is no root; callers fall back
to the start folder.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from axios_portlint.discover.paths import DisplayPaths

__all__ = [
    "PROJECT_EXCLUDES",
    "REGISTRY_PLACES",
    "Marker",
    "ProjectRoot",
    "find_project_root",
    "has_portlint_table",
    "is_inside",
    "project_of",
    "settings_file",
    "targets_of",
]

PORTLINT_TOML = "portlint.toml"
PYPROJECT_TOML = "pyproject.toml"
FLAKE_NIX = "flake.nix"
GIT = ".git"
# Where the registry lives when no setting names it, nearest first.
REGISTRY_PLACES = ("ports.md", "openspec/specs/networking/ports.md")

# Pruned from a whole-project walk, on top of the names the walker always skips
# (walk.SKIPPED_NAMES: VCS metadata, .direnv, node_modules, .venv) and the
# `result`/`result-*` links of nix build, which it never follows. Caches only:
# a real folder named `result` may hold modules, and a missed port is the worst bug.
# ".portlint_cache" is extract.cache.CACHE_DIR (a test keeps the two equal).
PROJECT_EXCLUDES = (
    ".portlint_cache",
    ".devenv",
    ".cache",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".tox",
    ".nox",
)


class Marker(enum.StrEnum):
    """What made a folder the project root."""

    PORTLINT_TOML = "portlint.toml"
    PYPROJECT_TOML = "pyproject.toml [tool.portlint]"
    REGISTRY = "registry"
    FLAKE = "flake.nix"
    GIT = ".git"


@dataclass(frozen=True, slots=True)
class ProjectRoot:
    path: Path  # absolute, as found (not resolved: symlinked checkouts keep their name)
    marker: Marker
    marker_path: Path  # the file or folder that decided, below `path`


def find_project_root(start: Path, *, ceiling: Path | None = None) -> ProjectRoot | None:
    """The project root above `start` (inclusive), or None outside any project.

    `start` is made absolute but not resolved, so a symlinked checkout is
    reported under the name the user gave it. The walk stops at the top of the
    repository `start` is in, and at `ceiling` (like git's
    GIT_CEILING_DIRECTORIES): folders above either are not looked at.
    """
    folders = list(_upward(start, ceiling))
    for tier in (_settings_marker, _registry_marker, _project_marker):
        for folder in folders:
            found = tier(folder)
            if found is not None:
                marker, marker_path = found
                return ProjectRoot(folder, marker, marker_path)
    return None


def _upward(start: Path, ceiling: Path | None) -> Iterable[Path]:
    folder = Path(os.path.normpath(start.absolute()))
    stop = None if ceiling is None else Path(os.path.normpath(ceiling.absolute()))
    for candidate in (folder, *folder.parents):
        yield candidate
        # The top of the repository (or of the ceiling): nothing above it belongs here.
        if candidate == stop or (candidate / GIT).exists():
            return


def project_of(path: Path) -> Path | None:
    """The project root of a named file or folder (found from its folder upward), or None."""
    absolute = Path(os.path.normpath(path.absolute()))
    found = find_project_root(absolute if absolute.is_dir() else absolute.parent)
    return None if found is None else found.path


def is_inside(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or below it, as named or through symlinks resolved.

    Discovery shows a file below the root even when it was named through the
    root's real path (or the root through a link), so this answers the same.
    """
    displays = DisplayPaths(folder)
    absolute = os.path.normpath(path.absolute())
    return any(
        not Path(displays.of(candidate)).is_absolute()
        for candidate in (absolute, os.path.realpath(absolute))
    )


def settings_file(folder: Path) -> Path | None:
    """The settings file of `folder`: portlint.toml beats a pyproject.toml with [tool.portlint]."""
    if (folder / PORTLINT_TOML).is_file():
        return folder / PORTLINT_TOML
    pyproject = folder / PYPROJECT_TOML
    if pyproject.is_file() and has_portlint_table(pyproject):
        return pyproject
    return None


def _settings_marker(folder: Path) -> tuple[Marker, Path] | None:
    found = settings_file(folder)
    if found is None:
        return None
    return (Marker.PORTLINT_TOML if found.name == PORTLINT_TOML else Marker.PYPROJECT_TOML), found


def _registry_marker(folder: Path) -> tuple[Marker, Path] | None:
    # openspec/specs/networking/ports.md is the registry of the folder three levels up,
    # not the project of its own folder (`cd openspec/specs/networking && portlint`).
    nested = Path(REGISTRY_PLACES[-1]).parent
    if folder.parts[-len(nested.parts) :] == nested.parts:
        return None
    for place in REGISTRY_PLACES:
        if (folder / place).is_file():
            return Marker.REGISTRY, folder / place
    return None


def _project_marker(folder: Path) -> tuple[Marker, Path] | None:
    if (folder / FLAKE_NIX).is_file():
        return Marker.FLAKE, folder / FLAKE_NIX
    # A worktree or a submodule has a `.git` file pointing at the real one.
    if (folder / GIT).exists():
        return Marker.GIT, folder / GIT
    return None


def has_portlint_table(pyproject: Path) -> bool:
    """Whether a pyproject.toml configures portlint (as with ruff, one without does not count).

    An unreadable or invalid file that mentions portlint counts, so that reading
    the settings reports it with its file name instead of silently skipping it.
    """
    # A cheap look first: most pyproject.toml files never mention portlint.
    try:
        if b"portlint" not in pyproject.read_bytes():
            return False
    except OSError:
        return True
    import tomllib  # only for a file that mentions portlint: most runs read no TOML

    try:
        return "portlint" in _tool_tables(pyproject)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return True


def _tool_tables(pyproject: Path) -> Mapping[str, object]:
    import tomllib

    tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    return tool if isinstance(tool, dict) else {}


def targets_of(paths: Collection[Path], *, cwd: Path, base: Path) -> frozenset[str]:
    """The display paths (relative to `base`, as discovery shows them) of user arguments.

    Relative `paths` are taken relative to `cwd`, which may be a subfolder of
    `base`: `portlint pim/default.nix` run in `modules/` names
    `modules/pim/default.nix` of a project rooted at `base`. The result is what
    `report.narrow.narrow` keeps findings to.
    """
    displays = DisplayPaths(base)
    found: set[str] = set()
    for path in paths:
        absolute = os.path.normpath(cwd.absolute() / path)
        found.add(displays.of(absolute))
        # Discovery shows a file under its real path when it has one inside the tree.
        found.add(displays.of(os.path.realpath(absolute)))
    return frozenset(found)
