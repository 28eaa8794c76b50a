"""Tests for engine.check.checker: names, types, cycles, amendments, examples, schedules, warnings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

import engine
from engine.check import model
from engine.lang.types import BOOLEEN, DATE, DECIMAL, DUREE, ENTIER, MONTANT, TAUX
from support import codes, failure, first, load, underlined, warning_codes

FACTS = ("fait secteur : entier parmi {1, 2, 3} fin\n"
         "fait part : taux fin\n"
         "fait montant_annuel : montant fin\n"
         "fait date_signature : date fin\n"
         "fait optam : booléen fin\n"
         "fait option : énumération {tiers_temps, mi_temps, temps_plein} fin\n")


def _rule(type_: str, formula: str) -> str:
    return FACTS + f"résultat r : {type_} = {formula} fin\n"


def _type(type_: str, formula: str) -> model.Expr:
    """The checked formula of rule r."""
    return load(_rule(type_, formula)).program.definitions["r"].latest.body  # type: ignore[return-value]


class TestNames:
    """Tests for name resolution (E2xx)."""

    def test_unknown_name_with_suggestion(self) -> None:
        """An unknown name is E201, underlined, with the close name in the hint."""
        text = FACTS + "résultat r : booléen = secteurs = 1 fin"
        d = first(text)
        assert d.code == "E201" and underlined(d, "règles \"Test\"\n" + text) == "secteurs"
        assert d.hint is not None and "« secteur »" in d.hint

    def test_unknown_enum_word_lists_the_words(self) -> None:
        """An unknown word where an enumeration is expected lists its words when nothing is close."""
        d = first(_rule("booléen", "option = xyz"))
        assert d.code == "E201" and d.hint is not None and "tiers_temps" in d.hint

    def test_enum_word_resolved_by_context(self) -> None:
        """A word of the enumeration on the other side of `=` is that enumeration's constant."""
        body = _type("booléen", "option = mi_temps")
        assert isinstance(body, model.Compare) and body.right == model.Const("mi_temps", body.left.type)

    def test_unknown_type_is_e201(self) -> None:
        """An unknown type name is E201."""
        assert codes("fait a : entiers fin") == ["E201"]

    def test_duplicate_declaration_points_at_both(self) -> None:
        """A name declared twice is E202, with the first definition as a label."""
        d = first(FACTS + "résultat r : entier = 1 fin\nrésultat r : entier = 2 fin")
        assert d.code == "E202" and d.span.line == 9 and d.labels[0].span.line == 8

    def test_rule_named_like_a_fact(self) -> None:
        """A rule may not share its name with a fact (E202)."""
        assert codes(FACTS + "résultat secteur : entier = 1 fin") == ["E202"]

    def test_qualified_name_without_amended_file(self) -> None:
        """`fichier.nom` in a file that amends nothing is E203."""
        assert codes(_rule("booléen", "avenant7.r")) == ["E203"]

    def test_table_without_keys_is_e206(self) -> None:
        """A table named without its keys is E206; a rule called with arguments too."""
        table = "table t (o : option) : entier\n  | o | v |\n  | autre | 1 |\nfin\n"
        assert codes(FACTS + table + "résultat r : entier = t fin") == ["E206"]
        assert codes(FACTS + "règle q : entier = 1 fin\nrésultat r : entier = q(1) fin") == ["E206"]

    def test_wrong_argument_count_is_e207(self) -> None:
        """A call with the wrong number of arguments is E207, as is min of one value."""
        fn = "fonction f (x : entier) : entier = x fin\n"
        assert codes(FACTS + fn + "résultat r : entier = f(1, 2) fin") == ["E207"]
        assert codes(_rule("entier", "min(secteur)")) == ["E207"]

    def test_unknown_function(self) -> None:
        """Calling something undeclared is E201 with a suggestion among tables, functions and builtins."""
        d = first(_rule("entier", "mix(1, 2)"))
        assert d.code == "E201" and d.hint is not None and "« max »" in d.hint


class TestTypes:
    """Tests for typing with units (E3xx)."""

    @pytest.mark.parametrize(("type_", "formula", "expected"), [
        ("montant", "montant_annuel × part", MONTANT),
        ("montant", "montant_annuel + 12 000 €", MONTANT),
        ("taux", "part × 50 %", TAUX),
        ("décimal", "secteur / 3", DECIMAL),
        ("date", "date_signature + 1 mois", DATE),
        ("durée", "date_signature - 01/01/2020", DUREE),
        ("booléen", "part >= 20 %", BOOLEEN),
        ("entier", "secteur × 2 arrondi à l'entier", ENTIER),
        ("entier", "part × 1 000 arrondi à l'entier", ENTIER),
    ])
    def test_well_typed_formulas(self, type_: str, formula: str, expected: object) -> None:
        """Each formula gets the type its units give."""
        assert _type(type_, formula).type == expected

    def test_money_plus_date_is_e301(self) -> None:
        """Adding a date to money is E301, with a hint about durations."""
        d = first(_rule("montant", "montant_annuel + date_signature"))
        assert d.code == "E301" and d.hint is not None and "durée" in d.hint

    def test_rate_compared_with_a_count_is_e302(self) -> None:
        """Comparing a rate with a bare number is E302, with the % hint."""
        d = first(_rule("booléen", "part > 20"))
        assert d.code == "E302" and d.hint is not None and "%" in d.hint

    def test_order_on_booleans_is_e302(self) -> None:
        """`<` does not apply to booleans."""
        assert codes(_rule("booléen", "optam < vrai")) == ["E302"]

    def test_formula_type_mismatch_is_e303(self) -> None:
        """A formula of another type than declared is E303, with the € hint for a bare number."""
        d = first(_rule("montant", "12000"))
        assert d.code == "E303" and d.hint is not None and "€" in d.hint

    def test_condition_must_be_boolean(self) -> None:
        """`si`, `et`, `non` and `applicable si` need booleans (E304)."""
        assert codes(_rule("entier", "si secteur alors 1 sinon 2")) == ["E304"]
        assert codes(_rule("booléen", "optam et secteur")) == ["E304"]
        assert codes(_rule("booléen", "non secteur")) == ["E304"]
        assert codes(FACTS + "résultat r : entier\n  applicable si secteur\n  = 1\nfin") == ["E304"]

    def test_rounding_errors_are_e305(self) -> None:
        """Unknown rounding units, rounding a date, or `à l'euro` on a count are E305."""
        assert codes(_rule("montant", "montant_annuel arrondi au centimes")) == ["E305"]
        assert codes(_rule("date", "date_signature arrondi au centime")) == ["E305"]
        assert codes(_rule("entier", "secteur arrondi à l'euro")) == ["E305"]

    def test_unknown_rounding_underlines_the_unit(self) -> None:
        """The unknown rounding unit is what gets underlined."""
        text = _rule("montant", "montant_annuel arrondi au centimes")
        assert underlined(first(text), 'règles "Test"\n' + text) == "centimes"

    def test_au_on_a_rule_is_e306(self) -> None:
        """`au` applies to dated parameters and tables, not to rules (E306)."""
        assert codes(FACTS + "règle q : entier = 1 fin\nrésultat r : entier = q au date_signature fin") == ["E306"]

    def test_dated_parameter_without_au_is_e307(self) -> None:
        """A dated parameter read without a date is E307, with each version as a label."""
        param = "paramètre p : entier\n  à partir du 01/01/2020 : 1\n  à partir du 01/01/2024 : 2\nfin\n"
        d = first(FACTS + param + "résultat r : entier = p fin")
        assert d.code == "E307" and len(d.labels) == 2

    def test_empty_reason_is_e308(self) -> None:
        """A marker needs a reason (E308)."""
        assert codes(_rule("entier", 'non applicable "  "')) == ["E308"]

    def test_branches_of_different_types_are_e309(self) -> None:
        """Both branches of a `si` must agree (E309)."""
        assert codes(_rule("montant", "si optam alors 1 € sinon date_signature")) == ["E309"]

    def test_au_needs_a_date_is_e310(self) -> None:
        """`au` needs a date (E310)."""
        param = "paramètre p : entier\n  à partir du 01/01/2020 : 1\nfin\n"
        assert codes(FACTS + param + "résultat r : entier = p au secteur fin") == ["E310"]

    def test_version_date_must_be_constant_is_e311(self) -> None:
        """A version starts on a written date or a date parameter (E311)."""
        assert codes(FACTS + "paramètre p : entier\n  à partir du date_signature : 1\nfin\n"
                             "résultat r : entier = p au date_signature fin") == ["E311"]

    def test_version_date_from_a_parameter(self) -> None:
        """A date parameter may start a version."""
        rs = load(FACTS + "paramètre debut = 01/07/2024 fin\nparamètre p : entier\n  à partir du debut : 1\nfin\n"
                          "résultat r : entier = p au date_signature fin")
        assert rs.program.definitions["p"].versions[0].start == dt.date(2024, 7, 1)

    def test_set_of_non_constants_is_e312(self) -> None:
        """Sets hold written values only (E312)."""
        assert codes(_rule("booléen", "secteur dans {1, secteur}")) == ["E312"]

    def test_parameter_type_inferred_from_its_value(self) -> None:
        """A parameter without a declared type takes the type of its value."""
        rs = load(FACTS + "paramètre p = 7,5 %\nfin\nrésultat r : booléen = part > p fin")
        assert rs.program.definitions["p"].type == TAUX

    def test_marker_fits_any_type(self) -> None:
        """`non applicable` fits wherever a value is expected, even in date arithmetic."""
        load(_rule("date", '(non applicable "r") + 15 jours'))
        load(_rule("montant", 'montant_annuel × (indéterminé "r")'))

    def test_all_errors_at_once(self) -> None:
        """Every error of a file is reported in one RulesError, in file order."""
        found = codes(FACTS + "résultat a : booléen = part > 20 fin\nrésultat b : entier = inconnu fin\n"
                              "résultat c : montant = 1 fin")
        assert found == ["E302", "E201", "E303"]


class TestCycles:
    """Tests for cycle detection (E401)."""

    def test_two_rule_cycle(self) -> None:
        """Two rules that read each other are one E401, naming the path, with the other use as a label."""
        d = first(FACTS + "règle a : entier = b + 1 fin\nrègle b : entier = a + 1 fin\nrésultat r : entier = a fin")
        assert d.code == "E401" and "a → b → a" in d.message and len(d.labels) == 1
        assert "« b » utilise « a »" == d.labels[0].note

    def test_self_reference(self) -> None:
        """A rule that reads itself is a cycle."""
        assert codes(FACTS + "résultat r : entier = r + 1 fin") == ["E401"]

    def test_cycle_through_a_function_and_a_guard(self) -> None:
        """Cycles through function calls and guards are found too."""
        assert "E401" in codes(FACTS + "fonction f (x : entier) : entier = x + r fin\n"
                                       "résultat r : entier = f(1) fin")
        assert "E401" in codes(FACTS + "résultat r : booléen\n  applicable si r\n  = vrai\nfin")

    def test_one_error_per_cycle(self) -> None:
        """Two separate cycles give two errors."""
        text = FACTS + ("règle a : entier = b fin\nrègle b : entier = a fin\n"
                        "règle c : entier = d fin\nrègle d : entier = c fin\nrésultat r : entier = a + c fin")
        assert codes(text).count("E401") == 2


class TestModel:
    """Tests for the checked program (`engine.check.model`)."""

    def test_facts_carry_types_constraints_and_questions(self) -> None:
        """Declared facts keep their type, bounds, allowed values and question."""
        rs = load('fait a : entier de 1 à 9\n  question "Q ?"\nfin\nfait b : montant au plus 10 € fin\n'
                  "fait c : entier parmi {1, 2} fin\nrésultat r : booléen = a + c > 1 et b > 1 € fin")
        a, b, c = rs.facts["a"], rs.facts["b"], rs.facts["c"]
        assert (a.type, a.low, a.high, a.question) == (ENTIER, 1, 9, "Q ?")
        assert (b.low, b.high, c.allowed) == (None, Decimal(10), (1, 2))

    def test_bound_of_wrong_type_is_e302(self) -> None:
        """A bound that does not fit the fact's type is E302, with the % hint."""
        d = first("fait a : taux de 0 à 100 fin")
        assert d.code == "E302" and d.hint is not None and "%" in d.hint

    def test_outputs_in_declaration_order(self) -> None:
        """Outputs are the `résultat`s, in file order."""
        rs = load(FACTS + "résultat b : entier = 1 fin\nrègle q : entier = b fin\nrésultat a : entier = q fin")
        assert rs.program.outputs == ("b", "a")

    def test_citations_statuses_and_guards(self) -> None:
        """Definitions keep their sources, statuses and guard."""
        rs = load(FACTS + 'source A "Texte A" fin\nsource B "Texte B" fin\n'
                          'résultat r : booléen\n  source A : "art. 1"\n  source B\n  à confirmer : "n"\n'
                          '  applicable si optam sinon "raison"\n  = vrai\nfin')
        d = rs.program.definitions["r"]
        assert [str(c) for c in d.citation] == ["Texte A : art. 1", "Texte B"] and d.statuses[0].note == "n"
        assert d.guard == model.GuardInfo("optam", "raison")

    def test_duplicate_item_is_e109(self) -> None:
        """An item written twice in a block is E109, for rules and facts alike."""
        assert codes('fait a : entier "x" "y" fin') == ["E109"]
        assert codes(FACTS + 'résultat r : entier "x" "y" = 1 fin') == ["E109"]

    def test_internal_marks_definitions_and_replacements_inherit_it(self, tmp_path: Path) -> None:
        """`interne` sets `Definition.internal` in every kind of block; written twice it is E109; a
        replacement keeps the mark of the definition it replaces; a fact cannot carry it (syntax)."""
        rs = load(FACTS + "règle a : entier\n  interne\n  = 1\nfin\n"
                  "paramètre p = 2\n  interne\nfin\n"
                  "fonction f (x : entier) : entier\n  interne\n  = x + p\nfin\n"
                  "table t (k : entier) : entier\n  interne\n  | k | v |\n  | 1 | 1 |\nfin\n"
                  "résultat r : entier = a + f(1) + t(1) fin")
        definitions = rs.program.definitions
        assert [definitions[n].internal for n in ("a", "p", "f", "t", "r")] == [True, True, True, True, False]
        assert codes(FACTS + "résultat r : entier\n  interne\n  interne\n  = 1\nfin") == ["E109"]
        assert "E1" in codes("fait a : entier interne fin")[0]
        (tmp_path / "base.rules").write_text('règles "B"\ntexte "b" "B"\nfait x : entier fin\n'
                                             "règle m : entier\n  interne\n  = x\nfin\n"
                                             "résultat r : entier = m fin\n", encoding="utf-8")
        (tmp_path / "suite.rules").write_text('règles "S"\ntexte "s" "S"\nmodifie "base.rules"\n'
                                              "règle m : entier\n  remplace base.m\n  = x + 1\nfin\n",
                                              encoding="utf-8")
        assert engine.load(tmp_path / "suite.rules").program.definitions["m"].internal

    def test_parameter_without_value_is_e116(self) -> None:
        """A parameter with neither value nor dated values is E116."""
        assert codes('paramètre p : entier source "s" fin') == ["E116"]


class TestWarnings:
    """Tests for warnings (W1xx): the file loads, and they are kept on the program."""

    def test_unused_fact(self) -> None:
        """A fact no rule reads is W101."""
        assert warning_codes("fait a : entier fin\nfait b : entier fin\nrésultat r : entier = a fin") == ["W101"]

    def test_unused_parameter(self) -> None:
        """A parameter no rule reads is W102."""
        assert warning_codes("paramètre p = 1 fin\nrésultat r : entier = 1 fin") == ["W102"]

    def test_unused_rule(self) -> None:
        """A `règle` no other rule reads is W103; a `résultat` is never unused."""
        assert warning_codes("règle q : entier = 1 fin\nrésultat r : entier = 1 fin") == ["W103"]

    def test_unused_table_and_function(self) -> None:
        """Unused tables and functions are W104."""
        assert warning_codes("fonction f (x : entier) : entier = x fin\n"
                             "table t (a : entier) : entier\n  | a | v |\n  | autre | 1 |\nfin\n"
                             "résultat r : entier = 1 fin") == ["W104", "W104"]

    def test_schedule_axis_and_guard_count_as_uses(self) -> None:
        """A fact used only as a schedule axis or a guard is used."""
        assert warning_codes("fait a : entier fin\nfait g : booléen fin\n"
                             "résultat r : entier\n  applicable si g\n  = 1\nfin\n"
                             "échéancier a de 1 à 2 colonnes r fin") == []


class TestExamples:
    """Tests for examples (E7xx)."""

    def test_typed_example(self) -> None:
        """An example's facts and expectations are typed values."""
        rs = load(FACTS + "résultat r : montant = montant_annuel fin\n"
                          'exemple "e" montant_annuel = 12 000 €, part = 7,5 % attendu r = 12 000 € fin')
        case = rs.program.examples[0]
        assert case.facts == {"montant_annuel": Decimal(12000), "part": Decimal("0.075")}
        assert case.expected == (model.Expectation("r", "value", Decimal(12000)),)

    def test_reprend_inherits_facts(self) -> None:
        """`reprend` starts from the facts of an earlier example."""
        rs = load(FACTS + "résultat r : entier = secteur fin\n"
                          'exemple "a" secteur = 1, optam = vrai attendu r = 1 fin\n'
                          'exemple "b" reprend "a" secteur = 2 attendu r = 2 fin')
        assert rs.program.examples[1].facts == {"secteur": 2, "optam": True}

    def test_unknown_fact_is_e701(self) -> None:
        """An unknown fact in an example is E701, also inside `manquant (…)`."""
        assert codes(FACTS + 'résultat r : entier = 1 fin\nexemple "e" secteurs = 1 attendu r = 1 fin') == ["E701"]
        assert codes(FACTS + 'résultat r : entier = 1 fin\nexemple "e" attendu r = manquant (x) fin') == ["E701"]

    def test_unknown_output_is_e702(self) -> None:
        """An unknown result in an example is E702."""
        assert codes(FACTS + 'résultat r : entier = 1 fin\nexemple "e" attendu s = 1 fin') == ["E702"]

    def test_value_of_wrong_type_is_e703(self) -> None:
        """A value that does not fit the fact or the result is E703."""
        assert codes(FACTS + 'résultat r : entier = 1 fin\nexemple "e" part = 20 attendu r = 1 fin') == ["E703"]
        assert codes(FACTS + 'résultat r : entier = 1 fin\nexemple "e" attendu r = vrai fin') == ["E703"]

    def test_unknown_base_is_e704(self) -> None:
        """`reprend` of an example that does not exist (or comes later) is E704."""
        assert codes(FACTS + 'résultat r : entier = 1 fin\nexemple "e" reprend "f" attendu r = 1 fin\n'
                             'exemple "f" attendu r = 1 fin') == ["E704"]


class TestSchedule:
    """Tests for the schedule declaration (E705)."""

    def test_schedule_spec(self) -> None:
        """A schedule keeps its axis, bounds, columns and totals."""
        rs = load("fait a : entier fin\nrésultat m : montant = 1 € fin\néchéancier a de 1 à 3 colonnes m total m fin")
        assert rs.program.schedule == model.ScheduleSpec("a", 1, 3, ("m",), ("m",))

    @pytest.mark.parametrize("body", [
        "fait a : date fin\nrésultat m : montant = 1 € fin\néchéancier a de 1 à 3 colonnes m fin",
        "fait a : entier fin\nrésultat m : montant = 1 € fin\néchéancier a de 3 à 1 colonnes m fin",
        "fait a : entier fin\nrésultat m : date = 01/01/2020 fin\néchéancier a de 1 à 3 total m fin",
    ])
    def test_bad_schedules_are_e705(self, body: str) -> None:
        """A non-integer axis, an empty range or a total of dates is E705."""
        assert codes(body) == ["E705"]

    def test_unknown_column_is_e702(self) -> None:
        """A column that is not a result is E702."""
        assert codes("fait a : entier fin\nrésultat m : montant = 1 € fin\néchéancier a de 1 à 3 colonnes x fin") == \
            ["E702"]

    def test_second_schedule_is_e202(self) -> None:
        """One schedule per file."""
        assert codes("fait a : entier fin\nrésultat m : montant = 1 € fin\néchéancier a de 1 à 3 colonnes m fin\n"
                     "échéancier a de 1 à 2 colonnes m fin") == ["E202"]


class TestAmendments:
    """Tests for files that amend another (E6xx)."""

    BASE = ('règles "Base"\ntexte "base"\nfait s : entier fin\nparamètre p = 1 fin\n'
            "résultat r : booléen = s > p fin\nrésultat q : booléen = non r fin\n"
            "fonction f (x : entier) : entier = x + p fin\nrésultat u : entier = f(s) fin\n")

    @pytest.fixture
    def base(self, tmp_path: Path) -> Path:
        path = tmp_path / "base.rules"
        path.write_text(self.BASE, encoding="utf-8")
        return tmp_path

    def _load(self, folder: Path, body: str) -> engine.Ruleset:
        return engine.loads('règles "Modif"\ntexte "modif"\nmodifie "base.rules"\n' + body,
                            filename=str(folder / "modif.rules"))

    def _codes(self, folder: Path, body: str) -> list[str]:
        with pytest.raises(engine.RulesError) as caught:
            self._load(folder, body)
        return [d.code for d in caught.value.diagnostics if d.is_error]

    def test_replacement_is_seen_by_inherited_rules(self, base: Path) -> None:
        """An inherited rule reads the replacement; `base.r` is the original."""
        rs = self._load(base, "résultat r : booléen\n  remplace base.r\n  = s > 10 et base.r\nfin")
        out = rs.evaluate({"s": 5})
        assert out.values["r"] is False and out.values["q"] is True
        assert rs.program.definitions["r"].replaces == "base.r"

    def test_replaced_function_called_by_original(self, base: Path) -> None:
        """A replaced function may call its original."""
        rs = self._load(base, "fonction f (x : entier) : entier\n  remplace base.f\n  = base.f(x) × 2\nfin")
        assert rs.evaluate({"s": 3}).values["u"] == 8

    def test_facts_are_inherited(self, base: Path) -> None:
        """The amending file sees the facts of the amended one."""
        assert set(self._load(base, "").facts) == {"s"}

    def test_texts_in_order(self, base: Path) -> None:
        """The program lists the amended text, then the amending one."""
        assert [t.short for t in self._load(base, "").program.texts] == ["base", "modif"]

    def test_nothing_to_replace_is_e601(self, base: Path) -> None:
        """Replacing a definition that does not exist is E601."""
        assert self._codes(base, "résultat z : booléen\n  remplace base.z\n  = vrai\nfin") == ["E601"]

    def test_changing_type_or_kind_is_e602(self, base: Path) -> None:
        """A replacement keeps the type, kind and parameters of what it replaces (E602)."""
        assert self._codes(base, "résultat r : entier\n  remplace base.r\n  = 1\nfin") == ["E602"]
        assert self._codes(base, "règle p : entier\n  remplace base.p\n  = 1\nfin") == ["E602"]
        assert self._codes(base, "fonction f (x : taux) : entier\n  remplace base.f\n  = 1\nfin") == ["E602"]

    def test_redefinition_without_remplace_is_e603(self, base: Path) -> None:
        """Redefining an inherited name without `remplace`, or a fact with another type, is E603."""
        assert self._codes(base, "résultat r : booléen = vrai fin") == ["E603"]
        assert self._codes(base, "fait s : texte fin") == ["E603"]

    def test_fact_redeclared_with_the_same_type(self, base: Path) -> None:
        """An inherited fact may be declared again with the same type, e.g. to ask its own question."""
        rs = self._load(base, 'fait s : entier\n  question "Combien ?"\nfin')
        assert rs.facts["s"].question == "Combien ?"

    def test_renamed_replacement_is_e604(self, base: Path) -> None:
        """A replacement keeps its name (E604)."""
        assert self._codes(base, "résultat r2 : booléen\n  remplace base.r\n  = vrai\nfin") == ["E604"]

    def test_unknown_prefix_is_e203(self, base: Path) -> None:
        """`remplace x.r` with x not an amended text is E203, with the known prefixes as hint."""
        with pytest.raises(engine.RulesError) as caught:
            self._load(base, "résultat r : booléen\n  remplace autre.r\n  = vrai\nfin")
        d = caught.value.diagnostics[0]
        assert d.code == "E203" and d.hint is not None and "« base »" in d.hint

    def test_remplace_without_modifie_is_e606(self) -> None:
        """`remplace` in a file that amends nothing is E606."""
        assert codes("résultat r : booléen\n  remplace base.r\n  = vrai\nfin") == ["E606"]

    def test_missing_amended_file_is_e604(self, tmp_path: Path) -> None:
        """An amended file that cannot be found is E604, at the `modifie` string."""
        with pytest.raises(engine.RulesError) as caught:
            self._load(tmp_path, "")
        d = caught.value.diagnostics[0]
        assert d.code == "E604" and (d.span.line, d.span.column) == (3, 9)

    def test_errors_in_amended_file_are_e600_then_its_errors(self, tmp_path: Path) -> None:
        """Errors in the amended file are shown after an E600 at the `modifie` line."""
        (tmp_path / "base.rules").write_text('règles "b"\nrésultat r : entier = x fin\n', encoding="utf-8")
        with pytest.raises(engine.RulesError) as caught:
            self._load(tmp_path, "")
        assert [d.code for d in caught.value.diagnostics] == ["E600", "E201"]
        assert caught.value.diagnostics[1].span.file.endswith("base.rules")

    def test_circular_amendment_is_e605(self, tmp_path: Path) -> None:
        """Two files that amend each other give E605."""
        (tmp_path / "a.rules").write_text('règles "a"\nmodifie "b.rules"\n', encoding="utf-8")
        (tmp_path / "b.rules").write_text('règles "b"\nmodifie "a.rules"\n', encoding="utf-8")
        with pytest.raises(engine.RulesError) as caught:
            engine.load(tmp_path / "a.rules")
        assert "E605" in [d.code for d in caught.value.diagnostics]

    def test_dated_replacement_keeps_earlier_versions(self, tmp_path: Path) -> None:
        """A dated replacement adds a version; the original stays in force before its date."""
        (tmp_path / "base.rules").write_text(
            'règles "b"\ntexte "ancien"\nfait d : date fin\nfait o : énumération {x, y} fin\n'
            "table t (o : o) : montant\n  | o | v |\n  | x | 1 € |\n  | y | 2 € |\nfin\n"
            "résultat m : montant = t(o) au d fin\n", encoding="utf-8")
        rs = engine.loads('règles "n"\ntexte "nouveau"\nmodifie "base.rules"\n'
                          "table t (o : o) : montant\n  remplace base.t\n  à partir du 01/01/2024\n"
                          "  | o | v |\n  | x | 10 € |\n  | y | 20 € |\nfin\n"
                          "résultat quel : texte = texte de t au d fin\n", filename=str(tmp_path / "n.rules"))
        before = rs.evaluate({"d": dt.date(2023, 12, 31), "o": "x"})
        after = rs.evaluate({"d": dt.date(2024, 1, 1), "o": "x"})
        assert (before.values["m"], before.values["quel"]) == (Decimal(1), "ancien")
        assert (after.values["m"], after.values["quel"]) == (Decimal(10), "nouveau")


def test_failure_keeps_sources() -> None:
    """A RulesError from the checker keeps the source text, so it renders excerpts."""
    err = failure(FACTS + "résultat r : entier = inconnu fin")
    assert "<texte>" in err.sources and "inconnu" in str(err)
