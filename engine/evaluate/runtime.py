"""The value operations of the language: the one place that says what `+`, `<`, `date + durée`
and the absence markers mean.

Both evaluators use it: the reference interpreter (`engine.evaluate.reference`), which wraps each
result as a `Value`, and the generated code (`engine.evaluate.generator`), which keeps plain Python
values in its variables. So every function here takes plain values and returns either a plain
value or the absence object itself (`NotApplicable`, `Undetermined`, `Missing`); `U` marks an empty
memo slot of generated code. Values are wrapped as `Value` only where they leave the engine.

The arithmetic gives value for value and type for type what `engine.lang.values` gives (a quotient
is a Decimal when its decimal expansion is finite, else a Fraction; ints stay ints; Decimals go
through the same context), without building the intermediate Fractions: tests/test_compile.py and
tests/test_bounds.py check each function against `engine.lang.values` on random numbers and dates.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from math import gcd
from typing import Any, Final

from engine.evaluate.trace import Event, record
from engine.lang.kinds import MarkerKind
from engine.lang.results import Missing, NotApplicable, Result, Undetermined, Value
from engine.lang.values import (
    _CTX,
    _DENOMINATOR,
    _MAGNITUDE,
    LIMIT_ERRORS,
    Duration,
    LimitError,
    Number,
    add_months,
    add_years,
    beyond_limits_reason,
    neg,
    round_to,
)

Plain = Any
"""A plain runtime value (int, Decimal, Fraction, bool, date, str, Duration) or an absence object:
what the type checker cannot follow through generated code, named so that signatures say it."""


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "U"


U: Final = _Unset()
MS = Missing
MK = frozenset({NotApplicable, Undetermined})
ABS = frozenset({NotApplicable, Undetermined, Missing})
UND_ZERO = Undetermined("division par zéro")
UND_DATE = Undetermined("date hors du calendrier")
UND_DUR = Undetermined("durées en jours et en mois : comparaison impossible")


def is_absent(r: Plain) -> bool:
    """Whether a plain result is an absence (a marker or missing facts) rather than a value."""
    return type(r) in ABS


def wrap(r: Plain) -> Result:
    """A plain result as the engine gives it out: the absence itself, or the value in a `Value`."""
    return r if type(r) in ABS else Value(r)


class Lazy:
    """A function argument evaluated the first time the body reads it, then remembered (call by need)."""

    __slots__ = ("args", "fn", "r")

    def __init__(self, fn: Callable[..., Plain], args: tuple[Plain, ...]) -> None:
        self.fn = fn
        self.args = args
        self.r: Plain = U

    def force(self) -> Plain:
        r = self.r
        if r is U:
            r = self.r = self.fn(*self.args)
        return r


class Cell:
    """A table cell whose expression is not a constant: `fn(F, M, origin)`."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[..., Plain]) -> None:
        self.fn = fn


# ─── Absences ────────────────────────────────────────────────────────────────────────────────

def missing_of(*results: Plain) -> Missing:
    """The facts missing from any of `results`, as one `Missing` (they accumulate)."""
    facts: set[str] = set()
    for r in results:
        if type(r) is Missing:
            facts |= r.facts
    return Missing(frozenset(facts))


def beyond(origin: str | None) -> Undetermined:
    """The result of a calculation that left the limits of exact arithmetic, in rule `origin`."""
    return Undetermined(beyond_limits_reason(origin), origin)


def no_version(name: str, date: dt.date) -> NotApplicable:
    return NotApplicable(f"aucune version de « {name} » n'est en vigueur au {date:%d/%m/%Y}", name)


def no_table_version(name: str, date: dt.date) -> NotApplicable:
    return NotApplicable(f"aucune version de la table « {name} » n'est en vigueur au {date:%d/%m/%Y}", name)


def no_cell(name: str, *args: Plain) -> Undetermined:
    shown = ", ".join(str(a) for a in args)
    return Undetermined(f"aucune case de la table « {name} » ne correspond à ({shown})", name)


def no_text(name: str, date: dt.date) -> NotApplicable:
    return NotApplicable(f"aucune version de « {name} » au {date:%d/%m/%Y}", name)


def guard_refused(guard_name: str, reason: str | None, origin: str) -> NotApplicable:
    """A `si` guard that does not hold: the definition does not apply."""
    return NotApplicable(reason or f"la condition « {guard_name} » n'est pas remplie", origin)


def marker(kind: MarkerKind, reason: str, origin: str | None) -> NotApplicable | Undetermined:
    """`non applicable "…"` or `indéterminé "…"` written in a rule."""
    return NotApplicable(reason, origin) if kind == MarkerKind.NOT_APPLICABLE else Undetermined(reason, origin)


DURATION_FIELDS = {"jours": "days", "mois": "months", "ans": "years"}


def duration_of(unit: str, amount: int) -> Duration:
    """`n jours|mois|ans`."""
    return Duration(**{DURATION_FIELDS[unit]: amount})


# ─── Numbers ─────────────────────────────────────────────────────────────────────────────────

def _fraction(n: int, d: int) -> Fraction:
    """The Fraction n/d, already in lowest terms with d > 0 (skips Fraction's own gcd)."""
    f = object.__new__(Fraction)
    setattr(f, "_numerator", n)  # noqa: B010 - Fraction's private slots, checked below
    setattr(f, "_denominator", d)  # noqa: B010
    return f


def _checked_fraction(n: int, d: int) -> Fraction:
    return Fraction(n, d)


try:
    if _fraction(2, 3) != Fraction(2, 3) or hash(_fraction(2, 3)) != hash(Fraction(2, 3)):
        raise TypeError
    _make_fraction = _fraction
except (AttributeError, TypeError):  # pragma: no cover - another Fraction layout
    _make_fraction = _checked_fraction


def _ratio(x: Number) -> tuple[int, int]:
    if type(x) is int:
        return x, 1
    if type(x) is Fraction:
        return x.numerator, x.denominator
    return x.as_integer_ratio()


def _normal(n: int, d: int) -> Number:
    """n/d (d > 0) reduced, as `values.normalise(Fraction(n, d))` (the same limits, LimitError beyond)."""
    g = gcd(n, d)
    if g != 1:
        n //= g
        d //= g
    if d >= _DENOMINATOR or not -_MAGNITUDE * d < n < _MAGNITUDE * d:
        raise LimitError
    x = d >> ((d & -d).bit_length() - 1)
    while not x % 5:
        x //= 5
    if x == 1:
        return _CTX.divide(Decimal(n), Decimal(d))
    return _make_fraction(n, d)


def _exact(int_op: Callable[[int, int], int], decimal_op: Callable[[Decimal, Decimal], Decimal],
           common_denominator: bool) -> Callable[[Plain, Plain], Number]:
    """`+`, `-` or `×` on numbers: ints by `int_op` (within the limits), Decimals by the shared
    context's `decimal_op`, and any Fraction operand by the ratios, whose numerators are first
    brought to the common denominator for `+` and `-` (`common_denominator`), not for `×`.

    One body for the three operators, built once: the operator functions are closure cells, so a
    call costs what a hand-written `_add` costs (no extra Python call per operation)."""
    def apply(a: Plain, b: Plain) -> Number:
        ta, tb = type(a), type(b)
        if ta is int and tb is int:
            r = int_op(a, b)
            if -_MAGNITUDE < r < _MAGNITUDE:
                return r
            raise LimitError
        if ta is not Fraction and tb is not Fraction:
            return decimal_op(a, b)
        na, da = _ratio(a)
        nb, db = _ratio(b)
        if common_denominator:
            na, nb = na * db, nb * da
        return _normal(int_op(na, nb), da * db)
    return apply


_add: Final = _exact(operator.add, _CTX.add, common_denominator=True)
_sub: Final = _exact(operator.sub, _CTX.subtract, common_denominator=True)
_mul: Final = _exact(operator.mul, _CTX.multiply, common_denominator=False)


def _div(a: Plain, b: Plain) -> Number:
    if b == 0:
        raise ZeroDivisionError
    na, da = _ratio(a)
    nb, db = _ratio(b)
    n, d = na * db, da * nb
    if d < 0:
        n, d = -n, -d
    return _normal(n, d)


def _round(v: Plain, quantum: Decimal, truncate: bool, qn: int, qd: int) -> Decimal:
    """`values.round_to`, with the quantum's ratio qn/qd computed once."""
    if type(v) is Fraction:
        n, d = v.numerator, v.denominator
        steps_n, steps_d = abs(n) * qd, d * qn
        whole = steps_n // steps_d if truncate else (2 * steps_n + steps_d) // (2 * steps_d)
        return _CTX.multiply(Decimal(-whole if n < 0 else whole), quantum)
    return round_to(v, quantum, truncate)


def rounded(v: Plain, quantum: Decimal, truncate: bool, integer: bool, origin: str | None) -> Plain:
    """`arrondi`: the value rounded to `quantum` (an int for an `entier`), or beyond the limits."""
    qn, qd = quantum.as_integer_ratio()
    try:
        r = _round(v, quantum, truncate, qn, qd)
        return int(r) if integer else r
    except LIMIT_ERRORS:  # 99 999 999 999 999 999 999,6 à l'euro reaches 10²⁰
        return beyond(origin)


# ─── Dates and durations ─────────────────────────────────────────────────────────────────────

def _years(d: dt.date, n: int) -> dt.date:
    """`values.add_years` (29/02 → 28/02), trying the common case first."""
    if not n:
        return d
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return add_years(d, n)


def _months(d: dt.date, n: int) -> dt.date:
    return add_months(d, n) if n else d


def _days(d: dt.date, n: int) -> dt.date:
    return d + dt.timedelta(days=n) if n else d


def _shift(d: dt.date, years: int, months: int, days: int) -> dt.date:
    """`values.shift`: years, then months, then days."""
    if years:
        d = _years(d, years)
    if months:
        d = add_months(d, months)
    if days:
        d = d + dt.timedelta(days=days)
    return d


def _date_arith(op: str, a: Plain, b: Plain) -> dt.date | Duration:
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return Duration(days=(a - b).days)
    if isinstance(a, dt.date):
        s: Duration = b if op == "+" else -b
        return _shift(a, s.years, s.months, s.days)
    return _shift(b, a.years, a.months, a.days)


def _duration_arith(op: str, a: Plain, b: Plain) -> Duration:
    if op == "×":
        return a.scaled(b) if isinstance(a, Duration) else b.scaled(a)
    r: Duration = a + (b if op == "+" else -b)
    return r


# ─── Operators ───────────────────────────────────────────────────────────────────────────────

def arith(op: str, a: Plain, b: Plain, origin: str | None = None) -> Plain:
    """`a op b` (`+ - × /`) on values: the plain result, or the Undetermined saying why there is none."""
    try:
        if isinstance(a, dt.date) or isinstance(b, dt.date):
            return _date_arith(op, a, b)
        if isinstance(a, Duration) or isinstance(b, Duration):
            return _duration_arith(op, a, b)
        if op == "+":
            return _add(a, b)
        if op == "-":
            return _sub(a, b)
        if op == "×":
            return _mul(a, b)
        return _div(a, b)
    except ZeroDivisionError:
        return UND_ZERO
    except (OverflowError, ValueError):
        return UND_DATE
    except LIMIT_ERRORS:
        return beyond(origin)


def compare(op: str, a: Plain, b: Plain) -> Plain:
    """`a op b` (`= ≠ < ≤ > ≥`) on values: the bool, or the Undetermined of incomparable durations."""
    if isinstance(a, Duration) or isinstance(b, Duration):
        ka, kb = a.comparable_key(), b.comparable_key()
        if ka is None or kb is None or ka[0] != kb[0]:
            return UND_DUR
        a, b = ka[1], kb[1]
    if op == "=":
        return a == b
    if op == "≠":
        return a != b
    if op == "<":
        return a < b
    if op == "≤":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def extremum(name: str, values: list[Plain]) -> Plain:
    """`min(…)` / `max(…)` of values."""
    return min(values) if name == "min" else max(values)


# ─── What traced generated code calls ────────────────────────────────────────────────────────

def shown_argument(a: Plain) -> Plain:
    """What a function event shows of an argument: its value if the function read it, else None."""
    r = a.r if type(a) is Lazy else a
    return None if r is U or type(r) in ABS else r


NAMESPACE: dict[str, object] = {
    "U": U, "MS": MS, "MK": MK, "ABS": ABS, "UND_ZERO": UND_ZERO, "UND_DATE": UND_DATE,
    "_Lazy": Lazy, "_Cell": Cell, "_miss": missing_of, "_arith": arith,
    "_date_arith": _date_arith, "_duration_arith": _duration_arith, "_compare": compare,
    "_no_version": no_version, "_no_table_version": no_table_version, "_no_cell": no_cell,
    "_no_text": no_text, "NotApplicable": NotApplicable, "Undetermined": Undetermined,
    "Missing": Missing, "Duration": Duration, "_add": _add, "_sub": _sub, "_mul": _mul, "_div": _div,
    "_round": _round, "_years": _years, "_months": _months, "_days": _days, "_shift": _shift,
    "LIMITS": LIMIT_ERRORS, "LIM": _MAGNITUDE, "_beyond": beyond, "_neg": neg,
    "_res": wrap, "_rec": record, "_arg": shown_argument, "Event": Event,
    "B_ALORS": {"branch": "alors"}, "B_SINON": {"branch": "sinon"},
    "B_DEUX": {"branch": "les deux"}, "B_NONE": {"branch": None},
}
"""The names generated code sees, besides its own constants."""
