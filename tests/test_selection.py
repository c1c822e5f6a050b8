"""What is checked: rule selection as ruff does it, and which paths are walked."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import pytest
from conftest import AxiosTree, Run

from axios_portlint.api import UsageError, check
from axios_portlint.rules import (
    Selection,
    UnknownSelectorError,
    all_rules,
    rule_codes,
    select_codes,
    select_rules,
)

Portlint = Callable[..., Run]
ALL_CODES = [rule.code for rule in all_rules()]


def chosen(*layers: Selection) -> list[str]:
    codes = [rule.code for rule in select_rules(layers)]
    assert list(select_codes(layers)) == codes
    return codes


def test_each_rule_module_is_named_after_its_code() -> None:
    """`rule_codes` reads the codes off the module names, importing no rule."""
    assert list(rule_codes()) == ALL_CODES
    for rule in all_rules():
        module = f"pl{rule.code[2:]}_{rule.name.replace('-', '_')}"
        assert importlib.util.find_spec(f"axios_portlint.rules.{module}") is not None, rule.code


def test_default_is_every_rule() -> None:
    assert chosen() == ALL_CODES
    assert chosen(Selection()) == ALL_CODES
    assert chosen(Selection(select=("ALL",))) == ALL_CODES


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        (Selection(select=("PL001", "PL005")), ["PL001", "PL005"]),
        (Selection(select=("PL00",)), [c for c in ALL_CODES if c.startswith("PL00")]),
        (Selection(select=("PL",), ignore=("PL00",)), [c for c in ALL_CODES if c >= "PL010"]),
        # The more specific selector wins, whichever side it is on.
        (Selection(select=("PL005",), ignore=("PL00",)), ["PL005"]),
        (
            Selection(select=("PL00",), ignore=("PL005",)),
            ["PL001", "PL002", "PL003", "PL004"]
            + [c for c in ALL_CODES if c.startswith("PL00") and c > "PL005"],
        ),
        # Same prefix on both sides: ignore wins.
        (Selection(select=("PL001",), ignore=("PL001",)), []),
        (Selection(extend_select=("PL001",), ignore=("ALL",)), ["PL001"]),
        (Selection(ignore=("PL020",)), [c for c in ALL_CODES if c != "PL020"]),
    ],
)
def test_one_layer(layer: Selection, expected: list[str]) -> None:
    assert chosen(layer) == expected


def test_command_line_layer_over_configuration() -> None:
    config = Selection(select=("PL001", "PL002"), ignore=("PL002",))
    # No --select on the command line: its flags adjust what the file chose.
    assert chosen(config, Selection(extend_select=("PL005",))) == ["PL001", "PL005"]
    assert chosen(config, Selection(ignore=("PL001",))) == []
    # --select starts afresh: the file's extend-select and ignore no longer apply.
    assert chosen(config, Selection(select=("PL002", "PL003"))) == ["PL002", "PL003"]


@pytest.mark.parametrize("selector", ["PL999", "PL9", "pl001", "E501", "", "all"])
def test_unknown_selector(selector: str) -> None:
    with pytest.raises(UnknownSelectorError, match="unknown rule code or prefix"):
        select_rules([Selection(select=(selector,))])


def test_unselected_rules_do_not_run(axios_tree: AxiosTree) -> None:
    axios_tree.edit("modules/ai/default.nix", "default = 8453;", "default = 8454;")

    def codes(*layers: Selection) -> list[str]:
        report = check([axios_tree.modules], axios_tree.registry, selection=layers)
        return [f.code for f in report.findings]

    assert codes() == ["PL005"]
    assert codes(Selection(ignore=("PL005",))) == []
    assert codes(Selection(select=("PL001", "PL002"))) == []
    with pytest.raises(UsageError, match="unknown rule code or prefix 'PL99'"):
        codes(Selection(ignore=("PL99",)))


def test_selection_flags(axios_tree: AxiosTree, portlint: Portlint) -> None:
    axios_tree.edit("modules/ai/default.nix", "default = 8453;", "default = 8454;")
    root = axios_tree.root
    assert portlint(cwd=root).code == 1
    assert portlint("--ignore", "PL005", cwd=root).code == 0
    assert portlint("--ignore", "PL0", cwd=root).code == 0
    assert portlint("--select", "PL001,PL002", "--select", "PL003", cwd=root).code == 0
    assert portlint("--select", "PL001", "--extend-select", "PL005", cwd=root).code == 1
    ignored = portlint("check", "--select", "ALL", "--ignore", "PL005", cwd=root)
    assert ignored.stdout == "All checks passed (7 files checked).\n"


@pytest.mark.parametrize("flag", ["--select", "--ignore", "--extend-select"])
def test_unknown_code_on_the_command_line_exits_2(
    axios_tree: AxiosTree, portlint: Portlint, flag: str
) -> None:
    result = portlint(flag, "PL001,PL999", cwd=axios_tree.root)
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr == f"portlint: error: {flag}: unknown rule code or prefix 'PL999'\n"


# -- paths ---------------------------------------------------------------------

BROKEN = "{ this is not nix"


def test_one_path_is_walked_with_excludes(axios_tree: AxiosTree, portlint: Portlint) -> None:
    axios_tree.write("modules/vendor/broken.nix", BROKEN)
    result = portlint("modules", "--exclude", "vendor", cwd=axios_tree.root)
    assert result.stdout == "All checks passed (7 files checked).\n"


def test_several_paths_are_each_walked(axios_tree: AxiosTree, portlint: Portlint) -> None:
    axios_tree.write("extra/broken.nix", BROKEN)
    axios_tree.write("extra/vendor/also-broken.nix", BROKEN)
    result = portlint(
        "modules/ai", "extra", "--exclude", "vendor", "--select", "PL010", cwd=axios_tree.root
    )
    assert result.code == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()[:-1]] == ["extra/broken.nix"]
    assert result.stdout.endswith("in 3 files.\n")  # ai/default.nix, ai/webui.nix, broken.nix


def test_a_file_named_directly_is_checked_even_if_excluded(
    axios_tree: AxiosTree, portlint: Portlint
) -> None:
    broken = axios_tree.write("modules/vendor/broken.nix", BROKEN)
    walked = portlint("modules", "--exclude", "vendor", cwd=axios_tree.root)
    assert walked.code == 0
    named = portlint(
        "modules", "modules/vendor/broken.nix", "--exclude", "vendor", cwd=axios_tree.root
    )
    assert named.code == 1
    assert named.stdout.startswith("modules/vendor/broken.nix:1:")
    assert broken.is_file()
