"""## What it does
Reports a listener port declared in code (a local `port` or a
`tailscaleServe.httpsPort` option) whose service has no row in the registry.

## Why is this bad?
The registry is how the team avoids collisions before they happen. A port
that exists only in code is invisible to the next person choosing a port.

## Example
```nix
# modules/services/grafana.nix declares a service that ports.md does not list
options.services.axios-grafana.port = lib.mkOption { type = lib.types.port; default = 8084; };
```

## How to fix
Add a row for the service to the allocation table of its category in
`ports.md`, with a Module column naming the option namespace
(`services.axios-grafana`).
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import Finding, Severity, ValueState
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    registry = context.registry
    if registry is None:
        return
    for namespace, decls in sorted(context.graph.services.items()):
        if context.graph.rows_of(namespace):
            continue
        for decl in decls:
            port = str(decl.port) if decl.state is ValueState.KNOWN else f"({decl.state})"
            yield RULE.finding(
                decl.location,
                f"{decl.kind} port {port} of {decl.option} has no row in {registry.path}",
                option=decl.option,
                port=decl.port,
            )


RULE = Rule(
    code="PL003",
    name="undocumented-port",
    severity=Severity.ERROR,
    summary="A listener port in code has no registry row",
    check=check,
    needs_registry=True,
)
