"""`portlint explain CODE` prints the rule's docs page; `portlint rules` lists every rule."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from conftest import ROOT, Run

from axios_portlint.cli import main
from axios_portlint.commands.rules import find_rule
from axios_portlint.rules import all_rules, render_doc

Portlint = Callable[..., Run]
DOCS = ROOT / "docs" / "rules"


def test_explain_prints_the_docs_page(portlint: Portlint) -> None:
    result = portlint("explain", "PL005", cwd=ROOT)
    assert result.code == 0
    assert result.stdout == (DOCS / "PL005.md").read_text()


def test_explain_by_name(portlint: Portlint) -> None:
    result = portlint("explain", "unused-suppression", cwd=ROOT)
    assert result.code == 0
    assert result.stdout.startswith("# PL020: unused-suppression\n")


@pytest.mark.parametrize("code", [rule.code for rule in all_rules()])
def test_every_rule_explains_itself(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", code]) == 0
    rule = find_rule(code)
    assert capsys.readouterr().out == render_doc(rule) == (DOCS / f"{code}.md").read_text()


def test_explain_ignores_case(portlint: Portlint) -> None:
    assert portlint("explain", "pl005", cwd=ROOT).stdout == (DOCS / "PL005.md").read_text()


@pytest.mark.parametrize("code", ["PL999", "ALL"])
def test_explain_unknown_exits_2(portlint: Portlint, code: str) -> None:
    result = portlint("explain", code, cwd=ROOT)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (
        f"portlint: error: unknown rule {code!r} (`portlint rules` lists them)\n"
    )


def test_rules_table(portlint: Portlint) -> None:
    result = portlint("rules", cwd=ROOT)
    assert result.code == 0
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["CODE", "NAME", "SEVERITY", "SUMMARY"]
    assert [row.split()[:3] for row in rows] == [
        [rule.code, rule.name, str(rule.severity)] for rule in all_rules()
    ]


def test_rules_json(portlint: Portlint) -> None:
    result = portlint("rules", "--format", "json", cwd=ROOT)
    assert result.code == 0
    assert json.loads(result.stdout) == [
        {"code": r.code, "name": r.name, "severity": str(r.severity), "summary": r.summary}
        for r in all_rules()
    ]
