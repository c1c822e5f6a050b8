"""The Nix-evaluator harness: real `nix-instantiate` is the judge of port defaults."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from nixeval import (
    ERROR,
    NixEvalError,
    NixPort,
    PortDefault,
    PortOption,
    config_values,
    evaluate_port_options,
    evaluate_port_options_detailed,
    evaluate_tree,
    evaluate_tree_detailed,
    split_option,
)

FORMS = Path(__file__).resolve().parent / "fixtures" / "forms"
SERVICES = Path(__file__).resolve().parent / "fixtures" / "services"
EXPECTED_JSON = FORMS / "EXPECTED.json"
UNRESOLVED = "<unresolved>"


def _expected() -> dict[str, dict[str, int | str | None]]:
    data: dict[str, dict[str, int | str | None]] = json.loads(EXPECTED_JSON.read_text())
    return data


FIXTURES = sorted(p.name for p in FORMS.glob("*.nix"))


# --- hand-computed expectations ----------------------------------------------


@pytest.mark.nix
@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("lib_mkoption.nix", {"pim.port": 8080, "pim.tailscaleServe.httpsPort": 8443}),
        ("with_lib.nix", {"services.axios-ai.ollamaPort": 11434}),
        ("inherit_top.nix", {"immich.port": 2283}),
        ("inherit_let.nix", {"mail.imapPort": 993, "mail.smtpPort": 465}),
        (
            "types_variants.nix",
            {
                "monitoring.grafanaPort": 3000,
                "monitoring.prometheusPort": None,
                "monitoring.exporterPort": 9000,
                "monitoring.nodeExporterPort": 9100,
            },
        ),
        ("dotted.nix", {"pim.port": 8080, "pim.tailscaleServe.httpsPort": 8443}),
        ("nested_attrsets.nix", {"pim.port": 8080, "pim.tailscaleServe.httpsPort": 8443}),
        (
            "quoted.nix",
            {
                "services.open-webui.port": 8081,
                "axios-mail.smtpPort": 587,
                'axios."web.proxy".port': 8088,
            },
        ),
        (
            "mkdefault.nix",
            {"pim.port": 8080, "pim.tailscaleServe.httpsPort": 8443, "pim.metricsPort": 9464},
        ),
        (
            "nested_let.nix",
            {
                "media.port": 8096,
                "media.httpsPort": 8920,
                "media.discoveryPort": 8096 - 6737,
                "streaming.port": 7000 + 1,
            },
        ),
        (
            "arithmetic.nix",
            {
                "arith.httpsPort": 8080 + 363,
                "arith.literalSum": 8000 + 80,
                "arith.parenthesised": (8080 + 1) * 1,
                "arith.minus": 8080 - 80,
                "arith.divided": (8080 * 2) // 4,
            },
        ),
        (
            "cfg_ref.nix",
            {"pim.port": 8080, "pim.webdavPort": 8081, "pim.tailscaleServe.httpsPort": 8443},
        ),
        ("config_override.nix", {"pim.port": 8080, "pim.tailscaleServe.httpsPort": 9000 + 363}),
        ("trailing_comma.nix", {"axios.postgres.port": 5432}),
        ("no_ports.nix", {}),
        ("config_only.nix", {}),
        ("plain_attrset.nix", {"axios.gateway.port": 8000}),
    ],
)
def test_fixture_defaults(fixture: str, expected: dict[str, PortDefault]) -> None:
    assert evaluate_port_options(FORMS / fixture) == expected


@pytest.mark.nix
def test_unresolved_defaults_are_errors_and_siblings_survive() -> None:
    assert evaluate_port_options(FORMS / "unresolved.nix") == {
        "axios.unresolved.fromPackage": ERROR,
        "axios.unresolved.fromCondition": ERROR,
        "axios.unresolved.fromJson": ERROR,
        "axios.unresolved.known": 8080,
    }


@pytest.mark.nix
def test_mkdefault_defaults_are_flagged_as_wrapped() -> None:
    by_path = {o.path: o for o in evaluate_port_options_detailed(FORMS / "mkdefault.nix")}
    assert all(o.wrapped for o in by_path.values())
    plain = evaluate_port_options_detailed(FORMS / "lib_mkoption.nix")
    assert not any(o.wrapped for o in plain)


@pytest.mark.nix
def test_detailed_types() -> None:
    options = evaluate_port_options_detailed(FORMS / "types_variants.nix")
    assert {o.path: o.type for o in options} == {
        "monitoring.grafanaPort": "u16",
        "monitoring.prometheusPort": "nullOr port",
        "monitoring.exporterPort": "nullOr port",
        "monitoring.nodeExporterPort": "port",
    }


# --- EXPECTED.json -------------------------------------------------------------


def test_expected_json_covers_every_fixture() -> None:
    assert sorted(_expected()) == FIXTURES


@pytest.mark.nix
@pytest.mark.parametrize("fixture", FIXTURES)
def test_harness_agrees_with_expected_json(fixture: str) -> None:
    expected = _expected()[fixture]
    actual = evaluate_port_options(FORMS / fixture)
    assert sorted(actual) == sorted(expected)
    known = {path: value for path, value in expected.items() if value != UNRESOLVED}
    assert {path: actual[path] for path in known} == known


@pytest.mark.nix
@pytest.mark.parametrize("fixture", FIXTURES)
def test_fixture_parses(fixture: str) -> None:
    exe = shutil.which("nix-instantiate")
    assert exe is not None
    done = subprocess.run(
        [exe, "--parse", str(FORMS / fixture)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("fixture", FIXTURES)
def test_fixture_has_leading_comment(fixture: str) -> None:
    assert (FORMS / fixture).read_text().startswith("# Exercises: ")


# --- edge cases, written on the fly --------------------------------------------


def _module(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "module.nix"
    path.write_text(body)
    return path


@pytest.mark.nix
def test_throwing_and_non_int_defaults_are_caught_in_band(tmp_path: Path) -> None:
    module = _module(
        tmp_path,
        """{ lib, ... }: {
          options.svc = {
            thrown = lib.mkOption { type = lib.types.port; default = throw "set me"; };
            asserted = lib.mkOption { type = lib.types.port; default = assert false; 1; };
            text = lib.mkOption { type = lib.types.port; default = "8080"; };
            fine = lib.mkOption { type = lib.types.port; default = 1; };
          };
        }""",
    )
    assert evaluate_port_options(module) == {
        "svc.thrown": ERROR,
        "svc.asserted": ERROR,
        "svc.text": ERROR,
        "svc.fine": 1,
    }


@pytest.mark.nix
def test_missing_default_is_none_but_flagged(tmp_path: Path) -> None:
    module = _module(
        tmp_path,
        """{ lib, ... }: {
          options.svc.port = lib.mkOption { type = lib.types.nullOr lib.types.ints.u16; };
        }""",
    )
    assert evaluate_port_options_detailed(module) == [
        PortOption(path="svc.port", type="nullOr u16", has_default=False, default=None)
    ]


@pytest.mark.nix
def test_shorthand_module_without_options(tmp_path: Path) -> None:
    module = _module(tmp_path, "{ services.nginx.enable = true; }")
    assert evaluate_port_options(module) == {}


@pytest.mark.nix
def test_submodule_options_are_not_entered(tmp_path: Path) -> None:
    module = _module(
        tmp_path,
        """{ lib, ... }: {
          options.svc.instances = lib.mkOption {
            type = lib.types.attrsOf (lib.types.submodule {
              options.port = lib.mkOption { type = lib.types.port; default = 1; };
            });
            default = { };
          };
        }""",
    )
    assert evaluate_port_options(module) == {}


@pytest.mark.nix
def test_syntax_error_raises_with_nix_stderr(tmp_path: Path) -> None:
    module = _module(tmp_path, "{ lib, ... }: { options.x = ; }")
    with pytest.raises(NixEvalError, match="syntax error"):
        evaluate_port_options(module)


@pytest.mark.nix
def test_stub_lib_type_names() -> None:
    lib = Path(__file__).resolve().parent / "nix" / "lib.nix"
    exe = shutil.which("nix-instantiate")
    assert exe is not None
    expr = (
        f"let lib = import {lib}; t = lib.types; in "
        "[ t.port.name t.ints.u16.name (t.nullOr t.port).name (t.nullOr t.port).elemType.name "
        "(t.submodule { }).name (lib.mkOption { default = 1; })._type ]"
    )
    done = subprocess.run(
        [exe, "--eval", "--strict", "--json", "-E", expr],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["port", "u16", "nullOr", "port", "submodule", "option"]


# --- whole trees: evaluate_tree ----------------------------------------------------

Seen = tuple[str, str, int | str | None]


def _seen(ports: list[NixPort]) -> list[Seen]:
    """(origin, option, port or state) per record, sorted: the contract's view."""
    return sorted((p.origin, p.option, p.port if p.state == "known" else p.state) for p in ports)


TS = "networking.tailscale.services"
FW = "networking.firewall"

TREE_EXPECTED: dict[str, list[Seen]] = {
    "axios": [
        ("config", "services.immich.port", 2283),
        ("config", "services.ollama.port", 11434),
        ("config", "services.open-webui.port", 8081),
        ("firewall", f"{FW}.allowedTCPPorts", 22),
        ("firewall", f"{FW}.allowedUDPPortRanges", 60000),
        ("option", "axios.immich.port", 2283),
        ("option", f"{TS}.<name>.port", 443),
        ("option", "pim.port", 8080),
        ("option", "pim.pwa.httpsPort", 443),
        ("option", "services.ai.webui.port", 8081),
        ("tailscale-service", f"{TS}.axios-chat.port", 443),
        ("tailscale-service", f"{TS}.axios-llama.port", 443),
        ("tailscale-service", f"{TS}.axios-mail.port", 443),
        ("tailscale-service", f"{TS}.axios-photos.port", 443),
    ],
    "by-name": [
        ("option-by-name", "services.axios-turn.alt-listening-port", 3479),
        ("option-by-name", "services.axios-turn.listening-port", 3478),
        ("option-by-name", "services.axios-turn.max-port", 65535),
        ("option-by-name", "services.axios-turn.min-port", 49152),
        ("option-by-name", "services.axios-turn.statusPort", 8087),
        ("option-by-name", "services.axios-turn.tls-listening-port", 5349),
    ],
    "config-side": [
        ("config", "services.gitea.settings.server.port", 3001),
        ("config", "services.grafana.settings.server.http_port", 3000),
        ("config", "services.loki.settings.port", 3100),
        ("config", "services.prometheus.exporters.node.port", 9100),
        ("config", "services.prometheus.port", 9090),
        ("config", "services.redis.servers.cache.port", 6379),
        ("config", "services.syncthing.port", "error"),
        ("option", "axios.monitoring.port", 9090),
    ],
    "cross-file": [
        ("option", "axios.music.controlPort", 6600),
        ("option", "axios.music.httpStreamPort", 6601),
        ("option", "axios.music.mpdPort", 6600),
        ("option", "services.mpd.network.port", 6600),
    ],
    "cross-file-set": [
        ("config", "services.mpd.network.port", 6700),
        ("option", "axios.music.controlPort", 6700),
        ("option", "axios.music.httpStreamPort", 6701),
        ("option", "axios.music.mpdPort", 6700),
        ("option", "services.mpd.network.port", 6600),
    ],
    "fallback": [("option", "services.axios-gateway.port", 8086)],
    "firewall": [
        ("firewall", f"{FW}.allowedTCPPortRanges", 8000),
        ("firewall", f"{FW}.allowedTCPPorts", 22),
        ("firewall", f"{FW}.allowedTCPPorts", 8081),
        ("firewall", f"{FW}.allowedUDPPortRanges", 60000),
        ("firewall", f"{FW}.allowedUDPPorts", 41641),
        ("option", "services.ai.webui.port", 8081),
    ],
    "generated": [
        ("option", "axios.apps.calendar.port", 8083),
        ("option", "axios.apps.portal.port", 8082),
        ("option", "axios.exporters.node.port", 9100),
        ("option", "axios.exporters.redis.port", 9121),
        ("option", "axios.workers.a.port", 7001),
        ("option", "axios.workers.b.port", 7002),
    ],
    "helper": [
        ("option", "axios.forge.metricsPort", "null"),
        ("option", "axios.forge.port", 3000),
        ("option", "axios.forge.sshPort", 2222),
    ],
    "option-sets": [
        ("option", "axios.mail.backups.*.port", 25),
        ("option", "axios.mail.fallback.port", 25),
        ("option", "axios.mail.primary.port", 25),
        ("option", "axios.mail.relays.<name>.port", 25),
        ("option", "axios.smtp.port", 587),
    ],
    "tailscale": [
        ("option", f"{TS}.<name>.port", 443),
        ("tailscale-service", f'{TS}."svc.metrics".port', 443),
        ("tailscale-service", f"{TS}.axios-grafana.port", 8443),
        ("tailscale-service", f"{TS}.axios-llama.port", 443),
        ("tailscale-service", f"{TS}.axios-mail.port", 443),
        ("tailscale-service", f"{TS}.axios-off.port", 443),
    ],
}


def test_tree_expectations_cover_every_services_tree() -> None:
    assert sorted(TREE_EXPECTED) == sorted(d.name for d in SERVICES.iterdir() if d.is_dir())


@pytest.mark.nix
@pytest.mark.parametrize("tree", sorted(TREE_EXPECTED))
def test_tree_ports(tree: str) -> None:
    assert _seen(evaluate_tree(SERVICES / tree)) == TREE_EXPECTED[tree]


@pytest.mark.nix
def test_ranges_carry_their_end() -> None:
    ranges = [p for p in evaluate_tree(SERVICES / "firewall") if p.end_port is not None]
    assert sorted((p.option, p.port, p.end_port) for p in ranges) == [
        (f"{FW}.allowedTCPPortRanges", 8000, 8010),
        (f"{FW}.allowedUDPPortRanges", 60000, 61000),
    ]


@pytest.mark.nix
def test_tailscale_definitions_know_their_name_and_whether_they_apply() -> None:
    services = {
        p.name: p for p in evaluate_tree(SERVICES / "tailscale") if p.origin == "tailscale-service"
    }
    assert {n: (p.active, p.merged) for n, p in services.items()} == {
        "axios-mail": (True, 443),
        "axios-llama": (True, 443),
        "axios-off": (False, None),  # lib.mkIf false: Nix drops the entry
        "axios-grafana": (True, 8443),
        "svc.metrics": (True, 443),  # one definition although written as mkMerge
    }


@pytest.mark.nix
def test_axios_mirror_enabled_by_a_host(tmp_path: Path) -> None:
    """With every service enabled, the merged config holds what the definitions say."""
    host = tmp_path / "host.nix"
    host.write_text(
        "{ pim.enable = true; services.ai.enable = true; services.ai.webui.enable = true;"
        " axios.immich.enable = true; services.ollama.port = lib.mkForce 11435; }".replace(
            "{ ", "{ lib, ... }: { ", 1
        )
    )
    tree = [SERVICES / "axios", host]
    ports = evaluate_tree_detailed(tree).ports
    services = {p.name: (p.port, p.active, p.merged) for p in ports if p.name is not None}
    assert services == {
        "axios-chat": (443, True, 443),
        "axios-llama": (443, True, 443),
        "axios-mail": (443, True, 443),
        "axios-photos": (443, True, 443),
    }
    values = config_values(
        tree,
        [
            "services.ollama.port",
            "services.open-webui.port",
            f"{TS}.axios-mail.port",
            "services.mcp-gateway.port",
            "pim.port",
        ],
    )
    assert {k: (v.defined, v.state, v.port) for k, v in values.items()} == {
        "services.ollama.port": (True, "known", 11435),  # mkForce beats the module's 11434
        "services.open-webui.port": (True, "known", 8081),
        f"{TS}.axios-mail.port": (True, "known", 443),
        "services.mcp-gateway.port": (False, "error", None),  # so `or 8085` takes 8085
        "pim.port": (True, "known", 8080),
    }


@pytest.mark.nix
def test_inactive_definitions_are_not_in_the_merged_config() -> None:
    values = config_values(SERVICES / "axios", ["services.ollama.port", f"{TS}.axios-mail.port"])
    # Defined under a false mkIf: the path exists but has no value ("used but
    # not defined"); a Tailscale Service under a false mkIf has no entry at all.
    assert values["services.ollama.port"].state == "error"
    assert not values[f"{TS}.axios-mail.port"].defined


@pytest.mark.nix
def test_mkdefault_loses_to_a_plain_definition(tmp_path: Path) -> None:
    a = tmp_path / "a.nix"
    a.write_text("{ lib, ... }: { services.redis.port = lib.mkDefault 6379; }")
    b = tmp_path / "b.nix"
    b.write_text("{ services.redis.port = 6380; }")
    assert config_values([a, b], ["services.redis.port"])["services.redis.port"].port == 6380
    # ... while the per-definition records keep both values.
    assert sorted(p.port or 0 for p in evaluate_tree([a, b])) == [6379, 6380]


@pytest.mark.nix
def test_uncatchable_errors_leave_siblings_evaluated(tmp_path: Path) -> None:
    module = tmp_path / "m.nix"
    module.write_text(
        """{ config, lib, pkgs, ... }: {
          options.svc = {
            zero = lib.mkOption { type = lib.types.port; default = 1 / 0; };
            loop = lib.mkOption { type = lib.types.port; default = config.svc.loop; };
            other = lib.mkOption { type = lib.types.port; default = config.nowhere.port; };
            pkg = lib.mkOption { type = lib.types.port; default = pkgs.foo.port; };
            fine = lib.mkOption { type = lib.types.port; default = 8080; };
          };
          config.services.x.port = config.svc.zero;
        }"""
    )
    assert _seen(evaluate_tree(module)) == [
        ("config", "services.x.port", "error"),
        ("option", "svc.fine", 8080),
        ("option", "svc.loop", "error"),
        ("option", "svc.other", "error"),
        ("option", "svc.pkg", "error"),
        ("option", "svc.zero", "error"),
    ]


@pytest.mark.nix
def test_submodule_function_form_gets_its_name(tmp_path: Path) -> None:
    module = tmp_path / "m.nix"
    module.write_text(
        """{ lib, ... }: {
          options.vhosts = lib.mkOption {
            type = lib.types.attrsOf (lib.types.submodule ({ name, config, ... }: {
              options.port = lib.mkOption { type = lib.types.port; default = 80; };
              options.tlsPort = lib.mkOption {
                type = lib.types.port; default = config.port + 363;
              };
              options.label = lib.mkOption { type = lib.types.str; default = name; };
            }));
            default = { };
          };
          config.vhosts.web.port = 8080;
        }"""
    )
    assert _seen(evaluate_tree(module)) == [
        ("option", "vhosts.<name>.port", 80),
        ("option", "vhosts.<name>.tlsPort", 443),
    ]
    values = config_values(module, ["vhosts.web.tlsPort", "vhosts.web.port"])
    assert (values["vhosts.web.tlsPort"].port, values["vhosts.web.port"].port) == (8443, 8080)


@pytest.mark.nix
def test_declared_lists_every_option_of_the_tree() -> None:
    declared = evaluate_tree_detailed(SERVICES / "axios").declared
    assert {"pim.enable", "pim.role", f"{TS}.<name>.backend", "desktop.scale"} <= declared
    assert "services.mcp-gateway.port" not in declared


def test_split_option_inverts_show_option() -> None:
    assert split_option('networking.tailscale.services."svc.metrics".port') == (
        "networking",
        "tailscale",
        "services",
        "svc.metrics",
        "port",
    )
