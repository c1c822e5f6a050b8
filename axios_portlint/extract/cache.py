"""A per-file cache of extraction results, keyed on content, never on mtime.

ruff keys on mtime, which misses on every fresh CI checkout; a content hash
does not. The key also holds portlint's version and the cache format, so a
result made by another version is never reused.

The cache lives in the work tree, so it is never trusted as found there: it is
plain JSON (a pickle planted in a pull request could run code when loaded), it
is signed with an HMAC whose key never leaves this machine's current boot (a
forged or copied cache, say one committed to hide a conflict, fails the check
and is ignored), and anything that does not decode exactly is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from axios_portlint import __version__
from axios_portlint.model import (
    FileResult,
    Kind,
    Location,
    Origin,
    Pending,
    PendingOp,
    PendingRef,
    PortDecl,
    SyntaxIssue,
    ValueState,
)

CACHE_DIR = ".portlint_cache"
FORMAT = 2
FILE_NAME = "results.json"
# Random per boot and readable only on this machine: a signing key nobody can plant.
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _signing_key() -> bytes | None:
    try:
        boot = BOOT_ID.read_bytes().strip()
    except OSError:
        return None  # no secret to sign with: run without a cache rather than trust one
    return hashlib.sha256(b"portlint cache " + boot + str(os.getuid()).encode()).digest()


def _signature(key: bytes, entries: object) -> str:
    canonical = json.dumps(entries, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def content_key(path: str, data: bytes) -> str:
    """Display path and content: locations in a result name the path they were read at."""
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    return f"{digest} {path}"


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
            document = json.loads((self.folder / FILE_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if (
            isinstance(document, dict)
            and document.get("format") == FORMAT
            and document.get("version") == __version__
            and isinstance(document.get("entries"), dict)
            and isinstance(document.get("signature"), str)
            and hmac.compare_digest(
                document["signature"], _signature(self._key, document["entries"])
            )
        ):
            self._stored = document["entries"]

    def get(self, key: str) -> FileResult | None:
        if not self._loaded:
            self._load()
        entry = self._stored.get(key)
        if entry is None:
            return None
        try:
            result = _result_from_json(entry)
        except (KeyError, TypeError, ValueError, AttributeError):
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
        document = {
            "format": FORMAT,
            "version": __version__,
            "signature": _signature(self._key, entries),
            "entries": entries,
        }
        with contextlib.suppress(OSError):
            self.folder.mkdir(exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by portlint: the cache is never committed.\n*\n")
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".results-")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(document, stream, separators=(",", ":"))
            Path(temporary).chmod(0o644)
            Path(temporary).replace(self.folder / FILE_NAME)


# -- encoding -------------------------------------------------------------------


def _result_to_json(result: FileResult) -> dict[str, Any]:
    issue = result.syntax_issue
    return {
        "path": result.path,
        "decls": [_decl_to_json(decl) for decl in result.decls],
        "issue": None if issue is None else [_location(issue.location), issue.message],
        "defines": list(result.defines),
    }


def _result_from_json(entry: dict[str, Any]) -> FileResult:
    issue = entry["issue"]
    return FileResult(
        path=str(entry["path"]),
        decls=tuple(_decl_from_json(decl) for decl in entry["decls"]),
        syntax_issue=None if issue is None else SyntaxIssue(_read_location(issue[0]), issue[1]),
        defines=tuple(str(path) for path in entry["defines"]),
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


def _decl_to_json(decl: PortDecl) -> dict[str, Any]:
    return {
        "option": decl.option,
        "kind": str(decl.kind),
        "port": decl.port,
        "state": str(decl.state),
        "expression": decl.expression,
        "location": _location(decl.location),
        "reason": decl.reason,
        "placed": decl.placed,
        "origin": str(decl.origin),
        "name": decl.name,
        "reads": decl.reads,
        "end_port": decl.end_port,
        "exposes": decl.exposes,
        "pending": None if decl.pending is None else _pending_to_json(decl.pending),
    }


def _decl_from_json(value: dict[str, Any]) -> PortDecl:
    pending = value["pending"]
    return PortDecl(
        option=str(value["option"]),
        kind=Kind(value["kind"]),
        port=_optional_int(value["port"]),
        state=ValueState(value["state"]),
        expression=str(value["expression"]),
        location=_read_location(value["location"]),
        reason=str(value["reason"]),
        placed=bool(value["placed"]),
        origin=Origin(value["origin"]),
        name=_optional_str(value["name"]),
        reads=_optional_str(value["reads"]),
        end_port=_optional_int(value["end_port"]),
        exposes=_optional_str(value["exposes"]),
        pending=None if pending is None else _pending_from_json(pending),
    )


def _pending_to_json(pending: Pending) -> object:
    if isinstance(pending, int):
        return pending
    if isinstance(pending, PendingRef):
        return {"ref": pending.option}
    return {
        "op": pending.operator,
        "left": _pending_to_json(pending.left),
        "right": _pending_to_json(pending.right),
    }


def _pending_from_json(value: Any) -> Pending:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if "ref" in value:
        return PendingRef(str(value["ref"]))
    left = _pending_from_json(value["left"])
    right = _pending_from_json(value["right"])
    return PendingOp(str(value["op"]), left, right)


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not an integer")
    return value


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)
