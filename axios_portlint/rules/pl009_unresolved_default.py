"""## What it does
Reports a port-typed option whose default cannot be known without evaluating
Nix (it reads `pkgs`, calls a function, depends on `config` declared
elsewhere, ...), or whose place in the option tree cannot be told statically.
The finding shows the expression and why it could not be folded.

## Why is this bad?
portlint never guesses: a port it cannot see is a port it cannot check for
collisions or against the registry. Saying so keeps the blind spot visible.

## Example
```nix
options.services.ai.local.port = lib.mkOption {
  type = lib.types.port;
  default = if config.services.ai.local.gpu then 11434 else 11435;
};
```

## How to fix
Use a literal, a `let`-bound constant, simple arithmetic or a reference to
another option declared in the same file. If the value genuinely depends on
configuration, keep it and suppress this finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from axios_portlint.model import Finding, Origin, PortDecl, Severity, ValueState, one_line
from axios_portlint.rules.base import Context, Rule


def check(context: Context) -> Iterator[Finding]:
    aliases = {id(d) for d in context.graph.aliases}
    for decl in context.decls:
        if id(decl) in aliases:
            continue  # it reads an option whose own declaration is reported
        if not decl.placed:
            yield RULE.finding(
                decl.location,
                f"port option cannot be placed in the option tree statically ({decl.reason})",
                option=decl.option,
            )
        elif decl.state is ValueState.UNRESOLVED:
            yield RULE.finding(
                decl.location,
                f"{_what(decl)} cannot be resolved statically: "
                f"`{one_line(decl.expression)}` ({decl.reason})",
                option=decl.option,
            )


def _what(decl: PortDecl) -> str:
    if decl.origin in (Origin.OPTION, Origin.OPTION_BY_NAME):
        return f"default of {decl.option}"
    return f"{decl.origin} port {decl.option}"


RULE = Rule(
    code="PL009",
    name="unresolved-default",
    severity=Severity.INFO,
    summary="A port default cannot be resolved statically",
    check=check,
)
