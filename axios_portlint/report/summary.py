"""The counts every summary shows: shared by the text and JSON formats."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from axios_portlint.model_base import Finding, Severity


def summary(findings: Sequence[Finding], files: int) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {
        "files": files,
        "findings": len(findings),
        "errors": counts[Severity.ERROR],
        "warnings": counts[Severity.WARNING],
        "info": counts[Severity.INFO],
    }
