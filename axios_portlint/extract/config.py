"""The config side of a module: which option paths its `config` section defines.

A default such as `cfg.port + 363` reads `config.pim.port`, which is the option's
default only while no module defines it. When this file's own config section
defines it, only evaluation can say which definition wins, so the fold must
give up rather than report the declared default.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tree_sitter import Node

from axios_portlint.extract.scope import (
    apply_chain,
    head_name,
    parent_past_parens,
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


@dataclass(frozen=True, slots=True)
class Leaf:
    """One config definition: a value at a path, or a path whose value is opaque (`f x`)."""

    path: Path
    value: Node | None  # an `inherit` node for `inherit x;` (the name is the path's last)
    conditional: bool = False  # under mkIf, or a branch of if
    opaque: bool = False


def defined_config_paths(leaves: Iterable[Leaf]) -> tuple[set[Path], set[Path]]:
    """Paths the config sections define, and prefixes they define opaquely (`x = f y;`),
    from the file's `config_leaves`."""
    defined: set[Path] = set()
    opaque: set[Path] = set()
    for leaf in leaves:
        (opaque if leaf.opaque else defined).add(leaf.path)
    return defined, opaque


def config_leaves(root: Node) -> Iterator[Leaf]:
    """Every config definition of the file's module and of its inline `imports`; for a
    NixOS test file, of its nodes' and `defaults` modules (`test_modules`)."""
    # A `testScript` binding spells its name in the bytes, or escapes a letter of it
    # (`"test\Script"`): a file with neither has no NixOS test to look for.
    source = root.text
    may_test = source is None or b"testScript" in source or b"\\" in source
    bodies = [module_body(root)]
    while bodies:
        body = bodies.pop()
        if body is not None:
            top = _bindings(body)  # read once for the imports and the leaves
            bodies.extend(_inline_imports(top))
            tests = test_modules(body) if may_test else []
            bodies.extend(module_body(module) for _name, module, _key in tests)
            if not tests:  # a NixOS test, not a module: its nodes' modules are read instead
                yield from _module_leaves(top)


def test_modules(attrset: Node) -> list[tuple[str | None, Node, Node]]:
    """The modules of a NixOS test (an attribute set with a `testScript`): (name, module,
    the name's node) for each `nodes.<name>`, written `nodes.a = ...` or `nodes = { a =
    ...; }`, and (None, module, key) for its `defaults`. [] for any other attribute set."""
    top = _bindings_with_keys(attrset)
    if not any(names[:1] == ["testScript"] for names, _value, _key in top):
        return []
    found: list[tuple[str | None, Node, Node]] = []
    for names, value, key in top:
        if names == ["defaults"]:
            found.append((None, value, key))
        elif names[:1] == ["nodes"] and len(names) == 2 and names[1] is not None:
            found.append((names[1], value, key))
        elif names == ["nodes"] and peel_parens(value).type == "attrset_expression":
            found.extend(
                (inner[0], node, inner_key)
                for inner, node, inner_key in _bindings_with_keys(peel_parens(value))
                if len(inner) == 1 and inner[0] is not None
            )
    return found


def _bindings_with_keys(attrset: Node) -> list[tuple[list[str | None], Node, Node]]:
    """Each binding's names, value and attrpath (inherits left out)."""
    found = []
    for child in attrset.named_children:
        if child.type == "binding_set":
            for binding in child.named_children:
                attrpath = binding.child_by_field_name("attrpath")
                value = binding.child_by_field_name("expression")
                if binding.type == "binding" and attrpath is not None and value is not None:
                    found.append((attrpath_names(attrpath), value, attrpath))
    return found


def _inline_imports(top: list[tuple[list[str | None], Node | None]]) -> list[Node | None]:
    modules: list[Node | None] = []
    for names, value in top:
        if names == ["imports"] and value is not None:
            value = peel_parens(value)
            if value.type == "list_expression":
                modules.extend(module_body(element) for element in value.named_children)
    return modules


def _module_leaves(top: list[tuple[list[str | None], Node | None]]) -> Iterator[Leaf]:
    """The leaves of a module body, from its top bindings (`_bindings`)."""
    explicit = any(names[:1] in (["config"], ["options"]) for names, _ in top)
    pending: list[tuple[Path, Node, bool]] = []
    for names, value in top:
        if None in names:
            continue
        path = tuple(n for n in names if n is not None)
        if explicit and path[:1] == ("config",):
            path = path[1:]
        elif explicit or path[:1] in (("imports",), ("meta",), ("_file",), ("key",)):
            continue
        if value is None:
            yield Leaf(path, None)  # `inherit x;` defines x
        else:
            pending.append((path, value, False))
    yield from _walk(pending)


def _walk(pending: list[tuple[Path, Node, bool]]) -> Iterator[Leaf]:
    steps = 0
    while pending and steps < MAX_WALK:
        steps += 1
        path, value, conditional = pending.pop()
        value = peel_parens(value)
        if value.type in ("attrset_expression", "rec_attrset_expression"):
            for names, child in _bindings(value):
                if None in names:
                    # `services.nginx.virtualHosts."${fqdn}" = ...` may define anything
                    # below its static prefix, and nothing beside it.
                    static = names[: names.index(None)]
                    prefix = (*path, *(n for n in static if n is not None))
                    yield Leaf(prefix, value, conditional, opaque=True)
                    continue
                child_path = (*path, *(n for n in names if n is not None))
                if child is None:
                    yield Leaf(child_path, None, conditional)
                else:
                    pending.append((child_path, child, conditional))
            continue
        if value.type in ("with_expression", "let_expression"):
            # `config = with lib; mkMerge [ ... ];`, `config = let x = 1; in { ... };`:
            # the value is the body; names it reads are resolved where it is read.
            body = value.child_by_field_name("body")
            if body is not None:
                pending.append((path, body, conditional))
            continue
        if value.type == "list_expression" and _is_merge_list(value):
            pending.extend((path, element, conditional) for element in value.named_children)
            continue
        if value.type == "if_expression":
            for branch in ("consequence", "alternative"):
                node = value.child_by_field_name(branch)
                if node is not None:
                    pending.append((path, node, True))
            continue
        if value.type == "apply_expression":
            head, args = apply_chain(value)
            name = head_name(head)
            if name in CONFIG_WRAPPERS and args:
                pending.append((path, args[-1], conditional or name == "mkIf"))
                continue
            yield Leaf(path, value, conditional, opaque=True)
            continue
        yield Leaf(path, value, conditional)


def _is_merge_list(node: Node) -> bool:
    parent = parent_past_parens(node)
    if parent is None or parent.type != "apply_expression":
        return False
    head, _args = apply_chain(parent)
    return head_name(head) == "mkMerge"


def _bindings(attrset: Node) -> list[tuple[list[str | None], Node | None]]:
    """Each binding's names and value; an inherited name comes with its `inherit` node."""
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
                    found.append(([static_attr_name(attr)], binding))
    return found


def is_defined(path: Path, defined: set[Path], opaque: set[Path]) -> bool:
    """Could the config section give `path` a value other than its default?"""
    prefixes = {path[:i] for i in range(len(path) + 1)}
    if prefixes & opaque:
        return True
    return any(d[: len(path)] == path or d in prefixes for d in defined)
