"""## What it does
Reports the registry contradicting itself: two rows of the allocation tables
(a service or a `*Reserved*` range) claiming the same local or Tailscale port,
two rows naming the same Tailscale Service (`axios-mail (443)`; different names
on 443 are distinct hostnames and never collide), or two ranges of one kind in
the "Port Ranges Summary" table overlapping.

Reserved rows are what is left free, so a `*Reserved*` range holding ports that
allocation rows claim (of any status: a `Removed` row frees its ports only once
it is deleted) is one finding at the Reserved row, naming each allocation and
relating its row. Between allocations (or between reservations), every later
row is reported, naming the earliest.

## Why is this bad?
A registry that allocates one port twice cannot prevent collisions: whoever
reads it picks a port that someone else was promised.

## Example
```markdown
| *Reserved* | 8084-8089 | 8447-8452 | Future |
| Ollama API | 11434     | 8447      | Proposed |
```

## How to fix
Resolve the contradiction the way the registry's principles say. A
reservation overlapping an allocation is narrowed or split around the
allocated ports: `portlint registry sync` does it (`8084-8089` around `8085`
becomes `8084` and `8086-8089`). For two allocations of one port, move the
later one to the next free port of its category's range (`portlint suggest`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from axios_portlint.model import LISTENER_KINDS, Finding, Kind, Registry, RegistryRow, Severity
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    registry = context.registry
    if registry is None:
        return
    for kind in LISTENER_KINDS:
        yield from _row_overlaps(context, registry, kind)
        yield from _range_overlaps(registry, kind)
    yield from _named_twice(context, registry)


def _named_twice(context: Context, registry: Registry) -> Iterator[Finding]:
    """Named Tailscale Services share 443 freely, but one name is one service."""
    for name in context.graph.tailscale_service_names():
        rows = sorted(context.graph.tailscale_service_rows(name), key=lambda row: row.line)
        for later in rows[1:]:
            yield RULE.finding(
                registry.location(later.line),
                f"Tailscale Service '{name}' of '{later.service}' is also claimed by "
                f"'{rows[0].service}' at line {rows[0].line}",
                related=[registry.location(rows[0].line)],
            )


def _row_overlaps(context: Context, registry: Registry, kind: Kind) -> Iterator[Finding]:
    shared: dict[tuple[RegistryRow, RegistryRow], list[int]] = defaultdict(list)
    for claim in context.graph.claims(kind):
        for pair in overlapping_pairs(claim.rows):
            shared[pair].append(claim.port)
    # A reservation overlapping allocations is one problem: one finding at the reservation.
    reserving: dict[RegistryRow, list[tuple[RegistryRow, list[int]]]] = defaultdict(list)
    for (anchor, other), ports in sorted(shared.items(), key=_pair_order):
        if anchor.reserved and not other.reserved:
            reserving[anchor].append((other, ports))
            continue
        yield RULE.finding(
            registry.location(anchor.line),
            f"{kind.label} {_ports_text(ports)} of {_describe(anchor, kind)} "
            f"{'is' if len(ports) == 1 else 'are'} also claimed by {_describe(other, kind)} "
            f"at line {other.line}",
            port=ports[0],
            related=[registry.location(other.line)],
        )
    for reserved, allocations in sorted(reserving.items(), key=lambda item: item[0].line):
        clauses = [
            f"{_ports_text(ports) if index else kind.label + ' ' + _ports_text(ports)}, "
            f"which '{other.service}' allocates at line {other.line}"
            for index, (other, ports) in enumerate(allocations)
        ]
        yield RULE.finding(
            registry.location(reserved.line),
            f"{_describe(reserved, kind)} still reserves {', and '.join(clauses)}",
            port=allocations[0][1][0],
            related=[registry.location(other.line) for other, _ports in allocations],
        )


def overlapping_pairs(rows: Iterable[RegistryRow]) -> Iterator[tuple[RegistryRow, RegistryRow]]:
    """(the row where the fix goes, the row it contradicts) for the rows claiming one port.

    Reserved rows are what is left free, so a reservation overlapping an
    allocation is the reservation's to fix: it is paired with the first
    allocation. Allocations (and reservations among themselves) pair every
    later row with the first one.
    """
    ordered = sorted(set(rows), key=lambda row: row.line)
    allocations = [row for row in ordered if not row.reserved]
    reserved = [row for row in ordered if row.reserved]
    for later in allocations[1:]:
        yield later, allocations[0]
    if allocations:
        for row in reserved:
            yield row, allocations[0]
    else:
        for later in reserved[1:]:
            yield later, reserved[0]


def _pair_order(item: tuple[tuple[RegistryRow, RegistryRow], list[int]]) -> tuple[int, int]:
    (anchor, other), _ports = item
    return anchor.line, other.line


def _range_overlaps(registry: Registry, kind: Kind) -> Iterator[Finding]:
    ranges = sorted((r for r in registry.ranges if r.kind is kind), key=lambda r: r.line)
    for index, later in enumerate(ranges):
        for earlier in ranges[:index]:
            if later.low <= earlier.high and earlier.low <= later.high:
                yield RULE.finding(
                    registry.location(later.line),
                    f"{kind.label} range {later.label} ({later.purpose}) overlaps "
                    f"{earlier.label} ({earlier.purpose}) at line {earlier.line}",
                    port=max(later.low, earlier.low),
                    related=[registry.location(earlier.line)],
                )


def _describe(row: RegistryRow, kind: Kind) -> str:
    return f"'{row.service}' ({row.cell(kind).text})"


def _ports_text(ports: list[int]) -> str:
    if len(ports) == 1:
        return f"port {ports[0]}"
    contiguous = ports == list(range(ports[0], ports[-1] + 1))
    if contiguous:
        return f"ports {ports[0]}-{ports[-1]}"
    return "ports " + ", ".join(map(str, ports))


RULE = Rule(
    code="PL008",
    name="registry-contradiction",
    severity=Severity.ERROR,
    summary="The registry claims one port twice or overlaps two ranges of one kind",
    check=check,
    needs_registry=True,
)
