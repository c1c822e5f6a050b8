"""The relative links of the registry's Cross-References section (PL016 checks them).

The section is the one under a heading containing "Cross-Reference", up to the
next heading of the same or a higher level. Links with a scheme (`https:`,
`mailto:`), absolute paths and in-page anchors (`#ports`) are not files of the
repository and are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import unquote

from markdown_it.token import Token

from axios_portlint.model import CrossReference
from axios_portlint.registry.tables import parse_markdown, plain_text

SECTION = "cross-reference"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_BREAKS = frozenset({"softbreak", "hardbreak"})


def cross_references(text: str, base: Path) -> tuple[CrossReference, ...]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    found = []
    for line, href in _section_links(parse_markdown(text)):
        target = relative_target(href)
        if target is None:
            continue
        source = lines[line - 1] if line <= len(lines) else ""
        column = source.find(href) + 1 or 1
        found.append(CrossReference(line, column, target, (base / target).exists()))
    return tuple(found)


def relative_target(href: str) -> str | None:
    """The file a link names, or None when it is not a relative path."""
    if not href or href.startswith(("#", "/", "\\")) or _SCHEME.match(href):
        return None
    path = unquote(href.split("#", 1)[0].split("?", 1)[0])
    return path or None


def _section_links(tokens: Sequence[Token]) -> Iterator[tuple[int, str]]:
    level = 0  # the Cross-References heading's level while inside it, else 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            this = int(token.tag[1:])
            if level and this <= level:
                level = 0
            if SECTION in plain_text(tokens[index + 1]).lower():
                level = this
        elif level and token.type == "inline" and token.map is not None:
            yield from _links(token, token.map[0] + 1)


def _links(inline: Token, first_line: int) -> Iterator[tuple[int, str]]:
    line = first_line
    for child in inline.children or ():
        if child.type in _BREAKS:
            line += 1
        elif child.type == "link_open":
            href = child.attrGet("href")
            if isinstance(href, str):
                yield line, href
