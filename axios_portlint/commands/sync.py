"""`portlint registry sync`: rewrite the allocation tables from what the code declares.

Sync owns a few cells and nothing else: the port cells of rows that disagree
with the code, the Status cell of an Active row whose service is gone, the
cells of the Module column when it adds that column, and the rows it adds for
undocumented listeners. Every other character of the file is kept, so the plan
is a list of character edits and line insertions, never a re-rendered table.

What "disagree", "gone" and "undocumented" mean is exactly what PL005, PL004
and PL003 mean: the same PortGraph matches rows to code, so a synced registry
passes those rules.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from axios_portlint.commands import EXIT_FINDINGS, Outcome
from axios_portlint.commands.categories import category_words, same_category
from axios_portlint.commands.check import run_check
from axios_portlint.commands.edits import Edit, Insert, apply, apply_edits
from axios_portlint.commands.options import Options
from axios_portlint.errors import UsageError
from axios_portlint.model import (
    LISTENER_KINDS,
    CellKind,
    Finding,
    Kind,
    Origin,
    PortCell,
    PortDecl,
    Registry,
    RegistryRow,
    ValueState,
)
from axios_portlint.registry.build import (
    COLUMN_OF,
    LABELS,
    LOCAL,
    MODULE,
    SERVICE,
    STATUS,
    TAILSCALE,
    Columns,
    header_columns,
    is_allocation,
)
from axios_portlint.registry.document import Document
from axios_portlint.registry.tables import Row, Span, Table
from axios_portlint.rules import Selection
from axios_portlint.rules.pl005_registry_mismatch import agrees

if TYPE_CHECKING:
    from axios_portlint.graph import PortGraph, RowMatch
    from axios_portlint.registry import RegistrySource

UNSORTED = "Unsorted"
UNSORTED_NOTE = (
    "Listeners `portlint registry sync` found in the code whose ports lie in no "
    "category's range: move each row to the table of its category."
)
REMOVED = "Removed"
ACTIVE = "Active"
_NEW_TABLE_COLUMNS = (SERVICE, LOCAL, TAILSCALE, MODULE, STATUS)
# Emphasis or a code span around a cell's value, kept when the value changes.
_WRAPPED = re.compile(r"(?P<mark>\*\*|__|\*|_|`+)(?P<inner>.+?)(?P=mark)")
_DASHES = ("-", "\u2013", "\u2014")
# Syncing over these would write their damage into the registry: a contradiction
# (PL008) or an unreadable row (PL011) would be copied, and a file whose ports
# cannot be read (PL010, PL012) would have its services marked Removed.
REFUSE_ON = ("PL008", "PL010", "PL011", "PL012")


@dataclass(frozen=True, slots=True)
class SyncResult:
    path: Path  # the registry file
    display: str  # its path as messages show it
    before: Document
    after: Document
    plan: SyncPlan

    @property
    def changed(self) -> bool:
        return self.after != self.before

    def diff(self) -> str:
        """A unified diff of the registry, as `registry sync --check` prints it."""
        lines = difflib.unified_diff(
            self.before.lines, self.after.lines, self.display, self.display, lineterm=""
        )
        return "".join(line + "\n" for line in lines)


def plan(options: Options) -> SyncResult:
    """What `registry sync` would write; raises UsageError when it must refuse.

    One check reads the registry and builds the graph; the plan is made from
    what that check kept (the registry's lines, its tables, the matches).
    """
    # `no-registry = true` in the settings is for `check`: sync is about the registry.
    report = run_check(
        replace(options, no_registry=False), selection=(Selection(select=REFUSE_ON),)
    )
    source = report.source
    assert source is not None  # a check with a registry always read it
    blocking = [finding for finding in report.findings if finding.code in REFUSE_ON]
    if blocking:
        raise UsageError(refusal(source.display, blocking))
    changes = plan_sync(source, report.graph)
    after = apply(source.document, changes.edits, changes.inserts)
    return SyncResult(source.path, source.display, source.document, after, changes)


def sync(options: Options, *, check_only: bool = False) -> Outcome:
    """`registry sync`: write the planned registry (or, with `check_only`, print its diff)."""
    from axios_portlint.discover.write import write_atomically

    result = plan(options)
    notes = "".join(f"portlint: note: {note}\n" for note in result.plan.notes)
    if not result.changed:
        return Outcome(f"{result.display} is in sync with the code.\n", notes)
    if check_only:
        return Outcome(result.diff(), notes, EXIT_FINDINGS)
    try:
        write_atomically(result.path, result.after.to_bytes())
    except OSError as error:
        raise UsageError(f"{result.display}: cannot write: {error.strerror or error}") from None
    count = len(result.plan.changes)
    summary = f"Updated {result.display}: {count} change{'s' if count != 1 else ''}.\n"
    return Outcome("".join(f"{change}\n" for change in result.plan.changes) + summary, notes)


def refusal(display: str, blocking: Sequence[Finding]) -> str:
    first = blocking[0]
    where = f"{first.location.file}:{first.location.line}"
    more = f" (and {len(blocking) - 1} more)" if len(blocking) > 1 else ""
    return (
        f"refusing to sync {display}: {where}: {first.code} {first.message}{more}; "
        "fix it first (`portlint check` lists every finding)"
    )


@dataclass(frozen=True, slots=True)
class SyncPlan:
    edits: tuple[Edit, ...] = ()
    inserts: tuple[Insert, ...] = ()
    changes: tuple[str, ...] = ()  # one sentence per change, for the summary
    notes: tuple[str, ...] = ()  # what sync could not settle by itself


@dataclass(frozen=True, slots=True)
class _Allocation:
    """An allocation table with what sync needs to edit it."""

    table: Table
    columns: Columns
    lines: tuple[str, ...]  # the document's lines, to read cell text
    dash: str

    @property
    def has_module(self) -> bool:
        return MODULE in self.columns

    @property
    def module_after(self) -> int:
        """The Module column goes right after Tailscale Port, as in the registry's own tables."""
        return self.columns[TAILSCALE]

    def raw(self, row: Row, column: str) -> tuple[int, Span, str]:
        start, end = row.spans[self.columns[column]]
        return row.line - 1, (start, end), self.lines[row.line - 1][start:end]


@dataclass(slots=True)
class _Planner:
    document: Document
    tables: tuple[Table, ...]
    registry: Registry
    graph: PortGraph
    path: str
    edits: list[Edit] = field(default_factory=list)
    inserts: list[Insert] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def plan(self) -> SyncPlan:
        tables = self._allocations()
        rows = {row.line: row for row in self.registry.rows}
        matches = {match.row.line: match for match in self.graph.matches}
        for allocation in tables:
            self._sync_rows(allocation, rows, matches)
        placed, unsorted = self._place_undocumented(tables)
        for index, allocation in enumerate(tables):
            new_rows = placed.get(index, [])
            width = 0
            if not allocation.has_module:
                extra = [values[MODULE] for values in new_rows]
                width = self._add_module_column(allocation, rows, matches, extra)
            if new_rows:
                lines = tuple(_new_line(allocation, values, width) for values in new_rows)
                self.inserts.append(Insert(_insertion_line(allocation, rows), lines))
        if unsorted:
            self.inserts.append(self._unsorted_table(tables, unsorted))
        return SyncPlan(
            tuple(self.edits), tuple(self.inserts), tuple(self.changes), tuple(self.notes)
        )

    def _allocations(self) -> list[_Allocation]:
        found = []
        for table in self.tables:
            columns = header_columns(table.header)
            if is_allocation(columns):
                lines = self.document.lines
                found.append(_Allocation(table, columns, lines, _dash_of(table, columns, lines)))
        return found

    # -- existing rows ----------------------------------------------------------------

    def _sync_rows(
        self,
        allocation: _Allocation,
        rows: dict[int, RegistryRow],
        matches: dict[int, RowMatch],
    ) -> None:
        for source in allocation.table.body:
            row = rows.get(source.line)
            match = matches.get(source.line)
            if row is None or row.reserved or match is None:
                continue
            if match.namespaces:
                decls = [d for ns in match.namespaces for d in self.graph.services[ns]]
                for kind in LISTENER_KINDS:
                    self._sync_port(allocation, source, row, kind, decls)
            elif row.is_active and STATUS in allocation.columns:
                self._mark_removed(allocation, source, row)

    def _sync_port(
        self,
        allocation: _Allocation,
        source: Row,
        row: RegistryRow,
        kind: Kind,
        decls: list[PortDecl],
    ) -> None:
        cell = row.cell(kind)
        wanted = wanted_cell(cell, [d for d in decls if d.kind is kind], allocation.dash)
        if wanted is None:
            return
        column = COLUMN_OF[kind]
        line, (start, end), raw = allocation.raw(source, column)
        self.edits.append(Edit(line, start, end, rewrite(raw, wanted)))
        self.changes.append(
            f"{self.path}:{source.line}: '{row.service}' {LABELS[column]} "
            f"{cell.text or '(empty)'} -> {wanted}"
        )

    def _mark_removed(self, allocation: _Allocation, source: Row, row: RegistryRow) -> None:
        line, (start, end), raw = allocation.raw(source, STATUS)
        self.edits.append(Edit(line, start, end, rewrite(raw, REMOVED)))
        why = (
            f"module '{row.module}' declares no listener in the tree"
            if row.module
            else "no port declaration in the tree matches it"
        )
        self.changes.append(
            f"{self.path}:{source.line}: '{row.service}' status {row.status} -> {REMOVED} ({why})"
        )

    # -- the Module column ------------------------------------------------------------

    def _add_module_column(
        self,
        allocation: _Allocation,
        rows: dict[int, RegistryRow],
        matches: dict[int, RowMatch],
        extra: list[str],
    ) -> int:
        """Insert the column, aligned over its values (new rows' included); return its width."""
        table = allocation.table
        values = {
            source.line: module_text(matches.get(source.line), rows.get(source.line))
            for source in table.body
        }
        width = max(len(value) for value in [LABELS[MODULE], *values.values(), *extra])
        header, body = table.header, table.body
        self._insert_cell(allocation, header.line, header.spans, _pad(LABELS[MODULE], width))
        dashes = " " + "-" * width + " "
        self._insert_cell(allocation, header.line + 1, table.delimiter, dashes, delimiter=True)
        for source in body:
            value = _pad(values[source.line], width)
            self._insert_cell(allocation, source.line, source.spans, value)
        self.changes.append(
            f"{self.path}:{header.line}: added the Module column to '{table.heading or 'table'}'"
        )
        return width

    def _insert_cell(
        self,
        allocation: _Allocation,
        line: int,
        spans: Sequence[Span],
        text: str,
        *,
        delimiter: bool = False,
    ) -> None:
        index = allocation.module_after
        if index >= len(spans):
            return  # a short row (PL011): sync refuses those before planning
        start, end, insertion = _cell_insertion(
            allocation, line, spans[index], text, delimiter=delimiter
        )
        self.edits.append(Edit(line - 1, start, end, insertion))

    # -- undocumented listeners -------------------------------------------------------

    def _place_undocumented(
        self, tables: list[_Allocation]
    ) -> tuple[dict[int, list[dict[str, str]]], list[dict[str, str]]]:
        """New rows by the index of their table, and those no table's category takes."""
        placed: dict[int, list[dict[str, str]]] = {}
        unsorted: list[dict[str, str]] = []
        unsorted_at = next(
            (i for i, a in enumerate(tables) if category_words(a.table.heading) == {"unsorted"}),
            None,
        )
        for namespace, decls in sorted(self.graph.services.items()):
            if self.graph.rows_of(namespace):
                continue
            self._note_unresolved(namespace, decls)
            target = self._destination(decls, tables)
            target = unsorted_at if target is None else target
            dash = tables[target].dash if target is not None else "-"
            values = new_row_values(namespace, decls, dash)
            if target is None:
                unsorted.append(values)
            else:
                placed.setdefault(target, []).append(values)
            heading = UNSORTED if target is None else tables[target].table.heading
            self.changes.append(
                f"{self.path}: added '{values[SERVICE]}' ({namespace}) to '{heading}'"
            )
        return placed, unsorted

    def _destination(self, decls: list[PortDecl], tables: list[_Allocation]) -> int | None:
        """The table of the category whose range holds the local port, else the Tailscale one."""
        for kind in LISTENER_KINDS:
            ports = [d.port for d in decls if d.kind is kind and d.port is not None]
            for port in ports:
                for span in self.registry.ranges:
                    if span.kind is not kind or port not in span:
                        continue
                    for index, allocation in enumerate(tables):
                        if same_category(span.purpose, allocation.table.heading):
                            return index
        return None

    def _note_unresolved(self, namespace: str, decls: list[PortDecl]) -> None:
        for decl in decls:
            if decl.state is ValueState.UNRESOLVED:
                self.notes.append(
                    f"{decl.location.file}:{decl.location.line}: the {decl.kind} port of "
                    f"{namespace} cannot be resolved statically; its new row leaves it blank"
                )

    def _unsorted_table(self, tables: list[_Allocation], new: list[dict[str, str]]) -> Insert:
        last = tables[-1].table if tables else None
        level = max(last.heading_level, 2) if last is not None else 2
        after = _last_line(last) - 1 if last is not None else len(self.document.lines) - 1
        header = [LABELS[column] for column in _NEW_TABLE_COLUMNS]
        rows = [[values[column] for column in _NEW_TABLE_COLUMNS] for values in new]
        widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
        lines = [
            "",
            f"{'#' * level} {UNSORTED}",
            "",
            UNSORTED_NOTE,
            "",
            _render_row(header, widths),
            "|" + "|".join("-" * (width + 2) for width in widths) + "|",
            *(_render_row(row, widths) for row in rows),
        ]
        if last is None:
            lines = lines[1:] if not self.document.text.strip() else lines
        return Insert(after, tuple(lines))


def plan_sync(source: RegistrySource, graph: PortGraph) -> SyncPlan:
    """The edits that make the registry `source` match the code in `graph`."""
    registry = source.registry
    return _Planner(source.document, source.tables, registry, graph, registry.path).plan()


# -- cells ------------------------------------------------------------------------------


def wanted_cell(cell: PortCell, decls: list[PortDecl], dash: str) -> str | None:
    """The text a port cell should have, or None when it already agrees (as PL005 judges)."""
    if cell.kind is CellKind.INVALID:
        return None
    if not decls:
        return None if cell.kind is CellKind.NONE else dash
    judged = [d for d in decls if d.state is not ValueState.UNRESOLVED]
    if all(agrees(d, cell) for d in judged):
        return None
    return port_text(judged, dash)


def port_text(decls: Iterable[PortDecl], dash: str) -> str:
    """`8080`, `8080-8081` for a service with two, `axios-chat (443)` for a Tailscale Service."""
    known = [d for d in decls if d.state is ValueState.KNOWN and d.port is not None]
    named = sorted(
        {(d.name, d.port) for d in known if d.origin is Origin.TAILSCALE_SERVICE and d.name},
        key=lambda pair: (pair[0] or "", pair[1] or 0),
    )
    if named:
        name, port = named[0]
        return f"{name} ({port})"
    ports = sorted({d.port for d in known if d.port is not None})
    if not ports:
        return dash
    return str(ports[0]) if len(ports) == 1 else f"{ports[0]}-{ports[-1]}"


def module_text(match: RowMatch | None, row: RegistryRow | None) -> str:
    """The Module cell of a row: the one namespace it matched, spelled as a code span."""
    if match is None or row is None or row.reserved or len(match.namespaces) != 1:
        return ""
    return f"`{escape(match.namespaces[0])}`"


def new_row_values(namespace: str, decls: list[PortDecl], dash: str) -> dict[str, str]:
    by_kind = {kind: [d for d in decls if d.kind is kind] for kind in LISTENER_KINDS}
    name = namespace.rsplit(".", 1)[-1].strip('"') if namespace else decls[0].option
    return {
        SERVICE: escape(name),
        LOCAL: port_text(by_kind[Kind.LOCAL], dash),
        TAILSCALE: port_text(by_kind[Kind.TAILSCALE], dash),
        MODULE: f"`{escape(namespace)}`" if namespace else "",
        STATUS: ACTIVE,
    }


def escape(text: str) -> str:
    """A `|` would end the cell."""
    return text.replace("|", "\\|")


def rewrite(raw: str, value: str) -> str:
    """A cell's new raw text: its padding, and emphasis or code span, kept around `value`."""
    content = raw.strip()
    wrapped = _WRAPPED.fullmatch(content)
    if wrapped is not None:
        value = f"{wrapped['mark']}{value}{wrapped['mark']}"
    return fill(raw, value)


def fill(raw: str, value: str) -> str:
    """`value` laid out as `raw` was: the same lead, padded to its width where it fits."""
    lead = raw[: len(raw) - len(raw.lstrip())]
    if raw == raw.rstrip():
        return lead + value  # no trailing padding to keep (a compact or last cell)
    body = lead + value
    return body + " " * max(1, len(raw) - len(body))


def _pad(value: str, width: int) -> str:
    return f" {value.ljust(width)} "


def _cell_insertion(
    allocation: _Allocation, line: int, span: Span, padded: str, *, delimiter: bool = False
) -> tuple[int, int, str]:
    """Insert a cell after `span`: `| new ` before its closing pipe, or ` | new` at the end."""
    text = allocation.lines[line - 1]
    end = span[1]
    # Each line keeps its own style: `| 8453 |` padded, `|8453|` and `|---|` compact.
    if not text[slice(*span)].startswith(" "):
        padded = "---" if delimiter else padded.strip()
    if end < len(text) and text[end] == "|":
        return end, end, "|" + padded
    return end, end, " | " + padded.strip()


def _new_line(allocation: _Allocation, values: dict[str, str], module_width: int) -> str:
    """A new row laid out like the table's header: the same pipes and padding."""
    header = allocation.table.header
    text = allocation.lines[header.line - 1]
    by_index = {index: name for name, index in allocation.columns.items()}
    edits = [
        Edit(0, start, end, fill(text[start:end], values.get(by_index.get(index, ""), "")))
        for index, (start, end) in enumerate(header.spans)
    ]
    if not allocation.has_module:
        span = header.spans[allocation.module_after]
        start, end, insertion = _cell_insertion(
            allocation, header.line, span, _pad(values[MODULE], module_width)
        )
        edits.append(Edit(0, start, end, insertion))
    return apply_edits(text, edits)


def _render_row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "|" + "|".join(f" {c.ljust(w)} " for c, w in zip(cells, widths, strict=True)) + "|"


def _last_line(table: Table) -> int:
    return table.body[-1].line if table.body else table.header.line + 1


def _insertion_line(allocation: _Allocation, rows: dict[int, RegistryRow]) -> int:
    """After the last service row, so the *Reserved* rows stay at the end of the table."""
    table = allocation.table
    services = [s for s in table.body if (row := rows.get(s.line)) is None or not row.reserved]
    return (services[-1].line if services else table.header.line + 1) - 1


def _dash_of(table: Table, columns: Columns, lines: tuple[str, ...]) -> str:
    """The table's own way of writing "no port": `-`, an en dash or an em dash."""
    for row in table.body:
        for name in (LOCAL, TAILSCALE):
            start, end = row.spans[columns[name]] if columns[name] < len(row.spans) else (0, 0)
            text = lines[row.line - 1][start:end].strip()
            if text in _DASHES:
                return text
    return "-"
