"""Tests for the public API: engine.load / engine.loads, Ruleset and Outcome."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

import engine
from support import CASES, ROOT

TEXT = ('règles "Démo"\ntexte "démo"\n'
        'fait secteur : entier parmi {1, 2, 3}\n  "Secteur conventionnel"\n  question "Quel secteur ?"\nfin\n'
        "fait optam : booléen fin\n"
        "fait date_signature : date fin\n"
        "paramètre taux_avance = 70 %\n  source CONV : \"art. 1\"\nfin\n"
        "résultat conventionne : booléen\n  source CONV : \"art. 2\"\n  = secteur = 1 ou (secteur = 2 et optam)\nfin\n"
        "résultat avance : montant = taux_avance × 12 000 € fin\n"
        "résultat echeance : date = date_signature + 1 mois fin\n"
        "règle interne : entier = secteur × 2 fin\n"
        "résultat double : entier = interne fin\n"
        'source CONV "Convention de démonstration" éditeur "Démo" date 01/01/2020 lien "https://exemple.fr/conv" fin\n')


@pytest.fixture(scope="module")
def rs() -> engine.Ruleset:
    return engine.loads(TEXT, filename="demo.rules")


class TestLoads:
    """Tests for `engine.loads`."""

    def test_returns_a_ruleset(self, rs: engine.Ruleset) -> None:
        """Loading a text returns a Ruleset with the file's title."""
        assert isinstance(rs, engine.Ruleset) and rs.title == "Démo"

    def test_filename_appears_in_diagnostics(self) -> None:
        """The filename is the name diagnostics show."""
        with pytest.raises(engine.RulesError) as caught:
            engine.loads('règles "t"\nrésultat r : entier = x fin', filename="mon/fichier.rules")
        assert caught.value.diagnostics[0].span.file == "mon/fichier.rules"
        assert " --> mon/fichier.rules:2:23" in str(caught.value)

    def test_default_filename(self) -> None:
        """Without a filename, diagnostics name `<texte>`."""
        with pytest.raises(engine.RulesError) as caught:
            engine.loads('règles "t"\nrésultat r : entier = x fin')
        assert caught.value.diagnostics[0].span.file == "<texte>"

    def test_filename_is_keyword_only(self) -> None:
        """`filename` must be passed by keyword."""
        with pytest.raises(TypeError):
            engine.loads(TEXT, "demo.rules")  # type: ignore[misc]

    @pytest.mark.parametrize("bad", [b'regles "t"', None, 3])
    def test_not_a_string_is_a_type_error(self, bad: object) -> None:
        """Anything but a str is a TypeError naming the type given."""
        with pytest.raises(TypeError, match=type(bad).__name__):
            engine.loads(bad)  # type: ignore[arg-type]

    def test_amended_file_relative_to_filename(self) -> None:
        """`modifie` is resolved next to `filename`."""
        rs = engine.loads('règles "m"\nmodifie "base.rules"\n', filename=str(CASES / "check" / "good" / "m.rules"))
        assert [t.prefix for t in rs.program.texts] == ["base", "m"]


class TestLoad:
    """Tests for `engine.load`."""

    def test_load_a_bundled_file(self) -> None:
        """A bundled rule file loads from a path given as str or Path."""
        assert engine.load("rulesets/avenant7.rules").outputs == engine.load(ROOT / "rulesets" / "avenant7.rules").outputs

    def test_amending_file_loads_what_it_amends_by_relative_path(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """An amending file loads the file it amends relative to its own folder, from any working directory."""
        folder = tmp_path / "textes"
        folder.mkdir()
        (folder / "base.rules").write_text('règles "b"\nfait s : entier fin\nrésultat r : entier = s fin\n',
                                           encoding="utf-8")
        (folder / "modif.rules").write_text('règles "m"\nmodifie "base.rules"\n'
                                            "résultat r : entier\n  remplace base.r\n  = base.r × 2\nfin\n",
                                            encoding="utf-8")
        monkeypatch.chdir(tmp_path.parent)
        assert engine.load(folder / "modif.rules").evaluate({"s": 2}).values == {"r": 4}

    def test_convention_amends_avenant(self) -> None:
        """The bundled convention 2024 loads avenant 7 through `modifie`."""
        rs = engine.load("rulesets/convention2024.rules")
        assert [t.prefix for t in rs.program.texts] == ["avenant7", "convention2024"]

    def test_missing_file_is_e001(self, tmp_path: Path) -> None:
        """A path that does not exist is a RulesError E001, not an OSError."""
        with pytest.raises(engine.RulesError) as caught:
            engine.load(tmp_path / "absent.rules")
        assert [d.code for d in caught.value.diagnostics] == ["E001"]

    def test_directory_is_e001(self, tmp_path: Path) -> None:
        """A directory is E001 too."""
        with pytest.raises(engine.RulesError) as caught:
            engine.load(tmp_path)
        assert caught.value.diagnostics[0].code == "E001"

    def test_paths_relative_to_working_directory(self) -> None:
        """Diagnostics name files relative to the working directory."""
        with pytest.raises(engine.RulesError) as caught:
            engine.load(CASES / "diagnostics" / "E201_unknown_name.rules")
        assert caught.value.diagnostics[0].span.file == "tests/cases/diagnostics/E201_unknown_name.rules"


class TestRuleset:
    """Tests for `Ruleset` properties."""

    def test_facts(self, rs: engine.Ruleset) -> None:
        """`facts` maps each declared fact to its declaration (type, description, question)."""
        assert list(rs.facts) == ["secteur", "optam", "date_signature"]
        assert rs.facts["secteur"].question == "Quel secteur ?"
        assert rs.facts["secteur"].description == "Secteur conventionnel"
        assert str(rs.facts["date_signature"].type) == "date"

    def test_outputs(self, rs: engine.Ruleset) -> None:
        """`outputs` lists the results in declaration order, not the intermediate rules."""
        assert list(rs.outputs) == ["conventionne", "avance", "echeance", "double"]
        assert [str(c) for c in rs.outputs["conventionne"].citation] == [
            "Convention de démonstration (Démo, 01/01/2020) : art. 2"]

    def test_warnings(self, rs: engine.Ruleset) -> None:
        """`warnings` is empty for a clean file and lists W1xx otherwise."""
        assert rs.warnings == ()
        assert [d.code for d in engine.loads('règles "t"\nfait a : entier fin\n').warnings] == ["W101"]

    def test_repr(self, rs: engine.Ruleset) -> None:
        """The repr names the file and the number of results."""
        assert repr(rs) == "<Ruleset 'demo.rules': 4 résultats>"


class TestEvaluate:
    """Tests for `Ruleset.evaluate` and `Outcome`."""

    def test_amounts_have_euros_and_cents(self) -> None:
        """An amount the arithmetic left as `8400.0` (12 000 × 70 %) is `Decimal("8400.00")`, in
        `values` as in `--json`."""
        outcome = engine.load(ROOT / "rulesets" / "avenant7.rules").evaluate(
            {"specialite": "medecine_generale", "secteur": 1, "option": "tiers_temps", "rqth": False,
             "nouvel_installe": True, "exercice_regroupe": True, "exercice_coordonne": True,
             "date_signature": "2020-01-15", "date_embauche": "2020-01-10", "annee_contrat": 1})
        assert str(outcome.values["avance"]) == "8400.00" and str(outcome.values["montant_maximal"]) == "12000.00"
        assert outcome.values["avance"] == Decimal("8400")

    def test_values(self, rs: engine.Ruleset) -> None:
        """`values` maps each output with a value to it, as exact Python values."""
        out = rs.evaluate({"secteur": 1, "date_signature": "2021-01-31"})
        assert out.values == {"conventionne": True, "avance": Decimal("8400.00"), "echeance": dt.date(2021, 2, 28),
                              "double": 2}

    def test_status(self, rs: engine.Ruleset) -> None:
        """`status` says value, missing, not_applicable or undetermined."""
        out = rs.evaluate({"secteur": 2})
        assert out.status("conventionne") == "missing" and out.status("avance") == "value"

    def test_missing(self, rs: engine.Ruleset) -> None:
        """`missing` lists the facts some output needs and was not given."""
        assert rs.evaluate({"secteur": 2}).missing == {"optam", "date_signature"}
        assert rs.evaluate({}).missing == {"secteur", "optam", "date_signature"}

    def test_outputs_argument(self, rs: engine.Ruleset) -> None:
        """`outputs=` computes only the named results, which may be intermediate rules."""
        out = rs.evaluate({"secteur": 3}, outputs=["interne"])
        assert out.values == {"interne": 6} and out.missing == frozenset()

    def test_outputs_is_keyword_only(self, rs: engine.Ruleset) -> None:
        """`outputs` must be passed by keyword."""
        with pytest.raises(TypeError):
            rs.evaluate({}, ["avance"])  # type: ignore[misc]

    def test_unknown_output_is_a_value_error(self, rs: engine.Ruleset) -> None:
        """An unknown output name is a ValueError with a suggestion."""
        with pytest.raises(ValueError, match="conventionne"):
            rs.evaluate({}, outputs=["conventione"])

    def test_result_of_a_non_output(self, rs: engine.Ruleset) -> None:
        """`status` and `result` also work for an intermediate rule, computed on demand."""
        out = rs.evaluate({"secteur": 2})
        assert out.status("interne") == "value" and out.result("interne") == engine.Value(4)

    def test_reason(self) -> None:
        """`reason` gives the French reason of a non applicable result."""
        out = engine.loads('règles "t"\nrésultat r : entier = non applicable "hors champ" fin').evaluate({})
        assert out.status("r") == "not_applicable" and out.reason("r") == "hors champ"
        assert out.values == {}

    def test_evaluation_is_pure(self, rs: engine.Ruleset) -> None:
        """Two evaluations do not influence each other."""
        first = rs.evaluate({"secteur": 1})
        rs.evaluate({"secteur": 3})
        assert first.values["conventionne"] is True and rs.evaluate({"secteur": 1}).values == first.values

    def test_fraction_values_are_decimals(self) -> None:
        """A non-terminating result is given to callers as a Decimal."""
        out = engine.loads('règles "t"\nrésultat r : décimal = 1 / 3 fin').evaluate({})
        assert isinstance(out.values["r"], Decimal) and str(out.values["r"]).startswith("0.3333")


class TestTraceAndExplain:
    """Tests for `Outcome.trace` and `Outcome.explain`."""

    def test_trace_is_json_serialisable(self, rs: engine.Ruleset) -> None:
        """`trace` goes through json.dumps as it is, with facts and one tree per result."""
        out = rs.evaluate({"secteur": 2, "date_signature": dt.date(2024, 1, 31)})
        data = json.loads(json.dumps(out.trace))
        assert data["rules"] == "demo.rules" and data["facts"] == {"secteur": 2, "date_signature": "2024-01-31"}
        assert [r["label"] for r in data["results"]] == ["conventionne", "avance", "echeance", "double"]
        assert data["results"][0]["status"] == "missing" and data["results"][0]["missing"] == ["optam"]

    def test_trace_has_spans_values_and_sources(self, rs: engine.Ruleset) -> None:
        """Trace events carry spans, values as strings where JSON has no exact type, and sources."""
        avance = rs.evaluate({"secteur": 1}).trace["results"][1]
        assert Decimal(avance["value"]) == 8400 and avance["span"]["line"] == 16 and avance["sources"] == []
        param = next(c for c in avance["children"][0]["children"] if c["label"] == "taux_avance")
        assert param["kind"] == "parameter" and param["sources"] == [
            {"key": "CONV", "title": "Convention de démonstration", "publisher": "Démo", "date": "2020-01-01",
             "url": "https://exemple.fr/conv", "detail": "art. 1"}]

    def test_explain_is_french_text(self, rs: engine.Ruleset) -> None:
        """`explain` returns a French text that names the result and its source."""
        text = rs.evaluate({"secteur": 1}).explain("conventionne")
        assert isinstance(text, str) and "conventionne" in text and "Convention de démonstration (Démo, 01/01/2020) : art. 2" in text


def test_public_surface() -> None:
    """The package exports the documented names of the engine core, each of which exists."""
    core = {"Diagnostic", "EngineError", "FactsError", "Missing", "NotApplicable", "Outcome", "RulesError", "Ruleset",
            "Severity", "Undetermined", "Value", "load", "loads"}
    assert core <= set(engine.__all__) and len(engine.__all__) == len(set(engine.__all__))
    assert all(hasattr(engine, name) for name in engine.__all__)
