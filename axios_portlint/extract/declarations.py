"""Find every port-typed option a Nix module declares, without evaluating it.

A tree-sitter query finds the `mkOption` calls; for each, the option's `type`
is classified, its path is read off the bindings around it (placement.py), and
its `default` is folded statically (scope.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from tree_sitter import Node

from axios_portlint.extract.config import Leaf, config_leaves, defined_config_paths, is_defined
from axios_portlint.extract.configside import config_ports
from axios_portlint.extract.listeners import Evidence, Sibling, decide, kind_of
from axios_portlint.extract.optionpaths import UNPLACED
from axios_portlint.extract.optionpaths import classify as classify  # extract.classify
from axios_portlint.extract.placement import Placement, placements
from axios_portlint.extract.portnames import port_named
from axios_portlint.extract.protocols import protocol_of
from axios_portlint.extract.scope import (
    Arguments,
    Folder,
    apply_chain,
    call_of,
    peel_parens,
    spelled_names,
)
from axios_portlint.extract.submodules import submodule_uses
from axios_portlint.extract.values import (
    NULL,
    Attrs,
    ConfigRef,
    Deferred,
    LibRef,
    Null,
    Str,
    Unknown,
    Update,
    Value,
)
from axios_portlint.model import (
    FileResult,
    Kind,
    Origin,
    Pending,
    PortDecl,
    Role,
    SourceFile,
    ValueState,
    join_option_path,
)
from axios_portlint.parse import Ancestry, ParsedFile, parse_source
from axios_portlint.parse.names import attrpath_names, static_attr_name

MKOPTION = b"mkOption"
PORT_TYPES = frozenset({("types", "port"), ("types", "ints", "u16")})
NULLABLE = ("types", "nullOr")
# `types.str`, `lib.types.ints.u16`: a type spelled plainly, the name after `types.`.
SPELLED_TYPE = re.compile(rb"(?:lib\.)?types\.([A-Za-z0-9_.']+)")
OTHER_TYPES = frozenset(
    {"str", "bool", "int", "path", "package", "lines", "attrs", "anything", "raw", "float"}
    | {"listOf", "attrsOf", "enum", "submodule", "either", "oneOf", "strMatching"}
    | {"nonEmptyStr", "singleLineStr", "commas", "envVar", "separatedString", "functionTo"}
)
TRANSPARENT_BODIES = ("with_expression", "let_expression")
PENDING_REASON = "reads options declared in other files"


def extract_file(source: SourceFile) -> FileResult:
    """Parse one file and extract its port declarations (the per-file unit of work)."""
    parsed = parse_source(source)
    decls, defines = extract_ports(parsed)
    return FileResult(
        path=source.path,
        decls=tuple(decls),
        syntax_issue=parsed.syntax_issue,
        defines=defines,
        submodules=submodule_uses(parsed),
    )


@dataclass(frozen=True, slots=True)
class _Field:
    """An attribute of mkOption's argument: where it is written, and how to fold it."""

    node: Node  # the expression, or the name in `inherit default;`
    inherit: Node | None = None  # the inherit node when written as `inherit default;`

    def fold(self, folder: Folder) -> Value:
        if self.inherit is None:
            return folder.fold(self.node)
        return folder.resolve(folder.inherited_value(self.inherit, "default"))


@dataclass(frozen=True, slots=True)
class _Candidate:
    call: Node
    placement: Placement
    default: _Field | None
    origin: Origin = Origin.OPTION
    option_node: Node | None = None  # the option expression as bound: its siblings are beside it
    description: _Field | None = None  # where mkOption's argument set has its description
    type_note: str = ""  # how the type made it a port option, when not `types.port`

    @property
    def option(self) -> tuple[str, ...]:
        return self.placement.path


def may_hold_port(data: bytes) -> bool:
    """Whether a file can declare or set a port at all: a pre-filter before extraction.

    Every port either side finds is spelled in the file: a port-named option or
    path (`port`, `*Port` such as `httpPort` or `allowedTCPPorts`, `-port`,
    `_port`), a port type (`types.port`, `ints.u16`) or a Tailscale service.
    `port` after a letter or digit is `import`, `support`, `export`: the regex
    this replaces let those through, a third of all files in a real tree.
    """
    if b"Port" in data or b"PORT" in data or b"tailscale" in data or b"u16" in data:
        return True
    find = data.find
    at = find(b"port")
    while at != -1:
        if at == 0 or not data[at - 1 : at].isalnum():
            return True
        at = find(b"port", at + 4)
    return False


def extract_ports(parsed: ParsedFile) -> tuple[list[PortDecl], tuple[str, ...]]:
    """The file's port declarations, and the port-named paths its config sections set."""
    data = parsed.source.data
    if not may_hold_port(data):
        return [], ()
    candidates = list(_port_candidates(parsed)) if b"mkOption" in data else []
    by_path = {c.option: c for c in candidates if c.placement.placed}
    config_side = _ConfigSide(parsed)
    folders = _Folders(parsed, by_path, config_side)
    symbolic: dict[Arguments, Folder] = {}

    def symbolic_for(candidate: _Candidate) -> Folder:
        # Every option read stays a reference, so the link pass can re-check the value
        # against config that other files set (`pim.port = 9000;` on some host).
        arguments = candidate.placement.arguments
        if arguments not in symbolic:
            symbolic[arguments] = Folder(parsed.root, lambda _path: None, arguments)
        return symbolic[arguments]

    decls = [
        _declaration(parsed, folders.of(c.placement.arguments), c, symbolic_for(c))
        for c in candidates
    ]
    config_decls, defines = config_ports(
        parsed, folders.of(()), _classify_value, config_side.leaves
    )
    folders.close()
    # `allowedUDPPorts` says its protocol; a setting of a declared option gets the
    # declaration's in the link pass.
    decls.extend(replace(decl, protocol=protocol_of(decl.option)) for decl in config_decls)
    return sorted(decls, key=lambda d: (d.location.sort_key(), d.option)), defines


class _Folders:
    """The file's folders, one per set of call-site arguments (defaults inside a helper
    function fold with the call site's arguments bound); each folds a read of another
    option of the file through `lookup`, to that option's default."""

    def __init__(
        self,
        parsed: ParsedFile,
        by_path: dict[tuple[str, ...], _Candidate],
        config_side: _ConfigSide,
    ) -> None:
        self._root = parsed.root
        self._by_path = by_path
        self._config_side = config_side
        self._folders: dict[Arguments, Folder] = {}

    def of(self, arguments: Arguments) -> Folder:
        folder = self._folders.get(arguments)
        if folder is None:
            folder = self._folders[arguments] = Folder(self._root, self.lookup, arguments)
        return folder

    def lookup(self, path: tuple[str, ...]) -> Value | None:
        candidate = self._by_path.get(path)
        if candidate is None:
            return None
        folder = self.of(candidate.placement.arguments)
        return _option_default(folder, candidate, self._config_side, path)

    def close(self) -> None:
        # Each Folder holds `lookup`, bound to this object, which holds the Folder: a cycle
        # around the file's tree. The CLI runs with the cyclic collector off, so it is cut
        # here and the tree is freed as soon as the caller drops it.
        self._folders.clear()


class _ConfigSide:
    """This file's config definitions, computed only when a default reads config or the
    config side looks for ports, and then once for both."""

    def __init__(self, parsed: ParsedFile) -> None:
        self._root = parsed.root
        self._leaves: list[Leaf] | None = None
        self._paths: tuple[set[tuple[str, ...]], set[tuple[str, ...]]] | None = None

    def leaves(self) -> list[Leaf]:
        if self._leaves is None:
            self._leaves = list(config_leaves(self._root))
        return self._leaves

    def defines(self, path: tuple[str, ...]) -> bool:
        if self._paths is None:
            self._paths = defined_config_paths(self.leaves())
        return is_defined(path, *self._paths)


def _option_default(
    folder: Folder, candidate: _Candidate | None, config_side: _ConfigSide, path: tuple[str, ...]
) -> Value | None:
    if candidate is None:
        return None
    if config_side.defines(path):
        return Unknown(
            f"config.{'.'.join(path)} is also defined in this module's config section, "
            "so its value is not just the declared default"
        )
    if candidate.placement.conditional:
        return Unknown(f"option {'.'.join(path)} is declared conditionally")
    if candidate.default is None:
        return Unknown(f"reads option {'.'.join(path)}, which has no default")
    return candidate.default.fold(folder)


def _port_candidates(parsed: ParsedFile) -> Iterator[_Candidate]:
    folder = Folder(parsed.root, lambda _path: None)
    for call in mkoption_calls(parsed, folder.ancestry):
        argument = call.child_by_field_name("argument")
        if argument is None:
            continue
        option_node, fields = _option_value(parsed, folder, call, folder.eval(argument))
        written = _fields(fields)
        type_field = written.get("type")
        default = written.get("default")
        if type_field is not None and type_field.inherit is not None:
            continue
        by_type = type_field is not None and _is_port_type(folder, type_field.node)
        # The name first: folding every untyped option's default would cost more.
        note = ""
        if not by_type and _named_like_port(option_node):
            note = _by_name_note(folder, type_field, default)
        if not by_type and not note:
            continue
        for placement in placements(parsed, folder, option_node):
            if by_type:
                origin = Origin.OPTION
            elif placement.placed and port_named(placement.path[-1]):
                origin = Origin.OPTION_BY_NAME
            else:
                continue
            description = written.get("description")
            yield _Candidate(call, placement, default, origin, option_node, description, note)


def mkoption_calls(parsed: ParsedFile, ancestry: Ancestry | None = None) -> Iterator[Node]:
    """Each call `mkOption ...` or `lib.mkOption ...` (its innermost application), in
    source order, found from its spelling in the bytes: a tree query walked the whole
    tree and checked every call's function name in Python."""
    for name in spelled_names(parsed.root, parsed.source.data, MKOPTION, ancestry=ancestry):
        call = call_of(name, ancestry)
        if call is not None:
            yield call


def _by_name_note(folder: Folder, type_field: _Field | None, default: _Field | None) -> str:
    """How an option not typed `types.port` may still be a port by its name; "" if not.

    An integer type (`types.int`, `nullOr types.int`, `ints.between ...`) is one; so is
    no type at all when the default is an integer (NixOS options from before types).
    """
    if type_field is None:
        if default is None or default.inherit is not None:
            return ""
        return "untyped" if isinstance(folder.fold(default.node), int | Deferred) else ""
    node = peel_parens(type_field.node)
    head, args = apply_chain(node)
    if len(args) == 1 and _spelled_path(head)[-1:] == ("nullOr",) and _is_int_type(args[0]):
        return "type `nullOr int`"
    return "type `int`" if _is_int_type(node) else ""


def _option_value(
    parsed: ParsedFile, folder: Folder, call: Node, fields: Value
) -> tuple[Node, Value]:
    """`mkOption { ... } // { default = 5056; }` is still the option, with that default."""
    node = call
    # Climb only as far as the option reaches (usually one step): a full ancestor
    # chain per call would be quadratic on mkOption calls nested without bound.
    parent = folder.ancestry.parent(call)
    while parent is not None:
        if parent.type == "parenthesized_expression":
            node, parent = parent, folder.ancestry.parent(parent)
            continue
        operator = parent.child_by_field_name("operator")
        right = parent.child_by_field_name("right")
        if (
            parent.type != "binary_expression"
            or operator is None
            or operator.type != "//"
            or right is None
            or node == right
        ):
            break
        fields = Update(fields, folder.eval(right))
        node, parent = parent, folder.ancestry.parent(parent)
    return node, fields


def _fields(fields: Value) -> dict[str, _Field]:
    """Where each attribute of mkOption's argument set is written (the right of `//` wins;
    in one set, the first). One pass over the set for all the fields an option needs."""
    if isinstance(fields, Update):
        return {**_fields(fields.left), **_fields(fields.right)}
    if not isinstance(fields, Attrs) or fields.binding_set is None or fields.prefix:
        return {}
    found: dict[str, _Field] = {}
    for child in fields.binding_set.named_children:
        if child.type == "binding":
            attrpath = child.child_by_field_name("attrpath")
            expression = child.child_by_field_name("expression")
            if attrpath is None or expression is None:
                continue
            attrs = attrpath.children_by_field_name("attr")
            name = static_attr_name(attrs[0]) if len(attrs) == 1 else None
            if name is not None and name not in found:
                found[name] = _Field(expression)
        elif child.type in ("inherit", "inherit_from"):
            inherited = child.child_by_field_name("attrs")
            for attr in inherited.children_by_field_name("attr") if inherited is not None else []:
                text = attr.text
                if text is not None and text.isascii() and text.decode() not in found:
                    found[text.decode()] = _Field(attr, inherit=child)
    return found


def _is_int_type(node: Node) -> bool:
    """`types.int`, `types.ints.unsigned`, `ints.between 1 65535`: a port by name only."""
    if node.type == "select_expression" and node.text is not None:
        plain = SPELLED_TYPE.fullmatch(node.text)
        if plain is not None:  # the common case, read off the text without walking
            return plain.group(1) == b"int" or plain.group(1).startswith(b"ints.")
    head, _args = apply_chain(peel_parens(node))
    spelled = _spelled_path(head)
    return spelled[-2:] == ("types", "int") or "ints" in spelled[-3:-1]


def _named_like_port(option: Node) -> bool:
    """Cheap pre-check before placing an integer option: is it bound under a port name?"""
    binding = option.parent
    attrpath = binding.child_by_field_name("attrpath") if binding is not None else None
    if binding is None or binding.type != "binding" or attrpath is None:
        return True  # bound indirectly: place it to find out
    names = attrpath_names(attrpath)
    return bool(names) and names[-1] is not None and port_named(names[-1])


def _is_port_type(folder: Folder, node: Node) -> bool:
    node = peel_parens(node)
    if node.type == "select_expression" and node.text is not None:
        plain = SPELLED_TYPE.fullmatch(node.text)
        if plain is not None and plain.group(1).split(b".")[0].decode() in OTHER_TYPES:
            return False  # `lib.types.str`: settled by its spelling alone
    spelled = _spelled_path(node)
    if spelled[-2:-1] == ("types",) and spelled[-1] in OTHER_TYPES:
        return False  # `types.str` and friends: no need to resolve where `types` came from
    while node.type in TRANSPARENT_BODIES:  # `with lib.types; nullOr port`
        body = node.child_by_field_name("body")
        if body is None:
            return False
        node = peel_parens(body)
    head, args = apply_chain(node)
    if args:
        return (
            len(args) == 1
            and _type_path(folder, head)[-2:] == NULLABLE
            and _is_port_type(folder, args[0])
        )
    path = _type_path(folder, node)
    return path[-2:] in PORT_TYPES or path[-3:] in PORT_TYPES


def _type_path(folder: Folder, node: Node) -> tuple[str, ...]:
    value = folder.eval(node)
    if isinstance(value, LibRef):
        return value.path
    # Fall back to the spelling (`pkgs.lib.types.port`): a missed port is worse than a guess
    # about where `types` came from.
    return _spelled_path(node)


def _spelled_path(node: Node) -> tuple[str, ...]:
    node = peel_parens(node)
    if node.type == "variable_expression":
        name = node.child_by_field_name("name")
        return (name.text.decode(),) if name is not None and name.text is not None else ()
    if node.type == "select_expression":
        base = node.child_by_field_name("expression")
        attrpath = node.child_by_field_name("attrpath")
        if base is None or attrpath is None:
            return ()
        names = attrpath_names(attrpath)
        if None in names:
            return ()
        return _spelled_path(base) + tuple(n for n in names if n is not None)
    return ()


# -- the declaration ----------------------------------------------------------


def _declaration(
    parsed: ParsedFile, folder: Folder, candidate: _Candidate, symbolic: Folder
) -> PortDecl:
    placement = candidate.placement
    option = join_option_path(placement.path)
    if not placement.placed:
        option = f"{UNPLACED}.{option}" if option else UNPLACED
    default = candidate.default
    reads = _reads(symbolic, default)
    description = _description_text(parsed, candidate.description)
    if placement.placed:
        role, why = decide(_evidence(parsed, folder, candidate, reads, description))
        kind = kind_of(role, classify(placement.path))
        if kind is Kind.TAILSCALE:
            why = f"{why}; Tailscale Serve"
    else:
        role, why, kind = Role.UNKNOWN, "unplaced: no option path to judge", Kind.OTHER
    anchor = default.node if default is not None else candidate.call
    if placement.site is not None:
        anchor = placement.site  # `mkPortOption 3000`: the port is written at the call
    expression = parsed.text(default.node) if default is not None else ""
    if default is not None and default.inherit is not None:
        expression = f"inherit {expression}"
    value = default.fold(folder) if default is not None else None
    state, port, reason = value_state(value) if value is not None else (ValueState.ABSENT, None, "")
    pending = value.pending if isinstance(value, Deferred) else None
    if isinstance(value, int) and default is not None:
        deferred = default.fold(symbolic)
        if isinstance(deferred, Deferred):
            pending = deferred.pending  # known here; the link pass confirms nobody overrides it
    if not placement.placed:
        reason = "cannot tell statically which option path this mkOption call declares"
        if placement.reason:
            reason = f"{reason}: {placement.reason}"
    elif placement.conditional and state is not ValueState.UNRESOLVED:
        state, port = ValueState.UNRESOLVED, None
        reason = "declared under a condition (`if`, or `//` with an unknown right side)"
    return PortDecl(
        option=option,
        kind=kind,
        port=port,
        state=state,
        expression=expression,
        location=parsed.location(anchor),
        reason=reason,
        placed=placement.placed,
        pending=pending if placement.placed and not placement.conditional else None,
        origin=candidate.origin,
        protocol=protocol_of(option, description),
        reads=reads if role is Role.CLIENT else None,
        role=role,
        why=why,
    )


def _description_text(parsed: ParsedFile, description: _Field | None) -> str:
    """The description as written (a string, `mdDoc "..."`): only its words matter."""
    if description is None or description.inherit is not None:
        return ""
    return parsed.text(description.node)


# -- the evidence the listener model decides from -----------------------------


def _reads(symbolic: Folder, default: _Field | None) -> str | None:
    """The option a default only reads (`default = config.services.mpd.network.port;`)."""
    if default is None:
        return None
    if default.inherit is not None:
        raw = symbolic.inherited_value(default.inherit, "default")
    else:
        raw = symbolic.eval(default.node)
    return join_option_path(raw.path) if isinstance(raw, ConfigRef) and raw.path else None


def _evidence(
    parsed: ParsedFile,
    folder: Folder,
    candidate: _Candidate,
    reads: str | None,
    description: str,
) -> Evidence:
    return Evidence(
        path=candidate.placement.path,
        description=description,
        reads=reads,
        siblings=_siblings(parsed, folder, candidate.option_node),
        type_note=candidate.type_note,
    )


def _siblings(parsed: ParsedFile, folder: Folder, option: Node | None) -> tuple[Sibling, ...]:
    """The other bindings of the attribute set the option is bound in (`host` beside `port`)."""
    binding = option.parent if option is not None else None
    attrpath = binding.child_by_field_name("attrpath") if binding is not None else None
    if binding is None or binding.type != "binding" or attrpath is None or binding.parent is None:
        return ()
    names = attrpath_names(attrpath)
    found = []
    for child in binding.parent.named_children:
        if child == binding or child.type != "binding":
            continue
        path = child.child_by_field_name("attrpath")
        value = child.child_by_field_name("expression")
        other = attrpath_names(path) if path is not None else []
        if value is None or len(other) != len(names) or other[:-1] != names[:-1]:
            continue
        name = other[-1]
        if name is not None:
            found.append(_sibling(parsed, folder, name, value))
    return tuple(found)


def _sibling(parsed: ParsedFile, folder: Folder, name: str, value: Node) -> Sibling:
    head, args = apply_chain(peel_parens(value))
    if not (len(args) == 1 and _spelled_path(head)[-1:] == ("mkOption",)):
        plain = folder.eval(value)
        return Sibling(name, plain.value if isinstance(plain, Str) else None)
    fields = _fields(folder.eval(args[0]))
    default = fields.get("default")
    description = fields.get("description")
    text = parsed.text(description.node) if description is not None else ""
    known = default.fold(folder) if default is not None else NULL
    if isinstance(known, Null):  # the user must say where: no address to judge locality by
        return Sibling(name, None, has_default=False, description=text)
    return Sibling(name, known.value if isinstance(known, Str) else None, description=text)


def _classify_value(value: Value) -> tuple[ValueState, int | None, str, Pending | None]:
    state, port, reason = value_state(value)
    return state, port, reason, value.pending if isinstance(value, Deferred) else None


def value_state(value: Value) -> tuple[ValueState, int | None, str]:
    if isinstance(value, bool):
        return ValueState.UNRESOLVED, None, "the value is not an integer"
    if isinstance(value, int):
        return ValueState.KNOWN, value, ""
    if isinstance(value, Null):
        return ValueState.NULL, None, ""
    if isinstance(value, Unknown):
        return ValueState.UNRESOLVED, None, value.reason
    if isinstance(value, Deferred):
        return ValueState.UNRESOLVED, None, PENDING_REASON
    return ValueState.UNRESOLVED, None, "the value is not an integer"
