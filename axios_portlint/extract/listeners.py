"""The listener model: is a port option a listener, a client, or unknown, and why.

Extraction gathers the evidence around each port option (its path, its
description, its sibling options, what its default reads) into an `Evidence`;
`decide` weighs it. The rules run in the order docs/listeners.md gives them
("Evidence rules"); the first that decides, decides, and WHY names it, followed
by the later evidence that agrees:

2. the default reads another option's port: a client pointing at that server;
3. a client word on the path after the service's name (`smtp`, `db`, `redis`,
   `upstream`, `public`, ...) or before the port suffix (`redisPort`): a client;
4. a sibling `host`/`address`/`server`/`ip` that is not a local or wildcard
   address (or has no default, or defaults to null): the port is another server's;
5. the description: "connect to", "public URL" (client) or "listen", "bind",
   "serve ... on" (listener); both at once: unknown;
6. the name: a port name (`port`, `*Port`, `*_port`, ...) is a listener; under
   `programs.*` (a user's program, no daemon) it is unknown unless rule 5 said
   "listen".

Rule 1, a project's own patterns in portlint.toml, is applied over these by
config/listeners.py. Nothing here reads a syntax tree: the same evidence could
come from any front end, and the rules are tested on plain values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from axios_portlint.extract.portnames import name_words, port_named, prefix_words
from axios_portlint.model import Kind, Role

# Words that name something a service talks to rather than itself.
CLIENT_WORDS = frozenset(
    {"smtp", "smtps", "imap", "imaps", "pop3", "email", "mail", "relay", "ldap", "ldaps"}
    | {"database", "db", "postgres", "postgresql", "mysql", "mariadb", "mongo", "mongodb"}
    | {"redis", "memcached", "couchdb", "upstream", "remote", "peer", "peers", "endpoint"}
    | {"public", "external", "backend", "influxdb", "influx"}
)
# Client words that, before a port suffix, name this daemon's own socket: `peerPort` is
# where peers reach it (rqbit's `peerPort`, transmission's `peer-port`), though a `peers`
# attribute holds other machines' ports.
OWN_PREFIX_WORDS = frozenset({"peer", "peers"})
# Client words that name a server protocol: a service whose name ends in one serves it
# (badele's and selfhostblocks' lldap: `services.lldap.settings.ldap_port`, `ldapPort`).
# Not `db` or `mail`: nocodb's `db.port` and snappymail's mail settings are clients.
SERVER_PROTOCOLS = frozenset(
    {"ldap", "ldaps", "smtp", "smtps", "imap", "imaps", "redis", "memcached", "couchdb"}
    | {"mongodb", "postgresql", "postgres", "mysql", "mariadb", "influxdb"}
)
# Path segments after which the next one names a listener of its own, not a peer:
# `services.prometheus.exporters.postgres.port` is the postgres exporter's port.
OWN_NAME_AFTER = frozenset({"exporters", "servers", "instances"})
# Siblings that say where the port is: on another machine unless local. Not `hostname`:
# in real trees it is the service's own public name (lemmy's `settings.hostname`).
ADDRESS_SIBLINGS = frozenset({"host", "address", "server", "ip", "endpoint"})
# An attribute set of ports: each of its options is a port, whatever its name (`ports.http`).
PORT_SETS = frozenset({"ports"})
# Siblings that say where this host binds: listener evidence.
LISTEN_SIBLINGS = frozenset(
    {"listen", "listenaddress", "listenhost", "listenip", "bind", "bindaddress", "bindhost"}
)
# Roots whose options configure programs a user runs, not daemons: their ports are
# usually the servers they talk to (home-manager's `programs.tmate.port`).
PROGRAM_ROOTS = frozenset({"programs"})
LOCAL_ADDRESSES = frozenset(
    {"127.0.0.1", "::1", "[::1]", "localhost", "0.0.0.0", "::", "[::]", "any", "*", ""}
)
LISTEN_PHRASE = re.compile(
    r"\b(?:will\s+)?(?:listen(?:s|ing)?|binds?|bound)\b(?:\s+(?:on|to|at|for))?"
    r"|\bserve[sd]?\s+[\w-]+\s+on\b",
    re.IGNORECASE,
)
CLIENT_PHRASE = re.compile(
    r"\bconnect(?:s|ed|ing)?\s+to\b|\b(?:public|external)\s+url\b|\bof\s+the\s+relay\b"
    r"|\bforwards?\s+(?:incoming\s+)?(?:connections|requests|traffic)\s+to\b",
    re.IGNORECASE,
)
# A sibling address that says it is the host serving the service is its own public name,
# not a remote server: pinpox's `pinpox.services.opencloud.host = "cloud.pablo.tools"`,
# "Host serving OpenCloud". Only as the description's subject: "Hostname of the server
# serving the API" names another machine.
SERVING_PHRASE = re.compile(
    r"^\W*(?:the\s+)?(?:public\s+)?(?:host(?:name)?|domain|fqdn)\s+(?:that\s+)?serv(?:es|ing)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Sibling:
    """An option or value beside the port in the same attribute set."""

    name: str
    value: str | None  # the string it holds or defaults to; None when not a known string
    has_default: bool = True  # False: an option without a default, or defaulting to null
    description: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the code says around one port option."""

    path: tuple[str, ...]
    config_side: bool = False  # a value set in config (`services.x.port = 8080;`)
    description: str = ""
    reads: str | None = None  # the option its default reads, when it only reads one
    siblings: tuple[Sibling, ...] = ()
    type_note: str = ""  # how the type made it a port option: "type `int`", "untyped"


def decide(evidence: Evidence) -> tuple[Role, str]:
    """The role of a port option and the evidence that decided it, as WHY shows it."""
    path = evidence.path
    name = path[-1] if path else ""
    if evidence.reads is not None and not evidence.config_side:
        return _reads(evidence, name)
    client = _client_words(path)
    listen_sibling = _listen_sibling(evidence.siblings)
    remote = _remote_sibling(evidence.siblings)
    phrase = _phrase(evidence.description)
    if client:
        extra = [f"sibling {remote}"] if remote else []
        if phrase is not None and phrase[0] is Role.CLIENT:
            extra.append(f'description "{phrase[1]}"')
        if listen_sibling:
            return Role.UNKNOWN, "; ".join([client, f"but sibling {listen_sibling}"])
        return Role.CLIENT, "; ".join([client, *extra])
    if remote and not listen_sibling:
        extra = [f'description "{phrase[1]}"'] if phrase and phrase[0] is Role.CLIENT else []
        return Role.CLIENT, "; ".join([f"sibling {remote}", *extra])
    if phrase is not None and phrase[0] is not Role.LISTENER:
        return phrase[0], f'description "{phrase[1]}"'
    own = _own_name(evidence, name)
    if own is None:
        return Role.UNKNOWN, f"name `{name}` is no port name" if name else "no option path"
    if phrase is not None:
        return Role.LISTENER, f'{own}; description "{phrase[1]}"'
    if path[0] in PROGRAM_ROOTS and not evidence.config_side:
        return Role.UNKNOWN, f'{own} under `{path[0]}` (a user\'s program), no "listen"'
    return Role.LISTENER, own


def kind_of(role: Role, kind: Kind) -> Kind:
    """The registry kind a verdict leaves: only a listener has a port to allocate."""
    if kind is Kind.FIREWALL or (kind.is_listener and role is Role.LISTENER):
        return kind
    return Kind.LOCAL if role is Role.LISTENER else Kind.OTHER


def _reads(evidence: Evidence, name: str) -> tuple[Role, str]:
    target = evidence.reads or ""
    if _service(target) == _service(".".join(evidence.path)):
        # `tls.port` defaulting to `cfg.port`: one socket named twice, not a second one.
        return Role.UNKNOWN, f"default reads `{target}` (the same service's port)"
    return Role.CLIENT, f"default reads `{target}`"


def _service(option: str) -> tuple[str, ...]:
    return tuple(option.split(".")[:2])


def _client_words(path: tuple[str, ...]) -> str:
    """`enclosing attribute smtp` or `name redisPort (...)`; "" when no client word."""
    inner = path[2:-1]  # past the root and the service's own name, before the option's
    service = path[1] if len(path) > 1 else ""
    words = CLIENT_WORDS - _own_words(service)
    for index in reversed(range(len(inner))):  # the innermost word names what is reached
        segment = inner[index]
        if index > 0 and inner[index - 1] in OWN_NAME_AFTER:
            continue
        if segment in ("<name>", "*"):
            continue
        if words.intersection(name_words(segment)):
            return f"enclosing attribute `{segment}`"
        if _names_the_server(segment, service):
            return f"enclosing attribute `{segment}` (a server named in `{service}`)"
    name = path[-1] if path else ""
    if port_named(name) and (words - OWN_PREFIX_WORDS).intersection(prefix_words(name)):
        return f"name `{name}` (a client word before the port suffix)"
    return ""


@cache  # pure, on names that repeat: see portnames.name_words
def _own_words(service: str) -> frozenset[str]:
    """Server protocols the service's own name ends in: lldap's `ldap_port` is its own."""
    name = _normal(service)
    return frozenset(word for word in SERVER_PROTOCOLS if name.endswith(word))


def _names_the_server(segment: str, service: str) -> bool:
    """`services.mpd-mpris.mpd.port`: a bridge's section named after the server it drives."""
    return len(segment) >= 3 and segment != service and service.startswith(segment)


@cache
def _normal(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _remote_sibling(siblings: tuple[Sibling, ...]) -> str:
    for sibling in siblings:
        if _normal(sibling.name) not in ADDRESS_SIBLINGS:
            continue
        described = _phrase(sibling.description) if sibling.description else None
        if described is not None and described[0] is Role.LISTENER:
            continue  # "Address to bind to": this host's own address
        if SERVING_PHRASE.search(sibling.description):
            continue  # "Host serving OpenCloud": the service's own public name
        if not sibling.has_default:
            return f"`{sibling.name}` (no address by default)"
        if sibling.value is not None and not _local(sibling.value):
            return f'`{sibling.name} = "{sibling.value}"`'
    return ""


def _listen_sibling(siblings: tuple[Sibling, ...]) -> str:
    for sibling in siblings:
        if _normal(sibling.name) in LISTEN_SIBLINGS:
            return f"`{sibling.name}`"
    return ""


def _local(address: str) -> bool:
    address = address.strip()
    # A Unix socket path is on this machine; 127.0.0.0/8 is loopback.
    return address.lower() in LOCAL_ADDRESSES or address.startswith(("127.", "/"))


def _phrase(description: str) -> tuple[Role, str] | None:
    """What the description says: the role and the phrase that says it."""
    if not description:
        return None
    client = CLIENT_PHRASE.search(description)
    listener = LISTEN_PHRASE.search(description)
    if client and listener:
        return Role.UNKNOWN, f'{client.group(0)}" and "{listener.group(0)}'
    if client:
        return Role.CLIENT, " ".join(client.group(0).split())
    if listener:
        return Role.LISTENER, " ".join(listener.group(0).split())
    return None


def _own_name(evidence: Evidence, name: str) -> str | None:
    """Rule 6: the port name as WHY shows it; None when the name is no port name."""
    if evidence.config_side:
        service = ".".join(evidence.path[:2])
        return f"set on `{service}` (name `{name}`)"
    if not port_named(name):
        parent = evidence.path[-2] if len(evidence.path) > 1 else ""
        return f"name `{name}` in `{parent}`" if parent in PORT_SETS else None
    note = f" ({evidence.type_note})" if evidence.type_note else ""
    return f"name `{name}`{note}"
