"""Issue 13, host precision: `mkDefault` / `mkForce` / `mkOverride N` priorities.

When one host gets several values for one option, only the winning one binds
(`mkForce` beats a plain value beats `mkDefault` beats the option's default;
`mkOverride N` by N, lower wins). The fixture `tests/fixtures/hosts/priorities` has
two hosts importing one module set; each host overrides a module's value one way or
the other, and sets another service on the port that loses. Main reported all four
such pairs (three false); only the one true conflict is left. The judge: the module
evaluator of tests/nixeval.py merges each host's files and says which value wins.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, Run
from nixeval import config_values, nix_available

from axios_portlint.api import Inventory, check, scan
from axios_portlint.commands.formats import ListingFormat
from axios_portlint.commands.hosts import hosts
from axios_portlint.commands.options import Options
from axios_portlint.config import load_settings
from axios_portlint.graph import PortGraph
from axios_portlint.graph.hosts import host_ports
from axios_portlint.rules import Selection

FIXTURE = ROOT / "tests" / "fixtures" / "hosts" / "priorities"
CONFLICTS = (Selection(select=("PL001", "PL002")),)
ACTIVE = {
    "db": {
        "services.cache.port": (8080, "hosts/db.nix:6:25"),
        "services.chat.port": (8090, "hosts/db.nix:5:24"),
        "services.grafana.settings.server.http_port": (3000, "modules/grafana.nix:4:62"),
        "services.metrics.port": (9100, "modules/metrics.nix:3:46"),
        "services.wiki.port": (8090, "hosts/db.nix:4:36"),
    },
    "web": {
        "services.exporter.port": (9101, "hosts/web.nix:8:28"),
        "services.forgejo.settings.server.HTTP_PORT": (3000, "hosts/web.nix:5:48"),
        "services.grafana.settings.server.http_port": (3001, "hosts/web.nix:4:48"),
        "services.metrics.port": (9100, "modules/metrics.nix:3:46"),
        "services.wiki.port": (8080, "modules/wiki.nix:3:24"),
    },
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    copy = tmp_path / "tree"
    shutil.copytree(FIXTURE, copy)
    return copy


def _scan(root: Path) -> Inventory:
    hosts = load_settings(root).hosts
    inventory = scan(cwd=root, with_hosts=True, hosts=hosts)
    assert inventory.hosts is not None
    return inventory


def test_priorities_are_read_from_the_wrappers(tree: Path) -> None:
    report = _scan(tree)
    priorities = sorted(
        (d.location.file, d.location.line, d.option, d.priority) for d in report.decls
    )
    assert priorities == [
        ("hosts/db.nix", 4, "services.wiki.port", 50),
        ("hosts/db.nix", 5, "services.chat.port", 100),
        ("hosts/db.nix", 6, "services.cache.port", 100),
        ("hosts/web.nix", 4, "services.grafana.settings.server.http_port", 100),
        ("hosts/web.nix", 5, "services.forgejo.settings.server.HTTP_PORT", 100),
        ("hosts/web.nix", 7, "services.metrics.port", 1000),
        ("hosts/web.nix", 8, "services.exporter.port", 100),
        ("modules/grafana.nix", 4, "services.grafana.settings.server.http_port", 1000),
        ("modules/metrics.nix", 3, "services.metrics.port", 900),
        ("modules/wiki.nix", 3, "services.wiki.port", 100),
    ]


def test_only_the_winning_value_is_active_on_each_host(tree: Path) -> None:
    report = _scan(tree)
    assert report.hosts is not None
    listeners = PortGraph(report.decls, None).listeners
    active = {
        one.host.name: {
            d.option: (d.port, f"{d.location.file}:{d.location.line}:{d.location.column}")
            for d in one.listeners
        }
        for one in host_ports(report.hosts, listeners, report.decls)
    }
    assert active == ACTIVE


@pytest.mark.skipif(not nix_available(), reason="needs nix-instantiate")
def test_the_module_evaluator_picks_the_same_winners(tree: Path) -> None:
    report = check(cwd=tree, selection=CONFLICTS, no_registry=True)
    for host in report.hosts.hosts:
        values = config_values([tree / f for f in sorted(host.files)], ACTIVE[host.name])
        merged = {option: value.port for option, value in values.items()}
        assert merged == {option: port for option, (port, _) in ACTIVE[host.name].items()}


def test_pl001_compares_only_active_values(tree: Path, portlint: Callable[..., Run]) -> None:
    expected = (
        "hosts/db.nix:5:24: PL001 on host db, local port 8090 of services.chat.port is also "
        "the port services.wiki.port is configured as (hosts/db.nix:4:36)"
    )
    report = check(cwd=tree, selection=CONFLICTS, no_registry=True)
    lines = [
        f"{f.location.file}:{f.location.line}:{f.location.column}: {f.code} {f.message}"
        for f in report.findings
    ]
    assert lines == [expected]
    result = portlint("check", "--no-registry", "--no-cache", "--select", "PL001,PL002", cwd=tree)
    assert result.stdout.splitlines() == [
        expected.replace(" PL001 ", " PL001 [error] "),
        "Found 1 finding (1 error, 0 warnings, 0 info) in 7 files.",
    ]


def test_hosts_lists_the_active_values(tree: Path, portlint: Callable[..., Run]) -> None:
    result = portlint("hosts", "--no-cache", cwd=tree)
    assert result.stdout.splitlines() == [
        "HOST  OPTION                                      PORT  ORIGIN  LOCATION",
        "db    services.cache.port                         8080  config  hosts/db.nix:6:25",
        "db    services.chat.port                          8090  config  hosts/db.nix:5:24",
        "db    services.grafana.settings.server.http_port  3000  config  modules/grafana.nix:4:62",
        "db    services.metrics.port                       9100  config  modules/metrics.nix:3:46",
        "db    services.wiki.port                          8090  config  hosts/db.nix:4:36",
        "web   services.exporter.port                      9101  config  hosts/web.nix:8:28",
        "web   services.forgejo.settings.server.HTTP_PORT  3000  config  hosts/web.nix:5:48",
        "web   services.grafana.settings.server.http_port  3001  config  hosts/web.nix:4:48",
        "web   services.metrics.port                       9100  config  modules/metrics.nix:3:46",
        "web   services.wiki.port                          8080  config  modules/wiki.nix:3:24",
        "2 hosts, 10 listening ports.",
        "db: services.wiki.port 8080 at modules/wiki.nix:3:24 is overridden by 8090 at "
        "hosts/db.nix:4:36 (priority 50 beats 100).",
        "web: services.metrics.port 9101 at hosts/web.nix:7:41 is overridden by 9100 at "
        "modules/metrics.nix:3:46 (priority 900 beats 1000).",
        "web: services.grafana.settings.server.http_port 3000 at modules/grafana.nix:4:62 is "
        "overridden by 3001 at hosts/web.nix:4:48 (priority 100 beats 1000).",
    ]
    options = Options(cwd=tree, root=tree)
    assert hosts(options, ListingFormat.TABLE).stdout.splitlines() == result.stdout.splitlines()


def test_an_unfolded_priority_keeps_the_value_active(tmp_path: Path) -> None:
    """`mkOverride prio x`: static reading cannot tell which value wins; both stay."""
    (tmp_path / "portlint.toml").write_text('[hosts]\nh = ["a.nix", "b.nix"]\n')
    (tmp_path / "a.nix").write_text(
        "{ lib, prio, ... }: { services.x.port = lib.mkOverride prio 7000; }\n"
    )
    (tmp_path / "b.nix").write_text("{ ... }: { services.x.port = 7001; }\n")
    report = _scan(tmp_path)
    assert report.hosts is not None
    assert sorted((d.port, d.priority) for d in report.decls) == [(7000, None), (7001, 100)]
    (one,) = host_ports(report.hosts, report.decls, report.decls)
    assert [d.port for d in one.listeners] == [7000, 7001]


def test_a_value_under_a_guard_the_host_leaves_off_does_not_hide_the_default(
    tmp_path: Path,
) -> None:
    """The guarded value is not set on the host, so the option's default binds there."""
    (tmp_path / "portlint.toml").write_text('[hosts]\nh = ["x.nix", "tuning.nix", "y.nix"]\n')
    (tmp_path / "x.nix").write_text(
        "{ lib, ... }: {\n"
        "  options.services.x.port = lib.mkOption { type = lib.types.port; default = 9000; };\n"
        "}\n"
    )
    (tmp_path / "tuning.nix").write_text(
        "{ config, lib, ... }: {\n"
        '  options.tuning.enable = lib.mkEnableOption "tuning";\n'
        "  config = lib.mkIf config.tuning.enable { services.x.port = 9001; };\n"
        "}\n"
    )
    (tmp_path / "y.nix").write_text("{ ... }: { services.y.port = 9000; }\n")
    report = check(
        cwd=tmp_path, selection=CONFLICTS, no_registry=True, hosts=load_settings(tmp_path).hosts
    )
    assert [f.message for f in report.findings] == [
        "on host h, local port 9000 of services.y.port is also the default of "
        "services.x.port (x.nix:2:77)"
    ]


def test_hosts_json_names_what_each_winner_overrides(
    tree: Path, portlint: Callable[..., Run]
) -> None:
    document = json.loads(portlint("hosts", "--no-cache", "--format", "json", cwd=tree).stdout)
    overridden = {
        host["name"]: [
            (o["option"], o["port"], o["line"], o["priority"], o["by"]) for o in host["overridden"]
        ]
        for host in document["hosts"]
    }
    assert overridden == {
        "db": [
            (
                "services.wiki.port",
                8080,
                3,
                100,
                {"file": "hosts/db.nix", "line": 4, "column": 36, "port": 8090, "priority": 50},
            )
        ],
        "web": [
            (
                "services.metrics.port",
                9101,
                7,
                1000,
                {
                    "file": "modules/metrics.nix",
                    "line": 3,
                    "column": 46,
                    "port": 9100,
                    "priority": 900,
                },
            ),
            (
                "services.grafana.settings.server.http_port",
                3000,
                4,
                1000,
                {"file": "hosts/web.nix", "line": 4, "column": 48, "port": 3001, "priority": 100},
            ),
        ],
    }


def test_a_fallback_read_ranks_no_value(tmp_path: Path) -> None:
    """`config.services.x.port or 8085` reads the option; it sets nothing, so the host's
    `mkDefault` value stays the one that binds (and a read still hides the default)."""
    (tmp_path / "portlint.toml").write_text('[hosts]\nh = ["x.nix", "reader.nix", "y.nix"]\n')
    (tmp_path / "x.nix").write_text("{ lib, ... }: { services.x.port = lib.mkDefault 7000; }\n")
    (tmp_path / "reader.nix").write_text(
        "{ config, ... }: { services.proxy.upstream = config.services.x.port or 8085; }\n"
    )
    (tmp_path / "y.nix").write_text("{ ... }: { services.y.port = 7000; }\n")
    report = check(
        cwd=tmp_path, selection=CONFLICTS, no_registry=True, hosts=load_settings(tmp_path).hosts
    )
    assert [f.message for f in report.findings] == [
        "on host h, local port 7000 of services.y.port is also the port services.x.port is "
        "configured as (x.nix:1:49)"
    ]
