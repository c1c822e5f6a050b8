"""PL016: the links of the registry's Cross-References section point to files that exist."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import AxiosTree, Run

from axios_portlint.api import check

Portlint = Callable[..., Run]

SECTION = """
## Cross-References

- axios-ai-mail: [modules/pim/default.nix](modules/pim/default.nix)
- Immich: [the module](modules/services/immich.nix#L12) and
  [its proposal](openspec/changes/immich/proposal.md)
- Upstream: [Immich docs](https://immich.app/docs), [mail](mailto:ops@example.org)
- This file: [statuses](#statuses), [absolute](/etc/hosts)
- Folder: [modules](modules/), [gone folder](archive/)

### Specs

- [Networking spec](openspec/specs/networking/spec.md)

## Elsewhere

- [not a cross-reference](missing-but-not-checked.md)
"""


def test_broken_links_are_reported_at_their_line(axios_tree: AxiosTree, portlint: Portlint) -> None:
    text = axios_tree.registry.read_text()
    start = text.index("## Cross-References")
    axios_tree.registry.write_text(text[:start] + SECTION.lstrip("\n"))
    lines = axios_tree.registry.read_text().splitlines()
    heading = lines.index("## Cross-References") + 1
    result = portlint("check", "--select", "PL016", cwd=axios_tree.root)
    assert result.code == 0  # a warning
    column = lines[heading + 3].index("openspec/changes") + 1
    assert result.stdout.splitlines() == [
        f"ports.md:{heading + 4}:{column}: PL016 [warning] Cross-References link "
        "'openspec/changes/immich/proposal.md' points to no file (relative to the folder of "
        "ports.md)",
        f"ports.md:{heading + 7}:{lines[heading + 6].index('archive/') + 1}: PL016 [warning] "
        "Cross-References link 'archive/' points to no file (relative to the folder of ports.md)",
        f"ports.md:{heading + 11}:21: PL016 [warning] Cross-References link "
        "'openspec/specs/networking/spec.md' points to no file (relative to the folder of "
        "ports.md)",
        "Found 3 findings (0 errors, 3 warnings, 0 info) in 7 files.",
    ]


def test_links_are_relative_to_the_registry_folder(axios_tree: AxiosTree) -> None:
    docs = axios_tree.root / "docs"
    docs.mkdir()
    registry = docs / "ports.md"
    text = axios_tree.registry.read_text()
    start = text.index("## Cross-References")
    registry.write_text(
        text[:start] + "## Cross-References\n\n- [pim](../modules/pim/default.nix)\n"
        "- [pim again](modules/pim/default.nix)\n"
    )
    report = check([axios_tree.modules], registry, cwd=axios_tree.root)
    found = [f for f in report.findings if f.code == "PL016"]
    assert [(f.location.file, f.location.line) for f in found] == [
        ("docs/ports.md", start_line(registry) + 3)
    ]


def start_line(registry: Path) -> int:
    return registry.read_text().splitlines().index("## Cross-References") + 1


def test_code_spans_are_not_links(axios_tree: AxiosTree, portlint: Portlint) -> None:
    """The bundled registry names files in code spans: nothing to check, nothing reported."""
    assert "`modules/pim/default.nix`" in axios_tree.registry.read_text()
    result = portlint("check", "--select", "PL016", cwd=axios_tree.root)
    assert (result.code, result.stdout) == (0, "All checks passed (7 files checked).\n")


def test_crlf_registry_reports_the_same_lines(axios_tree: AxiosTree, portlint: Portlint) -> None:
    text = axios_tree.registry.read_text()
    start = text.index("## Cross-References")
    axios_tree.registry.write_bytes(
        (text[:start] + "## Cross-References\n\n- [gone](gone.md)\n").replace("\n", "\r\n").encode()
    )
    result = portlint("check", "--select", "PL016", cwd=axios_tree.root)
    line = text[:start].count("\n") + 3
    assert result.stdout.startswith(
        f"ports.md:{line}:10: PL016 [warning] Cross-References link 'gone.md'"
    )
