"""Letters a caisse can sign and send (issue 14): issuance guards, the caisse's settings, the two
documents (letter and review sheet), refusals that name every unmet condition, references, records."""

from __future__ import annotations

import io
import json
import re
from functools import cache
from pathlib import Path

import pytest

import engine
from engine.letters import issuance
from engine.cli.main import main
from engine.letters.issuance import letter_options, load_caisse
from engine.explain.whynot import Unmet, WhyNot
from engine.letters.render import LetterError, NotIssuedError, render_letter, review_sheet
from whynot_doctors import doctors

ROOT = Path(__file__).resolve().parent.parent
A7 = "rulesets/avenant7.rules"
C24 = "rulesets/convention2024.rules"
CAISSE_FILE = str(ROOT / "examples" / "caisse.toml")
CAISSE = letter_options(load_caisse(CAISSE_FILE))

CARDIOLOGUE = json.loads((ROOT / "tests/cases/letters/decision_ex1_cardiologue_acceptation/facts.json").read_text())
GENERALISTE_2024 = json.loads((ROOT / "examples" / "non_eligible.json").read_text())
GYNECOLOGIST = {"specialite": "gynecologie", "secteur": 2, "optam": False, "part_honoraires_cliniques": "0.72",
                "percentile_file_active": 25, "nouvel_installe": False, "date_signature": "2024-10-01",
                "date_embauche": "2024-10-01", "option": "mi_temps", "annee_contrat": 1}
DERMATOLOGIST = {"specialite": "dermatologie", "secteur": 2, "optam": False, "rqth": False, "nouvel_installe": False,
                 "percentile_file_active": 20, "exercice_regroupe": False, "exercice_coordonne": False,
                 "zone": "hors_zone", "option": "mi_temps", "date_signature": "2020-03-02",
                 "date_embauche": "2020-02-24", "annee_contrat": 1, "departement": "75",
                 "departement_sous_dote": False}


@cache
def _ruleset(path: str) -> engine.Ruleset:
    return engine.load(ROOT / path)


def _flat(text: object) -> str:
    return " ".join(str(text).split())


class TestGuards:
    """A case the letter is not for gives no letter, with its reason."""

    @pytest.mark.parametrize("template", ["notification_annuelle", "revalorisation_2024"])
    def test_ineligible_doctor_gets_no_notification_nor_revaluation(self, template: str) -> None:
        outcome = _ruleset(C24).evaluate(GENERALISTE_2024)
        assert outcome.result("eligible").value is False
        with pytest.raises(NotIssuedError, match="n'est pas éligible"):
            render_letter(outcome, template, date="2025-11-01", **CAISSE)

    def test_not_applicable_case_gets_no_decision(self) -> None:
        """A 2024 contract evaluated with avenant 7: eligibility is not applicable, no decision is notified."""
        outcome = _ruleset(A7).evaluate(GENERALISTE_2024)
        with pytest.raises(NotIssuedError, match="non applicable : signature à partir du 22/06/2024"):
            render_letter(outcome, "decision", date="2024-10-15", **CAISSE)

    def test_revaluation_serves_only_the_2024_file(self) -> None:
        with pytest.raises(NotIssuedError, match="convention2024.rules, pas à avenant7.rules"):
            render_letter(_ruleset(A7).evaluate(CARDIOLOGUE), "revalorisation_2024", date="2019-10-01", **CAISSE)

    def test_decision_dated_before_the_signature(self) -> None:
        with pytest.raises(NotIssuedError, match="daté du 30 septembre 2019, avant « Date de signature du contrat » \\(1er octobre 2019\\)"):
            render_letter(_ruleset(A7).evaluate(CARDIOLOGUE), "decision", date="2019-09-30", **CAISSE)

    def test_no_deadline_promised_in_the_past(self) -> None:
        """Advance due by 1 October 2019: an acceptance of 15 October 2019 would promise a past date."""
        with pytest.raises(NotIssuedError, match="échéance déjà passée.*1er octobre 2019.*15 octobre 2019"):
            render_letter(_ruleset(A7).evaluate(CARDIOLOGUE), "decision", date="2019-10-15", **CAISSE)

    def test_a_refusal_promises_no_deadline(self) -> None:
        """The deadlines are promised to an eligible doctor only: a late refusal is still issued."""
        outcome = _ruleset(C24).evaluate(GYNECOLOGIST)
        assert "refus de votre demande" in _flat(render_letter(outcome, "decision", date="2027-01-04", **CAISSE))

    def test_no_contract_year_described_as_started_before_it_starts(self) -> None:
        outcome = _ruleset(A7).evaluate({**CARDIOLOGUE, "annee_contrat": 2})
        with pytest.raises(NotIssuedError, match="Premier jour de l'année de contrat évaluée"):
            render_letter(outcome, "notification_annuelle", date="2020-09-30", **CAISSE)
        assert "entré dans sa 2e année le 1er octobre 2020" in _flat(
            render_letter(outcome, "notification_annuelle", date="2020-10-01", **CAISSE))

    def test_measured_values_only_after_the_contract_year(self) -> None:
        facts = {**CARDIOLOGUE, "annee_contrat": 3, "file_active_constatee": 2905}
        outcome = _ruleset(A7).evaluate(facts)
        with pytest.raises(NotIssuedError, match="veille du 1er octobre 2022"):
            render_letter(outcome, "notification_annuelle", date="2022-09-30", **CAISSE)
        assert "50 %" in _flat(render_letter(outcome, "notification_annuelle", date="2022-10-01", **CAISSE))

    def test_decision_without_recourse_is_refused(self) -> None:
        settings = {k: v for k, v in CAISSE.items() if k != "recours"}
        with pytest.raises(NotIssuedError, match=r"voies et délais de recours.*\[recours\] : commission, adresse"):
            render_letter(_ruleset(A7).evaluate(CARDIOLOGUE), "decision", date="2019-10-01", **settings)

    def test_decision_without_named_signatory_is_refused(self) -> None:
        settings = {**CAISSE, "signataire": {"qualite": "Le directeur"}}
        with pytest.raises(NotIssuedError, match=r"\[signataire\] : nom"):
            render_letter(_ruleset(A7).evaluate(CARDIOLOGUE), "decision", date="2019-10-01", **settings)

    def test_a_template_without_declaration_is_an_error(self, tmp_path: Path) -> None:
        import shutil
        shutil.copy(ROOT / A7, tmp_path / "avenant7.rules")
        shutil.copytree(ROOT / "rulesets" / "lettres", tmp_path / "lettres")
        (tmp_path / "lettres" / "decision.toml").unlink()
        with pytest.raises(LetterError, match="pas de déclaration « decision.toml »"):
            render_letter(engine.load(tmp_path / "avenant7.rules").evaluate(CARDIOLOGUE), "decision", **CAISSE)

    def _declared(self, tmp_path: Path, name: str, replace: tuple[str, str]) -> engine.Outcome:
        import shutil
        shutil.copy(ROOT / A7, tmp_path / "avenant7.rules")
        shutil.copytree(ROOT / "rulesets" / "lettres", tmp_path / "lettres")
        toml = tmp_path / "lettres" / f"{name}.toml"
        text = toml.read_text(encoding="utf-8")
        assert replace[0] in text
        toml.write_text(text.replace(*replace), encoding="utf-8")
        return engine.load(tmp_path / "avenant7.rules").evaluate(CARDIOLOGUE)

    def test_measured_facts_need_the_declared_start_of_a_year(self, tmp_path: Path) -> None:
        """The engine knows no result name: the year a measure covers ends where the declaration says."""
        outcome = self._declared(tmp_path, "notification_annuelle", ('debut_de_l_annee = "debut_annee_contrat"', ""))
        with pytest.raises(LetterError, match="mesures_de_l_annee demande debut_de_l_annee"):
            render_letter(outcome, "notification_annuelle", date="2021-01-04", **CAISSE)

    def test_the_review_sheet_explains_what_the_declaration_names(self, tmp_path: Path) -> None:
        outcome = self._declared(tmp_path, "decision", ("reserves_du_resultat = true",
                                                        'reserves_du_resultat = true\nexplique = ["montant_maximal"]'))
        sheet = str(review_sheet(outcome, "decision", date="2019-10-01", **CAISSE))
        assert "Explication : eligible" in sheet and "Explication : montant_maximal" in sheet
        plain = review_sheet(_ruleset(A7).evaluate(CARDIOLOGUE), "decision", date="2019-10-01", **CAISSE)
        assert "Explication : montant_maximal" not in str(plain)

    def test_an_unknown_review_sheet_key_is_refused(self, tmp_path: Path) -> None:
        outcome = self._declared(tmp_path, "decision", ("reserves_du_resultat = true", "resume = true"))
        with pytest.raises(LetterError, match=r"\[fiche\] n'accepte que explique, reserves_du_resultat"):
            render_letter(outcome, "decision", date="2019-10-01", **CAISSE)


class TestCommandLine:
    """`regles letter` writes nothing and exits 2 on a case the letter is not for."""

    def test_ineligible_notification_writes_nothing(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        out = tmp_path / "n.pdf"
        assert main(["letter", C24, "--facts", "examples/non_eligible.json", "--template", "notification_annuelle",
                     "--caisse", CAISSE_FILE, "--date", "2025-11-03", "-o", str(out)]) == 2
        assert not out.exists() and not Path(str(out) + ".json").exists()
        err = capsys.readouterr().err
        assert "n'est pas éligible" in err and "Traceback" not in err

    def test_review_sheet_explains_why_no_letter(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["letter", C24, "--facts", "examples/non_eligible.json", "--template", "notification_annuelle",
                     "--caisse", CAISSE_FILE, "--date", "2025-11-03", "--fiche"]) == 0
        sheet = capsys.readouterr().out
        assert "AUCUN COURRIER AU MÉDECIN : le courrier « notification_annuelle »" not in sheet
        assert "AUCUN COURRIER AU MÉDECIN : le médecin n'est pas éligible" in sheet
        assert "Conditions" in sheet and "Faits du dossier" in sheet

    def test_letter_and_its_record(self, tmp_path: Path) -> None:
        out = tmp_path / "d.txt"
        assert main(["letter", A7, "--facts", "tests/cases/letters/decision_ex1_cardiologue_acceptation/facts.json",
                     "--template", "decision", "--caisse", CAISSE_FILE, "--date", "2019-10-01", "--dossier", "AM-0042",
                     "-o", str(out)]) == 0
        record = json.loads(Path(str(out) + ".json").read_text())
        assert record["reference"] == "AM-0042-DEC-20191001" and record["reference"] in out.read_text()
        assert record["regles_sha256"] == issuance.rules_hash(_ruleset(A7))
        assert record["faits"]["file_active"] == 2800 and record["dossier"] == "AM-0042"

    def test_bad_caisse_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        bad = tmp_path / "c.toml"
        bad.write_text('[recours]\ndelais = "deux mois"\n', encoding="utf-8")
        assert main(["letter", A7, "--facts", "examples/cardiologue.json", "--template", "decision",
                     "--caisse", str(bad)]) == 2
        err = capsys.readouterr().err
        assert "clé inconnue « delais »" in err and "Traceback" not in err


class TestDecisionContent:
    """What the doctor reads in a decision rendered with the example caisse."""

    def test_refusal_carries_route_time_limit_and_signatory(self) -> None:
        text = _flat(render_letter(_ruleset(C24).evaluate(GYNECOLOGIST), "decision", date="2024-11-04", **CAISSE))
        assert ("vous pouvez saisir la commission de recours amiable de la caisse primaire d'assurance maladie de "
                "Val-Fictif dans un délai de deux mois à compter de sa notification") in text
        assert "devant le pôle social du tribunal judiciaire de Val-Fictif" in text
        assert text.endswith("Pour le directeur et par délégation, Responsable du service des relations avec les "
                             "professionnels de santé Camille Exemple")

    @pytest.mark.parametrize("path, facts, count", [(C24, GYNECOLOGIST, 3), (A7, DERMATOLOGIST, 4)])
    def test_refusal_names_every_unmet_condition(self, path: str, facts: dict[str, object], count: int) -> None:
        outcome = _ruleset(path).evaluate(facts)
        unmet = outcome.unmet("eligible")
        assert len(unmet) == count
        _assert_refusal_names(outcome, unmet)

    @pytest.mark.parametrize("path, window", [(A7, "avenant7"), (C24, "convention2024")])
    def test_every_combination_of_failed_conditions(self, path: str, window: str) -> None:
        """One refused doctor per combination of failed conditions: the letter names each, and only those."""
        ruleset = _ruleset(path)
        seen: set[tuple[str, ...]] = set()
        for facts in doctors(14, 400, window):
            outcome = ruleset.evaluate(facts)
            eligible = outcome.result("eligible")
            if getattr(eligible, "value", None) is not False:
                continue
            unmet = outcome.unmet("eligible")
            key = tuple(sorted(u.name for u in unmet))
            if key in seen:
                continue
            seen.add(key)
            _assert_refusal_names(outcome, unmet, date=str(facts["date_signature"]))
        assert len(seen) >= 8

    def test_acceptance_states_band_objectives_and_payment(self) -> None:
        text = _flat(render_letter(_ruleset(A7).evaluate(CARDIOLOGUE), "decision", date="2019-10-01", **CAISSE))
        assert "de votre rang (percentile) parmi les médecins de votre spécialité" in text
        assert "Indicateur Percentile À la signature Objectif ------" in text
        assert "File active 80 2 800 3 010" in text
        assert "mesurés sur chaque année de contrat" in text
        assert ("Une avance de 8 400,00 € sur l'aide de la première année vous est versée au plus tard le "
                "1er octobre 2019. Elle sera déduite de l'aide de la première année.") in text
        assert "Total" not in text


def _assert_refusal_names(outcome: engine.Outcome, unmet: list[Unmet], date: str = "2030-01-01") -> None:
    text = str(render_letter(outcome, "decision", date=date, **CAISSE))
    body = text.split("ne sont pas remplies." if len(unmet) > 1 else "n'est pas remplie.")[1]
    body = body.split("Si votre situation évolue")[0]
    items = [line for line in body.split("\n") if line.startswith("  - ")]
    assert len(items) == len(unmet)
    flat = _flat(body)
    worded = WhyNot(outcome.ruleset.program, outcome.facts, letter=True).unmet("eligible")  # facts by libellé
    assert [u.name for u in worded] == [u.name for u in unmet]
    for u in worded:
        definition = outcome.ruleset.program.definitions.get(u.name)  # type: ignore[attr-defined]
        shown = getattr(definition, "description", None) or u.text
        assert _flat(shown) in flat
        for child in u.children:
            assert _flat(child.text) in flat


class TestTwoDocuments:
    """The letter carries no reservation nor internal name; the review sheet carries those of the printed values."""

    EXAMPLES = [(A7, "cardiologue.json", "decision", "2019-10-01"),
                (A7, "cardiologue.json", "notification_annuelle", "2022-10-03"),
                (C24, "generaliste.json", "decision", "2024-09-02"),
                (C24, "contrat_en_cours.json", "revalorisation_2024", "2024-12-16"),
                (C24, "non_eligible.json", "decision", "2024-10-15")]

    @pytest.mark.parametrize("path, example, template, date", EXAMPLES)
    def test_letter_has_no_reservation_nor_identifier(self, path: str, example: str, template: str,
                                                     date: str) -> None:
        facts = json.loads((ROOT / "examples" / example).read_text())
        text = str(render_letter(_ruleset(path).evaluate(facts), template, date=date, dossier="D42", **CAISSE))
        for word in ("à confirmer", "Réserves", "choix de modélisation", "non applicable", "indéterminé"):
            assert word not in text
        identifiers = set(re.findall(r"\b[a-z0-9]+_[a-z0-9_]+\b", text))
        assert identifiers == set()

    @pytest.mark.parametrize("path, example, template, date", EXAMPLES)
    def test_sheet_carries_the_reservations_of_printed_values(self, path: str, example: str, template: str,
                                                             date: str) -> None:
        facts = json.loads((ROOT / "examples" / example).read_text())
        sheet = str(review_sheet(_ruleset(path).evaluate(facts), template, date=date, dossier="D42", **CAISSE))
        part = sheet.split("Réserves dont dépendent les valeurs imprimées dans le courrier")[1].split("À vérifier")[0]
        assert "Valeurs imprimées concernées" in part
        assert "À vérifier avant de signer" in sheet

    def test_sheet_reservations_follow_what_is_printed(self) -> None:
        """Year 2 prints no objective: no reservation on the rounding of objectives; the acceptance has one."""
        outcome = _ruleset(A7).evaluate({**CARDIOLOGUE, "annee_contrat": 2})
        notification = str(review_sheet(outcome, "notification_annuelle", date="2020-10-01", **CAISSE))
        decision = str(review_sheet(_ruleset(A7).evaluate(CARDIOLOGUE), "decision", date="2019-10-01", **CAISSE))
        assert "objectif_indicateur" not in notification
        assert "objectif_indicateur" in decision and "Valeurs imprimées concernées : objectif_file_active" in decision

    @pytest.mark.parametrize("fmt", ["html", "pdf"])
    def test_sheet_formats(self, fmt: str) -> None:
        sheet = review_sheet(_ruleset(A7).evaluate(CARDIOLOGUE), "decision", format=fmt, date="2019-10-01", **CAISSE)
        if fmt == "html":
            assert str(sheet).startswith("<!DOCTYPE html>") and "Fiche de contrôle" in str(sheet)
        else:
            assert isinstance(sheet, bytes) and sheet.startswith(b"%PDF-")


class TestReferencesAndPdf:
    """References are unique per dossier and stable; PDFs are PDF/A-2."""

    def test_same_facts_different_dossiers(self) -> None:
        outcome = _ruleset(A7).evaluate(CARDIOLOGUE)
        first = issuance.reference("A-1", "decision", __import__("datetime").date(2019, 10, 1), outcome)
        second = issuance.reference("A-2", "decision", __import__("datetime").date(2019, 10, 1), outcome)
        assert first != second and first == "A-1-DEC-20191001"

    def test_bad_dossier(self) -> None:
        with pytest.raises(LetterError, match="identifiant de dossier invalide"):
            issuance.check_dossier("a/../b")

    def test_pdf_is_pdf_a_2(self) -> None:
        from pypdf import PdfReader
        pdf = render_letter(_ruleset(A7).evaluate(CARDIOLOGUE), "decision", format="pdf", date="2019-10-01", **CAISSE)
        reader = PdfReader(io.BytesIO(pdf))
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
        assert re.search(r"pdfaid:part(>|=\")2", xmp) and re.search(r"pdfaid:conformance(>|=\")B", xmp)
        assert re.search(r"pdfuaid:part(>|=\")1", xmp)


class TestMissingDocuments:
    """The letter asking for what is missing: the facts eligibility still needs, by their libellé."""

    def test_asks_for_the_missing_facts(self) -> None:
        facts = {k: v for k, v in CARDIOLOGUE.items() if k != "exercice_coordonne"}
        text = _flat(render_letter(_ruleset(A7).evaluate(facts), "pieces_manquantes", date="2019-10-08", **CAISSE))
        label = _ruleset(A7).facts["exercice_coordonne"].label
        assert f"j'ai besoin des informations suivantes : - {label}." in text or \
               f"j'ai besoin de l'information suivante : - {label}." in text

    def test_not_sent_when_eligibility_is_decided(self) -> None:
        with pytest.raises(NotIssuedError, match="aucune information ne manque"):
            render_letter(_ruleset(A7).evaluate(CARDIOLOGUE), "pieces_manquantes", date="2019-10-08", **CAISSE)


def test_acceptance_without_published_amounts_is_not_sent() -> None:
    """A second assistant (1,5 ETP): eligible, but its amounts are not published: no acceptance with
    « indéterminé » for amounts; the review sheet says why."""
    facts = {**json.loads((ROOT / "examples" / "generaliste.json").read_text()), "option": "temps_plein_et_mi_temps",
             "zone": "zip", "anciennete_contrat_temps_plein": 3, "objectifs_atteints": True, "annee_contrat": 1}
    outcome = _ruleset(C24).evaluate(facts)
    assert outcome.result("eligible").value is True
    with pytest.raises(NotIssuedError, match="n'a pas de valeur \\(indéterminé : les montants des options"):
        render_letter(outcome, "decision", date="2024-07-15", **CAISSE)
    sheet = str(review_sheet(outcome, "decision", date="2024-07-15", **CAISSE))
    assert "AUCUN COURRIER AU MÉDECIN : « Montant maximal de l'aide" in sheet


def test_year_one_notification_deducts_the_advance() -> None:
    facts = {**CARDIOLOGUE, "annee_contrat": 1}
    text = _flat(render_letter(_ruleset(A7).evaluate(facts), "notification_annuelle", date="2019-10-01", **CAISSE))
    assert ("L'avance de 8 400,00 € sur l'aide de la première année en est déduite : le solde de l'aide de cette "
            "année est de 3 600,00 €.") in text


@pytest.mark.parametrize("template, date", [("decision", "2019-10-01"), ("notification_annuelle", "2022-10-17")])
def test_payment_date_is_confirmed_on_the_sheet_not_promised_in_the_letter(template: str, date: str) -> None:
    """No published text sets when the yearly aid is paid: the letter does not say, the sheet asks the
    agent to confirm it (declaration `a_confirmer_si_vrai`), for an eligible doctor only."""
    facts = {**CARDIOLOGUE, "annee_contrat": 3, "file_active_constatee": 2905} if template != "decision" else CARDIOLOGUE
    outcome = _ruleset(A7).evaluate(facts)
    letter = _flat(str(render_letter(outcome, template, date=date, dossier="AM-1", **CAISSE)))
    sheet = _flat(str(review_sheet(outcome, template, date=date, dossier="AM-1", **CAISSE)))
    assert "acomptes" not in letter and "date anniversaire" not in letter
    assert ("À confirmer — Date de versement de l'aide de chaque année : le courrier ne l'indique pas, car aucun "
            "texte publié ne la fixe") in sheet
    refused = _ruleset(A7).evaluate({**CARDIOLOGUE, "secteur": 3})
    assert "Date de versement" not in _flat(str(review_sheet(refused, "decision", date="2019-10-01", **CAISSE)))
