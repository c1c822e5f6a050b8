"""The plain values that flow one way through the pipeline.

discover -> SourceFile; parse + extract -> PortDecl / SyntaxIssue;
registry -> Registry; rules -> Finding; report only reads Findings.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Defined apart so that a replayed check imports them alone; re-exported for the pipeline.
from axios_portlint.model_base import LISTENER_KINDS as LISTENER_KINDS
from axios_portlint.model_base import FileProblem as FileProblem
from axios_portlint.model_base import Finding as Finding
from axios_portlint.model_base import Kind as Kind
from axios_portlint.model_base import Location as Location
from axios_portlint.model_base import Role as Role
from axios_portlint.model_base import Severity as Severity
from axios_portlint.model_base import SourceFile as SourceFile

# Valid ports, one definition for the code and the registry.
# In code every value `types.port` (`types.ints.u16`) takes is valid, 0 included:
# `port = 0` asks the OS for any free port, and some modules use it to turn a listener
# off. PL017 reports a value outside PORTS. A registry row allocates a fixed port, and 0
# is none: a registry cell takes ALLOCATABLE_PORTS, and a 0 there is malformed (PL011);
# a row without a port says so with a dash.
PORTS = range(0, 65536)
ALLOCATABLE_PORTS = range(1, PORTS.stop)
# The ports a listener binds for certain: ALLOCATABLE_PORTS. A listener on 0 binds any free
# port the OS picks (or none: dnsmasq's and redis' `port = 0` turn the listener off), so it
# collides with nothing (PL001, PL002), needs no registry row (PL003), matches or contradicts
# none (PL005) and lies in no range (PL006). `PortDecl.fixed_port` is the one place that
# says so.


# The registry's offset convention: a service's Tailscale port is its local port + 363.
TAILSCALE_OFFSET = 363


# The priority of a value set without `lib.mkOverride` and its short forms.
PLAIN_PRIORITY = 100


class Origin(enum.StrEnum):
    """Where in a module a port was found."""

    OPTION = "option"  # the default of a port-typed option
    OPTION_BY_NAME = "option-by-name"  # an integer option whose name says it is a port
    CONFIG = "config"  # a config-side assignment, `services.ollama.port = 11434;`
    TAILSCALE_SERVICE = "tailscale-service"  # `networking.tailscale.services."NAME" = {...}`
    FALLBACK = "fallback"  # `osConfig.services.mcp-gateway.port or 8085`
    FIREWALL = "firewall"  # `networking.firewall.allowedTCPPorts = [ ... ]`


class Protocol(enum.StrEnum):
    """The transport a port is bound on, as far as the code says it."""

    TCP = "tcp"
    UDP = "udp"
    BOTH = "tcp+udp"  # one service on both (DNS): never a conflict with itself
    UNKNOWN = "unknown"  # the code names none: collides with TCP and UDP alike

    @property
    def transports(self) -> frozenset[str]:
        """The transports the port may be bound on; unknown is both, so no conflict is lost."""
        if self in (Protocol.TCP, Protocol.UDP):
            return frozenset({self.value})
        return frozenset({"tcp", "udp"})


class ValueState(enum.StrEnum):
    """How much we statically know about an option's default."""

    KNOWN = "known"  # an integer
    NULL = "null"  # explicitly null (nullOr port): binds nothing by default
    ABSENT = "absent"  # no default at all: the user must set it
    UNRESOLVED = "unresolved"  # an expression we cannot fold without evaluating


@dataclass(frozen=True, slots=True)
class PendingRef:
    """The default of an option declared in another file, to be read once all are known."""

    option: str


@dataclass(frozen=True, slots=True)
class PendingOp:
    operator: str
    left: Pending
    right: Pending


Pending = int | PendingRef | PendingOp


@dataclass(frozen=True, slots=True)
class PortDecl:
    """One port-typed option declared in a Nix module."""

    option: str
    kind: Kind
    port: int | None
    state: ValueState
    expression: str
    location: Location
    reason: str = ""
    # False when static analysis cannot tell which option path the module system gives it.
    placed: bool = True
    origin: Origin = Origin.OPTION
    name: str | None = None  # a Tailscale Service's name
    reads: str | None = None  # the option this value was read from, if any
    end_port: int | None = None  # the end of a firewall port range
    exposes: str | None = None  # the local listener a Tailscale Service's backend points at
    pending: Pending | None = None  # a value that needs other files' options to fold
    protocol: Protocol = Protocol.UNKNOWN  # from a firewall list, the name or the description
    # The listener model's verdict and the evidence that decided it (extract/listeners.py).
    role: Role = Role.LISTENER
    why: str = ""
    # A set value's module-system priority, lower wins: `lib.mkForce` 50, a plain
    # value 100, `lib.mkDefault` 1000, `lib.mkOverride N` N; None where static reading
    # cannot fold it (`mkOverride prio x`). An option's default loses to any of them.
    priority: int | None = PLAIN_PRIORITY

    @property
    def namespace(self) -> str:
        """The service an option belongs to: its path minus the listener suffix."""
        return option_namespace(self.option, self.kind)

    @property
    def is_read(self) -> bool:
        """A value read from an option, never a listener of its own.

        `x.port or 8085` and `services.immich.port = cfg.port;` are client references
        to the listener that declares the option read (perhaps in another flake): the
        registry documents that listener, once, wherever it is declared.
        """
        return self.origin is Origin.FALLBACK or (
            self.origin is Origin.CONFIG and self.reads is not None
        )

    @property
    def fixed_port(self) -> int | None:
        """The port this declaration binds for certain: known, and not 0 (any free port)."""
        if self.state is ValueState.KNOWN and self.port in ALLOCATABLE_PORTS:
            return self.port
        return None

    @property
    def is_template(self) -> bool:
        """Declared inside a submodule: a port of each entry, not a listener by itself."""
        return any(part in ("<name>", "*") for part in split_option_path(self.option))


def decl_to_dict(decl: PortDecl) -> dict[str, Any]:
    """A PortDecl as JSON values, every field: the one serialization of a declaration.

    The cache stores it whole; the JSON inventory shows the public keys of it.
    """
    location = decl.location
    return {
        "option": decl.option,
        "kind": str(decl.kind),
        "origin": str(decl.origin),
        "port": decl.port,
        "end_port": decl.end_port,
        "state": str(decl.state),
        "expression": decl.expression,
        "file": location.file,
        "line": location.line,
        "column": location.column,
        "end_line": location.end_line,
        "end_column": location.end_column,
        "reason": decl.reason,
        "name": decl.name,
        "reads": decl.reads,
        "exposes": decl.exposes,
        "placed": decl.placed,
        "pending": None if decl.pending is None else _pending_to_json(decl.pending),
        "protocol": str(decl.protocol),
        "role": str(decl.role),
        "why": decl.why,
        "priority": decl.priority,
    }


def decl_from_dict(value: dict[str, Any]) -> PortDecl:
    """The inverse of decl_to_dict; raises KeyError, TypeError or ValueError on bad input."""
    pending = value["pending"]
    return PortDecl(
        option=str(value["option"]),
        kind=Kind(value["kind"]),
        port=_optional_int(value["port"]),
        state=ValueState(value["state"]),
        expression=str(value["expression"]),
        location=Location(
            str(value["file"]),
            _int(value["line"]),
            _int(value["column"]),
            _int(value["end_line"]),
            _int(value["end_column"]),
        ),
        reason=str(value["reason"]),
        placed=bool(value["placed"]),
        origin=Origin(value["origin"]),
        name=_optional_str(value["name"]),
        reads=_optional_str(value["reads"]),
        end_port=_optional_int(value["end_port"]),
        exposes=_optional_str(value["exposes"]),
        pending=None if pending is None else _pending_from_json(pending),
        protocol=Protocol(value["protocol"]),
        role=Role(value["role"]),
        why=str(value["why"]),
        priority=_optional_int(value["priority"]),
    )


def _pending_to_json(pending: Pending) -> object:
    if isinstance(pending, int):
        return pending
    if isinstance(pending, PendingRef):
        return {"ref": pending.option}
    return {
        "op": pending.operator,
        "left": _pending_to_json(pending.left),
        "right": _pending_to_json(pending.right),
    }


def _pending_from_json(value: Any) -> Pending:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if "ref" in value:
        return PendingRef(str(value["ref"]))
    left = _pending_from_json(value["left"])
    right = _pending_from_json(value["right"])
    return PendingOp(str(value["op"]), left, right)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not an integer")
    return value


def _optional_int(value: Any) -> int | None:
    return None if value is None else _int(value)


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


ONE_LINE_WIDTH = 60
ELLIPSIS = "\u2026"


def one_line(text: str, width: int = ONE_LINE_WIDTH) -> str:
    """`text` on one line for a message: whitespace collapsed, a long middle elided.

    The head says what the expression is and the tail how it ends (`... }`), so
    both are kept and the middle gives way.
    """
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    head = (width - 1) // 2 + (width - 1) % 2
    tail = width - 1 - head
    return f"{flat[:head].rstrip()}{ELLIPSIS}{flat[len(flat) - tail :].lstrip()}"


TAILSCALE_SUFFIX = ("tailscaleServe", "httpsPort")
NIX_IDENTIFIER = re.compile(r"[a-zA-Z_][a-zA-Z0-9_'-]*")


def option_namespace(option: str, kind: Kind) -> str:
    parts = split_option_path(option)
    drop = len(TAILSCALE_SUFFIX) if parts[-2:] == list(TAILSCALE_SUFFIX) else 1
    return ".".join(parts[:-drop]) if len(parts) > drop else ""


def join_option_path(parts: Iterable[str]) -> str:
    """Spell a path as nixpkgs' showOption does: segments quoted unless plain identifiers."""
    return ".".join(_quote_segment(part) for part in parts)


def _quote_segment(segment: str) -> str:
    """nixpkgs' escapeNixIdentifier: bare when the Nix lexer reads it as an identifier."""
    if segment in ("<name>", "*", "<unplaced>", "<function body>"):
        return segment
    if NIX_IDENTIFIER.fullmatch(segment):
        return segment
    # escapeNixString: the JSON string, with `$` escaped so `${` cannot interpolate.
    return json.dumps(segment, ensure_ascii=False).replace("$", "\\$")


def split_option_path(option: str) -> list[str]:
    """Split `a."b.c".d` into its segments, honouring quoted names."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for char in option:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


@dataclass(frozen=True, slots=True)
class SyntaxIssue:
    """The first syntax error in a file (tree-sitter ERROR or MISSING node)."""

    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class SubmoduleUse:
    """Another file whose options this file places under `prefix` (a submodule's path).

    `./peer.nix` in `types.submodule ./peer.nix` is a module: its `options.port` is
    `<prefix>.port`. A file imported as the option set itself (`options = import
    ./settings.nix args;`) has no `options` of its own (`options_only`): its top-level
    `jive.port` is `<prefix>.jive.port`.
    """

    target: str  # display path of the file, or of its folder (then its default.nix)
    prefix: str  # the option path, `networking.meshvpn.peers.<name>`
    options_only: bool = False


@dataclass(frozen=True, slots=True)
class FileResult:
    """Everything extraction learned from one file."""

    path: str
    decls: tuple[PortDecl, ...] = ()
    syntax_issue: SyntaxIssue | None = None
    # Port-named option paths the file's config sections set (`pim.port = 9000;`).
    defines: tuple[str, ...] = ()
    # Files whose options this file places inside a submodule.
    submodules: tuple[SubmoduleUse, ...] = ()


class CellKind(enum.StrEnum):
    NONE = "none"
    PORT = "port"
    RANGE = "range"
    NAMED = "named"  # a named Tailscale service, `axios-llama (443)`
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class PortCell:
    text: str
    kind: CellKind
    low: int | None = None
    high: int | None = None
    name: str | None = None

    @property
    def ports(self) -> range:
        if self.low is None or self.high is None:
            return range(0)
        return range(self.low, self.high + 1)

    @property
    def single(self) -> int | None:
        """The port when the cell claims exactly one."""
        if self.kind in (CellKind.PORT, CellKind.NAMED):
            return self.low
        return None


@dataclass(frozen=True, slots=True)
class RegistryRow:
    """One row of an allocation table (Service, Local Port, Tailscale Port)."""

    line: int
    table: str
    service: str
    local: PortCell
    tailscale: PortCell
    module: str | None = None
    status: str | None = None
    reserved: bool = False

    @property
    def is_active(self) -> bool:
        return (self.status or "").strip().lower() == "active"

    def cell(self, kind: Kind) -> PortCell:
        return self.tailscale if kind is Kind.TAILSCALE else self.local


@dataclass(frozen=True, slots=True)
class RegistryRange:
    """One row of the "Port Ranges Summary" table."""

    line: int
    low: int
    high: int
    purpose: str
    kind: Kind

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.low <= port <= self.high

    @property
    def label(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


@dataclass(frozen=True, slots=True)
class RegistryProblem:
    """A malformed part of the registry, at its source line."""

    line: int
    column: int
    message: str


@dataclass(frozen=True, slots=True)
class CrossReference:
    """A relative link of the registry's Cross-References section."""

    line: int
    column: int
    target: str  # as written, without its #fragment
    exists: bool  # does it name a file or folder, relative to the registry's folder?


@dataclass(frozen=True, slots=True)
class Registry:
    path: str
    rows: tuple[RegistryRow, ...] = ()
    ranges: tuple[RegistryRange, ...] = ()
    problems: tuple[RegistryProblem, ...] = ()
    references: tuple[CrossReference, ...] = ()

    def location(self, line: int, column: int = 1) -> Location:
        return Location(self.path, line, column, line, column)


# -- hosts (issue 13): which module files are active on which machine ----------


class UnresolvedKind(enum.StrEnum):
    """Why a module of a host could not be followed statically."""

    COMPUTED = "computed"  # a path or list only evaluation can know (`readDir`, `map`, a call)
    EXTERNAL = "external"  # a flake input's module, `<nixpkgs/...>`, a function argument
    MISSING = "missing"  # a literal path to no Nix file among the checked ones


@dataclass(frozen=True, slots=True)
class UnresolvedImport:
    """One `imports`/`modules` element (or host set) that static reading cannot follow."""

    location: Location
    expression: str
    kind: UnresolvedKind
    reason: str


class HostSource(enum.StrEnum):
    """Where a host was found."""

    FLAKE = "flake"  # `nixosConfigurations.<name>` / `darwinConfigurations.<name>`
    FOLDER = "folder"  # `hosts/<name>/default.nix` or `configuration.nix`
    SETTINGS = "settings"  # `[hosts]` in portlint.toml
    FILE = "file"  # a configuration file nobody imports: an example VM, a flake-less host
    TEST = "test"  # `nodes.<name>` of a NixOS test (an attribute set with a `testScript`)


@dataclass(frozen=True, slots=True)
class Host:
    """One machine and the module files active on it (display paths)."""

    name: str
    entry: Location  # the host's name in flake.nix, or its entry file
    source: HostSource
    files: frozenset[str]
    unresolved: tuple[UnresolvedImport, ...]  # sorted by location
    # Option paths P whose `P.enable` some file of the host sets to anything but `false`;
    # None when a module the host imports may be a local file static reading cannot name.
    enabled: frozenset[str] | None = None
    # Where only part of a file is this host's (a NixOS test's node, written beside the
    # other nodes): those parts. A file of `files` with no part here is the host's whole.
    parts: tuple[Location, ...] = ()

    def holds(self, location: Location) -> bool:
        """Is what is written at `location` part of this host's modules?"""
        if location.file not in self.files:
            return False
        parts = [part for part in self.parts if part.file == location.file]
        return not parts or any(_within(location, part) for part in parts)


def _within(inner: Location, outer: Location) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) and (
        inner.end_line,
        inner.end_column,
    ) <= (outer.end_line, outer.end_column)


@dataclass(frozen=True, slots=True)
class HostMap:
    """Every host found, and host sets whose names cannot be read statically."""

    hosts: tuple[Host, ...]  # sorted by name
    unresolved: tuple[UnresolvedImport, ...]  # e.g. `nixosConfigurations = mapAttrs mk hosts`
    # (file, P) for a file on some host whose whole config is `mkIf cfg.enable` with
    # `cfg = config.P`: its ports are active only on a host that enables P.
    guards: tuple[tuple[str, str], ...] = ()
    # For each unread host set (at its location in `unresolved`), the checked files the
    # `modules = [ ... ]` lists written inside it reach; None where it holds no such list
    # (its hosts may import any file).
    unread_files: tuple[tuple[Location, frozenset[str] | None], ...] = ()

    def hosts_of(self, path: str) -> tuple[str, ...]:
        """The hosts a file is active on; () for a file tied to no host."""
        return tuple(host.name for host in self.hosts if path in host.files)
