"""`portlint suggest`: the next free pair of a category, as the registry's rules would pick it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES, AxiosTree, Run

from axios_portlint.commands.suggest import FullRangeError, suggest
from axios_portlint.model import Kind, Location, PortDecl, ValueState
from axios_portlint.registry import parse_registry

Portlint = Callable[..., Run]
SYNC = FIXTURES / "registry-sync"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The registry-sync tree after sync: web has free ports, api and media no local range."""
    shutil.copytree(SYNC / "modules", tmp_path / "modules")
    shutil.copyfile(SYNC / "expected.md", tmp_path / "ports.md")
    return tmp_path


REGISTRY = """\
### Web Services

| Service | Local Port | Tailscale Port |
|---------|------------|----------------|
| chat    | 8080       | 8443           |
| notes   | 8081       | 8445           |
| *Reserved* | 8084-8089 | 8449-8452   |

| Range | Purpose |
|-------|---------|
| 8080-8089 | Web application services |
| 8443-8452 | Tailscale HTTPS (web apps) |
"""


def test_the_offset_pair_is_preferred(tree: Path, portlint: Portlint) -> None:
    result = portlint("suggest", "web", cwd=tree)
    assert result.code == 0, result.stderr
    assert result.stdout == (
        "category:  web\n"
        "local:     8080 (range 8080-8089, Web application services)\n"
        "tailscale: 8443 (range 8443-8452, Tailscale HTTPS (web apps))\n"
        "offset:    Tailscale = local + 363\n"
    )


def test_json_for_scripts(tree: Path, portlint: Portlint) -> None:
    result = portlint("suggest", "APIs", "--format", "json", cwd=tree)
    assert result.code == 0
    data = json.loads(result.stdout)
    # 8454 is the Planned 'Gateway docs' row, 8455 the gateway in code: 8453 is free.
    assert (data["local"], data["tailscale"], data["offset"]) == (None, 8453, False)
    assert data["tailscale_range"] == "8453-8459"
    assert "no local range is for 'APIs'" in data["notes"][0]


def test_every_category_when_none_is_named(tree: Path, portlint: Portlint) -> None:
    result = portlint("suggest", "--format", "json", cwd=tree)
    assert result.code == 0
    data = json.loads(result.stdout)
    assert [entry["category"] for entry in data] == ["web", "api", "media", "photo"]
    assert data[2]["tailscale"] == 8460  # Photos moved to 8461, which sync recorded
    assert "is full" in data[3]["error"]  # the upstream default 2283 is taken


def test_offset_that_cannot_hold_is_explained() -> None:
    registry = parse_registry(REGISTRY, "ports.md")
    # 8082 + 363 = 8445 is taken by 'notes', 8083 + 363 = 8446 is free.
    found = suggest("web", (), registry)
    assert (found.local, found.tailscale, found.offset) == (8083, 8446, True)
    assert found.notes == (
        "local 8082 is free but 8445 (= 8082 + 363) is taken by 'notes' at ports.md:6; "
        "8083 is the first local port whose +363 twin is free",
    )


def test_no_twin_free_gives_the_best_pair_and_says_why() -> None:
    text = REGISTRY.replace("| 8443-8452 | Tailscale", "| 8500-8509 | Tailscale")
    found = suggest("web", (), parse_registry(text, "ports.md"))
    assert (found.local, found.tailscale, found.offset) == (8082, 8500, False)
    assert found.notes == (
        "the offset convention cannot hold: 8445 (= 8082 + 363) is taken by 'notes' at "
        "ports.md:6, as for every other free local port",
    )


def test_a_full_range_is_an_error_naming_it(axios_tree: AxiosTree, portlint: Portlint) -> None:
    """The bundled registry reserves the rest of the web range: nothing is free."""
    result = portlint("suggest", "web", cwd=axios_tree.root)
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "portlint: error: web: the local range 8080-8089 (Web application services) is full "
        "in ports.md; reserved: 8084-8089 at ports.md:39 (shrink a reservation to free a port)\n"
    )
    as_json = portlint("suggest", "web", "--format", "json", cwd=axios_tree.root)
    assert as_json.code == 1
    assert json.loads(as_json.stdout)["error"].startswith("the local range 8080-8089")


def test_ports_in_code_count_as_used() -> None:
    """A firewall range over the last free local ports fills the web range."""
    firewall = PortDecl(
        option="networking.firewall.allowedTCPPortRanges",
        kind=Kind.FIREWALL,
        port=8082,
        end_port=8083,
        state=ValueState.KNOWN,
        expression="{ from = 8082; to = 8083; }",
        location=Location("modules/firewall.nix", 3, 5, 3, 40),
    )
    with pytest.raises(FullRangeError, match=r"local range 8080-8089 .* is full"):
        suggest("web", [firewall], parse_registry(REGISTRY, "ports.md"))


def test_unknown_category_is_a_usage_error(tree: Path, portlint: Portlint) -> None:
    result = portlint("suggest", "databases", cwd=tree)
    assert result.code == 2
    assert result.stderr == (
        "portlint: error: no range in ports.md is for 'databases' "
        "(categories: web, api, media, photo)\n"
    )
