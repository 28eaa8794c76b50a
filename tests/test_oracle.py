"""The bundled rule files agree with an independent plain-Python reading of model.md.

`benchmarks/baseline.py` was written from model.md alone, without reading the engine or the rule
files. Over random doctors (with edge values and with facts left out), every output of both files
must have the same status, and, for values, the same value (money to the cent, rates to 1e-9).
Where model.md quotes the message of a marker and nothing else could give that output another one
(§7.14 always, tested first; §7.6 on montant_maximal and avance), the reason must be that message.
Missing facts: a *missing* result must name facts that were not given; for the eligibility outputs
(three-valued `et` / `ou`, so the needed facts do not depend on a reading order) every fact the
reference names must be named by the rule file too (it may name more, e.g. both branches of a test
on a missing fact); and, §7.14, when `eligible` is missing, `avance` and `montant_verse` are missing
and name every fact `eligible` names.
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
SECOND_ASSISTANT_2024 = {
    **FACTS_2024,
    "option": st.sampled_from(["temps_plein_et_mi_temps", "double_temps_plein"]),
    "specialite": st.sampled_from(["medecine_generale", "medecine_generale", "medecine_generale", "pediatrie"]),
    "secteur": st.sampled_from([1, 1, 2]), "zone": st.sampled_from(["zip", "zip", "zip", "zac"]),
    "mep": st.sampled_from([False, False, False, True]), "anciennete_contrat_temps_plein": st.integers(2, 6),
    "objectifs_atteints": st.sampled_from([True, True, True, False]), "patientele_mt": COUNTS,
    "date_signature": st.one_of(
        st.sampled_from([dt.date(2019, 8, 20), dt.date(2023, 4, 30), dt.date(2023, 5, 1), dt.date(2024, 6, 21),
                         dt.date(2024, 6, 22)]),
        st.dates(dt.date(2024, 6, 22), dt.date(2026, 12, 31)), st.dates(dt.date(2024, 6, 22), dt.date(2026, 12, 31)),
        st.dates(dt.date(2019, 1, 1), dt.date(2024, 6, 21))),
}
"""Candidates for a second assistant (§5, §7.6), most of them meeting the option's conditions, signed on
either side of 22/06/2024: random doctors rarely reach an eligible one."""


@st.composite
def doctors(draw, strategies: dict, drop: bool):  # type: ignore[no-untyped-def]
    facts = {name: draw(s) for name, s in strategies.items()}
    if drop:
        kept = draw(st.sets(st.sampled_from(sorted(facts)), min_size=len(facts) - 4))
        facts = {k: v for k, v in facts.items() if k in kept}
    return facts


FIXED_REASONS = {
    baseline.REASON_INELIGIBLE: None,  # §7.14: every output that carries it, tested first
    baseline.REASON_NEW_OPTION: {"montant_maximal", "avance"},  # §7.6: no other marker there
}
"""The messages model.md quotes, and the outputs where no other marker can compete with them (for
the objectives, attainment and payment §7.6's marker may meet "no such indicator" or §7.2's "text
not encoded", whose order model.md does not fix)."""


ELIGIBILITY = {"eligible", "condition_secteur", "condition_specialite", "condition_activite",
               "condition_exercice", "condition_option"}
"""Outputs whose missing facts are compared: elsewhere a path may read its facts in another order
than the reference (e.g. the 2024 objective of a `nouvel_installe` signed from 22/06/2024 does not
depend on `option`, which the reference reads first), so only the status is compared there."""

PAYMENTS = ("avance", "montant_verse")
"""§7.14: the outputs that need the eligibility facts."""


def _same(expected, result, name: str = "") -> bool:  # type: ignore[no-untyped-def]
    status, value = expected
    if status != result.status:
        return False
    if status == "missing":
        return name not in ELIGIBILITY or expected.facts <= result.facts
    if status != "value":
        outputs = FIXED_REASONS.get(expected.reason, ())
        if outputs is None or name in outputs:
            return result.reason == expected.reason
        return True
    actual = engine.api.public_value(result.value)
    if isinstance(value, Decimal) or isinstance(actual, Decimal):
        return abs(Decimal(actual) - Decimal(value)) <= Decimal("1e-9")
    return actual == value


def _show(result) -> str:  # type: ignore[no-untyped-def]
    """An engine result with what the comparison looks at: status, value, reason, missing facts."""
    return f"{result.status} {getattr(result, 'value', '')} {getattr(result, 'reason', '') or ''} " \
           f"{sorted(getattr(result, 'facts', ()))}".rstrip()


def _shown(expected) -> str:  # type: ignore[no-untyped-def]
    return f"{expected.status} {expected.value if expected.value is not None else ''} " \
           f"{expected.reason or ''} {sorted(expected.facts)}".rstrip()


def _compare(ruleset: engine.Ruleset, oracle, facts: dict) -> list[str]:  # type: ignore[no-untyped-def]
    expected = oracle(facts)
    outcome = ruleset.evaluate(facts)
    return [f"{name}: model.md {_shown(expected[name])}, règles {_show(outcome.result(name))}"
            for name in expected if not _same(expected[name], outcome.result(name), name)]


def _payments_list_eligibility(outcome) -> list[str]:  # type: ignore[no-untyped-def]
    """§7.14: with `eligible` missing, each payment is missing and names the eligibility facts."""
    eligible = outcome.result("eligible")
    if eligible.status != "missing":
        return []
    problems = []
    for name in PAYMENTS:
        if name not in outcome.ruleset.outputs:
            continue
        got = outcome.result(name)
        if got.status != "missing" or not eligible.facts <= got.facts:
            problems.append(f"{name}: règles {_show(got)} alors que eligible manque {sorted(eligible.facts)}")
    return problems


ALWAYS = {"specialite", "secteur", "nouvel_installe", "option", "date_signature"}
"""Facts model.md § 2 says are needed "always": a result may wait for them even where the
reference already knows the answer from another fact."""


def _compare_partial(ruleset: engine.Ruleset, oracle, facts: dict, completion: dict) -> list[str]:  # type: ignore[no-untyped-def]
    """With facts left out, each output either agrees, or one side is missing and the other is justified."""
    expected = oracle(facts)
    outcome = ruleset.evaluate(facts)
    problems = _payments_list_eligibility(outcome)
    for name, exp in expected.items():
        got = outcome.result(name)
        if got.status == "missing" and (not got.facts or got.facts & set(facts)):
            problems.append(f"{name}: règles manquant sans fait absent : {sorted(got.facts)}")
        if _same(exp, got, name):
            continue
        if exp.status == "missing" and got.status != "missing":
            # the engine needs fewer facts: any completion must give the engine's answer
            completed = oracle({**completion, **facts})[name]
            if not _same(completed, got, name):
                problems.append(f"{name}: règles {_show(got)}, mais complété, model.md donne {_shown(completed)}")
        elif got.status == "missing" and exp.status != "missing":
            if not (ALWAYS - set(facts)):
                problems.append(f"{name}: règles demande {sorted(got.facts)}, model.md donne {_shown(exp)}")
        else:
            problems.append(f"{name}: model.md {_shown(exp)}, règles {_show(got)}")
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

    @settings(max_examples=400)
    @given(doctors(SECOND_ASSISTANT_2024, drop=False))
    def test_second_assistant_complete_facts(self, facts: dict) -> None:
        """§7.6, §7.14 on second-assistant candidates: both files agree with the reference."""
        assert _compare(A7, baseline.evaluate_avenant7, facts) == []
        assert _compare(C2024, baseline.evaluate_convention2024, facts) == []

    @settings(max_examples=400)
    @given(doctors(SECOND_ASSISTANT_2024, drop=True), doctors(SECOND_ASSISTANT_2024, drop=False))
    def test_second_assistant_missing_facts(self, facts: dict, completion: dict) -> None:
        """The same with facts left out."""
        assert _compare_partial(A7, baseline.evaluate_avenant7, facts, completion) == []
        assert _compare_partial(C2024, baseline.evaluate_convention2024, facts, completion) == []

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
