"""Symbolic values: what static folding can know about a Nix expression."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from axios_portlint.model import Pending

if TYPE_CHECKING:  # annotations only: extract.link folds values on warm runs without a parser
    from tree_sitter import Node


@dataclass(frozen=True, slots=True)
class Null:
    pass


@dataclass(frozen=True, slots=True)
class LibRef:
    """Something reached from nixpkgs' `lib`: `lib.types.port` is LibRef(("types", "port"))."""

    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConfigRef:
    """A read of the module system's `config`: `config.pim.port`."""

    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Attrs:
    """An attribute set literal seen through `prefix` (dotted bindings build nested sets)."""

    binding_set: Node | None
    prefix: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Update:
    """`left // right`: lookups try the right side first."""

    left: Value
    right: Value


@dataclass(frozen=True, slots=True)
class Str:
    """A string known statically: attribute names generated from a literal list."""

    value: str


@dataclass(frozen=True, slots=True)
class Listing:
    """A list literal: generators (`genAttrs`, `map`) read their keys from it."""

    node: Node


@dataclass(frozen=True, slots=True)
class Lambda:
    """A function defined in the file: never mistaken for a `lib` wrapper of the same name."""

    node: Node


@dataclass(frozen=True, slots=True)
class Deferred:
    """Arithmetic over options declared in other files: folded once the whole tree is read."""

    pending: Pending


@dataclass(frozen=True, slots=True)
class Unknown:
    """Not statically knowable; `reason` is shown to the user."""

    reason: str


Value = (
    int | Null | Str | LibRef | ConfigRef | Attrs | Update | Listing | Lambda | Deferred | Unknown
)

NULL = Null()

# The integer operators folding evaluates; `//` (update) and the rest are not arithmetic.
ARITHMETIC = frozenset({"+", "-", "*", "/"})


def arithmetic(operator: str, left: int, right: int) -> int | None:
    """Nix's integer `+ - * /`; None for a division by zero, which aborts evaluation.

    Nix divides as C++ does, truncating toward zero: -7 / 2 is -3.
    """
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if right == 0:
        return None
    quotient = abs(left) // abs(right)
    return quotient if (left >= 0) == (right >= 0) else -quotient
