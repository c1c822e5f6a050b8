"""`portlint check`: the findings, in one of four formats, and an exit status CI can trust."""

from __future__ import annotations

from typing import TYPE_CHECKING

from axios_portlint.commands import Outcome
from axios_portlint.commands.formats import OutputFormat
from axios_portlint.commands.options import Options
from axios_portlint.rules import Selection

if TYPE_CHECKING:
    from axios_portlint.api import Report


def run_check(options: Options, selection: tuple[Selection, ...] | None = None) -> Report:
    """The pipeline over the run's options; `selection` replaces the options' rule selection."""
    from axios_portlint.api import check

    return check(
        options.paths,
        options.registry,
        excludes=options.excludes,
        cwd=options.root,
        selection=options.selection if selection is None else selection,
        listeners=options.listeners,
        cache_dir=options.cache_dir,
    )


def check(options: Options, *, color: bool = False) -> Outcome:
    report = run_check(options)
    output_format = OutputFormat(options.output_format or OutputFormat.TEXT)
    text = render(report, output_format, options, color=color)
    return Outcome(text, "", report.exit_code(options.fail_on))


def render(report: Report, output_format: OutputFormat, options: Options, *, color: bool) -> str:
    from axios_portlint import report as formats
    from axios_portlint.rules import all_rules

    files = len(report.inventory.files) + len(report.inventory.file_problems)
    if output_format is OutputFormat.JSON:
        return formats.json_report(report.findings, files)
    if output_format is OutputFormat.SARIF:
        return formats.sarif(report.findings, all_rules(), root=options.root)
    if output_format is OutputFormat.GITHUB:
        return formats.github(report.findings)
    return formats.text(report.findings, files, color=color)
