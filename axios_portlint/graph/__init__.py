"""The conflict graph: declarations, registry rows and ports in one networkx graph.

Nodes are declarations, registry rows, services (option namespaces) and port
numbers, with separate port namespaces for local and Tailscale listeners. Each
declaration or row has an edge to every port it binds, and to the service it
belongs to, so the graph grows linearly: colliding claims meet at a shared port
node instead of getting an edge per pair.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from axios_portlint.model import (
    LISTENER_KINDS,
    CellKind,
    Kind,
    Origin,
    PortDecl,
    Registry,
    RegistryRow,
    join_option_path,
    option_namespace,
    split_option_path,
)

LITERAL_BACKEND = re.compile(r"port (\d+)")  # a backend URL with a literal port
# Words that name a kind of service rather than the service itself ("Ollama API").
GENERIC_WORDS = ("api", "service", "server", "daemon")

PortNode = tuple[str, Kind, int]
TRANSPORTS = ("tcp", "udp")


@dataclass(frozen=True, slots=True)
class RowMatch:
    """How a registry row found its service in code (or that it found none).

    `renamed`: the row's Module names nothing in the tree, but its ports are
    declared under exactly one other namespace, `namespaces[0]`, which no other
    row matches: the module was renamed and the row kept its old name. The row
    is matched to the new namespace (so its declarations are documented, not
    PL003's), and PL005 reports the rename once, at the row.
    """

    row: RegistryRow
    namespaces: tuple[str, ...]  # none when the row found no service in code
    renamed: bool = False


@dataclass(frozen=True, slots=True)
class Claim:
    """Two or more claimants of one port in one namespace."""

    kind: Kind
    port: int
    decls: tuple[PortDecl, ...]
    rows: tuple[RegistryRow, ...]


def load_networkx() -> None:
    """Import networkx ahead of `PortGraph`: a cold check does it while its workers parse."""
    import networkx  # noqa: F401


class PortGraph:
    def __init__(self, decls: Iterable[PortDecl], registry: Registry | None) -> None:
        import networkx as nx  # 80 ms to import: only commands that build the graph pay it

        self.graph = nx.DiGraph()
        self.decls = tuple(decls)
        self.registry = registry
        self.declared = {d.option: d for d in self.decls if d.origin is Origin.OPTION and d.placed}
        # `services.open-webui.port = cfg.port;` is the module's own listener, not a second one.
        self.aliases = tuple(d for d in self.decls if is_alias(d, self.declared))
        # A read (`x.port or 8085`, an alias) refers to a listener; it is none itself.
        self.listeners = tuple(
            d
            for d in self.decls
            if d.placed and d.kind.is_listener and not d.is_template and not d.is_read
        )
        # Reads of options no file declares: a service of another flake, known by its reads.
        self.external_reads = tuple(
            d for d in self.decls if d.is_read and d.reads not in self.declared
        )
        self._local_owner = {
            decl.port: decl.namespace
            for decl in self.listeners
            if decl.kind is Kind.LOCAL and decl.port is not None
        }
        self.services: dict[str, list[PortDecl]] = defaultdict(list)
        for decl in self.listeners:
            self.services[self.service_of(decl)].append(decl)
        self._add_declarations()
        self.matches: tuple[RowMatch, ...] = ()
        if registry is not None:
            self._add_rows(registry)

    # -- building -------------------------------------------------------------

    def _add_declarations(self) -> None:
        listener_ids = {id(d) for d in self.listeners}
        for index, decl in enumerate(self.decls):
            node = ("decl", index)
            self.graph.add_node(node, decl=decl)
            if id(decl) not in listener_ids:
                continue
            self.graph.add_edge(node, ("service", self.service_of(decl)))
            if decl.origin is Origin.TAILSCALE_SERVICE and decl.name is not None:
                # Tailscale Services are distinct hostnames: they collide by name, not port.
                self.graph.add_edge(node, ("tailscale-service", decl.name))
            elif decl.fixed_port is not None:  # port 0 claims no port: it meets nothing
                self.graph.add_edge(node, port_node(decl.kind, decl.fixed_port))

    def _add_rows(self, registry: Registry) -> None:
        nodes = {}
        for index, row in enumerate(registry.rows):
            node = ("row", index)
            self.graph.add_node(node, row=row)
            for kind in LISTENER_KINDS:
                cell = row.cell(kind)
                if cell.kind is CellKind.NAMED and cell.name is not None:
                    # `axios-mail (443)`: a hostname of its own, claimed by name.
                    self.graph.add_edge(node, ("tailscale-service", cell.name))
                    continue
                for port in cell.ports:
                    self.graph.add_edge(node, port_node(kind, port))
            if not row.reserved:
                nodes[row.line] = node
        rows = [row for row in registry.rows if not row.reserved]
        matches = {row.line: self._match(row) for row in rows}
        # A renamed module is only looked for once every row that names its module
        # has its service: a namespace another row names is that row's, not a rename.
        named = {ns for match in matches.values() for ns in match.namespaces}
        for row in rows:
            if not matches[row.line].namespaces and row.module and row.is_active:
                matches[row.line] = self._renamed(row, named)
        for line, match in matches.items():
            for namespace in match.namespaces:
                self.graph.add_edge(nodes[line], ("service", namespace))
        self.matches = tuple(matches.values())

    def _renamed(self, row: RegistryRow, named: set[str]) -> RowMatch:
        """The row matched to the one other namespace that declares its ports, if exactly one."""
        holders = self.holders(row) - named
        if len(holders) == 1:
            return RowMatch(row, tuple(holders), renamed=True)
        return RowMatch(row, ())

    def lives_elsewhere(self, module: str) -> bool:
        """Does the tree only read this module's port (`x.port or 8085`), declaring none?

        Then its service lives in another flake: a row naming it is neither stale
        (PL005) nor to be marked Removed by `registry sync`.
        """
        return any(module_names(module, read.namespace) for read in self.external_reads)

    def holders(self, row: RegistryRow) -> set[str]:
        """The services whose listeners declare the ports of a row's cells."""
        return {self.service_of(decl) for decl in self.holding(row)}

    def holding(self, row: RegistryRow) -> list[PortDecl]:
        """The listeners that declare the ports of a row's cells (a named cell: by name).

        An `or` fallback only reads a port: it declares nothing, so it holds no row.
        """
        found: list[PortDecl] = []
        for kind in LISTENER_KINDS:
            cell = row.cell(kind)
            if cell.kind is CellKind.NAMED and cell.name is not None:
                found.extend(self.tailscale_services(cell.name))
                continue
            for port in cell.ports:
                found.extend(self.claimants(kind, port))
        return [decl for decl in found if decl.origin is not Origin.FALLBACK]

    def _match(self, row: RegistryRow) -> RowMatch:
        if row.module:
            found = [ns for ns in self.services if module_names(row.module, ns)]
            return RowMatch(row, tuple(sorted(found)))
        if row.tailscale.kind is CellKind.NAMED and row.tailscale.name is not None:
            named = {self.service_of(d) for d in self.tailscale_services(row.tailscale.name)}
            if named:
                return RowMatch(row, tuple(sorted(named)))
        by_name = [ns for ns in self.services if _names_match(row.service, ns)]
        if by_name:
            return RowMatch(row, tuple(sorted(by_name)))
        by_port = sorted(
            {
                decl.namespace
                for kind in LISTENER_KINDS
                if (port := row.cell(kind).single) is not None
                for decl in self.claimants(kind, port)
            }
        )
        return RowMatch(row, tuple(by_port))

    # -- queries --------------------------------------------------------------

    def _decls_at(self, node: tuple[object, ...]) -> list[PortDecl]:
        """The declarations with an edge to `node` (none when it is not in the graph)."""
        if node not in self.graph:
            return []
        preds = self.graph.predecessors(node)
        return [self.graph.nodes[pred]["decl"] for pred in preds if pred[0] == "decl"]

    def _rows_at(self, node: tuple[object, ...]) -> list[RegistryRow]:
        if node not in self.graph:
            return []
        preds = self.graph.predecessors(node)
        return [self.graph.nodes[pred]["row"] for pred in preds if pred[0] == "row"]

    def claimants(self, kind: Kind, port: int) -> list[PortDecl]:
        return self._decls_at(port_node(kind, port))

    def claims(self, kind: Kind) -> Iterator[Claim]:
        """Every port of `kind` claimed by more than one declaration or row."""
        for node in sorted(n for n in self.graph if n[0] == "port" and n[1] is kind):
            decls, rows = [], []
            for pred in self.graph.predecessors(node):
                data = self.graph.nodes[pred]
                if pred[0] == "decl":
                    decls.append(data["decl"])
                else:
                    rows.append(data["row"])
            if len(decls) + len(rows) > 1:
                yield Claim(kind, node[2], tuple(decls), tuple(rows))

    def service_of(self, decl: PortDecl) -> str:
        """The service a listener belongs to; a Tailscale Service joins the one it exposes."""
        if decl.origin is Origin.TAILSCALE_SERVICE and decl.exposes:
            literal = LITERAL_BACKEND.fullmatch(decl.exposes)
            if literal is None:
                return option_namespace(decl.exposes, Kind.LOCAL)
            owner = self._local_owner.get(int(literal.group(1)))
            if owner is not None:
                return owner
        return decl.namespace

    def tailscale_services(self, name: str) -> list[PortDecl]:
        return self._decls_at(("tailscale-service", name))

    def tailscale_service_rows(self, name: str) -> list[RegistryRow]:
        return self._rows_at(("tailscale-service", name))

    def tailscale_service_names(self) -> list[str]:
        return sorted(n[1] for n in self.graph if n[0] == "tailscale-service")

    def rows_of(self, namespace: str) -> list[RegistryRow]:
        return self._rows_at(("service", namespace))

    def module_name(self, namespace: str, like: str) -> str:
        """`namespace` as a Module cell spelled `like` would name it.

        As many trailing segments as `like` has (`selfHosted.immich` ->
        `cairn.immich`, `pim` -> `pim`), more when fewer would also match
        another service of the tree.
        """
        parts = split_option_path(namespace)
        others = [split_option_path(ns) for ns in self.services if ns != namespace]
        count = max(1, len(split_option_path(like.strip())))
        while count < len(parts) and any(_ends_with(o, tuple(parts[-count:])) for o in others):
            count += 1
        return join_option_path(parts[-count:])


def is_alias(decl: PortDecl, declared: dict[str, PortDecl]) -> bool:
    """A config value or fallback that reads an option declared in the tree."""
    return decl.origin in (Origin.CONFIG, Origin.FALLBACK) and decl.reads in declared


def module_names(module: str, namespace: str) -> bool:
    """Does a registry Module cell designate this option namespace (by trailing segments)?"""
    wanted = tuple(split_option_path(module.strip()))
    return _ends_with(split_option_path(namespace), wanted)


def by_transport(decls: Sequence[PortDecl]) -> list[tuple[str, tuple[PortDecl, ...]]]:
    """The claimants of one port that can bind it together, one group per transport.

    A port is a (number, protocol) pair: a UDP and a TCP claimant of 53 never meet.
    An unknown or tcp+udp claimant is in both groups. A group with one claimant is
    left out, and so is one within the other group: one group then holds every pair,
    named by both transports ("tcp+udp").
    """
    groups = [
        (transport, tuple(d for d in decls if transport in d.protocol.transports))
        for transport in TRANSPORTS
    ]
    tcp, udp = groups[0][1], groups[1][1]
    if _within(udp, tcp) or _within(tcp, udp):
        larger = tcp if len(tcp) >= len(udp) else udp
        return [("+".join(TRANSPORTS), larger)] if len(larger) > 1 else []
    return [(transport, group) for transport, group in groups if len(group) > 1]


def _within(smaller: tuple[PortDecl, ...], larger: tuple[PortDecl, ...]) -> bool:
    return {id(d) for d in smaller} <= {id(d) for d in larger}


def port_node(kind: Kind, port: int) -> PortNode:
    return ("port", kind, port)


def _ends_with(parts: list[str], wanted: tuple[str, ...]) -> bool:
    return bool(wanted) and tuple(parts[-len(wanted) :]) == wanted


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _names_match(service: str, namespace: str) -> bool:
    """Does a registry Service name designate this option namespace?"""
    name = _normalise(service)
    for word in GENERIC_WORDS:
        if name.endswith(word) and len(name) > len(word):
            name = name[: -len(word)]
    parts = [_normalise(part) for part in split_option_path(namespace)]
    if not name or not parts or not parts[-1]:
        return False
    last = parts[-1]
    return name in (last, "".join(parts[-2:])) or (len(last) >= 4 and name.endswith(last))
