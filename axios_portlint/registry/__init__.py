"""The port registry (ports.md): allocation tables and the port ranges summary.

The reader only: `read_registry` reads the file once and keeps everything a
later stage needs from it (the byte-exact lines, the tables with their source
spans, the Registry they make), so nothing reads or parses it a second time.
A malformed registry is reported as RegistryProblems on the Registry; only a
registry that cannot be read as text at all raises RegistryError.
"""

from __future__ import annotations

import codecs
import dataclasses
import os
import pathlib
from dataclasses import dataclass

from axios_portlint.model import Registry
from axios_portlint.registry.build import NO_ALLOCATION_TABLE, build_registry
from axios_portlint.registry.cells import parse_port_cell
from axios_portlint.registry.document import Document
from axios_portlint.registry.references import cross_references
from axios_portlint.registry.tables import Table, read_tables

__all__ = [
    "NO_ALLOCATION_TABLE",
    "Document",
    "RegistryError",
    "RegistrySource",
    "parse_port_cell",
    "parse_registry",
    "read_registry",
]


class RegistryError(Exception):
    """The registry file cannot be turned into text: missing, unreadable, not UTF-8."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class RegistrySource:
    """The registry as read once: its file, its lines byte for byte, its tables, its meaning."""

    path: pathlib.Path  # the file, as given (a pipe can be read only once: never again)
    display: str  # its path as messages show it
    document: Document  # every line with its own ending, and the byte order mark
    tables: tuple[Table, ...]  # every table, with the source span of each cell
    registry: Registry

    @property
    def text(self) -> str:
        return self.document.text


def read_registry(path: pathlib.Path, display_path: str) -> RegistrySource:
    """Read, decode and parse the registry file, once."""
    data = _read_bytes(path, display_path)
    _decode(data, display_path)  # a registry that is not UTF-8 is refused with its line
    document = Document.from_bytes(data)
    tables = tuple(read_tables(document.text))
    registry = build_registry(tables, display_path)
    # Links are relative to the registry's own folder, which only the real path knows.
    registry = dataclasses.replace(
        registry, references=cross_references(document.text, path.parent)
    )
    return RegistrySource(path, display_path, document, tables, registry)


def parse_registry(text: str, display_path: str) -> Registry:
    """The Registry a text describes (no file: cross-references are not resolved)."""
    return build_registry(read_tables(text), display_path)


def _read_bytes(path: pathlib.Path, display_path: str) -> bytes:
    """The file's bytes; anything but a regular file or a pipe is refused up front."""
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
    return data


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
