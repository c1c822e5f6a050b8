"""Signed cache files, and the key of the code that makes what they hold.

The per-file cache (extract/cache.py) and the run cache (extract/replay.py)
live in the work tree, so neither is trusted as found: each file is plain JSON,
signed with an HMAC whose key never leaves this machine's current boot, and
anything that does not decode exactly is a miss (extract/cache.py says why).
Both key what they hold on `code_key`. Apart from the per-file cache so that a
replay, which reads only a run's file, imports none of the model behind it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import importlib.util
import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import axios_portlint
from axios_portlint import __version__
from axios_portlint.model_base import Location

CACHE_DIR = ".portlint_cache"
# Random per boot and readable only on this machine: a signing key nobody can plant.
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def signing_key() -> bytes | None:
    try:
        boot = BOOT_ID.read_bytes().strip()
    except OSError:
        return None  # no secret to sign with: run without a cache rather than trust one
    return hashlib.sha256(b"portlint cache " + boot + str(os.getuid()).encode()).digest()


def _signature(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def read_signed(path: Path, key: bytes) -> Any:
    """The JSON document a cache file holds, or None unless its signature is ours.

    The file is the HMAC's hex digest, a newline, then the payload exactly as signed.
    """
    try:
        signature, _, payload = path.read_bytes().partition(b"\n")
        if not hmac.compare_digest(signature, _signature(key, payload).encode()):
            return None
        return json.loads(payload)
    except (OSError, ValueError):
        return None


def write_signed(path: Path, key: bytes, document: object) -> None:
    """Write a signed cache file atomically into its folder; a failed write is harmless."""
    payload = json.dumps(document, separators=(",", ":")).encode()
    import tempfile  # only a run that writes pays for it

    folder = path.parent
    with contextlib.suppress(OSError):
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by portlint: the cache is never committed.\n*\n")
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(_signature(key, payload).encode() + b"\n" + payload)
        Path(temporary).chmod(0o644)
        Path(temporary).replace(path)


@cache
def code_key() -> str:
    """A digest of the code that makes a result: portlint's modules and the grammar.

    Each file by path, size and mtime: an editable install's edit changes the
    mtime, a wheel's files keep theirs until the next install (one cold run). A
    stat per file costs a fraction of a millisecond where reading them would not.
    """
    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    package = str(Path(axios_portlint.__file__).parent)
    grammar = _grammar_folder()
    binaries = [*sorted(grammar.glob("*.so")), *grammar.glob("*.pyd")]
    files = [*_modules(package), *map(str, binaries)]
    for file in files:
        status = os.stat(file)  # noqa: PTH116 - strs from scandir; no Path per module
        digest.update(f"{file} {status.st_size} {status.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _modules(folder: str) -> Iterator[str]:
    """Every `*.py` below `folder`, in sorted order (scandir: Path.rglob costs 2 ms here)."""
    with os.scandir(folder) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _modules(entry.path)
        elif entry.name.endswith(".py"):
            yield entry.path


def _grammar_folder() -> Path:
    # Found, not imported: a fully warm run never loads the parser.
    spec = importlib.util.find_spec("tree_sitter_nix")
    origin = spec.origin if spec is not None else None
    return Path(origin).parent if origin else Path(axios_portlint.__file__).parent


def location_to_json(location: Location) -> list[object]:
    return [
        location.file,
        location.line,
        location.column,
        location.end_line,
        location.end_column,
    ]


def location_from_json(value: list[Any]) -> Location:
    file, line, column, end_line, end_column = value
    return Location(str(file), int(line), int(column), int(end_line), int(end_column))
