"""The registry file as lines that can be edited in place and written back atomically.

Every line keeps its own ending (LF, CRLF or a lone CR, as markdown-it counts
lines), a byte order mark is kept, and only the character spans an edit names
change: whatever `registry sync` does not own stays byte for byte.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import stat
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_LINE = re.compile(r"([^\r\n]*)(\r\n|\n|\r|$)")


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace characters [start, end) of a 0-based line; start == end inserts."""

    line: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Insert:
    """New lines (without endings) after a 0-based line."""

    after: int
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Document:
    bom: bytes
    lines: tuple[str, ...]  # without their endings
    endings: tuple[str, ...]  # "\r\n", "\n", "\r", or "" for a last line without one

    @classmethod
    def from_bytes(cls, data: bytes) -> Document:
        """Split UTF-8 bytes; the caller has already checked that they decode."""
        bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
        text = data[len(bom) :].decode("utf-8")
        lines: list[str] = []
        endings: list[str] = []
        for match in _LINE.finditer(text):
            if match.start() == len(text) and text and not match.group(0):
                break  # the empty match after a final line ending
            lines.append(match.group(1))
            endings.append(match.group(2))
            if not match.group(2):
                break
        return cls(bom, tuple(lines), tuple(endings))

    @property
    def text(self) -> str:
        return "".join(line + end for line, end in zip(self.lines, self.endings, strict=True))

    @property
    def newline(self) -> str:
        """The file's own line ending, for the lines sync adds."""
        counts = Counter(end for end in self.endings if end)
        return counts.most_common(1)[0][0] if counts else "\n"

    def to_bytes(self) -> bytes:
        return self.bom + self.text.encode("utf-8")

    def apply(self, edits: Iterable[Edit], inserts: Iterable[Insert]) -> Document:
        lines = list(self.lines)
        by_line: dict[int, list[Edit]] = defaultdict(list)
        for edit in edits:
            by_line[edit.line].append(edit)
        for index, line_edits in by_line.items():
            lines[index] = apply_edits(lines[index], line_edits)
        added: dict[int, list[str]] = defaultdict(list)
        for insert in inserts:
            added[insert.after].extend(insert.lines)
        new_lines: list[str] = []
        new_endings: list[str] = []
        for index, line in enumerate(lines):
            extra = added.get(index, [])
            ending = self.endings[index]
            new_lines.extend([line, *extra])
            # The line before the new ones needs an ending even when it was the last one;
            # the last new line takes over the original ending (none at the end of a file).
            if extra:
                newlines = [self.newline] * (len(extra) - 1)
                new_endings.extend([ending or self.newline, *newlines, ending])
            else:
                new_endings.append(ending)
        return Document(self.bom, tuple(new_lines), tuple(new_endings))


def apply_edits(line: str, edits: Iterable[Edit]) -> str:
    """Apply one line's edits from the right, so earlier offsets stay valid.

    Two edits at one offset (an insertion beside a replacement) keep their given order.
    """
    ordered = sorted(enumerate(edits), key=lambda item: (item[1].start, item[0]), reverse=True)
    for _, edit in ordered:
        line = line[: edit.start] + edit.text + line[edit.end :]
    return line


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside the file, then rename over it: readers see the old or the new file.

    The file's permission bits are kept; a symbolic link is followed, not replaced.
    """
    target = path.resolve()
    mode = stat.S_IMODE(target.stat().st_mode)
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
