"""Differential test: portlint's static extraction against the real Nix evaluator.

For every module file, every port option Nix declares must be reported by
portlint under the same option path, with exactly Nix's default (never a wrong
number, never missing). "unresolved" is exact only where Nix cannot evaluate the
default either; where Nix computes a value, an unresolved default is lost
precision and fails, except for the reviewed KNOWN_UNRESOLVED entries (each with
its reason; an entry portlint does resolve fails too, so the list cannot rot).
A portlint declaration Nix does not see, placed or not, is a false alarm.

The judge is tests/nixeval.py. It reads only the top module's `options`, so for
files with `imports` the judge is given a generated wrapper module that merges
the file's inline imported modules (attribute sets and functions, not paths:
portlint works per file) the way the module system does.

Cases where portlint disagrees are kept as strict xfails; each reason names
Nix's answer, portlint's answer and the extract/ function at fault.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import pytest
from _pytest.mark.structures import ParameterSet
from nixeval import ERROR, PortOption, evaluate_port_options_detailed

from axios_portlint.extract import extract_file
from axios_portlint.model import Origin, PortDecl, SourceFile, ValueState

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEMANTICS = FIXTURES / "semantics"
FORMS = FIXTURES / "forms"
AXIOS = FIXTURES / "axios" / "modules"

# fixture (relative to tests/fixtures) -> why portlint disagrees with Nix.
DISAGREEMENTS: dict[str, str] = {
    "semantics/options_mkif.nix": (
        "Nix: no option (nixpkgs does not push mkIf into `options` and rejects the module; "
        "the harness declares nothing); portlint: one unplaced declaration, reported as "
        "PL009 (it cannot place an option under mkIf and says so). Counted as a false "
        "alarm by this comparison; kept because the module is invalid either way."
    ),
    "semantics/submodule.nix": (
        "Nix: no port option (submodule options belong to each attrsOf entry); portlint: "
        "unplaced 'options.port'. _port_candidates yields candidates inside "
        "types.submodule arguments."
    ),
}

# (fixture, option path) -> why portlint leaves a default unresolved that Nix
# computes. Reviewed one by one: anywhere else "unresolved" for a value Nix knows
# fails the case, and so does an entry here that portlint does resolve.
_MERGED = (
    "the module's own config also defines the option it reads; needs evaluation of the "
    "merged config"
)
KNOWN_UNRESOLVED: dict[tuple[str, str], str] = {
    ("semantics/assert_default.nix", "axios.dns.port"): (
        "`assert builtins.isInt base; base`: needs evaluation of the assertion "
        "(builtins.isInt); Nix: 5353"
    ),
    ("semantics/cfg_chains.nix", "axios.mail.fromElsewhere.port"): (
        "`config.services.postfix.port or 25` reads another module's option (nixpkgs' "
        "postfix) that no file here declares: only evaluation of the whole system knows "
        "it; Nix, with no postfix module, takes the fallback 25"
    ),
    **{
        ("semantics/config_defined.nix", f"axios.web.{name}.httpsPort"): (
            f"`cfg.{name}.port + 363`: the module's own config section also defines "
            f"axios.web.{name}.port (under mkIf / mkDefault / mkOverride / mkMerge); "
            "needs evaluation of the merged config to know which definition wins"
        )
        for name in "abcde"
    },
    ("semantics/int_option_read.nix", "axios.web.tlsPort"): (
        "KNOWN BUG: `cfg.basePort + cfg.tlsOffset` reads tlsOffset, a `types.int` option "
        "of the same file that is not port-named: extraction leaves the read pending and "
        "extract/link.py then says no file declares it, which is wrong; Nix: 8443. Once "
        "fixed, also let tests/fuzz/nixgen.py read int options again"
    ),
    ("semantics/config_inherit.nix", "axios.gateway.tailscaleServe.httpsPort"): (
        f"`cfg.gateway.port + 363`: {_MERGED} (`config = {{ inherit axios; }}`: 9000)"
    ),
    ("semantics/config_inherit.nix", "axios.portal.tailscaleServe.httpsPort"): (
        f"`cfg.portal.port + 363`: {_MERGED} (`inherit (site) port;`: 9100)"
    ),
    ("semantics/config_inherit_from.nix", "axios.portal.tailscaleServe.httpsPort"): (
        f"`cfg.port + 363`: {_MERGED} (`inherit (site) port;`: 9100)"
    ),
    ("semantics/imports_config.nix", "axios.ntfy.tailscaleServe.httpsPort"): (
        f"`cfg.port + 363`: {_MERGED} (an inline import sets it to 2600)"
    ),
    ("forms/config_override.nix", "pim.tailscaleServe.httpsPort"): (
        f"`cfg.port + 363`: {_MERGED} (`lib.mkDefault 9000` beats the option default)"
    ),
    ("semantics/if_placement.nix", "axios.proxy.port"): (
        "declared in both branches of `if legacyLayout then ... else ...` with a "
        "let-bound `false` condition: placement does not fold the condition, so both "
        "declarations (80 and 8080) are unresolved; Nix takes the else branch: 8080"
    ),
    ("semantics/pkgs_builtins.nix", "axios.redis.sentinel.port"): (
        "`builtins.add upstreamPort 20000`: needs evaluation of builtins.add; Nix: 26379"
    ),
    ("semantics/pkgs_builtins.nix", "axios.redis.cluster.port"): (
        "`pkgs.redis.passthru.clusterPort or (...)`: needs pkgs (whether the attribute "
        "exists); Nix with the stub pkgs takes the fallback 16379"
    ),
    ("semantics/pkgs_builtins.nix", "axios.redis.exporter.port"): (
        "`builtins.head [ 9121 ]`: needs evaluation of builtins.head; Nix: 9121"
    ),
    ("semantics/shadowed_wrapper.nix", "axios.shadow.port"): (
        "`mkDefault 8080` calls a module-local function that shadows lib.mkDefault "
        "(`port: port + 100`): needs evaluation of a user function; Nix: 8180"
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
    """Option declarations only: the config side is judged by test_ports_differential."""
    try:
        decls = extract_file(SourceFile(str(path), path.read_bytes())).decls
        return tuple(d for d in decls if d.origin is Origin.OPTION)
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
    """Exact agreement: "unresolved" is right only where Nix cannot evaluate the default."""
    if option.default == ERROR:
        return decl.state is ValueState.UNRESOLVED
    if option.default is None:
        expected = ValueState.NULL if option.has_default else ValueState.ABSENT
        return decl.state is expected
    return decl.state is ValueState.KNOWN and decl.port == option.default


def disagreements(
    nix: tuple[PortOption, ...],
    decls: tuple[PortDecl, ...],
    known_unresolved: Mapping[str, str] | None = None,
) -> list[str]:
    """Every violation of the rule, as `nix says ... / portlint says ...` lines.

    `known_unresolved` (option path -> reason) are the options whose default
    portlint is known to leave unresolved although Nix computes it; anywhere
    else "unresolved" for a value Nix knows is lost precision. A listed option
    portlint does resolve (or Nix cannot evaluate) is a stale entry: a problem
    too, so the list cannot rot.
    """
    known = dict(known_unresolved or {})
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
        excused = _excused(option, found, known)
        problems.extend(
            f"wrong default: Nix says {option.path} = {answer}, portlint says {_show(decl)}"
            for decl in found
            if not _agrees(option, decl) and decl not in excused
        )
        if option.path in known and not excused:
            shown = ", ".join(_show(decl) for decl in found) or "nothing"
            problems.append(
                f"stale known-unresolved entry: {option.path} is listed ({known[option.path]}), "
                f"but Nix says {answer} and portlint says {shown}; remove the entry"
            )
    problems.extend(
        f"stale known-unresolved entry: {path} is listed, but Nix declares no such option; "
        "remove the entry"
        for path in known
        if path not in seen
    )
    problems.extend(
        f"false alarm: Nix declares no {path}, portlint reports {_show(decl)}"
        for path, found in placed.items()
        if path not in seen
        for decl in found
    )
    return problems


def _excused(option: PortOption, found: list[PortDecl], known: Mapping[str, str]) -> list[PortDecl]:
    """The declarations a known-unresolved entry covers: unresolved where Nix has a value."""
    if option.path not in known or option.default == ERROR:
        return []
    return [decl for decl in found if decl.state is ValueState.UNRESOLVED]


# --- tests --------------------------------------------------------------------


@pytest.mark.nix
@pytest.mark.parametrize("module", _cases())
def test_portlint_agrees_with_nix(module: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    nix = _nix_options(module, tmp_path_factory.getbasetemp())
    decls = _portlint(module)
    problems = disagreements(nix, decls, known_unresolved_in(module.relative_to(FIXTURES)))
    assert not problems, f"{module.name}:\n  " + "\n  ".join(problems)


def known_unresolved_in(case: Path) -> dict[str, str]:
    """The KNOWN_UNRESOLVED entries of one fixture: option path -> reason."""
    return {
        option: reason
        for (fixture, option), reason in KNOWN_UNRESOLVED.items()
        if fixture == case.as_posix()
    }


def test_every_listed_case_names_a_fixture() -> None:
    known = {path.relative_to(FIXTURES).as_posix() for path in _module_files()}
    listed = set(DISAGREEMENTS) | {fixture for fixture, _ in KNOWN_UNRESOLVED}
    assert sorted(listed - known) == []


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
    decls = extract_file(SourceFile("inline.nix", text.encode())).decls
    return tuple(d for d in decls if d.origin is Origin.OPTION)


def test_unresolved_is_lost_precision_unless_listed() -> None:
    """ "unresolved" agrees only with a Nix error, or where KNOWN_UNRESOLVED says why."""
    nix = (
        PortOption("a.port", "port", True, 8080),
        PortOption("b.port", "port", True, ERROR),
        PortOption("c.port", "port", True, 8082),
        PortOption("d.port", "port", True, 8083),
        PortOption("e.port", "port", True, ERROR),
    )
    decls = _portlint_of(
        """{ lib, ... }: let f = x: x; in {
          options.a.port = lib.mkOption { type = lib.types.port; default = f 8080; };
          options.b.port = lib.mkOption { type = lib.types.port; default = f 1; };
          options.c.port = lib.mkOption { type = lib.types.port; default = f 8082; };
          options.d.port = lib.mkOption { type = lib.types.port; default = 8083; };
          options.e.port = lib.mkOption { type = lib.types.port; default = f 1; };
        }"""
    )
    assert {d.option: d.state for d in decls} == {
        "a.port": ValueState.UNRESOLVED,
        "b.port": ValueState.UNRESOLVED,
        "c.port": ValueState.UNRESOLVED,
        "d.port": ValueState.KNOWN,
        "e.port": ValueState.UNRESOLVED,
    }
    assert disagreements(nix, decls) == [
        "wrong default: Nix says a.port = 8080, portlint says a.port = unresolved [line 2]",
        "wrong default: Nix says c.port = 8082, portlint says c.port = unresolved [line 4]",
    ]
    listed = {"c.port": "why", "d.port": "why", "e.port": "why", "z.port": "why"}
    problems = disagreements(nix, decls, listed)
    assert [(p.split(":")[0], re.findall(r"\b[a-z]\.port\b", p)[0]) for p in problems] == [
        ("wrong default", "a.port"),
        ("stale known-unresolved entry", "d.port"),
        ("stale known-unresolved entry", "e.port"),
        ("stale known-unresolved entry", "z.port"),
    ]
    assert "Nix says 8083 and portlint says d.port = 8083" in problems[1]
