"""The values every command meets, apart from the rest of the model so they import cheaply.

Severities, port kinds and roles, places in files, the files discovery hands
over or cannot, and findings: a replayed check (extract/replay.py) prints
findings over a walk of the tree and needs nothing else of the model, whose
other dataclasses cost a millisecond each to create at import. axios_portlint.model
re-exports every name defined here; the pipeline's stages import them from there.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Kind(enum.StrEnum):
    """What a port is to the port registry."""

    LOCAL = "local"
    TAILSCALE = "tailscale"
    OTHER = "other"
    FIREWALL = "firewall"

    @property
    def is_listener(self) -> bool:
        return self in LISTENER_KINDS

    @property
    def label(self) -> str:
        """The kind as a message names it: "local", "Tailscale" (a proper name), "firewall"."""
        return "Tailscale" if self is Kind.TAILSCALE else self.value

    @property
    def column(self) -> str:
        """The registry column of a listener kind: "Local Port", "Tailscale Port"."""
        return f"{self.label[0].upper()}{self.label[1:]} Port"


# The kinds the registry allocates: a row has a column for each, in this order.
LISTENER_KINDS = (Kind.LOCAL, Kind.TAILSCALE)


class Role(enum.StrEnum):
    """What a port option is to its host: the listener model's verdict (docs/listeners.md)."""

    LISTENER = "listener"  # binds the port on this host
    CLIENT = "client"  # the port of another server: connects to it, or builds a URL with it
    UNKNOWN = "unknown"  # evidence either way; listed, never part of a conflict
    FIREWALL = "firewall"  # a firewall entry: opens the port, binds nothing


_LocationKey = tuple[str, int, int, int, int]


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based line and a 1-based column counted in characters."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def sort_key(self) -> tuple[str, int, int]:
        return (self.file, self.line, self.column)

    def full_key(self) -> _LocationKey:
        """A total order: two locations that sort_key ties still compare."""
        return (self.file, self.line, self.column, self.end_line, self.end_column)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file handed over by discovery: its display path and its bytes."""

    path: str
    data: bytes


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file discovery could not hand over (unreadable, binary, not UTF-8)."""

    path: str
    message: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    message: str
    location: Location
    option: str | None = None
    port: int | None = None
    related: tuple[Location, ...] = field(default=())

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (*self.location.sort_key(), self.code, self.message)

    def full_key(
        self,
    ) -> tuple[str, int, int, str, str, _LocationKey, str, int, tuple[_LocationKey, ...]]:
        """A total order over findings, so output never depends on set or hash order."""
        return (
            *self.sort_key(),
            self.location.full_key(),
            self.option or "",
            -1 if self.port is None else self.port,
            tuple(location.full_key() for location in self.related),
        )
