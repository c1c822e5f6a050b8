"""Find every port-typed option a Nix module declares, without evaluating it.

A tree-sitter query finds the `mkOption` calls; for each, the option's path is
read off the bindings around it (following let-bound option sets to where they
are used), its `type` is classified, and its `default` is folded statically.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from tree_sitter import Node, Query, QueryCursor

from axios_portlint.extract.config import defined_config_paths, is_defined
from axios_portlint.extract.scope import (
    SCOPE_HOLDERS,
    Folder,
    apply_chain,
    attrpath_names,
    binding_set_of,
    binds_argument,
    head_name,
    is_scope_member,
    module_function,
    peel_parens,
    static_attr_name,
)
from axios_portlint.extract.values import Attrs, LibRef, Null, Unknown, Value
from axios_portlint.model import (
    TAILSCALE_SUFFIX,
    FileResult,
    Kind,
    PortDecl,
    SourceFile,
    ValueState,
)
from axios_portlint.parse import ParsedFile, ancestors, nix_language, parse_source

MKOPTION_QUERY = """
(apply_expression
  function: [
    (variable_expression name: (identifier) @name)
    (select_expression attrpath: (attrpath attr: (identifier) @name .))
  ]
  (#eq? @name "mkOption")) @call
"""

VARIABLE_QUERY = "(variable_expression name: (identifier) @name) @variable"

PORT_TYPES = frozenset({("types", "port"), ("types", "ints", "u16")})
NULLABLE = ("types", "nullOr")
# Wrappers the module system sees through when they hold an option set.
TRANSPARENT_CALLS = frozenset(
    {"mkIf", "mkMerge", "mkDefault", "mkForce", "mkOverride", "mkBefore", "mkAfter", "mkOrder"}
)
MAX_PLACEMENT_STEPS = 10_000
UNPLACED = "<unplaced>"
SET_PARTS = frozenset(
    {
        "attrset_expression",
        "rec_attrset_expression",
        "binding_set",
        "binding",
        "parenthesized_expression",
    }
)


@cache
def _query(source: str) -> Query:
    return Query(nix_language(), source)


def extract_file(source: SourceFile) -> FileResult:
    """Parse one file and extract its port declarations (the per-file unit of work)."""
    parsed = parse_source(source)
    return FileResult(
        path=source.path,
        decls=tuple(extract_ports(parsed)),
        syntax_issue=parsed.syntax_issue,
    )


@dataclass(slots=True)
class _Candidate:
    call: Node
    option: tuple[str, ...]
    placed: bool
    default: Node | None


def extract_ports(parsed: ParsedFile) -> list[PortDecl]:
    if b"mkOption" not in parsed.source.data:
        return []
    candidates = list(_port_candidates(parsed))
    if not candidates:
        return []
    by_path = {c.option: c for c in candidates if c.placed}
    config_side = _ConfigSide(parsed)
    folder = Folder(
        parsed.root, lambda path: _option_default(folder, by_path.get(path), config_side, path)
    )
    return [_declaration(parsed, folder, candidate) for candidate in candidates]


class _ConfigSide:
    """This file's config definitions, computed only when a default reads config."""

    def __init__(self, parsed: ParsedFile) -> None:
        self._root = parsed.root
        self._paths: tuple[set[tuple[str, ...]], set[tuple[str, ...]]] | None = None

    def defines(self, path: tuple[str, ...]) -> bool:
        if self._paths is None:
            self._paths = defined_config_paths(self._root)
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
    if candidate.default is None:
        return Unknown(f"reads option {'.'.join(candidate.option)}, which has no default")
    return folder.fold(candidate.default)


def _port_candidates(parsed: ParsedFile) -> Iterator[_Candidate]:
    folder = Folder(parsed.root, lambda _path: None)
    cursor = QueryCursor(_query(MKOPTION_QUERY))
    for _pattern, captures in cursor.matches(parsed.root):
        call = captures["call"][0]
        argument = call.child_by_field_name("argument")
        if argument is None:
            continue
        fields = folder.eval(argument)
        type_node = _field(fields, "type")
        if type_node is None or not _is_port_type(folder, type_node):
            continue
        default = _field(fields, "default")
        for option, placed in _placements(parsed, call):
            yield _Candidate(call=call, option=option, placed=placed, default=default)


def _field(fields: Value, name: str) -> Node | None:
    """The expression node bound to `name` in mkOption's argument set."""
    if not isinstance(fields, Attrs) or fields.binding_set is None or fields.prefix:
        return None
    for binding in fields.binding_set.children_by_field_name("binding"):
        if binding.type != "binding":
            continue
        attrpath = binding.child_by_field_name("attrpath")
        if attrpath is not None and attrpath_names(attrpath) == [name]:
            return binding.child_by_field_name("expression")
    return None


def _is_port_type(folder: Folder, node: Node) -> bool:
    node = peel_parens(node)
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


# -- where an option lives ----------------------------------------------------


def _placements(parsed: ParsedFile, call: Node) -> Iterator[tuple[tuple[str, ...], bool]]:
    """Every option path the module system gives this mkOption call.

    Climbs from the call through the bindings around it. A let-bound option (or
    option set) is followed to each place the name is used, so
    `let opts = { port = mkOption ...; }; in { options.pim = opts; }` still
    yields `pim.port`. What cannot be placed statically is yielded unplaced.
    """
    pending: list[tuple[Node, tuple[str, ...]]] = [(call, ())]
    seen: set[tuple[int, tuple[str, ...]]] = set()
    found = False
    steps = 0
    while pending and steps < MAX_PLACEMENT_STEPS:
        node, suffix = pending.pop()
        if (node.id, suffix) in seen:
            continue
        seen.add((node.id, suffix))
        steps += 1
        outcome = _climb(parsed, node, suffix)
        if isinstance(outcome, _Placed):
            found = True
            yield outcome.path, outcome.placed
        else:
            pending.extend(outcome)
    if not found:
        yield (UNPLACED,), False


@dataclass(frozen=True, slots=True)
class _Placed:
    path: tuple[str, ...]
    placed: bool


def _climb(
    parsed: ParsedFile, node: Node, suffix: tuple[str, ...]
) -> _Placed | list[tuple[Node, tuple[str, ...]]]:
    top_function = module_function(parsed.root)
    chain = ancestors(parsed.root, node)
    # Segments gathered innermost first; joined once, so deep nesting stays linear.
    gathered: list[tuple[str, ...]] = []

    def path() -> tuple[str, ...]:
        return tuple(segment for chunk in reversed(gathered) for segment in chunk) + suffix

    current = node
    index = 0
    while index < len(chain):
        parent = chain[index]
        kind = parent.type
        if kind == "source_code":
            break
        if kind == "binding":
            if current != parent.child_by_field_name("expression") or index + 2 >= len(chain):
                return _Placed(path(), False)
            gathered.append(tuple(n if n is not None else "<name>" for n in _names_of(parent)))
            holder = chain[index + 2]  # binding -> binding_set -> its holder
            if holder.type in ("let_expression", "let_attrset_expression"):
                return _references(parsed, holder, path())
            current, index = holder, index + 3
            continue
        if kind == "list_expression" and _is_imports_list(chain, index):
            return _at_module_top(path())
        if kind == "apply_expression":
            outer = _transparent_call(chain, index, current)
            if outer is None:
                return _Placed(path(), False)
            current, index = chain[outer], outer + 1
            continue
        if not _passes_through(kind, parent, current, top_function):
            return _Placed(path(), False)
        current, index = parent, index + 1
    return _at_module_top(path())


def _passes_through(kind: str, parent: Node, child: Node, top_function: Node | None) -> bool:
    """Does an option set placed at `child` keep its place at `parent`?"""
    if kind in ("parenthesized_expression", "list_expression", "binding_set"):
        return True
    if kind in ("attrset_expression", "rec_attrset_expression"):
        return True
    if kind in ("let_expression", "with_expression", "assert_expression"):
        return child == parent.child_by_field_name("body")
    if kind == "if_expression":
        return child != parent.child_by_field_name("condition")
    return parent == top_function


def _at_module_top(suffix: tuple[str, ...]) -> _Placed:
    if suffix and suffix[0] == "options":
        return _Placed(suffix[1:], True)
    return _Placed(suffix, False)


def _names_of(binding: Node) -> list[str | None]:
    attrpath = binding.child_by_field_name("attrpath")
    return attrpath_names(attrpath) if attrpath is not None else []


def _is_imports_list(chain: list[Node], index: int) -> bool:
    if index + 1 >= len(chain):
        return False
    binding = chain[index + 1]
    return binding.type == "binding" and _names_of(binding) == ["imports"]


def _transparent_call(chain: list[Node], index: int, argument: Node) -> int | None:
    """Index in `chain` of the outermost call when `argument` goes through a `mkIf`-like wrapper."""
    outer = index
    while (
        outer + 1 < len(chain)
        and chain[outer + 1].type == "apply_expression"
        and chain[outer] == chain[outer + 1].child_by_field_name("function")
    ):
        outer += 1
    head, args = apply_chain(chain[outer])
    if argument not in args or head_name(head) not in TRANSPARENT_CALLS:
        return None
    return outer


def _references(
    parsed: ParsedFile, holder: Node, suffix: tuple[str, ...]
) -> list[tuple[Node, tuple[str, ...]]]:
    """Where a let-bound name is used, each with the path still to be consumed."""
    name, rest = suffix[0], suffix[1:]
    continuations: list[tuple[Node, tuple[str, ...]]] = []
    cursor = QueryCursor(_query(VARIABLE_QUERY))
    cursor.set_byte_range(holder.start_byte, holder.end_byte)
    for _pattern, captures in cursor.matches(holder):
        variable = captures["variable"][0]
        if captures["name"][0].text != name.encode() or not _binds_here(
            parsed.root, variable, holder
        ):
            continue
        selected = _consume_selection(variable, rest)
        if selected is not None:
            continuations.append(selected)
    continuations.extend(_inherit_references(holder, name, rest))
    return continuations


def _binds_here(root: Node, variable: Node, holder: Node) -> bool:
    """Does this variable resolve to `holder`'s binding (and not a shadowing one)?"""
    name_node = variable.child_by_field_name("name")
    if name_node is None:
        return False
    target = _binding_holder(root, variable, name_node.text.decode() if name_node.text else "")
    return target == holder


def _binding_holder(root: Node, variable: Node, name: str) -> Node | None:
    """The let, rec set or function whose binding of `name` this variable reads."""
    current = variable
    for parent in ancestors(root, variable):
        if parent.type in SCOPE_HOLDERS and is_scope_member(parent, current):
            binding_set = binding_set_of(parent)
            if binding_set is not None and any(
                _defines(child, name) for child in binding_set.named_children
            ):
                return parent
        elif (
            parent.type == "function_expression"
            and current == parent.child_by_field_name("body")
            and binds_argument(parent, name)
        ):
            return parent
        current = parent
    return None


def _defines(child: Node, name: str) -> bool:
    if child.type == "binding":
        names = _names_of(child)
        return bool(names) and names[0] == name
    if child.type in ("inherit", "inherit_from"):
        attrs = child.child_by_field_name("attrs")
        return attrs is not None and any(
            static_attr_name(attr) == name for attr in attrs.children_by_field_name("attr")
        )
    return False


def _consume_selection(
    variable: Node, rest: tuple[str, ...]
) -> tuple[Node, tuple[str, ...]] | None:
    parent = variable.parent
    if parent is None or parent.type != "select_expression":
        return variable, rest
    if variable != parent.child_by_field_name("expression"):
        return variable, rest
    attrpath = parent.child_by_field_name("attrpath")
    selected = tuple(attrpath_names(attrpath)) if attrpath is not None else ()
    if len(selected) > len(rest) or selected != rest[: len(selected)]:
        return None
    return parent, rest[len(selected) :]


def _inherit_references(
    holder: Node, name: str, rest: tuple[str, ...]
) -> Iterator[tuple[Node, tuple[str, ...]]]:
    """`inherit portOption;` inside a set in the let's body places the option there too."""
    body = holder.child_by_field_name("body")
    if body is None:
        return
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "inherit" and _defines(node, name):
            binding_set = node.parent
            holder_set = binding_set.parent if binding_set is not None else None
            if holder_set is not None:
                yield holder_set, (name, *rest)
            continue
        if node.type in SET_PARTS:
            stack.extend(node.named_children)


# -- the declaration ----------------------------------------------------------


def _declaration(parsed: ParsedFile, folder: Folder, candidate: _Candidate) -> PortDecl:
    option = ".".join(_quote(segment) for segment in candidate.option)
    kind = classify(candidate.option) if candidate.placed else Kind.OTHER
    anchor = candidate.default if candidate.default is not None else candidate.call
    expression = parsed.text(candidate.default) if candidate.default is not None else ""
    state, port, reason = _default_state(folder, candidate.default)
    if not candidate.placed:
        reason = "cannot tell statically which option path this mkOption call declares"
    return PortDecl(
        option=option,
        kind=kind,
        port=port,
        state=state,
        expression=expression,
        location=parsed.location(anchor),
        reason=reason,
        placed=candidate.placed,
    )


def _default_state(folder: Folder, default: Node | None) -> tuple[ValueState, int | None, str]:
    if default is None:
        return ValueState.ABSENT, None, ""
    value = folder.fold(default)
    if isinstance(value, bool):
        return ValueState.UNRESOLVED, None, "the default is not an integer"
    if isinstance(value, int):
        return ValueState.KNOWN, value, ""
    if isinstance(value, Null):
        return ValueState.NULL, None, ""
    if isinstance(value, Unknown):
        return ValueState.UNRESOLVED, None, value.reason
    return ValueState.UNRESOLVED, None, "the default is not an integer"


def classify(path: tuple[str, ...]) -> Kind:
    if path[-len(TAILSCALE_SUFFIX) :] == TAILSCALE_SUFFIX:
        return Kind.TAILSCALE
    if path and path[-1] == "port":
        return Kind.LOCAL
    return Kind.OTHER


def _quote(segment: str) -> str:
    plain = segment.replace("-", "").replace("_", "").replace("'", "").isalnum()
    if plain and not segment[0].isdigit() and segment not in ("<name>",):
        return segment
    if segment in ("<name>", UNPLACED):
        return segment
    return '"' + segment.replace('"', '\\"') + '"'
