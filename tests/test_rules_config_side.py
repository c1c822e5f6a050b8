"""Rules over the config side: Tailscale Services, firewall, fallbacks, client references."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES, AxiosTree, Run
from test_rules import line_of, run, summary

from axios_portlint.model import Kind, Origin, ValueState

TAILSCALE_MODULE = """# The Tailscale Services submodule, as real axios declares it.
{ config, lib, ... }:
{
  options.networking.tailscale.services = lib.mkOption {
    type = lib.types.attrsOf (
      lib.types.submodule ({ name, ... }: {
        options = {
          enable = lib.mkEnableOption "the ${name} Tailscale Service";
          port = lib.mkOption {
            type = lib.types.port;
            default = 443;
          };
          backend = lib.mkOption { type = lib.types.str; };
        };
      })
    );
    default = { };
  };
}
"""

LLAMA_SERVICE = """# The LLM API exposed as the named Tailscale Service axios-llama.
{ config, lib, ... }:
let
  cfg = config.services.ai.local;
in
{
  config.networking.tailscale.services."axios-llama" = lib.mkIf cfg.enable {
    enable = true;
    backend = "http://127.0.0.1:${toString cfg.port}";
  };
}
"""


def with_llama_service(tree: AxiosTree) -> None:
    tree.write("modules/networking/tailscale-services.nix", TAILSCALE_MODULE)
    tree.write("modules/ai/tailscale.nix", LLAMA_SERVICE)
    tree.edit(
        "ports.md", "| Ollama API | 11434 | 8453 |", "| Ollama API | 11434 | axios-llama (443) |"
    )
    tree.edit(
        "modules/ai/default.nix",
        """    tailscaleServe.httpsPort = mkOption {
      type = types.port;
      default = 8453;
      description = "Tailscale HTTPS port of the LLM API (first port of the API range).";
    };
""",
        "",
    )


def test_named_tailscale_service_is_a_listener_of_the_service_it_exposes(
    axios_tree: AxiosTree,
) -> None:
    with_llama_service(axios_tree)
    report = run(axios_tree)
    assert report.findings == ()
    (service,) = [d for d in report.inventory.decls if d.origin is Origin.TAILSCALE_SERVICE]
    assert (service.option, service.name, service.port, service.kind) == (
        "networking.tailscale.services.axios-llama.port",
        "axios-llama",
        443,
        Kind.TAILSCALE,
    )
    assert service.exposes == "services.ai.local.port"
    (template,) = [d for d in report.inventory.decls if "<name>" in d.option]
    assert template.option == "networking.tailscale.services.<name>.port"
    assert template.is_template


def test_several_named_services_on_443_do_not_collide(axios_tree: AxiosTree) -> None:
    with_llama_service(axios_tree)
    axios_tree.write(
        "modules/pim/tailscale.nix",
        """{ config, lib, ... }:
{
  networking.tailscale.services."axios-mail" = {
    enable = true;
    backend = "http://127.0.0.1:${toString config.pim.port}";
  };
}
""",
    )
    findings = run(axios_tree).findings
    assert [f.code for f in findings if f.code == "PL002"] == []


def test_one_service_name_with_two_backends_collides(axios_tree: AxiosTree) -> None:
    with_llama_service(axios_tree)
    path = axios_tree.write(
        "modules/pim/tailscale.nix",
        """{ config, lib, ... }:
{
  networking.tailscale.services."axios-llama" = {
    backend = "http://127.0.0.1:${toString config.pim.port}";
  };
}
""",
    )
    findings = [f for f in run(axios_tree).findings if f.code == "PL002"]
    # At the second definition's name key: two definitions of one name disagree.
    assert summary(tuple(findings)) == [("PL002", "modules/pim/tailscale.nix", 3)]
    assert findings[0].location.column == 33
    assert "exposes pim.port here but services.ai.local.port" in findings[0].message
    assert path.exists()


def test_registry_names_a_different_tailscale_service(axios_tree: AxiosTree) -> None:
    with_llama_service(axios_tree)
    axios_tree.edit("ports.md", "axios-llama (443)", "axios-ollama (443)")
    findings = run(axios_tree).findings
    assert [f.code for f in findings] == ["PL005"]
    assert "is Tailscale Service 'axios-llama' on port 443" in findings[0].message


def test_pl013_firewall_opens_a_loopback_port(axios_tree: AxiosTree) -> None:
    axios_tree.edit(
        "modules/ai/webui.nix",
        "  config = lib.mkIf cfg.enable {\n",
        "  config = lib.mkIf cfg.enable {\n"
        "    networking.firewall.allowedTCPPorts = [ 22 cfg.port ];\n",
    )
    line = line_of(axios_tree.modules / "ai/webui.nix", "allowedTCPPorts")
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL013", "modules/ai/webui.nix", line)]
    assert findings[0].port == 8081
    assert "services.ai.webui.port" in findings[0].message


def test_pl013_port_ranges(axios_tree: AxiosTree) -> None:
    axios_tree.write(
        "modules/networking/firewall.nix",
        """{ lib, ... }:
{
  networking.firewall.allowedTCPPortRanges = [ { from = 8080; to = 8081; } ];
  networking.firewall.allowedUDPPorts = [ 41641 ];
}
""",
    )
    findings = run(axios_tree).findings
    assert [(f.code, f.port) for f in findings] == [("PL013", 8080), ("PL013", 8081)]


def test_pl014_stale_client_reference(axios_tree: AxiosTree) -> None:
    axios_tree.edit("modules/pim/default.nix", "default = 8443;", "default = 8444;")
    line = line_of(axios_tree.modules / "pim/default.nix", "default = 8444;")
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL014", "modules/pim/default.nix", line)]
    assert "pim.pwa.httpsPort defaults to 8444" in findings[0].message


def test_pl015_fallback_differs_from_the_declared_default(axios_tree: AxiosTree) -> None:
    axios_tree.write(
        "modules/home/ai.nix",
        """{ osConfig, lib, ... }:
{
  home.sessionVariables.OLLAMA_HOST =
    "http://127.0.0.1:${toString (osConfig.services.ai.local.port or 11435)}";
}
""",
    )
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL015", "modules/home/ai.nix", 4)]
    assert "fallback 11435 for services.ai.local.port differs from its default 11434" in (
        findings[0].message
    )


def test_fallback_for_an_external_option_is_a_reference_not_a_listener(
    axios_tree: AxiosTree,
) -> None:
    """`osConfig.services.mcp-gateway.port or 8085` reads another flake's listener.

    It needs no row (no PL003); a row whose Module names the service it reads is
    not "gone" (no PL005), and the fallback is checked against that row's port.
    """
    axios_tree.write(
        "modules/home/mcp.nix",
        """{ osConfig, lib, ... }:
{
  programs.mcp.gatewayUrl =
    "http://127.0.0.1:${toString (osConfig.services.mcp-gateway.port or 8085)}";
}
""",
    )
    assert run(axios_tree).findings == ()
    axios_tree.edit(
        "ports.md",
        "| Ollama API | 11434 | 8453 | `ai.local` | Active |",
        "| Ollama API | 11434 | 8453 | `ai.local` | Active |\n"
        "| MCP gateway | 8086 | - | `mcp-gateway` | Active |",
    )
    axios_tree.edit(
        "ports.md",
        "| *Reserved* | 8084-8089 | 8447-8452 |",
        "| *Reserved* | 8087-8089 | 8449-8452 |",
    )
    findings = run(axios_tree).findings
    assert [(f.code, f.location.file, f.location.line, f.port) for f in findings] == [
        ("PL015", "modules/home/mcp.nix", 4, 8085)
    ]
    row = line_of(axios_tree.root / "ports.md", "| MCP gateway |")
    assert findings[0].message == (
        "fallback 8085 for services.mcp-gateway.port differs from 8086, which "
        f"ports.md:{row} registers for 'MCP gateway'"
    )
    assert [(r.file, r.line) for r in findings[0].related] == [("ports.md", row)]
    axios_tree.edit("ports.md", "| MCP gateway | 8086 |", "| MCP gateway | 8085 |")
    axios_tree.edit("ports.md", "| *Reserved* | 8087-8089 |", "| *Reserved* | 8086-8089 |")
    assert run(axios_tree).findings == ()


def test_config_assignment_of_a_literal_is_a_listener(axios_tree: AxiosTree) -> None:
    axios_tree.edit("modules/ai/default.nix", "      port = cfg.port;\n", "      port = 11434;\n")
    report = run(axios_tree)
    config = [d for d in report.inventory.decls if d.option == "services.ollama.port"]
    assert [(d.origin, d.port, d.reads) for d in config] == [(Origin.CONFIG, 11434, None)]
    codes = [(f.code, f.option) for f in report.findings]
    # Two listeners on 11434 (the option and the literal), and the literal has no row.
    assert ("PL001", "services.ollama.port") in codes or (
        "PL001",
        "services.ai.local.port",
    ) in codes


TORRENTS = """{ ... }:
{
  services.deluge.config = {
    daemon_port = 58846;
    random_port = false;
    listen_ports = [ 6881 6891 ];
  };
}
"""


def test_a_port_named_switch_sets_no_port(
    axios_tree: AxiosTree, portlint: Callable[..., Run]
) -> None:
    """`random_port = false;` (deluge) is a switch: no port, and no PL009 claiming one."""
    axios_tree.write("modules/torrents.nix", TORRENTS)
    report = run(axios_tree)
    deluge = [(d.option, d.port) for d in report.inventory.decls if "deluge" in d.option]
    assert deluge == [("services.deluge.config.daemon_port", 58846)]
    assert not [f for f in report.findings if "random_port" in f.message]
    listed = portlint("ports", "--no-cache", "modules/torrents.nix", cwd=axios_tree.root)
    assert "random_port" not in listed.stdout and "daemon_port" in listed.stdout


def test_a_config_value_that_is_no_integer_says_value(axios_tree: AxiosTree) -> None:
    """An ini-style `port = "3306";` is a config value, not a default: the reason says so."""
    axios_tree.write(
        "modules/db.nix", '{ ... }:\n{\n  services.mysql.settings.mysqld.port = "3306";\n}\n'
    )
    report = run(axios_tree)
    (mysql,) = [d for d in report.inventory.decls if d.option.startswith("services.mysql")]
    assert (mysql.state, mysql.reason) == (ValueState.UNRESOLVED, "the value is not an integer")


MPD = """{ lib, ... }:
{
  options.services.mpd.network.port = lib.mkOption { type = lib.types.port; default = 6600; };
}
"""

MPD_CLIENT = """{ config, lib, ... }:
let
  cfg = config.services.mpd;
in
{
  options.axios.music.remotePort = lib.mkOption {
    type = lib.types.port;
    default = cfg.network.port + 1;
  };
}
"""


def test_default_reading_an_option_of_another_file_is_folded(axios_tree: AxiosTree) -> None:
    axios_tree.write("modules/music/mpd.nix", MPD)
    axios_tree.write("modules/music/client.nix", MPD_CLIENT)
    report = run(axios_tree)
    (remote,) = [d for d in report.inventory.decls if d.option == "axios.music.remotePort"]
    assert remote.port == 6601
    assert remote.expression == (
        "cfg.network.port + 1  (= 6601: services.mpd.network.port = 6600 at "
        "modules/music/mpd.nix:3)"
    )


def test_a_read_option_that_some_config_sets_stays_unresolved(axios_tree: AxiosTree) -> None:
    axios_tree.write("modules/music/mpd.nix", MPD)
    axios_tree.write("modules/music/client.nix", MPD_CLIENT)
    axios_tree.write(
        "modules/hosts/studio.nix", "{ ... }:\n{\n  services.mpd.network.port = 6700;\n}\n"
    )
    report = run(axios_tree)
    (remote,) = [d for d in report.inventory.decls if d.option == "axios.music.remotePort"]
    assert remote.port is None
    assert "also set in modules/hosts/studio.nix" in remote.reason


MIRROR = FIXTURES / "services" / "axios"


@pytest.fixture
def mirror(tmp_path: Path) -> AxiosTree:
    """The axios layout of today: named Tailscale Services, config-side ports, fallbacks."""
    shutil.copytree(MIRROR / "modules", tmp_path / "modules")
    shutil.copyfile(MIRROR / "ports.md", tmp_path / "ports.md")
    return AxiosTree(tmp_path)


def test_axios_mirror_is_clean_against_its_registry(mirror: AxiosTree) -> None:
    report = run(mirror)
    assert report.findings == ()
    services = sorted(
        (d.name, d.port) for d in report.inventory.decls if d.origin is Origin.TAILSCALE_SERVICE
    )
    assert services == [
        ("axios-chat", 443),
        ("axios-llama", 443),
        ("axios-mail", 443),
        ("axios-photos", 443),
    ]
    (gateway,) = [d for d in report.inventory.decls if d.origin is Origin.FALLBACK]
    assert (gateway.option, gateway.port, gateway.kind) == (
        "services.mcp-gateway.port",
        8085,
        Kind.LOCAL,
    )


def test_axios_mirror_drift_when_one_port_changes(mirror: AxiosTree) -> None:
    mirror.edit("modules/pim/default.nix", "default = 8080;", "default = 8083;")
    line = line_of(mirror.modules / "pim/default.nix", "default = 8083;")
    findings = run(mirror).findings
    assert summary(findings) == [("PL005", "modules/pim/default.nix", line)]
    assert "pim.port defaults to 8083, but ports.md" in findings[0].message


def test_axios_mirror_drift_in_a_fallback(mirror: AxiosTree) -> None:
    mirror.edit(
        "modules/ai/mcp-client.nix",
        "gatewayPort = osConfig.services.mcp-gateway.port or 8085;",
        "gatewayPort = osConfig.services.mcp-gateway.port or 8087;",
    )
    findings = run(mirror).findings
    # The fallback is a reference to the gateway of another flake: checked against its row.
    assert [(f.code, f.port, f.location.file) for f in findings] == [
        ("PL015", 8087, "modules/ai/mcp-client.nix")
    ]


def test_axios_mirror_drift_in_a_named_service(mirror: AxiosTree) -> None:
    mirror.edit("ports.md", "axios-photos (443)", "axios-gallery (443)")
    codes = sorted(f.code for f in run(mirror).findings)
    assert codes == ["PL005"]


def test_the_same_service_name_twice_in_the_registry(mirror: AxiosTree) -> None:
    mirror.edit("ports.md", "axios-chat (443)", "axios-mail (443)")
    codes = sorted(f.code for f in run(mirror).findings)
    assert "PL008" in codes


def test_a_default_reading_its_own_module_is_unresolved_when_a_host_overrides_it(
    axios_tree: AxiosTree,
) -> None:
    """`cfg.port + 363` is 8443 only while no config sets pim.port; a host does here."""
    axios_tree.write(
        "modules/hosts/mail.nix",
        "{ lib, ... }:\n{\n  config = lib.mkIf true { pim.port = 8090; };\n}\n",
    )
    report = run(axios_tree)
    (https,) = [d for d in report.inventory.decls if d.option == "pim.tailscaleServe.httpsPort"]
    assert (https.port, https.state) == (None, ValueState.UNRESOLVED)
    assert "also set in modules/hosts/mail.nix" in https.reason
    assert [(f.code, f.option) for f in report.findings] == [
        ("PL009", "pim.tailscaleServe.httpsPort")
    ]


def test_pl013_udp_opens_nothing_of_a_tcp_listener(axios_tree: AxiosTree) -> None:
    """Open WebUI's port is TCP by its description: allowedUDPPorts does not expose it."""
    axios_tree.edit(
        "modules/ai/webui.nix",
        "  config = lib.mkIf cfg.enable {\n",
        "  config = lib.mkIf cfg.enable {\n"
        "    networking.firewall.allowedUDPPorts = [ cfg.port ];\n"
        "    networking.firewall.allowedTCPPorts = [ cfg.port ];\n",
    )
    axios_tree.edit(
        "modules/ai/webui.nix",
        "Local port Open WebUI listens on.",
        "TCP port Open WebUI listens on.",
    )
    line = line_of(axios_tree.modules / "ai/webui.nix", "allowedTCPPorts")
    findings = run(axios_tree).findings
    assert summary(findings) == [("PL013", "modules/ai/webui.nix", line)]
