"""Issue 13, hosts: a NixOS test's `nodes.<name>` are machines of their own.

The fixture `tests/fixtures/hosts/test-nodes` is a NixOS test with two nodes that both
bind 8080 (different machines: no conflict) and a `defaults` module on every node
whose 9100 meets a port of each node (a conflict on each). Main read none of the
values written in the nodes. Exact hosts, ports and findings through the API and
the CLI.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from conftest import ROOT, Run

from axios_portlint.api import check
from axios_portlint.discover import discover
from axios_portlint.extract.hosts import find_hosts
from axios_portlint.model import Finding, HostSource, Location
from axios_portlint.rules import Selection

FIXTURE = ROOT / "tests" / "fixtures" / "hosts" / "test-nodes"
CONFLICTS = (Selection(select=("PL001", "PL002")),)
FINDINGS = [
    "tests/web.nix:7:29: PL001 on host tests/web.nix#server, local port 9100 of "
    "services.metrics.port is also the default of services.chat.port (modules/chat.nix:5:15)",
    "tests/web.nix:21:31: PL001 on host tests/web.nix#proxy, local port 9100 of "
    "services.cache.port is also the port services.metrics.port is configured as "
    "(tests/web.nix:7:29)",
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    copy = tmp_path / "tree"
    shutil.copytree(FIXTURE, copy)
    return copy


def test_each_node_is_a_host_holding_its_part_of_the_file(tree: Path) -> None:
    found = find_hosts(discover([tree], cwd=tree).files)
    assert [
        (h.name, h.source, h.entry.sort_key(), sorted(h.files), [p.sort_key() for p in h.parts])
        for h in found.hosts
    ] == [
        (
            "tests/web.nix#proxy",
            HostSource.TEST,
            ("tests/web.nix", 17, 5),
            ["tests/web.nix"],
            [("tests/web.nix", 18, 7), ("tests/web.nix", 6, 14)],
        ),
        (
            "tests/web.nix#server",
            HostSource.TEST,
            ("tests/web.nix", 11, 5),
            ["modules/chat.nix", "tests/web.nix"],
            [("tests/web.nix", 12, 7), ("tests/web.nix", 6, 14)],
        ),
    ]
    server = found.hosts[1]
    assert server.holds(Location("tests/web.nix", 15, 30, 15, 34))  # its own wiki port
    assert not server.holds(Location("tests/web.nix", 20, 31, 20, 35))  # the proxy's
    assert server.holds(Location("modules/chat.nix", 5, 15, 5, 19))  # an imported file


def test_two_nodes_on_one_port_are_no_conflict_defaults_meet_each_node(tree: Path) -> None:
    report = check(cwd=tree, selection=CONFLICTS, no_registry=True)
    assert [
        f"{f.location.file}:{f.location.line}:{f.location.column}: {f.code} {f.message}"
        for f in report.findings
    ] == FINDINGS


def test_through_the_cli(tree: Path, portlint: Callable[..., Run]) -> None:
    result = portlint("check", "--no-registry", "--no-cache", "--select", "PL001,PL002", cwd=tree)
    assert result.code == 1
    assert result.stdout.splitlines() == [
        *(line.replace(" PL001 ", " PL001 [error] ") for line in FINDINGS),
        "Found 2 findings (2 errors, 0 warnings, 0 info) in 2 files.",
    ]
    listing = portlint("hosts", "--no-cache", cwd=tree)
    assert listing.stdout.splitlines() == [
        "HOST                  OPTION                 PORT  ORIGIN  LOCATION",
        "tests/web.nix#proxy   services.cache.port    9100  config  tests/web.nix:21:31",
        "tests/web.nix#proxy   services.metrics.port  9100  config  tests/web.nix:7:29",
        "tests/web.nix#proxy   services.proxy.port    8080  config  tests/web.nix:20:31",
        "tests/web.nix#server  services.chat.port     9100  option  modules/chat.nix:5:15",
        "tests/web.nix#server  services.metrics.port  9100  config  tests/web.nix:7:29",
        "tests/web.nix#server  services.wiki.port     8080  config  tests/web.nix:15:30",
        "2 hosts, 6 listening ports.",
    ]


def test_nodes_written_as_one_attribute_path_and_a_test_that_is_no_module(tmp_path: Path) -> None:
    """`nodes.a = ...;` form: b's 7000 is another machine's, a's two 7000s collide."""
    (tmp_path / "t.nix").write_text(
        "{\n"
        '  name = "t";\n'
        "  nodes.a = { services.x.port = 7000; services.z.port = 7000; };\n"
        "  nodes.b = { services.y.port = 7000; };\n"
        '  testScript = "";\n'
        "}\n"
    )
    report = check(cwd=tmp_path, selection=CONFLICTS, no_registry=True)
    assert [host.name for host in report.hosts.hosts] == ["t.nix#a", "t.nix#b"]
    assert [f.message for f in report.findings] == [
        "on host t.nix#a, local port 7000 of services.z.port is also the port "
        "services.x.port is configured as (t.nix:3:33)"
    ]


TESTED_LIBRARY = ROOT / "tests" / "fixtures" / "hosts" / "tested-library"
LIBRARY_FINDING = (
    "modules/monitoring.nix:12:17: PL001 local port 3000 of shb.monitoring.grafanaPort is also "
    "the default of shb.bookmarks.port (modules/bookmarks.nix:12:17)"
)


def _lines(report_findings: Sequence[Finding]) -> list[str]:
    return [
        f"{f.location.file}:{f.location.line}:{f.location.column}: {f.code} {f.message}"
        for f in report_findings
    ]


def test_a_module_only_tests_import_stays_in_the_library(tmp_path: Path) -> None:
    """selfhostblocks' shape: each library module has its own NixOS test. The tests'
    nodes are hosts, but a test deploys nothing: the two library defaults on 3000 still
    meet (main before test nodes reported it; test nodes alone had hidden it)."""
    tree = tmp_path / "tree"
    shutil.copytree(TESTED_LIBRARY, tree)
    report = check(cwd=tree, selection=CONFLICTS, no_registry=True)
    assert [h.name for h in report.hosts.hosts] == [
        "tests/bookmarks.nix#server",
        "tests/monitoring.nix#server",
    ]
    assert _lines(report.findings) == [LIBRARY_FINDING]


def test_a_library_pair_a_test_also_loads_is_one_finding(
    tmp_path: Path, portlint: Callable[..., Run]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(TESTED_LIBRARY, tree)
    (tree / "tests" / "both.nix").write_text(
        "{ pkgs, ... }:\n"
        "{\n"
        '  name = "both";\n'
        "  nodes.machine = { imports = [ ../modules/bookmarks.nix ../modules/monitoring.nix ]; };\n"
        '  testScript = "";\n'
        "}\n"
    )
    result = portlint("check", "--no-registry", "--no-cache", "--select", "PL001,PL002", cwd=tree)
    assert (result.code, result.stdout.splitlines()) == (
        1,
        [
            LIBRARY_FINDING.replace(" PL001 ", " PL001 [error] "),
            "Found 1 finding (1 error, 0 warnings, 0 info) in 5 files.",
        ],
    )
