"""The engine knows no domain name: a rule file declares its headline result and breakdown facts.

An inline pair of files whose headline is `admissible` (not `eligible`) and whose breakdown is
`groupe` goes through the checker, `regles fmt`, batch, the impact report and a letter.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import engine
from engine.base.diagnostics import RulesError
from engine.cli.main import main
from engine.letters.render import LetterError, render_letter
from engine.syntax.fmt import format_text

OLD = '''règles "Admission — ancien"
résultat principal : admissible
ventilation : groupe

fait groupe : énumération {a "groupe A", b "groupe B"} fin
fait age : entier au moins 0 fin

résultat admissible : booléen
  "Le candidat est admissible"
  = age >= 18 et groupe = a
fin

résultat aide : montant = si admissible alors 100 € sinon 0 € fin
'''

NEW = '''règles "Admission — nouveau"
modifie "ancien.rules"

résultat admissible : booléen
  "Le candidat est admissible"
  remplace ancien.admissible
  = age >= 16 et groupe dans {a, b}
fin
'''

BARE = '''règles "Sans résultat principal"

fait age : entier au moins 0 fin

résultat admissible : booléen = age >= 18 fin
'''


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """The two rule files, a population, facts, and a letter `avis` that reads the headline by default."""
    (tmp_path / "ancien.rules").write_text(OLD, encoding="utf-8")
    (tmp_path / "nouveau.rules").write_text(NEW, encoding="utf-8")
    (tmp_path / "sans.rules").write_text(BARE, encoding="utf-8")
    (tmp_path / "pop.csv").write_text("id,groupe,age\n1,a,20\n2,b,17\n3,b,15\n", encoding="utf-8")
    (tmp_path / "b17.json").write_text(json.dumps({"groupe": "b", "age": 17}), encoding="utf-8")
    letters = tmp_path / "lettres"
    letters.mkdir()
    (letters / "avis.toml").write_text('titre = "Avis"\nresultat = "valeur"\n', encoding="utf-8")
    (letters / "avis.j2").write_text(
        "{% set manquees = conditions_non_remplies() %}"
        "{% if manquees %}Refus :\n{% for u in manquees %}- {{ u.texte }}\n{% endfor %}{% else %}Accord.{% endif %}\n",
        encoding="utf-8")
    return tmp_path


def _error(text: str, tmp_path: Path, name: str = "f.rules") -> str:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        engine.load(tmp_path / name)
    return "\n".join(f"{d.code} {d.message} | {d.hint}" for d in caught.value.diagnostics)


class TestDeclaration:
    """The checker reads, inherits and checks the declaration."""

    def test_declared_and_inherited(self, rules: Path) -> None:
        old, new = engine.load(rules / "ancien.rules"), engine.load(rules / "nouveau.rules")
        assert (old.program.headline, old.program.breakdown) == ("admissible", ("groupe",))
        assert (new.program.headline, new.program.breakdown) == ("admissible", ("groupe",))
        bare = engine.load(rules / "sans.rules")
        assert (bare.program.headline, bare.program.breakdown) == (None, ())

    def test_amending_file_overrides(self, rules: Path) -> None:
        text = NEW.replace('modifie "ancien.rules"\n', 'modifie "ancien.rules"\nrésultat principal : majeur\n'
                           'ventilation : age\n') + "résultat majeur : booléen = age >= 18 fin\n"
        (rules / "autre.rules").write_text(text, encoding="utf-8")
        program = engine.load(rules / "autre.rules").program
        assert (program.headline, program.breakdown) == ("majeur", ("age",))

    def test_withdrawn_headline_is_reported_at_modifie(self, rules: Path) -> None:
        text = ('règles "t"\nmodifie "ancien.rules"\nabroge admissible\n\n'
                'résultat aide : montant remplace ancien.aide = 100 € fin\n')
        found = _error(text, rules)
        assert ("E706 résultat principal hérité : résultat principal inconnu « admissible » | déclarez dans "
                "l'en-tête le résultat principal de ce fichier : résultat principal : nom") in found

    def test_headline_must_be_a_boolean_result(self, tmp_path: Path) -> None:
        base = 'règles "t"\nrésultat principal : {}\n\nfait age : entier fin\n' \
               'règle majeur : booléen = age >= 18 fin\nrésultat adulte : booléen = majeur fin\n' \
               'résultat age_double : entier = age * 2 fin\n'
        assert "E706 résultat principal inconnu « adulet » | vouliez-vous dire « adulte » ?" in _error(
            base.format("adulet"), tmp_path)
        assert ("E706 le résultat principal est un résultat booléen, « age_double » est un entier | "
                "résultats booléens : adulte") in _error(base.format("age_double"), tmp_path)
        assert ("E706 le résultat principal est un résultat du fichier, « majeur » est une règle intermédiaire | "
                "déclarez-le avec « résultat majeur : booléen » au lieu de « règle »") in _error(
            base.format("majeur"), tmp_path)

    def test_breakdown_facts(self, tmp_path: Path) -> None:
        text = ('règles "t"\nventilation : ville, agee, ville\n\nfait age : entier fin\nfait ville : texte fin\n'
                'résultat r : booléen = age > 1 et ville = "x" fin\n')
        found = _error(text, tmp_path)
        assert "E707 on ventile par un fait énumération, booléen ou entier, « ville » est un texte | faits possibles : age" in found
        assert "E707 fait inconnu « agee » dans la ventilation | vouliez-vous dire « age » ?" in found

    def test_written_twice(self, tmp_path: Path) -> None:
        text = 'règles "t"\nrésultat principal : r\nrésultat principal : r\n\nrésultat r : booléen = vrai fin\n'
        assert "E109 « résultat principal » est écrit deux fois dans l'en-tête | gardez une seule ligne" in _error(
            text, tmp_path)

    def test_a_rule_named_like_the_keyword_still_parses(self, tmp_path: Path) -> None:
        (tmp_path / "p.rules").write_text('règles "t"\nrésultat principale : booléen = vrai fin\n', encoding="utf-8")
        assert engine.load(tmp_path / "p.rules").program.outputs == ("principale",)


def test_fmt_prints_the_declaration_canonically() -> None:
    text = ('règles "t"\n# le résultat qui tranche\nresultat   principal :admissible\nventilation:groupe ,age\n\n'
            'fait groupe : énumération {a, b} fin\nfait age : entier fin\n'
            'résultat admissible : booléen = age > 1 et groupe = a fin\n')
    out = format_text(text)
    assert out.startswith('règles "t"\n# le résultat qui tranche\nrésultat principal : admissible\n'
                          'ventilation : groupe, age\n\n')
    assert format_text(out) == out


class TestReports:
    """Batch, the impact report and letters read the declaration, and ask when there is none."""

    def test_batch_counts_the_headline(self, rules: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["batch", str(rules / "nouveau.rules"), "-i", str(rules / "pop.csv"),
                     "-o", str(rules / "out.csv")]) == 0
        assert "admissible : vrai 2 · faux 1" in capsys.readouterr().err
        assert main(["batch", str(rules / "sans.rules"), "-i", str(rules / "pop.csv"),
                     "-o", str(rules / "out2.csv")]) == 0
        err = capsys.readouterr().err
        assert "3 lignes lues, 3 évaluées" in err and "vrai" not in err

    def test_impact_sorts_on_the_headline_and_breaks_down(self, rules: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["diff", str(rules / "ancien.rules"), str(rules / "nouveau.rules"), "--population",
                     str(rules / "pop.csv"), "--examples", "0", "--format", "json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["eligibility"] == "admissible" and report["by"] == ["groupe"]
        assert report["cases"]["gained"]["rows"] == 1 and report["cases"]["neither"]["rows"] == 1 and report["cases"]["both"]["rows"] == 1

    def test_impact_without_headline_asks_for_one(self, rules: Path, capsys: pytest.CaptureFixture[str]) -> None:
        argv = ["diff", str(rules / "sans.rules"), str(rules / "sans.rules"), "--population", str(rules / "pop.csv")]
        assert main(argv) == 2
        assert "aucun des deux fichiers ne déclare de résultat principal" in capsys.readouterr().err
        assert main([*argv, "--eligibilite", "admissible", "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["eligibility"] == "admissible"

    def test_letter_reads_the_headline(self, rules: Path) -> None:
        outcome = engine.load(rules / "ancien.rules").evaluate({"groupe": "b", "age": 17})
        letter = render_letter(outcome, "avis", date="2025-01-01")
        assert letter == ("Refus :\n- age : 17 ; il faut au moins 18 — il manque 1 pour atteindre le seuil de 18\n"
                          "- groupe : « groupe B » ; il faut « groupe A »\n")
        accepted = engine.load(rules / "nouveau.rules").evaluate({"groupe": "b", "age": 17})
        assert render_letter(accepted, "avis", date="2025-01-01") == "Accord.\n"

    def test_letter_without_headline(self, rules: Path) -> None:
        outcome = engine.load(rules / "sans.rules").evaluate({"age": 17})
        with pytest.raises(LetterError, match="ne déclare pas de résultat principal .*nom_resultat"):
            render_letter(outcome, "avis", date="2025-01-01")
        (rules / "lettres" / "avis.toml").write_text('resultat = "valeur"\nnom_resultat = "admissible"\n',
                                                     encoding="utf-8")
        with pytest.raises(LetterError, match=r"conditions_non_remplies\(\) : le fichier de règles ne déclare pas"):
            render_letter(outcome, "avis", date="2025-01-01")


def test_doc_site_shows_the_declaration(rules: Path, tmp_path: Path) -> None:
    from engine.tools.docsite import build_site
    build_site(rules / "ancien.rules", tmp_path / "site")
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<dt>Résultat principal</dt><dd><a href="def-admissible.html"><code>admissible</code></a></dd>' in index
    assert '<dt>Ventilation</dt><dd><a href="fait-groupe.html"><code>groupe</code></a></dd>' in index


class TestStatuses:
    """One enum for statuses: labels as the language writes them, values as JSON has them."""

    def test_labels_and_values(self) -> None:
        from engine.lang.statuses import Status, mark_text, parse_mark
        assert [(s.value, s.label, s.heading) for s in Status] == [
            ("a_confirmer", "à confirmer", "À confirmer"),
            ("choix_de_modelisation", "choix de modélisation", "Choix de modélisation"),
            ("ignore", "ignoré", "Ignoré")]
        assert parse_mark(mark_text(Status.TO_CONFIRM, "source secondaire")) == (Status.TO_CONFIRM, "source secondaire")
        assert parse_mark("choix de modélisation") == (Status.MODELLING_CHOICE, None)
        with pytest.raises(ValueError, match="statut inconnu « peut-être »"):
            parse_mark("peut-être : note")

    def test_checked_program_carries_the_enum(self, tmp_path: Path) -> None:
        from engine.lang.statuses import Status
        (tmp_path / "s.rules").write_text(
            'règles "t"\nfait x : entier fin\nparamètre p = 3\n  à confirmer : "lu dans une FAQ"\nfin\n'
            'résultat r : entier = x + p fin\n', encoding="utf-8")
        ruleset = engine.load(tmp_path / "s.rules")
        (status,) = ruleset.program.definitions["p"].statuses
        assert status.kind is Status.TO_CONFIRM and status.french == "à confirmer"
        outcome = ruleset.evaluate({"x": 1})
        assert "À confirmer — p (" in outcome.explain("r") and ": lu dans une FAQ" in outcome.explain("r")


class TestUids:
    """The checker gives every definition a stable uid, unique within its program."""

    def test_uids_name_the_file_that_built_the_definition(self) -> None:
        program = engine.load("rulesets/convention2024.rules").program
        every = list(program.definitions.values()) + list(program.originals.values())
        by_uid: dict[str, object] = {}
        for d in every:
            assert by_uid.setdefault(d.uid, d) is d or by_uid[d.uid] == d
        assert program.definitions["eligible"].uid == "convention2024.eligible"
        assert program.originals[("avenant7", "eligible")].uid == "avenant7.eligible"
        inherited = [n for n, d in program.definitions.items() if d.latest.text.prefix == "avenant7"
                     and ("convention2024", n) not in program.originals]
        assert inherited and all(program.definitions[n].uid == f"avenant7.{n}" for n in inherited)

    def test_uids_survive_pickling(self) -> None:
        import pickle
        program = engine.load("rulesets/convention2024.rules").program
        again = pickle.loads(pickle.dumps(program))
        assert {n: d.uid for n, d in again.definitions.items()} == {n: d.uid for n, d in program.definitions.items()}
