from __future__ import annotations

import pathlib

import pytest

from axios_portlint.model import (
    CellKind,
    Kind,
    PortCell,
    Registry,
    RegistryProblem,
    RegistryRange,
    RegistryRow,
)
from axios_portlint.registry import (
    NO_ALLOCATION_TABLE,
    RegistryError,
    parse_port_cell,
    parse_registry,
    read_registry,
)

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "registry"

# (line, table, service, local, tailscale, status, reserved) with cells as (kind, low, high)
CellSummary = tuple[CellKind, int | None, int | None]
RowSummary = tuple[int, str, str, CellSummary, CellSummary, str | None, bool]

PORT = CellKind.PORT
RANGE = CellKind.RANGE
NONE = CellKind.NONE
NAMED = CellKind.NAMED
INVALID = CellKind.INVALID

# Written as escapes: ruff rightly flags look-alike dashes in source.
EN = "\u2013"
EM = "\u2014"


def load_registry(path: pathlib.Path, display: str) -> Registry:
    return read_registry(path, display).registry


def load(name: str) -> Registry:
    return load_registry(FIXTURES / name, f"registry/{name}")


def cell(port_cell: PortCell) -> CellSummary:
    return (port_cell.kind, port_cell.low, port_cell.high)


def summary(row: RegistryRow) -> RowSummary:
    return (
        row.line,
        row.table,
        row.service,
        cell(row.local),
        cell(row.tailscale),
        row.status,
        row.reserved,
    )


def problems(registry: Registry) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.message) for p in registry.problems]


# --- the seed registry ------------------------------------------------------------------


def test_seed_rows_match_the_document_line_by_line() -> None:
    registry = load("seed-ports.md")
    web, api, media = "Web Services", "API Services", "Media Services"
    assert [summary(row) for row in registry.rows] == [
        (23, web, "axios-ai-mail", (PORT, 8080, 8080), (PORT, 8443, 8443), "Active", False),
        (24, web, "Open WebUI", (PORT, 8081, 8081), (PORT, 8444, 8444), "Proposed", False),
        (25, web, "axios-portal", (PORT, 8082, 8082), (PORT, 8445, 8445), "Planned", False),
        (26, web, "axios-calendar", (PORT, 8083, 8083), (PORT, 8446, 8446), "Planned", False),
        (27, web, "Reserved", (RANGE, 8084, 8089), (RANGE, 8447, 8452), "Future", True),
        (33, api, "Ollama API", (PORT, 11434, 11434), (PORT, 8447, 8447), "Proposed", False),
        (34, api, "Reserved", (NONE, None, None), (RANGE, 8448, 8449), "Future APIs", True),
        (40, media, "Immich", (PORT, 2283, 2283), (PORT, 8450, 8450), "Planned", False),
        (41, media, "Reserved", (NONE, None, None), (RANGE, 8451, 8459), "Future media", True),
    ]


def test_seed_line_numbers_point_at_the_rows_text() -> None:
    lines = (FIXTURES / "seed-ports.md").read_text(encoding="utf-8").splitlines()
    for row in load("seed-ports.md").rows:
        assert lines[row.line - 1].startswith(
            f"| {'*Reserved*' if row.reserved else row.service} |"
        )


def test_seed_ranges_and_their_kinds() -> None:
    assert load("seed-ports.md").ranges == (
        RegistryRange(47, 8080, 8089, "Web application services", Kind.LOCAL),
        RegistryRange(48, 8443, 8452, "Tailscale HTTPS (web apps)", Kind.TAILSCALE),
        RegistryRange(49, 8447, 8449, "Tailscale HTTPS (APIs)", Kind.TAILSCALE),
        RegistryRange(50, 8450, 8459, "Tailscale HTTPS (media)", Kind.TAILSCALE),
        RegistryRange(51, 11434, 11434, "Ollama (upstream default)", Kind.LOCAL),
        RegistryRange(52, 2283, 2283, "Immich (upstream default)", Kind.LOCAL),
    )


def test_seed_reserved_rows_keep_their_cell_text_and_ranges() -> None:
    reserved = [row for row in load("seed-ports.md").rows if row.reserved]
    assert [(row.local.text, row.tailscale.text) for row in reserved] == [
        ("8084-8089", "8447-8452"),
        ("-", "8448-8449"),
        ("-", "8451-8459"),
    ]
    assert reserved[0].local.ports == range(8084, 8090)
    assert reserved[0].local.single is None
    assert all(not row.is_active for row in reserved)


def test_seed_is_clean() -> None:
    registry = load("seed-ports.md")
    assert registry.problems == ()
    assert registry.path == "registry/seed-ports.md"
    assert all(row.module is None for row in registry.rows)


# --- Module column, column order, named and empty cells ---------------------------------


def test_module_column_table_in_any_column_order() -> None:
    rows = load("module-column.md").rows
    assert [(row.line, row.service, row.module, row.status) for row in rows] == [
        (11, "axios-ai-mail", "modules/pim/default.nix", "Active"),
        (12, "Open WebUI", "modules/ai/webui.nix", "Proposed"),
        (13, "Reserved", None, "Future"),
        (19, "Ollama API", "modules/ai/ollama.nix", None),
        (20, "llama.cpp server", None, None),
        (21, "Tailnet dashboard", None, None),
    ]
    # the Tailscale Port column comes before Local Port in the first table
    assert cell(rows[0].local) == (PORT, 8080, 8080)
    assert cell(rows[0].tailscale) == (PORT, 8443, 8443)
    assert rows[0].local.text == "8080"  # the code span is gone


def test_en_dash_ranges_and_reserved_emphasis() -> None:
    reserved = load("module-column.md").rows[2]
    assert reserved.reserved
    assert reserved.local == PortCell(f"8084{EN}8089", RANGE, 8084, 8089)
    assert reserved.tailscale == PortCell(f"8447{EN}8452", RANGE, 8447, 8452)


def test_named_tailscale_services() -> None:
    rows = load("module-column.md").rows
    assert rows[3].tailscale == PortCell("axios-llama (443)", NAMED, 443, 443, "axios-llama")
    assert rows[3].tailscale.single == 443
    assert rows[4].tailscale == PortCell(
        "svc:axios-llama-cpp (8443)", NAMED, 8443, 8443, "svc:axios-llama-cpp"
    )


def test_none_cells() -> None:
    rows = load("module-column.md").rows
    assert rows[4].local == PortCell("N/A", NONE)
    assert rows[5].local == PortCell(EM, NONE)
    assert rows[5].tailscale == PortCell(EN, NONE)
    assert rows[5].local.ports == range(0)
    assert load("module-column.md").problems == ()


def test_header_names_ignore_case_emphasis_and_spacing() -> None:
    text = (
        "| **service** | _Local  Port_ | `TAILSCALE PORT` | *Status* |\n"
        "|---|---|---|---|\n"
        "| axios-ai-mail | 8080 | 8443 | Active |\n"
    )
    registry = parse_registry(text, "ports.md")
    assert registry.problems == ()
    assert [summary(row) for row in registry.rows] == [
        (3, "", "axios-ai-mail", (PORT, 8080, 8080), (PORT, 8443, 8443), "Active", False),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8080", PortCell("8080", PORT, 8080, 8080)),
        (" 1 ", PortCell("1", PORT, 1, 1)),
        ("65535", PortCell("65535", PORT, 65535, 65535)),
        ("8084-8089", PortCell("8084-8089", RANGE, 8084, 8089)),
        (f"8084 {EN} 8089", PortCell(f"8084 {EN} 8089", RANGE, 8084, 8089)),
        ("8080-8080", PortCell("8080-8080", RANGE, 8080, 8080)),
        ("axios-llama (443)", PortCell("axios-llama (443)", NAMED, 443, 443, "axios-llama")),
        ("", PortCell("", NONE)),
        ("-", PortCell("-", NONE)),
        (EN, PortCell(EN, NONE)),
        (EM, PortCell(EM, NONE)),
        ("N/A", PortCell("N/A", NONE)),
        ("n/a", PortCell("n/a", NONE)),
    ],
)
def test_valid_port_cells(text: str, expected: PortCell) -> None:
    assert parse_port_cell(text) == (expected, None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0", "0 is outside the port range 1-65535"),
        ("65536", "65536 is outside the port range 1-65535"),
        ("0-10", "0 is outside the port range 1-65535"),
        ("axios-llama (70000)", "70000 is outside the port range 1-65535"),
        ("-1", "a port cannot be negative"),
        ("80.5", "a port must be a whole number"),
        ("8080-80", "range end is below its start"),
        (
            "TBD",
            "expected a port (8080), a range (8084-8089), a named service (name (443)) or a dash",
        ),
        (
            "(443)",
            "expected a port (8080), a range (8084-8089), a named service (name (443)) or a dash",
        ),
        (
            "٨٠٨٠",
            "expected a port (8080), a range (8084-8089), a named service (name (443)) or a dash",
        ),
    ],
)
def test_invalid_port_cells(text: str, reason: str) -> None:
    assert parse_port_cell(text) == (PortCell(text, INVALID), reason)


# --- malformed registries ---------------------------------------------------------------


def test_bad_cells_report_column_and_text_and_keep_the_row() -> None:
    registry = load("bad-cells.md")
    expected = "expected a port (8080), a range (8084-8089), a named service (name (443)) or a dash"
    assert problems(registry) == [
        (8, 15, "Local Port cell '0': 0 is outside the port range 1-65535"),
        (9, 21, "Tailscale Port cell '65536': 65536 is outside the port range 1-65535"),
        (10, 14, "Local Port cell '-8083': a port cannot be negative"),
        (11, 16, "Local Port cell '80.5': a port must be a whole number"),
        (12, 15, "Local Port cell '8080-80': range end is below its start"),
        (13, 15, f"Local Port cell 'TBD': {expected}"),
        (14, 14, "Local Port cell '99999': 99999 is outside the port range 1-65535"),
        (14, 22, "Tailscale Port cell '8450-8449': range end is below its start"),
    ]
    rows = {row.service: row for row in registry.rows}
    assert len(rows) == 8
    assert rows["backwards"].local == PortCell("8080-80", INVALID)
    assert rows["backwards"].tailscale == PortCell("8448", PORT, 8448, 8448)
    assert rows["too-high"].tailscale == PortCell("65536", INVALID)


def test_bad_cell_columns_point_at_the_cell() -> None:
    lines = (FIXTURES / "bad-cells.md").read_text(encoding="utf-8").splitlines()
    for problem in load("bad-cells.md").problems:
        bad_text = problem.message.split("'")[1]
        line = lines[problem.line - 1]
        assert line[problem.column - 1 :].startswith(bad_text)


def test_wrong_column_counts_are_reported_and_the_rows_dropped() -> None:
    registry = load("column-count.md")
    assert problems(registry) == [
        (8, 1, "row has 3 cells, header has 4"),
        (9, 1, "row has 5 cells, header has 4"),
        (19, 1, "row has 1 cell, header has 2"),
    ]
    assert [(row.line, row.service, row.status) for row in registry.rows] == [
        (7, "axios-ai-mail", "Active"),
        (10, "axios-notes | drafts", "Planned"),  # an escaped pipe is not a separator
        (11, "axios-sync", "Planned"),  # a row without edge pipes
        (12, "axios-backup", None),  # an empty last cell before the closing pipe
    ]
    assert [r.line for r in registry.ranges] == [18]


def test_duplicate_header_column() -> None:
    registry = load("duplicate-column.md")
    assert problems(registry) == [(5, 43, "duplicate 'Local Port' column; the first one is used")]
    assert [cell(row.local) for row in registry.rows] == [(PORT, 8080, 8080)]


def test_bad_ranges_are_reported_and_skipped() -> None:
    registry = load("bad-ranges.md")
    assert problems(registry) == [
        (14, 3, "Range cell '8459-8450': range end is below its start"),
        (15, 3, f"Range cell '{EM}': expected a port (11434) or a range (8080-8089)"),
    ]
    assert registry.ranges == (
        RegistryRange(13, 8080, 8089, "Web application services", Kind.LOCAL),
        RegistryRange(16, 11434, 11434, "Ollama (upstream default)", Kind.LOCAL),
    )
    assert [row.status for row in registry.rows] == [None]  # no Status column


def test_no_allocation_table() -> None:
    registry = load("no-allocation.md")
    assert registry.rows == ()
    assert problems(registry) == [(1, 1, NO_ALLOCATION_TABLE)]
    assert [r.label for r in registry.ranges] == ["8080-8089"]


def test_empty_file() -> None:
    assert (FIXTURES / "empty.md").stat().st_size == 0
    registry = load("empty.md")
    assert registry == Registry(
        "registry/empty.md", problems=(RegistryProblem(1, 1, NO_ALLOCATION_TABLE),)
    )
    assert NO_ALLOCATION_TABLE == (
        "no allocation table (a table with Service, Local Port and Tailscale Port columns)"
    )


def test_tables_inside_code_blocks_are_not_tables() -> None:
    text = (
        "## Allocations\n"
        "\n"
        "```markdown\n"
        "| Service | Local Port | Tailscale Port |\n"
        "|---|---|---|\n"
        "| fenced | 1 | 2 |\n"
        "```\n"
    )
    registry = parse_registry(text, "ports.md")
    assert registry.rows == ()
    assert problems(registry) == [(1, 1, NO_ALLOCATION_TABLE)]


def test_tables_in_blockquotes_count_columns_from_the_real_line() -> None:
    text = (
        "> | Service | Local Port | Tailscale Port |\n"
        "> |---|---|---|\n"
        "> | quoted | 0 | 8443 |\n"
        "> | short | 8080 |\n"
    )
    registry = parse_registry(text, "ports.md")
    assert problems(registry) == [
        (3, 14, "Local Port cell '0': 0 is outside the port range 1-65535"),
        (4, 1, "row has 2 cells, header has 3"),
    ]
    assert [(row.service, row.table) for row in registry.rows] == [("quoted", "")]


# --- line endings, encodings and unreadable files ---------------------------------------


def test_crlf_gives_the_same_registry(tmp_path: pathlib.Path) -> None:
    for name in ("seed-ports.md", "bad-cells.md", "column-count.md"):
        crlf = tmp_path / name
        crlf.write_bytes((FIXTURES / name).read_bytes().replace(b"\n", b"\r\n"))
        assert load_registry(crlf, f"registry/{name}") == load(name)


def test_a_utf8_bom_is_ignored(tmp_path: pathlib.Path) -> None:
    bom = tmp_path / "ports.md"
    bom.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "seed-ports.md").read_bytes())
    assert load_registry(bom, "registry/seed-ports.md") == load("seed-ports.md")


def test_missing_file_raises(tmp_path: pathlib.Path) -> None:
    with pytest.raises(RegistryError) as raised:
        load_registry(tmp_path / "nope.md", "docs/nope.md")
    assert str(raised.value) == "docs/nope.md: registry file not found"
    assert raised.value.path == "docs/nope.md"
    assert raised.value.line is None


def test_non_utf8_raises_with_the_line(tmp_path: pathlib.Path) -> None:
    latin1 = tmp_path / "ports.md"
    latin1.write_bytes(b"# Ports\n\nCaf\xe9 services\n")
    with pytest.raises(RegistryError) as raised:
        load_registry(latin1, "ports.md")
    assert str(raised.value) == "ports.md:3: registry file is not valid UTF-8 (byte 0xe9)"
    assert raised.value.line == 3


def test_directory_raises(tmp_path: pathlib.Path) -> None:
    with pytest.raises(RegistryError, match=r"^ports\.md: registry path is a directory"):
        load_registry(tmp_path, "ports.md")


def test_unreadable_file_raises() -> None:
    # chmod cannot lock root out; /proc/self/mem opens fine and fails to read, for real.
    with pytest.raises(RegistryError) as raised:
        load_registry(pathlib.Path("/proc/self/mem"), "ports.md")
    assert str(raised.value) == "ports.md: cannot read registry file: Input/output error"
