"""Issue 13, placement and protocols: option tables, submodule files, (port, protocol).

Each fixture's exact inventory and findings, through the API and the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, Run

from axios_portlint.api import check, scan
from axios_portlint.extract.protocols import protocol_of
from axios_portlint.graph import by_transport
from axios_portlint.model import Kind, Location, PortDecl, Protocol, ValueState
from axios_portlint.rules import Selection

SUBMODULES = FIXTURES / "submodules"
PROTOCOLS = FIXTURES / "protocols"
OPTION_TABLE = FIXTURES / "listeners" / "option-table"

Row = tuple[str, str, int, int]  # option, file, line, column


def inventory(path: Path, cache_dir: Path | None = None) -> set[Row]:
    decls = scan([path], cwd=ROOT, cache_dir=cache_dir).decls
    return {(d.option, d.location.file, d.location.line, d.location.column) for d in decls}


def findings(path: Path, tmp_path: Path) -> list[str]:
    registry = tmp_path / "ports.md"
    registry.write_text("# Ports\n")
    report = check([path], registry, cwd=ROOT, selection=[Selection(select=("PL001", "PL002"))])
    return [
        f"{f.location.file}:{f.location.line}:{f.location.column}: {f.code} {f.message}"
        for f in sorted(report.findings, key=lambda f: f.sort_key())
    ]


def cli_findings(portlint: Callable[..., Run], path: Path, tmp_path: Path) -> Run:
    """`check` over `path` alone: inside this repository a named path would only narrow
    the report of the whole project, so a settings file makes `path` the tree."""
    registry = tmp_path / "ports.md"
    registry.write_text("# Ports\n")
    settings = tmp_path / "portlint.toml"
    settings.write_text(f"paths = [{str(path)!r}]\nregistry = {str(registry)!r}\n")
    return portlint(
        "check",
        "--config",
        str(settings),
        "--select",
        "PL001,PL002",
        "--no-cache",
        cwd=ROOT,
    )


# -- submodule files --------------------------------------------------------------------

SUB = "tests/fixtures/submodules"
SUBMODULE_ROWS = {
    ("services.scraper.port", f"{SUB}/metrics.nix", 7, 15),
    ("<unplaced>.extraOptions.port", f"{SUB}/metrics.nix", 13, 17),
    ("services.relay.admin.console.port", f"{SUB}/relay/admin-options.nix", 6, 15),
    ("services.relay.port", f"{SUB}/relay/default.nix", 8, 17),
    ("services.relay.upstreams.<name>.port", f"{SUB}/relay/endpoint.nix", 6, 15),
    ("services.relay.peers.*.port", f"{SUB}/relay/peer/default.nix", 6, 15),
    ("services.relay.settings.metrics.port", f"{SUB}/relay/settings.nix", 6, 15),
}
# `settings` is a plain submodule (no attrsOf): its metrics port is one real listener.
SUBMODULE_FINDING = (
    f"{SUB}/relay/settings.nix:6:15: PL001 local port 7001 of "
    "services.relay.settings.metrics.port is also the default of services.scraper.port "
    f"({SUB}/metrics.nix:7:15)"
)


def test_submodule_files_are_placed_under_their_submodule() -> None:
    assert inventory(SUBMODULES) == SUBMODULE_ROWS


def test_submodule_placement_survives_the_cache(tmp_path: Path) -> None:
    cold = inventory(SUBMODULES, tmp_path / "cache")
    assert cold == inventory(SUBMODULES, tmp_path / "cache") == SUBMODULE_ROWS


def test_submodule_files_alone_stay_where_they_are() -> None:
    """Checked without the file that uses it, a submodule file cannot be placed by it."""
    assert inventory(SUBMODULES / "relay" / "endpoint.nix") == {
        ("port", f"{SUB}/relay/endpoint.nix", 6, 15)
    }


def test_submodule_findings(tmp_path: Path, portlint: Callable[..., Run]) -> None:
    assert findings(SUBMODULES, tmp_path) == [SUBMODULE_FINDING]
    run = cli_findings(portlint, SUBMODULES, tmp_path)
    assert run.code == 1
    assert run.stdout.splitlines()[0] == SUBMODULE_FINDING.replace(" PL001 ", " PL001 [error] ")


def test_an_unplaced_option_says_why() -> None:
    decls = scan([SUBMODULES / "metrics.nix"], cwd=ROOT).decls
    (unplaced,) = [d for d in decls if not d.placed]
    assert unplaced.reason == (
        "cannot tell statically which option path this mkOption call declares: "
        "an argument of `mkAppOptions`, whose result static reading cannot place"
    )


def test_submodule_files_that_use_each_other_end(tmp_path: Path) -> None:
    option = "lib.mkOption { type = lib.types.attrsOf (lib.types.submodule ./OTHER); }"
    for name, other in (("a.nix", "b.nix"), ("b.nix", "a.nix")):
        (tmp_path / name).write_text(
            "{ lib, ... }: {\n"
            f"  options.next = {option.replace('OTHER', other)};\n"
            "  options.port = lib.mkOption { type = lib.types.port; default = 1; };\n"
            "}\n"
        )
    options = {d.option for d in scan([tmp_path], cwd=tmp_path).decls}
    assert options == {"next.<name>.port"}


# -- option sets built from a table -------------------------------------------------------


def test_option_table_ports_in_json(portlint: Callable[..., Run]) -> None:
    run = portlint("ports", "--no-cache", "--format", "json", str(OPTION_TABLE), cwd=ROOT)
    assert run.code == 0
    rows = [(row["option"], row["line"], row["kind"]) for row in json.loads(run.stdout)]
    assert rows == [
        ("homelab.jellyfin.port", 10, "local"),
        ("homelab.navidrome.port", 20, "local"),
        ("homelab.audiobooks.port", 30, "local"),
    ]


def test_option_table_with_computed_keys_stays_unplaced(tmp_path: Path) -> None:
    (tmp_path / "apps.nix").write_text(
        "{ lib, apps, ... }:\n"
        "let\n"
        "  extra = { port = lib.mkOption { type = lib.types.port; default = 1; }; };\n"
        "  appOption = name: app: lib.nameValuePair name ({ } // app);\n"
        "in\n"
        "{ options.x = lib.listToAttrs (lib.mapAttrsToList appOption (apps // { a = extra; })); }\n"
    )
    (decl,) = scan([tmp_path], cwd=tmp_path).decls
    assert (decl.option, decl.placed) == ("<unplaced>.a.port", False)
    assert decl.reason.endswith("not literal")


# -- protocols ----------------------------------------------------------------------------

PRO = "tests/fixtures/protocols"
PROTOCOL_FINDINGS = [
    f"{PRO}/rshell.nix:6:15: PL001 local port 514/tcp of services.rshell.port is also "
    f"the default of services.legacy.port ({PRO}/legacy.nix:6:15)",
    f"{PRO}/syslog.nix:6:15: PL001 local port 514/udp of services.syslog.port is also "
    f"the default of services.legacy.port ({PRO}/legacy.nix:6:15)",
    f"{PRO}/web.nix:11:15: PL001 local port 8443 of services.portal.port is also "
    f"the default of services.h3.port ({PRO}/web.nix:6:15)",
    f"{PRO}/web.nix:21:15: PL001 local port 5353 of services.mdns.port is also "
    f"the default of services.resolver.port ({PRO}/web.nix:16:15)",
]


def test_protocol_findings(tmp_path: Path, portlint: Callable[..., Run]) -> None:
    """syslog (udp) and rshell (tcp) share 514 without a finding; legacy meets both."""
    assert findings(PROTOCOLS, tmp_path) == PROTOCOL_FINDINGS
    run = cli_findings(portlint, PROTOCOLS, tmp_path)
    assert run.code == 1
    assert run.stdout.splitlines()[:4] == [
        line.replace(" PL001 ", " PL001 [error] ") for line in PROTOCOL_FINDINGS
    ]


def test_protocols_in_ports_json_and_table(portlint: Callable[..., Run]) -> None:
    run = portlint("ports", "--no-cache", "--format", "json", PRO, cwd=ROOT)
    rows = [(row["option"], row["port"], row["protocol"]) for row in json.loads(run.stdout)]
    assert rows == [
        ("services.legacy.port", 514, "unknown"),
        ("services.rshell.port", 514, "tcp"),
        ("services.syslog.port", 514, "udp"),
        ("networking.firewall.allowedUDPPorts", 514, "udp"),
        ("networking.firewall.allowedTCPPortRanges", 6000, "tcp"),
        ("services.h3.port", 8443, "udp"),
        ("services.portal.port", 8443, "unknown"),
        ("services.resolver.port", 5353, "tcp+udp"),
        ("services.mdns.port", 5353, "udp"),
    ]
    table = portlint("ports", "--no-cache", PRO, cwd=ROOT).stdout.splitlines()
    assert table[0].split()[3:5] == ["PORT", "PROTO"]
    assert table[3].split()[3:5] == ["514", "udp"]


def test_udp_and_tcp_fixture_protocols() -> None:
    decls = scan([FIXTURES / "listeners" / "udp-tcp"], cwd=ROOT).decls
    assert [(d.option, str(d.protocol)) for d in decls] == [
        ("services.resolver.port", "tcp+udp"),
        ("networking.firewall.allowedUDPPorts", "udp"),
        ("networking.firewall.allowedTCPPorts", "tcp"),
        ("services.mediaserver.discoveryPort", "udp"),
        ("services.uploader.port", "tcp"),
        ("networking.firewall.allowedUDPPorts", "udp"),
        ("networking.firewall.allowedTCPPorts", "tcp"),
    ]


def test_a_setting_binds_what_its_declaration_says(tmp_path: Path) -> None:
    (tmp_path / "m.nix").write_text(
        "{ lib, ... }: {\n"
        "  options.services.dnsd.port = lib.mkOption {\n"
        '    type = lib.types.port; default = 53; description = "UDP port.";\n'
        "  };\n"
        "  config.services.dnsd.port = 5353;\n"
        "}\n"
    )
    decls = scan([tmp_path], cwd=tmp_path).decls
    assert [(d.port, d.protocol) for d in decls] == [(53, Protocol.UDP), (5353, Protocol.UDP)]


@pytest.mark.parametrize(
    ("option", "description", "expected"),
    [
        ("networking.firewall.allowedTCPPorts", "", Protocol.TCP),
        ("networking.firewall.interfaces.eth0.allowedUDPPortRanges", "", Protocol.UDP),
        ("services.sylk.SIP.local_udp_port", "", Protocol.UDP),
        ("services.sylk.SIP.local_tcp_port", "The UDP one is elsewhere.", Protocol.TCP),
        ("services.caddy.quicPort", "", Protocol.UDP),
        ("services.twmn.port", "UDP port to listen on for notifications.", Protocol.UDP),
        (
            "services.mpd.network.port",
            "The TCP port on which the server will listen.",
            Protocol.TCP,
        ),
        ("services.resolver.port", "Port of the DNS server.", Protocol.BOTH),
        ("services.x.port", "Listens on UDP and TCP.", Protocol.BOTH),
        ("networking.wireguard.interfaces.wg0.listenPort", "", Protocol.UDP),
        ("services.web.port", "Port the web UI listens on.", Protocol.UNKNOWN),
        # Words only: `udpate` or `tcpdump` name no transport.
        ("services.tcpdump.port", "", Protocol.UNKNOWN),
    ],
)
def test_protocol_of(option: str, description: str, expected: Protocol) -> None:
    assert protocol_of(option, description) is expected


def _decl(option: str, protocol: Protocol) -> PortDecl:
    location = Location("m.nix", 1, 1, 1, 1)
    return PortDecl(option, Kind.LOCAL, 53, ValueState.KNOWN, "53", location, protocol=protocol)


def test_by_transport_groups() -> None:
    tcp, udp = _decl("t", Protocol.TCP), _decl("u", Protocol.UDP)
    both, unknown = _decl("b", Protocol.BOTH), _decl("x", Protocol.UNKNOWN)
    assert by_transport([tcp, udp]) == []
    assert by_transport([tcp, unknown]) == [("tcp+udp", (tcp, unknown))]
    assert by_transport([udp, both, unknown]) == [("tcp+udp", (udp, both, unknown))]
    assert by_transport([tcp, udp, unknown]) == [("tcp", (tcp, unknown)), ("udp", (udp, unknown))]
    assert by_transport([tcp, tcp, udp]) == [("tcp", (tcp, tcp))]
