"""The commands layer: one resolved Options in, an Outcome (output, exit status) out.

Each command is called through the API here and compared with the real CLI,
which must print exactly the Outcome and exit with its code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import AXIOS, FIXTURES, REGISTRY, ROOT, AxiosTree, Run

from axios_portlint import api, graph
from axios_portlint.commands import Outcome
from axios_portlint.commands.check import check
from axios_portlint.commands.formats import GraphFormat, OutputFormat, SuggestFormat
from axios_portlint.commands.graph import graph as graph_command
from axios_portlint.commands.options import Flags, Options, merge, resolve
from axios_portlint.commands.ports import ports
from axios_portlint.commands.rules import explain, rules
from axios_portlint.commands.suggest import suggest_command
from axios_portlint.commands.sync import plan, sync
from axios_portlint.config import Settings
from axios_portlint.errors import UsageError
from axios_portlint.model import Severity
from axios_portlint.rules import Selection

Portlint = Callable[..., Run]
SYNC = FIXTURES / "registry-sync"


def sync_tree(root: Path) -> Path:
    shutil.copytree(SYNC / "modules", root / "modules")
    shutil.copyfile(SYNC / "ports.md", root / "ports.md")
    return root / "ports.md"


def assert_cli_prints(outcome: Outcome, run: Run) -> None:
    assert (run.stdout, run.stderr, run.code) == (outcome.stdout, outcome.stderr, outcome.exit_code)


# -- one resolved Options --------------------------------------------------------------


def test_flags_win_over_the_settings_file_which_wins_over_defaults(tmp_path: Path) -> None:
    settings = Settings(
        source="portlint.toml",
        paths=(tmp_path / "modules",),
        registry=tmp_path / "reg.md",
        exclude=("**/old/**",),
        selection=Selection(ignore=("PL007",)),
        fail_on=Severity.WARNING,
        format="json",
    )
    from_file = merge(Flags(), settings, tmp_path)
    assert from_file.paths == (tmp_path / "modules",)
    assert from_file.registry == tmp_path / "reg.md"
    assert from_file.excludes == ("**/old/**",)
    assert (from_file.fail_on, from_file.output_format) == (Severity.WARNING, "json")
    assert from_file.selection == (Selection(ignore=("PL007",)), Selection())
    assert from_file.cache_dir == tmp_path / ".portlint_cache"
    (tmp_path / "x").mkdir()
    flags = Flags(
        paths=(tmp_path / "x",),
        registry=tmp_path / "other.md",
        exclude=[],  # given, though empty: it replaces the file's excludes
        output_format="sarif",
        fail_on=Severity.INFO,
        select=["PL001,PL005"],
        no_cache=True,
    )
    from_flags = merge(flags, settings, tmp_path)
    # Typed paths narrow the report; the settings file's paths stay the tree analyzed.
    assert (from_flags.paths, from_flags.named) == ((tmp_path / "modules",), (tmp_path / "x",))
    assert from_flags.registry == tmp_path / "other.md"
    assert from_flags.excludes == ()
    assert (from_flags.fail_on, from_flags.output_format) == (Severity.INFO, "sarif")
    assert from_flags.selection[1] == Selection(select=("PL001", "PL005"))
    assert from_flags.cache_dir is None
    assert merge(Flags(), Settings(), tmp_path) == Options(
        cwd=tmp_path,
        root=tmp_path,
        selection=(Selection(), Selection()),
        cache_dir=tmp_path / ".portlint_cache",
    )


def test_resolve_reads_the_nearest_settings_file_once(tmp_path: Path) -> None:
    (tmp_path / "modules").mkdir()
    (tmp_path / "portlint.toml").write_text('paths = ["modules"]\nfail-on = "info"\n')
    options = resolve(Flags(), tmp_path, formats=[str(f) for f in OutputFormat])
    assert options.paths == (tmp_path / "modules",)
    assert options.fail_on is Severity.INFO
    assert options.settings_file == "portlint.toml"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (Flags(select=[" , "]), "--select: no rule code or prefix given"),
        (Flags(ignore=["PL9"]), "--ignore: unknown rule code or prefix 'PL9'"),
    ],
)
def test_bad_selectors_are_usage_errors(tmp_path: Path, flags: Flags, message: str) -> None:
    with pytest.raises(UsageError, match=f"^{message}$"):
        merge(flags, Settings(), tmp_path)


# -- check -----------------------------------------------------------------------------


def test_check_returns_the_report_and_exit_code(axios_tree: AxiosTree, portlint: Portlint) -> None:
    axios_tree.edit("modules/pim/default.nix", "default = 8080;", "default = 8090;")
    options = Options(cwd=axios_tree.root, root=axios_tree.root, output_format="json")
    outcome = check(options)
    assert outcome.exit_code == 1
    codes = [finding["code"] for finding in json.loads(outcome.stdout)["findings"]]
    assert "PL005" in codes
    assert_cli_prints(outcome, portlint("check", "--format", "json", cwd=axios_tree.root))
    relaxed = check(
        Options(cwd=axios_tree.root, root=axios_tree.root, selection=(Selection(ignore=("ALL",)),))
    )
    assert (relaxed.stdout, relaxed.exit_code) == ("All checks passed (7 files checked).\n", 0)


def test_check_report_keeps_what_sync_needs(axios_tree: AxiosTree) -> None:
    report = api.check(cwd=axios_tree.root)
    source = report.source
    assert source is not None  # None only for a check without a registry
    assert source.display == "ports.md"
    assert source.document.to_bytes() == axios_tree.registry.read_bytes()
    assert source.tables and report.registry is source.registry
    assert report.graph.registry is report.registry
    assert report.graph.decls == report.inventory.decls


# -- ports, rules, explain -------------------------------------------------------------


def test_ports_and_rules_print_their_outcome(axios_tree: AxiosTree, portlint: Portlint) -> None:
    root = axios_tree.root
    outcome = ports(Options(cwd=root, root=root, named=(root / "modules" / "pim",)))
    assert outcome.exit_code == 0
    assert outcome.stdout.endswith("\n3 port declarations.\n")
    assert_cli_prints(outcome, portlint("ports", "--no-cache", "pim", cwd=root / "modules"))
    assert_cli_prints(rules(), portlint("rules", cwd=ROOT))
    assert_cli_prints(explain("PL020"), portlint("explain", "PL020", cwd=ROOT))
    with pytest.raises(UsageError, match="unknown rule 'PL999'"):
        explain("PL999")


def test_listings_and_version_load_no_pipeline() -> None:
    """`--version`, `rules` and `explain` never import tree-sitter, networkx or markdown-it."""
    script = (
        "import sys, contextlib, io\n"
        "from axios_portlint.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    codes = [main(['--version']), main(['rules']), main(['explain', 'PL005'])]\n"
        "heavy = ('tree_sitter', 'networkx', 'markdown_it')\n"
        "heavy = sorted(m for m in heavy if m in sys.modules)\n"
        "print(codes, heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout == "[0, 0, 0] []\n"


# -- registry sync ---------------------------------------------------------------------


def test_sync_outcome_is_what_the_cli_prints(tmp_path: Path, portlint: Portlint) -> None:
    registry = sync_tree(tmp_path)
    before = registry.read_bytes()
    checked = sync(Options(cwd=tmp_path, root=tmp_path), check_only=True)
    assert checked.exit_code == 1
    assert checked.stdout.startswith("--- ports.md\n+++ ports.md\n")
    assert registry.read_bytes() == before
    assert_cli_prints(checked, portlint("registry", "sync", "--check", cwd=tmp_path))
    written = sync(Options(cwd=tmp_path, root=tmp_path))
    assert (written.exit_code, written.stderr) == (0, "")
    assert written.stdout.endswith("Updated ports.md: 9 changes.\n")
    assert registry.read_bytes() == (SYNC / "expected.md").read_bytes()
    again = sync(Options(cwd=tmp_path, root=tmp_path))
    assert again == Outcome("ports.md is in sync with the code.\n")


def test_sync_reads_parses_and_matches_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One read of the file, one parse of its tables, one PortGraph: sync reuses the check's."""
    registry = sync_tree(tmp_path)
    import axios_portlint.registry as reader

    counts = {"tables": 0, "graphs": 0}
    read_tables, port_graph = reader.read_tables, graph.PortGraph  # type: ignore[attr-defined]

    def counting_tables(text: str) -> object:
        counts["tables"] += 1
        return read_tables(text)

    class CountingGraph(port_graph):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object) -> None:
            counts["graphs"] += 1
            super().__init__(*args)

    monkeypatch.setattr(reader, "read_tables", counting_tables)
    monkeypatch.setattr(graph, "PortGraph", CountingGraph)
    result = plan(Options(cwd=tmp_path, root=tmp_path, registry=registry))
    assert result.changed
    assert counts == {"tables": 1, "graphs": 1}


def test_sync_reads_a_pipe_registry_once(tmp_path: Path) -> None:
    """`registry sync --check --registry <(git show main:ports.md)`: a pipe is read only once."""
    sync_tree(tmp_path)
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    data = (SYNC / "ports.md").read_bytes()

    def feed() -> None:
        with fifo.open("wb") as stream:
            stream.write(data)

    # A reader end held open lets the writer finish into the pipe's buffer first, so
    # the run reads the whole registry, then end of file, whatever the scheduling.
    keeper = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    writer = threading.Thread(target=feed)
    writer.start()
    writer.join(timeout=30)
    try:
        outcome = sync(Options(cwd=tmp_path, root=tmp_path, registry=fifo), check_only=True)
    finally:
        os.close(keeper)
    assert outcome.exit_code == 1
    assert outcome.stdout.startswith("--- pipe.md\n+++ pipe.md\n")


def test_sync_uses_pl005s_own_agreement() -> None:
    """One definition: what sync rewrites is exactly what PL005 calls a disagreement."""
    from axios_portlint.commands import sync as sync_module
    from axios_portlint.rules import pl005_registry_mismatch

    assert sync_module.agrees is pl005_registry_mismatch.agrees  # type: ignore[attr-defined]
    assert not hasattr(sync_module, "_agrees")


# -- suggest and graph -----------------------------------------------------------------


def test_suggest_outcomes(axios_tree: AxiosTree, portlint: Portlint) -> None:
    options = Options(cwd=axios_tree.root, root=axios_tree.root)
    full = suggest_command(options, "web")
    assert (full.stdout, full.exit_code) == ("", 1)
    assert full.stderr.startswith("portlint: error: web: the local range 8080-8089")
    assert_cli_prints(full, portlint("suggest", "web", cwd=axios_tree.root))
    listing = suggest_command(options, None, SuggestFormat.JSON)
    assert listing.exit_code == 0  # a listing is a report, even with a full range in it
    assert any("error" in entry for entry in json.loads(listing.stdout))
    assert_cli_prints(listing, portlint("suggest", "--format", "json", cwd=axios_tree.root))
    with pytest.raises(UsageError, match=r"no range in ports\.md is for 'nope'"):
        suggest_command(options, "nope")


def test_graph_without_a_registry_draws_the_code_only(tmp_path: Path) -> None:
    shutil.copytree(AXIOS / "modules", tmp_path / "modules")
    outcome = graph_command(Options(cwd=tmp_path, root=tmp_path), GraphFormat.MERMAID)
    assert outcome.exit_code == 0
    assert outcome.stdout.startswith("flowchart LR\n")
    assert "line " not in outcome.stdout  # no registry row was drawn
    shutil.copyfile(REGISTRY, tmp_path / "ports.md")
    with_rows = graph_command(Options(cwd=tmp_path, root=tmp_path), GraphFormat.MERMAID)
    assert "line " in with_rows.stdout


def test_graph_output_file_is_written_and_nothing_printed(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    options = Options(cwd=ROOT, root=ROOT, paths=(AXIOS / "modules",), registry=REGISTRY)
    outcome = graph_command(options, GraphFormat.DOT, target)
    assert outcome == Outcome()
    assert target.read_text().startswith("digraph")
    assert target.read_text() == graph_command(options).stdout
