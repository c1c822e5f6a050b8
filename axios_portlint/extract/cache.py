"""A per-file cache of extraction results, keyed on content, never on mtime.

ruff keys on mtime, which misses on every fresh CI checkout; a content hash
does not. The file also holds a key of the code that made it (the bytes of
portlint's own modules and the grammar it parsed with), so a result made by any
other code, even an edited checkout of the same version, is never reused.

The cache lives in the work tree, so it is never trusted as found there: it is
plain JSON (a pickle planted in a pull request could run code when loaded), it
is signed with an HMAC whose key never leaves this machine's current boot (a
forged or copied cache, say one committed to hide a conflict, fails the check
and is ignored), and anything that does not decode exactly is a miss. The
signing and the code key are in extract/signed.py, shared with the run cache.

Two keys lead to an entry. The stat key (display path and the file's stat
signature: size, mtime, ctime, inode, device) is asked first and needs no read
at all; it names the content key (display path and a hash of the bytes), which
holds the result. A stat miss reads the file and asks by content, so a fresh
checkout (new mtimes, same bytes) still hits. Beside each result the cache keeps
the file's note: what a warm run would otherwise re-read the file for (its
suppression comments, and whether it may name hosts). A stat key can be fooled
by a file rewritten in place with the same size and both times restored;
docs/security.md says why that is accepted, as git's index, make and ruff
accept it.

Layout, compact because a warm run reads all of it: the signature's hex digest,
a newline, then the JSON document exactly as signed. Most files declare no port,
and their entry is a bare 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from axios_portlint.extract.signed import CACHE_DIR as CACHE_DIR
from axios_portlint.extract.signed import code_key as code_key
from axios_portlint.extract.signed import location_from_json, location_to_json
from axios_portlint.extract.signed import read_signed as read_signed
from axios_portlint.extract.signed import signing_key as signing_key
from axios_portlint.extract.signed import write_signed as write_signed
from axios_portlint.model import (
    FileResult,
    SubmoduleUse,
    SyntaxIssue,
    decl_from_dict,
    decl_to_dict,
)

FORMAT = 8
FILE_NAME = "results.json"
EMPTY = 0  # the entry of a file with no declaration, no syntax issue and no port setting


STAT_FIELDS = 5  # discover.StatFile.signature: size, mtime, ctime, inode, device


def stat_key(path: str, signature: tuple[int, ...]) -> str:
    """Display path and stat signature: asked before the file is read."""
    assert len(signature) == STAT_FIELDS
    return " ".join(map(str, signature)) + f" {path}"


def content_key(path: str, data: bytes) -> str:
    """Display path and content: locations in a result name the path they were read at."""
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    return f"{digest} {path}"


def _path_of(key: str) -> str:
    return key.split(" ", 1)[1]


def _stat_path(stat: str) -> str:
    return stat.split(" ", STAT_FIELDS)[-1]


class Cache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._key = signing_key()
        self._stored: dict[str, Any] = {}
        self._stored_stats: dict[str, str] = {}
        self._stored_notes: dict[str, Any] = {}
        self._fresh: dict[str, Any] = {}
        self._stats: dict[str, str] = {}
        self._notes: dict[str, Any] = {}
        self._loaded = False

    def _load(self) -> None:
        self._loaded = True
        if self._key is None:
            return
        document = read_signed(self.folder / FILE_NAME, self._key)
        if not (
            isinstance(document, dict)
            and document.get("format") == FORMAT
            and document.get("code") == code_key()
            and all(isinstance(document.get(part), dict) for part in ("entries", "stats", "notes"))
        ):
            return
        self._stored = document["entries"]
        self._stored_stats = document["stats"]
        self._stored_notes = document["notes"]

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self._load()

    def get(self, key: str) -> FileResult | None:
        self._ensure_loaded()
        entry = self._stored.get(key)
        if entry is None:
            return None
        try:
            result = _result_from_json(_path_of(key), entry)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            return None  # a damaged entry is a miss, not an error
        self._fresh[key] = entry
        return result

    def resolve(self, stat: str) -> str | None:
        """The content key a stat key was last seen with, if its entry is still here."""
        self._ensure_loaded()
        key = self._stored_stats.get(stat)
        if not isinstance(key, str) or key not in self._stored or _path_of(key) != _stat_path(stat):
            return None
        self._stats[stat] = key
        return key

    def note(self, key: str) -> tuple[bool, Any]:
        """(found, value) of the note stored beside `key`'s result."""
        self._ensure_loaded()
        if key not in self._stored_notes:
            return False, None
        value = self._stored_notes[key]
        self._notes[key] = value
        return True, value

    def put(self, key: str, result: FileResult) -> None:
        self._fresh[key] = _result_to_json(result)

    def link(self, stat: str, key: str) -> None:
        self._stats[stat] = key

    def put_note(self, key: str, value: Any) -> None:
        self._notes[key] = value

    def save(self, keys: Iterable[str]) -> None:
        """Keep the entries of this run only, written atomically; a failed write is harmless."""
        wanted = set(keys)
        if self._key is None:
            return
        entries = {key: value for key, value in self._fresh.items() if key in wanted}
        stats = {stat: key for stat, key in self._stats.items() if key in wanted}
        notes = {key: value for key, value in self._notes.items() if key in wanted}
        if (entries, stats, notes) == (self._stored, self._stored_stats, self._stored_notes):
            return  # nothing new: leave the file alone
        document = {"format": FORMAT, "code": code_key(), "entries": entries}
        document |= {"stats": stats, "notes": notes}
        write_signed(self.folder / FILE_NAME, self._key, document)


# -- encoding -------------------------------------------------------------------


def _result_to_json(result: FileResult) -> object:
    if (
        not result.decls
        and result.syntax_issue is None
        and not result.defines
        and not result.submodules
    ):
        return EMPTY
    issue = result.syntax_issue
    return [
        [decl_to_dict(decl) for decl in result.decls],
        None if issue is None else [location_to_json(issue.location), issue.message],
        list(result.defines),
        [[use.target, use.prefix, use.options_only] for use in result.submodules],
    ]


def _result_from_json(path: str, entry: Any) -> FileResult:
    if entry == EMPTY and not isinstance(entry, bool):
        return FileResult(path=path)
    decls, issue, defines, submodules = entry
    return FileResult(
        path=path,
        decls=tuple(decl_from_dict(decl) for decl in decls),
        syntax_issue=None if issue is None else SyntaxIssue(location_from_json(issue[0]), issue[1]),
        defines=tuple(str(option) for option in defines),
        submodules=tuple(
            SubmoduleUse(str(target), str(prefix), options_only is True)
            for target, prefix, options_only in submodules
        ),
    )
