"""Dates and durations in SQL, as `engine.lang.values` computes them.

`date + durée` adds the years, then the months, then the days (`values.shift`): adding years or
months keeps the day, clamped to the month's last day (29/02 + 1 an = 28/02), which is what
DuckDB's and Spark's month arithmetic does, one step at a time. A date outside years 1 to 9999
(Python's calendar) is *indéterminé*, « date hors du calendrier », as on the reference path.
"""

from __future__ import annotations

MAX_DAYS = 3_700_000
"""Beyond this many days (or the same in months or years) no date stays within years 1 to 9999."""


def date_shift(date: str, days: str, months: str, years: str, sign: str) -> tuple[str, str]:
    """(the shifted date, a condition that holds when it leaves the calendar)."""
    limits = ((years, 10000), (months, 120000), (days, MAX_DAYS))
    tests = [f"abs({x}) > {limit}" for x, limit in limits if not x.lstrip("-").isdigit()]
    tests += ["TRUE" for x, limit in limits if x.lstrip("-").isdigit() and abs(int(x)) > limit]
    out = " OR ".join(tests) or "FALSE"
    step = date
    for amount, function in ((years, "to_years"), (months, "to_months")):
        if amount == "0":
            continue
        moved = f"CAST({step} + {function}(CAST({sign}{amount} AS INTEGER)) AS DATE)"
        # a literal amount is not 0 here: no test on every row
        step = moved if amount.lstrip("-").isdigit() else f"CASE WHEN {amount} = 0 THEN {step} ELSE {moved} END"
    if days != "0":
        step = f"CAST({step} + to_days(CAST({sign}{days} AS INTEGER)) AS DATE)"
    shifted = step if out == "FALSE" else f"CASE WHEN {out} THEN NULL ELSE {step} END"
    return shifted, out


def calendar_check(date: str) -> str:
    """Whether a computed date is outside Python's calendar (years 1 to 9999)."""
    return f"(year({date}) < 1 OR year({date}) > 9999)"


def date_text(date: str) -> str:
    """`f"{date:%d/%m/%Y}"`."""
    return f"strftime({date}, '%d/%m/%Y')"


def duration_key(days: str, months: str, years: str) -> tuple[str, str]:
    """`Duration.comparable_key`: (kind 'j' or 'm', NULL when mixed; the number)."""
    kind = f"CASE WHEN {days} <> 0 AND ({months} <> 0 OR {years} <> 0) THEN NULL WHEN {days} <> 0 THEN 'j' ELSE 'm' END"
    amount = f"CASE WHEN {days} <> 0 THEN {days} ELSE {months} + 12 * {years} END"
    return kind, amount


def duration_compare(op: str, a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, str]:
    """(the comparison, a condition that holds when the two durations do not compare)."""
    ka, va = duration_key(*a)
    kb, vb = duration_key(*b)
    return f"({va} {op} {vb})", f"({ka} IS NULL OR {kb} IS NULL OR {ka} <> {kb})"


def _part(amount: str, one: str, many: str) -> str:
    return f"CAST({amount} AS VARCHAR) || ' ' || CASE WHEN abs({amount}) > 1 THEN '{many}' ELSE '{one}' END"


def duration_text(days: str, months: str, years: str) -> str:
    """`str(Duration)`: `1 an 2 mois 3 jours`, `0 jour`."""
    y = f"CASE WHEN {years} <> 0 THEN {_part(years, 'an', 'ans')} END"
    m = f"CASE WHEN {months} <> 0 THEN CAST({months} AS VARCHAR) || ' mois' END"
    d = (f"CASE WHEN {days} <> 0 OR ({years} = 0 AND {months} = 0) THEN {_part(days, 'jour', 'jours')} END")
    return f"concat_ws(' ', {y}, {m}, {d})"
