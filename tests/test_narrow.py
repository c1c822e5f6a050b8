"""File arguments narrow reporting (axios_portlint.narrow), over plain and real findings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES

from axios_portlint.api import check
from axios_portlint.discover.root import targets_of
from axios_portlint.model import Finding, Location, Severity
from axios_portlint.narrow import narrow

REGISTRY = "openspec/specs/networking/ports.md"


def at(file: str, line: int = 1) -> Location:
    return Location(file, line, 1, line, 1)


def finding(file: str, line: int = 1, *related: Location) -> Finding:
    return Finding("PL005", Severity.ERROR, f"{file}:{line}", at(file, line), related=related)


PIM = finding("modules/pim/default.nix", 42, at(REGISTRY, 27))
IMMICH = finding("modules/services/immich.nix", 14)
ROW = finding(REGISTRY, 44, at("modules/services/immich.nix", 14))
HOME = finding("home/ai/mcp.nix", 23)
# A file whose name starts like a folder target must not pass for a file inside it.
LOOKALIKE = finding("modules-old/x.nix", 3)
ALL = (HOME, PIM, IMMICH, LOOKALIKE, ROW)


@pytest.mark.parametrize(
    ("targets", "kept"),
    [
        ({"modules/pim/default.nix"}, (PIM,)),
        ({REGISTRY}, (ROW,)),
        ({"modules"}, (PIM, IMMICH)),
        ({"modules/"}, (PIM, IMMICH)),
        ({"home/ai/mcp.nix", "modules/services/immich.nix"}, (HOME, IMMICH)),
        ({"."}, ALL),
        ({"modules/pim"}, (PIM,)),
        ({"docs/README.md"}, ()),
        (set(), ()),
    ],
)
def test_keeps_the_findings_located_in_the_targets(
    targets: set[str], kept: tuple[Finding, ...]
) -> None:
    assert narrow(ALL, targets) == kept


def test_related_also_keeps_findings_pointing_into_the_targets() -> None:
    assert narrow(ALL, {"modules/services/immich.nix"}, related=True) == (IMMICH, ROW)
    assert narrow(ALL, {REGISTRY}, related=True) == (PIM, ROW)


def test_order_is_kept() -> None:
    assert narrow(reversed(ALL), {"."}) == tuple(reversed(ALL))


def test_the_real_check_narrowed_from_a_subfolder(tmp_path: Path) -> None:
    """Targets spelled from modules/ match the paths discovery and the registry gave findings."""
    root = tmp_path / "cairn"
    shutil.copytree(FIXTURES / "cairn", root)
    report = check([Path("modules"), Path("home")], cwd=root)
    files = {f.location.file for f in report.findings}
    assert REGISTRY in files
    assert "home/ai/mcp.nix" in files

    for argument, wanted in [
        (Path(f"../{REGISTRY}"), REGISTRY),
        (Path("../home/ai/mcp.nix"), "home/ai/mcp.nix"),
    ]:
        targets = targets_of([argument], cwd=root / "modules", base=root)
        kept = narrow(report.findings, targets)
        assert kept
        assert kept == tuple(f for f in report.findings if f.location.file == wanted)
