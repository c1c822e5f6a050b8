"""## What it does
Reports a host set whose hosts static reading cannot name (`nixosConfigurations =
lib.listToAttrs (map mkHost names)`, `lib.genAttrs names mkHost`, a folder
listing) when it leaves two listeners that set the same port unchecked.

Conflicts are per host (PL001). Two values a configuration *sets* to one port
(`services.grafana.settings.server.http_port = 3000;` and
`services.forgejo.settings.server.HTTP_PORT = 3000;`) clash only when both are
active on one machine. When they are written in modules no known host imports and
some host set cannot be read, portlint cannot tell whether they share a host, so
PL001 and PL002 do not report them; this finding says so, once per unread host
set, at the expression that makes the hosts, and lists the pairs it leaves
unchecked (its related locations). A pair goes to the host set whose `modules`
lists reach both files when one does. Option defaults in such modules are still
compared with each other by PL001, as for any module library. A tree with no
such pair gets no finding.

## Why is this bad?
A conflict between two services on one of those hosts goes unreported: portlint
cannot check what it cannot see, and says so rather than guess either way.

## Example
```nix
# modules/machines/nixos/default.nix
flake.nixosConfigurations = lib.listToAttrs (map (name: lib.nameValuePair name
  (nixpkgs.lib.nixosSystem { modules = [ ../../homelab ./${name}/configuration.nix ]; }))
  (builtins.attrNames (builtins.readDir ./.)));
# modules/homelab/grafana.nix: services.grafana.settings.server.http_port = 3000;
# modules/homelab/forgejo.nix: services.forgejo.settings.server.HTTP_PORT = 3000;
```

## How to fix
Name the hosts and their entry modules under `[hosts]` in portlint.toml
(docs/listeners.md, "`[hosts]` in portlint.toml"); PL001 then compares the
ports active on each host.

```toml
[hosts]
alison = ["modules/machines/nixos/alison/configuration.nix", "modules/homelab"]
spencer = ["modules/machines/nixos/spencer/configuration.nix", "modules/homelab"]
```
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from axios_portlint.model import LISTENER_KINDS, Finding, HostMap, Location, PortDecl, Severity
from axios_portlint.rules.base import Context, Rule
from axios_portlint.rules.conflicts import unread_host_pairs

# A finding spells out this many pairs, then how many more (all are related places).
PAIRS_NAMED = 3

# One unchecked pair: the port and its two claimants in reading order.
Unchecked = tuple[int, PortDecl, PortDecl]


def check(context: Context) -> Iterable[Finding]:
    if context.hosts is None or not context.hosts.unresolved:
        return
    by_set: dict[Location, list[Unchecked]] = {}
    for kind in LISTENER_KINDS:
        for port, (_label, decl, first) in unread_host_pairs(context, kind):
            one, two = sorted((decl, first), key=lambda d: d.location.sort_key())
            by_set.setdefault(_host_set_of(context.hosts, one, two), []).append((port, one, two))
    for where, pairs in by_set.items():
        yield _finding(where, pairs)


def _host_set_of(hosts: HostMap, one: PortDecl, two: PortDecl) -> Location:
    """The unread host set a pair belongs to: the first whose own modules lists reach
    both files, else either, else one that may import anything, else the first."""
    sets = [(p.location, _reach(hosts, p.location)) for p in hosts.unresolved]
    files = (one.location.file, two.location.file)
    for test in (all, any):
        for where, reach in sets:
            if reach is not None and test(path in reach for path in files):
                return where
    return next((where for where, reach in sets if reach is None), sets[0][0])


def _reach(hosts: HostMap, where: Location) -> frozenset[str] | None:
    return next((files for place, files in hosts.unread_files if place == where), None)


def _finding(where: Location, pairs: Sequence[Unchecked]) -> Finding:
    pairs = sorted(pairs, key=lambda p: (p[1].location.sort_key(), p[2].location.sort_key()))
    named = "; ".join(
        f"{port}: {one.option}, {two.option}" for port, one, two in pairs[:PAIRS_NAMED]
    )
    more = len(pairs) - PAIRS_NAMED
    named += f"; and {more} more" if more > 0 else ""
    count = f"1 pair of configured ports in modules no known host imports ({named}) is"
    if len(pairs) > 1:
        count = (
            f"{len(pairs)} pairs of configured ports in modules no known host imports ({named}) are"
        )
    return RULE.finding(
        where,
        f"hosts built here cannot be read statically: {count} not checked for conflicts; "
        "name the hosts under [hosts] in portlint.toml",
        related=[place for _port, one, two in pairs for place in (one.location, two.location)],
    )


RULE = Rule(
    code="PL018",
    name="hosts-not-read",
    severity=Severity.WARNING,
    summary="A host set static reading cannot name leaves same-port configured values unchecked",
    check=check,
)
