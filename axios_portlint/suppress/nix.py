"""Suppression comments in Nix sources: only real comments, found by tree-sitter.

A `# portlint: ignore` inside a string is not a comment, so a text search is
not enough; files without the marker (nearly all) are never parsed again.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from axios_portlint.model import Location, SourceFile
from axios_portlint.suppress import MARKER, Suppression, directives

if TYPE_CHECKING:  # tree-sitter is loaded only when a file has the marker
    from tree_sitter import Parser, Query

_MARKER_BYTES = MARKER.encode()
NONE = 0  # the stored form of a file without suppressions, nearly every file


@cache
def _parser() -> Parser:
    from tree_sitter import Parser

    from axios_portlint.parse import nix_language

    return Parser(nix_language())


@cache
def _comments() -> Query:
    from tree_sitter import Query

    from axios_portlint.parse import nix_language

    return Query(nix_language(), "(comment) @comment")


def nix_suppressions(source: SourceFile) -> tuple[Suppression, ...]:
    data = source.data
    if _MARKER_BYTES not in data:
        return ()
    return _parsed_suppressions(source)


def suppressions_to_json(suppressions: tuple[Suppression, ...]) -> object:
    """A cache's note of a file's suppressions: `NONE`, or one row per directive."""
    if not suppressions:
        return NONE
    return [[*_position(s.location), list(s.codes), s.problem] for s in suppressions]


def suppressions_from_json(path: str, value: Any) -> tuple[Suppression, ...]:
    """What `suppressions_to_json` stored for the file at `path`; ValueError when damaged."""
    if value == NONE and not isinstance(value, bool):
        return ()
    try:
        return tuple(
            Suppression(
                Location(path, int(line), int(column), int(end_line), int(end_column)),
                tuple(str(code) for code in codes),
                str(problem),
            )
            for line, column, end_line, end_column, codes, problem in value
        )
    except (TypeError, ValueError) as error:
        raise ValueError(f"damaged suppression note: {error}") from None


def _position(location: Location) -> list[int]:
    return [location.line, location.column, location.end_line, location.end_column]


def _parsed_suppressions(source: SourceFile) -> tuple[Suppression, ...]:
    from axios_portlint.parse import BARE_CR, LineIndex
    from axios_portlint.parse.query import query_captures

    data = source.data
    # The same lone-CR treatment as parse_source, so lines agree with the findings'.
    data = BARE_CR.sub(b"\n", data) if b"\r" in data else data
    tree = _parser().parse(data)
    lines = LineIndex(data)
    found: list[Suppression] = []
    captures = query_captures(_comments(), tree.root_node)
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
