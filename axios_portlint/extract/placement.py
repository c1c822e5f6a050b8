"""Where an option lives: the option path the module system gives an `mkOption` call.

The path is read off the bindings around the call, climbing to the module's top
`options`. A let-bound option (or option set) is followed to each place its name
is used (`options.pim = opts;`, `{ inherit port; }`, `inherit (common) port;`),
so indirection costs no declaration. A let-bound option that is never used is
no option at all; one that static reading cannot place is reported unplaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from tree_sitter import Node, Query, QueryCursor

from axios_portlint.extract.scope import (
    SCOPE_HOLDERS,
    Folder,
    binding_holder,
    binding_set_of,
    is_inline_module,
    module_function,
)
from axios_portlint.extract.values import Attrs, Update
from axios_portlint.parse import ParsedFile, ancestors, nix_language
from axios_portlint.parse.names import attrpath_names, static_attr_name

VARIABLE_QUERY = "(variable_expression name: (identifier) @name) @variable"
MAX_STEPS = 10_000
UNPLACED = "<unplaced>"
DYNAMIC = "<name>"

Path = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Placement:
    path: Path
    placed: bool
    # Declared in a branch of `if` or under a `//` whose right side is unknown:
    # the path is right, but whether (and with which default) it exists is not.
    conditional: bool = False


@dataclass(frozen=True, slots=True)
class _Step:
    """Continue climbing from `node` with `suffix` still to be prefixed."""

    node: Node
    suffix: Path
    conditional: bool


_Outcome = Placement | list[_Step]


@cache
def _variable_query() -> Query:
    return Query(nix_language(), VARIABLE_QUERY)


def placements(parsed: ParsedFile, folder: Folder, start: Node) -> list[Placement]:
    pending = [_Step(start, (), False)]
    seen: set[tuple[int, Path, bool]] = set()
    found: list[Placement] = []
    steps = 0
    while pending and steps < MAX_STEPS:
        step = pending.pop()
        key = (step.node.id, step.suffix, step.conditional)
        if key in seen:
            continue
        seen.add(key)
        steps += 1
        outcome = _Climb(parsed, folder, step).run()
        if isinstance(outcome, Placement):
            found.append(outcome)
        else:
            pending.extend(outcome)
    if pending:
        found.append(Placement((UNPLACED,), False))
    return found


class _Climb:
    """One climb from a node to the module top, or to the let that binds it."""

    def __init__(self, parsed: ParsedFile, folder: Folder, step: _Step) -> None:
        self.parsed = parsed
        self.folder = folder
        self.node = step.node
        self.suffix = step.suffix
        self.conditional = step.conditional
        # Segments gathered innermost first; joined once, so deep nesting stays linear.
        self.gathered: list[Path] = []

    def path(self) -> Path:
        return tuple(s for chunk in reversed(self.gathered) for s in chunk) + self.suffix

    def stop(self) -> Placement:
        return Placement(self.path(), False, self.conditional)

    def top(self) -> Placement:
        path = self.path()
        if path and path[0] == "options":
            return Placement(path[1:], True, self.conditional)
        return Placement(path, False, self.conditional)

    def run(self) -> _Outcome:
        chain = ancestors(self.parsed.root, self.node)
        top_function = module_function(self.parsed.root)
        current = self.node
        index = 0
        while index < len(chain):
            parent = chain[index]
            kind = parent.type
            if kind == "source_code":
                break
            if kind == "binding":
                if current != parent.child_by_field_name("expression") or index + 2 >= len(chain):
                    return self.stop()
                names = _names_of(parent)
                self.gathered.append(tuple(n if n is not None else DYNAMIC for n in names))
                holder = chain[index + 2]  # binding -> binding_set -> its holder
                if holder.type in ("let_expression", "let_attrset_expression"):
                    return references(self.parsed, holder, self.path(), self.conditional)
                current, index = holder, index + 3
                continue
            if kind == "list_expression" and _is_imports_list(chain, index):
                return self.top()
            if kind == "binary_expression" and not self._through_update(parent, current):
                return []  # shadowed by the right side of `//`: not an option at all
            if kind == "if_expression":
                if current == parent.child_by_field_name("condition"):
                    return self.stop()
                self.conditional = True
            elif not _passes_through(kind, parent, current, top_function):
                return self.stop()
            current, index = parent, index + 1
        return self.top()

    def _through_update(self, update: Node, operand: Node) -> bool:
        """False when `operand // right` drops the option because `right` redefines it."""
        operator = update.child_by_field_name("operator")
        if operator is None or operator.type != "//":
            return True  # other operators stop the climb in _passes_through
        right = update.child_by_field_name("right")
        path = self.path()
        if operand == right or right is None or not path:
            return True
        value = self.folder.eval(right)
        if isinstance(value, Attrs | Update):
            return self.folder.get_attr(value, path[0]) is None
        self.conditional = True
        return True


def _passes_through(kind: str, parent: Node, child: Node, top_function: Node | None) -> bool:
    """Does an option set standing at `child` keep its place at `parent`?"""
    if kind in ("parenthesized_expression", "binding_set"):
        return True
    if kind in ("attrset_expression", "rec_attrset_expression"):
        return True
    if kind == "binary_expression":
        operator = parent.child_by_field_name("operator")
        return operator is not None and operator.type == "//"
    if kind in ("let_expression", "with_expression"):
        return child == parent.child_by_field_name("body")
    if kind == "function_expression" and child == parent.child_by_field_name("body"):
        return parent == top_function or is_inline_module(parent)
    return False


def _names_of(binding: Node) -> list[str | None]:
    attrpath = binding.child_by_field_name("attrpath")
    return attrpath_names(attrpath) if attrpath is not None else []


def _is_imports_list(chain: list[Node], index: int) -> bool:
    if index + 1 >= len(chain):
        return False
    binding = chain[index + 1]
    return binding.type == "binding" and _names_of(binding) == ["imports"]


# -- following a let-bound name to where it is used ---------------------------


def references(parsed: ParsedFile, holder: Node, path: Path, conditional: bool) -> list[_Step]:
    """Each use of the let-bound `path[0]`, with the rest of the path still to place."""
    name, rest = path[0], path[1:]
    steps: list[_Step] = []
    cursor = QueryCursor(_variable_query())
    cursor.set_byte_range(holder.start_byte, holder.end_byte)
    for _pattern, captures in cursor.matches(holder):
        variable = captures["variable"][0]
        if captures["name"][0].text != name.encode():
            continue
        if binding_holder(parsed.root, variable, name) != holder:
            continue
        step = _use(variable, rest, conditional)
        if step is not None:
            steps.append(step)
    steps.extend(_inherit_uses(parsed, holder, name, rest, conditional))
    return steps


def _use(variable: Node, rest: Path, conditional: bool) -> _Step | None:
    """Consume `x.a.b` selections and `inherit (x) a;` against the path still to place."""
    node = variable
    parent = node.parent
    if (
        parent is not None
        and parent.type == "select_expression"
        and node == parent.child_by_field_name("expression")
    ):
        attrpath = parent.child_by_field_name("attrpath")
        selected = tuple(attrpath_names(attrpath)) if attrpath is not None else ()
        if len(selected) > len(rest) or selected != rest[: len(selected)]:
            return None
        node, rest = parent, rest[len(selected) :]
        parent = node.parent
    if parent is not None and parent.type == "inherit_from":
        if not rest or rest[0] not in _inherited(parent):
            return None
        holder_set = _set_of(parent)
        return _Step(holder_set, rest, conditional) if holder_set is not None else None
    return _Step(node, rest, conditional)


def _inherit_uses(
    parsed: ParsedFile, holder: Node, name: str, rest: Path, conditional: bool
) -> Iterator[_Step]:
    """`inherit name;` in a set (or a nested let) inside the let's body."""
    body = holder.child_by_field_name("body")
    stack = [body] if body is not None else []
    while stack:
        node = stack.pop()
        if node.type == "inherit" and name in _inherited(node):
            holder_set = _set_of(node)
            if holder_set is None:
                continue
            if holder_set.type in ("let_expression", "let_attrset_expression"):
                yield from references(parsed, holder_set, (name, *rest), conditional)
            else:
                yield _Step(holder_set, (name, *rest), conditional)
            continue
        if node.type in SCOPE_HOLDERS and _rebinds(node, name):
            continue  # a nested binding of the same name shadows ours
        if node.type in _SEARCHED:
            stack.extend(node.named_children)


_SEARCHED = frozenset(
    {
        "attrset_expression",
        "rec_attrset_expression",
        "let_expression",
        "with_expression",
        "binding_set",
        "binding",
        "parenthesized_expression",
        "if_expression",
    }
)


def _rebinds(holder: Node, name: str) -> bool:
    binding_set = binding_set_of(holder)
    if binding_set is None:
        return False
    return any(
        child.type == "binding" and _names_of(child)[:1] == [name]
        for child in binding_set.named_children
    )


def _set_of(inherit: Node) -> Node | None:
    binding_set = inherit.parent
    return binding_set.parent if binding_set is not None else None


def _inherited(node: Node) -> list[str]:
    attrs = node.child_by_field_name("attrs")
    if attrs is None:
        return []
    names = (static_attr_name(attr) for attr in attrs.children_by_field_name("attr"))
    return [n for n in names if n is not None]
