"""Find every port-typed option a Nix module declares, without evaluating it.

The work is in declarations.py; this package's own import stays light, because
a fully warm run (every file answered by extract.cache) uses extract.batch and
extract.cache only and must not load tree-sitter or the extraction modules.
The names below are re-exported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from axios_portlint.extract.declarations import (
        NULLABLE,
        OTHER_TYPES,
        PENDING_REASON,
        PORT_TYPES,
        SPELLED_TYPE,
        TRANSPARENT_BODIES,
        classify,
        extract_file,
        extract_ports,
        may_hold_port,
        value_state,
    )

__all__ = [
    "NULLABLE",
    "OTHER_TYPES",
    "PENDING_REASON",
    "PORT_TYPES",
    "SPELLED_TYPE",
    "TRANSPARENT_BODIES",
    "classify",
    "extract_file",
    "extract_ports",
    "may_hold_port",
    "value_state",
]
_LAZY = frozenset(__all__)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("axios_portlint.extract.declarations"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
