"""Write docs/rules/PLNNN.md from each rule's docstring (`make docs`)."""

from __future__ import annotations

from pathlib import Path

from axios_portlint.rules import all_rules, render_doc

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"


def main() -> int:
    DOCS.mkdir(parents=True, exist_ok=True)
    for rule in all_rules():
        (DOCS / f"{rule.code}.md").write_text(render_doc(rule))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
