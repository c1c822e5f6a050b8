"""Inputs that once took quadratic time, and the extraction pre-filter.

Timings belong in `make bench` (its scaling row); these tests pin the verdicts
on the same generated shapes, so a faster check can never be a wrong one.
"""

from __future__ import annotations

import pytest

from axios_portlint.extract import extract_file, may_hold_port
from axios_portlint.model import SourceFile
from axios_portlint.parse import parse_source

TERMS = 3_000


def chain(operator: str, term: str = "1") -> bytes:
    return f" {operator} ".join([term] * TERMS).encode() + b"\n"


@pytest.mark.parametrize(
    ("operator", "term"),
    [
        *[("+", "1"), ("+", '"a"'), ("-", "1"), ("*", "1"), ("/", "1"), ("++", "[ 1 ]")],
        *[("//", "{ }"), ("&&", "true"), ("||", "true"), ("->", "true")],
    ],
)
def test_long_operator_chains_are_valid(operator: str, term: str) -> None:
    assert parse_source(SourceFile("chain.nix", chain(operator, term))).syntax_issue is None


@pytest.mark.parametrize("operator", ["<", ">", "<=", ">=", "==", "!="])
def test_a_long_comparison_chain_fails_at_its_second_operator(operator: str) -> None:
    issue = parse_source(SourceFile("chain.nix", chain(operator))).syntax_issue
    assert issue is not None
    # Where nix-instantiate --parse points: `1 < 1 <` has its second `<` at column 7.
    assert (issue.location.line, issue.location.column) == (1, 6 + len(operator))
    assert issue.message == (
        f"syntax error: unexpected '{operator}' (comparisons do not chain in Nix)"
    )


def test_nested_mkoption_calls_extract_without_error() -> None:
    depth = 300
    text = "lib: " + "(" * depth + "lib" + ".mkOption 1)" * depth + "\n"
    result = extract_file(SourceFile("nest.nix", text.encode()))
    assert result.syntax_issue is None
    assert result.decls == ()


@pytest.mark.parametrize(
    "text",
    [
        b"{ options.a.port = 1; }",
        b"{ httpPort = 1; }",
        b"{ listenPort = 1; }",
        b"{ networking.firewall.allowedTCPPorts = [ 1 ]; }",
        b"{ a_port = 1; }",
        b"{ a-port = 1; }",
        b'{ "port" = 1; }',
        b"port",
        b"{ lib }: { type = lib.types.ints.u16; }",
        b"{ networking.tailscale.services.a = { }; }",
    ],
)
def test_the_pre_filter_lets_every_port_spelling_through(text: bytes) -> None:
    assert may_hold_port(text)


@pytest.mark.parametrize(
    "text",
    [
        b"{ imports = [ ./a.nix ]; }",
        b'{ description = "support for export"; }',
        b"{ sport = 1; passport = 2; }",
        b"",
    ],
)
def test_the_pre_filter_skips_words_that_merely_contain_port(text: bytes) -> None:
    assert not may_hold_port(text)
