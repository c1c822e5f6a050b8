"""Issue 13, hosts and the registry-free mode: conflicts per host, `portlint hosts`,
`portlint check --no-registry`, and the `[hosts]` / `no-registry` settings.

Exact findings and exact listings on the fixtures, through the API, the command
functions and the real CLI.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, Run

from axios_portlint.api import Report, check
from axios_portlint.commands.formats import ListingFormat
from axios_portlint.commands.hosts import hosts
from axios_portlint.commands.options import Options
from axios_portlint.config import ConfigError, load_settings
from axios_portlint.errors import UsageError
from axios_portlint.graph.hosts import host_ports
from axios_portlint.model import PortDecl
from axios_portlint.rules import Selection

Portlint = Callable[..., Run]
LISTENERS = "tests/fixtures/listeners"
LIBRARY = "tests/fixtures/hosts/module-library"
CONFLICTS = (Selection(select=("PL001", "PL002")),)


def _lines(fixture: str) -> list[str]:
    report = check([ROOT / fixture], cwd=ROOT, selection=CONFLICTS, no_registry=True)
    return [
        f"{f.location.file}:{f.location.line}:{f.location.column}: {f.code} {f.message}"
        for f in report.findings
    ]


# -- PL001 per host ---------------------------------------------------------------------


def test_two_hosts_setting_one_port_are_no_conflict_one_host_setting_it_twice_is() -> None:
    beta = f"{LISTENERS}/two-hosts/hosts/beta/default.nix"
    assert _lines(f"{LISTENERS}/two-hosts") == [
        f"{beta}:7:24: PL001 on host beta, local port 8092 of services.chat.port is also "
        f"the port services.bookmarks.port is configured as ({beta}:6:29)"
    ]


def test_one_host_enabling_two_services_that_share_a_default_names_the_host() -> None:
    here = f"{LISTENERS}/one-host-shared-default"
    assert _lines(here) == [
        f"{here}/notes.nix:7:17: PL001 on host gamma, local port 5000 of services.notes.port "
        f"is also the default of services.board.port ({here}/board.nix:7:17)"
    ]


def test_a_host_importing_a_module_library_and_modules_no_host_imports() -> None:
    # On host web the forge's default is overridden (3001), so only the dashboard's
    # default meets the paste bin's 3000; the two modules nobody imports are compared
    # default against default, as without hosts, and name no host.
    assert _lines(LIBRARY) == [
        f"{LIBRARY}/extras/metrics.nix:6:15: PL001 local port 9100 of services.metrics.port "
        f"is also the default of services.exporter.port ({LIBRARY}/extras/exporter.nix:6:15)",
        f"{LIBRARY}/modules/dashboard.nix:5:15: PL001 on host web, local port 3000 of "
        f"services.dashboard.port is also the port services.paste.port is configured as "
        f"({LIBRARY}/hosts/web.nix:5:25)",
    ]


def test_a_module_under_its_own_enable_is_active_only_where_a_host_enables_it() -> None:
    here = "tests/fixtures/hosts/enable-guards"
    assert _lines(here) == [
        f"{here}/modules/grafana.nix:11:45: PL001 on host both, local port 3000 of "
        "services.grafana.settings.server.port is also the port "
        f"services.forgejo.settings.server.port is configured as ({here}/modules/forgejo.nix:6:45)"
    ]
    report = check([ROOT / here], cwd=ROOT, selection=CONFLICTS, no_registry=True)
    assert report.hosts.guards == (
        (f"{here}/modules/forgejo.nix", "homelab.forgejo"),
        (f"{here}/modules/grafana.nix", "homelab.grafana"),
    )
    enabled = {h.name: sorted(h.enabled or ()) for h in report.hosts.hosts}
    assert enabled == {
        "both": ["homelab.forgejo", "homelab.grafana"],
        "forge": ["homelab.forgejo"],
        "monitor": ["homelab.grafana"],
        "neither": [],
    }


def test_enablement_is_unknown_past_a_computed_local_import(tmp_path: Path) -> None:
    """A host that may import files static reading cannot name may enable anything."""
    (tmp_path / "svc.nix").write_text(
        "{ config, lib, ... }: {\n"
        "  config = lib.mkIf config.x.enable { services.x.port = 3000; };\n"
        "}\n"
    )
    (tmp_path / "host.nix").write_text(
        '{ imports = [ ./svc.nix ] ++ map (n: ./. + "/${n}.nix") [ "more" ]; }\n'
    )
    (tmp_path / "portlint.toml").write_text('[hosts]\nh = ["host.nix"]\n')
    report = check(cwd=tmp_path, no_registry=True, hosts=load_settings(tmp_path).hosts)
    assert [(h.name, h.enabled) for h in report.hosts.hosts] == [("h", None)]
    assert report.hosts.guards == (("svc.nix", "x"),)
    assert [d.option for d in hosts_listening(report)["h"]] == ["services.x.port"]


def test_the_report_carries_the_host_map() -> None:
    report = check([ROOT / LIBRARY], cwd=ROOT, selection=CONFLICTS, no_registry=True)
    assert [host.name for host in report.hosts.hosts] == ["web"]
    assert report.hosts.hosts_of(f"{LIBRARY}/modules/forge.nix") == ("web",)
    assert report.hosts.hosts_of(f"{LIBRARY}/extras/metrics.nix") == ()
    assert report.source is None and report.registry is None


def test_one_collision_on_several_hosts_is_one_finding_naming_them(tmp_path: Path) -> None:
    (tmp_path / "common.nix").write_text(
        "{ ... }: {\n  services.a.port = 8000;\n  services.b.port = 8000;\n}\n"
    )
    hosts_toml = "".join(f'{name} = ["common.nix"]\n' for name in ("h1", "h2", "h3", "h4"))
    (tmp_path / "portlint.toml").write_text(f"[hosts]\n{hosts_toml}")
    settings = load_settings(tmp_path)
    report = check(cwd=tmp_path, selection=CONFLICTS, no_registry=True, hosts=settings.hosts)
    assert [f.message for f in report.findings] == [
        "on hosts h1, h2, h3 and 1 more, local port 8000 of services.b.port is also the port "
        "services.a.port is configured as (common.nix:2:21)"
    ]


def test_settings_hosts_split_a_tree_static_reading_cannot(tmp_path: Path) -> None:
    """Machines listed by computed imports: without [hosts] the two 8090s collide."""
    (tmp_path / "machines").mkdir()
    (tmp_path / "machines" / "north.nix").write_text("{ ... }: { services.wiki.port = 8090; }\n")
    (tmp_path / "machines" / "south.nix").write_text("{ ... }: { services.chat.port = 8090; }\n")
    (tmp_path / "machines" / "all.nix").write_text(
        '{ imports = map (n: ./. + "/${n}.nix") [ "north" "south" ]; }\n'
    )
    report = check(cwd=tmp_path, selection=CONFLICTS, no_registry=True)
    assert [f.code for f in report.findings] == ["PL001"]
    assert report.hosts.hosts == ()
    (tmp_path / "portlint.toml").write_text(
        '[hosts]\nnorth = ["machines/north.nix"]\nsouth = ["machines/south.nix"]\n'
    )
    settings = load_settings(tmp_path)
    report = check(cwd=tmp_path, selection=CONFLICTS, no_registry=True, hosts=settings.hosts)
    assert report.findings == ()
    assert [(h.name, sorted(h.files)) for h in report.hosts.hosts] == [
        ("north", ["machines/north.nix"]),
        ("south", ["machines/south.nix"]),
    ]


def test_configurations_nobody_imports_are_machines_of_their_own(tmp_path: Path) -> None:
    """Example VMs, test nodes, flake-less hosts: one file each, set values, no options."""
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "wiki.nix").write_text(
        "{ lib, ... }: {\n"
        "  options.services.wiki.port = lib.mkOption { type = lib.types.port; default = 8080; };\n"
        "}\n"
    )
    (tmp_path / "modules" / "paste.nix").write_text(
        "{ lib, ... }: {\n"
        "  options.services.paste.port = lib.mkOption { type = lib.types.port; default = 8080; };\n"
        "}\n"
    )
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "chat.nix").write_text("{ services.chat.port = 8080; }\n")
    (tmp_path / "examples" / "notes.nix").write_text("{ services.notes.port = 8080; }\n")
    report = check(cwd=tmp_path, selection=CONFLICTS, no_registry=True)
    # The two library defaults still meet; neither example is active beside them or
    # beside each other.
    assert [(f.location.file, f.related[0].file) for f in report.findings] == [
        ("modules/wiki.nix", "modules/paste.nix")
    ]
    assert [(h.name, str(h.source)) for h in report.hosts.hosts] == [
        ("examples/chat.nix", "file"),
        ("examples/notes.nix", "file"),
    ]


def hosts_listening(report: Report) -> dict[str, list[PortDecl]]:
    ports = host_ports(report.hosts, report.graph.listeners, report.inventory.decls)
    return {one.host.name: list(one.listeners) for one in ports}


# -- portlint hosts -----------------------------------------------------------------------


def _options(fixture: str) -> Options:
    return Options(cwd=ROOT, root=ROOT, paths=(ROOT / fixture,))


def test_hosts_prints_each_hosts_listening_ports() -> None:
    here = f"{LISTENERS}/two-hosts"
    outcome = hosts(_options(here))
    assert (outcome.exit_code, outcome.stderr) == (0, "")
    assert outcome.stdout == (
        "HOST   OPTION                   PORT  ORIGIN  LOCATION\n"
        f"alpha  services.pastebin.port   8091  config  {here}/hosts/alpha/paste.nix:3:28\n"
        f"alpha  services.wiki.port       8090  config  {here}/hosts/alpha/default.nix:6:24\n"
        f"beta   services.bookmarks.port  8092  config  {here}/hosts/beta/default.nix:6:29\n"
        f"beta   services.chat.port       8092  config  {here}/hosts/beta/default.nix:7:24\n"
        f"beta   services.linkding.port   8090  config  {here}/hosts/beta/default.nix:5:28\n"
        f"beta   services.wiki.port       8080  option  {here}/modules/wiki.nix:6:15\n"
        "2 hosts, 6 listening ports.\n"
    )


def test_hosts_json_lists_files_ports_and_what_was_not_followed() -> None:
    here = "tests/fixtures/hosts/unresolved"
    document = json.loads(hosts(_options(here), ListingFormat.JSON).stdout)
    assert [host["name"] for host in document["hosts"]] == ["server"]
    server = document["hosts"][0]
    assert server["source"] == "flake"
    assert server["ports"] == []
    assert {u["kind"] for u in server["unresolved"]} == {"external", "computed", "missing"}
    assert all(
        set(u) == {"file", "line", "column", "expression", "kind", "reason"}
        for u in server["unresolved"]
    )
    assert [(u["file"], u["line"], u["column"]) for u in document["unresolved"]] == [
        (f"{here}/flake.nix", 18, 30)
    ]


def test_hosts_text_names_hosts_without_ports_and_unread_host_sets() -> None:
    here = "tests/fixtures/hosts/unresolved"
    assert hosts(_options(here)).stdout == (
        "1 host, 0 listening ports; no listening port on server.\n"
        "6 modules not followed statically (--format json lists them).\n"
        f"{here}/flake.nix:18:30: host set not read (host names only evaluation knows): "
        "name its hosts under [hosts] in portlint.toml.\n"
    )


def test_hosts_without_any_host() -> None:
    outcome = hosts(_options(f"{LISTENERS}/option-table"))
    assert outcome.stdout == "No hosts found: name them under [hosts] in portlint.toml.\n"
    assert outcome.exit_code == 0


def test_hosts_through_the_cli(portlint: Portlint, tmp_path: Path) -> None:
    # A copy outside this repository: inside it, the fixture is a folder of its project.
    library = tmp_path / "library"
    shutil.copytree(ROOT / LIBRARY, library)
    result = portlint("hosts", "--no-cache", "--format", "json", cwd=library)
    assert (result.code, result.stderr) == (0, "")
    document = json.loads(result.stdout)
    web = document["hosts"][0]
    assert web["name"] == "web"
    assert web["entry"] == {"file": "flake.nix", "line": 9, "column": 27}
    assert [(p["option"], p["port"], p["origin"]) for p in web["ports"]] == [
        ("services.dashboard.port", 3000, "option"),
        ("services.forge.port", 3001, "config"),
        ("services.paste.port", 3000, "config"),
    ]
    assert web["files"] == [
        "hosts/web.nix",
        "modules/dashboard.nix",
        "modules/default.nix",
        "modules/forge.nix",
    ]
    from_a_subfolder = portlint("hosts", "--no-cache", "--format", "json", cwd=library / "hosts")
    assert from_a_subfolder.stdout == result.stdout


# -- check --no-registry ------------------------------------------------------------------


def _no_registry_tree(root: Path) -> None:
    (root / "modules").mkdir()
    (root / "modules" / "a.nix").write_text(
        "{ lib, ... }: {\n"
        "  options.services.a.port = lib.mkOption { type = lib.types.port; default = 70000; };\n"
        "  # portlint: ignore[PL003]\n"
        "  options.services.b.port = lib.mkOption { type = lib.types.port; default = 8080; };\n"
        "  options.services.c.port = lib.mkOption { type = lib.types.port; default = 8080; };\n"
        "}\n"
    )
    (root / "modules" / "broken.nix").write_text("{ a = ; }\n")


def test_no_registry_runs_every_rule_that_needs_none(tmp_path: Path, portlint: Portlint) -> None:
    _no_registry_tree(tmp_path)
    result = portlint("check", "--no-registry", "--no-cache", cwd=tmp_path)
    # PL003 (undocumented port) needs the registry: it does not run, and the comment
    # silencing it is not reported unused (PL020 cannot judge it).
    assert (result.code, result.stderr) == (1, "")
    assert [line.split(" [")[0] for line in result.stdout.splitlines()[:-1]] == [
        "modules/a.nix:2:77: PL017",
        "modules/a.nix:5:77: PL001",
        "modules/broken.nix:1:6: PL010",
    ]


def test_no_registry_still_reports_unused_suppressions_of_rules_it_runs(tmp_path: Path) -> None:
    _no_registry_tree(tmp_path)
    path = tmp_path / "modules" / "a.nix"
    path.write_text(path.read_text().replace("ignore[PL003]", "ignore[PL003, PL017]"))
    report = check(cwd=tmp_path, no_registry=True)
    unused = [f for f in report.findings if f.code == "PL020"]
    assert [(f.location.line, f.message) for f in unused] == [
        (3, "unused suppression: no PL017 finding on this line or the next")
    ]


def test_setting_no_registry(tmp_path: Path, portlint: Portlint) -> None:
    _no_registry_tree(tmp_path)
    (tmp_path / "portlint.toml").write_text("no-registry = true\n")
    assert portlint("check", "--no-cache", "-q", cwd=tmp_path).code == 1
    # --registry FILE on the command line wins over the setting.
    result = portlint("check", "--no-cache", "--registry", "nope.md", cwd=tmp_path)
    assert (result.code, result.stderr) == (
        2,
        "portlint: error: nope.md: registry file not found\n",
    )


def test_a_missing_registry_is_a_usage_error_naming_no_registry(
    tmp_path: Path, portlint: Portlint
) -> None:
    _no_registry_tree(tmp_path)
    result = portlint("check", "--no-cache", cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (
        "portlint: error: no port registry found: pass --registry FILE or add ports.md "
        "(looked for ./ports.md and ./openspec/specs/networking/ports.md); "
        "or pass --no-registry to run only the rules that need none\n"
    )
    # `registry sync` cannot do without one: no such hint there.
    sync = portlint("registry", "sync", cwd=tmp_path)
    assert sync.code == 2 and "--no-registry" not in sync.stderr


def test_no_registry_and_registry_exclude_each_other(tmp_path: Path, portlint: Portlint) -> None:
    _no_registry_tree(tmp_path)
    (tmp_path / "ports.md").write_text("# Ports\n")
    result = portlint("check", "--no-registry", "--registry", "ports.md", cwd=tmp_path)
    assert (result.code, result.stderr) == (
        2,
        "portlint: error: --no-registry and --registry exclude each other: pass one of them\n",
    )


# -- the settings -------------------------------------------------------------------------


def test_hosts_setting_entries_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "hosts" / "web").mkdir(parents=True)
    (tmp_path / "hosts" / "web" / "default.nix").write_text("{ }\n")
    (tmp_path / "common.nix").write_text("{ }\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.portlint.hosts]\nweb = ["hosts/web", "common.nix"]\n'
    )
    (tmp_path / "sub").mkdir()
    settings = load_settings(tmp_path / "sub")
    assert settings.hosts == (("web", (tmp_path / "hosts/web", tmp_path / "common.nix")),)
    assert settings.no_registry is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "[hosts]\nweb = []\n",
            "portlint.toml:2: hosts.web: expected a non-empty list, got an empty list",
        ),
        (
            '[hosts]\nweb = "a.nix"\n',
            "portlint.toml:2: hosts.web: expected a non-empty list, got a string",
        ),
        (
            "[hosts]\nweb = [1]\n",
            "portlint.toml:2: hosts.web: expected a list of strings, got a list holding an integer",
        ),
        (
            '[hosts]\nweb = ["nowhere.nix"]\n',
            "portlint.toml:2: hosts.web: 'nowhere.nix' is neither a .nix file nor a folder "
            "with a default.nix",
        ),
        (
            'hosts = ["a.nix"]\n',
            "portlint.toml:1: hosts: expected a table of host names to lists of entry files, "
            "got a list",
        ),
        (
            'no-registry = "yes"\n',
            "portlint.toml:1: no-registry: expected true or false, got a string",
        ),
        (
            'registry = "ports.md"\nno-registry = true\n',
            "portlint.toml:2: no-registry: cannot be true while 'registry' names a file",
        ),
    ],
)
def test_settings_errors(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "ports.md").write_text("# Ports\n")
    (tmp_path / "portlint.toml").write_text(content)
    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path)
    assert str(raised.value) == message


def test_a_settings_error_is_one_line_exit_2(tmp_path: Path, portlint: Portlint) -> None:
    (tmp_path / "portlint.toml").write_text("[hosts]\nweb = []\n")
    result = portlint("hosts", cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (
        "portlint: error: portlint.toml:2: hosts.web: expected a non-empty list, "
        "got an empty list\n"
    )


def test_usage_error_is_raised_by_options_merge(tmp_path: Path) -> None:
    from axios_portlint.commands.options import Flags, merge
    from axios_portlint.config import Settings

    with pytest.raises(UsageError):
        merge(Flags(no_registry=True, registry=Path("ports.md")), Settings(), tmp_path)
    assert merge(Flags(), Settings(no_registry=True), tmp_path).no_registry
    assert not merge(Flags(registry=Path("x.md")), Settings(no_registry=True), tmp_path).no_registry


def test_a_tree_that_cannot_name_a_host_is_not_parsed_for_hosts() -> None:
    """A module library (axios's shape): no host, so a warm check loads no parser."""
    from axios_portlint.discover import discover
    from axios_portlint.extract.hostsources import may_name_hosts, names_hosts

    def paths_and_naming(root: Path, keep: str = "") -> tuple[list[str], bool]:
        files = [f for f in discover([root], cwd=ROOT).files if keep in f.path]
        return [f.path for f in files], any(names_hosts(f.data) for f in files)

    library, naming = paths_and_naming(ROOT / "tests/fixtures/axios/modules")
    assert not naming
    assert not may_name_hosts(library, naming, {}, set())
    assert may_name_hosts(library, naming, {}, {"tests/fixtures/axios/modules/ai/default.nix"})
    assert may_name_hosts(library, naming, {"web": ["x.nix"]}, set())
    assert may_name_hosts(*paths_and_naming(ROOT / LISTENERS / "two-hosts"), {}, set())
    tests = paths_and_naming(ROOT / "tests/fixtures/hosts/test-nodes")
    assert tests[1]
    # Host folders are told by their paths alone.
    folders = paths_and_naming(ROOT / "tests/fixtures/hosts/host-folders", "hosts/")
    assert not folders[1]
    assert may_name_hosts(*folders, {}, set())
