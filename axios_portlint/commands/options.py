"""One resolved set of options per run: command-line flags over the settings file over defaults.

The CLI gathers what the user typed into `Flags` (None wherever a flag was not
given) and calls `resolve` once; every command then reads the one `Options`
it is handed. No command merges settings itself.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from axios_portlint.config import Listeners, Settings, load_settings
from axios_portlint.errors import UsageError
from axios_portlint.model import Severity
from axios_portlint.rules import Selection, unknown_selectors


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


@dataclass(frozen=True, slots=True)
class Options:
    """Everything a command needs to know about the run, resolved once.

    `paths` empty means the default paths below `cwd`; `registry` None means
    the registry at one of its default places (see `api.find_registry`).
    """

    cwd: Path
    paths: tuple[Path, ...] = ()
    registry: Path | None = None
    excludes: tuple[str, ...] = ()
    listeners: Listeners | None = None  # None: extraction's own classification
    selection: tuple[Selection, ...] = ()  # lowest priority first: settings file, then flags
    fail_on: Severity = Severity.ERROR
    output_format: str | None = None  # None: the command's own default
    cache_dir: Path | None = None  # None: parse every file again
    settings_file: str | None = None  # the settings file in effect, as displayed


def resolve(flags: Flags, cwd: Path, *, formats: Collection[str] = ()) -> Options:
    """Read the settings file (`--config`, else the nearest one) and lay the flags over it.

    `formats` are the output formats the settings file's `format` key may name.
    """
    settings = load_settings(cwd, flags.config, formats=formats)
    return merge(flags, settings, cwd)


def merge(flags: Flags, settings: Settings, cwd: Path) -> Options:
    """Command-line flags win over the settings file, which wins over the defaults."""
    selection = Selection(
        select=selectors("--select", flags.select) if flags.select else None,
        extend_select=selectors("--extend-select", flags.extend_select),
        ignore=selectors("--ignore", flags.ignore),
    )
    excludes = flags.exclude if flags.exclude is not None else settings.exclude or ()
    # Imported here: extract/ loads tree-sitter, which `explain` and `rules` never need.
    from axios_portlint.extract.cache import CACHE_DIR

    return Options(
        cwd=cwd,
        paths=tuple(flags.paths or settings.paths or ()),
        registry=flags.registry or settings.registry,
        excludes=tuple(excludes),
        listeners=settings.listeners,
        selection=(settings.selection, selection),
        fail_on=flags.fail_on or settings.fail_on or Severity.ERROR,
        output_format=flags.output_format or settings.format,
        cache_dir=None if flags.no_cache else cwd / CACHE_DIR,
        settings_file=settings.source,
    )


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
