"""One resolved set of options per run: command-line flags over the settings file over defaults.

The CLI gathers what the user typed into `Flags` (None wherever a flag was not
given) and calls `resolve` once; every command then reads the one `Options`
it is handed. No command merges settings itself.
"""

from __future__ import annotations

import errno
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from axios_portlint.config import HostEntries, Listeners, Settings, read_settings
from axios_portlint.discover import DiscoveryError
from axios_portlint.discover.paths import display_path
from axios_portlint.discover.root import find_project_root, project_of, settings_file
from axios_portlint.errors import UsageError
from axios_portlint.model_base import Severity
from axios_portlint.rules import Selection, unknown_selectors

if TYPE_CHECKING:
    from axios_portlint.api import Named


@dataclass(frozen=True, slots=True)
class Flags:
    """What the command line said; None (or empty) where it said nothing."""

    paths: Sequence[Path] = ()
    registry: Path | None = None
    exclude: Sequence[str] | None = None
    config: Path | None = None
    output_format: str | None = None
    fail_on: Severity | None = None
    select: Sequence[str] | None = None
    extend_select: Sequence[str] | None = None
    ignore: Sequence[str] | None = None
    no_cache: bool = False
    exit_zero: bool = False
    statistics: bool = False
    quiet: bool = False
    output_file: Path | None = None
    no_registry: bool = False


@dataclass(frozen=True, slots=True)
class Options:
    """Everything a command needs to know about the run, resolved once.

    `root` is the project root (`discover.root.find_project_root` from the
    working folder upward; the working folder outside any project): settings,
    the registry's default places, the cache and every display path are
    relative to it, so a run from a subfolder prints the same bytes as one at
    the root. `paths` are the tree analyzed, absolute: empty means the whole
    project (the settings file's `paths` when it has them). `named` are the
    paths given on the command line: the whole tree is analyzed and
    only what is located in them is reported (`named_paths`). `registry` None
    means the registry at one of its default places below `root` (see
    `api.find_registry`).
    """

    cwd: Path
    root: Path
    paths: tuple[Path, ...] = ()
    registry: Path | None = None
    excludes: tuple[str, ...] = ()
    listeners: Listeners | None = None  # None: extraction's own classification
    selection: tuple[Selection, ...] = ()  # lowest priority first: settings file, then flags
    fail_on: Severity = Severity.ERROR
    output_format: str | None = None  # None: the command's own default
    cache_dir: Path | None = None  # None: parse every file again
    settings_file: str | None = None  # the settings file in effect, as displayed
    exit_zero: bool = False  # findings never make the exit code 1
    statistics: bool = False  # counts per rule instead of the findings
    quiet: bool = False  # the findings only, no summary line
    output_file: Path | None = None  # absolute; None: stdout
    no_registry: bool = False  # run only the rules that need no registry; `registry` is None
    hosts: HostEntries | None = None  # `[hosts]` of the settings file (absolute entries)
    # The command line's paths, as typed (relative to `cwd`); empty: report the whole tree.
    named: tuple[Path, ...] = ()


def resolve(flags: Flags, cwd: Path, *, formats: Collection[str] = ()) -> Options:
    """Find the project root, read its settings file (or `--config`) and lay the flags over it.

    The root is found from `cwd` upward or, when paths are named, from theirs
    (as ruff reads each file's own settings): `portlint sub/flake/x.nix` from
    a repository's top checks x.nix in the project of its own registry. Named
    paths in no project at all are analyzed alone, as given, with the working
    folder's settings and registry. `formats` are the output formats the
    settings file's `format` key may name.
    """
    for typed in flags.paths:
        must_exist(cwd / typed, typed)
    found = find_project_root(cwd)
    home = cwd if found is None else found.path
    theirs = _project_of_paths(flags.paths, cwd) if flags.paths else home
    root = home if theirs is None else theirs
    path = cwd / flags.config if flags.config is not None else settings_file(root)
    settings = Settings() if path is None else read_settings(path, root, formats=formats)
    options = merge(flags, settings, cwd, root)
    # Without a project around them, named paths are the tree itself: nothing to narrow.
    if theirs is None:
        return replace(options, paths=tuple(cwd / typed for typed in options.named), named=())
    return options


def _project_of_paths(paths: Sequence[Path], cwd: Path) -> Path | None:
    """The project root the named paths lie in (None: none); two roots are a usage error.

    Paths in no project (`/proc/self/mem`, a file in /tmp) join the others' project.
    """
    projects = {path: project_of(cwd / path) for path in paths}
    first, *others = [path for path in paths if projects[path] is not None] or [paths[0]]
    other = next((path for path in others if projects[path] != projects[first]), None)
    if other is not None:
        raise UsageError(
            f"{_quoted(first, cwd)} and {_quoted(other, cwd)} belong to different projects: "
            "run portlint once per project"
        )
    return projects[first]


def _quoted(path: Path, cwd: Path) -> str:
    return repr(display_path(path, cwd))


def merge(flags: Flags, settings: Settings, cwd: Path, root: Path | None = None) -> Options:
    """Command-line flags win over the settings file, which wins over the defaults.

    Paths the user typed are taken relative to `cwd`; `root` (default: `cwd`)
    is the project root the run reports against. The paths typed narrow what
    is reported; the settings file's `paths` say what the project's tree is.
    """
    root = cwd if root is None else root
    for path in flags.paths:
        must_exist(cwd / path, path)
    selection = Selection(
        select=selectors("--select", flags.select) if flags.select else None,
        extend_select=selectors("--extend-select", flags.extend_select),
        ignore=selectors("--ignore", flags.ignore),
    )
    excludes = flags.exclude if flags.exclude is not None else settings.exclude or ()
    no_registry = registry_free(flags, settings)
    # Imported here: extract/ loads tree-sitter, which `explain` and `rules` never need.
    from axios_portlint.extract.signed import CACHE_DIR

    return Options(
        cwd=cwd,
        root=root,
        paths=tuple(settings.paths or ()),
        named=tuple(flags.paths),
        registry=None
        if no_registry
        else cwd / flags.registry
        if flags.registry is not None
        else settings.registry,
        excludes=tuple(excludes),
        listeners=settings.listeners,
        selection=(settings.selection, selection),
        fail_on=flags.fail_on or settings.fail_on or Severity.ERROR,
        output_format=flags.output_format or settings.format,
        # At the root, where the whole-project walk skips it (discover.root.PROJECT_EXCLUDES).
        cache_dir=None if flags.no_cache else root / CACHE_DIR,
        settings_file=settings.source,
        exit_zero=flags.exit_zero,
        statistics=flags.statistics,
        quiet=flags.quiet,
        output_file=None if flags.output_file is None else cwd / flags.output_file,
        no_registry=no_registry,
        hosts=settings.hosts,
    )


def registry_free(flags: Flags, settings: Settings) -> bool:
    """`--no-registry`, or `no-registry = true` unless `--registry FILE` asks for one."""
    if flags.no_registry and flags.registry is not None:
        raise UsageError("--no-registry and --registry exclude each other: pass one of them")
    return flags.no_registry or (bool(settings.no_registry) and flags.registry is None)


def must_exist(absolute: Path, typed: Path) -> None:
    """A path argument that names nothing is a usage error, shown as the user typed it.

    Checked here, while the working folder is known: later stages show paths
    relative to the project root.
    """
    try:
        absolute.stat()
    except OSError as error:
        # A dangling link is missing too; a path that cannot be looked at is discovery's problem.
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            raise UsageError(str(DiscoveryError(typed))) from None


def selectors(flag: str, values: Sequence[str] | None) -> tuple[str, ...]:
    """`--select PL001,PL005 --select PL007`: ruff's spelling, both ways at once."""
    codes = tuple(code.strip() for value in values or () for code in value.split(","))
    codes = tuple(code for code in codes if code)
    if values and not codes:
        # `--select "$EMPTY"` must not quietly select nothing and pass every check.
        raise UsageError(f"{flag}: no rule code or prefix given")
    unknown = unknown_selectors(codes)
    if unknown:
        raise UsageError(f"{flag}: unknown rule code or prefix {unknown[0]!r}")
    return codes


def named_paths(options: Options) -> Named | None:
    """The command line's paths as `api.Named`; None: report the whole tree.

    Raises a usage error when they hold neither a Nix file nor the registry.
    """
    if not options.named:
        return None
    from axios_portlint.api import find_registry, name_paths

    return name_paths(
        options.named,
        cwd=options.cwd,
        root=options.root,
        tree=options.paths,
        excludes=options.excludes,
        registry=find_registry(options.registry, options.root),
    )


def whole_project(options: Options) -> Options:
    """The options of a command that always reads and reports the whole project.

    `registry sync`, `suggest` and `graph`: a row is stale, a port free, an
    edge drawn only in view of every file. Paths named still choose the project
    (`resolve`) and must hold a Nix file (or the registry), as for `check`.
    """
    named_paths(options)
    return replace(options, named=())
