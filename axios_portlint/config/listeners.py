"""A project's own word on which port options listen: option-path globs from portlint.toml.

Extraction decides each port option's role from the code (extract/listeners.py);
these patterns are rule 1 of docs/listeners.md, applied over that verdict:

- `[roles]` `listeners`, `clients`, `unknown`: the options a pattern matches take
  that role; the most specific matching pattern (the most literal characters)
  wins; between equally specific ones, `clients` beats `unknown` beats
  `listeners` (a pattern must not create a false alarm by a tie);
- `local-listeners` / `tailscale-listeners` (the older keys): once either is set,
  they re-kind every port option: a match is a listener of that kind, anything
  else neither. Their defaults say what extraction decided before the listener
  model (`tailscaleServe.httpsPort` a Tailscale listener, `port` a local one).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from axios_portlint.model_base import Kind, Role

if TYPE_CHECKING:
    from axios_portlint.model import PortDecl

DEFAULT_TAILSCALE = ("tailscaleServe.httpsPort", "*.tailscaleServe.httpsPort")
DEFAULT_LOCAL = ("port", "*.port")
# Kinds these patterns decide between; any other kind extraction gives stays as it is.
_CLASSIFIED = frozenset({Kind.LOCAL, Kind.TAILSCALE, Kind.OTHER})
# The `[roles]` lists in the order a tie between equally specific patterns is broken.
ROLE_KEYS = (("clients", Role.CLIENT), ("unknown", Role.UNKNOWN), ("listeners", Role.LISTENER))


@dataclass(frozen=True, slots=True)
class Listeners:
    """fnmatch patterns over dotted option paths (`*` also matches dots)."""

    local: tuple[str, ...] = DEFAULT_LOCAL
    tailscale: tuple[str, ...] = DEFAULT_TAILSCALE
    # False when only `[roles]` is configured: the older keys then re-kind nothing.
    rekind: bool = True
    listeners: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()

    def kind(self, option: str) -> Kind:
        # Tailscale first: `x.tailscaleServe.port` would otherwise count as local.
        if any(fnmatchcase(option, pattern) for pattern in self.tailscale):
            return Kind.TAILSCALE
        if any(fnmatchcase(option, pattern) for pattern in self.local):
            return Kind.LOCAL
        return Kind.OTHER

    def role(self, option: str) -> tuple[Role, str] | None:
        """The role `[roles]` gives an option, and the pattern that gave it; None: none."""
        best: tuple[int, int, Role, str] | None = None
        for rank, (key, role) in enumerate(ROLE_KEYS):
            for pattern in getattr(self, key):
                if not fnmatchcase(option, pattern):
                    continue
                # More literal characters first; on a tie, the earlier list of ROLE_KEYS.
                candidate = (-_literal_characters(pattern), rank, role, f'{key} "{pattern}"')
                if best is None or candidate[:2] < best[:2]:
                    best = candidate
        return None if best is None else (best[2], f"portlint.toml {best[3]}")


def _literal_characters(pattern: str) -> int:
    return sum(1 for char in pattern if char not in "*?[]")


def classify(decls: Iterable[PortDecl], listeners: Listeners) -> tuple[PortDecl, ...]:
    return tuple(_classified(decl, listeners) for decl in decls)


def _classified(decl: PortDecl, listeners: Listeners) -> PortDecl:
    if not decl.placed or decl.kind not in _CLASSIFIED:
        return decl  # an unplaced option has no path to match
    if listeners.rekind:
        decl = _rekinded(decl, listeners)
    found = listeners.role(decl.option)
    if found is None:
        return decl
    role, why = found
    if role is Role.LISTENER:
        kind = decl.kind if decl.kind.is_listener else Kind.LOCAL
    else:
        kind = Kind.OTHER
    return dataclasses.replace(decl, kind=kind, role=role, why=why)


def _rekinded(decl: PortDecl, listeners: Listeners) -> PortDecl:
    kind = listeners.kind(decl.option)
    if kind is decl.kind:
        return decl
    if kind.is_listener:
        key = "tailscale-listeners" if kind is Kind.TAILSCALE else "local-listeners"
        return dataclasses.replace(decl, kind=kind, role=Role.LISTENER, why=f"portlint.toml {key}")
    why = "portlint.toml: no local-listeners or tailscale-listeners pattern matches"
    role = Role.UNKNOWN if decl.role is Role.LISTENER else decl.role
    return dataclasses.replace(decl, kind=kind, role=role, why=why)
