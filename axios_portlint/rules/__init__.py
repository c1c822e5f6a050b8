"""The rule registry: every module named `plNNN_*.py` in this package defines `RULE`.

Adding a rule is one file here plus its page under docs/rules/ and its tests.
Which rules run is decided here too, from `--select`/`--extend-select`/`--ignore`.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from axios_portlint.model_base import Finding

if TYPE_CHECKING:
    from axios_portlint.rules.base import Context, Rule

__all__ = [
    "ALL",
    "Context",
    "Rule",
    "Selection",
    "UnknownSelectorError",
    "all_rules",
    "render_doc",
    "rule_codes",
    "run_rules",
    "select_codes",
    "select_rules",
    "unknown_selectors",
]

ALL = "ALL"


def __getattr__(name: str) -> Any:
    # Context and Rule on first use: choosing rules, all a replayed check does, needs neither.
    if name in ("Context", "Rule"):
        return getattr(importlib.import_module("axios_portlint.rules.base"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _rule_modules() -> dict[str, str]:
    """Each rule's code and module name: `pl005_registry_mismatch` defines PL005."""
    names = (info.name for info in pkgutil.iter_modules(__path__))
    return {f"PL{name[2:5]}": name for name in sorted(names) if name.startswith("pl")}


def rule_codes() -> tuple[str, ...]:
    """Every rule's code, in order, without importing a rule.

    Read off the module names, which tests/test_selection.py holds to each
    module's `RULE.code`: choosing rules (and a replayed run, which runs none)
    must not pay for importing all of them and the graph behind the conflicts.
    """
    return tuple(_rule_modules())


@cache
def all_rules() -> tuple[Rule, ...]:
    rules = []
    for name in _rule_modules().values():
        module = importlib.import_module(f"{__name__}.{name}")
        rules.append(dataclasses.replace(module.RULE, doc=module.__doc__ or ""))
    return tuple(sorted(rules, key=lambda rule: rule.code))


def run_rules(context: Context, rules: Iterable[Rule] | None = None) -> list[Finding]:
    selected = all_rules() if rules is None else tuple(rules)
    findings: list[Finding] = []
    for rule in selected:
        if rule.check is None or (rule.needs_registry and context.registry is None):
            continue
        findings.extend(rule.check(context))
    return sorted(set(findings), key=Finding.full_key)


def render_doc(rule: Rule) -> str:
    """The rule's docs page (docs/rules/PLNNN.md), made from its module docstring."""
    return (
        f"# {rule.code}: {rule.name}\n\n"
        f"Default severity: **{rule.severity}**. {rule.summary}.\n\n"
        f"{rule.doc.strip()}\n"
    )


class UnknownSelectorError(ValueError):
    """A code or prefix in a selection that names no rule."""

    def __init__(self, selector: str) -> None:
        self.selector = selector
        super().__init__(f"unknown rule code or prefix {selector!r}")


@dataclass(frozen=True, slots=True)
class Selection:
    """One layer of rule selection (the configuration file, or the command line).

    `select` None keeps what the layer below chose (all rules at the bottom);
    `extend_select` adds to it and `ignore` takes away, as ruff does.
    """

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def selectors(self) -> tuple[str, ...]:
        return (*(self.select or ()), *self.extend_select, *self.ignore)


def _matches(selector: str, code: str) -> bool:
    # An empty selector is a prefix of everything, but a typo rather than a choice.
    return selector == ALL or (selector != "" and code.startswith(selector))


def _specificity(selector: str) -> int:
    # `ALL` < `PL` < `PL0` < `PL00` < `PL001`: a longer prefix names fewer rules.
    return 0 if selector == ALL else len(selector)


def unknown_selectors(selectors: Iterable[str]) -> list[str]:
    """The selectors that name no rule (a typo must not silently select nothing)."""
    codes = rule_codes()
    return [s for s in selectors if not any(_matches(s, code) for code in codes)]


def select_codes(layers: Sequence[Selection] = ()) -> tuple[str, ...]:
    """The codes of the rules to run, resolved with ruff's semantics.

    Layers go from lowest priority (configuration file) to highest (command line).
    A layer with `select` starts afresh; one without it adjusts the layer below.
    Within a layer, the most specific selector matching a rule decides, and
    `ignore` wins a tie with `select`/`extend_select` on the same prefix.
    """
    for layer in layers:
        unknown = unknown_selectors(layer.selectors())
        if unknown:
            raise UnknownSelectorError(unknown[0])
    chosen = set(rule_codes())
    for layer in layers:
        chosen = _apply_layer(chosen, layer)
    return tuple(code for code in rule_codes() if code in chosen)


def select_rules(layers: Sequence[Selection] = ()) -> tuple[Rule, ...]:
    """The rules `select_codes` chooses, in code order."""
    chosen = set(select_codes(layers))
    return tuple(rule for rule in all_rules() if rule.code in chosen)


def _apply_layer(below: set[str], layer: Selection) -> set[str]:
    chosen = set() if layer.select is not None else set(below)
    enabling = (*(layer.select or ()), *layer.extend_select)
    levels = sorted({_specificity(s) for s in (*enabling, *layer.ignore)})
    for level in levels:
        for selector in (s for s in enabling if _specificity(s) == level):
            chosen.update(c for c in rule_codes() if _matches(selector, c))
        for selector in (s for s in layer.ignore if _specificity(s) == level):
            chosen.difference_update(c for c in rule_codes() if _matches(selector, c))
    return chosen
