"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

GitHub shows at most 10 annotations of each type (error, warning, notice) per step and 50
per job, and drops the rest without a word. So the findings are annotated most severe
first, at most 10 of a type; any left over are printed after a summary line, in the same
order, as plain `file:line:col: CODE [severity] message` lines: in the log, not lost.

Escaping follows @actions/core (toCommandValue / escapeData / escapeProperty).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from axios_portlint.model_base import Finding, Severity
from axios_portlint.report.text import _text_line

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
PER_TYPE_PER_STEP = 10
PER_JOB = 50
_ORDER = sorted(Severity, key=lambda severity: severity.rank, reverse=True)


def github(findings: Sequence[Finding]) -> str:
    ordered = sorted(findings, key=lambda finding: -finding.severity.rank)
    shown: Counter[Severity] = Counter()
    annotated: list[Finding] = []
    left: list[Finding] = []
    for finding in ordered:
        if shown[finding.severity] < PER_TYPE_PER_STEP and len(annotated) < PER_JOB:
            shown[finding.severity] += 1
            annotated.append(finding)
        else:
            left.append(finding)
    lines = [_command(finding) for finding in annotated]
    if left:
        lines.append(_summary(left))
        lines += [_text_line(finding, color=False) for finding in left]
    return "".join(f"{line}\n" for line in lines)


def _summary(left: Sequence[Finding]) -> str:
    counts = Counter(finding.severity for finding in left)
    parts = [f"{counts[s]} {_plural(s.value, counts[s])}" for s in _ORDER if counts[s]]
    return (
        f"portlint: {len(left)} more {_plural('finding', len(left))} not annotated "
        f"(GitHub shows {PER_TYPE_PER_STEP} annotations of a type per step): "
        f"{', '.join(parts)}; most severe first:"
    )


def _plural(noun: str, count: int) -> str:
    return noun if count == 1 or noun == Severity.INFO else f"{noun}s"


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
