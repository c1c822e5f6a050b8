"""SARIF 2.1.0, the format code-scanning services ingest (GitHub code scanning among them).

The formatter knows no rule: it is handed the findings and, as data, a descriptor of every
rule, and writes the one document the OASIS schema describes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import quote

from axios_portlint import __version__
from axios_portlint.model_base import Finding, Location, Severity

DISTRIBUTION = "axios-portlint"
# The labels of [project.urls] in pyproject.toml that name the source repository.
REPOSITORY_LABELS = ("repository", "source", "homepage")
# partialFingerprints key: a new version of the scheme would get a new key.
FINGERPRINT = "portlint/v1"
SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "portlint"
# Paths in findings are relative to the folder portlint ran in; consumers resolve them
# against this base (GitHub maps it to the checkout).
SRCROOT = "%SRCROOT%"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# `file:12:5` or `file:12` inside a message: the parts of it an edit above moves.
_LINE_COLUMN = re.compile(r":\d+(?::\d+)?\b")


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


@cache
def repository_url() -> str | None:
    """The project's repository from the installed metadata ([project.urls]), if any.

    pyproject.toml is the one place that holds it; while the project has no public
    address it holds none, and SARIF leaves `informationUri` and `helpUri` out.
    """
    # Imported here: importlib.metadata (with email and zipfile behind it) costs 20 to
    # 30 ms at start-up, and only a SARIF report asks for the repository.
    from importlib import metadata

    try:
        entries = metadata.metadata(DISTRIBUTION).get_all("Project-URL") or []
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return None
    urls = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    return next((urls[label] for label in REPOSITORY_LABELS if urls.get(label)), None)


def rule_docs_url(code: str) -> str | None:
    """The rule's page in the repository, docs/rules/PLNNN.md, when there is a repository."""
    repository = repository_url()
    if repository is None:
        return None
    return f"{repository.rstrip('/')}/blob/main/docs/rules/{code}.md"


def sarif(findings: Sequence[Finding], rules: Sequence[RuleDescriptor], *, root: Path) -> str:
    """One run over `root` (the folder the findings' relative paths start from)."""
    index = {rule.code: position for position, rule in enumerate(rules)}
    driver: dict[str, Any] = {
        "name": TOOL_NAME,
        "version": __version__,
        "semanticVersion": __version__,
    }
    if (repository := repository_url()) is not None:
        driver["informationUri"] = repository
    driver["rules"] = [_rule(rule) for rule in rules]
    fingerprints = _fingerprints(findings)
    run = {
        "tool": {"driver": driver},
        # Location columns count characters, which are code points in a Python str.
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {SRCROOT: {"uri": _folder_uri(root)}},
        "results": [
            _result(finding, index, fingerprint)
            for finding, fingerprint in zip(findings, fingerprints, strict=True)
        ],
    }
    document = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


def _rule(rule: RuleDescriptor) -> dict[str, Any]:
    doc = rule.doc.strip() or rule.summary
    entry: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _first_paragraph(doc) or rule.summary},
        "help": {"text": doc, "markdown": doc},
    }
    if (page := rule_docs_url(rule.code)) is not None:
        entry["helpUri"] = page
    entry["defaultConfiguration"] = {"level": _LEVELS[rule.severity]}
    return entry


def _first_paragraph(markdown: str) -> str:
    """The first block of prose, headings skipped, as one line."""
    for block in markdown.split("\n\n"):
        lines = [line.strip() for line in block.splitlines() if not line.startswith("#")]
        if any(lines):
            return " ".join(line for line in lines if line)
    return ""


def _fingerprints(findings: Sequence[Finding]) -> list[str]:
    """One stable identity per finding, so code scanning matches it across runs.

    What identifies a finding is its rule, file, option and port, and its message with
    every `:line:col` taken out; never its own line or column, which an edit above it
    moves. Findings alike in all that are told apart by their order, `hash:2`, `hash:3`,
    as GitHub's own primaryLocationLineHash does.
    """
    seen: Counter[str] = Counter()
    fingerprints = []
    for finding in findings:
        message = _LINE_COLUMN.sub("", finding.message)
        identity = "\0".join(
            [finding.code, finding.location.file, finding.option or "", str(finding.port), message]
        )
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        seen[digest] += 1
        fingerprints.append(f"{digest}:{seen[digest]}")
    return fingerprints


def _result(finding: Finding, index: dict[str, int], fingerprint: str) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": finding.code}
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    result |= {
        "level": _LEVELS[finding.severity],
        "message": {"text": _linked_message(finding)},
        "locations": [_location(finding.location)],
        "partialFingerprints": {FINGERPRINT: fingerprint},
    }
    if finding.related:
        # The message at the related place says why it is related: the finding itself.
        said = f"{finding.code}: {_escape_links(finding.message)}"
        result["relatedLocations"] = [
            {"id": number, **_location(location), "message": {"text": said}}
            for number, location in enumerate(finding.related, start=1)
        ]
    properties = {"option": finding.option, "port": finding.port}
    if any(value is not None for value in properties.values()):
        result["properties"] = {k: v for k, v in properties.items() if v is not None}
    return result


def _linked_message(finding: Finding) -> str:
    """The message, with each mention of a related location (`file:line:col`) a SARIF
    embedded link, `[file:line:col](id)`, which code scanning shows as a link there."""
    text = _escape_links(finding.message)
    for number, location in enumerate(finding.related, start=1):
        mention = _escape_links(f"{location.file}:{location.line}:{location.column}")
        if mention in text:
            text = text.replace(mention, f"[{mention}]({number})", 1)
    return text


def _escape_links(text: str) -> str:
    # SARIF §3.11.6: in plain-text messages, brackets are link syntax unless escaped.
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


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
