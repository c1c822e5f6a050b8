"""Which attribute names name a port: the one definition extraction uses everywhere.

A name is a port name when it is `port` or ends in one of `SUFFIXES`:

- `Port`: camelCase, the NixOS option convention (`httpPort`, `listenPort`);
- `-port`: freeform settings spelled as the service's own config file spells
  them (transmission's `rpc-port`, coturn's `listening-port`);
- `_port`: snake_case settings, the same thing for ini/toml/yaml services
  (grafana's `settings.server.http_port`, home-assistant's `server_port`,
  `listen_port`). They name ports exactly as `httpPort` does; a config section
  that sets one must be seen, or a default it overrides is taken for the value,
  and a fallback `cfg.http_port or 3000` would go unchecked.

Matching is case-sensitive: `support`, `transport` and `passport` are no port
names. Upper-case `HTTP_PORT` (gitea and forgejo settings) is not matched: the
byte pre-filters that skip files mentioning no `port`/`Port` would have to learn
it first. Extend `SUFFIXES` (and those pre-filters) to widen the net.

A port name says nothing about being a listener: which port names are listeners
is the listener model's question, not this predicate's.
"""

from __future__ import annotations

PORT = "port"
SUFFIXES = ("Port", "-port", "_port")


def port_named(name: str) -> bool:
    return name == PORT or name.endswith(SUFFIXES)
