"""Where hosts can come from, told from paths and bytes alone, without a parser.

`extract.hosts.find_hosts` reads hosts with tree-sitter; `may_name_hosts` lets a caller
skip it (and the parser's import) for a tree that cannot name one, so a warm check of a
module library still parses nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence

__all__ = [
    "CONFIGURATION_SETS",
    "HOST_ENTRIES",
    "HOST_FOLDERS",
    "TEST_MARKS",
    "folder_hosts",
    "may_name_hosts",
    "names_hosts",
]

CONFIGURATION_SETS = ("nixosConfigurations", "darwinConfigurations")
HOST_FOLDERS = ("hosts", "machines")
HOST_ENTRIES = ("default.nix", "configuration.nix")
# A NixOS test, whose `nodes.<name>` are machines: bytes its file holds.
TEST_MARKS = (b"testScript", b"nodes")
SET_NAMES = tuple(name.encode() for name in CONFIGURATION_SETS)


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


def names_hosts(data: bytes) -> bool:
    """May a file with these bytes name hosts: a host set (`nixosConfigurations`, ...)
    or the nodes of a NixOS test. Kept beside a file's result (the cache's note), so a
    run need not read the file again to know."""
    return any(name in data for name in SET_NAMES) or all(mark in data for mark in TEST_MARKS)


def may_name_hosts(
    paths: Sequence[str],
    naming: bool,
    configured: Mapping[str, Sequence[str]],
    configurations: Collection[str],
) -> bool:
    """False when `find_hosts` would find no host: nothing configured, no configuration
    file candidate, no host folder among `paths`, and no file that `names_hosts`
    (`naming`: whether any does)."""
    if configured or configurations or naming:
        return True
    return next(folder_hosts(paths), None) is not None
