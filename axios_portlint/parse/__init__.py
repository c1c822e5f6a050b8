"""Parse Nix sources with tree-sitter-nix and find their first real syntax error.

PyPI's tree-sitter-nix 0.1.0 predates the grammar fix for a trailing comma in
function formals (`{ pkgs, }:`), which Nix accepts and nixfmt writes everywhere.
That exact shape is tolerated here and nowhere else, so the rest of the pipeline
never has to know about it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import islice

from tree_sitter import Node, Parser, Tree

from axios_portlint.model import Location, SourceFile, SyntaxIssue
from axios_portlint.parse.checks import ParserError, first_parser_error
from axios_portlint.parse.language import nix_language

__all__ = ["Ancestry", "LineIndex", "ParsedFile", "ancestors", "nix_language", "parse_source"]


@cache
def _parser() -> Parser:
    return Parser(nix_language())


class LineIndex:
    """Turns tree-sitter's (row, byte column) points into 1-based character columns."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._starts: list[int] | None = None

    def _line_starts(self) -> list[int]:
        if self._starts is None:
            starts = [0]
            find = self._data.find
            position = find(b"\n")
            while position != -1:
                starts.append(position + 1)
                position = find(b"\n", position + 1)
            self._starts = starts
        return self._starts

    def column(self, row: int, byte_column: int) -> int:
        starts = self._line_starts()
        if row >= len(starts):
            return byte_column + 1
        start = starts[row]
        prefix = self._data[start : start + byte_column]
        if prefix.isascii():
            return byte_column + 1
        return len(prefix.decode("utf-8", errors="replace")) + 1

    def point(self, offset: int) -> tuple[int, int]:
        """(row, byte column) of a byte offset."""
        starts = self._line_starts()
        row = bisect.bisect_right(starts, offset) - 1
        return row, offset - starts[row]

    def location(self, path: str, node: Node) -> Location:
        start_row, start_col = node.start_point
        end_row, end_col = node.end_point
        return Location(
            file=path,
            line=start_row + 1,
            column=self.column(start_row, start_col),
            end_line=end_row + 1,
            end_column=self.column(end_row, end_col),
        )


@dataclass(frozen=True, slots=True)
class ParsedFile:
    source: SourceFile
    tree: Tree
    lines: LineIndex
    syntax_issue: SyntaxIssue | None

    @property
    def root(self) -> Node:
        return self.tree.root_node

    def text(self, node: Node) -> str:
        return self.source.data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    def location(self, node: Node) -> Location:
        return self.lines.location(self.source.path, node)


BARE_CR = re.compile(rb"\r(?!\n)")


def parse_source(source: SourceFile) -> ParsedFile:
    data = source.data
    if b"\r" in data:
        # Nix ends a `#` comment at a lone CR, tree-sitter-nix does not: without this the
        # code after it would vanish into the comment. Same length, so offsets hold.
        data = BARE_CR.sub(b"\n", data)
    tree = _parser().parse(data)
    lines = LineIndex(data)
    issue = None
    if tree.root_node.has_error:
        issue = _first_syntax_issue(tree.root_node, source, lines)
    extra = first_parser_error(tree.root_node, data)
    if extra is not None:
        extra_issue = _parser_issue(extra, source, lines)
        if issue is None or _key(extra_issue) < _key(issue):
            issue = extra_issue
    return ParsedFile(source=source, tree=tree, lines=lines, syntax_issue=issue)


def _parser_issue(error: ParserError, source: SourceFile, lines: LineIndex) -> SyntaxIssue:
    if error.node is not None:
        return SyntaxIssue(lines.location(source.path, error.node), error.message)
    row, column = lines.point(error.offset)
    char_column = lines.column(row, column)
    return SyntaxIssue(
        Location(source.path, row + 1, char_column, row + 1, char_column), error.message
    )


def _key(issue: SyntaxIssue) -> tuple[int, int]:
    return issue.location.line, issue.location.column


def _first_syntax_issue(root: Node, source: SourceFile, lines: LineIndex) -> SyntaxIssue | None:
    for node in _error_nodes(root):
        if _tolerated(node):
            continue
        return _issue(node, source, lines)
    return None


# Tokens after which Nix still expects more input: an ERROR that runs to the end of
# the file and ends with one of these is Nix's "unexpected end of file".
OPEN_TOKENS = frozenset(
    [
        "{",
        "(",
        "[",
        "=",
        ":",
        ";",
        ",",
        ".",
        "?",
        "@",
        "${",
        "let",
        "in",
        "if",
        "then",
        "else",
        "with",
        "assert",
        "rec",
        "inherit",
        "or",
        "+",
        "-",
        "*",
        "/",
        "++",
        "//",
        "==",
        "!=",
        "<",
        ">",
        "<=",
        ">=",
        "&&",
        "||",
        "->",
        "!",
    ]
)
# Tokens no expression starts with: an ERROR beginning with one is "unexpected" there.
NON_STARTERS = frozenset(
    [
        "}",
        ")",
        "]",
        ";",
        ",",
        ":",
        "=",
        ".",
        "?",
        "@",
        "in",
        "then",
        "else",
        "or",
        "<",
        ">",
        "~",
        "*",
        "/",
        "+",
        "&&",
        "||",
        "->",
        "==",
        "!=",
        "<=",
        ">=",
        "//",
        "++",
    ]
)
# A closer as the last token of an ERROR that runs to the end: a closer is missing.
CLOSERS = frozenset(["}", ")", "]"])


def _issue(node: Node, source: SourceFile, lines: LineIndex) -> SyntaxIssue:
    data = source.data
    if node.is_missing:
        return SyntaxIssue(lines.location(source.path, node), f"syntax error: missing {node.type}")
    nested = next((e for e in islice(_error_nodes(node), 1, None) if not _tolerated(e)), None)
    if nested is not None:
        return _issue(nested, source, lines)
    text = data[node.start_byte : node.end_byte]
    first, last = _first_leaf(node), _last_leaf(node)
    if text.lstrip()[:1] == b'"' or text.lstrip()[:2] == b"''":
        message = "syntax error: unterminated string"
    elif first is not None and (_token(first, data) in NON_STARTERS or first == last):
        return SyntaxIssue(
            lines.location(source.path, first), f"syntax error: unexpected '{_token(first, data)}'"
        )
    elif (
        last is not None
        and _token(last, data) in OPEN_TOKENS | CLOSERS
        and not data[node.end_byte :].strip()
    ):
        # Nix reads to the end of the file still expecting more, and says so right
        # after the last token.
        row, column = lines.point(len(data.rstrip()))
        char_column = lines.column(row, column)
        location = Location(source.path, row + 1, char_column, row + 1, char_column)
        return SyntaxIssue(location, "syntax error: unexpected end of file")
    else:
        message = _describe(text)
    return SyntaxIssue(lines.location(source.path, node), message)


def _first_leaf(node: Node) -> Node | None:
    while node.child_count:
        node = node.children[0]
    return node if node.end_byte > node.start_byte else None


def _last_leaf(node: Node) -> Node | None:
    while node.child_count:
        node = node.children[-1]
    return node if node.end_byte > node.start_byte else None


def _token(node: Node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def ancestors(root: Node, node: Node) -> list[Node]:
    """`node`'s ancestors, innermost first.

    `Node.parent` walks down from the root on every call, so climbing a deep tree
    with it is quadratic; descending once with `child_with_descendant` is linear.
    """
    chain: list[Node] = []
    current: Node | None = root
    while current is not None and current != node:
        chain.append(current)
        current = current.child_with_descendant(node)
    chain.reverse()
    return chain


class Ancestry:
    """The parents of one tree's nodes, each found once: for many climbs in one file.

    `ancestors` descends from the root on every call, so climbing from each of many
    nodes deep in one tree (options that are arguments of a 20,000-argument
    application) is quadratic. Here each descent records the parents on its way;
    once descents have cost as many steps as the tree has nodes, one walk records
    every parent, so all the climbs of a file cost time linear in it. Most files
    never get there: a few short descents and no walk.
    """

    def __init__(self, root: Node) -> None:
        self._root = root
        self._parents: dict[int, Node | None] = {root.id: None}
        self._budget = root.descendant_count  # descent steps left before the walk
        self._walked = False

    def parent(self, node: Node) -> Node | None:
        if node.id not in self._parents and not self._walked:
            if self._budget > 0:
                self._descend(node)
            else:
                self._walk()
        return self._parents.get(node.id)

    def above(self, node: Node) -> Iterator[Node]:
        """`node`'s ancestors, innermost first, found as far as they are read."""
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    def _descend(self, node: Node) -> None:
        chain = ancestors(self._root, node)
        self._budget -= len(chain)
        for child, holder in zip([node, *chain], chain, strict=False):
            self._parents[child.id] = holder

    def _walk(self) -> None:
        self._walked = True
        stack = [self._root]
        while stack:
            holder = stack.pop()
            for child in holder.children:
                self._parents[child.id] = holder
                stack.append(child)


def _error_nodes(root: Node) -> Iterator[Node]:
    """ERROR and MISSING nodes in document order, descending only into erroneous subtrees.

    Lazy: the first real error ends the search, however many follow it.
    """
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            yield node
            if node.is_missing:
                continue
        stack.extend(child for child in reversed(node.children) if child.has_error)


def _describe(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    snippet = text.strip().splitlines()[0] if text.strip() else ""
    if not snippet:
        return "syntax error: unexpected end of input"
    if len(snippet) > 40:
        snippet = snippet[:40] + "..."
    return f"syntax error: unexpected '{snippet}'"


def _tolerated(node: Node) -> bool:
    """An ERROR or MISSING node where Nix accepts the code as written."""
    return _is_formals_trailing_comma(node) or _is_empty_inherit(node)


def _is_empty_inherit(node: Node) -> bool:
    """`inherit;` and `inherit (a);` inherit nothing, which Nix accepts.

    The grammar wants at least one name and puts a MISSING identifier before the `;`.
    """
    if not (node.is_missing and node.type == "identifier"):
        return False
    attrs = node.parent
    if attrs is None or attrs.type != "inherited_attrs" or attrs.child_count != 1:
        return False
    inherit = attrs.parent
    last = inherit.children[-1] if inherit is not None and inherit.child_count else None
    return last is not None and last.type == ";" and not last.is_missing


def _is_formals_trailing_comma(node: Node) -> bool:
    """True for the one shape the old grammar rejects and Nix accepts: `{ a, b, }:`.

    The grammar reports it either as a MISSING identifier in an empty last formal
    (`, }`) or as an ERROR node holding only the comma. Nix rejects a comma after
    `...`, a doubled comma and `{ , }`, so those stay errors.
    """
    if node.is_missing and node.type == "identifier":
        formal = node.parent
        if formal is None or formal.type != "formal" or formal.child_count != 1:
            return False
        comma = _previous_significant(formal)
        return (
            comma is not None
            and comma.type == ","
            and _follows_formal(comma)
            and _next_is_closing_brace(formal)
        )
    if node.is_error:
        if node.child_count != 1 or node.children[0].type != ",":
            return False
        if node.parent is None or node.parent.type != "formals":
            return False
        return _follows_formal(node) and _next_is_closing_brace(node)
    return False


def _previous_significant(node: Node) -> Node | None:
    sibling = node.prev_sibling
    while sibling is not None and sibling.type == "comment":
        sibling = sibling.prev_sibling
    return sibling


def _follows_formal(node: Node) -> bool:
    previous = _previous_significant(node)
    if previous is None or previous.type != "formal":
        return False
    # A default may hold a function with its own tolerated trailing comma.
    return all(_tolerated(error) for error in _error_nodes(previous))


def _next_is_closing_brace(node: Node) -> bool:
    sibling = node.next_sibling
    while sibling is not None and sibling.type == "comment":
        sibling = sibling.next_sibling
    return sibling is not None and sibling.type == "}"
