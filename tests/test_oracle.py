"""The bundled rule files agree with an independent plain-Python reading of model.md.

`benchmarks/baseline.py` was written from model.md alone, without reading the engine or the rule
files. Over random doctors (with edge values and with facts left out), every output of both files
must have the same status, and, for values, the same value (money to the cent, rates to 1e-9).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import engine

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("baseline", ROOT / "benchmarks" / "baseline.py")
baseline = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(baseline)  # type: ignore[union-attr]

SPECIALTIES = ["medecine_generale", "pediatrie", "cardiologie", "gynecologie", "gastro_enterologie",
               "ophtalmologie", "psychiatrie", "dermatologie", "neurologie", "chirurgie", "orl", "radiologie",
               "radiotherapie", "stomatologie", "anesthesie", "anatomo_cyto_pathologie", "medecine_nucleaire",
               "autre_specialite"]
OPTIONS = ["tiers_temps", "mi_temps", "temps_plein", "temps_plein_et_mi_temps", "double_temps_plein"]
EDGE_DATES = [dt.date(2019, 8, 19), dt.date(2019, 8, 20), dt.date(2023, 4, 30), dt.date(2023, 5, 1),
              dt.date(2024, 6, 21), dt.date(2024, 6, 22), dt.date(2020, 2, 29), dt.date(2024, 2, 29),
              dt.date(2021, 6, 22), dt.date(2021, 6, 21), dt.date(2022, 2, 1)]
PERCENTILES = st.one_of(st.sampled_from([0, 29, 30, 49, 50, 60, 69, 70, 89, 90, 94, 95, 96, 100]),
                        st.decimals(min_value=0, max_value=100, places=1))
COUNTS = st.one_of(st.sampled_from([0, 600, 640, 641, 775, 776, 1045, 1200, 2800]), st.integers(0, 4000))
DATES = st.one_of(st.sampled_from(EDGE_DATES), st.dates(dt.date(2017, 1, 1), dt.date(2027, 12, 31)))

FACTS_A7 = {
    "specialite": st.sampled_from(SPECIALTIES), "secteur": st.sampled_from([1, 2, 3]), "optam": st.booleans(),
    "departement": st.sampled_from(["08", "48", "75", "91", "2A", "971"]), "departement_sous_dote": st.booleans(),
    "zone": st.sampled_from(["zip", "zac", "hors_zone"]), "rqth": st.booleans(), "nouvel_installe": st.booleans(),
    "part_moins_16_ans": st.sampled_from([Decimal("0.1"), Decimal("0.2"), Decimal("0.2001"), Decimal("0.35")]),
    "exercice_regroupe": st.booleans(), "exercice_coordonne": st.booleans(),
    "engagement_exercice_coordonne": st.booleans(), "option": st.sampled_from(OPTIONS),
    "date_signature": DATES, "date_embauche": DATES, "annee_contrat": st.integers(1, 7),
    "patientele_mt_adulte": COUNTS, "file_active": COUNTS, "percentile_mt": PERCENTILES,
    "percentile_file_active": PERCENTILES, "p50_mt": COUNTS, "p50_file_active": COUNTS,
    "patientele_mt_adulte_constatee": COUNTS, "file_active_constatee": COUNTS,
}
FACTS_2024 = {
    **FACTS_A7,
    "patientele_mt": COUNTS, "patientele_mt_constatee": COUNTS, "mep": st.booleans(),
    "part_honoraires_cliniques": st.sampled_from([Decimal("0.5"), Decimal("0.7999"), Decimal("0.8"), Decimal("0.95")]),
    "date_naissance": st.one_of(st.dates(dt.date(1950, 1, 1), dt.date(1990, 12, 31)),
                                st.sampled_from([dt.date(1960, 2, 29), dt.date(1961, 7, 1)])),
    "anciennete_contrat_temps_plein": st.integers(1, 6), "objectifs_atteints": st.booleans(),
}


@st.composite
def doctors(draw, strategies: dict, drop: bool):  # type: ignore[no-untyped-def]
    facts = {name: draw(s) for name, s in strategies.items()}
    if drop:
        kept = draw(st.sets(st.sampled_from(sorted(facts)), min_size=len(facts) - 4))
        facts = {k: v for k, v in facts.items() if k in kept}
    return facts


def _same(expected: tuple[str, object], result) -> bool:  # type: ignore[no-untyped-def]
    status, value = expected
    if status != result.status:
        return False
    if status != "value":
        return True
    actual = engine.api.public_value(result.value)
    if isinstance(value, Decimal) or isinstance(actual, Decimal):
        return abs(Decimal(actual) - Decimal(value)) <= Decimal("1e-9")
    return actual == value


def _compare(ruleset: engine.Ruleset, oracle, facts: dict) -> list[str]:  # type: ignore[no-untyped-def]
    expected = oracle(facts)
    outcome = ruleset.evaluate(facts)
    return [f"{name}: model.md {expected[name]}, règles {outcome.result(name)}"
            for name in expected if not _same(expected[name], outcome.result(name))]


ALWAYS = {"specialite", "secteur", "nouvel_installe", "option", "date_signature"}
"""Facts model.md § 2 says are needed "always": a result may wait for them even where the
reference already knows the answer from another fact."""


def _compare_partial(ruleset: engine.Ruleset, oracle, facts: dict, completion: dict) -> list[str]:  # type: ignore[no-untyped-def]
    """With facts left out, each output either agrees, or one side is missing and the other is justified."""
    expected = oracle(facts)
    outcome = ruleset.evaluate(facts)
    problems = []
    for name, exp in expected.items():
        got = outcome.result(name)
        if _same(exp, got):
            continue
        if exp[0] == "missing" and got.status != "missing":
            # the engine needs fewer facts: any completion must give the engine's answer
            completed = oracle({**completion, **facts})[name]
            if not _same(completed, got):
                problems.append(f"{name}: règles {got}, mais complété, model.md donne {completed}")
        elif got.status == "missing" and exp[0] != "missing":
            if not (ALWAYS - set(facts)):
                problems.append(f"{name}: règles demande {sorted(got.facts)}, model.md donne {exp}")
        else:
            problems.append(f"{name}: model.md {exp}, règles {got}")
    return problems


A7 = engine.load(ROOT / "rulesets" / "avenant7.rules")
C2024 = engine.load(ROOT / "rulesets" / "convention2024.rules")


class TestAgainstIndependentReading:
    """Both rule files against benchmarks/baseline.py, output by output."""

    @settings(max_examples=1500)
    @given(doctors(FACTS_A7, drop=False))
    def test_avenant7_complete_facts(self, facts: dict) -> None:
        """With every fact given, avenant7.rules and the reference agree on every output."""
        assert _compare(A7, baseline.evaluate_avenant7, facts) == []

    @settings(max_examples=1500)
    @given(doctors(FACTS_2024, drop=False))
    def test_convention2024_complete_facts(self, facts: dict) -> None:
        """With every fact given, convention2024.rules and the reference agree on every output."""
        assert _compare(C2024, baseline.evaluate_convention2024, facts) == []

    @settings(max_examples=800)
    @given(doctors(FACTS_A7, drop=True), doctors(FACTS_A7, drop=False))
    def test_avenant7_missing_facts(self, facts: dict, completion: dict) -> None:
        """With facts left out, every answer the file gives holds for any completion of the facts."""
        assert _compare_partial(A7, baseline.evaluate_avenant7, facts, completion) == []

    @settings(max_examples=800)
    @given(doctors(FACTS_2024, drop=True), doctors(FACTS_2024, drop=False))
    def test_convention2024_missing_facts(self, facts: dict, completion: dict) -> None:
        """With facts left out, every answer the file gives holds for any completion of the facts."""
        assert _compare_partial(C2024, baseline.evaluate_convention2024, facts, completion) == []
