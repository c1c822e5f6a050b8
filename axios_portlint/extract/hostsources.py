"""Where hosts can come from, told from paths and bytes alone, without a parser.

`extract.hosts.find_hosts` reads hosts with tree-sitter; `may_name_hosts` lets a caller
skip it (and the parser's import) for a tree that cannot name one, so a warm check of a
module library still parses nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence

from axios_portlint.model import SourceFile

__all__ = [
    "CONFIGURATION_SETS",
    "HOST_ENTRIES",
    "HOST_FOLDERS",
    "TEST_MARKS",
    "folder_hosts",
    "may_name_hosts",
]

CONFIGURATION_SETS = ("nixosConfigurations", "darwinConfigurations")
HOST_FOLDERS = ("hosts", "machines")
HOST_ENTRIES = ("default.nix", "configuration.nix")
# A NixOS test, whose `nodes.<name>` are machines: bytes its file holds.
TEST_MARKS = (b"testScript", b"nodes")


def folder_hosts(paths: Sequence[str]) -> Iterator[tuple[str, str]]:
    """(name, entry file) for every `hosts/<name>/default.nix` (else `configuration.nix`)."""
    entries: dict[tuple[str, str], str] = {}
    for path in paths:
        parts = path.split("/")
        if len(parts) >= 3 and parts[-3] in HOST_FOLDERS and parts[-1] in HOST_ENTRIES:
            folder = "/".join(parts[:-1])
            previous = entries.get((folder, parts[-2]))
            if previous is None or parts[-1] == HOST_ENTRIES[0]:
                entries[(folder, parts[-2])] = path
    for (_folder, name), path in sorted(entries.items()):
        yield name, path


def may_name_hosts(
    sources: Sequence[SourceFile],
    configured: Mapping[str, Sequence[str]],
    configurations: Collection[str],
) -> bool:
    """False when `find_hosts` would find no host: nothing configured, no configuration
    file candidate, no host folder, no file naming a host set and no NixOS test."""
    if configured or configurations:
        return True
    if next(folder_hosts([source.path for source in sources]), None) is not None:
        return True
    names = [name.encode() for name in CONFIGURATION_SETS]
    return any(name in source.data for source in sources for name in names) or any(
        all(mark in source.data for mark in TEST_MARKS) for source in sources
    )
