"""Formatters: turn findings (and inventories) into text. They never decide anything."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from axios_portlint.model import Finding, PortDecl, Severity

JSON_VERSION = 1


def summary(findings: Sequence[Finding], files: int) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {
        "files": files,
        "findings": len(findings),
        "errors": counts[Severity.ERROR],
        "warnings": counts[Severity.WARNING],
        "info": counts[Severity.INFO],
    }


def text(findings: Sequence[Finding], files: int, *, color: bool = False) -> str:
    lines = [_text_line(finding, color) for finding in findings]
    lines.append(_summary_line(summary(findings, files)))
    return "\n".join(lines) + "\n"


_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _text_line(finding: Finding, color: bool) -> str:
    where = f"{finding.location.file}:{finding.location.line}:{finding.location.column}"
    code = finding.code
    severity = f"[{finding.severity}]"
    if color:
        where = f"\x1b[1m{where}\x1b[0m"
        code = f"\x1b[1;{_COLORS[finding.severity]}m{code}\x1b[0m"
    return f"{where}: {code} {severity} {finding.message}"


def _summary_line(counts: dict[str, int]) -> str:
    files = f"{counts['files']} file{'s' if counts['files'] != 1 else ''}"
    if not counts["findings"]:
        return f"All checks passed ({files} checked)."
    parts = [
        f"{counts['errors']} error{'s' if counts['errors'] != 1 else ''}",
        f"{counts['warnings']} warning{'s' if counts['warnings'] != 1 else ''}",
        f"{counts['info']} info",
    ]
    total = counts["findings"]
    return f"Found {total} finding{'s' if total != 1 else ''} ({', '.join(parts)}) in {files}."


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
        "port": decl.port,
        "state": str(decl.state),
        "expression": decl.expression,
        "file": decl.location.file,
        "line": decl.location.line,
        "column": decl.location.column,
        "reason": decl.reason or None,
    }


def ports_table(decls: Sequence[PortDecl]) -> str:
    header = ("OPTION", "KIND", "PORT", "LOCATION", "EXPRESSION")
    rows = [
        (
            d.option,
            str(d.kind),
            str(d.port) if d.port is not None else f"({d.state})",
            f"{d.location.file}:{d.location.line}:{d.location.column}",
            " ".join(d.expression.split()),
        )
        for d in decls
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    count = len(decls)
    lines.append(f"{count} port declaration{'s' if count != 1 else ''}.")
    return "\n".join(lines) + "\n"
