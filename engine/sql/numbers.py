"""Exact numbers in SQL: the arithmetic of `engine.evaluate.runtime`, value for value and exponent for exponent.

A number is `(n, d, e)` (see `engine.sql.code`): integers of 128 bits (HUGEINT), never a float, or, in a
query generated with `wide=False` for DuckDB, of 64 bits (BIGINT), whose every operation DuckDB checks (see
`WIDE`).
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
from engine.sql.code import HUGE, Layers, literal_int, when

LIMIT = "100000000000000000000"
"""10²⁰: the magnitude `engine.lang.values` refuses (`MAGNITUDE_DIGITS`)."""
MAX_POWER = 38
"""The largest power of ten a HUGEINT holds."""

Num = tuple[str, str, str]

WIDE = True
"""The default width of a query's integers: 128 bits, exact for every number under the 10²⁰ limit in every
dialect. A query generated with `wide=False` computes on 64 bits where that is enough for the rows it
reads: DuckDB checks every BIGINT operation (a sum, a product or a cast that leaves 64 bits raises
`OutOfRangeException` or `ConversionException`, it never wraps around), so that query either gives the
wide query's cells exactly or fails, and its caller then runs the wide one. Such a number is below
2^63 < 10²⁰ in absolute value: the limit test is false and is left out. Spark, Trino and PostgreSQL do
not all check (Spark wraps without ANSI mode): `regles sql` prints the wide query only."""


class TooWide(Exception):
    """A constant of the rule file does not fit in 64 bits: the query is generated wide."""


def integer_type(wide: bool) -> str:
    """The SQL type of a number's integers."""
    return HUGE if wide else "BIGINT"


def pow10(k: str, wide: bool = WIDE) -> str:
    """10^k as an integer of the query's width, k a non-negative SQL integer: a constant up to 10^18
    (picked from a list by its index: one lookup, where a `CASE k WHEN 0 … WHEN 18` tests up to nineteen
    values), text-built beyond (never through a float; on 64 bits, a cast that fails)."""
    if k.lstrip("-").isdigit():
        if int(k) <= 18:
            return f"CAST({10 ** int(k)} AS {integer_type(wide)})"
        if not wide:
            raise TooWide(f"10^{k} ne tient pas sur 64 bits")
        return f"CAST('1{'0' * int(k)}' AS {HUGE})"
    small = f"list_extract([{', '.join(str(10 ** i) for i in range(19))}], ({k}) + 1)"
    beyond = f"CAST(rpad('1', CAST(({k}) + 1 AS INTEGER), '0') AS {HUGE})"
    if not wide:  # both branches 64-bit: the cast of the one beyond 10^18 fails, the other is not cast
        return f"CASE WHEN {k} <= 18 THEN {small} ELSE CAST({beyond} AS BIGINT) END"
    return f"CAST(CASE WHEN {k} <= 18 THEN {small} ELSE {beyond} END AS {HUGE})"


def constant(python: object, wide: bool = WIDE) -> Num:
    """The components of a constant number (int, Decimal or Fraction).

    Raises:
        TooWide: on 64 bits (`wide=False`), an integer of the constant does not fit."""
    if isinstance(python, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(python, int):
        return _integer(python, wide), "1", "0"
    if isinstance(python, Decimal):
        coefficient, power, exponent = _integers(python)
        if exponent >= 0:  # an integer: its exponent is moved into the coefficient, its denominator 1 folds
            return _integer(coefficient, wide), "1", "0"
        return _integer(coefficient, wide), _integer(power, wide), str(exponent)
    if isinstance(python, Fraction):
        return _integer(python.numerator, wide), _integer(python.denominator, wide), "NULL"
    raise TypeError(f"not a number: {python!r}")


def _integer(value: int, wide: bool) -> str:
    """A constant as an integer of the query's width, typed: DuckDB types a small literal INT32, and a
    product of two overflows (99 999 999 × 100) before any cast a wider operand would bring."""
    if not wide and not -(2 ** 63) < value < 2 ** 63:
        raise TooWide(f"la constante {value} ne tient pas sur 64 bits")
    return f"CAST({value} AS {integer_type(wide)})"


def decimal_add(a: Num, b: Num, sign: str, decimals: bool = False, wide: bool = WIDE) -> Num:
    """a ± b for two Decimals: the smaller exponent, coefficients brought to it (by a power of ten
    of the exponents' difference: a Decimal's denominator is 10^-e, and a division of 128-bit
    integers costs ten times a multiplication).

    An exponent is never positive: an integer's (the literal `0`) is the larger, and only the other
    operand's coefficient moves; with `decimals` (neither operand may be a Fraction, whose exponent is
    NULL and its denominator any number) it moves by the other's denominator, which is that power of
    ten, already computed."""
    if a[1] == b[1]:
        return f"({a[0]} {sign} {b[0]})", a[1], a[2]
    if a[2] == "0" or b[2] == "0":
        whole, other = (a, b) if a[2] == "0" else (b, a)
        moved = f"{whole[0]} * {other[1]}" if decimals else scaled(whole[0], "0", other[2], wide)
        terms = (moved, other[0]) if whole is a else (other[0], moved)
        return f"({terms[0]} {sign} {terms[1]})", other[1], other[2]
    e = f"least({a[2]}, {b[2]})"
    return (f"({scaled(a[0], a[2], e, wide)} {sign} {scaled(b[0], b[2], e, wide)})", f"greatest({a[1]}, {b[1]})", e)


def scaled(n: str, e: str, target: str, wide: bool = WIDE) -> str:
    """n·10^(e - target), the coefficient of exponent e brought to the exponent target ≤ e."""
    if e == target:
        return n
    if e.lstrip("-").isdigit() and target.lstrip("-").isdigit():
        return n if int(e) == int(target) else f"{n} * {pow10(str(int(e) - int(target)), wide)}"
    return f"{n} * {pow10(f'{e} - {target}', wide)}"


def decimal_mul(a: Num, b: Num) -> Num:
    """a × b for two Decimals: the sum of the exponents (folded when one is an integer's, `1` and `0`)."""
    return f"({a[0]} * {b[0]})", _times(a[1], b[1]), _plus(a[2], b[2])


def _times(x: str, y: str) -> str:
    """x · y, without a multiplication by the literal 1."""
    return y if x == "1" else x if y == "1" else f"({x} * {y})"


def _plus(x: str, y: str) -> str:
    """x + y, without an addition of the literal 0."""
    return y if x == "0" else x if y == "0" else f"({x} + {y})"


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


SMALL = 2 ** 62
"""Integers below this in absolute value are divided on 64 bits (`narrow`)."""


def decimal_places(d: str, wide: bool = WIDE) -> str:
    """The smallest k ≤ 38 with d dividing 10^k (NULL when there is none: a Fraction).

    A denominator below 2^62 that is not of the form 2^a·5^b (a Fraction's: 45, 97…, the most
    frequent after 1, so tested first) is told on 64 bits: without its factors 2 (d divided by its
    lowest bit, `d & -d`), what remains divides 5^27 (> 2^62) exactly when it is a power of 5 (a
    `gcd` with 5^27 costs half as much again; two remainders of 128-bit integers three times as
    much). d divides 10^k for every k from its smallest on: a denominator up to 10^18 (nearly all
    the others) is tried on 64-bit integers: it divides
    10^18 or needs more than 18 places; then the powers are tried in increasing order (the usual
    denominators 10, 100 cost a test or two). Beyond, on 128 bits: d divides some 10^k (k ≤ 38)
    exactly when it divides 10^38, which has 39 digits, one more than `DECIMAL(38, 0)` holds in other
    dialects: it is reached as 10^37 · 10.
    """
    small = f"CAST({d} AS BIGINT)"
    tries = " ".join(f"WHEN {10 ** k} % {small} = 0 THEN {k}" for k in range(1, 18))
    whole = f"(({pow10(str(MAX_POWER - 1))} % {d}) * 10) % {d} = 0"
    wide_tries = " ".join(f"WHEN {pow10(str(k))} % {d} = 0 THEN {k}" for k in range(19, MAX_POWER))
    if not wide:  # d is a BIGINT: below 2^63 < 5^28, no test of its size, no cast
        odd = f"{d} // ({d} & -{d})"
        return (f"CASE WHEN {d} = 1 THEN 0 WHEN {5 ** 27} % ({odd}) <> 0 THEN NULL "
                f"WHEN {10 ** 18} % {d} = 0 THEN CASE {tries} ELSE 18 END "
                f"WHEN {whole} THEN CASE {wide_tries} ELSE {MAX_POWER} END END")
    fits = f"{d} <= {10 ** 18} AND {10 ** 18} % CAST(least({d}, {10 ** 18}) AS BIGINT) = 0"  # no cast fails
    below = f"CAST(least({d}, {SMALL}) AS BIGINT)"  # no cast fails
    odd = f"CAST({below} // CAST({below} & -{below} AS BIGINT) AS BIGINT)"  # BIGINT in every dialect
    fraction = f"{d} < {SMALL} AND {5 ** 27} % {odd} <> 0"
    return (f"CASE WHEN {d} = 1 THEN 0 WHEN {fraction} THEN NULL WHEN {fits} THEN CASE {tries} ELSE 18 END "
            f"WHEN {whole} THEN CASE {wide_tries} ELSE {MAX_POWER} END END")


def narrow(op: str, a: str, b: str, positive: str = "", wide: bool = WIDE) -> str:
    """`a // b`, `a % b` or `gcd(a, b)` of 128-bit integers, on 64 bits when both fit: DuckDB divides
    128-bit integers bit by bit, tens of times slower (a and b are read twice: columns). `positive`
    names the operands (`a`, `b`) known to be at least 0, tested without `abs`: a denominator, a gcd.
    In a query on 64 bits (`wide=False`) both are 64-bit already: the operation, without a test."""
    if not wide:
        return f"gcd({a}, {b})" if op == "gcd" else f"({a} {op} {b})"
    x, y = f"CAST({a} AS BIGINT)", f"CAST({b} AS BIGINT)"
    big, small = (f"gcd({a}, {b})", f"gcd({x}, {y})") if op == "gcd" else (f"{a} {op} {b}", f"{x} {op} {y}")
    fits = " AND ".join(f"{v if name in positive else f'abs({v})'} < {SMALL}" for name, v in (("a", a), ("b", b)))
    return f"CASE WHEN {fits} THEN CAST({small} AS {HUGE}) ELSE {big} END"


def beyond(n: str, d: str, wide: bool = WIDE) -> str:
    """Whether n/d is 10²⁰ or more in absolute value: |n| ≥ 10²⁰·d, a multiplication that stays
    below 10³⁸ for a denominator below 10¹⁸ (a division of 128-bit integers beyond). Never on 64 bits:
    |n| < 2^63 < 10²⁰ and d ≥ 1 (`FALSE`, which `Compiler.over` leaves out)."""
    if not wide:
        return "FALSE"
    limit = f"CAST({LIMIT} AS {HUGE})"
    if d == "1":
        return f"abs({n}) >= {limit}"
    # |n| ≥ 10²⁰ first (d ≥ 1): nearly always false, and the rest is then not computed
    return (f"abs({n}) >= {limit} AND CASE WHEN {d} < {10 ** 18} THEN abs({n}) >= {limit} * {d} "
            f"ELSE abs({n}) // {d} >= {limit} END")


def compare(op: str, a: Num, b: Num) -> str:
    """A SQL comparison of two numbers (denominators are positive): n·d' against n'·d, a zero
    numerator compared as 0 (`max(0, x)`)."""
    left = a[0] if b[1] == "1" else "0" if _is_zero(a[0]) else f"{a[0]} * {b[1]}"
    right = b[0] if a[1] == "1" else "0" if _is_zero(b[0]) else f"{b[0]} * {a[1]}"
    return f"({left} {SQL_OPS[op]} {right})"


def _is_zero(n: str) -> bool:
    """Whether a numerator is the constant 0."""
    return literal_int(n) == 0


SQL_OPS = {"=": "=", "≠": "<>", "<": "<", "≤": "<=", ">": ">", "≥": ">="}


def rounded(a: Num, quantum: Decimal, truncate: bool, wide: bool = WIDE) -> Num:
    """`values.round_to(a, quantum, truncate)`: the number of quanta rounded on integers.

    On 64 bits when the numerator and the denominator are small enough for every product to fit (nearly
    always: a division of 128-bit integers costs about four times the whole 64-bit computation); in a
    query on 64 bits (`wide=False`), always, DuckDB raising when a product does not fit."""
    qc, qd, qe = constant(quantum, wide)
    c, q, _ = _integers(quantum)
    scaled = f"abs(CAST({a[0]} AS {HUGE})) * {qd}"  # HUGEINT first: literals are INT32 in DuckDB
    steps_d = a[1] if c == 1 else f"{a[1]} * {qc}"
    whole = (f"({scaled}) // ({steps_d})" if truncate
             else f"(2 * {scaled} + {steps_d}) // (2 * {steps_d})")
    bound = 2 ** 62 // (q + c if truncate else 2 * q + c)  # below it, |n|·q (doubled) + d·c < 2^63
    if bound > 1 or not wide:
        n64, d64 = f"CAST(abs({a[0]}) AS BIGINT)", f"CAST({a[1]} AS BIGINT)"
        scaled64 = _times64(n64, q)
        steps64 = _times64(d64, c)
        dividend = scaled64 if truncate else f"2 * {scaled64} + {steps64}"
        divisor = steps64 if truncate else f"2 * {steps64}"
        small = f"CAST(CAST({dividend} AS BIGINT) // CAST({divisor} AS BIGINT) AS {integer_type(wide)})"
        fits = f"abs({a[0]}) < {bound} AND {a[1]} < {bound}"
        whole = f"CASE WHEN {fits} THEN {small} ELSE {whole} END" if wide else small
    sign = f"CASE WHEN {a[0]} < 0 THEN -1 ELSE 1 END"
    times = "" if c == 1 else f" * {qc}"
    return f"({sign} * ({whole}){times})", qd, qe


def _integers(python: Decimal) -> tuple[int, int, int]:
    """(c, q, e) of a Decimal: c/q is its value, with q = 10^-e for its exponent e ≤ 0, and q = 1 for
    an exponent e > 0, moved into c (the integers `constant` writes)."""
    sign, digits, exponent = python.as_tuple()
    assert isinstance(exponent, int)
    coefficient = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if exponent > 0:
        return coefficient * 10 ** exponent, 1, exponent
    return coefficient, 10 ** -exponent, exponent


def _times64(x: str, factor: int) -> str:
    """x · factor on 64 bits, without a multiplication by 1."""
    return x if factor == 1 else f"{x} * {factor}"


def decimal_text(c: str, e: str, digits: str | None = None) -> str:
    """`str(Decimal)` of coefficient c and exponent e ≤ 0 (plain, or scientific below 10⁻⁶); `digits`,
    the text of |c|, when it is a column already."""
    digits = digits or f"CAST(abs({c}) AS VARCHAR)"
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
    q, _ = layers.column(narrow("//", f"abs({n})", d, positive="ab"), at - 1)
    r, at = layers.column(narrow("%", f"abs({n})", d, positive="ab"), at - 1)
    done = "0"
    for _ in range(3):  # a step of no digits (the third, nearly always) keeps q and r: no 128-bit division
        k = f"least(greatest({shift} - {done}, 0), 18)"
        step, at = layers.column(k, at)
        scaled, at = layers.column(f"CASE WHEN {step} > 0 THEN {r} * {pow10(step)} END", at)
        quotient, at = layers.column(f"{scaled} // {d}", at)  # NULL for a step of no digits
        q, _ = layers.column(f"CASE WHEN {step} > 0 THEN {q} * {pow10(step)} + {quotient} ELSE {q} END", at)
        # the remainder from the quotient: no second 128-bit division
        r, at = layers.column(f"CASE WHEN {step} > 0 THEN {scaled} - {quotient} * {d} ELSE {r} END", at)
        done = f"({done} + {step})"
    c, at = layers.column(f"{q} + CASE WHEN 2 * {r} > {d} OR (2 * {r} = {d} AND {q} % 2 = 1) THEN 1 ELSE 0 END", at)
    # c may have rounded up to 10^28: then it is 10^27 with the exponent one higher
    carry = f"({c} = {pow10('28')})"
    coefficient, at = layers.column(f"CASE WHEN {n} < 0 THEN -1 ELSE 1 END * CASE WHEN {carry} THEN {pow10('27')} "
                                    f"ELSE {c} END", at)
    exponent, at = layers.column(f"CASE WHEN {carry} THEN {adjusted} + 1 ELSE {adjusted} END - 27", at - 1)
    return coefficient, exponent, at


def number_text(layers: Layers, num: Num, kind: str, fraction: bool, layer: int) -> str:
    """The text a value cell shows: `str(int)`, `str(Decimal)`, a Fraction's 28 digits, a montant's cents.

    The coefficient and exponent shown, then their digits, are columns: the text reads them ten times."""
    n, d, e = num
    if kind == TypeKind.ENTIER:
        return f"CAST({n} AS VARCHAR)"
    c, x, at = n, e, layer
    if kind == TypeKind.MONTANT:  # at least two decimals: the cents of a Decimal with fewer (e ≤ 0)
        c, at = layers.column(f"CASE WHEN {e} > -2 THEN {n} * {pow10(f'{e} + 2')} ELSE {n} END", layer)
        x = f"least({e}, -2)"
    if fraction:
        # computed for the Fractions only (NULL elsewhere: DuckDB skips a NULL row's division): the long
        # division is a tenth of the 2024 rule file's query, and a third of its rows hold a Fraction
        fn, masked = layers.column(when(f"{e} IS NULL", n, "NULL"), layer)
        fd, _ = layers.column(when(f"{e} IS NULL", d, "NULL"), layer)
        fc, fx, at2 = fraction_digits(layers, fn, fd, masked)
        top = max(at, at2)
        c, at = layers.column(f"CASE WHEN {e} IS NULL THEN {fc} ELSE {c} END", top)
        x, _ = layers.column(f"CASE WHEN {e} IS NULL THEN {fx} ELSE {x} END", top)
    digits, _ = layers.column(f"CAST(abs({c}) AS VARCHAR)", at)
    return decimal_text(c, x, digits)


def str_text(num: Num, fraction: bool) -> str:
    """`str(value)` of a number, as a reason quotes it: `3/7` for a Fraction."""
    n, d, e = num
    plain = decimal_text(n, e)
    if not fraction:
        return plain
    return f"CASE WHEN {e} IS NULL THEN CAST({n} AS VARCHAR) || '/' || CAST({d} AS VARCHAR) ELSE {plain} END"
