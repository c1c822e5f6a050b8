"""The one way portlint writes a file: atomically, beside it, then renamed over it.

Discovery owns portlint's file I/O; the writers (`registry sync`, the results
cache) all go through here, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

NEW_FILE_MODE = 0o644


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside the file, then rename over it: readers see the old or the new file.

    An existing file's permission bits are kept (a new file gets 0o644); a
    symbolic link is followed, not replaced. On any failure the temporary file is
    removed and the error raised: the target is untouched.
    """
    target = path.resolve()
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.chmod(mode)
        temporary.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
