"""portlint's own JSON: the findings document (docs/output.md) and the port inventory."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from axios_portlint.model_base import Finding, Location
from axios_portlint.report.summary import summary

if TYPE_CHECKING:  # imported by the commands that list ports and hosts, not by `check`
    from axios_portlint.graph.hosts import HostPorts
    from axios_portlint.model import HostMap, PortDecl, UnresolvedImport

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


# The inventory's keys, in order: decl_to_dict's public part.
INVENTORY_KEYS = (
    *("option", "kind", "origin", "port", "end_port", "state", "expression"),
    *("file", "line", "column", "reason", "name", "reads", "exposes", "protocol", "role", "why"),
)


def _decl_json(decl: PortDecl) -> dict[str, Any]:
    from axios_portlint.model import decl_to_dict  # the whole model: not for `check`

    row = decl_to_dict(decl)
    shown = {key: row[key] for key in INVENTORY_KEYS}
    shown["reason"] = shown["reason"] or None
    return shown


def hosts_json(hosts: HostMap, ports: Sequence[HostPorts]) -> str:
    """`portlint hosts --format json`: every host, its files, listening ports and what
    could not be followed; then the host sets whose names cannot be read statically."""
    document = {
        "hosts": [
            {
                "name": one.host.name,
                "source": str(one.host.source),
                "entry": _place(one.host.entry),
                "files": sorted(one.host.files),
                "ports": [_decl_json(d) for d in one.listeners],
                "overridden": [
                    {**_decl_json(loser), "priority": loser.priority, "by": _override_json(winner)}
                    for loser, winner in one.overridden
                ],
                "unresolved": [_unresolved_json(u) for u in one.host.unresolved],
            }
            for one in ports
        ],
        "unresolved": [_unresolved_json(u) for u in hosts.unresolved],
    }
    return json.dumps(document, indent=2) + "\n"


def _override_json(winner: PortDecl) -> dict[str, Any]:
    return {**_place(winner.location), "port": winner.port, "priority": winner.priority}


def _place(location: Location) -> dict[str, Any]:
    return {"file": location.file, "line": location.line, "column": location.column}


def _unresolved_json(problem: UnresolvedImport) -> dict[str, Any]:
    return {
        **_place(problem.location),
        "expression": problem.expression,
        "kind": str(problem.kind),
        "reason": problem.reason,
    }
