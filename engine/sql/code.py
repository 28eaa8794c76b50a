"""The compiled form of one expression: a (status, value, reason, missing) quadruple of SQL texts.

Every expression of the rule language compiles to four SQL expressions evaluated per row:
- `status`: `0` (a value), `1` (non applicable), `2` (indéterminé) or `3` (missing facts);
- `value`: the value's components (see `arity`), NULL whenever the status is not `0` (for a
  number, its numerator: an integer fact is `(n, 1, 0)`, its denominator and exponent literals
  that the operations fold on), so that no computation on a value that does not exist can fail
  (an overflow, a division by zero); a part that both branches of a `si` (or both operands of a
  `min`) give as the same text keeps it whatever the status, so the status, never the value's
  NULL, tells whether there is a value;
- `reason`: the French reason of a `1` or `2`, NULL otherwise;
- `missing`: a BIGINT bit set of the facts missing (bit i for the i-th fact in sorted order), 0
  unless the status is `3`.
Numbers are three components `(n, d, e)`: the exact value n/d (d > 0) and, for a number that is
a Python `Decimal` on the reference path, its exponent e (≤ 0, with d = 10^-e and n the
coefficient); e is NULL for a `Fraction` (n/d reduced, with no finite decimal expansion). Keeping
the exponent is what makes `12000 × 0,70` print `8400.00`, as the reference path prints it.
Durations are three integers (days, months, years); every other type is one SQL value.

`Layers` holds the columns computed so far: an expression too long to repeat is computed once
as columns of a CTE layer (`share`), so that the query grows with the rule file, not with the
number of times a sub-expression is read; the same text asked for twice is the same column, and a
name or a literal is left in place by `share` and `once` rather than repeated as a column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from attrs import evolve, frozen

from engine.lang.kinds import TypeKind

NUMBER_KINDS = frozenset({TypeKind.ENTIER, TypeKind.DECIMAL, TypeKind.TAUX, TypeKind.MONTANT})
HUGE = "HUGEINT"


def arity(kind: str) -> int:
    """How many SQL columns hold a value of this type kind."""
    return 3 if kind in NUMBER_KINDS or kind == TypeKind.DUREE else 1


@frozen
class Code:
    """One compiled expression (see the module docstring)."""

    status: str
    value: tuple[str, ...]
    reason: str = "NULL"
    missing: str = "0"
    layer: int = 0
    """The deepest CTE layer whose columns the texts read."""
    fraction: bool = False
    """Whether the value may be a Fraction (the exponent may be NULL): false for most numbers."""

    @property
    def fixed(self) -> str | None:
        """The status when it is the same on every row (`0` for a constant)."""
        return _LETTERS.get(self.status)

    def can(self, status: str) -> bool:
        """Whether some row may have this status."""
        fixed = self.fixed
        return fixed is None or fixed == status

    @property
    def number(self) -> tuple[str, str, str]:
        """The three components of a number (or a duration), NULL for a marker."""
        n, d, e = self.components(3)
        return n, d, e

    def components(self, count: int) -> tuple[str, ...]:
        """The value's components, NULL-padded for a marker (whose value has no components)."""
        return self.value if len(self.value) == count else ("NULL",) * count


STATUS_CODES = {"V": "0", "N": "1", "U": "2", "M": "3"}
"""The SQL status codes (a TINYINT compares faster than a string): value, non applicable,
indéterminé, missing."""
_LETTERS = {code: letter for letter, code in STATUS_CODES.items()}


def value(*parts: str, layer: int = 0, fraction: bool = False) -> Code:
    """A value on every row (a constant, or a computation that cannot fail)."""
    return Code("0", tuple(parts), layer=layer, fraction=fraction)


def marker(status: str, reason: str) -> Code:
    """`non applicable "…"` or `indéterminé "…"`, the same on every row."""
    return Code(STATUS_CODES[status], (), text(reason))


def text(python: str) -> str:
    """A SQL string literal."""
    return "'" + python.replace("'", "''") + "'"


def when(condition: str, then: str, otherwise: str) -> str:
    """`CASE WHEN condition THEN then ELSE otherwise END`, folded when a branch is known."""
    if condition in {"TRUE", "NULL IS NULL"}:
        return then
    if condition in {"FALSE", "NULL", "NULL IS NOT NULL"} or then == otherwise:
        return otherwise
    if otherwise == "NULL":
        return f"CASE WHEN {condition} THEN {then} END"
    return f"CASE WHEN {condition} THEN {then} ELSE {otherwise} END"


def switch(subject: str, arms: Sequence[tuple[str, str]], default: str) -> str:
    """`CASE subject WHEN k THEN v … ELSE default END` on a status, folded: the arm of a status known
    when the code is generated, no arm that gives what the default gives (the subject itself for an
    arm `WHEN 3 THEN 3` when the default is the subject)."""
    if subject.isdigit():
        return next((v for k, v in arms if k == subject), default)
    kept = [(k, v) for k, v in arms if not (default == subject and v == k)]
    while kept and kept[-1][1] == default:
        kept.pop()
    if not kept:
        return default
    return f"CASE {subject} {' '.join(f'WHEN {k} THEN {v}' for k, v in kept)} ELSE {default} END"


def bor(*masks: str) -> str:
    """The union of bit sets, without the empty ones nor the repeated ones."""
    kept = list(dict.fromkeys(m for m in masks if m != "0"))
    if len(kept) == 1:
        return kept[0]
    return " | ".join(f"({m})" for m in kept) if kept else "0"


class Layers:
    """The CTE layers of the query: named columns, each computed from columns of earlier layers."""

    LONG = 160
    """A component longer than this is computed once, as a column, before it is read twice."""

    def __init__(self) -> None:
        self.layers: list[list[tuple[str, str]]] = [[]]
        self.count = 0
        self.made: dict[str, tuple[str, int]] = {}
        """The column computing each text so far: the same text reads the same columns, so it is the
        same value (a table's key index, a fact compared with the same constant in several rules)."""

    def column(self, sql: str, layer: int) -> tuple[str, int]:
        """A column computing `sql` (which reads columns up to `layer`), new unless one computes the same
        text already; its name and layer."""
        found = self.made.get(sql)
        if found is not None:
            return found
        self.count += 1
        name = f"__c{self.count}"
        target = layer + 1
        while len(self.layers) <= target:
            self.layers.append([])
        self.layers[target].append((name, sql))
        self.made[sql] = (name, target)
        return name, target

    def once(self, sql: str, layer: int) -> tuple[str, int]:
        """`sql` (reading columns up to `layer`) as a column when it is more than a name or a literal:
        an expression read by several others, computed once; its text and layer."""
        return (sql, layer) if simple(sql) else self.column(sql, layer)

    @property
    def depth(self) -> int:
        """The deepest layer so far."""
        return len(self.layers) - 1

    def share(self, code: Code, force: bool = False) -> Code:
        """`code` with its long components computed once as columns (all of them when `force`)."""
        parts = [code.status, *code.value, code.reason, code.missing]
        if not force and all(len(p) <= self.LONG for p in parts):
            return code
        names: list[str] = []
        top = code.layer
        for part in parts:
            if simple(part):
                names.append(part)
                continue
            name, layer = self.column(part, code.layer)
            names.append(name)
            top = max(top, layer)
        count = len(code.value)
        return evolve(code, status=names[0], value=tuple(names[1:1 + count]), reason=names[1 + count],
                      missing=names[2 + count], layer=top)

    def ctes(self, base: Sequence[str], final: str, star: bool = False) -> list[tuple[str, str]]:
        """`(name, select list)` of every layer, each reading the one before.

        Each layer passes on the `base` columns (the relation's own) and only those of its columns
        and its predecessors' that a later layer or the `final` select list reads: a column lives
        from the layer that computes it to the last that reads it, and the query plans fast. With
        `star`, a layer after the first passes its predecessor's columns as `* EXCLUDE (…)`, naming
        only the columns it drops (DuckDB: a shorter text, parsed faster).
        """
        last_use: dict[str, int] = {}
        for index, columns in enumerate(self.layers):
            for _, sql in columns:
                for ref in _REFERENCE.findall(sql):
                    last_use[ref] = index
        for ref in _REFERENCE.findall(final):
            last_use[ref] = len(self.layers)
        result: list[tuple[str, str]] = []
        live: list[str] = []
        dropped: list[str] = []
        for index, columns in enumerate(self.layers):
            carried = [c for c in live if last_use.get(c, -1) > index]
            dropped += [c for c in live if last_use.get(c, -1) <= index]
            added = [(c, sql) for c, sql in columns if last_use.get(c, -1) > index]
            if not added and index:
                live = carried
                continue
            name = f"l{index}"
            kept = [f"* EXCLUDE ({', '.join(dropped)})" if dropped else "*"] if star and result else [*base, *carried]
            items = [*kept, *(f"{sql} AS {column}" for column, sql in added)] or ["0 AS __vide"]
            result.append((name, ",\n    ".join(items)))
            live = carried + [c for c, _ in added]
            dropped = []
        return result


_REFERENCE = re.compile(r"\b__[cf]\d+[ndesm]?\b")


def simple(part: str) -> bool:
    """A column name or a literal (a number, a date, a short text): as cheap to repeat as a column
    reference, and left in place so that the expressions reading it fold on it."""
    if _CONSTANT.fullmatch(part) is not None:
        return True
    return len(part) <= 24 and (part.replace("_", "").isalnum() or (part.startswith("'") and part.count("'") == 2))


_CONSTANT = re.compile(r"-?\d+|CAST\('?-?\d+'? AS (?:HUGEINT|BIGINT)\)|DATE '\d{4}-\d\d-\d\d'")
_INTEGER = re.compile(r"(-?\d+)|CAST\('?(-?\d+)'? AS (?:HUGEINT|BIGINT)\)")
_TEXT = re.compile(r"'(?:[^']|'')*'")


def constant(sql: str) -> bool:
    """Whether `sql` is a literal: an integer, a text, a date or NULL (an element of a constant list)."""
    return sql == "NULL" or _CONSTANT.fullmatch(sql) is not None or _TEXT.fullmatch(sql) is not None


def literal_int(sql: str) -> int | None:
    """The integer a literal is (`65`, `CAST(65 AS BIGINT)`, as `engine.sql.numbers.constant` writes one), or
    None for any other expression: what the generator folds on."""
    found = _INTEGER.fullmatch(sql)
    return None if found is None else int(found.group(1) or found.group(2))


def combine(*codes: Code) -> int:
    """The layer an expression over these codes reads up to."""
    return max((c.layer for c in codes), default=0)
