"""Issue 11, the registry side: one drift, one finding at the row, and `registry sync` repairs it.

A renamed module, a Tailscale port moved to a named service, a reservation
overlapping an allocation and a module gone while its row stays Active: each is
one finding where the fix goes (the row), and `registry sync` rewrites exactly
that row. Checked on the cairn fixture (tests/fixtures/cairn, EXPECTED.md) and
on small breakages of the bundled axios tree, through the API and the CLI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, AxiosTree, Run, run_portlint

from axios_portlint.api import check
from axios_portlint.commands.options import Options
from axios_portlint.commands.sync import plan, range_label, runs
from axios_portlint.graph import PortGraph
from axios_portlint.model import Kind, Location, Origin, PortDecl, Registry, ValueState

CAIRN = FIXTURES / "cairn"
REGISTRY = "openspec/specs/networking/ports.md"
SYNCED = CAIRN / "expected-synced-ports.md"

# The four registry lines of EXPECTED.md, section 1.
CAIRN_ROW_FINDINGS = [
    (
        27,
        "PL005",
        "Tailscale port moved: the row 'cairn-mail' says 8443, the code serves it as the "
        "Tailscale Service cairn-mail (443)",
    ),
    (
        28,
        "PL005",
        "Active row 'Open WebUI' names module 'ai.webui', which declares no listener port "
        "in the tree",
    ),
    (
        31,
        "PL008",
        "'Reserved' (8084-8089) still reserves local port 8085, which 'MCP Gateway' allocates "
        "at line 38",
    ),
    (
        44,
        "PL005",
        "module renamed: the row 'Immich' says selfHosted.immich, the code declares cairn.immich",
    ),
]


@pytest.fixture
def cairn(tmp_path: Path) -> Path:
    root = tmp_path / "cairn"
    shutil.copytree(CAIRN, root)
    return root


def portlint(*args: str, cwd: Path) -> Run:
    return run_portlint(*args, "--no-cache", cwd=cwd)


def named_service(report_decls: tuple[PortDecl, ...], name: str) -> PortDecl:
    (decl,) = (d for d in report_decls if d.origin is Origin.TAILSCALE_SERVICE and d.name == name)
    return decl


# -- the cairn fixture: findings ------------------------------------------------------------


def test_cairn_registry_findings_through_the_api(cairn: Path) -> None:
    report = check([cairn], cwd=cairn)
    rows = [f for f in report.findings if f.location.file == REGISTRY]
    assert [(f.location.line, f.code, f.message) for f in rows] == CAIRN_ROW_FINDINGS
    assert all(f.location.column == 1 for f in rows)
    mail = named_service(report.inventory.decls, "cairn-mail")
    immich_port = next(d for d in report.inventory.decls if d.option == "cairn.immich.port")
    immich_service = named_service(report.inventory.decls, "cairn-immich")
    related = {f.location.line: list(f.related) for f in rows}
    assert related[27] == [mail.location]
    assert related[28] == []
    assert related[31] == [Location(REGISTRY, 38, 1, 38, 1)]
    assert related[44] == sorted(
        [immich_port.location, immich_service.location], key=Location.sort_key
    )
    first = related[44][0]
    assert (first.file, first.line, first.column) == ("modules/services/immich.nix", 14, 17)


def test_a_renamed_module_is_no_undocumented_port(cairn: Path) -> None:
    """The rename is reported once, at the row: no PL003 at cairn.immich nor its service."""
    report = check([cairn], cwd=cairn)
    at_code = [
        (f.code, f.location.file)
        for f in report.findings
        if f.location.file in ("modules/services/immich.nix", "modules/pim/default.nix")
    ]
    assert at_code == []


def test_cairn_registry_findings_through_the_cli(cairn: Path) -> None:
    result = portlint("check", "--format", "json", cwd=cairn)
    assert result.code == 1
    findings = json.loads(result.stdout)["findings"]
    rows = [f for f in findings if f["file"] == REGISTRY]
    assert [(f["line"], f["code"], f["message"]) for f in rows] == CAIRN_ROW_FINDINGS
    moved = rows[0]["related"]
    assert [(r["file"], r["line"]) for r in moved] in (
        [("modules/pim/default.nix", 39)],  # the name key (the codeside anchor)
        [("modules/pim/default.nix", 42)],  # the last binding (before it)
    )


# -- the cairn fixture: sync ---------------------------------------------------------------


def test_cairn_sync_api_plans_the_expected_registry(cairn: Path) -> None:
    registry = cairn / REGISTRY
    before = registry.read_bytes()
    result = plan(Options(cwd=cairn, root=cairn, paths=(cairn,), registry=registry))
    assert result.after.to_bytes() == SYNCED.read_bytes()
    assert len(result.plan.changes) == 4
    assert result.plan.notes == (
        "home/ai/mcp.nix:23: services.mcp-gateway.port cannot be resolved statically; no row added",
    )
    assert registry.read_bytes() == before


def test_cairn_sync_keeps_a_crlf_registry_crlf(cairn: Path) -> None:
    registry = cairn / REGISTRY
    registry.write_bytes(registry.read_bytes().replace(b"\n", b"\r\n"))
    result = portlint("registry", "sync", cwd=cairn)
    assert result.code == 0, result.stderr
    assert registry.read_bytes() == SYNCED.read_bytes().replace(b"\n", b"\r\n")


def test_cairn_after_sync_the_registry_side_is_clean(cairn: Path) -> None:
    shutil.copyfile(SYNCED, cairn / REGISTRY)
    report = check([cairn], cwd=cairn)
    registry_side = {"PL004", "PL005", "PL006", "PL008", "PL011"}
    assert [f for f in report.findings if f.code in registry_side] == []
    again = portlint("registry", "sync", "--check", cwd=cairn)
    assert (again.code, again.stdout) == (0, f"{REGISTRY} is in sync with the code.\n")


# -- renamed modules on the axios tree --------------------------------------------------------


def test_sync_writes_the_new_module_name_back(axios_tree: AxiosTree) -> None:
    """`immich` renamed `photos` in the registry only: sync restores the file byte for byte."""
    original = axios_tree.registry.read_bytes()
    axios_tree.edit("ports.md", "`immich`", "`photos`")
    row = original.decode().splitlines().index("| Immich | 2283 | 8460 | `immich` | Active |") + 1
    result = portlint("registry", "sync", cwd=axios_tree.root)
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == (
        f"ports.md:{row}: 'Immich' Module photos -> immich (renamed: the code declares "
        "axios.immich)\nUpdated ports.md: 1 change.\n"
    )
    assert axios_tree.registry.read_bytes() == original


def test_two_rename_candidates_are_left_and_noted(axios_tree: AxiosTree) -> None:
    """Its ports declared under two other namespaces: no rename to choose, both named."""
    axios_tree.edit("ports.md", "`immich`", "`photos`")
    axios_tree.write(
        "modules/services/gallery.nix",
        "{ lib, ... }:\n{\n  options.gallery.tailscaleServe.httpsPort = lib.mkOption {\n"
        "    type = lib.types.port;\n    default = 8460;\n  };\n}\n",
    )
    report = check([axios_tree.modules], axios_tree.registry, cwd=axios_tree.root)
    assert [f.message for f in report.findings if f.code == "PL005"] == [
        "Active row 'Immich' names module 'photos', which declares no listener port in the "
        "tree; its port is declared by axios.immich.port (modules/services/immich.nix:16), "
        "axios.immich.tailscaleServe.httpsPort (modules/services/immich.nix:21), "
        "gallery.tailscaleServe.httpsPort (modules/services/gallery.nix:5)"
    ]
    before = axios_tree.registry.read_bytes()
    result = portlint("registry", "sync", "--check", cwd=axios_tree.root)
    row = before.decode().splitlines().index("| Immich | 2283 | 8460 | `photos` | Active |") + 1
    assert (result.code, result.stdout) == (0, "ports.md is in sync with the code.\n")
    assert result.stderr == (
        f"portlint: note: ports.md:{row}: 'Immich' names module 'photos', but its ports are "
        "declared by axios.immich, gallery; left as is\n"
    )
    assert axios_tree.registry.read_bytes() == before


def test_a_namespace_another_row_names_is_no_rename(axios_tree: AxiosTree) -> None:
    """A stale row on pim's ports is not pim renamed: pim has its row."""
    axios_tree.edit(
        "ports.md",
        "| Open WebUI | 8081 | 8444 | `ai.webui` | Active |",
        "| Open WebUI | 8081 | 8444 | `ai.webui` | Active |\n"
        "| Old mail | 8080 | - | `mail` | Active |",
    )
    report = check([axios_tree.modules], axios_tree.registry, cwd=axios_tree.root)
    messages = [f.message for f in report.findings if f.code == "PL005"]
    assert messages == [
        "Active row 'Old mail' names module 'mail', which declares no listener port in the "
        "tree; its port is declared by pim.port (modules/pim/default.nix:19)"
    ]


def test_module_names_are_spelled_like_the_cell_they_replace() -> None:
    def decl(option: str, port: int) -> PortDecl:
        where = Location("m.nix", 1, 1, 1, 1)
        return PortDecl(option, Kind.LOCAL, port, ValueState.KNOWN, str(port), where)

    graph = PortGraph(
        [decl("cairn.immich.port", 2283), decl("services.immich.port", 2284), decl("pim.port", 1)],
        Registry("ports.md"),
    )
    assert graph.module_name("cairn.immich", "selfHosted.immich") == "cairn.immich"
    assert graph.module_name("pim", "mail") == "pim"
    # `immich` alone would also name services.immich: one more segment.
    assert graph.module_name("cairn.immich", "photos") == "cairn.immich"
    assert graph.module_name("cairn.immich", "a.b.c.d") == "cairn.immich"


# -- reservations -------------------------------------------------------------------------------


def test_a_reservation_is_split_in_both_kinds(axios_tree: AxiosTree) -> None:
    axios_tree.edit(
        "ports.md",
        "| *Reserved* | 8084-8089 | 8447-8452 | | Future |",
        "| *Reserved* | 8084-8089 | 8447-8452 | | Future |\n"
        "| Pad | 8086 | 8449 | `pad` | Planned |",
    )
    result = portlint("registry", "sync", cwd=axios_tree.root)
    assert result.code == 0, result.stderr
    text = axios_tree.registry.read_text()
    assert (
        "| *Reserved* | 8084-8085 | 8447-8448 | | Future |\n"
        "| *Reserved* | 8087-8089 | 8450-8452 | | Future |\n"
        "| Pad | 8086 | 8449 | `pad` | Planned |\n"
    ) in text
    assert "'Reserved' Local Port 8084-8089 -> 8084-8085, 8087-8089 (8086 is allocated" in (
        result.stdout
    )
    assert "'Reserved' Tailscale Port 8447-8452 -> 8447-8448, 8450-8452 (8449 is allocated" in (
        result.stdout
    )
    assert portlint("check", cwd=axios_tree.root).code == 0


def test_a_split_in_one_kind_keeps_the_other_on_the_first_row(axios_tree: AxiosTree) -> None:
    axios_tree.edit(
        "ports.md",
        "| *Reserved* | 8084-8089 | 8447-8452 | | Future |",
        "| *Reserved* | 8084-8089 | 8447-8452 | | Future |\n| Pad | 8086 | - | `pad` | Planned |",
    )
    assert portlint("registry", "sync", cwd=axios_tree.root).code == 0
    assert (
        "| *Reserved* | 8084-8085 | 8447-8452 | | Future |\n"
        "| *Reserved* | 8087-8089 | - | | Future |\n"
    ) in axios_tree.registry.read_text()
    assert portlint("check", cwd=axios_tree.root).code == 0


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("last", [False, True], ids=["inside", "last-line"])
def test_a_reservation_with_nothing_left_free_loses_its_row(
    axios_tree: AxiosTree, newline: bytes, last: bool
) -> None:
    reserved = b"| *Reserved* | - | 8461-8469 | | Future media |"
    text = axios_tree.registry.read_bytes()
    if last:  # the row ends the file, without a line ending
        text = text[: text.index(reserved) + len(reserved)]
    axios_tree.registry.write_bytes(
        text.replace(reserved, b"| *Reserved* | - | 8460 | | Future media |").replace(
            b"\n", newline
        )
    )
    result = portlint("registry", "sync", cwd=axios_tree.root)
    assert result.code == 0, result.stderr
    assert "'Reserved' Tailscale Port 8460 -> row removed (8460 is allocated to 'Immich'" in (
        result.stdout
    )
    after = axios_tree.registry.read_bytes()
    expected = text.replace(reserved + b"\n", b"") if not last else text[: -len(reserved) - 1]
    assert after == expected.replace(b"\n", newline)


def test_runs_and_their_labels() -> None:
    assert [range_label(r) for r in runs([8089, 8084, 8086, 8087, 8088])] == ["8084", "8086-8089"]
    assert runs([]) == []


# -- what sync adds no row for -------------------------------------------------------------------


def test_reads_and_unknown_ports_add_no_rows(axios_tree: AxiosTree) -> None:
    axios_tree.write(
        "modules/home/mcp.nix",
        "{ osConfig, lib, ... }:\n{\n  programs.mcp.gatewayUrl =\n"
        '    "http://127.0.0.1:${toString (osConfig.services.mcp-gateway.port or 8085)}";\n}\n',
    )
    axios_tree.write(
        "modules/services/queue.nix",
        "{ lib, pkgs, ... }:\n{\n  options.services.queue.port = lib.mkOption {\n"
        "    type = lib.types.port;\n    default = pkgs.queue.defaultPort;\n  };\n}\n",
    )
    before = axios_tree.registry.read_bytes()
    result = portlint("registry", "sync", cwd=axios_tree.root)
    assert (result.code, result.stdout) == (0, "ports.md is in sync with the code.\n")
    assert result.stderr == (
        "portlint: note: modules/services/queue.nix:5: services.queue.port cannot be resolved "
        "statically; no row added\n"
    )
    assert axios_tree.registry.read_bytes() == before


# -- a Tailscale port moved to a named service ---------------------------------------------------


@pytest.fixture
def named_tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    shutil.copytree(FIXTURES / "services" / "axios", root)
    return root


def test_a_moved_tailscale_port_is_one_finding_at_the_row(named_tree: Path) -> None:
    registry = named_tree / "ports.md"
    registry.write_text(registry.read_text().replace("axios-mail (443)", "8443"))
    report = check([named_tree], cwd=named_tree)
    mail = named_service(report.inventory.decls, "axios-mail")
    # (PL014 also says the PWA's reference, 443, differs from the stale row.)
    pl005 = [f for f in report.findings if f.code == "PL005"]
    assert [(f.code, f.location, f.message, list(f.related)) for f in pl005] == [
        (
            "PL005",
            Location("ports.md", 29, 1, 29, 1),
            "Tailscale port moved: the row 'axios-ai-mail' says 8443, the code serves it as "
            "the Tailscale Service axios-mail (443)",
            [mail.location],
        )
    ]
    result = portlint("registry", "sync", cwd=named_tree)
    assert result.stdout == (
        "ports.md:29: 'axios-ai-mail' Tailscale Port 8443 -> axios-mail (443)\n"
        "Updated ports.md: 1 change.\n"
    )
    assert portlint("check", cwd=named_tree).code == 0


def test_a_named_service_beside_the_registered_port_is_no_move(named_tree: Path) -> None:
    """The row's 8443 is still served: the named service is an addition, reported at the code."""
    registry = named_tree / "ports.md"
    registry.write_text(registry.read_text().replace("axios-mail (443)", "8443"))
    pim = named_tree / "modules" / "pim" / "default.nix"
    pim.write_text(
        pim.read_text().replace(
            "    pwa.httpsPort = lib.mkOption {",
            "    tailscaleServe.httpsPort = lib.mkOption {\n"
            "      type = lib.types.port;\n      default = 8443;\n    };\n\n"
            "    pwa.httpsPort = lib.mkOption {",
        )
    )
    report = check([named_tree], cwd=named_tree)
    mail = named_service(report.inventory.decls, "axios-mail")
    pl005 = [f for f in report.findings if f.code == "PL005"]
    assert [(f.code, f.location, f.message) for f in pl005] == [
        (
            "PL005",
            mail.location,
            "networking.tailscale.services.axios-mail.port is Tailscale Service 'axios-mail' "
            "on port 443, but ports.md:29 registers 8443 as the Tailscale Port of "
            "'axios-ai-mail'",
        )
    ]
