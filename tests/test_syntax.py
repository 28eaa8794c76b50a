"""Tests for engine.syntax.parser: the grammar, the parser and syntax diagnostics (E1xx)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lark import Lark, Tree

from engine.syntax import parser as syntax
from engine.base.diagnostics import RulesError
from engine.base.source import Source

HEADER = 'règles "t"\n'


def _error(text: str, name: str = "f.rules") -> RulesError:
    with pytest.raises(RulesError) as caught:
        syntax.parse(Source(name, text))
    assert len(caught.value.diagnostics) == 1
    return caught.value


def _code(text: str) -> str:
    return _error(text).diagnostics[0].code


def _cases() -> list:  # type: ignore[type-arg]
    return [pytest.param(code, example, id=f"{code}-{i}")
            for code, _, _, examples in syntax.SYNTAX_ERRORS for i, example in enumerate(examples)]


class TestGrammar:
    """Tests for `grammar/regles.lark` and `syntax.parser`."""

    def test_builds_with_strict_mode(self) -> None:
        """The grammar builds with strict=True: no shift/reduce conflict, no terminal collision."""
        parser = Lark.open(str(syntax.grammar_path()), parser="lalr", strict=True, start=["start", "cell", "key"],
                           propagate_positions=True, maybe_placeholders=True)
        assert parser.parse(HEADER, start="start").data == "start"

    def test_strict_parser_entry_point(self) -> None:
        """`parser(strict=True)` builds too."""
        assert syntax.parser(strict=True).parse(HEADER, start="start").data == "start"

    def test_parser_is_cached(self) -> None:
        """The parser is built once."""
        assert syntax.parser() is syntax.parser()

    def test_grammar_file_exists(self) -> None:
        """The grammar is found, in the package or the repository."""
        path = syntax.grammar_path()
        assert isinstance(path, Path) and path.is_file() and path.suffix == ".lark"

    def test_three_start_symbols(self) -> None:
        """The parser parses whole files, table cells and table keys."""
        p = syntax.parser()
        assert p.parse("12 000 € à confirmer", start="cell").data == "cell"
        assert p.parse("de 50 à moins de 70", start="key").data == "key"


class TestDecode:
    """Tests for `syntax.decode`."""

    def test_utf8(self) -> None:
        """UTF-8 bytes decode to a Source with the given name."""
        source = syntax.decode("règles \"é\"".encode(), "f.rules")
        assert source.name == "f.rules" and source.text == 'règles "é"'

    def test_byte_order_mark_is_dropped(self) -> None:
        """A UTF-8 byte order mark is accepted and removed."""
        assert syntax.decode(b"\xef\xbb\xbfr", "f").text == "r"

    def test_not_utf8_is_e104_at_the_bad_byte(self) -> None:
        """A byte that is not UTF-8 is E104, located where it is."""
        with pytest.raises(RulesError) as caught:
            syntax.decode(b'r\xc3\xa8gles "t"\nfait sp\xe9c', "f.rules")
        (d,) = caught.value.diagnostics
        assert d.code == "E104" and (d.span.line, d.span.column) == (2, 8)
        assert "f.rules" in caught.value.sources


class TestParse:
    """Tests for `syntax.parse`."""

    def test_returns_tree_and_comments(self) -> None:
        """A file parses to a tree; its comments are kept for the formatter."""
        parsed = syntax.parse(Source("f", HEADER + "# un commentaire\nfait a : entier fin # fin de ligne\n"))
        assert isinstance(parsed.tree, Tree)
        assert [str(c) for c in parsed.comments] == ["# un commentaire", "# fin de ligne"]

    def test_comments_do_not_leak_between_parses(self) -> None:
        """A second parse does not report the comments of the first."""
        syntax.parse(Source("f", HEADER + "# a\n"))
        assert syntax.parse(Source("f", HEADER)).comments == ()

    @pytest.mark.parametrize("text", ["", "   \n\t\n"])
    def test_empty_file_is_e103(self, text: str) -> None:
        """An empty or blank file is E103, at the start."""
        d = _error(text).diagnostics[0]
        assert d.code == "E103" and d.span.start == 0

    def test_deep_parentheses_are_e105(self) -> None:
        """More than MAX_DEPTH nested parentheses is E105, at the first parenthesis too deep."""
        depth = syntax.MAX_DEPTH + 1
        text = HEADER + "résultat r : entier = " + "(" * depth + "1" + ")" * depth + " fin"
        d = _error(text).diagnostics[0]
        assert d.code == "E105" and d.span.start == text.index("(") + syntax.MAX_DEPTH

    def test_nesting_at_the_limit_is_accepted(self) -> None:
        """MAX_DEPTH nested parentheses still parse."""
        depth = syntax.MAX_DEPTH
        syntax.parse(Source("f", HEADER + "résultat r : entier = " + "(" * depth + "1" + ")" * depth + " fin"))

    def test_deep_si_chain_is_e105(self) -> None:
        """A very long `si … sinon si …` chain is E105, not a RecursionError."""
        chain = "si vrai alors 1 sinon " * 400 + "2"
        assert _code(HEADER + f"résultat r : entier = {chain} fin") == "E105"

    def test_unexpected_character_is_e100(self) -> None:
        """A character no token starts with is E100, underlined alone, with what was expected."""
        text = HEADER + "fait a : entier fin\nrésultat r : booléen = a > 640 $ fin"
        d = _error(text).diagnostics[0]
        assert d.code == "E100" and d.span.start == text.index("$") and d.span.end == d.span.start + 1
        assert d.hint is not None and d.hint.startswith("attendu : ")

    def test_unexpected_token_is_e101_underlining_the_token(self) -> None:
        """A token the grammar does not allow is E101, underlined over its whole width."""
        text = HEADER + "fait a : entier fin\nrésultat r : booléen = a > * 640 fin"
        d = _error(text).diagnostics[0]
        assert d.code == "E101" and text[d.span.start:d.span.end] == "*"

    def test_end_of_file_is_e102_just_after_the_last_word(self) -> None:
        """A file that stops too early is E102, located just after its last word."""
        text = HEADER + "fait a : entier fin\nrésultat r : booléen = a > 640\n\n"
        d = _error(text).diagnostics[0]
        assert d.code == "E102" and d.span.start == text.rindex("640") + 3
        assert d.span.end <= len(text)

    def test_keyword_read_as_a_name_before_the_end(self) -> None:
        """`x +` then `fin`: the error is at `fin`, where a value is missing (E101), not at the end."""
        text = HEADER + "fait a : entier fin\nrésultat r : entier = a +\nfin\n"
        d = _error(text).diagnostics[0]
        assert d.code == "E101" and text[d.span.start:d.span.end] == "fin"

    def test_fragment_start_symbols_get_no_curated_message(self) -> None:
        """Cells are parsed with their own start symbol and get generic messages."""
        with pytest.raises(RulesError) as caught:
            syntax.parse(Source("f", "1 +"), start="cell")
        assert caught.value.diagnostics[0].code == "E102"


class TestSyntaxErrorTable:
    """Tests for `SYNTAX_ERRORS`: the curated messages, each keyed by examples (lark's GRAMMAR_ERRORS)."""

    def test_codes_are_distinct_syntax_codes(self) -> None:
        """Each entry has its own E1xx code."""
        codes = [code for code, _, _, _ in syntax.SYNTAX_ERRORS]
        assert len(codes) == len(set(codes)) and all(c.startswith("E1") for c in codes)

    @pytest.mark.parametrize(("code", "example"), _cases())
    def test_each_example_produces_its_own_code(self, code: str, example: str) -> None:
        """Every example of an entry is reported with that entry's code and hint."""
        d = _error(example).diagnostics[0]
        entry = next(e for e in syntax.SYNTAX_ERRORS if e[0] == code)
        assert (d.code, d.message, d.hint) == (code, entry[1], entry[2])

    @pytest.mark.parametrize(("code", "example"), [c for c in _cases() if c.values[1].startswith(HEADER)])
    def test_same_code_after_another_declaration(self, code: str, example: str) -> None:
        """The curated message does not depend on where the mistake is in the file."""
        moved = HEADER + "fait z : entier fin\n" + example[len(HEADER):]
        assert _code(moved) == code

    def test_missing_fin_before_next_declaration(self) -> None:
        """A block left open before the next declaration is E110, at that declaration."""
        text = HEADER + "fait a : entier\n  question \"q\"\n\nrésultat r : entier = a fin"
        d = _error(text).diagnostics[0]
        assert d.code == "E110" and text[d.span.start:d.span.end] == "résultat"

    def test_formula_then_item_is_e111(self) -> None:
        """An item written after the formula is E111, at that item."""
        text = HEADER + "fait a : entier fin\nrésultat r : entier = a\n  unité \"u\"\nfin"
        d = _error(text).diagnostics[0]
        assert d.code == "E111" and text[d.span.start:d.span.end] == "unité"

    def test_chained_comparison_with_names(self) -> None:
        """`0 < x < 2` is E112, at the second operator."""
        text = HEADER + "fait x : entier fin\nrésultat r : booléen = 0 < x < 2 fin"
        d = _error(text).diagnostics[0]
        assert d.code == "E112" and d.span.start == text.rindex("<")

    def test_no_si_message_outside_a_si(self) -> None:
        """A stray value after a comparison is not reported as a missing « alors »."""
        text = HEADER + "fait x : entier fin\nrésultat r : booléen = x > 640 y fin"
        assert _code(text) not in {"E113", "E114"}

    def test_stray_character_is_not_curated(self) -> None:
        """A stray character in a state a curated example shares stays E100."""
        assert _code(HEADER + "fait x : booléen fin\nrésultat r : entier = si x = 1 $ fin") == "E100"

    def test_missing_header(self) -> None:
        """A file that does not start with `règles "…"` is E118, at its first word."""
        text = "# commentaire\nfait a : entier fin\n"
        d = _error(text).diagnostics[0]
        assert d.code == "E118" and (d.span.line, d.span.column) == (2, 1)


class TestParseFragment:
    """Tests for `syntax.parse_fragment`, which parses one table cell at its position."""

    def test_error_is_positioned_in_the_whole_source(self) -> None:
        """An error in a cell is reported at its line and column in the file."""
        text = HEADER + "  | a | 12 € + |\n"
        source = Source("f", text)
        offset = text.index("12")
        with pytest.raises(RulesError) as caught:
            syntax.parse_fragment(source, offset, "12 € +", "cell")
        d = caught.value.diagnostics[0]
        assert d.span.line == 2 and d.span.start >= offset

    def test_key_errors_say_so(self) -> None:
        """An unreadable key says it is a table key."""
        source = Source("f", HEADER + "| de 5 |\n")
        with pytest.raises(RulesError) as caught:
            syntax.parse_fragment(source, source.text.index("de"), "de 5", "key")
        assert caught.value.diagnostics[0].message.startswith("clé de tableau illisible")

    def test_valid_fragment(self) -> None:
        """A valid cell parses to a `cell` tree."""
        source = Source("f", HEADER + "| 7,5 % |\n")
        assert syntax.parse_fragment(source, source.text.index("7"), "7,5 %", "cell").data == "cell"


class TestReservedWords:
    """Tests for `reserved_words`."""

    def test_expression_keywords_are_reserved(self) -> None:
        """Words that may stand where a name stands are reserved."""
        assert {"si", "fin", "jours", "annee", "vrai", "au"} <= syntax.reserved_words()

    def test_type_words_are_not_reserved(self) -> None:
        """Type words may still name a rule (the contextual lexer tells them apart)."""
        assert not {"montant", "taux", "date"} & syntax.reserved_words()
