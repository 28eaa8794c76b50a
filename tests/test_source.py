"""Tests for engine.base.source: source texts, positions in characters, spans."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.base.source import NOWHERE, Source, Span

TEXT = "règles \"Été\"\nfait âge : entier fin\r\n\nrésultat r : entier = âge fin"


class TestLineCol:
    """Tests for `Source.line_col`."""

    def test_first_character(self) -> None:
        """Offset 0 is line 1, column 1."""
        assert Source("f", TEXT).line_col(0) == (1, 1)

    def test_columns_count_characters_not_bytes(self) -> None:
        """An accented letter before a position counts as one column."""
        source = Source("f", TEXT)
        offset = TEXT.index("âge")
        assert source.line_col(offset + 3) == (2, 9)

    def test_after_a_newline(self) -> None:
        """The character after a newline starts the next line."""
        source = Source("f", TEXT)
        assert source.line_col(TEXT.index("\n") + 1) == (2, 1)

    def test_offsets_are_clamped(self) -> None:
        """Offsets outside the text are clamped to its ends."""
        source = Source("f", "ab\ncd")
        assert source.line_col(-5) == (1, 1)
        assert source.line_col(100) == (2, 3)

    @given(st.text(alphabet="ab\né\r\t", max_size=40), st.data())
    @settings(max_examples=200)
    def test_agrees_with_a_naive_count(self, text: str, data: st.DataObject) -> None:
        """Line and column agree with counting newlines before the offset."""
        offset = data.draw(st.integers(0, len(text)))
        before = text[:offset]
        expected = (before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)
        assert Source("f", text).line_col(offset) == expected


class TestLineText:
    """Tests for `Source.line_text`."""

    def test_line_without_newline(self) -> None:
        """A line is returned without its newline or carriage return."""
        source = Source("f", TEXT)
        assert source.line_text(2) == "fait âge : entier fin"

    def test_empty_line(self) -> None:
        """An empty line gives an empty string."""
        assert Source("f", TEXT).line_text(3) == ""

    def test_last_line_without_final_newline(self) -> None:
        """The last line runs to the end of the text."""
        assert Source("f", TEXT).line_text(4) == "résultat r : entier = âge fin"

    def test_out_of_range(self) -> None:
        """Lines before the first or after the last are empty."""
        source = Source("f", TEXT)
        assert source.line_text(0) == "" and source.line_text(99) == ""


class TestSpan:
    """Tests for `Source.span`, `Source.slice` and `Span`."""

    def test_span_positions(self) -> None:
        """A span carries 1-based start and exclusive end positions, plus offsets."""
        source = Source("f.rules", TEXT)
        start = TEXT.index("âge fin")
        span = source.span(start, start + 3)
        assert (span.line, span.column, span.end_line, span.end_column) == (4, 23, 4, 26)
        assert (span.start, span.end) == (start, start + 3)
        assert span.file == "f.rules"

    def test_slice(self) -> None:
        """A span slices back the text it covers."""
        source = Source("f", TEXT)
        start = TEXT.index("entier")
        assert source.slice(source.span(start, start + 6)) == "entier"

    def test_reversed_offsets_give_an_empty_span(self) -> None:
        """An end before the start is moved to the start."""
        span = Source("f", TEXT).span(10, 3)
        assert span.start == span.end == 10

    def test_multi_line_span(self) -> None:
        """A span may end on a later line."""
        span = Source("f", TEXT).span(0, TEXT.index("fait") + 1)
        assert (span.line, span.end_line, span.end_column) == (1, 2, 2)

    def test_str_is_gnu_location(self) -> None:
        """A span prints as file:line:column, as editors expect."""
        span = Source("rulesets/x.rules", TEXT).span(TEXT.index("fait"), TEXT.index("fait") + 4)
        assert str(span) == "rulesets/x.rules:2:1"

    def test_to_json(self) -> None:
        """The JSON form names the file and both ends, without offsets."""
        span = Span("f", 1, 2, 3, 4, 5, 6)
        assert span.to_json() == {"file": "f", "line": 1, "column": 2, "end_line": 3, "end_column": 4}

    def test_nowhere(self) -> None:
        """NOWHERE has no line, so renderers show no excerpt for it."""
        assert NOWHERE.line == 0 and NOWHERE.start == NOWHERE.end == 0

    def test_source_equality_ignores_line_index(self) -> None:
        """Two sources with the same name and text are equal."""
        assert Source("f", "a\nb") == Source("f", "a\nb")
        assert Source("f", "a\nb") != Source("g", "a\nb")
