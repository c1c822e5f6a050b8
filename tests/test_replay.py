"""The whole-run cache (extract/replay.py): a replay prints what a fresh run prints,
and every input a finding depends on makes a change a miss.

Each invalidation test changes one input after a replay was primed, then checks
two things: the run was made anew (the pipeline ran), and its findings are those
of a check without any cache.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator

import pytest
from conftest import AxiosTree, Run, run_importtime

from axios_portlint import api
from axios_portlint.config import Listeners
from axios_portlint.extract import replay
from axios_portlint.extract.cache import CACHE_DIR, read_signed, signing_key
from axios_portlint.extract.replay import RUN_FILES
from axios_portlint.model import Finding
from axios_portlint.rules import Selection

CROSS_REFERENCES = "\n## Cross-References\n\n- [the notes](docs/notes.md)\n"


class Pipeline:
    """Counts the runs `check_cached` had to make (a replay makes none)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runs = 0
        real = api.check

        def counted(*args: object, **kwargs: object) -> api.Report:
            self.runs += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(api, "check", counted)


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    return Pipeline(monkeypatch)


def cached(tree: AxiosTree, **arguments: object) -> api.Checked:
    return api.check_cached(cwd=tree.root, cache_dir=tree.root / CACHE_DIR, **arguments)  # type: ignore[arg-type]


def fresh(tree: AxiosTree, **arguments: object) -> tuple[Finding, ...]:
    return api.check(cwd=tree.root, **arguments).findings  # type: ignore[arg-type]


def primed(tree: AxiosTree, pipeline: Pipeline, **arguments: object) -> api.Checked:
    """Two runs: the first makes and stores the findings, the second replays them."""
    first = cached(tree, **arguments)
    runs = pipeline.runs
    second = cached(tree, **arguments)
    assert pipeline.runs == runs, "an unchanged tree was checked again instead of replayed"
    assert second == first
    return second


def assert_made_anew(tree: AxiosTree, pipeline: Pipeline, **arguments: object) -> api.Checked:
    runs = pipeline.runs
    result = cached(tree, **arguments)
    assert pipeline.runs == runs + 1, "a changed input was answered from the run cache"
    assert result.findings == fresh(tree, **arguments)
    return result


def test_a_replay_gives_the_findings_and_file_count_of_a_fresh_run(
    axios_tree: AxiosTree, pipeline: Pipeline
) -> None:
    axios_tree.edit("modules/services/immich.nix", "local = 2283;", "local = 11434;")
    replayed = primed(axios_tree, pipeline)
    report = api.check(cwd=axios_tree.root)
    assert replayed.findings == report.findings and replayed.findings
    assert replayed.files == len(report.inventory.files) + len(report.inventory.file_problems)
    assert replayed.exit_code() == report.exit_code() == 1


def test_an_edited_module_is_a_miss(axios_tree: AxiosTree, pipeline: Pipeline) -> None:
    before = primed(axios_tree, pipeline)
    axios_tree.edit("modules/services/immich.nix", "local = 2283;", "local = 11434;")
    after = assert_made_anew(axios_tree, pipeline)
    assert after.findings != before.findings


def test_an_added_and_a_removed_module_are_misses(
    axios_tree: AxiosTree, pipeline: Pipeline
) -> None:
    before = primed(axios_tree, pipeline)
    added = axios_tree.write(
        "modules/services/extra.nix",
        "{ lib, ... }: { options.services.extra.port = lib.mkOption { default = 2283; }; }\n",
    )
    assert assert_made_anew(axios_tree, pipeline).files == before.files + 1
    primed(axios_tree, pipeline)
    added.unlink()
    # The tree is as it was: the first run, still kept, is replayed.
    assert primed(axios_tree, pipeline) == before


def test_a_syntax_error_is_a_miss(axios_tree: AxiosTree, pipeline: Pipeline) -> None:
    primed(axios_tree, pipeline)
    axios_tree.edit("modules/services/immich.nix", "local = 2283;", "local = 2283;;")
    after = assert_made_anew(axios_tree, pipeline)
    assert any(finding.code == "PL010" for finding in after.findings)


def test_an_edited_registry_is_a_miss(axios_tree: AxiosTree, pipeline: Pipeline) -> None:
    before = primed(axios_tree, pipeline)
    text = axios_tree.registry.read_text()
    axios_tree.registry.write_text(text.replace("| 8081 | 8444 |", "| 8091 | 8444 |", 1))
    assert assert_made_anew(axios_tree, pipeline).findings != before.findings


def test_a_cross_referenced_file_that_appears_or_goes_is_a_miss(
    axios_tree: AxiosTree, pipeline: Pipeline
) -> None:
    axios_tree.registry.write_text(axios_tree.registry.read_text() + CROSS_REFERENCES)
    missing = primed(axios_tree, pipeline)
    assert any(finding.code == "PL016" for finding in missing.findings)
    notes = axios_tree.write("docs/notes.md", "notes\n")
    found = assert_made_anew(axios_tree, pipeline)
    assert not any(finding.code == "PL016" for finding in found.findings)
    primed(axios_tree, pipeline)
    notes.unlink()
    assert assert_made_anew(axios_tree, pipeline) == missing


@pytest.mark.parametrize(
    "arguments",
    [
        {"selection": (Selection(select=("PL003",)),)},
        {"selection": (Selection(ignore=("PL0",)),)},
        {"excludes": ("modules/services",)},
        {"paths": ("modules/services",)},
        {"listeners": Listeners(local=("*.local",))},
    ],
    ids=["select", "ignore", "exclude", "paths", "listeners"],
)
def test_each_setting_of_the_run_is_part_of_its_key(
    axios_tree: AxiosTree, pipeline: Pipeline, arguments: dict[str, object]
) -> None:
    axios_tree.edit("modules/services/immich.nix", "local = 2283;", "local = 11434;")
    if "paths" in arguments:
        arguments = {"paths": tuple(axios_tree.root / p for p in arguments["paths"])}  # type: ignore[attr-defined]
    primed(axios_tree, pipeline)
    assert_made_anew(axios_tree, pipeline, **arguments)
    # Both runs are kept: going back and forth replays each.
    primed(axios_tree, pipeline)
    primed(axios_tree, pipeline, **arguments)


def test_other_code_or_libraries_are_a_miss(
    axios_tree: AxiosTree, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    primed(axios_tree, pipeline)
    monkeypatch.setattr(replay, "code_key", lambda: "other code")
    assert_made_anew(axios_tree, pipeline)
    primed(axios_tree, pipeline)
    monkeypatch.setattr(replay, "_library_stamp", lambda name: f"{name} 9.9")
    assert_made_anew(axios_tree, pipeline)


@pytest.mark.parametrize(
    "damage", ["forged", "edited", "foreign format", "bad entry", "another run's file"]
)
def test_a_damaged_or_forged_run_cache_is_a_miss(
    axios_tree: AxiosTree, pipeline: Pipeline, damage: str
) -> None:
    primed(axios_tree, pipeline)
    (path,) = (axios_tree.root / CACHE_DIR).glob(RUN_FILES)
    signature, _, payload = path.read_bytes().partition(b"\n")
    document = json.loads(payload)
    if damage == "forged":  # a cache with no findings, as one committed to hide them would be
        document["findings"] = []
        path.write_bytes(b"0" * 64 + b"\n" + json.dumps(document).encode())
    elif damage == "edited":
        path.write_bytes(signature + b"\n" + payload.replace(b'"files":', b'"files": '))
    elif damage == "another run's file":
        # Signed by this machine, but made for other inputs: stored under this run's name.
        primed(axios_tree, pipeline, selection=(Selection(ignore=("PL003",)),))
        (other,) = set((axios_tree.root / CACHE_DIR).glob(RUN_FILES)) - {path}
        other.replace(path)
    else:
        key = signing_key()
        assert key is not None
        if damage == "bad entry":
            document["findings"] = [["PL001"]]
        if damage == "foreign format":
            document["format"] = -1
        from axios_portlint.extract.cache import write_signed

        write_signed(path, key, document)
        assert read_signed(path, key) == document
    assert_made_anew(axios_tree, pipeline)


def test_only_the_last_runs_are_kept(axios_tree: AxiosTree, pipeline: Pipeline) -> None:
    codes = [f"PL0{n:02d}" for n in range(1, replay.KEPT_RUNS + 3)]
    for code in codes:
        primed(axios_tree, pipeline, selection=(Selection(ignore=(code,)),))
    assert len(list((axios_tree.root / CACHE_DIR).glob(RUN_FILES))) == replay.KEPT_RUNS
    # The last run is still there; the first is gone.
    primed(axios_tree, pipeline, selection=(Selection(ignore=(codes[-1],)),))
    assert_made_anew(axios_tree, pipeline, selection=(Selection(ignore=(codes[0],)),))


def test_check_cached_takes_every_argument_of_check() -> None:
    """A new argument of `check` changes findings: it must reach `check_cached` and its key.

    This catches the first half (the argument passed through); `_run_key` must then
    hash it, and a test here change it after a replay (see the parametrized one above).
    """
    own = inspect.signature(api.check).parameters
    cached_parameters = inspect.signature(api.check_cached).parameters
    # `discovered` is the walk check_cached hands on, not an input of the run.
    assert [(p.name, p.kind, p.default) for p in own.values() if p.name != "discovered"] == [
        (p.name, p.kind, p.default) for p in cached_parameters.values()
    ]


def test_no_cache_folder_keeps_no_run_cache(axios_tree: AxiosTree) -> None:
    checked = api.check_cached(cwd=axios_tree.root)
    assert checked.findings == fresh(axios_tree)
    assert not (axios_tree.root / CACHE_DIR).exists()


# -- through the CLI ------------------------------------------------------------------


@pytest.fixture
def failing_tree(axios_tree: AxiosTree) -> Iterator[AxiosTree]:
    """The example with findings of several rules, so that every format has lines."""
    axios_tree.edit("modules/services/immich.nix", "local = 2283;", "local = 11434;")
    axios_tree.registry.write_text(axios_tree.registry.read_text() + CROSS_REFERENCES)
    yield axios_tree


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "github"])
def test_a_replay_prints_the_bytes_of_an_uncached_run(
    failing_tree: AxiosTree, portlint: Callable[..., Run], output_format: str
) -> None:
    args = ("check", "--format", output_format)
    uncached = portlint(*args, "--no-cache", cwd=failing_tree.root)
    made = portlint(*args, cwd=failing_tree.root)
    replayed = portlint(*args, cwd=failing_tree.root)
    assert uncached.code == made.code == replayed.code == 1
    assert uncached.stdout == made.stdout == replayed.stdout
    assert uncached.stderr == made.stderr == replayed.stderr == ""
    assert any((failing_tree.root / CACHE_DIR).glob(RUN_FILES))


def test_a_changed_settings_file_is_a_miss(
    failing_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    first = portlint("check", cwd=failing_tree.root)
    assert first.code == 1
    (failing_tree.root / "portlint.toml").write_text('ignore = ["PL003", "PL005", "PL016"]\n')
    ignored = portlint("check", cwd=failing_tree.root)
    assert ignored.stdout == portlint("check", "--no-cache", cwd=failing_tree.root).stdout
    assert ignored.stdout != first.stdout
    (failing_tree.root / "portlint.toml").write_text('exclude = ["modules/services"]\n')
    excluded = portlint("check", cwd=failing_tree.root)
    assert excluded.stdout == portlint("check", "--no-cache", cwd=failing_tree.root).stdout
    assert excluded.stdout != first.stdout


def test_a_replay_imports_neither_networkx_nor_markdown_it(failing_tree: AxiosTree) -> None:
    def imports() -> str:
        completed = run_importtime("check", cwd=failing_tree.root)
        assert completed.returncode == 1, completed.stderr
        return completed.stderr

    assert "networkx" in imports()  # the first run builds the graph and stores its findings
    replayed = imports()
    # Nor the model's dataclasses behind declarations, registries and hosts, nor a rule.
    unused = (
        "networkx",
        "markdown_it",
        "tree_sitter",
        "importlib.metadata",
        "axios_portlint.model",
    )
    for module in unused:
        assert f" {module}\n" not in replayed, f"a replay imported {module}"
    assert " axios_portlint.rules.pl0" not in replayed, "a replay imported a rule"
    assert " axios_portlint.model_base\n" in replayed  # the probe sees our modules


def test_errors_come_in_the_order_of_an_uncached_run(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    """The run cache walks the tree before `check` would: the same error speaks first."""
    (axios_tree.root / "empty").mkdir()
    (axios_tree.root / "folder.md").mkdir()
    args = ("check", "empty", "--registry", "folder.md")
    uncached = portlint(*args, "--no-cache", cwd=axios_tree.root)
    cached_run = portlint(*args, cwd=axios_tree.root)
    assert uncached.code == cached_run.code == 2
    # Named paths are checked first: an empty selection is the error, cached or not.
    assert uncached.stderr == cached_run.stderr == "portlint: error: no Nix file found in 'empty'\n"


def test_the_run_key_tells_every_path_and_stat_field_apart() -> None:
    files: list[tuple[str, tuple[int, ...]]] = [
        ("a.nix", (1, 2, 3, 4, 5)),
        ("b/c.nix", (6, 7, 8, 9, 10)),
    ]
    keys = {replay.run_key([], files)}
    for index in range(2):
        path, signature = files[index]
        for field in range(len(signature)):
            changed = list(files)
            bumped = list(signature)
            bumped[field] += 1
            changed[index] = (path, tuple(bumped))
            keys.add(replay.run_key([], changed))
    keys.add(replay.run_key([], [("a.nix\0b", (1, 2, 3, 4, 5)), ("c.nix", (6, 7, 8, 9, 10))]))
    keys.add(replay.run_key([], [("a.nix", (1, 2, 3, 4, 5))]))
    # An inode number beyond 64 signed bits (packed as text instead) is still a key.
    keys.add(replay.run_key([], [("a.nix", (1, 2, 3, 2**64 - 1, 5))]))
    keys.add(replay.run_key([], [("a.nix", (1, 2, 3, 2**64 - 2, 5))]))
    assert len(keys) == 15
