"""A whole-run cache: a check's findings, replayed when none of the run's inputs changed.

The per-file cache (extract/cache.py) spares a warm run the parsing, but the
run still builds the conflict graph (importing networkx), reads the registry
(importing markdown-it) and runs every rule. When nothing a check depends on
changed, its findings are the ones it found last time, and this file holds them.

A run is keyed on everything its findings are made from: the code (the per-file
cache's code key, plus the libraries that read the registry and build the graph,
and Python's version), the run's arguments as resolved (project root, paths,
excludes, registry path, the selected rules, the listener patterns), the
registry's stat signature and every discovered file's display path and stat
signature, and the problems discovery met. What a run looked at beyond those,
whether the files the registry cross-references exist (PL016), is stored beside
the findings as probes and looked at again before a replay. Any difference is a
miss and the run is made anew, so a replay prints the bytes a fresh run would.

Each run is a file of its own beside the per-file cache, named by its key and
signed the same way (an HMAC keyed on this boot); the last few are kept: a hook
checks a few named files while CI and a terminal check the whole tree. A replay
reads, checks and decodes only the one file its key names, not the other runs.
A stat key has the known limit of every stat cache (docs/security.md): a file
rewritten in place with the same size and both of its times put back is taken
as unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from axios_portlint.extract.signed import (
    code_key,
    location_from_json,
    location_to_json,
    read_signed,
    signing_key,
    write_signed,
)
from axios_portlint.model_base import Finding, Severity

RUNS_FORMAT = 2
RUN_FILES = "run-*.json"  # one per run, named by its key (`run_file`)
KEPT_RUNS = 8  # the last runs kept: whole tree, a hook's few files, a selection or two
# Libraries whose version can change a finding without changing portlint's code: the
# registry's Markdown reader, the graph and the parser binding (the grammar is in code_key).
LIBRARIES = ("markdown_it", "networkx", "tree_sitter")


@dataclass(frozen=True, slots=True)
class Replay:
    """What a check printed from: its findings and how many files it looked at."""

    findings: tuple[Finding, ...]
    files: int
    # Paths the run asked "does it exist?" about, with the answer it got.
    probes: tuple[tuple[str, bool], ...] = ()


def run_key(parts: Sequence[object], files: Iterable[tuple[str, tuple[int, ...]]]) -> str:
    """A digest of a run's inputs, the code and the libraries.

    `parts` are plain JSON values; `files` are the display path and stat signature
    of every discovered file: the paths joined as text, the signatures packed as
    integers (as text they cost 4 ms for 3,500 files; JSON of 20,000 lists 0.1 s).
    """
    digest = hashlib.blake2b(digest_size=16)
    head = [RUNS_FORMAT, code_key(), sys.version, *map(_library_stamp, LIBRARIES)]
    digest.update(json.dumps([head, *parts], separators=(",", ":")).encode())
    pairs = list(files)
    # No path holds a NUL byte: the joined text reads back one way only.
    for blob in ("\0".join(path for path, _ in pairs).encode(), _packed(s for _, s in pairs)):
        digest.update(len(blob).to_bytes(8, "little") + blob)  # each part's length first
    return digest.hexdigest()


def _packed(signatures: Iterable[tuple[int, ...]]) -> bytes:
    """Stat signatures as bytes, in order; one of more than 64 bits (none seen) as text."""
    values = list(chain.from_iterable(signatures))
    try:
        return b"q" + array("q", values).tobytes()
    except OverflowError:
        return b"t" + " ".join(map(str, values)).encode()


def _library_stamp(name: str) -> str:
    # Found, not imported: a replay must not pay for the import it exists to avoid.
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return f"{name} -"
    try:
        status = Path(spec.origin).stat()
    except OSError:
        return f"{name} ?"
    return f"{spec.origin} {status.st_size} {status.st_mtime_ns}"


def run_file(folder: Path, key: str) -> Path:
    """The file of the run stored under `key` (a hex digest) in a cache folder."""
    return folder / RUN_FILES.replace("*", key)


class RunCache:
    """The last runs of `check` in a cache folder, each in the file its `run_key` names."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._key = signing_key()

    def get(self, key: str) -> Replay | None:
        """The run stored under `key`, if every probe still answers as it did."""
        if self._key is None:
            return None
        document = read_signed(run_file(self.folder, key), self._key)
        # The key inside too: a run's file copied under another run's name is a miss.
        if not (
            isinstance(document, dict)
            and document.get("format") == RUNS_FORMAT
            and document.get("key") == key
        ):
            return None
        try:
            replay = _replay_from_json(document)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            return None  # a damaged entry is a miss
        if any(Path(path).exists() != existed for path, existed in replay.probes):
            return None
        return replay

    def put(self, key: str, replay: Replay) -> None:
        """Store a run, keeping the `KEPT_RUNS` most recent; a failed write is harmless."""
        if self._key is None:
            return
        document = {"format": RUNS_FORMAT, "key": key, **_replay_to_json(replay)}
        write_signed(run_file(self.folder, key), self._key, document)
        self._forget_old_runs()

    def _forget_old_runs(self) -> None:
        """Remove all but the `KEPT_RUNS` runs written last."""
        dated = []
        for path in self.folder.glob(RUN_FILES):
            with contextlib.suppress(OSError):
                dated.append((path.stat().st_mtime_ns, path.name, path))
        for *_, path in sorted(dated)[:-KEPT_RUNS]:
            with contextlib.suppress(OSError):
                path.unlink()


# -- encoding -------------------------------------------------------------------


def _replay_to_json(replay: Replay) -> dict[str, object]:
    return {
        "files": replay.files,
        "findings": [_finding_to_json(finding) for finding in replay.findings],
        "probes": [[path, existed] for path, existed in replay.probes],
    }


def _replay_from_json(entry: Any) -> Replay:
    files = entry["files"]
    if not isinstance(files, int) or isinstance(files, bool):
        raise ValueError("files")
    return Replay(
        findings=tuple(_finding_from_json(value) for value in entry["findings"]),
        files=files,
        probes=tuple((str(path), bool(existed)) for path, existed in entry["probes"]),
    )


def _finding_to_json(finding: Finding) -> list[object]:
    return [
        finding.code,
        str(finding.severity),
        finding.message,
        location_to_json(finding.location),
        finding.option,
        finding.port,
        [location_to_json(location) for location in finding.related],
    ]


def _finding_from_json(value: list[Any]) -> Finding:
    code, severity, message, location, option, port, related = value
    return Finding(
        code=str(code),
        severity=Severity(severity),
        message=str(message),
        location=location_from_json(location),
        option=None if option is None else str(option),
        port=None if port is None else int(port),
        related=tuple(location_from_json(item) for item in related),
    )
