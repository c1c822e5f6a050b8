"""The `portlint` command: argument parsing only; the work happens in `axios_portlint.api`."""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import click
import typer

from axios_portlint import __version__, report
from axios_portlint.api import UsageError, check, scan
from axios_portlint.model import Severity
from axios_portlint.rules import all_rules

app = typer.Typer(
    name="portlint",
    help="Keep NixOS module ports and the ports.md registry honest, without evaluating Nix.",
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
)

COMMANDS = ("check", "ports")
EXIT_USAGE = 2


class OutputFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"


class InventoryFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(help="Files or folders to check (default: modules/ if it exists, else .)."),
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option("--exclude", help="Glob of paths to skip; repeatable.", metavar="GLOB"),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"portlint {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """portlint: a static analyzer for axios NixOS module ports."""


@app.command("check")
def check_command(
    paths: PathsArgument = None,
    registry: Annotated[
        Path | None,
        typer.Option(help="The port registry (default: ./ports.md, else openspec/specs/...)."),
    ] = None,
    exclude: ExcludeOption = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.TEXT,
    fail_on: Annotated[
        Severity, typer.Option(help="Lowest severity that makes the exit code 1.")
    ] = Severity.ERROR,
) -> None:
    """Check the module tree against the port registry (the default command)."""
    result = check(paths or [], registry, excludes=exclude or [])
    files = len(result.inventory.files) + len(result.inventory.file_problems)
    if output_format is OutputFormat.JSON:
        typer.echo(report.json_report(result.findings, files), nl=False)
    elif output_format is OutputFormat.SARIF:
        typer.echo(report.sarif(result.findings, all_rules(), root=Path.cwd()), nl=False)
    elif output_format is OutputFormat.GITHUB:
        typer.echo(report.github(result.findings), nl=False)
    else:
        typer.echo(report.text(result.findings, files, color=_use_color()), nl=False)
    raise typer.Exit(result.exit_code(fail_on))


@app.command("ports")
def ports_command(
    paths: PathsArgument = None,
    exclude: ExcludeOption = None,
    output_format: Annotated[
        InventoryFormat, typer.Option("--format", help="Output format.")
    ] = InventoryFormat.TABLE,
) -> None:
    """List every port declaration in the module tree."""
    inventory = scan(paths or [], excludes=exclude or [])
    if output_format is InventoryFormat.JSON:
        typer.echo(report.ports_json(inventory.decls), nl=False)
    else:
        typer.echo(report.ports_table(inventory.decls), nl=False)


def _use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _with_default_command(args: list[str]) -> list[str]:
    """`portlint modules/` means `portlint check modules/`, as with ruff."""
    if args and (args[0] in COMMANDS or args[0] in ("--help", "-h", "--version")):
        return args
    return ["check", *args]


def main(argv: Sequence[str] | None = None) -> int:
    args = _with_default_command(list(sys.argv[1:] if argv is None else argv))
    command = typer.main.get_command(app)
    try:
        # Without standalone mode click returns the code of `typer.Exit` instead of exiting.
        code = command.main(args=args, prog_name="portlint", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE
    except UsageError as error:
        click.echo(f"portlint: error: {error}", err=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        click.echo("portlint: interrupted", err=True)
        return 130
    except Exception as error:  # a bug of ours: still one line, unless asked for the trace
        if os.environ.get("PORTLINT_DEBUG"):
            raise
        click.echo(
            f"portlint: internal error: {type(error).__name__}: {error} "
            "(set PORTLINT_DEBUG=1 for a traceback, and please report it)",
            err=True,
        )
        return EXIT_USAGE
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
