"""Character edits and line insertions on the registry's byte-exact Document.

`registry sync` plans its changes as these, never as a re-rendered table, so
every character it does not own is written back as it was.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from axios_portlint.registry.document import Document


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


def apply(
    document: Document,
    edits: Iterable[Edit],
    inserts: Iterable[Insert],
    removed: Iterable[int] = (),
) -> Document:
    """The document with `edits` made, `inserts` added and the 0-based lines `removed` gone.

    New lines take the document's own line ending. A removed line goes with its
    ending; its inserts and edits go with it.
    """
    lines = list(document.lines)
    by_line: dict[int, list[Edit]] = defaultdict(list)
    for edit in edits:
        by_line[edit.line].append(edit)
    for index, line_edits in by_line.items():
        lines[index] = apply_edits(lines[index], line_edits)
    added: dict[int, list[str]] = defaultdict(list)
    for insert in inserts:
        added[insert.after].extend(insert.lines)
    gone = frozenset(removed)
    new_lines: list[str] = []
    new_endings: list[str] = []
    for index, line in enumerate(lines):
        if index in gone:
            if not document.endings[index] and new_endings:
                new_endings[-1] = ""  # the file ended without a line ending: it still does
            continue
        extra = added.get(index, [])
        ending = document.endings[index]
        new_lines.extend([line, *extra])
        # The line before the new ones needs an ending even when it was the last one;
        # the last new line takes over the original ending (none at the end of a file).
        if extra:
            newlines = [document.newline] * (len(extra) - 1)
            new_endings.extend([ending or document.newline, *newlines, ending])
        else:
            new_endings.append(ending)
    return Document(document.bom, tuple(new_lines), tuple(new_endings))


def apply_edits(line: str, edits: Iterable[Edit]) -> str:
    """Apply one line's edits from the right, so earlier offsets stay valid.

    Two edits at one offset (an insertion beside a replacement) keep their given order.
    """
    ordered = sorted(enumerate(edits), key=lambda item: (item[1].start, item[0]), reverse=True)
    for _, edit in ordered:
        line = line[: edit.start] + edit.text + line[edit.end :]
    return line
