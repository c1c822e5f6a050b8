"""Differential test of the parse stage against Nix's own parser.

Nix is the judge. For every case in the corpus, `parse_source(...).syntax_issue`
must be set if and only if `nix-instantiate --parse FILE` (Nix 2.8) rejects FILE.

The corpus (about 800 files; Nix rejects a little under half) is:

* hand-written snippets, each labelled with what Nix says (VALID_SNIPPETS,
  INVALID_SNIPPETS), grouped by theme: trailing commas in formals, shapes Nix
  rejects that look similar, everyday syntax errors, lexically tricky valid code;
* a generated matrix of function heads: four formal lists x four layouts
  (inline, compact, nixfmt multi-line, commented) x three `@` placements x
  with/without `...` x with/without a trailing comma;
* generated faulty formals (stray, doubled and leading commas, misplaced `...`,
  attribute-like formals) in the same layouts, and one trailing-comma formals
  set placed in many expression contexts;
* realistic modules under tests/fixtures/parse/{valid,invalid}, plus mechanical
  mutations of the valid ones (CRLF, dropped `;` / `}`, stray tokens at the
  start, middle and end, truncation).

What "Nix rejects" means: a non-zero exit, except for "undefined variable".
Nix 2.8 resolves variables (bindVars) right after a *successful* parse, so
`x / 2` exits 1 although it parsed; such a scope error counts as accepted. Every
other rejection must name a position (`at FILE:LINE:COL`), otherwise the harness
fails rather than guess. Nix also rejects a few things in parser actions rather
than in the grammar (duplicate attributes, integer overflow, ...): those are
rejections too, and portlint misses them (see KNOWN_DISAGREEMENTS).

Cases where portlint disagrees with Nix today are xfail(strict=True), so fixing
parse/ turns them into XPASS failures that ask for the mark to be removed.

Speed: the cases are written to a temporary directory and handed to Nix in a
few long `nix-instantiate --parse A B C ...` runs (see judge()), in parallel,
with a private HOME and state directory as in tests/nixeval.py.

Locations: Nix reports 1-based line and 1-based *byte* column; the harness
converts the column to characters, which is what SyntaxIssue.location holds.
See test_location_* for what is compared.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import pytest
from conftest import run_portlint

from axios_portlint.model import SourceFile, SyntaxIssue
from axios_portlint.parse import parse_source

pytestmark = pytest.mark.nix  # every test here asks `nix-instantiate --parse`

FIXTURES: Final = Path(__file__).resolve().parent / "fixtures" / "parse"
NIX_TIMEOUT_SECONDS: Final = 60
NIX_WORKERS: Final = max(2, min(4, os.cpu_count() or 2))


# --- the corpus ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    source: bytes
    nix_accepts: bool
    """What the corpus expects Nix 2.8 to say (checked by test_corpus_labels_match_nix)."""
    known_bug: str | None = None
    """Why portlint disagrees with Nix today (the case is xfail strict)."""


# Reasons for the known disagreements; each names what parse/ would have to do.
OR_KEYWORD: Final = (
    "false negative: `or` is the keyword OR_KW to Nix, usable only as an attribute "
    "name, in `inherit` and as an application argument; tree-sitter-nix 0.1.0 "
    "parses it as an ordinary identifier"
)
LEXER: Final = (
    "false negative: Nix's lexer rejects this (path with a trailing or doubled slash, "
    "form feed / vertical tab as whitespace); tree-sitter-nix's lexer accepts it"
)
PARSER_STACK: Final = (
    "false negative: Nix's parser (bison) stops at a stack of 10,000 entries with "
    "'memory exhausted' (each open parenthesis holds one, each pending term of a "
    "right-associative `++` two); tree-sitter has no such limit (docs/performance.md)"
)
# The deepest nesting Nix accepts, just below PARSER_STACK's limit: both agree there.
DEEP_PARENS_ACCEPTED: Final = "(" * 9_990 + "1" + ")" * 9_990
DEEP_CONCAT_ACCEPTED: Final = " ++ ".join(["[ 1 ]"] * 4_990)
# Left-nested chains, which Nix's parser reads in a small stack, deeper than the
# 65,535 levels tree-sitter's query cursor can count (parse/query.py): their first
# terms are the deepest nodes, where an error is the one thing wrong in the file.
PAST_QUERY_DEPTH: Final = 70_000
DEEP_SUM: Final = "# a long sum\n" + " + ".join(["1"] * PAST_QUERY_DEPTH) + "\n"
DEEP_APPLICATION: Final = "f: f" + " 1" * PAST_QUERY_DEPTH + "\n"
DEEP_SUM_LARGE_INTEGER: Final = DEEP_SUM.replace("1 + 1 + ", "1 + 9223372036854775808 + ", 1)
DEEP_APPLICATION_DUPLICATE: Final = DEEP_APPLICATION.replace("f: f", "f: f { a = 1; a = 2; }")
DEEP_AND_CHAINED_COMPARISON: Final = "1 < 2 < 3" + " && true" * PAST_QUERY_DEPTH + "\n"
DEEP_SUM_OR: Final = "or" + " + 1" * PAST_QUERY_DEPTH + "\n"
# Suppression comments there (see test_the_cli_reads_chains_past_the_query_depth).
DEEP_SUM_IGNORE_COMMENT: Final = DEEP_SUM.replace("\n1 + ", "\n1 # portlint: ignore[PL001]\n+ ", 1)
DEEP_SUM_LARGE_INTEGER_IGNORED: Final = DEEP_SUM_LARGE_INTEGER.replace(
    "808 + ", "808 # portlint: ignore[PL010]\n+ ", 1
)

# Valid in Nix: portlint must report nothing.
VALID_SNIPPETS: Final[dict[str, list[str]]] = {
    # Nesting just below the depth at which Nix's parser gives up (PARSER_STACK).
    # and past the depth tree-sitter's query cursor counts (PAST_QUERY_DEPTH).
    "deep": [
        *(DEEP_PARENS_ACCEPTED, DEEP_CONCAT_ACCEPTED),
        *(DEEP_SUM, DEEP_APPLICATION, DEEP_SUM_IGNORE_COMMENT),
    ],
    # Trailing commas in formals: every position and style.
    "trailing_comma": [
        "{ a, }: a",
        "{ a ,}: a",
        "{ a,}: a",
        "{a,}:a",
        "{ a, b, }: a",
        "{ a, b, c, }: a",
        "{ pkgs, }: pkgs.hello",
        "{ a ? 1, }: a",
        "{ a ? 1, b ? { }, }: a",
        '{ a ? 1, b ? "x", c ? [ ], d ? { }, e ? null, }: a',
        "{ a ? x: x, }: a",
        "{ a ? [ 1 2 ], }: a",
        "{ a ? -1, }: a",
        "{ a ? ./x, }: a",
        "{ a ? <n>, }: a",
        "{ a ? { }.b or 1, }: a",
        "{ a ? if true then 1 else 2, }: a",
        "{ a ? with { }; 1, }: a",
        "{ a ? assert true; 1, }: a",
        "{ a ? let b = 1; in b, }: a",
        "{ a ? !true, }: a",
        "{ a ? { } // { }, }: a",
        "{ a ? ''s'', }: a",
        "{ a ? rec { }, }: a",
        "{ a /* c */ , }: a",
        "{ a ? 1 /* c */ , }: a",
        "{ a, /* c */ }: a",
        "{ a, # c\n}: a",
        "{\n  a,\n}: a",
        "{\n  a,\n\n}: a",
        "{\n  config,\n  lib,\n  pkgs,\n}:\n{ }",
        "{\n  config,\n  lib,\n  # trailing\n}:\n{ }",
        "{\n  config,\n  lib, # trailing\n}:\n{ }",
        "{\n  config,\n  lib,\n  /* block */\n}:\n{ }",
        "{\n  a, /* x */ /* y */\n  # z\n}: a",
        "{\n  config\n  , lib\n  ,\n}:\n{ }",
        "{ a, }@args: a",
        "{ a, }@ args: a",
        "{ a, } @ args: a",
        "args@{ a, }: a",
        "args @ { a, }: a",
        "args /* c */ @ /* c */ { a, /* c */ }: a",
        "{ a, /* c */ } /* d */ @ /* e */ args: a",
        "{\n  a,\n}@args:\nargs",
        "args@{\n  a,\n}:\nargs",
        "{ a, }: { b, }: 1",
        "{ a, }:\n{ b, }:\n{ c, }: a",
        "{ a, }: { b, }: { c, ... }: a",
        "{ a, }: { b, } : 1",
        "{ a, }@x: { b, }@y: x",
        "x: { a, }: a",
        "x: y@{ a, }: a",
        "let f = { x, }: x; in f",
        "let\n  f = { a, }: a;\n  g = { b, ... }@x: b;\nin\nf",
        "{ a = { b, }: b; }",
        "[ ({ a, }: a) ]",
        "({ a, }: a) { a = 1; }",
        '"${{ a, }: a}"',
        "{ a, b ? { c, }: c }: a",
        "{ a ? { b, }: b }: a",
        "{ a ? { b, }: b, c, }: a",
        "{ x, a ? { b, }: b, y, }: a",
        "{ a, }: a # end",
        "{ a,\r\n}:\r\na\r\n",
    ],
    "formals_other": [
        "{ }: 1",
        "{}: 1",
        "{ ... }: 1",
        "{ a, ... }: a",
        "{ a, b, ... }: a",
        "{ a, ... }@args: a",
        "a@{ }: 1",
        "{ }@a: 1",
        "{ a ? 1 }: a",
        "{ a }: { inherit a; }",
        "a: b: a",
        "a:b:a",
    ],
    "strings": [
        '"é"',
        '"héllo wörld — ✓ 日本語 🚀"',
        "''${''${''x''}''}''",
        "''''${x}''",
        "''$${x}''",
        "''$''",
        "''a$''",
        "''a'''b''",
        "''\\n''",
        "''\\''",
        "''\n  ''${foo}\n  ''\\n\n  '''\n''",
        "''\n  ${''\n    a\n  ''}\n''",
        "''\r\n  x\r\n''",
        '"$${x}"',
        '"\\${x}"',
        '"$"',
        '"a$"',
        '"a$$"',
        '"$\\{x}"',
        '"${"${"a"}"}"',
        '"a\r\nb"',
        '"\ufeff"',
        'let x = 1; in "${toString x}"',
        "let x = 1; in ''${toString x} ''${x}''",
        '{ "a b" = 1; ${"c"} = 2; }',
        '{ a."b".${"c"} = 1; }',
        '{ "" = 1; }',
        '{ "é" = 1; }',
    ],
    "paths_and_uris": [
        "./a/b.nix",
        "./a/${./b}.nix",
        "./.",
        "./..",
        "../a",
        "./a.nix/../b",
        "./a-b_c.d+e/f",
        './${"a"}',
        './a${"b"}',
        './a/${"b"}c',
        "<nixpkgs>",
        "<nixpkgs/lib>",
        "<nixpkgs>/a",
        "<a-b/c_d.nix>",
        "~/foo",
        '~/a/${"b"}',
        "/abs/path",
        "x/2",
        "a/b/c",
        "let x = 4; in x / 2",
        "let x = 4; in x/ 2",
        "let x = 4; in x /2",
        "https://example.com/a?b=c&d",
        "http://example.com/a?b=c",
        "git+ssh://git@github.com/a/b.git",
        "mirror://gnu/hello",
        "http:/a",
        "a:/b",
        "a:b",
        "x:y",
        "foo://bar",
    ],
    "or_identifier": [
        "{ or = 1; }",
        "{ a.or = 1; }",
        "{ or = 1; }.or",
        "{ or = 1; }.or or 2",
        "let x = { or = 1; }; in x.or",
        "let x = { }; in x.or or 1",
        "let x = { }; in x.y or 1",
        "let f = x: x; in f or",
        "{ inherit or; }",
        "let x = { or = 1; }; in { inherit (x) or; }",
    ],
    "comments": [
        "1 # trailing comment no newline",
        "/* a */ /* b */ 1 /* c */",
        "/**/1",
        "/***/1",
        "# x\r\n1\r\n",
        "1 #\r\n",
        "# a\r1",
        "/* a\r\n b */ 1",
        "# héllo — ✓\n1",
        "/* 日本語 */ { a = /* é */ 1; }",
    ],
    "misc": [
        "{ a }: a\r\n",
        "{\r\n  a = 1;\r\n}\r\n",
        "1\r",
        "let { body = 1; }",
        "rec { a = 1; b = a; }",
        "assert true; 1",
        "with { }; 1",
        "let x = { a = 1; }; in { inherit (x) a; }",
        'let a = { b = 1; }; in { inherit (a) "b"; }',
        "let in 1",
        "let a = 1;\n    b = 2;\n in a + b",
        "-1",
        "- -1",
        "!true",
        "!!true",
        "1 - -1",
        "1--1",
        "true || false && !true",
        "true -> false -> true",
        "1 < 2 == true",
        "(1 < 2) < 3",
        "{ } // { } ? a",
        "[ 1 ] ++ [ 2 ]",
        "1 + 2 * 3 / 4 - 5",
        "1.5",
        ".5",
        "1.",
        "01",
        "1.5e3",
        ".5e-3",
        "1..2",
        "9223372036854775807",
        "__curPos",
        "let a-b = 1; in a-b",
        "let a' = 1; in a'",
        "let x = { a = 1; }; in x . a",
        '{ a = 1; }."a"',
        '{ a = 1; }.${"a"}',
        "{ }.a.b.c or 1",
        "{ a = { b = 1; }; a.c = 2; }",
        "{ a.b = 1; a.c = 2; }",
        "[ (x: x) (y: y) ]",
        "[ (-1) ]",
        "0x10",
        "if true then 1 else 2",
        "(a: a) 1",
        "(a: a)(1)",
    ],
    # A trailing comma after a default that holds a function with its own trailing comma.
    "nested_default": [
        "{ a ? { b, }: b, }: a",
        "{ a ? ({ b, }: b), }: a",
        "{ a ? let f = { x, }: x; in f, }: a",
        "{ a ? [ ({ x, }: x) ], }: a",
        "{ a ? { b, c, }: b, }: a",
        "{\n  mkPort ? { default, }: default,\n}:\nmkPort",
        "{ x, a ? { b, }: b, }: a",
    ],
    # Nix merges two set literals bound to one name.
    "attribute_merges": [
        "{ a.c = 2; a = { b = 1; }; }",
        "{ a = { b = 1; }; a = { c = 1; }; }",
        "let a.b = 1; a.c = 2; in a",
        '{ ${"a"}.b = 1; a.c = 3; }',
        # An interpolation inside quotes stays dynamic: only evaluation knows the name.
        '{ "${"a"}" = 1; a = 2; }',
    ],
    # Issue 13: the grammar lexes `a//b` as one path, wants a name after `inherit`,
    # and takes every `${...}` in an inherit as dynamic.
    "update_without_spaces": [
        "a: b: a//b",
        "a: b: a//b//a",
        "a: b: a.b//b",
        "a: b: a//b.c",
        "a: b: a//-b",
        "a: b: a///b",
        "a: b: 1//b",
        "a: b: a//b/c",
        "a: a//./b",
        "a: x: a//./b${x}",
        "a: { x = a//{ y = 1; }; }",
    ],
    "empty_inherit": [
        "{ inherit; }",
        "{ inherit (a); x = 1; }",
        "{ inherit ; inherit; }",
        "let inherit; in 1",
        "a: { inherit (a) ; inherit a; }",
    ],
    "static_inherit_interpolation": [
        'a: { inherit (a) ${"b"}; }',
        'a: { inherit (a) ${("b")}; }',
        "a: { inherit (a) ${''b''}; }",
        'a: { inherit (a) ${"b\\n"}; }',
        'a: let b = 1; in { inherit ${"b"}; }',
        'a: { inherit (a) ${"b"} c "d"; }',
    ],
}

# Rejected by Nix: portlint must report a syntax issue.
INVALID_SNIPPETS: Final[dict[str, list[str]]] = {
    # Shapes close to the tolerated trailing comma that Nix rejects.
    "formals_lookalike": [
        "{ a, , }: a",
        "{ , }: 1",
        "{ /* c */ , }: 1",
        "{ a, /* c */ , }: a",
        "{ a, # c\n , }: a",
        "{\n  a,\n  ,\n}: a",
        "{ a ? 1,, }: 1",
        "{ a,, b, }: a",
        "{ a, , b }: a",
        "{ , a }: a",
        "{ , a, }: a",
        "{ , ... }: 1",
        "{ a, ..., }: a",
        "{ ..., }: 1",
        "{ ... , }: 1",
        "{ a, ...,}@args: 1",
        "{ ..., a }: a",
        "{ ..., a, }: a",
        "{ a b }: a",
        "{ a b, }: a",
        "{ a, b c, }: a",
        "{ a ? , }: a",
        "{ a ?, }: a",
        "{ a ? }: a",
        "{ a ? 1 ? 2, }: a",
        "{ a ? { b, , }: b, }: a",
        "{ a = 1, }: a",
        "{ a.b, }: a",
        '{ "a", }: a',
        "{ ${a}, }: a",
        "{ a, }",
        "{ a, }@args",
        "{ a, }:",
        "{ a, }:: a",
        "{ a, } a",
        "{ a, } // { }",
        "{ a, }.b",
        "{ a, }@: a",
        "@{ a, }: a",
        "{ a, }@args@b: a",
        "{ a, }@args@{ b, }: a",
        "a@b: 1",
        "a@b@{ }: 1",
        "{ }@{ }: 1",
        "f { a, }: a",
        "(f { a, }: a)",
        "{ a, }: f { b, }: b",
        "{ a, } { b, }: c",
        "{ x = { a, }; }",
        "let x = { a, }; in x",
        "let { a, }: a; in 1",
        "rec { a, }: a",
        "[ { a, } ]",
        "{ a, }: { b, }",
        "{ a, b, }: { c, }",
    ],
    # Trailing (or any) commas where Nix wants none.
    "commas_elsewhere": [
        "[ 1, 2 ]",
        "[ 1, ]",
        "{ a, }: [ 1, ]",
        "[ -1 ]",
        "[ f -1 ]",
        "{ a = 1; , }",
        "{ a = 1, }",
        "{ a = 1, b = 2 }",
        "{ a: 1, }",
        "{ inherit a, }",
        "{ a, }: { inherit a, }",
        "let a = 1, in a",
        "f(1, 2)",
    ],
    # Everyday mistakes, at the start, middle and end of a file.
    "real_errors": [
        "{ a = 1 }",
        "{ a = 1;",
        "{ a = 1; }}",
        "{ a, }: { b = 1 }",
        "{ a, }: { b = 1; } }",
        "{ a, }:\n{\n  x = 1;\n  y = 2\n}",
        "{ a, }: a }",
        "{ a, }: a; }",
        "{ a, }: (a",
        '{ a, }: "a',
        "{ a, }: ''a",
        '"unterminated',
        "''unterminated",
        "'''''",
        "''\n  ${\n''",
        '"${"',
        '"${}"',
        '"\\"',
        "${x}",
        "1 /* unterminated",
        "/* /* */ */",
        "let a = 1;",
        "let a = 1; in",
        "{ a, }: let b = 1; b",
        "{ a, }: let in",
        "let f = { a, }: a; in",
        "let f = { a, }: a in f",
        "if true then 1",
        "{ a, }: if a then a",
        "{ a, }: with a;",
        "{ a, }: assert a;",
        "assert true 1",
        "with { } 1",
        "rec { a = 1 }",
        "f (",
        ")",
        "1 + + 2",
        "1 +",
        "a.",
        "..",
        "x:\r\n  ,",
        "{\r\n  a = 1\r\n}\r\n",
        "{ a, }: ? x",
        "{ a, }: :",
        "{ a, }: a:",
        "{ a, }: { b, }:",
        "{ a, }:\n{\n  options = { };\n  config = {\n    x = 1;\n  ;\n}",
        "let",
        "in",
        "then",
        "inherit",
        "rec",
    ],
    "lexical": [
        "~",
        "~/",
        "/",
        "< nixpkgs >",
        "\t,",
        '"éé" ,',
        '# ééé\n  "éé" ,',
        "1\ufeff",
        "{ a, }: a\n\u00a0",
        "let é = 1; in é",
        "{ é = 1; }",
        "a:",
    ],
    # Found by this test, fixed in parse/checks.py: rejected by Nix's lexer or parser actions.
    "no_expression": ["", "   \n\n", "\r\n", "# c", "# a\n# b\n", "/* c */", "/* a */ # b\n"],
    "bom": ["\ufeff", "\ufeff1", "\ufeff{ a }: a", "\ufeff# c\n1"],
    "or_keyword": ["or", "let or = 1; in or", "x: or", "[ or ]", "{ a = or; }"],
    "nonassoc": ["1 < 2 < 3", "1 > 2 >= 3", "1 < 2 <= 3", "1 == 2 == 3", "1 != 2 != 3"],
    "parser_action": [
        "{ a = 1; a = 2; }",
        "let a = 1; a = 2; in a",
        "{ a.b = 1; a.b = 2; }",
        "{ a = x; a.c = 2; }",
        '{ "a" = 1; a = 2; }',
        "{ inherit a; a = 1; }",
        "{ inherit (x) a; inherit (y) a; }",
        "{ a = { b = 1; }; a = { b = 2; }; }",
        "{ a, a }: 1",
        "{ a, b, a, }: 1",
        "args@{ args }: 1",
        "9223372036854775808",
        "{ inherit ${x}; }",
        "{ inherit (x) ${y}; }",
        # A `${...}` holding one plain string is a static name to Nix's parser.
        '{ ${"a"} = 1; a = 3; }',
        '{ ${ ("a") } = 1; a = 3; }',
        '{ a = 1; ${"a"} = 3; }',
        '{ ${"a"}.b = 1; a.b = 3; }',
        'let ${"a"} = 1; a = 2; in a',
        '{ inherit a; ${"a"} = 1; }',
    ],
    # An error in the deepest terms of a chain past PAST_QUERY_DEPTH.
    "deep": [
        DEEP_SUM_LARGE_INTEGER,
        DEEP_APPLICATION_DUPLICATE,
        DEEP_AND_CHAINED_COMPARISON,
        DEEP_SUM_OR,
        DEEP_SUM_LARGE_INTEGER_IGNORED,
    ],
    "lexer_paths": ["./a/", "/a/b/", './a/${"b"}/', "./a//b"],
    "update_lookalikes": [
        "a: a/b//c",
        "a: ./a//b",
        "a: a//.",
        "a: b: a+//b",
        "a: b: a//99999999999999999999",
        "a: b: a//",
        "a: b: { x = a//; }",
        "a: x: a//${x}",
        "a: x: a//b${x}",
    ],
    "dynamic_inherit": [
        'a: { inherit (a) ${"a${"b"}"}; }',
        "a: { inherit (a) ${a.b}; }",
        'a: { inherit (a) "${"b"}"; }',
        'a: { inherit (a) "a${"b"}"; }',
        "{ inherit }",
        "{ inherit (a) }",
    ],
}

# Cases where portlint and Nix disagree today: (source, does Nix accept, reason).
KNOWN_DISAGREEMENTS: Final[dict[str, list[tuple[str, bool, str]]]] = {
    "or_keyword": [
        ("{ or }: 1", False, OR_KEYWORD),
    ],
    "lexer": [
        ("1\f", False, LEXER),
        ("1\v", False, LEXER),
    ],
    "parser_stack": [
        ("(" * 9_999 + "1" + ")" * 9_999, False, PARSER_STACK),
        (" ++ ".join(["[ 1 ]"] * 5_000), False, PARSER_STACK),
    ],
}


# Generated function heads. `""` is an empty slot: a stray comma.
FORMAL_LISTS: Final[dict[str, list[str]]] = {
    "one": ["a"],
    "module": ["config", "lib", "pkgs"],
    "defaults": ["a ? 1", "b"],
    "rich": ["pkgs", "port ? 8080", "extra ? { enable = true; }", 'name ? "svc"'],
}
Layout = Literal["inline", "compact", "nixfmt", "commented"]
LAYOUTS: Final[tuple[Layout, ...]] = ("inline", "compact", "nixfmt", "commented")
AT_PLACEMENTS: Final = ("none", "before", "after")


def render_formals(items: list[str], *, trailing: bool, layout: Layout) -> str:
    """A formals set `{ ... }` holding `items` in one of the layouts people write."""
    if layout == "inline":
        return "{ " + ", ".join(items) + ("," if trailing else "") + " }"
    if layout == "compact":
        return "{" + ",".join(items) + ("," if trailing else "") + "}"
    last = len(items) - 1
    lines = ["{"] if layout == "nixfmt" else ["{ # formals"]
    for index, item in enumerate(items):
        comma = "," if index < last or trailing else ""
        if layout == "nixfmt":
            lines.append(f"  {item}{comma}".rstrip())
        else:
            lines.append(f"  /* {index} */ {item}{comma} # after {index}")
    if layout == "commented":
        lines.append("  # before the closing brace")
    lines.append("}")
    return "\n".join(lines)


def function_head(formals: str, at: str) -> str:
    if at == "before":
        return "args@" + formals
    if at == "after":
        return formals + "@args"
    return formals


def formals_matrix() -> Iterator[Case]:
    for list_name, names in FORMAL_LISTS.items():
        for layout in LAYOUTS:
            for at in AT_PLACEMENTS:
                for ellipsis in (False, True):
                    for trailing in (False, True):
                        items = [*names, "..."] if ellipsis else names
                        head = function_head(
                            render_formals(items, trailing=trailing, layout=layout), at
                        )
                        yield Case(
                            id=(
                                f"matrix-{list_name}-{layout}-at_{at}"
                                f"-{'ellipsis' if ellipsis else 'noellipsis'}"
                                f"-{'trailing' if trailing else 'notrailing'}"
                            ),
                            source=f"{head}:\n{{ }}\n".encode(),
                            # A comma after `...` is the only thing Nix rejects here.
                            nix_accepts=not (ellipsis and trailing),
                        )


FORMALS_FAULTS: Final[dict[str, tuple[list[str], bool]]] = {
    "double_comma": (["a", "", "b"], False),
    "double_trailing_comma": (["a", ""], True),
    "leading_comma": (["", "a"], False),
    "leading_and_trailing_comma": (["", "a"], True),
    "lone_comma": ([""], True),
    "ellipsis_first": (["...", "a"], False),
    "ellipsis_twice": (["a", "...", "..."], False),
    "missing_comma": (["a b"], True),
    "dotted_formal": (["a.b"], True),
    "string_formal": (['"a"'], True),
    "default_without_value": (["a ?"], True),
    "equals_default": (["a = 1"], True),
    "interpolated_formal": (["${a}"], True),
}


def formals_faults() -> Iterator[Case]:
    for fault, (items, trailing) in FORMALS_FAULTS.items():
        for layout in LAYOUTS:
            # `args@` in front for half of them: the fault must not hide behind it.
            at = "before" if layout in ("compact", "commented") else "none"
            head = function_head(render_formals(items, trailing=trailing, layout=layout), at)
            yield Case(
                id=f"fault-{fault}-{layout}-at_{at}",
                source=f"{head}:\n{{ }}\n".encode(),
                nix_accepts=False,
            )


# One trailing-comma formals set (`F`) in many expression contexts.
FORMALS_IN_CONTEXT: Final[dict[str, str]] = {
    "inline": "{ a, b ? 1, }",
    "nixfmt": "{\n  a,\n  b ? 1,\n}",
}
CONTEXTS: Final[dict[str, str]] = {
    "top_level": "F: a",
    "let_bound": "let\n  f = F: a;\nin\nf",
    "let_bound_at": "let f = F: a; g = F@x: x; in [ f g ]",
    "attr_value": "{ f = F: a; }",
    "list_element": "[ (F: a) ]",
    "call_argument": "map (F: a) [ ]",
    "applied": "(F: a) { a = 1; }",
    "curried": "F: F: a",
    "after_plain_lambda": "x: F: x",
    "interpolation": '"${toString (F: a)}"',
    "indented_interpolation": "''\n  ${builtins.typeOf (F: a)}\n''",
    "with_body": "with { }; F: a",
    "assert_body": "assert true; F: a",
    "if_branch": "if true then F: a else null",
    "rec_attr": "rec { f = F: a; }",
    "default_no_trailing_comma": "{ g ? F: a }: g",
    "default_then_formal": "{ g ? (F: a), h, }: g",
    "default_then_ellipsis": "{ g ? F: a, ... }: g",
}
# Contexts where the trailing comma follows a formal whose default contains F.
NESTED_DEFAULT_CONTEXTS: Final[dict[str, str]] = {
    "default_trailing_comma": "{ g ? F: a, }: g",
    "parenthesized_default_trailing_comma": "{ g ? (F: a), }: g",
    "let_default_trailing_comma": "{ g ? let f = F: a; in f, }: g",
}


def formals_in_contexts() -> Iterator[Case]:
    for form, formals in FORMALS_IN_CONTEXT.items():
        for context, template in CONTEXTS.items():
            yield Case(
                id=f"context-{context}-{form}",
                source=template.replace("F", formals).encode(),
                nix_accepts=True,
            )
        for context, template in NESTED_DEFAULT_CONTEXTS.items():
            yield Case(
                id=f"context-{context}-{form}",
                source=template.replace("F", formals).encode(),
                nix_accepts=True,
            )


def snippet_cases() -> Iterator[Case]:
    for group, snippets in VALID_SNIPPETS.items():
        for index, text in enumerate(snippets):
            yield Case(f"valid-{group}-{index:02d}", text.encode(), nix_accepts=True)
    for group, snippets in INVALID_SNIPPETS.items():
        for index, text in enumerate(snippets):
            yield Case(f"invalid-{group}-{index:02d}", text.encode(), nix_accepts=False)
    for group, entries in KNOWN_DISAGREEMENTS.items():
        for index, (text, accepts, reason) in enumerate(entries):
            yield Case(f"known-{group}-{index:02d}", text.encode(), accepts, reason)


def _semicolon_line_ends(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.rstrip().endswith(";")]


def module_mutations(text: str) -> Iterator[tuple[str, str, bool, str | None]]:
    """(mutation, new text, does Nix accept it, known bug) variants of a valid module."""
    lines = text.splitlines(keepends=True)
    middle = len(lines) // 2
    yield "crlf", text.replace("\n", "\r\n"), True, None
    yield "unicode_header", "# Ünïcödé — 日本語 ✓\n" + text, True, None
    toggled = text.rstrip("\n") if text.endswith("\n") else text + "\n"
    yield "final_newline_toggled", toggled, True, None
    yield "bom", "\ufeff" + text, False, None
    ends = _semicolon_line_ends(lines)
    dropped: set[int] = set()
    for label, index in (("first", ends[0]), ("middle", ends[len(ends) // 2]), ("last", ends[-1])):
        if index in dropped:  # a short module: middle and last may coincide
            continue
        dropped.add(index)
        cut = lines[index].rstrip()
        mutated = [*lines[:index], cut[:-1] + "\n", *lines[index + 1 :]]
        yield f"drop_{label}_semicolon", "".join(mutated), False, None
    last_brace = text.rindex("}")
    yield "drop_last_brace", text[:last_brace] + text[last_brace + 1 :], False, None
    # Appended on a line of its own: the last line may be a comment.
    yield "extra_brace_at_end", text.rstrip("\n") + "\n}\n", False, None
    # The middle insertion goes after a binding, never inside a string.
    after_binding = ends[len(ends) // 2] + 1
    for label, at in (("start", 0), ("middle", after_binding)):
        stray = "".join([*lines[:at], ")\n", *lines[at:]])
        yield f"stray_paren_at_{label}", stray, False, None
    yield "stray_paren_at_end", text.rstrip("\n") + "\n)\n", False, None
    for label, keep in (("quarter", len(lines) // 4), ("half", middle)):
        yield f"truncated_at_{label}", "".join(lines[:keep]), False, None


def module_cases() -> Iterator[Case]:
    for path in sorted((FIXTURES / "valid").glob("*.nix")):
        text = path.read_text(encoding="utf-8")
        yield Case(f"module-valid-{path.stem}", text.encode(), nix_accepts=True)
        for mutation, mutated, accepts, bug in module_mutations(text):
            yield Case(f"module-{path.stem}-{mutation}", mutated.encode(), accepts, bug)
    for path in sorted((FIXTURES / "invalid").glob("*.nix")):
        data = path.read_bytes()
        yield Case(f"module-invalid-{path.stem}", data, nix_accepts=False)
        yield Case(f"module-invalid-{path.stem}-crlf", data.replace(b"\n", b"\r\n"), False)


def build_corpus() -> list[Case]:
    cases = [
        *snippet_cases(),
        *formals_matrix(),
        *formals_faults(),
        *formals_in_contexts(),
        *module_cases(),
    ]
    for field in ("id", "source"):
        seen = Counter(getattr(case, field) for case in cases)
        duplicates = sorted(repr(key) for key, count in seen.items() if count > 1)
        assert not duplicates, f"duplicate case {field}s: {duplicates}"
    return cases


CORPUS: Final = build_corpus()


def params(cases: list[Case]) -> list[object]:
    return [
        pytest.param(
            case,
            id=case.id,
            marks=(
                [pytest.mark.xfail(strict=True, reason=case.known_bug)] if case.known_bug else []
            ),
        )
        for case in cases
    ]


# --- the judge ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NixVerdict:
    accepted: bool
    message: str
    """First line of stderr ('' when Nix exited 0)."""
    line: int | None = None
    column: int | None = None
    """1-based character column (Nix reports bytes; converted)."""


def char_column(data: bytes, line: int, byte_column: int) -> int:
    """Nix's 1-based byte column on a 1-based line, as a 1-based character column."""
    lines = data.split(b"\n")
    if line > len(lines):
        return byte_column
    prefix = lines[line - 1][: byte_column - 1]
    return len(prefix.decode("utf-8", errors="replace")) + 1


def nix_env(exe: str, state: Path) -> dict[str, str]:
    """A private, throw-away Nix home and state (as tests/nixeval.py runs it)."""
    return {
        "PATH": os.pathsep.join([str(Path(exe).parent), "/usr/bin", "/bin"]),
        "HOME": str(state),
        "NIX_STATE_DIR": str(state / "state"),
        "NIX_LOG_DIR": str(state / "log"),
        "NIX_PATH": "",
        "LANG": "C.UTF-8",
    }


def nix_parse(exe: str, state: Path, *target: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [exe, "--parse", "--readonly-mode", *target],
        capture_output=True,
        env=nix_env(exe, state),
        cwd=state,
        timeout=NIX_TIMEOUT_SECONDS,
        check=False,
    )


@dataclass(frozen=True, slots=True)
class Job:
    case_id: str
    path: Path
    data: bytes


def judge(exe: str, state: Path, jobs: list[Job]) -> dict[str, NixVerdict]:
    """Nix's verdict on each file, with as few processes as it takes.

    `nix-instantiate --parse A B C` parses the files in order and stops at the
    first failure, naming that file in its error; every file before it parsed.
    So one run covers all files up to the next failure, and the next run starts
    just after it: one process per rejected file, instead of one per file.
    """
    verdicts: dict[str, NixVerdict] = {}
    pending = jobs
    while pending:
        done = nix_parse(exe, state, *(str(job.path) for job in pending))
        if done.returncode == 0:
            verdicts.update((job.case_id, NixVerdict(accepted=True, message="")) for job in pending)
            break
        stderr = done.stderr.decode("utf-8", errors="replace")
        index, verdict = failure(pending, stderr)
        verdicts.update((job.case_id, NixVerdict(True, "")) for job in pending[:index])
        verdicts[pending[index].case_id] = verdict
        pending = pending[index + 1 :]
    return verdicts


def failure(pending: list[Job], stderr: str) -> tuple[int, NixVerdict]:
    """Which of `pending` Nix failed on, and its verdict on that file."""
    message = stderr.strip().splitlines()[0] if stderr.strip() else ""
    where = re.escape(str(pending[0].path.parent))
    positions = re.findall(rf"({where}/\d+\.nix):(\d+):(\d+)", stderr)
    index = {str(job.path): i for i, job in enumerate(pending)}
    if not message.startswith("error: ") or not positions or positions[-1][0] not in index:
        raise RuntimeError(f"nix-instantiate failed without naming a case file:\n{stderr}")
    path, line, byte_column = positions[-1]
    failed = index[path]
    # `undefined variable` comes from bindVars, after the whole file parsed.
    if message.startswith("error: undefined variable "):
        return failed, NixVerdict(accepted=True, message=message)
    data = pending[failed].data
    column = char_column(data, int(line), int(byte_column))
    return failed, NixVerdict(False, message, int(line), column)


@pytest.fixture(scope="module")
def nix_verdicts() -> Iterator[dict[str, NixVerdict]]:
    """Nix's verdict on every case, from a few batched `nix-instantiate --parse` runs."""
    exe = shutil.which("nix-instantiate")
    assert exe is not None
    with tempfile.TemporaryDirectory(prefix="portlint-parse-diff-") as tmp:
        root = Path(tmp)
        state = root / "nix"
        state.mkdir()
        files = root / "cases"
        files.mkdir()
        jobs: list[Job] = []
        for index, case in enumerate(CORPUS):
            path = files / f"{index:04d}.nix"
            path.write_bytes(case.source)
            jobs.append(Job(case.id, path, case.source))
        # The first run creates the state directory; concurrent first runs race on it.
        warm_up = nix_parse(exe, state, "-E", "null")
        assert warm_up.returncode == 0, warm_up.stderr.decode(errors="replace")
        workers = NIX_WORKERS
        with ThreadPoolExecutor(max_workers=workers) as pool:
            shares = pool.map(
                lambda share: judge(exe, state, share), [jobs[i::workers] for i in range(workers)]
            )
            verdicts = {case_id: v for share in shares for case_id, v in share.items()}
        assert verdicts.keys() == {case.id for case in CORPUS}
        yield verdicts


def portlint_issue(case: Case) -> SyntaxIssue | None:
    return parse_source(SourceFile(path=f"{case.id}.nix", data=case.source)).syntax_issue


def describe(case: Case, verdict: NixVerdict, issue: SyntaxIssue | None) -> str:
    nix = "accepts" if verdict.accepted else f"rejects ({verdict.line}:{verdict.column})"
    ours = (
        "no issue"
        if issue is None
        else f"{issue.location.line}:{issue.location.column} {issue.message}"
    )
    return f"{case.source!r}\n  nix {nix}: {verdict.message}\n  portlint: {ours}"


# --- the tests ----------------------------------------------------------------


@pytest.mark.parametrize("case", params(CORPUS))
def test_portlint_agrees_with_nix(case: Case, nix_verdicts: dict[str, NixVerdict]) -> None:
    verdict = nix_verdicts[case.id]
    issue = portlint_issue(case)
    assert (issue is None) == verdict.accepted, describe(case, verdict, issue)


def test_corpus_labels_match_nix(nix_verdicts: dict[str, NixVerdict]) -> None:
    """The corpus says what it covers: every labelled case gets that verdict from Nix.

    This checks the oracle and the corpus, not portlint: if it fails, either the
    installed Nix is not the 2.8 parser these labels were written against, or a
    snippet does not test what its group claims.
    """
    wrong = [
        f"{case.id}: labelled {'valid' if case.nix_accepts else 'invalid'}, nix says "
        f"{nix_verdicts[case.id].message or 'ok'}: {case.source!r}"
        for case in CORPUS
        if case.nix_accepts != nix_verdicts[case.id].accepted
    ]
    assert not wrong, "\n".join(wrong)


def test_corpus_covers_both_sides(nix_verdicts: dict[str, NixVerdict]) -> None:
    accepted = sum(verdict.accepted for verdict in nix_verdicts.values())
    rejected = len(nix_verdicts) - accepted
    assert accepted >= 150
    assert rejected >= 150


def position_of(issue: SyntaxIssue) -> tuple[int, int]:
    return (issue.location.line, issue.location.column)


def end_of(data: bytes) -> tuple[int, int]:
    """1-based (line, character column) just past the last character."""
    last = data.rsplit(b"\n", 1)[-1]
    return (data.count(b"\n") + 1, len(last.decode("utf-8", errors="replace")) + 1)


def nix_position(verdict: NixVerdict) -> tuple[int, int]:
    assert verdict.line is not None and verdict.column is not None
    return (verdict.line, verdict.column)


# --- where the error is reported ------------------------------------------------

# portlint reports "unexpected end of file" at the end of the file whenever an
# ERROR node runs to the end, but tree-sitter also does that when it gives up
# early, so these point past the token where Nix stopped.
LATE_EOF: Final = (
    "location: tree-sitter wraps the rest of the file in one ERROR node ending in a token "
    "that still expects input, so _issue says 'unexpected end of file' at the end, while "
    "Nix stopped at an earlier token"
)


DUPLICATE_MESSAGES: Final = ("already defined", "duplicate formal")


def find_case(key: str) -> Case:
    """A case by id, or a snippet by its (unique) source text."""
    found = [
        case for case in CORPUS if key in (case.id, case.source.decode("utf-8", errors="replace"))
    ]
    if len(found) != 1:
        raise LookupError(f"{len(found)} cases match {key!r}")
    return found[0]


def grammar_parses_trailing_comma_in_formals() -> bool:
    """Which tree-sitter-nix is installed: the two legitimately differ here.

    PyPI's 0.1.0 has an older grammar that makes `{ a, }: a` an ERROR (portlint tolerates
    it, as Nix does), which moves some error positions; nixpkgs' build (ff4e2b4) parses it
    and points exactly where Nix does. Nix's verdict is what both are held to.
    """
    import tree_sitter
    import tree_sitter_nix

    grammar = tree_sitter.Language(tree_sitter_nix.language())
    tree = tree_sitter.Parser(grammar).parse(b"{ a, }: a")
    return not tree.root_node.has_error


NIXPKGS_GRAMMAR: Final = grammar_parses_trailing_comma_in_formals()
# Cases PyPI's grammar locates loosely (see LOCATED) and nixpkgs' exactly.
EXACT_WITH_NIXPKGS_GRAMMAR: Final = {"{ a, , }: a", "{ a ? 1,, }: 1", "{\n  a,\n  ,\n}: a"}

LATE: Final[dict[str, str]] = {
    find_case(key).id: LATE_EOF
    for key in (
        # Only PyPI's grammar gives up at the trailing comma of this attrset lookalike.
        *(() if NIXPKGS_GRAMMAR else ("{ x = { a, }; }",)),
        "{ a, }: :",
        "module-overlay_and_operators-drop_first_semicolon",
    )
}


def location_params() -> list[object]:
    """Every case Nix rejects and portlint is meant to catch."""
    return [
        pytest.param(
            case,
            id=case.id,
            marks=(
                [pytest.mark.xfail(strict=True, reason=LATE[case.id])] if case.id in LATE else []
            ),
        )
        for case in CORPUS
        if not case.nix_accepts and case.known_bug is None
    ]


@pytest.mark.parametrize("case", location_params())
def test_location_never_after_nix(case: Case, nix_verdicts: dict[str, NixVerdict]) -> None:
    """Plausibility, for every rejected case: portlint points no later than Nix.

    Nix's LALR parser stops at the first token it cannot shift, so the mistake
    is at or before Nix's position; tree-sitter may point earlier (it often
    wraps the enclosing construct in an ERROR node) but not later. The one
    exception is the end of input, where Nix points at the start of the last
    token and portlint just past it: when Nix says "unexpected end of file",
    portlint may point anywhere up to the end of the file.
    """
    verdict = nix_verdicts[case.id]
    issue = portlint_issue(case)
    assert issue is not None and not verdict.accepted, describe(case, verdict, issue)
    if any(kind in verdict.message for kind in DUPLICATE_MESSAGES):
        # Nix points at the first definition (or the function); portlint at the duplicate.
        assert position_of(issue)[0] == nix_position(verdict)[0], describe(case, verdict, issue)
        return
    limit = nix_position(verdict)
    if "unexpected end of file" in verdict.message:
        limit = max(limit, end_of(case.source))
    assert position_of(issue) <= limit, describe(case, verdict, issue)


# Rejected cases (by id, or by source for snippets) whose location is compared
# with Nix's more tightly:
# "same": the same line and character column as Nix (an unexpected token);
# "same_line": the same line, earlier column (tree-sitter's ERROR node starts at
#   an earlier token of the construct Nix is still reading);
# "missing_token": a MISSING node in the gap after the last good token, on the
#   line of (or the line before) the token where Nix stopped, and before it;
# "end_of_file": Nix says "unexpected end of file" and points at the start of
#   the last token; portlint is on that line, at or after Nix's column.
Relation = Literal["same", "same_line", "missing_token", "end_of_file"]
LOCATED: Final[list[tuple[str, Relation]]] = [
    ("{ , }: 1", "same"),
    ("{ a, ..., }: a", "same"),
    ("{ ..., }: 1", "same"),
    ("{ a, , }: a", "same_line"),
    ("{ a ? 1,, }: 1", "same_line"),
    ("{\n  a,\n  ,\n}: a", "missing_token"),
    ("[ 1, 2 ]", "same"),
    ("{ a = 1; , }", "same"),
    ("{ a = 1; }}", "same"),
    ("{ a = 1 }", "missing_token"),
    ("{ a, }:\n{\n  x = 1;\n  y = 2\n}", "missing_token"),
    ("{\r\n  a = 1\r\n}\r\n", "missing_token"),
    ("1 + + 2", "same"),
    ("{ a = 1;", "end_of_file"),
    ("let a = 1; in", "end_of_file"),
    ('"éé" ,', "same"),  # Nix: byte column 8, character column 6
    ('# ééé\n  "éé" ,', "same"),
    ("module-invalid-missing_semicolon_first_binding", "same"),
    ("module-invalid-missing_semicolon_option", "same"),
    ("module-invalid-missing_semicolon_option-crlf", "same"),
    ("module-invalid-missing_semicolon_last", "missing_token"),
    ("module-invalid-stray_closing_brace", "same"),
    ("module-invalid-list_with_commas", "same"),
    ("module-invalid-formals_double_comma", "same"),
    ("module-invalid-formals_comma_after_ellipsis", "same"),
    ("module-invalid-formals_missing_comma", "same"),
    ("module-invalid-unbalanced_parens", "same"),
    ("module-invalid-missing_closing_brace", "end_of_file"),
    (DEEP_SUM_LARGE_INTEGER, "same"),  # 2:5, below 70,000 levels of `+`
    (DEEP_APPLICATION_DUPLICATE, "same"),
    (DEEP_AND_CHAINED_COMPARISON, "same"),
    (DEEP_SUM_OR, "same"),
]


@pytest.mark.parametrize(("key", "relation"), LOCATED, ids=[find_case(k).id for k, _ in LOCATED])
def test_location_matches_nix(
    key: str, relation: Relation, nix_verdicts: dict[str, NixVerdict]
) -> None:
    case = find_case(key)
    verdict = nix_verdicts[case.id]
    issue = portlint_issue(case)
    context = describe(case, verdict, issue)
    assert issue is not None and not verdict.accepted, context
    (line, column), (nix_line, nix_column) = position_of(issue), nix_position(verdict)
    if NIXPKGS_GRAMMAR and key in EXACT_WITH_NIXPKGS_GRAMMAR:
        relation = "same"
    if relation == "same":
        assert (line, column) == (nix_line, nix_column), context
    elif relation == "same_line":
        assert line == nix_line and column < nix_column, context
    elif relation == "missing_token":
        assert nix_line - 1 <= line <= nix_line, context
        assert (line, column) < (nix_line, nix_column), context
    else:
        assert "unexpected end of file" in verdict.message, context
        assert line == nix_line and column >= nix_column, context


# --- chains past the query cursor's depth, through the CLI ------------------------

DEEP_FILES: Final = {
    "sum.nix": DEEP_SUM,
    "application.nix": DEEP_APPLICATION,
    "large_integer.nix": DEEP_SUM_LARGE_INTEGER,
    "duplicate.nix": DEEP_APPLICATION_DUPLICATE,
    "large_integer_ignored.nix": DEEP_SUM_LARGE_INTEGER_IGNORED,
    "unused_ignore.nix": DEEP_SUM_IGNORE_COMMENT,
}
FINDING: Final = re.compile(r"^(\S+):(\d+):(\d+): (PL\d+) ", re.MULTILINE)


def test_the_cli_reads_chains_past_the_query_depth(
    tmp_path: Path, nix_verdicts: dict[str, NixVerdict]
) -> None:
    """Each error Nix finds in the deepest terms is a PL010 where Nix points, but the one
    a `# portlint: ignore[PL010]` down there silences; the comment silencing nothing is a
    PL020 at its line, so it was read too."""
    expected: set[tuple[str, int, int, str]] = set()
    for name, text in DEEP_FILES.items():
        (tmp_path / name).write_text(text)
        verdict = nix_verdicts[find_case(text).id]
        if not verdict.accepted and name != "large_integer_ignored.nix":
            expected.add((name, *nix_position(verdict), "PL010"))
    assert not nix_verdicts[find_case(DEEP_SUM_LARGE_INTEGER_IGNORED).id].accepted
    expected.add(("unused_ignore.nix", 2, 3, "PL020"))
    run = run_portlint("check", "--no-cache", "--no-registry", ".", cwd=tmp_path)
    found = {
        (f, int(line), int(column), code) for f, line, column, code in FINDING.findall(run.stdout)
    }
    assert (run.code, found) == (1, expected), run.stdout + run.stderr
    assert len(expected) == 3
