"""Shared shape of the two listener-collision rules (PL001, PL002)."""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import Finding, Kind, Origin, PortDecl
from axios_portlint.rules.base import Context, Rule


def listener_collisions(rule: Rule, context: Context, kind: Kind) -> Iterator[Finding]:
    """One finding per extra claimant of a port, at that claimant, naming the first."""
    for claim in context.graph.claims(kind):
        distinct = _one_per_option(claim.decls)
        if len(distinct) < 2:
            continue
        first, *others = distinct
        for decl in others:
            yield rule.finding(
                decl.location,
                f"{kind} port {claim.port} of {decl.option} is also {_whose(first)} "
                f"({_where(first)})",
                option=decl.option,
                port=claim.port,
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
