"""Which port options are listeners: option-path globs from the configuration.

The defaults say what extraction already decides (a `tailscaleServe.httpsPort`
is a Tailscale listener, any other option named `port` a local one), so only a
project that configures its own patterns has its declarations re-kinded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from axios_portlint.model import Kind, PortDecl

DEFAULT_TAILSCALE = ("tailscaleServe.httpsPort", "*.tailscaleServe.httpsPort")
DEFAULT_LOCAL = ("port", "*.port")
# Kinds these patterns decide between; any other kind extraction gives stays as it is.
_CLASSIFIED = frozenset({Kind.LOCAL, Kind.TAILSCALE, Kind.OTHER})


@dataclass(frozen=True, slots=True)
class Listeners:
    """fnmatch patterns over dotted option paths (`*` also matches dots)."""

    local: tuple[str, ...] = DEFAULT_LOCAL
    tailscale: tuple[str, ...] = DEFAULT_TAILSCALE

    def kind(self, option: str) -> Kind:
        # Tailscale first: `x.tailscaleServe.port` would otherwise count as local.
        if any(fnmatchcase(option, pattern) for pattern in self.tailscale):
            return Kind.TAILSCALE
        if any(fnmatchcase(option, pattern) for pattern in self.local):
            return Kind.LOCAL
        return Kind.OTHER


def classify(decls: Iterable[PortDecl], listeners: Listeners) -> tuple[PortDecl, ...]:
    return tuple(_classified(decl, listeners) for decl in decls)


def _classified(decl: PortDecl, listeners: Listeners) -> PortDecl:
    if not decl.placed or decl.kind not in _CLASSIFIED:
        return decl  # an unplaced option has no path to match
    kind = listeners.kind(decl.option)
    return decl if kind is decl.kind else dataclasses.replace(decl, kind=kind)
