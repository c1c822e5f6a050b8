"""The config side of a module: which option paths its `config` section defines.

A default such as `cfg.port + 363` reads `config.pim.port`, which is the option's
default only while no module defines it. When this file's own config section
defines it, only evaluation can say which definition wins, so the fold must
give up rather than report the declared default.
"""

from __future__ import annotations

from tree_sitter import Node

from axios_portlint.extract.scope import (
    apply_chain,
    head_name,
    peel_parens,
)
from axios_portlint.parse.names import attrpath_names, static_attr_name

# Calls whose argument is still a config attribute set.
CONFIG_WRAPPERS = frozenset({"mkIf", "mkMerge", "mkDefault", "mkForce", "mkOverride", "mkBefore"})
MAX_WALK = 50_000

Path = tuple[str, ...]


def module_body(root: Node) -> Node | None:
    """The attribute set a module file evaluates to, past its function, lets and withs."""
    node: Node | None = (
        root.child_by_field_name("expression") if root.type == "source_code" else root
    )
    for _ in range(64):
        if node is None:
            return None
        node = peel_parens(node)
        if node.type in ("attrset_expression", "rec_attrset_expression"):
            return node
        if node.type not in ("function_expression", "let_expression", "with_expression"):
            return None
        node = node.child_by_field_name("body")
    return None


def defined_config_paths(root: Node) -> tuple[set[Path], set[Path]]:
    """Paths the config sections define, and prefixes they define opaquely (`x = f y;`).

    The file's own module and the inline modules of its `imports` list both count.
    """
    defined: set[Path] = set()
    opaque: set[Path] = set()
    bodies = [module_body(root)]
    while bodies:
        body = bodies.pop()
        if body is not None:
            bodies.extend(_inline_imports(body))
            _module_definitions(body, defined, opaque)
    return defined, opaque


def _inline_imports(body: Node) -> list[Node | None]:
    modules: list[Node | None] = []
    for names, value in _bindings(body):
        if names == ["imports"] and value is not None:
            value = peel_parens(value)
            if value.type == "list_expression":
                modules.extend(module_body(element) for element in value.named_children)
    return modules


def _module_definitions(body: Node, defined: set[Path], opaque: set[Path]) -> None:
    top = _bindings(body)
    explicit = any(names[:1] in (["config"], ["options"]) for names, _ in top)
    pending: list[tuple[Path, Node]] = []
    for names, value in top:
        if None in names:
            continue
        path = tuple(n for n in names if n is not None)
        if explicit and path[:1] == ("config",):
            path = path[1:]
        elif explicit or path[:1] in (("imports",), ("meta",), ("_file",), ("key",)):
            continue
        if value is None:
            defined.add(path)  # `inherit x;` defines x
        else:
            pending.append((path, value))
    _walk(pending, defined, opaque)


def _walk(pending: list[tuple[Path, Node]], defined: set[Path], opaque: set[Path]) -> None:
    steps = 0
    while pending and steps < MAX_WALK:
        steps += 1
        path, value = pending.pop()
        value = peel_parens(value)
        if value.type in ("attrset_expression", "rec_attrset_expression"):
            for names, child in _bindings(value):
                if None in names:
                    opaque.add(path)
                    continue
                child_path = (*path, *(n for n in names if n is not None))
                if child is None:
                    defined.add(child_path)
                else:
                    pending.append((child_path, child))
            continue
        if value.type == "list_expression" and _is_merge_list(value):
            pending.extend((path, element) for element in value.named_children)
            continue
        if value.type == "apply_expression":
            head, args = apply_chain(value)
            if head_name(head) in CONFIG_WRAPPERS and args:
                pending.append((path, args[-1]))
                if head_name(head) in ("mkDefault", "mkForce", "mkOverride"):
                    defined.add(path)
                continue
            opaque.add(path)
            continue
        defined.add(path)


def _is_merge_list(node: Node) -> bool:
    parent = node.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is None or parent.type != "apply_expression":
        return False
    head, _args = apply_chain(parent)
    return head_name(head) == "mkMerge"


def _bindings(attrset: Node) -> list[tuple[list[str | None], Node | None]]:
    """Each binding's names and value; an inherited name comes with no value node."""
    found: list[tuple[list[str | None], Node | None]] = []
    for child in attrset.named_children:
        if child.type != "binding_set":
            continue
        for binding in child.named_children:
            if binding.type == "binding":
                attrpath = binding.child_by_field_name("attrpath")
                value = binding.child_by_field_name("expression")
                if attrpath is not None and value is not None:
                    found.append((attrpath_names(attrpath), value))
            elif binding.type in ("inherit", "inherit_from"):
                attrs = binding.child_by_field_name("attrs")
                for attr in attrs.children_by_field_name("attr") if attrs is not None else []:
                    found.append(([static_attr_name(attr)], None))
    return found


def is_defined(path: Path, defined: set[Path], opaque: set[Path]) -> bool:
    """Could the config section give `path` a value other than its default?"""
    prefixes = {path[:i] for i in range(len(path) + 1)}
    if prefixes & opaque:
        return True
    return any(d[: len(path)] == path or d in prefixes for d in defined)
