"""`portlint check --statistics`: how many findings each rule gave, like ruff's.

One line per rule code, most frequent first (then by code):
``<count>\\t<code>\\t[<severity>] <name>``; JSON: a list of objects with the
same fields. Rule names are handed in as data: a formatter knows no rule.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence

from axios_portlint.model_base import Finding

__all__ = ["statistics", "statistics_json"]


def _rows(findings: Sequence[Finding], names: Mapping[str, str]) -> list[dict[str, object]]:
    counts = Counter(finding.code for finding in findings)
    severity = {finding.code: str(finding.severity) for finding in findings}
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        {"code": code, "name": names.get(code, ""), "severity": severity[code], "count": count}
        for code, count in ordered
    ]


def statistics(findings: Sequence[Finding], names: Mapping[str, str]) -> str:
    rows = _rows(findings, names)
    if not rows:
        return ""
    width = len(str(rows[0]["count"]))
    return "".join(
        f"{row['count']:>{width}}\t{row['code']}\t[{row['severity']}] {row['name']}\n"
        for row in rows
    )


def statistics_json(findings: Sequence[Finding], names: Mapping[str, str]) -> str:
    return json.dumps(_rows(findings, names), indent=2) + "\n"
