"""Shared shape of the two listener-collision rules (PL001, PL002)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from axios_portlint.graph.hosts import DEFAULT_ORIGINS, host_ports, unhosted
from axios_portlint.model import Finding, Kind, PortDecl
from axios_portlint.rules.base import Context, Rule

# A finding names at most this many hosts, then how many more.
HOSTS_NAMED = 3


def listener_collisions(rule: Rule, context: Context, kind: Kind) -> Iterator[Finding]:
    """One finding per extra claimant of a port, at that claimant, naming the first."""
    if context.hosts is not None and context.hosts.hosts:
        yield from host_collisions(rule, context, kind)
        return
    for claim in context.graph.claims(kind):
        yield from _claim_findings(rule, kind, claim.port, claim.decls)


def _claim_findings(
    rule: Rule, kind: Kind, port: int, decls: Sequence[PortDecl]
) -> Iterator[Finding]:
    distinct = _one_per_option(decls)
    if len(distinct) < 2:
        return
    first, *others = distinct
    for decl in others:
        yield _collision(rule, kind, port, decl, first)


def _collision(
    rule: Rule, kind: Kind, port: int, decl: PortDecl, first: PortDecl, hosts: Sequence[str] = ()
) -> Finding:
    return rule.finding(
        decl.location,
        f"{_on_hosts(hosts)}{kind} port {port} of {decl.option} is also "
        f"{_claimed_as(first)} {first.option} ({_where(first)})",
        option=decl.option,
        port=port,
        # Only the first claimant: naming all of them would be quadratic in a big tree.
        related=[first.location],
    )


def host_collisions(rule: Rule, context: Context, kind: Kind) -> Iterator[Finding]:
    """Collisions per host: two listeners clash only when both are active on one host.

    Listeners in files tied to no host (a module library) are compared among
    themselves, as without hosts. A collision found on several hosts is one finding
    naming them all.
    """
    assert context.hosts is not None
    listeners = context.graph.listeners
    free = {id(d) for d in unhosted(context.hosts, listeners)}
    active = [
        (ports.host.name, {id(d) for d in ports.listeners})
        for ports in host_ports(context.hosts, listeners, context.decls)
    ]
    for claim in context.graph.claims(kind):
        yield from _claim_findings(
            rule, kind, claim.port, [d for d in claim.decls if id(d) in free]
        )
        on_hosts: dict[tuple[int, int], list[str]] = {}
        pairs: dict[tuple[int, int], tuple[PortDecl, PortDecl]] = {}
        for host, ids in active:
            distinct = _one_per_option([d for d in claim.decls if id(d) in ids])
            for decl in distinct[1:]:
                key = (id(decl), id(distinct[0]))
                pairs[key] = (decl, distinct[0])
                on_hosts.setdefault(key, []).append(host)
        for key, (decl, first) in pairs.items():
            yield _collision(rule, kind, claim.port, decl, first, on_hosts[key])


def _on_hosts(hosts: Sequence[str]) -> str:
    if not hosts:
        return ""
    named = ", ".join(hosts[:HOSTS_NAMED])
    more = len(hosts) - HOSTS_NAMED
    named += f" and {more} more" if more > 0 else ""
    return f"on host{'s' if len(hosts) > 1 else ''} {named}, "


def _claimed_as(first: PortDecl) -> str:
    """A default is "the default of" its option; a value set for an option is "set for" it."""
    return "the default of" if first.origin in DEFAULT_ORIGINS else "set for"


def _one_per_option(decls: Sequence[PortDecl]) -> list[PortDecl]:
    """The same option declared twice (e.g. under mkIf) is one listener, not a collision."""
    first_by_option: dict[str, PortDecl] = {}
    for decl in sorted(decls, key=lambda d: d.location.sort_key()):
        first_by_option.setdefault(decl.option, decl)
    return list(first_by_option.values())


def _where(decl: PortDecl) -> str:
    return f"{decl.location.file}:{decl.location.line}:{decl.location.column}"
