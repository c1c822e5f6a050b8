"""Extraction through the API: paths, defaults, kinds and exact positions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES, Run

from axios_portlint.api import scan
from axios_portlint.extract import extract_file
from axios_portlint.model import Kind, Origin, PortDecl, SourceFile, ValueState

FORMS = FIXTURES / "forms"
EXPECTED: dict[str, dict[str, int | str | None]] = json.loads((FORMS / "EXPECTED.json").read_text())


def extract(path: Path) -> list[PortDecl]:
    """The option declarations of a file (config-side ports have their own tests)."""
    result = extract_file(SourceFile(path.name, path.read_bytes()))
    assert result.syntax_issue is None
    return [d for d in result.decls if d.origin is Origin.OPTION]


def extract_text(text: str) -> list[PortDecl]:
    result = extract_file(SourceFile("module.nix", text.encode()))
    assert result.syntax_issue is None, result.syntax_issue
    return list(result.decls)


def as_expected(decl: PortDecl) -> int | str | None:
    if decl.state is ValueState.KNOWN:
        return decl.port
    if decl.state is ValueState.UNRESOLVED:
        return "<unresolved>"
    return None


# config_override.nix: Nix says 9363 (the module's own config section redefines
# pim.port); portlint says unresolved, which the contract allows and tests below pin.
AGREES_WITH_NIX = sorted(set(EXPECTED) - {"config_override.nix"})


@pytest.mark.parametrize("name", AGREES_WITH_NIX)
def test_forms_match_the_evaluator(name: str) -> None:
    decls = extract(FORMS / name)
    assert {d.option: as_expected(d) for d in decls} == EXPECTED[name]


def test_default_redefined_by_own_config_is_unresolved_not_wrong() -> None:
    decls = {d.option: d for d in extract(FORMS / "config_override.nix")}
    assert decls["pim.port"].port == 8080
    https = decls["pim.tailscaleServe.httpsPort"]
    assert https.state is ValueState.UNRESOLVED
    assert "config.pim.port is also defined in this module's config section" in https.reason


def test_kinds_follow_the_option_path() -> None:
    decls = {d.option: d.kind for d in extract(FORMS / "mixed.nix")}
    assert decls == {
        "services.axios-chat.port": Kind.LOCAL,
        "services.axios-chat.tailscaleServe.httpsPort": Kind.TAILSCALE,
        "services.axios-chat.federation.port": Kind.LOCAL,
        "axios.turn.port": Kind.LOCAL,
    }


def test_location_is_the_default_expression_with_character_columns() -> None:
    text = (
        "{ lib, ... }:\n"
        "{\n"
        "  # Café — ports\n"
        '  options.pim.port = lib.mkOption { description = "é"; type = lib.types.port; '
        "default = 8080; };\n"
        "}\n"
    )
    (decl,) = extract_text(text)
    line = text.splitlines()[3]
    assert decl.location.line == 4
    assert decl.location.column == line.index("8080") + 1
    assert decl.location.end_column == line.index("8080") + 5
    assert decl.expression == "8080"


def test_option_path_from_nested_dotted_and_quoted_bindings() -> None:
    decls = extract_text(
        """{ lib, ... }:
{
  options = {
    services."open-webui" = {
      tailscaleServe.httpsPort = lib.mkOption { type = lib.types.port; default = 8444; };
    };
    axios."web.proxy".port = lib.mkOption { type = lib.types.port; default = 8088; };
  };
}
"""
    )
    assert [(d.option, d.kind) for d in decls] == [
        ("services.open-webui.tailscaleServe.httpsPort", Kind.TAILSCALE),
        ('axios."web.proxy".port', Kind.LOCAL),
    ]


def test_let_bound_option_set_is_followed_to_where_it_is_used() -> None:
    decls = extract_text(
        """{ lib, ... }:
let
  portOption = default: null;
  listener = {
    port = lib.mkOption { type = lib.types.port; default = 8090; };
  };
in
{
  options.services.axios-sync = listener;
}
"""
    )
    assert [(d.option, d.port, d.placed) for d in decls] == [
        ("services.axios-sync.port", 8090, True)
    ]


def test_options_made_by_a_helper_function_take_the_call_arguments() -> None:
    decls = extract_text(
        """{ lib, ... }:
let
  mkPort = default: lib.mkOption { type = lib.types.port; inherit default; };
in
{
  options.pim.port = mkPort 8080;
  options.pim.tailscaleServe.httpsPort = mkPort 8443;
}
"""
    )
    assert [(d.option, d.port, d.kind) for d in decls] == [
        ("pim.port", 8080, Kind.LOCAL),
        ("pim.tailscaleServe.httpsPort", 8443, Kind.TAILSCALE),
    ]


def test_option_nix_cannot_place_is_reported_unplaced_not_dropped() -> None:
    decls = extract_text(
        """{ lib, ... }:
{
  options.pim = import ./wrap.nix {
    port = lib.mkOption { type = lib.types.port; default = 8080; };
  };
}
"""
    )
    assert len(decls) == 1
    assert decls[0].placed is False
    assert decls[0].kind is Kind.OTHER


def test_shadowed_let_binding_uses_the_innermost() -> None:
    decls = extract_text(
        """{ lib, ... }:
let base = 7000; in
{
  options.media = let base = 8096; in {
    port = lib.mkOption { type = lib.types.port; default = base; };
  };
  options.streaming.port = lib.mkOption { type = lib.types.port; default = base + 1; };
}
"""
    )
    assert [(d.option, d.port) for d in decls] == [("media.port", 8096), ("streaming.port", 7001)]


def test_lexical_scope_beats_with() -> None:
    decls = extract_text(
        """{ lib, ... }:
let port = 9000; in
with lib; with { port = 1; };
{
  options.x.port = mkOption { type = types.port; default = port; };
}
"""
    )
    assert [(d.option, d.port) for d in decls] == [("x.port", 9000)]


def test_non_port_types_are_ignored() -> None:
    decls = extract_text(
        """{ lib, ... }:
{
  options.x = {
    port = lib.mkOption { type = lib.types.str; default = "8080"; };
    count = lib.mkOption { type = lib.types.int; default = 8080; };
    ports = lib.mkOption { type = lib.types.listOf lib.types.port; default = [ 80 ]; };
  };
}
"""
    )
    assert decls == []


def test_null_and_absent_defaults() -> None:
    decls = extract_text(
        """{ lib, ... }:
{
  options.x = {
    port = lib.mkOption { type = lib.types.nullOr lib.types.port; default = null; };
    tailscaleServe.httpsPort = lib.mkOption { type = lib.types.port; };
  };
}
"""
    )
    assert [(d.option, d.state) for d in decls] == [
        ("x.port", ValueState.NULL),
        ("x.tailscaleServe.httpsPort", ValueState.ABSENT),
    ]


def test_self_reference_is_unresolved_not_a_crash() -> None:
    (decl,) = extract_text(
        """{ config, lib, ... }:
{
  options.x.port = lib.mkOption { type = lib.types.port; default = config.x.port + 1; };
}
"""
    )
    assert decl.state is ValueState.UNRESOLVED


def test_trailing_comma_formals_lose_nothing() -> None:
    decls = extract(FORMS / "trailing_comma.nix")
    assert [(d.option, d.port) for d in decls] == [("axios.postgres.port", 5432)]


def test_ten_thousand_levels_of_nesting() -> None:
    depth = 10_000
    nested = (
        "{ a = " * depth + "lib.mkOption { type = lib.types.port; default = 8080; }" + "; }" * depth
    )
    parens = "(" * depth + "8081" + ")" * depth
    (deep_set,) = extract_text("{ lib, ... }: { options.y = " + nested + "; }\n")
    assert deep_set.option == "y" + ".a" * depth
    assert deep_set.port == 8080
    (deep_parens,) = extract_text(
        "{ lib, ... }: { options.x.port = lib.mkOption { type = lib.types.port; default = "
        + parens
        + "; }; }\n"
    )
    assert deep_parens.port == 8081


def test_options_generated_over_literal_keys() -> None:
    decls = extract_text(
        """{ config, lib, ... }:
let
  apps = {
    grafana = 3000;
    loki = 3100;
  };
  appOption = name: port: lib.nameValuePair name (lib.mkOption {
    type = lib.types.port;
    default = port;
  });
in
{
  options.axios.observability = lib.listToAttrs (lib.mapAttrsToList appOption apps);
  options.axios.mapped = lib.mapAttrs (name: port: lib.mkOption {
    type = lib.types.port;
    default = port + 1;
  }) apps;
  options.axios.listed = lib.listToAttrs (map (n: lib.nameValuePair n (lib.mkOption {
    type = lib.types.port;
    default = 9000;
  })) [ "a" "b" ]);
}
"""
    )
    assert sorted((d.option, d.port) for d in decls) == [
        ("axios.listed.a", 9000),
        ("axios.listed.b", 9000),
        ("axios.mapped.grafana", 3001),
        ("axios.mapped.loki", 3101),
        ("axios.observability.grafana", 3000),
        ("axios.observability.loki", 3100),
    ]


# -- priority wrappers: the default is the wrapped value --------------------------------

MKDEFAULT_PORTS = {"pim.port": 8080, "pim.tailscaleServe.httpsPort": 8443, "pim.metricsPort": 9464}


def test_mkdefault_mkoverride_mkforce_defaults_are_unwrapped() -> None:
    """`lib.mkDefault 8080`, `lib.mkOverride 900 8443`, `lib.mkForce 9464`: the numbers."""
    decls = extract(FORMS / "mkdefault.nix")
    assert {d.option: (d.state, d.port) for d in decls} == {
        option: (ValueState.KNOWN, port) for option, port in MKDEFAULT_PORTS.items()
    }


def test_mkdefault_defaults_are_unwrapped_through_the_cli(portlint: Callable[..., Run]) -> None:
    result = portlint("ports", FORMS / "mkdefault.nix", "--format", "json", cwd=FIXTURES)
    assert result.code == 0, result.stderr
    entries = json.loads(result.stdout)
    assert {e["option"]: (e["state"], e["port"]) for e in entries} == {
        option: ("known", port) for option, port in MKDEFAULT_PORTS.items()
    }


# -- reads across files are folded with Nix's arithmetic ------------------------------------

BASE_MODULE = """{ lib, ... }: {
  options.axios.base.port = lib.mkOption { type = lib.types.port; default = 8080; };
}
"""
# (8080 - 8090) / 4 is -2.5: Nix's integer division truncates toward zero (-2), so
# 8000 - 2; flooring (-3) would give 7997.
SIDECAR_MODULE = """{ config, lib, ... }: {
  options.axios.sidecar.port = lib.mkOption {
    type = lib.types.port;
    default = 8000 + (config.axios.base.port - 8090) / 4;
  };
}
"""


def test_division_across_files_truncates_toward_zero(
    tmp_path: Path, portlint: Callable[..., Run]
) -> None:
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "base.nix").write_text(BASE_MODULE)
    (tmp_path / "modules" / "sidecar.nix").write_text(SIDECAR_MODULE)
    inventory = scan([tmp_path / "modules"], cwd=tmp_path)
    ports = {d.option: d.port for d in inventory.decls}
    assert ports == {"axios.base.port": 8080, "axios.sidecar.port": 7998}
    result = portlint("ports", "modules", "--format", "json", cwd=tmp_path)
    entries = {e["option"]: e["port"] for e in json.loads(result.stdout)}
    assert entries == ports
