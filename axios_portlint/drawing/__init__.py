"""`portlint graph`: the conflict graph as a picture, in DOT, Mermaid or SVG.

The drawing is a small networkx graph made from the PortGraph: services point
at the ports they listen on, registry rows at the ports they claim and the
service they document, ranges of the "Port Ranges Summary" at the ports inside
them. A port with more than one owner is a conflict and is drawn red, with the
edges that claim it. A *Reserved* range is one node, linked only to the ports of
it that something else claims: a port node per reserved port would bury the map.
"""

from __future__ import annotations

from axios_portlint.drawing.build import Drawing, build_drawing
from axios_portlint.drawing.render import to_dot, to_mermaid, to_svg

__all__ = ["Drawing", "build_drawing", "to_dot", "to_mermaid", "to_svg"]
