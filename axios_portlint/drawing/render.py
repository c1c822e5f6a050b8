"""The drawing as text: DOT written directly (no pydot), Mermaid, and SVG through Graphviz."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from axios_portlint.drawing.build import PORT, RANGE, ROW, SERVICE, TAILSCALE_SERVICE, Drawing
from axios_portlint.errors import UsageError

CONFLICT = "#dc2626"
_DOT_NODE = {
    SERVICE: 'shape=box, style="rounded,filled", fillcolor="#dbeafe"',
    PORT: 'shape=ellipse, style=filled, fillcolor="#f3f4f6"',
    TAILSCALE_SERVICE: 'shape=ellipse, style=filled, fillcolor="#dcfce7"',
    ROW: 'shape=note, style=filled, fillcolor="#fef9c3"',
    RANGE: 'shape=box, style="dashed"',
}
_DOT_EDGE = {
    "claims": "",
    "registers": "",
    "documents": "style=dotted, arrowhead=none",
    "contains": 'style=dashed, color="#9ca3af", arrowhead=none',
}
# Mermaid shapes: [box], ([stadium]), [[subroutine]], {{hexagon}}, [/parallelogram/].
_MERMAID_SHAPE = {
    SERVICE: ('["', '"]'),
    PORT: ('(["', '"])'),
    TAILSCALE_SERVICE: ('(["', '"])'),
    ROW: ('[/"', '"/]'),
    RANGE: ('{{"', '"}}'),
}
_MERMAID_ARROW = {"claims": "-->", "registers": "-->", "documents": "-.-", "contains": "-.-"}


def to_dot(drawing: Drawing) -> str:
    lines = [
        "digraph portlint {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for node, data in drawing.nodes():
        attributes = [f"label={_dot_string(data['label'])}", _DOT_NODE[data["group"]]]
        if data["conflict"]:
            attributes.append(f'color="{CONFLICT}", penwidth=2, fontcolor="{CONFLICT}"')
        lines.append(f"  {_dot_string(node)} [{', '.join(attributes)}];")
    for source, target, data in drawing.edges():
        attributes = [_DOT_EDGE[data["style"]]] if _DOT_EDGE[data["style"]] else []
        if data["conflict"]:
            attributes.append(f'color="{CONFLICT}", penwidth=2')
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"  {_dot_string(source)} -> {_dot_string(target)}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_mermaid(drawing: Drawing) -> str:
    """A `flowchart` for a ```mermaid block: GitHub renders it in Markdown."""
    ids = {node: f"n{index}" for index, (node, _) in enumerate(drawing.nodes())}
    lines = ["flowchart LR"]
    for node, data in drawing.nodes():
        opening, closing = _MERMAID_SHAPE[data["group"]]
        lines.append(f"  {ids[node]}{opening}{_mermaid_text(data['label'])}{closing}")
    conflicted: list[int] = []
    for index, (source, target, data) in enumerate(drawing.edges()):
        lines.append(f"  {ids[source]} {_MERMAID_ARROW[data['style']]} {ids[target]}")
        if data["conflict"]:
            conflicted.append(index)
    lines.append(f"  classDef conflict fill:#fee2e2,stroke:{CONFLICT},stroke-width:2px")
    conflicts = [ids[node] for node, data in drawing.nodes() if data["conflict"]]
    if conflicts:
        lines.append(f"  class {','.join(conflicts)} conflict")
    if conflicted:
        links = ",".join(map(str, conflicted))
        lines.append(f"  linkStyle {links} stroke:{CONFLICT},stroke-width:2px")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    # Inside "...", a quote is an entity and a line break is <br>.
    return text.replace('"', "#quot;").replace("\n", "<br>")


def to_svg(drawing: Drawing) -> str:
    """Graphviz `dot` renders the DOT text; without it, a usage error saying what to install."""
    dot = shutil.which("dot")
    if dot is None:
        raise UsageError(
            "--format svg needs Graphviz's `dot`, which is not installed "
            "(Debian: apt-get install graphviz); --format dot or mermaid work without it"
        )
    completed = _run(dot, to_dot(drawing))
    if completed.returncode != 0:
        first = (completed.stderr.strip().splitlines() or ["no message"])[0]
        raise UsageError(f"Graphviz `dot` failed: {first}")
    return str(completed.stdout)


def _run(dot: str, text: str) -> subprocess.CompletedProcess[Any]:
    return subprocess.run(
        [dot, "-Tsvg"], input=text, capture_output=True, text=True, timeout=60, check=False
    )
