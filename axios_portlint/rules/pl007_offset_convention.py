"""## What it does
Reports a service whose Tailscale port is not its local port + 363, when
following the convention was possible: local port + 363 lies inside a
Tailscale range of the registry (or, with no Tailscale ranges declared, always).

## Why is this bad?
The registry's offset convention (8080 -> 8443, 8081 -> 8444, ...) lets people
find a service's HTTPS port without looking it up. It applies "where
practical", so upstream defaults such as 11434 are never reported.

## Example
```nix
options.pim.port = lib.mkOption { type = lib.types.port; default = 8080; };
options.pim.tailscaleServe.httpsPort = lib.mkOption { type = lib.types.port; default = 8444; };
```

## How to fix
Derive the Tailscale port from the local one (`default = cfg.port + 363;`),
or record in the registry why this service deviates.
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import TAILSCALE_OFFSET, Finding, Kind, Origin, Severity, ValueState
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    tailscale_ranges = context.ranges(Kind.TAILSCALE)
    for _namespace, decls in sorted(context.graph.services.items()):
        known = [
            d
            for d in decls
            if d.state is ValueState.KNOWN
            and d.port is not None
            and d.origin is not Origin.TAILSCALE_SERVICE  # named services sit on 443
        ]
        locals_ = [d for d in known if d.kind is Kind.LOCAL]
        for tailscale in (d for d in known if d.kind is Kind.TAILSCALE):
            for local in locals_:
                assert local.port is not None
                expected = local.port + TAILSCALE_OFFSET
                if tailscale.port == expected:
                    continue
                if tailscale_ranges and not any(expected in r for r in tailscale_ranges):
                    continue
                yield RULE.finding(
                    tailscale.location,
                    f"{tailscale.option} is {tailscale.port}; the convention gives "
                    f"{local.option} + {TAILSCALE_OFFSET} = {expected}",
                    option=tailscale.option,
                    port=tailscale.port,
                    related=[local.location],
                )


RULE = Rule(
    code="PL007",
    name="offset-convention",
    severity=Severity.INFO,
    summary="Tailscale port is not local port + 363 where that was practical",
    check=check,
)
