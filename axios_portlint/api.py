"""The pipeline as a library: `scan` a tree, `check` it against the registry.

Everything here is pure analysis over the files it reads: no output format, no
writing. The commands (axios_portlint.commands) sit on top; tests call these
directly as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from axios_portlint.config import Listeners, classify
from axios_portlint.discover import (
    DEFAULT_MAX_BYTES,
    DiscoveryError,
    EmptySelectionError,
    StatFile,
    discover_stats,
    empty_selection_message,
    read_file,
    sorted_problems,
)
from axios_portlint.discover.paths import display_path
from axios_portlint.discover.root import PROJECT_EXCLUDES, is_inside, targets_of
from axios_portlint.errors import UsageError
from axios_portlint.extract.batch import extract_found
from axios_portlint.extract.cache import Cache
from axios_portlint.extract.link import link
from axios_portlint.model import (
    FileProblem,
    FileResult,
    Finding,
    PortDecl,
    Registry,
    Severity,
    SyntaxIssue,
)
from axios_portlint.narrow import narrow, within
from axios_portlint.rules import (
    Context,
    Selection,
    UnknownSelectorError,
    all_rules,
    run_rules,
    select_rules,
)
from axios_portlint.rules.pl020_unused_suppression import RULE as UNUSED_SUPPRESSION
from axios_portlint.suppress import Suppression, apply_suppressions, unused_suppressions
from axios_portlint.suppress.nix import (
    nix_suppressions,
    suppressions_from_json,
    suppressions_to_json,
)

if TYPE_CHECKING:  # markdown-it and networkx: imported by the functions that use them
    from axios_portlint.graph import PortGraph
    from axios_portlint.registry import RegistrySource

__all__ = [
    "Inventory",
    "Named",
    "Report",
    "UsageError",
    "check",
    "find_registry",
    "locate_registry",
    "name_paths",
    "read_registry",
    "scan",
]

REGISTRY_CANDIDATES = ("ports.md", "openspec/specs/networking/ports.md")


@dataclass(frozen=True, slots=True)
class Inventory:
    """What the module tree declares, file by file."""

    files: tuple[str, ...]
    decls: tuple[PortDecl, ...]
    syntax_issues: tuple[SyntaxIssue, ...]
    file_problems: tuple[FileProblem, ...]
    # `portlint: ignore` comments of the Nix files, gathered while their bytes are at hand.
    suppressions: tuple[Suppression, ...] = ()


@dataclass(frozen=True, slots=True)
class Named:
    """The paths a user named (`portlint FILE...`): analyzed with the whole project, reported alone.

    Ports are a property of the tree (a conflict has two sides, a stale row
    needs every module), so naming a file narrows what is reported, never what
    is analyzed: `check` keeps the findings located in `targets` and counts the
    files they hold.
    """

    targets: frozenset[str]  # display paths below the root, as findings spell their files
    # Named files and the named folders the project walk does not cover: analyzed too,
    # whatever the excludes say (a file named on the command line is checked).
    inputs: tuple[Path, ...] = ()
    registry: bool = False  # the registry is named, or inside a named folder


@dataclass(frozen=True, slots=True)
class Report:
    """What a check found, with what it was found from: the registry as read and the graph.

    `registry sync` plans its edits from `source` and `graph`, so it never reads,
    parses or matches anything a second time.
    """

    findings: tuple[Finding, ...]
    inventory: Inventory
    source: RegistrySource
    graph: PortGraph
    suppressed: tuple[Finding, ...] = ()  # silenced by a `portlint: ignore` comment
    named: Named | None = None  # the paths findings were narrowed to; None: the whole tree

    @property
    def registry(self) -> Registry:
        return self.source.registry

    @property
    def files_checked(self) -> int:
        """How many files the summary counts: the tree's, or the named paths' (registry too)."""
        files = (*self.inventory.files, *(problem.path for problem in self.inventory.file_problems))
        if self.named is None:
            return len(files)
        named = within(self.named.targets)
        return sum(map(named, files)) + (1 if self.named.registry else 0)

    def exit_code(self, fail_on: Severity = Severity.ERROR) -> int:
        failing = any(f.severity.rank >= fail_on.rank for f in self.findings)
        return 1 if failing else 0


def scan(
    paths: Sequence[Path] = (),
    *,
    excludes: Sequence[str] = (),
    cwd: Path | None = None,
    listeners: Listeners | None = None,
    cache_dir: Path | None = None,
    with_suppressions: bool = False,
    also: Sequence[Path] = (),
) -> Inventory:
    """Discover, parse and extract: every port declaration below `paths`.

    No `paths` walks the whole project at `cwd` (its root), skipping the
    caches of `discover.root.PROJECT_EXCLUDES` on top of `excludes`. `also`
    are further files and folders to read with the tree (`Named.inputs`).
    `listeners` re-classifies each declaration's kind by option-path patterns;
    None keeps the kinds extraction gave. With `cache_dir`, files whose content
    is unchanged since the last run are not parsed again.
    """
    cwd = cwd or Path.cwd()
    walked = (*PROJECT_EXCLUDES, *excludes) if not paths else tuple(excludes)
    try:
        found = discover_stats([*(paths or [cwd]), *also], excludes=walked, cwd=cwd)
    except EmptySelectionError as error:
        # Name the user's excludes only, not the caches every whole-project walk skips.
        raise UsageError(empty_selection_message(error.paths, excludes)) from None
    except DiscoveryError as error:
        raise UsageError(str(error)) from None
    cache = Cache(cache_dir) if cache_dir is not None else None
    # With a cache every file's suppressions are kept beside its result, so a warm
    # run reads no file; without one only a check needs them.
    wants_notes = cache is not None or with_suppressions
    batch = extract_found(
        found.files,
        cache,
        max_bytes=DEFAULT_MAX_BYTES,
        note=(lambda source: suppressions_to_json(nix_suppressions(source)))
        if wants_notes
        else None,
    )
    results = batch.results
    # Fold what files read from each other's options, now that all are known.
    defined_by = {path: result.path for result in results for path in result.defines}
    decls = tuple(link([decl for result in results for decl in result.decls], defined_by))
    if listeners is not None:
        decls = classify(decls, listeners)
    issues = tuple(r.syntax_issue for r in results if r.syntax_issue is not None)
    return Inventory(
        files=tuple(result.path for result in results),
        decls=tuple(sorted(decls, key=lambda d: d.location.sort_key())),
        syntax_issues=issues,
        file_problems=sorted_problems([*found.problems, *batch.problems]),
        suppressions=(
            _suppressions(results, batch.notes, found.files) if with_suppressions else ()
        ),
    )


def _suppressions(
    results: Sequence[FileResult], notes: Sequence[object], files: Sequence[StatFile]
) -> tuple[Suppression, ...]:
    by_display = {file.display: file for file in files}
    found: list[Suppression] = []
    for result, note in zip(results, notes, strict=True):
        try:
            found.extend(suppressions_from_json(result.path, note))
        except ValueError:
            # A note this code cannot decode: the file itself still can.
            source = read_file(by_display[result.path], DEFAULT_MAX_BYTES)
            if not isinstance(source, FileProblem):
                found.extend(nix_suppressions(source))
    return tuple(found)


def find_registry(explicit: Path | None, cwd: Path) -> Path | None:
    """`--registry FILE`, else ./ports.md, else ./openspec/specs/networking/ports.md, else None."""
    if explicit is not None:
        return explicit
    return next((cwd / c for c in REGISTRY_CANDIDATES if (cwd / c).is_file()), None)


def locate_registry(explicit: Path | None, cwd: Path) -> Path:
    """The registry `find_registry` finds; a usage error when there is none."""
    found = find_registry(explicit, cwd)
    if found is None:
        raise UsageError(
            "no port registry found: pass --registry FILE or add ports.md "
            "(looked for ./ports.md and ./openspec/specs/networking/ports.md)"
        )
    return found


def name_paths(
    paths: Sequence[Path],
    *,
    cwd: Path,
    root: Path,
    tree: Sequence[Path] = (),
    excludes: Sequence[str] = (),
    registry: Path | None = None,
) -> Named | None:
    """What `portlint FILE...` reports on; None when a named path is the whole project.

    `paths` are relative to `cwd` (the user's folder), `root` is the project
    root and `tree` the folders it consists of (none: the root). `registry`,
    when named, is kept apart: it is no Nix file, and its findings are kept.
    Paths holding neither a Nix file (after the excludes) nor the registry are
    a usage error, shown as the user typed them: checking nothing never passes.
    """
    targets = targets_of(paths, cwd=cwd, base=root)
    registry_shown = None if registry is None else display_path(registry, root)
    named_registry = registry_shown is not None and within(targets)(registry_shown)
    typed = [path for path in paths if registry is None or not _same_file(cwd / path, registry)]
    sources = [cwd / path for path in typed]
    if sources:
        try:
            discover_stats(sources, excludes=(*PROJECT_EXCLUDES, *excludes), cwd=cwd)
        except EmptySelectionError:
            if not named_registry:
                shown = [str(path) for path in typed]
                raise UsageError(empty_selection_message(shown, excludes)) from None
        except DiscoveryError as error:
            raise UsageError(str(error)) from None
    if "." in targets:
        return None
    walked = [root / folder for folder in tree] or [root]
    inputs = tuple(
        path
        for path in sources
        if not path.is_dir() or not any(is_inside(path, folder) for folder in walked)
    )
    return Named(targets=targets, inputs=inputs, registry=named_registry)


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.samefile(second)
    except OSError:
        return False


def read_registry(path: Path, cwd: Path) -> RegistrySource:
    """The registry file read and parsed once; a file that is not text is a usage error."""
    # markdown-it is imported here, not at start-up: `portlint ports` never reads the registry.
    from axios_portlint.registry import RegistryError
    from axios_portlint.registry import read_registry as read_source

    try:
        return read_source(path, display_path(path, cwd))
    except RegistryError as error:
        raise UsageError(str(error)) from None


def check(
    paths: Sequence[Path] = (),
    registry: Path | None = None,
    *,
    excludes: Sequence[str] = (),
    cwd: Path | None = None,
    selection: Sequence[Selection] = (),
    listeners: Listeners | None = None,
    cache_dir: Path | None = None,
    named: Named | None = None,
) -> Report:
    """The whole pipeline: scan the tree, read the registry, run the selected rules.

    `selection` layers go from lowest priority to highest (configuration file,
    then command line); none selects every rule. Inline suppressions are applied
    once, after the rules; the ones that silenced nothing become PL020 findings.
    With `named` (`name_paths`), the tree is analyzed with the named paths and
    only the findings located in them are kept, after the suppressions.
    """
    cwd = cwd or Path.cwd()
    try:
        rules = select_rules(selection)
    except UnknownSelectorError as error:
        raise UsageError(str(error)) from None
    source = read_registry(locate_registry(registry, cwd), cwd)
    registry_file = source.registry
    inventory = scan(
        paths,
        excludes=excludes,
        cwd=cwd,
        listeners=listeners,
        cache_dir=cache_dir,
        with_suppressions=True,
        also=() if named is None else named.inputs,
    )
    from axios_portlint.graph import PortGraph  # networkx: only a check needs it

    graph = PortGraph(inventory.decls, registry_file)
    context = Context(
        decls=inventory.decls,
        syntax_issues=inventory.syntax_issues,
        file_problems=inventory.file_problems,
        registry=registry_file,
        graph=graph,
    )
    findings = run_rules(context, rules)
    from axios_portlint.suppress.markdown import markdown_suppressions

    suppressions = inventory.suppressions + markdown_suppressions(source.text, registry_file.path)
    applied = apply_suppressions(findings, suppressions)
    kept = list(applied.findings)
    if any(rule.code == UNUSED_SUPPRESSION.code for rule in rules):
        unused = unused_suppressions(
            suppressions,
            applied,
            known={rule.code for rule in all_rules()},
            selected={rule.code for rule in rules},
        )
        kept.extend(UNUSED_SUPPRESSION.finding(where, why) for where, why in unused)
    reported = tuple(sorted(kept, key=Finding.sort_key))
    suppressed = applied.suppressed
    if named is not None:
        reported, suppressed = narrow(reported, named.targets), narrow(suppressed, named.targets)
    return Report(
        findings=reported,
        inventory=inventory,
        source=source,
        graph=graph,
        suppressed=suppressed,
        named=named,
    )
