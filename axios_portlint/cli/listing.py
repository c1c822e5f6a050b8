"""`portlint rules`: every rule with its code, name and default severity."""

from __future__ import annotations

import json
from collections.abc import Sequence

from axios_portlint.rules import Rule


def rules_table(rules: Sequence[Rule]) -> str:
    header = ("CODE", "NAME", "SEVERITY", "SUMMARY")
    rows = [(r.code, r.name, str(r.severity), r.summary) for r in rules]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


def rules_json(rules: Sequence[Rule]) -> str:
    entries = [
        {"code": r.code, "name": r.name, "severity": str(r.severity), "summary": r.summary}
        for r in rules
    ]
    return json.dumps(entries, indent=2) + "\n"
