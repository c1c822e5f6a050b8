"""The Nix grammar, loaded once per process."""

from __future__ import annotations

from functools import cache

import tree_sitter_nix
from tree_sitter import Language


@cache
def nix_language() -> Language:
    return Language(tree_sitter_nix.language())
