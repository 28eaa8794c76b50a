"""Tests for engine.base.diagnostics: diagnostics, RulesError, suggestions and the plain-text renderer."""

from __future__ import annotations

import json

import attrs

from engine.base.diagnostics import (Diagnostic, EngineError, Label, RulesError, Severity, agree, error, render,
                                render_all, sort_key, suggest, warning)
from engine.base.source import NOWHERE, Source

TEXT = 'règles "t"\nrésultat r : booléen = âge > 640 fin\n\tsi\tx alors y\n'
SOURCE = Source("f.rules", TEXT)
SOURCES = {"f.rules": SOURCE}


def _span(word: str, length: int | None = None):  # type: ignore[no-untyped-def]
    start = TEXT.index(word)
    return SOURCE.span(start, start + (len(word) if length is None else length))


class TestBuilders:
    """Tests for `error`, `warning` and `Diagnostic`."""

    def test_error(self) -> None:
        """`error` builds an ERROR diagnostic that stops loading."""
        d = error("E201", "nom inconnu « âge »", _span("âge"), "vouliez-vous dire ?")
        assert d.severity is Severity.ERROR and d.is_error and d.code == "E201"

    def test_warning(self) -> None:
        """`warning` builds a WARNING diagnostic that does not stop loading."""
        d = warning("W101", "fait inutilisé", _span("âge"))
        assert d.severity is Severity.WARNING and not d.is_error

    def test_labels_are_a_tuple(self) -> None:
        """Labels given as any iterable are stored as a tuple."""
        d = error("E202", "m", _span("âge"), labels=[Label(_span("r"), "ici")])
        assert d.labels == (Label(_span("r"), "ici"),)

    def test_to_json_is_serialisable(self) -> None:
        """The JSON form holds code, severity, message, span, hint and labels."""
        d = error("E202", "m", _span("âge"), "h", [Label(_span("r"), "première")])
        data = json.loads(json.dumps(d.to_json()))
        assert data["code"] == "E202" and data["severity"] == "error" and data["hint"] == "h"
        assert data["span"]["line"] == 2 and data["labels"][0]["note"] == "première"

    def test_frozen(self) -> None:
        """Diagnostics are immutable values."""
        d = error("E201", "m", _span("âge"))
        assert d == error("E201", "m", _span("âge"))
        try:
            d.code = "E202"  # type: ignore[misc]
        except attrs.exceptions.FrozenInstanceError:
            pass
        else:  # pragma: no cover
            raise AssertionError("a diagnostic could be modified")


class TestAgree:
    """Tests for `agree`, the article agreement of feminine type names."""

    def test_feminine_types(self) -> None:
        """`un date`, `un durée`, `un énumération` take the feminine article."""
        assert agree("pas un date, un durée ni un énumération « x »") == \
            "pas une date, une durée ni une énumération « x »"

    def test_masculine_types_and_longer_words_unchanged(self) -> None:
        """Masculine type names and words that merely start like a type are left alone."""
        assert agree("un montant, un dateur") == "un montant, un dateur"

    def test_applied_by_builders(self) -> None:
        """Messages built by `error` and `warning` agree."""
        assert error("E310", "pas un date", NOWHERE).message == "pas une date"
        assert warning("W101", "pas un durée", NOWHERE).message == "pas une durée"


class TestRulesError:
    """Tests for `RulesError`."""

    def test_is_an_engine_error(self) -> None:
        """RulesError is the EngineError loading raises."""
        assert issubclass(RulesError, EngineError)

    def test_errors_excludes_warnings(self) -> None:
        """`errors` keeps only the diagnostics that are errors."""
        e = RulesError((error("E201", "m", _span("âge")), warning("W101", "w", _span("r"))), SOURCES)
        assert [d.code for d in e.errors] == ["E201"]

    def test_str_renders_every_diagnostic(self) -> None:
        """`str()` of the error is the rendering of all its diagnostics."""
        e = RulesError((error("E201", "m", _span("âge")), error("E302", "n", _span("640"))), SOURCES)
        text = str(e)
        assert text == render_all(e.diagnostics, SOURCES)
        assert "erreur[E201]" in text and "erreur[E302]" in text and text.endswith("2 erreurs")


class TestSuggest:
    """Tests for `suggest`."""

    def test_close_name(self) -> None:
        """A close candidate is suggested, quoted."""
        assert suggest("patientele_mt", ["patientele_mt_adulte", "secteur"]) == \
            "vouliez-vous dire « patientele_mt_adulte » ?"

    def test_several_candidates(self) -> None:
        """Up to three candidates are offered, joined by « ou »."""
        hint = suggest("taux", ["taux1", "taux2", "taux3", "taux4"])
        assert hint is not None and hint.count("«") == 3 and " ou " in hint

    def test_nothing_close(self) -> None:
        """No hint when nothing is close."""
        assert suggest("zzz", ["patientele", "secteur"]) is None

    def test_no_candidates(self) -> None:
        """No hint without candidates."""
        assert suggest("x", []) is None


class TestSortKey:
    """Tests for `sort_key`."""

    def test_orders_by_file_line_column_code(self) -> None:
        """Diagnostics sort by file, then position, then code."""
        a = error("E302", "m", _span("640"))
        b = error("E201", "m", _span("âge"))
        c = error("E101", "m", _span("âge"))
        assert sorted([a, b, c], key=sort_key) == [c, b, a]


class TestRender:
    """Tests for `render` and `render_all`."""

    def test_header_location_and_caret(self) -> None:
        """The rendering has the header, a GNU location, the line and a caret as wide as the span."""
        text = render(error("E201", "nom inconnu « âge »", _span("âge"), "une aide"), SOURCES)
        assert text.splitlines() == [
            "erreur[E201]: nom inconnu « âge »",
            " --> f.rules:2:24",
            "  |",
            "2 | résultat r : booléen = âge > 640 fin",
            "  |                        ^^^",
            "  = aide : une aide",
        ]

    def test_warning_header(self) -> None:
        """A warning is headed « avertissement »."""
        assert render(warning("W101", "w", _span("âge")), SOURCES).startswith("avertissement[W101]: w")

    def test_tabs_are_expanded_before_the_caret(self) -> None:
        """The caret lines up with the text after tabs are expanded."""
        lines = render(error("E101", "m", _span("x alors", 1)), SOURCES).splitlines()
        code_line, caret_line = lines[3], lines[4]
        assert code_line[len("3 | "):].index("x") == caret_line[len("  | "):].index("^")

    def test_multi_line_span_underlines_to_end_of_line(self) -> None:
        """A span running over several lines is underlined to the end of its first line."""
        start = TEXT.index("640")
        lines = render(error("E101", "m", SOURCE.span(start, start + 20)), SOURCES).splitlines()
        assert lines[4].endswith("^" * len("640 fin"))

    def test_labels_and_citation(self) -> None:
        """Labels render as more located excerpts with their note; the citation has its own line."""
        d = attrs.evolve(error("E202", "m", _span("âge"), "h", [Label(_span("règles"), "première")]),
                         citation="Avenant 7, art. 1")
        lines = render(d, SOURCES).splitlines()
        assert " --> f.rules:1:1" in lines
        assert any(line.endswith("^^^^^^ première") for line in lines)
        assert lines[-2:] == ["  = source : Avenant 7, art. 1", "  = aide : h"]

    def test_unknown_source_shows_location_only(self) -> None:
        """Without the source text, only the location (and a note) is shown."""
        d = error("E001", "m", attrs.evolve(NOWHERE, file="absent.rules"), labels=[Label(NOWHERE, "n")])
        assert render(d, {}).splitlines() == ["erreur[E001]: m", " --> absent.rules", " --> <nulle part>",
                                              "  = note : n"]

    def test_wide_line_numbers_widen_the_gutter(self) -> None:
        """The gutter is as wide as the line number."""
        source = Source("g", "\n" * 11 + "abc")
        lines = render(error("E101", "m", source.span(11, 12)), {"g": source}).splitlines()
        assert lines[2:5] == ["   |", "12 | abc", "   | ^"]

    def test_empty_line_gets_one_caret(self) -> None:
        """A span on an empty line still shows one caret."""
        source = Source("g", "")
        assert render(error("E103", "m", source.span(0, 0)), {"g": source}).splitlines()[-1] == "  | ^"

    def test_count_line(self) -> None:
        """`render_all` ends with the count of errors and warnings, in French."""
        e, w = error("E201", "m", _span("âge")), warning("W101", "w", _span("r"))
        assert render_all([e], SOURCES).endswith("\n\n1 erreur")
        assert render_all([e, e, w], SOURCES).endswith("2 erreurs et 1 avertissement")
        assert render_all([w, w], SOURCES).endswith("2 avertissements")
        assert render_all([], SOURCES) == "aucun problème"

    def test_blocks_separated_by_blank_lines(self) -> None:
        """Each diagnostic is its own block."""
        e = error("E201", "m", _span("âge"))
        assert render_all([e, e], SOURCES).count("\n\nerreur[E201]") == 1


def test_diagnostic_is_exported() -> None:
    """The public package exports Diagnostic, RulesError and Severity from this module."""
    import engine
    assert engine.Diagnostic is Diagnostic and engine.RulesError is RulesError and engine.Severity is Severity
