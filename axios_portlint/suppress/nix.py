"""Suppression comments in Nix sources: only real comments, found by tree-sitter.

A `# portlint: ignore` inside a string is not a comment, so a text search is
not enough; files without the marker (nearly all) are never parsed again.
"""

from __future__ import annotations

from functools import cache

from tree_sitter import Parser, Query, QueryCursor

from axios_portlint.model import SourceFile
from axios_portlint.parse import BARE_CR, LineIndex, nix_language
from axios_portlint.suppress import MARKER, Suppression, directives

_MARKER_BYTES = MARKER.encode()


@cache
def _parser() -> Parser:
    return Parser(nix_language())


@cache
def _comments() -> Query:
    return Query(nix_language(), "(comment) @comment")


def nix_suppressions(source: SourceFile) -> tuple[Suppression, ...]:
    data = source.data
    if _MARKER_BYTES not in data:
        return ()
    # The same lone-CR treatment as parse_source, so lines agree with the findings'.
    data = BARE_CR.sub(b"\n", data) if b"\r" in data else data
    tree = _parser().parse(data)
    lines = LineIndex(data)
    found: list[Suppression] = []
    captures = QueryCursor(_comments()).captures(tree.root_node)
    for node in sorted(captures.get("comment", []), key=lambda n: n.start_byte):
        raw = data[node.start_byte : node.end_byte]
        if _MARKER_BYTES not in raw:
            continue
        location = lines.location(source.path, node)
        for codes, problem in directives(_body(raw.decode("utf-8", errors="replace"))):
            found.append(Suppression(location, codes, problem))
    return tuple(found)


def _body(comment: str) -> str:
    if comment.startswith("/*"):
        return comment[2:].removesuffix("*/")
    return comment
