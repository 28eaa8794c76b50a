"""Tests for `regles diff`: the impact of a rule change over a population (engine.impact)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from engine.cli import main

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


class TestSmallPopulation:
    """A population whose every change is known."""

    def test_json_counts(self, population: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Rows, skipped rows with their line, eligibility transitions and amount changes are counted exactly."""
        code, out, _ = run(capsys, A7, C24, "--population", str(population), "--format", "json")
        assert code == 0
        report = json.loads(out)
        assert (report["rows"], report["evaluated"], report["skipped"]) == (5, 3, 2)
        assert report["bad_rows"][0]["line"] == 3 and report["bad_rows"][0]["id"] == "2"
        assert "secteur" in report["bad_rows"][0]["reason"]
        assert report["bad_rows"][1] == {"line": 4, "id": "3", "reason": "la ligne a 4 colonnes, l'en-tête en a 16"}
        assert report["ignored_columns"] == {"les deux fichiers": ["id", "colonne_libre"]}
        assert report["outputs"]["eligible"]["transitions"] == [{"from": "non applicable", "to": "vrai", "rows": 1}]
        maximal = report["amounts"]["montant_maximal"]
        assert (maximal["total_old"], maximal["total_new"]) == ("44350.00", "45767.00")
        assert (maximal["delta"], maximal["mean_delta"], maximal["changed"]) == ("1417.00", "472.33", 2)
        cardio = report["breakdown"]["specialite"]["cardiologie"]
        assert (cardio["rows"], cardio["amounts"]["montant_maximal"]["delta"]) == (2, "417.00")
        assert report["breakdown"]["specialite"]["orl"]["eligibility_gained"] == 1
        assert report["outputs_only_new"] == ["texte_applicable"]

    def test_text_report(self, population: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The French report: totals, eligibility, results, amounts, breakdowns, examples, skipped rows."""
        code, out, _ = run(capsys, A7, C24, "--population", str(population), "--examples", "2")
        assert code == 0
        assert out.startswith(f"Impact du passage de {A7} à {C24}\n")
        assert "5 lignes, 3 évaluées, 2 écartées (voir la fin du rapport)" in out
        assert "1 ligne (33,3 %) change d'éligibilité :" in out
        assert "non applicable → vrai       1" in out
        assert "montant_maximal          3          2  44 350,00 €  45 767,00 €  +1 417,00 €    +472,33 €" in out
        assert "Par specialite" in out and "oto-rhino-laryngologie" in out and "Par option" in out
        assert "Exemples (2)" in out and "Explication de eligible, après (rulesets/convention2024.rules) :" in out
        assert "ligne 3 (id 2) : fait « secteur » : attendu l'une des valeurs 1, 2, 3, reçu « 7 »" in out
        assert "ligne 4 (id 3) : la ligne a 4 colonnes, l'en-tête en a 16" in out

    def test_by_other_fact(self, population: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--by breaks the counts down by any fact; --montant chooses the amount shown."""
        code, out, _ = run(capsys, A7, C24, "--population", str(population), "--by", "annee_contrat",
                           "--montant", "montant_maximal", "--examples", "0")
        assert code == 0
        assert "Par annee_contrat" in out and "écart montant_maximal" in out
        assert "Par specialite" not in out and "Exemples" not in out
        code, out, _ = run(capsys, A7, C24, "--population", str(population), "--by", "zone", "--examples", "0")
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


class TestErrors:
    """Bad arguments and bad inputs: a French message, exit 2, never a traceback."""

    @pytest.mark.parametrize(("argv", "message"), [
        ([A7, C24], "arguments obligatoires manquants : --population"),
        ([A7, C24, "--population", "absente.csv"], "impossible de lire la population « absente.csv » : fichier introuvable"),
        ([A7, C24, "--population", "{pop}", "--format", "xml"], "choix invalide"),
        ([A7, C24, "--population", "{pop}", "--examples", "-1"], "un nombre positif ou nul est attendu"),
        ([A7, C24, "--population", "{pop}", "--examples", "trois"], "n'est pas un nombre entier"),
        ([A7, C24, "--population", "{pop}", "--by", "specialté"], "--by : fait inconnu « specialté » ; vouliez-vous dire « specialite »"),
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
