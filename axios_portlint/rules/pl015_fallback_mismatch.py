"""## What it does
Reports an `or` fallback for an option declared in the tree whose literal
differs from that option's default: `osConfig.services.mcp-gateway.port or 8086`
where the module declaring `services.mcp-gateway.port` defaults to 8085.

## Why is this bad?
The fallback is used when the option is absent (another host, a home-manager
config without the NixOS module). Two numbers for one listener means the two
setups talk to different ports.

## Example
```nix
# modules/ai/mcp-gateway.nix
options.services.mcp-gateway.port = lib.mkOption { type = lib.types.port; default = 8085; };
# modules/home/ai.nix
url = "http://127.0.0.1:${toString (osConfig.services.mcp-gateway.port or 8086)}";
```

## How to fix
Make the fallback the option's default. When the option comes from another
flake (not declared in the tree), the fallback stands in for it as the
service's local listener and is checked like any other port.
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import Finding, Origin, Severity, ValueState
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    for decl in context.decls:
        if decl.origin is not Origin.FALLBACK or decl.reads is None:
            continue
        target = context.graph.declared.get(decl.reads)
        if target is None or target.state is not ValueState.KNOWN:
            continue
        if decl.state is ValueState.KNOWN and decl.port != target.port:
            yield RULE.finding(
                decl.location,
                f"fallback {decl.port} for {decl.reads} differs from its default "
                f"{target.port} ({target.location.file}:{target.location.line})",
                option=decl.reads,
                port=decl.port,
                related=[target.location],
            )


RULE = Rule(
    code="PL015",
    name="fallback-mismatch",
    severity=Severity.WARNING,
    summary="An `or` fallback differs from the default of the option it reads",
    check=check,
)
