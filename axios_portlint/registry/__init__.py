"""The port registry (ports.md): allocation tables and the port ranges summary.

A malformed registry is reported as RegistryProblems on the returned Registry;
only a registry that cannot be read as text at all raises RegistryError.
"""

from __future__ import annotations

import codecs
import dataclasses
import os
import pathlib

from axios_portlint.model import Registry
from axios_portlint.registry.build import NO_ALLOCATION_TABLE, build_registry
from axios_portlint.registry.cells import parse_port_cell
from axios_portlint.registry.references import cross_references
from axios_portlint.registry.tables import read_tables

__all__ = [
    "NO_ALLOCATION_TABLE",
    "RegistryError",
    "load_registry",
    "parse_port_cell",
    "parse_registry",
]


class RegistryError(Exception):
    """The registry file cannot be turned into text: missing, unreadable, not UTF-8."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {message}")


def load_registry(path: pathlib.Path, display_path: str) -> Registry:
    return registry_from_text(read_registry_text(path, display_path), path, display_path)


def registry_from_text(text: str, path: pathlib.Path, display_path: str) -> Registry:
    registry = parse_registry(text, display_path)
    # Links are relative to the registry's own folder, which only the real path knows.
    return dataclasses.replace(registry, references=cross_references(text, path.parent))


def read_registry_text(path: pathlib.Path, display_path: str) -> str:
    """The registry's text, read once; anything but a regular file is refused up front."""
    return _read_text(path, display_path)


def parse_registry(text: str, display_path: str) -> Registry:
    return build_registry(read_tables(text), display_path)


def _read_text(path: pathlib.Path, display_path: str) -> str:
    try:
        if path.is_dir():
            raise IsADirectoryError(path)
        data = _read_once(path)
    except FileNotFoundError:
        raise RegistryError(display_path, "registry file not found") from None
    except IsADirectoryError:
        raise RegistryError(display_path, "registry path is a directory, not a file") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise RegistryError(display_path, f"cannot read registry file: {reason}") from exc
    return _decode(data, display_path)


def _read_once(path: pathlib.Path) -> bytes:
    """All of a file or a pipe (`--registry <(git show main:ports.md)`), read once.

    Opened without blocking, so a named FIFO nobody writes to cannot hang the
    run; then read blocking, so a pipe whose writer is still starting is waited
    for, and one without any writer reads as empty.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        os.set_blocking(descriptor, True)
        chunks = []
        while chunk := os.read(descriptor, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _decode(data: bytes, display_path: str) -> str:
    # Editors on Windows like to prepend a BOM; it is not part of the first heading.
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"registry file is not valid UTF-8 (byte 0x{data[exc.start]:02x})"
        raise RegistryError(display_path, message, line) from None
