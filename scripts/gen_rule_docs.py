"""`make docs`: write docs/rules/PLNNN.md from each rule's docstring and the README's rules
table from the rule registry.

The README's console examples are a walkthrough run step by step in a copy of the
example project (tests/test_cli.py::test_readme_walkthrough_prints_what_it_shows),
not from this repository's root: that test shows the diff when an output changes.
"""

from __future__ import annotations

import re
from pathlib import Path

from axios_portlint.rules import all_rules, render_doc

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "rules"
README = ROOT / "README.md"
RULES_TABLE = re.compile(r"(<!-- rules:start[^>]*-->\n).*?(<!-- rules:end -->)", re.S)


def rules_table() -> str:
    lines = ["| Code | Name | Severity | What it reports |", "|------|------|----------|-----|"]
    for rule in all_rules():
        link = f"[{rule.code}](docs/rules/{rule.code}.md)"
        lines.append(f"| {link} | {rule.name} | {rule.severity} | {rule.summary} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    DOCS.mkdir(parents=True, exist_ok=True)
    for rule in all_rules():
        (DOCS / f"{rule.code}.md").write_text(render_doc(rule))
    text = README.read_text()
    text = RULES_TABLE.sub(lambda m: m.group(1) + rules_table() + m.group(2), text)
    README.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
