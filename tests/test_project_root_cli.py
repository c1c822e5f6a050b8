"""`portlint` finds its project root like git and ruff, and reports relative to it.

Through the real CLI: the same bytes from any subfolder, the whole project
(home/ included) when no path is given, settings and the cache at the root, and
an empty selection refused by every command that reads the tree.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES, AxiosTree, Run

from axios_portlint.commands.options import Flags, resolve

CAIRN = FIXTURES / "cairn"


@pytest.fixture
def cairn(tmp_path: Path) -> Path:
    root = tmp_path / "cairn"
    shutil.copytree(CAIRN, root)
    return root


@pytest.mark.parametrize("subfolder", ["modules", "home/ai", "openspec/specs"])
def test_cairn_output_is_the_same_bytes_from_a_subfolder(
    cairn: Path, subfolder: str, portlint: Callable[..., Run]
) -> None:
    at_root = portlint("--no-cache", cwd=cairn)
    below = portlint("--no-cache", cwd=cairn / subfolder)
    assert (below.code, below.stdout, below.stderr) == (at_root.code, at_root.stdout, "")
    # The whole project: home/ counts, and paths are relative to the root.
    assert "\nhome/ai/mcp.nix:23:14: PL009 " in "\n" + at_root.stdout
    assert at_root.stdout.endswith(" in 11 files.\n")


def test_axios_output_is_the_same_bytes_from_a_subfolder(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    at_root = portlint("check", "--no-cache", "--format", "json", cwd=axios_tree.root)
    below = portlint("check", "--no-cache", "--format", "json", cwd=axios_tree.root / "modules")
    assert (below.code, below.stdout) == (at_root.code, at_root.stdout)
    assert '"files": 7' in at_root.stdout


def test_no_path_walks_the_whole_project_not_only_modules(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    before = portlint("--no-cache", cwd=axios_tree.root)
    axios_tree.write("home/extra.nix", "{ services.extra.port = 17001; }\n")
    after = portlint("--no-cache", cwd=axios_tree.root / "modules")
    assert "home/extra.nix:1:" not in before.stdout
    assert "home/extra.nix:1:25: PL003 " in after.stdout


def test_the_cache_lives_at_the_root_and_is_never_walked(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    first = portlint("check", cwd=axios_tree.root / "modules")
    assert (axios_tree.root / ".portlint_cache").is_dir()
    assert not (axios_tree.root / "modules" / ".portlint_cache").exists()
    # A .nix file inside the cache would be walked if the cache were not excluded.
    (axios_tree.root / ".portlint_cache" / "stray.nix").write_text("{ x.port = 1; }\n")
    second = portlint("check", cwd=axios_tree.root)
    assert (second.code, second.stdout) == (first.code, first.stdout)


def test_settings_resolve_against_the_root(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    axios_tree.write("portlint.toml", 'ignore = ["ALL"]\n')
    result = portlint("--no-cache", cwd=axios_tree.root / "modules")
    assert (result.code, result.stdout) == (0, "All checks passed (7 files checked).\n")
    options = resolve(Flags(), axios_tree.root / "modules")
    assert (options.root, options.settings_file) == (axios_tree.root, "portlint.toml")
    assert options.cache_dir == axios_tree.root / ".portlint_cache"


def test_outside_any_project_the_root_is_the_working_folder(tmp_path: Path) -> None:
    folder = tmp_path / "nothing" / "here"
    folder.mkdir(parents=True)
    assert resolve(Flags(), folder).root == folder


def test_a_missing_path_is_shown_as_typed_from_a_subfolder(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    result = portlint("check", "--no-cache", "nowhere", cwd=axios_tree.root / "modules")
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == "portlint: error: path 'nowhere' does not exist\n"


@pytest.mark.parametrize(
    "command",
    [["check"], ["ports"], ["graph"], ["registry", "sync", "--check"], ["suggest", "web"]],
)
def test_an_empty_folder_is_a_usage_error_for_every_command(
    axios_tree: AxiosTree, portlint: Callable[..., Run], command: list[str]
) -> None:
    (axios_tree.root / "empty").mkdir()
    paths = ["--", "empty"] if command[0] == "suggest" else ["empty"]
    result = portlint(*command, "--no-cache", *paths, cwd=axios_tree.root)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == "portlint: error: no Nix file found in 'empty'\n"


def test_an_exclude_matching_everything_names_only_the_users_exclude(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    result = portlint("--no-cache", "--exclude", "*", cwd=axios_tree.root)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == "portlint: error: no Nix file found in '.' with excludes '*'\n"


# -- one CLI: the same discovery options everywhere, and check's output options ----------

TREE_OPTIONS = {"paths", "registry", "exclude", "config", "no_cache"}


@pytest.mark.parametrize("name", ["check", "ports", "suggest", "graph", "sync"])
def test_every_tree_reading_command_takes_the_same_discovery_options(name: str) -> None:
    import inspect

    from axios_portlint import cli

    function = getattr(cli, f"{'registry_' if name == 'sync' else ''}{name}_command")
    parameters = inspect.signature(function).parameters
    assert set(parameters) >= TREE_OPTIONS
    shared = {
        "paths": "PathsArgument",
        "registry": "RegistryOption",
        "exclude": "ExcludeOption",
        "config": "ConfigOption",
        "no_cache": "NoCacheOption",
    }
    # The module's annotations are strings (`from __future__ import annotations`).
    for key, alias in shared.items():
        assert parameters[key].annotation == alias, (name, key)
        assert hasattr(cli, alias)


def test_exit_zero_keeps_the_findings_and_exits_0(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    axios_tree.write("modules/extra.nix", "{ services.extra.port = 17001; }\n")
    failing = portlint("--no-cache", cwd=axios_tree.root)
    passing = portlint("--no-cache", "--exit-zero", cwd=axios_tree.root)
    assert failing.code == 1
    assert (passing.code, passing.stdout) == (0, failing.stdout)


def test_statistics_counts_findings_per_rule(cairn: Path, portlint: Callable[..., Run]) -> None:
    result = portlint("--no-cache", "--statistics", cwd=cairn)
    findings = portlint("--no-cache", cwd=cairn).stdout.splitlines()[:-1]
    lines = result.stdout.splitlines()
    assert result.code == 1
    counts = {line.split("\t")[1]: int(line.split("\t")[0]) for line in lines}
    expected = {code: sum(f" {code} [" in line for line in findings) for code in counts}
    assert counts == expected
    assert sum(counts.values()) == len(findings)
    # Most frequent first, each line `count<TAB>code<TAB>[severity] name`.
    assert [int(line.split("\t")[0]) for line in lines] == sorted(counts.values(), reverse=True)
    assert "\tPL009\t[info] unresolved-default" in result.stdout
    as_json = portlint("--no-cache", "--statistics", "--format", "json", cwd=cairn)
    assert '"code": "PL009"' in as_json.stdout and '"count": 1' in as_json.stdout


def test_quiet_prints_the_findings_only(cairn: Path, portlint: Callable[..., Run]) -> None:
    full = portlint("--no-cache", cwd=cairn)
    for flag in ("--quiet", "-q"):
        quiet = portlint("--no-cache", flag, cwd=cairn)
        assert (quiet.code, quiet.stdout) == (full.code, full.stdout.rsplit("Found ", 1)[0])


def test_quiet_on_a_clean_tree_prints_nothing(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    result = portlint("--no-cache", "-q", cwd=axios_tree.root)
    assert (result.code, result.stdout, result.stderr) == (0, "", "")


def test_output_file_is_written_from_the_working_folder(
    cairn: Path, portlint: Callable[..., Run]
) -> None:
    printed = portlint("--no-cache", "--format", "json", cwd=cairn)
    written = portlint(
        "--no-cache", "--format", "json", "--output-file", "report.json", cwd=cairn / "modules"
    )
    assert (written.code, written.stdout, written.stderr) == (printed.code, "", "")
    assert (cairn / "modules" / "report.json").read_text() == printed.stdout
    # The report is no Nix file: the next run finds the same.
    assert portlint("--no-cache", "--format", "json", cwd=cairn).stdout == printed.stdout


def test_output_file_that_cannot_be_written_is_one_line(
    cairn: Path, portlint: Callable[..., Run]
) -> None:
    result = portlint("--no-cache", "--output-file", "missing/report.txt", cwd=cairn)
    assert result.code == 2
    assert result.stderr.startswith("portlint: error: missing/report.txt: cannot write: ")
    assert result.stderr.count("\n") == 1


def test_check_help_has_no_stray_spaces(portlint: Callable[..., Run], tmp_path: Path) -> None:
    result = portlint("check", "--help", cwd=tmp_path)
    assert result.code == 0
    text = " ".join(result.stdout.split())
    assert " . " not in text and not text.endswith(" .") and " )" not in text
    for option in ("--exit-zero", "--statistics", "--quiet", "--output-file", "--no-cache"):
        assert option in text
    assert "Output format [default: text]." in text
    assert "exit code 1 [default: error]." in text
    assert "pyproject.toml [tool.portlint])." in text
