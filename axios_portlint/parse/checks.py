"""Syntax errors Nix's parser reports that the tree-sitter grammar accepts.

Nix rejects these while parsing (in its lexer or in the parser's actions), so
`nix-instantiate --parse` fails on them; the differential test against it found
each one. One query finds every candidate, so a clean file costs one pass in C.

No pattern may wait on a later sibling of a subtree that nests without bound: the
cursor keeps one state per open ancestor, so `(binary_expression operator: ...)`
is quadratic on a 20,000-term `1 + 1 + ...` chain. Each pattern here is settled
by a node's first child at the latest.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from tree_sitter import Node, Parser, Query

from axios_portlint.parse.language import nix_language
from axios_portlint.parse.names import attrpath_names, static_attr_name
from axios_portlint.parse.query import query_captures

BOM = b"\xef\xbb\xbf"
MAX_INTEGER = 2**63 - 1
COMPARISON_GROUPS = ({"<", ">", "<=", ">="}, {"==", "!="})
LITERAL_SETS = ("attrset_expression", "rec_attrset_expression")
UPDATE_NEEDS = "(an update needs an expression on each side)"
# What Nix's lexer reads as one path token (its PATH rule).
NIX_PATH = re.compile(rb"[a-zA-Z0-9._+-]*(?:/[a-zA-Z0-9._+-]+)+/?")

CHECKS_QUERY = """
(binding_set) @bindings
(binding . (attrpath . (_) @first_name))
(inherited_attrs (_) @inherited)
(formals) @formals
(integer_expression) @integer
(path_expression) @path
"""
# The inherited names only a plain string or `${...}` can make an error.
INHERIT_NAME_KINDS = ("interpolation", "string_expression")
# Only for files with a comparison operator: every `1 + 1 + ...` term would match.
COMPARISON_QUERY = """
(binary_expression left: (binary_expression)) @comparison
"""
COMPARISON_BYTES = (b"<", b">", b"==", b"!=")
# Only for files that spell the word `or` at all: most never use it as a variable,
# and this is the one pattern with a predicate.
OR_QUERY = """
(variable_expression name: (identifier) @or (#eq? @or "or"))
"""
# A first attribute name that is a plain identifier, ending where a `.`, `=` or space does.
PLAIN_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_'-]*(?=[\s.=#/])")
# `"a"` or `${"a"}` (also `${ ("a") }`): a name Nix's parser reads as the plain `a`.
PLAIN_STRING_NAME = re.compile(rb'(?:\$\{[\s(]*)?"([^"\\$]*)"(?:[\s)]*\})?')
QUOTE_OR_DOLLAR = (b'"', b"$")
# Any identifier-like word, in code, strings or comments alike.
WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_'-]*")
# `or` at the end of a word; a literal first keeps the regex engine's fast scan.
OR_ENDING = re.compile(rb"or(?![A-Za-z0-9_'-])")
IDENTIFIER_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_'-")
LONGEST_SAFE_INTEGER = len(str(MAX_INTEGER)) - 1  # 18 digits always fit


@dataclass(frozen=True, slots=True)
class ParserError:
    """A problem at a node (or at a byte offset when `node` is None)."""

    message: str
    node: Node | None = None
    offset: int = 0


@cache
def _query(with_or: bool, with_comparisons: bool) -> Query:
    optional = (OR_QUERY if with_or else "") + (COMPARISON_QUERY if with_comparisons else "")
    return Query(nix_language(), CHECKS_QUERY + optional)


@cache
def _snippet_parser() -> Parser:
    return Parser(nix_language())


def parser_errors(root: Node, data: bytes) -> Iterator[ParserError]:
    if data.startswith(BOM):
        yield ParserError("syntax error: unexpected byte order mark (Nix does not accept one)")
    if not _has_expression(root):
        yield ParserError("syntax error: unexpected end of file (the file has no expression)")
    comparisons = any(operator in data for operator in COMPARISON_BYTES)
    captures = query_captures(_query(_spells_or(data), comparisons), root)
    for node in captures.pop("formals", []):
        yield from _duplicate_formals(node, data)
    sets = captures.pop("bindings", [])
    names = captures.pop("first_name", [])
    inherited = captures.pop("inherited", [])
    if root.has_error:  # the names below are read off a tree without errors only
        repeating = [node for node in sets if _may_repeat(node, data)]
    else:
        repeating = _repeating_sets(sets, [*names, *inherited], data)
    for node in repeating:
        yield from _duplicate_attributes(node, data)
    for node in inherited:
        if node.type in INHERIT_NAME_KINDS:
            yield from _inherit_name(node)
    for name, nodes in captures.items():
        check = _CHECKS[name]
        for node in nodes:
            yield from check(node)


def _has_expression(root: Node) -> bool:
    """Whether the file holds more than comments; the expression is nearly always last."""
    count = root.named_child_count
    if count and root.named_children[-1].type != "comment":
        return True
    return any(child.type != "comment" for child in root.named_children)


def _spells_or(data: bytes) -> bool:
    """Whether `or` stands as a word anywhere (code, strings or comments alike)."""
    return any(
        match.start() == 0 or data[match.start() - 1] not in IDENTIFIER_BYTES
        for match in OR_ENDING.finditer(data)
    )


def first_parser_error(root: Node, data: bytes) -> ParserError | None:
    """The earliest one in the file, as Nix stops at the first."""
    return min(parser_errors(root, data), key=_position, default=None)


def _position(error: ParserError) -> int:
    return error.node.start_byte if error.node is not None else error.offset


def _or_variable(node: Node) -> Iterator[ParserError]:
    variable = node.parent
    parent = variable.parent if variable is not None else None
    # Nix's grammar lets `or` stand only as an attribute name and as a function argument.
    if (
        parent is not None
        and parent.type == "apply_expression"
        and variable == parent.child_by_field_name("argument")
    ):
        return
    yield ParserError("syntax error: unexpected 'or' (a keyword in Nix)", node)


def _chained_comparison(node: Node) -> Iterator[ParserError]:
    """`a < b < c`: the query gives every binary expression whose left is one."""
    operator = node.child_by_field_name("operator")
    left = node.child_by_field_name("left")
    if operator is None or left is None:
        return
    inner = left.child_by_field_name("operator")
    if inner is None:
        return
    for group in COMPARISON_GROUPS:
        if operator.type in group and inner.type in group:
            yield ParserError(
                f"syntax error: unexpected '{operator.type}' (comparisons do not chain in Nix)",
                operator,
            )


def _large_integer(node: Node) -> Iterator[ParserError]:
    if node.end_byte - node.start_byte <= LONGEST_SAFE_INTEGER:
        return
    if node.text is not None and int(node.text) > MAX_INTEGER:
        yield ParserError(f"syntax error: invalid integer '{node.text.decode()}'", node)


def _inherit_name(node: Node) -> Iterator[ParserError]:
    """`inherit "b" ${"c"} ${("d")};` name plain strings; anything computed is an error.

    Nix takes `${...}` in an inherit when it holds one plain string literal (its
    parser drops the parentheses), and rejects a string with an interpolation.
    """
    name = node
    if name.type == "interpolation":
        inner = name.child_by_field_name("expression")
        while inner is not None and inner.type == "parenthesized_expression":
            inner = inner.child_by_field_name("expression")
        if inner is None or inner.type not in ("string_expression", "indented_string_expression"):
            yield ParserError("syntax error: dynamic attributes not allowed in inherit", node)
            return
        name = inner
    if any(child.type == "interpolation" for child in name.named_children):
        yield ParserError("syntax error: dynamic attributes not allowed in inherit", node)


def _path(node: Node) -> Iterator[ParserError]:
    text = node.text or b""
    if b"//" in text:
        yield from _doubled_slash(node, text)
    elif text.endswith(b"/") and len(text) > 1:
        yield ParserError("syntax error: path has a trailing slash", node)


def _doubled_slash(node: Node, text: bytes) -> Iterator[ParserError]:
    """`./a//b` is an error, but the grammar also lexes `a//b` and `a.b//c` as one path.

    Nix's lexer reads a path only as `{PATH_CHAR}*(/{PATH_CHAR}+)+/?`, so `a//b` is
    `a // b`: an update. A `//` right after a whole path is the doubled slash Nix
    rejects; any other `//` is the operator, and the pieces must parse around it.
    """
    pieces = text.split(b"//")
    if any(NIX_PATH.fullmatch(piece) for piece in pieces[:-1]):
        yield ParserError("syntax error: path has a doubled slash", node)
        return
    update = b" // ".join(pieces)
    tree = _snippet_parser().parse(update)
    if tree.root_node.has_error or first_parser_error(tree.root_node, update) is not None:
        yield ParserError(f"syntax error: unexpected '//' {UPDATE_NEEDS}", node)


def _duplicate_formals(node: Node, data: bytes) -> Iterator[ParserError]:
    if b"@" not in data:  # no `args@{ ... }`: only the formals' own names can repeat
        words = WORD.findall(data, node.start_byte, node.end_byte)
        if len(set(words)) == len(words):  # every name is a word of the text
            return
    function = node.parent
    universal = function.child_by_field_name("universal") if function is not None else None
    seen: set[bytes] = {universal.text} if universal is not None and universal.text else set()
    for formal in node.children_by_field_name("formal"):
        name = formal.child_by_field_name("name")
        if name is None or not name.text:
            continue
        if name.text in seen:
            yield ParserError(f"syntax error: duplicate formal '{name.text.decode()}'", name)
        seen.add(name.text)


@dataclass(slots=True)
class _Entry:
    """One attribute of a set under construction.

    A set literal (`a = { ... };`) may be merged with a later definition of the
    same name, as Nix does; its own bindings are read only when that happens,
    so the common case costs nothing and deep nesting stays linear.
    """

    mergeable: bool
    literal: Node | None = None
    children: dict[str, _Entry] | None = None


def _repeating_sets(sets: list[Node], names: list[Node], data: bytes) -> list[Node]:
    """The sets where two bindings (or inherited names) start with the same name.

    A cheap filter before `_duplicate_attributes`, over the query's captures. The
    names are compared by their bytes first: a file that spells no first name twice
    needs no set placed (most files of a real tree). Otherwise a name belongs to the
    innermost set around it: the sets' starts and ends cut the file into stretches,
    each with one innermost set (`_innermost`), so a name's set is one binary
    search away, however deep the nesting.
    """
    if len(names) < 2:
        return []
    starts = [node.start_byte for node in names]
    texts = [data[start : node.end_byte] for start, node in zip(starts, names, strict=True)]
    if b'"' in (joined := b"".join(texts)) or b"$" in joined:
        texts = list(map(_plain, texts))
    if len(set(texts)) == len(texts):
        return []
    bounds, innermost = _innermost(sets)
    seen: set[tuple[int, bytes]] = set()
    flagged: set[int] = set()
    for start, text in zip(starts, texts, strict=True):
        key = (innermost[bisect_right(bounds, start) - 1], text)
        if key in seen:
            flagged.add(key[0])
        seen.add(key)
    flagged.discard(-1)  # outside every set: not a binding's name
    return sorted((sets[owner] for owner in flagged), key=_start)


def _plain(name: bytes) -> bytes:
    """The bytes of a first name as Nix's parser names it: `"a"`, `${"a"}` and
    `${("a")}` are all `a` (a duplicate of a later `a = ...`); the rest as written."""
    if name[:1] not in QUOTE_OR_DOLLAR:  # nearly every name: an identifier
        return name
    quoted = PLAIN_STRING_NAME.fullmatch(name)
    return quoted.group(1) if quoted is not None else name


def _start(node: Node) -> int:
    return node.start_byte


def _innermost(sets: list[Node]) -> tuple[list[int], list[int]]:
    """Where the innermost open set changes (sorted offsets) and the index of that set
    from there on (-1: none). Sets nest or lie apart, as a tree's nodes do."""
    spans = sorted((node.start_byte, node.end_byte, index) for index, node in enumerate(sets))
    events: list[tuple[int, int]] = [(-1, -1)]  # (offset, innermost set from there on)
    stack: list[tuple[int, int]] = []  # (end, index) of the open sets, innermost last
    for start, end, index in spans:
        while stack and stack[-1][0] <= start:
            closed_end, _closed = stack.pop()
            events.append((closed_end, stack[-1][1] if stack else -1))
        events.append((start, index))
        stack.append((end, index))
    while stack:
        closed_end, _closed = stack.pop()
        events.append((closed_end, stack[-1][1] if stack else -1))
    # A walk in document order: the events come out sorted, an end before a start at
    # the same offset.
    return [event[0] for event in events], [event[1] for event in events]


def _duplicate_attributes(node: Node, data: bytes) -> Iterator[ParserError]:
    if node.parent is None or node.parent.type not in (*LITERAL_SETS, "let_expression"):
        return
    yield from _insert_bindings(node, {}, ())


def _may_repeat(binding_set: Node, data: bytes) -> bool:
    """Cheap filter: a duplicate needs two bindings with the same first name.

    A binding starts with its attrpath, so a plain first name is read off the
    bytes at its start, with no node made for it: this runs on every set.
    """
    if binding_set.named_child_count < 2:
        return False
    seen: set[bytes] = set()
    match = PLAIN_NAME.match
    for child in binding_set.named_children:
        kind = child.type
        if kind == "binding":
            identifier = match(data, child.start_byte)
            if identifier is not None:
                names = [identifier.group()]
            else:
                attrpath = child.child(0)
                first = attrpath.child(0) if attrpath is not None else None
                names = [first.text] if first is not None and first.text is not None else []
        elif kind in ("inherit", "inherit_from"):
            attrs = child.child_by_field_name("attrs")
            names = [a.text for a in attrs.named_children if a.text] if attrs else []
        else:
            continue
        for name in names:
            plain = _plain(name)
            if plain in seen:
                return True
            seen.add(plain)
    return False


def _insert_bindings(
    binding_set: Node, entries: dict[str, _Entry], prefix: tuple[str, ...]
) -> Iterator[ParserError]:
    for child in binding_set.named_children:
        if child.type == "binding":
            attrpath = child.child_by_field_name("attrpath")
            names = attrpath_names(attrpath) if attrpath is not None else []
            if not names or None in names or attrpath is None:
                continue
            value = child.child_by_field_name("expression")
            path = [n for n in names if n is not None]
            yield from _define(entries, path, value, prefix, attrpath)
        elif child.type in ("inherit", "inherit_from"):
            attrs = child.child_by_field_name("attrs")
            for attr in attrs.children_by_field_name("attr") if attrs is not None else []:
                name = None if attr.is_missing else static_attr_name(attr)  # `inherit;`
                if name is not None:
                    yield from _define(entries, [name], None, prefix, attr)


def _define(
    entries: dict[str, _Entry],
    path: list[str],
    value: Node | None,
    prefix: tuple[str, ...],
    where: Node,
) -> Iterator[ParserError]:
    full = (*prefix, *path)
    for index, name in enumerate(path[:-1]):
        entry = entries.setdefault(name, _Entry(mergeable=True, children={}))
        if not entry.mergeable:
            yield _already(full, where)
            return
        yield from _expand(entry, (*prefix, *path[: index + 1]))
        assert entry.children is not None
        entries = entry.children
    last = path[-1]
    literal = value if value is not None and value.type in LITERAL_SETS else None
    existing = entries.get(last)
    if existing is None:
        entries[last] = _Entry(mergeable=literal is not None, literal=literal)
        return
    if not existing.mergeable or literal is None:
        yield _already(full, where)
        return
    yield from _expand(existing, full)
    assert existing.children is not None
    yield from _merge_literal(literal, existing.children, full)


def _expand(entry: _Entry, path: tuple[str, ...]) -> Iterator[ParserError]:
    if entry.children is None:
        entry.children = {}
        if entry.literal is not None:
            yield from _merge_literal(entry.literal, entry.children, path)


def _merge_literal(
    literal: Node, entries: dict[str, _Entry], path: tuple[str, ...]
) -> Iterator[ParserError]:
    inner = next((c for c in literal.named_children if c.type == "binding_set"), None)
    if inner is not None:
        yield from _insert_bindings(inner, entries, path)


def _already(path: tuple[str, ...], where: Node) -> ParserError:
    return ParserError(f"syntax error: attribute '{'.'.join(path)}' already defined", where)


_CHECKS = {
    "or": _or_variable,
    "comparison": _chained_comparison,
    "integer": _large_integer,
    "path": _path,
}
