"""The output formats of every command, in one light module the CLI imports at start-up."""

from __future__ import annotations

import enum


class OutputFormat(enum.StrEnum):
    """`portlint check`: the findings."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"


class ListingFormat(enum.StrEnum):
    """`portlint ports` and `portlint rules`: a listing, as a table or JSON."""

    TABLE = "table"
    JSON = "json"


class SuggestFormat(enum.StrEnum):
    """`portlint suggest`: the next free ports."""

    TEXT = "text"
    JSON = "json"


class GraphFormat(enum.StrEnum):
    """`portlint graph`: the conflict graph."""

    DOT = "dot"
    MERMAID = "mermaid"
    SVG = "svg"
