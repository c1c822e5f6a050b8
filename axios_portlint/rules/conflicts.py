"""Shared shape of the two listener-collision rules (PL001, PL002)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from axios_portlint.graph import by_transport
from axios_portlint.graph.hosts import DEFAULT_ORIGINS, host_ports, unhosted
from axios_portlint.model import Finding, Kind, PortDecl
from axios_portlint.rules.base import Context, Rule

# A finding names at most this many hosts, then how many more.
HOSTS_NAMED = 3

# One collision: the port as the message spells it ("53/udp" where transports split
# the claimants of one number), the extra claimant, and the first one it meets.
Pair = tuple[str, PortDecl, PortDecl]


def listener_collisions(rule: Rule, context: Context, kind: Kind) -> Iterator[Finding]:
    """One finding per extra claimant of a port, at that claimant, naming the first."""
    if context.hosts is not None and (context.hosts.hosts or context.hosts.unresolved):
        yield from host_collisions(rule, context, kind)
        return
    for claim in context.graph.claims(kind):
        for label, decl, first in _pairs(claim.port, claim.decls):
            yield _collision(rule, kind, claim.port, label, decl, first)


def _pairs(port: int, decls: Sequence[PortDecl]) -> Iterator[Pair]:
    """Each extra claimant of one port with the first, per transport, each pair once."""
    reported: set[tuple[int, int]] = set()  # a pair both transport groups hold: once
    groups = by_transport(decls)
    for transport, group in groups:
        # Name the transport only where it tells the two groups of one number apart.
        label = f"{port}/{transport}" if len(groups) > 1 else str(port)
        distinct = _one_per_option(group)
        if len(distinct) < 2:
            continue
        first, *others = distinct
        for decl in others:
            if (id(decl), id(first)) not in reported:
                reported.add((id(decl), id(first)))
                yield label, decl, first


def _collision(
    rule: Rule,
    kind: Kind,
    port: int,
    label: str,
    decl: PortDecl,
    first: PortDecl,
    hosts: Sequence[str] = (),
) -> Finding:
    return rule.finding(
        decl.location,
        f"{_on_hosts(hosts)}{kind} port {label} of {decl.option} is also {_whose(first)} "
        f"({_where(first)})",
        option=decl.option,
        port=port,
        # Only the first claimant: naming all of them would be quadratic in a big tree.
        related=[first.location],
    )


def host_collisions(rule: Rule, context: Context, kind: Kind) -> Iterator[Finding]:
    """Collisions per host: two listeners clash only when both are active on one host.

    Listeners in files tied to no host (a module library) are compared among
    themselves, as without hosts, except two configured values where some host set
    cannot be read: PL018 reports those (`unread_host_pairs`). A collision found on
    several hosts is one finding naming them all.
    """
    assert context.hosts is not None
    listeners = context.graph.listeners
    free = _unhosted_ids(context)
    active = [
        (ports.host.name, {id(d) for d in ports.listeners})
        for ports in host_ports(context.hosts, listeners, context.decls)
    ]
    for claim in context.graph.claims(kind):
        library: set[tuple[str, int, int]] = set()
        for label, decl, first in _library_pairs(free, claim.port, claim.decls):
            library.add((label, id(decl), id(first)))
            if not _unread_host_pair(context, decl, first):
                yield _collision(rule, kind, claim.port, label, decl, first)
        on_hosts: dict[tuple[str, int, int], list[str]] = {}
        pairs: dict[tuple[str, int, int], Pair] = {}
        for host, ids in active:
            for pair in _pairs(claim.port, [d for d in claim.decls if id(d) in ids]):
                key = (pair[0], id(pair[1]), id(pair[2]))
                if key in library:  # a library pair a test also loads: reported once, above
                    continue
                pairs[key] = pair
                on_hosts.setdefault(key, []).append(host)
        for key, (label, decl, first) in pairs.items():
            yield _collision(rule, kind, claim.port, label, decl, first, on_hosts[key])


def _unhosted_ids(context: Context) -> set[int]:
    assert context.hosts is not None
    return {id(d) for d in unhosted(context.hosts, context.graph.listeners)}


def _library_pairs(free: set[int], port: int, claimants: Sequence[PortDecl]) -> Iterator[Pair]:
    """The pairs among the claimants in files tied to no host (`free`: their ids)."""
    return _pairs(port, [d for d in claimants if id(d) in free])


def _unread_host_pair(context: Context, decl: PortDecl, first: PortDecl) -> bool:
    """Two configured values off every known host, in a tree with a host set static
    reading cannot name: whether they share a host is unknown either way."""
    return (
        context.hosts is not None
        and bool(context.hosts.unresolved)
        and decl.origin not in DEFAULT_ORIGINS
        and first.origin not in DEFAULT_ORIGINS
    )


def unread_host_pairs(context: Context, kind: Kind) -> Iterator[tuple[int, Pair]]:
    """(port, pair) for each pair of listeners of `kind` PL001/PL002 leave unchecked
    because a host set cannot be read (`_unread_host_pair`)."""
    if context.hosts is None or not context.hosts.unresolved:
        return
    free = _unhosted_ids(context)
    for claim in context.graph.claims(kind):
        for pair in _library_pairs(free, claim.port, claim.decls):
            if _unread_host_pair(context, pair[1], pair[2]):
                yield claim.port, pair


def _on_hosts(hosts: Sequence[str]) -> str:
    if not hosts:
        return ""
    named = ", ".join(hosts[:HOSTS_NAMED])
    more = len(hosts) - HOSTS_NAMED
    named += f" and {more} more" if more > 0 else ""
    return f"on host{'s' if len(hosts) > 1 else ''} {named}, "


def _whose(decl: PortDecl) -> str:
    """Whose port it is: an option's default, or a value some config sets."""
    if decl.origin in DEFAULT_ORIGINS:
        return f"the default of {decl.option}"
    return f"the port {decl.option} is configured as"


def _one_per_option(decls: Sequence[PortDecl]) -> list[PortDecl]:
    """The same option declared twice (e.g. under mkIf) is one listener, not a collision."""
    first_by_option: dict[str, PortDecl] = {}
    for decl in sorted(decls, key=lambda d: d.location.sort_key()):
        first_by_option.setdefault(decl.option, decl)
    return list(first_by_option.values())


def _where(decl: PortDecl) -> str:
    return f"{decl.location.file}:{decl.location.line}:{decl.location.column}"
