"""A comment inside a firewall port list is no port (issue 13's firewall-comment defect)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import FIXTURES, ROOT, Run

from axios_portlint.api import check, scan
from axios_portlint.extract import extract_file
from axios_portlint.model import PortDecl, SourceFile

Portlint = Callable[..., Run]
FIXTURE = FIXTURES / "listeners" / "firewall-comment"
FILE = "tests/fixtures/listeners/firewall-comment/default.nix"
# (option, port, end of range, line, column, expression): the four ports the file opens.
OPENED = [
    ("networking.firewall.allowedTCPPorts", 8895, None, 5, 5, "8895"),
    ("networking.firewall.allowedTCPPorts", 1900, None, 6, 5, "1900"),
    ("networking.firewall.allowedUDPPorts", 1900, None, 9, 5, "1900"),
    (
        "networking.firewall.allowedTCPPortRanges",
        32400,
        32410,
        13,
        5,
        "{ from = 32400; to = 32410; }",
    ),
]


def row(decl: PortDecl) -> tuple[str, int | None, int | None, int, int, str]:
    location = decl.location
    return (decl.option, decl.port, decl.end_port, location.line, location.column, decl.expression)


def test_comments_between_list_elements_are_not_ports() -> None:
    inventory = scan([FIXTURE], cwd=ROOT)
    assert [row(decl) for decl in inventory.decls] == OPENED
    assert {decl.location.file for decl in inventory.decls} == {FILE}


def test_a_comment_in_a_conditional_list_is_skipped_too() -> None:
    text = """{ config, lib, ... }:
{
  networking.firewall.allowedTCPPorts = [ 22 ] ++ lib.optionals config.services.web.enable [
    80 # http
    # 8080 while testing
    443
  ];
}
"""
    result = extract_file(SourceFile("module.nix", text.encode()))
    assert result.syntax_issue is None
    assert [(d.port, d.expression) for d in result.decls] == [(22, "22"), (80, "80"), (443, "443")]


def test_ports_command_lists_four_ports_not_eight(portlint: Portlint) -> None:
    result = portlint(
        "ports", "--no-cache", FIXTURE.relative_to(ROOT), "--format", "json", cwd=ROOT
    )
    assert result.code == 0, result.stderr
    entries = json.loads(result.stdout)
    rows = [
        (e["option"], e["port"], e["end_port"], e["line"], e["column"], e["expression"])
        for e in entries
    ]
    assert rows == OPENED
    assert all(e["state"] == "known" and e["file"] == FILE for e in entries)


def test_no_unresolved_finding_for_a_comment(tmp_path: Path, portlint: Portlint) -> None:
    """Before the fix each comment was an unresolved port: four PL009 findings."""
    registry = tmp_path / "ports.md"
    registry.write_text("# Ports\n")
    report = check([FIXTURE], registry, cwd=ROOT)
    assert [f.code for f in report.findings if f.code == "PL009"] == []
    result = portlint(
        "check",
        FIXTURE.relative_to(ROOT),
        "--registry",
        registry,
        "--select",
        "PL009",
        "--no-cache",
        cwd=ROOT,
    )
    assert (result.code, result.stdout) == (0, "All checks passed (1 file checked).\n")
