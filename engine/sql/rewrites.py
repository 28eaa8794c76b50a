"""The generated query rewritten for Spark, PostgreSQL and Trino on sqlglot's syntax tree (`regles[sql]`).

The generator writes DuckDB SQL. sqlglot translates most of it; what it does not translate
exactly is rewritten here, on its syntax tree, so that no dialect loses exactness:
- `HUGEINT` (128-bit integers) becomes `DECIMAL(38, 0)` (`NUMERIC(38, 0)` in PostgreSQL);
- `a // b` becomes `DIV(a, b)` in PostgreSQL, the exact `CAST((a - a % b) / b AS DECIMAL(38, 0))`
  in Trino (never a float, which is what sqlglot would write), and in Spark `a DIV b` for two BIGINT
  (the generator's 64-bit divisions; Spark's `/` of two BIGINT is a DOUBLE), else, since its decimal
  division keeps 32 integer digits, that division or a long division in two steps (`_spark_quotient`); every
  division nested in another's operands is rewritten too (descendants first);
- `gcd(a, b)` is native in PostgreSQL, and Euclid's algorithm over a `sequence` in Spark and Trino;
- `list_extract(list, i)` (a constant list read at an index from 1: powers of ten) becomes
  `ELEMENT_AT` in Spark and Trino, and `(ARRAY[…])[i]` in PostgreSQL;
- `date + to_years(n)`, `to_months(n)`, `to_days(n)` become `ADD_MONTHS` / `DATE_ADD` in Spark,
  `date_add('year', …)` in Trino and `make_interval` in PostgreSQL: each clamps the day to the end
  of the month, as the language's `+ n ans` does (29/02 + 1 an = 28/02).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp


def translate(sql: str, dialect: str) -> str:
    """The DuckDB query `sql` in `dialect` (pretty-printed)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    # a replaced node's subtree is not visited again: types first, then the shifts (nested up to three
    # deep: years, months, days), then gcd, then the divisions, bottom-up
    tree = tree.transform(lambda node: _type(node, dialect))
    for _ in range(3):
        tree = tree.transform(lambda node: _shifted(node, dialect))
    tree = tree.transform(lambda node: _rewrite(node, dialect))
    for node in reversed(list(tree.walk(bfs=False))):  # every descendant before its ancestors: a quotient's
        if isinstance(node, exp.IntDiv):                 # operands are rewritten when it is copied
            node.replace(_quotient(node.this, node.expression, dialect))
    return tree.sql(dialect=dialect, pretty=True)


def _decimal(dialect: str) -> exp.DataType:
    return exp.DataType.build("NUMERIC(38, 0)" if dialect == "postgres" else "DECIMAL(38, 0)")


def _type(node: exp.Expression, dialect: str) -> exp.Expression:
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
        return _decimal(dialect)
    return node


def _shifted(node: exp.Expression, dialect: str) -> exp.Expression:
    if not isinstance(node, exp.Add):
        return node
    unit, amount = _unit(node.expression)
    if unit is None or amount is None or any(_unit(inner)[0] for inner in node.this.walk()):
        return node  # not a shift, or one whose date is a shift not rewritten yet
    return _shift(node.this, amount, unit, dialect)


def _unit(node: object) -> tuple[str | None, exp.Expression | None]:
    """("year" / "month" / "day", the amount) of `to_years(n)`, `to_months(n)`, `to_days(n)`."""
    if isinstance(node, exp.Anonymous) and str(node.this).upper() in {"TO_YEARS", "TO_MONTHS", "TO_DAYS"}:
        return str(node.this).upper()[3:-1].lower(), node.expressions[0]
    if type(node).__name__ == "ToDays" and isinstance(node, exp.Expression):
        return "day", node.this
    return None, None


def _rewrite(node: exp.Expression, dialect: str) -> exp.Expression:
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "GCD" and dialect != "postgres":
        return _euclid(node.expressions[0], node.expressions[1], dialect)
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "LIST_EXTRACT":
        array, index = node.expressions  # every dialect indexes its arrays from 1 here
        if dialect == "postgres":
            return exp.Bracket(this=exp.Paren(this=array), expressions=[index])
        return exp.Anonymous(this="ELEMENT_AT", expressions=[array, index])
    return node


def _quotient(a: exp.Expression, b: exp.Expression, dialect: str) -> exp.Expression:
    """a // b, exact (truncated towards zero, as DuckDB's on HUGEINT) and never a float."""
    if dialect == "postgres":
        return exp.Anonymous(this="DIV", expressions=[a.copy(), b.copy()])
    if dialect == "spark" and _bigint(a) and _bigint(b):
        return exp.IntDiv(this=a.copy(), expression=b.copy())  # Spark's `DIV` of two BIGINT is exact
    if dialect != "spark":
        remainder = exp.Mod(this=a.copy(), expression=b.copy())
        exact = exp.Div(this=exp.Paren(this=exp.Sub(this=a.copy(), expression=remainder)), expression=b.copy(),
                        typed=True)  # typed: an exact division, which sqlglot would otherwise write in DOUBLE for Trino
        return exp.Cast(this=exact, to=_decimal(dialect))
    x, y = a.sql(dialect="spark"), b.sql(dialect="spark")
    if _plain(a) and _plain(b):
        return _parsed(_spark_quotient(f"CAST({x} AS DECIMAL(38, 0))", f"CAST({y} AS DECIMAL(38, 0))",
                                       _literal(b)), "spark")
    # each operand computed once, bound to a lambda's argument: a quotient's text holds them several times
    return _parsed(f"AGGREGATE(ARRAY(0), NAMED_STRUCT('a', CAST({x} AS DECIMAL(38, 0)), 'b', CAST({y} AS "
                   f"DECIMAL(38, 0))), (s, i) -> s, s -> {_spark_quotient('s.a', 's.b')})", "spark")


SPARK_SPLIT = 10 ** 19
"""Where Spark's long division splits a dividend: below it, and above it in units of it (19 digits each)."""


SPARK_ONCE = 10 ** 6
"""The smallest divisor whose quotients (below 10^38 / 10^6) Spark's DECIMAL(38, 6) division holds."""


def _spark_quotient(x: str, y: str, divisor: int | None = None) -> str:
    """x // y in Spark SQL for DECIMAL(38, 0) operands x and y (their text is repeated).

    Spark divides two DECIMAL(38, 0) into a DECIMAL(38, 6): a quotient of more than 32 digits
    overflows. A divisor of at least 10^6 gives a quotient below 10^32, divided at once; a smaller
    one divides the dividend's upper 19 digits, then the remainder followed by the lower 19 digits,
    each quotient below 10^25. Both truncate towards zero, as DuckDB's `//` on HUGEINT.
    """
    split = f"CAST({SPARK_SPLIT} AS DECIMAL(38, 0))"

    def exact(n: str, d: str) -> str:
        return f"CAST(({n} - {n} % {d}) / {d} AS DECIMAL(38, 0))"

    high = exact(x, split)
    rest = f"(({high} % {y}) * {split} + {x} % {split})"
    long = f"CAST({exact(high, y)} * {split} + {exact(rest, y)} AS DECIMAL(38, 0))"
    if divisor is not None:  # a literal divisor: the branch is known
        return exact(x, y) if abs(divisor) >= SPARK_ONCE else long
    return f"(CASE WHEN ABS({y}) >= {SPARK_ONCE} THEN {exact(x, y)} ELSE {long} END)"


def _bigint(node: exp.Expression) -> bool:
    """Whether `node` is a cast to BIGINT (the generator's 64-bit divisions, `numbers.narrow`)."""
    return isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.BIGINT


def _literal(node: exp.Expression) -> int | None:
    """The value of an integer literal (perhaps cast or in parentheses), else None."""
    while isinstance(node, (exp.Cast, exp.Paren)):
        node = node.this
    if isinstance(node, exp.Literal) and not node.is_string and str(node.this).isdigit():
        return int(str(node.this))
    return None


def _plain(node: exp.Expression) -> bool:
    """A column or a literal, perhaps cast or in parentheses: cheap to repeat in a query's text."""
    while isinstance(node, (exp.Cast, exp.Paren, exp.Neg)):
        node = node.this
    return isinstance(node, (exp.Column, exp.Literal))


def _shift(date: exp.Expression, amount: exp.Expression, unit: str, dialect: str) -> exp.Expression:
    """date + amount years, months or days, the day clamped to the end of the month."""
    n = amount.sql(dialect=dialect)
    d = date.sql(dialect=dialect)
    if dialect == "spark":
        text = f"DATE_ADD({d}, {n})" if unit == "day" else f"ADD_MONTHS({d}, {n}{' * 12' if unit == 'year' else ''})"
    elif dialect == "trino":
        text = f"DATE_ADD('{unit}', {n}, {d})"
    else:
        text = f"({d} + MAKE_INTERVAL({unit}s => {n}))"
    return _parsed(text, dialect)


def _euclid(a: exp.Expression, b: exp.Expression, dialect: str) -> exp.Expression:
    """gcd(a, b) by Euclid's algorithm, 200 steps (enough for any two 128-bit integers)."""
    x, y = a.sql(dialect=dialect), b.sql(dialect=dialect)
    if dialect == "spark":
        text = (f"AGGREGATE(SEQUENCE(1, 200), NAMED_STRUCT('a', CAST(ABS({x}) AS DECIMAL(38, 0)), "
                f"'b', CAST(ABS({y}) AS DECIMAL(38, 0))), (s, i) -> IF(s.b = 0, s, NAMED_STRUCT('a', s.b, "
                f"'b', CAST(s.a % s.b AS DECIMAL(38, 0)))), s -> s.a)")
    else:
        text = (f"REDUCE(SEQUENCE(1, 200), CAST(ROW(ABS({x}), ABS({y})) AS ROW(a DECIMAL(38, 0), b DECIMAL(38, 0))), "
                f"(s, i) -> IF(s.b = 0, s, CAST(ROW(s.b, s.a % s.b) AS ROW(a DECIMAL(38, 0), b DECIMAL(38, 0)))), "
                f"s -> s.a)")
    return _parsed(text, dialect)


def _parsed(text: str, dialect: str) -> exp.Expression:
    tree = sqlglot.parse_one(text, read=dialect)
    assert isinstance(tree, exp.Expression)
    return tree
