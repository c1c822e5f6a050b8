"""The `portlint` command: argument parsing only; the work happens in `axios_portlint.api`."""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from axios_portlint import __version__
from axios_portlint.cli.compat import ClickException, command_path, error_message
from axios_portlint.cli.listing import rules_json, rules_table
from axios_portlint.config import ConfigError, Settings, load_settings
from axios_portlint.errors import UsageError
from axios_portlint.model import Severity
from axios_portlint.rules import Rule, Selection, all_rules, render_doc, unknown_selectors

# The pipeline (tree-sitter, the extractors) and the formatters are imported by the
# commands that run them, so `--version`, `explain` and `rules` start in a blink.

app = typer.Typer(
    name="portlint",
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Keep NixOS module ports and the ports.md registry honest, without evaluating Nix.",
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
)

EXIT_USAGE = 2


class OutputFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"


class InventoryFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


class RulesFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


class SuggestFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


class GraphFormat(enum.StrEnum):
    DOT = "dot"
    MERMAID = "mermaid"
    SVG = "svg"


PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(help="Files or folders to check (default: modules/ if it exists, else .)."),
]
RegistryOption = Annotated[
    Path | None,
    typer.Option(help="The port registry (default: ./ports.md, else openspec/specs/...)."),
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option("--exclude", help="Glob of paths to skip; repeatable.", metavar="GLOB"),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Settings file (default: nearest portlint.toml or pyproject.toml [tool.portlint]).",
        metavar="FILE",
    ),
]
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


NoCacheOption = Annotated[
    bool,
    typer.Option(
        "--no-cache", help="Parse every file again instead of reusing .portlint_cache/ results."
    ),
]


@app.command("check")
def check_command(
    paths: PathsArgument = None,
    registry: Annotated[
        Path | None,
        typer.Option(help="The port registry (default: ./ports.md, else openspec/specs/...)."),
    ] = None,
    exclude: ExcludeOption = None,
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
    config: ConfigOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Check the module tree against the port registry (the default command)."""
    settings = _settings(config)
    # Command-line flags win over the settings file, which wins over the defaults.
    output_format = output_format or OutputFormat(settings.format or OutputFormat.TEXT)
    fail_on = fail_on or settings.fail_on or Severity.ERROR
    flags = Selection(
        select=_selectors("--select", select) if select else None,
        extend_select=_selectors("--extend-select", extend_select),
        ignore=_selectors("--ignore", ignore),
    )
    from axios_portlint.api import check
    from axios_portlint.extract.cache import CACHE_DIR

    result = check(
        paths or settings.paths or [],
        registry or settings.registry,
        excludes=_excludes(exclude, settings),
        selection=[settings.selection, flags],
        listeners=settings.listeners,
        cache_dir=None if no_cache else Path.cwd() / CACHE_DIR,
    )
    from axios_portlint import report

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
    config: ConfigOption = None,
) -> None:
    """List every port declaration in the module tree."""
    settings = _settings(config)
    from axios_portlint.api import scan

    inventory = scan(
        paths or settings.paths or [],
        excludes=_excludes(exclude, settings),
        listeners=settings.listeners,
    )
    from axios_portlint import report

    if output_format is InventoryFormat.JSON:
        typer.echo(report.ports_json(inventory.decls), nl=False)
    else:
        typer.echo(report.ports_table(inventory.decls), nl=False)


@app.command("explain")
def explain_command(
    code: Annotated[str, typer.Argument(help="A rule code (PL005) or name (registry-mismatch).")],
) -> None:
    """Print a rule's documentation: what it reports, why, an example and the fix."""
    typer.echo(render_doc(_rule(code)), nl=False)


@app.command("rules")
def rules_command(
    output_format: Annotated[
        RulesFormat, typer.Option("--format", help="Output format.")
    ] = RulesFormat.TABLE,
) -> None:
    """List every rule with its code, name and default severity."""
    rules = all_rules()
    text = rules_json(rules) if output_format is RulesFormat.JSON else rules_table(rules)
    typer.echo(text, nl=False)


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
    check_only: Annotated[
        bool,
        typer.Option(
            "--check", help="Write nothing; print the diff and exit 1 if the registry is stale."
        ),
    ] = False,
    exclude: ExcludeOption = None,
    config: ConfigOption = None,
) -> None:
    """Rewrite the registry's allocation tables from what the code declares."""
    # Imported here: `portlint check` and `portlint ports` never pay for them.
    from axios_portlint.registry.document import write_atomically
    from axios_portlint.registry.sync import sync

    settings = _settings(config)
    result = sync(
        paths or settings.paths or [],
        registry or settings.registry,
        excludes=_excludes(exclude, settings),
        # No cache: sync writes the registry and nothing else.
        listeners=settings.listeners,
    )
    for note in result.plan.notes:
        typer.echo(f"portlint: note: {note}", err=True)
    if not result.changed:
        typer.echo(f"{result.display} is in sync with the code.")
        raise typer.Exit(0)
    if check_only:
        typer.echo(result.diff(), nl=False)
        raise typer.Exit(1)
    try:
        write_atomically(result.path, result.after.to_bytes())
    except OSError as error:
        raise UsageError(f"{result.display}: cannot write: {error.strerror or error}") from None
    for change in result.plan.changes:
        typer.echo(change)
    count = len(result.plan.changes)
    typer.echo(f"Updated {result.display}: {count} change{'s' if count != 1 else ''}.")


EXIT_FULL_RANGE = 1


@app.command("suggest")
def suggest_command(
    category: Annotated[
        str | None,
        typer.Argument(help="web, api, media, or any word of a range's purpose (default: all)."),
    ] = None,
    paths: PathsArgument = None,
    registry: RegistryOption = None,
    output_format: Annotated[
        SuggestFormat, typer.Option("--format", help="Output format.")
    ] = SuggestFormat.TEXT,
    exclude: ExcludeOption = None,
    config: ConfigOption = None,
) -> None:
    """Print the next free local and Tailscale port for a new service in a category."""
    from axios_portlint.api import locate_registry, read_registry
    from axios_portlint.registry import suggest as suggesting

    settings = _settings(config)
    registry_file = read_registry(
        locate_registry(registry or settings.registry, Path.cwd()), Path.cwd()
    )
    from axios_portlint.api import scan

    inventory = scan(
        paths or settings.paths or [],
        excludes=_excludes(exclude, settings),
        listeners=settings.listeners,
    )
    wanted = [category] if category else suggesting.categories(registry_file)
    results: list[dict[str, object]] = []
    texts: list[str] = []
    failed = False
    for name in wanted:
        try:
            found = suggesting.suggest(name, inventory.decls, registry_file)
        except suggesting.UnknownCategoryError as error:
            raise UsageError(str(error)) from None
        except suggesting.FullRangeError as error:
            if category and output_format is SuggestFormat.TEXT:
                typer.echo(f"portlint: error: {name}: {error}", err=True)
                raise typer.Exit(EXIT_FULL_RANGE) from None
            failed = True
            results.append(suggesting.error_data(name, str(error)))
            texts.append(f"category:  {name}\nerror: {error}\n")
            continue
        results.append(suggesting.suggestion_data(found))
        texts.append(suggesting.suggestion_text(found))
    if output_format is SuggestFormat.JSON:
        import json

        data: object = results[0] if category else results
        typer.echo(json.dumps(data, indent=2))
    else:
        typer.echo("\n".join(texts), nl=False)
    # A full range is an answer, not a usage error: 1, as for a finding. Listing every
    # category (no CATEGORY) is a report and succeeds even when some range is full.
    raise typer.Exit(EXIT_FULL_RANGE if failed and category else 0)


@app.command("graph")
def graph_command(
    paths: PathsArgument = None,
    registry: RegistryOption = None,
    output_format: Annotated[
        GraphFormat, typer.Option("--format", help="dot, mermaid (for Markdown) or svg.")
    ] = GraphFormat.DOT,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    exclude: ExcludeOption = None,
    config: ConfigOption = None,
) -> None:
    """Draw the conflict graph: services, ports, registry rows and ranges."""
    from axios_portlint.api import REGISTRY_CANDIDATES, locate_registry, read_registry
    from axios_portlint.drawing import build_drawing, to_dot, to_mermaid, to_svg
    from axios_portlint.graph import PortGraph

    settings = _settings(config)
    explicit = registry or settings.registry
    cwd = Path.cwd()
    registry_file = None
    if explicit is not None or any((cwd / c).is_file() for c in REGISTRY_CANDIDATES):
        registry_file = read_registry(locate_registry(explicit, cwd), cwd)
    from axios_portlint.api import scan

    inventory = scan(
        paths or settings.paths or [],
        excludes=_excludes(exclude, settings),
        listeners=settings.listeners,
    )
    drawing = build_drawing(PortGraph(inventory.decls, registry_file))
    if output_format is GraphFormat.SVG:
        text = to_svg(drawing)
    elif output_format is GraphFormat.MERMAID:
        text = to_mermaid(drawing)
    else:
        text = to_dot(drawing)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{output}: cannot write: {error.strerror or error}") from None


def _rule(code: str) -> Rule:
    wanted = code.strip().lower()
    found = next((r for r in all_rules() if wanted in (r.code.lower(), r.name)), None)
    if found is None:
        raise UsageError(f"unknown rule {code!r} (`portlint rules` lists them)")
    return found


def _settings(explicit: Path | None) -> Settings:
    return load_settings(Path.cwd(), explicit, formats=[str(f) for f in OutputFormat])


def _excludes(flags: list[str] | None, settings: Settings) -> list[str]:
    if flags is not None:
        return flags
    return list(settings.exclude or ())


def _selectors(flag: str, values: list[str] | None) -> tuple[str, ...]:
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _with_default_command(list(sys.argv[1:] if argv is None else argv))
    try:
        # Building the click command can fail too (a typer too old for an annotation).
        command = typer.main.get_command(app)
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
