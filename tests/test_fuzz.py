"""Fuzzing: generated modules against the real Nix evaluator, mutated fixtures against crashes.

`make test` runs each property with a handful of examples; `make fuzz` runs the
same properties with FUZZ_FACTOR times as many (PORTLINT_FUZZ=1, see tests/fuzz/).

* Generated modules (tests/fuzz/nixgen.py): every port option Nix declares is
  extracted under its path with exactly Nix's default ("unresolved" only where Nix
  cannot evaluate it either), and nothing else is placed: the contract of
  tests/test_extract_differential.py.
* Mutated fixtures (tests/fuzz/mutate.py): whatever bytes the Nix files and the
  registry hold, discovery, extraction, the registry parser and the whole
  `api.check` pipeline return values; the CLI prints no traceback.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import AXIOS, REGISTRY, run_portlint
from fuzz import examples, fuzzing
from fuzz.mutate import NIX_FIXTURES, REGISTRY_FIXTURES, TOKENS, mutated_fixture
from fuzz.nixgen import Module, modules
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nixeval import evaluate_port_options_detailed
from test_extract_differential import disagreements

from axios_portlint.api import UsageError, check
from axios_portlint.discover.read import content_problem
from axios_portlint.extract import extract_file
from axios_portlint.model import Origin, SourceFile
from axios_portlint.registry import RegistryError, parse_registry, read_registry

BASE = settings(
    deadline=None,
    database=None,
    derandomize=not fuzzing(),  # `make test` is reproducible; `make fuzz` explores
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fuzz_settings(base_examples: int) -> settings:
    return settings(BASE, max_examples=examples(base_examples))


# --- generated modules against Nix ----------------------------------------------


@pytest.mark.nix
@fuzz_settings(25)
@given(module=modules())
def test_generated_module_agrees_with_nix(module: Module) -> None:
    with tempfile.TemporaryDirectory(prefix="portlint-fuzz-") as tmp:
        path = Path(tmp) / "module.nix"
        path.write_text(module.source)
        nix = tuple(evaluate_port_options_detailed(path))
    result = extract_file(SourceFile("module.nix", module.source.encode()))
    assert result.syntax_issue is None, f"{result.syntax_issue}\n{module.source}"
    decls = tuple(d for d in result.decls if d.origin is Origin.OPTION)
    problems = disagreements(nix, decls)
    assert not problems, "\n".join([*problems, "--- module.nix ---", module.source])


@pytest.mark.nix
@pytest.mark.parametrize("name", ["_", '"-a"', '"\'x"', '"é"'])
def test_option_path_spelling_of_odd_names(name: str, tmp_path: Path) -> None:
    source = (
        f"{{ lib, ... }}: {{ options.{name}.port = lib.mkOption "
        "{ type = lib.types.port; default = 1; }; }\n"
    )
    path = tmp_path / "module.nix"
    path.write_text(source)
    nix = tuple(evaluate_port_options_detailed(path))
    decls = extract_file(SourceFile("module.nix", source.encode())).decls
    assert disagreements(nix, decls) == []


# --- mutated fixtures never raise ------------------------------------------------


@fuzz_settings(150)
@given(case=mutated_fixture(NIX_FIXTURES))
def test_mutated_nix_file_never_raises(case: tuple[str, bytes]) -> None:
    """Discovery's content check, then extraction: a finding or a result, never an exception."""
    name, data = case
    problem = content_problem(name, data)
    if problem is not None:
        assert problem.path == name and problem.line >= 1 and problem.column >= 1
        return
    result = extract_file(SourceFile(name, data))
    lines = data.count(b"\n") + 1
    if result.syntax_issue is not None:
        assert 1 <= result.syntax_issue.location.line <= lines
    for decl in result.decls:
        assert 1 <= decl.location.line <= lines


@fuzz_settings(150)
@given(case=mutated_fixture(REGISTRY_FIXTURES))
def test_mutated_registry_never_raises(case: tuple[str, bytes]) -> None:
    name, data = case
    with tempfile.TemporaryDirectory(prefix="portlint-fuzz-") as tmp:
        path = Path(tmp) / "ports.md"
        path.write_bytes(data)
        try:
            registry = read_registry(path, "ports.md").registry
        except RegistryError as error:  # the one documented failure: not UTF-8
            assert "not valid UTF-8" in str(error)
            return
    lines = data.count(b"\n") + 1
    assert all(1 <= problem.line <= lines for problem in registry.problems)
    assert all(1 <= row.line <= lines for row in registry.rows)
    parse_registry(data.decode("utf-8-sig", errors="replace"), name)


@fuzz_settings(40)
@given(
    module=mutated_fixture(NIX_FIXTURES),
    registry=st.one_of(st.none(), mutated_fixture(REGISTRY_FIXTURES)),
)
def test_mutated_tree_check_never_raises(
    module: tuple[str, bytes], registry: tuple[str, bytes] | None
) -> None:
    """The whole pipeline (discover, extract, link, graph, rules, suppressions) in process."""
    with tempfile.TemporaryDirectory(prefix="portlint-fuzz-") as tmp:
        root = Path(tmp)
        shutil.copytree(AXIOS / "modules", root / "modules")
        shutil.copyfile(REGISTRY, root / "ports.md")
        (root / "modules" / "mutated.nix").write_bytes(module[1])
        if registry is not None:
            (root / "ports.md").write_bytes(registry[1])
        try:
            report = check([Path("modules")], Path("ports.md"), cwd=root)
        except UsageError as error:  # only an undecodable registry may stop the run
            assert registry is not None and "not valid UTF-8" in str(error)
            return
    assert len(report.inventory.files) + len(report.inventory.file_problems) == 8
    for finding in report.findings:
        assert finding.location.line >= 1 and finding.location.column >= 1


def _mutate(rng: random.Random, data: bytes) -> bytes:
    """A seeded twin of fuzz.mutate.mutations, for inputs built without hypothesis."""
    for _ in range(rng.randint(1, 8)):
        at = rng.randint(0, len(data))
        op = rng.choice(["flip", "delete", "token", "truncate", "duplicate"])
        if op == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]
        elif op == "delete":
            data = data[:at] + data[at + rng.randint(1, 64) :]
        elif op == "token":
            data = data[:at] + rng.choice(TOKENS) + data[at:]
        elif op == "truncate":
            data = data[:at]
        else:
            end = min(len(data), at + rng.randint(1, 200))
            data = data[:end] + data[at:end] + data[end:]
    return data


@pytest.mark.parametrize("seed", range(examples(2)))
def test_cli_on_a_tree_of_mutations_prints_no_traceback(seed: int, tmp_path: Path) -> None:
    """Sixty mutated fixtures and a mutated registry, through the real command."""
    rng = random.Random(seed)
    shutil.copytree(AXIOS / "modules", tmp_path / "modules")
    for index in range(60):
        source = rng.choice(NIX_FIXTURES).read_bytes()
        (tmp_path / "modules" / f"m{index:02d}.nix").write_bytes(_mutate(rng, source))
    registry = rng.choice(REGISTRY_FIXTURES).read_bytes()
    (tmp_path / "ports.md").write_bytes(_mutate(rng, registry) if seed % 2 else registry)
    for args in (["check", "modules", "--no-cache"], ["ports", "modules", "--format", "json"]):
        result = run_portlint(*args, cwd=tmp_path)
        assert "Traceback" not in result.stdout + result.stderr
        assert "internal error" not in result.stderr, result.stderr
        assert result.code in (0, 1, 2)
        if result.code == 2:  # the registry's bytes are not UTF-8: one line
            assert result.stderr.count("\n") == 1 and "not valid UTF-8" in result.stderr
