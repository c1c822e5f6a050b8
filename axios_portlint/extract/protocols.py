"""Which transport a port is bound on, from what the code says: never a guess.

A port is a (number, protocol) pair: 53/udp and 53/tcp do not collide. The
evidence, strongest first:

1. the option's own name (`allowedUDPPorts`, `local_udp_port`, `quicPort`);
2. its description ("UDP port to listen on", "DNS server (UDP and TCP)");
3. an attribute on its path naming a UDP-only service (`wireguard`).

Without evidence the protocol is `unknown`, which collides with TCP and UDP
alike: a missed conflict is worse than a false alarm.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from axios_portlint.model import Protocol, split_option_path

# camelCase, snake_case, kebab-case and ALLCAPS runs as words: `allowedTCPPorts` is
# allowed/TCP/Ports, `local_udp_port` local/udp/port.
WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Words that name a transport, or a protocol that runs on a known one.
TRANSPORT_WORDS: Final = {
    "tcp": frozenset({"tcp"}),
    "udp": frozenset({"udp"}),
    "quic": frozenset({"udp"}),  # QUIC (HTTP/3) is UDP
    "dns": frozenset({"tcp", "udp"}),  # a DNS server answers on both
}
# Services that bind UDP only, named by an attribute on the option's path.
UDP_SERVICES: Final = frozenset({"wireguard"})


def words(text: str) -> list[str]:
    return [word.lower() for word in WORD.findall(text)]


def protocol_of(option: str, description: str = "") -> Protocol:
    """The protocol an option path (and its description, if any) says, else unknown."""
    parts = split_option_path(option)
    said = _said(words(parts[-1]) if parts else [])
    if said is None and description and _may_say_transport(description):
        said = _said(words(description))
    if said is None and any(part.lower() in UDP_SERVICES for part in parts):
        said = frozenset({"udp"})
    return _protocol(said)


def _may_say_transport(text: str) -> bool:
    """Whether any word of `text` can be a transport word: a long description mostly is
    not, and splitting it into words cost more than the rest of the protocol's reading.
    Words are ASCII runs, so a word that lowers to `tcp` leaves `tcp` in `text.lower()`."""
    lowered = text.lower()
    return any(word in lowered for word in TRANSPORT_WORDS)


def _said(found: Iterable[str]) -> frozenset[str] | None:
    transports: set[str] = set()
    for word in found:
        transports |= TRANSPORT_WORDS.get(word, frozenset())
    return frozenset(transports) or None


def _protocol(transports: frozenset[str] | None) -> Protocol:
    if transports is None:
        return Protocol.UNKNOWN
    if transports == {"tcp"}:
        return Protocol.TCP
    if transports == {"udp"}:
        return Protocol.UDP
    return Protocol.BOTH
