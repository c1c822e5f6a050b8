"""What a rule is, and what every rule is handed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from axios_portlint.model_base import FileProblem, Finding, Location, Severity

if TYPE_CHECKING:  # networkx costs 80 ms to import: `portlint rules` never needs it
    from axios_portlint.graph import PortGraph

    # Choosing rules, which a replayed check does, needs none of the rest of the model.
    from axios_portlint.model import HostMap, PortDecl, Registry, RegistryRange, SyntaxIssue


@dataclass(frozen=True, slots=True)
class Context:
    """Everything the pipeline learned, read-only, for the rules to judge."""

    decls: tuple[PortDecl, ...]
    syntax_issues: tuple[SyntaxIssue, ...]
    file_problems: tuple[FileProblem, ...]
    registry: Registry | None
    graph: PortGraph
    hosts: HostMap | None = None  # None or no hosts: every file is a module library's

    def ranges(self, kind: object) -> list[RegistryRange]:
        if self.registry is None:
            return []
        return [r for r in self.registry.ranges if r.kind == kind]


Check = Callable[[Context], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: a stable code, a name, a default severity, its check and its docs."""

    code: str
    name: str
    severity: Severity
    summary: str
    # None for a rule the pipeline computes itself (PL020, where suppressions are applied).
    check: Check | None
    needs_registry: bool = False
    # The rule module's docstring: what it does, why, an example, how to fix.
    doc: str = ""

    def finding(
        self,
        location: Location,
        message: str,
        *,
        option: str | None = None,
        port: int | None = None,
        related: Iterable[Location] = (),
    ) -> Finding:
        # One line whatever a quoted expression or cell held; places in reading order,
        # each once, so the output is the same bytes under any PYTHONHASHSEED.
        return Finding(
            code=self.code,
            severity=self.severity,
            message=" ".join(message.split()),
            location=location,
            option=option,
            port=port,
            related=tuple(sorted(set(related), key=Location.full_key)),
        )
