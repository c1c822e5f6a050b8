"""Differential test: portlint's static extraction against the real Nix evaluator.

For every module file, every port option Nix declares must be reported by
portlint under the same option path, with a default that equals Nix's value or
is marked unresolved (never a wrong number, never missing). A portlint
declaration Nix does not see, placed or not, is a false alarm.

The judge is tests/nixeval.py. It reads only the top module's `options`, so for
files with `imports` the judge is given a generated wrapper module that merges
the file's inline imported modules (attribute sets and functions, not paths:
portlint works per file) the way the module system does.

Cases where portlint disagrees are kept as strict xfails; each reason names
Nix's answer, portlint's answer and the extract/ function at fault.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from _pytest.mark.structures import ParameterSet
from nixeval import ERROR, PortOption, evaluate_port_options_detailed, nix_available

from axios_portlint.extract import extract_file
from axios_portlint.model import PortDecl, SourceFile, ValueState

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEMANTICS = FIXTURES / "semantics"
FORMS = FIXTURES / "forms"
AXIOS = FIXTURES / "axios" / "modules"

NIX_MISSING = "nix-instantiate not found: install Debian's nix-bin (apt-get install nix-bin)"

pytestmark = pytest.mark.skipif(not nix_available(), reason=NIX_MISSING)

# fixture (relative to tests/fixtures) -> why portlint disagrees with Nix.
DISAGREEMENTS: dict[str, str] = {
    "semantics/dotted_merge.nix": (
        "Nix: axios.portal.api.port = 8081; portlint: known 9999. "
        "scope.Folder._scope_binding returns the first let binding named `ports` "
        "(the literal `{ web = ...; }`) and ignores the later `ports.api = ...` that Nix "
        "merges into it, so `ports.api or 9999` takes the fallback."
    ),
    "semantics/shadowed_wrapper.nix": (
        "Nix: axios.shadow.port = 8180; portlint: known 8080. "
        "scope.Folder._function_name falls back to the spelling `mkDefault` when the head "
        "evaluates to something other than a LibRef (here a let-bound lambda), so a local "
        "helper named like a lib wrapper is treated as pass-through."
    ),
    "semantics/inherit_from_options.nix": (
        "Nix: axios.vaultwarden.port = 8222, axios.vaultwarden.tailscaleServe.httpsPort = "
        "8585; portlint: both unplaced ('port', 'tailscaleServe.httpsPort'). "
        "_references/_consume_selection/_climb stop at `inherit (common) port tailscaleServe;` "
        "(parent inherit_from is not climbed) and _inherit_references only knows plain inherit."
    ),
    "semantics/update_options.nix": (
        "Nix: axios.jellyfin.port = 8096, axios.jellyfin.discoveryPort = 7359, "
        "axios.jellyseerr.port = 5056; portlint: all three unplaced (and the last with "
        "default 5055). _climb gives up at a binary_expression parent, so neither operand "
        "of `//` is placed, and the `// { default = ...; }` override is never seen."
    ),
    "semantics/helper_function.nix": (
        "Nix: axios.gitea.port = 3000, axios.gitea.tailscaleServe.httpsPort = 3363; "
        "portlint: one unplaced declaration with an unresolved default. _climb stops at a "
        "function_expression that is not the module function; the helper's calls "
        "(`mkPortOption 3000 ...`) are never followed."
    ),
    "semantics/genattrs_options.nix": (
        "Nix: axios.exporters.node.port = 9100, axios.exporters.redis.port = 9121; "
        "portlint: one unplaced 'port'. _climb stops at the lambda given to lib.genAttrs."
    ),
    "semantics/inherit_nested_body.nix": (
        "Nix: axios.vaultwarden.port = 8222, axios.vaultwardenAdmin.adminPort = 8223; "
        "portlint: both <unplaced>. _inherit_references walks only attrsets, bindings and "
        "parentheses of the let body, so `inherit port;` inside a nested let body (or a "
        "`with lib; { ... }`) is never found."
    ),
    "semantics/imports_function.nix": (
        "Nix: axios.ntfy.port = 2586; portlint: unplaced 'options.axios.ntfy.port'. "
        "_climb stops at the imported module's function_expression (only the file's own "
        "module function is climbed through)."
    ),
    "semantics/imports_config.nix": (
        "Nix: axios.ntfy.tailscaleServe.httpsPort = 2963 (the inline import defines "
        "axios.ntfy.port = 2600); portlint: known 2949. config.defined_config_paths reads "
        "only the top module's config section, not inline modules in `imports`."
    ),
    "semantics/options_mkif.nix": (
        "Nix: no option (properties are not pushed into `options`; nixpkgs rejects the "
        "module, the harness declares nothing); portlint: axios.legacy.port = 8000. "
        "_climb treats mkIf/mkMerge/... (TRANSPARENT_CALLS) as transparent in `options` too."
    ),
    "semantics/cfg_self_cycle.nix": (
        "Nix: axios.loop.port is an error (infinite recursion); portlint: RecursionError. "
        "Folder.eval memoises the ConfigRef of `cfg.port`, and Folder.fold -> resolve -> "
        "_option_default -> fold re-enters without a cycle guard."
    ),
    "semantics/cfg_mutual_bare_cycle.nix": (
        "Nix: axios.pair.a.port and b.port are errors (infinite recursion); portlint: "
        "RecursionError (same unguarded Folder.resolve -> _option_default -> fold loop)."
    ),
    "semantics/config_inherit.nix": (
        "Nix: axios.gateway.tailscaleServe.httpsPort = 9363, "
        "axios.portal.tailscaleServe.httpsPort = 9463; portlint: known 8363 and 8463. "
        "config._bindings skips `inherit` nodes, so `config = { inherit axios; };` defines "
        "nothing as far as _ConfigSide knows and the declared default is folded."
    ),
    "semantics/config_inherit_from.nix": (
        "Nix: axios.portal.tailscaleServe.httpsPort = 9463; portlint: known 8463. "
        "config._bindings skips `inherit (site) port;` inside config.axios.portal."
    ),
    "semantics/assert_default.nix": (
        "Nix: axios.dns.dot.port is an error (the assertion `cfg.enable` fails); portlint: "
        "known 853. Folder._eval folds assert_expression to its body without the condition."
    ),
    "semantics/let_wrapped_module.nix": (
        "Nix: axios.syncthing.port = 8384, axios.syncthing.tailscaleServe.httpsPort = 8747; "
        "portlint: both unplaced ('options.axios.syncthing...'). scope.module_function only "
        "accepts a function at the file's top, not under a let; _climb then stops at it."
    ),
    "semantics/if_placement.nix": (
        "Nix: axios.proxy.port = 8080 (the else branch); portlint: two declarations, "
        "known 80 and known 8080. _climb places both branches of an if_expression."
    ),
    "semantics/submodule.nix": (
        "Nix: no port option (submodule options belong to each attrsOf entry); portlint: "
        "unplaced 'options.port'. _port_candidates yields candidates inside "
        "types.submodule arguments."
    ),
    "semantics/unused_option.nix": (
        "Nix: only axios.box.port; portlint: also an <unplaced> declaration for the never-used "
        "let binding `spare`. _placements yields UNPLACED when a let-bound option has no "
        "reference instead of dropping it."
    ),
    "semantics/mkoption_inherit_default.nix": (
        "Nix: axios.minio.port = 9000, axios.minio.console.port = 9001; portlint: port "
        "absent, console.port missing. _field reads only `binding` children (not "
        "`inherit default;`) and needs a plain Attrs, so an Update argument "
        "(`portArgs // { ... }`) has no type and is skipped."
    ),
    "semantics/type_with.nix": (
        "Nix: services.axios-dns.dohPort = 443 and dotPort = null (nullOr port / u16); "
        "portlint: both missing. _is_port_type splits apply chains only at the top, so "
        "`with lib.types; nullOr port` (a with_expression) is neither an apply nor a LibRef "
        "and _spelled_path of a with_expression is empty."
    ),
}


# --- cases --------------------------------------------------------------------


def _module_files() -> Iterator[Path]:
    yield from sorted(SEMANTICS.glob("*.nix"))
    yield from sorted(FORMS.glob("*.nix"))
    yield from sorted(AXIOS.rglob("*.nix"))


def _cases() -> list[ParameterSet]:
    cases: list[ParameterSet] = []
    for path in _module_files():
        name = path.relative_to(FIXTURES).as_posix()
        reason = DISAGREEMENTS.get(name)
        marks = (
            [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)]
            if reason is not None
            else []
        )
        cases.append(pytest.param(path, id=name, marks=marks))
    return cases


# --- the judge ----------------------------------------------------------------

WRAPPER = """\
# Generated by test_extract_differential.py: {file} with its inline imports.
{{ config, lib, pkgs, options, osConfig, modulesPath, specialArgs, utils, ... }}@args:
let
  call = m: if builtins.isFunction m
    then m (builtins.intersectAttrs (builtins.functionArgs m) args)
    else m;
  inline = i: !(builtins.isPath i || builtins.isString i);
  expand = m: let v = call m; in
    [ v ] ++ builtins.concatMap expand (builtins.filter inline (v.imports or [ ]));
  modules = expand (import (/. + {file}));
  configOf = v:
    if v ? options || v ? config then v.config or {{ }}
    else removeAttrs v [ "imports" "_file" "key" "meta" "disabledModules" ];
in
{{
  options = builtins.foldl' lib.recursiveUpdate {{ }} (map (v: v.options or {{ }}) modules);
  config = lib.mkMerge (map configOf modules);
}}
"""


@cache
def _nix_options(path: Path, workdir: Path) -> tuple[PortOption, ...]:
    judged = path
    if b"imports" in path.read_bytes():
        judged = workdir / (path.stem + ".with-imports.nix")
        judged.write_text(WRAPPER.format(file=json.dumps(str(path))))
    return tuple(evaluate_port_options_detailed(judged))


def _portlint(path: Path) -> tuple[PortDecl, ...]:
    try:
        return extract_file(SourceFile(str(path), path.read_bytes())).decls
    except Exception as exc:  # a crash is a disagreement like any other
        raise AssertionError(f"portlint crashed: {type(exc).__name__}: {exc}") from exc


def _show(decl: PortDecl) -> str:
    value = decl.port if decl.state is ValueState.KNOWN else decl.state.value
    where = "" if decl.placed else " (unplaced)"
    return f"{decl.option or '<empty path>'}{where} = {value} [line {decl.location.line}]"


def _nix_answer(option: PortOption) -> str:
    if not option.has_default:
        return "no default"
    return "null" if option.default is None else str(option.default)


def _agrees(option: PortOption, decl: PortDecl) -> bool:
    if decl.state is ValueState.UNRESOLVED:
        return True
    if option.default == ERROR:
        return False
    if option.default is None:
        expected = ValueState.NULL if option.has_default else ValueState.ABSENT
        return decl.state is expected
    return decl.state is ValueState.KNOWN and decl.port == option.default


def disagreements(nix: tuple[PortOption, ...], decls: tuple[PortDecl, ...]) -> list[str]:
    """Every violation of the rule, as `nix says ... / portlint says ...` lines."""
    problems: list[str] = []
    placed: dict[str, list[PortDecl]] = {}
    for decl in decls:
        if decl.placed:
            placed.setdefault(decl.option, []).append(decl)
        else:
            problems.append(f"false alarm: portlint reports {_show(decl)}")
    seen = {option.path for option in nix}
    for option in nix:
        found = placed.get(option.path, [])
        answer = _nix_answer(option)
        if not found:
            problems.append(f"missing: Nix declares {option.path} = {answer}")
        problems.extend(
            f"wrong default: Nix says {option.path} = {answer}, portlint says {_show(decl)}"
            for decl in found
            if not _agrees(option, decl)
        )
    problems.extend(
        f"false alarm: Nix declares no {path}, portlint reports {_show(decl)}"
        for path, found in placed.items()
        if path not in seen
        for decl in found
    )
    return problems


# --- tests --------------------------------------------------------------------


@pytest.mark.parametrize("module", _cases())
def test_portlint_agrees_with_nix(module: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    nix = _nix_options(module, tmp_path_factory.getbasetemp())
    decls = _portlint(module)
    problems = disagreements(nix, decls)
    assert not problems, f"{module.name}:\n  " + "\n  ".join(problems)


def test_every_disagreement_names_a_fixture() -> None:
    known = {path.relative_to(FIXTURES).as_posix() for path in _module_files()}
    assert sorted(set(DISAGREEMENTS) - known) == []


@pytest.mark.parametrize("module", sorted(SEMANTICS.glob("*.nix")), ids=lambda p: p.name)
def test_semantics_fixture_has_leading_comment(module: Path) -> None:
    assert module.read_text().startswith("# Exercises: ")


def test_disagreements_flags_each_kind_of_violation() -> None:
    """The comparison itself: wrong numbers, misses and false alarms all count."""
    nix = (
        PortOption("a.port", "port", True, 8080),
        PortOption("b.port", "port", True, ERROR),
        PortOption("c.port", "nullOr port", True, None),
        PortOption("d.port", "port", False, None),
        PortOption("e.port", "port", True, 1),
    )
    decls = _portlint_of(
        """{ lib, ... }: {
          options.a.port = lib.mkOption { type = lib.types.port; default = 8081; };
          options.b.port = lib.mkOption { type = lib.types.port; default = 1; };
          options.c.port = lib.mkOption { type = lib.types.port; default = null; };
          options.d.port = lib.mkOption { type = lib.types.port; default = null; };
          options.f.port = lib.mkOption { type = lib.types.port; default = 2; };
        }"""
    )
    problems = disagreements(nix, decls)
    assert [p.split(":")[0] for p in problems] == [
        "wrong default",
        "wrong default",
        "wrong default",
        "missing",
        "false alarm",
    ]
    assert "Nix says a.port = 8080, portlint says a.port = 8081" in problems[0]


def _portlint_of(text: str) -> tuple[PortDecl, ...]:
    return extract_file(SourceFile("inline.nix", text.encode())).decls
