"""The registry file as lines, byte for byte: what `registry sync` edits and writes back.

Every line keeps its own ending (LF, CRLF or a lone CR, as markdown-it counts
lines) and a byte order mark is kept, so that whatever an edit does not name
stays byte for byte (the edits themselves are `commands.edits`).
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass

_LINE = re.compile(r"([^\r\n]*)(\r\n|\n|\r|$)")


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
