"""`portlint graph`: the conflict graph drawn as DOT, Mermaid and SVG."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import AxiosTree, Run

Portlint = Callable[..., Run]
CONFLICT = "#dc2626"
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` is not installed (apt-get install graphviz)"
)


def conflicting(axios_tree: AxiosTree) -> None:
    """Open WebUI moves onto pim's local port 8080."""
    axios_tree.edit("modules/ai/webui.nix", "default = 8081;", "default = 8080;")


def test_dot_draws_services_ports_rows_and_ranges(
    axios_tree: AxiosTree, portlint: Portlint
) -> None:
    result = portlint("graph", cwd=axios_tree.root)
    assert result.code == 0, result.stderr
    dot = result.stdout
    assert dot.startswith("digraph portlint {\n") and dot.endswith("}\n")
    assert '"service:pim" -> "local:8080";' in dot
    assert '"service:pim" -> "tailscale:8443";' in dot
    assert '"row:35" -> "service:pim" [style=dotted, arrowhead=none];' in dot
    assert '"range:59" -> "local:8080"' in dot  # 8080-8089 Web application services
    assert 'label="Reserved 8084-8089 / 8447-8452\\nline 39, Future"' in dot
    assert CONFLICT not in dot, "the bundled tree has no conflict"


def test_conflicts_are_highlighted(axios_tree: AxiosTree, portlint: Portlint) -> None:
    conflicting(axios_tree)
    dot = portlint("graph", cwd=axios_tree.root).stdout
    port = next(line for line in dot.splitlines() if line.startswith('  "local:8080" ['))
    assert CONFLICT in port
    red = {line.split(" [")[0] for line in dot.splitlines() if "->" in line and CONFLICT in line}
    assert '  "service:pim" -> "local:8080"' in red
    assert '  "service:services.ai.webui" -> "local:8080"' in red
    # The port nobody disputes stays plain.
    plain = next(line for line in dot.splitlines() if line.startswith('  "local:2283" ['))
    assert CONFLICT not in plain


def test_mermaid_for_markdown(axios_tree: AxiosTree, portlint: Portlint) -> None:
    conflicting(axios_tree)
    result = portlint("graph", "--format", "mermaid", cwd=axios_tree.root)
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "flowchart LR"
    ids = dict(re.findall(r'^  (n\d+)\(\["(local 8080)"\]\)$', result.stdout, re.M))
    assert ids, result.stdout
    (conflict_id,) = ids
    assert any(line.startswith("  class ") and conflict_id in line for line in lines)
    assert any(line.startswith("  linkStyle ") for line in lines)


@needs_dot
def test_svg_through_graphviz(axios_tree: AxiosTree, portlint: Portlint) -> None:
    out = axios_tree.root / "ports.svg"
    result = portlint("graph", "--format", "svg", "-o", out, cwd=axios_tree.root)
    assert (result.code, result.stdout, result.stderr) == (0, "", "")
    svg = out.read_text()
    assert "<svg" in svg and "local 8080" in svg


def test_svg_without_graphviz_is_a_usage_error(axios_tree: AxiosTree) -> None:
    env = {**os.environ, "PATH": str(axios_tree.root)}  # a PATH without `dot`
    done = subprocess.run(
        [sys.executable, "-m", "axios_portlint", "graph", "--format", "svg"],
        cwd=axios_tree.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "portlint: error: --format svg needs Graphviz's `dot`, which is not installed "
        "(Debian: apt-get install graphviz); --format dot or mermaid work without it\n"
    )


def test_output_file_and_no_registry(axios_tree: AxiosTree, portlint: Portlint) -> None:
    axios_tree.registry.unlink()
    out = axios_tree.root / "graph.dot"
    result = portlint("graph", "modules", "-o", out, cwd=axios_tree.root)
    assert (result.code, result.stdout) == (0, "")
    assert '"service:pim" -> "local:8080";' in out.read_text()
    assert "row:" not in out.read_text()


def test_a_udp_and_a_tcp_claimant_do_not_conflict(portlint: Portlint, tmp_path: Path) -> None:
    """The picture agrees with PL001: 53/udp beside 53/tcp, 7359/udp beside 7359/tcp."""
    from conftest import ROOT, fixture_settings

    (tmp_path / "split").mkdir()
    (tmp_path / "mixed").mkdir()
    udp_tcp = fixture_settings(tmp_path / "split", "tests/fixtures/listeners/udp-tcp")
    protocols = fixture_settings(tmp_path / "mixed", "tests/fixtures/protocols")
    split = portlint("graph", "--no-cache", "--config", udp_tcp, cwd=ROOT)
    assert split.code == 0, split.stderr
    assert '"local:53" [' in split.stdout and CONFLICT not in split.stdout
    # A port that names no protocol meets both: 514 is drawn in conflict, 5353 too
    # (a DNS server is tcp+udp), 8443 (QUIC against an unknown HTTPS port) too.
    mixed = portlint("graph", "--no-cache", "--config", protocols, cwd=ROOT).stdout
    red = sorted(
        line.split(" [")[0].strip()
        for line in mixed.splitlines()
        if line.startswith('  "local:') and CONFLICT in line
    )
    assert red == ['"local:514"', '"local:5353"', '"local:8443"']
