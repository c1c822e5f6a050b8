"""Each rule on the bundled axios tree: clean as shipped, then broken in one way each."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SEED_REGISTRY, AxiosTree, Run, run_portlint

from axios_portlint.api import Report, check
from axios_portlint.model import ALLOCATABLE_PORTS, PORTS, Finding, Origin
from axios_portlint.registry import parse_port_cell


def run(tree: AxiosTree) -> Report:
    return check([tree.modules], tree.registry, cwd=tree.root)


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text().splitlines()
    hits = [number for number, text in enumerate(lines, start=1) if needle in text]
    assert len(hits) == 1, f"{needle!r} is on lines {hits} of {path}"
    return hits[0]


def summary(findings: tuple[Finding, ...]) -> list[tuple[str, str, int]]:
    return [(f.code, f.location.file, f.location.line) for f in findings]


def test_bundled_tree_is_clean(axios_tree: AxiosTree) -> None:
    report = run(axios_tree)
    assert report.findings == ()
    assert report.exit_code() == 0
    assert len(report.inventory.files) == 7
    origins = [d.origin for d in report.inventory.decls]
    # Nine option defaults, and three `services.X.port = cfg.port;` that read them.
    assert (origins.count(Origin.OPTION), origins.count(Origin.CONFIG)) == (9, 3)


def test_pl001_two_services_share_a_local_port(axios_tree: AxiosTree) -> None:
    axios_tree.edit("modules/services/immich.nix", "local = 2283;", "local = 11434;")
    immich = axios_tree.modules / "services/immich.nix"
    line = line_of(immich, "default = ports.local;")
    findings = run(axios_tree).findings
    assert summary(findings) == [
        ("PL001", "modules/services/immich.nix", line),
        ("PL005", "modules/services/immich.nix", line),
    ]
    conflict = findings[0]
    assert conflict.port == 11434
    assert conflict.option == "axios.immich.port"
    assert "services.ai.local.port (modules/ai/default.nix:16:17)" in conflict.message
    assert [(r.file, r.line) for r in conflict.related] == [("modules/ai/default.nix", 16)]


def test_pl002_two_services_share_a_tailscale_port(axios_tree: AxiosTree) -> None:
    axios_tree.edit("modules/ai/default.nix", "default = 8453;", "default = 8460;")
    ai_line = line_of(axios_tree.modules / "ai/default.nix", "default = 8460;")
    immich_line = line_of(axios_tree.modules / "services/immich.nix", "default = ports.tailscale;")
    findings = run(axios_tree).findings
    assert summary(findings) == [
        ("PL005", "modules/ai/default.nix", ai_line),
        ("PL002", "modules/services/immich.nix", immich_line),
    ]
    assert findings[1].port == 8460
    assert "services.ai.local.tailscaleServe.httpsPort" in findings[1].message


def test_pl003_undocumented_service(axios_tree: AxiosTree) -> None:
    axios_tree.write(
        "modules/services/grafana.nix",
        """{ config, lib, ... }:
{
  options.axios.grafana = {
    port = lib.mkOption { type = lib.types.port; default = 8084; };
    tailscaleServe.httpsPort = lib.mkOption { type = lib.types.port; default = 8447; };
  };
}
""",
    )
    findings = run(axios_tree).findings
    assert summary(findings) == [
        ("PL003", "modules/services/grafana.nix", 4),
        ("PL003", "modules/services/grafana.nix", 5),
    ]
    assert findings[0].message == "local port 8084 of axios.grafana.port has no row in ports.md"


def test_pl004_active_row_without_code(axios_tree: AxiosTree) -> None:
    axios_tree.edit(
        "ports.md",
        "| axios-portal | 8082 | 8445 | `portal` | Planned |",
        "| axios-portal | 8082 | 8445 | | Active |",
    )
    line = line_of(axios_tree.registry, "| axios-portal |")
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL004", "ports.md", line)]
    assert "'axios-portal'" in findings[0].message


def test_planned_rows_need_no_code(axios_tree: AxiosTree) -> None:
    """Only Active rows must exist: Planned portal and calendar rows are fine."""
    text = axios_tree.registry.read_text()
    assert "| axios-calendar | 8083 | 8446 | `calendar` | Planned |" in text
    assert run(axios_tree).findings == ()


def test_pl005_code_and_registry_disagree(axios_tree: AxiosTree) -> None:
    axios_tree.edit("modules/ai/default.nix", "default = 8453;", "default = 8454;")
    line = line_of(axios_tree.modules / "ai/default.nix", "default = 8454;")
    row = line_of(axios_tree.registry, "| Ollama API |")
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL005", "modules/ai/default.nix", line)]
    assert findings[0].message == (
        f"services.ai.local.tailscaleServe.httpsPort defaults to 8454, but ports.md:{row} "
        "registers 8453 as the Tailscale Port of 'Ollama API'"
    )


def test_pl005_registry_claims_a_port_the_module_lacks(axios_tree: AxiosTree) -> None:
    axios_tree.edit(
        "modules/ai/webui.nix",
        """    tailscaleServe = {
      httpsPort = mkOption {
        type = types.port;
        default = cfg.port + 363;
        description = "Tailscale HTTPS port of Open WebUI.";
      };
    };
""",
        "",
    )
    row = line_of(axios_tree.registry, "| Open WebUI |")
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL005", "ports.md", row)]
    assert "declares no tailscale port option" in findings[0].message


def test_pl005_active_row_names_a_renamed_module(axios_tree: AxiosTree) -> None:
    """One finding at the row, the declarations related; no PL003 at the code."""
    axios_tree.edit("ports.md", "`immich`", "`photos`")
    row = line_of(axios_tree.registry, "| Immich |")
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL005", "ports.md", row)]
    assert findings[0].message == (
        "module renamed: the row 'Immich' says photos, the code declares axios.immich"
    )
    assert [(r.file, r.line) for r in findings[0].related] == [
        ("modules/services/immich.nix", 16),
        ("modules/services/immich.nix", 21),
    ]


def test_pl006_port_outside_every_range(axios_tree: AxiosTree) -> None:
    axios_tree.edit("modules/services/immich.nix", "tailscale = 8460;", "tailscale = 8470;")
    axios_tree.edit("ports.md", "| Immich | 2283 | 8460 |", "| Immich | 2283 | 8470 |")
    line = line_of(axios_tree.modules / "services/immich.nix", "default = ports.tailscale;")
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL006", "modules/services/immich.nix", line)]
    assert findings[0].severity == "warning"
    assert "8443-8452, 8453-8459, 8460-8469" in findings[0].message


def test_pl007_offset_convention(axios_tree: AxiosTree) -> None:
    axios_tree.edit("ports.md", "| *Reserved* | 8084-8089 | 8447-8452 | | Future |\n", "")
    axios_tree.edit(
        "ports.md", "| axios-ai-mail | 8080 | 8443 |", "| axios-ai-mail | 8080 | 8447 |"
    )
    axios_tree.edit("modules/pim/default.nix", "default = cfg.port + 363;", "default = 8447;")
    # The PWA follows its server (or PL014 would report the stale reference).
    axios_tree.edit("modules/pim/default.nix", "default = 8443;", "default = 8447;")
    line = (
        line_of(axios_tree.modules / "pim/default.nix", "registry convention: local port + 363") - 1
    )
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL007", "modules/pim/default.nix", line)]
    assert findings[0].severity == "info"
    assert run(axios_tree).exit_code() == 0


def test_pl007_not_reported_where_the_offset_is_impractical(axios_tree: AxiosTree) -> None:
    """11434 + 363 lies in no Tailscale range, so the LLM API's 8453 is fine."""
    codes = [f.code for f in run(axios_tree).findings]
    assert "PL007" not in codes


def test_pl008_registry_row_inside_a_reserved_range(axios_tree: AxiosTree) -> None:
    axios_tree.edit("ports.md", "| Immich | 2283 | 8460 |", "| Immich | 2283 | 8462 |")
    axios_tree.edit("modules/services/immich.nix", "tailscale = 8460;", "tailscale = 8462;")
    row = line_of(axios_tree.registry, "| Immich |")
    reserved = line_of(axios_tree.registry, "| *Reserved* | - | 8461-8469 |")
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL008", "ports.md", reserved)]
    assert findings[0].message == (
        f"'Reserved' (8461-8469) still reserves Tailscale port 8462, which 'Immich' allocates "
        f"at line {row}"
    )


def test_pl008_seed_registry_contradictions(tmp_path: Path) -> None:
    """The seed's own registry, verbatim, contradicts itself exactly where it overlaps."""
    (tmp_path / "modules").mkdir()
    # A module without ports: an empty folder would be an empty selection (exit 2).
    (tmp_path / "modules" / "default.nix").write_text("{ }\n")
    report = check([tmp_path / "modules"], SEED_REGISTRY, cwd=tmp_path)
    reserved_web = line_of(SEED_REGISTRY, "| *Reserved* | 8084-8089 | 8447-8452 |")
    ollama = line_of(SEED_REGISTRY, "| Ollama API |")
    immich = line_of(SEED_REGISTRY, "| Immich |")
    api_reserved = line_of(SEED_REGISTRY, "| *Reserved* | - | 8448-8449 |")
    media_reserved = line_of(SEED_REGISTRY, "| *Reserved* | - | 8451-8459 |")
    web_range = line_of(SEED_REGISTRY, "| 8443-8452 |")
    api_range = line_of(SEED_REGISTRY, "| 8447-8449 |")
    media_range = line_of(SEED_REGISTRY, "| 8450-8459 |")
    pl008 = [(f.location.line, f.message) for f in report.findings if f.code == "PL008"]
    assert pl008 == [
        (
            # Reserved rows are what is left free: the reservation is what changes.
            reserved_web,
            "'Reserved' (8447-8452) still reserves Tailscale port 8447, which 'Ollama API' "
            f"allocates at line {ollama}, and port 8450, which 'Immich' allocates at line {immich}",
        ),
        (
            api_reserved,
            "Tailscale ports 8448-8449 of 'Reserved' (8448-8449) are also claimed by "
            f"'Reserved' (8447-8452) at line {reserved_web}",
        ),
        (
            media_reserved,
            "Tailscale ports 8451-8452 of 'Reserved' (8451-8459) are also claimed by "
            f"'Reserved' (8447-8452) at line {reserved_web}",
        ),
        (
            api_range,
            "Tailscale range 8447-8449 (Tailscale HTTPS (APIs)) overlaps "
            f"8443-8452 (Tailscale HTTPS (web apps)) at line {web_range}",
        ),
        (
            media_range,
            "Tailscale range 8450-8459 (Tailscale HTTPS (media)) overlaps "
            f"8443-8452 (Tailscale HTTPS (web apps)) at line {web_range}",
        ),
    ]


def test_root_registry_has_no_contradictions(tmp_path: Path) -> None:
    (tmp_path / "modules").mkdir()
    # A module without ports: an empty folder would be an empty selection (exit 2).
    (tmp_path / "modules" / "default.nix").write_text("{ }\n")
    report = check([tmp_path / "modules"], Path(__file__).parent.parent / "ports.md", cwd=tmp_path)
    assert [f.code for f in report.findings if f.code in ("PL008", "PL011")] == []


def test_pl009_unresolvable_default(axios_tree: AxiosTree) -> None:
    axios_tree.edit(
        "modules/ai/default.nix",
        "default = upstreamPort;",
        "default = pkgs.ollama.passthru.defaultPort or upstreamPort;",
    )
    line = line_of(axios_tree.modules / "ai/default.nix", "passthru.defaultPort")
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL009", "modules/ai/default.nix", line)]
    assert findings[0].severity == "info"
    assert "`pkgs.ollama.passthru.defaultPort or upstreamPort`" in findings[0].message


def test_pl010_syntax_error_does_not_stop_the_run(axios_tree: AxiosTree) -> None:
    axios_tree.edit("modules/desktop/default.nix", "default = 1;", "default = 1")
    findings = run(axios_tree).findings
    assert [(f.code, f.location.file) for f in findings] == [
        ("PL010", "modules/desktop/default.nix")
    ]
    assert run(axios_tree).inventory.decls[0].option == "services.ai.local.port"


def test_pl011_malformed_registry_cell(axios_tree: AxiosTree) -> None:
    axios_tree.edit("ports.md", "| Immich | 2283 |", "| Immich | 2283x |")
    row = line_of(axios_tree.registry, "| Immich |")
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL011", "ports.md", row)]
    assert "2283x" in findings[0].message


def test_pl012_binary_file_is_reported_and_the_rest_checked(axios_tree: AxiosTree) -> None:
    axios_tree.write("modules/blob.nix", b"{ a = 1; }\x00\x01")
    report = run(axios_tree)
    assert summary(report.findings) == [("PL012", "modules/blob.nix", 1)]
    assert len(report.inventory.decls) == 12


def seed_numbers(tree: AxiosTree) -> None:
    """Move the LLM API and Immich to the Tailscale ports the seed proposal gave them."""
    tree.edit("modules/ai/default.nix", "default = 8453;", "default = 8447;")
    tree.edit("modules/services/immich.nix", "tailscale = 8460;", "tailscale = 8450;")


def test_seed_allocations_against_the_seed_registry(axios_tree: AxiosTree) -> None:
    """With the seed's numbers in code, the only findings are the seed's own contradictions."""
    seed_numbers(axios_tree)
    report = check([axios_tree.modules], SEED_REGISTRY, cwd=axios_tree.root)
    # The web reservation overlapping two allocations is one finding, at the reservation.
    assert [f.code for f in report.findings] == ["PL008"] * 5


def test_seed_allocations_against_a_consistent_registry(axios_tree: AxiosTree) -> None:
    """The issue's tree (11434/8447, 2283/8450) is clean once the web reservation yields."""
    seed_numbers(axios_tree)
    seed = SEED_REGISTRY.read_text()
    for old, new in [
        ("| *Reserved* | 8084-8089 | 8447-8452 |", "| *Reserved* | 8084-8089 | - |"),
        (
            "| 8443-8452 | Tailscale HTTPS (web apps) |",
            "| 8443-8446 | Tailscale HTTPS (web apps) |",
        ),
    ]:
        assert seed.count(old) == 1
        seed = seed.replace(old, new)
    axios_tree.registry.write_text(seed)
    assert run(axios_tree).findings == ()


def test_pl017_a_default_that_is_not_a_port(axios_tree: AxiosTree) -> None:
    axios_tree.write(
        "modules/services/sync.nix",
        """{ lib, ... }:
let
  base = 8080;
in
{
  options.axios.sync.metricsPort = lib.mkOption {
    type = lib.types.port;
    default = base + 60000;
    description = "Port the dashboard connects to for metrics.";
  };
}
""",
    )
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL017", "modules/services/sync.nix", 8)]
    assert findings[0].message == "axios.sync.metricsPort is 68080, which is not a port (0-65535)"


PORT_PROBE = """{ lib, ... }:
{
  options.axios.probe.metricsPort = lib.mkOption {
    type = lib.types.port;
    default = PORT;
    description = "Port the dashboard connects to for metrics.";
  };
}
"""


SYNC_METRICS = """{ lib, ... }:
let
  base = 8080;
in
{
  options.axios.sync.metricsPort = lib.mkOption {
    type = lib.types.port;
    default = base + OFFSET;
  };
}
"""


def test_port_0_is_valid_in_code_and_not_in_a_registry_cell(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    """0 lets the OS choose: a valid `types.port`, but no fixed port a row can allocate."""
    axios_tree.write("modules/services/probe.nix", PORT_PROBE.replace("PORT", "0"))
    axios_tree.edit("ports.md", "| axios-portal | 8082 |", "| axios-portal | 0 |")
    selected = ("--select", "PL011,PL017", "--format", "json")
    result = portlint("check", *selected, cwd=axios_tree.root)
    findings = json.loads(result.stdout)["findings"]
    found = [(f["code"], f["file"], f["message"]) for f in findings]
    assert found == [
        ("PL011", "ports.md", "Local Port cell '0': 0 is outside the port range 1-65535"),
    ]


def test_one_port_range_for_code_and_registry(axios_tree: AxiosTree) -> None:
    """The highest port is valid on both sides; one more is invalid on both."""
    bounds = (PORTS[0], PORTS[-1], ALLOCATABLE_PORTS[0], ALLOCATABLE_PORTS[-1])
    assert bounds == (0, 65535, 1, 65535)
    for port, valid in [(PORTS[-1], True), (PORTS.stop, False)]:
        axios_tree.write("modules/services/probe.nix", PORT_PROBE.replace("PORT", str(port)))
        codes = [f.code for f in run(axios_tree).findings]
        assert codes == ([] if valid else ["PL017"])
        assert (parse_port_cell(str(port))[1] is None) is valid


@pytest.mark.parametrize(("port", "invalid"), [(65535, False), (65536, True), (0, False)])
def test_pl017_bounds_are_0_and_65535(axios_tree: AxiosTree, port: int, invalid: bool) -> None:
    """The highest port is a port: PL017 starts at 65536 (and 0 is a port too)."""
    axios_tree.write("modules/services/sync.nix", SYNC_METRICS.replace("OFFSET", str(port - 8080)))
    codes = [f.code for f in run(axios_tree).findings]
    assert ("PL017" in codes) is invalid, codes
    result = run_portlint("check", "--format", "json", "--no-cache", cwd=axios_tree.root)
    assert ('"code": "PL017"' in result.stdout) is invalid, result.stdout
