"""Issue 13's fixtures: each class's EXPECTED.md is the contract of the listener model.

The findings an EXPECTED.md lists under "## Expected findings" are read from the file,
so the document and the test cannot drift apart. Classes the listener model has yet
to get right are strict xfails: the day a change makes one pass, the mark must go.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from nixeval import evaluate_port_options

from axios_portlint.api import check
from axios_portlint.rules import Selection

LISTENERS = FIXTURES / "listeners"
CLASSES = sorted(path.name for path in LISTENERS.iterdir() if path.is_dir())
# Classes the listener model alone cannot get right: they need the placement branch
# (option sets built from a table; protocols) or the hosts branch (per-host conflicts).
PLANNED: dict[str, str] = {}
FINDING = re.compile(
    r"^ {4}(?P<file>\S+):(?P<line>\d+):(?P<column>\d+): (?P<code>PL\d{3}) \[\w+\] .*"
    r"\((?P<rfile>[^\s:()]+):(?P<rline>\d+):(?P<rcolumn>\d+)\)$"
)
# A location in an EXPECTED.md table row: | option | port | file:line:col | ...
TABLE_ROW = re.compile(
    r"^\| (?P<option>\S+) \| (?P<port>\d+) \|(?: \S+ \|)? (?P<loc>\S+:\d+:\d+) \|"
)

Anchor = tuple[str, int, int]


def expected_findings(name: str) -> set[tuple[str, Anchor, Anchor]]:
    text = (LISTENERS / name / "EXPECTED.md").read_text()
    section = text.split("## Expected findings", 1)[1].split("\n## ", 1)[0]
    found = set()
    for line in section.splitlines():
        match = FINDING.match(line)
        if match:
            anchor = (match["file"], int(match["line"]), int(match["column"]))
            related = (match["rfile"], int(match["rline"]), int(match["rcolumn"]))
            found.add((match["code"], anchor, related))
    return found


def conflicts_found(name: str, tmp_path: Path) -> set[tuple[str, Anchor, Anchor]]:
    registry = tmp_path / "ports.md"
    registry.write_text("# Ports\n")
    report = check(
        [LISTENERS / name],
        registry,
        cwd=ROOT,
        selection=[Selection(select=("PL001", "PL002"))],
    )
    prefix = "tests/fixtures/listeners/"
    found = set()
    for finding in report.findings:
        assert len(finding.related) == 1, finding
        where, other = finding.location, finding.related[0]
        anchor = (where.file.removeprefix(prefix), where.line, where.column)
        related = (other.file.removeprefix(prefix), other.line, other.column)
        found.add((finding.code, anchor, related))
    return found


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=PLANNED[name]))
        if name in PLANNED
        else name
        for name in CLASSES
    ],
)
def test_conflicts_are_the_expected_ones(name: str, tmp_path: Path) -> None:
    assert conflicts_found(name, tmp_path) == expected_findings(name)


def test_every_class_has_an_expected_md_naming_real_places() -> None:
    """Each anchor, related location and table row points at a value in the fixture."""
    assert len(CLASSES) == 21
    for name in CLASSES:
        folder = LISTENERS / name
        text = (folder / "EXPECTED.md").read_text()
        places = [(LISTENERS / a[0], a) for _c, a, _r in expected_findings(name)]
        places += [(LISTENERS / r[0], r) for _c, _a, r in expected_findings(name)]
        ports: dict[Anchor, str] = {}
        for row in filter(None, map(TABLE_ROW.match, text.splitlines())):
            file, line, column = row["loc"].rsplit(":", 2)
            places.append((folder / file, (file, int(line), int(column))))
            ports[(file, int(line), int(column))] = row["port"]
        assert places, f"{name}/EXPECTED.md names no place"
        for path, place in places:
            _file, line, column = place
            value = path.read_text().splitlines()[line - 1][column - 1 :]
            # A value expression starts here: a literal, a name or an attribute set.
            assert re.match(r"[0-9A-Za-z{]", value), f"{path}:{line}:{column} is {value!r}"
            literal = re.match(r"\d+", value)
            if literal and place in ports:
                assert literal[0] == ports[place], f"{path}:{line}:{column} is {value!r}"


def test_every_fixture_file_is_valid_nix() -> None:
    files = sorted(LISTENERS.rglob("*.nix"))
    assert len(files) == 59
    done = subprocess.run(
        ["nix-instantiate", "--parse", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_option_table_places_are_the_module_systems() -> None:
    """Nix itself puts each app's `moreOptions.port` at `homelab.<app>.port`."""
    assert evaluate_port_options(LISTENERS / "option-table" / "default.nix") == {
        "homelab.audiobooks.port": 4533,
        "homelab.jellyfin.port": 8096,
        "homelab.navidrome.port": 4533,
    }
