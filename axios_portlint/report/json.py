"""portlint's own JSON: the findings document (docs/output.md) and the port inventory."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from axios_portlint.model import Finding, PortDecl
from axios_portlint.report.summary import summary

# Bumped only when a key is removed or changes meaning; new keys keep the version.
JSON_VERSION = 1


def json_report(findings: Sequence[Finding], files: int) -> str:
    document = {
        "version": JSON_VERSION,
        "findings": [_finding_json(f) for f in findings],
        "summary": summary(findings, files),
    }
    return json.dumps(document, indent=2) + "\n"


def _finding_json(finding: Finding) -> dict[str, Any]:
    location = finding.location
    return {
        "code": finding.code,
        "severity": str(finding.severity),
        "message": finding.message,
        "file": location.file,
        "line": location.line,
        "column": location.column,
        "end_line": location.end_line,
        "end_column": location.end_column,
        "option": finding.option,
        "port": finding.port,
        "related": [{"file": r.file, "line": r.line, "column": r.column} for r in finding.related],
    }


def ports_json(decls: Iterable[PortDecl]) -> str:
    return json.dumps([_decl_json(d) for d in decls], indent=2) + "\n"


def _decl_json(decl: PortDecl) -> dict[str, Any]:
    return {
        "option": decl.option,
        "kind": str(decl.kind),
        "origin": str(decl.origin),
        "port": decl.port,
        "end_port": decl.end_port,
        "state": str(decl.state),
        "expression": decl.expression,
        "file": decl.location.file,
        "line": decl.location.line,
        "column": decl.location.column,
        "reason": decl.reason or None,
        "name": decl.name,
        "reads": decl.reads,
        "exposes": decl.exposes,
    }
