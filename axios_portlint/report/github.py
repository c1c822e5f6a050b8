"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

Escaping follows @actions/core (toCommandValue / escapeData / escapeProperty).
"""

from __future__ import annotations

from collections.abc import Sequence

from axios_portlint.model import Finding, Severity

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def github(findings: Sequence[Finding]) -> str:
    return "".join(f"{_command(finding)}\n" for finding in findings)


def _command(finding: Finding) -> str:
    location = finding.location
    properties = [("file", location.file), ("line", str(location.line))]
    if location.end_line == location.line:
        properties += [("col", str(location.column)), ("endColumn", str(location.end_column))]
    else:
        # GitHub rejects columns on an annotation that spans lines.
        properties.append(("endLine", str(location.end_line)))
    properties.append(("title", f"portlint ({finding.code})"))
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{_COMMANDS[finding.severity]} {rendered}::{escape_data(finding.message)}"


def escape_data(value: str) -> str:
    # `%` first, or the escapes themselves would be escaped again.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")
