"""Find a tree's hosts and the module files active on each, without evaluating Nix.

Hosts come from `nixosConfigurations.<name>` / `darwinConfigurations.<name>` bindings
(a `nixosSystem { modules = [ ... ]; }` call, directly or through a helper defined in
the same file such as `mkHost "name"`), from `hosts/<name>/` folders, and from the
settings. Each host's `modules` and every reached file's `imports` are followed
statically; what cannot be followed is recorded with its location, never dropped.

Files are parsed lazily: only flake-like files, host entries and what they import.
Each file's own import edges are computed once, so the work is linear in the size of
the reached files per host.
"""

from __future__ import annotations

import enum
import posixpath
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache

from tree_sitter import Node, Query

from axios_portlint.extract.config import config_leaves, module_body, test_modules
from axios_portlint.extract.hostsources import (
    CONFIGURATION_SETS,
    HOST_FOLDERS,
    TEST_MARKS,
    folder_hosts,
)
from axios_portlint.extract.scope import (
    apply_chain,
    binding_holder,
    bound_expression,
    head_name,
    peel_parens,
)
from axios_portlint.model import (
    Host,
    HostMap,
    HostSource,
    Location,
    SourceFile,
    UnresolvedImport,
    UnresolvedKind,
    join_option_path,
)
from axios_portlint.parse import ParsedFile, nix_language, parse_source
from axios_portlint.parse.names import attrpath_names, static_attr_name
from axios_portlint.parse.query import query_matches

__all__ = ["HOST_FOLDERS", "find_hosts"]

SYSTEM_BUILDERS = frozenset({"nixosSystem", "darwinSystem"})
# Calls whose last argument is the module (or list) itself, under a condition we assume
# true: a module that may be active is active (a missed port is the worst bug).
CONDITIONAL_LIST = frozenset({"optionals"})
CONDITIONAL_MODULE = frozenset({"mkIf", "mkDefault", "mkForce", "mkOverride"})
SCOPES = ("let_expression", "with_expression")
MAX_HELPER_DEPTH = 8
MAX_NESTING = 200  # well below Python's recursion limit: each level is a few frames

MODULE_SETS = ("nixosModules", "darwinModules")
OWN_OUTPUTS = frozenset({"self", "outputs"})  # how flakes name their own outputs
_MODULE_SET_QUERY = """
(binding attrpath: (attrpath attr: (identifier) @set)
  (#any-of? @set "nixosModules" "darwinModules")) @binding
"""
_HOST_SET_QUERY = """
(binding attrpath: (attrpath attr: (identifier) @set)
  (#any-of? @set "nixosConfigurations" "darwinConfigurations")) @binding
"""


@cache
def _host_set_query() -> Query:
    return Query(nix_language(), _HOST_SET_QUERY)


@cache
def _module_set_query() -> Query:
    return Query(nix_language(), _MODULE_SET_QUERY)


def find_hosts(
    sources: Sequence[SourceFile],
    configured: Mapping[str, Sequence[str]] | None = None,
    configurations: Collection[str] = (),
) -> HostMap:
    """The hosts of a tree and each host's active module files.

    `sources` are discovery's files (display paths); `configured` maps a host name
    from the settings to its entry files or folders, as display paths (non-empty). A
    settings host replaces a discovered host of the same name; a `hosts/<name>/`
    folder is a host only when no flake or settings host already reaches its entry
    file and the file defines no host set itself.

    `configurations` are files that set port values and declare no option: each one
    that no host reaches and no checked file imports is a machine of its own (an
    example VM, a test node, a flake-less host), named by its path
    (`_standalone_hosts`).
    """
    graph = _ImportGraph({source.path: source for source in sources})
    found: dict[str, Host] = {}
    unresolved: list[UnresolvedImport] = []
    for name, entries in sorted((configured or {}).items()):
        if entries:  # the settings loader rejects an empty list with a one-line error
            entry = _file_start(entries[0])
            found[name] = graph.host(name, HostSource.SETTINGS, entry, entries)
    host_set_files: set[str] = set()
    unread_files: dict[Location, frozenset[str] | None] = {}
    for flake_name, entry, starts, problems in _flake_hosts(graph):
        host_set_files.add(entry.file)
        if flake_name is None:
            unresolved.extend(problems)
            unread_files[entry] = _reached(graph, entry, starts)
        elif flake_name not in found:
            found[flake_name] = graph.host(
                flake_name, HostSource.FLAKE, entry, starts or [], problems
            )
    for name, path in folder_hosts(graph.paths):
        reached = any(path in host.files for host in found.values())
        if name not in found and not reached and path not in host_set_files:
            found[name] = graph.host(name, HostSource.FOLDER, _file_start(path), [path])
    for node in _test_nodes(graph):
        found.setdefault(node.name, node)
    for path in _standalone_hosts(graph, configurations, found.values()):
        found.setdefault(path, graph.host(path, HostSource.FILE, _file_start(path), [path]))
    hosts = [_with_enabled(graph, found[name]) for name in sorted(found)]
    return HostMap(
        hosts=tuple(hosts),
        unresolved=_sorted(unresolved),
        guards=_guards(graph, hosts),
        unread_files=tuple(sorted(unread_files.items(), key=lambda item: item[0].sort_key())),
    )


def _reached(
    graph: _ImportGraph, entry: Location, starts: Sequence[_Start] | None
) -> frozenset[str] | None:
    """The files an unread host set's own modules lists reach; None without a list."""
    if starts is None:
        return None
    return graph.host("", HostSource.FLAKE, entry, starts).files


def _file_start(path: str) -> Location:
    return Location(path, 1, 1, 1, 1)


def _sorted(problems: Sequence[UnresolvedImport]) -> tuple[UnresolvedImport, ...]:
    unique = set(problems)
    return tuple(sorted(unique, key=lambda p: (p.location.sort_key(), p.expression)))


# -- NixOS tests' nodes --------------------------------------------------------------


def _test_nodes(graph: _ImportGraph) -> Iterator[Host]:
    """Each `nodes.<name>` of a NixOS test (an attribute set that has a `testScript`):
    a machine of its own, named `<file>#<name>`, holding its module and the test's
    `defaults`; only those parts of the test's file are its (`Host.parts`)."""
    for path in graph.paths:
        if not all(mark in graph.sources[path].data for mark in TEST_MARKS):
            continue
        context = graph.context(path)
        stack = [context.parsed.root]
        while stack:
            node = stack.pop()
            if node.type in ("attrset_expression", "rec_attrset_expression"):
                yield from _nodes_of(context, node)
            stack.extend(node.named_children)


def _nodes_of(context: _Context, attrset: Node) -> Iterator[Host]:
    modules = test_modules(attrset)
    defaults = [module for name, module, _key in modules if name is None]
    path = context.parsed.source.path
    for name, module, key in modules:
        if name is None:
            continue
        collector = _Collector()
        for part in (module, *defaults):
            context.module(part, collector)
        host = context.graph.host(
            f"{path}#{name}",
            HostSource.TEST,
            context.parsed.location(key),
            collector.starts,
            collector.problems,
        )
        parts = tuple(context.parsed.location(part) for part in (module, *defaults))
        yield replace(host, parts=parts)


# -- configurations nobody imports -----------------------------------------------


def _standalone_hosts(
    graph: _ImportGraph, configurations: Collection[str], hosts: Iterable[Host]
) -> list[str]:
    """The configurations no host reaches and no checked file imports, sorted.

    A file beside or below one whose imports cannot be followed and may name a local
    file (`map (n: ./services + "/${n}.nix") names`, `readDir ./.`) may be imported by
    it: it is none of these. A computed path into another tree (`iohk-ops +
    "/modules/x.nix"`) names no checked file.
    """
    if not configurations:
        return []
    reached = frozenset().union(*(host.files for host in hosts))
    imported: set[str] = set()
    unknown_below: list[str] = []
    for path in graph.paths:
        if b"imports" not in graph.sources[path].data:
            continue
        edges = graph.file_edges(_Start(path))
        imported.update(start.path for start in edges.starts)
        if any(_may_name_a_local_file(problem) for problem in edges.problems):
            unknown_below.append(posixpath.dirname(path))
    return sorted(
        path
        for path in configurations
        if path in graph.sources
        and path not in reached
        and path not in imported
        and not any(_below(path, folder) for folder in unknown_below)
    )


LOCAL_HINTS = ("./", "readDir", "listFilesRecursive", "filesystem")


def _may_name_a_local_file(problem: UnresolvedImport) -> bool:
    """A computed import written with a relative path or a folder listing."""
    return problem.kind is UnresolvedKind.COMPUTED and any(
        hint in problem.expression for hint in LOCAL_HINTS
    )


def _below(path: str, folder: str) -> bool:
    return not folder or path.startswith(folder + "/")


# -- enablement ---------------------------------------------------------------------


def _with_enabled(graph: _ImportGraph, host: Host) -> Host:
    """The host with the services its files enable; unknown past a local computed import."""
    if any(_may_name_a_local_file(problem) for problem in host.unresolved):
        return host
    enabled = frozenset().union(*(graph.enabled(path) for path in host.files))
    return replace(host, enabled=enabled)


def _guards(graph: _ImportGraph, hosts: Sequence[Host]) -> tuple[tuple[str, str], ...]:
    files = sorted(frozenset().union(*(host.files for host in hosts)))
    return tuple((path, guard) for path in files if (guard := graph.guard(path)) is not None)


def _enabled_in(context: _Context) -> set[str]:
    """`P.enable = <anything but false>;` in the file's config: P may be enabled."""
    enabled = set()
    for leaf in config_leaves(context.parsed.root):
        if leaf.path[-1:] != ("enable",) or leaf.opaque or leaf.value is None:
            continue
        value = peel_parens(leaf.value)
        if value.type == "variable_expression" and context.parsed.text(value) == "false":
            continue
        enabled.add(join_option_path(leaf.path[:-1]))
    return enabled


def _guard_in(context: _Context) -> str | None:
    """P when the file's whole config is `mkIf cfg.enable { ... }` with `cfg = config.P`
    (or `mkIf config.P.enable`): the module's service, off unless a host enables it."""
    body = module_body(context.parsed.root)
    found = context.member(body, "config") if body is not None else None
    if found is None or found[0] is not context:
        return None
    head, arguments = apply_chain(peel_parens(found[1]))
    if head_name(head) != "mkIf" or len(arguments) != 2:
        return None
    names = _config_path(context, peel_parens(arguments[0]))
    if not names or names[-1] != "enable" or len(names) < 2:
        return None
    return join_option_path(names[:-1])


def _config_path(context: _Context, node: Node, depth: int = 0) -> list[str] | None:
    """`config.a.b` (or `cfg.b` with `cfg = config.a;`) as ["a", "b"]; None otherwise."""
    if node.type != "select_expression" or node.child_by_field_name("default") is not None:
        return None
    base = node.child_by_field_name("expression")
    attrpath = node.child_by_field_name("attrpath")
    if base is None or attrpath is None or base.type != "variable_expression":
        return None
    names = [_attr_name(context, attr) for attr in attrpath.children_by_field_name("attr")]
    if None in names:
        return None
    known = [name for name in names if name is not None]
    if context.parsed.text(base) == "config":
        return known
    # One step only: `resolve` would go on into `config`, a function argument.
    bound = context.bound(base)
    if bound is None or bound[0] is not context or depth > MAX_HELPER_DEPTH:
        return None
    prefix = _config_path(context, peel_parens(bound[1]), depth + 1)
    return None if prefix is None else [*prefix, *known]


def _attr_name(context: _Context, attr: Node) -> str | None:
    """An attrpath element's name, through `${service}` with a let-bound string."""
    name = static_attr_name(attr)
    if name is None and attr.type == "interpolation":
        inner = attr.child_by_field_name("expression")
        name = context.string(inner) if inner is not None else None
    return name


# -- nixosConfigurations ----------------------------------------------------------

# (host name or None for an unreadable host set, entry, module starts, problems). An
# unreadable set's starts are those of the `modules` lists written inside it (None when
# it holds none), and its problem is the set itself.
_FlakeHost = tuple[str | None, Location, list["_Start"] | None, list[UnresolvedImport]]


def _flake_hosts(graph: _ImportGraph) -> Iterator[_FlakeHost]:
    for path in graph.paths:
        if not any(name.encode() in graph.sources[path].data for name in CONFIGURATION_SETS):
            continue
        parsed = graph.parsed(path)
        for _pattern, captures in query_matches(_host_set_query(), parsed.root):
            binding = captures["binding"][0]
            yield from _bound_hosts(graph.context(path), binding)


def _bound_hosts(context: _Context, binding: Node) -> Iterator[_FlakeHost]:
    attrpath = binding.child_by_field_name("attrpath")
    value = binding.child_by_field_name("expression")
    if attrpath is None or value is None:
        return
    attrs = attrpath.children_by_field_name("attr")
    names = attrpath_names(attrpath)
    index = next(i for i, name in enumerate(names) if name in CONFIGURATION_SETS)
    rest = attrs[index + 1 :]
    if len(rest) == 1 and names[-1] is not None:
        yield _one_host(context, names[-1], context.parsed.location(rest[0]), value)
        return
    if not rest:
        target = context.resolve(value)
        if target is not None and target[1].type == "attrset_expression":
            yield from _host_set(target[0], target[1])
            return
    where = value if not rest else binding
    problem = context.problem(where, UnresolvedKind.COMPUTED, "host names only evaluation knows")
    yield None, problem.location, _inner_modules(context, where), [problem]


def _host_set(context: _Context, attrset: Node) -> Iterator[_FlakeHost]:
    for child in _bindings(attrset):
        if child.type != "binding":
            problem = context.problem(child, UnresolvedKind.COMPUTED, "inherited host set")
            yield None, problem.location, None, [problem]
            continue
        attrpath = child.child_by_field_name("attrpath")
        value = child.child_by_field_name("expression")
        if attrpath is None or value is None:
            continue
        names = attrpath_names(attrpath)
        if len(names) == 1 and names[0] is not None:
            location = context.parsed.location(attrpath)
            yield _one_host(context, names[0], location, value)
        else:
            problem = context.problem(child, UnresolvedKind.COMPUTED, "a computed host name")
            yield None, problem.location, _inner_modules(context, child), [problem]


def _inner_modules(context: _Context, node: Node) -> list[_Start] | None:
    """The modules of every `modules = [ ... ];` written inside an unread host set
    (`listToAttrs (map (name: ... nixosSystem { modules = [ ../../homelab ]; }) names)`):
    what its hosts import besides what only evaluation names. None without such a list."""
    collector = _Collector()
    found = False
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "binding" and _binds_modules(current):
            value = current.child_by_field_name("expression")
            if value is not None:
                found = True
                context.module_list(value, collector)
                continue
        stack.extend(current.named_children)
    return collector.starts if found else None


def _binds_modules(binding: Node) -> bool:
    attrpath = binding.child_by_field_name("attrpath")
    return attrpath is not None and attrpath_names(attrpath) == ["modules"]


def _one_host(context: _Context, name: str, entry: Location, value: Node) -> _FlakeHost:
    collector = _Collector()
    modules = _system_modules(context, value, collector, 0)
    if modules is not None:
        modules[0].module_list(modules[1], collector)
    return name, entry, collector.starts, collector.problems


def _system_modules(
    context: _Context, node: Node, collector: _Collector, depth: int
) -> _Target | None:
    """The `modules` list a host expression passes to `nixosSystem`, through helpers."""
    node = _past_scopes(node)
    if node.type != "apply_expression" or depth > MAX_HELPER_DEPTH:
        collector.problems.append(
            context.problem(node, UnresolvedKind.COMPUTED, "not a visible `nixosSystem` call")
        )
        return None
    head, arguments = apply_chain(node)
    if head_name(head) in SYSTEM_BUILDERS and arguments:
        return _modules_argument(context, arguments[-1], collector)
    function = context.resolve(head)
    if function is None or function[1].type != "function_expression":
        collector.problems.append(
            context.problem(node, UnresolvedKind.COMPUTED, "calls a function defined elsewhere")
        )
        return None
    callee, body = function[0].applied(function[1], context, arguments)
    if body is None:
        collector.problems.append(
            context.problem(node, UnresolvedKind.COMPUTED, "a helper called with too few arguments")
        )
        return None
    return _system_modules(callee, body, collector, depth + 1)


def _modules_argument(context: _Context, argument: Node, collector: _Collector) -> _Target | None:
    target = context.resolve(argument)
    if target is None or target[1].type not in ("attrset_expression", "rec_attrset_expression"):
        collector.problems.append(
            context.problem(argument, UnresolvedKind.COMPUTED, "arguments only evaluation knows")
        )
        return None
    owner, attrset = target
    modules = owner.member(attrset, "modules")
    if modules is None:
        return None  # a system with no modules of its own
    return modules


# -- following modules and imports ---------------------------------------------------


class _Mode(enum.Enum):
    MODULE = "module"  # a module file: active, and its `imports` are followed
    LIST = "list"  # `imports = import ./list.nix;`: the file is a list of modules
    INLINE = "inline"  # an inline module's file: active; its imports were followed already


@dataclass(frozen=True, slots=True)
class _Start:
    """A file a host's modules reach, and how it is reached."""

    path: str
    mode: _Mode = _Mode.MODULE


@dataclass(slots=True)
class _Collector:
    starts: list[_Start] = field(default_factory=list)
    problems: list[UnresolvedImport] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Context:
    """A file being read, and what the helper calls around the current node bind."""

    parsed: ParsedFile
    graph: _ImportGraph
    arguments: tuple[tuple[int, str, _Context, Node], ...] = ()

    def problem(self, node: Node, kind: UnresolvedKind, reason: str) -> UnresolvedImport:
        text = self.parsed.text(node)
        if len(text) > 80:
            text = text[:77] + "..."
        return UnresolvedImport(self.parsed.location(node), " ".join(text.split()), kind, reason)

    # -- names ------------------------------------------------------------------

    def resolve(self, node: Node) -> _Target | None:
        """The expression a variable or a selection stands for, where it is written."""
        with self.graph.nested() as allowed:
            return self._resolve(peel_parens(node)) if allowed else None

    def _resolve(self, node: Node) -> _Target | None:
        if node.type == "variable_expression":
            name = node.child_by_field_name("name")
            if name is None:
                return None
            found = self._variable(self.parsed.text(name), node)
            return found[0].resolve(found[1]) if found is not None else None
        if node.type == "select_expression" and node.child_by_field_name("default") is None:
            base = node.child_by_field_name("expression")
            attrpath = node.child_by_field_name("attrpath")
            names = attrpath_names(attrpath) if attrpath is not None else [None]
            target = self.resolve(base) if base is not None else None
            if target is None:
                own = base is not None and _names_own_outputs(self.parsed.text(base), names)
                return self.graph.flake_module(names) if own else None
            return target[0].select(target[1], names)
        return self, node

    def bound(self, variable: Node) -> _Target | None:
        """The expression a variable is bound to, not resolved any further."""
        name = variable.child_by_field_name("name")
        return self._variable(self.parsed.text(name), variable) if name is not None else None

    def select(self, node: Node, names: Sequence[str | None]) -> _Target | None:
        """`node.a.b` for names `[a, b]`, each step resolved where it is written."""
        target: _Target | None = (self, node)
        for name in names:
            if target is None or name is None:
                return None
            member = target[0].member(target[1], name)
            target = member[0].resolve(member[1]) if member is not None else None
        return target

    def _variable(self, name: str, at: Node) -> _Target | None:
        holder = binding_holder(self.parsed.root, at, name)
        if holder is None:
            return None
        if holder.type == "function_expression":
            return self._argument(holder, name)
        return self.member(holder, name)

    def _argument(self, function: Node, name: str) -> _Target | None:
        for function_id, parameter, context, argument in self.arguments:
            if function_id == function.id and parameter == name:
                return context, argument
        for function_id, parameter, context, argument in self.arguments:
            if function_id == function.id and parameter == "{}":
                found = context.resolve(argument)
                member = found[0].member(found[1], name) if found is not None else None
                if member is not None:
                    return member
                return self._formal_default(function, name)
        return None

    def _formal_default(self, function: Node, name: str) -> _Target | None:
        formals = function.child_by_field_name("formals")
        for formal in formals.children_by_field_name("formal") if formals is not None else []:
            formal_name = formal.child_by_field_name("name")
            default = formal.child_by_field_name("default")
            if formal_name is not None and self.parsed.text(formal_name) == name and default:
                return self, default
        return None

    def member(self, holder: Node, name: str) -> _Target | None:
        """`name`'s value in an attribute set or let; None when absent or computed."""
        with self.graph.nested() as allowed:
            return self._member(holder, name) if allowed else None

    def _member(self, holder: Node, name: str) -> _Target | None:
        imported = self.imported(holder)
        if imported is not None:
            return imported[0].member(imported[1], name)
        for child in _bindings(holder):
            if child.type == "binding":
                value = bound_expression(child, name)
                if value is not None:
                    return self, value
            elif child.type == "inherit" and name in _inherited(child):
                return self._variable(name, holder)
            elif child.type == "inherit_from" and name in _inherited(child):
                source = child.child_by_field_name("expression")
                found = self.resolve(source) if source is not None else None
                return found[0].member(found[1], name) if found is not None else None
        return None

    def imported(self, node: Node) -> _Target | None:
        """What `import ./file.nix` evaluates to, when the file is checked: its expression."""
        node = peel_parens(node)
        if node.type != "apply_expression":
            return None
        head, arguments = apply_chain(node)
        if head_name(head) != "import" or len(arguments) != 1:
            return None
        path = self.import_target(arguments[0], _Collector())
        if path is None:
            return None
        context = self.graph.context(path)
        expression = context.parsed.root.child_by_field_name("expression")
        return (context, _past_scopes(expression)) if expression is not None else None

    def applied(
        self, function: Node, caller: _Context, arguments: list[Node]
    ) -> tuple[_Context, Node | None]:
        """The body of a helper called with `arguments`, and what its parameters bind."""
        bound = list(self.arguments)
        node: Node | None = function
        for argument in arguments:
            if node is None or node.type != "function_expression":
                return self, None
            universal = node.child_by_field_name("universal")
            if universal is not None:
                bound.append((node.id, self.parsed.text(universal), caller, argument))
            if node.child_by_field_name("formals") is not None:
                bound.append((node.id, "{}", caller, argument))
            node = node.child_by_field_name("body")
            if node is not None:
                node = _past_scopes(node)
        return _Context(self.parsed, self.graph, tuple(bound)), node

    def string(self, node: Node) -> str | None:
        """A string known statically, through variables and helper arguments."""
        target = self.resolve(node)
        if target is None:
            return None
        owner, value = target
        if value.type == "string_expression":
            return static_attr_name(value)
        if value.type == "path_expression":
            return owner.path_text(value)
        return None

    def path_text(self, path: Node) -> str | None:
        parts: list[str] = []
        for child in path.named_children:
            if child.type == "path_fragment":
                parts.append(self.parsed.text(child))
            elif child.type == "interpolation":
                inner = child.child_by_field_name("expression")
                text = self.string(inner) if inner is not None else None
                if text is None:
                    return None
                parts.append(text)
        return "".join(parts) if parts else self.parsed.text(path)

    # -- module lists --------------------------------------------------------------

    def module_list(self, node: Node, collector: _Collector) -> None:
        """Each module of a list expression (`imports`, `modules`)."""
        with self.graph.nested() as allowed:
            if not allowed:
                collector.problems.append(self._too_deep(node))
                return
            for operand in _concatenated(node):
                self._list_operand(operand, collector)

    def _list_operand(self, node: Node, collector: _Collector) -> None:
        kind = node.type
        if kind == "list_expression":
            for element in node.named_children:
                if element.type != "comment":
                    self.module(element, collector)
        elif (followed := self._followed(node, collector)) is not None:
            for owner, operand in followed:
                owner.module_list(operand, collector)
        elif kind == "apply_expression":
            self._applied_list(node, collector)
        else:
            collector.problems.append(
                self.problem(node, UnresolvedKind.COMPUTED, "a module list only evaluation knows")
            )

    def _applied_list(self, node: Node, collector: _Collector) -> None:
        head, arguments = apply_chain(node)
        name = head_name(head)
        if name in CONDITIONAL_LIST and len(arguments) == 2:
            self.module_list(arguments[-1], collector)
        elif name == "optional" and len(arguments) == 2:
            self.module(arguments[-1], collector)
        elif name == "import" and len(arguments) >= 1:
            path = self.import_target(arguments[0], collector)
            if path is not None:
                collector.starts.append(_Start(path, _Mode.LIST))
        elif name == "attrValues" and len(arguments) == 1:
            self._attr_values(arguments[0], collector)
        else:
            reason = f"a module list computed by `{self.parsed.text(head)}`"
            collector.problems.append(self.problem(node, UnresolvedKind.COMPUTED, reason))

    def _attr_values(self, node: Node, collector: _Collector) -> None:
        """`builtins.attrValues set`: every module of a visible attribute set."""
        target = self.resolve(node)
        if target is not None and target[1] != node:
            owner, attrset = target[0].imported(target[1]) or target
            values = owner.values(attrset) if attrset.type.endswith("attrset_expression") else None
        else:
            values = self.graph.flake_module_values(node)
        if values is None:
            reason = "the modules of an attribute set only evaluation knows"
            collector.problems.append(self.problem(node, UnresolvedKind.COMPUTED, reason))
            return
        for owner, value in values:
            owner.module(value, collector)

    def values(self, attrset: Node) -> list[_Target] | None:
        """Every value of an attribute set with literal one-name bindings, else None."""
        found: list[_Target] = []
        for child in _bindings(attrset):
            value = child.child_by_field_name("expression")
            attrpath = child.child_by_field_name("attrpath")
            if child.type != "binding" or value is None or attrpath is None:
                return None
            if None in attrpath_names(attrpath):
                return None
            found.append((self, value))
        return found

    def module(self, node: Node, collector: _Collector) -> None:
        """One element of a module list."""
        with self.graph.nested() as allowed:
            if allowed:
                self._module(_past_scopes(node), collector)
            else:
                collector.problems.append(self._too_deep(node))

    def _followed(self, node: Node, collector: _Collector) -> list[_Target] | None:
        """What a name or an `if` stands for (both branches: either may be taken);
        None for any other expression. A name leading nowhere visible is recorded."""
        if node.type == "if_expression":
            branches = (node.child_by_field_name(b) for b in ("consequence", "alternative"))
            return [(self, branch) for branch in branches if branch is not None]
        if node.type not in ("variable_expression", "select_expression"):
            return None
        target = self.resolve(node)
        if target is not None and target[1] != node:
            return [target]
        collector.problems.append(self._unbound(node))
        return []

    def _too_deep(self, node: Node) -> UnresolvedImport:
        return self.problem(node, UnresolvedKind.COMPUTED, "nested too deeply to follow")

    def _module(self, node: Node, collector: _Collector) -> None:
        kind = node.type
        if kind == "path_expression":
            path = self.import_target(node, collector)
            if path is not None:
                collector.starts.append(_Start(path))
        elif kind in ("spath_expression", "hpath_expression") or self._outside(node):
            reason = "a module outside the checked tree"
            collector.problems.append(self.problem(node, UnresolvedKind.EXTERNAL, reason))
        elif kind in ("attrset_expression", "rec_attrset_expression", "function_expression"):
            self._inline(node, collector)
        elif kind == "apply_expression":
            self._applied_module(node, collector)
        elif (followed := self._followed(node, collector)) is not None:
            for owner, operand in followed:
                owner.module(operand, collector)
        else:
            collector.problems.append(
                self.problem(node, UnresolvedKind.COMPUTED, "a module only evaluation knows")
            )

    def _applied_module(self, node: Node, collector: _Collector) -> None:
        head, arguments = apply_chain(node)
        name = head_name(head)
        if name == "import" and arguments:
            path = self.import_target(arguments[0], collector)
            if path is not None:
                collector.starts.append(_Start(path))
        elif name in CONDITIONAL_MODULE and arguments:
            self.module(arguments[-1], collector)
        else:
            reason = f"a module computed by `{self.parsed.text(head)}`"
            collector.problems.append(self.problem(node, UnresolvedKind.COMPUTED, reason))

    def _inline(self, node: Node, collector: _Collector) -> None:
        """An inline module: its settings live in this file; its own imports are followed."""
        collector.starts.append(_Start(self.parsed.source.path, _Mode.INLINE))
        body = module_body(node)
        imports = self.member(body, "imports") if body is not None else None
        if imports is not None:
            imports[0].module_list(imports[1], collector)

    def import_target(self, node: Node, collector: _Collector) -> str | None:
        """The checked file a path expression names (a folder means its default.nix)."""
        node = peel_parens(node)
        if node.type in ("variable_expression", "select_expression"):
            target = self.resolve(node)
            if target is None or target[1] == node:
                collector.problems.append(self._unbound(node))
                return None
            return target[0].import_target(target[1], collector)
        if node.type != "path_expression":
            kind = UnresolvedKind.EXTERNAL if node.type == "spath_expression" else None
            collector.problems.append(
                self.problem(node, kind or UnresolvedKind.COMPUTED, "a path only evaluation knows")
            )
            return None
        text = self.path_text(node)
        if text is None:
            reason = "a path built from values only evaluation knows"
            collector.problems.append(self.problem(node, UnresolvedKind.COMPUTED, reason))
            return None
        here = posixpath.dirname(self.parsed.source.path)
        joined = posixpath.normpath(posixpath.join(here, text))
        for candidate in (joined, posixpath.join(joined, "default.nix")):
            if candidate in self.graph.sources:
                return candidate
        reason = "names no Nix file among the checked ones"
        collector.problems.append(self.problem(node, UnresolvedKind.MISSING, reason))
        return None

    def _unbound(self, node: Node) -> UnresolvedImport:
        """A name that leads nowhere visible: an argument (a flake input), else a computation."""
        if self._from_argument(node):
            reason = "a module from a flake input or a function argument"
            return self.problem(node, UnresolvedKind.EXTERNAL, reason)
        reason = "a name whose value only evaluation knows"
        return self.problem(node, UnresolvedKind.COMPUTED, reason)

    def _from_argument(self, node: Node) -> bool:
        """Is the name a selection starts from a function argument or unbound (`inputs`)?"""
        root = peel_parens(node)
        while root.type == "select_expression":
            root = peel_parens(root.child_by_field_name("expression") or root)
        name = root.child_by_field_name("name") if root.type == "variable_expression" else None
        if name is None:
            return False
        holder = binding_holder(self.parsed.root, root, self.parsed.text(name))
        return holder is None or holder.type == "function_expression"

    def _outside(self, node: Node) -> bool:
        """A path built on an argument: `modulesPath + "/profiles/x.nix"`,
        `"${inputs.secrets}/networks.nix"`, a file of nixpkgs or of another input."""
        start: Node | None = None
        if node.type == "binary_expression" and _operator(node) == "+":
            start = node.child_by_field_name("left")
        elif node.type == "string_expression":
            first = next((c for c in node.named_children if c.type == "interpolation"), None)
            start = first.child_by_field_name("expression") if first is not None else None
        return start is not None and self._from_argument(start)


def _names_own_outputs(base: str, names: Sequence[str | None]) -> bool:
    """`self.nixosModules...`, `outputs.nixosModules...`, `inputs.self.nixosModules...`:
    the tree's own modules. Another input's `nixosModules` is never looked up here."""
    start = next((i for i, name in enumerate(names) if name in MODULE_SETS), None)
    if start is None:
        return False
    return base in OWN_OUTPUTS or "self" in names[:start]


def _past_scopes(node: Node) -> Node:
    node = peel_parens(node)
    while node.type in SCOPES:
        body = node.child_by_field_name("body")
        if body is None:
            break
        node = peel_parens(body)
    return node


def _concatenated(node: Node) -> list[Node]:
    """The operands of `a ++ b ++ c`, in order, without recursion (a chain may be long)."""
    operands: list[Node] = []
    stack = [node]
    while stack:
        current = _past_scopes(stack.pop())
        if current.type == "binary_expression" and _operator(current) == "++":
            right = current.child_by_field_name("right")
            left = current.child_by_field_name("left")
            stack.extend(side for side in (right, left) if side is not None)
        else:
            operands.append(current)
    return operands


def _operator(node: Node) -> str | None:
    operator = node.child_by_field_name("operator")
    return operator.type if operator is not None else None


def _bindings(holder: Node) -> list[Node]:
    """The bindings and inherits of an attribute set or let."""
    found: list[Node] = []
    for child in holder.named_children:
        if child.type == "binding_set":
            found.extend(b for b in child.named_children if b.type != "comment")
    return found


def _inherited(node: Node) -> list[str]:
    attrs = node.child_by_field_name("attrs")
    names = [static_attr_name(a) for a in attrs.children_by_field_name("attr")] if attrs else []
    return [name for name in names if name is not None]


_Target = tuple[_Context, Node]  # an expression and the context it is read in


# -- the import graph ------------------------------------------------------------------


class _ImportGraph:
    """Each checked file's own import edges, computed once, and host closures over them."""

    def __init__(self, sources: Mapping[str, SourceFile]) -> None:
        self.sources = sources
        self.paths = sorted(sources)
        self._files = frozenset(sources)
        self._parsed: dict[str, ParsedFile] = {}
        self._edges: dict[_Start, _Collector] = {}
        self._sets: list[tuple[_Context, list[str | None], Node]] | None = None
        self._enabled: dict[str, frozenset[str]] = {}
        self._guards: dict[str, str | None] = {}
        self._depth = 0

    @contextmanager
    def nested(self) -> Iterator[bool]:
        """One level deeper into names and modules; False past MAX_NESTING (Nix would
        recurse forever, or the expression is absurdly deep): the caller gives up there."""
        self._depth += 1
        try:
            yield self._depth <= MAX_NESTING
        finally:
            self._depth -= 1

    def parsed(self, path: str) -> ParsedFile:
        if path not in self._parsed:
            self._parsed[path] = parse_source(self.sources[path])
        return self._parsed[path]

    def context(self, path: str) -> _Context:
        return _Context(self.parsed(path), self)

    def enabled(self, path: str) -> frozenset[str]:
        if path not in self._enabled:
            self._enabled[path] = frozenset(_enabled_in(self.context(path)))
        return self._enabled[path]

    def guard(self, path: str) -> str | None:
        if path not in self._guards:
            self._guards[path] = _guard_in(self.context(path))
        return self._guards[path]

    def _module_sets(self) -> list[tuple[_Context, list[str | None], Node]]:
        """Every `nixosModules...` binding in the tree: (context, names from the set, value)."""
        if self._sets is None:
            self._sets = []
            for path in self.paths:
                if not any(name.encode() in self.sources[path].data for name in MODULE_SETS):
                    continue
                context = self.context(path)
                for _pattern, captures in query_matches(_module_set_query(), context.parsed.root):
                    binding = captures["binding"][0]
                    attrpath = binding.child_by_field_name("attrpath")
                    value = binding.child_by_field_name("expression")
                    if attrpath is None or value is None:
                        continue
                    names = attrpath_names(attrpath)
                    start = next(i for i, name in enumerate(names) if name in MODULE_SETS)
                    self._sets.append((context, names[start:], value))
        return self._sets

    def flake_module(self, names: Sequence[str | None]) -> _Target | None:
        """`self.nixosModules.x` (or `outputs.`, `inputs.self.`): the tree's own module."""
        start = next((i for i, name in enumerate(names) if name in MODULE_SETS), None)
        if start is None:
            return None
        wanted = list(names[start:])
        for context, bound, value in self._module_sets():
            if None not in bound and wanted[: len(bound)] == bound:
                found = context.select(value, wanted[len(bound) :])
                if found is not None:
                    return found
        return None

    def flake_module_values(self, node: Node) -> list[_Target] | None:
        """The modules of `self.nixosModules` as a whole, for `attrValues`."""
        node = peel_parens(node)
        attrpath = (
            node.child_by_field_name("attrpath") if node.type == "select_expression" else None
        )
        names = attrpath_names(attrpath) if attrpath is not None else []
        if not names or names[-1] not in MODULE_SETS:
            return None
        values: list[_Target] = []
        for context, bound, value in self._module_sets():
            if bound == names[-1:]:
                target = context.resolve(value)
                owner, attrset = (
                    (target[0].imported(target[1]) or target) if target else (context, value)
                )
                entries = owner.values(attrset) if attrset.type.endswith("set_expression") else None
                if entries is None:
                    return None
                values.extend(entries)
            elif len(bound) == 2 and bound[0] == names[-1]:
                values.append((context, value))
        return values

    def host(
        self,
        name: str,
        source: HostSource,
        entry: Location,
        starts: Sequence[_Start | str],
        problems: Sequence[UnresolvedImport] = (),
    ) -> Host:
        files: set[str] = set()
        seen: set[_Start] = set()
        found = list(problems)
        pending = [s if isinstance(s, _Start) else _Start(self._entry(s)) for s in starts]
        found.extend(_missing(s.path) for s in pending if s.path not in self._files)
        pending = [start for start in pending if start.path in self._files]
        while pending:
            start = pending.pop()
            if start in seen:
                continue  # an import cycle, or a file reached twice
            seen.add(start)
            if start.mode is not _Mode.LIST:  # a list of modules holds no settings
                files.add(start.path)
            if start.mode is not _Mode.INLINE:
                edges = self.file_edges(start)
                found.extend(edges.problems)
                pending.extend(edges.starts)
        return Host(name, entry, source, frozenset(files), _sorted(found))

    def _entry(self, path: str) -> str:
        """A settings entry: a file, or a folder meaning its default.nix."""
        path = posixpath.normpath(path)
        folder_default = posixpath.join(path, "default.nix")
        return folder_default if path not in self._files and folder_default in self._files else path

    def file_edges(self, start: _Start) -> _Collector:
        """What one file imports (or, read as a list, lists): the same on every host."""
        if start not in self._edges:
            collector = _Collector()
            context = self.context(start.path)
            root = context.parsed.root
            if start.mode is _Mode.LIST:
                expression = root.child_by_field_name("expression")
                if expression is not None:
                    context.module_list(expression, collector)
            else:
                body = module_body(root)
                imports = context.member(body, "imports") if body is not None else None
                if imports is not None:
                    imports[0].module_list(imports[1], collector)
            self._edges[start] = collector
        return self._edges[start]


def _missing(path: str) -> UnresolvedImport:
    reason = "names no Nix file among the checked ones"
    return UnresolvedImport(_file_start(path), path, UnresolvedKind.MISSING, reason)
