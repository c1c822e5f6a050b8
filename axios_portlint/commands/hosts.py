"""`portlint hosts`: each host of the tree and the listening ports active on it."""

from __future__ import annotations

from axios_portlint.commands import Outcome
from axios_portlint.commands.formats import ListingFormat
from axios_portlint.commands.options import Options


def hosts(options: Options, output_format: ListingFormat = ListingFormat.TABLE) -> Outcome:
    """The per-host port map: what PL001 compares on each host. The registry is not read."""
    from axios_portlint import report
    from axios_portlint.api import scan
    from axios_portlint.graph import PortGraph  # networkx: its listeners are PL001's
    from axios_portlint.graph.hosts import host_ports

    inventory = scan(
        options.paths,
        excludes=options.excludes,
        cwd=options.root,
        listeners=options.listeners,
        cache_dir=options.cache_dir,
        with_hosts=True,
        hosts=options.hosts,
    )
    assert inventory.hosts is not None  # asked for with `with_hosts`
    graph = PortGraph(inventory.decls, None)
    ports = host_ports(inventory.hosts, graph.listeners, inventory.decls)
    if output_format is ListingFormat.JSON:
        return Outcome(report.hosts_json(inventory.hosts, ports))
    return Outcome(report.hosts_table(inventory.hosts, ports))
