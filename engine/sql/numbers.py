"""Exact numbers in SQL: the arithmetic of `engine.evaluate.runtime`, value for value and exponent for exponent.

A number is `(n, d, e)` (see `engine.sql.code`): integers of 128 bits (HUGEINT), never a float.
- Two Decimals add with the smaller exponent and multiply with the sum of the exponents, as
  Python's `decimal` does for exact results;
- a quotient, or any operation on a Fraction, is normalised as `engine.lang.values.normalise` does:
  reduced, then a Decimal with the smallest exponent that holds it when its denominator is of the
  form 2^a·5^b, else a Fraction;
- rounding is done on integers (half away from zero, or toward zero for `tronqué`);
- a result of 10²⁰ or more in absolute value is *indéterminé* with the reference path's reason.
The texts a number is shown with (`str(Decimal)`, the 28 significant digits of a Fraction rounded
half even, the cents of a montant) are built here too, from the same integers.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from engine.lang.kinds import TypeKind
from engine.sql.code import HUGE, Layers

LIMIT = "100000000000000000000"
"""10²⁰: the magnitude `engine.lang.values` refuses (`MAGNITUDE_DIGITS`)."""
MAX_POWER = 38
"""The largest power of ten a HUGEINT holds."""

Num = tuple[str, str, str]


def pow10(k: str) -> str:
    """10^k as a HUGEINT, k a non-negative SQL integer: a constant up to 10^18, text-built beyond
    (never through a float)."""
    if k.lstrip("-").isdigit():
        return f"CAST('1{'0' * int(k)}' AS {HUGE})" if int(k) > 18 else f"CAST({10 ** int(k)} AS {HUGE})"
    small = " ".join(f"WHEN {i} THEN {10 ** i}" for i in range(19))
    return f"CAST(CASE {k} {small} ELSE CAST(rpad('1', CAST(({k}) + 1 AS INTEGER), '0') AS {HUGE}) END AS {HUGE})"


def constant(python: object) -> Num:
    """The components of a constant number (int, Decimal or Fraction)."""
    if isinstance(python, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(python, int):
        return _huge(python), "1", "0"
    if isinstance(python, Decimal):
        sign, digits, exponent = python.as_tuple()
        assert isinstance(exponent, int)
        coefficient = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
        if exponent > 0:
            return _huge(coefficient * 10 ** exponent), "1", "0"
        return _huge(coefficient), _huge(10 ** -exponent), str(exponent)
    if isinstance(python, Fraction):
        return _huge(python.numerator), _huge(python.denominator), "NULL"
    raise TypeError(f"not a number: {python!r}")


def _huge(value: int) -> str:
    """A constant as a 128-bit integer: DuckDB types a small literal INT32, and a product of two
    overflows (99 999 999 × 100) before any cast a wider operand would bring."""
    return f"CAST({value} AS {HUGE})"


def decimal_add(a: Num, b: Num, sign: str) -> Num:
    """a ± b for two Decimals: the smaller exponent, coefficients brought to it."""
    d = a[1] if a[1] == b[1] else f"greatest({a[1]}, {b[1]})"
    if a[1] == b[1]:
        return f"({a[0]} {sign} {b[0]})", a[1], a[2]
    return (f"({a[0]} * ({d} // {a[1]}) {sign} {b[0]} * ({d} // {b[1]}))", d, f"least({a[2]}, {b[2]})")


def decimal_mul(a: Num, b: Num) -> Num:
    """a × b for two Decimals: the sum of the exponents."""
    return f"({a[0]} * {b[0]})", f"({a[1]} * {b[1]})", f"({a[2]} + {b[2]})"


def rational_add(a: Num, b: Num, sign: str) -> tuple[str, str]:
    """a ± b as an unreduced (numerator, denominator)."""
    return f"({a[0]} * {b[1]} {sign} {b[0]} * {a[1]})", f"({a[1]} * {b[1]})"


def rational_mul(a: Num, b: Num) -> tuple[str, str]:
    """a × b as an unreduced (numerator, denominator)."""
    return f"({a[0]} * {b[0]})", f"({a[1]} * {b[1]})"


def rational_div(a: Num, b: Num) -> tuple[str, str]:
    """a / b (b ≠ 0) as an unreduced (numerator, denominator), the denominator positive."""
    return (f"(CASE WHEN {b[0]} < 0 THEN -1 ELSE 1 END * {a[0]} * {b[1]})",
            f"(abs({b[0]}) * {a[1]})")


def decimal_places(d: str) -> str:
    """The smallest k ≤ 38 with d dividing 10^k (NULL when there is none: a Fraction).

    For d = 2^a·5^b, k = max(a, b). When d divides 10^37, 10^37 / d = 2^(37-a)·5^(37-b) has 37 - k
    trailing zeros; otherwise k is 38 when d divides 10^38 (10^37 · 10). 10^38 itself has 39 digits,
    one more than `DECIMAL(38, 0)` holds in other dialects (Spark), so no value reaches it.
    """
    top = pow10(str(MAX_POWER - 1))
    quotient = f"CAST({top} // {d} AS VARCHAR)"
    zeros = f"length({quotient}) - length(rtrim({quotient}, '0'))"
    return (f"CASE WHEN {top} % {d} = 0 THEN {MAX_POWER - 1} - ({zeros}) "
            f"WHEN (({top} % {d}) * 10) % {d} = 0 THEN {MAX_POWER} END")


def beyond(n: str, d: str) -> str:
    """Whether n/d is 10²⁰ or more in absolute value."""
    return f"abs({n}) // {d} >= CAST({LIMIT} AS {HUGE})"


def compare(op: str, a: Num, b: Num) -> str:
    """A SQL comparison of two numbers (denominators are positive)."""
    left = a[0] if b[1] == "1" else f"{a[0]} * {b[1]}"
    right = b[0] if a[1] == "1" else f"{b[0]} * {a[1]}"
    return f"({left} {SQL_OPS[op]} {right})"


SQL_OPS = {"=": "=", "≠": "<>", "<": "<", "≤": "<=", ">": ">", "≥": ">="}


def rounded(a: Num, quantum: Decimal, truncate: bool) -> Num:
    """`values.round_to(a, quantum, truncate)`: the number of quanta rounded on integers."""
    qc, qd, qe = constant(quantum)
    scaled = f"abs(CAST({a[0]} AS {HUGE})) * {qd}"  # HUGEINT first: literals are INT32 in DuckDB
    steps_d = a[1] if qc == "1" else f"{a[1]} * {qc}"
    whole = (f"({scaled}) // ({steps_d})" if truncate
             else f"(2 * {scaled} + {steps_d}) // (2 * {steps_d})")
    sign = f"CASE WHEN {a[0]} < 0 THEN -1 ELSE 1 END"
    return f"({sign} * ({whole}) * {qc})", qd, qe


def decimal_text(c: str, e: str) -> str:
    """`str(Decimal)` of coefficient c and exponent e ≤ 0 (plain, or scientific below 10⁻⁶)."""
    digits = f"CAST(abs({c}) AS VARCHAR)"
    length = f"length({digits})"
    sign = f"CASE WHEN {c} < 0 THEN '-' ELSE '' END"
    point = f"({length} + {e})"
    plain = (f"CASE WHEN {e} = 0 THEN {digits} "
             f"WHEN {point} > 0 THEN substr({digits}, 1, {point}) || '.' || substr({digits}, {point} + 1) "
             f"ELSE '0.' || repeat('0', -{point}) || {digits} END")
    adjusted = f"({length} - 1 + {e})"
    scientific = (f"substr({digits}, 1, 1) || CASE WHEN {length} > 1 THEN '.' || substr({digits}, 2) ELSE '' END"
                  f" || 'E' || CAST({adjusted} AS VARCHAR)")
    return f"{sign} || CASE WHEN {adjusted} < -6 THEN {scientific} ELSE {plain} END"


def fraction_digits(layers: Layers, n: str, d: str, layer: int) -> tuple[str, str, int]:
    """(coefficient, exponent, layer) of `Decimal(n) / Decimal(d)` in the default context, as columns:
    28 significant digits rounded half even, as `values.to_decimal` shows a Fraction."""
    k0, at = layers.column(f"length(CAST(abs({n}) AS VARCHAR)) - length(CAST({d} AS VARCHAR))", layer)
    at_least = (f"(CASE WHEN {k0} >= 0 THEN abs({n}) >= {d} * {pow10(f'greatest({k0}, 0)')} "
                f"ELSE abs({n}) * {pow10(f'greatest(-{k0}, 0)')} >= {d} END)")
    adjusted, at = layers.column(f"CASE WHEN {at_least} THEN {k0} ELSE {k0} - 1 END", at)
    # floor(|n|·10^s / d), s = 27 - adjusted, by long division in steps of at most 18 digits: the
    # remainder stays below d, so that no product overflows 128 bits
    shift, at = layers.column(f"27 - {adjusted}", at)
    q, _ = layers.column(f"abs({n}) // {d}", at - 1)
    r, at = layers.column(f"abs({n}) % {d}", at - 1)
    done = "0"
    for _ in range(3):
        k = f"least(greatest({shift} - {done}, 0), 18)"
        step, at = layers.column(k, at)
        scaled, at = layers.column(f"{r} * {pow10(step)}", at)
        q, at = layers.column(f"{q} * {pow10(step)} + {scaled} // {d}", at)
        r, _ = layers.column(f"{scaled} % {d}", at - 1)
        done = f"({done} + {step})"
    c, at = layers.column(f"{q} + CASE WHEN 2 * {r} > {d} OR (2 * {r} = {d} AND {q} % 2 = 1) THEN 1 ELSE 0 END", at)
    # c may have rounded up to 10^28: then it is 10^27 with the exponent one higher
    carry = f"({c} = {pow10('28')})"
    coefficient, at = layers.column(f"CASE WHEN {n} < 0 THEN -1 ELSE 1 END * CASE WHEN {carry} THEN {pow10('27')} "
                                    f"ELSE {c} END", at)
    exponent, at = layers.column(f"CASE WHEN {carry} THEN {adjusted} + 1 ELSE {adjusted} END - 27", at - 1)
    return coefficient, exponent, at


def number_text(layers: Layers, num: Num, kind: str, fraction: bool, layer: int) -> str:
    """The text a value cell shows: `str(int)`, `str(Decimal)`, a Fraction's 28 digits, a montant's cents."""
    n, d, e = num
    if kind == TypeKind.ENTIER:
        return f"CAST({n} AS VARCHAR)"
    if kind == TypeKind.MONTANT:
        cents = decimal_text(f"{n} * {pow10(f'{e} + 2')}", "-2")
        plain = f"CASE WHEN {e} > -2 THEN {cents} ELSE {decimal_text(n, e)} END"
    else:
        plain = decimal_text(n, e)
    if not fraction:
        return plain
    c, x, _ = fraction_digits(layers, n, d, layer)
    return f"CASE WHEN {e} IS NULL THEN {decimal_text(c, x)} ELSE {plain} END"


def str_text(num: Num, fraction: bool) -> str:
    """`str(value)` of a number, as a reason quotes it: `3/7` for a Fraction."""
    n, d, e = num
    plain = decimal_text(n, e)
    if not fraction:
        return plain
    return f"CASE WHEN {e} IS NULL THEN CAST({n} AS VARCHAR) || '/' || CAST({d} AS VARCHAR) ELSE {plain} END"
