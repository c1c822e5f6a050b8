"""Files whose options live inside a submodule: the file that names them decides where.

A module file is placed at the root of the option tree unless another file uses
it as a submodule. This pass finds, in the file that references it, each such use
and the option path the submodule sits at:

- `types.submodule ./peer.nix`, `types.submodule (import ./peer.nix args)`;
- `types.submoduleWith { modules = [ ./exporter.nix ]; }`;
- `imports = [ ./cert-options.nix ];` in an inline submodule module;
- `options = import ./settings.nix args;` (the file is the option set itself).

The path comes from the same climb as every option's (placement.py); a use it
cannot place, or a path built by interpolation, is no use at all: that file's
options stay where they are, and the link pass re-places only what is certain.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Final

from tree_sitter import Node

from axios_portlint.extract.placement import placements
from axios_portlint.extract.scope import (
    Folder,
    apply_chain,
    bound_expression,
    call_of,
    head_name,
    peel_parens,
    spelled_names,
)
from axios_portlint.model import SubmoduleUse, join_option_path
from axios_portlint.parse import ParsedFile

# The functions whose calls name other files' options, as spelled in the bytes.
CALLED: Final = (b"submoduleWith", b"submodule", b"import")
# Inline modules inside a submodule nest rarely more than once; deeper is not followed.
MAX_NESTING = 8


def submodule_uses(parsed: ParsedFile) -> tuple[SubmoduleUse, ...]:
    """Every other file this one places inside a submodule, with the submodule's path."""
    data = parsed.source.data
    if b"./" not in data:
        return ()  # every use names a file by a relative path literal
    folder = Folder(parsed.root, lambda _path: None)
    uses: dict[SubmoduleUse, None] = {}
    in_submodules: set[int] = set()  # the `import` calls a submodule's module list holds
    calls = list(_calls(parsed))
    for call in calls:
        head, args = apply_chain(call)
        name = head_name(head)
        if name not in ("submodule", "submoduleWith") or len(args) != 1:
            continue
        files = [found for module in _modules(name, args[0]) for found in _paths(module)]
        in_submodules.update(node.id for _path, node in files)
        if not files:
            continue
        for placement in placements(parsed, folder, call, as_type=True):
            if placement.placed and not placement.conditional:
                prefix = join_option_path(placement.path)
                for path, _node in files:
                    uses[SubmoduleUse(_target(parsed, path), prefix)] = None
    for call in calls:
        head, args = apply_chain(call)
        if head_name(head) != "import" or call.id in in_submodules:
            continue
        imported = _literal_path(peel_parens(args[0])) if args else None
        if imported is None:
            continue
        for placement in placements(parsed, folder, call):
            if placement.placed and placement.path and not placement.conditional:
                prefix = join_option_path(placement.path)
                uses[SubmoduleUse(_target(parsed, imported), prefix, options_only=True)] = None
    for path, _node in _top_imports(parsed):
        # An imported file sits where its importer does: under a submodule, if the
        # importer is a submodule file (the link pass decides).
        uses[SubmoduleUse(_target(parsed, path), "")] = None
    return tuple(uses)


def _top_imports(parsed: ParsedFile) -> Iterator[tuple[str, Node]]:
    """The files of the module's own `imports` list (past its function, let and with)."""
    node = parsed.root.child_by_field_name("expression")
    while node is not None:
        node = peel_parens(node)
        if node.type not in ("function_expression", "let_expression", "with_expression"):
            break
        node = node.child_by_field_name("body")
    if node is not None and node.type in ("attrset_expression", "rec_attrset_expression"):
        for element in _listed(node, "imports"):
            yield from _paths(element, MAX_NESTING)


def _calls(parsed: ParsedFile) -> Iterator[Node]:
    """Each call of `submodule`, `submoduleWith` or `import`, found from its spelling in
    the bytes (a tree query costs more than the rest of extraction on a large tree)."""
    seen: set[int] = set()
    for word in CALLED:
        for name in spelled_names(parsed.root, parsed.source.data, word):
            call = call_of(name)
            if call is not None and call.id not in seen:
                seen.add(call.id)
                yield _outermost(call)


def _outermost(call: Node) -> Node:
    """`import ./x.nix args` as a whole: the query matches its first application."""
    while call.parent is not None and call.parent.type == "apply_expression":
        if call != call.parent.child_by_field_name("function"):
            break
        call = call.parent
    return call


def _modules(name: str, argument: Node) -> Iterator[Node]:
    """The modules a submodule type is made of."""
    if name == "submodule":
        yield argument
        return
    argument = peel_parens(argument)
    if argument.type not in ("attrset_expression", "rec_attrset_expression"):
        return
    yield from _listed(argument, "modules")


def _paths(module: Node, depth: int = 0) -> Iterator[tuple[str, Node]]:
    """The files a module element names: itself a path, an import, or inline imports."""
    module = peel_parens(module)
    if module.type == "path_expression":
        text = _literal_path(module)
        if text is not None:
            yield text, module
        return
    if module.type == "apply_expression":
        head, args = apply_chain(module)
        literal = _literal_path(peel_parens(args[0])) if args else None
        if head_name(head) == "import" and literal is not None:
            yield literal, module
        return
    if depth >= MAX_NESTING:
        return
    while module.type == "function_expression":  # `{ lib, ... }: { imports = ...; }`
        body = module.child_by_field_name("body")
        if body is None:
            return
        module = peel_parens(body)
    if module.type not in ("attrset_expression", "rec_attrset_expression"):
        return
    for element in _listed(module, "imports"):
        yield from _paths(element, depth + 1)


def _listed(attrset: Node, name: str) -> Iterator[Node]:
    """The elements of `name = [ ... ];` in an attribute set."""
    for listing in _bound(attrset, name):
        listing = peel_parens(listing)
        if listing.type == "list_expression":
            yield from listing.named_children


def _bound(attrset: Node, name: str) -> Iterator[Node]:
    binding_set = next((c for c in attrset.named_children if c.type == "binding_set"), None)
    for child in binding_set.named_children if binding_set is not None else []:
        if child.type == "binding":
            expression = bound_expression(child, name)
            if expression is not None:
                yield expression


def _literal_path(node: Node) -> str | None:
    """`./peer.nix`, `../options.nix`: a relative path without interpolation."""
    if node.type != "path_expression" or node.text is None:
        return None
    if any(child.type != "path_fragment" for child in node.named_children):
        return None
    text = node.text.decode()
    return text if text.startswith(("./", "../")) else None


def _target(parsed: ParsedFile, text: str) -> str:
    here = posixpath.dirname(parsed.source.path)
    return posixpath.normpath(posixpath.join(here, text))
