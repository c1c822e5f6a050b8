"""`portlint FILE...`: the whole project is analyzed, the named paths' findings reported.

On a copy of the cairn fixture (tests/fixtures/cairn, EXPECTED.md section 3),
through the API and the real CLI. The expected lines are the whole project's
own lines for the named paths, so these tests hold whatever the rules say
about cairn; what narrowing must never print (a registry row for a module
argument, a PL009 for a default in another file) is asserted exactly.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import AXIOS, FIXTURES, REGISTRY, AxiosTree, Run

from axios_portlint.api import Named, UsageError, check, name_paths
from axios_portlint.narrow import within

CAIRN = FIXTURES / "cairn"
ROWS = "openspec/specs/networking/ports.md"
Portlint = Callable[..., Run]


@pytest.fixture
def cairn(tmp_path: Path) -> Path:
    root = tmp_path / "cairn"
    shutil.copytree(CAIRN, root)
    return root


def lines_in(output: str, *targets: str) -> list[str]:
    """The finding lines of a whole-project text report located in `targets`."""
    inside = within(targets)
    return [line for line in output.splitlines()[:-1] if inside(line.split(":", 1)[0])]


def summary(lines: list[str], files: int) -> str:
    """The text summary ruff-style: what `portlint` prints under `lines`."""
    noun = "file" if files == 1 else "files"
    if not lines:
        return f"All checks passed ({files} {noun} checked)."
    counts = {
        severity: sum(f" [{severity}] " in line for line in lines)
        for severity in ("error", "warning", "info")
    }
    found = "finding" if len(lines) == 1 else "findings"
    errors = "error" if counts["error"] == 1 else "errors"
    warnings = "warning" if counts["warning"] == 1 else "warnings"
    return (
        f"Found {len(lines)} {found} ({counts['error']} {errors}, "
        f"{counts['warning']} {warnings}, {counts['info']} info) in {files} {noun}."
    )


def expected_run(whole: Run, files: int, *targets: str) -> tuple[int, str]:
    lines = lines_in(whole.stdout, *targets)
    code = 1 if any(" [error] " in line for line in lines) else 0
    return code, "\n".join([*lines, summary(lines, files)]) + "\n"


# -- the API --------------------------------------------------------------------------


def test_a_named_file_keeps_exactly_the_whole_projects_findings_in_it(cairn: Path) -> None:
    whole = check(cwd=cairn)
    for target in ("modules/pim/default.nix", "home/ai/mcp.nix", ROWS):
        named = name_paths([Path(target)], cwd=cairn, root=cairn, registry=cairn / ROWS)
        assert named is not None
        report = check(cwd=cairn, named=named)
        assert report.findings == tuple(f for f in whole.findings if f.location.file == target)
        assert report.files_checked == 1
        # The analysis is the whole project's, whatever is reported.
        assert report.inventory == whole.inventory


def test_name_paths_spells_targets_from_a_subfolder(cairn: Path) -> None:
    named = name_paths(
        [Path("pim/default.nix"), Path("../" + ROWS)],
        cwd=cairn / "modules",
        root=cairn,
        registry=cairn / ROWS,
    )
    assert named == Named(
        targets=frozenset({"modules/pim/default.nix", ROWS}),
        inputs=(cairn / "modules" / "pim/default.nix",),
        registry=True,
    )
    # Naming the root is the whole project: nothing to narrow.
    assert name_paths([Path("..")], cwd=cairn / "modules", root=cairn) is None


def test_name_paths_refuses_paths_without_a_nix_file(cairn: Path) -> None:
    (cairn / "docs").mkdir()
    (cairn / "docs" / "notes.md").write_text("# notes\n")
    with pytest.raises(UsageError, match=r"^no Nix file found in 'docs'$"):
        name_paths([Path("docs")], cwd=cairn, root=cairn, registry=cairn / ROWS)
    with pytest.raises(UsageError, match=r"^no Nix file found in 'modules' with excludes '\*'$"):
        name_paths([Path("modules")], cwd=cairn, root=cairn, excludes=["*"])
    # The registry's folder holds no Nix file but the registry: that is a selection.
    named = name_paths([Path("openspec")], cwd=cairn, root=cairn, registry=cairn / ROWS)
    assert named is not None and named.registry


# -- the CLI: text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "files"),
    [
        ("modules/pim/default.nix", 1),
        ("home/ai/mcp.nix", 1),
        (ROWS, 1),
        ("modules", 6),
        ("home", 4),
        ("openspec", 1),
    ],
)
def test_a_path_argument_prints_the_whole_projects_lines_for_it(
    cairn: Path, portlint: Portlint, argument: str, files: int
) -> None:
    whole = portlint("--no-cache", cwd=cairn)
    run = portlint("--no-cache", argument, cwd=cairn)
    assert (run.code, run.stdout, run.stderr) == (*expected_run(whole, files, argument), "")


def test_a_module_argument_reports_no_registry_row_and_no_bogus_pl009(
    cairn: Path, portlint: Portlint
) -> None:
    """Issue 11: with only pim walked, every row was stale and pim's 443 unresolved."""
    run = portlint("--no-cache", "modules/pim/default.nix", cwd=cairn)
    assert not [line for line in run.stdout.splitlines() if line.startswith(ROWS)]
    assert "PL009" not in run.stdout
    assert run.stdout.endswith(" in 1 file.\n") or run.stdout == (
        "All checks passed (1 file checked).\n"
    )


def test_the_same_from_a_subfolder_through_links_and_absolute(
    cairn: Path, portlint: Portlint
) -> None:
    at_root = portlint("--no-cache", "modules/pim/default.nix", cwd=cairn)
    (cairn / "pim.nix").symlink_to("modules/pim/default.nix")
    (cairn / "mods").symlink_to("modules", target_is_directory=True)
    for argument, cwd in [
        ("pim/default.nix", cairn / "modules"),
        ("../../modules/pim/default.nix", cairn / "home" / "ai"),
        (str(cairn / "modules/pim/default.nix"), cairn / "home"),
        ("pim.nix", cairn),
        ("mods/pim", cairn),
    ]:
        run = portlint("--no-cache", argument, cwd=cwd)
        assert (run.code, run.stdout, run.stderr) == (at_root.code, at_root.stdout, ""), argument


def test_two_paths_report_both(cairn: Path, portlint: Portlint) -> None:
    whole = portlint("--no-cache", cwd=cairn)
    run = portlint("--no-cache", "home/ai/mcp.nix", ROWS, cwd=cairn)
    assert (run.code, run.stdout) == expected_run(whole, 2, "home/ai/mcp.nix", ROWS)


def test_an_excluded_file_named_is_still_checked_with_the_project(
    cairn: Path, portlint: Portlint
) -> None:
    """As ruff without --force-exclude: a file named on the command line is checked."""
    named = portlint("--no-cache", "home/ai/mcp.nix", cwd=cairn)
    excluded = portlint("--no-cache", "home/ai/mcp.nix", "--exclude", "mcp.nix", cwd=cairn)
    assert (excluded.code, excluded.stdout) == (named.code, named.stdout)
    # An excluded folder below a named one is neither analyzed nor counted.
    run = portlint("--no-cache", "modules", "--exclude", "modules/pim", cwd=cairn)
    assert "modules/pim/" not in run.stdout
    assert run.stdout.endswith(" in 5 files.\n") or run.stdout.endswith("(5 files checked).\n")


def test_exit_codes_are_computed_on_the_narrowed_findings(cairn: Path, portlint: Portlint) -> None:
    whole = portlint("--no-cache", cwd=cairn)
    info_only = [line for line in whole.stdout.splitlines() if " [info] " in line]
    assert info_only, "cairn has an info finding (the unresolved gateway port)"
    path = info_only[0].split(":", 1)[0]
    assert portlint("--no-cache", "--fail-on", "info", path, cwd=cairn).code == 1
    assert portlint("--no-cache", "--exit-zero", ROWS, cwd=cairn).code == 0
    assert portlint("--no-cache", "flake.nix", cwd=cairn).stdout == (
        "All checks passed (1 file checked).\n"
    )


# -- the CLI: other formats and --statistics --------------------------------------------


def test_json_sarif_github_and_statistics_are_narrowed(cairn: Path, portlint: Portlint) -> None:
    whole = json.loads(portlint("--no-cache", "--format", "json", cwd=cairn).stdout)
    document = json.loads(portlint("--no-cache", "--format", "json", ROWS, cwd=cairn).stdout)
    assert document["summary"]["files"] == 1
    assert document["findings"] == [f for f in whole["findings"] if f["file"] == ROWS]
    assert document["findings"]

    sarif = json.loads(portlint("--no-cache", "--format", "sarif", ROWS, cwd=cairn).stdout)
    uris = {
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for result in sarif["runs"][0]["results"]
    }
    assert uris == {ROWS}

    github = portlint("--no-cache", "--format", "github", ROWS, cwd=cairn).stdout.splitlines()
    assert len(github) == len(document["findings"])
    assert all(f"file={ROWS}," in line for line in github)

    statistics = portlint("--no-cache", "--statistics", ROWS, cwd=cairn).stdout.splitlines()
    counts = sum(int(line.split("\t")[0]) for line in statistics)
    assert counts == len(document["findings"])


# -- empty selections and paths that do not exist (EXPECTED.md section 4) ----------------


def test_paths_without_nix_files_are_usage_errors(
    cairn: Path, portlint: Portlint, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (cairn / "docs").mkdir()
    (cairn / "docs" / "notes.md").write_text("# notes\n")
    for args, message in [
        (["check", str(empty)], f"no Nix file found in '{empty}'"),
        (["--exclude", "*"], "no Nix file found in '.' with excludes '*'"),
        (["docs"], "no Nix file found in 'docs'"),
        (["modulse"], "path 'modulse' does not exist"),
    ]:
        run = portlint(*args, "--no-cache", cwd=cairn)
        assert (run.code, run.stdout, run.stderr) == (2, "", f"portlint: error: {message}\n")
    below = portlint("--no-cache", "../docs", cwd=cairn / "modules")
    assert below.stderr == "portlint: error: no Nix file found in '../docs'\n"


# -- paths of other projects ----------------------------------------------------------------


def test_a_path_in_another_project_is_checked_in_that_project(
    cairn: Path, axios_tree: AxiosTree, portlint: Portlint
) -> None:
    """Its root, settings and registry: as ruff reads each file's own settings."""
    axios_tree.edit("modules/pim/default.nix", "default = 8080;", "default = 8084;")
    there = portlint("--no-cache", "modules/pim", cwd=axios_tree.root)
    assert there.code == 1 and "PL005" in there.stdout
    here = portlint("--no-cache", axios_tree.root / "modules/pim", cwd=cairn)
    assert (here.code, here.stdout, here.stderr) == (there.code, there.stdout, "")


def test_paths_of_two_projects_are_a_usage_error(
    cairn: Path, axios_tree: AxiosTree, portlint: Portlint
) -> None:
    other = axios_tree.root / "modules"
    run = portlint("--no-cache", "modules", other, cwd=cairn)
    assert (run.code, run.stdout) == (2, "")
    assert run.stderr == (
        f"portlint: error: 'modules' and '{other}' belong to different projects: "
        "run portlint once per project\n"
    )


def test_a_file_in_no_project_joins_the_named_project(
    cairn: Path, portlint: Portlint, tmp_path: Path
) -> None:
    loose = tmp_path / "loose" / "extra.nix"
    loose.parent.mkdir()
    loose.write_text(
        "{ lib, ... }: { options.extra.port = lib.mkOption "
        "{ type = lib.types.port; default = 8080; }; }\n"
    )
    run = portlint("--no-cache", "modules/pim/default.nix", loose, cwd=cairn)
    # Analyzed with cairn: its 8080 meets pim's (a conflict needs both sides), and the
    # loose file is shown by its absolute path, being outside the project.
    assert f"\n{loose}:1:86: PL003 [error] " in "\n" + run.stdout
    assert run.stdout.splitlines()[-1].endswith(" in 2 files.")


# -- ports, sync, suggest and graph ----------------------------------------------------


def test_ports_of_a_path_are_resolved_with_the_whole_project(
    cairn: Path, portlint: Portlint
) -> None:
    """pim's named Tailscale Service takes 443 from the default in modules/networking/."""
    run = portlint("ports", "--no-cache", "pim", "--format", "json", cwd=cairn / "modules")
    entries = json.loads(run.stdout)
    assert {entry["file"] for entry in entries} == {"modules/pim/default.nix"}
    service = next(
        e for e in entries if e["option"] == "networking.tailscale.services.cairn-mail.port"
    )
    assert (service["port"], service["state"]) == (443, "known")
    whole = json.loads(portlint("ports", "--no-cache", "--format", "json", cwd=cairn).stdout)
    assert entries == [e for e in whole if e["file"] == "modules/pim/default.nix"]


@pytest.mark.parametrize(
    "command",
    [["registry", "sync", "--check"], ["suggest", "web"], ["graph", "--format", "mermaid"]],
    ids=["sync", "suggest", "graph"],
)
def test_whole_project_commands_read_the_whole_project_whatever_is_named(
    cairn: Path, portlint: Portlint, command: list[str]
) -> None:
    whole = portlint(*command, cwd=cairn)
    assert "Traceback" not in whole.stderr
    named = portlint(*command, "--", "pim/default.nix", cwd=cairn / "modules")
    assert (named.code, named.stdout, named.stderr) == (whole.code, whole.stdout, whole.stderr)


def test_the_example_project_of_make_run(portlint: Portlint) -> None:
    """tests/fixtures/axios.toml: the example as a project, from the repository root."""
    from conftest import ROOT

    run = portlint("--no-cache", "--config", "tests/fixtures/axios.toml", cwd=ROOT)
    assert (run.code, run.stdout) == (0, "All checks passed (7 files checked).\n")
    narrowed = portlint(
        "--no-cache", "--config", "tests/fixtures/axios.toml", AXIOS / "modules/pim", cwd=ROOT
    )
    assert (narrowed.code, narrowed.stdout) == (0, "All checks passed (1 file checked).\n")
    assert REGISTRY == ROOT / "ports.md"


# -- one CLI: help text -------------------------------------------------------------------

COMMANDS = [[], ["check"], ["ports"], ["explain"], ["rules"], ["registry"], ["registry", "sync"]]
COMMANDS += [["suggest"], ["graph"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "portlint")
def test_help_text_has_no_stray_spaces(
    portlint: Portlint, tmp_path: Path, command: list[str]
) -> None:
    result = portlint(*command, "--help", cwd=tmp_path)
    assert result.code == 0
    for line in result.stdout.splitlines():
        # The help column: what follows the option or command name and its padding.
        text = re.split(r" {2,}", line.strip(), maxsplit=1)[-1]
        assert "  " not in text, line
        assert not text.endswith(" ."), line
        assert " . " not in text and " , " not in text and " )" not in text, line
