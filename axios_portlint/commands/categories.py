"""Which words name a category, so a range, a table heading and a user's word can meet.

The registry never links its "Port Ranges Summary" to its allocation tables; only
their wording does ("Web application services" and "### Web Services",
"Tailscale HTTPS (APIs)" and "### API Services"). Both are reduced to their
category words: lower-cased, plurals made singular, and the words every row of
a registry repeats (services, Tailscale, HTTPS, ports, upstream, default...)
dropped, since they would make every range match every table.
"""

from __future__ import annotations

import re

# Words that say what kind of thing a range is, not which category it serves.
FILLER = frozenset(
    {
        "and",
        "app",
        "application",
        "current",
        "allocation",
        "default",
        "for",
        "future",
        "http",
        "https",
        "local",
        "loopback",
        "of",
        "port",
        "range",
        "reserved",
        "server",
        "service",
        "tailscale",
        "the",
        "upstream",
    }
)
_WORD = re.compile(r"[a-z0-9]+")


def category_words(text: str) -> frozenset[str]:
    """`"Tailscale HTTPS (web apps)"` -> `{"web"}`; `"API Services"` -> `{"api"}`."""
    words = (_singular(word) for word in _WORD.findall(text.lower()))
    return frozenset(word for word in words if word not in FILLER)


def same_category(purpose: str, heading: str) -> bool:
    """Does a range's purpose name the category of a table's heading?"""
    return bool(category_words(purpose) & category_words(heading))


def names_category(category: str, purpose: str) -> bool:
    """Does a user's word (`web`, `APIs`, `media`) name this range's purpose?"""
    wanted = category_words(category)
    return bool(wanted) and wanted <= category_words(purpose)


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
