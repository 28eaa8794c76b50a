"""Stage 4: (checked program, facts) → results, with an optional trace.

A pure tree walk over `engine.check.model`. Each rule is evaluated at most once per call (memoised) and
only when something needs it, so a fact is read only when the evaluation reaches it. Results are
three-valued plus missing (`engine.lang.results`):
- an operation on a *non applicable* or *indéterminé* operand gives that marker, unchanged;
- *missing* operands accumulate, so one evaluation lists every fact still needed;
- `et` / `ou` follow Kleene: `faux et ?` is `faux`, `vrai ou ?` is `vrai`;
- a `si` on a missing condition evaluates both branches to collect what they would need.
Arithmetic is exact (`engine.lang.values`); a division by zero or a date off the calendar gives
*indéterminé* with the reason, never an exception.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from engine.check import model
from engine.lang.results import Missing, NotApplicable, Result, Undetermined, Value
from engine.evaluate.sites import sites_of
from engine.evaluate.trace import Event, Tracer
from engine.lang.values import LIMIT_ERRORS, Duration, add, beyond_limits_reason, div, mul, neg, round_to, shift, sub

_TRUE = Value(True)
_FALSE = Value(False)


class Evaluator:
    """One evaluation of a program against one set of validated facts."""

    def __init__(self, program: model.Program, facts: Mapping[str, object], tracer: Tracer | None = None) -> None:
        self.program = program
        self.facts = facts
        self.tracer = tracer
        self.traced = tracer is not None
        self.cache: dict[tuple[str | None, str, object], Result] = {}
        self.current: list[str] = []
        self.env: dict[str, _Thunk] = {}
        self.events: dict[tuple[str | None, str, object], Event] = {}
        self.sites = sites_of(program) if tracer is not None else None  # type: ignore[assignment]
        self.dispatch: dict[type, Callable[[object], Result]] = {
            model.Const: self.x_const, model.FactRef: self.x_fact, model.DefRef: self.x_ref,
            model.ParamRef: self.x_param, model.FuncCall: self.x_call,
            model.TableCall: self.x_table, model.Builtin: self.x_builtin, model.Arith: self.x_arith,
            model.Negate: self.x_negate, model.Logic: self.x_logic, model.Not: self.x_not,
            model.Compare: self.x_compare, model.Member: self.x_member, model.If: self.x_if,
            model.Round: self.x_round, model.DurationOf: self.x_duration, model.TextOf: self.x_text_of,
            model.Marker: self.x_marker,
        }

    # ── entry points ──
    def result(self, name: str, origin: str | None = None) -> Result:
        """The result of a rule (or parameter), evaluated once."""
        return self.definition(self.program.definition(name, origin), origin, None)

    def eval(self, expr: model.Expr) -> Result:
        """Evaluate one expression."""
        return self.dispatch[type(expr)](expr)  # type: ignore[arg-type]

    # ── definitions ──
    def definition(self, d: model.Definition, origin: str | None, date: dt.date | None) -> Result:
        version = d.version_at(date) if d.dated else d.latest
        key = (origin, d.name, version.start if version else date)
        cached = self.cache.get(key)
        if cached is not None:
            if self.traced:  # the same complete event again: every result's tree stays whole
                self.tracer.log.append(self.events[key])  # type: ignore[union-attr]
            return cached
        mark = len(self.tracer.log) if self.traced else 0  # type: ignore[union-attr]
        self.current.append(d.name)
        saved_env, self.env = self.env, {}
        if version is None:
            result: Result = NotApplicable(f"aucune version de « {d.name} » n'est en vigueur au {date:%d/%m/%Y}", d.name)
        elif d.guard is not None:
            result = self.guarded(d, version)
        else:
            result = self.eval(version.body)  # type: ignore[arg-type]
        self.current.pop()
        self.env = saved_env
        self.cache[key] = result
        if self.traced:
            site = self.sites.definition(d, version, origin)
            details = None if date is None else {"date": date}  # the site says `date: None`
            self.events[key] = self.tracer.record(site, result, mark, details)  # type: ignore[union-attr]
        return result

    def guarded(self, d: model.Definition, version: model.Version) -> Result:
        guard = d.guard
        assert guard is not None
        mark = len(self.tracer.log) if self.traced else 0  # type: ignore[union-attr]
        condition = self.named(guard.name)
        if condition == _TRUE:
            outcome: Result = condition
        elif condition == _FALSE:
            outcome = NotApplicable(guard.reason or f"la condition « {guard.name} » n'est pas remplie", d.name)
        else:
            outcome = condition
        if self.traced:
            self.tracer.record(self.sites.guard(guard), outcome, mark)  # type: ignore[union-attr]
        if outcome == _TRUE:
            return self.eval(version.body)  # type: ignore[arg-type]
        if isinstance(outcome, Missing):
            body = self.eval(version.body)  # type: ignore[arg-type]
            return _missing(outcome, body) if isinstance(body, Missing) else outcome
        return outcome

    def named(self, name: str) -> Result:
        if name in self.program.facts:
            return self.read_fact(self.program.facts[name])
        return self.result(name)

    def read_fact(self, node: model.FactDecl | model.FactRef) -> Result:
        """A fact's value, or its absence; `node` is where it is read (its span is the event's)."""
        name = node.name
        if name in self.facts:
            result: Result = Value(self.facts[name])
        else:
            result = Missing(frozenset((name,)))
        if self.traced:
            self.tracer.log.append(Event(self.sites.fact(node), result))  # type: ignore[union-attr]
        return result

    # ── expressions ──
    def x_const(self, e: model.Const) -> Result:
        return Value(e.value)

    def x_fact(self, e: model.FactRef) -> Result:
        return self.read_fact(e)

    def x_ref(self, e: model.DefRef) -> Result:
        d = self.program.definition(e.name, e.origin)
        date = None
        if e.date is not None and d.dated:  # an undated definition does not need its date read
            when = self.eval(e.date)
            if not isinstance(when, Value):
                return when
            date = when.value
        return self.definition(d, e.origin, date)  # type: ignore[arg-type]

    def x_param(self, e: model.ParamRef) -> Result:
        thunk = self.env[e.name]
        if thunk.result is None:
            saved, self.env = self.env, thunk.env
            thunk.result = self.eval(thunk.expr)
            self.env = saved
        return thunk.result

    def x_call(self, e: model.FuncCall) -> Result:
        d = self.program.definition(e.name, e.origin)
        params = [p.name for p in d.params]
        env = {name: _Thunk(arg, self.env) for name, arg in zip(params, e.args)}
        mark = len(self.tracer.log) if self.traced else 0  # type: ignore[union-attr]
        saved, self.env = self.env, env
        self.current.append(d.name)
        result = self.guarded(d, d.latest) if d.guard is not None else self.eval(d.latest.body)  # type: ignore[arg-type]
        self.current.pop()
        self.env = saved
        if self.traced:
            args = {name: t.result.value if isinstance(t.result, Value) else None for name, t in env.items()}
            self.tracer.record(self.sites.of(e), result, mark, {"arguments": args})  # type: ignore[union-attr]
        return result

    def operands(self, exprs: Sequence[model.Expr]) -> list[object] | Result:
        """Evaluate left to right; the first marker wins, missing facts accumulate."""
        values: list[object] = []
        missing: set[str] = set()
        for expr in exprs:
            r = self.eval(expr)
            if type(r) is Value:
                values.append(r.value)
            elif type(r) is Missing:
                missing |= r.facts
                values.append(None)
            else:
                return r
        if missing:
            return Missing(frozenset(missing))
        return values

    def x_table(self, e: model.TableCall) -> Result:
        mark = len(self.tracer.log) if self.traced else 0  # type: ignore[union-attr]
        result, data = self.lookup(e)
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark, data)  # type: ignore[union-attr]
        return result

    def lookup(self, e: model.TableCall) -> tuple[Result, dict[str, object]]:
        d = self.program.definition(e.name, e.origin)
        dated = e.date is not None and d.dated  # an undated table does not need its date read
        args = self.operands(e.args + ((e.date,) if dated else ()))  # type: ignore[operator]
        if not isinstance(args, list):
            return args, {}
        date = args.pop() if dated else None
        version = d.version_at(date) if d.dated else d.latest  # type: ignore[arg-type]
        data: dict[str, object] = {"keys": args, "date": date}
        if version is None:
            return NotApplicable(f"aucune version de la table « {e.name} » n'est en vigueur au {date:%d/%m/%Y}", e.name), data
        grid = version.body
        assert isinstance(grid, model.Grid)
        row = _find(grid.rows, args[0])
        column = 0 if grid.columns is None else _find(grid.columns, args[1])
        if self.traced:
            data.update(self.sites.version_data(version, d))
        if row is None or column is None:
            shown = ", ".join(str(a) for a in args)
            return Undetermined(f"aucune case de la table « {e.name} » ne correspond à ({shown})", e.name), data
        if self.traced:
            data.update(self.sites.cell_data(d, grid, row, column))
        return self.eval(grid.cells[row][column].expr), data

    def x_builtin(self, e: model.Builtin) -> Result:
        mark = len(self.tracer.log) if self.traced else 0  # type: ignore[union-attr]
        values = self.operands(e.args)
        result = values if not isinstance(values, list) else Value((min if e.name == "min" else max)(values))  # type: ignore[type-var]
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark,  # type: ignore[union-attr]
                               {"values": values if isinstance(values, list) else None})
        return result

    def x_arith(self, e: model.Arith) -> Result:
        mark = len(self.tracer.log) if self.traced else 0  # type: ignore[union-attr]
        values = self.operands((e.left, e.right))
        if isinstance(values, list):
            result = _arith(e.op, values[0], values[1], self.current[-1] if self.current else None)
        else:
            result = values
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark,  # type: ignore[union-attr]
                               {"operands": values if isinstance(values, list) else None})
        return result

    def x_negate(self, e: model.Negate) -> Result:
        r = self.eval(e.operand)
        return Value(neg(r.value)) if isinstance(r, Value) else r  # type: ignore[arg-type]

    def x_logic(self, e: model.Logic) -> Result:
        mark = len(self.tracer.log) if self.traced else 0  # type: ignore[union-attr]
        result = self.logic(e)
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark)  # type: ignore[union-attr]
        return result

    def logic(self, e: model.Logic) -> Result:
        decisive = _FALSE if e.op == "et" else _TRUE
        left = self.eval(e.left)
        if left == decisive or (type(left) is not Value and type(left) is not Missing):
            return left
        right = self.eval(e.right)
        if type(left) is Value:
            return right
        assert isinstance(left, Missing)
        if right == decisive:
            return right
        if isinstance(right, Missing):
            return _missing(left, right)
        return left

    def x_not(self, e: model.Not) -> Result:
        mark = len(self.tracer.log) if self.traced else 0  # type: ignore[union-attr]
        r = self.eval(e.operand)
        result = Value(not r.value) if isinstance(r, Value) else r
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark)  # type: ignore[union-attr]
        return result

    def x_compare(self, e: model.Compare) -> Result:
        mark = len(self.tracer.log) if self.traced else 0  # type: ignore[union-attr]
        values = self.operands((e.left, e.right))
        if isinstance(values, list):
            result = _compare(e.op, values[0], values[1])
            details = {"left": values[0], "right": values[1]}
        else:
            result, details = values, _NO_OPERANDS
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark, details)  # type: ignore[union-attr]
        return result

    def x_member(self, e: model.Member) -> Result:
        mark = len(self.tracer.log) if self.traced else 0  # type: ignore[union-attr]
        r = self.eval(e.operand)
        result = Value((r.value in e.items) != e.negated) if isinstance(r, Value) else r
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark,  # type: ignore[union-attr]
                               {"value": r.value if isinstance(r, Value) else None})
        return result

    def x_if(self, e: model.If) -> Result:
        mark = len(self.tracer.log) if self.traced else 0  # type: ignore[union-attr]
        condition = self.eval(e.condition)
        if self.traced:
            self.tracer.record(self.sites.test(e), condition, mark)  # type: ignore[union-attr]
        branch = "alors" if condition == _TRUE else "sinon" if condition == _FALSE else None
        if branch == "alors":
            result = self.eval(e.then)
        elif branch == "sinon":
            result = self.eval(e.otherwise)
        elif isinstance(condition, Missing):
            branch = "les deux"
            result = _missing(condition, self.eval(e.then), self.eval(e.otherwise))
        else:
            result = condition
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark, {"branch": branch})  # type: ignore[union-attr]
        return result

    def x_round(self, e: model.Round) -> Result:
        mark = len(self.tracer.log) if self.traced else 0  # type: ignore[union-attr]
        r = self.eval(e.operand)
        if isinstance(r, Value):
            try:
                rounded = round_to(r.value, e.quantum, e.truncate)  # type: ignore[arg-type]
                result: Result = Value(int(rounded) if e.type.kind == "entier" else rounded)
            except LIMIT_ERRORS:  # 99 999 999 999 999 999 999,6 à l'euro reaches 10²⁰
                result = _beyond(self.current[-1] if self.current else None)
        else:
            result = r
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark,  # type: ignore[union-attr]
                               {"before": r.value if isinstance(r, Value) else None})
        return result

    def x_duration(self, e: model.DurationOf) -> Result:
        r = self.eval(e.amount)
        if not isinstance(r, Value):
            return r
        return Value(Duration(**{_DURATION_FIELDS[e.unit]: r.value}))  # type: ignore[arg-type]

    def x_text_of(self, e: model.TextOf) -> Result:
        when = self.eval(e.date)
        if not isinstance(when, Value):
            return when
        d = self.program.definition(e.name)
        version = d.version_at(when.value)  # type: ignore[arg-type]
        if version is None:
            result: Result = NotApplicable(f"aucune version de « {e.name} » au {when.value:%d/%m/%Y}", e.name)
        else:
            result = Value(version.text.short)
        if self.traced:
            self.tracer.log.append(Event(self.sites.of(e), result, {"date": when.value}))  # type: ignore[union-attr]
        return result

    def x_marker(self, e: model.Marker) -> Result:
        origin = self.current[-1] if self.current else None
        result: Result = NotApplicable(e.reason, origin) if e.kind == "non_applicable" else Undetermined(e.reason, origin)
        if self.traced:
            self.tracer.log.append(Event(self.sites.of(e), result))  # type: ignore[union-attr]
        return result


_NO_OPERANDS = {"left": None, "right": None}
_DURATION_FIELDS = {"jours": "days", "mois": "months", "ans": "years"}


class _Thunk:
    """A function argument, evaluated the first time the body reads it (call by need)."""

    __slots__ = ("expr", "env", "result")

    def __init__(self, expr: model.Expr, env: dict[str, _Thunk]) -> None:
        self.expr = expr
        self.env = env
        self.result: Result | None = None


def _find(keys: tuple[model.Key, ...], value: object) -> int | None:
    for index, key in enumerate(keys):
        if key.kind != "autre" and key.matches(value):
            return index
    for index, key in enumerate(keys):
        if key.kind == "autre":
            return index
    return None


def _missing(*results: Result) -> Result:
    facts: set[str] = set()
    for r in results:
        if isinstance(r, Missing):
            facts |= r.facts
    return Missing(frozenset(facts))


def _beyond(origin: str | None) -> Undetermined:
    """A calculation in `origin` left the limits of exact arithmetic (`engine.lang.values`)."""
    return Undetermined(beyond_limits_reason(origin), origin)


def _arith(op: str, a: object, b: object, origin: str | None) -> Result:
    try:
        if isinstance(a, dt.date) or isinstance(b, dt.date):
            return Value(_date_arith(op, a, b))
        if isinstance(a, Duration) or isinstance(b, Duration):
            return Value(_duration_arith(op, a, b))
        if op == "+":
            return Value(add(a, b))  # type: ignore[arg-type]
        if op == "-":
            return Value(sub(a, b))  # type: ignore[arg-type]
        if op == "×":
            return Value(mul(a, b))  # type: ignore[arg-type]
        return Value(div(a, b))  # type: ignore[arg-type]
    except ZeroDivisionError:
        return Undetermined("division par zéro")
    except (OverflowError, ValueError):
        return Undetermined("date hors du calendrier")
    except LIMIT_ERRORS:
        return _beyond(origin)


def _date_arith(op: str, a: object, b: object) -> object:
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return Duration(days=(a - b).days)
    if isinstance(a, dt.date):
        return shift(a, b if op == "+" else -b)  # type: ignore[arg-type,operator]
    return shift(b, a)  # type: ignore[arg-type]


def _duration_arith(op: str, a: object, b: object) -> Duration:
    if op == "×":
        return a.scaled(b) if isinstance(a, Duration) else b.scaled(a)  # type: ignore[union-attr,arg-type]
    return a + (b if op == "+" else -b)  # type: ignore[operator]


def _compare(op: str, a: object, b: object) -> Result:
    if isinstance(a, Duration) or isinstance(b, Duration):
        ka, kb = a.comparable_key(), b.comparable_key()  # type: ignore[union-attr]
        if ka is None or kb is None or ka[0] != kb[0]:
            return Undetermined("durées en jours et en mois : comparaison impossible")
        a, b = ka[1], kb[1]
    if op == "=":
        return Value(a == b)
    if op == "≠":
        return Value(a != b)
    if op == "<":
        return Value(a < b)  # type: ignore[operator]
    if op == "≤":
        return Value(a <= b)  # type: ignore[operator]
    if op == ">":
        return Value(a > b)  # type: ignore[operator]
    return Value(a >= b)  # type: ignore[operator]
