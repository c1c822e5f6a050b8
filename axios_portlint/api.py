"""The library entry points: `scan` a tree, `check` it against the registry.

The CLI is a thin shell over these; tests call them directly as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from axios_portlint.discover import DiscoveryError, default_paths, discover
from axios_portlint.extract import extract_file
from axios_portlint.graph import PortGraph
from axios_portlint.model import (
    FileProblem,
    Finding,
    PortDecl,
    Registry,
    Severity,
    SyntaxIssue,
)
from axios_portlint.registry import RegistryError, load_registry
from axios_portlint.rules import Context, run_rules

REGISTRY_CANDIDATES = ("ports.md", "openspec/specs/networking/ports.md")


class UsageError(Exception):
    """A problem with how portlint was called or configured: exit code 2."""


@dataclass(frozen=True, slots=True)
class Inventory:
    """What the module tree declares, file by file."""

    files: tuple[str, ...]
    decls: tuple[PortDecl, ...]
    syntax_issues: tuple[SyntaxIssue, ...]
    file_problems: tuple[FileProblem, ...]


@dataclass(frozen=True, slots=True)
class Report:
    findings: tuple[Finding, ...]
    inventory: Inventory
    registry: Registry | None

    def exit_code(self, fail_on: Severity = Severity.ERROR) -> int:
        failing = any(f.severity.rank >= fail_on.rank for f in self.findings)
        return 1 if failing else 0


def scan(
    paths: Sequence[Path] = (), *, excludes: Sequence[str] = (), cwd: Path | None = None
) -> Inventory:
    """Discover, parse and extract: every port declaration below `paths`."""
    cwd = cwd or Path.cwd()
    try:
        found = discover(list(paths) or default_paths(cwd), excludes=excludes, cwd=cwd)
    except DiscoveryError as error:
        raise UsageError(str(error)) from None
    results = [extract_file(source) for source in found.files]
    decls = tuple(decl for result in results for decl in result.decls)
    issues = tuple(r.syntax_issue for r in results if r.syntax_issue is not None)
    return Inventory(
        files=tuple(source.path for source in found.files),
        decls=tuple(sorted(decls, key=lambda d: d.location.sort_key())),
        syntax_issues=issues,
        file_problems=found.problems,
    )


def locate_registry(explicit: Path | None, cwd: Path) -> Path:
    """`--registry FILE`, else ./ports.md, else ./openspec/specs/networking/ports.md."""
    if explicit is not None:
        return explicit
    for candidate in REGISTRY_CANDIDATES:
        if (cwd / candidate).is_file():
            return cwd / candidate
    raise UsageError(
        "no port registry found: pass --registry FILE or add ports.md "
        "(looked for ./ports.md and ./openspec/specs/networking/ports.md)"
    )


def read_registry(path: Path, cwd: Path) -> Registry:
    try:
        return load_registry(path, display_path(path, cwd))
    except RegistryError as error:
        raise UsageError(str(error)) from None


def check(
    paths: Sequence[Path] = (),
    registry: Path | None = None,
    *,
    excludes: Sequence[str] = (),
    cwd: Path | None = None,
) -> Report:
    """The whole pipeline: scan the tree, read the registry, run every rule."""
    cwd = cwd or Path.cwd()
    registry_file = read_registry(locate_registry(registry, cwd), cwd)
    inventory = scan(paths, excludes=excludes, cwd=cwd)
    context = Context(
        decls=inventory.decls,
        syntax_issues=inventory.syntax_issues,
        file_problems=inventory.file_problems,
        registry=registry_file,
        graph=PortGraph(inventory.decls, registry_file),
    )
    return Report(findings=tuple(run_rules(context)), inventory=inventory, registry=registry_file)


def display_path(path: Path, cwd: Path) -> str:
    absolute = path if path.is_absolute() else cwd / path
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return absolute.as_posix()
