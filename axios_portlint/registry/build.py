"""Turn a document's tables into a Registry: allocation rows, port ranges, problems."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from axios_portlint.model import (
    CellKind,
    Kind,
    PortCell,
    Registry,
    RegistryProblem,
    RegistryRange,
    RegistryRow,
)
from axios_portlint.registry.cells import is_dash, parse_port_cell
from axios_portlint.registry.tables import Cell, Row, Table

SERVICE = "service"
LOCAL = "local port"
TAILSCALE = "tailscale port"
MODULE = "module"
STATUS = "status"
RANGE = "range"
PURPOSE = "purpose"

# Each column's name as the registry's own tables write it.
LABELS = {
    SERVICE: "Service",
    LOCAL: Kind.LOCAL.column,
    TAILSCALE: Kind.TAILSCALE.column,
    MODULE: "Module",
    STATUS: "Status",
    RANGE: "Range",
    PURPOSE: "Purpose",
}
_ALLOCATION = frozenset({SERVICE, LOCAL, TAILSCALE})
_RANGES = frozenset({RANGE, PURPOSE})
_RANGE_CELL_KINDS = frozenset({CellKind.PORT, CellKind.RANGE})

# The column holding each listener kind's port.
COLUMN_OF = {Kind.LOCAL: LOCAL, Kind.TAILSCALE: TAILSCALE}

NO_ALLOCATION_TABLE = (
    "no allocation table (a table with Service, Local Port and Tailscale Port columns)"
)

# Header name -> index of the first column carrying it.
Columns = dict[str, int]


@dataclass(slots=True)
class _Collected:
    rows: list[RegistryRow] = field(default_factory=list)
    ranges: list[RegistryRange] = field(default_factory=list)
    problems: list[RegistryProblem] = field(default_factory=list)
    has_allocation_table: bool = False


def build_registry(tables: Iterable[Table], path: str) -> Registry:
    collected = _Collected()
    for table in tables:
        _collect_table(table, collected)
    if not collected.has_allocation_table:
        collected.problems.append(RegistryProblem(1, 1, NO_ALLOCATION_TABLE))
    problems = sorted(collected.problems, key=lambda p: (p.line, p.column, p.message))
    return Registry(path, tuple(collected.rows), tuple(collected.ranges), tuple(problems))


def _collect_table(table: Table, collected: _Collected) -> None:
    columns, header_problems = _columns(table.header)
    if _ALLOCATION.issubset(columns):
        collected.has_allocation_table = True
        collected.problems.extend(header_problems)
        for row in table.body:
            _collect_allocation_row(table, row, columns, collected)
    elif _RANGES.issubset(columns):
        collected.problems.extend(header_problems)
        for row in table.body:
            _collect_range_row(table, row, columns, collected)


def header_columns(header: Row) -> Columns:
    """The registry's columns a header row has, by lower-case name (`"local port"`)."""
    return _columns(header)[0]


def is_allocation(columns: Columns) -> bool:
    return _ALLOCATION.issubset(columns)


def _columns(header: Row) -> tuple[Columns, list[RegistryProblem]]:
    columns: Columns = {}
    problems: list[RegistryProblem] = []
    for index, cell in enumerate(header.cells):
        name = " ".join(cell.text.split()).lower()
        if name not in LABELS:
            continue  # a column the registry does not define, e.g. "Notes"
        if name in columns:
            message = f"duplicate '{LABELS[name]}' column; the first one is used"
            problems.append(RegistryProblem(header.line, cell.column, message))
        else:
            columns[name] = index
    return columns, problems


def _width_problem(table: Table, row: Row) -> RegistryProblem | None:
    width = len(table.header.cells)
    if row.source_cells == width:
        return None
    message = f"row has {_cells(row.source_cells)}, header has {width}"
    return RegistryProblem(row.line, 1, message)


def _cells(count: int) -> str:
    return f"{count} cell" if count == 1 else f"{count} cells"


def _collect_allocation_row(table: Table, row: Row, columns: Columns, out: _Collected) -> None:
    # A row of the wrong width has its values under the wrong headers: keep none of them.
    if problem := _width_problem(table, row):
        out.problems.append(problem)
        return
    local = _port_cell(row, columns, LOCAL, out.problems)
    tailscale = _port_cell(row, columns, TAILSCALE, out.problems)
    service = row.cells[columns[SERVICE]].text
    out.rows.append(
        RegistryRow(
            line=row.line,
            table=table.heading,
            service=service,
            local=local,
            tailscale=tailscale,
            module=_module(row, columns),
            status=_optional_text(row, columns, STATUS) or None,
            reserved=service.lower() == "reserved",
        )
    )


def _port_cell(row: Row, columns: Columns, name: str, problems: list[RegistryProblem]) -> PortCell:
    cell = row.cells[columns[name]]
    port_cell, reason = parse_port_cell(cell.text)
    if reason is not None:
        problems.append(_cell_problem(row, cell, name, reason))
    return port_cell


def _cell_problem(row: Row, cell: Cell, name: str, reason: str) -> RegistryProblem:
    return RegistryProblem(row.line, cell.column, f"{LABELS[name]} cell '{cell.text}': {reason}")


def _optional_text(row: Row, columns: Columns, name: str) -> str:
    index = columns.get(name)
    return "" if index is None else row.cells[index].text


def _module(row: Row, columns: Columns) -> str | None:
    text = _optional_text(row, columns, MODULE)
    return None if not text or is_dash(text) else text


def _collect_range_row(table: Table, row: Row, columns: Columns, out: _Collected) -> None:
    if problem := _width_problem(table, row):
        out.problems.append(problem)
        return
    cell = row.cells[columns[RANGE]]
    port_cell, reason = parse_port_cell(cell.text)
    low, high = port_cell.low, port_cell.high
    if port_cell.kind not in _RANGE_CELL_KINDS or low is None or high is None:
        reason = reason or "expected a port (11434) or a range (8080-8089)"
        out.problems.append(_cell_problem(row, cell, RANGE, reason))
        return
    purpose = row.cells[columns[PURPOSE]].text
    kind = Kind.TAILSCALE if "tailscale" in purpose.lower() else Kind.LOCAL
    out.ranges.append(RegistryRange(row.line, low, high, purpose, kind))
