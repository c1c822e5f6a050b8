"""Extraction's byte finders find exactly what the tree queries they replace found.

`mkoption_calls` (the `mkOption` calls), `fallback_selects` (`x.port or 8085`)
and placement's `_variable_uses` (the uses of a let-bound name) look for a
spelling in the bytes and ask the tree what is there, instead of walking every
node with a query. Here each is held to its query, node for node and in the
same order, on every fixture and on shapes built to trip a spelling test: the
word in a string, a comment, a longer name, an attribute name, a keyword used
as a name.
"""

from __future__ import annotations

from conftest import FIXTURES
from tree_sitter import Node, Query, QueryCursor

from axios_portlint.extract.config import config_leaves
from axios_portlint.extract.configside import fallback_selects
from axios_portlint.extract.declarations import mkoption_calls
from axios_portlint.extract.placement import _variable_uses
from axios_portlint.extract.scope import binding_holder, binding_names, binding_set_of
from axios_portlint.model import SourceFile
from axios_portlint.parse import ParsedFile, nix_language, parse_source

MKOPTION_QUERY = """
(apply_expression
  function: [
    (variable_expression name: (identifier) @name)
    (select_expression attrpath: (attrpath attr: (identifier) @name .))
  ]
  (#eq? @name "mkOption")) @call
"""
FALLBACK_QUERY = "(select_expression default: (_)) @select"
VARIABLE_QUERY = "(variable_expression name: (identifier) @name) @variable"
LET_QUERY = "(let_expression) @let"

TRICKY = b"""{ lib, config, ... }:
let
  inherit (lib) mkOption;
  mk = mkOption;
  port = 1;
  ports = port + 1;
  or' = 2;
  cfg = config.services.x;
  nested = let port = 3; in port + cfg.port;
in {
  a = mkOption { type = lib.types.port; default = port; };
  b = lib.mkOption /* mkOption */ { default = ports; };
  c = lib./* c */mkOption { };
  d = lib.mkOption.mkOption { };
  e = mkOption.x { };
  f = (mkOption) { };
  g = lib."mkOption" { };
  h = "${mkOption} mkOption ${port}";
  # mkOption { port }
  i = lib.mkOptionDefault port;
  j = x.mkOption or y;
  k = lib.options.mkOption (mkOption { }) // { };
  l = mkOption mkOption mkOption;
  m = lib.mkOption # trailing
    { };
  n = a.mkOption.b or (c.d or 1);
  o = (x.a or 1).b or 2;
  p = x."or" or 3;
  q = cfg.port or port;
  r = x.a or
    # or
    5;
  s = x.support or or';
  t = { inherit port; port' = port; };
}
"""


def corpus() -> dict[str, ParsedFile]:
    texts = {str(path.relative_to(FIXTURES)): path.read_bytes() for path in FIXTURES.rglob("*.nix")}
    texts["tricky"] = TRICKY
    return {name: parse_source(SourceFile(name, data)) for name, data in texts.items()}


def query(source: str, root: Node, capture: str) -> list[Node]:
    cursor = QueryCursor(Query(nix_language(), source))
    cursor.set_byte_range(root.start_byte, root.end_byte)
    return [captures[capture][0] for _pattern, captures in cursor.matches(root)]


def test_mkoption_calls_are_the_query_s_matches_in_order() -> None:
    found = 0
    for name, parsed in corpus().items():
        expected = query(MKOPTION_QUERY, parsed.root, "call")
        assert list(mkoption_calls(parsed)) == expected, name
        found += len(expected)
    assert found > 300


def test_fallback_selects_are_the_query_s_matches() -> None:
    found = 0
    for name, parsed in corpus().items():
        expected = query(FALLBACK_QUERY, parsed.root, "select")
        selects = list(fallback_selects(parsed))
        assert sorted(node.start_byte for node in selects) == sorted(
            node.start_byte for node in expected
        ), name
        assert len(set(selects)) == len(selects) == len(expected), name
        found += len(expected)
    assert found > 20


def test_variable_uses_are_the_query_s_uses_of_each_let_bound_name() -> None:
    checked = 0
    for name, parsed in corpus().items():
        for holder in query(LET_QUERY, parsed.root, "let"):
            binding_set = binding_set_of(holder)
            names = {
                names[0]
                for child in (binding_set.named_children if binding_set is not None else [])
                if child.type == "binding" and (names := binding_names(child)) and names[0]
            }
            for bound in sorted(names):
                expected = [
                    variable
                    for variable in query(VARIABLE_QUERY, holder, "variable")
                    if variable.text == bound.encode()
                    and binding_holder(parsed.root, variable, bound) == holder
                ]
                assert _variable_uses(parsed, holder, bound) == expected, (name, bound)
                checked += len(expected)
    assert checked > 100


def test_a_nixos_test_is_seen_however_its_test_script_is_spelled() -> None:
    """config_leaves skips looking for NixOS tests in a file that cannot spell
    `testScript`; an escaped letter (`"test\\Script"`, which Nix reads as testScript)
    still spells it."""
    plain = b'{ nodes.machine = { services.x.port = 8080; }; testScript = ""; }'
    escaped = b'{ nodes.machine = { services.x.port = 8080; }; "test\\Script" = ""; }'
    module = b'{ nodes.machine = { services.x.port = 8080; }; testscript = ""; }'

    def leaves(data: bytes) -> list[tuple[str, ...]]:
        return [leaf.path for leaf in config_leaves(parse_source(SourceFile("t.nix", data)).root)]

    assert leaves(plain) == leaves(escaped) == [("services", "x", "port")]
    assert sorted(leaves(module)) == [
        ("nodes", "machine", "services", "x", "port"),
        ("testscript",),
    ]
