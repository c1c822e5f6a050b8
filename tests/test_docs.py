"""Docs and rules stay in step: one page per rule, made from the rule's own docstring."""

from __future__ import annotations

import re

from conftest import ROOT

from axios_portlint.model import Severity
from axios_portlint.rules import all_rules, render_doc

DOCS = ROOT / "docs" / "rules"
SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## How to fix")


def test_every_rule_has_its_generated_page() -> None:
    for rule in all_rules():
        page = DOCS / f"{rule.code}.md"
        assert page.is_file(), f"{page} is missing: run `make docs`"
        assert page.read_text() == render_doc(rule), f"{page} is stale: run `make docs`"


def test_no_page_without_a_rule() -> None:
    codes = {rule.code for rule in all_rules()}
    assert {page.stem for page in DOCS.glob("PL*.md")} == codes


def test_rules_are_well_formed() -> None:
    rules = all_rules()
    assert [r.code for r in rules] == sorted({r.code for r in rules}), "codes must be unique"
    for rule in rules:
        assert re.fullmatch(r"PL\d{3}", rule.code)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
        assert isinstance(rule.severity, Severity)
        positions = [rule.doc.find(section) for section in SECTIONS]
        assert all(p >= 0 for p in positions), f"{rule.code} lacks a docs section"
        assert positions == sorted(positions), f"{rule.code} sections are out of order"


def test_readme_lists_every_rule() -> None:
    readme = (ROOT / "README.md").read_text()
    for rule in all_rules():
        assert f"[{rule.code}](docs/rules/{rule.code}.md)" in readme
        assert rule.name in readme
