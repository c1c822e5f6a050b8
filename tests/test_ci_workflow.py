"""The GitHub Actions workflow in docs/ci.md: well-formed, and its portlint commands work.

The workflow cannot run here, but everything in it that is portlint's own can: each
`run:` line that invokes portlint is run, as written, in a copy of the example tree
laid out like the axios repository (modules/ and ports.md at its root).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, AxiosTree, Run

CI_DOC = ROOT / "docs" / "ci.md"
UPLOAD_SARIF = "github/codeql-action/upload-sarif"
INSTALL = "nix profile install --inputs-from . portlint"
SHELL_OPERATORS = re.compile(r"[();<>|&]+")


def workflow() -> dict[str, Any]:
    blocks = re.findall(r"^```yaml\n(.*?)^```$", CI_DOC.read_text(), re.MULTILINE | re.DOTALL)
    workflows = [yaml.safe_load(block) for block in blocks]
    workflows = [w for w in workflows if isinstance(w, dict) and "jobs" in w]
    assert len(workflows) == 1, "docs/ci.md should hold exactly one workflow"
    parsed: dict[str, Any] = workflows[0]
    return parsed


def steps(job: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = workflow()["jobs"][job]["steps"]
    return found


def portlint_commands() -> list[str]:
    """Every line of every `run:` script that starts with `portlint`."""
    commands = []
    for job in workflow()["jobs"].values():
        for step in job["steps"]:
            for line in str(step.get("run", "")).splitlines():
                if line.strip().startswith("portlint "):
                    commands.append(line.strip())
    return commands


def as_argv(command: str) -> list[str]:
    """The portlint arguments of a shell line: redirections and what follows them dropped."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = list(lexer)
    end = next((i for i, w in enumerate(words) if SHELL_OPERATORS.fullmatch(w)), len(words))
    assert words[0] == "portlint"
    return words[1:end]


def test_workflow_triggers_on_pull_requests_and_main() -> None:
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    parsed: dict[Any, Any] = workflow()
    triggers = parsed["on"] if "on" in parsed else parsed[True]
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]
    assert workflow()["permissions"] == {"contents": "read"}


def test_annotate_job_runs_portlint_for_github_annotations() -> None:
    job = workflow()["jobs"]["annotate"]
    assert job["runs-on"] == "ubuntu-latest"
    uses = [step.get("uses", "") for step in job["steps"]]
    assert uses[0].startswith("actions/checkout@")
    assert uses[1].startswith("cachix/install-nix-action@")
    runs = [step["run"] for step in job["steps"] if "run" in step]
    # portlint from the consumer's own `portlint` flake input, as locked: no address needed.
    assert runs[0] == INSTALL
    # The last step is the check itself, and its exit code fails the job on findings.
    assert job["steps"][-1]["run"] == "portlint --format github"
    assert "continue-on-error" not in job["steps"][-1]


def test_code_scanning_job_uploads_sarif_even_with_findings() -> None:
    job = workflow()["jobs"]["code-scanning"]
    assert job["permissions"]["security-events"] == "write"
    assert job["permissions"]["contents"] == "read"
    assert [s.get("run") for s in job["steps"]].count(INSTALL) == 1
    run_step = next(s for s in job["steps"] if "portlint --format sarif" in s.get("run", ""))
    upload = job["steps"][-1]
    assert upload["uses"].startswith(UPLOAD_SARIF + "@")
    assert upload["with"]["sarif_file"] == "portlint.sarif"
    assert job["steps"].index(run_step) < job["steps"].index(upload)
    # Exit 1 (findings) must still reach the upload; exit 2 (a broken run) must not.
    script = run_step["run"]
    assert "portlint --format sarif > portlint.sarif" in script
    assert "continue-on-error" not in run_step
    assert '[ "$status" -gt 1 ]' in script
    assert run_step["shell"] == "bash"


@pytest.mark.parametrize("status, job_fails", [(0, False), (1, False), (2, True)])
def test_sarif_step_fails_only_on_a_broken_run(
    status: int, job_fails: bool, tmp_path: Path
) -> None:
    """The step's shell script, with portlint replaced by a stub exiting with `status`."""
    script = next(
        s["run"] for s in steps("code-scanning") if "portlint --format sarif" in s.get("run", "")
    )
    stub = f"portlint() {{ echo '{{}}'; return {status}; }}\n"
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", stub + script],  # GitHub's bash flags
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=tmp_path,
    )
    assert (done.returncode != 0) is job_fails, done.stdout + done.stderr
    assert f"portlint exited with {status}" in done.stdout
    assert (tmp_path / "portlint.sarif").read_text() == "{}\n"


def test_every_portlint_command_is_found() -> None:
    assert portlint_commands() == [
        "portlint --format github",
        "portlint --format sarif > portlint.sarif || status=$?",
    ]
    assert as_argv(portlint_commands()[1]) == ["--format", "sarif"]


@pytest.mark.parametrize("command", portlint_commands())
def test_portlint_command_passes_on_the_clean_example(
    command: str, axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    done = portlint(*as_argv(command), cwd=axios_tree.root)
    assert done.code == 0, f"{command!r} exited {done.code}: {done.stderr}{done.stdout}"
    assert done.stderr == ""
    if "sarif" in command:
        log = json.loads(done.stdout)
        assert log["version"] == "2.1.0"
        assert [result for run in log["runs"] for result in run["results"]] == []
    else:
        assert "::error" not in done.stdout


def test_sarif_command_reports_a_conflict(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    axios_tree.edit("modules/services/immich.nix", "local = 2283;", "local = 11434;")
    done = portlint("--format", "sarif", cwd=axios_tree.root)
    assert done.code == 1, done.stderr
    rules = {
        result["ruleId"] for run in json.loads(done.stdout)["runs"] for result in run["results"]
    }
    assert "PL001" in rules
