"""The `portlint` command: argument parsing only.

Each command gathers its flags into `Flags`, resolves them with the settings
file into one `Options` (axios_portlint.commands.options), calls its command
in axios_portlint.commands and prints the `Outcome` it returns.
"""

from __future__ import annotations

import copy
import gc
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from axios_portlint import __version__
from axios_portlint.cli.compat import ClickException, command_path, error_message
from axios_portlint.commands import Outcome
from axios_portlint.commands.formats import (
    GraphFormat,
    ListingFormat,
    OutputFormat,
    SuggestFormat,
)
from axios_portlint.commands.options import Flags, Options, resolve, whole_project
from axios_portlint.config import ConfigError
from axios_portlint.errors import UsageError
from axios_portlint.model_base import Severity

# Each command is imported by the function that runs it, and imports the pipeline
# (tree-sitter, networkx, markdown-it) itself: `--version`, `explain` and `rules` start
# in a blink.

app = typer.Typer(
    name="portlint",
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Keep NixOS module ports and the ports.md registry honest, without evaluating Nix.",
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    # Help text is plain text: under rich markup `[default: text]` and `[tool.portlint]`
    # vanish as tags and leave "Output format ." behind.
    rich_markup_mode=None,
)

EXIT_USAGE = 2

PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(help="Files or folders to check (default: the whole project)."),
]
RegistryOption = Annotated[
    Path | None,
    typer.Option(
        help="The port registry (default: ports.md, else openspec/specs/networking/ports.md, "
        "at the project root)."
    ),
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option("--exclude", help="Glob of paths to skip; repeatable.", metavar="GLOB"),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Settings file (default: the project root's portlint.toml or pyproject.toml "
        "[tool.portlint]).",
        metavar="FILE",
    ),
]
NoCacheOption = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Parse every file again instead of reusing the project root's "
        ".portlint_cache/ (check keeps one).",
    ),
]

# `ports`, `hosts` and `rules`: a listing, as a table or JSON.
ListingFormatOption = Annotated[
    ListingFormat,
    typer.Option("--format", help="Output format [default: table].", show_default=False),
]


def _tree_flags(
    paths: list[Path] | None,
    registry: Path | None,
    exclude: list[str] | None,
    config: Path | None,
    no_cache: bool,
    *,
    keeps_cache: bool = False,
) -> Flags:
    """The discovery options every command that reads the tree takes, as `Flags`.

    Each such command declares exactly these five parameters with the aliases
    above (PathsArgument, RegistryOption, ExcludeOption, ConfigOption,
    NoCacheOption); tests/test_project_root_cli.py checks that they all do.
    Only `check` keeps a cache (`keeps_cache`): the other commands write nothing
    but what they are asked to (docs/security.md), so for them `--no-cache` is
    accepted and already in effect.
    """
    return Flags(
        paths=paths or (),
        registry=registry,
        exclude=exclude,
        config=config,
        no_cache=no_cache or not keeps_cache,
    )


SelectorsHelp = "Rule codes or prefixes (PL001, PL00, PL, ALL); comma-separated or repeated."
SelectOption = Annotated[
    list[str] | None,
    typer.Option("--select", help=f"Run only these rules. {SelectorsHelp}", metavar="CODES"),
]
ExtendSelectOption = Annotated[
    list[str] | None,
    typer.Option("--extend-select", help=f"Run these rules too. {SelectorsHelp}", metavar="CODES"),
]
IgnoreOption = Annotated[
    list[str] | None,
    typer.Option("--ignore", help=f"Skip these rules. {SelectorsHelp}", metavar="CODES"),
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
    registry: RegistryOption = None,
    exclude: ExcludeOption = None,
    config: ConfigOption = None,
    no_cache: NoCacheOption = False,
    output_format: Annotated[
        OutputFormat | None, typer.Option("--format", help="Output format [default: text].")
    ] = None,
    fail_on: Annotated[
        Severity | None,
        typer.Option(help="Lowest severity that makes the exit code 1 [default: error]."),
    ] = None,
    select: SelectOption = None,
    extend_select: ExtendSelectOption = None,
    ignore: IgnoreOption = None,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings.")
    ] = False,
    statistics: Annotated[
        bool, typer.Option("--statistics", help="Print how many findings each rule gave.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print the findings only, no summary line.")
    ] = False,
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output-file", "-o", help="Write the report here instead of stdout.", metavar="FILE"
        ),
    ] = None,
    no_registry: Annotated[
        bool,
        typer.Option(
            "--no-registry",
            help="Read no registry; run only the rules that need none (conflicts, syntax, "
            "invalid ports, firewall, fallbacks).",
        ),
    ] = False,
) -> None:
    """Check the project against its port registry (the default command).

    With PATHS, the whole project is still analyzed and only the findings located
    in those files or folders are reported (the registry's, when it is named).
    """
    from axios_portlint.commands.check import check

    flags = replace(
        _tree_flags(paths, registry, exclude, config, no_cache, keeps_cache=True),
        output_format=output_format,
        fail_on=fail_on,
        select=select,
        extend_select=extend_select,
        ignore=ignore,
        exit_zero=exit_zero,
        statistics=statistics,
        quiet=quiet,
        output_file=output_file,
        no_registry=no_registry,
    )
    _finish(check(_options(flags), color=_use_color()))


@app.command("ports")
def ports_command(
    paths: PathsArgument = None,
    registry: RegistryOption = None,
    exclude: ExcludeOption = None,
    config: ConfigOption = None,
    no_cache: NoCacheOption = False,
    output_format: ListingFormatOption = ListingFormat.TABLE,
) -> None:
    """List every port declaration of the project, or of PATHS (resolved with the whole project)."""
    from axios_portlint.commands.ports import ports

    flags = _tree_flags(paths, registry, exclude, config, no_cache)
    _finish(ports(_options(flags), output_format))


@app.command("hosts")
def hosts_command(
    paths: PathsArgument = None,
    registry: RegistryOption = None,
    exclude: ExcludeOption = None,
    config: ConfigOption = None,
    no_cache: NoCacheOption = False,
    output_format: ListingFormatOption = ListingFormat.TABLE,
) -> None:
    """List each host of the project and the listening ports active on it.

    PATHS only choose the project: hosts are a property of the whole tree.
    """
    from axios_portlint.commands.hosts import hosts

    flags = _tree_flags(paths, registry, exclude, config, no_cache)
    _finish(hosts(whole_project(_options(flags)), output_format))


@app.command("explain")
def explain_command(
    code: Annotated[str, typer.Argument(help="A rule code (PL005) or name (registry-mismatch).")],
) -> None:
    """Print a rule's documentation: what it reports, why, an example and the fix."""
    from axios_portlint.commands.rules import explain

    _finish(explain(code))


@app.command("rules")
def rules_command(
    output_format: ListingFormatOption = ListingFormat.TABLE,
) -> None:
    """List every rule with its code, name and default severity."""
    from axios_portlint.commands.rules import rules

    _finish(rules(output_format))


registry_app = typer.Typer(
    name="registry",
    help="Maintain the port registry from the code.",
    no_args_is_help=True,
)
app.add_typer(registry_app)


@registry_app.command("sync")
def registry_sync_command(
    paths: PathsArgument = None,
    registry: RegistryOption = None,
    exclude: ExcludeOption = None,
    config: ConfigOption = None,
    no_cache: NoCacheOption = False,
    check_only: Annotated[
        bool,
        typer.Option(
            "--check", help="Write nothing; print the diff and exit 1 if the registry is stale."
        ),
    ] = False,
) -> None:
    """Rewrite the registry's allocation tables from what the code declares.

    Always reads the whole project: PATHS only choose the project.
    """
    from axios_portlint.commands.sync import sync

    flags = _tree_flags(paths, registry, exclude, config, no_cache)
    _finish(sync(whole_project(_options(flags)), check_only=check_only))


@app.command("suggest")
def suggest_command(
    category: Annotated[
        str | None,
        typer.Argument(help="web, api, media, or any word of a range's purpose (default: all)."),
    ] = None,
    paths: PathsArgument = None,
    registry: RegistryOption = None,
    exclude: ExcludeOption = None,
    config: ConfigOption = None,
    no_cache: NoCacheOption = False,
    output_format: Annotated[
        SuggestFormat,
        typer.Option("--format", help="Output format [default: text].", show_default=False),
    ] = SuggestFormat.TEXT,
) -> None:
    """Print the next free local and Tailscale port for a new service in a category.

    Always reads the whole project: PATHS only choose the project.
    """
    from axios_portlint.commands.suggest import suggest_command

    flags = _tree_flags(paths, registry, exclude, config, no_cache)
    _finish(suggest_command(whole_project(_options(flags)), category, output_format))


@app.command("graph")
def graph_command(
    paths: PathsArgument = None,
    registry: RegistryOption = None,
    exclude: ExcludeOption = None,
    config: ConfigOption = None,
    no_cache: NoCacheOption = False,
    output_format: Annotated[
        GraphFormat,
        typer.Option(
            "--format",
            help="dot, mermaid (for Markdown) or svg [default: dot].",
            show_default=False,
        ),
    ] = GraphFormat.DOT,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Draw the conflict graph: services, ports, registry rows and ranges.

    Always reads the whole project: PATHS only choose the project.
    """
    from axios_portlint.commands.graph import graph

    flags = _tree_flags(paths, registry, exclude, config, no_cache)
    _finish(graph(whole_project(_options(flags)), output_format, output))


def _options(flags: Flags) -> Options:
    """The run's one resolved Options: flags over the settings file over the defaults."""
    return resolve(flags, Path.cwd(), formats=[str(f) for f in OutputFormat])


def _finish(outcome: Outcome) -> None:
    if outcome.stderr:
        typer.echo(outcome.stderr, err=True, nl=False)
    if outcome.stdout:
        typer.echo(outcome.stdout, nl=False)
    raise typer.Exit(outcome.exit_code)


def _use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _command_names() -> set[str]:
    """Every command and group the app registers: a new one needs no list kept in step."""
    names = {command.name for command in app.registered_commands}
    names |= {
        group.typer_instance.info.name
        for group in app.registered_groups
        if group.typer_instance is not None
    }
    return {name for name in names if isinstance(name, str)}


def _with_default_command(args: list[str]) -> list[str]:
    """`portlint modules/` means `portlint check modules/`, as with ruff."""
    if args and (args[0] in _command_names() or args[0] in ("--help", "-h", "--version")):
        return args
    return ["check", *args]


def _app_running(args: list[str]) -> typer.Typer:
    """The app with only the command `args` name (all of them for anything else).

    typer builds a click command, with every option converted, for each command
    registered: a third of a millisecond of start-up per option, for commands
    this run never reaches. The root callback (`--version`) and the command's
    own name stay, so usage lines, help and errors read as with the whole app;
    `--help`, a group or an unknown name gets the whole app.
    """
    name = args[0] if args else None
    chosen = [command for command in app.registered_commands if command.name == name]
    if not chosen:
        return app
    narrowed = copy.copy(app)
    narrowed.registered_commands = chosen
    narrowed.registered_groups = []
    return narrowed


def main(argv: Sequence[str] | None = None) -> int:
    """The `portlint` program; `argv` None reads the process's own arguments (`sys.argv`)."""
    # Everything imported so far (typer, click, the modules: 18,000 objects) lives as long
    # as the process: frozen, the cyclic collector stops walking it again and again while
    # the command runs (5 ms of a replayed check). Unfrozen after, for callers in-process.
    gc.freeze()
    # And the collector is off while the command runs: a run lasts a second and makes little
    # cyclic garbage (465 objects in a cold check of the axios-sized tree, 12,000 on 3,500
    # files: 5 MB more at the peak, docs/performance.md), but importing networkx and the
    # pipeline and parsing allocate long-lived objects by the hundred thousand, and every
    # 700 of them started a collection that walked them again: 97 in a cold check of the
    # axios-sized tree, 0.04 s.
    # (Forked workers inherit it; they end with os._exit.)
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _main(argv)
    finally:
        if enabled:
            gc.enable()
        if argv is None:
            # The program (console script, `python -m`): the process ends now, and Python's
            # exit makes one last collection over every object not frozen, which frees
            # nothing the end of the process does not: 0.07 to 0.1 s of a cold check
            # (networkx alone is 290 modules). Frozen, they are not walked.
            gc.freeze()
        else:
            gc.unfreeze()


def _main(argv: Sequence[str] | None) -> int:
    args = _with_default_command(list(sys.argv[1:] if argv is None else argv))
    try:
        # Building the click command can fail too (a typer too old for an annotation).
        command = typer.main.get_command(_app_running(args))
        # Without standalone mode click returns the code of `typer.Exit` instead of exiting.
        code = command.main(args=args, prog_name="portlint", standalone_mode=False)
    except typer.Exit as done:
        return done.exit_code
    except ClickException as error:
        # Click's own exit code is 1 for a plain ClickException and its usage block spans
        # lines; every usage error here is one line and exit code 2.
        typer.echo(f"portlint: error: {_click_message(error)}", err=True)
        return EXIT_USAGE
    except (UsageError, ConfigError) as error:
        typer.echo(f"portlint: error: {error}", err=True)
        return EXIT_USAGE
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("portlint: interrupted", err=True)
        return 130
    except Exception as error:  # a bug of ours: still one line, unless asked for the trace
        if os.environ.get("PORTLINT_DEBUG"):
            raise
        typer.echo(
            f"portlint: internal error: {type(error).__name__}: {error} "
            "(set PORTLINT_DEBUG=1 for a traceback, and please report it)",
            err=True,
        )
        return EXIT_USAGE
    return code if isinstance(code, int) else 0


def _click_message(error: Exception) -> str:
    message = error_message(error) or "a command is missing"
    path = command_path(error)
    if path is not None:
        message += f" (see '{path} --help')"
    return message


if __name__ == "__main__":
    raise SystemExit(main())
