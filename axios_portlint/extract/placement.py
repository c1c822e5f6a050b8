"""Where an option lives: the option path the module system gives an `mkOption` call.

The path is read off the bindings around the call, climbing to the module's top
`options`. A let-bound option (or option set) is followed to each place its name
is used (`options.pim = opts;`, `{ inherit port; }`, `inherit (common) port;`),
so indirection costs no declaration. A let-bound option that is never used is
no option at all; one that static reading cannot place is reported unplaced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Final

from tree_sitter import Node

from axios_portlint.extract.optionpaths import AT_FILE_TOP, UNPLACED
from axios_portlint.extract.scope import (
    FORMALS,
    SCOPE_HOLDERS,
    Arguments,
    Folder,
    apply_chain,
    binding_holder,
    binding_names,
    binding_set_of,
    binds,
    head_name,
    inherited_names,
    is_inline_module,
    module_function,
    peel_parens,
    spelled_names,
)
from axios_portlint.extract.values import Attrs, Listing, Str, Update
from axios_portlint.parse import Ancestry, ParsedFile
from axios_portlint.parse.names import attrpath_names

MAX_STEPS = 10_000
DYNAMIC = "<name>"

Path = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Placement:
    path: Path
    placed: bool
    # Declared in a branch of `if` or under a `//` whose right side is unknown:
    # the path is right, but whether (and with which default) it exists is not.
    conditional: bool = False
    # What the call sites on the way bound function parameters to (`mkPortOption 3000`).
    arguments: Arguments = ()
    # The innermost such call site: where the port is written when a helper makes the option.
    site: Node | None = None
    # Why an unplaced option could not be placed, when a reason more specific is known.
    reason: str = ""


@dataclass(frozen=True, slots=True)
class _Step:
    """Continue climbing from `node` with `suffix` still to be prefixed.

    `in_type` climbs a type expression (`attrsOf (submodule ...)`) up to the
    `type =` of the mkOption whose path the submodule's options extend.
    """

    node: Node
    suffix: Path
    conditional: bool
    arguments: Arguments = ()
    in_type: bool = False
    site: Node | None = None
    # `nameValuePair KEY option` inside a list: the key names the attribute once
    # `listToAttrs` turns the list into a set (folded then, with all arguments bound).
    key: Node | None = None


_Outcome = Placement | list[_Step]


class _Chain:
    """A node's ancestors, innermost first, found only as far as a climb reads them:
    a climb that stops near its node costs no walk to the root of a deep tree."""

    def __init__(self, ancestry: Ancestry, node: Node) -> None:
        self._above = ancestry.above(node)
        self._nodes: list[Node] = []

    def has(self, index: int) -> bool:
        while len(self._nodes) <= index:
            found = next(self._above, None)
            if found is None:
                return False
            self._nodes.append(found)
        return True

    def __getitem__(self, index: int) -> Node:
        if not self.has(index):
            raise IndexError(index)
        return self._nodes[index]


def placements(
    parsed: ParsedFile, folder: Folder, start: Node, *, as_type: bool = False
) -> list[Placement]:
    """Where the option (or option set) at `start` lives; `as_type`: where the options
    of the submodule type at `start` (`types.submodule ./peer.nix`) live."""
    pending = [_Step(start, (), False, in_type=as_type)]
    seen: set[tuple[int, Path, bool, bool, tuple[tuple[int, str, object], ...]]] = set()
    found: list[Placement] = []
    steps = 0
    while pending and steps < MAX_STEPS:
        step = pending.pop()
        key = (step.node.id, step.suffix, step.conditional, step.in_type, _identity(step))
        if key in seen:
            continue
        seen.add(key)
        steps += 1
        climb = _TypeClimb(parsed, folder, step) if step.in_type else _Climb(parsed, folder, step)
        outcome = climb.run()
        if isinstance(outcome, Placement):
            found.append(outcome)
        else:
            pending.extend(outcome)
    if pending:
        found.append(Placement((UNPLACED,), False))
    return found


def _identity(step: _Step) -> tuple[tuple[int, str, object], ...]:
    """What makes two steps from one node differ: the arguments bound on the way."""
    return tuple(
        (function.id, name, value if isinstance(value, str) else value.id)
        for function, name, value in step.arguments
    )


class _Climb:
    """One climb from a node to the module top, or to the let that binds it."""

    def __init__(self, parsed: ParsedFile, folder: Folder, step: _Step) -> None:
        self.parsed = parsed
        self.folder = folder
        self.node = step.node
        self.suffix = step.suffix
        self.conditional = step.conditional
        self.arguments = step.arguments
        self.site = step.site
        self.key = step.key
        # Segments gathered innermost first; joined once, so deep nesting stays linear.
        self.gathered: list[Path] = []

    def path(self) -> Path:
        return tuple(s for chunk in reversed(self.gathered) for s in chunk) + self.suffix

    def stop(self, reason: str = "") -> Placement:
        return Placement(self.path(), False, self.conditional, self.arguments, self.site, reason)

    def top(self) -> Placement:
        path = self.path()
        if path and path[0] == "options":
            return Placement(path[1:], True, self.conditional, self.arguments, self.site)
        return Placement(path, False, self.conditional, self.arguments, self.site, AT_FILE_TOP)

    def step(
        self,
        node: Node,
        suffix: Path,
        *,
        arguments: Arguments | None = None,
        in_type: bool = False,
        site: Node | None = None,
        key: Node | None = None,
        drop_key: bool = False,
    ) -> _Step:
        bound = self.arguments if arguments is None else arguments
        pending_key = key or (None if drop_key else self.key)
        return _Step(node, suffix, self.conditional, bound, in_type, site or self.site, pending_key)

    def run(self) -> _Outcome:
        chain = _Chain(self.folder.ancestry, self.node)
        top_function = module_function(self.parsed.root)
        current = self.node
        index = 0
        while chain.has(index):
            parent = chain[index]
            kind = parent.type
            if kind == "source_code":
                break
            if kind == "binding":
                if current != parent.child_by_field_name("expression") or not chain.has(index + 2):
                    return self.stop()
                names = binding_names(parent)
                holder = chain[index + 2]  # binding -> binding_set -> its holder
                pair_name = _pair_name(holder) if names == ["value"] else None
                if pair_name is not None:
                    # `{ inherit name; value = ...; }`: a name-value pair for listToAttrs.
                    self.key = pair_name
                else:
                    self.gathered.append(self._names(parent, names))
                if holder.type in ("let_expression", "let_attrset_expression"):
                    return references(self.parsed, holder, self.path(), self.step)
                current, index = holder, index + 3
                continue
            if kind == "list_expression" and _is_imports_list(chain, index):
                # An imported module's options sit where its importer's do: at the
                # top, or in the submodule whose inline module imports it.
                at = index + 3  # list -> binding -> binding_set -> the module's set
                if not chain.has(at) or chain[at].type != "attrset_expression":
                    return self.top()
                current, index = chain[at], at + 1
                continue
            if kind == "apply_expression":
                return self._through_call(chain, index, current)
            if kind == "function_expression" and not self._is_module(chain, index, top_function):
                position = index + 1
                while chain.has(position) and chain[position].type in (
                    "parenthesized_expression",
                    "function_expression",  # the outer lambdas of `name: value: ...`
                ):
                    position += 1
                if chain.has(position) and chain[position].type == "apply_expression":
                    # `genAttrs [ ... ] (name: ...)`: the function is a generator's argument.
                    return self._through_call(chain, position, chain[position - 1])
                return self._through_function(chain, index)
            if kind == "list_expression" and self.key is not None:
                current, index = parent, index + 1  # an element of what listToAttrs keys
                continue
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

    def _names(self, binding: Node, names: list[str | None]) -> Path:
        """The binding's attribute names, `${service}` folded when `service` is a known
        string (`let service = "jellyseerr";`); `<name>` when only evaluation knows it."""
        if None not in names:
            return tuple(n for n in names if n is not None)
        attrpath = binding.child_by_field_name("attrpath")
        attrs = attrpath.children_by_field_name("attr") if attrpath is not None else []
        folder = Folder(self.parsed.root, lambda _path: None, self.arguments)
        folded = [folder.attr_name(attr) for attr in attrs]
        if len(folded) != len(names):
            folded = list(names)
        return tuple(n if n is not None else DYNAMIC for n in folded)

    def _through_call(self, chain: _Chain, index: int, argument: Node) -> _Outcome:
        """A submodule boundary, or a generator over literal keys (`genAttrs`, `mapAttrs`)."""
        outer = self.folder.applications.outer(chain[index])
        head, args, ids = self.folder.applications.split(outer)
        name = head_name(head)
        if argument.id not in ids:
            return self.stop()
        if name == "submodule":
            path = self.path()
            if not path or path[0] != "options":
                return self.stop()
            return [self.step(outer, path[1:], in_type=True)]
        if name == "nameValuePair" and len(args) == 2 and argument == args[1]:
            return [self.step(outer, self.path(), key=args[0])]
        if name == "listToAttrs" and args == [argument] and self.key is not None:
            folder = Folder(self.parsed.root, lambda _path: None, self.arguments)
            if self.key.type == "inherit":
                key = folder.inherited_value(self.key, "name")
            else:
                key = folder.eval(self.key)
            if not isinstance(key, Str):
                return self.stop("the name `listToAttrs` gives it is not a literal")
            return [self.step(outer, (key.value, *self.path()), drop_key=True)]
        if name in TABLE_GENERATORS and len(args) == 2 and argument == args[1]:
            return self._into_generator(args)
        return self._generated(outer, name, args, _lambda_chain(argument))

    def _into_generator(self, args: list[Node]) -> _Outcome:
        """`mapAttrsToList appOption apps` with an option inside `apps.<key>`: the option
        goes where the function puts its value parameter (`// app.moreOptions`).

        Followed only when the table's keys are literal and the function is a lambda
        of two parameters (inline or let-bound): then each use of the value parameter
        that selects the option's way in is climbed with both parameters bound; the
        generator climbed to from there keeps to this key.
        """
        path = self.path()
        lambdas = _function_lambdas(self.parsed, args[0])
        entries = _literal_entries(self.folder, args[1])
        unfollowed = "an entry of a table whose generator function or keys are not literal"
        if len(path) < 2 or len(lambdas) < 2 or entries is None:
            return self.stop(unfollowed)
        params = [p for lam in lambdas[:2] for p in _parameters(lam)[:1]]
        by_key = dict(entries)
        if len(params) != 2 or path[0] not in by_key:
            return self.stop(unfollowed)
        entry = by_key[path[0]]
        bound: Arguments = (*self.arguments, (lambdas[0], params[0], path[0]))
        if entry is not None:
            bound = (*bound, (lambdas[1], params[1], entry))
        steps = []
        for variable in _variable_uses(self.parsed, lambdas[1], params[1]):
            found = _use(variable, path[1:])
            if found is not None:
                steps.append(self.step(found[0], found[1], arguments=bound))
        return steps

    def _generated(
        self, call: Node, name: str | None, args: list[Node], lambdas: list[Node]
    ) -> _Outcome:
        """`genAttrs`/`mapAttrs` make one attribute per literal key; `map` and
        `mapAttrsToList` one list element, keyed later by `listToAttrs`."""
        keyed = _generated_keys(self.folder, name, args, lambdas)
        if keyed is None and name in GENERATORS:
            return self.stop(f"made by `{name}` over keys that are not literal")
        if keyed is None:
            called = f"`{name}`" if name else "a computed function"
            return self.stop(f"an argument of {called}, whose result static reading cannot place")
        keyed = _keeping_bound(keyed, self.arguments)
        names_the_attribute = name in ("genAttrs", "mapAttrs")
        return [
            self.step(
                call,
                (key, *self.path()) if names_the_attribute else self.path(),
                arguments=(*self.arguments, *bound),
            )
            for key, bound in keyed
        ]

    def _through_function(self, chain: _Chain, index: int) -> _Outcome:
        """A let-bound helper (`mkPortOption = port: mkOption ...`): follow its calls."""
        lambdas = [chain[index]]
        while chain.has(index + 1) and chain[index + 1].type == "function_expression":
            index += 1
            lambdas.append(chain[index])
        if not chain.has(index + 3) or chain[index + 1].type != "binding":
            return self.stop()
        binding, holder = chain[index + 1], chain[index + 3]
        names = binding_names(binding)
        if holder.type != "let_expression" or len(names) != 1 or names[0] is None:
            return self.stop()
        return _calls(self.parsed, holder, names[0], list(reversed(lambdas)), self)

    def _is_module(self, chain: _Chain, index: int, top_function: Node | None) -> bool:
        """Is chain[index] (a function) a module: the file's, an import's, or a submodule's?"""
        function = chain[index]
        if function == top_function or is_inline_module(function):
            return True
        position = index + 1
        while chain.has(position) and chain[position].type == "parenthesized_expression":
            position += 1
        if not chain.has(position) or chain[position].type != "apply_expression":
            return False
        applications = self.folder.applications
        head, args, _ids = applications.split(applications.outer(chain[position]))
        return head_name(head) == "submodule" and len(args) == 1

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


# Type constructors a submodule's options are seen through, and the segment each adds.
TYPE_SEGMENTS: Final = {"attrsOf": "<name>", "lazyAttrsOf": "<name>", "listOf": "*"}
TYPE_SEE_THROUGH: Final = frozenset({"nullOr", "uniq", "unique", "either", "oneOf", "coercedTo"})


class _TypeClimb:
    """From a `submodule` up its type expression to the mkOption it types."""

    def __init__(self, parsed: ParsedFile, folder: Folder, step: _Step) -> None:
        self.parsed = parsed
        self.step = step
        self.ancestry = folder.ancestry
        self.applications = folder.applications

    def run(self) -> _Outcome:
        chain = _Chain(self.ancestry, self.step.node)
        segments: list[str] = []
        current = self.step.node
        index = 0
        while chain.has(index):
            parent = chain[index]
            if parent.type in ("parenthesized_expression", "list_expression") or (
                # `type = with types; attrsOf (submodule { ... });`
                parent.type == "with_expression" and current == parent.child_by_field_name("body")
            ):
                current, index = parent, index + 1
                continue
            if parent.type == "apply_expression":
                outer = self.applications.outer(parent)
                head, _args, ids = self.applications.split(outer)
                name = head_name(head) or ""
                if current.id not in ids or not (name in TYPE_SEGMENTS or name in TYPE_SEE_THROUGH):
                    break
                if name in TYPE_SEGMENTS:
                    segments.insert(0, TYPE_SEGMENTS[name])
                current, chain, index = outer, _Chain(self.ancestry, outer), 0
                continue
            if parent.type == "binding":
                return self._at_binding(chain, index, current, tuple(segments))
            break
        return Placement((*segments, *self.step.suffix), False, self.step.conditional)

    def _at_binding(self, chain: _Chain, index: int, current: Node, segments: Path) -> _Outcome:
        binding = chain[index]
        names = binding_names(binding)
        pending = (*segments, *self.step.suffix)
        if current != binding.child_by_field_name("expression") or not chain.has(index + 2):
            return Placement(pending, False, self.step.conditional)
        holder = chain[index + 2]
        if holder.type in ("let_expression", "let_attrset_expression") and len(names) == 1:
            # `hostType = types.attrsOf (types.submodule ...);` used as `type = hostType;`
            return [
                replace(self.step, node=use, suffix=pending)
                for use in _variable_uses(self.parsed, holder, names[0] or "")
            ]
        call = _mkoption_call(chain, index + 2)
        if names == ["type"] and call is not None:
            return [replace(self.step, node=call, suffix=pending, in_type=False)]
        return Placement(pending, False, self.step.conditional)


def _mkoption_call(chain: _Chain, index: int) -> Node | None:
    """The mkOption call whose argument set is chain[index], if it is one."""
    current = chain[index]
    position = index + 1
    while chain.has(position) and chain[position].type == "parenthesized_expression":
        current, position = chain[position], position + 1
    if not chain.has(position) or chain[position].type != "apply_expression":
        return None
    call = chain[position]
    # `apply_chain(call)` is `(mkOption, [current])` exactly when this holds; splitting
    # the call would walk all of a long application the set is an argument of.
    function = call.child_by_field_name("function")
    argument = call.child_by_field_name("argument")
    if function is None or argument != current:
        return None
    return call if head_name(function) == "mkOption" else None


GENERATORS: Final = {"genAttrs": 1, "mapAttrs": 0, "mapAttrsToList": 0, "map": 0}
# Generators over a table of entries: `f name value` for each `name = value;`.
TABLE_GENERATORS: Final = frozenset({"mapAttrs", "mapAttrsToList"})


def _keeping_bound(
    keyed: list[tuple[str, Arguments]], arguments: Arguments
) -> list[tuple[str, Arguments]]:
    """A climb that came in through one entry of the table keeps to that entry's key."""
    already = {(function.id, name): value for function, name, value in arguments}
    kept: list[tuple[str, Arguments]] = []
    for key, bound in keyed:
        function, name, _value = bound[0]
        if (function.id, name) not in already:
            kept.append((key, bound))
        elif already[(function.id, name)] == key:
            kept.append((key, ()))  # bound on the way in: bind nothing twice
    return kept


def _function_lambdas(parsed: ParsedFile, function: Node) -> list[Node]:
    """The lambdas of a generator's function: written inline, or a let-bound name."""
    function = peel_parens(function)
    if function.type != "variable_expression":
        return _lambda_chain(function)
    name_node = function.child_by_field_name("name")
    name = name_node.text.decode() if name_node is not None and name_node.text else ""
    holder = binding_holder(parsed.root, function, name)
    if holder is None or holder.type != "let_expression":
        return []
    binding_set = binding_set_of(holder)
    for child in binding_set.named_children if binding_set is not None else []:
        if child.type == "binding" and binding_names(child) == [name]:
            expression = child.child_by_field_name("expression")
            return _lambda_chain(expression) if expression is not None else []
    return []


def _lambda_chain(function: Node) -> list[Node]:
    """`name: value: body` as its curried lambdas, outermost first."""
    lambdas = []
    node = peel_parens(function)
    while node.type == "function_expression":
        lambdas.append(node)
        body = node.child_by_field_name("body")
        if body is None:
            break
        node = peel_parens(body)
    return lambdas


def _generated_keys(
    folder: Folder, name: str | None, args: list[Node], lambdas: list[Node]
) -> list[tuple[str, Arguments]] | None:
    """Each literal key a generator call produces, with the lambda parameters it binds.

    `genAttrs [ "a" ] f` binds f's name; `mapAttrs f { a = v; }` and
    `mapAttrsToList f { a = v; }` bind name and value; `map f [ "a" ]` binds the element.
    """
    position = GENERATORS.get(name or "")
    if position is None or len(args) != 2 or not lambdas:
        return None
    params = [p for lam in lambdas for p in _parameters(lam)[:1]]
    if len(params) != len(lambdas):
        return None
    collection = args[1 - position]
    if name in ("genAttrs", "map"):
        keys = _literal_strings(folder, collection)
        if keys is None:
            return None
        return [(key, ((lambdas[0], params[0], key),)) for key in keys]
    entries = _literal_entries(folder, collection)
    if entries is None:
        return None
    keyed: list[tuple[str, Arguments]] = []
    for key, value in entries:
        bound: Arguments = ((lambdas[0], params[0], key),)
        if len(lambdas) > 1 and value is not None:
            bound = (*bound, (lambdas[1], params[1], value))
        keyed.append((key, bound))
    return keyed


def _parameters(function: Node) -> list[str]:
    universal = function.child_by_field_name("universal")
    if universal is not None and universal.text:
        return [universal.text.decode()]
    return []


def _literal_strings(folder: Folder, node: Node) -> list[str] | None:
    listing = folder.eval(node)
    if not isinstance(listing, Listing):
        return None
    keys = [folder.eval(element) for element in listing.node.named_children]
    if not all(isinstance(key, Str) for key in keys):
        return None
    return [key.value for key in keys if isinstance(key, Str)]


def _literal_entries(folder: Folder, node: Node) -> list[tuple[str, Node | None]] | None:
    """The literal keys of a set, each with its value: None when the key is written as
    the head of dotted bindings (`matrix.settings.port = ...;`), whose value no one
    node holds."""
    value = folder.eval(node)
    if not isinstance(value, Attrs) or value.prefix or value.binding_set is None:
        return None
    binding_set = value.binding_set
    entries: dict[str, Node | None] = {}
    for binding in binding_set.named_children:
        if binding.type != "binding":
            return None
        names = binding_names(binding)
        expression = binding.child_by_field_name("expression")
        if not names or names[0] is None or expression is None:
            return None
        dotted = len(names) > 1 or names[0] in entries
        entries[names[0]] = None if dotted else expression
    return list(entries.items())


def _calls(
    parsed: ParsedFile, holder: Node, name: str, lambdas: list[Node], climb: _Climb
) -> list[_Step]:
    """Each full call of a let-bound helper, with its parameters bound to the arguments."""
    steps: list[_Step] = []
    for use in _variable_uses(parsed, holder, name):
        call = use
        args: list[Node] = []
        while len(args) < len(lambdas):
            parent = call.parent
            if parent is None or parent.type != "apply_expression":
                break
            if call != parent.child_by_field_name("function"):
                break
            argument = parent.child_by_field_name("argument")
            if argument is None:
                break
            args.append(argument)
            call = parent
        if not args:
            steps.extend(_passed_to_generator(use, lambdas, climb))
            continue
        if len(args) != len(lambdas):
            continue
        bound: Arguments = tuple(
            _bind(function, argument) for function, argument in zip(lambdas, args, strict=True)
        )
        site = call if climb.site is None else climb.site
        steps.append(
            climb.step(call, climb.path(), arguments=(*climb.arguments, *bound), site=site)
        )
    return steps


def _passed_to_generator(use: Node, lambdas: list[Node], climb: _Climb) -> list[_Step]:
    """`mapAttrsToList appOption apps`: the helper is a generator's argument, not called."""
    parent = use.parent
    if parent is None or parent.type != "apply_expression":
        return []
    call = parent
    while call.parent is not None and call.parent.type == "apply_expression":
        if call != call.parent.child_by_field_name("function"):
            break
        call = call.parent
    head, args = apply_chain(call)
    outcome = climb._generated(call, head_name(head), args, lambdas) if use in args else []
    return outcome if isinstance(outcome, list) else []


def _bind(function: Node, argument: Node) -> tuple[Node, str, Node]:
    params = _parameters(function)
    return (function, params[0] if params else FORMALS, argument)


def _variable_uses(parsed: ParsedFile, holder: Node, name: str) -> list[Node]:
    """Each variable inside `holder` that reads the `name` it binds, in source order.

    Found from the name's spelling in the bytes, as submodules.py finds calls: a
    query over the holder matched every variable in it (thousands in a large let)
    only to compare each one's text with the name.
    """
    root, data = parsed.root, parsed.source.data
    uses = []
    for identifier in spelled_names(root, data, name.encode(), holder.start_byte, holder.end_byte):
        variable = identifier.parent
        if (
            variable is not None
            and variable.type == "variable_expression"
            and binding_holder(root, variable, name) == holder
        ):
            uses.append(variable)
    return uses


def _pair_name(holder: Node) -> Node | None:
    """The `name` of a `{ name = ...; value = ...; }` set: its expression, or its inherit."""
    if holder.type not in ("attrset_expression", "rec_attrset_expression"):
        return None
    binding_set = binding_set_of(holder)
    for child in binding_set.named_children if binding_set is not None else []:
        if child.type == "binding" and binding_names(child) == ["name"]:
            return child.child_by_field_name("expression")
        if child.type in ("inherit", "inherit_from") and "name" in inherited_names(child):
            return child if child.type == "inherit" else None
    return None


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
    if kind == "function_expression":
        return child == parent.child_by_field_name("body")  # a module function: _is_module
    return False


def _is_imports_list(chain: _Chain, index: int) -> bool:
    if not chain.has(index + 1):
        return False
    binding = chain[index + 1]
    return binding.type == "binding" and binding_names(binding) == ["imports"]


# -- following a let-bound name to where it is used ---------------------------


def references(
    parsed: ParsedFile, holder: Node, path: Path, make: Callable[[Node, Path], _Step]
) -> list[_Step]:
    """Each use of the let-bound `path[0]`, with the rest of the path still to place."""
    name, rest = path[0], path[1:]
    steps: list[_Step] = []
    for variable in _variable_uses(parsed, holder, name):
        found = _use(variable, rest)
        if found is not None:
            steps.append(make(*found))
    steps.extend(_inherit_uses(parsed, holder, name, rest, make))
    return steps


def _use(variable: Node, rest: Path) -> tuple[Node, Path] | None:
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
        if not rest or rest[0] not in inherited_names(parent):
            return None
        holder_set = _set_of(parent)
        return (holder_set, rest) if holder_set is not None else None
    return node, rest


def _inherit_uses(
    parsed: ParsedFile,
    holder: Node,
    name: str,
    rest: Path,
    make: Callable[[Node, Path], _Step],
) -> Iterator[_Step]:
    """`inherit name;` in a set (or a nested let) inside the let's body."""
    body = holder.child_by_field_name("body")
    stack = [body] if body is not None else []
    while stack:
        node = stack.pop()
        if node.type == "inherit" and name in inherited_names(node):
            holder_set = _set_of(node)
            if holder_set is None:
                continue
            if holder_set.type in ("let_expression", "let_attrset_expression"):
                yield from references(parsed, holder_set, (name, *rest), make)
            else:
                yield make(holder_set, (name, *rest))
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
    """A binding of `name` in a nested scope; its `inherit name;` passes ours through."""
    binding_set = binding_set_of(holder)
    return binding_set is not None and binds(binding_set, name, inherits=False)


def _set_of(inherit: Node) -> Node | None:
    binding_set = inherit.parent
    return binding_set.parent if binding_set is not None else None
