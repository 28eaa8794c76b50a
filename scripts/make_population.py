#!/usr/bin/env python3
"""Synthetic population of contract-years for the "aide à l'emploi d'un assistant médical".

Writes one row per contract evaluated at one contract year, with the facts of model.md §2 (plus a
first column ``id``), as CSV (default) or JSON Lines::

    python scripts/make_population.py --rows 8000 --seed 20240622 -o examples/population.csv
    python scripts/make_population.py --rows 1000 --seed 1 --format jsonl -o /tmp/pop.jsonl

The output is a deterministic function of ``--rows`` and ``--seed`` (only ``random.Random.random``
is drawn, whose sequence is stable across CPython versions). Rows are streamed: memory does not
grow with ``--rows``.

Formats (CSV): booleans ``true``/``false``; dates ``YYYY-MM-DD``; taux as decimal strings
(``0.85``); percentiles as decimal strings with at most one decimal (``63.4``, ``90``); integers
plain; an empty cell means "not known / does not apply". JSON Lines: the same keys, unknown keys
omitted, integers and booleans as JSON numbers and booleans, taux and percentiles as strings.

Which facts are filled
    Always: specialite, secteur, departement, zone, rqth, nouvel_installe, date_naissance, option,
    date_signature, date_embauche, annee_contrat, file_active, percentile_file_active,
    p50_file_active. ``optam``: secteur 2 only. ``mep`` and ``part_moins_16_ans``: GPs only.
    ``departement_sous_dote``: specialties outside avenant 7's whole-territory group, radiologie
    excepted (it has its own list of départements). ``part_honoraires_cliniques``: chirurgie, orl,
    gynecologie signed on or after 01/05/2023. ``exercice_regroupe``, ``exercice_coordonne``:
    signatures up to 30/04/2023 (avenant 7); ``engagement_exercice_coordonne``: those of them not
    in coordinated practice. ``anciennete_contrat_temps_plein``, ``objectifs_atteints``: the
    second-assistant options only. MT indicator (see A25, A26): GP signed up to 30/04/2023 →
    ``patientele_mt_adulte``; GP signed later and every pediatrician → ``patientele_mt``; with
    ``percentile_mt`` and ``p50_mt``. Measured values (``*_constatee``): contract years ≥ 3, for the
    indicators the contract's objectives use.

Eras of signature: "A7" 01/09/2019–30/04/2023, "RA" (règlement arbitral) 01/05/2023–21/06/2024,
"2024" from 22/06/2024 (README.md timeline of /work/shared/reference/).

Assumptions. Source files are in /work/shared/reference/: A7 = avenant7.md, C24 = convention2024.md,
MODEL = model.md. "hypothèse" = no figure exists; [D] = derived by arithmetic from the figures.

A01  Row = one contract at one contract year; annee_contrat uniform on 1..5, the 5-year term of a
     contract (A7 §6, C24 §6), including years that start after today (a projection: measured
     values of such years are simulated). Uniformity: hypothèse.
A02  Signature dates follow a piecewise-linear cumulative count of contracts through: 01/09/2019 0
     (scheme in force, A7 §0); 11/12/2019 300 (A7 §9); 11/03/2020 919 (A7 §9, day of avenant 8);
     15/09/2020 1 300 (A7 §9 "≈ 1,000 + > 300", day hypothèse); 21/01/2021 1 545; 19/02/2021
     1 729; 28/05/2022 3 112; 31/12/2022 4 069 (A7 §9); 15/11/2023 5 355 (A7 §9, C24 §7, [S]);
     31/10/2024 7 240 (C24 §7); 31/12/2025 9 535 [D: the 15/11/2023–31/10/2024 pace, 5.39 a day,
     kept through 2025 — hypothèse; close to the 10 000-by-2025 target, C24 §7]. Resulting shares:
     A7 era ≈ 47.8 %, RA era ≈ 20.7 %, 2024 era ≈ 31.5 %.
A03  GP share by signature period (marginal shares from the cumulative counts): up to 21/01/2021
     82 % (A7 §9); 22/01/2021–28/05/2022 74.8 % [D: (2 439 − 0.82 × 1 545) / (3 112 − 1 545)];
     29/05/2022–31/10/2024 68.9 % [D: (5 283 − 2 439) / (7 240 − 3 112), C24 §7]; after 73 %
     (hypothèse: the end-October-2024 share 5 283 / 7 240). Overall ≈ 73 %.
A04  Specialist mix, same in every era: May 2022 counts (A7 §9) cardiologie 180, ophtalmologie 110,
     pediatrie 65, psychiatrie 38, dermatologie 33, neurologie 16, chirurgie 14 (of 673); the other
     217 split by hypothèse: gynecologie 60, gastro_enterologie 45, orl 25, autre_specialite 60,
     radiologie 8, anesthesie 8, stomatologie 5, radiotherapie 2, anatomo_cyto_pathologie 2,
     medecine_nucleaire 2 (the six specialties excluded from 01/05/2023, C24 §1.2, ≈ 4 % of
     specialists). Keeping one mix: hypothèse (the Nov 2023 counts of A7 §9 give similar shares).
A05  Options signed in the A7 era: tiers_temps 31 %, mi_temps 47 %, temps_plein 22 % (A7 §2,
     28/05/2022).
A06  Options signed from 01/05/2023: mi_temps 60 %, temps_plein 40 % [D: ETP per contract added
     from Dec 2022 to end 2024 = (5 358 − 2 537) / (8 111 − 4 069) = 0.70 (C24 §7, A7 §9, [S]);
     0.5 (1 − p) + p = 0.70 gives p ≈ 0.40]. No tiers_temps is signed from 01/05/2023 (A7 §2,
     C24 §2).
A07  Second-assistant options: GPs signed from 22/06/2024 only (C24 §2), 4 % of them (hypothèse),
     temps_plein_et_mi_temps and double_temps_plein half each (hypothèse); zone zip 90 %, zac 10 %;
     anciennete_contrat_temps_plein from 3 to the years elapsed since 01/09/2019, except 10 % at 2;
     objectifs_atteints true 90 %; nouvel_installe false (hypothèses; the 10 % and 2 are
     deliberately ineligible cases).
A08  Share in under-dense zones (zip or zac) by signature period: up to 31/12/2022 52 % (A7 §9,
     May and Dec 2022); 01/01/2023–15/11/2023 79 % [D: (3 136 − 0.52 × 4 069) / (5 355 − 4 069),
     A7 §9, [S]]; after 58.6 % (hypothèse: the mid-Nov 2023 share 3 136 / 5 355 kept). Overall
     ≈ 58 %.
A09  A7-era temps_plein is in zip (only ZIP allowed, A7 §2), except from 01/09/2020 (avenant 8,
     A7 §1.6, not encoded by MODEL) 15 % in zac (hypothèse share). The other A7-era options take
     the rest of the under-dense share of A08.
A10  zip among the other under-dense contracts: 40 % (hypothèse; ZIP covers 18 % of the population,
     A7 §1.4, ZAC has no figure).
A11  secteur: GPs 94 % secteur 1, 4 % secteur 2 OPTAM, 1.5 % secteur 2 without OPTAM, 0.5 % secteur 3;
     other specialties 62 % / 32 % / 5 % / 1 % (hypothèse; the last two are ineligible, A7 §1.1).
A12  nouvel_installe: GPs 21 % [D: 502 / 2 439, A7 §4.5]; other specialties 10 % (hypothèse).
A13  rqth true 1 % of all doctors; mep true 3 % of GPs (hypothèses).
A14  departement uniform over the 101 codes (hypothèse); radiologists 50 % in the 11 départements
     of A7 §1.2 (hypothèse share).
A15  departement_sous_dote true 80 % for A7-era signatures (those specialists were eligible only
     there, A7 §1.2), 30 % later (30 % of départements by definition); hypothèse.
A16  Practice, A7 era only: exercice_regroupe 96 %, but 50 % for temps_plein in zip (the solo
     derogation, A7 §1.4); exercice_coordonne 60 %; engagement_exercice_coordonne 97 % of the
     others (hypothèses). Empty from 01/05/2023: no practice condition (C24 §1.5).
A17  GP adult MT distribution (A7 era), percentile → patients: P10 250, P30 640 (A7 §1.3, §4.3),
     P50 850 ("800 et quelques", A7 §4.3), P70 1 107 (A7 §4.3, role unclear), P90 1 450, P95 1 650
     (hypothèse, so that A7 §11 E6 1 550 is P90–P95 and E4 2 000 is ≥ P95), P99 2 200, P100 3 000
     (hypothèse); linear between points, from 0 at P0.
A18  GP MT distribution, adults and children (RA and 2024 eras): P10 320, P30 775 (C24 §1.4), P50
     1 045 (C24 §1.4, [S]), P70 1 260, P90 1 503, P95 1 721 (A7 §4.3, [S]), P99 2 300, P100 3 200
     (P10, P70, P99, P100 hypothèse).
A19  GP file active, every era: P50 1 514 (C24 §1.4, [S]); P10 550, P30 1 150, P70 1 900, P90 2 500,
     P95 2 900, P99 3 800, P100 5 000 (hypothèse; puts the FMF GP's 2 355 of A7 §4.4 in P70–P90).
A20  Other specialties' file active: the median times a common shape, P10 0.35, P30 0.72, P50 1,
     P70 1.30, P90 1.75, P95 2.00, P99 2.60, P100 3.30 (hypothèse). Medians (hypothèse):
     cardiologie 1 900 (puts the 2 800 of A7 §4.3/§11 E2 in P70–P90), ophtalmologie 3 000,
     pediatrie 1 800, psychiatrie 450, dermatologie 2 200, neurologie 1 300, chirurgie 1 100,
     gynecologie 1 500, gastro_enterologie 1 400, orl 2 000, autre_specialite 1 200, radiologie
     5 000, anesthesie 1 500, stomatologie 1 200, radiotherapie 600, anatomo_cyto_pathologie 4 000,
     medecine_nucleaire 1 500. Pediatric MT: same shape, median 500 (hypothèse).
A21  The same distributions serve every era for specialists and for the GP file active
     (hypothèse: no dated specialist figure).
A22  Percentile of the main indicator (GP: MT; others: file active): not newly installed, 92 %
     (GP) / 95 % (others) drawn as 30 + 70·u^0.7 (mean ≈ P71, ≈ 20 % ≥ P90, ≈ 10 % ≥ P95), the rest
     uniform on [5, 30) (derogations and ineligible cases); newly installed uniform on [2, 55).
     Hypothèse, reflecting the P30 threshold (A7 §1.3) and high-activity signatories (mean start
     1 318 MT, C24 §7). Percentiles are kept to one decimal; values are read from the distribution
     at that percentile, so value and percentile agree.
A23  Second indicator (GP file active, pediatric MT): percentile of the main one + N(0, 10),
     clamped to [1, 99.9] (hypothèse).
A24  p50_mt, p50_file_active: the P50 of the distributions above (GP 2021: 1 045 / 1 514, C24 §1.4;
     GP adult MT A7 era: 850), filled for every row that has the indicator.
A25  percentile_mt ranks the MT indicator of the text the contract was signed under: adult MT for
     GPs signed up to 30/04/2023, adults and children afterwards and for pediatricians (MODEL §2,
     §7.12; A7 §4.1: MT adults and children from the RA).
A26  A7-era GPs carry patientele_mt_adulte only; later GPs patientele_mt only; pediatricians
     patientele_mt in every era (the 2024 file reads it for the amount band of running contracts,
     MODEL §7.4), patientele_mt_constatee only when signed from 01/05/2023.
A27  part_moins_16_ans (GPs): N(0.16, 0.05) clamped to [0.01, 0.60], two decimals; 60 % of the GPs
     below P30 who are not newly installed get uniform [0.21, 0.45] (the > 20 % derogation,
     A7 §1.3). Hypothèse.
A28  part_honoraires_cliniques (chirurgie, orl, gynecologie signed from 01/05/2023, when the test
     began, C24 §1.3): uniform, two decimals, gynecologie [0.70, 1.00], orl [0.60, 0.98],
     chirurgie [0.40, 0.95] (hypothèse).
A29  date_embauche = date_signature − d days: 97 % d uniform on 0..31 (contract signed within the
     month after hiring, A7 §6), 3 % d on 32..75 (late, hypothèse).
A30  Age at signature: newly installed uniform [29, 42); others N(50, 9) clamped to [31, 71]
     (hypothèse); date_naissance = date_signature − age. About 7 % are 65 or more at the start of
     the evaluated contract year.
A31  Measured values, years ≥ 3: target as MODEL §4 (rate table by the indicator's own band and the
     option, half-up; newly installed max(start, P50)); avenant 7's rates also for later
     signatures (MODEL §5) and temps_plein's for the second-assistant options (hypothèse). Measured
     = start + (target − start)·f + start·e, f ~ N(1.2, 0.5) for MT (Cnam: +19.5 % reached for
     +8.5 % asked, C24 §7), N(0.7, 0.5) for file active (+4.5 %, C24 §7; 22 % reached the target
     after one year, A7 §5), e ~ N(0, 0.03); when the target is the start (maintien),
     start·(1 + N(0.01, 0.05)); 2024-era doctors aged 65+ at the year's start,
     start·U(0.82, 1.05) (maintain with 10 % tolerance, C24 §4.2). Rounded, never below 0.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime
import json
import math
import random
import sys

COLUMNS = (
    "id", "specialite", "secteur", "optam", "departement", "departement_sous_dote", "zone", "rqth",
    "nouvel_installe", "mep", "date_naissance", "part_moins_16_ans", "part_honoraires_cliniques",
    "exercice_regroupe", "exercice_coordonne", "engagement_exercice_coordonne", "option",
    "anciennete_contrat_temps_plein", "objectifs_atteints", "date_signature", "date_embauche",
    "annee_contrat", "patientele_mt_adulte", "patientele_mt", "file_active", "percentile_mt",
    "percentile_file_active", "p50_mt", "p50_file_active", "patientele_mt_adulte_constatee",
    "patientele_mt_constatee", "file_active_constatee",
)

D = datetime.date
ORD = D.toordinal

START = D(2019, 9, 1)                 # A02
RA_START = D(2023, 5, 1)              # README timeline
C2024_START = D(2024, 6, 22)          # README timeline
A8_START = D(2020, 9, 1)              # A09

# A02: cumulative count of signed contracts.
SIGNATURE_CURVE = (
    (D(2019, 9, 1), 0), (D(2019, 12, 11), 300), (D(2020, 3, 11), 919), (D(2020, 9, 15), 1300),
    (D(2021, 1, 21), 1545), (D(2021, 2, 19), 1729), (D(2022, 5, 28), 3112),
    (D(2022, 12, 31), 4069), (D(2023, 11, 15), 5355), (D(2024, 10, 31), 7240),
    (D(2025, 12, 31), 9535),
)

# A03: marginal GP share, by signature up to and including the date.
GP_SHARE = ((D(2021, 1, 21), 0.82), (D(2022, 5, 28), 0.748), (D(2024, 10, 31), 0.689), (D.max, 0.73))

# A08: marginal under-dense (zip or zac) share.
UNDER_DENSE = ((D(2022, 12, 31), 0.52), (D(2023, 11, 15), 0.79), (D.max, 0.586))

# A04
SPECIALIST_MIX = (
    ("cardiologie", 180), ("ophtalmologie", 110), ("pediatrie", 65), ("psychiatrie", 38),
    ("dermatologie", 33), ("neurologie", 16), ("chirurgie", 14), ("gynecologie", 60),
    ("gastro_enterologie", 45), ("orl", 25), ("autre_specialite", 60), ("radiologie", 8),
    ("anesthesie", 8), ("stomatologie", 5), ("radiotherapie", 2), ("anatomo_cyto_pathologie", 2),
    ("medecine_nucleaire", 2),
)
WHOLE_TERRITORY = {"medecine_generale", "pediatrie", "cardiologie", "gynecologie",
                   "gastro_enterologie", "ophtalmologie", "psychiatrie"}   # MODEL §4
CLINICAL_FEE_TEST = {"chirurgie", "orl", "gynecologie"}                    # MODEL §5
CLINICAL_FEE_RANGE = {"gynecologie": (0.70, 1.00), "orl": (0.60, 0.98), "chirurgie": (0.40, 0.95)}  # A28

# A05, A06, A07
OPTIONS_A7 = (("tiers_temps", 0.31), ("mi_temps", 0.47), ("temps_plein", 0.22))
TEMPS_PLEIN_LATER = 0.40
SECOND_ASSISTANT_SHARE = 0.04

# A11: (secteur 1, secteur 2 OPTAM, secteur 2 without OPTAM); the rest is secteur 3.
SECTEUR_GP = (0.94, 0.04, 0.015)
SECTEUR_OTHER = (0.62, 0.32, 0.05)

# A14
DEPARTEMENTS = tuple([f"{n:02d}" for n in range(1, 20)] + ["2A", "2B"]
                     + [f"{n:02d}" for n in range(21, 96)] + ["971", "972", "973", "974", "976"])
RADIOLOGY_DEPARTEMENTS = ("08", "09", "10", "15", "43", "46", "48", "53", "88", "89", "91")

# A17–A20: (percentile, value) points of the national distributions.
GP_MT_ADULT_A7 = ((0, 0), (10, 250), (30, 640), (50, 850), (70, 1107), (90, 1450), (95, 1650),
                  (99, 2200), (100, 3000))
GP_MT_2021 = ((0, 0), (10, 320), (30, 775), (50, 1045), (70, 1260), (90, 1503), (95, 1721),
              (99, 2300), (100, 3200))
GP_FILE_ACTIVE = ((0, 0), (10, 550), (30, 1150), (50, 1514), (70, 1900), (90, 2500), (95, 2900),
                  (99, 3800), (100, 5000))
SHAPE = ((0, 0.0), (10, 0.35), (30, 0.72), (50, 1.0), (70, 1.30), (90, 1.75), (95, 2.0), (99, 2.6),
         (100, 3.3))
SPECIALIST_FA_MEDIAN = {
    "cardiologie": 1900, "ophtalmologie": 3000, "pediatrie": 1800, "psychiatrie": 450,
    "dermatologie": 2200, "neurologie": 1300, "chirurgie": 1100, "gynecologie": 1500,
    "gastro_enterologie": 1400, "orl": 2000, "autre_specialite": 1200, "radiologie": 5000,
    "anesthesie": 1500, "stomatologie": 1200, "radiotherapie": 600, "anatomo_cyto_pathologie": 4000,
    "medecine_nucleaire": 1500,
}
PEDIATRIC_MT_MEDIAN = 500

# MODEL §4: objective rates, tenths of a percent, by band (<P50, P50–70, P70–90, P90–95, ≥P95).
RATES = {
    "tiers_temps": (200, 150, 75, 40, 0),
    "mi_temps": (250, 200, 125, 60, 0),
    "temps_plein": (350, 300, 200, 125, 50),
}
RATES["temps_plein_et_mi_temps"] = RATES["double_temps_plein"] = RATES["temps_plein"]  # A31

INT_FACTS = {"id", "secteur", "anciennete_contrat_temps_plein", "annee_contrat",
             "patientele_mt_adulte", "patientele_mt", "file_active", "p50_mt", "p50_file_active",
             "patientele_mt_adulte_constatee", "patientele_mt_constatee", "file_active_constatee"}


def _table(points, scale=1.0):
    """Values at every tenth of a percentile, 0.0 .. 99.9, linear between the points."""
    out = []
    for t in range(1000):
        p = t / 10
        for (p0, v0), (p1, v1) in zip(points, points[1:]):
            if p0 <= p < p1:
                out.append(int(round((v0 + (v1 - v0) * (p - p0) / (p1 - p0)) * scale)))
                break
    return out


def _p50(points, scale=1.0):
    return int(round(dict(points)[50] * scale))


def _tenths(t):
    """A percentile in tenths as a decimal string with at most one decimal."""
    return str(t // 10) if t % 10 == 0 else f"{t // 10}.{t % 10}"


def _hundredths(h):
    """A rate in hundredths as a decimal string: 85 → '0.85', 20 → '0.2', 100 → '1'."""
    if h >= 100:
        return "1"
    return f"0.{h // 10}" if h % 10 == 0 else f"0.{h:02d}"


def _add_years(d, n):
    try:
        return d.replace(year=d.year + n)
    except ValueError:              # 29/02 → 28/02 (MODEL §1)
        return d.replace(year=d.year + n, day=28)


def _age_on(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class Population:
    """A deterministic stream of synthetic contract-years."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        # Signature dates: cumulative weight at the end of every day (A02).
        self.first_day = ORD(START)
        cum, day_weights = [], []
        for (d0, c0), (d1, c1) in zip(SIGNATURE_CURVE, SIGNATURE_CURVE[1:]):
            n = ORD(d1) - ORD(d0)
            day_weights.extend([(c1 - c0) / n] * n)
        total = 0.0
        for w in day_weights:
            total += w
            cum.append(total)
        self.cum, self.total = cum, total
        self.gp_share = [(ORD(d), s) for d, s in GP_SHARE]
        self.under_dense = [(ORD(d), s) for d, s in UNDER_DENSE]
        names, weights = zip(*SPECIALIST_MIX)
        acc, c = [], 0
        for w in weights:
            c += w
            acc.append(c / sum(weights))
        self.spec_names, self.spec_cum = names, acc
        self.tables = {
            ("gp", "mt_adulte"): _table(GP_MT_ADULT_A7),
            ("gp", "mt"): _table(GP_MT_2021),
            ("gp", "fa"): _table(GP_FILE_ACTIVE),
            ("pediatrie", "mt"): _table(SHAPE, PEDIATRIC_MT_MEDIAN),
        }
        self.p50 = {
            ("gp", "mt_adulte"): _p50(GP_MT_ADULT_A7), ("gp", "mt"): _p50(GP_MT_2021),
            ("gp", "fa"): _p50(GP_FILE_ACTIVE), ("pediatrie", "mt"): PEDIATRIC_MT_MEDIAN,
        }
        for spec, median in SPECIALIST_FA_MEDIAN.items():
            self.tables[(spec, "fa")] = _table(SHAPE, median)
            self.p50[(spec, "fa")] = median
        self.iso = {}
        self.ra_ord, self.c24_ord, self.a8_ord = ORD(RA_START), ORD(C2024_START), ORD(A8_START)

    # -- small helpers -------------------------------------------------------------------------
    def _iso(self, o):
        s = self.iso.get(o)
        if s is None:
            s = self.iso[o] = D.fromordinal(o).isoformat()
        return s

    def _normal(self):
        r = self.rng.random
        return math.sqrt(-2.0 * math.log(1.0 - r())) * math.cos(2.0 * math.pi * r())

    @staticmethod
    def _by_date(table, o):
        for limit, value in table:
            if o <= limit:
                return value
        return table[-1][1]

    def _main_percentile(self, nouvel, below_share):
        """A22: the main indicator's percentile, in tenths (0..999)."""
        r = self.rng.random
        if nouvel:
            p = 2 + 53 * r()
        elif r() < below_share:
            p = 5 + 25 * r()
        else:
            p = 30 + 70 * r() ** 0.7
        return min(999, int(p * 10))

    def _near(self, t):
        """A23: a correlated second percentile, in tenths, clamped to [1, 99.9]."""
        return max(10, min(999, int(t + 100 * self._normal())))

    def _measured(self, start, target, kind, maintain65):
        """A31: a value measured in a contract year ≥ 3."""
        r = self.rng.random
        if maintain65:
            v = start * (0.82 + 0.23 * r())
        elif target == start:
            v = start * (1 + 0.01 + 0.05 * self._normal())
        else:
            f = (1.2 if kind == "mt" else 0.7) + 0.5 * self._normal()
            v = start + (target - start) * f + start * 0.03 * self._normal()
        return max(0, int(round(v)))

    @staticmethod
    def _target(start, t, option, nouvel, p50):
        """MODEL §4: objective for a starting value at percentile t (tenths)."""
        if nouvel:
            return max(start, p50)
        band = 0 if t < 500 else 1 if t < 700 else 2 if t < 900 else 3 if t < 950 else 4
        rate = RATES[option][band]
        return start + (start * rate * 2 + 1000) // 2000      # half up, exact

    # -- one row -------------------------------------------------------------------------------
    def row(self, ident):
        r = self.rng.random
        sig = self.first_day + bisect.bisect_right(self.cum, r() * self.total)
        sig = min(sig, self.first_day + len(self.cum) - 1)
        era = "a7" if sig < self.ra_ord else "ra" if sig < self.c24_ord else "2024"
        sig_date = D.fromordinal(sig)

        is_gp = r() < self._by_date(self.gp_share, sig)
        if is_gp:
            spec = "medecine_generale"
        else:
            spec = self.spec_names[min(bisect.bisect_right(self.spec_cum, r()), len(self.spec_cum) - 1)]

        # Option (A05–A07).
        second = False
        if era == "a7":
            u = r()
            option = "tiers_temps" if u < 0.31 else "mi_temps" if u < 0.78 else "temps_plein"
        elif era == "2024" and is_gp and r() < SECOND_ASSISTANT_SHARE:
            second = True
            option = "temps_plein_et_mi_temps" if r() < 0.5 else "double_temps_plein"
        else:
            option = "temps_plein" if r() < TEMPS_PLEIN_LATER else "mi_temps"

        # Zone (A08–A10).
        target_ud = self._by_date(self.under_dense, sig)
        if era == "a7" and option == "temps_plein":
            zone = "zac" if sig >= self.a8_ord and r() < 0.15 else "zip"
        elif second:
            zone = "zip" if r() < 0.9 else "zac"
        else:
            p_ud = (target_ud - 0.22) / 0.78 if era == "a7" else target_ud
            if r() < p_ud:
                zone = "zip" if r() < 0.40 else "zac"
            else:
                zone = "hors_zone"

        # Sector (A11).
        s1, s2o, s2 = SECTEUR_GP if is_gp else SECTEUR_OTHER
        u = r()
        if u < s1:
            secteur, optam = 1, None
        elif u < s1 + s2o:
            secteur, optam = 2, True
        elif u < s1 + s2o + s2:
            secteur, optam = 2, False
        else:
            secteur, optam = 3, None

        nouvel = False if second else r() < (0.21 if is_gp else 0.10)     # A12
        rqth = r() < 0.01                                                  # A13
        mep = (r() < 0.03) if is_gp else None

        # Territory (A14, A15).
        if spec == "radiologie" and r() < 0.5:
            departement = RADIOLOGY_DEPARTEMENTS[int(r() * len(RADIOLOGY_DEPARTEMENTS))]
        else:
            departement = DEPARTEMENTS[int(r() * len(DEPARTEMENTS))]
        if spec in WHOLE_TERRITORY or spec == "radiologie":
            sous_dote = None
        else:
            sous_dote = r() < (0.80 if era == "a7" else 0.30)

        # Practice (A16).
        regroupe = coordonne = engagement = None
        if era == "a7":
            regroupe = r() < (0.50 if option == "temps_plein" and zone == "zip" else 0.96)
            coordonne = r() < 0.60
            if not coordonne:
                engagement = r() < 0.97

        # Dates (A29, A30).
        u = r()
        delay = int(r() * 32) if u < 0.97 else 32 + int(r() * 44)
        embauche = sig - delay
        age = 29 + 13 * r() if nouvel else max(31.0, min(71.0, 50 + 9 * self._normal()))
        birth = sig - int(age * 365.2425) - int(r() * 365)
        birth_date = D.fromordinal(birth)
        annee = 1 + int(r() * 5)                                           # A01

        # Second assistant (A07).
        anciennete = objectifs = None
        if second:
            max_anc = min(5, int((sig - self.first_day) / 365.25) + 1)
            anciennete = 2 if r() < 0.1 else 3 + int(r() * (max_anc - 2))
            objectifs = r() < 0.9

        # Activity (A17–A26).
        p_a7_gp = is_gp and era == "a7"
        mt_key = None
        if is_gp:
            t_mt = self._main_percentile(nouvel, 0.08)
            t_fa = self._near(t_mt)
            mt_key, fa_key = ("gp", "mt_adulte" if p_a7_gp else "mt"), ("gp", "fa")
        elif spec == "pediatrie":
            t_fa = self._main_percentile(nouvel, 0.05)
            t_mt = self._near(t_fa)
            mt_key, fa_key = ("pediatrie", "mt"), ("pediatrie", "fa")
        else:
            t_fa = self._main_percentile(nouvel, 0.05)
            t_mt = None
            fa_key = (spec, "fa")
        file_active = self.tables[fa_key][t_fa]
        mt = self.tables[mt_key][t_mt] if mt_key else None
        p50_mt = self.p50[mt_key] if mt_key else None
        p50_fa = self.p50[fa_key]

        # Under-16 share and clinical fees (A27, A28).
        part16 = None
        if is_gp:
            if not nouvel and t_mt < 300 and r() < 0.6:
                h = 21 + int(r() * 25)
            else:
                h = int(round(100 * max(0.01, min(0.60, 0.16 + 0.05 * self._normal()))))
            part16 = _hundredths(h)
        part_clin = None
        if spec in CLINICAL_FEE_TEST and era != "a7":
            lo, hi = CLINICAL_FEE_RANGE[spec]
            part_clin = _hundredths(int(round(100 * (lo + (hi - lo) * r()))))

        # Measured values (A31).
        mt_adulte_c = mt_c = fa_c = None
        if annee >= 3:
            maintain65 = False
            if era == "2024":
                year_start = _add_years(sig_date, annee - 1)
                maintain65 = _age_on(birth_date, year_start) >= 65
            fa_c = self._measured(file_active, self._target(file_active, t_fa, option, nouvel, p50_fa),
                                  "fa", maintain65)
            if mt_key and (is_gp or era != "a7"):
                v = self._measured(mt, self._target(mt, t_mt, option, nouvel, p50_mt), "mt", maintain65)
                if p_a7_gp:
                    mt_adulte_c = v
                else:
                    mt_c = v

        b = _BOOL
        return (
            str(ident), spec, _SECTEUR[secteur], b[optam], departement, b[sous_dote], zone, b[rqth],
            b[nouvel], b[mep], self._iso(birth), part16 or "", part_clin or "", b[regroupe],
            b[coordonne], b[engagement], option, _opt(anciennete), b[objectifs], self._iso(sig),
            self._iso(embauche), _SMALL[annee], str(mt) if p_a7_gp else "",
            str(mt) if mt_key and not p_a7_gp else "", str(file_active),
            _tenths(t_mt) if mt_key else "", _tenths(t_fa), _opt(p50_mt), str(p50_fa),
            _opt(mt_adulte_c), _opt(mt_c), _opt(fa_c),
        )

    def rows(self, n):
        """Rows as tuples of CSV cells, in COLUMNS order ("" = unknown)."""
        for i in range(1, n + 1):
            yield self.row(i)


def _opt(v):
    return "" if v is None else str(v)


_BOOL = {None: "", True: "true", False: "false"}   # keys are only ever None / True / False
_SECTEUR = {1: "1", 2: "2", 3: "3"}
_SMALL = {k: str(k) for k in range(1, 6)}


def _json_value(key, cell):
    if cell == "true":
        return True
    if cell == "false":
        return False
    if key in INT_FACTS:
        return int(cell)
    return cell


def write(population, n, out, fmt):
    if fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(population.rows(n))
    else:
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        for row in population.rows(n):
            out.write(dumps({k: _json_value(k, v) for k, v in zip(COLUMNS, row) if v != ""}))
            out.write("\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=8000, help="number of contract-years (default 8000)")
    parser.add_argument("--seed", type=int, default=20240622, help="random seed (default 20240622)")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="output format")
    parser.add_argument("-o", "--output", default="-", help="output file (default: standard output)")
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be >= 0")
    population = Population(args.seed)
    if args.output == "-":
        write(population, args.rows, sys.stdout, args.format)
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            write(population, args.rows, out, args.format)
    return 0


if __name__ == "__main__":
    sys.exit(main())
