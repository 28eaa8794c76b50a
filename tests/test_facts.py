"""Tests for engine.inputs.facts: validating and coercing input facts against their declarations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import engine
from engine.inputs.facts import FactProblem, FactsError, validate
from engine.lang.values import Duration
from support import load

RULES = load(
    "fait secteur : entier parmi {1, 2, 3} fin\n"
    "fait annee_contrat : entier fin\n"
    "fait patientele : entier au moins 0 fin\n"
    "fait rang : décimal de 0 à 100 fin\n"
    "fait part : taux de 0 % à 100 % fin\n"
    "fait montant : montant au plus 1 000 € fin\n"
    "fait optam : booléen fin\n"
    "fait date_signature : date de 01/01/2000 à 31/12/2040 fin\n"
    "fait departement : texte fin\n"
    "fait delai : durée fin\n"
    "fait option : énumération {tiers_temps, mi_temps, temps_plein} fin\n"
    "résultat r : booléen = secteur + annee_contrat + patientele > rang et part > 0 % et montant > 0 € et optam "
    "et date_signature > 01/01/2000 et departement = \"75\" et option = mi_temps et delai > 1 jour fin\n")


def _problems(facts: dict[str, object]) -> list[FactProblem]:
    with pytest.raises(FactsError) as caught:
        validate(RULES.program, facts)
    return list(caught.value.problems)


def _one(facts: dict[str, object]) -> FactProblem:
    (problem,) = _problems(facts)
    return problem


class TestCoercion:
    """Tests for accepted values and the runtime values they become."""

    @pytest.mark.parametrize(("name", "given", "value"), [
        ("secteur", 2, 2), ("secteur", "2", 2), ("secteur", 2.0, 2), ("annee_contrat", Decimal("3"), 3),
        ("rang", 29.9, Decimal("29.9")), ("rang", "29,9", Decimal("29.9")), ("rang", 50, Decimal(50)),
        ("part", "0.8", Decimal("0.8")), ("part", "80 %", Decimal("0.8")), ("part", 0.075, Decimal("0.075")),
        ("montant", "180.50", Decimal("180.50")), ("montant", "1 000", Decimal(1000)),
        ("montant", "999,99 €", Decimal("999.99")),
        ("optam", True, True), ("optam", "vrai", True), ("optam", "false", False), ("optam", "non", False),
        ("date_signature", "2024-06-22", dt.date(2024, 6, 22)), ("date_signature", "22/06/2024", dt.date(2024, 6, 22)),
        ("date_signature", dt.date(2024, 6, 22), dt.date(2024, 6, 22)),
        ("date_signature", dt.datetime(2024, 6, 22, 10, 30), dt.date(2024, 6, 22)),
        ("departement", "2A", "2A"), ("option", "mi_temps", "mi_temps"), ("delai", Duration(days=3), Duration(days=3)),
    ])
    def test_accepted(self, name: str, given: object, value: object) -> None:
        """JSON and Python forms are accepted and become exact runtime values."""
        assert validate(RULES.program, {name: given}) == {name: value}
        assert type(validate(RULES.program, {name: given})[name]) is type(value)

    def test_floats_become_exact_decimals(self) -> None:
        """A binary float becomes the Decimal of its shortest representation: 0.1 is exactly 0.1."""
        assert validate(RULES.program, {"rang": 0.1})["rang"] == Decimal("0.1")
        assert validate(RULES.program, {"part": 0.3})["part"] == Decimal("0.3")

    def test_none_means_not_given(self) -> None:
        """None is the same as leaving the fact out."""
        assert validate(RULES.program, {"secteur": None}) == {}


class TestRefused:
    """Tests for FactsError: it names the fact, what was expected and what was given."""

    def test_unknown_fact_with_suggestion(self) -> None:
        """An unknown fact is refused, with the close declared name as hint."""
        p = _one({"secteurs": 1})
        assert (p.fact, p.given) == ("secteurs", "un fait inconnu")
        assert p.hint is not None and "« secteur »" in p.hint

    def test_wrong_type(self) -> None:
        """A text where a number is expected is refused, showing what was given."""
        p = _one({"patientele": "beaucoup"})
        assert (p.fact, p.expected, p.given) == ("patientele", "un nombre entier", "« beaucoup »")

    def test_bool_is_not_an_integer(self) -> None:
        """`true` for an entier is refused, although Python's bool is an int."""
        p = _one({"patientele": True})
        assert (p.fact, p.expected, p.given) == ("patientele", "un nombre entier", "true")

    def test_bool_is_not_a_number(self) -> None:
        """`true` for a taux is refused too."""
        assert _one({"part": True}).fact == "part"

    def test_fraction_for_an_integer(self) -> None:
        """2.5 for an entier is refused, with a hint."""
        p = _one({"annee_contrat": 2.5})
        assert p.expected == "un nombre entier" and p.hint == "sans partie décimale"

    def test_outside_declared_values(self) -> None:
        """A value outside `parmi {…}` is refused, listing the allowed values."""
        p = _one({"secteur": 4})
        assert (p.fact, p.given) == ("secteur", "4") and p.expected == "l'une des valeurs 1, 2, 3"

    @pytest.mark.parametrize(("name", "given", "expected"), [
        ("patientele", -1, "une valeur d'au moins 0"), ("rang", 100.5, "une valeur d'au plus 100"),
        ("part", "120 %", "une valeur d'au plus 1"), ("montant", "18000.00", "une valeur d'au plus 1000"),
        ("date_signature", "1999-12-31", "une valeur d'au moins 2000-01-01"),
    ])
    def test_outside_declared_range(self, name: str, given: object, expected: str) -> None:
        """A value outside `de … à`, `au moins`, `au plus` is refused, saying the bound."""
        p = _one({name: given})
        assert (p.fact, p.expected) == (name, expected)

    def test_unknown_enum_word_with_suggestion(self) -> None:
        """A word outside the enumeration lists its words, with a suggestion."""
        p = _one({"option": "mi-temps"})
        assert "tiers_temps, mi_temps, temps_plein" in p.expected and p.hint is not None and "mi_temps" in p.hint

    @pytest.mark.parametrize("given", ["2024-02-30", "30/02/2024"])
    def test_impossible_date(self, given: str) -> None:
        """A date that does not exist is refused."""
        assert _one({"date_signature": given}).expected == "une date qui existe (AAAA-MM-JJ ou JJ/MM/AAAA)"

    @pytest.mark.parametrize("given", ["demain", 20240622, "2024/06/22"])
    def test_not_a_date(self, given: object) -> None:
        """Something that is not a date is refused."""
        assert _one({"date_signature": given}).expected == "une date (AAAA-MM-JJ ou JJ/MM/AAAA)"

    @pytest.mark.parametrize("given", [float("nan"), float("inf"), Decimal("NaN"), "1e5", "12,5,3", [1], {"a": 1}])
    def test_not_a_number(self, given: object) -> None:
        """NaN, infinity and malformed numbers are refused for numeric facts."""
        assert _one({"rang": given}).fact == "rang"

    def test_percent_sign_only_for_rates(self) -> None:
        """`80 %` is accepted for a taux only."""
        assert _one({"rang": "80 %"}).fact == "rang"

    def test_text_must_be_a_string(self) -> None:
        """A number for a texte fact is refused."""
        assert _one({"departement": 75}).expected == "un texte"

    def test_duration_facts_need_durations(self) -> None:
        """A durée fact only takes a Duration."""
        assert _one({"delai": "15 jours"}).fact == "delai"

    def test_every_problem_at_once(self) -> None:
        """All bad facts are reported together, in the order given."""
        assert [p.fact for p in _problems({"secteur": 9, "optam": "peut-être", "inconnu": 1})] == \
            ["secteur", "optam", "inconnu"]

    def test_not_a_mapping(self) -> None:
        """Facts must be a mapping."""
        assert _one([("secteur", 1)]).fact == "(faits)"  # type: ignore[arg-type]

    def test_message_is_french_and_complete(self) -> None:
        """The error message has one line per problem, naming fact, expected and given."""
        with pytest.raises(FactsError) as caught:
            validate(RULES.program, {"secteur": 9})
        assert str(caught.value) == "fait « secteur » : attendu l'une des valeurs 1, 2, 3, reçu 9"

    def test_is_an_engine_error_and_a_value_error(self) -> None:
        """FactsError is exported, and is both an EngineError and a ValueError."""
        assert engine.FactsError is FactsError
        assert issubclass(FactsError, engine.EngineError) and issubclass(FactsError, ValueError)

    def test_evaluate_validates(self) -> None:
        """`Ruleset.evaluate` raises FactsError for bad facts."""
        with pytest.raises(FactsError):
            RULES.evaluate({"secteur": "un"})
