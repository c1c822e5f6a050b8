"""The real `portlint` command: output formats, default command, exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from conftest import ROOT, SEED_REGISTRY, AxiosTree, Run

from axios_portlint.cli import _app_running, _command_names, app, main
from axios_portlint.cli.compat import ClickException

Portlint = Callable[..., Run]
FINDING_LINE = re.compile(r"^[^:]+:\d+:\d+: PL\d{3} \[(error|warning|info)\] .+$")


def test_make_run_command_is_clean(portlint: Portlint) -> None:
    """`make run`: the example as a project of its own (the repository holds many trees)."""
    assert "portlint check --config $(EXAMPLE)" in (ROOT / "Makefile").read_text()
    result = portlint("check", "--config", "tests/fixtures/axios.toml", "--no-cache", cwd=ROOT)
    assert result.code == 0, result.stdout + result.stderr
    assert result.stdout == "All checks passed (7 files checked).\n"
    assert result.stderr == ""


def test_default_command_and_defaults(axios_tree: AxiosTree, portlint: Portlint) -> None:
    """`portlint` alone checks ./modules against ./ports.md, like `portlint check modules/`."""
    bare = portlint(cwd=axios_tree.root)
    explicit = portlint("check", "modules/", cwd=axios_tree.root)
    implicit = portlint("modules/", cwd=axios_tree.root)
    assert bare.code == explicit.code == implicit.code == 0
    assert bare.stdout == explicit.stdout == implicit.stdout


def test_findings_are_sorted_lines_with_a_summary(
    axios_tree: AxiosTree, portlint: Portlint
) -> None:
    axios_tree.edit("modules/services/immich.nix", "local = 2283;", "local = 11434;")
    axios_tree.edit("modules/desktop/default.nix", "default = 1;", "default = 1")
    result = portlint("modules", cwd=axios_tree.root)
    assert result.code == 1
    *lines, summary = result.stdout.splitlines()
    assert all(FINDING_LINE.match(line) for line in lines), lines
    assert [line.split(": ")[1].split()[0] for line in lines] == ["PL010", "PL001", "PL005"]
    assert lines[0].startswith("modules/desktop/default.nix:")
    assert summary == "Found 3 findings (3 errors, 0 warnings, 0 info) in 7 files."


def test_json_output(axios_tree: AxiosTree, portlint: Portlint) -> None:
    axios_tree.edit("modules/ai/default.nix", "default = 8453;", "default = 8454;")
    result = portlint("--format", "json", cwd=axios_tree.root)
    assert result.code == 1
    document = json.loads(result.stdout)
    assert document["version"] == 1
    assert document["summary"] == {
        "files": 7,
        "findings": 1,
        "errors": 1,
        "warnings": 0,
        "info": 0,
    }
    (finding,) = document["findings"]
    assert finding["code"] == "PL005"
    assert finding["severity"] == "error"
    assert finding["file"] == "modules/ai/default.nix"
    assert finding["option"] == "services.ai.local.tailscaleServe.httpsPort"
    assert finding["port"] == 8454
    assert {"line", "column", "message"} <= set(finding)


def test_fail_on_controls_the_exit_code(axios_tree: AxiosTree, portlint: Portlint) -> None:
    axios_tree.edit(
        "modules/ai/default.nix", "default = upstreamPort;", "default = pkgs.ollamaPort;"
    )
    assert portlint(cwd=axios_tree.root).code == 0
    assert portlint("--fail-on", "warning", cwd=axios_tree.root).code == 0
    assert portlint("--fail-on", "info", cwd=axios_tree.root).code == 1


def test_ports_inventory_json(axios_tree: AxiosTree, portlint: Portlint) -> None:
    result = portlint("ports", "--no-cache", "modules", "--format", "json", cwd=axios_tree.root)
    assert result.code == 0
    entries = json.loads(result.stdout)
    by_option = {entry["option"]: entry for entry in entries}
    assert by_option["pim.tailscaleServe.httpsPort"] == {
        "option": "pim.tailscaleServe.httpsPort",
        "kind": "tailscale",
        "origin": "option",
        "port": 8443,
        "end_port": None,
        "state": "known",
        "expression": "cfg.port + 363",
        "file": "modules/pim/default.nix",
        "line": 28,
        "column": 19,
        "reason": None,
        "name": None,
        "reads": None,
        "exposes": None,
        "protocol": "unknown",
        "role": "listener",
        "why": "name `httpsPort`; Tailscale Serve",
    }
    config_side = by_option["services.open-webui.port"]
    assert (config_side["origin"], config_side["port"], config_side["reads"]) == (
        "config",
        8081,
        "services.ai.webui.port",
    )
    assert by_option["pim.pwa.httpsPort"]["kind"] == "other"
    assert by_option["pim.pwa.httpsPort"]["role"] == "client"
    assert by_option["pim.pwa.httpsPort"]["why"] == 'description "connects to"'
    assert sorted(e["kind"] for e in entries).count("tailscale") == 4


def test_ports_json_marks_unresolved_as_null(axios_tree: AxiosTree, portlint: Portlint) -> None:
    axios_tree.edit(
        "modules/ai/default.nix", "default = upstreamPort;", "default = pkgs.ollamaPort;"
    )
    entries = json.loads(portlint("ports", "--format", "json", cwd=axios_tree.root).stdout)
    entry = next(e for e in entries if e["option"] == "services.ai.local.port")
    assert entry["port"] is None
    assert entry["state"] == "unresolved"
    assert entry["expression"] == "pkgs.ollamaPort"


def test_ports_table(axios_tree: AxiosTree, portlint: Portlint) -> None:
    result = portlint("ports", "--no-cache", "modules", cwd=axios_tree.root)
    assert result.code == 0
    assert result.stdout.splitlines()[0].split() == [
        "OPTION",
        "KIND",
        "ORIGIN",
        "PORT",
        "PROTO",
        "LOCATION",
        "WHY",
        "EXPRESSION",
    ]
    assert result.stdout.endswith("12 port declarations.\n")


def test_registry_found_under_openspec(axios_tree: AxiosTree, portlint: Portlint) -> None:
    target = axios_tree.root / "openspec/specs/networking/ports.md"
    target.parent.mkdir(parents=True)
    shutil.move(axios_tree.registry, target)
    assert portlint(cwd=axios_tree.root).code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--registry", "missing.md"], "portlint: error: missing.md: registry file not found"),
        (["nowhere/"], "portlint: error: path 'nowhere' does not exist"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    axios_tree: AxiosTree, portlint: Portlint, args: list[str], message: str
) -> None:
    result = portlint(*args, cwd=axios_tree.root)
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == message


def test_missing_registry_is_a_usage_error(tmp_path: Path, portlint: Portlint) -> None:
    (tmp_path / "modules").mkdir()
    result = portlint(cwd=tmp_path)
    assert result.code == 2
    assert "no port registry found" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_option_and_bad_choice_exit_2(axios_tree: AxiosTree, portlint: Portlint) -> None:
    assert portlint("--bogus", cwd=axios_tree.root).code == 2
    assert portlint("--format", "yaml", cwd=axios_tree.root).code == 2
    assert portlint("--fail-on", "fatal", cwd=axios_tree.root).code == 2


def test_seed_registry_through_the_cli(tmp_path: Path, portlint: Portlint) -> None:
    (tmp_path / "modules").mkdir()
    # A module without ports: an empty folder would be an empty selection (exit 2).
    (tmp_path / "modules" / "default.nix").write_text("{ }\n")
    result = portlint("--registry", SEED_REGISTRY, cwd=tmp_path)
    assert result.code == 1
    codes = [line.split(": ")[1].split()[0] for line in result.stdout.splitlines()[:-1]]
    # An empty tree: the seed's one Active row has no code, and the registry contradicts itself
    # (its web reservation overlapping two allocations is one finding, at the reservation).
    assert codes == ["PL004"] + ["PL008"] * 5


def test_version(portlint: Portlint) -> None:
    result = portlint("--version", cwd=ROOT)
    assert result.code == 0
    assert re.fullmatch(r"portlint \d+\.\d+\.\d+\n", result.stdout)


def test_main_in_process(axios_tree: AxiosTree, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(axios_tree.root)
    assert main([]) == 0
    axios_tree.edit("modules/pim/default.nix", "default = 8080;", "default = 8081;")
    assert main(["check"]) == 1


def test_main_in_process_puts_the_collector_back(axios_tree: AxiosTree) -> None:
    """`main` turns the cyclic collector off and freezes objects for its run only: a caller
    in the same process gets the collector as it was; as the program (`argv` None) the
    objects stay frozen, so Python's exit does not walk them all once more."""
    script = (
        "import gc, sys\n"
        "from axios_portlint.cli import main\n"
        "assert main(['check', '--no-cache']) == 0\n"
        "print(gc.isenabled(), gc.get_freeze_count())\n"
        "gc.disable()\n"
        "assert main(['--version']) == 0\n"
        "print(gc.isenabled(), gc.get_freeze_count())\n"
        "gc.enable()\n"
        "sys.argv = ['portlint', '--version']\n"
        "assert main() == 0\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=axios_tree.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    states = [line for line in done.stdout.splitlines() if line.startswith(("True", "False"))]
    assert states == ["True 0", "False 0", "True True"]


# A console block (one or more `$ portlint ...` lines, each followed by what it prints) or
# a Nix block whose first line names the file the walkthrough adds.
README_STEP = re.compile(
    r"```console\n(?P<console>.*?)```|```nix\n# (?P<file>\S+\.nix)\n(?P<nix>.*?)```", re.S
)


def test_readme_walkthrough_prints_what_it_shows(axios_tree: AxiosTree, portlint: Portlint) -> None:
    """The README's walkthrough, step by step, in the example it describes.

    The example is the bundled axios modules with the root's ports.md beside them
    (`axios_tree`); a Nix block is written where it appears, and every command of
    a console block must print exactly what follows it.
    """
    readme = (ROOT / "README.md").read_text()
    steps = list(README_STEP.finditer(readme))
    commands = 0
    for step in steps:
        if step["file"]:
            axios_tree.write(step["file"], step["nix"])
            continue
        runs = re.split(r"^\$ ", step["console"], flags=re.M)[1:]
        for run in runs:
            command, _, expected = run.partition("\n")
            args = command.split()
            assert args[0] == "portlint", command
            result = portlint(*args[1:], cwd=axios_tree.root)
            assert result.stdout == expected, command
            commands += 1
    assert commands >= 5, "the README walks through fewer commands than it should"
    assert (axios_tree.root / "modules/services/grafana.nix").is_file()


def test_exclude_skips_matching_files(axios_tree: AxiosTree, portlint: Portlint) -> None:
    axios_tree.write("modules/vendor/broken.nix", "{ this is not nix")
    assert portlint(cwd=axios_tree.root).code == 1
    excluded = portlint("--exclude", "vendor", cwd=axios_tree.root)
    assert excluded.code == 0
    assert excluded.stdout == "All checks passed (7 files checked).\n"


def test_unreadable_and_broken_files_never_stop_the_run(
    axios_tree: AxiosTree, portlint: Portlint
) -> None:
    axios_tree.write("modules/latin1.nix", '{ description = "caf\xe9"; }'.encode("latin-1"))
    axios_tree.write("modules/broken.nix", "{ lib, ... }:\n{\n  options.x = {\n")
    result = portlint(cwd=axios_tree.root)
    assert result.code == 1
    assert result.stdout.splitlines()[:2] == [
        "modules/broken.nix:3:16: PL010 [error] syntax error: unexpected end of file",
        "modules/latin1.nix:1:21: PL012 [error] not valid UTF-8 at line 1, column 21",
    ]
    assert "Traceback" not in result.stderr


def test_an_empty_selection_is_a_usage_error(axios_tree: AxiosTree, portlint: Portlint) -> None:
    """`--select "$EMPTY"` in CI must not silently turn every rule off."""
    for value in ("", ","):
        result = portlint("--select", value, cwd=axios_tree.root)
        assert result.code == 2
        assert result.stderr.strip() == "portlint: error: --select: no rule code or prefix given"


def test_a_registry_that_is_a_pipe_is_read_once(axios_tree: AxiosTree) -> None:
    """`--registry <(git show main:ports.md)`: rows and suppressions from one read."""
    axios_tree.edit(
        "ports.md",
        "| Ollama API | 11434 | 8453 | `ai.local` | Active |",
        "| Ollama API | 11434 | 8454 | `ai.local` | Active <!-- portlint: ignore[PL008] --> |",
    )
    axios_tree.edit("modules/ai/default.nix", "default = 8453;", "default = 8454;")
    script = f"{sys.executable} -m axios_portlint --select PL008 --registry <(cat ports.md)"
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=axios_tree.root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "All checks passed (7 files checked).\n")


def test_a_fifo_registry_nobody_writes_is_not_waited_on(
    axios_tree: AxiosTree, portlint: Portlint
) -> None:
    os.mkfifo(axios_tree.root / "registry.fifo")
    result = portlint("--registry", "registry.fifo", cwd=axios_tree.root)
    assert result.code == 1  # read as empty: a registry without an allocation table
    assert "PL011" in result.stdout


def test_short_help_option(portlint: Portlint) -> None:
    assert portlint("-h", cwd=ROOT).code == 0
    assert portlint("check", "-h", cwd=ROOT).code == 0


@pytest.mark.parametrize(
    "args",
    [
        [name, *extra]
        for name in sorted(_command_names())
        for extra in (["--help"], ["--no-such-flag"], ["--format", "no-such-format"])
    ],
)
def test_a_run_built_for_its_command_alone_reads_as_the_whole_app(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`main` builds only the command it runs (`_app_running`): help and errors are unchanged."""
    whole = typer.main.get_command(app)
    try:
        expected = whole.main(args=args, prog_name="portlint", standalone_mode=False)
    except (typer.Exit, ClickException) as stop:
        expected = stop
    whole_output = capsys.readouterr()
    narrowed = typer.main.get_command(_app_running(args))
    try:
        got = narrowed.main(args=args, prog_name="portlint", standalone_mode=False)
    except (typer.Exit, ClickException) as stop:
        got = stop
    assert capsys.readouterr() == whole_output
    assert type(got) is type(expected)
    assert str(got) == str(expected)
    running = _app_running(args)
    if args[0] == "registry":  # a group: the whole app
        assert running is app
    else:
        assert [command.name for command in running.registered_commands] == [args[0]]
