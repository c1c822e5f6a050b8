"""The config side of a module: which option paths its `config` section defines.

A default such as `cfg.port + 363` reads `config.pim.port`, which is the option's
default only while no module defines it. When this file's own config section
defines it, only evaluation can say which definition wins, so the fold must
give up rather than report the declared default.
"""

from __future__ import annotations

from tree_sitter import Node

from axios_portlint.extract.scope import apply_chain, attrpath_names, head_name, peel_parens

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
    """Paths the config section defines, and prefixes it defines opaquely (`x = f y;`)."""
    defined: set[Path] = set()
    opaque: set[Path] = set()
    body = module_body(root)
    if body is None:
        return defined, opaque
    top = _bindings(body)
    explicit = any(names[:1] in (["config"], ["options"]) for names, _ in top)
    pending: list[tuple[Path, Node]] = []
    for names, value in top:
        if None in names:
            continue
        path = tuple(n for n in names if n is not None)
        if explicit and path[:1] == ("config",):
            pending.append((path[1:], value))
        elif not explicit and path[:1] not in (("imports",), ("meta",), ("_file",), ("key",)):
            pending.append((path, value))
    _walk(pending, defined, opaque)
    return defined, opaque


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
                pending.append(((*path, *(n for n in names if n is not None)), child))
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


def _bindings(attrset: Node) -> list[tuple[list[str | None], Node]]:
    found: list[tuple[list[str | None], Node]] = []
    for child in attrset.named_children:
        if child.type != "binding_set":
            continue
        for binding in child.named_children:
            if binding.type != "binding":
                continue
            attrpath = binding.child_by_field_name("attrpath")
            value = binding.child_by_field_name("expression")
            if attrpath is not None and value is not None:
                found.append((attrpath_names(attrpath), value))
    return found


def is_defined(path: Path, defined: set[Path], opaque: set[Path]) -> bool:
    """Could the config section give `path` a value other than its default?"""
    prefixes = {path[:i] for i in range(len(path) + 1)}
    if prefixes & opaque:
        return True
    return any(d[: len(path)] == path or d in prefixes for d in defined)
