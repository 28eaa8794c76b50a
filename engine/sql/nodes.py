"""The operators of the language in SQL: arithmetic, logic, comparisons, tables, rounding, dates.

Each method mirrors the `x_…` method of the same name in `engine.evaluate.reference`, whose results are
the truth; `engine.sql.numbers` and `engine.sql.dates` hold the value operations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from attrs import evolve

from engine.check import model
from engine.lang.kinds import KeyKind, MarkerKind, TypeKind
from engine.sql import numbers as num
from engine.sql.code import (
    NUMBER_KINDS,
    Code,
    arity,
    bor,
    combine,
    constant,
    literal_int,
    simple,
    switch,
    text,
    value,
    when,
)
from engine.sql.dates import (
    MAX_DAYS,
    calendar_check,
    date_shift,
    date_text,
    duration_compare,
    duration_text,
)
from engine.sql.exprs import BAD_DATE, ZERO, Compiler

_UND_DURATIONS = text("durées en jours et en mois : comparaison impossible")


def _component(count: int, index: int) -> Callable[[Code], str]:
    """The `index`-th of a code's `count` value components."""
    return lambda c: c.components(count)[index]


def _small_literal(sql: str) -> str:
    """A typed integer constant (`CAST(65 AS BIGINT)`) as the plain literal `65` when it is small (a date
    shift of `65 ans` then folds: no test of its size, no `CASE` on it being 0, on every row)."""
    found = literal_int(sql)
    return str(found) if found is not None and abs(found) <= MAX_DAYS else sql


def _branch(condition: str, then: str, otherwise: str, given: bool) -> str:
    """A `si`'s value: `then` where the condition holds, `otherwise` where it does not, NULL where it is
    missing (unless it never is: `given`); an arm giving NULL is not written."""
    if then == otherwise:
        return then
    if given:
        return when(condition, then, otherwise)
    if otherwise == "NULL":
        return f"CASE WHEN {condition} THEN {then} END"
    if then == "NULL":
        return f"CASE WHEN NOT {condition} THEN {otherwise} END"
    return f"CASE WHEN {condition} THEN {then} WHEN NOT {condition} THEN {otherwise} END"


def _kind(*exprs: model.Expr) -> str:
    """The kind of the first operand whose type is known (a marker's type is `any`)."""
    for e in exprs:
        if e.type.kind != TypeKind.ANY:
            return e.type.kind
    return "any"


class Generator(Compiler):
    """The full compiler: `Compiler`'s definitions and references, with every operator."""

    def col(self, sql: str, layer: int) -> tuple[str, int]:
        """`sql` as a column, unless it is a name or a literal: left in place, the operations reading it
        fold on it (a denominator `1`, an exponent `0`), and no column repeats a constant on every row."""
        return self.layers.once(sql, layer)

    # ── numbers ──
    def normalise(self, n: str, d: str, layer: int) -> tuple[num.Num, int]:
        """`values.normalise(Fraction(n, d))` as columns: reduced, then a Decimal when it has one."""
        cn, at_n = self.col(n, layer)  # each step reads up to the deepest of its inputs' layers: a literal
        cd, at_d = self.col(d, layer)  # or a name stays at the layer it is read from
        g, at_g = self.col(num.narrow("gcd", f"abs({cn})", cd, positive="ab", wide=self.wide), max(at_n, at_d))  # d > 0
        n1, at_n1 = self.col(num.narrow("//", cn, g, positive="b", wide=self.wide), at_g)
        d1, at_d1 = self.col(num.narrow("//", cd, g, positive="ab", wide=self.wide), at_g)
        k, at_k = self.col(num.decimal_places(d1, self.wide), at_d1)
        power, at_p = self.col(num.pow10(k, self.wide), at_k)
        moved = num.narrow("//", power, d1, positive="ab", wide=self.wide)
        return ((f"CASE WHEN {k} IS NULL THEN {n1} ELSE {n1} * {moved} END",
                 f"CASE WHEN {k} IS NULL THEN {d1} ELSE {power} END", f"-{k}"), max(at_n1, at_d1, at_p))

    def kept_narrow(self, comps: num.Num) -> num.Num:
        """A result's numerator and denominator cast to 64 bits in a query on 64 bits (a cast of a BIGINT
        costs nothing): an operand of 128 bits (a power of ten beyond 10^18) cannot carry a number past
        2^63 unchecked, where the 10²⁰ limit is no longer tested (`engine.sql.numbers.WIDE`)."""
        if self.wide:
            return comps

        def cast(part: str) -> str:  # a name or a literal is 64-bit already
            return part if simple(part) else f"CAST({part} AS BIGINT)"

        return cast(comps[0]), cast(comps[1]), comps[2]

    def number_arith(self, op: str, a: Code, b: Code, kind: str) -> Code:
        A = a.number
        B = b.number
        layer = combine(a, b)
        failures: list[tuple[str, str]] = []
        fraction = False
        if op == "/":
            n, d = num.rational_div(A, B)
            failures.append((f"{B[0]} = 0", text(ZERO)))
            comps, layer = self.normalise(n, f"CASE WHEN {B[0]} <> 0 THEN {d} END", layer)
            fraction = True
        else:
            decimal = (num.decimal_add(A, B, op, decimals=not (a.fraction or b.fraction), wide=self.wide) if op in "+-"
                       else num.decimal_mul(A, B))
            comps = decimal
            if a.fraction or b.fraction:
                n, d = num.rational_add(A, B, op) if op in "+-" else num.rational_mul(A, B)
                normal, layer = self.normalise(n, d, layer)
                both = f"{A[2]} IS NOT NULL AND {B[2]} IS NOT NULL"
                chosen = [f"CASE WHEN {both} THEN {x} ELSE {y} END" for x, y in zip(decimal, normal, strict=True)]
                comps = (chosen[0], chosen[1], chosen[2])
                fraction = True
        names = []
        top = layer
        for part in self.kept_narrow(comps):
            name, at = self.col(part, layer)
            names.append(name)
            top = max(top, at)
        failures.append((num.beyond(names[0], names[1], self.wide), self.beyond_reason()))
        return self.over([a, b], tuple(names), failures, fraction, top)

    def x_arith(self, e: model.Arith) -> Code:
        a = self.layers.share(self.eval(e.left))
        b = self.layers.share(self.eval(e.right))
        if (absent := self.absent([a, b])) is not None:
            return absent
        lk, rk = _kind(e.left, e.right), _kind(e.right, e.left)
        if lk == "date" or rk == "date":
            return self.date_arith(e, a, b, lk, rk)
        if lk == "duree" or rk == "duree":
            return self.duration_arith(e, a, b, lk, rk)
        if lk in NUMBER_KINDS:
            return self.number_arith(e.op, a, b, e.type.kind)
        raise self.unsupported(f"l'opération {e.op} sur {e.left.type} et {e.right.type}", e)

    def date_arith(self, e: model.Arith, a: Code, b: Code, lk: str, rk: str) -> Code:
        if lk == "date" and rk == "date":
            x, y = a.components(1)[0], b.components(1)[0]
            days = f"date_diff('day', CAST({y} AS DATE), CAST({x} AS DATE))"  # typed: a marker's NULL has no type
            return self.over([a, b], (f"CAST({days} AS BIGINT)", "0", "0"))
        if lk == "date":
            date, shift, sign = a.components(1)[0], b.number, "-" if e.op == "-" else ""
        else:
            date, shift, sign = b.components(1)[0], a.number, ""
        date = f"CAST({date} AS DATE)"  # typed: the NULL of a `si` between two markers has no type
        shifted, out = date_shift(date, shift[0], shift[1], shift[2], sign)
        name, layer = self.col(shifted, combine(a, b))
        failures = [(out, text(BAD_DATE))] if out != "FALSE" else []
        failures.append((calendar_check(name), text(BAD_DATE)))
        return self.over([a, b], (name,), failures, at=layer)

    def duration_arith(self, e: model.Arith, a: Code, b: Code, lk: str, rk: str) -> Code:
        if e.op == "×":
            dur, factor = (a, b) if lk == "duree" else (b, a)
            n = factor.number[0]
            parts = tuple(f"({x} * {n})" for x in dur.number)
        elif e.op in "+-":
            parts = tuple(f"({x} {e.op} {y})" for x, y in zip(a.number, b.number, strict=True))
        else:
            raise self.unsupported(f"l'opération {e.op} sur des durées", e)
        names = []
        layer = combine(a, b)
        for part in parts:
            name, at = self.col(part, combine(a, b))
            names.append(name)
            layer = max(layer, at)
        limit = f"CAST({num.LIMIT} AS {'HUGEINT'})"
        beyond = " OR ".join(f"abs({x}) >= {limit}" for x in names) if self.wide else "FALSE"  # 64 bits: never
        failures = [(beyond, self.beyond_reason())]
        return self.over([a, b], tuple(names), failures, at=layer)

    def x_negate(self, e: model.Negate) -> Code:
        a = self.eval(e.operand)
        if not a.can("V") or not a.value:  # no value components: an operation on a literal marker, never a value
            return a
        if e.type.kind in NUMBER_KINDS:
            n, d, x = a.number
            return Code(a.status, (f"(-{n})", d, x), a.reason, a.missing, a.layer, a.fraction)
        if e.type.kind == TypeKind.DUREE:
            return Code(a.status, tuple(f"(-{x})" for x in a.number), a.reason, a.missing, a.layer)
        raise self.unsupported(f"la négation d'une valeur de type {e.type}", e)

    # ── logic ──
    def x_not(self, e: model.Not) -> Code:
        a = self.eval(e.operand)
        if not a.can("V"):
            return a
        return Code(a.status, (f"(NOT {a.components(1)[0]})",), a.reason, a.missing, a.layer)

    def x_logic(self, e: model.Logic) -> Code:
        left = self.read_often(self.layers.share(self.eval(e.left)))
        right = self.read_often(self.layers.share(self.eval(e.right)))
        ls, rs = left.status, right.status
        lb, rb = left.components(1)[0], right.components(1)[0]
        decisive = "FALSE" if e.op == "et" else "TRUE"
        is_l = f"{lb} = {decisive}"
        is_r = f"{rs} = 0 AND {rb} = {decisive}" if rs != "0" else f"{rb} = {decisive}"
        sql_op = "AND" if e.op == "et" else "OR"
        status = switch(ls, [("0", when(is_l, "0", rs)), ("3", when(is_r, "0", "3"))], ls)
        val = f"({lb} {sql_op} {rb})" if ls == "0" else f"CASE WHEN {ls} IN (0, 3) THEN ({lb} {sql_op} {rb}) END"
        reason = when(f"{ls} = 0 AND NOT ({is_l})" if ls != "0" else f"NOT ({is_l})", right.reason, left.reason)
        both = bor(left.missing, right.missing)
        right_missing = when(f"{rs} = 3", both, left.missing) if right.can("M") else left.missing
        missing = switch(ls, [("0", when(is_l, "0", right.missing)), ("3", when(is_r, "0", right_missing))], "0")
        return Code(status, (val,), reason, missing, combine(left, right))

    def x_compare(self, e: model.Compare) -> Code:
        a = self.layers.share(self.eval(e.left))
        b = self.layers.share(self.eval(e.right))
        if (absent := self.absent([a, b])) is not None:
            return absent
        kind = _kind(e.left, e.right)
        if kind in NUMBER_KINDS:
            return self.over([a, b], (num.compare(e.op, a.number, b.number),))
        if kind == TypeKind.DUREE:
            test, mixed = duration_compare(num.SQL_OPS[e.op], a.number, b.number)
            return self.over([a, b], (test,), [(mixed, _UND_DURATIONS)])
        if kind in {TypeKind.DATE, TypeKind.TEXTE, TypeKind.ENUM, TypeKind.BOOLEEN}:
            x, y = a.components(1)[0], b.components(1)[0]
            return self.over([a, b], (f"({x} {num.SQL_OPS[e.op]} {y})",))
        raise self.unsupported(f"la comparaison de valeurs de type {e.left.type}", e)

    def x_member(self, e: model.Member) -> Code:
        a = self.layers.share(self.eval(e.operand))
        if not a.can("V"):
            return a
        kind = _kind(e.operand)
        if kind in NUMBER_KINDS:
            parts = [num.compare("=", a.number, num.constant(item, self.wide)) for item in e.items]
            test = "(" + (" OR ".join(parts) or "FALSE") + ")"
        elif all(isinstance(item, str) for item in e.items):
            x = a.components(1)[0]
            test = f"({x} IN ({', '.join(text(str(i)) for i in e.items)}))" if e.items else "FALSE"
        else:
            raise self.unsupported(f"« dans » sur des valeurs de type {e.operand.type}", e)
        if e.negated:
            test = f"(NOT {test})"
        return Code(a.status, (f"CASE WHEN {a.status} = 0 THEN {test} END",), a.reason, a.missing, a.layer)

    def x_if(self, e: model.If) -> Code:
        if isinstance(e.condition, model.Const):
            return self.eval(e.then if e.condition.value else e.otherwise)
        c = self.read_often(self.layers.share(self.eval(e.condition)))
        t = self.layers.share(self.eval(e.then))
        o = self.layers.share(self.eval(e.otherwise))
        b = c.components(1)[0]
        k = arity(e.type.kind)
        values = tuple(_branch(b, x, y, c.fixed == "V") for x, y in zip(t.components(k), o.components(k), strict=True))
        status = switch(c.status, [("0", when(b, t.status, o.status)), ("3", "3")], c.status)
        reason = switch(c.status, [("0", when(b, t.reason, o.reason))], c.reason)
        missing = switch(c.status, [("0", when(b, t.missing, o.missing)), ("3", bor(c.missing, t.missing, o.missing))],
                         "0")
        return Code(status, values, reason, missing, combine(c, t, o), t.fraction or o.fraction)

    # ── rounding, durations, texts, markers, min and max ──
    def x_round(self, e: model.Round) -> Code:
        a = self.layers.share(self.eval(e.operand))
        if not a.can("V"):
            return a
        comps = num.rounded(a.number, e.quantum, e.truncate, self.wide)
        names = []
        layer = a.layer
        for part in self.kept_narrow(comps):
            name, at = self.col(part, a.layer)
            names.append(name)
            layer = max(layer, at)
        failures = [(num.beyond(names[0], names[1], self.wide), self.beyond_reason())]
        return self.over([a], tuple(names), failures, at=layer)

    def x_durationof(self, e: model.DurationOf) -> Code:
        a = self.eval(e.amount)
        if not a.can("V"):
            return a
        n = _small_literal(a.number[0])
        parts = {"jours": (n, "0", "0"), "mois": ("0", n, "0"), "ans": ("0", "0", n)}[e.unit]
        return Code(a.status, parts, a.reason, a.missing, a.layer)

    def x_textof(self, e: model.TextOf) -> Code:
        when_ = self.layers.share(self.eval(e.date))
        if not when_.can("V"):
            return when_
        d = self.program.definition(e.name)
        choices = [(v.start, value(text(v.text.short))) for v in d.versions]
        reason = f"'aucune version de « {e.name} » au ' || {date_text(when_.components(1)[0])}"
        return self.by_date(when_, choices, reason, "texte")

    def x_marker(self, e: model.Marker) -> Code:
        return Code("1" if e.kind is MarkerKind.NOT_APPLICABLE else "2", (), text(e.reason))

    def x_builtin(self, e: model.Builtin) -> Code:
        args = [self.layers.share(self.eval(a)) for a in e.args]
        if (absent := self.absent(args)) is not None:
            return absent
        kind = e.type.kind
        k = arity(kind)
        if kind not in NUMBER_KINDS and kind != TypeKind.DATE:
            raise self.unsupported(f"{e.name} de valeurs de type {e.type}", e)
        best = args[0].components(k)
        layer = combine(*args)
        for arg in args[1:]:
            other = arg.components(k)
            op = "<" if e.name == "min" else ">"
            better = (num.compare(op, (other[0], other[1], other[2]), (best[0], best[1], best[2])) if k == 3
                      else f"({other[0]} {op} {best[0]})")
            chosen = []
            top = layer
            for x, y in zip(other, best, strict=True):
                name, at = self.col(when(better, x, y), layer)
                chosen.append(name)
                top = max(top, at)  # a component both sides share stays a literal, at the layer read
            layer = top
            best = tuple(chosen)
        return self.over(args, best, (), any(a.fraction for a in args), layer)

    # ── tables ──
    def x_tablecall(self, e: model.TableCall) -> Code:
        d = self.program.definition(e.name, e.origin)
        args = [self.layers.share(self.eval(a)) for a in e.args]
        kinds = [p.type.kind for p in d.params]
        dated = e.date is not None and d.dated
        when_ = self.layers.share(self.eval(e.date)) if dated and e.date is not None else None
        read = args + ([when_] if when_ is not None else [])
        if (absent := self.absent(read)) is not None:
            return absent
        ops = self.layers.share(self.operands(read))
        shown = " || ', ' || ".join(self.shown(a, k) for a, k in zip(args, kinds, strict=True))
        no_cell = Code("2", (), f"'aucune case de la table « {e.name} » ne correspond à (' || {shown} || ')'",
                       layer=combine(*args))
        kind = d.type.kind
        versions = d.versions if dated else (d.latest,)
        chosen = [(v.start if dated else None, self.grid(d, v, args, kinds, no_cell)) for v in versions]
        if when_ is None:
            selected = chosen[-1][1]
        else:
            date = when_.components(1)[0]
            none = Code("1", (), f"'aucune version de la table « {e.name} » n''est en vigueur au ' || "
                        f"{date_text(date)}", layer=when_.layer)
            cases = [("TRUE" if start is None else f"{date} >= DATE '{start.isoformat()}'", code)
                     for start, code in reversed(chosen)]
            selected = self.choose(cases, none, kind)
        return self.then(ops, selected, kind)

    def grid(self, d: model.Definition, version: model.Version, args: Sequence[Code], kinds: Sequence[str],
             no_cell: Code) -> Code:
        grid = version.body
        assert isinstance(grid, model.Grid)
        row, layer = self.key_index(grid.rows, args[0], kinds[0], d)
        if grid.columns is None:
            index = row
        else:
            column, layer2 = self.key_index(grid.columns, args[1], kinds[1], d)
            layer = max(layer, layer2)
            index = (str(int(row) * len(grid.columns) + int(column)) if row.isdigit() and column.isdigit()
                     else f"{row} * {len(grid.columns)} + {column}")
            index, layer = self.col(index, layer)
        self.current.append(d.name)
        cells = [self.eval(cell.expr) for cells in grid.cells for cell in cells]
        self.current.pop()
        chosen = self.cell(index, cells, no_cell, d.type.kind)
        return self.layers.share(evolve(chosen, layer=max(chosen.layer, layer)))

    def cell(self, index: str, cells: Sequence[Code], no_cell: Code, kind: str) -> Code:
        """The code of the cell at `index` (row × columns + column, NULL when a key falls in no cell).

        Each part is chosen by the set of cells giving each of its texts, the most frequent one
        last: a status is `0` in most cells of a table, a denominator `1`; one test of the index
        per distinct text, rather than one per cell."""
        if index.isdigit():  # literal keys: the cell is known
            return cells[int(index)]
        if index == "NULL":
            return no_cell
        k = arity(kind)

        def pick(part: Callable[[Code], str]) -> str:
            texts = [part(c) for c in cells]
            common = max(dict.fromkeys(texts), key=texts.count)  # the first of the most frequent: a stable text
            arms = [] if part(no_cell) == common else [(f"{index} IS NULL", part(no_cell))]
            for text_ in dict.fromkeys(texts):
                if text_ != common:
                    where = [str(i) for i, t in enumerate(texts) if t == text_]
                    test = f"{index} = {where[0]}" if len(where) == 1 else f"{index} IN ({', '.join(where)})"
                    arms.append((test, text_))
            if not arms:
                return common
            none = part(no_cell)
            if len(arms) > 1 and all(map(constant, [*texts, none])):  # one lookup, not a test per arm
                lookup = f"list_extract([{', '.join(texts)}], {index} + 1)"
                return lookup if none == "NULL" else f"CASE WHEN {index} IS NULL THEN {none} ELSE {lookup} END"
            return f"CASE {' '.join(f'WHEN {c} THEN {v}' for c, v in arms)} ELSE {common} END"

        values = tuple(pick(_component(k, i)) for i in range(k))
        return Code(pick(lambda c: c.status), values, pick(lambda c: c.reason), pick(lambda c: c.missing),
                    combine(*cells, no_cell), any(c.fraction for c in cells))

    def key_index(self, keys: tuple[model.Key, ...], arg: Code, kind: str, d: model.Definition) -> tuple[str, int]:
        """A column holding the index of the key an argument falls under (`evaluator._find`), or NULL."""
        other = next((i for i, key in enumerate(keys) if key.kind == KeyKind.OTHER), None)
        default = "NULL" if other is None else str(other)
        arms = []
        for index, key in enumerate(keys):
            if key.kind == KeyKind.OTHER:
                continue
            test = self.key_match(key, arg, kind, d)
            if test == "TRUE":  # a literal argument: the key it falls under is known
                default = str(index)
                break
            if test != "FALSE":
                arms.append(f"WHEN {test} THEN {index}")
        sql = f"CASE {' '.join(arms)} ELSE {default} END" if arms else default
        return self.col(sql, arg.layer)

    def key_match(self, key: model.Key, arg: Code, kind: str, d: model.Definition) -> str:
        if kind in NUMBER_KINDS:
            comps = arg.number
            if key.kind in {KeyKind.ENUM, KeyKind.VALUE}:
                return num.compare("=", comps, num.constant(key.value, self.wide))
            tests = []
            if key.low is not None:
                tests.append(num.compare("≥" if key.low_inclusive else ">", comps, num.constant(key.low, self.wide)))
            if key.high is not None:
                tests.append(num.compare("≤" if key.high_inclusive else "<", comps, num.constant(key.high, self.wide)))
            return " AND ".join(tests) or "TRUE"
        if key.kind in {KeyKind.ENUM, KeyKind.VALUE} and isinstance(key.value, str):
            x = arg.components(1)[0]
            if arg.fixed == "V" and x.startswith("'"):  # a literal text: the test is known
                return "TRUE" if x == text(key.value) else "FALSE"
            return f"{x} = {text(key.value)}"
        raise self.unsupported(f"une clé « {key.text} » sur une valeur de type {kind}", d)

    def shown(self, code: Code, kind: str) -> str:
        """`str(value)` of a table's key argument, as the reason of an unmatched key quotes it."""
        if kind in NUMBER_KINDS:
            return num.str_text(code.number, code.fraction)
        x = code.components(arity(kind))
        if kind == TypeKind.BOOLEEN:
            return f"CASE WHEN {x[0]} THEN 'True' ELSE 'False' END"
        if kind == TypeKind.DATE:
            return f"CAST({x[0]} AS VARCHAR)"
        if kind == TypeKind.DUREE:
            return duration_text(*x)
        return x[0]
