"""Runtime of compiled programs: what the code `engine.evaluate.compiler` generates calls.

The generated code keeps values as plain Python values and absences as the `engine.lang.results`
objects themselves (`NotApplicable`, `Undetermined`, `Missing`); `U` marks an empty memo slot.
The arithmetic here gives value for value and type for type what `engine.lang.values` gives (a
quotient is a Decimal when its decimal expansion is finite, else a Fraction; ints stay ints;
Decimals go through the same context), without building the intermediate Fractions:
tests/test_compile.py checks each function against `engine.lang.values` on random numbers and dates.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from math import gcd

from engine.lang.results import Missing, NotApplicable, Undetermined
from engine.lang.values import (_CTX, _DENOMINATOR, _MAGNITUDE, LIMIT_ERRORS, Duration, LimitError, add_months, add_years,
                           beyond_limits_reason, neg, round_to)

class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "U"


U = _Unset()
MS = Missing
MK = frozenset({NotApplicable, Undetermined})
ABS = frozenset({NotApplicable, Undetermined, Missing})
UND_ZERO = Undetermined("division par zéro")
UND_DATE = Undetermined("date hors du calendrier")
UND_DUR = Undetermined("durées en jours et en mois : comparaison impossible")


class _Lazy:
    """A function argument evaluated the first time the body reads it, then remembered."""

    __slots__ = ("fn", "args", "r")

    def __init__(self, fn, args) -> None:  # type: ignore[no-untyped-def]
        self.fn = fn
        self.args = args
        self.r = U

    def force(self):  # type: ignore[no-untyped-def]
        r = self.r
        if r is U:
            r = self.r = self.fn(*self.args)
        return r


class _Cell:
    """A table cell whose expression is not a constant: `fn(F, M, origin)`."""

    __slots__ = ("fn",)

    def __init__(self, fn) -> None:  # type: ignore[no-untyped-def]
        self.fn = fn


def _miss(*results: object) -> Missing:
    facts: set[str] = set()
    for r in results:
        if type(r) is Missing:
            facts |= r.facts
    return Missing(frozenset(facts))


def _fraction(n: int, d: int) -> Fraction:
    """The Fraction n/d, already in lowest terms with d > 0 (skips Fraction's own gcd)."""
    f = object.__new__(Fraction)
    f._numerator = n  # type: ignore[attr-defined]
    f._denominator = d  # type: ignore[attr-defined]
    return f


try:
    if _fraction(2, 3) != Fraction(2, 3) or hash(_fraction(2, 3)) != hash(Fraction(2, 3)):
        raise TypeError
except (AttributeError, TypeError):  # pragma: no cover - another Fraction layout
    _fraction = Fraction  # type: ignore[assignment]  # noqa: F811


def _ratio(x: object) -> tuple[int, int]:
    t = type(x)
    if t is int:
        return x, 1  # type: ignore[return-value]
    if t is Fraction:
        return x.numerator, x.denominator  # type: ignore[union-attr]
    return x.as_integer_ratio()  # type: ignore[union-attr]


def _normal(n: int, d: int) -> object:
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
    return _fraction(n, d)


def _add(a: object, b: object) -> object:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        r = a + b  # type: ignore[operator]
        if -_MAGNITUDE < r < _MAGNITUDE:
            return r
        raise LimitError
    if ta is not Fraction and tb is not Fraction:
        return _CTX.add(a, b)  # type: ignore[arg-type]
    na, da = _ratio(a)
    nb, db = _ratio(b)
    return _normal(na * db + nb * da, da * db)


def _sub(a: object, b: object) -> object:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        r = a - b  # type: ignore[operator]
        if -_MAGNITUDE < r < _MAGNITUDE:
            return r
        raise LimitError
    if ta is not Fraction and tb is not Fraction:
        return _CTX.subtract(a, b)  # type: ignore[arg-type]
    na, da = _ratio(a)
    nb, db = _ratio(b)
    return _normal(na * db - nb * da, da * db)


def _mul(a: object, b: object) -> object:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        r = a * b  # type: ignore[operator]
        if -_MAGNITUDE < r < _MAGNITUDE:
            return r
        raise LimitError
    if ta is not Fraction and tb is not Fraction:
        return _CTX.multiply(a, b)  # type: ignore[arg-type]
    na, da = _ratio(a)
    nb, db = _ratio(b)
    return _normal(na * nb, da * db)


def _div(a: object, b: object) -> object:
    if b == 0:
        raise ZeroDivisionError
    na, da = _ratio(a)
    nb, db = _ratio(b)
    n, d = na * db, da * nb
    if d < 0:
        n, d = -n, -d
    return _normal(n, d)


def _round(v: object, quantum: Decimal, truncate: bool, qn: int, qd: int) -> Decimal:
    """`values.round_to`, with the quantum's ratio qn/qd computed once."""
    if type(v) is Fraction:
        n, d = v.numerator, v.denominator
        steps_n, steps_d = abs(n) * qd, d * qn
        whole = steps_n // steps_d if truncate else (2 * steps_n + steps_d) // (2 * steps_d)
        return _CTX.multiply(Decimal(-whole if n < 0 else whole), quantum)
    return round_to(v, quantum, truncate)  # type: ignore[arg-type]


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


def _date_arith(op: str, a: object, b: object) -> object:
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return Duration(days=(a - b).days)
    if isinstance(a, dt.date):
        s = b if op == "+" else -b  # type: ignore[operator]
        return _shift(a, s.years, s.months, s.days)  # type: ignore[union-attr]
    return _shift(b, a.years, a.months, a.days)  # type: ignore[union-attr,arg-type]


def _duration_arith(op: str, a: object, b: object) -> Duration:
    if op == "×":
        return a.scaled(b) if isinstance(a, Duration) else b.scaled(a)  # type: ignore[union-attr,arg-type]
    return a + (b if op == "+" else -b)  # type: ignore[operator]


def _beyond(origin: str | None) -> Undetermined:
    """The result of a calculation that left the limits of exact arithmetic, in rule `origin`."""
    return Undetermined(beyond_limits_reason(origin), origin)


def _arith(op: str, a: object, b: object, origin: str | None = None) -> object:
    """The interpreter's `_arith`, returning the plain value or the Undetermined."""
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
        return _beyond(origin)


def _compare(op: str, a: object, b: object) -> object:
    """The interpreter's `_compare`, returning the plain bool or the Undetermined."""
    if isinstance(a, Duration) or isinstance(b, Duration):
        ka, kb = a.comparable_key(), b.comparable_key()  # type: ignore[union-attr]
        if ka is None or kb is None or ka[0] != kb[0]:
            return UND_DUR
        a, b = ka[1], kb[1]
    if op == "=":
        return a == b
    if op == "≠":
        return a != b
    if op == "<":
        return a < b  # type: ignore[operator]
    if op == "≤":
        return a <= b  # type: ignore[operator]
    if op == ">":
        return a > b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]


def _no_version(name: str, date: dt.date) -> NotApplicable:
    return NotApplicable(f"aucune version de « {name} » n'est en vigueur au {date:%d/%m/%Y}", name)


def _no_table_version(name: str, date: dt.date) -> NotApplicable:
    return NotApplicable(f"aucune version de la table « {name} » n'est en vigueur au {date:%d/%m/%Y}", name)


def _no_cell(name: str, *args: object) -> Undetermined:
    shown = ", ".join(str(a) for a in args)
    return Undetermined(f"aucune case de la table « {name} » ne correspond à ({shown})", name)


def _no_text(name: str, date: dt.date) -> NotApplicable:
    return NotApplicable(f"aucune version de « {name} » au {date:%d/%m/%Y}", name)


NAMESPACE: dict[str, object] = {
    "U": U, "MS": MS, "MK": MK, "ABS": ABS, "UND_ZERO": UND_ZERO, "UND_DATE": UND_DATE,
    "_Lazy": _Lazy, "_Cell": _Cell, "_miss": _miss, "_arith": _arith,
    "_date_arith": _date_arith, "_duration_arith": _duration_arith, "_compare": _compare,
    "_no_version": _no_version, "_no_table_version": _no_table_version, "_no_cell": _no_cell,
    "_no_text": _no_text, "NotApplicable": NotApplicable, "Undetermined": Undetermined,
    "Missing": Missing, "Duration": Duration, "_add": _add, "_sub": _sub, "_mul": _mul, "_div": _div,
    "_round": _round, "_years": _years, "_months": _months, "_days": _days, "_shift": _shift,
    "LIMITS": LIMIT_ERRORS, "LIM": _MAGNITUDE, "_beyond": _beyond, "_neg": neg,
}
