"""`make docs`: write docs/rules/PLNNN.md from each rule's docstring, the README's rules
table from the rule registry, and the README's console examples from real runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from axios_portlint.rules import all_rules, render_doc

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "rules"
README = ROOT / "README.md"
RULES_TABLE = re.compile(r"(<!-- rules:start[^>]*-->\n).*?(<!-- rules:end -->)", re.S)
CONSOLE = re.compile(r"(```console\n\$ (portlint [^\n]+)\n).*?(```)", re.S)


def rules_table() -> str:
    lines = ["| Code | Name | Severity | What it reports |", "|------|------|----------|-----|"]
    for rule in all_rules():
        link = f"[{rule.code}](docs/rules/{rule.code}.md)"
        lines.append(f"| {link} | {rule.name} | {rule.severity} | {rule.summary} |")
    return "\n".join(lines) + "\n"


def run(command: str) -> str:
    args = [sys.executable, "-m", "axios_portlint", *command.split()[1:]]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False).stdout


def main() -> int:
    DOCS.mkdir(parents=True, exist_ok=True)
    for rule in all_rules():
        (DOCS / f"{rule.code}.md").write_text(render_doc(rule))
    text = README.read_text()
    text = RULES_TABLE.sub(lambda m: m.group(1) + rules_table() + m.group(2), text)
    text = CONSOLE.sub(lambda m: m.group(1) + run(m.group(2)) + m.group(3), text)
    README.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
