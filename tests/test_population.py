"""scripts/make_population.py: determinism, columns, value formats, published shares, era constraints.

Stdlib and pytest only. The share targets and tolerances below are those of the assumptions listed
in the script's docstring (and docs/population.md); tolerances allow for sampling noise on the
8 000 rows of examples/population.csv (about ± 3 standard deviations).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "make_population.py"
EXAMPLE = ROOT / "examples" / "population.csv"
DOC = ROOT / "docs" / "population.md"
SEED = 20240622
ROWS = 8000

FACTS = (
    "specialite", "secteur", "optam", "departement", "departement_sous_dote", "zone", "rqth",
    "nouvel_installe", "mep", "date_naissance", "part_moins_16_ans", "part_honoraires_cliniques",
    "exercice_regroupe", "exercice_coordonne", "engagement_exercice_coordonne", "option",
    "anciennete_contrat_temps_plein", "objectifs_atteints", "date_signature", "date_embauche",
    "annee_contrat", "patientele_mt_adulte", "patientele_mt", "file_active", "percentile_mt",
    "percentile_file_active", "p50_mt", "p50_file_active", "patientele_mt_adulte_constatee",
    "patientele_mt_constatee", "file_active_constatee",
)
SPECIALITES = {
    "medecine_generale", "pediatrie", "cardiologie", "gynecologie", "gastro_enterologie",
    "ophtalmologie", "psychiatrie", "dermatologie", "neurologie", "chirurgie", "orl", "radiologie",
    "radiotherapie", "stomatologie", "anesthesie", "anatomo_cyto_pathologie", "medecine_nucleaire",
    "autre_specialite",
}
EXCLUDED_2024 = {"radiologie", "radiotherapie", "stomatologie", "anesthesie", "anatomo_cyto_pathologie",
                 "medecine_nucleaire"}
OPTIONS = {"tiers_temps", "mi_temps", "temps_plein", "temps_plein_et_mi_temps", "double_temps_plein"}
SECOND = {"temps_plein_et_mi_temps", "double_temps_plein"}
BOOLS = {"optam", "departement_sous_dote", "rqth", "nouvel_installe", "mep", "exercice_regroupe",
         "exercice_coordonne", "engagement_exercice_coordonne", "objectifs_atteints"}
DATES = {"date_naissance", "date_signature", "date_embauche"}
TAUX = {"part_moins_16_ans", "part_honoraires_cliniques"}
PERCENTILES = {"percentile_mt", "percentile_file_active"}
INTS = {"secteur", "anciennete_contrat_temps_plein", "annee_contrat", "patientele_mt_adulte",
        "patientele_mt", "file_active", "p50_mt", "p50_file_active", "patientele_mt_adulte_constatee",
        "patientele_mt_constatee", "file_active_constatee"}
MEASURED = ("patientele_mt_adulte_constatee", "patientele_mt_constatee", "file_active_constatee")
RA_START, C2024_START = "2023-05-01", "2024-06-22"


def generate(rows: int, seed: int, fmt: str = "csv") -> str:
    done = subprocess.run([sys.executable, str(SCRIPT), "--rows", str(rows), "--seed", str(seed),
                           "--format", fmt], capture_output=True, text=True, check=True, cwd=ROOT)
    return done.stdout


def era(row: dict) -> str:
    s = row["date_signature"]
    return "a7" if s < RA_START else "ra" if s < C2024_START else "2024"


def share(rows, pred) -> float:
    rows = list(rows)
    return sum(1 for r in rows if pred(r)) / len(rows)


def add_years(d: datetime.date, n: int) -> datetime.date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)


@pytest.fixture(scope="module")
def text() -> str:
    return generate(ROWS, SEED)


@pytest.fixture(scope="module")
def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


class TestGeneration:
    """The script's output as a file."""

    def test_deterministic_for_a_seed(self, text: str) -> None:
        assert generate(ROWS, SEED) == text

    def test_seed_changes_output(self) -> None:
        assert generate(200, 1) != generate(200, 2)

    def test_prefix_stable(self, text: str) -> None:
        """Fewer rows with the same seed give the first rows of the larger file."""
        small = generate(500, SEED)
        assert text.startswith(small)

    def test_example_file_is_regenerated_output(self, text: str) -> None:
        """examples/population.csv is exactly `--rows 8000 --seed 20240622`."""
        assert EXAMPLE.read_text(encoding="utf-8") == text

    def test_row_count_and_ids(self, rows: list[dict]) -> None:
        assert len(rows) == ROWS
        assert [r["id"] for r in rows] == [str(i) for i in range(1, ROWS + 1)]

    def test_columns_exact(self, text: str) -> None:
        header = text.splitlines()[0].split(",")
        assert header == ["id", *FACTS]

    def test_jsonl_same_rows_without_unknowns(self, rows: list[dict]) -> None:
        lines = generate(300, SEED, "jsonl").splitlines()
        assert len(lines) == 300
        for line, row in zip(lines, rows):
            obj = json.loads(line)
            assert set(obj) == {k for k, v in row.items() if v != ""}
            for key, value in obj.items():
                if key in BOOLS:
                    assert value is (row[key] == "true")
                elif key in INTS or key == "id":
                    assert type(value) is int and str(value) == row[key]
                else:
                    assert value == row[key]

    def test_assumptions_documented(self) -> None:
        """Every assumption of the docstring has a row in docs/population.md."""
        doc = SCRIPT.read_text(encoding="utf-8").split('"""')[1]
        ids = re.findall(r"^(A\d\d) ", doc, re.M)
        assert len(ids) >= 25
        page = DOC.read_text(encoding="utf-8")
        missing = [i for i in ids if f"| {i} |" not in page]
        assert missing == []


class TestFormats:
    """Every cell parses as its fact's type."""

    def test_values_parse(self, rows: list[dict]) -> None:
        for r in rows:
            assert r["specialite"] in SPECIALITES
            assert r["option"] in OPTIONS
            assert r["zone"] in {"zip", "zac", "hors_zone"}
            assert re.fullmatch(r"\d\d|2[AB]|97[1-6]", r["departement"])
            for key in BOOLS:
                assert r[key] in {"", "true", "false"}, key
            for key in DATES:
                assert re.fullmatch(r"\d{4}-\d\d-\d\d", r[key])
                datetime.date.fromisoformat(r[key])
            for key in INTS:
                assert r[key] == "" or re.fullmatch(r"0|[1-9]\d*", r[key]), (key, r[key])
            for key in TAUX:
                if r[key]:
                    assert re.fullmatch(r"0\.\d{1,2}|1", r[key]), (key, r[key])
                    assert Decimal(0) <= Decimal(r[key]) <= Decimal(1)
            for key in PERCENTILES:
                if r[key]:
                    assert re.fullmatch(r"\d{1,2}(\.\d)?", r[key]), (key, r[key])
                    assert Decimal(0) <= Decimal(r[key]) < Decimal(100)

    def test_always_known(self, rows: list[dict]) -> None:
        always = ("specialite", "secteur", "departement", "zone", "rqth", "nouvel_installe",
                  "date_naissance", "option", "date_signature", "date_embauche", "annee_contrat",
                  "file_active", "percentile_file_active", "p50_file_active")
        for r in rows:
            assert all(r[k] != "" for k in always)


class TestApplicability:
    """Facts are filled exactly where they apply."""

    def test_optam_only_secteur_2(self, rows: list[dict]) -> None:
        for r in rows:
            assert r["secteur"] in {"1", "2", "3"}
            assert (r["optam"] != "") == (r["secteur"] == "2")

    def test_measured_only_from_year_3(self, rows: list[dict]) -> None:
        for r in rows:
            year = int(r["annee_contrat"])
            assert 1 <= year <= 5
            assert (r["file_active_constatee"] != "") == (year >= 3)
            if year < 3:
                assert all(r[k] == "" for k in MEASURED)

    def test_second_assistant_facts(self, rows: list[dict]) -> None:
        for r in rows:
            second = r["option"] in SECOND
            assert (r["anciennete_contrat_temps_plein"] != "") == second
            assert (r["objectifs_atteints"] != "") == second

    def test_mt_indicator_by_era(self, rows: list[dict]) -> None:
        for r in rows:
            gp = r["specialite"] == "medecine_generale"
            a7 = era(r) == "a7"
            assert (r["patientele_mt_adulte"] != "") == (gp and a7)
            assert (r["patientele_mt"] != "") == ((gp and not a7) or r["specialite"] == "pediatrie")
            has_mt = r["patientele_mt_adulte"] != "" or r["patientele_mt"] != ""
            assert (r["percentile_mt"] != "") == has_mt
            assert (r["p50_mt"] != "") == has_mt
            assert (r["part_moins_16_ans"] != "") == gp
            assert (r["mep"] != "") == gp
            if r["patientele_mt_adulte_constatee"]:
                assert gp and a7
            if r["patientele_mt_constatee"]:
                assert not a7 and (gp or r["specialite"] == "pediatrie")

    def test_practice_only_avenant7(self, rows: list[dict]) -> None:
        for r in rows:
            a7 = era(r) == "a7"
            assert (r["exercice_regroupe"] != "") == a7
            assert (r["exercice_coordonne"] != "") == a7
            expected = a7 and r["exercice_coordonne"] == "false"
            assert (r["engagement_exercice_coordonne"] != "") == expected

    def test_clinical_fees_only_where_tested(self, rows: list[dict]) -> None:
        for r in rows:
            tested = r["specialite"] in {"chirurgie", "orl", "gynecologie"} and era(r) != "a7"
            assert (r["part_honoraires_cliniques"] != "") == tested

    def test_sous_dote_only_restricted_group(self, rows: list[dict]) -> None:
        whole = {"medecine_generale", "pediatrie", "cardiologie", "gynecologie", "gastro_enterologie",
                 "ophtalmologie", "psychiatrie", "radiologie"}
        for r in rows:
            assert (r["departement_sous_dote"] != "") == (r["specialite"] not in whole)


class TestEraConstraints:
    """Options, zones and dates respect the text in force at signature."""

    def test_signature_window(self, rows: list[dict]) -> None:
        for r in rows:
            assert "2019-09-01" <= r["date_signature"] <= "2025-12-31"

    def test_no_new_tiers_temps_from_ra(self, rows: list[dict]) -> None:
        assert not [r["id"] for r in rows if r["option"] == "tiers_temps" and r["date_signature"] >= RA_START]

    def test_second_assistant_only_2024_gp(self, rows: list[dict]) -> None:
        second = [r for r in rows if r["option"] in SECOND]
        assert second, "a few second-assistant contracts are expected"
        for r in second:
            assert r["date_signature"] >= C2024_START
            assert r["specialite"] == "medecine_generale"
            assert r["nouvel_installe"] == "false"
            assert r["zone"] in {"zip", "zac"}
            start = datetime.date(2019, 9, 1)
            signed = datetime.date.fromisoformat(r["date_signature"])
            assert 2 <= int(r["anciennete_contrat_temps_plein"]) <= min(5, (signed - start).days // 365 + 1)

    def test_avenant7_full_time_only_in_underdense_zone(self, rows: list[dict]) -> None:
        for r in rows:
            if era(r) == "a7" and r["option"] == "temps_plein":
                assert r["zone"] == "zip" or (r["zone"] == "zac" and r["date_signature"] >= "2020-09-01")

    def test_hiring_before_signature(self, rows: list[dict]) -> None:
        delays = [(datetime.date.fromisoformat(r["date_signature"])
                   - datetime.date.fromisoformat(r["date_embauche"])).days for r in rows]
        assert min(delays) >= 0 and max(delays) <= 75
        assert share(delays, lambda d: d <= 31) > 0.95

    def test_ages(self, rows: list[dict]) -> None:
        def age(r):
            born = datetime.date.fromisoformat(r["date_naissance"])
            start = add_years(datetime.date.fromisoformat(r["date_signature"]), int(r["annee_contrat"]) - 1)
            return start.year - born.year - ((start.month, start.day) < (born.month, born.day))
        ages = [age(r) for r in rows]
        assert 27 <= min(ages) and max(ages) <= 77
        assert 0.04 <= share(ages, lambda a: a >= 65) <= 0.11
        late = [r for r in rows if era(r) == "2024" and int(r["annee_contrat"]) >= 3 and age(r) >= 65]
        assert late, "2024 contracts in year >= 3 with a doctor aged 65+ exercise the maintien rule"


class TestShares:
    """Shares within tolerance of the published figures (targets: docs/population.md)."""

    def test_gp_share(self, rows: list[dict]) -> None:
        assert share(rows, lambda r: r["specialite"] == "medecine_generale") == pytest.approx(0.73, abs=0.02)

    def test_gp_share_falls_over_time(self, rows: list[dict]) -> None:
        early = [r for r in rows if r["date_signature"] <= "2021-01-21"]
        middle = [r for r in rows if "2022-05-28" < r["date_signature"] <= "2024-10-31"]
        gp = lambda r: r["specialite"] == "medecine_generale"  # noqa: E731
        assert share(early, gp) == pytest.approx(0.82, abs=0.04)
        assert share(middle, gp) == pytest.approx(0.689, abs=0.03)

    def test_specialist_mix(self, rows: list[dict]) -> None:
        counts = Counter(r["specialite"] for r in rows if r["specialite"] != "medecine_generale")
        total = sum(counts.values())
        assert counts["cardiologie"] / total == pytest.approx(180 / 673, abs=0.035)
        assert counts["ophtalmologie"] / total == pytest.approx(110 / 673, abs=0.03)
        order = ["cardiologie", "ophtalmologie", "psychiatrie", "neurologie"]
        assert [counts[s] for s in order] == sorted((counts[s] for s in order), reverse=True)
        for s in ("pediatrie", "psychiatrie", "dermatologie", "neurologie", "chirurgie"):
            assert counts[s] > 0
        excluded = share(rows, lambda r: r["specialite"] in EXCLUDED_2024)
        assert 0.004 <= excluded <= 0.025

    def test_options_avenant7(self, rows: list[dict]) -> None:
        a7 = [r for r in rows if era(r) == "a7"]
        counts = Counter(r["option"] for r in a7)
        assert set(counts) == {"tiers_temps", "mi_temps", "temps_plein"}
        assert counts["tiers_temps"] / len(a7) == pytest.approx(0.31, abs=0.03)
        assert counts["mi_temps"] / len(a7) == pytest.approx(0.47, abs=0.03)
        assert counts["temps_plein"] / len(a7) == pytest.approx(0.22, abs=0.03)

    def test_options_after_ra(self, rows: list[dict]) -> None:
        later = [r for r in rows if era(r) != "a7"]
        counts = Counter(r["option"] for r in later)
        assert counts["temps_plein"] / len(later) == pytest.approx(0.40 * 0.99, abs=0.03)
        second = sum(counts[o] for o in SECOND) / len([r for r in later if era(r) == "2024"])
        assert 0.01 <= second <= 0.05

    def test_eras(self, rows: list[dict]) -> None:
        counts = Counter(era(r) for r in rows)
        assert counts["a7"] / ROWS == pytest.approx(0.478, abs=0.025)
        assert counts["ra"] / ROWS == pytest.approx(0.207, abs=0.02)
        assert counts["2024"] / ROWS == pytest.approx(0.315, abs=0.025)
        years = Counter(r["date_signature"][:4] for r in rows)
        assert sorted(years) == [str(y) for y in range(2019, 2026)]
        assert years["2019"] < years["2020"] < years["2022"] < years["2024"]

    def test_underdense(self, rows: list[dict]) -> None:
        underdense = lambda r: r["zone"] in {"zip", "zac"}  # noqa: E731
        assert share(rows, underdense) == pytest.approx(0.59, abs=0.025)
        early = [r for r in rows if r["date_signature"] <= "2022-12-31"]
        assert share(early, underdense) == pytest.approx(0.52, abs=0.03)

    def test_nouveaux_installes(self, rows: list[dict]) -> None:
        gps = [r for r in rows if r["specialite"] == "medecine_generale"]
        assert share(gps, lambda r: r["nouvel_installe"] == "true") == pytest.approx(0.21, abs=0.025)

    def test_secteur(self, rows: list[dict]) -> None:
        assert share(rows, lambda r: r["secteur"] == "1") == pytest.approx(0.85, abs=0.025)
        assert share(rows, lambda r: r["optam"] == "true") == pytest.approx(0.12, abs=0.02)
        ineligible = share(rows, lambda r: r["secteur"] == "3" or r["optam"] == "false")
        assert 0.015 <= ineligible <= 0.05


class TestActivity:
    """Patientèles, percentiles and measured values agree with the published figures."""

    def test_percentile_and_value_agree(self, rows: list[dict]) -> None:
        """Values are monotone in the percentile, for each indicator distribution."""
        groups: dict[tuple, list[tuple[Decimal, int]]] = {}
        for r in rows:
            gp = r["specialite"] == "medecine_generale"
            spec = "gp" if gp else r["specialite"]
            groups.setdefault((spec, "fa"), []).append((Decimal(r["percentile_file_active"]), int(r["file_active"])))
            if r["patientele_mt_adulte"]:
                groups.setdefault((spec, "mt_adulte"), []).append((Decimal(r["percentile_mt"]), int(r["patientele_mt_adulte"])))
            if r["patientele_mt"]:
                groups.setdefault((spec, "mt"), []).append((Decimal(r["percentile_mt"]), int(r["patientele_mt"])))
        for key, pairs in groups.items():
            pairs.sort()
            values = [v for _, v in pairs]
            assert values == sorted(values), key

    def test_gp_thresholds_at_p30(self, rows: list[dict]) -> None:
        """640 adult MT (A7) and 775 MT (2021) sit at the GP P30."""
        for r in rows:
            if r["patientele_mt_adulte"] and r["specialite"] == "medecine_generale":
                assert (int(r["patientele_mt_adulte"]) > 640) == (Decimal(r["percentile_mt"]) > 30)
            if r["patientele_mt"] and r["specialite"] == "medecine_generale":
                assert (int(r["patientele_mt"]) > 775) == (Decimal(r["percentile_mt"]) > 30)

    def test_gp_medians(self, rows: list[dict]) -> None:
        for r in rows:
            if r["specialite"] == "medecine_generale":
                assert r["p50_file_active"] == "1514"
                assert r["p50_mt"] == ("850" if era(r) == "a7" else "1045")

    def test_most_gps_above_threshold(self, rows: list[dict]) -> None:
        gps = [r for r in rows if r["specialite"] == "medecine_generale" and r["nouvel_installe"] == "false"]
        above = share(gps, lambda r: Decimal(r["percentile_mt"]) >= 30)
        assert above == pytest.approx(0.92, abs=0.02)
        high = share(gps, lambda r: Decimal(r["percentile_mt"]) >= 95)
        assert 0.06 <= high <= 0.13

    def test_measured_around_objectives(self, rows: list[dict]) -> None:
        measured = [r for r in rows if r["file_active_constatee"]]
        assert share(rows, lambda r: r["file_active_constatee"] != "") == pytest.approx(0.6, abs=0.03)
        up = share(measured, lambda r: int(r["file_active_constatee"]) > int(r["file_active"]))
        assert 0.7 <= up <= 0.95, "some above their start, some below"
        for r in measured:
            start, p50 = int(r["file_active"]), int(r["p50_file_active"])
            assert int(r["file_active_constatee"]) <= 2.5 * start + 3.5 * p50
