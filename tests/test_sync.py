"""`portlint registry sync`: the registry rewritten from the code, and nothing else touched.

tests/fixtures/registry-sync/ has one of every change: ports that moved (in a
right-aligned column with code spans), a service gone, new listeners for the web
table, the API table (which lacks the Module column and is written without
padding) and none (Unsorted), a table with an extra Notes column, and prose
between the tables. expected.md is the registry after sync, reviewed by hand.
"""

from __future__ import annotations

import difflib
import re
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES, AxiosTree, Run

from axios_portlint.api import check
from axios_portlint.commands.options import Options
from axios_portlint.commands.sync import plan

SYNC = FIXTURES / "registry-sync"
EXPECTED = (SYNC / "expected.md").read_bytes()
# The cells sync may change, by header name; every other cell must stay byte for byte.
OWNED = {"Local Port", "Tailscale Port", "Status", "Module"}
RULES_SYNC_SATISFIES = {"PL003", "PL004", "PL005"}

Portlint = Callable[..., Run]


def sync_tree(root: Path, newline: bytes = b"\n") -> Path:
    shutil.copytree(SYNC / "modules", root / "modules")
    registry = root / "ports.md"
    registry.write_bytes((SYNC / "ports.md").read_bytes().replace(b"\n", newline))
    return registry


def cells(line: str) -> list[str]:
    """A table line's raw cells, split at unescaped pipes (independently of portlint)."""
    return re.split(r"(?<!\\)\|", line)


def assert_only_owned_cells_changed(before: bytes, after: bytes, newline: str) -> None:
    """Every byte outside the cells sync owns is unchanged; added lines are whole rows."""
    old = before.decode().split(newline)
    new = after.decode().split(newline)
    header: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    changed_lines = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for line in old[i1:i2]:
                if line.startswith("|") and "Service" in line:
                    header = [c.strip() for c in cells(line)]
            continue
        assert tag in ("replace", "insert"), f"sync deleted lines {old[i1:i2]}"
        if tag == "insert":
            assert all(
                line == "" or line.startswith(("|", "#", "Listeners")) for line in new[j1:j2]
            )
            continue
        for old_line, new_line in _pairs(old[i1:i2], new[j1:j2]):
            changed_lines += 1
            if old_line.startswith("|") and "Service" in old_line:
                header = [c.strip() for c in cells(new_line)]
            old_cells, new_cells = cells(old_line), cells(new_line)
            if len(new_cells) == len(old_cells) + 1:  # the Module column was added
                added = header.index("Module")
                del new_cells[added]
                kept_header = header[:added] + header[added + 1 :]
            else:
                kept_header = header
            assert len(old_cells) == len(new_cells)
            for name, old_cell, new_cell in zip(kept_header, old_cells, new_cells, strict=True):
                if name not in OWNED:
                    assert old_cell == new_cell, f"{name} cell changed in {old_line!r}"
    assert changed_lines > 0


def _pairs(old: list[str], new: list[str]) -> list[tuple[str, str]]:
    """Each changed line with its new version (same first cell); the rest must be new rows."""
    pairs = []
    remaining = iter(new)
    for old_line in old:
        for new_line in remaining:
            if cells(new_line)[:2] == cells(old_line)[:2]:
                pairs.append((old_line, new_line))
                break
            assert new_line.startswith("|"), f"sync rewrote {old_line!r}"
        else:
            raise AssertionError(f"sync deleted {old_line!r}")
    return pairs


def test_check_prints_the_diff_and_writes_nothing(tmp_path: Path, portlint: Portlint) -> None:
    registry = sync_tree(tmp_path)
    before = registry.read_bytes()
    result = portlint("registry", "sync", "--check", cwd=tmp_path)
    assert result.code == 1, result.stderr
    assert registry.read_bytes() == before
    assert result.stdout.startswith("--- ports.md\n+++ ports.md\n")
    assert "-| **Chat** | `8080` | `8443` | `services.chat` | *moved once* | Active |" in (
        result.stdout
    )
    assert "+| **Chat** | `8081` | `8444` | `services.chat` | *moved once* | Active |" in (
        result.stdout
    )
    assert result.stderr == ""


def test_sync_writes_the_expected_registry(tmp_path: Path, portlint: Portlint) -> None:
    registry = sync_tree(tmp_path)
    result = portlint("registry", "sync", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert registry.read_bytes() == EXPECTED
    assert "ports.md:14: 'Chat' Local Port 8080 -> 8081" in result.stdout
    assert "ports.md:15: 'Old blog' status Active -> Removed" in result.stdout
    assert "added 'wiki' (services.wiki) to 'Web Services'" in result.stdout
    assert "added 'gateway' (services.gateway) to 'API Services'" in result.stdout
    assert "added 'grafana' (services.grafana) to 'Unsorted'" in result.stdout
    assert "ports.md:22: added the Module column to 'API Services'" in result.stdout
    assert "ports.md:31: 'Radio' status Active -> Removed" in result.stdout
    assert result.stdout.endswith("Updated ports.md: 9 changes.\n")


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_every_byte_outside_the_owned_cells_is_kept(
    tmp_path: Path, portlint: Portlint, newline: str
) -> None:
    registry = sync_tree(tmp_path, newline.encode())
    before = registry.read_bytes()
    assert portlint("registry", "sync", cwd=tmp_path).code == 0
    after = registry.read_bytes()
    assert_only_owned_cells_changed(before, after, newline)
    if newline == "\r\n":
        assert after.count(b"\n") == after.count(b"\r\n"), "a line lost its CRLF"
        assert after == EXPECTED.replace(b"\n", b"\r\n")


def quoted_media_and_escaped_notes(text: bytes) -> bytes:
    """The Media table inside a blockquote, and an escaped pipe in a Notes cell of the web table."""
    lines = text.decode().split("\n")
    media = lines.index("### Media Services") + 2
    lines[media : media + 4] = [f"> {line}" for line in lines[media : media + 4]]
    return "\n".join(lines).replace("retired in 2024", "retired \\| 2024").encode()


def test_cells_are_placed_inside_blockquotes_and_after_escaped_pipes(
    tmp_path: Path, portlint: Portlint
) -> None:
    registry = sync_tree(tmp_path)
    registry.write_bytes(quoted_media_and_escaped_notes(registry.read_bytes()))
    result = portlint("registry", "sync", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert registry.read_bytes() == quoted_media_and_escaped_notes(EXPECTED)
    assert "> | Radio   | 8000       | -              |          | Removed |" in (
        registry.read_text()
    )
    assert "| Old blog | 8083 | 8446 | `services.blog` | retired \\| 2024 | Removed |" in (
        registry.read_text()
    )


def test_sync_is_idempotent(tmp_path: Path, portlint: Portlint) -> None:
    registry = sync_tree(tmp_path, b"\r\n")
    assert portlint("registry", "sync", cwd=tmp_path).code == 0
    once = registry.read_bytes()
    again = portlint("registry", "sync", cwd=tmp_path)
    assert (again.code, again.stdout) == (0, "ports.md is in sync with the code.\n")
    assert registry.read_bytes() == once
    checked = portlint("registry", "sync", "--check", cwd=tmp_path)
    assert (checked.code, checked.stdout) == (0, "ports.md is in sync with the code.\n")


def test_sync_then_check_reports_no_registry_drift(tmp_path: Path, portlint: Portlint) -> None:
    sync_tree(tmp_path)
    before = portlint("check", "--format", "json", cwd=tmp_path)
    assert set(re.findall(r'"code": "(PL\d+)"', before.stdout)) >= RULES_SYNC_SATISFIES
    assert portlint("registry", "sync", cwd=tmp_path).code == 0
    after = portlint("check", "--format", "json", cwd=tmp_path)
    assert not RULES_SYNC_SATISFIES & set(re.findall(r'"code": "(PL\d+)"', after.stdout))
    assert after.code == 0, after.stdout


def test_axios_tree_broken_four_ways_is_repaired(axios_tree: AxiosTree, portlint: Portlint) -> None:
    """Moved ports, a deleted module, a new module, a table without Module: then check passes."""
    axios_tree.edit("modules/pim/default.nix", "default = 8080;", "default = 8079;")
    (axios_tree.modules / "services" / "immich.nix").unlink()
    axios_tree.write(
        "modules/services/grafana.nix",
        "{ lib, ... }:\n{\n  options.services.grafana.port = lib.mkOption {\n"
        "    type = lib.types.port;\n    default = 3000;\n  };\n}\n",
    )
    axios_tree.edit(
        "ports.md",
        "| Service | Local Port | Tailscale Port | Module | Status |\n"
        "|---------|------------|----------------|--------|--------|\n"
        "| Ollama API | 11434 | 8453 | `ai.local` | Active |\n"
        "| *Reserved* | - | 8454-8459 | | Future APIs |",
        "| Service | Local Port | Tailscale Port | Status |\n"
        "|---------|------------|----------------|--------|\n"
        "| Ollama API | 11434 | 8453 | Active |\n"
        "| *Reserved* | - | 8454-8459 | Future APIs |",
    )
    axios_tree.edit(  # an Active row no code declares, matched by nothing
        "ports.md",
        "| *Reserved* | - | 8461-8469 | | Future media |",
        "| Jellyfin | - | - | | Active |\n| *Reserved* | - | 8461-8469 | | Future media |",
    )
    broken = check([axios_tree.modules], axios_tree.registry, cwd=axios_tree.root)
    assert {f.code for f in broken.findings} >= RULES_SYNC_SATISFIES
    result = portlint("registry", "sync", cwd=axios_tree.root)
    assert result.code == 0, result.stderr
    text = axios_tree.registry.read_text()
    assert "| axios-ai-mail | 8079 | 8442 | `pim` | Active |" in text
    assert "| Immich | 2283 | 8460 | `immich` | Removed |" in text
    assert "| Ollama API | 11434 | 8453 | `services.ai.local` | Active |" in text
    assert "| Jellyfin | - | - | | Removed |" in text
    assert "### Unsorted" in text
    assert "| grafana | 3000       | -              | `services.grafana` | Active |" in text
    repaired = check([axios_tree.modules], axios_tree.registry, cwd=axios_tree.root)
    assert not RULES_SYNC_SATISFIES & {f.code for f in repaired.findings}


def test_named_tailscale_services_render_as_name_and_port(
    tmp_path: Path, portlint: Portlint
) -> None:
    shutil.copytree(FIXTURES / "services" / "axios", tmp_path / "tree")
    root = tmp_path / "tree"
    webui = root / "modules" / "ai" / "webui.nix"
    webui.write_text(webui.read_text().replace('"axios-chat"', '"axios-webui"'))
    result = portlint("registry", "sync", cwd=root)
    assert result.code == 0, result.stderr
    text = (root / "ports.md").read_text()
    assert "| Open WebUI | 8081 | axios-webui (443) | `ai.webui` | Active |" in text
    assert portlint("check", cwd=root).code == 0


def test_write_is_atomic_and_keeps_the_mode(tmp_path: Path, portlint: Portlint) -> None:
    registry = sync_tree(tmp_path)
    registry.chmod(0o640)
    assert portlint("registry", "sync", "--no-cache", cwd=tmp_path).code == 0
    assert stat.S_IMODE(registry.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["modules", "ports.md"]


def test_a_missing_trailing_newline_stays_missing(tmp_path: Path, portlint: Portlint) -> None:
    registry = sync_tree(tmp_path)
    registry.write_bytes(registry.read_bytes().rstrip(b"\n"))
    assert portlint("registry", "sync", cwd=tmp_path).code == 0
    assert registry.read_bytes() == EXPECTED.rstrip(b"\n")


def test_a_reservation_overlapping_an_allocation_is_narrowed(
    tmp_path: Path, portlint: Portlint
) -> None:
    """Reserved rows are what is left free: 8083-8089 gives 8083 back to 'Old blog'."""
    registry = sync_tree(tmp_path)
    text = registry.read_text().replace("| 8086-8089 | 8449-8452 |", "| 8083-8089 | 8449-8452 |")
    registry.write_text(text)
    result = portlint("registry", "sync", cwd=tmp_path)
    assert (result.code, result.stderr) == (0, "")
    assert (
        "ports.md:16: 'Reserved' Local Port 8083-8089 -> 8084-8089 "
        "(8083 is allocated to 'Old blog' at line 15)\n"
    ) in result.stdout
    assert result.stdout.endswith("Updated ports.md: 10 changes.\n")
    # The rest of the plan is the usual one; the reservation is left one port short of before.
    assert registry.read_bytes() == EXPECTED.replace(b"| 8086-8089 |", b"| 8084-8089 |")
    assert portlint("registry", "sync", "--check", cwd=tmp_path).code == 0


def test_two_allocations_of_one_port_are_left_and_noted(tmp_path: Path, portlint: Portlint) -> None:
    """Which of two rows should move is the author's call: sync says so and syncs the rest."""
    registry = sync_tree(tmp_path)
    text = registry.read_text().replace("|—|8454|Planned|", "|—|8446|Planned|")
    registry.write_text(text)
    result = portlint("registry", "sync", cwd=tmp_path)
    assert result.code == 0
    assert result.stderr == (
        "portlint: note: ports.md:24: PL008 Tailscale port 8446 of 'Gateway docs' (8446) is "
        "also claimed by 'Old blog' (8446) at line 15; left as is\n"
    )
    assert "|Gateway docs|—|8446||Planned|" in registry.read_text()
    assert result.stdout.endswith("Updated ports.md: 9 changes.\n")


def test_refuses_a_tree_with_syntax_errors(tmp_path: Path, portlint: Portlint) -> None:
    registry = sync_tree(tmp_path)
    before = registry.read_bytes()
    (tmp_path / "modules" / "broken.nix").write_text("{ options.x = ; }\n")
    for args in (("registry", "sync"), ("registry", "sync", "--check")):
        result = portlint(*args, cwd=tmp_path)
        assert result.code == 2
        assert "refusing to sync ports.md: modules/broken.nix:1" in result.stderr
        assert "PL010" in result.stderr
        assert len(result.stderr.splitlines()) == 1
    assert registry.read_bytes() == before


def test_missing_registry_is_a_usage_error(tmp_path: Path, portlint: Portlint) -> None:
    sync_tree(tmp_path)
    result = portlint("registry", "sync", "--registry", "nope.md", cwd=tmp_path)
    assert (result.code, result.stderr) == (
        2,
        "portlint: error: nope.md: registry file not found\n",
    )


def test_api_returns_the_plan_without_writing(tmp_path: Path) -> None:
    registry = sync_tree(tmp_path)
    before = registry.read_bytes()
    result = plan(
        Options(cwd=tmp_path, root=tmp_path, paths=(tmp_path / "modules",), registry=registry)
    )
    assert result.changed
    assert result.after.to_bytes() == EXPECTED
    assert len(result.plan.changes) == 9
    assert registry.read_bytes() == before


def test_rows_added_to_a_crlf_registry_end_in_crlf(tmp_path: Path, portlint: Portlint) -> None:
    """Sync adds rows (wiki, gateway, grafana) and a column; a CRLF file stays all CRLF."""
    registry = sync_tree(tmp_path, b"\r\n")
    before = registry.read_bytes().split(b"\r\n")
    assert portlint("registry", "sync", cwd=tmp_path).code == 0
    after = registry.read_bytes()
    added = [line for line in after.split(b"\r\n") if line not in before]
    assert any(b"wiki" in line for line in added)
    assert all(b"\n" not in line and b"\r" not in line for line in added), added
    assert after.count(b"\n") == after.count(b"\r\n")


def test_sync_api_keeps_a_crlf_registry_crlf(tmp_path: Path) -> None:
    registry = sync_tree(tmp_path, b"\r\n")
    result = plan(
        Options(cwd=tmp_path, root=tmp_path, paths=(tmp_path / "modules",), registry=registry)
    )
    written = result.after.to_bytes()
    assert result.changed and b"wiki" in written
    assert written.count(b"\n") == written.count(b"\r\n")
    assert written == EXPECTED.replace(b"\n", b"\r\n")
    assert registry.read_bytes() == (SYNC / "ports.md").read_bytes().replace(b"\n", b"\r\n")


# -- reservations yield to the registry as synced ----------------------------------------------


def sync_tree_with(root: Path, old: str, new: str) -> Path:
    registry = sync_tree(root)
    text = registry.read_text()
    assert text.count(old) == 1
    registry.write_text(text.replace(old, new))
    return registry


def test_a_reservation_yields_to_the_rows_sync_adds(tmp_path: Path, portlint: Portlint) -> None:
    """The new `gateway` row takes 8455 from the reservation in the same run (and the
    table gets its Module column, in the split rows too): one sync, then nothing to do."""
    registry = sync_tree_with(
        tmp_path,
        "|Gateway docs|—|8454|Planned|\n",
        "|Gateway docs|—|8454|Planned|\n|*Reserved*|—|8453-8459|Future|\n",
    )
    result = portlint("registry", "sync", cwd=tmp_path)
    assert (result.code, result.stderr) == (0, "")
    assert (
        "ports.md:25: 'Reserved' Tailscale Port 8453-8459 -> 8453, 8456-8459 (8454 is allocated "
        "to 'Gateway docs' at line 24, 8455 is allocated to 'gateway' in a row sync adds)\n"
    ) in result.stdout
    assert (
        "|Gateway docs|—|8454||Planned|\n"
        "|gateway|8090|8455|`services.gateway`|Active|\n"
        "|*Reserved*|—|8453||Future|\n"
        "|*Reserved*|—|8456-8459||Future|\n"
    ) in registry.read_text()
    again = portlint("registry", "sync", "--check", cwd=tmp_path)
    assert (again.code, again.stdout) == (0, "ports.md is in sync with the code.\n")
    after = check([tmp_path / "modules"], registry, cwd=tmp_path)
    assert [f for f in after.findings if f.code in ("PL003", "PL004", "PL005", "PL008")] == []


def test_a_contradiction_sync_resolves_is_no_note(tmp_path: Path, portlint: Portlint) -> None:
    """'Next' claims 8080, which the Chat row gives up once synced to the code's 8081."""
    registry = sync_tree_with(
        tmp_path,
        "| Old blog | 8083 |",
        "| Next | 8080 | - | | | Planned |\n| Old blog | 8083 |",
    )
    before = check([tmp_path / "modules"], registry, cwd=tmp_path)
    assert [f.code for f in before.findings if f.code == "PL008"] == ["PL008"]
    result = portlint("registry", "sync", cwd=tmp_path)
    assert (result.code, result.stderr) == (0, "")
    after = check([tmp_path / "modules"], registry, cwd=tmp_path)
    assert [f for f in after.findings if f.code == "PL008"] == []
