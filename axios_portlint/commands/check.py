"""`portlint check`: the findings, in one of four formats, and an exit status CI can trust."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from axios_portlint.commands import EXIT_OK, Outcome
from axios_portlint.commands.formats import OutputFormat
from axios_portlint.commands.options import Options, named_paths
from axios_portlint.errors import UsageError
from axios_portlint.rules import Selection

if TYPE_CHECKING:
    from axios_portlint.api import Checked, Report


def run_check(options: Options, selection: tuple[Selection, ...] | None = None) -> Report:
    """The pipeline over the run's options; `selection` replaces the options' rule selection.

    Paths named on the command line narrow the findings, not the analysis
    (`commands.options.named_paths`).
    """
    from axios_portlint.api import check

    named = named_paths(options)
    return check(
        options.paths,
        options.registry,
        excludes=options.excludes,
        cwd=options.root,
        selection=options.selection if selection is None else selection,
        listeners=options.listeners,
        cache_dir=options.cache_dir,
        no_registry=options.no_registry,
        hosts=options.hosts,
        named=named,
    )


def checked(options: Options) -> Checked:
    """What `check` prints, replayed from the run cache when none of its inputs changed."""
    from axios_portlint.api import check_cached

    return check_cached(
        options.paths,
        options.registry,
        excludes=options.excludes,
        cwd=options.root,
        selection=options.selection,
        listeners=options.listeners,
        cache_dir=options.cache_dir,
        no_registry=options.no_registry,
        hosts=options.hosts,
        named=named_paths(options),
    )


def check(options: Options, *, color: bool = False) -> Outcome:
    from axios_portlint.api import MissingRegistryError

    try:
        report = checked(options)
    except MissingRegistryError as error:
        # Only `check` can do without one: the hint belongs to it, not to `registry sync`.
        raise UsageError(
            f"{error}; or pass --no-registry to run only the rules that need none"
        ) from None
    output_format = OutputFormat(options.output_format or OutputFormat.TEXT)
    # A file gets no terminal colours.
    color = color and options.output_file is None
    if options.statistics:
        text = render_statistics(report, output_format)
    else:
        text = render(report, output_format, options, color=color)
    exit_code = EXIT_OK if options.exit_zero else report.exit_code(options.fail_on)
    if options.output_file is not None:
        write_output(options.output_file, text, options.cwd)
        return Outcome("", "", exit_code)
    return Outcome(text, "", exit_code)


def write_output(path: Path, text: str, cwd: Path) -> None:
    """`--output-file FILE`: the report, written atomically (readers never see half of it)."""
    from axios_portlint.discover.paths import display_path
    from axios_portlint.discover.write import write_atomically

    try:
        write_atomically(path, text.encode("utf-8"))
    except OSError as error:
        shown = display_path(path, cwd)
        raise UsageError(f"{shown}: cannot write: {error.strerror or error}") from None


def render(report: Checked, output_format: OutputFormat, options: Options, *, color: bool) -> str:
    from axios_portlint import report as formats
    from axios_portlint.rules import all_rules

    files = report.files
    if output_format is OutputFormat.JSON:
        return formats.json_report(report.findings, files)
    if output_format is OutputFormat.SARIF:
        return formats.sarif(report.findings, all_rules(), root=options.root)
    if output_format is OutputFormat.GITHUB:
        return formats.github(report.findings)
    return formats.text(report.findings, files, color=color, quiet=options.quiet)


def render_statistics(report: Checked, output_format: OutputFormat) -> str:
    """`--statistics`: counts per rule; JSON for `--format json`, else ruff's text lines."""
    from axios_portlint import report as formats
    from axios_portlint.rules import all_rules

    names = {rule.code: rule.name for rule in all_rules()}
    if output_format is OutputFormat.JSON:
        return formats.statistics_json(report.findings, names)
    return formats.statistics(report.findings, names)
