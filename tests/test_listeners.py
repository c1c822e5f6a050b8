"""The listener model (issue 13): listener, client or unknown, and why.

The evidence rules are tested on plain values (`extract.listeners.decide`), with the
real option paths and descriptions docs/listeners.md cites; the fixtures'
EXPECTED.md tables are the contract of `portlint ports`' KIND column, through the
API and the CLI; `[roles]` in portlint.toml overrides the model.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, ROOT, Run, fixture_settings

from axios_portlint.api import check, scan
from axios_portlint.extract.listeners import Evidence, Sibling, decide, kind_of
from axios_portlint.model import Kind, Role

LISTENERS = FIXTURES / "listeners"
Portlint = Callable[..., Run]


def path(option: str) -> tuple[str, ...]:
    return tuple(option.split("."))


# -- the rules, one by one, on real options --------------------------------------------


@pytest.mark.parametrize(
    ("evidence", "role", "why"),
    [
        # 2. the default reads another option's port, even when it says "listening".
        (
            Evidence(
                path("services.mpdris2.mpd.port"),
                description='"The port number where MPD is listening for connections."',
                reads="services.mpd.network.port",
            ),
            Role.CLIENT,
            "default reads `services.mpd.network.port`",
        ),
        # ... but reading the same service's port is one socket named twice.
        (
            Evidence(path("services.foo.tls.port"), reads="services.foo.port"),
            Role.UNKNOWN,
            "default reads `services.foo.port` (the same service's port)",
        ),
        # 3. a client word on the path, the innermost first, or before the suffix.
        (
            Evidence(path("services.alertd.mail.smtp.port")),
            Role.CLIENT,
            "enclosing attribute `smtp`",
        ),
        (
            Evidence(path("services.webcache.redisPort")),
            Role.CLIENT,
            "name `redisPort` (a client word before the port suffix)",
        ),
        (
            Evidence(path("services.bonfire.settings.PUBLIC_PORT")),
            Role.CLIENT,
            "name `PUBLIC_PORT` (a client word before the port suffix)",
        ),
        (
            Evidence(path("services.mpd-mpris.mpd.port")),
            Role.CLIENT,
            "enclosing attribute `mpd` (a server named in `mpd-mpris`)",
        ),
        # The service's own name and an exporter's name are no client words.
        (Evidence(path("services.redis.servers.nodebb.port")), Role.LISTENER, "name `port`"),
        (
            Evidence(path("services.prometheus.exporters.postgres.port")),
            Role.LISTENER,
            "name `port`",
        ),
        # `server` decides nothing on its own.
        (Evidence(path("services.mcaptcha.settings.server.port")), Role.LISTENER, "name `port`"),
        # 4. a sibling address that is not local, or no address at all.
        (
            Evidence(path("services.dnsfilter.port"), siblings=(Sibling("address", "9.9.9.9"),)),
            Role.CLIENT,
            'sibling `address = "9.9.9.9"`',
        ),
        (
            Evidence(path("programs.tmate.port"), siblings=(Sibling("host", None, False),)),
            Role.CLIENT,
            "sibling `host` (no address by default)",
        ),
        (
            Evidence(
                path("services.zwm-server.settings.port"),
                siblings=(Sibling("host", "127.0.0.1"),),
            ),
            Role.LISTENER,
            "name `port`",
        ),
        (
            Evidence(
                path("services.funkwhale.settings.FUNKWHALE_API_PORT"),
                description='"Port to bind the API socket to."',
                siblings=(
                    Sibling("FUNKWHALE_API_IP", None, False, '"Address to bind the API to."'),
                ),
            ),
            Role.LISTENER,
            'name `FUNKWHALE_API_PORT`; description "bind"',
        ),
        # A client word with a listen-address sibling: the rules disagree.
        (
            Evidence(path("services.relayd.smtp.port"), siblings=(Sibling("listenAddress", ""),)),
            Role.UNKNOWN,
            "enclosing attribute `smtp`; but sibling `listenAddress`",
        ),
        # 5. the description.
        (
            Evidence(path("pim.pwa.httpsPort"), description='"HTTPS port the PWA connects to"'),
            Role.CLIENT,
            'description "connects to"',
        ),
        (
            Evidence(
                path("services.x.port"),
                description='"Port clients connect to; the server listens on it."',
            ),
            Role.UNKNOWN,
            'description "connect to" and "listens on"',
        ),
        (
            Evidence(path("programs.xrsh.port"), description='"Port to serve xrsh on"'),
            Role.LISTENER,
            'name `port`; description "serve xrsh on"',
        ),
        # 6. the name, with how the type made it a port option.
        (
            Evidence(path("services.toolbox.webPort"), type_note="type `nullOr int`"),
            Role.LISTENER,
            "name `webPort` (type `nullOr int`)",
        ),
        (
            Evidence(path("programs.tau-radio.settings.port"), description='"Tau-tower port"'),
            Role.UNKNOWN,
            'name `port` under `programs` (a user\'s program), no "listen"',
        ),
        (
            Evidence(path("services.postgresql.settings.port"), config_side=True),
            Role.LISTENER,
            "set on `services.postgresql` (name `port`)",
        ),
        (Evidence(path("services.x.web")), Role.UNKNOWN, "name `web` is no port name"),
        # An option of a set named `ports` is a port; `smtp` there is the service's own.
        (Evidence(path("services.mox.ports.smtp")), Role.LISTENER, "name `smtp` in `ports`"),
        # The second sample (docs/listeners.md): `peerPort` is where peers reach this daemon...
        (
            Evidence(path("services.rqbit.peerPort"), config_side=True),
            Role.LISTENER,
            "set on `services.rqbit` (name `peerPort`)",
        ),
        # ... but a `peers` attribute holds other machines' ports.
        (
            Evidence(path("services.meshd.peers.<name>.port")),
            Role.CLIENT,
            "enclosing attribute `peers`",
        ),
        # A sibling host "serving" the service is its own public name.
        (
            Evidence(
                path("pinpox.services.opencloud.port"),
                description='"Port OpenCloud listens on"',
                siblings=(
                    Sibling("host", "cloud.pablo.tools", description='"Host serving OpenCloud"'),
                ),
            ),
            Role.LISTENER,
            'name `port`; description "listens on"',
        ),
        # ... only as the description's subject: a server "serving the API" is another one.
        (
            Evidence(
                path("services.apiclient.port"),
                siblings=(
                    Sibling("host", None, False, '"Hostname of the server serving the API."'),
                ),
            ),
            Role.CLIENT,
            "sibling `host` (no address by default)",
        ),
        # A server named after its protocol serves it: lldap's `ldap_port` is its own...
        (
            Evidence(path("services.lldap.settings.ldap_port"), config_side=True),
            Role.LISTENER,
            "set on `services.lldap` (name `ldap_port`)",
        ),
        # ... while another service's `ldapPort` stays the directory it talks to.
        (
            Evidence(path("shb.authelia.ldapPort")),
            Role.CLIENT,
            "name `ldapPort` (a client word before the port suffix)",
        ),
        (
            Evidence(path("services.home-assistant.config.influxdb.port"), config_side=True),
            Role.CLIENT,
            "enclosing attribute `influxdb`",
        ),
        (
            Evidence(
                path("services.iroh-ssh.sshPort"),
                description='"Local SSH port iroh-ssh forwards incoming connections to."',
            ),
            Role.CLIENT,
            'description "forwards incoming connections to"',
        ),
        # `hostname` is the service's own public name, no address to connect to.
        (
            Evidence(
                path("services.lemmy.settings.port"),
                config_side=True,
                siblings=(Sibling("hostname", "http://nixlemmy.com"),),
            ),
            Role.LISTENER,
            "set on `services.lemmy` (name `port`)",
        ),
    ],
)
def test_evidence_rules(evidence: Evidence, role: Role, why: str) -> None:
    assert decide(evidence) == (role, why)


def test_only_a_listener_keeps_a_listener_kind() -> None:
    assert kind_of(Role.LISTENER, Kind.TAILSCALE) is Kind.TAILSCALE
    assert kind_of(Role.LISTENER, Kind.OTHER) is Kind.LOCAL
    assert kind_of(Role.CLIENT, Kind.LOCAL) is Kind.OTHER
    assert kind_of(Role.UNKNOWN, Kind.TAILSCALE) is Kind.OTHER
    assert kind_of(Role.FIREWALL, Kind.FIREWALL) is Kind.FIREWALL


# -- the fixtures' EXPECTED.md tables are what `portlint ports` says -------------------

# `| option | port | [proto |] location | KIND | WHY |`
ROW = re.compile(
    r"^\| (?P<option>\S+) \| (?P<port>\d+) \|(?: \S+ \|)? (?P<loc>\S+:\d+:\d+) \| (?P<kind>\w+) \|"
)
# option-table's ports are <unplaced> until the placement work: unknown, not listeners.
PLACEMENT = {"option-table"}
CLASSES = sorted(p.name for p in LISTENERS.iterdir() if p.is_dir() and p.name not in PLACEMENT)


def expected_kinds(name: str) -> set[tuple[str, str, str]]:
    text = (LISTENERS / name / "EXPECTED.md").read_text()
    section = text.split("## Expected `portlint ports`", 1)[1].split("\n## ", 1)[0]
    return {
        (row["loc"], row["port"], row["kind"])
        for row in map(ROW.match, section.splitlines())
        if row is not None
    }


@pytest.mark.parametrize("name", CLASSES)
def test_kinds_are_the_expected_ones(name: str) -> None:
    folder = LISTENERS / name
    decls = scan([folder], cwd=ROOT).decls
    prefix = f"tests/fixtures/listeners/{name}/"
    found = {
        (f"{d.location.file.removeprefix(prefix)}:{d.location.line}:{d.location.column}", d)
        for d in decls
    }
    got = {(where, str(d.port), str(d.role)) for where, d in found}
    assert got == expected_kinds(name)
    # Every decision is explained.
    assert all(d.why for _where, d in found)


def test_ports_shows_kind_and_why(portlint: Portlint) -> None:
    folder = "tests/fixtures/listeners/client-smtp"
    table = portlint("ports", "--no-cache", folder, cwd=ROOT)
    assert table.code == 0
    lines = table.stdout.splitlines()
    header = ["OPTION", "KIND", "ORIGIN", "PORT", "PROTO", "LOCATION", "WHY", "EXPRESSION"]
    assert lines[0].split() == header
    smtp = next(line for line in lines if line.startswith("services.paperboy.smtp.port "))
    assert smtp.split()[1] == "client"
    assert 'enclosing attribute `smtp`; sibling `host = "smtp.example.org"`' in smtp
    entries = json.loads(
        portlint("ports", "--no-cache", "--format", "json", folder, cwd=ROOT).stdout
    )
    by_option = {entry["option"]: entry for entry in entries}
    assert by_option["services.alertd.listenPort"]["role"] == "listener"
    assert by_option["services.alertd.listenPort"]["kind"] == "local"
    assert by_option["services.alertd.mail.smtp.port"]["role"] == "client"
    assert by_option["services.alertd.mail.smtp.port"]["kind"] == "other"
    assert by_option["services.alertd.mail.smtp.port"]["why"] == (
        'enclosing attribute `smtp`; description "connect to"'
    )


def test_a_client_reading_its_server_names_it(portlint: Portlint) -> None:
    folder = "tests/fixtures/listeners/client-reads-port"
    entries = json.loads(
        portlint("ports", "--no-cache", "--format", "json", folder, cwd=ROOT).stdout
    )
    reads = {entry["option"]: entry["reads"] for entry in entries}
    assert reads == {
        "services.mpd.network.port": None,
        "services.mpdbridge.mpd.port": "services.mpd.network.port",
        "services.scrobbler.port": "services.mpd.network.port",
    }


def conflicts_of(portlint: Portlint, folder: str) -> list[dict[str, Any]]:
    """PL001/PL002 through the CLI without a registry, as JSON findings (some expected)."""
    with tempfile.TemporaryDirectory() as settings:
        config = fixture_settings(Path(settings), folder)
        run = portlint(
            "check",
            *("--config", config, "--no-cache", "--no-registry", "--select", "PL001,PL002"),
            *("--format", "json"),
            cwd=ROOT,
        )
    assert run.code == 1, run.stderr
    findings: list[dict[str, Any]] = json.loads(run.stdout)["findings"]
    return findings


def test_a_placed_submodule_file_keeps_its_verdict(portlint: Portlint, tmp_path: Path) -> None:
    """A client in a submodule file stays a client under its new path (CLI, not only API)."""
    folder = "tests/fixtures/listeners/submodule-roles"
    findings = conflicts_of(portlint, folder)
    assert [(f["option"], f["port"], f["related"][0]["line"]) for f in findings] == [
        ("services.dashboard.port", 9090, 16)
    ]
    entries = json.loads(
        portlint("ports", "--no-cache", "--format", "json", folder, cwd=ROOT).stdout
    )
    kinds = {e["option"]: (e["role"], e["kind"]) for e in entries}
    assert kinds["services.alerts.delivery.port"] == ("client", "other")
    assert kinds["services.chatserver.settings.adminConsole.port"] == ("unknown", "other")
    # [roles] decides what the file alone could not: then it is one more 9090 listener.
    settings = '[roles]\nlisteners = ["services.chatserver.settings.adminConsole.port"]\n'
    roled = tree(tmp_path, "submodule-roles", settings)
    again = portlint("check", "--no-cache", "--no-registry", "--format", "json", ".", cwd=roled)
    options = sorted(
        f["option"] for f in json.loads(again.stdout)["findings"] if f["code"] == "PL001"
    )
    assert options == ["services.chatserver.settings.adminConsole.port", "services.dashboard.port"]


def test_configured_star_ports_listen_per_host(portlint: Portlint) -> None:
    """`http_port` and `HTTP_PORT` set on one host collide there (CLI: check and hosts)."""
    folder = "tests/fixtures/listeners/config-star-port"
    findings = conflicts_of(portlint, folder)
    assert [(f["option"], f["port"], f["related"][0]["file"]) for f in findings] == [
        ("services.grafana.settings.server.http_port", 3000, f"{folder}/modules/forgejo.nix")
    ]
    assert findings[0]["message"].startswith("on host alison, ")
    with tempfile.TemporaryDirectory() as settings:
        config = fixture_settings(Path(settings), folder)
        listing = portlint("hosts", "--config", config, "--no-cache", "--format", "json", cwd=ROOT)
    hosts = json.loads(listing.stdout)
    ports = {host["name"]: sorted(p["option"] for p in host["ports"]) for host in hosts["hosts"]}
    assert ports == {
        "alison": [
            "services.forgejo.settings.server.HTTP_PORT",
            "services.grafana.settings.server.http_port",
        ],
        "spencer": [
            "services.grafana.settings.server.http_port",
            "services.postgresql.settings.port",
            "services.zitadel.settings.Port",
        ],
    }


def test_config_past_with_and_let_is_read(portlint: Portlint) -> None:
    """`config = with lib; mkMerge [ ... ]` and `config = let ... in ...` (CLI)."""
    findings = conflicts_of(portlint, "tests/fixtures/listeners/config-with")
    assert [(f["option"], f["port"], f["related"][0]["line"]) for f in findings] == [
        ("services.wastebin.settings.WASTEBIN_ADDRESS_PORT", 17170, 18)
    ]
    assert "on host" not in findings[0]["message"]  # modules, not two machines


def test_the_own_ports_of_the_second_sample_collide(portlint: Portlint) -> None:
    """`peerPort` and a port beside a "serving" host listen (CLI; API: EXPECTED.md)."""
    findings = conflicts_of(portlint, "tests/fixtures/listeners/own-ports")
    assert [(f["option"], f["port"], f["related"][0]["line"]) for f in findings] == [
        ("services.searchd.transportPort", 9300, 13),
        ("services.torrentd.peerPort", 6881, 7),
    ]


def test_dotted_keys_are_read_and_serial_ports_are_no_ports(portlint: Portlint) -> None:
    """`"http.port" = 9200;` listens; `serial.port = "/dev/..."` is a device (CLI and API)."""
    folder = "tests/fixtures/listeners/config-keys"
    with tempfile.TemporaryDirectory() as settings:
        config = fixture_settings(Path(settings), folder)
        run = portlint(
            "check",
            *("--config", config, "--no-cache", "--no-registry", "--format", "json"),
            cwd=ROOT,
        )
    assert run.code == 1, run.stderr
    findings = json.loads(run.stdout)["findings"]
    assert [(f["code"], f["option"], f["port"], f["related"][0]["line"]) for f in findings] == [
        ("PL001", "services.opencloud.port", 9200, 9)
    ]
    options = {d.option: d.port for d in scan([LISTENERS / "config-keys"], cwd=ROOT).decls}
    assert options == {
        'services.opensearch.settings."http.port"': 9200,
        "services.opencloud.port": 9200,
        "services.zigbee2mqtt.settings.frontend.port": 8080,
    }


def test_a_dynamic_config_name_defines_only_below_its_prefix(portlint: Portlint) -> None:
    """`vhosts."${cfg.domain}" = ...` leaves `port` its default: the read folds (CLI)."""
    fixture = "tests/fixtures/semantics/config_dynamic_key.nix"
    with tempfile.TemporaryDirectory() as settings:
        config = fixture_settings(Path(settings), fixture)
        listing = portlint("ports", "--config", config, "--no-cache", "--format", "json", cwd=ROOT)
    ports = {e["option"]: (e["port"], e["state"]) for e in json.loads(listing.stdout)}
    assert ports == {"axios.web.port": (8080, "known"), "axios.web.tlsPort": (8443, "known")}


def test_a_submodule_type_under_with_is_placed(portlint: Portlint) -> None:
    """`type = with types; attrsOf (submodule { ... })`: placed, no PL009 (CLI)."""
    folder = "tests/fixtures/listeners/with-types"
    with tempfile.TemporaryDirectory() as settings:
        config = fixture_settings(Path(settings), folder)
        run = portlint(
            "check",
            *("--config", config, "--no-cache", "--no-registry", "--format", "json"),
            cwd=ROOT,
        )
        listing = portlint("ports", "--config", config, "--no-cache", "--format", "json", cwd=ROOT)
    assert (run.code, json.loads(run.stdout)["findings"]) == (0, []), run.stdout
    assert sorted(e["option"] for e in json.loads(listing.stdout)) == [
        "services.tsproxies.<name>.backendPort",
        "services.tsproxies.<name>.metricsPort",
    ]


PORT_ZERO_REGISTRY = """# Ports

## Current Allocations

| Service | Local Port | Tailscale Port | Module | Status |
|---|---|---|---|---|
| Promtail | 9080 | - | `services.promtail.configuration.server` | Active |
| Cachebox metrics | 9121 | - | `services.cachebox` | Active |

## Port Ranges Summary

| Range | Purpose |
|---|---|
| 9000-9199 | Monitoring |
"""


def test_port_zero_claims_no_port(portlint: Portlint, tmp_path: Path) -> None:
    """Listeners on 0 (any free port, or off): no PL001, PL003, PL005 or PL006 (CLI, API)."""
    folder = tmp_path / "port-zero"
    shutil.copytree(LISTENERS / "port-zero", folder)
    (folder / "ports.md").write_text(PORT_ZERO_REGISTRY)
    run = portlint("check", "--no-cache", "--format", "json", ".", cwd=folder)
    assert (run.code, json.loads(run.stdout)["findings"]) == (0, []), run.stdout
    report = check([folder], folder / "ports.md", cwd=folder)
    assert report.findings == ()
    decls = report.graph.decls
    zeros = sorted(d.option for d in decls if d.port == 0)
    assert zeros == [
        "services.cachebox.port",
        "services.dnsmasq.settings.port",
        "services.promtail.configuration.server.grpc_listen_port",
        "services.resolver.port",
    ]
    assert all(d.fixed_port is None for d in decls if d.port == 0)
    # A fixed port beside them still needs its row, and still meets its range.
    (folder / "ports.md").write_text(PORT_ZERO_REGISTRY.replace("| 9121 |", "| 9122 |"))
    again = portlint("check", "--no-cache", "--format", "json", ".", cwd=folder)
    assert [(f["code"], f["port"]) for f in json.loads(again.stdout)["findings"]] == [
        ("PL005", 9121)
    ]


# -- [roles] in portlint.toml -------------------------------------------------------------


def tree(tmp_path: Path, name: str, settings: str) -> Path:
    shutil.copytree(LISTENERS / name, tmp_path / name)
    (tmp_path / name / "portlint.toml").write_text(settings)
    (tmp_path / name / "ports.md").write_text("# Ports\n")
    return tmp_path / name


def roles_of(portlint: Portlint, folder: Path) -> dict[str, tuple[str, str]]:
    run = portlint("ports", "--no-cache", "--format", "json", ".", cwd=folder)
    assert run.code == 0, run.stderr
    return {e["option"]: (e["role"], e["why"]) for e in json.loads(run.stdout)}


def test_roles_override_the_evidence(tmp_path: Path, portlint: Portlint) -> None:
    folder = tree(
        tmp_path,
        "client-reads-port",
        '[roles]\nlisteners = ["services.scrobbler.port"]\nclients = ["services.mpd.*"]\n',
    )
    assert roles_of(portlint, folder) == {
        "services.mpd.network.port": ("client", 'portlint.toml clients "services.mpd.*"'),
        "services.mpdbridge.mpd.port": ("client", "default reads `services.mpd.network.port`"),
        "services.scrobbler.port": (
            "listener",
            'portlint.toml listeners "services.scrobbler.port"',
        ),
    }
    # The check follows: the scrobbler is the only listener on 6600 now.
    check = portlint("check", "--no-cache", "--select", "PL001", ".", cwd=folder)
    assert check.code == 0, check.stdout


def test_a_listener_pattern_makes_a_conflict(tmp_path: Path, portlint: Portlint) -> None:
    folder = tree(tmp_path, "client-reads-port", '[roles]\nlisteners = ["services.*.port"]\n')
    check = portlint("check", "--no-cache", "--select", "PL001", ".", cwd=folder)
    assert check.code == 1
    anchors = [line.split(": ")[0] for line in check.stdout.splitlines() if "PL001" in line]
    assert anchors == ["remote.nix:9:15", "scrobbler.nix:12:17"]


def test_the_most_specific_pattern_wins(tmp_path: Path, portlint: Portlint) -> None:
    folder = tree(
        tmp_path,
        "client-smtp",
        "[roles]\n"
        'unknown = ["services.*"]\n'
        'listeners = ["services.alertd.mail.smtp.*"]\n'
        'clients = ["services.alertd.mail.smtp.fallback*"]\n',
    )
    roles = {option: role for option, (role, _why) in roles_of(portlint, folder).items()}
    assert roles == {
        "services.alertd.listenPort": "unknown",
        "services.alertd.mail.smtp.port": "listener",
        "services.alertd.mail.smtp.fallbackPort": "client",
        "services.paperboy.port": "unknown",
        "services.paperboy.smtp.port": "unknown",
    }


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            '[roles]\nlisteners = ["a.port"]\nclients = ["a.port"]\n',
            "portlint.toml:3: roles.clients: pattern 'a.port' is also in roles.listeners",
        ),
        (
            '[roles]\nlistener = ["a.port"]\n',
            "portlint.toml:2: roles.listener: unknown key "
            "(known keys: clients, unknown, listeners)",
        ),
        (
            '[roles]\nclients = "a.port"\n',
            "portlint.toml:2: roles.clients: expected a list of strings, got a string",
        ),
        ('roles = ["a.port"]\n', "portlint.toml:1: roles: expected a table, got a list"),
    ],
)
def test_bad_roles_are_a_usage_error(
    tmp_path: Path, portlint: Portlint, settings: str, message: str
) -> None:
    folder = tree(tmp_path, "client-smtp", settings)
    run = portlint("ports", "--no-cache", ".", cwd=folder)
    assert run.code == 2
    assert run.stdout == ""
    assert run.stderr.strip() == f"portlint: error: {message}"


def test_the_verdict_survives_the_cache(tmp_path: Path) -> None:
    folder = LISTENERS / "client-database"
    cold = scan([folder], cwd=ROOT, cache_dir=tmp_path).decls
    warm = scan([folder], cwd=ROOT, cache_dir=tmp_path).decls
    assert warm == cold
    assert [(d.role, d.why) for d in warm] == [
        (d.role, d.why) for d in scan([folder], cwd=ROOT).decls
    ]
    assert {str(d.role) for d in warm} == {"listener", "client"}
