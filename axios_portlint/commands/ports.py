"""`portlint ports`: every port declaration of the tree, as a table or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from axios_portlint.commands import Outcome
from axios_portlint.commands.formats import ListingFormat
from axios_portlint.commands.options import Options, named_paths
from axios_portlint.narrow import within

if TYPE_CHECKING:
    from axios_portlint.api import Inventory, Named


def scan_tree(options: Options, named: Named | None = None) -> Inventory:
    """Discover, parse and extract the tree the options name; the registry is not read.

    `named` paths are read with the tree (a file named is read whatever the excludes say).
    """
    from axios_portlint.api import scan

    return scan(
        options.paths,
        excludes=options.excludes,
        cwd=options.root,
        listeners=options.listeners,
        cache_dir=options.cache_dir,
        also=() if named is None else named.inputs,
    )


def ports(options: Options, output_format: ListingFormat = ListingFormat.TABLE) -> Outcome:
    """The declarations located in the named paths, resolved with the whole tree.

    A port read from another file's option (a default, `cfg.port`) is only
    known in view of that file, so the tree is scanned whole and then narrowed.
    """
    from axios_portlint import report

    named = named_paths(options)
    decls = scan_tree(options, named).decls
    if named is not None:
        inside = within(named.targets)
        decls = tuple(decl for decl in decls if inside(decl.location.file))
    if output_format is ListingFormat.JSON:
        return Outcome(report.ports_json(decls))
    return Outcome(report.ports_table(decls))
