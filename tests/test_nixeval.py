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
    PortDefault,
    PortOption,
    evaluate_port_options,
    evaluate_port_options_detailed,
    nix_available,
)

FORMS = Path(__file__).resolve().parent / "fixtures" / "forms"
EXPECTED_JSON = FORMS / "EXPECTED.json"
UNRESOLVED = "<unresolved>"

pytestmark = pytest.mark.skipif(
    not nix_available(),
    reason="nix-instantiate not found: install Debian's nix-bin (apt-get install nix-bin)",
)


def _expected() -> dict[str, dict[str, int | str | None]]:
    data: dict[str, dict[str, int | str | None]] = json.loads(EXPECTED_JSON.read_text())
    return data


FIXTURES = sorted(p.name for p in FORMS.glob("*.nix"))


# --- hand-computed expectations ----------------------------------------------


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


def test_unresolved_defaults_are_errors_and_siblings_survive() -> None:
    assert evaluate_port_options(FORMS / "unresolved.nix") == {
        "axios.unresolved.fromPackage": ERROR,
        "axios.unresolved.fromCondition": ERROR,
        "axios.unresolved.fromJson": ERROR,
        "axios.unresolved.known": 8080,
    }


def test_mkdefault_defaults_are_flagged_as_wrapped() -> None:
    by_path = {o.path: o for o in evaluate_port_options_detailed(FORMS / "mkdefault.nix")}
    assert all(o.wrapped for o in by_path.values())
    plain = evaluate_port_options_detailed(FORMS / "lib_mkoption.nix")
    assert not any(o.wrapped for o in plain)


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


@pytest.mark.parametrize("fixture", FIXTURES)
def test_harness_agrees_with_expected_json(fixture: str) -> None:
    expected = _expected()[fixture]
    actual = evaluate_port_options(FORMS / fixture)
    assert sorted(actual) == sorted(expected)
    known = {path: value for path, value in expected.items() if value != UNRESOLVED}
    assert {path: actual[path] for path in known} == known


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


def test_shorthand_module_without_options(tmp_path: Path) -> None:
    module = _module(tmp_path, "{ services.nginx.enable = true; }")
    assert evaluate_port_options(module) == {}


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


def test_syntax_error_raises_with_nix_stderr(tmp_path: Path) -> None:
    module = _module(tmp_path, "{ lib, ... }: { options.x = ; }")
    with pytest.raises(NixEvalError, match="syntax error"):
        evaluate_port_options(module)


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
