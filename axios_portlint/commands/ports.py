"""`portlint ports`: every port declaration of the tree, as a table or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from axios_portlint.commands import Outcome
from axios_portlint.commands.formats import ListingFormat
from axios_portlint.commands.options import Options

if TYPE_CHECKING:
    from axios_portlint.api import Inventory


def scan_tree(options: Options) -> Inventory:
    """Discover, parse and extract the tree the options name; the registry is not read."""
    from axios_portlint.api import scan

    return scan(
        options.paths,
        excludes=options.excludes,
        cwd=options.root,
        listeners=options.listeners,
        cache_dir=options.cache_dir,
    )


def ports(options: Options, output_format: ListingFormat = ListingFormat.TABLE) -> Outcome:
    from axios_portlint import report

    decls = scan_tree(options).decls
    if output_format is ListingFormat.JSON:
        return Outcome(report.ports_json(decls))
    return Outcome(report.ports_table(decls))
