"""Plain-Python reference implementation of the assistant-médical aid (oracle and speed baseline).

Written from ``/work/shared/reference/model.md`` alone (cited below as §n), independently of
``engine/`` and of the rule files. Two pure functions, one per rule file:

- ``evaluate_avenant7(facts)``      -> the outputs of ``rulesets/avenant7.rules``      (§3, §4, §7)
- ``evaluate_convention2024(facts)`` -> the outputs of ``rulesets/convention2024.rules`` (§3, §5, §7)

``facts`` maps a fact name (§2) to an already-typed value: ``int``, ``bool``, ``str``,
``datetime.date``, ``decimal.Decimal`` for taux / decimal / montant. An absent key (or ``None``)
means "not given". ``coerce_facts`` turns JSON forms into those types.

Each output is an ``Outcome``, a pair ``(status, value)``; status is ``"value"``,
``"not_applicable"``, ``"undetermined"`` or ``"missing"`` and value is ``None`` unless status is
``"value"``. The pair also carries ``facts`` (the facts a *missing* output needs, Reading 22) and
``reason`` (the message of a marker where model.md quotes one, Reading 23). Montants
and taux are ``Decimal`` (montants with two decimals), entiers ``int``, dates ``datetime.date``.
Internally money and rates are exact ``Fraction``s; ``montant_verse`` is rounded once, to the cent,
half up (§7.11); ``taux_atteinte`` is converted to ``Decimal`` only at output.

Readings
--------
Points where model.md is silent or can be read two ways, and the reading chosen here.

1. Missing facts and logic. ``and`` / ``or`` follow three-valued (Kleene, SQL-like) logic: a
   disjunction is true as soon as one term is true and a conjunction false as soon as one term is
   false, even if another term needs a missing fact; otherwise a missing fact makes the result
   missing. This applies inside the conditions and to ``eligible`` (e.g. secteur 3 -> ``eligible``
   false whatever else is missing; a GP with ``rqth`` absent still meets ``condition_specialite``
   A7). Arithmetic (max, mean, product, comparisons, table look-ups) needs every operand. Facts
   are read lazily, so a path never asks for a fact it does not use (secteur 1 never reads
   ``optam``, a cardiologist never reads ``patientele_mt_adulte``, years 1-2 never read measured
   values, a ``nouvel_installe`` never reads percentiles for its objectives).
2. Combining outcomes. When an output is computed from several outcomes and one of them is
   *not applicable* or *undetermined*, the result carries that marker even if another operand is
   missing (a missing fact could not turn it into a value); the first marked operand in reading
   order wins (``montant_maximal`` before ``taux_atteinte``; objective before start and measured
   value; MT indicator before file active). Only otherwise is the result missing.
3. Year 1 amount and bands. The year-1 cell equals the "every year, >= P95" cell in every row of
   both tables except the 2024 ``tiers_temps`` row, whose year-1 cell is "—" and which §7.5 makes
   *not applicable* whatever the band; so the amount is looked up year first and the band (hence
   the percentiles) is read only from year 2. ``avance`` (70 % of the year-1 amount) reads no
   percentile either.
4. GP band percentile ``max(percentile_mt, percentile_file_active)`` needs both percentiles, even
   when one of them alone would already decide the band.
5. Band edges. The lower-inclusive edges that §4 states for the amount bands (``90 <= p < 95``,
   ``p >= 95``) are used for the objective rate table too: [0, 50) "below P50", [50, 70), [70, 90),
   [90, 95), [95, 100]. So a percentile of exactly 50 / 70 / 90 / 95 takes the next row.
6. "GP" means ``specialite = medecine_generale`` only. In the 2024 file ``pediatrie`` has the MT
   indicator (objectives, attainment, amount band §7.4) but is "another specialty" for
   ``condition_activite`` (file-active P30 test) and for the second-assistant options.
7. Amount band in the 2024 file (§7.4 "in that file"): ``medecine_generale`` and ``pediatrie`` use
   the better of the two percentiles for every contract the 2024 file evaluates, whatever its
   signature date and whichever table (avenant 7 or 2024) pays the year. The avenant 7 file uses
   it for ``medecine_generale`` only.
8. ``percentile_mt`` is used as given: the caller supplies the rank of the indicator that the
   rule actually applied uses (§7.12). In the 2024 file a contract signed under avenant 7 keeps
   avenant 7's objectives (§5), so its ``objectif_mt`` is computed from ``patientele_mt_adulte``
   banded by that same ``percentile_mt`` fact, and its attainment uses
   ``patientele_mt_adulte_constatee``.
9. Contracts signed 20/08/2019-30/04/2023 in the 2024 file: ``eligible`` and the four
   ``condition_*`` outputs are avenant 7's rules (§5 "eligibility ... stay those of the text in
   force at its signature"), so ``eligible`` there also requires avenant 7's
   ``condition_exercice`` (not itself an output of the 2024 file) and ``condition_option`` is
   avenant 7's (``tiers_temps`` allowed, ``temps_plein`` only in ZIP). Objectives and, from year
   3, attainment are avenant 7's too (GP only for MT, no 65+ rule: §7.8).
10. Second-assistant options (§7.6, revised), objectives. They exist only for a contract signed
    from 22/06/2024. Avenant 7 file, any signature date: *not applicable* with §7.6's message,
    ``nouvel_installe`` or not. 2024 file: signed before 22/06/2024 (avenant 7, règlement
    arbitral or earlier), *not applicable* with §7.6's message, ``nouvel_installe`` or not; signed
    from 22/06/2024, *undetermined* unless ``nouvel_installe``, whose target is ``max(start,
    P50)``. A specialty without the indicator gets *not applicable* (no indicator) before any of
    this; then the option is read, and the signature date only for a second-assistant option.
11. Second-assistant options, other outputs. Avenant 7 file: ``montant_maximal``,
    ``taux_atteinte`` (years 1-2 included: §7.6 "nouvel_installe or not" leaves no value) and
    ``montant_verse`` are *not applicable* with §7.6's message, and so is ``avance`` when
    eligibility does not decide first (Reading 24); ``date_limite_avance`` is a deadline, so it
    is computed (§7.14 keeps deadlines computed; only ``avance`` is named by §7.6). 2024 file,
    signed before 22/06/2024: ``montant_maximal``, ``taux_atteinte`` (years 1-2 included) and
    ``montant_verse`` *not applicable* with §7.6's message. 2024 file, signed from 22/06/2024:
    ``montant_maximal`` *undetermined*; ``taux_atteinte`` 1 in years 1-2; from year 3
    *undetermined* through the objectives, except for a ``nouvel_installe`` (a value, from its
    ``max(start, P50)`` targets) and for a doctor aged 65+, whose attainment does not use the
    objective (a value); ``montant_verse`` *undetermined* through ``montant_maximal`` once
    eligibility allows payment.
12. Attainment edge cases (§4 Modulation): below the start the rate is 0 and above the target 1
    (clamp); for a maintien target (``t = s``) with ``s = 0`` the rate is 1. The 65+ rule (§5)
    gives 1 when ``0.9 × s = 0``. The GP mean is the plain mean of the per-indicator rates, each
    kept exact.
13. Age 65 (§5, §7.3): the doctor is 65+ for contract year k when
    ``date_naissance + 65 ans <= date_signature + (k - 1) ans``; only for contracts signed from
    22/06/2024 and only from year 3 (attainment is 1 before). The 65+ rule replaces the objective
    in the attainment of every indicator the 2024 file uses (MT and file active).
14. Objective rate for a 2024 contract uses avenant 7's column of its own option; a
    ``tiers_temps`` contract signed from 22/06/2024 (not eligible, but evaluated as signed, §3)
    uses the ``tiers_temps`` column. The "below P50" row also serves percentiles under 30.
15. ``texte_applicable`` and the table choice compare the start of the contract year with
    22/06/2024 inclusively (a year starting on 22/06/2024 is paid from the 2024 table). A year
    starting before 22/06/2024 is "avenant 7" even for a signature before 20/08/2019 or under the
    règlement arbitral (§5: "one that starts before is paid from the avenant 7 table").
16. ``montant_maximal`` in the 2024 file for a second-assistant option reads the signature date
    (before 22/06/2024: *not applicable*, §7.6's message; from 22/06/2024: *undetermined*) but
    not the contract year; ``texte_applicable`` is still computed from the date (§7.10).
17. Outputs that do not depend on a fact do not read it: deadlines read only ``date_embauche``
    (never the signature date, §7.1, §7.7); ``avance`` reads the eligibility facts (§7.14,
    Reading 24) and ``option``; ``texte_applicable`` reads ``date_signature`` and
    ``annee_contrat`` only; the avenant 7 file reads ``date_signature`` only for eligibility (its
    amounts, objectives and attainment are computed for the contract as signed, §7.1), hence
    for ``avance`` and ``montant_verse`` too.
18. Output forms: montants are ``Decimal`` with exactly two decimals (exact: every montant is a
    whole number of cents before or after the one rounding); ``taux_atteinte`` is the exact
    fraction written as a ``Decimal``, exact when its decimal expansion terminates, otherwise
    rounded to 28 significant digits (half even); ``montant_verse`` is always computed from the
    exact fraction.
19. Input checks: ``annee_contrat < 1`` raises ``ValueError``; enum values and types are checked
    by ``coerce_facts`` only (the evaluate functions trust typed input). ``coerce_facts`` reads a
    ``departement`` given as a JSON number as a two-digit code (8 -> ``"08"``); strings are kept
    as given and compared exactly. JSON ``null`` means "not given".
20. ``eligible`` for a second-assistant option in the 2024 file is still the conjunction of all
    four conditions: ``condition_activite`` (the P30 / 775 threshold or ``nouvel_installe``) is
    required on top of the option's own conditions (§5 lists no exception).
21. Signature windows are inclusive at both ends: avenant 7 is 20/08/2019-30/04/2023, the 2024
    rules apply from 22/06/2024; 01/05/2023-21/06/2024 (règlement arbitral) and any date before
    20/08/2019 are the "not encoded" signatures of §7.2. The avenant 7 file has no upper use of
    22/06/2024: a later signature is simply outside its window (§7.1).
22. Missing facts. A *missing* output lists the facts it needs on the path this reference takes:
    the first missing fact of a sequential reading (``_fact`` stops there), every missing fact of
    the terms of a three-valued ``and`` / ``or`` that did not decide, and every missing fact of
    the operands of a computation (Reading 2 when none is marked). Where model.md fixes no
    reading order, another correct reading may name other facts (the 2024 objective of a
    ``nouvel_installe`` signed from 22/06/2024 does not depend on ``option``, which is read here
    first); for the eligibility outputs, built from three-valued conditions, the list is the
    least a correct reading names.
23. Reasons. Only the messages model.md quotes are carried: §7.6's "option créée par la
    convention médicale 2024, inexistante à la signature" and §7.14's "le médecin ne remplit pas
    les conditions d'éligibilité". Other markers (no indicator, text not encoded, the "—" cell,
    undetermined figures) have ``reason`` ``None``: model.md fixes their status, not their words.
    A marker computed from a marked operand keeps that operand's reason (Reading 2).
24. No payment without eligibility (§7.14). ``avance`` (avenant 7 file) and ``montant_verse``
    (both files) first read ``eligible`` as the file computes it: false (three-valued, so a
    single false condition suffices even with other facts missing) gives *not applicable* with
    §7.14's message, before any other marker (a second-assistant option in the avenant 7 window
    is thus refused for eligibility, not for §7.6); missing gives *missing*, listing the
    eligibility facts together with any fact the payment itself lacks, even when the payment
    would be marked; true or *not applicable* (signature outside the file's window, §7.1, §7.2)
    gives the payment as before. In the 2024 file ``eligible`` for an avenant 7 signature is
    avenant 7's (Reading 9), ``condition_exercice`` included.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, datetime, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction

VALUE = "value"
NOT_APPLICABLE = "not_applicable"
UNDETERMINED = "undetermined"
MISSING = "missing"

GP = "medecine_generale"

# §1 the window of avenant 7 and the entry into force of the 2024 convention
A7_FIRST_SIGNATURE = date(2019, 8, 20)
A7_LAST_SIGNATURE = date(2023, 4, 30)
C2024_START = date(2024, 6, 22)

# §2 enums
SPECIALITES = frozenset({
    "medecine_generale", "pediatrie", "cardiologie", "gynecologie", "gastro_enterologie",
    "ophtalmologie", "psychiatrie", "dermatologie", "neurologie", "chirurgie", "orl", "radiologie",
    "radiotherapie", "stomatologie", "anesthesie", "anatomo_cyto_pathologie", "medecine_nucleaire",
    "autre_specialite",
})
ZONES = frozenset({"zip", "zac", "hors_zone"})
OPTIONS = frozenset({"tiers_temps", "mi_temps", "temps_plein", "temps_plein_et_mi_temps", "double_temps_plein"})
SECOND_ASSISTANT = frozenset({"temps_plein_et_mi_temps", "double_temps_plein"})

# §4 condition_specialite: whole-territory group, and radiology's départements [T]
A7_WHOLE_TERRITORY = frozenset({
    "medecine_generale", "pediatrie", "cardiologie", "gynecologie", "gastro_enterologie",
    "ophtalmologie", "psychiatrie",
})
A7_RADIOLOGY_DEPARTEMENTS = frozenset({"08", "09", "10", "15", "43", "46", "48", "53", "88", "89", "91"})

# §5 condition_specialite: excluded specialties, and those under the clinical-fee test [T]
C2024_EXCLUDED = frozenset({
    "radiologie", "radiotherapie", "stomatologie", "anesthesie", "anatomo_cyto_pathologie",
    "medecine_nucleaire",
})
C2024_CLINICAL_FEE_TEST = frozenset({"chirurgie", "orl", "gynecologie"})

# §4 / §5 amount tables, euros per contract year [T]:
# (year 1, year 2, year >= 3, year >= 3 band P90-P95, every year band >= P95); None = "—" (§7.5)
A7_AMOUNTS = {
    "tiers_temps": (12000, 9000, 7000, 8350, 12000),
    "mi_temps": (18000, 13500, 10500, 12500, 18000),
    "temps_plein": (36000, 27000, 21000, 25000, 36000),
}
C2024_AMOUNTS = {
    "tiers_temps": (None, 9450, 7350, 8767, 12600),
    "mi_temps": (19000, 14000, 11000, 13000, 19000),
    "temps_plein": (38000, 28000, 22000, 26000, 38000),
}

# §4 objective rates, % increase over the start, by band of the indicator:
# (below P50, P50-P70, P70-P90, P90-P95, >= P95); reused by the 2024 file [H, §5]
OBJECTIVE_RATES = {
    "tiers_temps": (Fraction(20), Fraction(15), Fraction(15, 2), Fraction(4), Fraction(0)),
    "mi_temps": (Fraction(25), Fraction(20), Fraction(25, 2), Fraction(6), Fraction(0)),
    "temps_plein": (Fraction(35), Fraction(30), Fraction(20), Fraction(25, 2), Fraction(5)),
}

# Indicators (§4, §5): (start fact, percentile fact, P50 fact, measured fact)
MT_A7 = ("patientele_mt_adulte", "percentile_mt", "p50_mt", "patientele_mt_adulte_constatee")
MT_2024 = ("patientele_mt", "percentile_mt", "p50_mt", "patientele_mt_constatee")
FILE_ACTIVE = ("file_active", "percentile_file_active", "p50_file_active", "file_active_constatee")

# §7.4 specialties whose amount band is the better of the two percentiles, per file
A7_MT_SPECIALTIES = frozenset({GP})
C2024_MT_SPECIALTIES = frozenset({GP, "pediatrie"})

A7_ELIGIBILITY_OUTPUTS = ("condition_secteur", "condition_specialite", "condition_activite",
                          "condition_exercice", "condition_option", "eligible")
C2024_ELIGIBILITY_OUTPUTS = ("condition_secteur", "condition_specialite", "condition_activite",
                             "condition_option", "eligible")

TEXT_A7 = "avenant 7"
TEXT_2024 = "convention 2024"

# §7.6 and §7.14: the two messages model.md quotes
REASON_NEW_OPTION = "option créée par la convention médicale 2024, inexistante à la signature"
REASON_INELIGIBLE = "le médecin ne remplit pas les conditions d'éligibilité"


# --------------------------------------------------------------------------------------------
# Outcomes (§7 "Outcomes")


class Outcome(tuple):
    """One output: a ``(status, value)`` pair that also knows its missing facts and its reason.

    It unpacks and compares as the plain pair (``status, value = out[name]``,
    ``out[name] == ("value", 3)``); ``facts`` is the set of facts a *missing* outcome needs (empty
    otherwise, Reading 22) and ``reason`` the French message of a marker where model.md quotes
    one (§7.6, §7.14), else ``None`` (Reading 23).
    """

    def __new__(cls, status: str, value: object = None, facts: frozenset = frozenset(),
                reason: str | None = None) -> Outcome:
        self = super().__new__(cls, (status, value))
        self.facts = facts
        self.reason = reason
        return self

    @property
    def status(self) -> str:
        return self[0]

    @property
    def value(self) -> object:
        return self[1]


class _Marked(Exception):
    """Raised when an output cannot be a value: its status is one of the three markers."""

    def __init__(self, status: str, facts: frozenset = frozenset(), reason: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.facts = facts
        self.reason = reason


def _marked(outcome: Outcome) -> _Marked:
    """The exception that carries a marked outcome on."""
    return _Marked(outcome.status, outcome.facts, outcome.reason)


def _fact(facts: dict, name: str):
    """The value of a fact, or a *missing* outcome naming it when it is not given (§2)."""
    value = facts.get(name)
    if value is None:
        raise _Marked(MISSING, frozenset((name,)))
    return value


def _attempt(function, *args) -> Outcome:
    """Run one rule and return its outcome."""
    try:
        return Outcome(VALUE, function(*args))
    except _Marked as marker:
        return Outcome(marker.status, None, marker.facts, marker.reason)


def _first_marker(markers) -> _Marked | None:
    """Reading 2: the first *not applicable* / *undetermined* marker, else *missing* with every
    missing fact of the operands (Reading 22), else ``None``."""
    missing: set = set()
    found = False
    for marker in markers:
        if marker.status in (NOT_APPLICABLE, UNDETERMINED):
            return marker
        found = True
        missing |= marker.facts
    return _Marked(MISSING, frozenset(missing)) if found else None


def _values(*outcomes: Outcome) -> list:
    """Values of several outcomes; a marked operand wins over a missing one (Reading 2)."""
    marker = _first_marker(_marked(outcome) for outcome in outcomes if outcome.status != VALUE)
    if marker is not None:
        raise marker
    return [outcome.value for outcome in outcomes]


def _any(*terms) -> bool:
    """Three-valued 'or' over lazily evaluated terms (Reading 1)."""
    markers = []
    for term in terms:
        try:
            if term():
                return True
        except _Marked as exc:
            markers.append(exc)
    marker = _first_marker(markers)
    if marker is not None:
        raise marker
    return False


def _all(*terms) -> bool:
    """Three-valued 'and' over lazily evaluated terms (Reading 1)."""
    markers = []
    for term in terms:
        try:
            if not term():
                return False
        except _Marked as exc:
            markers.append(exc)
    marker = _first_marker(markers)
    if marker is not None:
        raise marker
    return True


def _all_outcomes(outcomes) -> Outcome:
    """``eligible``: every condition holds, three-valued over already computed conditions."""
    outcomes = list(outcomes)
    if any(outcome.status == VALUE and not outcome.value for outcome in outcomes):
        return Outcome(VALUE, False)
    marker = _first_marker(_marked(outcome) for outcome in outcomes if outcome.status != VALUE)
    if marker is not None:
        return Outcome(marker.status, None, marker.facts, marker.reason)
    return Outcome(VALUE, True)


def _paid(eligible: Outcome, compute) -> Outcome:
    """§7.14 no payment without eligibility, tested before any other marker of the output.

    ``eligible`` false: *not applicable* with §7.14's message; missing: *missing*, listing the
    eligibility facts and, when the payment itself lacks facts, those too (Reading 22); true or
    *not applicable* (signature outside the file's window, §7.1, §7.2): the payment as computed.
    """
    if eligible.status == VALUE and not eligible.value:
        return Outcome(NOT_APPLICABLE, reason=REASON_INELIGIBLE)
    outcome = compute()
    if eligible.status == MISSING:
        own = outcome.facts if outcome.status == MISSING else frozenset()
        return Outcome(MISSING, None, eligible.facts | own)
    return outcome


# --------------------------------------------------------------------------------------------
# Dates and rounding (§1, §7.3)


def add_days(day: date, n: int) -> date:
    """§1 ``+ n jours``: exact."""
    return day + timedelta(days=n)


def add_months(day: date, n: int) -> date:
    """§1 ``+ n mois``: same day, clamped to the last day of the month (31/01 + 1 mois = 28/02)."""
    months = day.month - 1 + n
    year, month = day.year + months // 12, months % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, n: int) -> date:
    """§1, §7.3 ``+ n ans``: same day and month; 29/02 gives 28/02 in a common year."""
    year = day.year + n
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return day.replace(year=year)


def _round_half_up(x: Fraction) -> int:
    """§1 ``à l'entier`` half up (values here are never negative)."""
    return math.floor(x + Fraction(1, 2))


def _round_cents(x: Fraction) -> Fraction:
    """§1 ``au centime`` half up."""
    return Fraction(_round_half_up(x * 100), 100)


def _money(x) -> Decimal:
    """A montant output: an exact whole number of cents written with two decimals (Reading 18)."""
    cents = Fraction(x) * 100
    if cents.denominator != 1:
        raise AssertionError(f"montant not a whole number of cents: {x}")
    return Decimal(cents.numerator).scaleb(-2)


def _rate(x: Fraction) -> Decimal:
    """A taux output: the exact fraction as a Decimal, 28 significant digits at most (Reading 18)."""
    with localcontext() as context:
        context.prec = 28
        return Decimal(x.numerator) / Decimal(x.denominator)


# --------------------------------------------------------------------------------------------
# Shared rules


def _contract_year(facts: dict) -> int:
    """``annee_contrat`` (§2, entier >= 1; not capped, §7.13)."""
    year = _fact(facts, "annee_contrat")
    if year < 1:
        raise ValueError(f"annee_contrat must be >= 1, got {year}")
    return year


def _year_start(facts: dict, year: int) -> date:
    """§1 ``debut_annee_contrat = date_signature + (k - 1) ans``."""
    return add_years(_fact(facts, "date_signature"), year - 1)


def _percentile_band(percentile) -> int:
    """Band index 0..4: below P50, P50-P70, P70-P90, P90-P95, >= P95, lower-inclusive (§4, Reading 5)."""
    if percentile < 50:
        return 0
    if percentile < 70:
        return 1
    if percentile < 90:
        return 2
    if percentile < 95:
        return 3
    return 4


def _amount_percentile(facts: dict, mt_specialties) -> object:
    """§4 amount band, §7.4: the better of the two percentiles where the MT indicator exists."""
    if _fact(facts, "specialite") in mt_specialties:
        return max(_fact(facts, "percentile_mt"), _fact(facts, "percentile_file_active"))
    return _fact(facts, "percentile_file_active")


def _amount(table: dict, option: str, year: int, facts: dict, mt_specialties) -> int:
    """§4 / §5 amount tables: the year-1 cell, then the >= P95 column, year 2, P90-P95, standard."""
    year_1, year_2, year_3, band_p90, band_p95 = table[option]
    if year == 1:  # Reading 3: year 1 reads no percentile
        if year_1 is None:  # §7.5: 2024 tiers_temps year 1, closed to new contracts
            raise _Marked(NOT_APPLICABLE)
        return year_1
    percentile = _amount_percentile(facts, mt_specialties)
    if percentile >= 95:  # every year, band >= P95 [H lower-inclusive]
        return band_p95
    if year == 2:
        return year_2
    if percentile >= 90:  # year >= 3, band P90-P95 [H lower-inclusive]
        return band_p90
    return year_3


def _objective(facts: dict, indicator: tuple, option: str) -> int:
    """§4 objectives: start + rate × start rounded to the patient half up; nouvel installé: P50."""
    start_name, percentile_name, p50_name, _ = indicator
    start = _fact(facts, start_name)
    if _fact(facts, "nouvel_installe"):  # §4: max(start, P50) [T]
        return max(start, _fact(facts, p50_name))
    rate = OBJECTIVE_RATES[option][_percentile_band(_fact(facts, percentile_name))]
    return start + _round_half_up(start * rate / 100)  # §4 target rounding [H]


def _progress_rate(start: int, target: int, measured: int) -> Fraction:
    """§4 modulation for one indicator (Reading 12)."""
    if target > start:  # clamp((v - s) / (t - s), 0, 1) [T proportional, H clamp]
        return min(max(Fraction(measured - start, target - start), Fraction(0)), Fraction(1))
    if start == 0 or measured >= start:  # maintien: 1 when v >= s (1 when s = 0) [H]
        return Fraction(1)
    return Fraction(measured, start)  # maintien missed: v / s [H]


def _indicator_attainment(facts: dict, indicator: tuple, objective: Outcome) -> Fraction:
    """§4 rate of one indicator from its objective outcome, start and measured value."""
    start_name, _, _, measured_name = indicator
    target, start, measured = _values(objective, _attempt(_fact, facts, start_name),
                                      _attempt(_fact, facts, measured_name))
    return _progress_rate(start, target, measured)


def _mean(rates: list) -> Fraction:
    """§4 GP: mean of the indicator rates [H]; a single indicator is its own rate."""
    return sum(rates, Fraction(0)) / len(rates)


def _attainment(facts: dict, indicators: list) -> Fraction:
    """§4 ``taux_atteinte`` from ``(indicator, objective outcome)`` pairs."""
    outcomes = [_attempt(_indicator_attainment, facts, indicator, objective)
                for indicator, objective in indicators]
    return _mean(_values(*outcomes))


def _montant_verse(montant_maximal: Outcome, taux_atteinte: Outcome) -> Fraction:
    """§4, §7.11: montant_maximal × taux_atteinte (exact), rounded once to the cent, half up [H]."""
    maximum, rate = _values(montant_maximal, taux_atteinte)
    return _round_cents(Fraction(maximum) * rate)


# --------------------------------------------------------------------------------------------
# Avenant 7 (§4)


def _a7_condition_secteur(facts: dict) -> bool:
    """§4: ``secteur = 1`` or (``secteur = 2`` and ``optam``) [T]."""
    secteur = _fact(facts, "secteur")
    if secteur == 1:
        return True
    return secteur == 2 and bool(_fact(facts, "optam"))


def _a7_specialty_territory(facts: dict) -> bool:
    """§4: whole-territory group; radiologie in 11 départements; others if the département is under-served."""
    specialite = _fact(facts, "specialite")
    if specialite in A7_WHOLE_TERRITORY:
        return True
    if specialite == "radiologie":
        return _fact(facts, "departement") in A7_RADIOLOGY_DEPARTEMENTS
    return bool(_fact(facts, "departement_sous_dote"))


def _a7_condition_specialite(facts: dict) -> bool:
    """§4: ``rqth``, or the specialty / territory test [T]."""
    return _any(lambda: _fact(facts, "rqth"), lambda: _a7_specialty_territory(facts))


def _a7_activity_threshold(facts: dict) -> bool:
    """§4: GP ``patientele_mt_adulte > 640`` [H strict] or ``part_moins_16_ans > 20 %`` [T]; others P30 [D]."""
    if _fact(facts, "specialite") == GP:
        return _any(lambda: _fact(facts, "patientele_mt_adulte") > 640,
                    lambda: _fact(facts, "part_moins_16_ans") > Decimal("0.2"))
    return _fact(facts, "percentile_file_active") >= 30


def _a7_condition_activite(facts: dict) -> bool:
    """§4: ``nouvel_installe`` or ``rqth`` [T], or the activity threshold."""
    return _any(lambda: _fact(facts, "nouvel_installe"), lambda: _fact(facts, "rqth"),
                lambda: _a7_activity_threshold(facts))


def _a7_condition_exercice(facts: dict) -> bool:
    """§4: (regroupé or (temps_plein in ZIP)) and (coordonné or commitment) [T; ZIP derogation H]."""
    return _all(
        lambda: _any(lambda: _fact(facts, "exercice_regroupe"),
                     lambda: _all(lambda: _fact(facts, "option") == "temps_plein",
                                  lambda: _fact(facts, "zone") == "zip")),
        lambda: _any(lambda: _fact(facts, "exercice_coordonne"),
                     lambda: _fact(facts, "engagement_exercice_coordonne")),
    )


def _a7_condition_option(facts: dict) -> bool:
    """§4: tiers_temps, mi_temps; temps_plein only in ZIP [T]; 1.5 / 2 ETP do not exist (§7.6)."""
    option = _fact(facts, "option")
    if option in ("tiers_temps", "mi_temps"):
        return True
    if option == "temps_plein":
        return _fact(facts, "zone") == "zip"
    return False


A7_CONDITIONS = (
    ("condition_secteur", _a7_condition_secteur),
    ("condition_specialite", _a7_condition_specialite),
    ("condition_activite", _a7_condition_activite),
    ("condition_exercice", _a7_condition_exercice),
    ("condition_option", _a7_condition_option),
)


def _a7_eligibility(facts: dict) -> dict:
    """§4: each condition, and ``eligible`` = all of them (three-valued, Reading 1)."""
    outcomes = {name: _attempt(rule, facts) for name, rule in A7_CONDITIONS}
    outcomes["eligible"] = _all_outcomes(outcomes.values())
    return outcomes


def _in_a7_window(signature: date) -> bool:
    """§4: signatures from 20/08/2019 to 30/04/2023 [T; start H]."""
    return A7_FIRST_SIGNATURE <= signature <= A7_LAST_SIGNATURE


def _a7_option(facts: dict) -> str:
    """``option`` for the avenant 7 figures: 1.5 / 2 ETP did not exist at any avenant 7 signature,
    so every figure built on them is *not applicable* with §7.6's message, whatever the date."""
    option = _fact(facts, "option")
    if option in SECOND_ASSISTANT:
        raise _Marked(NOT_APPLICABLE, reason=REASON_NEW_OPTION)
    return option


def _a7_montant_maximal(facts: dict) -> int:
    """§4 amounts, for the contract as signed (§3, §7.1); 1.5 / 2 ETP not applicable (§7.6)."""
    return _amount(A7_AMOUNTS, _a7_option(facts), _contract_year(facts), facts, A7_MT_SPECIALTIES)


def _a7_avance(facts: dict) -> Fraction:
    """§4 ``avance`` = 70 % of the year-1 amount [T]; any contract year (§7.9); 1.5 / 2 ETP not
    applicable (§7.6). Eligibility is tested before, by ``_paid`` (§7.14)."""
    return Fraction(7, 10) * A7_AMOUNTS[_a7_option(facts)][0]


def _a7_objective(facts: dict, indicator: tuple) -> int:
    """§4 objective of one indicator; 1.5 / 2 ETP not applicable (§7.6)."""
    return _objective(facts, indicator, _a7_option(facts))


def _a7_objectif_mt(facts: dict) -> int:
    """§4: adult MT objective, GP only [T]; other specialties have no MT indicator."""
    if _fact(facts, "specialite") != GP:
        raise _Marked(NOT_APPLICABLE)
    return _a7_objective(facts, MT_A7)


def _a7_objectif_file_active(facts: dict) -> int:
    """§4: file-active objective, every specialty [T]."""
    return _a7_objective(facts, FILE_ACTIVE)


def _a7_attainment(facts: dict, objectif_mt: Outcome, objectif_file_active: Outcome) -> Fraction:
    """§4 from year 3: GP mean of adult MT and file active [H]; others the file active."""
    if _fact(facts, "specialite") == GP:
        return _attainment(facts, [(MT_A7, objectif_mt), (FILE_ACTIVE, objectif_file_active)])
    return _attainment(facts, [(FILE_ACTIVE, objectif_file_active)])


def _a7_taux_atteinte(facts: dict, objectif_mt: Outcome, objectif_file_active: Outcome) -> Fraction:
    """§4: 1 in years 1-2 [T]; from year 3 proportional to attainment; 1.5 / 2 ETP not applicable,
    years 1-2 included (§7.6)."""
    _a7_option(facts)
    if _contract_year(facts) <= 2:
        return Fraction(1)
    return _a7_attainment(facts, objectif_mt, objectif_file_active)


def _deadline(facts: dict, shift, n: int) -> date:
    """A deadline counted from the assistant's hiring date (§4, §5)."""
    return shift(_fact(facts, "date_embauche"), n)


def _money_outcome(outcome: Outcome) -> Outcome:
    return Outcome(VALUE, _money(outcome.value)) if outcome.status == VALUE else outcome


def _rate_outcome(outcome: Outcome) -> Outcome:
    return Outcome(VALUE, _rate(outcome.value)) if outcome.status == VALUE else outcome


def evaluate_avenant7(facts: dict) -> dict[str, Outcome]:
    """Every output of ``rulesets/avenant7.rules`` (§3, §4, §7) for typed facts."""
    # Eligibility: not applicable for a signature outside the window (§4, §7.1)
    signature = _attempt(_fact, facts, "date_signature")
    if signature.status != VALUE:
        out = {name: signature for name in A7_ELIGIBILITY_OUTPUTS}
    elif not _in_a7_window(signature.value):
        out = {name: Outcome(NOT_APPLICABLE) for name in A7_ELIGIBILITY_OUTPUTS}
    else:
        out = _a7_eligibility(facts)
    eligible = out["eligible"]

    # Amounts, objectives and modulation: the contract as signed (§3, §7.1)
    montant_maximal = _attempt(_a7_montant_maximal, facts)
    objectif_mt = _attempt(_a7_objectif_mt, facts)
    objectif_file_active = _attempt(_a7_objectif_file_active, facts)
    taux_atteinte = _attempt(_a7_taux_atteinte, facts, objectif_mt, objectif_file_active)
    out["montant_maximal"] = _money_outcome(montant_maximal)
    out["taux_atteinte"] = _rate_outcome(taux_atteinte)
    out["montant_verse"] = _paid(eligible, lambda: _money_outcome(
        _attempt(_montant_verse, montant_maximal, taux_atteinte)))  # §7.14
    out["objectif_mt"] = objectif_mt
    out["objectif_file_active"] = objectif_file_active

    # Advance and deadlines (§4)
    out["avance"] = _paid(eligible, lambda: _money_outcome(_attempt(_a7_avance, facts)))  # §7.14
    out["date_limite_avance"] = _attempt(_deadline, facts, add_days, 15)  # [T]
    out["date_limite_declaration"] = _attempt(_deadline, facts, add_months, 1)  # [T]
    out["date_limite_qualification"] = _attempt(_deadline, facts, add_years, 3)  # [T]
    out["date_limite_debut_formation"] = _attempt(_deadline, facts, add_years, 2)  # [S]
    return out


# --------------------------------------------------------------------------------------------
# Convention 2024 (§5), an amendment of avenant 7: it reuses the rules above by name


def _c2024_regime(facts: dict) -> str | None:
    """§5 transition: whose eligibility and objectives govern the contract, by signature date."""
    signature = _fact(facts, "date_signature")
    if signature >= C2024_START:
        return TEXT_2024
    if _in_a7_window(signature):
        return TEXT_A7
    return None  # règlement arbitral (01/05/2023-21/06/2024) or before avenant 7: not encoded (§7.2)


def _c2024_condition_specialite(facts: dict) -> bool:
    """§5: all but six specialties [T]; chirurgie, orl, gynecologie with >= 80 % clinical fees [T]."""
    specialite = _fact(facts, "specialite")
    if specialite in C2024_EXCLUDED:
        return False
    if specialite in C2024_CLINICAL_FEE_TEST:
        return _fact(facts, "part_honoraires_cliniques") >= Decimal("0.8")
    return True


def _c2024_activity_threshold(facts: dict) -> bool:
    """§5: GP ``patientele_mt > 775`` (strict) [T]; another specialty ``percentile_file_active >= 30`` [T]."""
    if _fact(facts, "specialite") == GP:
        return _fact(facts, "patientele_mt") > 775
    return _fact(facts, "percentile_file_active") >= 30


def _c2024_condition_activite(facts: dict) -> bool:
    """§5: ``nouvel_installe`` [T] or the threshold; RQTH and under-16 derogations dropped [H]."""
    return _any(lambda: _fact(facts, "nouvel_installe"), lambda: _c2024_activity_threshold(facts))


def _c2024_condition_option(facts: dict) -> bool:
    """§5: mi_temps / temps_plein anywhere; tiers_temps closed; second assistant: GP, not MEP, ZIP,
    running 1 ETP contract in year >= 3 with objectives met [T]."""
    option = _fact(facts, "option")
    if option in ("mi_temps", "temps_plein"):
        return True
    if option == "tiers_temps":
        return False
    return _all(lambda: _fact(facts, "specialite") == GP,
                lambda: not _fact(facts, "mep"),
                lambda: _fact(facts, "zone") == "zip",
                lambda: _fact(facts, "anciennete_contrat_temps_plein") >= 3,
                lambda: _fact(facts, "objectifs_atteints"))


C2024_CONDITIONS = (
    ("condition_secteur", _a7_condition_secteur),  # §5: unchanged [T]
    ("condition_specialite", _c2024_condition_specialite),
    ("condition_activite", _c2024_condition_activite),
    ("condition_option", _c2024_condition_option),
)  # §5: no group / coordinated practice condition [T]


def _c2024_second_assistant(facts: dict) -> bool:
    """§7.6: whether ``option`` is a second-assistant option of a contract signed from 22/06/2024.

    Those options were created by the 2024 convention: for a contract signed before 22/06/2024
    (avenant 7, règlement arbitral or earlier) they do not exist, and whatever is built on them is
    *not applicable* with §7.6's message. The signature date is read only for them.
    """
    if _fact(facts, "option") not in SECOND_ASSISTANT:
        return False
    if _fact(facts, "date_signature") < C2024_START:
        raise _Marked(NOT_APPLICABLE, reason=REASON_NEW_OPTION)
    return True


def _c2024_montant_maximal(facts: dict) -> int:
    """§5 anniversary rule: the table of the text in force when the contract year starts [D]."""
    if _c2024_second_assistant(facts):  # §5, §7.6: amounts not published
        raise _Marked(UNDETERMINED)
    option = _fact(facts, "option")
    year = _contract_year(facts)
    table = C2024_AMOUNTS if _year_start(facts, year) >= C2024_START else A7_AMOUNTS
    return _amount(table, option, year, facts, C2024_MT_SPECIALTIES)  # §7.4: GP and pediatrie


def _c2024_texte_applicable(facts: dict) -> str:
    """§5, §7.10: whose table pays this contract year."""
    return TEXT_2024 if _year_start(facts, _contract_year(facts)) >= C2024_START else TEXT_A7


def _c2024_objective(facts: dict, indicator_name: str) -> int:
    """§5 objectives; ``indicator_name`` is ``"mt"`` or ``"file_active"`` (Readings 9, 10)."""
    if indicator_name == "mt":
        # the MT indicator: GP and pediatrie in 2024 [T]; GP only for an avenant 7 contract (§4)
        specialite = _fact(facts, "specialite")
        if specialite not in C2024_MT_SPECIALTIES:
            raise _Marked(NOT_APPLICABLE)
        if specialite not in A7_MT_SPECIALTIES and _c2024_regime(facts) == TEXT_A7:
            raise _Marked(NOT_APPLICABLE)
    if _c2024_second_assistant(facts) and not _fact(facts, "nouvel_installe"):
        raise _Marked(UNDETERMINED)  # §7.6: signed from 22/06/2024, objectives not published
    regime = _c2024_regime(facts)
    if regime is None:  # §5, §7.2: règlement arbitral or before avenant 7
        raise _Marked(NOT_APPLICABLE)
    if regime == TEXT_A7:  # §5: objectives of the text in force at signature
        return _a7_objectif_mt(facts) if indicator_name == "mt" else _a7_objectif_file_active(facts)
    indicator = MT_2024 if indicator_name == "mt" else FILE_ACTIVE
    return _objective(facts, indicator, _fact(facts, "option"))  # §5: avenant 7's rates [H]


def _aged_65(facts: dict, year: int) -> bool:
    """§5, §7.3: aged 65 or more at the start of the assessed contract year [H timing]."""
    return add_years(_fact(facts, "date_naissance"), 65) <= _year_start(facts, year)


def _rate_65(facts: dict, indicator: tuple) -> Fraction:
    """§5 doctor aged 65+: maintain the start with 10 % tolerated: 1 when v >= 0.9 s, else v / (0.9 s)."""
    start_name, _, _, measured_name = indicator
    floor = Fraction(9, 10) * _fact(facts, start_name)
    measured = _fact(facts, measured_name)
    if floor == 0 or measured >= floor:
        return Fraction(1)
    return measured / floor  # shortfall [H]


def _c2024_taux_atteinte(facts: dict, objectif_mt: Outcome, objectif_file_active: Outcome) -> Fraction:
    """§5 modulation: 1 in years 1-2; then by the text of the signature (§7.2, §7.8); a
    second-assistant option signed before 22/06/2024 is not applicable, years 1-2 included (§7.6)."""
    _c2024_second_assistant(facts)
    year = _contract_year(facts)
    if year <= 2:
        return Fraction(1)
    regime = _c2024_regime(facts)
    if regime is None:  # §7.2
        raise _Marked(NOT_APPLICABLE)
    if regime == TEXT_A7:  # §7.8: avenant 7's attainment rule
        return _a7_attainment(facts, objectif_mt, objectif_file_active)
    if _fact(facts, "specialite") in C2024_MT_SPECIALTIES:  # §5 indicators [T]
        indicators = [(MT_2024, objectif_mt), (FILE_ACTIVE, objectif_file_active)]
    else:
        indicators = [(FILE_ACTIVE, objectif_file_active)]
    if _aged_65(facts, year):  # §5, §7.8: wins over nouvel_installe; objectives unchanged
        return _mean(_values(*[_attempt(_rate_65, facts, indicator) for indicator, _ in indicators]))
    return _attainment(facts, indicators)  # §5: as avenant 7


def evaluate_convention2024(facts: dict) -> dict[str, Outcome]:
    """Every output of ``rulesets/convention2024.rules`` (§3, §5, §7) for typed facts."""
    # Eligibility (§5, §7.2): 2024 rules, avenant 7's for its signatures, else not applicable
    regime = _attempt(_c2024_regime, facts)
    if regime.status != VALUE:
        out = {name: regime for name in C2024_ELIGIBILITY_OUTPUTS}
    elif regime.value == TEXT_2024:
        out = {name: _attempt(rule, facts) for name, rule in C2024_CONDITIONS}
        out["eligible"] = _all_outcomes(out.values())
    elif regime.value == TEXT_A7:
        a7 = _a7_eligibility(facts)
        out = {name: a7[name] for name in C2024_ELIGIBILITY_OUTPUTS}
    else:
        out = {name: Outcome(NOT_APPLICABLE) for name in C2024_ELIGIBILITY_OUTPUTS}
    eligible = out["eligible"]

    # Amounts (anniversary rule), objectives and modulation (§5, §7.2)
    montant_maximal = _attempt(_c2024_montant_maximal, facts)
    objectif_mt = _attempt(_c2024_objective, facts, "mt")
    objectif_file_active = _attempt(_c2024_objective, facts, "file_active")
    taux_atteinte = _attempt(_c2024_taux_atteinte, facts, objectif_mt, objectif_file_active)
    out["montant_maximal"] = _money_outcome(montant_maximal)
    out["taux_atteinte"] = _rate_outcome(taux_atteinte)
    out["montant_verse"] = _paid(eligible, lambda: _money_outcome(
        _attempt(_montant_verse, montant_maximal, taux_atteinte)))  # §7.14
    out["objectif_mt"] = objectif_mt
    out["objectif_file_active"] = objectif_file_active

    # Deadlines (§5, §7.7) and the text that pays the year (§7.10)
    out["date_limite_declaration"] = _attempt(_deadline, facts, add_months, 1)  # [H: kept from A7]
    out["date_limite_qualification"] = _attempt(_deadline, facts, add_years, 2)  # [T]
    out["texte_applicable"] = _attempt(_c2024_texte_applicable, facts)
    return out


# --------------------------------------------------------------------------------------------
# JSON facts -> typed facts

_DATE_FACTS = frozenset({"date_naissance", "date_signature", "date_embauche"})
_INT_FACTS = frozenset({
    "secteur", "anciennete_contrat_temps_plein", "annee_contrat", "patientele_mt_adulte",
    "patientele_mt", "file_active", "p50_mt", "p50_file_active", "patientele_mt_adulte_constatee",
    "patientele_mt_constatee", "file_active_constatee",
})
_BOOL_FACTS = frozenset({
    "optam", "departement_sous_dote", "rqth", "nouvel_installe", "mep", "exercice_regroupe",
    "exercice_coordonne", "engagement_exercice_coordonne", "objectifs_atteints",
})
_DECIMAL_FACTS = frozenset({"part_moins_16_ans", "part_honoraires_cliniques", "percentile_mt",
                            "percentile_file_active"})
_ENUM_FACTS = {"specialite": SPECIALITES, "zone": ZONES, "option": OPTIONS}


def _to_decimal(name: str, value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except ArithmeticError:
            raise ValueError(f"{name}: not a number: {value!r}") from None
    raise ValueError(f"{name}: expected a number, got {value!r}")


def _to_int(name: str, value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _to_decimal(name, value)
    if number != number.to_integral_value():
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    return int(number)


def _to_bool(name: str, value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{name}: expected true or false, got {value!r}")


def _to_date(name: str, value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if "/" in text:  # 22/06/2024, as rule files write dates (§1)
                day, month, year = text.split("/")
                return date(int(year), int(month), int(day))
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{name}: not a date: {value!r}") from None
    raise ValueError(f"{name}: expected a date, got {value!r}")


def coerce_facts(json_like: dict) -> dict:
    """JSON forms (§1) -> the typed facts the evaluate functions take.

    Dates from ISO strings (or ``dd/mm/yyyy``), entiers from numbers or integral strings, booleans
    from ``true`` / ``false``, taux / decimal from numbers or numeric strings (floats through
    ``Decimal(str(x))``), enums checked against §2, ``departement`` as text (a number gets two
    digits). ``None`` drops the fact; unknown facts pass through unchanged.
    """
    facts = {}
    for name, value in json_like.items():
        if value is None:
            continue
        if name in _DATE_FACTS:
            value = _to_date(name, value)
        elif name in _INT_FACTS:
            value = _to_int(name, value)
        elif name in _BOOL_FACTS:
            value = _to_bool(name, value)
        elif name in _DECIMAL_FACTS:
            value = _to_decimal(name, value)
        elif name in _ENUM_FACTS:
            if value not in _ENUM_FACTS[name]:
                raise ValueError(f"{name}: unknown value {value!r}")
        elif name == "departement":
            value = f"{value:02d}" if isinstance(value, int) and not isinstance(value, bool) else str(value).strip()
        facts[name] = value
    return facts


__all__ = ["evaluate_avenant7", "evaluate_convention2024", "coerce_facts",
           "add_days", "add_months", "add_years",
           "VALUE", "NOT_APPLICABLE", "UNDETERMINED", "MISSING"]
