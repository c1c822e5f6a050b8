"""`portlint rules` and `portlint explain`: the rule table and one rule's documentation.

Neither reads a tree, so neither imports the pipeline: they answer at once.
"""

from __future__ import annotations

import json

from axios_portlint.commands import Outcome
from axios_portlint.commands.formats import ListingFormat
from axios_portlint.errors import UsageError
from axios_portlint.report.text import table
from axios_portlint.rules import Rule, all_rules, render_doc


def rules(output_format: ListingFormat = ListingFormat.TABLE) -> Outcome:
    """Every rule with its code, name, default severity and summary."""
    listed = all_rules()
    if output_format is ListingFormat.JSON:
        return Outcome(rules_json(listed))
    header = ("CODE", "NAME", "SEVERITY", "SUMMARY")
    rows = [(r.code, r.name, str(r.severity), r.summary) for r in listed]
    return Outcome(table(header, rows))


def rules_json(listed: tuple[Rule, ...]) -> str:
    entries = [
        {"code": r.code, "name": r.name, "severity": str(r.severity), "summary": r.summary}
        for r in listed
    ]
    return json.dumps(entries, indent=2) + "\n"


def explain(code: str) -> Outcome:
    """A rule's documentation, found by code (PL005) or name (registry-mismatch)."""
    return Outcome(render_doc(find_rule(code)))


def find_rule(code: str) -> Rule:
    wanted = code.strip().lower()
    found = next((r for r in all_rules() if wanted in (r.code.lower(), r.name)), None)
    if found is None:
        raise UsageError(f"unknown rule {code!r} (`portlint rules` lists them)")
    return found
