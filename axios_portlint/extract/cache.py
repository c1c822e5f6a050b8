"""A per-file cache of extraction results, keyed on content, never on mtime.

ruff keys on mtime, which misses on every fresh CI checkout; a content hash
does not. The file also holds a key of the code that made it (the bytes of
portlint's own modules and the grammar it parsed with), so a result made by any
other code, even an edited checkout of the same version, is never reused.

The cache lives in the work tree, so it is never trusted as found there: it is
plain JSON (a pickle planted in a pull request could run code when loaded), it
is signed with an HMAC whose key never leaves this machine's current boot (a
forged or copied cache, say one committed to hide a conflict, fails the check
and is ignored), and anything that does not decode exactly is a miss.

Layout, compact because a warm run reads all of it: the signature's hex digest,
a newline, then the JSON document exactly as signed. Most files declare no port,
and their entry is a bare 0.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import tree_sitter_nix

import axios_portlint
from axios_portlint import __version__
from axios_portlint.model import (
    FileResult,
    Location,
    SyntaxIssue,
    decl_from_dict,
    decl_to_dict,
)

CACHE_DIR = ".portlint_cache"
FORMAT = 3
FILE_NAME = "results.json"
# Random per boot and readable only on this machine: a signing key nobody can plant.
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
EMPTY = 0  # the entry of a file with no declaration, no syntax issue and no port setting


def _signing_key() -> bytes | None:
    try:
        boot = BOOT_ID.read_bytes().strip()
    except OSError:
        return None  # no secret to sign with: run without a cache rather than trust one
    return hashlib.sha256(b"portlint cache " + boot + str(os.getuid()).encode()).digest()


def _signature(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


@cache
def code_key() -> str:
    """A digest of the code that makes a result: portlint's modules and the grammar.

    Each file by path, size and mtime: an editable install's edit changes the
    mtime, a wheel's files keep theirs until the next install (one cold run). A
    stat per file costs a fraction of a millisecond where reading them would not.
    """
    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    package = Path(axios_portlint.__file__).parent
    grammar = Path(tree_sitter_nix.__file__).parent
    files = [*sorted(package.rglob("*.py")), *sorted(grammar.glob("*.so")), *grammar.glob("*.pyd")]
    for file in files:
        status = file.stat()
        digest.update(f"{file} {status.st_size} {status.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def content_key(path: str, data: bytes) -> str:
    """Display path and content: locations in a result name the path they were read at."""
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    return f"{digest} {path}"


def _path_of(key: str) -> str:
    return key.split(" ", 1)[1]


class Cache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._key = _signing_key()
        self._stored: dict[str, Any] = {}
        self._fresh: dict[str, Any] = {}
        self._loaded = False

    def _load(self) -> None:
        self._loaded = True
        if self._key is None:
            return
        try:
            signature, _, payload = (self.folder / FILE_NAME).read_bytes().partition(b"\n")
            if not hmac.compare_digest(signature, _signature(self._key, payload).encode()):
                return
            document = json.loads(payload)
        except (OSError, ValueError):
            return
        if (
            isinstance(document, dict)
            and document.get("format") == FORMAT
            and document.get("code") == code_key()
            and isinstance(document.get("entries"), dict)
        ):
            self._stored = document["entries"]

    def get(self, key: str) -> FileResult | None:
        if not self._loaded:
            self._load()
        entry = self._stored.get(key)
        if entry is None:
            return None
        try:
            result = _result_from_json(_path_of(key), entry)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            return None  # a damaged entry is a miss, not an error
        self._fresh[key] = entry
        return result

    def put(self, key: str, result: FileResult) -> None:
        self._fresh[key] = _result_to_json(result)

    def save(self, keys: Iterable[str]) -> None:
        """Keep the entries of this run only, written atomically; a failed write is harmless."""
        wanted = set(keys)
        if self._key is None:
            return
        if wanted == set(self._stored) and all(k in self._stored for k in self._fresh):
            return  # nothing new: leave the file alone
        entries = {key: value for key, value in self._fresh.items() if key in wanted}
        document = {"format": FORMAT, "code": code_key(), "entries": entries}
        payload = json.dumps(document, separators=(",", ":")).encode()
        with contextlib.suppress(OSError):
            self.folder.mkdir(exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by portlint: the cache is never committed.\n*\n")
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".results-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(_signature(self._key, payload).encode() + b"\n" + payload)
            Path(temporary).chmod(0o644)
            Path(temporary).replace(self.folder / FILE_NAME)


# -- encoding -------------------------------------------------------------------


def _result_to_json(result: FileResult) -> object:
    if not result.decls and result.syntax_issue is None and not result.defines:
        return EMPTY
    issue = result.syntax_issue
    return [
        [decl_to_dict(decl) for decl in result.decls],
        None if issue is None else [_location(issue.location), issue.message],
        list(result.defines),
    ]


def _result_from_json(path: str, entry: Any) -> FileResult:
    if entry == EMPTY and not isinstance(entry, bool):
        return FileResult(path=path)
    decls, issue, defines = entry
    return FileResult(
        path=path,
        decls=tuple(decl_from_dict(decl) for decl in decls),
        syntax_issue=None if issue is None else SyntaxIssue(_read_location(issue[0]), issue[1]),
        defines=tuple(str(option) for option in defines),
    )


def _location(location: Location) -> list[object]:
    return [
        location.file,
        location.line,
        location.column,
        location.end_line,
        location.end_column,
    ]


def _read_location(value: list[Any]) -> Location:
    file, line, column, end_line, end_column = value
    return Location(str(file), int(line), int(column), int(end_line), int(end_column))
