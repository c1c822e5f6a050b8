"""flake.nix, evaluated against a stand-in nixpkgs: outputs, dependencies, checks, hooks.

Nothing here can fetch nixpkgs (the network reaches package registries only), so the
flake is evaluated against tests/flake/nixpkgs/flake.nix, a stand-in that has only the
attributes the flake may use, under nixpkgs' real names and versions, and fails on any
other attribute. That proves the flake's logic, its attribute names against that list,
and (emulating nixpkgs' pythonRuntimeDepsCheck) that pyproject.toml's requirements accept
nixpkgs' versions; not that a real nixpkgs builds it (docs/ci.md says what was verified).

Two evaluators: nix-instantiate (Debian's nix-bin) for the values, and, where the `nix`
command has flakes, `nix flake show` / `nix flake check --no-build` as a user runs them,
in a throwaway store, offline, with `--override-input nixpkgs path:<stand-in>`.
The scripts of the checks run for real, with the portlint of this checkout on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import AXIOS, REGISTRY, ROOT, AxiosTree, nix_required
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from axios_portlint import __version__

FLAKE = ROOT / "flake.nix"
STAND_IN = ROOT / "tests" / "flake" / "nixpkgs"
NIX_INSTANTIATE = shutil.which("nix-instantiate")
NIX = shutil.which("nix")
SYSTEMS = ["aarch64-darwin", "aarch64-linux", "x86_64-darwin", "x86_64-linux"]
STORE_PATH = r"/nix/store/[0-9a-z]{32}-"
# What the flake's source needs: the package's files and what its checks read.
FLAKE_SOURCES = ["flake.nix", "pyproject.toml", "README.md", "ports.md", "axios_portlint"]

needs_nix = pytest.mark.nix

# The flake's outputs with the stand-in as nixpkgs, `self` tied as Nix ties it.
OUTPUTS = f"""
let
  flake = import {ROOT}/flake.nix;
  nixpkgs = (import {STAND_IN}/flake.nix).outputs {{ self = null; }};
  outputs = flake.outputs {{ self = outputs // {{ outPath = {ROOT}; }}; inherit nixpkgs; }};
in
"""


def nix_env(state: str) -> dict[str, str]:
    """Nix with its state in a temporary folder and no NIX_PATH: nothing but the flake."""
    assert NIX_INSTANTIATE is not None
    return {
        "PATH": os.pathsep.join([str(Path(NIX_INSTANTIATE).parent), "/usr/bin", "/bin"]),
        "HOME": state,
        "NIX_STATE_DIR": str(Path(state) / "state"),
        "NIX_LOG_DIR": str(Path(state) / "log"),
        "NIX_PATH": "",
        "LANG": "C.UTF-8",
    }


def nix_instantiate(*args: str) -> subprocess.CompletedProcess[str]:
    assert NIX_INSTANTIATE is not None
    with tempfile.TemporaryDirectory(prefix="portlint-nix-") as state:
        return subprocess.run(
            [NIX_INSTANTIATE, *args],
            cwd=ROOT,
            env=nix_env(state),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def evaluate(body: str) -> Any:
    """`body` in the scope of the flake's `outputs` and the stand-in's `nixpkgs`."""
    # --readonly-mode: store paths are computed, never written.
    done = nix_instantiate("--eval", "--strict", "--json", "--readonly-mode", "-E", OUTPUTS + body)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def evaluation_error(body: str) -> str:
    done = nix_instantiate("--eval", "--strict", "--json", "--readonly-mode", "-E", OUTPUTS + body)
    assert done.returncode != 0, done.stdout
    return done.stderr


def requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(line) for line in project["dependencies"]]


@needs_nix
def test_flake_parses() -> None:
    done = nix_instantiate("--parse", str(FLAKE))
    assert done.returncode == 0, done.stderr


@needs_nix
def test_flake_top_level() -> None:
    flake = evaluate(
        "let f = import ./flake.nix; in {"
        " description = f.description; inputs = f.inputs;"
        " outputsArgs = builtins.functionArgs f.outputs; }"
    )
    assert "portlint" in flake["description"]
    # One input: a consumer's `follows` replaces it; no flake-parts needed to use the module.
    assert flake["inputs"] == {"nixpkgs": {"url": "github:NixOS/nixpkgs/nixos-unstable"}}
    assert flake["outputsArgs"] == {"nixpkgs": False, "self": False}


@needs_nix
def test_outputs_cover_linux_and_darwin() -> None:
    found = evaluate(
        "{ inherit (builtins.mapAttrs (_: builtins.attrNames)"
        " { inherit (outputs) packages apps checks devShells; }) packages apps checks devShells;"
        " top = builtins.attrNames outputs; lib = builtins.attrNames outputs.lib;"
        " overlays = builtins.attrNames outputs.overlays;"
        " flakeModules = builtins.attrNames outputs.flakeModules; }"
    )
    for output in ("packages", "apps", "checks", "devShells"):
        assert found[output] == SYSTEMS, output
    assert found["top"] == [
        "apps",
        "checks",
        "devShells",
        "flakeModules",
        "lib",
        "overlays",
        "packages",
    ]
    assert found["lib"] == ["gitHooksHook", "mkCheck"]
    assert found["overlays"] == ["default"]
    assert found["flakeModules"] == ["default"]


@needs_nix
def test_package_is_built_from_nixpkgs_python_packages() -> None:
    package = evaluate(
        "let p = outputs.packages.x86_64-linux.default; in {"
        " inherit (p) pname version pyproject pythonImportsCheck;"
        " mainProgram = p.meta.mainProgram; platforms = p.meta.platforms;"
        " build = map (d: d.pname) p.build-system;"
        " deps = map (d: d.pname) p.dependencies;"
        " relax = p.pythonRelaxDeps or [ ]; remove = p.pythonRemoveDeps or [ ]; }"
    )
    assert package["pname"] == "axios-portlint"
    assert package["version"] == __version__
    assert package["pyproject"] is True
    assert package["build"] == ["setuptools"]
    assert package["deps"] == [
        "tree-sitter",
        "python-tree-sitter-nix",
        "networkx",
        "typer",
        "markdown-it-py",
    ]
    # pyproject.toml fits nixpkgs as it is: nothing relaxed, nothing removed.
    assert package["relax"] == [] and package["remove"] == []
    assert package["pythonImportsCheck"] == [
        "axios_portlint",
        "axios_portlint.parse",
        "tree_sitter_nix",
    ]
    assert package["mainProgram"] == "portlint"
    assert package["platforms"] == [
        "x86_64-linux",
        "aarch64-linux",
        "x86_64-darwin",
        "aarch64-darwin",
    ]


@needs_nix
def test_requirements_accept_the_versions_nixpkgs_ships() -> None:
    """What pythonRuntimeDepsCheck does at the end of the build: every requirement of the
    package's metadata is met by a dependency's dist-info name and version."""
    dists = evaluate("map (d: d.dist) outputs.packages.x86_64-linux.default.dependencies")
    installed: dict[str, str] = {canonicalize_name(d["name"]): d["version"] for d in dists}
    assert installed["typer"].startswith("0.27.")
    assert installed["tree-sitter-nix"] == "0+unstable20250811"
    for requirement in requirements():
        name = canonicalize_name(requirement.name)
        assert name in installed, f"{requirement} has no package among the dependencies"
        assert requirement.specifier.contains(installed[name], prereleases=True), (
            f"nixpkgs' {name} {installed[name]} does not satisfy {requirement}"
        )


def test_requirements_accept_both_grammars_and_have_no_upper_bounds() -> None:
    by_name: dict[str, Requirement] = {canonicalize_name(r.name): r for r in requirements()}
    grammar = by_name["tree-sitter-nix"].specifier
    for version in ("0.1.0", "0.1.0+ff4e2b4", "0+unstable20250811"):
        assert grammar.contains(version), version
    for requirement in requirements():
        assert all(spec.operator == ">=" for spec in requirement.specifier), requirement
    assert "click" not in by_name, "the CLI takes click's classes from typer"


def test_lowest_versions_tested_in_ci_are_the_lower_bounds() -> None:
    script = (ROOT / ".ci" / "versions").read_text()
    lowest = dict(re.findall(r'^\s+"([a-z-]+)==([0-9.]+)"$', script, re.MULTILINE))
    for requirement in requirements():
        bound = next((s.version for s in requirement.specifier if s.operator == ">="), None)
        pinned = lowest[requirement.name]
        assert bound is None or pinned == bound or pinned.startswith(bound + "."), requirement
        assert requirement.specifier.contains(pinned), requirement


@needs_nix
def test_stand_in_fails_on_an_attribute_nixpkgs_lacks() -> None:
    error = evaluation_error("nixpkgs.legacyPackages.x86_64-linux.python3Packages.typer-slim")
    assert "attribute 'typer-slim' missing" in error
    error = evaluation_error("nixpkgs.legacyPackages.x86_64-linux.python3Packages.click")
    assert "attribute 'click' missing" in error


@needs_nix
def test_app_runs_the_packaged_portlint() -> None:
    apps = evaluate("builtins.mapAttrs (_: a: a.default) outputs.apps")
    for app in apps.values():
        assert app["type"] == "app"
        assert re.fullmatch(STORE_PATH + r"axios-portlint-[0-9.]+/bin/portlint", app["program"])


@needs_nix
def test_overlay_adds_portlint_built_with_the_final_package_set() -> None:
    found = evaluate(
        "let pkgs = nixpkgs.legacyPackages.aarch64-darwin;"
        " p = (outputs.overlays.default pkgs pkgs).portlint; in"
        " { inherit (p) pname system; }"
    )
    assert found == {"pname": "axios-portlint", "system": "aarch64-darwin"}


@needs_nix
def test_git_hooks_nix_hook_matches_the_pre_commit_hook() -> None:
    hook = evaluate("outputs.lib.gitHooksHook { pkgs = nixpkgs.legacyPackages.x86_64-linux; }")
    (manifest,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["enable"] is True
    assert hook["name"] == "portlint"
    assert re.fullmatch(STORE_PATH + r"axios-portlint-[0-9.]+/bin/portlint", hook["entry"])
    for key in ("files", "pass_filenames", "require_serial"):
        assert hook[key] == manifest[key], key


@needs_nix
def test_flake_module_adds_a_portlint_check_over_the_consumer_tree() -> None:
    """The module as flake-parts calls it: module arguments, then a perSystem module."""
    found = evaluate(
        "let"
        "  module = outputs.flakeModules.default {"
        "    inherit (nixpkgs) lib;"
        "    flake-parts-lib.mkPerSystemOption = m: m;"
        '    self = { outPath = "/consumer"; };'
        "  };"
        "  pkgs = nixpkgs.legacyPackages.x86_64-linux;"
        "  perSystem = module.options.perSystem {"
        "    inherit pkgs;"
        '    config.portlint = { src = "/consumer"; args = [ "--fail-on" "warning" ]; };'
        "  };"
        "in {"
        "  srcDefault = toString perSystem.options.portlint.src.default;"
        "  argsDefault = perSystem.options.portlint.args.default;"
        "  check = { inherit (perSystem.config.checks.portlint) name script; };"
        "}"
    )
    assert found["srcDefault"] == "/consumer"
    assert found["argsDefault"] == []
    assert found["check"]["name"] == "portlint-check"
    assert "cd /consumer\n" in found["check"]["script"]
    assert "portlint check --no-cache '--fail-on' 'warning'" in found["check"]["script"]


# The scripts of the checks, run as the builder would run them, with this checkout's
# portlint as `portlint`.


@pytest.fixture
def portlint_on_path(tmp_path: Path) -> Iterator[dict[str, str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "portlint"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m axios_portlint "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    env["PYTHONPATH"] = str(ROOT)
    yield env


def run_builder(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    out = cwd / "out"
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        env=dict(env, out=str(out)),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def store_to_checkout(script: str, paths: dict[str, Path]) -> str:
    """The store paths of sources in a script, mapped back to what they were made from."""
    for name, path in paths.items():
        script, count = re.subn(STORE_PATH + re.escape(name) + r"\b", str(path), script)
        assert count, f"{name} not in the script"
    return script


@needs_nix
def test_example_check_passes_and_keeps_usage_errors_one_line(
    portlint_on_path: dict[str, str], tmp_path: Path
) -> None:
    check = evaluate("{ inherit (outputs.checks.x86_64-linux.default) name script; }")
    assert check["name"] == "portlint-example-check"
    script = store_to_checkout(
        check["script"], {"modules": AXIOS / "modules", "ports.md": REGISTRY}
    )
    done = run_builder(script, portlint_on_path, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "out").exists()


@needs_nix
@pytest.mark.parametrize("broken", [False, True])
def test_mk_check_fails_on_findings_in_the_consumer_tree(
    broken: bool, axios_tree: AxiosTree, portlint_on_path: dict[str, str], tmp_path: Path
) -> None:
    if broken:
        axios_tree.edit("modules/services/immich.nix", "local = 2283;", "local = 11434;")
    script = evaluate(
        f"(outputs.lib.mkCheck {{ pkgs = nixpkgs.legacyPackages.x86_64-linux;"
        f' src = "{axios_tree.root}"; }}).script'
    )
    # The tree is read-only in the store: the check must not write a cache into it.
    axios_tree.root.chmod(0o555)
    try:
        done = run_builder(script, portlint_on_path, tmp_path)
    finally:
        axios_tree.root.chmod(0o755)
    assert (done.returncode != 0) is broken, done.stdout + done.stderr
    assert ("PL001" in done.stdout) is broken
    assert (tmp_path / "out").exists() is not broken


# `nix flake show` and `nix flake check --no-build`, as a user types them.


def nix_flakes_available() -> bool:
    if NIX is None or NIX_INSTANTIATE is None:
        return False
    with tempfile.TemporaryDirectory() as state:
        done = subprocess.run(
            [NIX, "--extra-experimental-features", "nix-command flakes", "flake", "--help"],
            env=nix_env(state),
            capture_output=True,
            timeout=60,
            check=False,
        )
    return done.returncode == 0


@pytest.fixture(scope="module")
def nix_flake(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if not nix_flakes_available():
        message = "no `nix` command with flakes (Debian's nix-bin has one)"
        if nix_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    assert NIX is not None
    work = tmp_path_factory.mktemp("flake")
    source = work / "portlint"
    source.mkdir()
    for name in FLAKE_SOURCES:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile
        copy(ROOT / name, source / name)
    shutil.copytree(AXIOS / "modules", source / "tests" / "fixtures" / "axios" / "modules")
    for cache in source.rglob("__pycache__"):
        shutil.rmtree(cache)
    state = work / "state"
    state.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                NIX,
                "--extra-experimental-features",
                "nix-command flakes",
                "--store",
                str(work / "store"),  # a throwaway store: nothing touches /nix
                *args,
                "--no-write-lock-file",
                "--override-input",
                "nixpkgs",
                f"path:{STAND_IN}",
                f"path:{source}",
            ],
            env=nix_env(str(state)),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    return run


def test_nix_flake_show_lists_every_output(nix_flake: Any) -> None:
    done = nix_flake("flake", "show", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    for system in SYSTEMS:
        assert shown["packages"][system]["default"]["name"] == f"axios-portlint-{__version__}"
        assert shown["apps"][system]["default"]["type"] == "app"
        assert shown["checks"][system]["default"]["name"] == "portlint-example-check"
        assert shown["devShells"][system]["default"]["type"] == "derivation"
    assert shown["overlays"]["default"]["type"] == "nixpkgs-overlay"


def test_nix_flake_check_evaluates_every_output(nix_flake: Any) -> None:
    done = nix_flake("flake", "check", "--no-build")
    assert done.returncode == 0, done.stderr
    # `lib` and `flakeModules` are outputs Nix does not know; nothing else is unknown.
    warnings = re.findall(r"unknown flake output '([^']+)'", done.stderr)
    assert sorted(warnings) == ["flakeModules", "lib"]


def test_flake_declares_no_ports() -> None:
    from conftest import run_portlint

    done = run_portlint(
        "ports", "--no-cache", "flake.nix", "tests/flake", "--format", "json", cwd=ROOT
    )
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout) == []
