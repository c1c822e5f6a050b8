"""## What it does
Reports a port value outside 0-65535, the range of `types.port`
(`types.ints.u16`): an option default, a config-side port, a fallback or a
firewall entry that folds to 70000 or -1.

## Why is this bad?
Nix rejects the value as soon as the option is evaluated, so the module fails
on the first host that uses its default; until then the registry and the
conflict checks compare a number no service can ever bind.

## Example
```nix
options.services.axios-sync.port = lib.mkOption {
  type = lib.types.port;
  default = base + 60000; # base = 8080: 68080
};
```

## How to fix
Choose a port in the range of the service's category (`portlint suggest`).
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import PORTS, Finding, Severity, ValueState
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    for decl in context.decls:
        if decl.state is not ValueState.KNOWN or decl.port is None:
            continue
        for port in (decl.port, decl.end_port):
            if port is not None and port not in PORTS:
                yield RULE.finding(
                    decl.location,
                    f"{decl.option} is {port}, which is not a port ({PORTS[0]}-{PORTS[-1]})",
                    option=decl.option,
                    port=port,
                )


RULE = Rule(
    code="PL017",
    name="invalid-port",
    severity=Severity.ERROR,
    summary="A port value lies outside 0-65535",
    check=check,
)
