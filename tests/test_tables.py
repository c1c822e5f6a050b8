"""registry/tables.py: markdown-it-py's public token stream plus the row's own source line.

markdown-it says which lines are table rows and what each cell's text is; the
reader splits the row's source line itself to count the cells and place them.
These tests hold that split to markdown-it's own, on whatever markdown-it-py is
installed (CI runs the newest; the oldest pyproject allows passes too), so a
release that splits rows differently fails here instead of shifting findings.
"""

from __future__ import annotations

import ast
import re

from conftest import FIXTURES, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from axios_portlint.registry import parse_registry
from axios_portlint.registry.tables import Table, parse_markdown, read_tables

PACKAGE = ROOT / "axios_portlint"
MARKDOWN_DOCUMENTS = (ROOT / "ports.md", *sorted(FIXTURES.rglob("*.md")))
# The public modules of markdown-it-py: the parser and its tokens.
PUBLIC_MARKDOWN_IT = {"markdown_it", "markdown_it.token"}


def inline_contents(text: str) -> dict[int, list[str]]:
    """markdown-it's own cell texts (before inline parsing) of every table row, by 1-based line."""
    rows: dict[int, list[str]] = {}
    line = 0
    for token in parse_markdown(text):
        if token.type == "tr_open" and token.map is not None:
            line = token.map[0] + 1
            rows[line] = []
        elif token.type == "inline" and line:
            rows[line].append(token.content)
        elif token.type == "tr_close":
            line = 0
    return rows


def assert_split_like_markdown_it(text: str, tables: list[Table]) -> None:
    lines = re.split(r"\r\n?|\n", text)
    contents = inline_contents(text)
    assert sorted(contents) == [row.line for table in tables for row in (table.header, *table.body)]
    for table in tables:
        width = len(table.header.cells)
        assert table.header.source_cells == width  # the table rule insists on that
        for row in (table.header, *table.body):
            source = lines[row.line - 1]
            assert row.source_cells == len(row.spans)
            raw = [source[start:end] for start, end in row.spans]
            # The table rule drops an escaping backslash and trims; short rows are padded.
            own = [cell.replace("\\|", "|").strip() for cell in raw] + [""] * width
            assert contents[row.line] == own[:width], source
            # Cells lie left to right, one pipe apart, each column on its content.
            for (_, end), (start, _) in zip(row.spans, row.spans[1:], strict=False):
                assert source[end:start] == "|"
            for cell, (start, end) in zip(row.cells, row.spans, strict=False):
                content = source[start:end].lstrip()
                first = start + len(source[start:end]) - len(content)
                assert cell.column == first + 1  # on a blank cell: just past it


def test_every_fixture_document_splits_like_markdown_it() -> None:
    checked = 0
    for path in MARKDOWN_DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        tables = read_tables(text)
        assert_split_like_markdown_it(text, tables)
        checked += len(tables)
    assert checked >= 20


# Characters that decide where a row splits. U+001C-U+001F and U+0085 are left out:
# markdown-it-py 3 trims them off a line (str.strip) and 4 does not.
_CELL_TEXT = st.lists(
    st.sampled_from(["a", "8080", " ", "\t", "\\|", "\\", "`", "*", "-", ":", "\u00a0", "\u2003"]),
    max_size=5,
).map("".join)
_DELIMITERS = st.sampled_from(["---", ":--", " --: ", ":-:"])
# A table's first line's prefix, and the prefix of its other lines (a list item's
# marker stands on its first line only).
_PREFIXES = {
    "": "",
    "> ": "> ",
    ">": ">",
    "  ": "  ",
    "> > ": "> > ",
    "- ": "  ",
    "1. ": "   ",
    "> - ": ">   ",
}


@st.composite
def table_documents(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(sorted(_PREFIXES)))
    follow = _PREFIXES[prefix]
    width = draw(st.integers(1, 4))
    edge = st.sampled_from(["", "|", "| ", " |"])
    names = draw(st.lists(_CELL_TEXT.map(lambda text: f"h{text}"), min_size=width, max_size=width))
    header = "|".join(names)
    delimiter = "|".join(draw(_DELIMITERS) for _ in range(width))
    lines = [prefix + draw(edge) + header + draw(edge), follow + "|" + delimiter + draw(edge)]
    for _ in range(draw(st.integers(0, 5))):
        cells = draw(st.lists(_CELL_TEXT, min_size=1, max_size=width + 2))
        # A line without the prefix is lazy and ends the table; a Unicode space is text, not indent.
        start = draw(st.sampled_from([follow, follow, "", "\u00a0" + follow]))
        lines.append(start + draw(edge) + "|".join(cells) + draw(edge))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return draw(st.sampled_from(["", "# Ports\n\n", "Prose.\n"])) + newline.join(lines) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table_documents())
def test_generated_tables_split_like_markdown_it(text: str) -> None:
    assert_split_like_markdown_it(text, read_tables(text))


def test_tables_in_list_items_and_nested_blocks() -> None:
    text = (
        "- | Service | Local Port | Tailscale Port |\n"
        "  |---|---|---|\n"
        "  | listed | 0 | 8443 |\n"
        "\n"
        "> 3. | Service | Local Port | Tailscale Port |\n"
        ">    |---|---|---|\n"
        ">    | nested | 8080 | 99999 |\n"
        "| lazy | x | 8444 |\n"
    )
    registry = parse_registry(text, "ports.md")
    assert [(p.line, p.column, p.message.split(":")[0]) for p in registry.problems] == [
        (3, 14, "Local Port cell '0'"),
        (7, 24, "Tailscale Port cell '99999'"),
    ]
    # A line without the blockquote's `>` is a lazy paragraph line, not a row.
    assert [row.service for row in registry.rows] == ["listed", "nested"]


def test_a_unicode_space_before_the_row_moves_its_columns() -> None:
    # Not a space markdown-it indents with, but one it trims: the cells start after it.
    text = "| Service | Local Port | Tailscale Port |\n|---|---|---|\n\u2003| spaced | 0 | 8443 |\n"
    (table,) = read_tables(text)
    (row,) = table.body
    assert row.spans == ((2, 10), (11, 14), (15, 21))
    assert [cell.column for cell in row.cells] == [4, 13, 17]


def test_escaped_pipes_inside_code_spans_stay_in_their_cell() -> None:
    text = "| Service | Notes |\n|---|---|\n| `a\\|b` | x \\\\| y |\n"
    (table,) = read_tables(text)
    (row,) = table.body
    assert [cell.text for cell in row.cells] == ["a|b", "x | y"]
    assert row.spans == ((1, 9), (10, 19))
    assert row.source_cells == 2


def test_only_markdown_it_public_modules_are_imported() -> None:
    """No part of portlint reaches into markdown-it's rules or helpers (none is pinned)."""
    imported: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    used = {name for name in imported if name.split(".")[0] == "markdown_it"}
    assert used == PUBLIC_MARKDOWN_IT
