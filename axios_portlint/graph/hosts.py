"""Which listeners are active on which host: the per-host port map.

A value set in a module file (`services.wiki.port = 8090;`) is active on every host
whose module set holds that file, unless the host sets the same option at a winning
priority elsewhere (`lib.mkForce` beats a plain value beats `lib.mkDefault`, as
`lib.mkOverride N` by N). An option's default is active on a host that holds the
declaring file and sets no value of that option in any of its active files. Files tied to
no host (a module library nobody imports in the checked tree) are checked as before
this existed: all together, default against default.

A module whose whole config is `mkIf cfg.enable { ... }` (`cfg = config.P`) has its
ports active only on a host some file of which sets `P.enable` to anything but `false`
(`HostMap.guards`, `Host.enabled`). Any other module a host imports counts as active
there, whatever its conditions (a missed port is the worst bug).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from axios_portlint.model import Host, HostMap, HostSource, Origin, PortDecl

__all__ = ["DEFAULT_ORIGINS", "HostPorts", "host_ports", "unhosted"]

# Where a declaration is an option's default rather than a value set for it.
DEFAULT_ORIGINS = frozenset({Origin.OPTION, Origin.OPTION_BY_NAME})


@dataclass(frozen=True, slots=True)
class HostPorts:
    """One host and the listeners active on it, sorted by option, then location."""

    host: Host
    listeners: tuple[PortDecl, ...]
    # (loser, winner): a listener's value set on the host that a value of the same
    # option at a winning priority overrides there, sorted by the loser's location.
    overridden: tuple[tuple[PortDecl, PortDecl], ...] = ()


def host_ports(
    hosts: HostMap, listeners: Iterable[PortDecl], decls: Iterable[PortDecl] = ()
) -> tuple[HostPorts, ...]:
    """Each host's active listeners.

    `decls` are every declaration of the tree: a value any of them sets on a host
    (a listener or not, e.g. `services.x.port = cfg.port;`) overrides the option's
    default there. Linear in hosts times declarations.
    """
    listeners = tuple(listeners)
    set_values = [d for d in (*listeners, *decls) if d.origin not in DEFAULT_ORIGINS]
    guards = dict(hosts.guards)
    return tuple(_one_host(host, listeners, set_values, guards) for host in hosts.hosts)


def _one_host(
    host: Host,
    listeners: Sequence[PortDecl],
    set_values: Sequence[PortDecl],
    guards: Mapping[str, str],
) -> HostPorts:
    here = [d for d in set_values if _active_file(host, guards, d)]
    overriding = {d.option for d in here}
    # Priorities rank the values config sets; a fallback read (`x.port or 8085`) is none.
    configured = [d for d in here if d.origin is Origin.CONFIG]
    winning = _winning_priorities(configured)
    active = [
        d
        for d in listeners
        if _active_file(host, guards, d)
        and (
            d.option not in overriding
            if d.origin in DEFAULT_ORIGINS
            else d.origin is not Origin.CONFIG
            or d.priority is None
            or d.priority <= winning[d.option]
        )
    ]
    active.sort(key=lambda d: (d.option, d.location.sort_key()))
    return HostPorts(host, tuple(active), _overridden(listeners, configured, winning))


def _overridden(
    listeners: Sequence[PortDecl],
    configured: Sequence[PortDecl],
    winning: Mapping[str, int | float],
) -> tuple[tuple[PortDecl, PortDecl], ...]:
    """Each listener value set on the host that loses, with the first value that wins."""
    winners: dict[str, PortDecl] = {}
    for decl in sorted(configured, key=lambda d: d.location.sort_key()):
        if decl.priority is not None and decl.priority == winning[decl.option]:
            winners.setdefault(decl.option, decl)
    here_ids = {id(d) for d in configured}
    losers = [
        d
        for d in listeners
        if id(d) in here_ids and d.priority is not None and d.priority > winning[d.option]
    ]
    losers.sort(key=lambda d: d.location.sort_key())
    return tuple((d, winners[d.option]) for d in losers)


def _active_file(host: Host, guards: Mapping[str, str], decl: PortDecl) -> bool:
    return host.holds(decl.location) and _enabled_on(host, guards.get(decl.location.file))


def _winning_priorities(set_values: Iterable[PortDecl]) -> dict[str, int | float]:
    """Per option set on the host, the priority that wins: the lowest known one.

    The module system keeps only the values of the lowest priority (`mkForce` beats
    a plain value beats `mkDefault`); any set value beats the option's default. A
    value whose priority static reading cannot fold stays active and beats no other
    (infinity), so no port that may be active is dropped.
    """
    winning: dict[str, int | float] = {}
    for decl in set_values:
        priority = float("inf") if decl.priority is None else decl.priority
        winning[decl.option] = min(winning.get(decl.option, priority), priority)
    return winning


def _enabled_on(host: Host, guard: str | None) -> bool:
    return guard is None or host.enabled is None or guard in host.enabled


def unhosted(hosts: HostMap, listeners: Iterable[PortDecl]) -> tuple[PortDecl, ...]:
    """The listeners of a module library: declared in files no deployed host holds.

    A NixOS test's nodes are hosts of their own (two nodes binding one port do not
    collide), but a test deploys nothing: a module file that only tests import stays
    in the library and its defaults still meet the library's others (selfhostblocks'
    `shb.karakeep.port` and `shb.monitoring.grafanaPort`, both 3000, each imported by
    its own test). Only what is written inside a test's nodes is the test's alone.
    """
    deployed = frozenset().union(
        *(host.files for host in hosts.hosts if host.source is not HostSource.TEST)
    )
    # Each test by the files its nodes are written in: a listener asks only the tests
    # written in its own file, not every test of the tree.
    tests_in: dict[str, list[Host]] = {}
    for host in hosts.hosts:
        if host.source is HostSource.TEST:
            for file in {part.file for part in host.parts}:
                tests_in.setdefault(file, []).append(host)
    return tuple(
        d
        for d in listeners
        if d.location.file not in deployed
        and not any(test.holds(d.location) for test in tests_in.get(d.location.file, ()))
    )
