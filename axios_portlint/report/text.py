"""The human formats: one line per finding, the port inventory and other listings as tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from axios_portlint.model_base import Finding, Location, Severity
from axios_portlint.report.summary import summary

if TYPE_CHECKING:  # imported by the commands that list ports and hosts, not by `check`
    from axios_portlint.graph.hosts import HostPorts
    from axios_portlint.model import HostMap, PortDecl


def text(
    findings: Sequence[Finding], files: int, *, color: bool = False, quiet: bool = False
) -> str:
    """One line per finding, then the summary line (left out when `quiet`)."""
    lines = [_text_line(finding, color) for finding in findings]
    if not quiet:
        lines.append(_summary_line(summary(findings, files)))
    return "".join(line + "\n" for line in lines)


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


def _port_text(decl: PortDecl) -> str:
    if decl.port is None:
        return f"({decl.state})"
    if decl.end_port is not None:
        return f"{decl.port}-{decl.end_port}"
    return str(decl.port)


def ports_table(decls: Sequence[PortDecl]) -> str:
    # KIND is the listener model's verdict (extract/listeners.py), WHY its evidence.
    header = ("OPTION", "KIND", "ORIGIN", "PORT", "PROTO", "LOCATION", "WHY", "EXPRESSION")
    rows = [
        (
            d.option,
            str(d.role),
            str(d.origin),
            _port_text(d),
            str(d.protocol),
            f"{d.location.file}:{d.location.line}:{d.location.column}",
            d.why or "-",
            " ".join(d.expression.split()),
        )
        for d in decls
    ]
    count = len(decls)
    return table(header, rows) + f"{count} port declaration{'s' if count != 1 else ''}.\n"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns two spaces apart, each as wide as its widest cell; the last one unpadded."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


def hosts_table(hosts: HostMap, ports: Sequence[HostPorts]) -> str:
    """`portlint hosts`: each host's listening ports, then what could not be followed."""
    if not hosts.hosts and not hosts.unresolved:
        return "No hosts found: name them under [hosts] in portlint.toml.\n"
    header = ("HOST", "OPTION", "PORT", "ORIGIN", "LOCATION")
    rows = [
        (one.host.name, d.option, _port_text(d), str(d.origin), _place(d.location))
        for one in ports
        for d in one.listeners
    ]
    lines = [table(header, rows)] if rows else []
    silent = [one.host.name for one in ports if not one.listeners]
    count = len(hosts.hosts)
    summary = f"{count} host{'s' if count != 1 else ''}, {len(rows)} listening port"
    summary += "s" if len(rows) != 1 else ""
    if silent:
        summary += f"; no listening port on {', '.join(silent)}"
    lines.append(summary + ".\n")
    lines.extend(
        f"{one.host.name}: {loser.option} {_port_text(loser)} at {_place(loser.location)} "
        f"is overridden by {_port_text(winner)} at {_place(winner.location)} "
        f"(priority {winner.priority} beats {loser.priority}).\n"
        for one in ports
        for loser, winner in one.overridden
    )
    skipped = sum(len(host.unresolved) for host in hosts.hosts)
    if skipped:
        lines.append(
            f"{skipped} module{'s' if skipped != 1 else ''} not followed statically "
            "(--format json lists them).\n"
        )
    for problem in hosts.unresolved:
        lines.append(
            f"{_place(problem.location)}: host set not read ({problem.reason}): "
            "name its hosts under [hosts] in portlint.toml.\n"
        )
    return "".join(lines)


def _place(location: Location) -> str:
    return f"{location.file}:{location.line}:{location.column}"
