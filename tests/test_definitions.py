"""One definition per concept: the shared constants and helpers, and nobody's private copy."""

from __future__ import annotations

import ast
import stat
from pathlib import Path

import pytest

from axios_portlint.commands.formats import ListingFormat
from axios_portlint.commands.rules import rules
from axios_portlint.discover.paths import display_path
from axios_portlint.discover.write import write_atomically
from axios_portlint.model import LISTENER_KINDS, TAILSCALE_OFFSET, Kind
from axios_portlint.report.text import table

PACKAGE = Path(__file__).resolve().parent.parent / "axios_portlint"


def sources() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(PACKAGE.rglob("*.py"))]


def test_the_offset_is_written_once() -> None:
    """363 appears as a number in model.py only: PL007 and suggest use TAILSCALE_OFFSET."""
    found = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path, tree in sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value == TAILSCALE_OFFSET
    ]
    assert found == ["model.py:" + str(_line_of("TAILSCALE_OFFSET = 363"))]


def test_the_listener_kinds_are_written_once() -> None:
    """No module spells out (Kind.LOCAL, Kind.TAILSCALE) but model_base.LISTENER_KINDS."""
    wanted = {"Kind.LOCAL", "Kind.TAILSCALE"}
    found = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path, tree in sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Tuple | ast.Set | ast.List)
        and {ast.unparse(element) for element in node.elts} == wanted
    ]
    line = _line_of("LISTENER_KINDS = (Kind.LOCAL, Kind.TAILSCALE)", "model_base.py")
    assert found == [f"model_base.py:{line}"]
    assert LISTENER_KINDS == (Kind.LOCAL, Kind.TAILSCALE)
    assert [kind for kind in Kind if kind.is_listener] == list(LISTENER_KINDS)


def test_no_module_keeps_its_own_kind_label_dict() -> None:
    """`{Kind.LOCAL: ..., Kind.TAILSCALE: ...}` with text values lives nowhere: Kind says it."""
    found = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path, tree in sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        and any(key is not None and ast.unparse(key) == "Kind.LOCAL" for key in node.keys)
        and all(isinstance(value, ast.Constant) for value in node.values)
    ]
    assert found == []


def test_kind_labels() -> None:
    assert [Kind.LOCAL.label, Kind.TAILSCALE.label] == ["local", "Tailscale"]
    assert [Kind.LOCAL.column, Kind.TAILSCALE.column] == ["Local Port", "Tailscale Port"]
    assert Kind.FIREWALL.label == "firewall"


def _line_of(text: str, module: str = "model.py") -> int:
    lines = (PACKAGE / module).read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith(text))


# -- the one display path --------------------------------------------------------------


def test_display_path(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    assert display_path(Path("sub/ports.md"), tmp_path) == "sub/ports.md"
    assert display_path(tmp_path / "sub" / "ports.md", tmp_path) == "sub/ports.md"
    assert display_path(tmp_path, tmp_path) == "."
    outside = tmp_path.parent / "elsewhere.md"
    assert display_path(outside, tmp_path / "sub") == outside.as_posix()
    # `..` is resolved lexically, as discovered sources are shown.
    assert display_path(Path("../sub/x.md"), tmp_path / "sub") == "x.md"
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "sub")
    assert display_path((tmp_path / "sub" / "x.md"), link) == "x.md"


def test_registry_and_settings_file_are_shown_like_sources(tmp_path: Path) -> None:
    from axios_portlint.config import ConfigError, read_settings

    bad = tmp_path / "portlint.toml"
    bad.write_text("paths = 3\n")
    with pytest.raises(ConfigError, match=r"^portlint\.toml:1: paths: expected a list"):
        read_settings(bad, tmp_path)


# -- the one atomic writer ---------------------------------------------------------------


def test_write_keeps_the_mode_and_follows_a_link(tmp_path: Path) -> None:
    target = tmp_path / "ports.md"
    target.write_bytes(b"old\n")
    target.chmod(0o600)
    link = tmp_path / "link.md"
    link.symlink_to(target)
    write_atomically(link, b"new\n")
    assert link.is_symlink()
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.md", "ports.md"]


def test_write_creates_a_new_file_readable_by_all(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    write_atomically(target, b"{}")
    assert target.read_bytes() == b"{}"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_failed_write_leaves_the_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "ports.md"
    target.write_bytes(b"old\n")
    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["ports.md"]  # no temporary left


# -- the one column-table printer --------------------------------------------------------


def test_table_pads_every_column_but_the_last() -> None:
    text = table(("A", "BB", "LAST"), [("long", "x", "tail  "), ("", "yyy", "z")])
    assert text == "A     BB   LAST\nlong  x    tail\n      yyy  z\n"


def test_rules_listing_is_that_table() -> None:
    listing = rules(ListingFormat.TABLE).stdout
    assert listing.splitlines()[0].split() == ["CODE", "NAME", "SEVERITY", "SUMMARY"]
    first = listing.splitlines()[1]
    assert first.startswith("PL001  local-port-conflict")
