"""`portlint graph`: the conflict graph as DOT, Mermaid or SVG, on stdout or in a file."""

from __future__ import annotations

from pathlib import Path

from axios_portlint.commands import Outcome
from axios_portlint.commands.formats import GraphFormat
from axios_portlint.commands.options import Options
from axios_portlint.commands.ports import scan_tree
from axios_portlint.errors import UsageError


def graph(
    options: Options, output_format: GraphFormat = GraphFormat.DOT, output: Path | None = None
) -> Outcome:
    """Draw the tree's services and ports, with the registry's rows and ranges when there is one.

    Without a registry at its default places (and none named) the drawing has the code only.
    """
    from axios_portlint.api import find_registry, read_registry
    from axios_portlint.drawing import build_drawing, to_dot, to_mermaid, to_svg
    from axios_portlint.graph import PortGraph

    path = find_registry(options.registry, options.root)
    registry = read_registry(path, options.root).registry if path is not None else None
    inventory = scan_tree(options)
    drawing = build_drawing(PortGraph(inventory.decls, registry))
    renderers = {GraphFormat.SVG: to_svg, GraphFormat.MERMAID: to_mermaid}
    text = renderers.get(output_format, to_dot)(drawing)
    if output is None:
        return Outcome(text)
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{output}: cannot write: {error.strerror or error}") from None
    return Outcome()
