"""Generated doctors for the "why not" tests: fact sets that make each eligibility condition of the
two rule files true or false in varied ways (sector and OPTAM, specialty with or without a clinical
fees share, département, activity by patient count, children share or percentile, grouped and
coordinated practice, option and zone, second-assistant conditions).

A seeded `random.Random` draws each fact from values on both sides of every threshold the rule files
compare it with (640 and 775 patients, 20 %, 80 %, the 30th percentile), so the same doctors come
out on every run and every combination of true and false conditions is reached.
"""

from __future__ import annotations

import datetime as dt
import random

SPECIALTIES = ["medecine_generale", "pediatrie", "cardiologie", "gynecologie", "gastro_enterologie",
               "ophtalmologie", "psychiatrie", "dermatologie", "neurologie", "chirurgie", "orl",
               "radiologie", "radiotherapie", "stomatologie", "anesthesie", "anatomo_cyto_pathologie",
               "medecine_nucleaire", "autre_specialite"]
OPTIONS = ["tiers_temps", "mi_temps", "temps_plein", "temps_plein_et_mi_temps", "double_temps_plein"]
DEPARTMENTS = ["48", "08", "75", "2A", "971", "13", "91"]
WINDOWS = {"avenant7": (dt.date(2019, 8, 20), dt.date(2023, 4, 30)),
           "convention2024": (dt.date(2024, 6, 22), dt.date(2026, 6, 30))}


def doctor(rng: random.Random, window: str) -> dict[str, object]:
    """One doctor whose contract was signed in `window` (a key of WINDOWS), as JSON facts."""
    start, end = WINDOWS[window]
    signed = start + dt.timedelta(days=rng.randrange((end - start).days + 1))
    option = rng.choice(OPTIONS if window == "convention2024" else OPTIONS[:3])
    return {
        "specialite": rng.choice(SPECIALTIES),
        "secteur": rng.choice([1, 1, 2, 2, 3]),
        "optam": rng.random() < 0.5,
        "departement": rng.choice(DEPARTMENTS),
        "departement_sous_dote": rng.random() < 0.3,
        "zone": rng.choice(["zip", "zac", "hors_zone"]),
        "rqth": rng.random() < 0.15,
        "nouvel_installe": rng.random() < 0.2,
        "part_moins_16_ans": rng.choice(["0.05", "0.12", "0.2", "0.21", "0.35"]),
        "patientele_mt_adulte": rng.choice([300, 599, 640, 641, 900, 1500]),
        "patientele_mt": rng.choice([400, 720, 775, 776, 1100, 2000]),
        "percentile_file_active": rng.choice([10, 25, "29.5", 30, 45, 80]),
        "part_honoraires_cliniques": rng.choice(["0.5", "0.72", "0.79", "0.8", "0.95"]),
        "exercice_regroupe": rng.random() < 0.6,
        "exercice_coordonne": rng.random() < 0.5,
        "engagement_exercice_coordonne": rng.random() < 0.5,
        "option": option,
        "mep": rng.random() < 0.3,
        "anciennete_contrat_temps_plein": rng.choice([1, 2, 3, 4]),
        "objectifs_atteints": rng.random() < 0.6,
        "date_signature": signed.isoformat(),
        "date_embauche": signed.isoformat(),
        "annee_contrat": 1,
    }


def doctors(seed: int, count: int, window: str) -> list[dict[str, object]]:
    """`count` doctors drawn with a fixed seed."""
    rng = random.Random(seed)
    return [doctor(rng, window) for _ in range(count)]
