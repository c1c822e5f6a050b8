"""Shared shape of the two listener-collision rules (PL001, PL002)."""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.graph import by_transport
from axios_portlint.model import Finding, Kind, Origin, PortDecl
from axios_portlint.rules.base import Context, Rule


def listener_collisions(rule: Rule, context: Context, kind: Kind) -> Iterator[Finding]:
    """One finding per extra claimant of a port, at that claimant, naming the first."""
    for claim in context.graph.claims(kind):
        reported: set[tuple[int, int]] = set()  # a pair both transport groups hold: once
        groups = by_transport(claim.decls)
        for transport, group in groups:
            # Name the transport only where it tells the two groups of one number apart.
            port = f"{claim.port}/{transport}" if len(groups) > 1 else str(claim.port)
            yield from _collisions(rule, kind, (claim.port, port), group, reported)


def _collisions(
    rule: Rule,
    kind: Kind,
    port: tuple[int, str],
    group: tuple[PortDecl, ...],
    reported: set[tuple[int, int]],
) -> Iterator[Finding]:
    distinct = _one_per_option(group)
    if len(distinct) < 2:
        return
    first, *others = distinct
    for decl in others:
        if (id(decl), id(first)) in reported:
            continue
        reported.add((id(decl), id(first)))
        yield rule.finding(
            decl.location,
            f"{kind} port {port[1]} of {decl.option} is also {_whose(first)} "
            f"({_where(first)})",
            option=decl.option,
            port=port[0],
            # Only the first claimant: naming all of them would be quadratic in a big tree.
            related=[first.location],
        )


def _one_per_option(decls: tuple[PortDecl, ...]) -> list[PortDecl]:
    """The same option declared twice (e.g. under mkIf) is one listener, not a collision."""
    first_by_option: dict[str, PortDecl] = {}
    for decl in sorted(decls, key=lambda d: d.location.sort_key()):
        first_by_option.setdefault(decl.option, decl)
    return list(first_by_option.values())


def _whose(decl: PortDecl) -> str:
    """Whose port it is: an option's default, or a value some config sets."""
    if decl.origin is Origin.CONFIG:
        return f"the port {decl.option} is configured as"
    return f"the default of {decl.option}"


def _where(decl: PortDecl) -> str:
    return f"{decl.location.file}:{decl.location.line}:{decl.location.column}"
