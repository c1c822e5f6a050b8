"""Inline suppressions: `# portlint: ignore[...]` in Nix, HTML comments in ports.md."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import AxiosTree, Run

from axios_portlint.api import Report, check
from axios_portlint.model import Location, SourceFile
from axios_portlint.rules import Selection
from axios_portlint.suppress import Suppression, apply_suppressions, directives
from axios_portlint.suppress.markdown import markdown_suppressions
from axios_portlint.suppress.nix import nix_suppressions

Portlint = Callable[..., Run]
AI = "modules/ai/default.nix"
MISMATCH = "default = 8454;"  # PL005: the registry says 8453


def run(tree: AxiosTree, *layers: Selection) -> Report:
    # Only rules the edits below can trigger, so the tests judge suppression alone.
    selection = [Selection(select=("PL005", "PL008", "PL020")), *layers]
    return check([tree.modules], tree.registry, cwd=tree.root, selection=selection)


def codes(report: Report) -> list[tuple[str, int]]:
    return [(f.code, f.location.line) for f in report.findings]


@pytest.fixture
def mismatched(axios_tree: AxiosTree) -> AxiosTree:
    axios_tree.edit(AI, "default = 8453;", MISMATCH)
    assert codes(run(axios_tree)) == [("PL005", 22)]
    return axios_tree


@pytest.mark.parametrize(
    "comment",
    [
        f"{MISMATCH} # portlint: ignore[PL005]",
        f"{MISMATCH} # portlint: ignore",
        f"{MISMATCH} # upstream wants it # portlint: ignore[PL005] until the registry moves",
        f"# portlint: ignore[PL005]\n      {MISMATCH}",
        f"/* portlint: ignore[PL005] */ {MISMATCH}",
    ],
)
def test_a_comment_on_the_line_or_above_suppresses(mismatched: AxiosTree, comment: str) -> None:
    mismatched.edit(AI, MISMATCH, comment)
    report = run(mismatched)
    assert report.findings == ()
    assert [f.code for f in report.suppressed] == ["PL005"]


def test_a_comment_two_lines_above_does_not_and_is_unused(mismatched: AxiosTree) -> None:
    declaration = f"type = types.port;\n      {MISMATCH}"
    mismatched.edit(AI, declaration, f"# portlint: ignore[PL005]\n      {declaration}")
    assert codes(run(mismatched)) == [("PL020", 21), ("PL005", 23)]


def test_other_codes_do_not_suppress(mismatched: AxiosTree) -> None:
    mismatched.edit(AI, MISMATCH, f"{MISMATCH} # portlint: ignore[PL001]")
    report = run(mismatched)
    assert codes(report) == [("PL005", 22), ("PL020", 22)]
    assert report.findings[1].message == "unused suppression: PL001 is not selected"


def test_a_string_is_not_a_comment(mismatched: AxiosTree) -> None:
    mismatched.edit(AI, MISMATCH, f'{MISMATCH} example = "# portlint: ignore[PL005]";')
    assert codes(run(mismatched)) == [("PL005", 22)]
    mismatched.edit(AI, MISMATCH, f"{MISMATCH} example = ''\n # portlint: ignore\n '';")
    assert codes(run(mismatched)) == [("PL005", 22)]


def test_unused_unknown_and_malformed_suppressions_are_pl020(axios_tree: AxiosTree) -> None:
    axios_tree.edit(AI, "default = 8453;", "default = 8453; # portlint: ignore[PL005, PL999]")
    axios_tree.edit(AI, "default = upstreamPort;", "default = upstreamPort; # portlint: ignore")
    axios_tree.edit(AI, "type = types.listOf", "# portlint: ignroe\n      type = types.listOf")
    report = run(axios_tree)
    assert [(f.code, f.location.line, f.message) for f in report.findings] == [
        ("PL020", 16, "unused suppression: no finding on this line or the next"),
        (
            "PL020",
            22,
            "unused suppression: no PL005 finding on this line or the next; "
            "unknown rule code PL999",
        ),
        (
            "PL020",
            27,
            "malformed suppression: expected `portlint: ignore` or `portlint: ignore[CODE, ...]`",
        ),
    ]
    assert {f.severity for f in report.findings} == {"info"}
    assert report.exit_code() == 0


def test_pl020_follows_selection(axios_tree: AxiosTree) -> None:
    axios_tree.edit(AI, "default = 8453;", "default = 8453; # portlint: ignore[PL005]")
    assert codes(run(axios_tree)) == [("PL020", 22)]
    assert codes(run(axios_tree, Selection(ignore=("PL020",)))) == []


def test_registry_html_comment_suppresses_a_row(axios_tree: AxiosTree) -> None:
    axios_tree.edit("ports.md", "| axios-portal | 8082 |", "| axios-portal | 8081 |")
    assert codes(run(axios_tree)) == [("PL008", 37)]
    axios_tree.edit(
        "ports.md", "`portal` | Planned |", "`portal` | Planned <!-- portlint: ignore[PL008] --> |"
    )
    report = run(axios_tree)
    assert report.findings == ()
    assert [(f.code, f.location.file) for f in report.suppressed] == [("PL008", "ports.md")]


def test_registry_comment_above_and_in_code_spans(axios_tree: AxiosTree) -> None:
    axios_tree.edit(
        "ports.md", "### Web Services\n", "### Web Services\n<!-- portlint: ignore -->\n"
    )
    axios_tree.edit("ports.md", "## Overview\n", "## Overview\n\n`<!-- portlint: ignore -->`\n")
    report = run(axios_tree)
    # The real comment covers the blank line after it: nothing to suppress. The one in
    # a code span is text, not a comment.
    assert [(f.code, f.location.file, f.location.line) for f in report.findings] == [
        ("PL020", "ports.md", 34)
    ]


def test_suppression_through_the_cli(mismatched: AxiosTree, portlint: Portlint) -> None:
    assert portlint(cwd=mismatched.root).code == 1
    mismatched.edit(AI, MISMATCH, f"{MISMATCH} # portlint: ignore[PL005]")
    result = portlint(cwd=mismatched.root)
    assert result.code == 0, result.stdout
    assert result.stdout == "All checks passed (7 files checked).\n"


# -- the pieces ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("# portlint: ignore", [((), "")]),
        ("# portlint: ignore[PL001]", [(("PL001",), "")]),
        ("# portlint:ignore[ PL001 ,PL005, ]", [(("PL001", "PL005"), "")]),
        ("# portlint: ignore[PL001] because upstream", [(("PL001",), "")]),
        ("# a note # portlint: ignore", [((), "")]),
        ("# a note about portlint: nothing", []),
        ("# just a comment", []),
    ],
)
def test_directives(body: str, expected: list[tuple[tuple[str, ...], str]]) -> None:
    assert list(directives(body)) == expected


@pytest.mark.parametrize(
    "body",
    ["# portlint: ignore[]", "# portlint: ignored", "# portlint: ignore PL001", "# portlint: noqa"],
)
def test_malformed_directives(body: str) -> None:
    ((codes_, problem),) = directives(body)
    assert codes_ == ()
    assert problem


def test_nix_comments_need_the_marker_and_keep_crlf_lines() -> None:
    assert nix_suppressions(SourceFile("a.nix", b"{ x = 1; # ignore\n}")) == ()
    source = SourceFile("a.nix", b"{\r\n  x = 1;\r\n  # portlint: ignore[PL001]\r\n}\r\n")
    (found,) = nix_suppressions(source)
    assert (found.location.line, found.codes, tuple(found.lines)) == (3, ("PL001",), (3, 4))


def test_markdown_comment_lines() -> None:
    text = (
        "# T\n\nsome text\nand <!-- portlint: ignore[PL004] --> more\n"
        "\n<!--\nportlint: ignore\n-->\n"
    )
    found = markdown_suppressions(text, "ports.md")
    assert [(s.location.line, s.codes, tuple(s.lines)) for s in found] == [
        (4, ("PL004",), (4, 5)),
        (6, (), (6, 7, 8, 9)),
    ]


def test_apply_marks_every_matching_comment_used() -> None:
    from axios_portlint.model import Finding, Severity

    here = Location("a.nix", 5, 1, 5, 1)
    finding = Finding("PL001", Severity.ERROR, "m", here)
    above = Suppression(Location("a.nix", 4, 1, 4, 1), ("PL001",))
    trailing = Suppression(Location("a.nix", 5, 9, 5, 30), ())
    elsewhere = Suppression(Location("b.nix", 5, 1, 5, 1), ())
    applied = apply_suppressions([finding], [above, trailing, elsewhere])
    assert applied.findings == ()
    assert applied.used_codes(above) == applied.used_codes(trailing) == {"PL001"}
    assert applied.used_codes(elsewhere) == set()
