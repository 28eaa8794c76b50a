"""The expression compiler: each node of the checked model (`engine.check.model`) to a `Code`.

It follows `engine.evaluate.reference` node by node (the interpreter is the reference: its docstring states
the rules): markers propagate, the first *non applicable* or *indéterminé* operand wins, missing
facts accumulate, `et` / `ou` are Kleene, a `si` on a missing condition collects what both
branches need, a guard (`applicable si`) is read before the body. Definitions are compiled once
(and memoised) into columns of the CTE layers; functions are inlined at each call with their
arguments bound (an argument the body does not reach is never read, as with call by need).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from attrs import evolve

from engine.check import model
from engine.lang.values import Duration, beyond_limits_reason
from engine.sql import numbers as num
from engine.sql.code import Code, Layers, arity, bor, combine, switch, text, value, when
from engine.sql.dates import date_text


class SqlUnsupported(Exception):
    """A construct the SQL generator does not translate (the message names it and where it is)."""


ZERO = "division par zéro"
BAD_DATE = "date hors du calendrier"


class Compiler:
    """Compiles the definitions of one program over a facts relation (one column per fact)."""

    def __init__(self, program: model.Program, layers: Layers, facts: Mapping[str, Code], wide: bool = True) -> None:
        self.program = program
        self.wide = wide
        """Integers of 128 bits, or of 64 bits (`engine.sql.numbers.WIDE` says when)."""
        self.layers = layers
        self.facts = facts
        self.memo: dict[tuple[str | None, str, object], Code] = {}
        self.current: list[str] = []
        self.env: dict[str, Code] = {}

    # ── errors ──
    def unsupported(self, what: str, node: model.Node) -> SqlUnsupported:
        span = node.span
        where = f"{span.file}:{span.line}" if span.file else "?"
        name = self.current[-1] if self.current else "?"
        return SqlUnsupported(f"{where} : {what} (dans « {name} ») n'est pas traduit en SQL")

    # ── definitions ──
    def result(self, name: str, origin: str | None = None) -> Code:
        """The code of a definition's result (its latest version), computed once as columns."""
        d = self.program.definition(name, origin)
        return self.version(d, origin, d.latest)

    def version(self, d: model.Definition, origin: str | None, version: model.Version) -> Code:
        key = (origin, d.name, version.start)
        found = self.memo.get(key)
        if found is not None:
            return found
        self.current.append(d.name)
        saved, self.env = self.env, {}
        body = version.body
        if isinstance(body, model.Grid):
            raise self.unsupported("une table lue sans ses clés", d)
        code = self.guarded(d, body) if d.guard is not None else self.eval(body)
        self.env = saved
        self.current.pop()
        code = self.layers.share(code, force=True)
        self.memo[key] = code
        return code

    def guarded(self, d: model.Definition, body: model.Expr) -> Code:
        guard = d.guard
        assert guard is not None
        cond = self.layers.share(self.named(guard.name))
        if not cond.can("V"):  # a guard that is a marker written in the rule: the definition is that marker
            return cond
        inner = self.layers.share(self.eval(body))
        reason = text(guard.reason or f"la condition « {guard.name} » n'est pas remplie")
        b = cond.components(1)[0]  # NULL for a guard never a value (`(non applicable "…") = f`): never true
        k = arity(d.type.kind)
        return Code(
            switch(cond.status, [("0", when(b, inner.status, "1")), ("3", "3")], cond.status),
            tuple(when(b, x, "NULL") for x in inner.components(k)),
            switch(cond.status, [("0", when(b, inner.reason, reason))], cond.reason),
            switch(cond.status, [("0", when(b, inner.missing, "0")), ("3", bor(cond.missing, inner.missing))], "0"),
            combine(cond, inner), inner.fraction)

    def named(self, name: str) -> Code:
        if name in self.program.facts:
            return self.fact(name)
        return self.result(name)

    def fact(self, name: str) -> Code:
        code = self.facts.get(name)
        if code is None:
            raise SqlUnsupported(f"le fait « {name} » (de type {self.program.facts[name].type}) "
                                 "n'est pas lu par le SQL")
        return code

    # ── expressions ──
    def eval(self, expr: model.Expr) -> Code:
        method = getattr(self, "x_" + type(expr).__name__.lower(), None)
        if method is None:
            raise self.unsupported(f"l'expression {type(expr).__name__}", expr)
        code: Code = method(expr)
        return code

    def x_const(self, e: model.Const) -> Code:
        v = e.value
        if isinstance(v, bool):
            return value("TRUE" if v else "FALSE")
        if isinstance(v, (int, Decimal, Fraction)):
            return value(*num.constant(v, self.wide), fraction=isinstance(v, Fraction))
        if isinstance(v, dt.date):
            return value(f"DATE '{v.isoformat()}'")
        if isinstance(v, str):
            return value(text(v))
        if isinstance(v, Duration):
            return value(str(v.days), str(v.months), str(v.years))
        raise self.unsupported(f"la constante {v!r}", e)

    def x_factref(self, e: model.FactRef) -> Code:
        return self.fact(e.name)

    def x_defref(self, e: model.DefRef) -> Code:
        d = self.program.definition(e.name, e.origin)
        if e.date is None or not d.dated:
            return self.version(d, e.origin, d.latest)
        when_ = self.layers.share(self.eval(e.date))
        if not when_.can("V"):
            return when_
        choices = [(v.start, self.version(d, e.origin, v)) for v in d.versions]
        reason = (f"'aucune version de « {d.name} » n''est en vigueur au ' || "
                  f"{date_text(when_.components(1)[0])}")
        return self.by_date(when_, choices, reason, d.type.kind)

    def by_date(self, when_: Code, choices: Sequence[tuple[dt.date | None, Code]], none_reason: str,
                kind: str) -> Code:
        """The choice in force at a date (the last starting on or before it), or *non applicable*."""
        date = when_.components(1)[0]
        cases: list[tuple[str, Code]] = []
        for start, code in reversed(choices):
            cases.append(("TRUE" if start is None else f"{date} >= DATE '{start.isoformat()}'", code))
        none = Code("1", (), none_reason)
        chosen = self.choose(cases, none, kind)
        return self.then(when_, chosen, kind)

    def then(self, first: Code, second: Code, kind: str) -> Code:
        """`second` when `first` is a value, else `first`'s absence (a date read before a version)."""
        if first.fixed == "V":
            return second
        k = arity(kind)
        status, layer = self.layers.once(first.status, first.layer)  # read by every part
        ok = f"{status} = 0"
        return Code(when(ok, second.status, status), tuple(when(ok, x, "NULL") for x in second.components(k)),
                    when(ok, second.reason, first.reason), when(ok, second.missing, first.missing),
                    max(layer, combine(first, second)), second.fraction)

    def choose(self, cases: Sequence[tuple[str, Code]], default: Code, kind: str) -> Code:
        """The code of the first case whose condition holds (conditions read only values)."""
        k = arity(kind)
        codes = [c for _, c in cases] + [default]

        def pick(part: Callable[[Code], str]) -> str:
            if all(part(c) == part(codes[0]) for c in codes):
                return part(codes[0])
            arms = " ".join(f"WHEN {cond} THEN {part(c)}" for cond, c in cases)
            return f"CASE {arms} ELSE {part(default)} END"

        def component(index: int) -> Callable[[Code], str]:
            return lambda c: c.components(k)[index]

        values = tuple(pick(component(i)) for i in range(k))
        return Code(pick(lambda c: c.status), values, pick(lambda c: c.reason), pick(lambda c: c.missing),
                    combine(*codes), any(c.fraction for c in codes))

    def x_paramref(self, e: model.ParamRef) -> Code:
        return self.env[e.name]

    def x_funccall(self, e: model.FuncCall) -> Code:
        d = self.program.definition(e.name, e.origin)
        args = {p.name: self.layers.share(self.eval(a)) for p, a in zip(d.params, e.args, strict=True)}
        saved, self.env = self.env, args
        self.current.append(d.name)
        body = d.latest.body
        assert not isinstance(body, model.Grid)
        code = self.guarded(d, body) if d.guard is not None else self.eval(body)
        self.current.pop()
        self.env = saved
        return code

    # ── operands: the first non applicable or indéterminé wins, missing facts accumulate ──
    def operands(self, codes: Sequence[Code]) -> Code:
        """The absence of a list of operands (status V when all are values), without a value."""
        absent = [c for c in codes if c.fixed != "V"]
        if not absent:
            return Code("0", (), layer=combine(*codes))
        if len(absent) == 1:
            c = absent[0]
            return Code(c.status, (), c.reason, c.missing, c.layer)
        reasons = [c.reason for c in absent if c.reason != "NULL"]
        reason = "NULL" if not reasons else reasons[0] if len(reasons) == 1 else f"coalesce({', '.join(reasons)})"
        arms = " ".join(f"WHEN {c.reason} IS NOT NULL THEN {c.status}" for c in absent if c.reason != "NULL")
        mask = bor(*(c.missing for c in absent))
        status = f"CASE {arms} WHEN ({mask}) <> 0 THEN 3 ELSE 0 END"
        return Code(status, (), reason, when(f"{reason} IS NULL", mask, "0"), combine(*codes))

    def read_often(self, code: Code) -> Code:
        """A boolean's status and value as columns (unless names or literals): a `si` or an `et`
        reads them in each of its parts."""
        status, at = self.layers.once(code.status, code.layer)
        if len(code.value) != 1:
            return evolve(code, status=status, layer=max(at, code.layer))
        test, at2 = self.layers.once(code.value[0], code.layer)
        return evolve(code, status=status, value=(test,), layer=max(at, at2, code.layer))

    def absent(self, codes: Sequence[Code]) -> Code | None:
        """The operands' absence when one of them is never a value (a marker written in the rule): the
        result is then never a value either, and is computed without one (a marker's NULL has no SQL
        type to compute on, nor the checker a type to compute with: `non applicable "a" + 1`)."""
        if any(not c.can("V") for c in codes):
            return self.operands(codes)
        return None

    def over(self, codes: Sequence[Code], values: tuple[str, ...], failures: Sequence[tuple[str, str]] = (),
             fraction: bool = False, at: int = 0) -> Code:
        """A result computed from operands' values (columns up to layer `at`), *indéterminé* when a
        failure condition holds."""
        ops = self.layers.share(self.operands(codes))
        layer = max(combine(*codes), at)
        failures = [(cond, reason) for cond, reason in failures if cond != "FALSE"]
        if not failures:
            return Code(ops.status, values, ops.reason, ops.missing, max(layer, ops.layer), fraction)
        ok = ops.fixed == "V"
        test = " ".join(f"WHEN {cond} THEN {reason}" for cond, reason in failures)
        failed, layer = self.layers.column(f"CASE {test} END", layer)
        if not ok:  # the operands' status is read three times: a column, unless it is one already
            ops_status, at = self.layers.once(ops.status, ops.layer)
            ops, layer = evolve(ops, status=ops_status), max(layer, at)
        status = (f"CASE WHEN {failed} IS NOT NULL THEN 2 ELSE 0 END" if ok else
                  f"CASE WHEN {ops.status} <> 0 THEN {ops.status} WHEN {failed} IS NOT NULL THEN 2 ELSE 0 END")
        reason = failed if ok else f"CASE WHEN {ops.status} <> 0 THEN {ops.reason} ELSE {failed} END"
        kept = tuple(f"CASE WHEN {failed} IS NULL THEN {v} END" for v in values)
        return Code(status, kept, reason, ops.missing, max(layer, ops.layer), fraction)

    def beyond_reason(self) -> str:
        return text(beyond_limits_reason(self.current[-1] if self.current else None))

    # ── the operators are compiled by the subclass `engine.sql.nodes.Generator` ──
