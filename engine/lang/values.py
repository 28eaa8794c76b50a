"""Runtime values of the rule language and exact arithmetic on them.

Numbers are `int` (entier) or `Decimal`; a division whose quotient has no finite decimal
expansion yields a `Fraction`, so a rate such as 125/221 stays exact until a rule rounds it
(model.md §7.11: "the rate kept exact, never rounded first"). Binary floats never appear.
Dates follow model.md §1: `+ n mois` keeps the day, clamped to the month's last day; `+ n ans`
keeps day and month, 29/02 becoming 28/02 in a common year.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DecimalException,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Subnormal,
)
from fractions import Fraction

from attrs import frozen

Number = int | Decimal | Fraction

# ─── Limits ──────────────────────────────────────────────────────────────────────────────────
# Exact arithmetic has no natural bound: forty squarings of 3 make a number of 10¹⁹ digits, and
# a fact of three million digits makes each addition slow. No law needs more than this, so every
# number a rule computes stays within it, and a calculation that would leave it gives *indéterminé*
# (the evaluator says so, naming the rule), never a hang or a silently rounded figure.

MAGNITUDE_DIGITS = 20
"""Every number is below 10²⁰ in absolute value (a hundred billion billion euros)."""
SIGNIFICANT_DIGITS = 40
"""A decimal has at most 40 significant digits; its smallest non-zero magnitude is 10⁻⁴⁰."""
SMALLEST_EXPONENT = -40
FRACTION_DIGITS = 40
"""A fraction that has no decimal form (125/221) has a denominator below 10⁴⁰."""

_MAGNITUDE = 10 ** MAGNITUDE_DIGITS
_DENOMINATOR = 10 ** FRACTION_DIGITS

_CTX = Context(prec=SIGNIFICANT_DIGITS, Emax=MAGNITUDE_DIGITS - 1, Emin=SMALLEST_EXPONENT,
               traps=[InvalidOperation, DivisionByZero, Overflow, Inexact, Subnormal])
"""The context of every decimal operation: a result that would need rounding (more than 40 significant
digits), that reaches 10²⁰, or that falls below 10⁻⁴⁰ raises instead. Within these limits the sum or
product of two numbers is exact."""


_ROUNDING = Context(prec=SIGNIFICANT_DIGITS, Emax=MAGNITUDE_DIGITS - 1, Emin=SMALLEST_EXPONENT,
                    traps=[InvalidOperation, DivisionByZero, Overflow])
"""The context of `round_to`'s quantize, whose very purpose is to drop digits (Inexact is its job)."""


class LimitError(ArithmeticError):
    """A number would leave the limits of exact arithmetic (`MAGNITUDE_DIGITS`, `SIGNIFICANT_DIGITS`…)."""


LIMIT_ERRORS = (LimitError, DecimalException)
"""What an operation raises when its result leaves the limits (after `ZeroDivisionError`, which
`DivisionByZero` also is, has been handled)."""

LIMITS_TEXT = f"moins de 10²⁰ en valeur absolue, {SIGNIFICANT_DIGITS} chiffres significatifs au plus"


def beyond_limits_reason(name: str | None) -> str:
    """The French reason of a result that left the limits, naming the rule where it happened."""
    what = f"le calcul de « {name} »" if name else "un calcul"
    return f"{what} dépasse les limites du calcul exact ({LIMITS_TEXT})"


def check_int(value: int) -> int:
    """An integer result, or LimitError when it reaches 10²⁰ in absolute value."""
    if -_MAGNITUDE < value < _MAGNITUDE:
        return value
    raise LimitError


def neg(value: Number) -> Number:
    """Exact −value (a Decimal through the bounded context, not the thread's default one)."""
    return _CTX.minus(value) if isinstance(value, Decimal) else -value


# ─── Literals ────────────────────────────────────────────────────────────────────────────────

def parse_number(text: str) -> int | Decimal:
    """Parse a French number literal: `12 000`, `7,5`, `0.8` → int or Decimal."""
    cleaned = "".join(ch for ch in text if ch not in " \u00a0\u202f").replace(",", ".")
    if "." in cleaned:
        return Decimal(cleaned)
    return int(cleaned)


def parse_date(text: str) -> dt.date:
    """Parse `jj/mm/aaaa`; raises ValueError for an impossible date such as 31/02/2024."""
    day, month, year = (int(part) for part in text.split("/"))
    return dt.date(year, month, day)


# ─── Durations and dates ─────────────────────────────────────────────────────────────────────

@frozen(order=False)
class Duration:
    """A calendar duration: years, months and days are kept apart (a month has no fixed length)."""

    days: int = 0
    months: int = 0
    years: int = 0

    def __neg__(self) -> Duration:
        return Duration(-self.days, -self.months, -self.years)

    def __add__(self, other: Duration) -> Duration:
        return Duration(check_int(self.days + other.days), check_int(self.months + other.months),
                        check_int(self.years + other.years))

    def scaled(self, factor: int) -> Duration:
        """Multiply every component by an integer (LimitError from 10²⁰ on, as for numbers)."""
        return Duration(check_int(self.days * factor), check_int(self.months * factor),
                        check_int(self.years * factor))

    def comparable_key(self) -> tuple[str, int] | None:
        """A key to compare durations: only pure day counts, or pure month/year counts, compare."""
        if self.days and (self.months or self.years):
            return None
        if self.days:
            return ("jours", self.days)
        return ("mois", self.months + 12 * self.years)

    def __str__(self) -> str:
        parts = []
        if self.years:
            parts.append(f"{self.years} an{'s' if abs(self.years) > 1 else ''}")
        if self.months:
            parts.append(f"{self.months} mois")
        if self.days or not parts:
            parts.append(f"{self.days} jour{'s' if abs(self.days) > 1 else ''}")
        return " ".join(parts)


def add_years(date: dt.date, years: int) -> dt.date:
    """Same day and month `years` later; 29/02 becomes 28/02 when the target year has none."""
    year = date.year + years
    day = min(date.day, calendar.monthrange(year, date.month)[1])
    return date.replace(year=year, day=day)


def add_months(date: dt.date, months: int) -> dt.date:
    """Same day `months` later, clamped to the last day of the target month (31/01 + 1 mois = 28/02)."""
    index = date.year * 12 + (date.month - 1) + months
    year, month = divmod(index, 12)
    day = min(date.day, calendar.monthrange(year, month + 1)[1])
    return dt.date(year, month + 1, day)


def shift(date: dt.date, duration: Duration) -> dt.date:
    """Add a duration to a date: years, then months, then days. Raises OverflowError/ValueError."""
    if duration.years:
        date = add_years(date, duration.years)
    if duration.months:
        date = add_months(date, duration.months)
    if duration.days:
        date = date + dt.timedelta(days=duration.days)
    return date


# ─── Exact arithmetic ────────────────────────────────────────────────────────────────────────

def _finite_decimal(q: Fraction) -> bool:
    """Whether a fraction has a finite decimal expansion (denominator of the form 2^a·5^b)."""
    d = q.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def normalise(q: Fraction) -> Decimal | Fraction:
    """A Fraction as an exact Decimal when it has one, else the Fraction itself.

    Raises LimitError (or a decimal signal) when it is beyond the limits."""
    if q.denominator >= _DENOMINATOR or not -_MAGNITUDE * q.denominator < q.numerator < _MAGNITUDE * q.denominator:
        raise LimitError
    if _finite_decimal(q):
        return _CTX.divide(Decimal(q.numerator), Decimal(q.denominator))
    return q


def add(a: Number, b: Number) -> Number:
    """Exact a + b."""
    if isinstance(a, Fraction) or isinstance(b, Fraction):
        return normalise(Fraction(a) + Fraction(b))
    if isinstance(a, int) and isinstance(b, int):
        return check_int(a + b)
    return _CTX.add(Decimal(a), Decimal(b))


def sub(a: Number, b: Number) -> Number:
    """Exact a − b."""
    if isinstance(a, Fraction) or isinstance(b, Fraction):
        return normalise(Fraction(a) - Fraction(b))
    if isinstance(a, int) and isinstance(b, int):
        return check_int(a - b)
    return _CTX.subtract(Decimal(a), Decimal(b))


def mul(a: Number, b: Number) -> Number:
    """Exact a × b."""
    if isinstance(a, Fraction) or isinstance(b, Fraction):
        return normalise(Fraction(a) * Fraction(b))
    if isinstance(a, int) and isinstance(b, int):
        return check_int(a * b)
    return _CTX.multiply(Decimal(a), Decimal(b))


def div(a: Number, b: Number) -> Number:
    """Exact a / b (b ≠ 0): a Decimal when finite, else a Fraction. Raises ZeroDivisionError."""
    if b == 0:
        raise ZeroDivisionError
    return normalise(Fraction(a) / Fraction(b))



ROUNDING_UNITS: dict[str, Decimal] = {
    "centime": Decimal("0.01"), "euro": Decimal("1"), "entier": Decimal("1"),
    "dizaine": Decimal("10"), "centaine": Decimal("100"), "millier": Decimal("1000"),
}
"""Named rounding steps: `arrondi au centime`, `tronqué à l'euro`, `arrondi au millier`…"""


def round_to(value: Number, quantum: Decimal, truncate: bool) -> Decimal:
    """Round to a multiple of `quantum`: half away from zero (half up), or toward zero."""
    if isinstance(value, Fraction):
        steps = abs(value) / Fraction(quantum)
        whole = math.floor(steps) if truncate else math.floor(steps + Fraction(1, 2))
        sign = -1 if value < 0 else 1
        return _CTX.multiply(Decimal(sign * whole), quantum)
    mode = ROUND_DOWN if truncate else ROUND_HALF_UP
    # quantize() keeps the exponent of its argument, not its value: Decimal("10") has exponent 0,
    # so rounding to a multiple of 10, 100 or 1000 goes through the number of steps instead.
    count = _CTX.divide(Decimal(value), quantum).quantize(Decimal(1), rounding=mode, context=_ROUNDING)
    return _CTX.multiply(count, quantum)


def unsigned_zero(number: Decimal) -> Decimal:
    """The number, without the sign a Decimal zero keeps (`-0,5 × 0` is `-0.0`): every text of a value
    (`to_decimal`, `engine.lang.formatting`, results files, JSON) shows zero as `0`, as the SQL engine does."""
    return number if number else number.copy_abs()


def to_decimal(value: Number) -> Decimal:
    """A number as a Decimal for callers; a non-terminating Fraction gets 28 significant digits."""
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return unsigned_zero(Decimal(value))


_CENT = Decimal("0.01")
_DISPLAY = Context(prec=1000)
"""For showing a number: wide enough for any number a rule file can write, so display never fails."""


def money(value: Number) -> Decimal:
    """An amount as a Decimal with at least two decimals: `8400.00`, `3287.625` (the same number).

    Arithmetic keeps whatever exponent the operands give (`12000 × 0.70` is `8400.0`); a reader, a
    spreadsheet or a comparison with a published figure expects euros and cents. Digits beyond the
    cent are kept: an amount the rule file did not round stays exact.
    """
    number = to_decimal(value)
    if number.is_finite() and int(number.as_tuple().exponent) > -2:  # finite: the exponent is an int
        number = number.quantize(_CENT, context=_DISPLAY)
    return number


def money_text(value: Number) -> str:
    """`money(value)` as text: `8400.00`."""
    return str(money(value))


def is_exact_decimal(value: Number) -> bool:
    """Whether the number is shown exactly by its decimal form."""
    return not isinstance(value, Fraction)
