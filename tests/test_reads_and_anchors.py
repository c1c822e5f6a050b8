"""Issue 11, the code side: reads are no listeners, one finding per option, anchors.

On the cairn fixture (tests/fixtures/cairn, an axios-shaped project root) and
small trees written next to it: `or` fallbacks and config values that only read
an option are client references (never PL001/PL002/PL003); an unresolved port is
PL009's alone; PL003 comes once per option; messages are one line; related
locations sorted; a named Tailscale Service sits on its name key and says where
its 443 comes from.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, run_portlint
from test_cairn_fixture import expected, run_with_seed

from axios_portlint.api import Report, check, scan
from axios_portlint.model import ELLIPSIS, Finding, Origin, one_line

CAIRN = FIXTURES / "cairn"
REGISTRY = "openspec/specs/networking/ports.md"
TEMPLATE_DEFAULT = (
    "443 (the default of networking.tailscale.services.<name>.port at "
    "modules/networking/tailscale.nix:25)"
)


@pytest.fixture
def cairn(tmp_path: Path) -> Path:
    root = tmp_path / "cairn"
    shutil.copytree(CAIRN, root)
    return root


def check_root(root: Path) -> Report:
    return check(cwd=root)


def where(finding: Finding) -> tuple[str, str, int, int]:
    location = finding.location
    return (finding.code, location.file, location.line, location.column)


# -- reads of an option are client references ----------------------------------------


def test_cairn_reads_raise_no_listener_finding(cairn: Path) -> None:
    """Four `or 8085` reads and the unresolved hand-over: only the PL009 stays."""
    report = check_root(cairn)
    home_and_ai = [
        where(f)
        for f in report.findings
        if f.location.file.startswith("home/") or f.location.file == "modules/ai/default.nix"
    ]
    assert home_and_ai == [("PL009", "home/ai/mcp.nix", 23, 14)]
    assert not [f for f in report.findings if f.code in ("PL001", "PL002")]
    reads = [d for d in report.inventory.decls if d.origin is Origin.FALLBACK]
    assert [(d.location.file, d.location.line, d.port) for d in reads] == [
        ("home/ai/mcp-gateway.nix", 11, 8085),
        ("home/ai/mcp.nix", 12, 8085),
        ("modules/ai/default.nix", 8, 8085),
        ("modules/ai/default.nix", 33, 8085),
    ]
    assert all(d.is_read for d in reads)


def test_cairn_pl009_line_is_the_expected_one_through_the_cli(cairn: Path) -> None:
    run = run_portlint("--no-cache", cwd=cairn)
    first = expected("check").splitlines()[0]
    assert first in run.stdout.splitlines()
    assert [line for line in run.stdout.splitlines() if line.startswith("home/")] == [first]
    assert "modules/ai/default.nix" not in run.stdout


GATEWAY_MODULE = """{ lib, ... }:
{
  options.services.gateway.port = lib.mkOption {
    type = lib.types.port;
    default = 8085;
  };
}
"""

CLIENTS = """{ config, lib, osConfig, ... }:
let
  gw = osConfig.services.gateway.port or 8085;
in
{
  services.proxy.upstreamPort = config.services.gateway.port;
  services.proxy.port = config.services.gateway.port;
  home.sessionVariables.GW = "http://127.0.0.1:${toString gw}";
}
"""


def write_tree(root: Path, files: dict[str, str], registry: str) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "ports.md").write_text(registry, encoding="utf-8")
    return root


def registry_of(*rows: str) -> str:
    return (
        "# Ports\n\n"
        "| Service | Local Port | Tailscale Port | Module | Status |\n"
        "|---------|------------|----------------|--------|--------|\n"
        + "".join(f"{row}\n" for row in rows)
    )


def test_reads_of_a_declared_option_collide_with_nothing(tmp_path: Path) -> None:
    """`x.port = config.y.port` and `y.port or 8085` name y's listener: no PL001, no PL003."""
    root = write_tree(
        tmp_path,
        {"modules/gateway.nix": GATEWAY_MODULE, "modules/clients.nix": CLIENTS},
        registry_of("| Gateway | 8085 | — | `services.gateway` | Active |"),
    )
    report = check(cwd=root)
    assert report.findings == ()
    run = run_portlint("--no-cache", cwd=root)
    assert (run.code, run.stdout) == (0, "All checks passed (2 files checked).\n")


# -- PL003: once per option, known ports only ------------------------------------------

TWICE = """{ config, lib, ... }:
{
  options.services.notes.port = lib.mkOption {
    type = lib.types.port;
    default = 8086;
  };
  options.services.notes.adminPort = lib.mkOption {
    type = lib.types.nullOr lib.types.port;
    default = null;
  };
  options.services.notes.apiPort = lib.mkOption { type = lib.types.port; };
  options.services.notes.metricsPort = lib.mkOption {
    type = lib.types.port;
    default = if config.services.notes.fast then 9100 else 9101;
  };
}
"""

AGAIN = """{ lib, ... }:
{
  options.services.notes.port = lib.mkOption {
    type = lib.types.port;
    default = 8086;
  };
}
"""


def test_pl003_once_per_option_naming_the_row_of_the_same_port(tmp_path: Path) -> None:
    """Declared twice, one finding at the first site; the row of 8086 is named and related."""
    root = write_tree(
        tmp_path,
        {"modules/b-notes.nix": TWICE, "modules/a-notes.nix": AGAIN},
        registry_of("| Notebook | 8086 | — | `selfHosted.notebook` | Planned |"),
    )
    report = check(cwd=root)
    pl003 = [f for f in report.findings if f.code == "PL003"]
    assert [where(f) for f in pl003] == [("PL003", "modules/a-notes.nix", 5, 15)]
    assert pl003[0].message == (
        "local port 8086 of services.notes.port has no row in ports.md; "
        "line 5 registers 8086 for 'Notebook' under module selfHosted.notebook"
    )
    assert [(r.file, r.line, r.column) for r in pl003[0].related] == [
        ("modules/b-notes.nix", 5, 15),
        ("ports.md", 5, 1),
    ]
    # null, absent and unresolved defaults: no PL003; the unresolved one is PL009's.
    assert [(f.code, f.option) for f in report.findings if f.code != "PL003"] == [
        ("PL009", "services.notes.metricsPort")
    ]
    run = run_portlint("--no-cache", cwd=root)
    assert run.code == 1
    assert run.stdout.splitlines()[0] == (
        "modules/a-notes.nix:5:15: PL003 [error] local port 8086 of services.notes.port has "
        "no row in ports.md; line 5 registers 8086 for 'Notebook' under module "
        "selfHosted.notebook"
    )


# -- messages: one line, the right verb -------------------------------------------------

MULTILINE_DEFAULT = """{ config, lib, pkgs, ... }:
{
  options.services.board.port = lib.mkOption {
    type = lib.types.port;
    default = builtins.head (
      builtins.filter (port: port > 1024) [
        config.services.board.preferredPort
        8080
      ]
    );
  };
}
"""


def test_a_multi_line_expression_is_quoted_on_one_line(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"modules/board.nix": MULTILINE_DEFAULT}, registry_of())
    (finding,) = check(cwd=root).findings
    assert finding.code == "PL009"
    assert finding.message == (
        "default of services.board.port cannot be resolved statically: "
        f"`builtins.head ( builtins.filte{ELLIPSIS}.board.preferredPort 8080 ] )` "
        "(calls `builtins.head`, which only evaluation can fold)"
    )
    run = run_portlint("--no-cache", "--format", "github", cwd=root)
    assert len(run.stdout.splitlines()) == 1


def test_one_line_keeps_head_and_tail() -> None:
    assert one_line("a\n   b\tc") == "a b c"
    text = "x" * 40 + " middle " + "y" * 40
    short = one_line(text, 21)
    assert short == "x" * 10 + ELLIPSIS + "y" * 10
    assert len(short) == 21
    assert one_line("short", 21) == "short"


TWO_CONFIGS = """{ ... }:
{
  services.bookmarks.port = 8092;
  services.chat.port = 8092;
}
"""


def test_a_collision_with_a_configured_value_says_configured_as(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"modules/host.nix": TWO_CONFIGS}, registry_of())
    report = check(cwd=root, selection=())
    (conflict,) = [f for f in report.findings if f.code == "PL001"]
    # A file that sets ports and is imported by nothing is a machine of its own.
    assert conflict.message == (
        "on host modules/host.nix, local port 8092 of services.chat.port is also the port "
        "services.bookmarks.port is configured as (modules/host.nix:3:29)"
    )


# -- named Tailscale Services: the name key, and where 443 comes from ------------------


def test_named_services_sit_on_their_name_key(cairn: Path) -> None:
    decls = scan(cwd=cairn).decls
    services = [
        (d.name, d.location.file, d.location.line, d.location.column, d.port, d.expression)
        for d in decls
        if d.origin is Origin.TAILSCALE_SERVICE
    ]
    assert services == [
        ("cairn-llama", "modules/ai/default.nix", 37, 35, 443, TEMPLATE_DEFAULT),
        ("cairn-mail", "modules/pim/default.nix", 39, 35, 443, TEMPLATE_DEFAULT),
        ("cairn-immich", "modules/services/immich.nix", 33, 35, 443, TEMPLATE_DEFAULT),
    ]


def test_ports_shows_where_443_comes_from_through_the_cli(cairn: Path) -> None:
    run = run_portlint("ports", "--format", "json", "--no-cache", cwd=cairn)
    assert run.code == 0
    rows = json.loads(run.stdout)
    named = {
        row["option"]: (row["file"], row["line"], row["column"], row["expression"])
        for row in rows
        if row["origin"] == "tailscale-service"
    }
    assert named == {
        "networking.tailscale.services.cairn-llama.port": (
            "modules/ai/default.nix",
            37,
            35,
            TEMPLATE_DEFAULT,
        ),
        "networking.tailscale.services.cairn-mail.port": (
            "modules/pim/default.nix",
            39,
            35,
            TEMPLATE_DEFAULT,
        ),
        "networking.tailscale.services.cairn-immich.port": (
            "modules/services/immich.nix",
            33,
            35,
            TEMPLATE_DEFAULT,
        ),
    }
    table = run_portlint("ports", "--no-cache", cwd=cairn)
    assert "modules/pim/default.nix:39:35" in table.stdout
    assert " true" not in table.stdout


def test_no_finding_sits_on_a_last_binding(cairn: Path) -> None:
    """Today's anchors (`loopbackProxy.enable = true`, the backend) are gone."""
    report = check_root(cairn)
    places = {(f.location.file, f.location.line) for f in report.findings}
    places |= {(r.file, r.line) for f in report.findings for r in f.related}
    assert not places & {
        ("modules/pim/default.nix", 42),
        ("modules/services/immich.nix", 36),
        ("modules/ai/default.nix", 39),
    }


EXPLICIT_PORT = """{ lib, ... }:
{
  networking.tailscale.services = {
    "notes" = {
      enable = true;
      port = 8443;
      backend = "http://127.0.0.1:8086";
    };
  };
  networking.tailscale.services.wiki.enable = true;
  networking.tailscale.services.wiki.backend = "http://127.0.0.1:8087";
}
"""


def test_an_explicit_port_anchors_on_its_binding_and_a_missing_default_is_unresolved(
    tmp_path: Path,
) -> None:
    """No submodule declaration in the tree: the port is unresolved, said truthfully."""
    root = write_tree(tmp_path, {"modules/services.nix": EXPLICIT_PORT}, registry_of())
    decls = {d.name: d for d in scan(cwd=root).decls if d.origin is Origin.TAILSCALE_SERVICE}
    notes, wiki = decls["notes"], decls["wiki"]
    assert (notes.location.line, notes.location.column, notes.port) == (6, 14, 8443)
    assert notes.expression == "8443"
    # The first place the name is written: line 10, `wiki` after the services path.
    assert (wiki.location.line, wiki.location.column, wiki.port) == (10, 33, None)
    assert wiki.expression == "the default of networking.tailscale.services.<name>.port"
    run = run_portlint("--no-cache", "--select", "PL009", cwd=root)
    assert run.stdout.splitlines()[0] == (
        "modules/services.nix:10:33: PL009 [info] tailscale-service port "
        "networking.tailscale.services.wiki.port cannot be resolved statically: "
        "`the default of networking.tailscale.services.<name>.port` (reads "
        "config.networking.tailscale.services.<name>.port, which no file in the tree declares)"
    )


# -- stable output ---------------------------------------------------------------------


@pytest.mark.parametrize("output", ["json", "sarif", "text"])
def test_cairn_root_output_is_the_same_under_three_hash_seeds(cairn: Path, output: str) -> None:
    args = ("--format", output, "--no-cache")
    runs = [run_with_seed(seed, *args, cwd=cairn) for seed in ("0", "1", "4242")]
    assert {run.returncode for run in runs} == {1}
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
    if output == "json":
        for finding in json.loads(runs[0].stdout)["findings"]:
            related = [(r["file"], r["line"], r["column"]) for r in finding["related"]]
            assert related == sorted(related)


# -- PL005 from the code side: known ports only, the right verb ------------------------

NULL_AND_CONFIG = """{ lib, ... }:
{
  options.services.notes.port = lib.mkOption {
    type = lib.types.nullOr lib.types.port;
    default = null;
  };
  config.services.wiki.port = 8090;
}
"""


def test_pl005_leaves_a_null_port_alone_and_says_configured_as(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {"modules/host.nix": NULL_AND_CONFIG},
        registry_of(
            "| Notes | 8086 | — | `services.notes` | Active |",
            "| Wiki | 8091 | — | `services.wiki` | Active |",
        ),
    )
    findings = check(cwd=root).findings
    assert [(f.code, f.location.file, f.location.line) for f in findings] == [
        ("PL005", "modules/host.nix", 7)
    ]
    assert findings[0].message.startswith(
        "services.wiki.port is configured as 8090, but ports.md:6 registers 8091"
    )


def test_findings_that_tie_on_place_and_message_keep_one_order() -> None:
    """`run_rules` dedupes through a set: ties must be broken by everything a finding holds."""
    from axios_portlint.graph import PortGraph
    from axios_portlint.model import Location, Severity
    from axios_portlint.rules import Context, Rule, run_rules

    here = Location("a.nix", 3, 5, 3, 9)
    first = Finding("PL999", Severity.ERROR, "same", here, related=(Location("b.nix", 1, 1, 1, 1),))
    second = Finding(
        "PL999", Severity.ERROR, "same", here, related=(Location("c.nix", 1, 1, 1, 1),)
    )
    context = Context((), (), (), None, PortGraph((), None))

    def ran(*found: Finding) -> list[Finding]:
        rule = Rule("PL999", "tie", Severity.ERROR, "ties", check=lambda _context: found)
        return run_rules(context, [rule])

    assert ran(first, second) == ran(second, first) == [first, second]
