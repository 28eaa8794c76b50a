"""Facts named in words a doctor understands: the `libellé` of a fact (rule language) is what letters
print, in the unmet conditions of a refusal and in the request for missing information."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import engine
from engine.syntax.fmt import format_text
from engine.letters.issuance import letter_options, load_caisse
from engine.explain.whynot import WhyNot

ROOT = Path(__file__).resolve().parent.parent
CAISSE = letter_options(load_caisse(str(ROOT / "examples" / "caisse.toml")))
FACTS = json.loads((ROOT / "tests" / "cases" / "letters" / "decision_ex1_cardiologue_acceptation" / "facts.json")
                   .read_text(encoding="utf-8"))
SOURCE = '''règles "t"
fait secteur : entier parmi {1, 2, 3}
  "Secteur conventionnel (3 = non conventionné)"
  libellé "Secteur conventionnel"
  question "Dans quel secteur le médecin exerce-t-il ?"
fin
résultat eligible : booléen
  "Secteur 1"
  = secteur = 1
fin
'''


def test_libelle_is_fact_metadata(tmp_path: Path) -> None:
    path = tmp_path / "t.rules"
    path.write_text(SOURCE, encoding="utf-8")
    ruleset = engine.load(path)
    decl = ruleset.facts["secteur"]
    assert decl.label == "Secteur conventionnel"
    assert decl.description == "Secteur conventionnel (3 = non conventionné)"
    program, facts = ruleset.program, {"secteur": 3}
    assert [u.text for u in WhyNot(program, facts).unmet("eligible")] == [
        "Secteur conventionnel (3 = non conventionné) : 3 ; il faut 1"]
    assert [u.text for u in WhyNot(program, facts, letter=True).unmet("eligible")] == [
        "Secteur conventionnel : 3 ; il faut 1"]


def test_libelle_written_twice_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.rules"
    path.write_text(SOURCE.replace('  libellé "Secteur conventionnel"\n',
                                   '  libellé "Secteur conventionnel"\n  libelle "Secteur"\n'), encoding="utf-8")
    with pytest.raises(engine.RulesError) as caught:
        engine.load(path)
    assert "E109" in str(caught.value) and "« libellé » est écrit deux fois" in str(caught.value)


def test_libelle_only_in_a_fact(tmp_path: Path) -> None:
    path = tmp_path / "t.rules"
    path.write_text(SOURCE.replace('  "Secteur 1"\n', '  "Secteur 1"\n  libellé "x"\n'), encoding="utf-8")
    with pytest.raises(engine.RulesError) as caught:
        engine.load(path)
    assert "t.rules:9:3" in str(caught.value)


def test_formatter_keeps_the_libelle() -> None:
    assert '  libellé "Secteur conventionnel"\n' in format_text(SOURCE, filename="t.rules")


@pytest.mark.parametrize("path", ["rulesets/avenant7.rules", "rulesets/convention2024.rules"])
def test_every_fact_a_letter_may_name_has_a_libelle(path: str) -> None:
    """A fact someone is asked for (it has a question) may be printed by a letter: it has a libellé,
    without the modelling notes descriptions carry in parentheses (« 3 = non conventionné »)."""
    facts = engine.load(ROOT / path).facts
    asked = [name for name, decl in facts.items() if decl.question]
    assert asked and all(facts[name].label for name in asked), [n for n in asked if not facts[n].label]
    assert not [facts[n].label for n in asked if " = " in (facts[n].label or "")]


def test_refusal_names_facts_by_their_libelle() -> None:
    facts = {**FACTS, "secteur": 3}
    text = engine.render_letter(engine.load(ROOT / "rulesets/avenant7.rules").evaluate(facts), "decision",
                                date="2019-10-01", dossier="A-1", **CAISSE)
    assert isinstance(text, str)
    flat = " ".join(text.split())
    assert "ici « Secteur conventionnel » = 3" in flat
    assert "non conventionné" not in flat


def test_missing_information_is_asked_by_libelle() -> None:
    facts = {k: v for k, v in FACTS.items() if k not in ("secteur", "exercice_coordonne")}
    text = engine.render_letter(engine.load(ROOT / "rulesets/avenant7.rules").evaluate(facts), "pieces_manquantes",
                                date="2019-10-08", dossier="A-1", **CAISSE)
    assert isinstance(text, str)
    flat = " ".join(text.split())
    assert "- Secteur conventionnel." in flat
    assert "le médecin" not in flat and "?" not in flat
