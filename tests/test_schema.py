"""Tests for `regles schema`: the JSON Schema (draft 2020-12) of the facts a rule file accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import engine
from engine.cli.main import main
from engine.inputs.jsonschema import facts_schema

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def _value(fact: dict) -> dict:  # type: ignore[type-arg]
    """The schema of one value of a fact (a rule file with a schedule also accepts an object per year)."""
    one, per_year = fact["anyOf"]
    assert per_year["type"] == "object" and per_year["additionalProperties"] == one
    return one  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def schema() -> dict:  # type: ignore[type-arg]
    return facts_schema(engine.load(ROOT / "rulesets/convention2024.rules").program)


class TestSchema:
    """What the schema says about each fact."""

    def test_dialect_and_object(self, schema: dict) -> None:  # type: ignore[type-arg]
        """A draft 2020-12 object schema: every declared fact (amended file included), none required, no other key."""
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert "required" not in schema
        assert {"specialite", "patientele_mt_adulte", "part_honoraires_cliniques", "date_naissance"} <= set(schema["properties"])

    def test_descriptions_and_questions(self, schema: dict) -> None:  # type: ignore[type-arg]
        """Each fact carries its question as title and its description."""
        fact = schema["properties"]["specialite"]
        assert fact["title"] == "Quelle est la spécialité d'exercice du médecin ?"
        assert fact["description"].startswith("Spécialité d'exercice du médecin.")

    def test_enum_with_labels(self, schema: dict) -> None:  # type: ignore[type-arg]
        """An enumeration lists its words, with their labels as titles."""
        fact = _value(schema["properties"]["option"])
        assert fact["enum"][:2] == ["tiers_temps", "mi_temps"] and None in fact["enum"]
        assert {"const": "mi_temps", "title": "mi-temps (1/2 ETP)"} in fact["oneOf"]

    def test_allowed_values_and_ranges(self, schema: dict) -> None:  # type: ignore[type-arg]
        """`parmi` becomes enum; `au moins` and `de … à` become minimum and maximum."""
        assert _value(schema["properties"]["secteur"])["enum"] == [1, 2, 3, None]
        assert schema["properties"]["annee_contrat"]["minimum"] == 1
        rate = schema["properties"]["part_honoraires_cliniques"]
        number = next(s for s in _value(rate)["anyOf"] if s["type"] == "number")
        assert (number["minimum"], number["maximum"]) == (0, 1)
        assert "Valeurs de 0 % (en JSON : 0) à 100 % (en JSON : 1)." in rate["description"]

    def test_json_forms_of_types(self, schema: dict) -> None:  # type: ignore[type-arg]
        """Exact decimals as a decimal string or a number; dates as ISO strings; booleans; integers."""
        rate = schema["properties"]["part_honoraires_cliniques"]
        assert {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"} in _value(rate)["anyOf"]
        assert "« 0.8 » pour 80 %" in rate["description"]
        date = _value(schema["properties"]["date_signature"])["anyOf"]
        assert {"type": "string", "format": "date"} in date
        assert {"type": "string", "pattern": "^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$"} in date
        assert _value(schema["properties"]["optam"])["type"] == ["boolean", "null"]
        assert _value(schema["properties"]["file_active"])["type"] == ["integer", "null"]

    def test_values_per_year(self, schema: dict) -> None:  # type: ignore[type-arg]
        """A rule file with a schedule: every fact but the axis may be given per year, under the axis values."""
        fact = schema["properties"]["file_active_constatee"]
        assert fact["anyOf"][1]["propertyNames"] == {"enum": ["1", "2", "3", "4", "5"]}
        assert "un objet d'une valeur par annee_contrat (clés « 1 » à « 5 »)" in fact["description"]
        assert "anyOf" not in schema["properties"]["annee_contrat"]

    def test_schema_is_valid_and_accepts_the_bundled_facts(self, schema: dict) -> None:  # type: ignore[type-arg]
        """The schema is a valid 2020-12 schema; the example facts pass it, and so does what the engine accepts."""
        jsonschema = pytest.importorskip("jsonschema", reason="jsonschema absent : validation du schéma sautée")
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        ruleset = engine.load(ROOT / "rulesets/convention2024.rules")
        for path in EXAMPLES:
            facts = json.loads(path.read_text(encoding="utf-8"))
            assert list(validator.iter_errors(facts)) == [], path.name
            per_year = any(isinstance(v, dict) for v in facts.values())
            ruleset.evaluate({**facts, "annee_contrat": 4} if per_year else facts)  # a year picks its values
        bad = {"secteur": 4, "specialite": "plombier", "inconnu": 1, "date_signature": "1er juillet 2024",
               "part_honoraires_cliniques": "85 %", "file_active_constatee": {"7": 3000}}
        errors = {e.path[0] if e.path else e.validator for e in validator.iter_errors(bad)}
        assert errors == {"secteur", "specialite", "additionalProperties", "date_signature",
                          "part_honoraires_cliniques", "file_active_constatee"}
        assert list(validator.iter_errors({"date_signature": "01/07/2024"})) == []  # the same date grammar as facts


class TestCommand:
    """`regles schema` through `engine.cli.main.main`."""

    def test_prints_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The schema is printed as JSON on standard output."""
        assert main(["schema", "rulesets/avenant7.rules"]) == 0
        printed = json.loads(capsys.readouterr().out)
        ignored = printed["properties"]["part_honoraires_cliniques"]["description"]
        assert "Accepté mais non utilisé par ce fichier : condition de la convention 2024" in ignored
        assert printed["title"].startswith("Faits acceptés par « Aide à l'emploi")

    def test_writes_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """-o writes the schema to a file and says so."""
        target = tmp_path / "faits.schema.json"
        assert main(["schema", "rulesets/convention2024.rules", "-o", str(target)]) == 0
        assert json.loads(target.read_text(encoding="utf-8"))["type"] == "object"
        assert "schéma de" in capsys.readouterr().out

    def test_unwritable_output(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An output that cannot be written: exit 2, French message."""
        assert main(["schema", "rulesets/avenant7.rules", "-o", str(tmp_path / "absent" / "x.json")]) == 2
        assert "impossible d'écrire" in capsys.readouterr().err

    def test_missing_rule_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A rule file that does not exist: exit 2."""
        assert main(["schema", "absent.rules"]) == 2
        assert "fichier introuvable" in capsys.readouterr().err

    def test_bad_rule_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A rule file with errors: its diagnostics, exit 1, no traceback."""
        assert main(["schema", "tests/cases/editor/invalide/erreur.rules"]) == 1
        err = capsys.readouterr().err
        assert "erreur[E201]" in err and "Traceback" not in err

    def test_missing_argument(self, capsys: pytest.CaptureFixture[str]) -> None:
        """No rule file: exit 2 with a French usage message."""
        assert main(["schema"]) == 2
        assert "arguments obligatoires manquants" in capsys.readouterr().err
