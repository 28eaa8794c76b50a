"""French display of runtime values, through Babel (CLDR), never by hand.

Used by explanations, the command line and the letters' filters: `12 000,00 €`, `7,5 %`,
`22/06/2024` or `22 juin 2024`, `2 800`. A value kept as an exact fraction (a rate such as
125/221) is shown rounded with `≈`, so the reader knows it is not exact.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Context, Decimal, localcontext
from fractions import Fraction

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, parse_pattern

from engine.lang.kinds import TypeKind
from engine.lang.types import Type
from engine.lang.values import Duration, Number, to_decimal, unsigned_zero

NBSP = "\u00a0"
"""The no-break space French typography puts between a number and `%` or `€` (babel writes it there;
its narrow variant U+202F separates thousands) and before `: ; ! ? »`."""

LOCALE = Locale.parse("fr_FR")
"""Parsed once: Babel would otherwise parse the locale again for every number it formats."""

_CURRENCY = LOCALE.currency_formats["standard"]
_PATTERNS: dict[str, NumberPattern] = {}


_WIDE = Context(prec=100)
"""Babel quantizes in the thread's decimal context (28 digits by default): 10¹⁹ shown with ten decimals
needs 30. Every number a rule computes is below 10²⁰ (`engine.lang.values`), so 100 digits always suffice."""


def _decimal(number: int | Decimal, pattern: str) -> str:
    """`babel.numbers.format_decimal(number, pattern, LOCALE)`, with the pattern parsed once."""
    if isinstance(number, Decimal):
        number = unsigned_zero(number)
    found = _PATTERNS.get(pattern)
    if found is None:
        found = _PATTERNS[pattern] = parse_pattern(pattern)
    with localcontext(_WIDE):
        return str(found.apply(number, LOCALE))


def money(value: Number) -> str:
    """`12 000,00 €`; a non-terminating amount shows more digits after `≈`."""
    if isinstance(value, Fraction):
        shown = _decimal(to_decimal(value), "#,##0.00##")
        return f"≈ {shown}\u00a0€"
    number = to_decimal(value)
    if number != number.quantize(Decimal("0.01"), context=_WIDE):
        return _decimal(number, "#,##0.00########") + "\u00a0€"
    with localcontext(_WIDE):
        return _CURRENCY.apply(number, LOCALE, currency="EUR")


def percent(value: Number) -> str:
    """`7,5 %`, `100 %`; an inexact rate as `≈ 56,5611 %`."""
    if isinstance(value, Fraction):
        shown = _decimal(to_decimal(value) * 100, "#,##0.####")
        return f"≈ {shown}\u00a0%"
    shown = _decimal(Decimal(value) * 100, "#,##0.##########")
    return f"{shown}\u00a0%"


def number(value: Number) -> str:
    """`2 800`, `294,375`; an inexact value with `≈`."""
    if isinstance(value, Fraction):
        return "≈ " + _decimal(to_decimal(value), "#,##0.######")
    return _decimal(value, "#,##0.##########")


def exact(v: object, t: Type | None = None) -> str:
    """A value a reader can compute with: a non-terminating rate or number as its exact fraction, with
    the rounded value as a gloss (`225/448 (≈ 50,2232 %)`); any other value as `value` shows it.

    Used wherever a product or a quotient is computed from the value, so that the calculation can be
    redone to the cent.
    """
    if isinstance(v, Fraction):
        unit = "\u00a0€" if t is not None and t.kind is TypeKind.MONTANT else ""
        return f"{v.numerator}/{v.denominator}{unit} ({value(v, t)})"
    return value(v, t)


def date_short(value: dt.date) -> str:
    """`22/06/2024`."""
    return format_date(value, format="dd/MM/yyyy", locale=LOCALE)


def date_long(value: dt.date) -> str:
    """`22 juin 2024` (`1er juin 2024` for the first of the month, as French letters write it)."""
    text = format_date(value, format="d MMMM y", locale=LOCALE)
    return "1er" + text[1:] if value.day == 1 else text


def boolean(value: bool) -> str:
    """`vrai` / `faux`."""
    return "vrai" if value else "faux"


def value(v: object, t: Type | None = None) -> str:
    """Any runtime value, shown according to its type when known (cached: explanations and letters
    show the same few values many times)."""
    try:
        return _cached_value(v, t)
    except TypeError:  # an unhashable value
        return _value(v, t)


@functools.lru_cache(maxsize=4096, typed=True)  # typed: True, 1 and Decimal(1) are equal keys
def _cached_value(v: object, t: Type | None) -> str:
    return _value(v, t)


def _value(v: object, t: Type | None = None) -> str:
    kind = t.kind if t is not None else None
    if isinstance(v, bool):
        return boolean(v)
    if isinstance(v, dt.date):
        return date_short(v)
    if isinstance(v, Duration):
        return str(v)
    if isinstance(v, str):
        return t.label(v) if t is not None and t.kind is TypeKind.ENUM else v
    if not isinstance(v, (int, Decimal, Fraction)):
        return str(v)
    if kind is TypeKind.MONTANT:
        return money(v)
    if kind is TypeKind.TAUX:
        return percent(v)
    return number(v)


_BEFORE_UNIT = re.compile(r"(?<=\d) ([%€])")
_BEFORE_PUNCTUATION = re.compile(r"(?<=\S) ([:;!?»])")
_AFTER_GUILLEMET = re.compile(r"« ")


def french_spaces(text: str) -> str:
    """A sentence whose number and unit (`70 %`, `500 €`) are tied by a no-break space, as babel writes
    them (`8 250,00 €`), so that a terminal or a page never breaks "70 %" across two lines.

    Rule files may write ordinary spaces (checker warning W120 and `regles fmt` fix them); outputs
    that wrap text need this. For whole French sentences, `french_typography` also ties punctuation.
    """
    return _BEFORE_UNIT.sub(lambda m: NBSP + m.group(1), text)


def french_typography(text: str) -> str:
    """French text as typography wants it: a no-break space between a number and `%` or `€`, before
    `:` `;` `!` `?` `»` and after `«`, so that no line starts with a colon or a lone unit.

    Only a single space after a visible character is replaced: indentation (explanation trees) and
    line ends are kept as they are.
    """
    text = _BEFORE_PUNCTUATION.sub(lambda m: NBSP + m.group(1), french_spaces(text))
    return _AFTER_GUILLEMET.sub("«" + NBSP, text)
