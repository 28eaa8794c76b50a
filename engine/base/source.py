"""Source texts and positions.

Every stage reports positions as `Span`s: 1-based lines and columns counted in characters (never
UTF-8 bytes: rule names contain é and è), plus character offsets for slicing. Spans travel with
nodes but never count for their equality (see `engine.syntax.ast`).
"""

from __future__ import annotations

import bisect

from attrs import field, frozen


@frozen
class Source:
    """A rule file's text, with a line index to turn offsets into line and column."""

    name: str
    text: str
    _line_starts: tuple[int, ...] = field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        starts = [0]
        text, found = self.text, self.text.find("\n")
        while found >= 0:  # str.find, not a loop over characters: a file's index costs one pass in C
            starts.append(found + 1)
            found = text.find("\n", found + 1)
        object.__setattr__(self, "_line_starts", tuple(starts))

    def line_col(self, offset: int) -> tuple[int, int]:
        """Return the 1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def line_text(self, line: int) -> str:
        """Return the text of a 1-based line, without its newline."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")

    def span(self, start: int, end: int) -> Span:
        """Return the span covering offsets [start, end)."""
        line, column = self.line_col(start)
        end_line, end_column = self.line_col(max(start, end))
        return Span(self.name, line, column, end_line, end_column, start, max(start, end))

    def slice(self, span: Span) -> str:
        """Return the text a span covers."""
        return self.text[span.start : span.end]


@frozen
class Span:
    """A region of a source: 1-based line/column (characters), end exclusive, plus offsets."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to_json(self) -> dict[str, object]:
        """Return the span as a JSON-serialisable mapping."""
        return {"file": self.file, "line": self.line, "column": self.column,
                "end_line": self.end_line, "end_column": self.end_column}


NOWHERE = Span("<nulle part>", 0, 0, 0, 0, 0, 0)
"""The span of synthesized nodes, which have no text of their own."""
