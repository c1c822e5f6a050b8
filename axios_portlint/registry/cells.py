"""Port cells of the registry's tables: `8080`, `8084-8089`, `axios-llama (443)`, `—`."""

from __future__ import annotations

import re

from axios_portlint.model import ALLOCATABLE_PORTS, CellKind, PortCell

# Registry authors write "no port" in many ways; all of them mean the same.
_NONE_TEXTS = frozenset({"", "-", "\u2013", "\u2014", "n/a"})
_DASHES = frozenset({"-", "\u2013", "\u2014"})

# [0-9] rather than \d: int() would also accept other scripts' digits.
_PORT = re.compile(r"[0-9]+")
_RANGE = re.compile(r"(?P<low>[0-9]+)\s*[-\u2013]\s*(?P<high>[0-9]+)")
_NAMED = re.compile(r"(?P<name>[A-Za-z][A-Za-z0-9_.:-]*)\s*\(\s*(?P<port>[0-9]+)\s*\)")
_NEGATIVE = re.compile(r"-\s*[0-9]+")
_FRACTION = re.compile(r"[0-9]+\.[0-9]+")

_EXPECTED = "expected a port (8080), a range (8084-8089), a named service (name (443)) or a dash"


def is_dash(text: str) -> bool:
    return text.strip() in _DASHES


def parse_port_cell(text: str) -> tuple[PortCell, str | None]:
    """Classify a cell's plain text; the second item says why it is INVALID."""
    stripped = text.strip()
    result = _classify(stripped)
    if isinstance(result, str):
        return PortCell(stripped, CellKind.INVALID), result
    return result, None


def _classify(text: str) -> PortCell | str:
    if text.lower() in _NONE_TEXTS:
        return PortCell(text, CellKind.NONE)
    if _PORT.fullmatch(text):
        return _single(text, int(text))
    if match := _RANGE.fullmatch(text):
        return _range(text, int(match["low"]), int(match["high"]))
    if match := _NAMED.fullmatch(text):
        return _named(text, match["name"], int(match["port"]))
    if _NEGATIVE.fullmatch(text):
        return "a port cannot be negative"
    if _FRACTION.fullmatch(text):
        return "a port must be a whole number"
    return _EXPECTED


def _out_of_bounds(port: int) -> str | None:
    if port in ALLOCATABLE_PORTS:
        return None
    lowest, highest = ALLOCATABLE_PORTS[0], ALLOCATABLE_PORTS[-1]
    return f"{port} is outside the port range {lowest}-{highest}"


def _single(text: str, port: int) -> PortCell | str:
    problem = _out_of_bounds(port)
    return problem or PortCell(text, CellKind.PORT, port, port)


def _range(text: str, low: int, high: int) -> PortCell | str:
    problem = _out_of_bounds(low) or _out_of_bounds(high)
    if problem:
        return problem
    if high < low:
        return "range end is below its start"
    return PortCell(text, CellKind.RANGE, low, high)


def _named(text: str, name: str, port: int) -> PortCell | str:
    problem = _out_of_bounds(port)
    return problem or PortCell(text, CellKind.NAMED, port, port, name)
