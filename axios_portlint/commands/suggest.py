"""`portlint suggest`: the next free local and Tailscale port for a new service.

A category is any word of a range's purpose in the "Port Ranges Summary" table
(`web` for "Web application services" and "Tailscale HTTPS (web apps)"). A port
is free when it lies in one of the category's ranges and nothing claims it: no
declaration in code (of any kind: a firewall or client port is a port in use
too) and no registry row of any status, `*Reserved*` ranges included. Where a
free local port's +363 twin is a free Tailscale port of the category, that
pair wins (the registry's offset convention); otherwise the first free port of
each kind, with a note saying why the convention could not hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from axios_portlint.commands import EXIT_FINDINGS, Outcome
from axios_portlint.commands.categories import category_words, names_category
from axios_portlint.commands.formats import SuggestFormat
from axios_portlint.commands.options import Options
from axios_portlint.commands.ports import scan_tree
from axios_portlint.errors import UsageError
from axios_portlint.model import (
    LISTENER_KINDS,
    TAILSCALE_OFFSET,
    Kind,
    PortDecl,
    Registry,
    RegistryRange,
)


class UnknownCategoryError(Exception):
    """No range of the ranges table names the category: a usage error."""


class FullRangeError(Exception):
    """Every port of a category's ranges of one kind is taken."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    category: str
    local: int | None
    tailscale: int | None
    offset: bool  # tailscale == local + 363
    local_range: RegistryRange | None
    tailscale_range: RegistryRange | None
    notes: tuple[str, ...] = ()


def suggest_command(
    options: Options, category: str | None, output_format: SuggestFormat = SuggestFormat.TEXT
) -> Outcome:
    """`portlint suggest [CATEGORY]`: the next free pair of one category, or of every one.

    A full range is an answer, not a usage error: exit 1, as for a finding. Listing
    every category (no CATEGORY) is a report and succeeds even when some range is full.
    """
    from axios_portlint.api import locate_registry, read_registry

    registry = read_registry(locate_registry(options.registry, options.root), options.root).registry
    decls = scan_tree(options).decls
    wanted = [category] if category else categories(registry)
    results: list[dict[str, object]] = []
    texts: list[str] = []
    failed = False
    for name in wanted:
        try:
            found = suggest(name, decls, registry)
        except UnknownCategoryError as error:
            raise UsageError(str(error)) from None
        except FullRangeError as error:
            if category and output_format is SuggestFormat.TEXT:
                return Outcome("", f"portlint: error: {name}: {error}\n", EXIT_FINDINGS)
            failed = True
            results.append(error_data(name, str(error)))
            texts.append(f"category:  {name}\nerror: {error}\n")
            continue
        results.append(suggestion_data(found))
        texts.append(suggestion_text(found))
    exit_code = EXIT_FINDINGS if failed and category else 0
    if output_format is SuggestFormat.JSON:
        data: object = results[0] if category else results
        return Outcome(json.dumps(data, indent=2) + "\n", "", exit_code)
    return Outcome("\n".join(texts), "", exit_code)


def categories(registry: Registry) -> list[str]:
    """Every category the ranges table names, in the table's order."""
    seen: list[str] = []
    for span in registry.ranges:
        name = " ".join(sorted(category_words(span.purpose)))
        if name and name not in seen:
            seen.append(name)
    return seen


def used_ports(decls: Iterable[PortDecl], registry: Registry) -> dict[int, str]:
    """Every port in use, with who uses it (for the notes)."""
    used: dict[int, str] = {}
    for row in registry.rows:
        for kind in LISTENER_KINDS:
            for port in row.cell(kind).ports:
                used.setdefault(port, f"'{row.service}' at {registry.path}:{row.line}")
    for decl in decls:
        if decl.port is None:
            continue
        for port in range(decl.port, (decl.end_port or decl.port) + 1):
            used.setdefault(port, f"{decl.option} at {decl.location.file}:{decl.location.line}")
    return used


def suggest(category: str, decls: Iterable[PortDecl], registry: Registry) -> Suggestion:
    ranges = [span for span in registry.ranges if names_category(category, span.purpose)]
    if not ranges:
        known = ", ".join(categories(registry)) or "none"
        raise UnknownCategoryError(
            f"no range in {registry.path} is for {category!r} (categories: {known})"
        )
    used = used_ports(decls, registry)
    free = {kind: _free(ranges, kind, used, registry) for kind in LISTENER_KINDS}
    locals_, tailscales = free[Kind.LOCAL], free[Kind.TAILSCALE]
    twins = set(tailscales)
    pair = next((port for port in locals_ if port + TAILSCALE_OFFSET in twins), None)
    if pair is not None:
        notes = _skipped_note(locals_[0], pair, used) if pair != locals_[0] else ()
        return _suggestion(category, ranges, pair, pair + TAILSCALE_OFFSET, notes)
    local = locals_[0] if locals_ else None
    tailscale = tailscales[0] if tailscales else None
    notes = tuple(_why_no_offset(category, ranges, local, used))
    return _suggestion(category, ranges, local, tailscale, notes)


def _free(
    ranges: list[RegistryRange], kind: Kind, used: dict[int, str], registry: Registry
) -> list[int]:
    """The free ports of the category's ranges of `kind`; FullRangeError when there are none."""
    of_kind = sorted((span for span in ranges if span.kind is kind), key=lambda s: s.low)
    free = [p for span in of_kind for p in range(span.low, span.high + 1) if p not in used]
    if of_kind and not free:
        raise FullRangeError(_full_message(of_kind, kind, registry))
    return free


def _full_message(ranges: list[RegistryRange], kind: Kind, registry: Registry) -> str:
    spans = ", ".join(f"{span.label} ({span.purpose})" for span in ranges)
    reserved = sorted(
        {
            f"{row.cell(kind).text} at {registry.path}:{row.line}"
            for row in registry.rows
            if row.reserved
            and any(
                row.cell(kind).low is not None and _overlaps(row.cell(kind).ports, s)
                for s in ranges
            )
        }
    )
    hint = f"; reserved: {', '.join(reserved)} (shrink a reservation to free a port)"
    verb = "is" if len(ranges) == 1 else "are"
    return (
        f"the {kind.label} range {spans} {verb} full in {registry.path}{hint if reserved else ''}"
    )


def _overlaps(ports: range, span: RegistryRange) -> bool:
    return bool(ports) and ports.start <= span.high and span.low <= ports.stop - 1


def _suggestion(
    category: str,
    ranges: list[RegistryRange],
    local: int | None,
    tailscale: int | None,
    notes: tuple[str, ...],
) -> Suggestion:
    return Suggestion(
        category=category,
        local=local,
        tailscale=tailscale,
        offset=local is not None and tailscale == local + TAILSCALE_OFFSET,
        local_range=_range_of(ranges, Kind.LOCAL, local),
        tailscale_range=_range_of(ranges, Kind.TAILSCALE, tailscale),
        notes=notes,
    )


def _range_of(ranges: list[RegistryRange], kind: Kind, port: int | None) -> RegistryRange | None:
    return next((s for s in ranges if s.kind is kind and port in s), None)


def _skipped_note(first: int, chosen: int, used: dict[int, str]) -> tuple[str, ...]:
    twin = first + TAILSCALE_OFFSET
    why = f"is taken by {used[twin]}" if twin in used else "is outside the Tailscale ranges"
    return (
        f"local {first} is free but {twin} (= {first} + {TAILSCALE_OFFSET}) {why}; "
        f"{chosen} is the first local port whose +{TAILSCALE_OFFSET} twin is free",
    )


def _why_no_offset(
    category: str, ranges: list[RegistryRange], local: int | None, used: dict[int, str]
) -> list[str]:
    kinds = {span.kind for span in ranges}
    notes = []
    if Kind.LOCAL not in kinds:
        notes.append(
            f"no local range is for {category!r}: such services keep their upstream "
            "default port; pick one no registry row or module uses"
        )
    if Kind.TAILSCALE not in kinds:
        notes.append(f"no Tailscale range is for {category!r}")
    if local is not None and Kind.TAILSCALE in kinds:
        twin = local + TAILSCALE_OFFSET
        why = (
            f"is taken by {used[twin]}"
            if twin in used
            else f"lies outside the {category} Tailscale ranges"
        )
        notes.append(
            f"the offset convention cannot hold: {twin} (= {local} + {TAILSCALE_OFFSET}) {why}, "
            "as for every other free local port"
        )
    return notes


# -- output ---------------------------------------------------------------------------


def suggestion_text(suggestion: Suggestion) -> str:
    lines = [f"category:  {suggestion.category}"]
    for label, port, span in (
        ("local", suggestion.local, suggestion.local_range),
        ("tailscale", suggestion.tailscale, suggestion.tailscale_range),
    ):
        where = f" (range {span.label}, {span.purpose})" if span is not None else ""
        lines.append(f"{label + ':':<10} {port if port is not None else '-'}{where}")
    if suggestion.offset:
        lines.append(f"offset:    Tailscale = local + {TAILSCALE_OFFSET}")
    lines.extend(f"note: {note}" for note in suggestion.notes)
    return "\n".join(lines) + "\n"


def suggestion_data(suggestion: Suggestion) -> dict[str, object]:
    return {
        "category": suggestion.category,
        "local": suggestion.local,
        "tailscale": suggestion.tailscale,
        "offset": suggestion.offset,
        "local_range": suggestion.local_range.label if suggestion.local_range else None,
        "tailscale_range": (
            suggestion.tailscale_range.label if suggestion.tailscale_range else None
        ),
        "notes": list(suggestion.notes),
    }


def error_data(category: str, message: str) -> dict[str, object]:
    return {"category": category, "local": None, "tailscale": None, "error": message}
