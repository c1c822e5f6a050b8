"""Settings files, and every usage or configuration error: exit code 2, one line, no traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import AxiosTree, Run

from axios_portlint.config import ConfigError, Listeners, find_config, load_settings
from axios_portlint.model import Kind, Severity
from axios_portlint.rules import Selection

Portlint = Callable[..., Run]
MISMATCH = ("modules/ai/default.nix", "default = 8453;", "default = 8454;")


def test_no_file_no_settings(tmp_path: Path) -> None:
    assert find_config(tmp_path) is None
    assert load_settings(tmp_path).source is None


def test_nearest_file_wins_and_portlint_toml_beats_pyproject(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (tmp_path / "portlint.toml").write_text('fail-on = "info"\n')
    assert find_config(nested) == tmp_path / "portlint.toml"
    # A pyproject.toml without [tool.portlint] does not count.
    (nested / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(nested) == tmp_path / "portlint.toml"
    (tmp_path / "a" / "pyproject.toml").write_text('[tool.portlint]\nfail-on = "warning"\n')
    assert find_config(nested) == tmp_path / "a" / "pyproject.toml"
    (tmp_path / "a" / "portlint.toml").write_text("")
    assert find_config(nested) == tmp_path / "a" / "portlint.toml"


def test_every_key(tmp_path: Path) -> None:
    (tmp_path / "modules").mkdir()
    (tmp_path / "reg.md").write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        "[tool.portlint]\n"
        'paths = ["modules"]\n'
        'registry = "reg.md"\n'
        'exclude = ["vendor"]\n'
        'select = ["PL00"]\n'
        'extend-select = ["PL010"]\n'
        'ignore = ["PL007"]\n'
        'fail-on = "warning"\n'
        'format = "json"\n'
        'local-listeners = ["*.listenPort"]\n'
    )
    settings = load_settings(tmp_path / "sub", formats=["text", "json"])
    assert settings.source == str(tmp_path / "pyproject.toml")
    # Paths are relative to the file's folder, not to where portlint runs.
    assert settings.paths == (tmp_path / "modules",)
    assert settings.registry == tmp_path / "reg.md"
    assert settings.exclude == ("vendor",)
    assert settings.selection == Selection(("PL00",), ("PL010",), ("PL007",))
    assert settings.fail_on is Severity.WARNING
    assert settings.format == "json"
    assert settings.listeners == Listeners(local=("*.listenPort",))


def test_default_listeners_agree_with_extraction() -> None:
    listeners = Listeners()
    assert listeners.kind("pim.port") is Kind.LOCAL
    assert listeners.kind("port") is Kind.LOCAL
    assert listeners.kind("pim.tailscaleServe.httpsPort") is Kind.TAILSCALE
    assert listeners.kind("pim.pwa.httpsPort") is Kind.OTHER
    assert listeners.kind('services."a.port".enable') is Kind.OTHER


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "portlint.toml",
            'fail-on = "info"\nselct = []\n',
            "portlint.toml:2: selct: unknown key (did you mean 'select'?)",
        ),
        (
            "portlint.toml",
            'select = "PL001"\n',
            "portlint.toml:1: select: expected a list of strings, got a string",
        ),
        (
            "portlint.toml",
            "exclude = [1]\n",
            "portlint.toml:1: exclude: expected a list of strings, got a list holding an integer",
        ),
        (
            "portlint.toml",
            'ignore = ["PL999"]\n',
            "portlint.toml:1: ignore: unknown rule code or prefix 'PL999'",
        ),
        (
            "portlint.toml",
            'fail-on = "fatal"\n',
            "portlint.toml:1: fail-on: 'fatal' is not one of error, warning, info",
        ),
        ("portlint.toml", 'format = "yaml"\n', "portlint.toml:1: format: 'yaml' is not one of "),
        (
            "portlint.toml",
            'paths = ["nowhere"]\n',
            "portlint.toml:1: paths: 'nowhere' does not exist",
        ),
        ("portlint.toml", "select = [\n", "portlint.toml:2:1: invalid TOML: "),
        (
            "pyproject.toml",
            "[tool.portlint]\nfail_on = 1\n",
            "pyproject.toml:2: [tool.portlint] fail_on: unknown key (did you mean 'fail-on'?)",
        ),
        (
            "pyproject.toml",
            "[tool]\nportlint = 3\n",
            "pyproject.toml: [tool.portlint] must be a table",
        ),
        ("pyproject.toml", "[tool.portlint\n", "pyproject.toml:1:15: invalid TOML: "),
    ],
)
def test_configuration_errors_exit_2_naming_file_and_key(
    axios_tree: AxiosTree, portlint: Portlint, name: str, content: str, message: str
) -> None:
    axios_tree.write(name, content)
    result = portlint(cwd=axios_tree.root)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"portlint: error: {message}")
    assert len(result.stderr.splitlines()) == 1
    with pytest.raises(ConfigError):
        load_settings(axios_tree.root, formats=["text", "json"])


def test_settings_apply_and_flags_override(axios_tree: AxiosTree, portlint: Portlint) -> None:
    axios_tree.edit(*MISMATCH)
    root = axios_tree.root
    axios_tree.write("portlint.toml", 'ignore = ["PL005"]\nformat = "json"\n')
    quiet = portlint(cwd=root)
    assert quiet.code == 0
    assert json.loads(quiet.stdout)["findings"] == []
    loud = portlint("--extend-select", "PL005", "--format", "text", cwd=root)
    assert loud.code == 1
    assert loud.stdout.startswith("modules/ai/default.nix:22:17: PL005 [error]")
    assert portlint("--select", "PL005", cwd=root).code == 1


def test_fail_on_from_settings(axios_tree: AxiosTree, portlint: Portlint) -> None:
    axios_tree.edit(
        "modules/ai/default.nix", "default = 8453;", "default = 8453; # portlint: ignore"
    )
    axios_tree.write("portlint.toml", 'fail-on = "info"\n')
    assert portlint(cwd=axios_tree.root).code == 1  # the unused suppression is info
    assert portlint("--fail-on", "error", cwd=axios_tree.root).code == 0


def test_paths_registry_exclude_relative_to_the_file(
    axios_tree: AxiosTree, portlint: Portlint
) -> None:
    root = axios_tree.root
    (root / "ports.md").rename(root / "registry.md")
    axios_tree.write("modules/vendor/broken.nix", "{ this is not nix")
    axios_tree.write(
        "pyproject.toml",
        '[tool.portlint]\npaths = ["modules"]\nregistry = "registry.md"\nexclude = ["vendor"]\n',
    )
    (root / "elsewhere").mkdir()
    result = portlint(cwd=root / "elsewhere")
    assert result.code == 0, result.stderr
    assert result.stdout == "All checks passed (7 files checked).\n"
    assert portlint("--exclude", "nothing", cwd=root / "elsewhere").code == 1


def test_explicit_config_file(axios_tree: AxiosTree, portlint: Portlint) -> None:
    axios_tree.edit(*MISMATCH)
    axios_tree.write("ci/strict.toml", 'ignore = ["PL005"]\n')
    assert portlint("--config", "ci/strict.toml", cwd=axios_tree.root).code == 0
    missing = portlint("--config", "ci/none.toml", cwd=axios_tree.root)
    assert missing.code == 2
    assert missing.stderr == "portlint: error: ci/none.toml: configuration file not found\n"


def test_listener_patterns_rekind_declarations(axios_tree: AxiosTree, portlint: Portlint) -> None:
    axios_tree.write(
        "portlint.toml",
        'local-listeners = ["*.port", "*.pwa.httpsPort"]\n'
        'tailscale-listeners = ["pim.*.httpsPort"]\n',
    )
    entries = json.loads(portlint("ports", "--format", "json", cwd=axios_tree.root).stdout)
    kinds = {entry["option"]: entry["kind"] for entry in entries}
    assert kinds["pim.pwa.httpsPort"] == "tailscale"  # tailscale patterns are tried first
    assert kinds["pim.tailscaleServe.httpsPort"] == "tailscale"
    assert kinds["services.ai.local.tailscaleServe.httpsPort"] == "other"
    assert kinds["services.ai.local.port"] == "local"
    # The check sees the same kinds: the pim PWA now collides with pim's Tailscale port.
    result = portlint("--select", "PL002", cwd=axios_tree.root)
    assert result.stdout.startswith(
        "modules/pim/default.nix:38:19: PL002 [error] tailscale port 8443 of pim.pwa.httpsPort"
    )


# -- usage errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "portlint: error: No such option '--bogus'"),
        (
            ["--format", "yaml"],
            "portlint: error: Invalid value for '--format': 'yaml' is not one of",
        ),
        (["--fail-on", "fatal"], "portlint: error: Invalid value for '--fail-on': 'fatal'"),
        (["--select", "PL999"], "portlint: error: --select: unknown rule code or prefix 'PL999'"),
        (["--registry", "missing.md"], "portlint: error: missing.md: registry file not found"),
        (["nowhere/"], "portlint: error: path 'nowhere' does not exist"),
        (["explain", "PL999"], "portlint: error: unknown rule 'PL999'"),
        (["explain"], "portlint: error: Missing argument 'CODE'"),
        (["rules", "--format", "csv"], "portlint: error: Invalid value for '--format'"),
        (["ports", "--bogus"], "portlint: error: No such option '--bogus'"),
    ],
)
def test_usage_errors_exit_2_on_one_line(
    axios_tree: AxiosTree, portlint: Portlint, args: list[str], message: str
) -> None:
    result = portlint(*args, cwd=axios_tree.root)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_missing_registry_exits_2(tmp_path: Path, portlint: Portlint) -> None:
    (tmp_path / "modules").mkdir()
    result = portlint(cwd=tmp_path)
    assert result.code == 2
    assert result.stderr.startswith("portlint: error: no port registry found")
