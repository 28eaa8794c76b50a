"""Letters: the API, the filters, template errors, the sandbox, missing facts and the command line."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

import engine
from engine.letters import filters
from engine.letters import render as letters
from engine.cli.main import main
from engine.letters.issuance import letter_options, load_caisse
from engine.letters.render import LetterError, LetterTemplateError, MissingFactsError

ROOT = Path(__file__).resolve().parent.parent
A7 = "rulesets/avenant7.rules"
C2024 = "rulesets/convention2024.rules"

CARDIOLOGUE = {"specialite": "cardiologie", "secteur": 1, "rqth": False, "nouvel_installe": False,
               "exercice_regroupe": True, "exercice_coordonne": True, "option": "tiers_temps",
               "date_signature": "2019-10-01", "date_embauche": "2019-09-16", "annee_contrat": 1,
               "file_active": 2800, "percentile_file_active": 80}


CAISSE = letter_options(load_caisse(str(ROOT / "examples" / "caisse.toml")))
"""The fictional caisse's settings: a decision needs its recourse route and signatory."""


@pytest.fixture(scope="module")
def a7() -> engine.Ruleset:
    return engine.load(ROOT / A7)


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """Both rule files copied to a fresh directory with an empty `lettres/` beside them."""
    for name in ("avenant7.rules", "convention2024.rules"):
        shutil.copy(ROOT / "rulesets" / name, tmp_path / name)
    (tmp_path / "lettres").mkdir()
    for partial in (ROOT / "rulesets" / "lettres").glob("_*.j2"):
        shutil.copy(partial, tmp_path / "lettres" / partial.name)
    return tmp_path


def _flat(text: object) -> str:
    """A letter's text on one line: wrapping does not matter to these tests."""
    return " ".join(str(text).split())


def _render_source(rules_copy: Path, source: str, facts: dict[str, object] = CARDIOLOGUE) -> str | bytes:
    (rules_copy / "lettres" / "essai.j2").write_text(source, encoding="utf-8")
    (rules_copy / "lettres" / "essai.toml").write_text('titre = "Essai"\n', encoding="utf-8")
    outcome = engine.load(rules_copy / "avenant7.rules").evaluate(facts)
    return engine.render_letter(outcome, "essai")


class TestRenderLetter:
    """Tests for `engine.render_letter`."""

    def test_text_and_html_are_str_pdf_is_bytes(self, a7: engine.Ruleset) -> None:
        """txt and html give text; pdf gives the bytes of a PDF file."""
        outcome = a7.evaluate(CARDIOLOGUE)
        assert isinstance(engine.render_letter(outcome, "decision", date="2019-10-01", **CAISSE), str)
        html = engine.render_letter(outcome, "decision", format="html", date="2019-10-01", **CAISSE)
        assert isinstance(html, str) and html.startswith("<!DOCTYPE html>")
        pdf = engine.render_letter(outcome, "decision", format="pdf", date="2019-10-01", **CAISSE)
        assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF-")

    def test_letter_has_the_parts_of_a_caisse_letter(self, a7: engine.Ruleset) -> None:
        """Header, addressee, date, reference, object, salutation and signature are all there."""
        text = engine.render_letter(a7.evaluate(CARDIOLOGUE), "decision", date="2019-10-01", reference="R-1",
                                    recours=CAISSE["recours"], signataire=CAISSE["signataire"])
        for part in ("Caisse primaire d'assurance maladie", "Docteur,", "Le 1er octobre 2019",
                     "Référence : R-1", "Objet : ", "Pour le directeur et par délégation", "Camille Exemple"):
            assert part in _flat(text)

    def test_options_fill_the_header_and_addressee(self, a7: engine.Ruleset) -> None:
        """`caisse`, `destinataire` and `signataire` options replace the neutral defaults."""
        text = engine.render_letter(
            a7.evaluate(CARDIOLOGUE), "decision", date=dt.date(2019, 10, 1), recours=CAISSE["recours"],
            caisse={"nom": "CPAM de l'Exemple", "ville": "Exempleville", "adresse": "1 rue X\n00000 Exempleville"},
            destinataire={"civilite": "Madame la Docteure", "nom": "[nom]", "adresse": ["[adresse]"]},
            signataire={"qualite": "Pour le directeur, le responsable du service", "nom": "A. B."})
        text = _flat(text)
        assert "CPAM de l'Exemple" in text and "1 rue X" in text and "Exempleville, le 1er" in text
        assert "Madame la Docteure [nom]" in text and "Madame la Docteure," in text
        assert "Pour le directeur, le responsable du service" in text

    def test_default_addressee_is_neutral(self, a7: engine.Ruleset) -> None:
        """Without a `destinataire`, the letter writes to "Docteur" and invents nothing."""
        context = letters.letter_context(a7.evaluate(CARDIOLOGUE), "decision")
        assert context["destinataire"] == {"civilite": "Docteur", "nom": "", "adresse": []}

    def test_reference_is_stable(self, a7: engine.Ruleset) -> None:
        """The same facts and letter give the same default reference."""
        first = letters.letter_context(a7.evaluate(CARDIOLOGUE), "decision", date="2020-01-01")["reference"]
        again = letters.letter_context(a7.evaluate(dict(CARDIOLOGUE)), "decision", date="2020-01-01")["reference"]
        assert first == again and str(first).startswith("AM-DEC-20200101-")

    def test_bad_format_is_a_value_error(self, a7: engine.Ruleset) -> None:
        """An unknown format names the possible ones."""
        with pytest.raises(ValueError, match="txt, html, pdf"):
            engine.render_letter(a7.evaluate(CARDIOLOGUE), "decision", format="docx")

    def test_unknown_option_is_a_type_error(self, a7: engine.Ruleset) -> None:
        """An unknown keyword option is named."""
        with pytest.raises(TypeError, match="adresse_caisse"):
            engine.render_letter(a7.evaluate(CARDIOLOGUE), "decision", adresse_caisse="x")

    def test_not_an_outcome_is_a_type_error(self) -> None:
        """The first argument must be an Outcome."""
        with pytest.raises(TypeError, match="Outcome"):
            engine.render_letter({"eligible": True}, "decision")  # type: ignore[arg-type]

    def test_unknown_letter_lists_the_letters(self, a7: engine.Ruleset) -> None:
        """An unknown letter name is an error that lists the available letters."""
        with pytest.raises(LetterError, match="decision, notification_annuelle, pieces_manquantes, revalorisation_2024"):
            engine.render_letter(a7.evaluate(CARDIOLOGUE), "decison")
        with pytest.raises(LetterError):
            engine.render_letter(a7.evaluate(CARDIOLOGUE), "../decision")

    def test_available_letters(self, a7: engine.Ruleset) -> None:
        """Letters are the templates beside the rule file, partials excluded."""
        assert letters.available_letters(a7) == ["decision", "notification_annuelle", "pieces_manquantes",
                                                "revalorisation_2024"]


class TestTemplateDirectory:
    """Tests for where templates are looked up."""

    def test_templates_follow_the_rule_file(self, rules_copy: Path) -> None:
        """A rule file elsewhere uses the `lettres/` beside it, not the repository's."""
        assert _render_source(rules_copy, "{% extends mise_en_page %}{% block objet %}Essai{% endblock %}") \
            .count("Objet\u00a0: Essai") == 1

    def test_amending_file_falls_back_to_the_amended_files_directory(self, tmp_path: Path) -> None:
        """A 2024 file without `lettres/` uses the letters beside the file it amends."""
        (tmp_path / "base").mkdir()
        shutil.copy(ROOT / A7, tmp_path / "base" / "avenant7.rules")
        shutil.copytree(ROOT / "rulesets" / "lettres", tmp_path / "base" / "lettres")
        text = (ROOT / C2024).read_text(encoding="utf-8").replace('modifie "avenant7.rules"',
                                                                   'modifie "base/avenant7.rules"')
        (tmp_path / "convention2024.rules").write_text(text, encoding="utf-8")
        ruleset = engine.load(tmp_path / "convention2024.rules")
        assert letters.template_directories(ruleset) == [tmp_path / "base" / "lettres"]
        facts = json.loads((ROOT / "examples" / "contrat_en_cours.json").read_text(encoding="utf-8"))
        letter = engine.render_letter(ruleset.evaluate(facts), "revalorisation_2024", date="2024-12-16", **CAISSE)
        assert "8\u202f767,00\u00a0€" in letter

    def test_no_letter_directory(self, tmp_path: Path) -> None:
        """A rule file with no `lettres/` anywhere is a clear error."""
        shutil.copy(ROOT / A7, tmp_path / "avenant7.rules")
        outcome = engine.load(tmp_path / "avenant7.rules").evaluate(CARDIOLOGUE)
        with pytest.raises(LetterError, match="lettres/"):
            engine.render_letter(outcome, "decision")


class TestTemplateErrors:
    """Tests for templates that read what the outcome lacks (StrictUndefined) or break the sandbox."""

    def test_unknown_result_names_template_and_line(self, rules_copy: Path) -> None:
        """Reading a result the rule file does not have fails with the template's name and line."""
        with pytest.raises(LetterTemplateError) as caught:
            _render_source(rules_copy, "Première ligne\n\n{{ resultats.montant_inexistant }}\n")
        error = caught.value
        assert error.template.endswith("lettres/essai.j2") and error.line == 3
        assert "montant_inexistant" in str(error) and "essai.j2:3" in str(error)

    def test_undefined_variable(self, rules_copy: Path) -> None:
        """An unknown context variable is named."""
        with pytest.raises(LetterTemplateError, match="« inconnue » n'est pas défini") as caught:
            _render_source(rules_copy, "{{ inconnue }}")
        assert caught.value.line == 1

    def test_value_of_a_non_applicable_result(self, rules_copy: Path) -> None:
        """Using the value of a non-applicable result says so, with the reason and the line."""
        with pytest.raises(LetterTemplateError, match="objectif_mt.*non applicable") as caught:
            _render_source(rules_copy, "ligne 1\n{{ valeurs.objectif_mt | nombre }}")
        assert caught.value.line == 2

    def test_error_in_a_partial_names_the_partial(self, rules_copy: Path) -> None:
        """An error inside an included template points at that template, not at the letter."""
        (rules_copy / "lettres" / "_morceau.j2").write_text("ok\n{{ faits.pas_un_fait }}\n", encoding="utf-8")
        with pytest.raises(LetterTemplateError) as caught:
            _render_source(rules_copy, "{% include '_morceau.j2' %}")
        assert caught.value.template.endswith("_morceau.j2") and caught.value.line == 2

    def test_syntax_error_names_template_and_line(self, rules_copy: Path) -> None:
        """A Jinja syntax error is a LetterTemplateError with its line."""
        with pytest.raises(LetterTemplateError, match="syntaxe") as caught:
            _render_source(rules_copy, "a\nb\n{% if %}\n")
        assert caught.value.line == 3

    def test_wrong_value_for_a_filter(self, rules_copy: Path) -> None:
        """A filter given the wrong kind of value fails with the line, not a traceback."""
        with pytest.raises(LetterTemplateError, match="nombre est attendu") as caught:
            _render_source(rules_copy, "\n{{ faits.specialite | montant }}")
        assert caught.value.line == 2

    @pytest.mark.parametrize("source", [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ resultats.__init__.__globals__ }}",
        "{{ faits._state._outcome }}",
        "{{ range.__globals__ }}",
        "{{ echeancier._plan }}",
        "{% for l in echeancier.lignes %}{{ l._outcome.ruleset }}{% endfor %}",
        "{{ conditions_non_remplies.__self__._outcome }}",
    ])
    def test_sandbox_keeps_python_internals_out_of_reach(self, rules_copy: Path, source: str) -> None:
        """A template cannot reach Python internals: the attempt fails safely, nothing leaks."""
        with pytest.raises(LetterTemplateError) as caught:
            _render_source(rules_copy, source)
        message = str(caught.value)
        assert caught.value.line == 1
        assert "<class" not in message and "Outcome" not in message and "Ruleset" not in message


class TestMissingFacts:
    """Tests for letters asked for an outcome whose facts are incomplete."""

    def test_missing_facts_are_listed_with_questions(self, a7: engine.Ruleset) -> None:
        """No half-empty letter: the facts the letter needs are listed with their questions."""
        facts = {k: v for k, v in CARDIOLOGUE.items() if k not in {"exercice_coordonne", "date_embauche"}}
        with pytest.raises(MissingFactsError) as caught:
            engine.render_letter(a7.evaluate(facts), "decision", **CAISSE)
        names = [name for name, _ in caught.value.facts]
        assert "exercice_coordonne" in names
        assert "membre d'une organisation d'exercice coordonné" in str(caught.value)

    def test_only_the_facts_the_letter_reads(self, a7: engine.Ruleset) -> None:
        """Year 3 without measured values: the notification asks for them, and not for a GP's facts."""
        facts = {**CARDIOLOGUE, "annee_contrat": 3}
        with pytest.raises(MissingFactsError) as caught:
            engine.render_letter(a7.evaluate(facts), "notification_annuelle", **CAISSE)
        assert [name for name, _ in caught.value.facts] == ["file_active_constatee"]

    def test_years_one_and_two_need_no_measured_values(self, a7: engine.Ruleset) -> None:
        """The notification of year 2 renders without measured values."""
        text = engine.render_letter(a7.evaluate({**CARDIOLOGUE, "annee_contrat": 2}), "notification_annuelle", **CAISSE)
        assert "9\u202f000,00\u00a0€" in text and "sans vérification des objectifs" in _flat(text)


class TestFilters:
    """Tests for the French formatting filters."""

    def test_montant(self) -> None:
        assert filters.f_montant(Decimal("12000")) == "12\u202f000,00\u00a0€"
        assert filters.f_montant("8767") == "8\u202f767,00\u00a0€"

    def test_pourcentage(self) -> None:
        assert filters.f_pourcentage(Decimal("0.075")) == "7,5\u00a0%"
        assert filters.f_pourcentage(Decimal("1")) == "100\u00a0%"

    def test_pourcentage_of_an_exact_fraction_can_be_redone_by_hand(self) -> None:
        """A non-terminating rate shows its fraction, then a rounded percentage."""
        assert filters.f_pourcentage(Fraction(25, 34)) == "25/34 (≈\u00a073,53\u00a0%)"

    def test_dates(self) -> None:
        assert filters.f_date(dt.date(2024, 6, 22)) == "22\u00a0juin\u00a02024"
        assert filters.f_date("2019-10-01") == "1er\u00a0octobre\u00a02019"
        assert filters.f_date_courte(dt.date(2024, 6, 22)) == "22/06/2024"

    def test_nombre_ordinal_valeur(self) -> None:
        assert filters.f_nombre(2800) == "2\u202f800"
        assert (filters.f_ordinal(1), filters.f_ordinal(1, "m"), filters.f_ordinal(3)) == ("1re", "1er", "3e")
        assert (filters.f_valeur(True), filters.f_valeur(Decimal("2.5"))) == ("oui", "2,5")

    def test_french_spacing_keeps_punctuation_on_its_line(self) -> None:
        """Before `:` and `»`, after `«`, and between a number and `%` or `€`, spaces do not break."""
        assert filters.f_espaces("« a »  :\n 20 %") == "«\u00a0a\u00a0»\u00a0: 20\u00a0%"

    def test_typst_strings_cannot_inject_markup(self) -> None:
        """Values reach Typst as string literals: quotes and backslashes are escaped."""
        assert filters.f_typst('a "b" \\ #c') == '"a \\"b\\" \\\\ #c"'


class TestCommandLine:
    """Tests for `regles letter`."""

    def test_writes_the_letter(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """The letter goes to standard output."""
        facts = tmp_path / "f.json"
        facts.write_text(json.dumps(CARDIOLOGUE), encoding="utf-8")
        assert main(["letter", A7, "--facts", str(facts), "--template", "decision", "--date", "2019-10-01",
                     "--caisse", "examples/caisse.toml"]) == 0
        assert "acceptation de votre demande" in _flat(capsys.readouterr().out)

    def test_pdf_to_a_file(self, tmp_path: Path) -> None:
        """-o writes the file; its suffix chooses the format."""
        facts = tmp_path / "f.json"
        facts.write_text(json.dumps(CARDIOLOGUE), encoding="utf-8")
        out = tmp_path / "lettre.pdf"
        assert main(["letter", A7, "--facts", str(facts), "--template", "decision", "-o", str(out),
                     "--date", "2019-10-01", "--caisse", "examples/caisse.toml"]) == 0
        assert out.read_bytes().startswith(b"%PDF-")

    def test_missing_facts_exit_2_with_questions(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """Missing facts: exit 2 and each fact with its question on stderr."""
        facts = tmp_path / "f.json"
        facts.write_text(json.dumps({"specialite": "cardiologie"}), encoding="utf-8")
        assert main(["letter", A7, "--facts", str(facts), "--template", "decision",
                     "--caisse", "examples/caisse.toml"]) == 2
        err = capsys.readouterr().err
        assert "option : Quelle option de financement" in err and "Traceback" not in err

    @pytest.mark.parametrize("argv, message", [
        (["--template", "inconnu"], "courrier inconnu « inconnu »"),
        (["--template", "decision", "--format", "docx"], "choix invalide"),
        (["--template", "decision", "--date", "15.10.2019"], "AAAA-MM-JJ ou JJ/MM/AAAA"),
        (["--template", "decision", "-o", "courrier.docx"], "extension « .docx » inconnue"),
        (["--template", "decision", "--caisse", "/nexiste/pas.json"], "--caisse"),
        ([], "--template"),
    ])
    def test_bad_usage_exits_2_in_french(self, capsys: pytest.CaptureFixture[str], argv: list[str],
                                         message: str) -> None:
        """Bad usage: exit 2, a French message, never a traceback."""
        assert main(["letter", A7, "--facts", "examples/cardiologue.json", *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err

    def test_broken_template_exits_1(self, capsys: pytest.CaptureFixture[str], rules_copy: Path) -> None:
        """A wrong template is an error in the rule-side files: exit 1, with its name and line."""
        (rules_copy / "lettres" / "casse.j2").write_text("{{ resultats.nimporte }}", encoding="utf-8")
        (rules_copy / "lettres" / "casse.toml").write_text("", encoding="utf-8")
        assert main(["letter", str(rules_copy / "avenant7.rules"), "--facts", "examples/cardiologue.json",
                     "--template", "casse"]) == 1
        assert "casse.j2:1" in capsys.readouterr().err
