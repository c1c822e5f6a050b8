"""Run a tree-sitter query over a tree of any depth, in time linear in the tree.

tree-sitter's query cursor keeps the depth at which a match starts in 16 bits
(`QueryState.start_depth` in its query.c). In a tree deeper than 65,535 levels,
nothing below that depth is matched, and the cursor slows down sharply there: a
70,000-term `1 + 1 + ...` chain (Nix accepts it, a left-nested chain keeps its
parser's stack small) yields 65,534 of its 70,000 integers, in 6.6 s; 140,000
terms take minutes.

So a deep tree is queried in bands of `band` levels: from the root, and from each
node whose depth is a multiple of `band`, every time with a maximum start depth of
`band - 1`. Each match is found by exactly one band, the one its first node lies
in; its later nodes may lie in the next band, and the cursor follows them there.
No cursor goes much deeper than `band`, so none reaches the 16-bit limit.

A band's root is matched without its parent, so a pattern's first step must not
name a field or a supertype or follow an anchor; no query portlint runs does.

A tree of fewer than `band` nodes is fewer than `band` levels deep: nearly every
file takes one plain pass, the check costing one O(1) `descendant_count`. A
larger tree no deeper than a band takes one plain pass too, after a walk that
looks only at the children of nodes with enough descendants to reach it.
"""

from __future__ import annotations

from tree_sitter import Node, Query, QueryCursor

__all__ = ["BAND", "query_captures", "query_matches"]

# Levels per band: far enough below 65,535 for any pattern's depth under its first node.
BAND = 60_000

Match = tuple[int, dict[str, list[Node]]]


def query_captures(query: Query, root: Node, band: int = BAND) -> dict[str, list[Node]]:
    """`QueryCursor(query).captures(root)`, on a tree of any depth.

    The same nodes under each name; like tree-sitter's, each list is in no
    particular order.
    """
    band_roots = _band_roots(root, band)
    if len(band_roots) == 1:
        return QueryCursor(query).captures(root)
    cursor = _band_cursor(query, band)
    merged: dict[str, dict[Node, None]] = {}
    for band_root in band_roots:
        for name, nodes in cursor.captures(band_root).items():
            merged.setdefault(name, {}).update(dict.fromkeys(nodes))
    return {name: list(nodes) for name, nodes in merged.items()}


def query_matches(query: Query, root: Node, band: int = BAND) -> list[Match]:
    """`QueryCursor(query).matches(root)`, on a tree of any depth.

    In tree-sitter's order: a match comes when its last node is reached, in a walk
    of the tree in document order (the bands' matches are merged by that node).
    """
    band_roots = _band_roots(root, band)
    if len(band_roots) == 1:
        return QueryCursor(query).matches(root)
    cursor = _band_cursor(query, band)
    found = [match for band_root in band_roots for match in cursor.matches(band_root)]
    # Stable: of two matches ending at one node, the one begun higher up comes first.
    return sorted(found, key=_last_node_order)


def _band_cursor(query: Query, band: int) -> QueryCursor:
    cursor = QueryCursor(query)
    cursor.set_max_start_depth(band - 1)
    return cursor


def _band_roots(root: Node, band: int) -> list[Node]:
    """The root and every node at a depth that is a multiple of `band`.

    A subtree of n nodes is at most n - 1 levels deep, so the walk enters only
    the subtrees that can still reach the next band: in a deep chain, its spine
    and the few nodes around each band's first level. A node's children are
    looked at in order until the ones left cannot reach it either: a
    left-nested chain's spine is its first child.
    """
    roots = [root]
    if root.descendant_count <= band:
        return roots
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth and depth % band == 0:
            roots.append(node)
        target = (depth // band + 1) * band
        # A child reaches the target with target - depth nodes or more; `left` counts
        # the nodes of the children not looked at yet.
        left = node.descendant_count - 1
        if left < target - depth:
            continue
        for child in node.children:
            count = child.descendant_count
            if count >= target - depth:
                stack.append((child, depth + 1))
            left -= count
            if left < target - depth:
                break
    return roots


def _last_node_order(match: Match) -> tuple[int, int, int]:
    """Where a match's last captured node comes in a walk of the tree in document order
    (every pattern portlint runs captures the node it ends on)."""
    last = max((node for nodes in match[1].values() for node in nodes), key=_document_order)
    return _document_order(last)


def _document_order(node: Node) -> tuple[int, int, int]:
    """An ancestor before its descendants (it spans more bytes, or as many and more
    nodes), a node before the nodes after it. Only an empty node (a MISSING token)
    ahead of a sibling that starts where it stands is put after that sibling."""
    return node.start_byte, -node.end_byte, -node.descendant_count
