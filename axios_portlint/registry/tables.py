"""Every GFM table of a Markdown document, as plain-text cells with source positions.

markdown-it pads short rows and drops surplus cells without a word, so the table
rule is wrapped to record, per row, the cells the source line really has (split
by markdown-it's own helpers, exactly as the rule itself split them).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.rules_block.table import escapedSplit, getLine, table
from markdown_it.token import Token

_SOURCE_COLUMNS = "axios_portlint.source_columns"
_INLINE_TEXT = frozenset({"text", "text_special", "code_inline"})
_INLINE_BREAKS = frozenset({"softbreak", "hardbreak"})


@dataclass(frozen=True, slots=True)
class Cell:
    text: str  # plain text: emphasis, code spans and escapes resolved
    column: int  # 1-based character column of the cell's content in its line


# A cell's raw source between its pipes, padding included: 0-based [start, end) in its line.
Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # 1-based
    cells: tuple[Cell, ...]  # as markdown-it sees them: padded or cut to the header's width
    source_cells: int  # how many cells the source line actually has
    spans: tuple[Span, ...] = ()  # one per source cell: what `registry sync` rewrites


@dataclass(frozen=True, slots=True)
class Table:
    heading: str  # the nearest preceding heading's text, "" when there is none
    header: Row
    body: tuple[Row, ...]
    heading_level: int = 0  # 1 for `#`, 3 for `###`; 0 when there is no heading
    delimiter: tuple[Span, ...] = ()  # the cells of the `|---|---|` line below the header


def parse_markdown(text: str) -> list[Token]:
    """The document's token stream, with the table rule that records source cells."""
    return _parser().parse(text)


def read_tables(text: str) -> list[Table]:
    tokens = parse_markdown(text)
    tables: list[Table] = []
    heading = ""
    level = 0
    start = 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            heading = plain_text(tokens[index + 1])
            level = int(token.tag[1:])
        elif token.type == "table_open":
            start = index
        elif token.type == "table_close":
            tables.append(_table(heading, level, tokens[start:index]))
    return tables


def plain_text(inline: Token) -> str:
    parts: list[str] = []
    for child in inline.children or ():
        if child.type in _INLINE_TEXT:
            parts.append(child.content)
        elif child.type in _INLINE_BREAKS:
            parts.append(" ")
        elif child.type == "image":
            parts.append(plain_text(child))  # an image's alt text lives in its children
    return "".join(parts).strip()


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable("table")
    # `at` forgets the rule's alternation chains unless they are given again.
    md.block.ruler.at("table", _table_rule, {"alt": ["paragraph", "reference"]})
    return md


def _table_rule(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    first = len(state.tokens)
    if not table(state, start_line, end_line, silent):
        return False
    for token in state.tokens[first:]:
        if token.type == "tr_open" and token.map is not None:
            token.meta[_SOURCE_COLUMNS] = _source_cells(state, token.map[0])
        elif token.type == "table_open" and token.map is not None:
            delimiter = _source_cells(state, token.map[0] + 1)
            token.meta[_SOURCE_COLUMNS] = tuple(span for _, span in delimiter)
    return True


def _source_cells(state: StateBlock, line: int) -> tuple[tuple[int, Span], ...]:
    """The 1-based content column and the raw span of each cell the table rule split off."""
    start = state.bMarks[line] + state.tShift[line]
    # bMarks skips blockquote markers and list indents; columns count from the real line.
    offset = start - (state.src.rfind("\n", 0, start) + 1)
    parts = escapedSplit(mdTrim(getLine(state, line)))
    cells: list[tuple[str, int, Span]] = []
    for part in parts:
        lead = len(part) - len(part.lstrip())
        # escapedSplit turns each `\|` into `|`, so the source held one more character.
        width = len(part) + part.count("|")
        cells.append((part, offset + lead + 1, (offset, offset + width)))
        offset += width + 1
    # The table rule ignores the empty cells outside a leading and a trailing pipe.
    if cells and cells[0][0] == "":
        cells.pop(0)
    if cells and cells[-1][0] == "":
        cells.pop()
    return tuple((column, span) for _, column, span in cells)


def _table(heading: str, level: int, tokens: Sequence[Token]) -> Table:
    rows = [_row(tokens, index) for index, token in enumerate(tokens) if token.type == "tr_open"]
    delimiter = cast("tuple[Span, ...]", tokens[0].meta.get(_SOURCE_COLUMNS, ()))
    return Table(heading, rows[0], tuple(rows[1:]), level, delimiter)


def _row(tokens: Sequence[Token], start: int) -> Row:
    texts: list[str] = []
    for token in tokens[start + 1 :]:
        if token.type == "tr_close":
            break
        if token.type == "inline":
            texts.append(plain_text(token))
    opening = tokens[start]
    source = cast("tuple[tuple[int, Span], ...]", opening.meta.get(_SOURCE_COLUMNS, ()))
    cells = tuple(
        Cell(text, source[index][0] if index < len(source) else 1)
        for index, text in enumerate(texts)
    )
    line = opening.map[0] + 1 if opening.map else 1
    return Row(line, cells, len(source), tuple(span for _, span in source))
