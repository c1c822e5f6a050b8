"""The byte and capture filters in front of the syntax checks never hide an error.

The duplicate-attribute filter finds each name's set by position
(`_repeating_sets`); it must flag every set the exact per-set reading
(`_may_repeat`) flags. The duplicate-formal filter skips formals whose words
are all different. Nix's own verdicts on these shapes are in
tests/test_parse_differential.py; here the filters are checked against the
slow paths they replace, on every fixture and on shapes built to trip them.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
from conftest import FIXTURES, ROOT
from tree_sitter import QueryCursor

from axios_portlint.model import SourceFile
from axios_portlint.parse import _parser, parse_source
from axios_portlint.parse.checks import _may_repeat, _query, _repeating_sets


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", ROOT / "bench" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


TRICKY = {
    "nested": b"{ a = 1; b = { a = 2; c = { a = 3; }; }; d = 4; }",
    "after_deep_nesting": b"{ a = " + b"{ x = " * 200 + b"1" + b"; }" * 200 + b"; b = 1; b = 2; }",
    "quoted": b'{ "a" = 1; a.b = 2; }',
    "inherit": b"let inherit (x) a; b = { inherit a; }; a = 1; in a",
    "inherit_from_set": b"{ inherit ({ a = 1; a = 2; }) b; c = 3; }",
    "siblings": b"[ { a = 1; } { a = 2; } ] ++ [ { a = 3; b = 1; a = 4; } ]",
    "interpolated": b'{ ${"a"} = 1; "${b}" = 2; a = 3; }',
    "rec_and_let": b"rec { a = let a = 1; b = 2; in a; b = a; } // { b = 1; }",
}


def corpus() -> dict[str, bytes]:
    texts = {str(path.relative_to(FIXTURES)): path.read_bytes() for path in FIXTURES.rglob("*.nix")}
    shapes = load_bench().shapes(400)
    texts.update({f"shape {name}": text.encode() for name, text in shapes.items()})
    texts.update({f"tricky {name}": text for name, text in TRICKY.items()})
    return texts


def test_the_sweep_flags_every_set_the_exact_reading_flags() -> None:
    checked = 0
    for name, data in corpus().items():
        root = _parser().parse(data).root_node
        if root.has_error:
            continue  # those keep the exact reading
        captures = QueryCursor(_query(False, False)).captures(root)
        sets = captures.get("bindings", [])
        names = [*captures.get("first_name", []), *captures.get("inherited", [])]
        exact = {node.start_byte for node in sets if _may_repeat(node, data)}
        swept = {node.start_byte for node in _repeating_sets(sets, names, data)}
        assert exact <= swept, name
        checked += 1
    assert checked > 200


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (TRICKY["after_deep_nesting"], "syntax error: attribute 'b' already defined"),
        (TRICKY["quoted"], "syntax error: attribute 'a.b' already defined"),
        (TRICKY["inherit"], "syntax error: attribute 'a' already defined"),
        (TRICKY["inherit_from_set"], "syntax error: attribute 'a' already defined"),
        (TRICKY["siblings"], "syntax error: attribute 'a' already defined"),
        (b"{ a, b ? 1, a }: a", "syntax error: duplicate formal 'a'"),
        (b"args@{ b, args }: b", "syntax error: duplicate formal 'args'"),
        (b"{ b, args }@args: b", "syntax error: duplicate formal 'args'"),
        (b"{ a, # a\n b }: a", None),
        (b'{ a ? "b", b }: a', None),
        (TRICKY["nested"], None),
        (TRICKY["rec_and_let"], None),
    ],
)
def test_duplicates_found_past_the_filters(source: bytes, message: str | None) -> None:
    issue = parse_source(SourceFile("t.nix", source)).syntax_issue
    assert (issue.message if issue is not None else None) == message
