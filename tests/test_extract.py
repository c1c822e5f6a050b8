"""Extraction through the API: paths, defaults, kinds and exact positions."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES, Run
from nixeval import evaluate_tree_detailed

from axios_portlint.api import scan
from axios_portlint.extract import extract_file
from axios_portlint.extract.link import link
from axios_portlint.extract.portnames import port_named
from axios_portlint.extract.values import arithmetic
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


# --- integer arithmetic: one definition for a file's own folding and the tree's linking ---

# Operands chosen where languages disagree: division truncates toward zero in Nix.
ARITHMETIC_CASES = [
    (7, "/", 2),
    (-7, "/", 2),
    (7, "/", -2),
    (-7, "/", -2),
    (0, "/", -3),
    (6, "*", -7),
    (5, "-", 9),
    (8080, "+", 363),
]


@pytest.mark.nix
def test_arithmetic_is_nix_arithmetic(tmp_path: Path) -> None:
    terms = " ".join(f"(({left}) {op} ({right}))" for left, op, right in ARITHMETIC_CASES)
    nix = nix_eval(f"[ {terms} ]", tmp_path)
    assert nix.returncode == 0, nix.stderr
    ours = [arithmetic(op, left, right) for left, op, right in ARITHMETIC_CASES]
    assert ours == json.loads(nix.stdout) == [3, -3, -3, 3, 0, -42, -4, 8443]
    by_zero = nix_eval("1 / 0", tmp_path)
    assert by_zero.returncode != 0 and "division by zero" in by_zero.stderr
    assert arithmetic("/", 1, 0) is None


def nix_eval(expression: str, state: Path) -> subprocess.CompletedProcess[str]:
    command = ["nix-instantiate", "--eval", "--strict", "--json", "--expr", expression]
    environment = {**os.environ, "NIX_STATE_DIR": str(state), "NIX_PATH": ""}
    return subprocess.run(command, capture_output=True, text=True, env=environment, check=False)


def port_option(name: str, default: str) -> str:
    return (
        f"{{ config, lib, ... }}: {{ options.{name}.port = lib.mkOption "
        f"{{ type = lib.types.port; default = {default}; }}; }}"
    )


def cross_file(default: str) -> PortDecl:
    """`b.port`'s default, `default` over `config.a.port` (7) declared in another file."""
    files = [("a.nix", port_option("a", "7")), ("b.nix", port_option("b", default))]
    results = [extract_file(SourceFile(name, text.encode())) for name, text in files]
    linked = link([decl for result in results for decl in result.decls])
    return next(decl for decl in linked if decl.option == "b.port")


@pytest.mark.parametrize(("left", "op", "right"), ARITHMETIC_CASES[:4])
def test_a_file_and_the_tree_fold_alike(left: int, op: str, right: int) -> None:
    read = "config.a.port" if left == 7 else "0 - config.a.port"  # the other file's 7
    (same_file,) = extract_text(port_option("b", f"({left}) {op} ({right})"))
    linked = cross_file(f"({read}) {op} ({right})")
    assert same_file.port == linked.port == arithmetic(op, left, right)
    assert same_file.state is linked.state is ValueState.KNOWN


def test_division_by_zero_is_unresolved_in_a_file_and_across_files() -> None:
    (same_file,) = extract_text(port_option("b", "7 / 0"))
    linked = cross_file("config.a.port / 0")
    assert same_file.state is linked.state is ValueState.UNRESOLVED
    assert same_file.reason == "`7 / 0` divides by zero"
    assert linked.reason == "divides by zero"


def test_a_nested_inherit_passes_a_let_bound_option_through() -> None:
    """`let inherit port; in` rebinds nothing: the outer option is still followed inside."""
    decls = extract_text(
        "{ lib, ... }:\n"
        "let port = lib.mkOption { type = lib.types.port; default = 8080; };\n"
        "in {\n"
        "  options.svc = let inherit port; in { inherit port; };\n"
        "  options.other = let port = 1; in { inherit port; };\n"
        "}\n"
    )
    assert [(d.option, d.port, d.placed) for d in decls] == [("svc.port", 8080, True)]


# --- port names: one predicate for option declarations and the config side ---------------


@pytest.mark.parametrize(
    "name",
    ["port", "httpPort", "listenPort", "rpc-port", "listening-port", "http_port", "HTTP_PORT"],
)
def test_port_names(name: str) -> None:
    assert port_named(name)


@pytest.mark.parametrize(
    "name", ["ports", "portal", "support", "transport", "passport", "report", "PORTS", "Ports"]
)
def test_not_port_names(name: str) -> None:
    assert not port_named(name)


SNAKE_CASE_TREE = {
    "grafana.nix": port_option("svc", "3000").replace("svc.port", "svc.http_port"),
    "proxy.nix": port_option("proxy", "config.svc.http_port + 1"),
    "host.nix": "{ ... }: { config.svc.http_port = 4000; }",
    "web.nix": (
        "{ config, ... }: "
        "{ config.services.web.port = config.services.grafana.settings.server.http_port or 3000; }"
    ),
}


@pytest.mark.nix
def test_a_snake_case_port_set_in_config_is_not_read_at_its_default(
    tmp_path: Path, portlint: Callable[..., Run]
) -> None:
    for name, text in SNAKE_CASE_TREE.items():
        (tmp_path / name).write_text(text + "\n")
    nix = {port.option: port.port for port in evaluate_tree_detailed(tmp_path).ports}
    assert nix["proxy.port"] == 4001  # host.nix's 4000, not the declared 3000, plus one
    result = portlint("ports", ".", "--format", "json", cwd=tmp_path)
    ours = {(entry["option"], entry["origin"]): entry for entry in json.loads(result.stdout)}
    proxy = ours["proxy.port", "option"]
    assert (proxy["state"], proxy["port"]) == ("unresolved", None)  # never the wrong 3001
    assert "also set in host.nix" in proxy["reason"]
    # `cfg.http_port or 3000` is a fallback like `cfg.port or 3000`.
    fallback = ours["services.grafana.settings.server.http_port", "fallback"]
    assert (fallback["port"], fallback["file"]) == (3000, "web.nix")


@pytest.mark.parametrize("kind", ["int", "port"])
def test_a_snake_case_int_option_is_a_port_by_name(kind: str) -> None:
    module = port_option("svc", "3000").replace("svc.port", "svc.http_port")
    (decl,) = extract_text(module.replace("types.port", f"types.{kind}"))
    assert (decl.option, decl.port) == ("svc.http_port", 3000)
    assert decl.origin is (Origin.OPTION_BY_NAME if kind == "int" else Origin.OPTION)


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
