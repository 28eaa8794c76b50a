"""The reference interpreter: (checked program, facts) → results, with an optional trace.

A pure tree walk over `engine.check.model`. Each rule is evaluated at most once per call (memoised) and
only when something needs it, so a fact is read only when the evaluation reaches it. Results are
three-valued plus missing (`engine.lang.results`):
- an operation on a *non applicable* or *indéterminé* operand gives that marker, unchanged;
- *missing* operands accumulate, so one evaluation lists every fact still needed;
- `et` / `ou` follow Kleene: `faux et ?` is `faux`, `vrai ou ?` is `vrai`;
- a `si` on a missing condition evaluates both branches to collect what they would need.
Arithmetic is exact, and every operation on values is `engine.evaluate.runtime`'s, the functions the
generated code calls too: a division by zero or a date off the calendar gives *indéterminé* with
the reason, never an exception.

This is the oracle of the generated code (`engine.evaluate.generator`): the differential tests hold
the two equal, result for result and event for event. Run-time evaluation goes through the
program's backend (`engine.evaluate.backend`); `REGLES_REFERENCE=1` makes it this interpreter, to debug.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from engine.check import model
from engine.evaluate import runtime
from engine.evaluate.sites import Sites, sites_of
from engine.evaluate.trace import Event, Tracer
from engine.lang.kinds import KeyKind, TypeKind
from engine.lang.results import Missing, Result, Value

_TRUE = Value(True)
_FALSE = Value(False)

_Key = tuple[str | None, str, object]


class Evaluator:
    """One evaluation of a program against one set of validated facts.

    `tracer`, when given, records the trace (`engine.evaluate.trace`); without one, nothing is
    recorded and the sites are never computed.
    """

    def __init__(self, program: model.Program, facts: Mapping[str, object], tracer: Tracer | None = None) -> None:
        self.program = program
        self.facts = facts
        self.traced = tracer is not None
        self.tracer: Tracer = tracer if tracer is not None else Tracer()
        self.cache: dict[_Key, Result] = {}
        self.current: list[str] = []
        self.env: dict[str, _Thunk] = {}
        self.events: dict[_Key, Event] = {}
        self._sites: Sites | None = None
        self.dispatch: dict[type, Callable[[Any], Result]] = {
            model.Const: self.x_const, model.FactRef: self.x_fact, model.DefRef: self.x_ref,
            model.ParamRef: self.x_param, model.FuncCall: self.x_call,
            model.TableCall: self.x_table, model.Builtin: self.x_builtin, model.Arith: self.x_arith,
            model.Negate: self.x_negate, model.Logic: self.x_logic, model.Not: self.x_not,
            model.Compare: self.x_compare, model.Member: self.x_member, model.If: self.x_if,
            model.Round: self.x_round, model.DurationOf: self.x_duration, model.TextOf: self.x_text_of,
            model.Marker: self.x_marker,
        }

    @property
    def sites(self) -> Sites:
        """What each event says whatever the facts (computed on first use: only traced runs need it)."""
        if self._sites is None:
            self._sites = sites_of(self.program)
        return self._sites

    def mark(self) -> int:
        """Where the events of the step about to be evaluated begin in the log."""
        return len(self.tracer.log)

    @property
    def origin(self) -> str | None:
        """The definition or function being evaluated (a marker's origin)."""
        return self.current[-1] if self.current else None

    # ── entry points ──
    def result(self, name: str, origin: str | None = None) -> Result:
        """The result of a rule (or parameter), evaluated once."""
        return self.definition(self.program.definition(name, origin), origin, None)

    def eval(self, expr: model.Expr) -> Result:
        """Evaluate one expression."""
        return self.dispatch[type(expr)](expr)

    def body(self, version: model.Version) -> Result:
        """A version's formula (a table's grid is read through `lookup`, never here)."""
        assert not isinstance(version.body, model.Grid)
        return self.eval(version.body)

    # ── definitions ──
    def definition(self, d: model.Definition, origin: str | None, date: dt.date | None) -> Result:
        version = d.version_at(date) if d.dated else d.latest
        key = (origin, d.name, version.start if version else date)
        cached = self.cache.get(key)
        if cached is not None:
            if self.traced:  # the same complete event again: every result's tree stays whole
                self.tracer.log.append(self.events[key])
            return cached
        mark = self.mark()
        self.current.append(d.name)
        saved_env, self.env = self.env, {}
        if version is None:
            assert date is not None
            result: Result = runtime.no_version(d.name, date)
        elif d.guard is not None:
            result = self.guarded(d, version)
        else:
            result = self.body(version)
        self.current.pop()
        self.env = saved_env
        self.cache[key] = result
        if self.traced:
            site = self.sites.definition(d, version, origin)
            details = None if date is None else {"date": date}  # the site says `date: None`
            self.events[key] = self.tracer.record(site, result, mark, details)
        return result

    def guarded(self, d: model.Definition, version: model.Version) -> Result:
        guard = d.guard
        assert guard is not None
        mark = self.mark()
        condition = self.named(guard.name)
        if condition == _TRUE:
            outcome: Result = condition
        elif condition == _FALSE:
            outcome = runtime.guard_refused(guard.name, guard.reason, d.name)
        else:
            outcome = condition
        if self.traced:
            self.tracer.record(self.sites.guard(guard), outcome, mark)
        if outcome == _TRUE:
            return self.body(version)
        if isinstance(outcome, Missing):
            body = self.body(version)
            return runtime.missing_of(outcome, body) if isinstance(body, Missing) else outcome
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
            self.tracer.log.append(Event(self.sites.fact(node), result))
        return result

    # ── expressions ──
    def x_const(self, e: model.Const) -> Result:
        return Value(e.value)

    def x_fact(self, e: model.FactRef) -> Result:
        return self.read_fact(e)

    def x_ref(self, e: model.DefRef) -> Result:
        d = self.program.definition(e.name, e.origin)
        date: dt.date | None = None
        if e.date is not None and d.dated:  # an undated definition does not need its date read
            when = self.eval(e.date)
            if not isinstance(when, Value):
                return when
            value: runtime.Plain = when.value  # a `date` expression (checked)
            date = value
        return self.definition(d, e.origin, date)

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
        env = {name: _Thunk(arg, self.env) for name, arg in zip(params, e.args, strict=True)}
        mark = self.mark()
        saved, self.env = self.env, env
        self.current.append(d.name)
        result = self.guarded(d, d.latest) if d.guard is not None else self.body(d.latest)
        self.current.pop()
        self.env = saved
        if self.traced:
            args = {name: t.result.value if isinstance(t.result, Value) else None for name, t in env.items()}
            self.tracer.record(self.sites.of(e), result, mark, {"arguments": args})
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
        mark = self.mark()
        result, data = self.lookup(e)
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark, data)
        return result

    def lookup(self, e: model.TableCall) -> tuple[Result, dict[str, object]]:
        d = self.program.definition(e.name, e.origin)
        dated = e.date is not None and d.dated  # an undated table does not need its date read
        exprs = e.args + ((e.date,) if dated and e.date is not None else ())
        args = self.operands(exprs)
        if not isinstance(args, list):
            return args, {}
        date: runtime.Plain = args.pop() if dated else None
        version = d.version_at(date) if d.dated else d.latest
        data: dict[str, object] = {"keys": args, "date": date}
        if version is None:
            return runtime.no_table_version(e.name, date), data
        grid = version.body
        assert isinstance(grid, model.Grid)
        row = _find(grid.rows, args[0])
        column = 0 if grid.columns is None else _find(grid.columns, args[1])
        if self.traced:
            data.update(self.sites.version_data(version, d))
        if row is None or column is None:
            return runtime.no_cell(e.name, *args), data
        if self.traced:
            data.update(self.sites.cell_data(d, grid, row, column))
        return self.eval(grid.cells[row][column].expr), data

    def x_builtin(self, e: model.Builtin) -> Result:
        mark = self.mark()
        values = self.operands(e.args)
        result = values if not isinstance(values, list) else Value(runtime.extremum(e.name, values))
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark, {"values": values if isinstance(values, list) else None})
        return result

    def x_arith(self, e: model.Arith) -> Result:
        mark = self.mark()
        values = self.operands((e.left, e.right))
        if isinstance(values, list):
            result = runtime.wrap(runtime.arith(e.op, values[0], values[1], self.origin))
        else:
            result = values
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark,
                               {"operands": values if isinstance(values, list) else None})
        return result

    def x_negate(self, e: model.Negate) -> Result:
        r = self.eval(e.operand)
        if not isinstance(r, Value):
            return r
        value: runtime.Plain = r.value
        return Value(runtime.neg(value))

    def x_logic(self, e: model.Logic) -> Result:
        mark = self.mark()
        result = self.logic(e)
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark)
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
            return runtime.missing_of(left, right)
        return left

    def x_not(self, e: model.Not) -> Result:
        mark = self.mark()
        r = self.eval(e.operand)
        result = Value(not r.value) if isinstance(r, Value) else r
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark)
        return result

    def x_compare(self, e: model.Compare) -> Result:
        mark = self.mark()
        values = self.operands((e.left, e.right))
        if isinstance(values, list):
            result = runtime.wrap(runtime.compare(e.op, values[0], values[1]))
            details = {"left": values[0], "right": values[1]}
        else:
            result, details = values, _NO_OPERANDS
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark, details)
        return result

    def x_member(self, e: model.Member) -> Result:
        mark = self.mark()
        r = self.eval(e.operand)
        result = Value((r.value in e.items) != e.negated) if isinstance(r, Value) else r
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark, {"value": r.value if isinstance(r, Value) else None})
        return result

    def x_if(self, e: model.If) -> Result:
        mark = self.mark()
        condition = self.eval(e.condition)
        if self.traced:
            self.tracer.record(self.sites.test(e), condition, mark)
        branch = "alors" if condition == _TRUE else "sinon" if condition == _FALSE else None
        if branch == "alors":
            result = self.eval(e.then)
        elif branch == "sinon":
            result = self.eval(e.otherwise)
        elif isinstance(condition, Missing):
            branch = "les deux"
            result = runtime.missing_of(condition, self.eval(e.then), self.eval(e.otherwise))
        else:
            result = condition
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark, {"branch": branch})
        return result

    def x_round(self, e: model.Round) -> Result:
        mark = self.mark()
        r = self.eval(e.operand)
        if isinstance(r, Value):
            integer = e.type.kind == TypeKind.ENTIER
            result = runtime.wrap(runtime.rounded(r.value, e.quantum, e.truncate, integer, self.origin))
        else:
            result = r
        if self.traced:
            self.tracer.record(self.sites.of(e), result, mark, {"before": r.value if isinstance(r, Value) else None})
        return result

    def x_duration(self, e: model.DurationOf) -> Result:
        r = self.eval(e.amount)
        if not isinstance(r, Value):
            return r
        amount: runtime.Plain = r.value  # an `entier` (checked)
        return Value(runtime.duration_of(e.unit, amount))

    def x_text_of(self, e: model.TextOf) -> Result:
        when = self.eval(e.date)
        if not isinstance(when, Value):
            return when
        d = self.program.definition(e.name)
        date: runtime.Plain = when.value
        version = d.version_at(date)
        result: Result = runtime.no_text(e.name, date) if version is None else Value(version.text.short)
        if self.traced:
            self.tracer.log.append(Event(self.sites.of(e), result, {"date": date}))
        return result

    def x_marker(self, e: model.Marker) -> Result:
        result: Result = runtime.marker(e.kind, e.reason, self.origin)
        if self.traced:
            self.tracer.log.append(Event(self.sites.of(e), result))
        return result


_NO_OPERANDS: dict[str, object] = {"left": None, "right": None}


class _Thunk:
    """A function argument, evaluated the first time the body reads it (call by need)."""

    __slots__ = ("env", "expr", "result")

    def __init__(self, expr: model.Expr, env: dict[str, _Thunk]) -> None:
        self.expr = expr
        self.env = env
        self.result: Result | None = None


def _find(keys: tuple[model.Key, ...], value: object) -> int | None:
    for index, key in enumerate(keys):
        if key.kind != KeyKind.OTHER and key.matches(value):
            return index
    for index, key in enumerate(keys):
        if key.kind == KeyKind.OTHER:
            return index
    return None
