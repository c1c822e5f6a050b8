"""Static attribute names: what an attrpath spells, when it spells it without evaluation."""

from __future__ import annotations

from tree_sitter import Node


def static_attr_name(attr: Node) -> str | None:
    """The name an attrpath element spells, or None when it is computed (`${x}`)."""
    if attr.type == "identifier":
        return _text(attr)
    if attr.type == "string_expression":
        parts: list[str] = []
        for child in attr.named_children:
            if child.type == "string_fragment":
                parts.append(_text(child))
            elif child.type == "escape_sequence":
                parts.append(_unescape(_text(child)))
            else:
                return None
        return "".join(parts)
    if attr.type == "interpolation":
        inner = attr.child_by_field_name("expression")
        # Nix's parser drops the parentheses: `${("a")}` is the plain name `a` too.
        while inner is not None and inner.type == "parenthesized_expression":
            inner = inner.child_by_field_name("expression")
        if inner is not None and inner.type == "string_expression":
            return static_attr_name(inner)
    return None


def attrpath_names(attrpath: Node) -> list[str | None]:
    return [static_attr_name(attr) for attr in attrpath.children_by_field_name("attr")]


def _text(node: Node) -> str:
    return node.text.decode("utf-8", errors="replace") if node.text is not None else ""


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _unescape(sequence: str) -> str:
    if len(sequence) == 2 and sequence[0] == "\\":
        return _ESCAPES.get(sequence[1], sequence[1])
    return sequence
