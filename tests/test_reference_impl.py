"""The plain-Python reference implementation (benchmarks/baseline.py) against model.md.

Every worked example of model.md §6, the band and threshold edges, the date edges and the
clarifications of §7. Section numbers refer to /work/shared/reference/model.md.
"""

from __future__ import annotations

import importlib.util
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "baseline.py"
_SPEC = importlib.util.spec_from_file_location("regles_baseline", _PATH)
baseline = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(baseline)

a7 = baseline.evaluate_avenant7
c24 = baseline.evaluate_convention2024

V, NA, UND, MISS = "value", "not_applicable", "undetermined", "missing"

A7_OUTPUTS = {"eligible", "condition_secteur", "condition_specialite", "condition_activite",
              "condition_exercice", "condition_option", "montant_maximal", "taux_atteinte",
              "montant_verse", "objectif_mt", "objectif_file_active", "avance", "date_limite_avance",
              "date_limite_declaration", "date_limite_qualification", "date_limite_debut_formation"}
C24_OUTPUTS = {"eligible", "condition_secteur", "condition_specialite", "condition_activite",
               "condition_option", "montant_maximal", "taux_atteinte", "montant_verse", "objectif_mt",
               "objectif_file_active", "date_limite_declaration", "date_limite_qualification",
               "texte_applicable"}


def D(text: str) -> Decimal:
    return Decimal(text)


def val(out: dict, name: str):
    """The value of an output, failing when it is not a value."""
    status, value = out[name]
    assert status == V, f"{name}: {status}"
    return value


def status(out: dict, name: str) -> str:
    return out[name][0]


# ---------------------------------------------------------------------------- fact sets


def cardio_a7(**changes) -> dict:
    """§6 example 1: cardiologist, secteur 1, group + CPTS, tiers_temps, signed 01/10/2019."""
    facts = {
        "specialite": "cardiologie", "secteur": 1, "rqth": False, "nouvel_installe": False,
        "exercice_regroupe": True, "exercice_coordonne": True, "option": "tiers_temps",
        "date_signature": date(2019, 10, 1), "date_embauche": date(2019, 9, 16), "annee_contrat": 1,
        "file_active": 2800, "percentile_file_active": D("80"),
    }
    facts.update(changes)
    return facts


def gp_a7(**changes) -> dict:
    """A GP under avenant 7: secteur 1, group + coordinated, mi_temps, signed 01/10/2019."""
    facts = {
        "specialite": "medecine_generale", "secteur": 1, "rqth": False, "nouvel_installe": False,
        "exercice_regroupe": True, "exercice_coordonne": True, "option": "mi_temps",
        "date_signature": date(2019, 10, 1), "date_embauche": date(2019, 9, 16), "annee_contrat": 1,
        "patientele_mt_adulte": 900, "percentile_mt": D("40"), "part_moins_16_ans": D("0.10"),
        "file_active": 1900, "percentile_file_active": D("55"),
    }
    facts.update(changes)
    return facts


def gp_2024(**changes) -> dict:
    """§6 example 7: GP born 1975, signed 01/07/2024, mi_temps, 1200 MT at P60, 2000 file active at P55."""
    facts = {
        "specialite": "medecine_generale", "secteur": 1, "nouvel_installe": False, "mep": False,
        "date_naissance": date(1975, 3, 14), "date_signature": date(2024, 7, 1),
        "date_embauche": date(2024, 6, 17), "option": "mi_temps", "annee_contrat": 1,
        "patientele_mt": 1200, "percentile_mt": D("60"), "file_active": 2000,
        "percentile_file_active": D("55"),
    }
    facts.update(changes)
    return facts


def spec_2024(specialite: str, **changes) -> dict:
    """A specialist under the 2024 convention, signed 01/09/2024, mi_temps, file active 1000 at P60."""
    facts = {
        "specialite": specialite, "secteur": 1, "nouvel_installe": False,
        "date_naissance": date(1975, 1, 1), "date_signature": date(2024, 9, 1),
        "date_embauche": date(2024, 8, 20), "option": "mi_temps", "annee_contrat": 1,
        "file_active": 1000, "percentile_file_active": D("60"),
    }
    facts.update(changes)
    return facts


# ---------------------------------------------------------------------------- shape


class TestShape:
    """Both functions return every output of §3 as a (status, value) pair."""

    def test_avenant7_outputs(self) -> None:
        out = a7(cardio_a7())
        assert set(out) == A7_OUTPUTS
        assert all(s in (V, NA, UND, MISS) for s, _ in out.values())
        assert all(v is None for s, v in out.values() if s != V)

    def test_convention2024_outputs(self) -> None:
        out = c24(gp_2024())
        assert set(out) == C24_OUTPUTS
        assert all(s in (V, NA, UND, MISS) for s, _ in out.values())

    def test_empty_facts_are_missing_not_errors(self) -> None:
        assert {s for s, _ in a7({}).values()} == {MISS}
        assert {s for s, _ in c24({}).values()} == {MISS}

    def test_value_types(self) -> None:
        out = a7(cardio_a7(annee_contrat=3, file_active_constatee=2905))
        assert isinstance(val(out, "montant_maximal"), Decimal)
        assert isinstance(val(out, "taux_atteinte"), Decimal)
        assert isinstance(val(out, "objectif_file_active"), int)
        assert isinstance(val(out, "eligible"), bool)
        assert isinstance(val(out, "date_limite_avance"), date)
        assert str(val(out, "montant_verse")) == "3500.00"


# ---------------------------------------------------------------------------- §6 worked examples


class TestWorkedExamples:
    """model.md §6, examples 1 to 7."""

    def test_1_cardiologist_eligible_amounts_and_advance(self) -> None:
        out = a7(cardio_a7())
        assert val(out, "eligible") is True
        assert val(out, "montant_maximal") == D("12000.00")
        assert val(out, "avance") == D("8400.00")
        assert val(out, "montant_verse") == D("12000.00")
        assert val(a7(cardio_a7(annee_contrat=2)), "montant_maximal") == D("9000.00")
        assert val(a7(cardio_a7(annee_contrat=3)), "montant_maximal") == D("7000.00")

    def test_1_cardiologist_objective_and_modulation(self) -> None:
        out = a7(cardio_a7(annee_contrat=3, file_active_constatee=2905))
        assert val(out, "objectif_file_active") == 3010
        assert status(out, "objectif_mt") == NA
        assert val(out, "taux_atteinte") == D("0.5")
        assert val(out, "montant_verse") == D("3500.00")

    def test_1_below_start_pays_nothing(self) -> None:
        out = a7(cardio_a7(annee_contrat=3, file_active_constatee=2750))
        assert val(out, "taux_atteinte") == 0
        assert val(out, "montant_verse") == D("0.00")

    def test_2_gp_600_adult_mt(self) -> None:
        out = a7(gp_a7(patientele_mt_adulte=600, percentile_mt=D("25"), part_moins_16_ans=D("0.10")))
        assert val(out, "condition_activite") is False
        assert val(out, "eligible") is False
        out = a7(gp_a7(patientele_mt_adulte=600, percentile_mt=D("25"), part_moins_16_ans=D("0.25")))
        assert val(out, "condition_activite") is True
        assert val(out, "eligible") is True

    def test_3_anaesthetist_2024(self) -> None:
        out = c24(spec_2024("anesthesie"))
        assert val(out, "condition_specialite") is False
        assert val(out, "eligible") is False

    def test_4_ent_clinical_fees(self) -> None:
        assert val(c24(spec_2024("orl", part_honoraires_cliniques=D("0.85"))), "condition_specialite") is True
        assert val(c24(spec_2024("orl", part_honoraires_cliniques=D("0.75"))), "condition_specialite") is False

    def test_5_temps_plein_signed_01_09_2023(self) -> None:
        facts = spec_2024("cardiologie", option="temps_plein", date_signature=date(2023, 9, 1))
        year_1 = c24(facts)
        assert val(year_1, "montant_maximal") == D("36000.00")
        assert val(year_1, "texte_applicable") == "avenant 7"
        year_2 = c24({**facts, "annee_contrat": 2})
        assert val(year_2, "montant_maximal") == D("28000.00")
        assert val(year_2, "texte_applicable") == "convention 2024"

    def test_6_cardiologist_tiers_temps_p90_p95(self) -> None:
        facts = cardio_a7(date_signature=date(2022, 2, 1), percentile_file_active=D("92"), annee_contrat=3)
        year_3 = c24(facts)
        assert val(year_3, "montant_maximal") == D("8350.00")
        assert val(year_3, "texte_applicable") == "avenant 7"
        year_4 = c24({**facts, "annee_contrat": 4})
        assert val(year_4, "montant_maximal") == D("8767.00")
        assert val(year_4, "texte_applicable") == "convention 2024"
        # the avenant 7 file knows only its own table
        assert val(a7({**facts, "annee_contrat": 4}), "montant_maximal") == D("8350.00")

    def test_7_gp_2024_objectives_and_modulation(self) -> None:
        out = c24(gp_2024())
        assert val(out, "objectif_mt") == 1440
        assert val(out, "objectif_file_active") == 2400
        assert val(out, "eligible") is True
        out = c24(gp_2024(annee_contrat=3, patientele_mt_constatee=1320, file_active_constatee=2500))
        assert val(out, "montant_maximal") == D("11000.00")
        assert val(out, "taux_atteinte") == D("0.75")
        assert val(out, "montant_verse") == D("8250.00")


class TestEvidenceExamples:
    """A few worked examples of avenant7.md §11 / convention2024.md §9, as model.md computes them."""

    def test_a7_e4_solo_gp_in_zip_above_p95(self) -> None:
        facts = gp_a7(option="temps_plein", exercice_regroupe=False, zone="zip",
                      patientele_mt_adulte=2000, percentile_mt=D("97"), file_active=3000,
                      percentile_file_active=D("96"))
        out = a7(facts)
        assert val(out, "condition_exercice") is True
        assert val(out, "eligible") is True
        assert val(out, "avance") == D("25200.00")
        assert val(out, "objectif_mt") == 2100
        assert val(out, "objectif_file_active") == 3150
        for year in (1, 2, 3, 5):
            assert val(a7({**facts, "annee_contrat": year}), "montant_maximal") == D("36000.00")
        out = a7({**facts, "annee_contrat": 3, "patientele_mt_adulte_constatee": 2060,
                  "file_active_constatee": 3150})
        assert val(out, "taux_atteinte") == D("0.8")  # (0.6 + 1) / 2
        assert val(out, "montant_verse") == D("28800.00")

    def test_c24_e7_mi_temps_signed_15_03_2022(self) -> None:
        facts = cardio_a7(option="mi_temps", date_signature=date(2022, 3, 15), percentile_file_active=D("60"))
        amounts = [val(c24({**facts, "annee_contrat": year}), "montant_maximal") for year in range(1, 6)]
        assert amounts == [D("18000.00"), D("13500.00"), D("10500.00"), D("11000.00"), D("11000.00")]

    def test_c24_e9_tiers_temps_signed_10_03_2023(self) -> None:
        facts = cardio_a7(date_signature=date(2023, 3, 10), percentile_file_active=D("60"))
        amounts = [val(c24({**facts, "annee_contrat": year}), "montant_maximal") for year in (1, 2, 3)]
        assert amounts == [D("12000.00"), D("9000.00"), D("7350.00")]

    def test_contract_year_not_capped(self) -> None:
        """§7.13: year 7 follows the year >= 3 rules."""
        facts = cardio_a7(annee_contrat=7, file_active_constatee=3010)
        assert val(a7(facts), "montant_maximal") == D("7000.00")
        assert val(a7(facts), "taux_atteinte") == 1
        assert val(c24(facts), "montant_maximal") == D("7350.00")  # year 7 starts 01/10/2025


# ---------------------------------------------------------------------------- band and threshold edges


class TestEdges:
    """Lower-inclusive bands (§4 [H]), strict 640 / 775, inclusive P30 and 80 %."""

    @pytest.mark.parametrize(("percentile", "expected"), [("29.99", False), ("30", True), ("30.01", True)])
    def test_p30_specialist_activity(self, percentile: str, expected: bool) -> None:
        assert val(a7(cardio_a7(percentile_file_active=D(percentile))), "condition_activite") is expected
        assert val(c24(spec_2024("cardiologie", percentile_file_active=D(percentile))),
                   "condition_activite") is expected

    @pytest.mark.parametrize(("percentile", "objective"), [
        ("10", 1200), ("49.99", 1200), ("50", 1150), ("69.99", 1150), ("70", 1075),
        ("89.99", 1075), ("90", 1040), ("94.99", 1040), ("95", 1000), ("100", 1000),
    ])
    def test_objective_rate_bands_tiers_temps(self, percentile: str, objective: int) -> None:
        facts = cardio_a7(file_active=1000, percentile_file_active=D(percentile))
        assert val(a7(facts), "objectif_file_active") == objective

    @pytest.mark.parametrize(("option", "objectives"), [
        ("tiers_temps", [1200, 1150, 1075, 1040, 1000]),
        ("mi_temps", [1250, 1200, 1125, 1060, 1000]),
        ("temps_plein", [1350, 1300, 1200, 1125, 1050]),
    ])
    def test_objective_rate_table(self, option: str, objectives: list) -> None:
        got = [val(a7(cardio_a7(option=option, file_active=1000, percentile_file_active=D(p))),
                   "objectif_file_active") for p in ("30", "50", "70", "90", "95")]
        assert got == objectives

    @pytest.mark.parametrize(("percentile", "year_2", "year_3"), [
        ("89.99", "9000.00", "7000.00"), ("90", "9000.00", "8350.00"),
        ("94.99", "9000.00", "8350.00"), ("95", "12000.00", "12000.00"),
    ])
    def test_amount_bands(self, percentile: str, year_2: str, year_3: str) -> None:
        facts = cardio_a7(percentile_file_active=D(percentile))
        assert val(a7({**facts, "annee_contrat": 2}), "montant_maximal") == D(year_2)
        assert val(a7({**facts, "annee_contrat": 3}), "montant_maximal") == D(year_3)

    def test_2024_amount_bands(self) -> None:
        facts = spec_2024("cardiologie", annee_contrat=3)
        assert val(c24({**facts, "percentile_file_active": D("90")}), "montant_maximal") == D("13000.00")
        assert val(c24({**facts, "percentile_file_active": D("95")}), "montant_maximal") == D("19000.00")
        assert val(c24({**facts, "percentile_file_active": D("95"), "annee_contrat": 2}),
                   "montant_maximal") == D("19000.00")

    def test_gp_band_is_the_better_percentile(self) -> None:
        facts = gp_a7(annee_contrat=3, percentile_mt=D("96"), percentile_file_active=D("40"))
        assert val(a7(facts), "montant_maximal") == D("18000.00")
        facts = gp_a7(annee_contrat=3, percentile_mt=D("40"), percentile_file_active=D("91"))
        assert val(a7(facts), "montant_maximal") == D("12500.00")

    def test_pediatrie_band_per_file(self) -> None:
        """§7.4: pediatrie uses the better percentile in the 2024 file only."""
        facts = cardio_a7(specialite="pediatrie", option="mi_temps", annee_contrat=3,
                          date_signature=date(2022, 9, 1), percentile_mt=D("96"),
                          percentile_file_active=D("60"))
        assert val(a7(facts), "montant_maximal") == D("10500.00")
        assert val(c24(facts), "montant_maximal") == D("19000.00")  # year 3 starts 01/09/2024

    @pytest.mark.parametrize(("mt", "expected"), [(640, False), (641, True)])
    def test_640_adult_mt(self, mt: int, expected: bool) -> None:
        out = a7(gp_a7(patientele_mt_adulte=mt, part_moins_16_ans=D("0.1")))
        assert val(out, "condition_activite") is expected

    @pytest.mark.parametrize(("share", "expected"), [("0.20", False), ("0.2001", True)])
    def test_under_16_share_is_strict(self, share: str, expected: bool) -> None:
        out = a7(gp_a7(patientele_mt_adulte=500, part_moins_16_ans=D(share)))
        assert val(out, "condition_activite") is expected

    @pytest.mark.parametrize(("mt", "expected"), [(775, False), (776, True)])
    def test_775_mt(self, mt: int, expected: bool) -> None:
        assert val(c24(gp_2024(patientele_mt=mt)), "condition_activite") is expected

    @pytest.mark.parametrize(("share", "expected"), [("0.8", True), ("0.80", True), ("0.7999", False)])
    @pytest.mark.parametrize("specialite", ["chirurgie", "orl", "gynecologie"])
    def test_clinical_fees_80(self, specialite: str, share: str, expected: bool) -> None:
        out = c24(spec_2024(specialite, part_honoraires_cliniques=D(share)))
        assert val(out, "condition_specialite") is expected


# ---------------------------------------------------------------------------- dates


class TestDates:
    """§1 and §7.3 date arithmetic; the anniversary rule of §5."""

    def test_date_arithmetic(self) -> None:
        assert baseline.add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
        assert baseline.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
        assert baseline.add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)
        assert baseline.add_years(date(2020, 2, 29), 1) == date(2021, 2, 28)
        assert baseline.add_years(date(2020, 2, 29), 4) == date(2024, 2, 29)
        assert baseline.add_days(date(2024, 1, 31), 15) == date(2024, 2, 15)

    @pytest.mark.parametrize(("hired", "declaration"), [
        (date(2023, 1, 31), date(2023, 2, 28)), (date(2024, 1, 31), date(2024, 2, 29)),
    ])
    def test_hiring_on_31_january(self, hired: date, declaration: date) -> None:
        out = a7(cardio_a7(date_embauche=hired))
        assert val(out, "date_limite_declaration") == declaration
        assert val(out, "date_limite_avance") == date(hired.year, 2, 15)
        assert val(c24(gp_2024(date_embauche=hired)), "date_limite_declaration") == declaration

    def test_deadlines(self) -> None:
        out = a7(cardio_a7())
        assert val(out, "date_limite_avance") == date(2019, 10, 1)
        assert val(out, "date_limite_declaration") == date(2019, 10, 16)
        assert val(out, "date_limite_debut_formation") == date(2021, 9, 16)
        assert val(out, "date_limite_qualification") == date(2022, 9, 16)
        # §7.7: + 2 ans in the 2024 file, whatever the signature date
        assert val(c24(cardio_a7()), "date_limite_qualification") == date(2021, 9, 16)

    def test_hiring_on_29_february(self) -> None:
        out = a7(cardio_a7(date_embauche=date(2020, 2, 29)))
        assert val(out, "date_limite_declaration") == date(2020, 3, 29)
        assert val(out, "date_limite_debut_formation") == date(2022, 2, 28)
        assert val(out, "date_limite_qualification") == date(2023, 2, 28)
        assert val(c24(gp_2024(date_embauche=date(2024, 2, 29))), "date_limite_qualification") == date(2026, 2, 28)

    @pytest.mark.parametrize(("signed", "maximum", "text"), [
        (date(2022, 6, 21), "10500.00", "avenant 7"),
        (date(2022, 6, 22), "11000.00", "convention 2024"),
    ])
    def test_anniversary_edge(self, signed: date, maximum: str, text: str) -> None:
        """Year 3 starting on 21/06/2024 is paid by avenant 7, on 22/06/2024 by the 2024 convention."""
        out = c24(cardio_a7(option="mi_temps", date_signature=signed, percentile_file_active=D("60"),
                            annee_contrat=3))
        assert val(out, "montant_maximal") == D(maximum)
        assert val(out, "texte_applicable") == text

    def test_signature_on_29_february(self) -> None:
        """Contract years start on 28/02 in common years, on 29/02 in leap years."""
        facts = cardio_a7(option="mi_temps", date_signature=date(2020, 2, 29), percentile_file_active=D("60"))
        year_5 = c24({**facts, "annee_contrat": 5})  # starts 29/02/2024
        assert val(year_5, "texte_applicable") == "avenant 7"
        assert val(year_5, "montant_maximal") == D("10500.00")
        year_6 = c24({**facts, "annee_contrat": 6})  # starts 28/02/2025
        assert val(year_6, "texte_applicable") == "convention 2024"
        assert val(year_6, "montant_maximal") == D("11000.00")
        assert val(a7(facts), "eligible") is True
        # a règlement arbitral signature on 29/02/2024: year 2 starts 28/02/2025
        ra = {**facts, "date_signature": date(2024, 2, 29)}
        assert val(c24(ra), "texte_applicable") == "avenant 7"
        assert val(c24({**ra, "annee_contrat": 2}), "texte_applicable") == "convention 2024"

    def test_born_29_february_is_65_on_28_february(self) -> None:
        """§7.3: born 29/02/1964, 65 on 28/02/2029 = first day of year 3 of a contract signed 28/02/2027."""
        facts = gp_2024(option="temps_plein", date_signature=date(2027, 2, 28), annee_contrat=3,
                        patientele_mt=1500, file_active=2000, patientele_mt_constatee=1380,
                        file_active_constatee=2000)
        assert val(c24({**facts, "date_naissance": date(1964, 2, 29)}), "taux_atteinte") == 1
        assert val(c24({**facts, "date_naissance": date(1964, 3, 1)}), "taux_atteinte") == 0


# ---------------------------------------------------------------------------- 65 and over (§5, §7.8)


class TestAged65:
    """Doctor aged 65+: maintain the start with 10 % tolerated, from the start of the contract year."""

    def facts(self, **changes) -> dict:
        facts = gp_2024(option="temps_plein", date_signature=date(2024, 9, 1), annee_contrat=3,
                        patientele_mt=1500, file_active=2000, patientele_mt_constatee=1380,
                        file_active_constatee=2000)
        facts.update(changes)
        return facts

    @pytest.mark.parametrize(("born", "rate", "paid"), [
        (date(1961, 9, 1), "1", "22000.00"),  # 65 on 01/09/2026, first day of year 3
        (date(1961, 9, 2), "0", "0.00"),      # 65 the day after: ordinary objectives
    ])
    def test_65th_birthday_on_first_day_of_year(self, born: date, rate: str, paid: str) -> None:
        out = c24(self.facts(date_naissance=born))
        assert val(out, "taux_atteinte") == D(rate)
        assert val(out, "montant_verse") == D(paid)
        # §7.8: the objectives stay those set at signature
        assert val(out, "objectif_mt") == 1950
        assert val(out, "objectif_file_active") == 2600

    def test_shortfall_below_the_tolerance(self) -> None:
        out = c24(self.facts(date_naissance=date(1957, 1, 1), annee_contrat=4, patientele_mt_constatee=1320))
        # MT 1320 / 1350 = 44/45, file active 1: mean 89/90
        assert val(out, "taux_atteinte") == D("0.9888888888888888888888888889")
        assert val(out, "montant_verse") == D("21755.56")

    def test_wins_over_nouvel_installe(self) -> None:
        facts = self.facts(date_naissance=date(1957, 1, 1), nouvel_installe=True, p50_mt=2000,
                           p50_file_active=2500)
        out = c24(facts)
        assert val(out, "objectif_mt") == 2000
        assert val(out, "taux_atteinte") == 1

    def test_not_applied_in_years_1_2(self) -> None:
        out = c24(self.facts(date_naissance=date(1950, 1, 1), annee_contrat=2))
        assert val(out, "taux_atteinte") == 1

    def test_not_applied_to_an_avenant7_contract(self) -> None:
        facts = gp_a7(date_naissance=date(1950, 1, 1), annee_contrat=3, patientele_mt_adulte=900,
                      percentile_mt=D("40"), patientele_mt_adulte_constatee=900,
                      file_active_constatee=1900)
        assert val(c24(facts), "taux_atteinte") == 0
        assert val(a7(facts), "taux_atteinte") == 0


# ---------------------------------------------------------------------------- nouvel installé


class TestNouvelInstalle:
    """Objective = max(start, P50); no activity threshold (§4, §5)."""

    def test_avenant7_gp(self) -> None:
        facts = gp_a7(nouvel_installe=True, patientele_mt_adulte=400, file_active=900, p50_mt=850,
                      p50_file_active=1500)
        del facts["percentile_mt"], facts["percentile_file_active"], facts["part_moins_16_ans"]
        out = a7(facts)
        assert val(out, "condition_activite") is True
        assert val(out, "eligible") is True
        assert val(out, "objectif_mt") == 850
        assert val(out, "objectif_file_active") == 1500
        year_3 = a7({**facts, "annee_contrat": 3, "patientele_mt_adulte_constatee": 625,
                     "file_active_constatee": 1200})
        assert val(year_3, "taux_atteinte") == D("0.5")
        assert status(year_3, "montant_maximal") == MISS  # the band needs the percentiles
        year_3 = a7({**facts, "annee_contrat": 3, "patientele_mt_adulte_constatee": 625,
                     "file_active_constatee": 1200, "percentile_mt": D("10"),
                     "percentile_file_active": D("20")})
        assert val(year_3, "montant_verse") == D("5250.00")

    def test_start_above_p50_is_maintien(self) -> None:
        facts = spec_2024("cardiologie", nouvel_installe=True, file_active=1000, p50_file_active=800,
                          annee_contrat=3, file_active_constatee=900)
        out = c24(facts)
        assert val(out, "objectif_file_active") == 1000
        assert val(out, "taux_atteinte") == D("0.9")
        assert val(out, "montant_verse") == D("9900.00")

    def test_2024_gp_below_threshold(self) -> None:
        out = c24(gp_2024(nouvel_installe=True, patientele_mt=700, p50_mt=1045, p50_file_active=1514))
        assert val(out, "condition_activite") is True
        assert val(out, "objectif_mt") == 1045
        assert val(out, "objectif_file_active") == 2000


# ---------------------------------------------------------------------------- second assistant (§5, §7.6)

NEW_OPTION = "option créée par la convention médicale 2024, inexistante à la signature"
INELIGIBLE = "le médecin ne remplit pas les conditions d'éligibilité"
SECOND = ["temps_plein_et_mi_temps", "double_temps_plein"]


def marked(out: dict, name: str, expected_status: str, reason: str | None = None) -> None:
    """Assert an output's marker and, when given, the message model.md quotes for it."""
    assert status(out, name) == expected_status, f"{name}: {out[name]}"
    if reason is not None:
        assert out[name].reason == reason, f"{name}: {out[name].reason!r}"


def second_gp_2024(option: str, **changes) -> dict:
    """A GP who meets every second-assistant condition (§5): ZIP, not MEP, running 1 ETP contract in
    year 3 with its objectives met; signed 01/07/2024 unless changed; measured values for year 3."""
    facts = gp_2024(option=option, zone="zip", anciennete_contrat_temps_plein=3, objectifs_atteints=True,
                    p50_mt=1045, p50_file_active=2500, patientele_mt_constatee=1300,
                    file_active_constatee=2100)
    facts.update(changes)
    return facts


class TestSecondAssistant:
    """§7.6 (revised): 1.5 / 2 ETP exist only for a contract signed from 22/06/2024."""

    @pytest.mark.parametrize("nouvel", [False, True])
    @pytest.mark.parametrize("option", SECOND)
    def test_avenant7_file_in_window(self, option: str, nouvel: bool) -> None:
        facts = gp_a7(option=option, zone="zip", nouvel_installe=nouvel, p50_mt=1000, p50_file_active=2000,
                      patientele_mt_adulte_constatee=950, file_active_constatee=2000)
        for year in (1, 2, 3, 4):
            out = a7({**facts, "annee_contrat": year})
            assert val(out, "condition_option") is False
            assert val(out, "eligible") is False
            for name in ("montant_maximal", "objectif_mt", "objectif_file_active", "taux_atteinte"):
                marked(out, name, NA, NEW_OPTION)
            # §7.14 first: the doctor is refused for eligibility before the option is looked at
            marked(out, "avance", NA, INELIGIBLE)
            marked(out, "montant_verse", NA, INELIGIBLE)
            assert val(out, "date_limite_avance") == date(2019, 10, 1)
            assert val(out, "date_limite_qualification") == date(2022, 9, 16)

    @pytest.mark.parametrize("nouvel", [False, True])
    @pytest.mark.parametrize("signed", [date(2019, 8, 19), date(2023, 9, 1), date(2024, 6, 22), date(2025, 3, 1)])
    @pytest.mark.parametrize("option", SECOND)
    def test_avenant7_file_any_date(self, option: str, signed: date, nouvel: bool) -> None:
        """Outside the window eligibility is not applicable (§7.1): §7.6 decides every figure."""
        facts = gp_a7(option=option, zone="zip", date_signature=signed, nouvel_installe=nouvel,
                      p50_mt=1000, p50_file_active=2000)
        for year in (1, 3):
            out = a7({**facts, "annee_contrat": year})
            marked(out, "eligible", NA)
            marked(out, "condition_option", NA)
            for name in ("montant_maximal", "objectif_mt", "objectif_file_active", "taux_atteinte",
                         "avance", "montant_verse"):
                marked(out, name, NA, NEW_OPTION)
            assert val(out, "date_limite_avance") == date(2019, 10, 1)

    @pytest.mark.parametrize("option", SECOND)
    def test_avenant7_file_reads_no_year_and_no_percentile(self, option: str) -> None:
        facts = {"option": option, "specialite": "medecine_generale", "date_signature": date(2024, 9, 1)}
        out = a7(facts)
        for name in ("montant_maximal", "objectif_mt", "objectif_file_active", "taux_atteinte",
                     "avance", "montant_verse"):
            marked(out, name, NA, NEW_OPTION)

    @pytest.mark.parametrize("nouvel", [False, True])
    @pytest.mark.parametrize("option", SECOND)
    def test_2024_file_avenant7_signature(self, option: str, nouvel: bool) -> None:
        """Signed 01/05/2021: avenant 7's eligibility refuses the option; figures not applicable."""
        facts = second_gp_2024(option, date_signature=date(2021, 5, 1), nouvel_installe=nouvel,
                               patientele_mt_adulte=900, exercice_regroupe=True, exercice_coordonne=True,
                               rqth=False)
        for year, text in ((1, "avenant 7"), (2, "avenant 7"), (3, "avenant 7"), (4, "avenant 7"),
                           (5, "convention 2024")):
            out = c24({**facts, "annee_contrat": year})
            assert val(out, "condition_option") is False
            assert val(out, "eligible") is False
            for name in ("montant_maximal", "objectif_mt", "objectif_file_active", "taux_atteinte"):
                marked(out, name, NA, NEW_OPTION)
            marked(out, "montant_verse", NA, INELIGIBLE)
            assert val(out, "texte_applicable") == text  # §7.10
            assert val(out, "date_limite_qualification") == date(2026, 6, 17)

    @pytest.mark.parametrize("nouvel", [False, True])
    @pytest.mark.parametrize("signed", [date(2019, 8, 19), date(2023, 5, 1), date(2024, 6, 21)])
    @pytest.mark.parametrize("option", SECOND)
    def test_2024_file_signature_not_encoded(self, option: str, signed: date, nouvel: bool) -> None:
        """Before avenant 7 or under the règlement arbitral: eligibility not applicable (§7.2), so
        the payment is computed, and §7.6 makes it not applicable, years 1-2 included."""
        facts = second_gp_2024(option, date_signature=signed, nouvel_installe=nouvel)
        for year in (1, 2, 3):
            out = c24({**facts, "annee_contrat": year})
            for name in ("eligible", "condition_option"):
                marked(out, name, NA)
            for name in ("objectif_mt", "objectif_file_active"):
                marked(out, name, NA)
            for name in ("montant_maximal", "taux_atteinte", "montant_verse"):
                marked(out, name, NA, NEW_OPTION)
        assert val(c24(facts), "texte_applicable") == "avenant 7"

    @pytest.mark.parametrize("signed", [date(2024, 6, 22), date(2024, 7, 1)])
    @pytest.mark.parametrize("option", SECOND)
    def test_2024_file_signed_from_22_06_2024(self, option: str, signed: date) -> None:
        facts = second_gp_2024(option, date_signature=signed)
        out = c24(facts)
        assert val(out, "condition_option") is True
        assert val(out, "eligible") is True
        for name in ("montant_maximal", "objectif_mt", "objectif_file_active", "montant_verse"):
            marked(out, name, UND)
        assert val(out, "taux_atteinte") == 1
        assert val(out, "texte_applicable") == "convention 2024"
        assert val(c24({**facts, "annee_contrat": 2}), "taux_atteinte") == 1
        year_3 = c24({**facts, "annee_contrat": 3})
        for name in ("montant_maximal", "taux_atteinte", "montant_verse"):
            marked(year_3, name, UND)

    @pytest.mark.parametrize("option", SECOND)
    def test_2024_file_nouvel_installe(self, option: str) -> None:
        facts = second_gp_2024(option, nouvel_installe=True)
        out = c24(facts)
        assert val(out, "objectif_mt") == 1200  # max(1200, 1045)
        assert val(out, "objectif_file_active") == 2500  # max(2000, 2500)
        marked(out, "montant_maximal", UND)
        marked(out, "montant_verse", UND)
        assert val(out, "taux_atteinte") == 1
        year_3 = c24({**facts, "annee_contrat": 3})
        assert val(year_3, "taux_atteinte") == D("0.6")  # MT 1300 >= 1200: 1; file active 100/500
        marked(year_3, "montant_verse", UND)  # through montant_maximal

    @pytest.mark.parametrize("option", SECOND)
    def test_2024_file_ineligible(self, option: str) -> None:
        """An MEP does not meet the option's conditions: still undetermined figures, no payment."""
        out = c24(second_gp_2024(option, mep=True))
        assert val(out, "condition_option") is False
        assert val(out, "eligible") is False
        marked(out, "montant_maximal", UND)
        marked(out, "objectif_mt", UND)
        assert val(out, "taux_atteinte") == 1
        marked(out, "montant_verse", NA, INELIGIBLE)

    @pytest.mark.parametrize("option", SECOND)
    def test_2024_file_needs_the_signature_date(self, option: str) -> None:
        facts = second_gp_2024(option)
        del facts["date_signature"]
        out = c24(facts)
        for name in ("montant_maximal", "objectif_mt", "objectif_file_active", "taux_atteinte",
                     "montant_verse", "eligible"):
            marked(out, name, MISS)
            assert "date_signature" in out[name].facts, name

    def test_2024_aged_65_attainment_is_a_value(self) -> None:
        facts = second_gp_2024("double_temps_plein", date_naissance=date(1950, 1, 1), annee_contrat=3,
                               patientele_mt_constatee=1200, file_active_constatee=2000)
        out = c24(facts)
        assert val(out, "taux_atteinte") == 1
        marked(out, "montant_verse", UND)
        marked(out, "objectif_mt", UND)


# ---------------------------------------------------------------------------- no payment without eligibility (§7.14)


class TestNoPaymentWithoutEligibility:
    """§7.14: avance and montant_verse need eligibility; the rest of the contract stays computed."""

    def test_avenant7_ineligible_gp(self) -> None:
        facts = gp_a7(patientele_mt_adulte=600, percentile_mt=D("25"), part_moins_16_ans=D("0.10"))
        out = a7(facts)
        assert val(out, "eligible") is False
        marked(out, "avance", NA, INELIGIBLE)
        marked(out, "montant_verse", NA, INELIGIBLE)
        assert val(out, "montant_maximal") == D("18000.00")
        assert val(out, "taux_atteinte") == 1
        assert val(out, "objectif_mt") == 750  # 600 at P25, mi_temps +25 %
        assert val(out, "objectif_file_active") == 2280  # 1900 at P55, +20 %
        assert val(out, "date_limite_avance") == date(2019, 10, 1)
        assert val(out, "date_limite_debut_formation") == date(2021, 9, 16)
        year_3 = a7({**facts, "annee_contrat": 3, "patientele_mt_adulte_constatee": 750,
                     "file_active_constatee": 1900})
        assert val(year_3, "montant_maximal") == D("10500.00")
        assert val(year_3, "taux_atteinte") == D("0.5")
        marked(year_3, "montant_verse", NA, INELIGIBLE)
        marked(year_3, "avance", NA, INELIGIBLE)

    def test_avenant7_ineligible_for_practice(self) -> None:
        """condition_exercice alone refuses the payment."""
        out = a7(cardio_a7(exercice_regroupe=False))
        assert val(out, "condition_exercice") is False
        marked(out, "avance", NA, INELIGIBLE)
        marked(out, "montant_verse", NA, INELIGIBLE)
        assert val(out, "montant_maximal") == D("12000.00")

    def test_false_condition_decides_with_facts_missing(self) -> None:
        """Three-valued eligibility (Reading 1): secteur 3 refuses even without option or year."""
        out = a7({"secteur": 3, "date_signature": date(2020, 1, 1)})
        marked(out, "avance", NA, INELIGIBLE)
        marked(out, "montant_verse", NA, INELIGIBLE)
        marked(out, "montant_maximal", MISS)
        out = c24({"specialite": "radiologie", "date_signature": date(2024, 9, 1)})
        marked(out, "montant_verse", NA, INELIGIBLE)

    def test_avenant7_eligibility_not_applicable_pays(self) -> None:
        for signed in (date(2019, 8, 19), date(2023, 5, 1), date(2024, 9, 1)):
            out = a7(cardio_a7(date_signature=signed, secteur=3))
            marked(out, "eligible", NA)
            assert val(out, "avance") == D("8400.00")
            assert val(out, "montant_verse") == D("12000.00")

    def test_avenant7_eligibility_missing(self) -> None:
        facts = cardio_a7()
        del facts["secteur"]
        out = a7(facts)
        marked(out, "eligible", MISS)
        assert out["eligible"].facts == {"secteur"}
        for name in ("avance", "montant_verse"):
            marked(out, name, MISS)
            assert out[name].facts == {"secteur"}, name
        assert val(out, "montant_maximal") == D("12000.00")
        # the payment's own missing facts are listed with the eligibility facts
        del facts["annee_contrat"]
        out = a7(facts)
        assert out["montant_verse"].facts == {"secteur", "annee_contrat"}
        assert out["avance"].facts == {"secteur"}  # the advance reads no year (§7.9)
        # eligibility decided by the signature date: without it, the payment waits for it
        facts = cardio_a7()
        del facts["date_signature"]
        out = a7(facts)
        assert out["avance"].facts == {"date_signature"}
        assert val(out, "montant_maximal") == D("12000.00")

    def test_missing_eligibility_comes_before_the_option_marker(self) -> None:
        """A second-assistant option without signature date: missing, not §7.6's marker."""
        facts = gp_a7(option="double_temps_plein", zone="zip")
        del facts["date_signature"]
        out = a7(facts)
        marked(out, "montant_maximal", NA, NEW_OPTION)
        for name in ("avance", "montant_verse"):
            marked(out, name, MISS)
            assert out[name].facts == {"date_signature"}, name

    def test_2024_ineligible_specialty(self) -> None:
        out = c24(spec_2024("anesthesie"))
        assert val(out, "eligible") is False
        marked(out, "montant_verse", NA, INELIGIBLE)
        assert val(out, "montant_maximal") == D("19000.00")
        assert val(out, "objectif_file_active") == 1200
        assert val(out, "taux_atteinte") == 1
        assert val(out, "texte_applicable") == "convention 2024"
        assert val(out, "date_limite_qualification") == date(2026, 8, 20)

    def test_2024_tiers_temps_refused_before_the_closed_cell(self) -> None:
        """§7.5's marker on montant_maximal; §7.14's, tested first, on montant_verse."""
        out = c24(spec_2024("cardiologie", option="tiers_temps"))
        assert val(out, "condition_option") is False
        marked(out, "montant_maximal", NA)
        assert out["montant_maximal"].reason is None
        marked(out, "montant_verse", NA, INELIGIBLE)

    def test_2024_avenant7_signature_ineligible(self) -> None:
        out = c24(cardio_a7(date_signature=date(2022, 3, 1), exercice_coordonne=False,
                            engagement_exercice_coordonne=False, annee_contrat=4))
        assert val(out, "eligible") is False
        assert val(out, "montant_maximal") == D("7350.00")  # year 4 from 01/03/2025, 2024 table
        marked(out, "montant_verse", NA, INELIGIBLE)

    def test_2024_eligibility_not_applicable_pays(self) -> None:
        out = c24(cardio_a7(option="mi_temps", date_signature=date(2023, 9, 1), secteur=3,
                            percentile_file_active=D("60")))
        marked(out, "eligible", NA)
        assert val(out, "montant_verse") == D("18000.00")

    def test_2024_eligibility_missing(self) -> None:
        facts = spec_2024("orl")  # no part_honoraires_cliniques
        out = c24(facts)
        marked(out, "eligible", MISS)
        assert out["eligible"].facts == {"part_honoraires_cliniques"}
        marked(out, "montant_verse", MISS)
        assert out["montant_verse"].facts == {"part_honoraires_cliniques"}
        assert val(out, "montant_maximal") == D("19000.00")
        out = c24({**facts, "part_honoraires_cliniques": D("0.9")})
        assert val(out, "montant_verse") == D("19000.00")


# ---------------------------------------------------------------------------- signature windows (§7.1, §7.2)


class TestSignatureWindows:
    """Avenant 7 covers 20/08/2019-30/04/2023; the 2024 file covers avenant 7 and its own signatures."""

    @pytest.mark.parametrize(("signed", "applicable"), [
        (date(2019, 8, 19), False), (date(2019, 8, 20), True), (date(2023, 4, 30), True),
        (date(2023, 5, 1), False), (date(2024, 9, 1), False),
    ])
    def test_avenant7_window(self, signed: date, applicable: bool) -> None:
        out = a7(cardio_a7(date_signature=signed, annee_contrat=3, file_active_constatee=2905))
        for name in ("eligible", "condition_secteur", "condition_specialite", "condition_activite",
                     "condition_exercice", "condition_option"):
            assert status(out, name) == (V if applicable else NA), name
        # §7.1: the contract as signed is still computed
        assert val(out, "montant_maximal") == D("7000.00")
        assert val(out, "objectif_file_active") == 3010
        assert val(out, "montant_verse") == D("3500.00")
        assert val(out, "avance") == D("8400.00")
        assert val(out, "date_limite_qualification") == date(2022, 9, 16)

    @pytest.mark.parametrize("signed", [date(2019, 8, 19), date(2023, 5, 1), date(2024, 6, 21)])
    def test_2024_not_encoded_signatures(self, signed: date) -> None:
        facts = cardio_a7(option="mi_temps", date_signature=signed, percentile_file_active=D("60"),
                          file_active_constatee=3500)
        out = c24(facts)
        for name in ("eligible", "condition_secteur", "condition_specialite", "condition_activite",
                     "condition_option", "objectif_mt", "objectif_file_active"):
            assert status(out, name) == NA, name
        assert val(out, "montant_maximal") == D("18000.00")
        assert val(out, "texte_applicable") == "avenant 7"
        assert val(out, "taux_atteinte") == 1
        assert val(out, "montant_verse") == D("18000.00")
        assert val(out, "date_limite_declaration") == date(2019, 10, 16)
        year_3 = c24({**facts, "annee_contrat": 3})
        assert status(year_3, "taux_atteinte") == NA
        assert status(year_3, "montant_verse") == NA
        assert status(year_3, "montant_maximal") == V

    def test_2024_file_keeps_avenant7_rules_for_its_signatures(self) -> None:
        facts = cardio_a7(date_signature=date(2023, 4, 30))
        out = c24(facts)
        assert val(out, "condition_option") is True  # tiers_temps, open under avenant 7
        assert val(out, "eligible") is True
        # avenant 7's practice condition still counts in eligible
        out = c24({**facts, "exercice_regroupe": False})
        assert val(out, "eligible") is False
        # avenant 7's objectives: adult MT for a GP
        gp = gp_a7(date_signature=date(2021, 5, 1), patientele_mt=1200)
        assert val(c24(gp), "objectif_mt") == 1125  # 900 adult MT at P40, mi_temps +25 %

    def test_2024_signature_on_22_06_2024(self) -> None:
        out = c24(spec_2024("cardiologie", date_signature=date(2024, 6, 22)))
        assert val(out, "eligible") is True
        assert val(out, "montant_maximal") == D("19000.00")
        assert val(out, "texte_applicable") == "convention 2024"

    def test_pediatrie_mt_indicator_per_signature(self) -> None:
        """§5: pediatrie has the MT indicator for 2024 signatures only; avenant 7 contracts keep GP-only MT."""
        new = spec_2024("pediatrie", patientele_mt=1000, percentile_mt=D("40"), annee_contrat=3,
                        patientele_mt_constatee=1125, file_active_constatee=1200)
        out = c24(new)
        assert val(out, "objectif_mt") == 1250
        assert val(out, "objectif_file_active") == 1200
        assert val(out, "taux_atteinte") == D("0.75")  # (0.5 + 1) / 2
        old = {**new, "date_signature": date(2021, 9, 1)}
        assert status(c24(old), "objectif_mt") == NA
        assert val(c24(old), "taux_atteinte") == 1  # file active only
        cardio = spec_2024("cardiologie")
        del cardio["date_signature"]
        assert status(c24(cardio), "objectif_mt") == NA

    def test_tiers_temps_in_2024(self) -> None:
        facts = spec_2024("cardiologie", option="tiers_temps")
        out = c24(facts)
        assert val(out, "condition_option") is False
        assert val(out, "eligible") is False
        assert status(out, "montant_maximal") == NA  # §7.5, the "—" cell
        assert status(out, "montant_verse") == NA
        assert val(out, "objectif_file_active") == 1150  # tiers_temps column, P50-P70
        assert val(c24({**facts, "annee_contrat": 2}), "montant_maximal") == D("9450.00")
        # the 9 450 cell for a contract signed under the règlement arbitral
        ra = {**facts, "date_signature": date(2023, 7, 1), "annee_contrat": 2}
        assert val(c24(ra), "montant_maximal") == D("9450.00")


# ---------------------------------------------------------------------------- missing facts


class TestMissingFacts:
    """A fact is read only when the path needs it (§2); otherwise "missing"."""

    def test_cardiologist_needs_no_gp_facts(self) -> None:
        out = a7(cardio_a7(annee_contrat=3, file_active_constatee=2905))
        assert MISS not in {s for s, _ in out.values()}

    def test_years_1_2_need_no_measured_values(self) -> None:
        for year in (1, 2):
            assert MISS not in {s for s, _ in a7(gp_a7(annee_contrat=year)).values()}
            assert MISS not in {s for s, _ in c24(gp_2024(annee_contrat=year)).values()}

    def test_year_3_needs_measured_values(self) -> None:
        out = a7(gp_a7(annee_contrat=3, file_active_constatee=2000))
        assert status(out, "taux_atteinte") == MISS
        assert status(out, "montant_verse") == MISS
        assert val(out, "montant_maximal") == D("10500.00")

    def test_2024_year_3_needs_birth_date(self) -> None:
        facts = gp_2024(annee_contrat=3, patientele_mt_constatee=1320, file_active_constatee=2500)
        del facts["date_naissance"]
        assert status(c24(facts), "taux_atteinte") == MISS
        del facts["patientele_mt_constatee"], facts["file_active_constatee"]
        assert MISS not in {s for s, _ in c24({**facts, "annee_contrat": 2}).values()}

    def test_sector_and_optam(self) -> None:
        assert val(a7(cardio_a7(secteur=1)), "condition_secteur") is True
        assert status(a7(cardio_a7(secteur=2)), "condition_secteur") == MISS
        assert val(a7(cardio_a7(secteur=2, optam=True)), "condition_secteur") is True
        assert val(a7(cardio_a7(secteur=2, optam=False)), "condition_secteur") is False
        assert val(a7(cardio_a7(secteur=3)), "condition_secteur") is False

    def test_a_false_condition_decides_eligible(self) -> None:
        """Reading 1: three-valued logic."""
        out = a7({"secteur": 3, "date_signature": date(2020, 1, 1)})
        assert val(out, "eligible") is False
        assert status(out, "condition_specialite") == MISS
        out = c24({"specialite": "radiologie", "date_signature": date(2024, 9, 1)})
        assert val(out, "eligible") is False

    def test_missing_facts_are_listed(self) -> None:
        """Reading 22: a missing output names what it lacks; three-valued terms add up."""
        out = a7(cardio_a7(secteur=2))
        assert out["condition_secteur"].facts == {"optam"}
        assert out["eligible"].facts == {"optam"}
        facts = cardio_a7(secteur=2, exercice_coordonne=False)
        out = a7(facts)
        assert out["condition_exercice"].facts == {"engagement_exercice_coordonne"}
        assert out["eligible"].facts == {"optam", "engagement_exercice_coordonne"}
        assert out["avance"].facts == {"optam", "engagement_exercice_coordonne"}
        out = a7(gp_a7(annee_contrat=3))
        assert out["taux_atteinte"].facts == {"patientele_mt_adulte_constatee", "file_active_constatee"}
        assert all(not o.facts for o in out.values() if o.status != MISS)

    def test_gp_specialty_without_rqth(self) -> None:
        facts = gp_a7()
        del facts["rqth"]
        out = a7(facts)
        assert val(out, "condition_specialite") is True
        assert status(out, "condition_activite") == V  # 900 > 640 decides

    def test_coordination_commitment_read_only_when_needed(self) -> None:
        assert val(a7(cardio_a7()), "condition_exercice") is True
        assert status(a7(cardio_a7(exercice_coordonne=False)), "condition_exercice") == MISS
        assert val(a7(cardio_a7(exercice_coordonne=False, engagement_exercice_coordonne=True)),
                   "condition_exercice") is True

    def test_year_1_amount_needs_no_percentile(self) -> None:
        facts = gp_2024()
        del facts["percentile_mt"], facts["percentile_file_active"]
        out = c24(facts)
        assert val(out, "montant_maximal") == D("19000.00")
        assert status(out, "objectif_mt") == MISS
        assert status(c24({**facts, "annee_contrat": 2}), "montant_maximal") == MISS

    def test_deadlines_need_hiring_date(self) -> None:
        facts = cardio_a7()
        del facts["date_embauche"]
        out = a7(facts)
        for name in ("date_limite_avance", "date_limite_declaration", "date_limite_qualification",
                     "date_limite_debut_formation"):
            assert status(out, name) == MISS
        assert val(out, "avance") == D("8400.00")


# ---------------------------------------------------------------------------- territory (§4)


class TestTerritory:
    """Avenant 7 specialty groups."""

    @pytest.mark.parametrize(("departement", "expected"), [("48", True), ("08", True), ("75", False)])
    def test_radiology_departements(self, departement: str, expected: bool) -> None:
        out = a7(cardio_a7(specialite="radiologie", departement=departement))
        assert val(out, "condition_specialite") is expected

    def test_restricted_specialty_and_rqth(self) -> None:
        assert val(a7(cardio_a7(specialite="anesthesie", departement_sous_dote=True)), "condition_specialite") is True
        assert val(a7(cardio_a7(specialite="anesthesie", departement_sous_dote=False)), "condition_specialite") is False
        assert val(a7(cardio_a7(specialite="anesthesie", rqth=True)), "condition_specialite") is True

    def test_temps_plein_outside_zip(self) -> None:
        assert val(a7(cardio_a7(option="temps_plein", zone="zip")), "condition_option") is True
        assert val(a7(cardio_a7(option="temps_plein", zone="zac")), "condition_option") is False
        assert val(c24(spec_2024("cardiologie", option="temps_plein")), "condition_option") is True


# ---------------------------------------------------------------------------- exact arithmetic


class TestExactArithmetic:
    """§1, §7.11: exact rates, one rounding to the cent, half up."""

    def test_rate_is_not_rounded_before_the_product(self) -> None:
        # file active 1500 at P60, mi_temps: +20 % = 1800; 1600 measured: 1/3 of the increase
        out = a7(cardio_a7(option="mi_temps", file_active=1500, percentile_file_active=D("60"),
                           annee_contrat=3, file_active_constatee=1600))
        assert val(out, "taux_atteinte") == D("0.3333333333333333333333333333")
        assert val(out, "montant_verse") == D("3500.00")

    def test_cents_half_up(self) -> None:
        # 320 at P40, tiers_temps: +20 % = 384; 323 measured: 3/64; 7000 × 3/64 = 328.125
        out = a7(cardio_a7(file_active=320, percentile_file_active=D("40"), annee_contrat=3,
                           file_active_constatee=323))
        assert val(out, "taux_atteinte") == D("0.046875")
        assert val(out, "montant_verse") == D("328.13")

    def test_objective_rounded_to_the_patient_half_up(self) -> None:
        # §4: 2355 × 12.5 % = 294.375 -> 294; 1004 × 12.5 % = 125.5 -> 126
        assert val(a7(cardio_a7(option="mi_temps", file_active=2355)), "objectif_file_active") == 2649
        assert val(a7(cardio_a7(option="mi_temps", file_active=1004)), "objectif_file_active") == 1130


# ---------------------------------------------------------------------------- coerce_facts


class TestCoerceFacts:
    """JSON forms of §1 to typed facts."""

    def test_json_forms(self) -> None:
        facts = baseline.coerce_facts({
            "date_signature": "2024-06-22", "annee_contrat": 3, "percentile_mt": 92.5,
            "part_honoraires_cliniques": "0.8", "nouvel_installe": False, "departement": 8,
            "specialite": "orl", "secteur": "1", "file_active": 2000.0, "date_naissance": "14/03/1975",
            "mep": None,
        })
        assert facts == {
            "date_signature": date(2024, 6, 22), "annee_contrat": 3, "percentile_mt": D("92.5"),
            "part_honoraires_cliniques": D("0.8"), "nouvel_installe": False, "departement": "08",
            "specialite": "orl", "secteur": 1, "file_active": 2000, "date_naissance": date(1975, 3, 14),
        }
        assert type(facts["file_active"]) is int

    def test_float_goes_through_its_text(self) -> None:
        assert baseline.coerce_facts({"part_moins_16_ans": 0.1})["part_moins_16_ans"] == D("0.1")

    @pytest.mark.parametrize("bad", [{"option": "trois_quarts"}, {"annee_contrat": 2.5},
                                     {"date_signature": "2024-13-01"}, {"rqth": "oui"}])
    def test_rejects_bad_values(self, bad: dict) -> None:
        with pytest.raises(ValueError):
            baseline.coerce_facts(bad)
