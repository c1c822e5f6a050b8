"""Suppression comments in the registry: HTML comments markdown-it sees as HTML.

A `<!-- portlint: ignore -->` inside a code span or fenced block is text, not
a comment, so the document is tokenised rather than searched. In a table the
comment belongs inside a cell of the row (a comment line would end the table).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from axios_portlint.model import Location
from axios_portlint.suppress import MARKER, Suppression, directives

_COMMENT = re.compile(r"<!--(?P<body>.*?)-->", re.S)
_BREAKS = frozenset({"softbreak", "hardbreak"})


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def markdown_suppressions(text: str, path: str) -> tuple[Suppression, ...]:
    if MARKER not in text:
        return ()
    found: list[Suppression] = []
    for html, line in _html(_parser().parse(text)):
        for match in _COMMENT.finditer(html):
            start = line + html.count("\n", 0, match.start())
            end = start + match[0].count("\n")
            location = Location(path, start, 1, end, 1)
            for codes, problem in directives(match["body"]):
                found.append(Suppression(location, codes, problem))
    return tuple(found)


def _html(tokens: list[Token]) -> Iterator[tuple[str, int]]:
    """Every piece of raw HTML with its 1-based first line."""
    for token in tokens:
        if token.map is None:
            continue
        if token.type == "html_block":
            yield token.content, token.map[0] + 1
        elif token.type == "inline":
            line = token.map[0] + 1
            for child in token.children or ():
                if child.type == "html_inline":
                    yield child.content, line
                    line += child.content.count("\n")
                elif child.type in _BREAKS:
                    line += 1
