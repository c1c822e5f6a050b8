"""What an option path says by itself: its kind, and the marks of a path not placed.

Free of tree-sitter on purpose: the link pass re-places submodule files on every
run, also a fully warm one that parses nothing (extract/__init__.py).
"""

from __future__ import annotations

from axios_portlint.model import TAILSCALE_SUFFIX, Kind

UNPLACED = "<unplaced>"
# The reason of an option set that is the file's whole value (`{ jive.port = mkOption
# ...; }`): the file that imports it (`options = import ./settings.nix args;`) places it.
AT_FILE_TOP = "the file's value is an option set: it is placed where a file imports it"
TAILSCALE_SERVICES = ("networking", "tailscale", "services")


def classify(path: tuple[str, ...]) -> Kind:
    if path[-len(TAILSCALE_SUFFIX) :] == TAILSCALE_SUFFIX:
        return Kind.TAILSCALE
    if path[-5:-2] == TAILSCALE_SERVICES and path[-1] == "port":
        return Kind.TAILSCALE  # networking.tailscale.services.<name>.port
    if path and path[-1] == "port":
        return Kind.LOCAL
    return Kind.OTHER
