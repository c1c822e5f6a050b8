"""SARIF 2.1.0, the format code-scanning services ingest (GitHub code scanning among them).

The formatter knows no rule: it is handed the findings and, as data, a descriptor of every
rule, and writes the one document the OASIS schema describes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import quote

from axios_portlint import __version__
from axios_portlint.model import Finding, Location, Severity

REPOSITORY_URL = "https://github.com/axios-portlint/axios-portlint"
SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "portlint"
# Paths in findings are relative to the folder portlint ran in; consumers resolve them
# against this base (GitHub maps it to the checkout).
SRCROOT = "%SRCROOT%"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


class RuleDescriptor(Protocol):
    """What SARIF says about a rule; `axios_portlint.rules.Rule` has these fields."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def summary(self) -> str: ...
    @property
    def doc(self) -> str: ...


def rule_docs_url(code: str) -> str:
    """The rule's page in the repository, docs/rules/PLNNN.md."""
    return f"{REPOSITORY_URL}/blob/main/docs/rules/{code}.md"


def sarif(findings: Sequence[Finding], rules: Sequence[RuleDescriptor], *, root: Path) -> str:
    """One run over `root` (the folder the findings' relative paths start from)."""
    index = {rule.code: position for position, rule in enumerate(rules)}
    run = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": REPOSITORY_URL,
                "rules": [_rule(rule) for rule in rules],
            }
        },
        # Location columns count characters, which are code points in a Python str.
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {SRCROOT: {"uri": _folder_uri(root)}},
        "results": [_result(finding, index) for finding in findings],
    }
    document = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


def _rule(rule: RuleDescriptor) -> dict[str, Any]:
    doc = rule.doc.strip() or rule.summary
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _first_paragraph(doc) or rule.summary},
        "help": {"text": doc, "markdown": doc},
        "helpUri": rule_docs_url(rule.code),
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
    }


def _first_paragraph(markdown: str) -> str:
    """The first block of prose, headings skipped, as one line."""
    for block in markdown.split("\n\n"):
        lines = [line.strip() for line in block.splitlines() if not line.startswith("#")]
        if any(lines):
            return " ".join(line for line in lines if line)
    return ""


def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": finding.code}
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    result |= {
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [_location(finding.location)],
    }
    if finding.related:
        result["relatedLocations"] = [
            {"id": number, **_location(location)}
            for number, location in enumerate(finding.related, start=1)
        ]
    properties = {"option": finding.option, "port": finding.port}
    if any(value is not None for value in properties.values()):
        result["properties"] = {k: v for k, v in properties.items() if v is not None}
    return result


def _location(location: Location) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": _artifact(location.file),
            "region": {
                "startLine": location.line,
                "startColumn": location.column,
                "endLine": location.end_line,
                # SARIF's endColumn is the column after the region, as is ours.
                "endColumn": location.end_column,
            },
        }
    }


def _artifact(path: str) -> dict[str, str]:
    posix = PurePosixPath(path)
    if posix.is_absolute():  # a file outside the folder portlint ran in
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(posix.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def _folder_uri(root: Path) -> str:
    uri = root.resolve().as_uri()
    # A base URI must end in a slash, or the last folder would be replaced, not extended.
    return uri if uri.endswith("/") else uri + "/"
