"""Ports a module sets rather than declares: the config side of the module system.

- `networking.tailscale.services."NAME" = { ... }`: a named Tailscale Service,
  on its own `port` or the services submodule's default; its `backend` URL
  names the local listener it exposes;
- `services.X.port = <expr>` (and deeper `services.X.settings.port`): the local
  listener of a third-party service, often read from the module's own option;
- `networking.firewall.allowed{TCP,UDP}Ports` and their `...PortRanges`;
- `<expr>.port or 8085` anywhere: a fallback for an option perhaps declared
  elsewhere (or in another flake).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace

from tree_sitter import Node

from axios_portlint.extract.config import Leaf
from axios_portlint.extract.link import default_of
from axios_portlint.extract.listeners import Evidence, Sibling, decide, kind_of
from axios_portlint.extract.optionpaths import TAILSCALE_SERVICES
from axios_portlint.extract.portnames import port_named
from axios_portlint.extract.scope import NAME_BYTES, Folder, apply_chain, head_name, peel_parens
from axios_portlint.extract.values import ConfigRef, Deferred, Str, Unknown, Value
from axios_portlint.model import (
    PLAIN_PRIORITY,
    Kind,
    Origin,
    Pending,
    PendingRef,
    PortDecl,
    Role,
    ValueState,
    join_option_path,
)
from axios_portlint.parse import ParsedFile, ancestors
from axios_portlint.parse.names import static_attr_name

FIREWALL = ("networking", "firewall")
FIREWALL_LISTS = {
    "allowedTCPPorts": False,
    "allowedUDPPorts": False,
    "allowedTCPPortRanges": True,
    "allowedUDPPortRanges": True,
}
# Files that mention none of these cannot hold a config-side port.
WORTH_A_LOOK = re.compile(rb"[pP]ort|PORT|tailscale")
URL_PORT = re.compile(r"://[^/:]*:(\d+)")
# Sections whose `port` is a device, not a network port: zigbee2mqtt's
# `settings.serial.port = "/dev/ttyUSB0"` (or the URL of a network serial adapter).
DEVICE_SECTIONS = frozenset({"serial"})
# lib's short forms of `mkOverride N` (nixpkgs lib/modules.nix); lower wins.
OVERRIDE_PRIORITIES = {
    "mkVMOverride": 10,
    "mkForce": 50,
    "mkDefault": 1000,
    "mkOptionDefault": 1500,
}


# How the extractor turns a folded value into (state, port, reason, pending).
Classify = Callable[[Value], tuple[ValueState, int | None, str, Pending | None]]


def config_ports(
    parsed: ParsedFile, folder: Folder, fold: Classify, leaves: Callable[[], list[Leaf]]
) -> tuple[list[PortDecl], tuple[str, ...]]:
    """The file's config-side ports, and every port-named path its config sets.

    `leaves`: the file's `config_leaves`, walked once for both sides of extraction."""
    if not WORTH_A_LOOK.search(parsed.source.data):
        return [], ()
    side = _ConfigSide(parsed, folder, fold, leaves)
    decls = [*side.from_leaves(), *side.fallbacks()]
    return decls, tuple(sorted(side.defines))


class _ConfigSide:
    def __init__(
        self, parsed: ParsedFile, folder: Folder, fold: Classify, leaves: Callable[[], list[Leaf]]
    ) -> None:
        self.parsed = parsed
        self.folder = folder
        self.fold = fold
        self.leaves = leaves
        self.defines: set[str] = set()

    def from_leaves(self) -> Iterator[PortDecl]:
        services: dict[str, list[Leaf]] = defaultdict(list)
        leaves = self.leaves()
        self.by_parent: dict[tuple[str, ...], list[Leaf]] = defaultdict(list)
        for leaf in leaves:
            self.by_parent[leaf.path[:-1]].append(leaf)
        for leaf in leaves:
            path = leaf.path
            if path and port_named(_key_name(path[-1])):
                self.defines.add(join_option_path(path))
            if path[:3] == TAILSCALE_SERVICES and len(path) > 3:
                services[path[3]].append(leaf)
            elif path[:2] == FIREWALL and path[-1] in FIREWALL_LISTS:
                yield from self._firewall(leaf)
            elif path[:1] == ("services",) and len(path) > 2 and _network_port(path):
                yield from self._assignment(leaf)
        for name, leaves in services.items():
            yield self._tailscale_service(name, leaves)

    # -- services.X.port = ...; ------------------------------------------------

    def _value(self, leaf: Leaf) -> Value:
        """A leaf's value, unresolved: `inherit (cfg) port;` reads cfg.port."""
        assert leaf.value is not None
        if leaf.value.type in ("inherit", "inherit_from"):
            return self.folder.inherited_value(leaf.value, leaf.path[-1])
        return self.folder.eval(leaf.value)

    def _assignment(self, leaf: Leaf) -> Iterator[PortDecl]:
        if leaf.value is None or _boolean(leaf.value):
            # `random_port = false;`: a port-like name set to a switch sets no port.
            return
        raw = self._value(leaf)
        reads = join_option_path(raw.path) if isinstance(raw, ConfigRef) else None
        # `"http.port" = 9200;` is judged as the `http.port` it names (OpenSearch's keys).
        words = (*leaf.path[:-1], *leaf.path[-1].split("."))
        evidence = Evidence(words, config_side=True, siblings=self._siblings(leaf))
        role, why = decide(evidence)
        yield self._decl(
            leaf.value,
            join_option_path(leaf.path),
            kind_of(role, Kind.LOCAL),
            Origin.CONFIG,
            self.folder.resolve(raw),
            conditional=leaf.conditional,
            reads=reads,
            role=role,
            why=why,
            priority=self._priority(leaf.value),
        )

    def _priority(self, value: Node) -> int | None:
        """The priority of the innermost `mkForce`/`mkDefault`/`mkOverride N` a set
        value is written in (`port = lib.mkDefault 8080;`, `x = lib.mkForce { port = 1; }`)."""
        for node in ancestors(self.parsed.root, value):
            if node.type != "apply_expression":
                continue
            head, arguments = apply_chain(node)
            name = head_name(head)
            last = arguments[-1] if arguments else None
            if last is None or not last.start_byte <= value.start_byte < last.end_byte:
                continue
            if name in OVERRIDE_PRIORITIES:
                return OVERRIDE_PRIORITIES[name]
            if name == "mkOverride" and len(arguments) == 2:
                number = peel_parens(arguments[0])
                text = self.parsed.text(number)
                return int(text) if number.type == "integer_expression" else None
        return PLAIN_PRIORITY

    def _siblings(self, leaf: Leaf) -> tuple[Sibling, ...]:
        """The values set beside the port: `smtp = { host = "..."; port = 587; }`."""
        found = []
        for other in self.by_parent[leaf.path[:-1]]:
            if other is leaf or other.value is None or other.value.type.startswith("inherit"):
                continue
            value = self.folder.eval(other.value)
            found.append(Sibling(other.path[-1], value.value if isinstance(value, Str) else None))
        return tuple(found)

    # -- networking.tailscale.services."NAME" ------------------------------------

    def _tailscale_service(self, name: str, leaves: list[Leaf]) -> PortDecl:
        fields = {leaf.path[4]: leaf for leaf in leaves if len(leaf.path) == 5}
        option = join_option_path((*TAILSCALE_SERVICES, name, "port"))
        exposes = self._backend(fields.get("backend"))
        port_leaf = fields.get("port")
        expression = None
        if port_leaf is not None and port_leaf.value is not None:
            value: Value = self.folder.resolve(self._value(port_leaf))
            anchor = port_leaf.value
        else:
            # The services submodule's default, wherever in the tree it is declared;
            # the fix for its port goes at the service's name, `"cairn-mail" = {`.
            template = join_option_path((*TAILSCALE_SERVICES, "<name>", "port"))
            value = Deferred(PendingRef(template))
            anchor = self._name_key(leaves)
            expression = default_of(template)
        conditional = any(leaf.conditional for leaf in leaves)
        return self._decl(
            anchor,
            option,
            Kind.TAILSCALE,
            Origin.TAILSCALE_SERVICE,
            value,
            conditional=False,
            name=name,
            exposes=exposes,
            note="defined under a condition" if conditional else "",
            expression=expression,
            why=f"Tailscale Service `{name}`",
        )

    def _name_key(self, leaves: list[Leaf]) -> Node:
        """The first place the service's name is written (`"cairn-mail"` in its attrpath)."""
        keys = [key for leaf in leaves if (key := _path_element(leaf, len(TAILSCALE_SERVICES)))]
        if keys:
            return min(keys, key=lambda node: node.start_byte)
        first = leaves[0].value
        return first if first is not None else self.parsed.root

    def _backend(self, leaf: Leaf | None) -> str | None:
        """The option (or literal port) the backend URL points at."""
        if leaf is None or leaf.value is None:
            return None
        node = peel_parens(leaf.value)
        for child in node.named_children:
            if child.type != "interpolation":
                continue
            inner = child.child_by_field_name("expression")
            if inner is None:
                continue
            head, args = apply_chain(peel_parens(inner))
            target = args[0] if head_name(head) == "toString" and len(args) == 1 else inner
            value = self.folder.eval(target)
            if isinstance(value, ConfigRef):
                return join_option_path(value.path)
        text = node.text.decode("utf-8", errors="replace") if node.text else ""
        literal = URL_PORT.search(text)
        return f"port {literal.group(1)}" if literal else None

    # -- firewall ---------------------------------------------------------------

    def _firewall(self, leaf: Leaf) -> Iterator[PortDecl]:
        if leaf.value is None:
            return
        option = join_option_path(leaf.path)
        is_range = FIREWALL_LISTS[leaf.path[-1]]
        elements = list(_list_elements(leaf.value))
        if not elements and peel_parens(leaf.value).type != "list_expression":
            # `allowedTCPPorts = cfg.allowedPorts;`: a list only evaluation can spell out.
            unknown = Unknown("the list is computed; only evaluation knows its ports")
            yield self._decl(
                leaf.value,
                option,
                Kind.FIREWALL,
                Origin.FIREWALL,
                unknown,
                conditional=False,
                role=Role.FIREWALL,
                why=f"list `{leaf.path[-1]}`",
            )
            return
        for element, _conditional in elements:
            if is_range:
                yield from self._firewall_range(element, option)
                continue
            raw = self.folder.eval(element)
            reads = join_option_path(raw.path) if isinstance(raw, ConfigRef) else None
            yield self._decl(
                element,
                option,
                Kind.FIREWALL,
                Origin.FIREWALL,
                self.folder.resolve(raw),
                conditional=False,
                reads=reads,
                role=Role.FIREWALL,
                why=f"list `{leaf.path[-1]}`",
            )

    def _firewall_range(self, element: Node, option: str) -> Iterator[PortDecl]:
        value = self.folder.eval(element)
        low = self.folder.get_attr(value, "from")
        high = self.folder.get_attr(value, "to")
        decl = self._decl(
            element,
            option,
            Kind.FIREWALL,
            Origin.FIREWALL,
            self.folder.resolve(low) if low is not None else Str("missing"),
            conditional=False,
            role=Role.FIREWALL,
        )
        end = self.folder.resolve(high) if high is not None else None
        end_port = end if isinstance(end, int) else None
        why = f"list `{option.rsplit('.', 1)[-1]}`"
        if decl.port is not None and end_port is not None:
            why = f"{why}, range {decl.port}-{end_port}"
        yield replace(decl, end_port=end_port, why=why)

    # -- `x.port or 8085` --------------------------------------------------------

    def fallbacks(self) -> Iterator[PortDecl]:
        for select in fallback_selects(self.parsed):
            found = self._fallback(select)
            if found is not None:
                yield found

    def _fallback(self, select: Node) -> PortDecl | None:
        base = select.child_by_field_name("expression")
        attrpath = select.child_by_field_name("attrpath")
        default = select.child_by_field_name("default")
        if base is None or attrpath is None or default is None:
            return None
        read = self.folder.eval(base)
        for attr in attrpath.children_by_field_name("attr"):
            name = self.folder.attr_name(attr)
            if name is None or not isinstance(read, ConfigRef):
                return None
            read = ConfigRef((*read.path, name))
        if not isinstance(read, ConfigRef) or not read.path or not port_named(read.path[-1]):
            return None
        kind = Kind.LOCAL if read.path[-1] == "port" else Kind.OTHER
        option = join_option_path(read.path)
        return self._decl(
            default,
            option,
            kind,
            Origin.FALLBACK,
            self.folder.fold(default),
            conditional=False,
            reads=option,
            # A fallback stands in for the option it reads: a listener only as `port`.
            role=Role.LISTENER if kind is Kind.LOCAL else Role.UNKNOWN,
            why=f"fallback for `{option}`",
        )

    # -- building ---------------------------------------------------------------

    def _decl(
        self,
        anchor: Node,
        option: str,
        kind: Kind,
        origin: Origin,
        value: Value,
        *,
        conditional: bool,
        reads: str | None = None,
        name: str | None = None,
        exposes: str | None = None,
        note: str = "",
        expression: str | None = None,
        role: Role = Role.LISTENER,
        why: str = "",
        priority: int | None = PLAIN_PRIORITY,
    ) -> PortDecl:
        state, port, reason, pending = self.fold(value)
        if conditional and state is not ValueState.UNRESOLVED:
            note = "set under a condition"
        return PortDecl(
            option=option,
            kind=kind,
            port=port,
            state=state,
            expression=self.parsed.text(anchor) if expression is None else expression,
            location=self.parsed.location(anchor),
            reason=reason or note,
            origin=origin,
            name=name,
            reads=reads,
            exposes=exposes,
            pending=pending,
            role=role,
            why=why,
            priority=priority,
        )


def fallback_selects(parsed: ParsedFile) -> Iterator[Node]:
    """Each select with a fallback (`x.port or 8085`), found from its `or` keyword in the
    bytes: the smallest named node around the keyword is its select. A tree query walked
    every node of the file for the few selects that have one."""
    data, root = parsed.source.data, parsed.root
    at = data.find(b"or")
    while at != -1:
        before = data[at - 1] if at > 0 else 0
        after = data[at + 2] if at + 2 < len(data) else 0
        # `or` beside a name byte is part of a name (`port`, `for`), not the keyword.
        if before not in NAME_BYTES and after not in NAME_BYTES:
            node = root.named_descendant_for_byte_range(at, at + 2)
            if (
                node is not None
                and node.type == "select_expression"
                and node.child_by_field_name("default") is not None
            ):
                yield node
        at = data.find(b"or", at + 2)


def _path_element(leaf: Leaf, index: int) -> Node | None:
    """The attrpath element that spells `leaf.path[index]`, found walking up from its value.

    Bindings are read innermost first, so the path is matched from its end: a
    `config.` prefix the leaf's path dropped lies beyond its start and is never reached.
    """
    node = leaf.value
    if node is None or not 0 <= index < len(leaf.path):
        return None
    from_end: list[Node] = []
    if node.type in ("inherit", "inherit_from"):
        attrs = node.child_by_field_name("attrs")
        named = attrs.children_by_field_name("attr") if attrs is not None else []
        from_end.extend(a for a in named if static_attr_name(a) == leaf.path[-1])
        if not from_end:
            return None
    wanted = len(leaf.path) - 1 - index
    current: Node | None = node.parent
    while current is not None and len(from_end) <= wanted:
        attrpath = current.child_by_field_name("attrpath") if current.type == "binding" else None
        if attrpath is not None:
            from_end.extend(reversed(attrpath.children_by_field_name("attr")))
        current = current.parent
    if len(from_end) <= wanted:
        return None
    element = from_end[wanted]
    return element if static_attr_name(element) == leaf.path[index] else None


def _list_elements(node: Node) -> Iterator[tuple[Node, bool]]:
    """Elements of `[ ... ] ++ lib.optional c x ++ lib.optionals c [ ... ]`."""
    pending = [(node, False)]
    while pending:
        current, conditional = pending.pop(0)
        current = peel_parens(current)
        if current.type == "list_expression":
            # A comment between elements (`[ 8895 # web` newline `1900 ]`) is a
            # named child too, but no element of the list.
            yield from (
                (element, conditional)
                for element in current.named_children
                if element.type != "comment"
            )
        elif current.type == "binary_expression":
            operator = current.child_by_field_name("operator")
            left = current.child_by_field_name("left")
            right = current.child_by_field_name("right")
            if operator is not None and operator.type == "++" and left and right:
                pending[:0] = [(left, conditional), (right, conditional)]
        elif current.type == "apply_expression":
            head, args = apply_chain(current)
            name = head_name(head)
            if name == "optional" and len(args) == 2:
                yield args[1], True
            elif name in ("optionals", "mkIf") and len(args) == 2:
                pending.insert(0, (args[1], True))


def _key_name(key: str) -> str:
    """The name a settings key gives its value: `"http.port"` (a dotted key) names `port`."""
    return key.rsplit(".", 1)[-1]


def _network_port(path: tuple[str, ...]) -> bool:
    """A port-named setting of a service that is a network port, not a serial device."""
    if DEVICE_SECTIONS.intersection(segment.lower() for segment in path[:-1]):
        return False
    return port_named(_key_name(path[-1]))


def _boolean(value: Node) -> bool:
    """`true` or `false` as written: a switch, never a port number."""
    node = peel_parens(value)
    return node.type == "variable_expression" and node.text in (b"true", b"false")
