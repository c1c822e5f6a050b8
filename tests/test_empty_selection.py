"""An empty selection is a usage error: checking no Nix file must never pass in CI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import AXIOS, REGISTRY, Run

from axios_portlint.api import UsageError, scan
from axios_portlint.discover import (
    DiscoveryError,
    EmptySelectionError,
    discover,
    discover_stats,
    require_sources,
)


def test_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmptySelectionError) as raised:
        discover([Path("empty")], cwd=tmp_path)
    assert str(raised.value) == "no Nix file found in 'empty'"
    assert isinstance(raised.value, DiscoveryError)


def test_a_folder_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / "README.md").write_text("# docs\n")
    (tmp_path / "docs" / "sub" / "nix").write_text("not a .nix file\n")
    with pytest.raises(EmptySelectionError, match=r"^no Nix file found in 'docs'$"):
        discover([Path("docs")], cwd=tmp_path)


def test_excludes_that_match_everything(tmp_path: Path) -> None:
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "a.nix").write_text("{ }\n")
    with pytest.raises(EmptySelectionError) as raised:
        discover([Path("modules")], excludes=["*", " "], cwd=tmp_path)
    assert str(raised.value) == "no Nix file found in 'modules' with excludes '*'"


def test_every_input_is_named(tmp_path: Path) -> None:
    for name in ("a", "b c"):
        (tmp_path / name).mkdir()
    with pytest.raises(EmptySelectionError, match=r"^no Nix file found in 'a', 'b c'$"):
        discover([Path("a"), Path("b c")], cwd=tmp_path)


def test_a_name_with_a_newline_stays_on_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad\nname").mkdir()
    with pytest.raises(EmptySelectionError) as raised:
        discover([Path("bad\nname")], cwd=tmp_path)
    assert "\n" not in str(raised.value)


def test_one_nix_file_among_empty_inputs_is_enough(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "x.nix").write_text("{ }\n")
    found = discover([Path("empty"), Path("x.nix")], cwd=tmp_path)
    assert [source.path for source in found.files] == ["x.nix"]


def test_a_named_file_is_read_whatever_the_excludes(tmp_path: Path) -> None:
    (tmp_path / "x.nix").write_text("{ }\n")
    found = discover([Path("x.nix")], excludes=["*"], cwd=tmp_path)
    assert [source.path for source in found.files] == ["x.nix"]


def test_a_nix_file_that_cannot_be_read_is_not_an_empty_selection(tmp_path: Path) -> None:
    """It is reported (PL012): there is something to check, and it failed."""
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "bad.nix").write_bytes(b"{ \xff }\n")
    found = discover([Path("modules")], cwd=tmp_path)
    assert found.files == ()
    assert [problem.path for problem in found.problems] == ["modules/bad.nix"]


def test_a_dangling_link_is_still_a_missing_path(tmp_path: Path) -> None:
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    with pytest.raises(DiscoveryError) as raised:
        discover([Path("gone")], cwd=tmp_path)
    assert not isinstance(raised.value, EmptySelectionError)
    assert str(raised.value) == "path 'gone' does not exist"


def test_scan_turns_it_into_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=r"^no Nix file found in 'empty'$"):
        scan([Path("empty")], cwd=tmp_path)


# -- through the real command ------------------------------------------------------------


def usage_error(run: Run, message: str) -> None:
    assert (run.code, run.stdout, run.stderr) == (2, "", f"portlint: error: {message}\n")


def test_check_on_an_empty_folder_exits_2(tmp_path: Path, portlint: Callable[..., Run]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    usage_error(
        portlint("check", "empty", "--registry", REGISTRY, "--no-cache", cwd=tmp_path),
        "no Nix file found in 'empty'",
    )


def test_an_exclude_matching_everything_exits_2(
    tmp_path: Path, portlint: Callable[..., Run]
) -> None:
    run = portlint(
        AXIOS / "modules", "--registry", REGISTRY, "--exclude", "*", "--no-cache", cwd=tmp_path
    )
    usage_error(run, f"no Nix file found in '{AXIOS / 'modules'}' with excludes '*'")


@pytest.mark.parametrize("command", [["ports"], ["graph"], ["registry", "sync", "--check"]])
def test_every_command_that_reads_the_tree(
    tmp_path: Path, portlint: Callable[..., Run], command: list[str]
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "ports.md").write_bytes(REGISTRY.read_bytes())
    usage_error(portlint(*command, "empty", cwd=tmp_path), "no Nix file found in 'empty'")


@pytest.mark.parametrize(
    ("inputs", "excludes", "verdict"),
    [
        (["empty"], (), "EmptySelectionError: no Nix file found in 'empty'"),
        (["docs"], (), "EmptySelectionError: no Nix file found in 'docs'"),
        (
            ["modules"],
            ["*"],
            "EmptySelectionError: no Nix file found in 'modules' with excludes '*'",
        ),
        (
            ["modules"],
            ["deep"],
            "EmptySelectionError: no Nix file found in 'modules' with excludes 'deep'",
        ),
        (["empty", "docs"], (), "EmptySelectionError: no Nix file found in 'empty', 'docs'"),
        (["empty", "modules"], (), "found"),
        (["modules", "empty"], (), "found"),
        (["missing"], (), "DiscoveryError: path 'missing' does not exist"),
        (["modules", "missing"], (), "DiscoveryError: path 'missing' does not exist"),
        (["modules/deep/x.nix"], ["*"], "found"),
    ],
)
def test_require_sources_says_what_discovery_says(
    tmp_path: Path, inputs: list[str], excludes: list[str], verdict: str
) -> None:
    """The early-stopping check a named path gets raises exactly what the whole walk raises."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("# docs\n")
    (tmp_path / "modules" / "deep").mkdir(parents=True)
    (tmp_path / "modules" / "deep" / "x.nix").write_text("{ }\n")
    paths = [Path(name) for name in inputs]

    def outcome(action: Callable[[], object]) -> str:
        try:
            action()
        except DiscoveryError as error:
            return f"{type(error).__name__}: {error}"
        return "found"

    assert outcome(lambda: discover_stats(paths, excludes=excludes, cwd=tmp_path)) == verdict
    assert outcome(lambda: require_sources(paths, excludes=excludes, cwd=tmp_path)) == verdict
