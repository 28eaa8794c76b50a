"""The schedule (`regles echeancier`): one evaluation per value of the axis the rule file declares.

The rule file says which integer fact is the axis (e.g. `annee_contrat de 1 à 5`), which results
to show per row and which to total; this module knows nothing about contracts. A fact that varies
along the axis is given as an object keyed by axis values (`{"3": 2905, "4": 3010}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from attrs import frozen

from engine.api import Outcome, Ruleset
from engine.base.diagnostics import EngineError
from engine.lang.results import Result, Value
from engine.lang.values import LIMIT_ERRORS, Number, add, beyond_limits_reason


@frozen
class ScheduleRow:
    """One value of the axis and the results of its columns."""

    axis_value: int
    outcome: Outcome
    results: Mapping[str, Result]


@frozen
class Schedule:
    """Every row, and for each totalled column its total (None when a row has no value)."""

    axis: str
    columns: tuple[str, ...]
    rows: tuple[ScheduleRow, ...]
    totals: Mapping[str, object]
    incomplete: Mapping[str, str]


def facts_for(facts: Mapping[str, object], axis_value: int) -> dict[str, object]:
    """The facts of one row: a fact given as an object keyed by axis values (for instance measured
    values per contract year, `{"3": 2905, "4": 3010}`) takes its value for this row, or is left out."""
    row: dict[str, object] = {}
    for name, value in facts.items():
        if isinstance(value, Mapping):
            if str(axis_value) in value:
                row[name] = value[str(axis_value)]
        else:
            row[name] = value
    return row


def _check_axis_keys(facts: Mapping[str, object], axis: str, first: int, last: int) -> None:
    from engine.inputs.facts import check_axis_keys
    check_axis_keys(facts, axis, first, last)


def schedule(ruleset: Ruleset, facts: object) -> Schedule:
    """Evaluate the declared columns for every value of the declared axis (`facts` should be a mapping
    of names to values, as read from JSON; anything else is reported as `engine.inputs.facts.validate`
    reports it).

    Raises:
        EngineError: the rule file declares no schedule.
        FactsError: the facts are invalid.
    """
    if not isinstance(facts, Mapping):
        from engine.inputs.facts import FactProblem, FactsError
        raise FactsError([FactProblem("(faits)", "un objet nom → valeur", type(facts).__name__)])
    spec = ruleset.program.schedule
    if spec is None:
        raise EngineError("ce fichier de règles ne déclare pas d'échéancier (bloc « échéancier … fin »)")
    _check_axis_keys(facts, spec.axis, spec.first, spec.last)
    columns = tuple(dict.fromkeys(spec.columns + spec.totals))
    rows = []
    for k in range(spec.first, spec.last + 1):
        outcome = ruleset.evaluate({**facts_for(facts, k), spec.axis: k}, outputs=columns)
        rows.append(ScheduleRow(k, outcome, {c: outcome.result(c) for c in columns}))
    totals: dict[str, object] = {}
    incomplete: dict[str, str] = {}
    for name in spec.totals:
        total: Number = 0
        for row in rows:
            r = row.results[name]
            if isinstance(r, Value):
                if not isinstance(r.value, int | Decimal | Fraction):
                    raise TypeError(f"a total of {name} adds {r.value!r}, which is not a number")
                try:
                    total = add(total, r.value)
                except LIMIT_ERRORS:
                    incomplete[name] = f"{spec.axis} = {row.axis_value} : {beyond_limits_reason(None)}"
                    break
            else:
                incomplete[name] = f"{spec.axis} = {row.axis_value} : " + (
                    getattr(r, "reason", None) or "faits manquants : " + ", ".join(sorted(getattr(r, "facts", ()))))
                break
        if name not in incomplete:
            totals[name] = total
    return Schedule(spec.axis, columns, tuple(rows), totals, incomplete)
