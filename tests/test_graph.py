"""The conflict graph stays linear: colliding claims meet at one port node."""

from __future__ import annotations

from axios_portlint.graph import PortGraph, port_node
from axios_portlint.model import Kind, Location, PortDecl, ValueState
from axios_portlint.rules import Context
from axios_portlint.rules.pl001_local_port_conflict import RULE as PL001


def decl(option: str, port: int, kind: Kind = Kind.LOCAL, line: int = 1) -> PortDecl:
    return PortDecl(
        option=option,
        kind=kind,
        port=port,
        state=ValueState.KNOWN,
        expression=str(port),
        location=Location(f"modules/{option}.nix", line, 1, line, 5),
    )


def test_ten_thousand_services_on_one_port_make_a_linear_graph() -> None:
    count = 10_000
    decls = [decl(f"services.s{i}.port", 8080) for i in range(count)]
    graph = PortGraph(decls, None)
    # One node per declaration and per service, plus the single shared port node.
    assert graph.graph.number_of_nodes() == 2 * count + 1
    # Each declaration has two edges (its service, its port): no edge per colliding pair.
    assert graph.graph.number_of_edges() == 2 * count
    assert graph.graph.in_degree(port_node(Kind.LOCAL, 8080)) == count

    context = Context(tuple(decls), (), (), None, graph)
    assert PL001.check is not None
    findings = list(PL001.check(context))
    assert len(findings) == count - 1
    assert all(len(f.related) == 1 for f in findings)


def test_local_and_tailscale_ports_are_separate_namespaces() -> None:
    graph = PortGraph(
        [
            decl("a.port", 8443),
            decl("b.tailscaleServe.httpsPort", 8443, Kind.TAILSCALE),
        ],
        None,
    )
    assert [c.port for c in graph.claims(Kind.LOCAL)] == []
    assert [c.port for c in graph.claims(Kind.TAILSCALE)] == []


def test_one_option_declared_twice_is_not_a_conflict() -> None:
    decls = [decl("pim.port", 8080, line=3), decl("pim.port", 8080, line=9)]
    graph = PortGraph(decls, None)
    assert PL001.check is not None
    assert list(PL001.check(Context(tuple(decls), (), (), None, graph))) == []


def test_other_kind_options_are_not_listeners() -> None:
    graph = PortGraph([decl("a.port", 8443), decl("pim.pwa.httpsPort", 8443, Kind.OTHER)], None)
    assert list(graph.claims(Kind.LOCAL)) == []
    assert "pim.pwa" not in graph.services
