"""From the PortGraph to the graph that is drawn: labelled nodes, one edge per claim."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from axios_portlint.graph import TRANSPORTS, PortGraph
from axios_portlint.model import LISTENER_KINDS, CellKind, Kind, Origin, RegistryRow, ValueState

SERVICE = "service"
PORT = "port"
TAILSCALE_SERVICE = "tailscale-service"
ROW = "row"
RANGE = "range"
# node -> transport -> the services (or rows) that claim it
Owners = defaultdict[str, defaultdict[str, set[str]]]


@dataclass(frozen=True, slots=True)
class Drawing:
    """A networkx DiGraph whose nodes carry `label`, `group` and `conflict`, edges `style`."""

    graph: Any  # networkx.DiGraph: networkx ships no type information

    def nodes(self) -> list[tuple[str, dict[str, Any]]]:
        return sorted(self.graph.nodes(data=True), key=lambda item: item[0])

    def edges(self) -> list[tuple[str, str, dict[str, Any]]]:
        return sorted(self.graph.edges(data=True), key=lambda item: (item[0], item[1]))


def build_drawing(ports: PortGraph) -> Drawing:
    import networkx as nx

    graph = nx.DiGraph()
    # Who claims each node, per transport: a UDP and a TCP claimant of 53 never meet
    # (graph.by_transport); an unknown protocol and a registry row claim both.
    owners: Owners = defaultdict(lambda: defaultdict(set))
    _add_services(graph, ports, owners)
    _add_rows(graph, ports, owners)
    _add_ranges(graph, ports)
    for node, by_transport in owners.items():
        if any(len(claimed_by) > 1 for claimed_by in by_transport.values()):
            graph.nodes[node]["conflict"] = True
            for source, _ in graph.in_edges(node):
                graph.edges[source, node]["conflict"] = True
    return Drawing(graph)


def port_id(kind: Kind, port: int) -> str:
    return f"{kind.value}:{port}"


def _add_services(graph: Any, ports: PortGraph, owners: Owners) -> None:
    for namespace, decls in sorted(ports.services.items()):
        service = f"service:{namespace}"
        graph.add_node(service, label=namespace or "(top level)", group=SERVICE, conflict=False)
        for decl in decls:
            if decl.state is not ValueState.KNOWN or decl.port is None:
                continue
            if decl.origin is Origin.TAILSCALE_SERVICE and decl.name:
                target = _tailscale_service(graph, decl.name, decl.port)
            else:
                target = _port(graph, decl.kind, decl.port)
            graph.add_edge(service, target, style="claims", conflict=False)
            for transport in decl.protocol.transports:
                owners[target][transport].add(service)


def _add_rows(graph: Any, ports: PortGraph, owners: Owners) -> None:
    if ports.registry is None:
        return
    matched = {match.row.line: match.namespaces for match in ports.matches}
    identities: dict[int, set[str]] = {}
    for row in ports.registry.rows:
        node = f"row:{row.line}"
        graph.add_node(node, label=_row_label(row), group=ROW, conflict=False)
        namespaces = matched.get(row.line, ())
        for namespace in namespaces:
            if f"service:{namespace}" in graph:
                graph.add_edge(node, f"service:{namespace}", style="documents", conflict=False)
        # A row speaks for the services it matched; an unmatched or reserved row for itself.
        identities[row.line] = {f"service:{ns}" for ns in namespaces} or {node}
    # Ranges last, so that they meet every port a single-port row has added.
    for ranges in (False, True):
        for row in ports.registry.rows:
            for target in _row_targets(graph, row, ranges=ranges):
                graph.add_edge(f"row:{row.line}", target, style="registers", conflict=False)
                for transport in TRANSPORTS:
                    owners[target][transport].update(identities[row.line])


def _row_targets(graph: Any, row: RegistryRow, *, ranges: bool) -> list[str]:
    targets: list[str] = []
    for kind in LISTENER_KINDS:
        cell = row.cell(kind)
        if ranges:
            if cell.kind is CellKind.RANGE:
                # Only the reserved ports something else claims: each is a conflict to show.
                targets.extend(n for port in cell.ports if (n := port_id(kind, port)) in graph)
        elif cell.kind is CellKind.NAMED and cell.name and cell.low is not None:
            targets.append(_tailscale_service(graph, cell.name, cell.low))
        elif cell.kind is CellKind.PORT and cell.low is not None:
            targets.append(_port(graph, kind, cell.low))
    return targets


def _add_ranges(graph: Any, ports: PortGraph) -> None:
    if ports.registry is None:
        return
    port_nodes = [(node, data) for node, data in graph.nodes(data=True) if data["group"] == PORT]
    for span in ports.registry.ranges:
        node = f"range:{span.line}"
        label = f"{span.label}\n{span.purpose}"
        graph.add_node(node, label=label, group=RANGE, conflict=False)
        for port_node, data in port_nodes:
            if data["kind"] is span.kind and data["port"] in span:
                graph.add_edge(node, port_node, style="contains", conflict=False)


def _port(graph: Any, kind: Kind, port: int) -> str:
    node = port_id(kind, port)
    if node not in graph:
        label = f"{kind.value} {port}"
        graph.add_node(node, label=label, group=PORT, kind=kind, port=port, conflict=False)
    return node


def _tailscale_service(graph: Any, name: str, port: int) -> str:
    node = f"tailscale-service:{name}"
    if node not in graph:
        label = f"{name} ({port})"
        graph.add_node(node, label=label, group=TAILSCALE_SERVICE, conflict=False)
    return node


def _row_label(row: RegistryRow) -> str:
    status = f", {row.status}" if row.status else ""
    if row.reserved:
        cells = " / ".join(c.text for c in (row.local, row.tailscale) if c.ports)
        return f"Reserved {cells}\nline {row.line}{status}"
    return f"{row.service}\nline {row.line}{status}"
