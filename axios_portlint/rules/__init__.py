"""The rule registry: every module named `plNNN_*.py` in this package defines `RULE`.

Adding a rule is one file here plus its page under docs/rules/ and its tests.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Iterable
from functools import cache

from axios_portlint.model import Finding
from axios_portlint.rules.base import Context, Rule

__all__ = ["Context", "Rule", "all_rules", "render_doc", "rule_by_code", "run_rules"]


@cache
def all_rules() -> tuple[Rule, ...]:
    rules = []
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("pl"):
            module = importlib.import_module(f"{__name__}.{module_info.name}")
            rules.append(dataclasses.replace(module.RULE, doc=module.__doc__ or ""))
    return tuple(sorted(rules, key=lambda rule: rule.code))


def rule_by_code(code: str) -> Rule | None:
    return next((rule for rule in all_rules() if rule.code == code), None)


def run_rules(context: Context, rules: Iterable[Rule] | None = None) -> list[Finding]:
    selected = all_rules() if rules is None else tuple(rules)
    findings: list[Finding] = []
    for rule in selected:
        if rule.needs_registry and context.registry is None:
            continue
        findings.extend(rule.check(context))
    return sorted(set(findings), key=Finding.sort_key)


def render_doc(rule: Rule) -> str:
    """The rule's docs page (docs/rules/PLNNN.md), made from its module docstring."""
    return (
        f"# {rule.code}: {rule.name}\n\n"
        f"Default severity: **{rule.severity}**. {rule.summary}.\n\n"
        f"{rule.doc.strip()}\n"
    )
