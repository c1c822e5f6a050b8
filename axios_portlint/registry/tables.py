"""Every GFM table of a Markdown document, as plain-text cells with source positions.

markdown-it-py's stock table rule gives, through its public token stream, each
row's line (`tr_open.map`) and each cell's text (the inline children). It keeps
no columns, and it pads a short row and cuts a long one to the header's width
without a word. So each row's own source line is read once more, to count its
cells and find where each one lies: the line is split where the table rule
splits it (at every `|` not right after a backslash), after the container
markers (`>`, a list item's `-` or `1.`) the token stream says enclose the
table. Nothing of markdown-it's internals is used.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

_INLINE_TEXT = frozenset({"text", "text_special", "code_inline"})
_INLINE_BREAKS = frozenset({"softbreak", "hardbreak"})
# markdown-it counts lines after turning CRLF and a lone CR into LF.
_LINE_BREAK = re.compile(r"\r\n?|\n")
# A pipe separates cells unless a backslash escapes it (also inside code spans, as in GFM).
_SEPARATOR = re.compile(r"(?<!\\)\|")
# What markdown-it-py 4 trims off a table line and its cells (its `mdTrim`): what
# JavaScript's String.trim removes, but U+FEFF. markdown-it-py 3 uses str.strip(), which
# also takes U+001C-U+001F and U+0085; a line starting or ending in those is the only
# place the two versions split differently.
_BLANK = "".join(
    chr(code)
    for code in (
        *(0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680),
        *range(0x2000, 0x200B),
        *(0x2028, 0x2029, 0x202F, 0x205F, 0x3000),
    )
)
# Markdown indents with spaces and tabs only; a marker after anything else is text.
_INDENT = " \t"
# Blocks whose markers stand in front of a table's lines.
_OPENS = frozenset({"blockquote_open", "list_item_open"})
_CLOSES = frozenset({"blockquote_close", "list_item_close"})


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


@dataclass(frozen=True, slots=True)
class _Container:
    """A block around a table whose marker a line may start with."""

    marker: str  # ">" for a blockquote, "-" or "1." for a list item
    only_line: int | None  # a list item's marker stands on its first line only


@dataclass(frozen=True, slots=True)
class _Source:
    lines: Sequence[str]  # the document's lines as markdown-it numbers them
    containers: tuple[_Container, ...]  # outermost first


def parse_markdown(text: str) -> list[Token]:
    """The document's token stream: CommonMark with GFM tables, markdown-it-py as shipped."""
    return _parser().parse(text)


def read_tables(text: str) -> list[Table]:
    tokens = parse_markdown(text)
    lines = _LINE_BREAK.split(text)
    tables: list[Table] = []
    containers: list[_Container] = []
    heading = ""
    level = 0
    start = 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            heading = plain_text(tokens[index + 1])
            level = int(token.tag[1:])
        elif token.type in _OPENS:
            containers.append(_container(token))
        elif token.type in _CLOSES:
            containers.pop()
        elif token.type == "table_open":
            start = index
        elif token.type == "table_close":
            source = _Source(lines, tuple(containers))
            tables.append(_table(heading, level, tokens[start:index], source))
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
    return MarkdownIt("commonmark").enable("table")


def _container(token: Token) -> _Container:
    if token.type == "blockquote_open":
        return _Container(">", None)
    first_line = token.map[0] if token.map is not None else None
    # An ordered item's number is its `info` (`3` of `3.`); a bullet's is empty.
    return _Container(token.info + token.markup, first_line)


def _table(heading: str, level: int, tokens: Sequence[Token], source: _Source) -> Table:
    rows = [
        _row(tokens, index, source) for index, token in enumerate(tokens) if token.type == "tr_open"
    ]
    opening = tokens[0].map
    delimiter = _source_cells(source, opening[0] + 1) if opening is not None else ()
    return Table(heading, rows[0], tuple(rows[1:]), level, tuple(span for _, span in delimiter))


def _row(tokens: Sequence[Token], start: int, source: _Source) -> Row:
    texts: list[str] = []
    for token in tokens[start + 1 :]:
        if token.type == "tr_close":
            break
        if token.type == "inline":
            texts.append(plain_text(token))
    opening = tokens[start].map
    cells_in_source = _source_cells(source, opening[0]) if opening is not None else ()
    cells = tuple(
        Cell(text, cells_in_source[index][0] if index < len(cells_in_source) else 1)
        for index, text in enumerate(texts)
    )
    line = opening[0] + 1 if opening is not None else 1
    return Row(line, cells, len(cells_in_source), tuple(span for _, span in cells_in_source))


def _source_cells(source: _Source, line: int) -> tuple[tuple[int, Span], ...]:
    """The 1-based content column and the raw span of each cell of a table line."""
    text = source.lines[line] if line < len(source.lines) else ""
    start = _content_start(text, source.containers, line)
    end = len(text.rstrip(_BLANK))
    bounds = [start]
    for separator in _SEPARATOR.finditer(text[start:end]):
        bounds.append(start + separator.start())
        bounds.append(start + separator.end())
    bounds.append(max(start, end))
    spans = list(zip(bounds[::2], bounds[1::2], strict=True))
    # Like the table rule, ignore the empty cells outside a leading and a trailing pipe.
    if spans and spans[0][0] == spans[0][1]:
        spans.pop(0)
    if spans and spans[-1][0] == spans[-1][1]:
        spans.pop()
    return tuple((begin + _lead(text[begin:stop]) + 1, (begin, stop)) for begin, stop in spans)


def _content_start(text: str, containers: Sequence[_Container], line: int) -> int:
    """Where the table's own text starts in a line, after the enclosing blocks' markers.

    Every row of a table in a blockquote has its `>` (a lazy line ends the table).
    """
    position = 0
    for container in containers:
        position = _skip(text, position, _INDENT)
        if container.only_line in (None, line) and text.startswith(container.marker, position):
            position += len(container.marker)
    return _skip(text, position, _BLANK)


def _skip(text: str, position: int, characters: str) -> int:
    return len(text) - len(text[position:].lstrip(characters))


def _lead(cell: str) -> int:
    return len(cell) - len(cell.lstrip())
