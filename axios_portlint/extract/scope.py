"""Static folding of Nix expressions by lexical lookup in the syntax tree.

Nothing is evaluated: names are resolved the way Nix scopes them (let, rec,
function arguments, then `with` from the innermost out), and only integer
arithmetic, `lib` wrappers such as `mkDefault`, attribute selection and reads of
`config` options declared in the same file are folded. Everything else becomes
`Unknown` with a reason the user can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tree_sitter import Node

from axios_portlint.extract.values import (
    ARITHMETIC,
    NULL,
    Attrs,
    ConfigRef,
    Deferred,
    Lambda,
    LibRef,
    Listing,
    Str,
    Unknown,
    Update,
    Value,
    arithmetic,
)
from axios_portlint.model import Pending, PendingOp, PendingRef, join_option_path, one_line
from axios_portlint.parse import Ancestry, ancestors
from axios_portlint.parse.names import attrpath_names, static_attr_name

# `lib` functions whose result is (for a default) just one of their arguments.
PASS_THROUGH_ARGUMENT = {
    "mkDefault": 0,
    "mkForce": 0,
    "mkOptionDefault": 0,
    "mkVMOverride": 0,
    "mkOverride": 1,
}

SCOPE_HOLDERS = frozenset({"let_expression", "rec_attrset_expression", "let_attrset_expression"})
# Names of Nix's base environment. It is a lexical scope, so it beats every `with`.
GLOBAL_NAMES = frozenset(
    {
        "null", "true", "false", "builtins", "import", "toString", "map", "throw",
        "abort", "baseNameOf", "dirOf", "isNull", "removeAttrs", "derivation",
        "fetchTarball", "fetchGit", "fetchurl", "placeholder", "scopedImport",
    }
)  # fmt: skip
# Bytes that continue a Nix identifier: a word found in the bytes with one of them right
# after it is part of a longer name (`imports`, `or'`), never the word itself.
NAME_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'-")
# Each level of folding costs about five Python frames; 100 levels stay well inside
# the interpreter's limit, and no real default nests that deep.
MAX_DEPTH = 100

OptionLookup = Callable[[tuple[str, ...]], Value | None]
# What a call site binds a function's parameter to: an argument expression, or a
# name from a literal key list (`lib.genAttrs [ "node" ]`).
Argument = Node | str
Arguments = tuple[tuple[Node, str, Argument], ...]
FORMALS = "{formals}"  # the parameter name under which a `{ a, b }:` set is bound


def head_name(node: Node) -> str | None:
    """The last name of a function head: `mkOption` for `lib.options.mkOption`."""
    node = peel_parens(node)
    if node.type == "variable_expression":
        name = node.child_by_field_name("name")
        return _text(name) if name is not None else None
    if node.type == "select_expression":
        attrpath = node.child_by_field_name("attrpath")
        if attrpath is not None:
            names = attrpath_names(attrpath)
            return names[-1] if names else None
    return None


def spelled_names(
    root: Node,
    data: bytes,
    word: bytes,
    start: int = 0,
    stop: int | None = None,
    ancestry: Ancestry | None = None,
) -> Iterator[Node]:
    """Each identifier that is exactly `word`, in source order, between `start` and `stop`.

    Found from the word's spelling in the bytes and the tree around it: a query
    walks every node of the tree (or of a let) to compare a few names. A word
    followed by a name byte is part of a longer name (`imports`), so the tree is
    not asked about it. With the file's `ancestry`, each spelling is looked up from
    the innermost node around the last one that spans it, not from the root: many
    spellings deep in one long expression would each cost its whole depth.
    """
    end_of = len(data) if stop is None else stop
    at = data.find(word, start, end_of) if word else -1
    around = root
    while at != -1:
        end = at + len(word)
        if end >= len(data) or data[end] not in NAME_BYTES:
            if ancestry is not None:
                around = _spanning(ancestry, around, at, end)
            node = around.named_descendant_for_byte_range(at, end)
            if node is not None and ancestry is not None:
                around = node
            if (
                node is not None
                and node.type == "identifier"
                and node.start_byte == at
                and node.end_byte == end
            ):
                yield node
        at = data.find(word, at + 1, end_of)


def _spanning(ancestry: Ancestry, node: Node, start: int, end: int) -> Node:
    """The innermost of `node` and its ancestors that spans start..end (else the root)."""
    while node.start_byte > start or node.end_byte < end:
        parent = ancestry.parent(node)
        if parent is None:
            break
        node = parent
    return node


def call_of(name: Node, ancestry: Ancestry | None = None) -> Node | None:
    """The application whose function is the identifier `name`, written alone
    (`import ./x.nix`) or as the last attribute of a select (`lib.types.submodule x`).

    `ancestry`: the file's, when it has many calls to find (`Node.parent` walks from
    the root each time)."""
    parent_of = ancestry.parent if ancestry is not None else _parent
    function = parent_of(name)
    if function is not None and function.type == "attrpath":
        attrpath, function = function, parent_of(function)
        if function is None or function.type != "select_expression":
            return None
        if attrpath.children_by_field_name("attr")[-1] != name:
            return None
    elif function is None or function.type != "variable_expression":
        return None
    call = parent_of(function)
    if call is None or call.type != "apply_expression":
        return None
    return call if call.child_by_field_name("function") == function else None


def _parent(node: Node) -> Node | None:
    return node.parent


def apply_chain(node: Node) -> tuple[Node, list[Node]]:
    """Split `f a b` into its head `f` and arguments `[a, b]`."""
    args: list[Node] = []
    while node.type == "apply_expression":
        argument = node.child_by_field_name("argument")
        function = node.child_by_field_name("function")
        if argument is None or function is None:
            break
        args.append(argument)
        node = peel_parens(function)
    args.reverse()
    return node, args


class Applications:
    """Each application's whole call and that call's split, found once per file.

    Options that are arguments of one long application (`f (mkOption ...) a ...`)
    would each climb its chain to the whole call and split it again: quadratic.
    """

    def __init__(self, ancestry: Ancestry) -> None:
        self._ancestry = ancestry
        self._outer: dict[int, Node] = {}
        self._splits: dict[int, tuple[Node, list[Node], frozenset[int]]] = {}

    def outer(self, application: Node) -> Node:
        """The whole call `f a b` when `application` is one of its applications (`f a`)."""
        walked = []
        node = application
        while node.id not in self._outer:
            walked.append(node)
            parent = self._ancestry.parent(node)
            if (
                parent is None
                or parent.type != "apply_expression"
                or node != parent.child_by_field_name("function")
            ):
                self._outer[node.id] = node
                break
            node = parent
        outer = self._outer[node.id]
        for step in walked:
            self._outer[step.id] = outer
        return outer

    def split(self, call: Node) -> tuple[Node, list[Node], frozenset[int]]:
        """`apply_chain(call)`, with the ids of the arguments. The list is shared: read it only."""
        found = self._splits.get(call.id)
        if found is None:
            head, args = apply_chain(call)
            found = self._splits[call.id] = (head, args, frozenset(a.id for a in args))
        return found


def peel_parens(node: Node) -> Node:
    """The expression inside any parentheses; a comment in them is not part of it."""
    while node.type == "parenthesized_expression":
        inner = [child for child in node.named_children if child.type != "comment"]
        if len(inner) != 1:
            break
        node = inner[0]
    return node


def parent_past_parens(node: Node) -> Node | None:
    """The node that holds `node`, however many parentheses wrap it."""
    parent = node.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    return parent


def bound_expression(binding: Node, name: str) -> Node | None:
    """The expression of `binding` when it is `name = ...;` (one name, no dots)."""
    attrpath = binding.child_by_field_name("attrpath")
    if attrpath is None:
        return None
    attrs = attrpath.children_by_field_name("attr")
    if len(attrs) != 1 or static_attr_name(attrs[0]) != name:
        return None  # a dotted path or another name: no need to read the expression
    return binding.child_by_field_name("expression")


def module_function(root: Node) -> Node | None:
    """The function a module file evaluates to (`{ config, lib, ... }: ...`), if any.

    A module may sit under a `let` or `with` (`let ports = ...; in { lib, ... }: ...`).
    """
    node = root.child_by_field_name("expression") if root.type == "source_code" else root
    while node is not None:
        node = peel_parens(node)
        if node.type == "function_expression":
            return node
        if node.type not in ("let_expression", "with_expression"):
            return None
        node = node.child_by_field_name("body")
    return None


def is_inline_module(function: Node) -> bool:
    """A function that is an element of an `imports` list is a module of its own."""
    parent = parent_past_parens(function)
    if parent is None or parent.type != "list_expression":
        return False
    binding = parent.parent
    if binding is None or binding.type != "binding":
        return False
    return binding_names(binding) == ["imports"]


class Folder:
    """Folds expressions of one file; memoised, cycle-safe and depth-bounded."""

    def __init__(self, root: Node, option_lookup: OptionLookup, arguments: Arguments = ()) -> None:
        self._root = root
        # Parents and application chains, shared by every climb in this file (placement's too).
        self.ancestry = Ancestry(root)
        self.applications = Applications(self.ancestry)
        self._module_function: Node | bool | None = False  # False: not looked for yet
        self._option_lookup = option_lookup
        self._arguments = {(function.id, name): value for function, name, value in arguments}
        self._memo: dict[int, Value] = {}
        # A name's value as seen from the innermost scope around its use: every use of
        # `lib` (or `cfg`) in one module body scans the same scopes to the same binding.
        self._lookups: dict[tuple[str, int], Value] = {}
        self._scopes: dict[int, tuple[Node, Node] | None] = {}  # see _innermost_scope
        # Evaluations that returned without being memoised (a cycle, the depth limit):
        # a lookup that met one may differ from the same lookup made again, so it is
        # not remembered.
        self._unsettled = 0
        self._active: set[int] = set()
        self._resolving: set[tuple[str, ...]] = set()
        self._depth = 0

    # -- entry points -------------------------------------------------------

    def fold(self, node: Node) -> Value:
        """The value of `node`, with reads of declared options resolved."""
        return self.resolve(self.eval(node))

    def resolve(self, value: Value) -> Value:
        if not isinstance(value, ConfigRef):
            return value
        path = ".".join(value.path)
        if value.path in self._resolving:
            # Nix reports infinite recursion here; we report that we cannot know.
            return Unknown(f"config.{path} depends on itself")
        self._resolving.add(value.path)
        try:
            known = self._option_lookup(value.path)
        finally:
            self._resolving.discard(value.path)
        if known is None:
            # Declared in another file, perhaps: the tree-level link pass decides.
            return Deferred(PendingRef(join_option_path(value.path)))
        return known

    def eval(self, node: Node) -> Value:
        key = node.id
        if key in self._memo:
            return self._memo[key]
        if key in self._active:
            self._unsettled += 1
            return Unknown("refers to itself")
        if self._depth >= MAX_DEPTH:
            self._unsettled += 1
            return Unknown("expression is nested too deeply to fold")
        self._active.add(key)
        self._depth += 1
        try:
            value = self._eval(node)
        finally:
            self._depth -= 1
            self._active.discard(key)
        self._memo[key] = value
        return value

    # -- expressions --------------------------------------------------------

    def _eval(self, node: Node) -> Value:
        kind = node.type
        if kind == "integer_expression":
            return int(_text(node))
        if kind == "parenthesized_expression":
            inner = peel_parens(node)
            return self.eval(inner) if inner is not node else _unknown(node)
        if kind == "variable_expression":
            name = node.child_by_field_name("name")
            return self.lookup(_text(name), node) if name is not None else _unknown(node)
        if kind == "select_expression":
            return self._select(node)
        if kind == "binary_expression":
            return self._binary(node)
        if kind == "unary_expression":
            return self._unary(node)
        if kind == "apply_expression":
            return self._apply(node)
        if kind in ("let_expression", "with_expression"):
            body = node.child_by_field_name("body")
            return self.eval(body) if body is not None else _unknown(node)
        if kind == "assert_expression":
            return Unknown("the value depends on an assertion that only evaluation can check")
        if kind in ("attrset_expression", "rec_attrset_expression"):
            return Attrs(binding_set_of(node))
        if kind == "function_expression":
            return Lambda(node)
        if kind == "list_expression":
            return Listing(node)
        if kind == "string_expression":
            text = static_attr_name(node)
            return Str(text) if text is not None else _unknown(node)
        return _unknown(node)

    def attr_name(self, attr: Node) -> str | None:
        """An attrpath element's name, folding `${name}` when `name` is a known string."""
        name = static_attr_name(attr)
        if name is not None or attr.type != "interpolation":
            return name
        inner = attr.child_by_field_name("expression")
        value = self.eval(inner) if inner is not None else None
        return value.value if isinstance(value, Str) else None

    def _select(self, node: Node) -> Value:
        base_node = node.child_by_field_name("expression")
        attrpath = node.child_by_field_name("attrpath")
        if base_node is None or attrpath is None:
            return _unknown(node)
        value = self.eval(base_node)
        for attr in attrpath.children_by_field_name("attr"):
            name = self.attr_name(attr)
            if name is None:
                return Unknown(f"selects a computed attribute in `{_quoted(node)}`")
            found = self.get_attr(value, name)
            if found is None:
                fallback = node.child_by_field_name("default")
                if fallback is not None:
                    return self.eval(fallback)
                return Unknown(f"attribute '{name}' is missing in `{_quoted(node)}`")
            value = found
        if isinstance(value, Unknown) and node.child_by_field_name("default") is not None:
            return Unknown(f"`{_quoted(node)}` depends on a value only evaluation can know")
        return value

    def get_attr(self, value: Value, name: str) -> Value | None:
        """`value.name`; None when the attribute is statically known to be absent."""
        if isinstance(value, LibRef):
            return LibRef((*value.path, name))
        if isinstance(value, ConfigRef):
            return ConfigRef((*value.path, name))
        if isinstance(value, Attrs):
            return self._attrs_get(value, name)
        if isinstance(value, Update):
            right = self.get_attr(value.right, name)
            return right if right is not None else self.get_attr(value.left, name)
        if isinstance(value, Unknown):
            return value
        return Unknown(f"selects '{name}' from a value that is not an attribute set")

    def _attrs_get(self, attrs: Attrs, name: str) -> Value | None:
        if attrs.binding_set is None:
            return None
        return self._member(attrs.binding_set, (*attrs.prefix, name))

    def _member(self, binding_set: Node, path: tuple[str, ...]) -> Value | None:
        """The value at `path` in a binding set, merging `a = { ... }; a.b = ...;` as Nix does."""
        depth = len(path)
        exact: Value | None = None
        nested = False
        for child in binding_set.named_children:
            if child.type == "binding":
                names = binding_names(child)
                if None in names[:depth]:
                    return Unknown("the attribute set has computed names")
                if tuple(names[:depth]) != path:
                    continue
                if len(names) == depth:
                    expression = child.child_by_field_name("expression")
                    exact = self.eval(expression) if expression is not None else _unknown(child)
                else:
                    nested = True
            elif depth == 1 and path[0] in inherited_names(child):
                return self.inherited_value(child, path[0])
        if nested:
            merged: Value = Attrs(binding_set, path)
            return Update(exact, merged) if exact is not None else merged
        return exact

    def inherited_value(self, inherit: Node, name: str) -> Value:
        if inherit.type == "inherit_from":
            source = inherit.child_by_field_name("expression")
            if source is None:
                return _unknown(inherit)
            found = self.get_attr(self.eval(source), name)
            return found if found is not None else Unknown(f"inherits missing '{name}'")
        binding_set = self.ancestry.parent(inherit)
        holder = self.ancestry.parent(binding_set) if binding_set is not None else None
        holder = holder if holder is not None else inherit
        # A plain `inherit x;` reads x from the scope around the set, never from the set itself.
        return self.lookup(name, holder)

    def _binary(self, node: Node) -> Value:
        left_node = node.child_by_field_name("left")
        right_node = node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        if left_node is None or right_node is None or operator is None:
            return _unknown(node)
        symbol = operator.type
        if symbol == "//":
            return Update(self.eval(left_node), self.eval(right_node))
        if symbol not in ARITHMETIC:
            return _unknown(node)
        left = self.resolve(self.eval(left_node))
        right = self.resolve(self.eval(right_node))
        if isinstance(left, Unknown):
            return left
        if isinstance(right, Unknown):
            return right
        if isinstance(left, Deferred | int) and isinstance(right, Deferred | int):
            if isinstance(left, int) and isinstance(right, int):
                return _arithmetic(symbol, left, right, node)
            return Deferred(PendingOp(symbol, _pending(left), _pending(right)))
        return Unknown(f"`{_quoted(node)}` is not integer arithmetic")

    def _unary(self, node: Node) -> Value:
        operator = node.child_by_field_name("operator")
        argument = node.child_by_field_name("argument")
        if operator is None or argument is None or operator.type != "-":
            return _unknown(node)
        value = self.resolve(self.eval(argument))
        return -value if isinstance(value, int) else _unknown(node)

    def _apply(self, node: Node) -> Value:
        head, args = apply_chain(node)
        name = self._function_name(head)
        index = PASS_THROUGH_ARGUMENT.get(name or "")
        if index is not None and len(args) == index + 1:
            return self.eval(args[index])
        return Unknown(f"calls `{_quoted(head)}`, which only evaluation can fold")

    def _function_name(self, head: Node) -> str | None:
        value = self.eval(head)
        if isinstance(value, LibRef) and value.path:
            return value.path[-1]
        if isinstance(value, Unknown) and not self._locally_bound(head):
            # An unresolvable head spelled like a lib wrapper (`pkgs.lib.mkDefault`) is one.
            return head_name(head)
        return None

    def _locally_bound(self, head: Node) -> bool:
        """Is the head's root name bound by a let, rec set or argument in this file?"""
        root = head
        while root.type == "select_expression":
            inner = root.child_by_field_name("expression")
            if inner is None:
                return False
            root = peel_parens(inner)
        if root.type != "variable_expression":
            return False
        name = root.child_by_field_name("name")
        if name is None or _text(name) in ("pkgs", "lib"):
            return False
        return self._is_bound(_text(name), root)

    def _is_bound(self, name: str, at: Node) -> bool:
        return binding_holder(self._root, at, name) is not None

    # -- names --------------------------------------------------------------

    def lookup(self, name: str, at: Node) -> Value:
        """Resolve a variable the way Nix does: lexical scopes first, then `with`s.

        Only the scopes matter, so the answer is the same for every use of `name` whose
        innermost scope is the same: it is remembered under that scope."""
        unsettled = self._unsettled
        innermost = self._innermost_scope(at)
        if innermost is None:
            return self._global_or_with(name, [])
        current, parent = innermost
        key = (name, parent.id)
        if key in self._lookups:
            return self._lookups[key]
        withs: list[Node] = []
        scope: Node | None = parent
        while scope is not None:
            if _opens_scope(scope, current):
                if scope.type == "with_expression":
                    withs.append(scope)
                elif (found := self._bound_in(scope, name)) is not None:
                    return self._remember(key, found, unsettled)
            current, scope = scope, self.ancestry.parent(scope)
        return self._remember(key, self._global_or_with(name, withs), unsettled)

    def _bound_in(self, scope: Node, name: str) -> Value | None:
        """`name`'s value where a let, rec set or function (argument) binds it, else None."""
        if scope.type == "function_expression":
            return self._argument(scope, name) if binds_argument(scope, name) else None
        return self._scope_binding(scope, name)

    def _innermost_scope(self, at: Node) -> tuple[Node, Node] | None:
        """The innermost let, rec set, function body or `with` body around `at`, as
        (its child on the way, it). Remembered for each node climbed through: uses
        deep in one long expression would each climb all of it to the same scope."""
        climbed = []
        current = at
        found: tuple[Node, Node] | None = None
        while current.id not in self._scopes:
            climbed.append(current)
            parent = self.ancestry.parent(current)
            if parent is None:
                break
            if _opens_scope(parent, current):
                found = (current, parent)
                break
            current = parent
        else:
            found = self._scopes[current.id]
        for node in climbed:
            self._scopes[node.id] = found
        return found

    def _global_or_with(self, name: str, withs: list[Node]) -> Value:
        if name in GLOBAL_NAMES:
            return _builtin(name)
        for with_node in withs:
            found = self._from_with(with_node, name)
            if found is not None:
                return found
        return _builtin(name)

    def _remember(self, key: tuple[str, int] | None, value: Value, unsettled: int) -> Value:
        if key is not None and self._unsettled == unsettled:
            self._lookups[key] = value
        return value

    def _scope_binding(self, holder: Node, name: str) -> Value | None:
        binding_set = binding_set_of(holder)
        if binding_set is None:
            return None
        for child in binding_set.named_children:
            if child.type == "inherit" and name in inherited_names(child):
                # `let inherit x; in` reads x from the scope around the let.
                return self.lookup(name, holder)
        return self._member(binding_set, (name,))

    def _argument(self, function: Node, name: str) -> Value:
        bound = self._arguments.get((function.id, name))
        if bound is None and (function.id, FORMALS) in self._arguments:
            bound = self._arguments[(function.id, FORMALS)]
            if isinstance(bound, Node):
                found = self.get_attr(self.eval(bound), name)
                return found if found is not None else self._formal_default(function, name)
        if isinstance(bound, str):
            return Str(bound)
        if bound is not None:
            return self.eval(bound)
        if self._module_function is False:  # most folders never need it
            self._module_function = module_function(self._root)
        if function == self._module_function or is_inline_module(function):
            if name == "lib":
                return LibRef(())
            if name in ("config", "osConfig"):
                # osConfig is home-manager's view of the NixOS config: options read alike.
                return ConfigRef(())
        if name == "lib":
            # A `lib` argument anywhere else is still nixpkgs' lib in practice.
            return LibRef(())
        return Unknown(f"'{name}' is a function argument")

    def _formal_default(self, function: Node, name: str) -> Value:
        formals = function.child_by_field_name("formals")
        for formal in formals.children_by_field_name("formal") if formals is not None else []:
            formal_name = formal.child_by_field_name("name")
            default = formal.child_by_field_name("default")
            if formal_name is not None and _text(formal_name) == name and default is not None:
                return self.eval(default)
        return Unknown(f"the call does not pass '{name}'")

    def _from_with(self, with_node: Node, name: str) -> Value | None:
        environment = with_node.child_by_field_name("environment")
        if environment is None:
            return None
        scope = self.eval(environment)
        if isinstance(scope, Unknown):
            return Unknown(f"'{name}' may come from `with {_quoted(environment)};`")
        return self.get_attr(scope, name)


def _builtin(name: str) -> Value:
    if name == "null":
        return NULL
    if name == "lib":
        return LibRef(())
    return Unknown(f"'{name}' is not defined in this file")


def _pending(value: Deferred | int) -> Pending:
    return value.pending if isinstance(value, Deferred) else value


def _arithmetic(symbol: str, left: int, right: int, node: Node) -> Value:
    value = arithmetic(symbol, left, right)
    return Unknown(f"`{_quoted(node)}` divides by zero") if value is None else value


def _opens_scope(parent: Node, child: Node) -> bool:
    """Does `parent` bind names for `child`: a let, rec set, function or `with` body?"""
    kind = parent.type
    if kind in SCOPE_HOLDERS and is_scope_member(parent, child):
        return True
    if kind in ("function_expression", "with_expression"):
        return child == parent.child_by_field_name("body")
    return False


def binding_holder(root: Node, at: Node, name: str) -> Node | None:
    """The let, rec set or function whose binding of `name` is visible at `at`."""
    current = at
    for parent in ancestors(root, at):
        if parent.type in SCOPE_HOLDERS and is_scope_member(parent, current):
            binding_set = binding_set_of(parent)
            if binding_set is not None and binds(binding_set, name):
                return parent
        elif (
            parent.type == "function_expression"
            and current == parent.child_by_field_name("body")
            and binds_argument(parent, name)
        ):
            return parent
        current = parent
    return None


def binds(binding_set: Node, name: str, *, inherits: bool = True) -> bool:
    """Whether a set binds `name` (`name = ...;`, `name.x = ...;`, or `inherit name;`)."""
    for child in binding_set.named_children:
        if child.type == "binding":
            if binding_names(child)[:1] == [name]:
                return True
        elif inherits and name in inherited_names(child):
            return True
    return False


def binds_argument(function: Node, name: str) -> bool:
    universal = function.child_by_field_name("universal")
    if universal is not None and _text(universal) == name:
        return True
    formals = function.child_by_field_name("formals")
    if formals is None:
        return False
    for formal in formals.children_by_field_name("formal"):
        formal_name = formal.child_by_field_name("name")
        if formal_name is not None and _text(formal_name) == name:
            return True
    return False


def is_scope_member(holder: Node, child: Node) -> bool:
    """A let's bindings and body, and a rec set's bindings, see the names it binds."""
    return child.type in ("binding_set", "comment") or child == holder.child_by_field_name("body")


def binding_set_of(node: Node) -> Node | None:
    for child in node.named_children:
        if child.type == "binding_set":
            return child
    return None


def binding_names(binding: Node) -> list[str | None]:
    """The attribute path a binding assigns: `a.b = ...;` is ["a", "b"], None where dynamic."""
    attrpath = binding.child_by_field_name("attrpath")
    return attrpath_names(attrpath) if attrpath is not None else []


def inherited_names(node: Node) -> list[str]:
    """The names an `inherit` or `inherit (from)` brings in; none for any other node."""
    if node.type not in ("inherit", "inherit_from"):
        return []
    attrs = node.child_by_field_name("attrs")
    if attrs is None:
        return []
    names = (static_attr_name(attr) for attr in attrs.children_by_field_name("attr"))
    return [name for name in names if name is not None]


def _unknown(node: Node) -> Unknown:
    return Unknown(f"`{_quoted(node)}` cannot be folded without evaluating Nix")


def _quoted(node: Node | None) -> str:
    """An expression as a reason quotes it: one line, its middle elided when long."""
    return one_line(_text(node))


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")
