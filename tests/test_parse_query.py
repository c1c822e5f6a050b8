"""Queries over trees of any depth (axios_portlint/parse/query.py).

tree-sitter's query cursor misses every node more than 65,535 levels deep; the
helper queries a deep tree in bands of levels instead. The bands must give what
one plain pass gives wherever that pass is right: run here with bands of 1 to 7
levels on every fixture and on shapes built to put matches across band edges,
each of portlint's queries (and one whose nodes nest within one extent) must
give the same captures, and the same matches in the same order, as a plain
`QueryCursor`. Nix's verdicts on files past the real limit are in
tests/test_parse_differential.py (the `deep` cases).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import FIXTURES
from tree_sitter import Node, Query, QueryCursor

from axios_portlint.extract.hosts import _host_set_query, _module_set_query
from axios_portlint.parse import _parser, nix_language
from axios_portlint.parse.checks import _query
from axios_portlint.parse.query import BAND, _band_roots, query_captures, query_matches
from axios_portlint.suppress.nix import _comments

QUERIES: dict[str, Callable[[], Query]] = {
    "checks": lambda: _query(False, False),
    "checks with or": lambda: _query(True, False),
    "checks with comparisons": lambda: _query(False, True),
    "checks with both": lambda: _query(True, True),
    "comments": _comments,
    "host sets": _host_set_query,
    "module sets": _module_set_query,
    # Not portlint's: nodes nested in one another that span the same bytes.
    "nested nodes of one extent": lambda: Query(
        nix_language(), "(binding_set) @set (binding) @binding (attrpath) @path (identifier) @name"
    ),
}
BANDS = (1, 2, 3, 7)

SHAPES = {
    "comparisons": b"1 < 2 < 3 == 4 != 5 > 6 + 7 < 8",
    "or": b"let or = 1; f = x: x; in [ (f or) ({ a = 1; }.a or 2) or ]",
    "first names": b"{ a.b = 1; a.c = { d = 1; d.e = 2; }; inherit (x) y z; "
    + b'"q" = 1; ${"r"} = 2; }',
    "formals": b"{ a, b ? { c = 1; }, ... }@args: { x = { inherit a b; }; }",
    "integers and paths": b"[ 1 9223372036854775808 ./a ./b/ ./c//d a//b ]",
    "comments": b"# portlint: ignore\n{ a = /* x */ 1; # y\n b = [ # z\n 1 ]; }",
    "hosts": b"{ outputs = { self }: { nixosConfigurations.a = x; darwinConfigurations = "
    + b"{ b = y; }; nixosModules.m = ./m.nix; nixosModules = { n = 1; }; "
    + b"flake.darwinModules.o = { }; a.nixosModules.b.darwinModules = 1; }; }",
    "deep left chain": b" + ".join([b"1"] * 40),
    "deep application": b"f" + b" { a = 1; a = 2; }" * 30,
    "nested sets": b"{ a = " * 20 + b"{ nixosModules.x = 1; # c\n }" + b"; }" * 20,
    "errors": b"{ a = 1; b = ; c = [ 1 2 }; inherit; d = { e, }: e; }",
}


def corpus() -> dict[str, bytes]:
    texts = {str(path.relative_to(FIXTURES)): path.read_bytes() for path in FIXTURES.rglob("*.nix")}
    texts.update({f"shape {name}": text for name, text in SHAPES.items()})
    return texts


CORPUS = corpus()


def as_sets(captures: dict[str, list[Node]]) -> dict[str, set[Node]]:
    return {name: set(nodes) for name, nodes in captures.items()}


@pytest.mark.parametrize("query_name", QUERIES)
def test_bands_find_what_one_pass_finds(query_name: str) -> None:
    """The same captures under each name, and the same matches in the same order."""
    query = QUERIES[query_name]()
    matched = 0
    for name, data in CORPUS.items():
        root = _parser().parse(data).root_node
        captures = as_sets(QueryCursor(query).captures(root))
        matches = QueryCursor(query).matches(root)
        matched += len(matches)
        for band in BANDS:
            assert as_sets(query_captures(query, root, band)) == captures, (name, band)
            assert query_matches(query, root, band) == matches, (name, band)
    assert matched >= 5


def test_a_tree_of_fewer_nodes_than_a_band_takes_one_plain_pass() -> None:
    root = _parser().parse(b" + ".join([b"1"] * 1000)).root_node
    assert root.descendant_count < BAND
    assert _band_roots(root, root.descendant_count) == [root]


def test_band_roots_are_every_node_at_a_multiple_of_the_band() -> None:
    data = b"[ " + b"{ a = " * 12 + b"[ 1 2 ]" + b"; }" * 12 + b" 3 ]"
    root = _parser().parse(data).root_node
    depths: dict[Node, int] = {}
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        depths[node] = depth
        stack.extend((child, depth + 1) for child in node.children)
    for band in (4, 5, 9):
        expected = [node for node, depth in depths.items() if depth % band == 0]
        assert set(_band_roots(root, band)) == set(expected), band
