"""Issue 13, host precision: a host set static reading cannot name (PL018).

The fixture `tests/fixtures/hosts/unread-host-set` is shaped like notthebee/nix-config:
its hosts are built by `listToAttrs (map ...)` over a folder listing, and two homelab
modules set port 3000, each under its own enable, enabled on different hosts. Nix
(the judge) names the hosts; static reading cannot, so the pair is reported as not
checked (PL018) rather than as a conflict (PL001); named in `[hosts]` it goes, and
PL001 comes back where the two share a named host. Exact findings through the API
and the real CLI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, Run

from axios_portlint.api import Report, check
from axios_portlint.config import load_settings
from axios_portlint.discover import discover
from axios_portlint.extract.hosts import find_hosts
from axios_portlint.model import Location
from axios_portlint.rules import Selection

Portlint = Callable[..., Run]
FIXTURE = ROOT / "tests" / "fixtures" / "hosts" / "unread-host-set"
CONFLICTS = (Selection(select=("PL001", "PL002", "PL018")),)
HOMELAB = [
    "homelab/dashboards.nix",
    "homelab/default.nix",
    "homelab/forgejo.nix",
    "homelab/grafana.nix",
]
PL018_LINE = (
    "flake.nix:12:29: PL018 hosts built here cannot be read statically: 1 pair of "
    "configured ports in modules no known host imports (3000: "
    "services.forgejo.settings.server.HTTP_PORT, services.grafana.settings.server.http_port) "
    "is not checked for conflicts; name the hosts under [hosts] in portlint.toml"
)
LIBRARY_DEFAULTS = (
    "homelab/dashboards.nix:10:15: PL001 local port 9000 of services.board.port is also "
    "the default of services.dash.port (homelab/dashboards.nix:6:15)"
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    # A copy outside this repository: inside it, the fixture is a folder of its project.
    copy = tmp_path / "tree"
    shutil.copytree(FIXTURE, copy)
    return copy


def _check(root: Path, *, with_settings: bool = False) -> Report:
    hosts = load_settings(root).hosts if with_settings else None
    return check(cwd=root, selection=CONFLICTS, no_registry=True, hosts=hosts)


def _lines(report: Report) -> list[str]:
    return [
        f"{f.location.file}:{f.location.line}:{f.location.column}: {f.code} {f.message}"
        for f in report.findings
    ]


# -- the judge and static reading ---------------------------------------------------------


@pytest.mark.skipif(shutil.which("nix-instantiate") is None, reason="needs nix-instantiate")
def test_nix_names_two_hosts_each_with_the_homelab_and_its_own_configuration(
    tree: Path,
) -> None:
    expression = (
        "let o = (import ./flake.nix).outputs { nixpkgs.lib.nixosSystem = a: a; }; in "
        "builtins.mapAttrs (n: h: map toString h.modules) o.nixosConfigurations"
    )
    result = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", "--expr", expression],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    hosts = {
        name: [Path(module).relative_to(tree).as_posix() for module in modules]
        for name, modules in json.loads(result.stdout).items()
    }
    assert hosts == {
        "alison": ["homelab", "machines/nixos/alison/configuration.nix"],
        "spencer": ["homelab", "machines/nixos/spencer/configuration.nix"],
    }


def test_static_reading_names_no_host_and_records_what_the_set_reaches(tree: Path) -> None:
    sources = discover([tree], cwd=tree).files
    found = find_hosts(sources)
    assert found.hosts == ()
    assert [(u.location.sort_key(), u.reason) for u in found.unresolved] == [
        (("flake.nix", 12, 29), "host names only evaluation knows")
    ]
    # `./homelab` is read; `./machines/nixos + "/${name}/..."` only evaluation knows.
    assert [(where.sort_key(), sorted(files or ())) for where, files in found.unread_files] == [
        (("flake.nix", 12, 29), HOMELAB)
    ]


# -- PL018 --------------------------------------------------------------------------------


def test_configured_pair_off_every_known_host_is_pl018_not_pl001(tree: Path) -> None:
    report = _check(tree)
    assert _lines(report) == [PL018_LINE, LIBRARY_DEFAULTS]
    unread = report.findings[0]
    assert (unread.severity, unread.option, unread.port) == ("warning", None, None)
    assert [place.sort_key() for place in unread.related] == [
        ("homelab/forgejo.nix", 9, 50),
        ("homelab/grafana.nix", 9, 50),
    ]


def test_through_the_cli(tree: Path, portlint: Portlint) -> None:
    result = portlint("check", "--no-registry", "--no-cache", "--select", "PL001,PL018", cwd=tree)
    assert (result.code, result.stderr) == (1, "")  # PL001 on the library defaults
    assert result.stdout.splitlines() == [
        PL018_LINE.replace(" PL018 ", " PL018 [warning] "),
        LIBRARY_DEFAULTS.replace(" PL001 ", " PL001 [error] "),
        "Found 2 findings (1 error, 1 warning, 0 info) in 7 files.",
    ]
    only = portlint(
        "check", "--no-registry", "--no-cache", "--select", "PL018", "--format", "json", cwd=tree
    )
    assert only.code == 0  # a warning does not fail the run
    (finding,) = json.loads(only.stdout)["findings"]
    assert (finding["code"], finding["file"], finding["line"], finding["column"]) == (
        "PL018",
        "flake.nix",
        12,
        29,
    )
    assert [(r["file"], r["line"]) for r in finding["related"]] == [
        ("homelab/forgejo.nix", 9),
        ("homelab/grafana.nix", 9),
    ]


def test_ignoring_pl018_does_not_turn_the_pair_back_into_a_conflict(
    tree: Path, portlint: Portlint
) -> None:
    result = portlint(
        "check", "--no-registry", "--no-cache", "--select", "PL001", "--ignore", "PL018", cwd=tree
    )
    assert result.stdout.splitlines()[:-1] == [
        LIBRARY_DEFAULTS.replace(" PL001 ", " PL001 [error] ")
    ]


def test_named_hosts_end_the_finding(tree: Path) -> None:
    (tree / "portlint.toml").write_text(
        "[hosts]\n"
        'alison = ["homelab", "machines/nixos/alison/configuration.nix"]\n'
        'spencer = ["homelab", "machines/nixos/spencer/configuration.nix"]\n'
    )
    # Each host enables one of the two; the library defaults are active on both.
    assert _lines(_check(tree, with_settings=True)) == [
        "homelab/dashboards.nix:10:15: PL001 on hosts alison, spencer, local port 9000 of "
        "services.board.port is also the default of services.dash.port "
        "(homelab/dashboards.nix:6:15)"
    ]


def test_a_named_host_with_both_brings_pl001_back(tree: Path) -> None:
    (tree / "portlint.toml").write_text(
        "[hosts]\n"
        'both = ["homelab", "machines/nixos/alison/configuration.nix", '
        '"machines/nixos/spencer/configuration.nix"]\n'
    )
    assert _lines(_check(tree, with_settings=True)) == [
        "homelab/dashboards.nix:10:15: PL001 on host both, local port 9000 of "
        "services.board.port is also the default of services.dash.port "
        "(homelab/dashboards.nix:6:15)",
        "homelab/grafana.nix:9:50: PL001 on host both, local port 3000 of "
        "services.grafana.settings.server.http_port is also the port "
        "services.forgejo.settings.server.HTTP_PORT is configured as (homelab/forgejo.nix:9:50)",
    ]


def test_no_unchecked_pair_no_finding(tree: Path) -> None:
    """Only defaults collide: nothing is left unchecked, so PL018 stays silent."""
    grafana = tree / "homelab" / "grafana.nix"
    grafana.write_text(grafana.read_text().replace("http_port = 3000", "http_port = 3001"))
    assert _lines(_check(tree)) == [LIBRARY_DEFAULTS]


def test_a_pair_goes_to_the_host_set_whose_modules_reach_it(tree: Path) -> None:
    """Two unread host sets (notthebee's darwin and NixOS ones): the pair is listed once,
    at the set whose own `modules` list reaches the homelab, though the other comes first."""
    flake = tree / "flake.nix"
    flake.write_text(
        flake.read_text().replace(
            "    {\n      nixosConfigurations",
            "    {\n      darwinConfigurations = builtins.listToAttrs (\n"
            "        builtins.map (name: { inherit name; value = nixpkgs.lib.darwinSystem {\n"
            '          modules = [ ./mac.nix ]; }; }) [ "mini" ]\n'
            "      );\n      nixosConfigurations",
        )
    )
    (tree / "mac.nix").write_text("{ ... }: { services.mac.port = 3000; }\n")
    report = _check(tree)
    assert [u.location.line for u in report.hosts.unresolved] == [12, 16]
    assert _lines(report) == [
        PL018_LINE.replace("flake.nix:12:29", "flake.nix:16:29"),
        LIBRARY_DEFAULTS,
    ]


def test_pairs_are_counted_and_named_up_to_three(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text(
        "{ outputs = { nixpkgs, ... }: {\n"
        '  nixosConfigurations = nixpkgs.lib.genAttrs [ "a" "b" ] (n: { });\n'
        "}; }\n"
    )
    # A module (it declares an option), not a machine of its own.
    (tmp_path / "services.nix").write_text(
        '{ lib, ... }: {\n  options.s.enable = lib.mkEnableOption "s";\n'
        "  config = {\n"
        + "".join(
            f"  services.s{i}.port = {port};\n"
            for i, port in enumerate((80, 80, 81, 81, 82, 82, 83, 83))
        )
        + "  };\n}\n"
    )
    (finding,) = _check(tmp_path).findings
    assert finding.location == Location("flake.nix", 2, 25, 2, 66)
    assert finding.message == (
        "hosts built here cannot be read statically: 4 pairs of configured ports in modules "
        "no known host imports (80: services.s0.port, services.s1.port; 81: services.s2.port, "
        "services.s3.port; 82: services.s4.port, services.s5.port; and 1 more) are not "
        "checked for conflicts; name the hosts under [hosts] in portlint.toml"
    )
    assert len(finding.related) == 8


def test_the_rule_is_listed_explained_and_selectable(portlint: Portlint) -> None:
    rules = portlint("rules", cwd=ROOT).stdout.splitlines()
    assert [line.split()[:3] for line in rules if line.startswith("PL018")] == [
        ["PL018", "hosts-not-read", "warning"]
    ]
    explained = portlint("explain", "PL018", cwd=ROOT).stdout
    assert explained.startswith("# PL018: hosts-not-read\n")
    assert explained == (ROOT / "docs" / "rules" / "PL018.md").read_text()
