"""Which attribute names name a port: the one definition extraction uses everywhere.

A name is a port name when it is `port` or ends in one of `SUFFIXES`:

- `Port`: camelCase, the NixOS option convention (`httpPort`, `listenPort`);
- `-port`: freeform settings spelled as the service's own config file spells
  them (transmission's `rpc-port`, coturn's `listening-port`);
- `_port`: snake_case settings, the same thing for ini/toml/yaml services
  (grafana's `settings.server.http_port`, home-assistant's `server_port`,
  `listen_port`). They name ports exactly as `httpPort` does; a config section
  that sets one must be seen, or a default it overrides is taken for the value,
  and a fallback `cfg.http_port or 3000` would go unchecked;
- `_PORT`: environment-style settings (Funkwhale's `FUNKWHALE_API_PORT`,
  Bonfire's `SERVER_PORT`, forgejo's `HTTP_PORT`).

Matching is case-sensitive: `support`, `transport` and `passport` are no port
names. Every byte pre-filter that skips files mentioning no port name
(`declarations.may_hold_port`, `configside.WORTH_A_LOOK`) looks for `port`,
`Port` and `PORT`; extend them with `SUFFIXES`.

A port name says nothing about being a listener: which port names are listeners
is the listener model's question (extract/listeners.py), not this predicate's.
"""

from __future__ import annotations

import re
from functools import cache

PORT = "port"
SUFFIXES = ("Port", "-port", "_port", "_PORT")
# The words of a name: `smtpRelayPort` -> smtp, Relay, Port; `SMTPPort` -> SMTP, Port.
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def port_named(name: str) -> bool:
    return name == PORT or name.endswith(SUFFIXES)


# Names repeat across options and files (`services`, `port`, `settings`): their words
# are read once per name in a run, not once per option (the regexes were most of the
# listener model's time).
@cache
def name_words(name: str) -> tuple[str, ...]:
    """The lower-case words of an attribute name, however it is spelled."""
    return tuple(word.lower() for word in _WORD.findall(name))


@cache
def prefix_words(name: str) -> tuple[str, ...]:
    """The words a port name puts before its port suffix: `redisPort` -> ("redis",)."""
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name_words(name[: -len(suffix)])
    return ()
