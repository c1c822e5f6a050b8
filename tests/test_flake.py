"""flake.nix: valid Nix, lint-clean, and its outputs shaped as `nix run`/`nix flake check` need.

Nothing here fetches nixpkgs (no network but package registries), so the outputs are
evaluated against a stub `nixpkgs` that records what the flake asks of it: which Python
packages, which build options, which check command. That proves the flake's own logic
and attribute layout, not that nixpkgs provides each attribute; the flake's comments say
what was checked against nixpkgs' source and how.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import AXIOS, REGISTRY, ROOT, AxiosTree, Run

from axios_portlint import __version__

FLAKE = ROOT / "flake.nix"
NIX_INSTANTIATE = shutil.which("nix-instantiate")
SYSTEMS = ["aarch64-linux", "x86_64-linux"]
STORE_PATH = r"/nix/store/[0-9a-z]{32}-"

needs_nix = pytest.mark.nix

# A stand-in for the nixpkgs flake input: derivations are attrsets that keep their
# arguments, Python packages are named placeholders.
STUB_EVAL = r"""
root:
let
  flake = import (root + "/flake.nix");
  drv = attrs: attrs // {
    type = "derivation";
    outPath = "/nix/store/00000000000000000000000000000000-${attrs.pname or attrs.name}";
  };
  names = map (p: p.pname);
  lib = {
    genAttrs = keys: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) keys);
    getExe = p: "${p}/bin/${p.meta.mainProgram}";
    fileset = {
      unions = paths: map toString paths;
      toSource = { root, fileset }: { root = toString root; files = fileset; };
    };
    licenses.mit = "mit";
  };
  placeholder = pname: { name = pname; value = drv { inherit pname; }; };
  python3Packages =
    builtins.listToAttrs (map placeholder [ "setuptools" "tree-sitter" "networkx" "typer" ])
    // builtins.listToAttrs [ (placeholder "markdown-it-py") ]
    // {
    buildPythonApplication = drv;
    tree-sitter-grammars.tree-sitter-nix = drv { pname = "tree-sitter-grammars.tree-sitter-nix"; };
  };
  pkgsFor = system: {
    inherit python3Packages;
    runCommand = name: env: script: drv ({ inherit name script; } // env);
  };
  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] pkgsFor;
  };
  outputs = flake.outputs { self = outputs; inherit nixpkgs; };
  package = p: {
    inherit (p) pname version pyproject pythonRemoveDeps pythonRelaxDeps pythonImportsCheck src;
    mainProgram = p.meta.mainProgram;
    build-system = names p.build-system;
    dependencies = names p.dependencies;
  };
in
{
  systems = builtins.mapAttrs (_: builtins.attrNames) {
    inherit (outputs) packages apps checks;
  };
  outputs = builtins.mapAttrs (system: _: {
    package = package outputs.packages.${system}.default;
    app = outputs.apps.${system}.default;
    check = {
      inherit (outputs.checks.${system}.default) name script;
      tools = names outputs.checks.${system}.default.nativeBuildInputs;
    };
  }) outputs.packages;
}
"""


def nix_instantiate(*args: str) -> subprocess.CompletedProcess[str]:
    """Nix with its state in a temporary folder and no NIX_PATH: nothing but the flake."""
    assert NIX_INSTANTIATE is not None
    with tempfile.TemporaryDirectory(prefix="portlint-nix-") as state:
        env = {
            "PATH": os.pathsep.join([str(Path(NIX_INSTANTIATE).parent), "/usr/bin", "/bin"]),
            "HOME": state,
            "NIX_STATE_DIR": str(Path(state) / "state"),
            "NIX_LOG_DIR": str(Path(state) / "log"),
            "NIX_PATH": "",
            "LANG": "C.UTF-8",
        }
        return subprocess.run(
            [NIX_INSTANTIATE, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def evaluate(expression: str) -> Any:
    # --readonly-mode: paths in strings get their store paths computed, never copied.
    done = nix_instantiate("--eval", "--strict", "--json", "--readonly-mode", "-E", expression)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def stubbed() -> dict[str, Any]:
    result: dict[str, Any] = evaluate(f"({STUB_EVAL}) {ROOT}")
    return result


@needs_nix
def test_flake_parses() -> None:
    done = nix_instantiate("--parse", str(FLAKE))
    assert done.returncode == 0, done.stderr


@needs_nix
def test_flake_top_level() -> None:
    flake = evaluate(
        "let f = import ./flake.nix; in {"
        " description = f.description; inputs = f.inputs;"
        " outputsIsFunction = builtins.isFunction f.outputs;"
        " outputsArgs = builtins.functionArgs f.outputs; }"
    )
    assert isinstance(flake["description"], str) and "portlint" in flake["description"]
    assert flake["inputs"] == {"nixpkgs": {"url": "github:NixOS/nixpkgs/nixos-unstable"}}
    assert flake["outputsIsFunction"] is True
    assert flake["outputsArgs"] == {"nixpkgs": False, "self": False}


@needs_nix
def test_every_system_has_a_package_an_app_and_a_check(stubbed: dict[str, Any]) -> None:
    assert stubbed["systems"] == {"packages": SYSTEMS, "apps": SYSTEMS, "checks": SYSTEMS}


@needs_nix
def test_package_builds_this_project_with_its_dependencies(stubbed: dict[str, Any]) -> None:
    for outputs in stubbed["outputs"].values():
        package = outputs["package"]
        assert package["pname"] == "axios-portlint"
        assert package["version"] == __version__
        assert package["pyproject"] is True
        assert package["build-system"] == ["setuptools"]
        assert package["dependencies"] == [
            "tree-sitter",
            "tree-sitter-grammars.tree-sitter-nix",
            "networkx",
            "typer",
            "markdown-it-py",
        ]
        assert package["pythonRemoveDeps"] == ["tree-sitter-nix"]
        assert package["pythonImportsCheck"] == ["axios_portlint"]
        assert package["mainProgram"] == "portlint"
        assert package["src"]["root"] == str(ROOT)
        assert sorted(package["src"]["files"]) == [
            str(ROOT / "README.md"),
            str(ROOT / "axios_portlint"),
            str(ROOT / "pyproject.toml"),
        ]


@needs_nix
def test_app_runs_the_packaged_portlint(stubbed: dict[str, Any]) -> None:
    for outputs in stubbed["outputs"].values():
        assert outputs["app"]["type"] == "app"
        assert re.fullmatch(STORE_PATH + r"axios-portlint/bin/portlint", outputs["app"]["program"])


@needs_nix
def test_check_runs_portlint_on_the_example_tree(
    stubbed: dict[str, Any], portlint: Callable[..., Run]
) -> None:
    for outputs in stubbed["outputs"].values():
        check = outputs["check"]
        assert check["tools"] == ["axios-portlint"]
        command, touch = check["script"].strip().splitlines()
        assert touch.strip() == "touch $out"
        args = shlex.split(command)
        assert args[:2] == ["portlint", "check"]
        assert re.fullmatch(STORE_PATH + "modules", args[2])
        assert args[3] == "--registry"
        assert re.fullmatch(STORE_PATH + "ports.md", args[4])
    # The same command on the paths the store paths were made from.
    done = portlint("check", AXIOS / "modules", "--registry", REGISTRY, "--no-cache", cwd=ROOT)
    assert done.code == 0, done.stdout + done.stderr


def test_flake_declares_no_ports(portlint: Callable[..., Run]) -> None:
    done = portlint("ports", "flake.nix", "--format", "json", cwd=ROOT)
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_example_tree_with_the_flake_added_stays_clean(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    """The axios repository with this flake at its root, checked along with its modules."""
    shutil.copyfile(FLAKE, axios_tree.root / "flake.nix")
    done = portlint("check", "modules", "flake.nix", cwd=axios_tree.root)
    assert done.code == 0, done.stdout + done.stderr
    assert "8 files checked" in done.stdout
