"""Display paths: what users see and what every later stage keys findings on."""

from __future__ import annotations

import os
from pathlib import Path


class DisplayPaths:
    """Turns absolute paths into display paths relative to a working directory."""

    __slots__ = ("_bases",)

    def __init__(self, cwd: Path) -> None:
        lexical = os.path.normpath(cwd.absolute())
        real = os.path.realpath(lexical)
        # The real form too, so a caller's resolve()d inputs still display relative.
        self._bases = (lexical,) if real == lexical else (lexical, real)

    def of(self, absolute: str) -> str:
        path = os.path.normpath(absolute)
        for base in self._bases:
            if path == base:
                return "."
            prefix = base if base.endswith(os.sep) else base + os.sep
            if path.startswith(prefix):
                return printable(path[len(prefix) :])
        return printable(path)


def child(parent_display: str, rel: str) -> str:
    """The display path of `rel` below a walked root whose display path is known."""
    return printable(rel) if parent_display == "." else f"{parent_display}/{printable(rel)}"


def printable(path: str) -> str:
    """Posix separators, and undecodable file-name bytes shown as `\\xNN`.

    os.scandir hands back undecodable bytes as lone surrogates, which would
    raise UnicodeEncodeError much later, when a report is printed.
    """
    if os.sep != "/":
        path = path.replace(os.sep, "/")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def display_path(path: Path, cwd: Path) -> str:
    """How messages show any path a user named (a file, the registry, a settings file).

    The same display as discovered sources get: relative to `cwd` when below it
    (through a symlinked `cwd` too), else absolute; always with `/`.
    """
    absolute = path if path.is_absolute() else cwd / path
    return DisplayPaths(cwd).of(str(absolute))
