"""The pipeline as a library: `scan` a tree, `check` it against the registry.

Everything here is pure analysis over the files it reads: no output format, no
writing. The commands (axios_portlint.commands) sit on top; tests call these
directly as well.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from axios_portlint.config import HostEntries, Listeners, classify
from axios_portlint.discover import (
    DEFAULT_MAX_BYTES,
    DiscoveryError,
    EmptySelectionError,
    StatFile,
    Stats,
    discover_stats,
    empty_selection_message,
    read_file,
    require_sources,
    sorted_problems,
)
from axios_portlint.discover.paths import display_path
from axios_portlint.discover.root import PROJECT_EXCLUDES, is_inside, targets_of
from axios_portlint.errors import UsageError
from axios_portlint.model_base import FileProblem, Finding, Severity, SourceFile
from axios_portlint.narrow import within
from axios_portlint.rules import Selection, UnknownSelectorError, select_codes

# The pipeline's stages are imported by the functions that run them: a replayed
# check (`check_cached`) runs none of them and must not pay for their import, nor
# for networkx and markdown-it behind the graph and the registry.
if TYPE_CHECKING:
    from axios_portlint.extract.batch import Batch
    from axios_portlint.graph import PortGraph
    from axios_portlint.model import FileResult, HostMap, PortDecl, Registry, SyntaxIssue
    from axios_portlint.registry import RegistrySource
    from axios_portlint.suppress import Suppression

__all__ = [
    "Checked",
    "Inventory",
    "MissingRegistryError",
    "Named",
    "Report",
    "UsageError",
    "check",
    "check_cached",
    "find_registry",
    "locate_registry",
    "name_paths",
    "read_registry",
    "scan",
]


class MissingRegistryError(UsageError):
    """No registry named and none at its default places: a usage error (exit 2)."""


REGISTRY_CANDIDATES = ("ports.md", "openspec/specs/networking/ports.md")
# A module declares options: `mkOption`, but also `mkEnableOption`, `mkPackageOption`.
DECLARES_OPTIONS = re.compile(rb"\bmk\w*Option\b")


@dataclass(frozen=True, slots=True)
class Inventory:
    """What the module tree declares, file by file."""

    files: tuple[str, ...]
    decls: tuple[PortDecl, ...]
    syntax_issues: tuple[SyntaxIssue, ...]
    file_problems: tuple[FileProblem, ...]
    # `portlint: ignore` comments of the Nix files, gathered while their bytes are at hand.
    suppressions: tuple[Suppression, ...] = ()
    # The hosts of the tree and their module files; None when not asked for.
    hosts: HostMap | None = None


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
    source: RegistrySource | None  # None: a check without a registry (`--no-registry`)
    graph: PortGraph
    suppressed: tuple[Finding, ...] = ()  # silenced by a `portlint: ignore` comment
    named: Named | None = None  # the paths findings were narrowed to; None: the whole tree

    @property
    def registry(self) -> Registry | None:
        return None if self.source is None else self.source.registry

    @property
    def hosts(self) -> HostMap:
        return self.inventory.hosts or no_hosts()

    @property
    def files_checked(self) -> int:
        """How many files the summary counts: the tree's, or the named paths' (registry too)."""
        files = (*self.inventory.files, *(problem.path for problem in self.inventory.file_problems))
        if self.named is None:
            return len(files)
        named = within(self.named.targets)
        return sum(map(named, files)) + (1 if self.named.registry else 0)

    def exit_code(self, fail_on: Severity = Severity.ERROR) -> int:
        return _exit_code(self.findings, fail_on)


@dataclass(frozen=True, slots=True)
class Checked:
    """What `portlint check` prints: the findings, and how many files they were found in."""

    findings: tuple[Finding, ...]
    files: int  # the files read, and those that could not be

    def exit_code(self, fail_on: Severity = Severity.ERROR) -> int:
        return _exit_code(self.findings, fail_on)


def _exit_code(findings: Sequence[Finding], fail_on: Severity) -> int:
    return 1 if any(f.severity.rank >= fail_on.rank for f in findings) else 0


def scan(
    paths: Sequence[Path] = (),
    *,
    excludes: Sequence[str] = (),
    cwd: Path | None = None,
    listeners: Listeners | None = None,
    cache_dir: Path | None = None,
    with_suppressions: bool = False,
    with_hosts: bool = False,
    hosts: HostEntries | None = None,
    discovered: Stats | None = None,
    also: Sequence[Path] = (),
) -> Inventory:
    """Discover, parse and extract: every port declaration below `paths`.

    No `paths` walks the whole project at `cwd` (its root), skipping the
    caches of `discover.root.PROJECT_EXCLUDES` on top of `excludes`. `also`
    are further files and folders to read with the tree (`Named.inputs`).
    `listeners` re-classifies each declaration's kind by option-path patterns;
    None keeps the kinds extraction gave. With `cache_dir`, files whose content
    is unchanged since the last run are not parsed again. `with_hosts` finds the
    tree's hosts (`extract.hosts.find_hosts`), with the settings' `hosts` first. `discovered`
    is what discovery found for these same paths and excludes, when the caller walked
    them already (`check_cached` does, for its key).
    """
    return _Scan(
        paths,
        excludes=excludes,
        cwd=cwd,
        listeners=listeners,
        cache_dir=cache_dir,
        with_suppressions=with_suppressions,
        with_hosts=with_hosts,
        hosts=hosts,
        discovered=discovered,
        also=also,
    ).inventory()


class _Scan:
    """A `scan` under way: the files are read and their parsing started (in forked
    workers on a large tree) when it is made; `inventory()` waits for the rest, so the
    caller can do other work in between; `close()` abandons it."""

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        excludes: Sequence[str],
        cwd: Path | None,
        listeners: Listeners | None,
        cache_dir: Path | None,
        with_suppressions: bool,
        with_hosts: bool,
        hosts: HostEntries | None,
        discovered: Stats | None,
        also: Sequence[Path],
        busy_meanwhile: bool = False,
    ) -> None:
        """`busy_meanwhile`: the caller has work of its own before `inventory()`."""
        from axios_portlint.extract.batch import (
            BUSY_CALLER_POOL_THRESHOLD,
            POOL_THRESHOLD,
            start_found,
        )
        from axios_portlint.extract.cache import Cache

        self._cwd = cwd or Path.cwd()
        self._found = (
            discovered if discovered is not None else _discover(paths, excludes, self._cwd, also)
        )
        self._listeners = listeners
        self._with_suppressions = with_suppressions
        self._hosts = (hosts or ()) if with_hosts else None
        cache = Cache(cache_dir) if cache_dir is not None else None
        # With a cache every file's note is kept beside its result, so a warm run reads
        # no file; without one only suppressions and hosts need them.
        wants_notes = cache is not None or with_suppressions or with_hosts
        self._extraction = start_found(
            self._found.files,
            cache,
            max_bytes=DEFAULT_MAX_BYTES,
            note=_note if wants_notes else None,
            pool_threshold=BUSY_CALLER_POOL_THRESHOLD if busy_meanwhile else POOL_THRESHOLD,
        )

    def close(self) -> None:
        self._extraction.close()

    def inventory(self) -> Inventory:
        from axios_portlint.extract.link import link_results

        found = self._found
        batch = self._extraction.result()
        results = batch.results
        # Place submodule files and fold what files read from each other's options,
        # now that all are known.
        decls = tuple(link_results(results))
        if self._listeners is not None:
            decls = classify(decls, self._listeners)
        issues = tuple(r.syntax_issue for r in results if r.syntax_issue is not None)
        hosts = self._hosts
        return Inventory(
            files=tuple(result.path for result in results),
            decls=tuple(sorted(decls, key=lambda d: d.location.sort_key())),
            syntax_issues=issues,
            file_problems=sorted_problems([*found.problems, *batch.problems]),
            suppressions=(
                _suppressions(results, batch.notes, found.files) if self._with_suppressions else ()
            ),
            hosts=_hosts(found.files, batch, hosts, decls, self._cwd)
            if hosts is not None
            else None,
        )


def _note(source: SourceFile) -> object:
    """What a run needs from a file's bytes besides its result, kept beside it in the
    cache so that a warm run reads no file: its `portlint: ignore` comments, and
    whether it may name hosts (`names_hosts`)."""
    from axios_portlint.extract.hostsources import names_hosts
    from axios_portlint.suppress.nix import nix_suppressions, suppressions_to_json

    return [suppressions_to_json(nix_suppressions(source)), names_hosts(source.data)]


def _noted(note: object, part: int) -> object:
    """One part of a `_note`; None when the note is damaged (or there is none)."""
    return note[part] if isinstance(note, list) and len(note) == 2 else None


def no_hosts() -> HostMap:
    """The hosts of a tree that names none."""
    from axios_portlint.model import HostMap  # the whole model: a replay needs none of it

    return HostMap(hosts=(), unresolved=())


def _hosts(
    files: Sequence[StatFile],
    batch: Batch,
    configured: HostEntries,
    decls: Sequence[PortDecl],
    cwd: Path,
) -> HostMap:
    """The tree's hosts, from the files this process read and the others read again
    (a forked worker read them, or a warm cache kept none of their bytes): only for a
    tree that may name a host, told from the files' notes and paths."""
    from axios_portlint.extract.hostsources import may_name_hosts

    by_path: dict[str, SourceFile | None] = {source.path: source for source in batch.read}
    by_display = {file.display: file for file in files}

    def source_of(path: str) -> SourceFile | None:
        """The file's bytes, read at most once here."""
        if path not in by_path:
            read = read_file(by_display[path], DEFAULT_MAX_BYTES)
            by_path[path] = read if isinstance(read, SourceFile) else None
        return by_path[path]

    entries = {name: [display_path(path, cwd) for path in paths] for name, paths in configured}
    configurations = _configurations(decls, by_display, source_of)
    # A file without a note of its own (a damaged cache entry) may name one.
    naming = any(_noted(note, 1) is not False for note in batch.notes)
    if not may_name_hosts(list(by_display), naming, entries, configurations):
        return no_hosts()  # and tree-sitter stays unloaded on a warm run
    from axios_portlint.extract.hosts import find_hosts  # tree-sitter: only when needed

    sources = [source for path in by_display if (source := source_of(path)) is not None]
    return find_hosts(sources, entries, configurations)


def _configurations(
    decls: Sequence[PortDecl],
    files: Collection[str],
    source_of: Callable[[str], SourceFile | None],
) -> set[str]:
    """Files that set a port value and declare no option: a machine's configuration."""
    from axios_portlint.graph.hosts import DEFAULT_ORIGINS
    from axios_portlint.model import Origin

    setting = {d.location.file for d in decls if d.origin is Origin.CONFIG}
    declaring = {d.location.file for d in decls if d.origin in DEFAULT_ORIGINS}
    return {
        path
        for path in setting - declaring
        if path in files
        and (source := source_of(path)) is not None
        and DECLARES_OPTIONS.search(source.data) is None
    }


def _discover(
    paths: Sequence[Path], excludes: Sequence[str], cwd: Path, also: Sequence[Path] = ()
) -> Stats:
    """Every Nix file below `paths` (the whole project at `cwd` without any) and `also`."""
    walked = (*PROJECT_EXCLUDES, *excludes) if not paths else tuple(excludes)
    try:
        return discover_stats([*(paths or [cwd]), *also], excludes=walked, cwd=cwd)
    except EmptySelectionError as error:
        # Name the user's excludes only, not the caches every whole-project walk skips.
        raise UsageError(empty_selection_message(error.paths, excludes)) from None
    except DiscoveryError as error:
        raise UsageError(str(error)) from None


def _suppressions(
    results: Sequence[FileResult], notes: Sequence[object], files: Sequence[StatFile]
) -> tuple[Suppression, ...]:
    from axios_portlint.suppress.nix import nix_suppressions, suppressions_from_json

    by_display = {file.display: file for file in files}
    found: list[Suppression] = []
    for result, note in zip(results, notes, strict=True):
        try:
            found.extend(suppressions_from_json(result.path, _noted(note, 0)))
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
        raise MissingRegistryError(
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
            require_sources(sources, excludes=(*PROJECT_EXCLUDES, *excludes), cwd=cwd)
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
    no_registry: bool = False,
    hosts: HostEntries | None = None,
    discovered: Stats | None = None,
    named: Named | None = None,
) -> Report:
    """The whole pipeline: scan the tree, read the registry, run the selected rules.

    `no_registry` reads no registry and runs only the rules that need none (the
    others are not run, so their suppressions are not reported unused); `hosts`
    are the settings' hosts, before those the tree names itself.

    `selection` layers go from lowest priority to highest (configuration file,
    then command line); none selects every rule. Inline suppressions are applied
    once, after the rules; the ones that silenced nothing become PL020 findings.
    With `named` (`name_paths`), the tree is analyzed with the named paths and
    only the findings located in them are kept, after the suppressions.
    """
    from axios_portlint.narrow import narrow
    from axios_portlint.rules import Context, all_rules, run_rules, select_rules
    from axios_portlint.rules.pl020_unused_suppression import RULE as UNUSED_SUPPRESSION
    from axios_portlint.suppress import apply_suppressions, unused_suppressions

    cwd = cwd or Path.cwd()
    try:
        rules = select_rules(selection)
    except UnknownSelectorError as error:
        raise UsageError(str(error)) from None
    # Without a registry the rules that need one cannot run: PL020 cannot judge their comments.
    unjudged = {rule.code for rule in rules if no_registry and rule.needs_registry}
    rules = tuple(rule for rule in rules if rule.code not in unjudged)
    registry_path = None if no_registry else locate_registry(registry, cwd)
    try:
        # Started first: forked workers parse while this process imports markdown-it
        # and networkx and reads the registry.
        scanning = _Scan(
            paths,
            excludes=excludes,
            cwd=cwd,
            listeners=listeners,
            cache_dir=cache_dir,
            with_suppressions=True,
            with_hosts=True,
            hosts=hosts,
            discovered=discovered,
            also=() if named is None else named.inputs,
            busy_meanwhile=True,
        )
    except UsageError:
        if registry_path is not None:
            read_registry(registry_path, cwd)  # a broken registry is still told first
        raise
    try:
        source = None if registry_path is None else read_registry(registry_path, cwd)
        from axios_portlint.graph import PortGraph, load_networkx  # only a check needs them

        load_networkx()
        inventory = scanning.inventory()
    except BaseException:
        scanning.close()
        raise
    registry_file = None if source is None else source.registry
    graph = PortGraph(inventory.decls, registry_file)
    context = Context(
        decls=inventory.decls,
        syntax_issues=inventory.syntax_issues,
        file_problems=inventory.file_problems,
        registry=registry_file,
        graph=graph,
        hosts=inventory.hosts,
    )
    findings = run_rules(context, rules)
    from axios_portlint.suppress.markdown import markdown_suppressions

    suppressions = inventory.suppressions
    if source is not None:
        suppressions += markdown_suppressions(source.text, source.registry.path)
    applied = apply_suppressions(findings, suppressions)
    kept = list(applied.findings)
    if any(rule.code == UNUSED_SUPPRESSION.code for rule in rules):
        unused = unused_suppressions(
            suppressions,
            applied,
            known={rule.code for rule in all_rules()},
            selected={rule.code for rule in rules} | unjudged,
            unjudged=unjudged,
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


def check_cached(
    paths: Sequence[Path] = (),
    registry: Path | None = None,
    *,
    excludes: Sequence[str] = (),
    cwd: Path | None = None,
    selection: Sequence[Selection] = (),
    listeners: Listeners | None = None,
    cache_dir: Path | None = None,
    no_registry: bool = False,
    hosts: HostEntries | None = None,
    named: Named | None = None,
) -> Checked:
    """`check`'s findings, replayed from `cache_dir` when none of the run's inputs changed.

    A replay (extract/replay.py) reads no source, builds no graph, runs no rule
    and imports neither networkx nor markdown-it; anything that could change a
    finding makes it a miss, and the run is made as `check` makes it.
    """
    if cache_dir is None:
        report = check(
            paths,
            registry,
            excludes=excludes,
            cwd=cwd,
            selection=selection,
            listeners=listeners,
            no_registry=no_registry,
            hosts=hosts,
            named=named,
        )
        return Checked(report.findings, report.files_checked)
    from axios_portlint.extract.replay import Replay, RunCache

    cwd = cwd or Path.cwd()
    try:
        codes = select_codes(selection)
    except UnknownSelectorError as error:
        raise UsageError(str(error)) from None
    registry_path = None if no_registry else locate_registry(registry, cwd)
    try:
        found = _discover(paths, excludes, cwd, () if named is None else named.inputs)
    except UsageError:
        found = None  # `check` says what is wrong, in its own order (the registry first)
    key = _run_key(paths, registry_path, excludes, cwd, codes, listeners, hosts, named, found)
    runs = RunCache(cache_dir)
    replayed = runs.get(key) if key is not None else None
    if replayed is not None:
        return Checked(replayed.findings, replayed.files)
    report = check(
        paths,
        registry_path,
        excludes=excludes,
        cwd=cwd,
        selection=selection,
        listeners=listeners,
        cache_dir=cache_dir,
        no_registry=no_registry,
        hosts=hosts,
        named=named,
        discovered=found,
    )
    checked = Checked(report.findings, report.files_checked)
    if key is not None:
        probes: tuple[tuple[str, bool], ...] = ()
        if registry_path is not None and report.registry is not None:
            base = registry_path.parent
            references = report.registry.references
            probes = tuple((str(base / ref.target), ref.exists) for ref in references)
        runs.put(key, Replay(checked.findings, checked.files, probes))
    return checked


def _run_key(
    paths: Sequence[Path],
    registry: Path | None,
    excludes: Sequence[str],
    cwd: Path,
    codes: Sequence[str],
    listeners: Listeners | None,
    hosts: HostEntries | None,
    named: Named | None,
    found: Stats | None,
) -> str | None:
    """The run cache's key of a check (extract/replay.py); None for a run that fails.

    `found` is discovery's walk, which a miss hands on to `check`: a file changed
    after its stat is stored under its old signature, which no later run has.
    """
    from axios_portlint.extract.replay import run_key

    if found is None:
        return None
    registry_key: list[object] = []  # `--no-registry`: none
    if registry is not None:
        try:
            status = registry.stat()
        except OSError:
            return None  # `check` says what is wrong with it
        if not stat.S_ISREG(status.st_mode):
            return None
        registry_key = [str(registry), status.st_size, status.st_mtime_ns, status.st_ctime_ns]
        registry_key += [status.st_ino, status.st_dev]
    return run_key(
        [
            str(cwd),
            [str(path) for path in paths],
            list(excludes),
            registry_key,
            list(codes),
            None if listeners is None else repr(listeners),
            None
            if hosts is None
            else [[name, [str(p) for p in entries]] for name, entries in hosts],
            None
            if named is None
            else [sorted(named.targets), [str(p) for p in named.inputs], named.registry],
            [[p.path, p.message, p.line, p.column] for p in found.problems],
            DEFAULT_MAX_BYTES,
        ],
        ((file.display, file.signature) for file in found.files),
    )
