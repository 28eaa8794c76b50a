"""Tests for `regles diff`: the impact of a rule change over a population (engine.tools.impact)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from engine.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
A7, C24 = "rulesets/avenant7.rules", "rulesets/convention2024.rules"
POPULATION = ROOT / "examples" / "population.csv"

HEADER = ("id,specialite,secteur,rqth,nouvel_installe,exercice_regroupe,exercice_coordonne,option,date_signature,"
          "date_embauche,annee_contrat,file_active,percentile_file_active,file_active_constatee,"
          "part_honoraires_cliniques,colonne_libre")
ROWS = [
    # model.md § 6, ex. 6: a 2022 cardiologist in year 4 is paid 8 350 € by avenant 7, 8 767 € by the 2024 table
    "1,cardiologie,1,false,false,true,true,tiers_temps,2022-02-01,2022-01-17,4,3400,92,3536,,x",
    "2,cardiologie,7,false,false,true,true,tiers_temps,2022-02-01,2022-01-17,4,3400,92,3536,,x",  # secteur 7
    "3,cardiologie,1,false",  # too few columns
    # an ENT signed in 2024: not covered by avenant 7, eligible in 2024 with 85 % of clinical fees
    "4,orl,1,,false,,,mi_temps,2024-09-01,2024-08-20,1,1500,40,,0.85,",
    "5,cardiologie,1,false,false,true,true,mi_temps,2021-03-01,2021-02-15,1,2000,50,,,",  # year 1 under A7
    "6,cardiologie,3,false,false,true,true,tiers_temps,2022-02-01,2022-01-17,4,3400,92,3536,,x",  # secteur 3: ineligible
    "7,cardiologie,1,false,false,,,mi_temps,2023-09-01,2023-08-20,1,2000,50,,,",  # règlement arbitral: neither text
    "",
]


def spaces(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.fixture
def population(tmp_path: Path) -> Path:
    path = tmp_path / "population.csv"
    path.write_text("\n".join([HEADER, *ROWS]), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["diff", *argv])
    captured = capsys.readouterr()
    return code, spaces(captured.out), spaces(captured.err)


IMPACT = ROOT / "tests" / "cases" / "impact"
OLD, NEW = str(IMPACT / "ancien.rules"), str(IMPACT / "nouveau.rules")
"""Two small rule files: `ouvre_droit` is the eligibility, `aide` the only amount, `groupe` a fact to
break down by. The old text governs periods 1–2 and pays `aide` = base even to an ineligible row;
the new one governs periods 2–3, pays base + 100 € and leaves group B above 90 undetermined."""

CASES_POPULATION = "\n".join([
    "id,groupe,periode,score,base",
    "1,a,2,60,1000",   # eligible under both: 1 000 → 1 100
    "2,b,2,70,2000",   # eligible under both: 2 000 → 2 100
    "3,a,2,45,500",    # gains eligibility (45 < 50, 45 ≥ 40); the old text computes 500 for an ineligible row
    "4,b,2,95,3000",   # eligible under both; new amount undetermined (group B above 90)
    "5,a,3,80,400",    # period 3: not governed by the old text (which still computes 400), eligible under the new
    "6,b,1,30,700",    # period 1: ineligible under the old text, not governed by the new
    "7,a,2,10,800",    # ineligible under both, with an amount under both
    "8,b,2,60,",       # eligible under both; amount missing (no base) under both
    "9,a,2,,100",      # eligibility missing (no score) under both
    "10,a,2,250,5000",  # loses eligibility (250 > 150)
    "11,b,1,80,900",   # eligible under the old text, not governed by the new
    "12,b,4,60,1200",  # period 4: governed by neither text; both compute an amount
    "13,c,2,60,100",   # groupe c: refused
]) + "\n"
"""By hand. Evaluated 12 of 13. Eligible under both: rows 1, 2, 4, 8; `aide` compared on 1 and 2 only:
3 000 → 3 200 €, +200 €, +100 € a row; row 4 valeur → indéterminé, row 8 manquant → manquant.
Gained: row 3, 600 € under the new text. Lost: row 10, 5 000 € under the old. Outside the old text and
eligible under the new: row 5, 500 €. Outside the new text and eligible under the old: row 11, 900 €.
Outside both: row 12, 1 200 → 1 300 € apart. Not counted at all: rows 6, 7, 9. Summing every row where
both files give a value, as the report once did, would give 12 600 → 13 600 €, +1 000 €."""


@pytest.fixture
def cases_population(tmp_path: Path) -> Path:
    path = tmp_path / "cas.csv"
    path.write_text(CASES_POPULATION, encoding="utf-8")
    return path


def lines_of(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


class TestCases:
    """Each case of eligibility is counted apart, and only the amounts that count are summed."""

    ARGS = ("--eligibilite", "ouvre_droit", "--par", "groupe", "--examples", "0")

    def test_eligibility_table(self, cases_population: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """One line per case present, with its transition, rows, share and what amounts count for it."""
        code, out, _ = run(capsys, OLD, NEW, "--population", str(cases_population), *self.ARGS)
        assert code == 0
        lines = lines_of(out)
        assert "Population : " + str(cases_population) + " — 13 lignes, 12 évaluées, 1 écartée (voir la fin du rapport)" in lines
        assert "11 lignes (91,7 %) ont au moins un résultat différent." in lines
        start = lines.index("Éligibilité (ouvre_droit) selon l'ancien et le nouveau texte, et montants comptés pour chaque cas")
        table = [" ".join(line.split()) for line in lines[start + 1:start + 15]]
        assert table[:14] == [
            "cas ancien → nouveau lignes part montants comptés",
            "éligibles selon les deux textes vrai → vrai 4 33,3 % avant → après, comparés",
            "gagnent l'éligibilité faux → vrai 1 8,3 % nouveau texte seul",
            "perdent l'éligibilité vrai → faux 1 8,3 % ancien texte seul",
            "inéligibles selon les deux textes faux → faux 1 8,3 % aucun",
            "hors du champ de l'ancien texte, éligibles selon le nouveau non applicable → vrai 1 8,3 % nouveau texte seul",
            "hors du champ du nouveau texte, éligibles selon l'ancien vrai → non applicable 1 8,3 % ancien texte seul",
            "hors du champ du nouveau texte, inéligibles selon l'ancien faux → non applicable 1 8,3 % aucun",
            "hors du champ des deux textes non applicable → non applicable 1 8,3 % à part",
            "éligibilité indéterminée ou manquante selon au moins un texte indéterminé ou manquant 1 8,3 % aucun",
            "Éligibilité indéterminée ou manquante : manquant → manquant 1.",
            "« non applicable » : le texte ne régit pas la ligne ; raisons données par les fichiers :",
            "ancien texte : « périodes 3 et 4 : l'ancien texte ne les régit pas » (2 lignes)",
            "nouveau texte : « période 1 : le nouveau texte ne la régit pas » (2 lignes)",
        ]
        assert "    nouveau texte : « période 4 : le nouveau texte ne la régit pas » (1 ligne)" in lines
        assert not any("Aucune ligne ne gagne" in line for line in lines)

    def test_amounts_compared_only_on_rows_eligible_under_both(self, cases_population: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
        """Before → after sums rows 1 and 2 only; rows 4 and 8 are counted by status, not summed."""
        code, out, _ = run(capsys, OLD, NEW, "--population", str(cases_population), *self.ARGS)
        assert code == 0
        lines = lines_of(out)
        start = lines.index("Montants des lignes éligibles selon les deux textes (4 lignes) : avant → après")
        assert lines[start + 1] == ("  comparés sur les lignes où les deux textes donnent un montant ; "
                                    "écart moyen = écart total ÷ lignes comparées, au centime")
        assert lines[start + 2].split() == ["résultat", "comparées", "total", "avant", "total", "après", "écart",
                                            "total", "écart", "moyen", "en", "hausse", "en", "baisse", "inchangées"]
        assert " ".join(lines[start + 3].split()) == "aide 2 3 000,00 € 3 200,00 € +200,00 € +100,00 € 2 0 0"
        assert lines[start + 4] == ("  aide : 2 lignes sans montant selon au moins un texte, hors des totaux : "
                                    "valeur → indéterminé 1, manquant → manquant 1")
        assert "12 600,00 €" not in out and "+1 000,00 €" not in out

    def test_amounts_counted_under_one_text(self, cases_population: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Gained, lost, and rows one text does not govern: each with the amount of the text that counts."""
        code, out, _ = run(capsys, OLD, NEW, "--population", str(cases_population), *self.ARGS)
        assert code == 0
        lines = lines_of(out)
        expected = {
            "Gagnent l'éligibilité (faux → vrai) : 1 ligne ; montants selon le nouveau texte (l'ancien les juge "
            "inéligibles : aucun montant compté avant)": "aide 1 600,00 € 600,00 € —",
            "Perdent l'éligibilité (vrai → faux) : 1 ligne ; montants selon l'ancien texte (le nouveau les juge "
            "inéligibles : aucun montant compté après)": "aide 1 5 000,00 € 5 000,00 € —",
            "Hors du champ de l'ancien texte, éligibles selon le nouveau (non applicable → vrai) : 1 ligne ; montants "
            "selon le nouveau texte seul, hors des totaux avant → après (l'ancien texte ne régit pas ces lignes)":
                "aide 1 500,00 € 500,00 € —",
            "Hors du champ du nouveau texte, éligibles selon l'ancien (vrai → non applicable) : 1 ligne ; montants "
            "selon l'ancien texte seul, hors des totaux avant → après (le nouveau texte ne régit pas ces lignes)":
                "aide 1 900,00 € 900,00 € —",
        }
        for title, row in expected.items():
            start = lines.index(title)
            assert lines[start + 1].split() == ["résultat", "avec", "montant", "total", "moyenne", "sans", "montant"]
            assert " ".join(lines[start + 2].split()) == row
        start = lines.index("Hors du champ des deux textes (non applicable → non applicable) : 1 ligne ; montants que "
                            "chaque fichier calcule sans décider de l'éligibilité, comptés à part (non ajoutés aux "
                            "totaux ci-dessus)")
        assert " ".join(lines[start + 3].split()) == "aide 1 1 200,00 € 1 300,00 € +100,00 € +100,00 € 1 0 0"
        # rows 6 (faux → n.a.), 7 (faux → faux) and 9 (manquant) have amounts under both files: none is shown
        assert "700,00 €" not in out and "800,00 €" not in out and "1 000,00 €" not in out

    def test_json(self, cases_population: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The same cases in JSON, with exact decimal strings."""
        code, out, _ = run(capsys, OLD, NEW, "--population", str(cases_population), "--format", "json",
                           *self.ARGS)
        assert code == 0
        report = json.loads(out)
        assert (report["rows"], report["evaluated"], report["skipped"], report["changed_rows"]) == (13, 12, 1, 11)
        assert report["eligibility"] == "ouvre_droit" and report["amounts"] == ["aide"]
        cases = report["cases"]
        assert {k: c["rows"] for k, c in cases.items()} == {
            "both": 4, "gained": 1, "lost": 1, "neither": 1, "new_only_true": 1, "new_only_false": 0,
            "old_only_true": 1, "old_only_false": 1, "outside_both": 1, "unknown": 1}
        assert cases["both"]["compared"]["aide"] == {
            "compared": 2, "changed": 2, "total_old": "3000.00", "total_new": "3200.00", "delta": "200.00",
            "mean_delta": "100.00", "increased": 2, "decreased": 0, "unchanged": 0,
            "uncompared": [{"from": "valeur", "to": "indéterminé", "rows": 1},
                           {"from": "manquant", "to": "manquant", "rows": 1}]}
        assert cases["gained"]["new_text"]["aide"] == {"with_value": 1, "total": "600.00", "mean": "600.00",
                                                       "without_value": {}}
        assert cases["lost"]["old_text"]["aide"]["total"] == "5000.00"
        assert cases["new_only_true"]["new_text"]["aide"]["total"] == "500.00"
        assert cases["old_only_true"]["old_text"]["aide"]["total"] == "900.00"
        assert cases["outside_both"]["computed_apart"]["aide"]["delta"] == "100.00"
        for key in ("neither", "new_only_false", "old_only_false", "unknown"):
            assert cases[key]["amounts_counted"] is None
            assert not {"compared", "new_text", "old_text", "computed_apart"} & set(cases[key])
        assert cases["unknown"]["transitions"] == [{"from": "manquant", "to": "manquant", "rows": 1}]
        assert cases["outside_both"]["not_applicable_reasons"] == {
            "old": [{"reason": "périodes 3 et 4 : l'ancien texte ne les régit pas", "rows": 1}],
            "new": [{"reason": "période 4 : le nouveau texte ne la régit pas", "rows": 1}]}
        assert report["bad_rows"] == [{"line": 14, "id": "13", "reason": report["bad_rows"][0]["reason"]}]
        assert "« c »" in report["bad_rows"][0]["reason"]

    def test_breakdown_follows_the_cases(self, cases_population: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Per group: rows by case, then the amount compared on rows eligible under both, beside one-text totals."""
        code, out, _ = run(capsys, OLD, NEW, "--population", str(cases_population), *self.ARGS)
        assert code == 0
        lines = lines_of(out)
        start = lines.index("Par groupe : lignes par cas d'éligibilité (ancien → nouveau)")
        assert [" ".join(line.split()) for line in lines[start + 1:start + 5]] == [
            "groupe lignes modifiées vrai → vrai faux → vrai vrai → faux faux → faux n.a. → vrai vrai → n.a. "
            "faux → n.a. n.a. → n.a. indét./manq.",
            "groupe A 6 6 1 1 1 1 1 0 0 0 1",
            "groupe B 6 5 3 0 0 0 0 1 1 1 0",
            "n.a. : non applicable, le texte ne régit pas la ligne"]
        start = lines.index("Par groupe : aide des lignes éligibles selon les deux textes (vrai → vrai), avant → après ; "
                            "à côté, les cas comptés sur un seul texte")
        assert [" ".join(line.split()) for line in lines[start + 1:start + 5]] == [
            "groupe comparées écart total écart moyen faux → vrai : avec montant total nouveau vrai → faux : avec "
            "montant total ancien n.a. → vrai : avec montant total nouveau vrai → n.a. : avec montant total ancien",
            "groupe A 1 +100,00 € +100,00 € 1 600,00 € 1 5 000,00 € 1 500,00 € 0 —",
            "groupe B 1 +100,00 € +100,00 € 0 — 0 — 0 — 1 900,00 €",
            "une ligne sans montant (indéterminé, non applicable, manquant) n'entre dans aucun total"]
        code, out, _ = run(capsys, OLD, NEW, "--population", str(cases_population), "--format", "json", *self.ARGS)
        groups = json.loads(out)["breakdown"]["groupe"]
        assert groups["b"]["cases"]["both"]["compared"]["aide"]["uncompared"] == [
            {"from": "valeur", "to": "indéterminé", "rows": 1}, {"from": "manquant", "to": "manquant", "rows": 1}]
        assert groups["a"]["cases"]["lost"] == {"rows": 1, "old_text": {"aide": {
            "with_value": 1, "total": "5000.00", "mean": "5000.00", "without_value": {}}}}

    def test_examples_say_which_amount_is_not_counted(self, cases_population: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
        """Examples show lost, gained, the largest compared change, rows outside the old text, each with its case."""
        code, out, _ = run(capsys, OLD, NEW, "--population", str(cases_population), "--eligibilite", "ouvre_droit",
                           "--par", "groupe", "--examples", "4")
        assert code == 0
        lines = lines_of(out)
        assert "  ▸ ligne 4 (id 3) — groupe : a — gagnent l'éligibilité" in lines
        assert "      aide : 500,00 € → 600,00 € (avant : non compté, ligne inéligible selon l'ancien texte)" in lines
        assert "  ▸ ligne 11 (id 10) — groupe : a — perdent l'éligibilité" in lines
        assert "      aide : 5 000,00 € → 5 100,00 € (après : non compté, ligne inéligible selon le nouveau texte)" in lines
        assert "      aide : 400,00 € → 500,00 € (avant : non compté, l'ancien texte ne régit pas la ligne)" in lines
        assert "  ▸ ligne 2 (id 1) — groupe : a — éligibles selon les deux textes" in lines
        assert "      aide : 1 000,00 € → 1 100,00 €" in lines
        assert "    Explication de ouvre_droit, après (" + NEW + ") :" in lines

    def test_without_eligibility(self, cases_population: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`--eligibilite ""`: amounts compare on every row, and the report says so; without the option, files
        that declare no headline result (`résultat principal`) make `diff` ask for one, guessing no name."""
        code, out, _ = run(capsys, OLD, NEW, "--population", str(cases_population), "--eligibilite", "",
                           "--examples", "0")
        assert code == 0
        lines = lines_of(out)
        assert ("Pas de résultat d'éligibilité demandé : les montants sont comparés sur toutes les lignes où les "
                "deux textes en donnent un.") in lines
        start = lines.index("Montants de toutes les lignes évaluées (12 lignes) : avant → après")
        assert " ".join(lines[start + 3].split()) == "aide 10 12 600,00 € 13 600,00 € +1 000,00 € +100,00 € 10 0 0"
        assert "Par " not in out  # the default breakdown facts are not declared by these files
        code, out, err = run(capsys, OLD, NEW, "--population", str(cases_population), "--examples", "0")
        assert code == 2 and out == ""
        assert ("aucun des deux fichiers ne déclare de résultat principal (« résultat principal : nom » dans "
                "l'en-tête) : désignez le résultat booléen qui dit si une ligne est éligible avec --eligibilite NOM, "
                "ou --eligibilite \"\" pour comparer les montants sur toutes les lignes") in err
        code, out, _ = run(capsys, OLD, NEW, "--population", str(cases_population), "--format", "json",
                           "--eligibilite", "", "--examples", "0")
        report = json.loads(out)
        assert report["eligibility"] is None and list(report["cases"]) == ["all"]
        assert report["cases"]["all"]["compared"]["aide"]["delta"] == "1000.00"

    def test_breakdown_names(self, cases_population: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`--par a,b`, `--par a b` and the older `--by` name the same facts."""
        for argv in (["--par", "groupe,periode"], ["--par", "groupe", "periode"], ["--by", "groupe", "periode"]):
            code, out, _ = run(capsys, OLD, NEW, "--population", str(cases_population), "--format", "json",
                               "--eligibilite", "ouvre_droit", "--examples", "0", *argv)
            assert code == 0
            report = json.loads(out)
            assert report["by"] == ["groupe", "periode"]
            assert report["breakdown"]["periode"]["4"]["cases"]["outside_both"]["rows"] == 1


class TestRealFiles:
    """Avenant 7 → convention 2024 on a few rows whose every change is known."""

    def test_json_counts(self, population: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Rows, skipped rows with their line, cases of eligibility and amount changes are counted exactly."""
        code, out, _ = run(capsys, A7, C24, "--population", str(population), "--format", "json")
        assert code == 0
        report = json.loads(out)
        assert (report["rows"], report["evaluated"], report["skipped"]) == (7, 5, 2)
        assert report["bad_rows"][0]["line"] == 3 and report["bad_rows"][0]["id"] == "2"
        assert "secteur" in report["bad_rows"][0]["reason"]
        assert report["bad_rows"][1] == {"line": 4, "id": "3", "reason": "la ligne a 4 colonnes, l'en-tête en a 16"}
        assert report["ignored_columns"] == {"les deux fichiers": ["id", "colonne_libre"]}
        assert report["eligibility"] == "eligible"
        cases = report["cases"]
        assert {k: c["rows"] for k, c in cases.items() if c["rows"]} == {
            "both": 2, "neither": 1, "new_only_true": 1, "outside_both": 1}
        # model.md § 6, ex. 6 (8 350 → 8 767 €) and a year-1 mi-temps at 18 000 € under both texts
        maximal = cases["both"]["compared"]["montant_maximal"]
        assert (maximal["total_old"], maximal["total_new"], maximal["delta"], maximal["mean_delta"]) == (
            "26350.00", "26767.00", "417.00", "208.50")
        assert (maximal["increased"], maximal["unchanged"]) == (1, 1)
        assert cases["both"]["compared"]["montant_verse"]["delta"] == "417.00"
        # the 2024 ORL: 19 000 € under the 2024 text alone, no advance (§ 7.14 leaves it computed: eligible)
        new_only = cases["new_only_true"]["new_text"]
        assert new_only["montant_verse"]["total"] == "19000.00"
        assert new_only["avance"] == {"with_value": 0, "total": "0.00", "mean": None,
                                      "without_value": {"non applicable": 1}}
        # secteur 3: ineligible under both, nothing counted though montant_maximal is computed
        assert cases["neither"]["amounts_counted"] is None
        assert cases["outside_both"]["computed_apart"]["montant_verse"]["total_old"] == "18000.00"
        cardio = report["breakdown"]["specialite"]["cardiologie"]
        assert cardio["rows"] == 4
        assert cardio["cases"]["both"]["compared"]["montant_maximal"]["delta"] == "417.00"
        assert report["breakdown"]["specialite"]["orl"]["cases"]["new_only_true"]["rows"] == 1
        assert report["outputs_only_new"] == ["texte_applicable"]

    def test_text_report(self, population: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The French report: totals, cases, amounts, breakdowns, examples, skipped rows."""
        code, out, _ = run(capsys, A7, C24, "--population", str(population), "--examples", "2")
        assert code == 0
        lines = lines_of(out)
        assert out.startswith(f"Impact du passage de {A7} à {C24}\n")
        assert "Population : " + str(population) + " — 7 lignes, 5 évaluées, 2 écartées (voir la fin du rapport)" in lines
        assert "  Aucune ligne ne gagne ni ne perd l'éligibilité (faux → vrai ou vrai → faux)." in lines
        assert ("    ancien texte : « signature à partir du 22/06/2024 : elle relève de la convention médicale 2024 » "
                "(1 ligne)") in lines
        start = lines.index("Montants des lignes éligibles selon les deux textes (2 lignes) : avant → après")
        assert " ".join(lines[start + 3].split()) == \
            "montant_maximal 2 26 350,00 € 26 767,00 € +417,00 € +208,50 € 1 0 1"
        assert "Par specialite : lignes par cas d'éligibilité (ancien → nouveau)" in lines
        assert "oto-rhino-laryngologie" in out and "Par option : montant_verse des lignes éligibles" in out
        assert "Exemples (2)" in out
        assert any(line.startswith("  ligne 3 (id 2) : fait « secteur » : attendu l'une des valeurs 1, 2, 3, reçu « 7 »")
                   for line in lines)
        assert "  ligne 4 (id 3) : la ligne a 4 colonnes, l'en-tête en a 16" in lines

    def test_by_other_fact(self, population: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--par breaks the counts down by any fact; --montant chooses the amount shown."""
        code, out, _ = run(capsys, A7, C24, "--population", str(population), "--par", "annee_contrat",
                           "--montant", "montant_maximal", "--examples", "0")
        assert code == 0
        assert "Par annee_contrat : montant_maximal des lignes éligibles" in out
        assert "Par specialite" not in out and "Exemples" not in out
        code, out, _ = run(capsys, A7, C24, "--population", str(population), "--par", "zone", "--examples", "0")
        assert code == 0 and "Par zone : pas de colonne « zone » dans la population, ventilation impossible" in out

    def test_jsonl_population(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A JSON Lines population works like a CSV one; a bad line is skipped and reported."""
        path = tmp_path / "population.jsonl"
        path.write_text('{"specialite": "orl", "secteur": 1, "option": "mi_temps", "date_signature": "2024-09-01",'
                        ' "annee_contrat": 1, "percentile_file_active": "40", "part_honoraires_cliniques": "0.85"}\n'
                        "pas du json\n", encoding="utf-8")
        code, out, _ = run(capsys, A7, C24, "--population", str(path), "--format", "json")
        report = json.loads(out)
        assert code == 0 and (report["evaluated"], report["skipped"]) == (1, 1)
        assert report["bad_rows"][0]["line"] == 2


class TestBundledPopulation:
    """The 8 000-row synthetic population (examples/population.csv)."""

    def test_runs_fast_and_reports(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The whole population is compared in well under a minute, and every row is accounted for."""
        if not POPULATION.exists():
            pytest.skip("examples/population.csv absent (scripts/make_population.py l'écrit)")
        start = time.perf_counter()
        code, out, _ = run(capsys, A7, C24, "--population", str(POPULATION), "--format", "json", "--examples", "2")
        elapsed = time.perf_counter() - start
        assert code == 0
        report = json.loads(out)
        assert report["rows"] == report["evaluated"] + report["skipped"] >= 8000
        assert report["outputs"]["eligible"]["changed"] > 0
        assert len(report["examples"]) == 2
        assert elapsed < 30, f"{elapsed:.1f} s pour {report['rows']} lignes"


def _report_blocks(path: Path) -> list[list[str]]:
    """The fenced blocks of a page that show a `regles diff` report."""
    blocks = re.findall(r"^```\n(Impact du passage de .*?)^```", path.read_text(encoding="utf-8"), re.M | re.S)
    return [block.splitlines() for block in blocks]


class TestDocumentedReport:
    """The README and docs/population.md show the real report on the bundled population."""

    def test_pages_paste_the_real_output(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Every line of each documented report is in today's report, in order; `…` marks a cut."""
        if not POPULATION.exists():
            pytest.skip("examples/population.csv absent")
        code, out, _ = run(capsys, A7, C24, "--population", "examples/population.csv", "--examples", "0")
        assert code == 0
        real = out.splitlines()
        for page in (ROOT / "README.md", ROOT / "docs" / "population.md"):
            blocks = _report_blocks(page)
            assert blocks, f"{page.name} : pas de rapport regles diff"
            for block in blocks:
                position = 0
                for line in block:
                    if line in ("…", ""):
                        continue
                    assert line in real[position:], f"{page.name} : ligne absente ou déplacée du rapport réel : {line!r}"
                    position = real.index(line, position) + 1


class TestErrors:
    """Bad arguments and bad inputs: a French message, exit 2, never a traceback."""

    @pytest.mark.parametrize(("argv", "message"), [
        ([A7, C24], "arguments obligatoires manquants : --population"),
        ([A7, C24, "--population", "absente.csv"], "impossible de lire la population « absente.csv » : fichier introuvable"),
        ([A7, C24, "--population", "{pop}", "--format", "xml"], "choix invalide"),
        ([A7, C24, "--population", "{pop}", "--examples", "-1"], "un nombre positif ou nul est attendu"),
        ([A7, C24, "--population", "{pop}", "--examples", "trois"], "n'est pas un nombre entier"),
        ([A7, C24, "--population", "{pop}", "--par", "specialté"], "--par : fait inconnu « specialté » ; vouliez-vous dire « specialite »"),
        ([A7, C24, "--population", "{pop}", "--eligibilite", "eligibel"],
         "--eligibilite : « eligibel » n'est pas un résultat calculé par les deux fichiers ; vouliez-vous dire « eligible »"),
        ([A7, C24, "--population", "{pop}", "--eligibilite", "montant_verse"],
         "--eligibilite : « montant_verse » n'est pas un résultat booléen calculé par les deux fichiers"),
        ([A7, C24, "--population", "{pop}", "--montant", "eligible"], "« eligible » n'est pas un montant"),
        ([A7, "absent.rules", "--population", "{pop}"], "fichier introuvable"),
    ])
    def test_usage_errors(self, argv: list[str], message: str, population: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
        """Each mistake gets its French message and exit 2."""
        code, _, err = run(capsys, *(a.replace("{pop}", str(population)) for a in argv))
        assert code == 2
        assert message in err and "Traceback" not in err

    def test_empty_population(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An empty population file."""
        path = tmp_path / "vide.csv"
        path.write_text("", encoding="utf-8")
        code, _, err = run(capsys, A7, C24, "--population", str(path))
        assert code == 2 and "est vide" in err

    def test_population_not_utf8(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A population that is not UTF-8."""
        path = tmp_path / "latin1.csv"
        path.write_bytes("specialite\nmédecine\n".encode("latin-1"))
        code, _, err = run(capsys, A7, C24, "--population", str(path))
        assert code == 2 and "n'est pas en UTF-8" in err

    def test_bad_rule_file(self, population: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A rule file with errors: its diagnostics and exit 1."""
        code, _, err = run(capsys, "tests/cases/editor/invalide/erreur.rules", C24, "--population", str(population))
        assert code == 1 and "erreur[E201]" in err
