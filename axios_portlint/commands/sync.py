"""`portlint registry sync`: rewrite the allocation tables from what the code declares.

Sync owns a few cells and nothing else: the port cells of rows that disagree
with the code (a Tailscale port moved to a named service is written `NAME (443)`),
the Module cell of a row whose module was renamed, the Status cell of an Active
row whose service is gone (`Removed`), the port cells of a `*Reserved*` row that
still reserves allocated ports (narrowed, split into rows of the same cells, or
removed when nothing is left free), the cells of the Module column when it adds
that column, and the rows it adds for undocumented listeners. Every other
character of the file is kept, so the plan is a list of character edits, line
insertions and removals, never a re-rendered table.

What "disagree", "renamed", "gone" and "undocumented" mean is exactly what
PL005, PL004 and PL003 mean, and a reservation overlapping an allocation is
PL008's: the same PortGraph matches rows to code, so a synced registry passes
those rules. What sync cannot decide (a row whose ports several services
declare, two allocations of one port) it leaves, and says so in a note.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
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
from axios_portlint.registry.cells import parse_port_cell
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
# Syncing over these would write their damage into the registry: an unreadable row
# (PL011) would be copied, and a file whose ports cannot be read (PL010, PL012)
# would have its services marked Removed.
REFUSE_ON = ("PL010", "PL011", "PL012")
# The registry contradicting itself: sync repairs a reservation overlapping an
# allocation and leaves every other contradiction, noted, to the registry's author.
CONTRADICTION = "PL008"
# Why a listener gets no port in the row sync adds for it.
_UNKNOWN = {
    ValueState.UNRESOLVED: "cannot be resolved statically",
    ValueState.NULL: "defaults to null",
    ValueState.ABSENT: "has no default",
}


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
        replace(options, no_registry=False),
        selection=(Selection(select=(*REFUSE_ON, CONTRADICTION)),),
    )
    source = report.source
    assert source is not None  # a check with a registry always read it
    blocking = [finding for finding in report.findings if finding.code in REFUSE_ON]
    if blocking:
        raise UsageError(refusal(source.display, blocking))
    contradictions = [finding for finding in report.findings if finding.code == CONTRADICTION]
    changes = plan_sync(source, report.graph, contradictions)
    after = apply(source.document, changes.edits, changes.inserts, changes.removed)
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
    removed: tuple[int, ...] = ()  # 0-based lines: Reserved rows with nothing left free


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

    def aligned(self, column: str) -> bool:
        """Is the column padded to one width on every row? Then a new value keeps that width."""
        index = self.columns[column]
        spans = [
            row.spans[index]
            for row in (self.table.header, *self.table.body)
            if index < len(row.spans)
        ]
        return len({end - start for start, end in spans}) == 1

    def rewrite(self, row: Row, column: str, value: str) -> Edit:
        """The edit that writes `value` into a cell, laid out as the column is."""
        line, (start, end), raw = self.raw(row, column)
        return Edit(line, start, end, rewrite(raw, value, keep_width=self.aligned(column)))


@dataclass(slots=True)
class _Planner:
    document: Document
    tables: tuple[Table, ...]
    registry: Registry
    graph: PortGraph
    path: str
    contradictions: Sequence[Finding] = ()
    edits: list[Edit] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    freed: set[int] = field(default_factory=set)  # the Reserved rows narrowed, split or removed
    copies: list[list[Edit]] = field(default_factory=list)  # a split's new rows, as cell edits
    # The port cells as sync leaves them: rewritten cells by (row line, kind), added rows.
    rewritten: dict[tuple[int, Kind], PortCell] = field(default_factory=dict)
    added: list[tuple[str, dict[Kind, PortCell]]] = field(default_factory=list)
    row_changes: list[tuple[int, str]] = field(default_factory=list)  # by line, for the summary
    # The services a stale row may have become: which one is the author's call, so
    # sync neither renames the row nor adds rows for them.
    undecided: set[str] = field(default_factory=set)
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
        # Reservations yield to what the registry allocates once synced, added rows included.
        claims = self._claims_after()
        for allocation in tables:
            for source in allocation.table.body:
                row = rows.get(source.line)
                if row is not None and row.reserved:
                    self._free_reserved(allocation, source, row, claims)
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
        self._copy_rows()
        self._note_contradictions(rows)
        by_line = [text for _line, text in sorted(self.row_changes, key=lambda item: item[0])]
        return SyncPlan(
            tuple(self.edits),
            tuple(self.inserts),
            (*by_line, *self.changes),
            tuple(self.notes),
            tuple(self.removed),
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
            if match.renamed and MODULE in allocation.columns:
                self._rename(allocation, source, row, match)
            if match.namespaces:
                decls = [d for ns in match.namespaces for d in self.graph.services[ns]]
                for kind in LISTENER_KINDS:
                    self._sync_port(allocation, source, row, kind, decls)
            elif row.is_active and STATUS in allocation.columns:
                self._settle_gone(allocation, source, row)

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
        self.edits.append(allocation.rewrite(source, column, wanted))
        self.rewritten[(row.line, kind)] = parse_port_cell(wanted)[0]
        self.row_changes.append(
            (
                source.line,
                f"{self.path}:{source.line}: '{row.service}' {LABELS[column]} "
                f"{cell.text or '(empty)'} -> {wanted}",
            )
        )

    def _rename(
        self, allocation: _Allocation, source: Row, row: RegistryRow, match: RowMatch
    ) -> None:
        """The Module cell names the namespace the row's ports moved to, spelled as it was."""
        namespace = match.namespaces[0]
        old = (row.module or "").strip()
        new = self.graph.module_name(namespace, old)
        self.edits.append(allocation.rewrite(source, MODULE, escape(new)))
        self.row_changes.append(
            (
                source.line,
                f"{self.path}:{source.line}: '{row.service}' Module {old} -> {new} "
                f"(renamed: the code declares {namespace})",
            )
        )

    def _settle_gone(self, allocation: _Allocation, source: Row, row: RegistryRow) -> None:
        """An Active row that found no service: Removed, unless code declares its ports."""
        if row.module and self.graph.lives_elsewhere(row.module):
            return  # another flake's service, which this tree reads: nothing is gone
        holders = sorted(self.graph.holders(row))
        if not holders:
            self._mark_removed(allocation, source, row)
            return
        what = f"names module '{row.module}'" if row.module else "matches no service"
        self.undecided.update(holders)
        self.notes.append(
            f"{self.path}:{source.line}: '{row.service}' {what}, but its ports are declared "
            f"by {', '.join(holders)}; left as is"
        )

    def _mark_removed(self, allocation: _Allocation, source: Row, row: RegistryRow) -> None:
        self.edits.append(allocation.rewrite(source, STATUS, REMOVED))
        why = (
            f"module '{row.module}' declares no listener in the tree"
            if row.module
            else "no port declaration in the tree matches it"
        )
        self.row_changes.append(
            (
                source.line,
                f"{self.path}:{source.line}: '{row.service}' status {row.status} -> {REMOVED} "
                f"({why})",
            )
        )

    # -- Reserved rows: what is left free --------------------------------------------

    def _free_reserved(
        self, allocation: _Allocation, source: Row, row: RegistryRow, claims: _Claims
    ) -> None:
        """Narrow or split a reservation around the ports allocation rows claim.

        Row i of the result takes the i-th free run of each narrowed cell (a dash
        once a cell has no runs left); a cell left as it was stays on the first
        row. No run at all and nothing else reserved: the row goes.
        """
        taken = {kind: _allocated(row.cell(kind), claims[kind]) for kind in LISTENER_KINDS}
        freed = {
            kind: runs(port for port in row.cell(kind).ports if port not in taken[kind])
            for kind in LISTENER_KINDS
            if taken[kind]
        }
        if not freed:
            return
        self.freed.add(source.line)
        kept = [kind for kind in LISTENER_KINDS if kind not in freed and row.cell(kind).ports]
        count = max([len(free) for free in freed.values()] + [1 for _kind in kept])
        for kind, free in freed.items():
            after = ", ".join(map(range_label, free)) or ("row removed" if count == 0 else "none")
            why = _allocations_text(taken[kind])
            self.row_changes.append(
                (
                    source.line,
                    f"{self.path}:{source.line}: '{row.service}' {kind.column} "
                    f"{row.cell(kind).text} -> {after} ({why})",
                )
            )
        if count == 0:
            self.removed.append(source.line - 1)
            return
        pieces = [
            {
                COLUMN_OF[kind]: range_label(free[index]) if index < len(free) else allocation.dash
                for kind, free in freed.items()
            }
            | {COLUMN_OF[kind]: allocation.dash for kind in kept if index}
            for index in range(count)
        ]
        self.edits.extend(allocation.rewrite(source, c, v) for c, v in pieces[0].items())
        for piece in pieces[1:]:
            self.copies.append([allocation.rewrite(source, c, v) for c, v in piece.items()])

    def _copy_rows(self) -> None:
        """The rows a split adds: their line as planned (a Module cell added too), new ports."""
        by_line: dict[int, list[str]] = defaultdict(list)
        for own in self.copies:
            line = own[0].line
            spans = {(edit.start, edit.end) for edit in own}
            kept = [e for e in self.edits if e.line == line and (e.start, e.end) not in spans]
            by_line[line].append(apply_edits(self.document.lines[line], [*kept, *own]))
        self.inserts.extend(Insert(line, tuple(copies)) for line, copies in by_line.items())

    def _cell_after(self, row: RegistryRow, kind: Kind) -> PortCell:
        return self.rewritten.get((row.line, kind), row.cell(kind))

    def _claims_after(self) -> _Claims:
        """Every port the allocation rows claim once synced, with its first claimant.

        Rows of any status count (a Removed row frees its ports only once deleted),
        then the rows sync adds.
        """
        claims: _Claims = {kind: {} for kind in LISTENER_KINDS}
        for row in sorted(self.registry.rows, key=_line):
            if not row.reserved:
                for kind in LISTENER_KINDS:
                    for port in _numbered(self._cell_after(row, kind)):
                        claims[kind].setdefault(port, _Claimant(row.service, row.line))
        for service, cells in self.added:
            for kind, cell in cells.items():
                for port in _numbered(cell):
                    claims[kind].setdefault(port, _Claimant(service, None))
        return claims

    def _note_contradictions(self, rows: dict[int, RegistryRow]) -> None:
        """PL008 findings sync leaves standing: noted for the registry's author."""
        for finding in self.contradictions:
            if self._still_contradicts(finding, rows):
                where = f"{finding.location.file}:{finding.location.line}"
                self.notes.append(f"{where}: {finding.code} {finding.message}; left as is")

    def _still_contradicts(self, finding: Finding, rows: dict[int, RegistryRow]) -> bool:
        """Do the rows of a PL008 finding still claim a port (or name) in common after sync?"""
        anchor = rows.get(finding.location.line)
        others = [rows.get(location.line) for location in finding.related]
        if anchor is None or not others or any(other is None for other in others):
            return True  # the Port Ranges Summary: sync does not edit it
        if finding.location.line in self.freed:
            return False  # a reservation, narrowed around every allocation
        return any(
            self._overlap(anchor, other, kind)
            for other in others
            if other is not None
            for kind in LISTENER_KINDS
        )

    def _overlap(self, first: RegistryRow, second: RegistryRow, kind: Kind) -> bool:
        one, two = self._cell_after(first, kind), self._cell_after(second, kind)
        if one.kind is CellKind.NAMED or two.kind is CellKind.NAMED:
            return one.kind is two.kind and one.name == two.name
        ports = _numbered(two)
        return any(port in ports for port in _numbered(one))

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
            if self.graph.rows_of(namespace) or namespace in self.undecided:
                continue
            # A read (`or` fallback) is a client reference: it asks for no row of its own.
            decls = [decl for decl in decls if decl.origin is not Origin.FALLBACK]
            known = [decl for decl in decls if decl.state is ValueState.KNOWN]
            self._note_unknown(decls, added=bool(known))
            if not known:
                continue
            target = self._destination(known, tables)
            target = unsorted_at if target is None else target
            dash = tables[target].dash if target is not None else "-"
            values = new_row_values(namespace, known, dash)
            cells = {kind: parse_port_cell(values[COLUMN_OF[kind]])[0] for kind in LISTENER_KINDS}
            self.added.append((values[SERVICE], cells))
            if target is None:
                unsorted.append(values)
            else:
                placed.setdefault(target, []).append(values)
            heading = UNSORTED if target is None else tables[target].table.heading
            self.changes.append(
                f"{self.path}: added '{values[SERVICE]}' ({namespace}) to '{heading}'"
            )
        # A value handed to another flake's option (`port = gatewayPort;`) is no listener
        # of this tree, but when nobody can know it, the row's author should hear of it.
        assigned = [d for d in self.graph.external_reads if d.origin is Origin.CONFIG]
        self._note_unknown(assigned, added=False)
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

    def _note_unknown(self, decls: list[PortDecl], *, added: bool) -> None:
        """A port no one can know statically gets no cell: PL009 reports it, sync notes it."""
        outcome = "left out of the new row" if added else "no row added"
        for decl in decls:
            why = _UNKNOWN.get(decl.state)
            if why is not None:
                where = f"{decl.location.file}:{decl.location.line}"
                self.notes.append(f"{where}: {decl.option} {why}; {outcome}")

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


def plan_sync(
    source: RegistrySource, graph: PortGraph, contradictions: Sequence[Finding] = ()
) -> SyncPlan:
    """The edits that make the registry `source` match the code in `graph`.

    `contradictions` are the registry's PL008 findings: those sync does not
    repair become notes.
    """
    registry = source.registry
    planner = _Planner(
        source.document, source.tables, registry, graph, registry.path, contradictions
    )
    return planner.plan()


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


def rewrite(raw: str, value: str, *, keep_width: bool = True) -> str:
    """A cell's new raw text: its padding, and emphasis or code span, kept around `value`."""
    content = raw.strip()
    wrapped = _WRAPPED.fullmatch(content)
    if wrapped is not None and value not in _DASHES:
        value = f"{wrapped['mark']}{value}{wrapped['mark']}"
    return fill(raw, value, keep_width=keep_width)


def fill(raw: str, value: str, *, keep_width: bool = True) -> str:
    """`value` laid out as `raw` was: the same lead, padded to its width where it fits.

    Without `keep_width` (a column whose rows are not padded to one width) the
    cell keeps its lead and trailing spaces as they were instead.
    """
    lead = raw[: len(raw) - len(raw.lstrip())]
    if raw == raw.rstrip():
        return lead + value  # no trailing padding to keep (a compact or last cell)
    body = lead + value
    if not keep_width:
        return body + raw[len(raw.rstrip()) :]
    return body + " " * max(1, len(raw) - len(body))


def runs(ports: Iterable[int]) -> list[range]:
    """Sorted ports as their contiguous runs: 8084, 8086, 8087 -> [8084], [8086-8087]."""
    found: list[range] = []
    for port in sorted(ports):
        if found and found[-1].stop == port:
            found[-1] = range(found[-1].start, port + 1)
        else:
            found.append(range(port, port + 1))
    return found


def range_label(run: range) -> str:
    """A run as a registry cell writes it: `8084`, `8086-8089`."""
    last = run.stop - 1
    return str(run.start) if run.start == last else f"{run.start}-{last}"


@dataclass(frozen=True, slots=True)
class _Claimant:
    """The row allocating a port: an existing one (its line) or one sync adds (None)."""

    service: str
    line: int | None

    @property
    def text(self) -> str:
        where = f"at line {self.line}" if self.line is not None else "in a row sync adds"
        return f"'{self.service}' {where}"


_Claims = dict[Kind, dict[int, _Claimant]]


def _numbered(cell: PortCell) -> range:
    """The ports a cell allocates by number (a named Tailscale Service claims its name)."""
    return cell.ports if cell.kind in (CellKind.PORT, CellKind.RANGE) else range(0)


def _allocated(cell: PortCell, claims: dict[int, _Claimant]) -> dict[int, _Claimant]:
    """The ports of a reserved cell that allocations claim, each with its first claimant."""
    return {port: claims[port] for port in _numbered(cell) if port in claims}


def _allocations_text(taken: dict[int, _Claimant]) -> str:
    """`8085 is allocated to 'MCP Gateway' at line 38, 8087-8088 are allocated to ...`."""
    by_owner: dict[_Claimant, list[int]] = defaultdict(list)
    for port, owner in sorted(taken.items()):
        by_owner[owner].append(port)
    parts = []
    for owner, ports in by_owner.items():
        labels = ", ".join(range_label(run) for run in runs(ports))
        verb = "is" if len(ports) == 1 else "are"
        parts.append(f"{labels} {verb} allocated to {owner.text}")
    return ", ".join(parts)


def _line(row: RegistryRow) -> int:
    return row.line


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
