"""Placement over many options in one long application, judged by Nix.

Options that are all arguments of one long application chain once took time
quadratic in the file to place (each climb rebuilt its ancestor chain from the
root and split the whole application again); `make bench` times the shape in its
scaling rows. These tests pin what the faster climbs say: the per-file parents
(parse.Ancestry) are the ones `ancestors` finds, and in a generated file of such
a chain the ports placed are exactly Nix's, through the CLI and the API.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from nixeval import evaluate_tree_detailed
from test_ports_differential import CliRun, _entries, disagreements
from tree_sitter import Node

from axios_portlint.extract import extract_file
from axios_portlint.model import SourceFile
from axios_portlint.parse import Ancestry, ancestors, parse_source

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

ARGUMENTS = 2_000
OPTIONS = 50
FIRST_DROPPED = 1_000  # the chain's option k defaults to FIRST_DROPPED + k

# Placed options around the chain, each through a different climb: a binding, a
# let-bound option, a generator, a submodule type, a list keyed by listToAttrs.
PLACED = {
    "services.before.port": 7001,
    "services.web.port": 7002,
    "services.gen.a.port": 7003,
    "services.gen.b.port": 7003,
    "pairs.p": 7005,
    "services.after.port": 7006,
}


def chain_module() -> str:
    """`drop` takes ARGUMENTS arguments and returns `{ }`: the OPTIONS options passed
    to it are no options for Nix, and an unplaced argument of `drop` for portlint."""
    every = ARGUMENTS // OPTIONS
    arguments = " ".join(
        f"(lib.mkOption {{ type = lib.types.port; default = {FIRST_DROPPED + i // every}; }})"
        if i % every == 0
        else "null"
        for i in range(ARGUMENTS)
    )
    return f"""{{ lib, ... }}:
let
  drop = n: if n == 0 then {{ }} else _: drop (n - 1);
  webPort = lib.mkOption {{ type = lib.types.port; default = 7002; }};
in
{{
  options.services.before.port = lib.mkOption {{ type = lib.types.port; default = 7001; }};
  options.dropped = drop {ARGUMENTS} {arguments};
  options.services.web.port = webPort;
  options.services.gen = lib.genAttrs [ "a" "b" ] (name: {{
    port = lib.mkOption {{ type = lib.types.port; default = 7003; }};
  }});
  options.pairs = builtins.listToAttrs [
    (lib.nameValuePair "p" (lib.mkOption {{ type = lib.types.port; default = 7005; }}))
  ];
  options.services.after = (drop 3 null null null) // {{
    port = lib.mkOption {{ type = lib.types.port; default = 7006; }};
  }};
}}
"""


def _nodes(root: Node) -> list[Node]:
    """Every node of the tree, in document order."""
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(reversed(node.children))
    return found


@pytest.mark.parametrize(
    "fixture", sorted(FIXTURES.glob("semantics/*.nix"))[:40], ids=lambda p: p.name
)
def test_ancestry_finds_the_ancestors_of_every_node(fixture: Path) -> None:
    """Descending at first, then (its budget spent) from one walk of the whole tree."""
    root = parse_source(SourceFile(fixture.name, fixture.read_bytes())).root
    ancestry = Ancestry(root)
    nodes = _nodes(root)
    for node in [*nodes, *reversed(nodes)]:
        assert list(ancestry.above(node)) == ancestors(root, node)


def test_ancestry_of_a_deep_chain_is_found_once_and_matches() -> None:
    root = parse_source(SourceFile("m.nix", chain_module().encode())).root
    ancestry = Ancestry(root)
    calls = [n for n in _nodes(root) if n.type == "apply_expression"]
    for node in calls[::97]:
        assert list(ancestry.above(node)) == ancestors(root, node)


def _api_ports(module: Path) -> list[tuple[str, int | None]]:
    result = extract_file(SourceFile(str(module), module.read_bytes()))
    return sorted((decl.option, decl.port) for decl in result.decls)


@pytest.mark.nix
def test_ports_placed_beside_a_long_application_are_nixs(tmp_path: Path) -> None:
    tree = tmp_path / "chain"
    tree.mkdir()
    module = tree / "m.nix"
    module.write_text(chain_module())
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "axios_portlint",
            "ports",
            "chain",
            "--no-cache",
            "--format",
            "json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    data = json.loads(done.stdout)
    for item in data:
        item["file"] = str(tmp_path / item["file"])
    entries = _entries(CliRun(done.returncode, json.dumps(data), done.stderr), tree)
    placed = [e for e in entries if e.option != "<unplaced>"]
    unplaced = [e for e in entries if e.option == "<unplaced>"]

    nix = evaluate_tree_detailed(tree)
    assert disagreements(nix, placed, [module]) == []
    assert sorted((n.option, n.port) for n in nix.ports) == sorted(PLACED.items())
    # Nix declares none of the chain's options; portlint places none of them anywhere.
    assert sorted(e.port or 0 for e in unplaced) == [FIRST_DROPPED + k for k in range(OPTIONS)]
    assert {e.raw["reason"] for e in unplaced} == {
        "cannot tell statically which option path this mkOption call declares: "
        "an argument of `drop`, whose result static reading cannot place"
    }
    # The API says the same as the CLI.
    assert _api_ports(module) == sorted((e.option, e.port) for e in entries)
