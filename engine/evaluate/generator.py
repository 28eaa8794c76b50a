"""The code generator: (checked program, recorder) → the source of one Python module.

`generate(program, recorder)` translates `engine.check.model` into one function per definition
(and per function, table and lazy argument). Its results are exactly the reference interpreter's
(`engine.evaluate.reference`): same statuses, values, reasons, origins and missing sets, reached in
the same order. The recorder (`engine.evaluate.recorder`) decides what else the code does: nothing,
or record the interpreter's trace events; it also decides which optimisations are allowed.

Why source generation rather than closures: a closure tree still pays one Python call per node
and allocates a `Value` per intermediate result. Generated code inlines every operator, keeps
intermediate results in local variables as plain Python values, and only allocates for the rare
*non applicable*, *indéterminé* and *missing* results, which are the `engine.lang.results` objects
themselves. Conditions test `x is True`, so the three-valued logic costs two identity checks. Every
operation on values is a function of `engine.evaluate.runtime`, shared with the interpreter, or its
inlined fast case (int arithmetic within the limits, plain comparisons).

Runtime representation inside generated code:
- a value is the plain Python value (int, Decimal, Fraction, bool, date, str, Duration);
- an absence is the `NotApplicable`, `Undetermined` or `Missing` instance the interpreter builds;
- `M` is the per-evaluation memo list (one slot per definition version), `F` the typed facts;
- a function argument is passed evaluated when that is free of effects (constants, facts,
  memoised rules, the caller's own parameters), else as a `Lazy` (call by need, like `_Thunk`).

The interpreter takes a marker's origin from the definition or function being evaluated when the
marker is reached. Inside a function's argument, that is the function forcing it (dynamic); such
programs keep a stack of function names in `M[0]`, the others need none.

Generated functions are named after what they compute (`D3_montant_verse`, `FN7_plafond`), and
each header says where it is written, so a traceback in generated code names the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.check import model
from engine.evaluate.analysis import NUMERIC, Analysis, DefKey, GenerationError
from engine.evaluate.emitter import DYNAMIC, Body, Ctx, hashable, py_name
from engine.evaluate.generated import GeneratedModule
from engine.evaluate.recorder import Recorder
from engine.evaluate.runtime import Plain, guard_refused
from engine.evaluate.tables import TableWriter
from engine.lang.kinds import DeclarationKind, MarkerKind, TypeKind
from engine.lang.results import Missing, NotApplicable, Undetermined
from engine.lang.values import Duration

__all__ = ["GeneratedModule", "GenerationError", "generate"]


def generate(program: model.Program, recorder: type[Recorder]) -> GeneratedModule:
    """The module computing every rule of `program`, recording what `recorder` records.

    Raises:
        GenerationError: a construct the generator does not translate (a bug: never silenced).
    """
    gen = Generator(program, recorder)
    entries = gen.entries()
    if not gen.rec.records:
        gen.outputs_function(entries)
    return GeneratedModule(gen.module_source(), gen.constants, entries, gen.slot_count, gen.tracks_functions)


_MAX_DEPTH = 40
"""Indentation levels before a sub-expression is moved to a function of its own (CPython stops at 100)."""

_PY_COMPARE = {"=": "==", "≠": "!=", "<": "<", "≤": "<=", ">": ">", "≥": ">="}


class Generator(Analysis):
    """Builds the module source for one program (what it knows of the program: `Analysis`)."""

    def __init__(self, program: model.Program, recorder: type[Recorder]) -> None:
        self.functions: list[list[str]] = []
        self.constants: dict[str, object] = {}
        self._constant_names: dict[tuple[type, object, str], str] = {}
        self._counter = 0
        self.rec = recorder(program, self.const)
        self.slot_count = self.rec.reserved_slots
        self._slots: dict[tuple[DefKey, int], int] = {}
        self._defs: dict[tuple[DefKey, int], str] = {}
        self._dated: dict[DefKey, str] = {}
        self._funcs: dict[DefKey, str] = {}
        super().__init__(program, folds=self.rec.folds)
        self.tables = TableWriter(self)
        self.emitters: dict[type, Callable[[Any, str, Body, int, Ctx], None]] = {
            model.Const: self.x_const, model.FactRef: self.x_fact, model.DefRef: self.x_ref,
            model.ParamRef: self.x_param, model.FuncCall: self.x_call, model.TableCall: self.tables.call,
            model.Builtin: self.x_builtin, model.Arith: self.x_arith, model.Negate: self.x_negate,
            model.Logic: self.x_logic, model.Not: self.x_not, model.Compare: self.x_compare,
            model.Member: self.x_member, model.If: self.x_if, model.Round: self.x_round,
            model.DurationOf: self.x_duration, model.TextOf: self.x_text_of, model.Marker: self.x_marker,
        }
        """How each expression kind is written (the interpreter's `Evaluator.dispatch`, for code)."""

    # ── naming ──
    def fresh(self, prefix: str, about: str = "") -> str:
        self._counter += 1
        return f"{prefix}{self._counter}" + (f"_{py_name(about)}" if about else "")

    def const(self, value: object) -> str:
        """Python source for a constant value (small literals inline, others by name)."""
        if value is None or isinstance(value, bool) or type(value) is int:
            return repr(value)
        if type(value) is str and len(value) < 200:
            return repr(value)
        key = (type(value), value, repr(value))  # equal is not enough: Decimal("0.00") == Decimal("0")
        try:
            name = self._constant_names.get(key)
        except TypeError:  # an unhashable constant (a dict): a name of its own
            name = self.fresh("K")
            self.constants[name] = value
            return name
        if name is None:
            name = self._constant_names[key] = self.fresh("K")
            self.constants[name] = value
        return name

    def body(self, header: str) -> Body:
        """A function whose first parameters are the facts and the memo (`F, M`)."""
        return Body(header, self.rec.prologue())

    def add(self, lines: list[str]) -> None:
        self.functions.append(lines)

    # ── definitions ──
    def entries(self) -> dict[str, tuple[int, str]]:
        """Every rule's and parameter's (memo slot, function) for its latest version, as
        `Evaluator.result` reads it."""
        found = {}
        for name, d in self.program.definitions.items():
            if d.kind in {DeclarationKind.RULE, DeclarationKind.PARAMETER}:
                index = len(d.versions) - 1
                found[name] = (self.slot(d, None, index), self.definition_function(d, None, index))
        return found

    def slot(self, d: model.Definition, origin: str | None, index: int) -> int:
        key = ((origin, d.name), index)
        if key not in self._slots:
            self._slots[key] = self.slot_count
            self.slot_count += 1
        return self._slots[key]

    def definition_function(self, d: model.Definition, origin: str | None, index: int) -> str:
        """`D(F, M, w=None)`: evaluates one version of a definition (read at date `w`, if any) and
        stores it in its memo slot."""
        key = ((origin, d.name), index)
        if key in self._defs:
            return self._defs[key]
        name = self._defs[key] = self.fresh("D", d.name)
        where = f"{origin} : " if origin else ""
        body = self.body(f"def {name}(F, M, w=None):  # {where}{d.name}, {d.span.file}:{d.span.line}")
        m = self.rec.mark(body.emit, 1, body.temp)
        ctx = Ctx({}, frozenset(), self.const(d.name), (d.name,))
        version = d.versions[index]
        if d.guard is not None:
            self.guarded(d, version, body, 1, ctx)
        else:
            self.expr(formula(version), "r", body, 1, ctx)
        slot = self.slot(d, origin, index)
        body.emit(1, f"M[{slot}] = r")
        self.rec.definition(d, origin, version, slot, m, body.emit)
        body.emit(1, "return r")
        self.add(body.lines)
        return name

    def guarded(self, d: model.Definition, version: model.Version, out: Body, depth: int, ctx: Ctx) -> None:
        guard = d.guard
        assert guard is not None
        m = self.rec.mark(out.emit, depth, out.temp)
        g = out.temp()
        self.named(guard.name, g, out, depth)
        refused = self.const(guard_refused(guard.name, guard.reason, d.name))
        self.rec.record(("guard", guard), f"True if {g} is True else {refused} if {g} is False else {g}", m,
                        out.emit, depth)
        out.emit(depth, f"if {g} is True:")
        self.expr(formula(version), "r", out, depth + 1, ctx)
        out.emit(depth, f"elif {g} is False:")
        out.emit(depth + 1, f"r = {refused}")
        out.emit(depth, f"elif type({g}) is MS:")
        b = out.temp()
        self.expr(formula(version), b, out, depth + 1, ctx)
        out.emit(depth + 1, f"r = _miss({g}, {b}) if type({b}) is MS else {g}")
        out.emit(depth, "else:")
        out.emit(depth + 1, f"r = {g}")

    def named(self, name: str, dest: str, out: Body, depth: int) -> None:
        """`Evaluator.named`: a fact, else a rule at its latest version."""
        if name in self.program.facts:
            out.emit(depth, f"{dest} = F.get({name!r}, {self.const(Missing(frozenset((name,))))})")
            self.rec.leaf(("fact", self.program.facts[name]), dest, out.emit, depth)
            return
        d = self.definition(name, None)
        self.memo_call(d, None, len(d.versions) - 1, dest, out, depth)

    def memo_call(self, d: model.Definition, origin: str | None, index: int, dest: str, out: Body, depth: int,
                  date: str = "") -> None:
        """Read a definition version's memo slot, evaluating it (at the date in variable `date`) if empty."""
        slot = self.slot(d, origin, index)
        fn = self.definition_function(d, origin, index)
        out.emit(depth, f"{dest} = M[{slot}]")
        out.emit(depth, f"if {dest} is U: {dest} = {fn}(F, M{', ' + date if date else ''})")
        self.rec.memo_hit(slot, out.emit, depth)

    def dated_function(self, d: model.Definition, origin: str | None) -> str:
        """`DD(F, M, w)`: the version in force at date `w`, memoised per version."""
        key = (origin, d.name)
        if key in self._dated:
            return self._dated[key]
        name = self._dated[key] = self.fresh("DD", d.name)
        body = self.body(f"def {name}(F, M, w):  # {d.name} au …, {d.span.file}:{d.span.line}")
        for index in range(len(d.versions) - 1, -1, -1):
            start = d.versions[index].start
            test = "True" if start is None else f"{self.const(start)} <= w"
            body.emit(1, f"if {test}:")
            self.memo_call(d, origin, index, "r", body, 2, date="w")
            body.emit(2, "return r")
        body.emit(1, f"r = _no_version({d.name!r}, w)")
        self.rec.definition(d, origin, None, None, "len(L)", body.emit)
        body.emit(1, "return r")
        self.add(body.lines)
        return name

    # ── expressions ──
    def expr(self, e: model.Expr, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        """Emit statements leaving the result of `e` in variable `dest`."""
        if depth > _MAX_DEPTH:
            self.split(e, dest, out, depth, ctx)
            return
        emit = self.emitters.get(type(e))
        if emit is None:
            raise GenerationError(f"expression non traduite : {type(e).__name__}")
        emit(e, dest, out, depth, ctx)

    def x_const(self, e: model.Const, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        out.emit(depth, f"{dest} = {self.const(e.value)}")

    def x_fact(self, e: model.FactRef, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        out.emit(depth, f"{dest} = F.get({e.name!r}, {self.const(Missing(frozenset((e.name,))))})")
        self.rec.leaf(("fact", e), dest, out.emit, depth)

    def x_negate(self, e: model.Negate, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        self.expr(e.operand, dest, out, depth, ctx)
        out.emit(depth, f"if type({dest}) not in ABS: {dest} = _neg({dest})")

    def x_not(self, e: model.Not, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        m = self.rec.mark(out.emit, depth, out.temp)
        self.expr(e.operand, dest, out, depth, ctx)
        out.emit(depth, f"if type({dest}) not in ABS: {dest} = not {dest}")
        self.rec.record(("of", e), dest, m, out.emit, depth)

    def split(self, e: model.Expr, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        """Move a deep sub-expression to a function of its own, to keep indentation bounded."""
        name = self.fresh("X")
        args = ", ".join(ctx.signature())
        body = self.body(f"def {name}({args}):")
        if ctx.origin == DYNAMIC:
            body.emit(1, "C = M[0]")
        self.expr(e, "r", body, 1, ctx)
        body.emit(1, "return r")
        self.add(body.lines)
        out.emit(depth, f"{dest} = {name}({args})")

    def x_ref(self, e: model.DefRef, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        d = self.definition(e.name, e.origin)
        if e.date is None or not d.dated:  # an undated definition does not read its date
            found = self.folded(e.name, e.origin)
            if found is not None:
                out.emit(depth, f"{dest} = {self.const(found[0])}")
                return
            self.memo_call(d, e.origin, len(d.versions) - 1, dest, out, depth)
            return
        w = out.temp()
        self.expr(e.date, w, out, depth, ctx)
        out.emit(depth, f"if type({w}) in ABS:")
        out.emit(depth + 1, f"{dest} = {w}")
        out.emit(depth, "else:")
        out.emit(depth + 1, f"{dest} = {self.dated_function(d, e.origin)}(F, M, {w})")

    def x_param(self, e: model.ParamRef, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        var = ctx.params.get(e.name)
        if var is None:
            raise GenerationError(f"paramètre hors de portée : {e.name}")
        out.emit(depth, f"{dest} = {var}")
        if var in ctx.lazy:
            out.emit(depth, f"if type({dest}) is _Lazy: {dest} = {dest}.force()")

    def x_call(self, e: model.FuncCall, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        """A function call; its arguments are passed evaluated when that is free of effects (never when
        recording: every argument is then a fresh `Lazy`, whose value the event shows if it was read)."""
        d = self.definition(e.name, e.origin)
        if len(e.args) != len(d.params):
            raise GenerationError(f"appel de {e.name} : {len(e.args)} arguments pour {len(d.params)} paramètres")
        fn = self.function(d, e.origin)
        m = self.rec.mark(out.emit, depth, out.temp)
        args = []
        for arg in e.args:
            if self.folds and isinstance(arg, model.ParamRef):
                var = ctx.params.get(arg.name)
                if var is None:
                    raise GenerationError(f"paramètre hors de portée : {arg.name}")
                args.append(var)
            elif self.eager(arg):
                t = out.temp()
                self.expr(arg, t, out, depth, ctx)
                args.append(t)
            else:
                lazy = f"_Lazy({self.thunk(arg, ctx)}, ({', '.join(ctx.signature())},))"
                if self.rec.records:
                    t = out.temp()
                    out.emit(depth, f"{t} = {lazy}")
                    lazy = t
                args.append(lazy)
        out.emit(depth, f"{dest} = {fn}(F, M{''.join(', ' + a for a in args)})")
        shown = ", ".join(f"{p.name!r}: _arg({a})" for p, a in zip(d.params, args, strict=True))
        self.rec.record(("of", e), dest, m, out.emit, depth, f"{{'arguments': {{{shown}}}}}")

    def thunk(self, arg: model.Expr, ctx: Ctx) -> str:
        """A module-level function computing a lazy argument in the caller's scope."""
        name = self.fresh("T")
        if self.tracks_functions:
            inner = Ctx(ctx.params, ctx.lazy, DYNAMIC)
        else:
            inner = Ctx(ctx.params, ctx.lazy, ctx.origin, ctx.static)
        body = self.body(f"def {name}({', '.join(inner.signature())}):")
        if self.tracks_functions:
            body.emit(1, "C = M[0]")
        self.expr(arg, "r", body, 1, inner)
        body.emit(1, "return r")
        self.add(body.lines)
        return name

    def function(self, d: model.Definition, origin: str | None) -> str:
        """`FN(F, M, p…)`: a `fonction` body; parameters may arrive as `Lazy`."""
        key = (origin, d.name)
        if key in self._funcs:
            return self._funcs[key]
        name = self._funcs[key] = self.fresh("FN", d.name)
        params = {p.name: f"p{i}" for i, p in enumerate(d.params)}
        lazy = frozenset(f"p{i}" for i in self.lazy_params(origin, d.name))
        body = self.body(f"def {name}(F, M{''.join(', ' + v for v in params.values())}):  "
                         f"# fonction {d.name}, {d.span.file}:{d.span.line}")
        ctx = Ctx(params, lazy, self.const(d.name), (d.name,))
        if self.tracks_functions:
            body.emit(1, "C = M[0]")
            body.emit(1, f"C.append({d.name!r})")
        if d.guard is not None:
            self.guarded(d, d.latest, body, 1, ctx)
        else:
            self.expr(formula(d.latest), "r", body, 1, ctx)
        if self.tracks_functions:
            body.emit(1, "C.pop()")
        body.emit(1, "return r")
        self.add(body.lines)
        return name

    def operands(self, exprs: tuple[model.Expr, ...], dest: str, out: Body, depth: int, ctx: Ctx,
                 compute: str) -> None:
        """`Evaluator.operands`: left to right, the first marker wins, missing facts accumulate.

        `compute` is a format string over the operand variables `{0}`, `{1}`…, run when all are
        values; it must assign `dest` (given as `{dest}`).
        """
        names = [out.temp() for _ in exprs]
        absent = [self.can_be_absent(x) for x in exprs]
        level = depth
        for i, (x, var) in enumerate(zip(exprs, names, strict=True)):
            self.expr(x, var, out, level, ctx)
            if absent[i] and not isinstance(x, model.FactRef):  # a fact is a value or missing
                out.emit(level, f"if type({var}) in MK:")
                out.emit(level + 1, f"{dest} = {var}")
                out.emit(level, "else:")
                level += 1
        maybe = [var for var, a in zip(names, absent, strict=True) if a]
        if maybe:
            out.emit(level, "if " + " or ".join(f"type({v}) is MS" for v in maybe) + ":")
            out.emit(level + 1, f"{dest} = _miss({', '.join(maybe)})")
            out.emit(level, "else:")
            level += 1
        for line in compute.format(*names, dest=dest).split("\n"):
            out.emit(level, line)

    def operation(self, e: model.Builtin | model.Arith | model.Compare, shape: str, exprs: tuple[model.Expr, ...],
                  dest: str, out: Body, depth: int, ctx: Ctx, compute: str) -> None:
        """An operation on operands, whose event shows the operands (passed to the recorder)."""
        m = self.rec.mark(out.emit, depth, out.temp)
        details = self.rec.operation(shape, out.emit, depth, out.temp)
        self.operands(exprs, dest, out, depth, ctx, compute + self.rec.operand_details(details, shape, len(exprs)))
        self.rec.record(("of", e), dest, m, out.emit, depth, details or "None")

    def x_builtin(self, e: model.Builtin, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        if e.name not in {"min", "max"}:
            raise GenerationError(f"fonction intégrée inconnue : {e.name}")
        n = len(e.args)
        inner = ", ".join(f"{{{i}}}" for i in range(n))
        call = f"{e.name}([{inner}])" if n < 2 else f"{e.name}({inner})"
        self.operation(e, "values", e.args, dest, out, depth, ctx, f"{{dest}} = {call}")

    def x_arith(self, e: model.Arith, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        kinds = (e.left.type.kind, e.right.type.kind)
        beyond = f"_beyond({ctx.origin})"  # a result beyond the limits of exact arithmetic (engine.lang.values)
        guard = ("try: {dest} = %s\n"
                 "except ZeroDivisionError: {dest} = UND_ZERO\n"
                 "except (OverflowError, ValueError): {dest} = UND_DATE\n"
                 "except LIMITS: {dest} = " + beyond.replace("%", "%%"))
        if kinds[0] in NUMERIC and kinds[1] in NUMERIC:
            fn = {"+": "_add", "-": "_sub", "×": "_mul", "/": "_div"}.get(e.op)
            if fn is None:
                raise GenerationError(f"opérateur inconnu : {e.op}")
            if kinds == (TypeKind.ENTIER, TypeKind.ENTIER) and e.op != "/":
                op = "*" if e.op == "×" else e.op
                compute = (f"try: {{dest}} = {{0}} {op} {{1}} if type({{0}}) is int and type({{1}}) is int "
                           f"else {fn}({{0}}, {{1}})\n"
                           f"except LIMITS: {{dest}} = {beyond}\n"
                           f"if type({{dest}}) is int and not -LIM < {{dest}} < LIM: {{dest}} = {beyond}")
            else:
                compute = guard % f"{fn}({{0}}, {{1}})"
            self.operation(e, "operands", (e.left, e.right), dest, out, depth, ctx, compute)
            return
        if self.folds and kinds[0] == "date" and e.op in "+-" and self.date_shift(e, dest, out, depth, ctx, guard):
            return
        self.operation(e, "operands", (e.left, e.right), dest, out, depth, ctx,
                       f"{{dest}} = _arith({e.op!r}, {{0}}, {{1}}, {ctx.origin})")

    def date_shift(self, e: model.Arith, dest: str, out: Body, depth: int, ctx: Ctx, guard: str) -> bool:
        """`date ± n ans|mois|jours` and `date ± constant duration`, without building a Duration
        (untraced only: the trace shows the duration)."""
        sign = "" if e.op == "+" else "-"
        right = e.right
        if isinstance(right, model.DurationOf):
            fn = {"ans": "_years", "mois": "_months", "jours": "_days"}.get(right.unit)
            if fn is None:
                return False
            self.operands((e.left, right.amount), dest, out, depth, ctx, guard % f"{fn}({{0}}, {sign}{{1}})")
            return True
        value: Plain = None
        if isinstance(right, model.Const):
            value = right.value
        elif isinstance(right, model.DefRef) and (right.date is None
                                                  or not self.definition(right.name, right.origin).dated):
            found = self.folded(right.name, right.origin)
            value = found[0] if found is not None else None
        if not isinstance(value, Duration):
            return False
        step = value if e.op == "+" else -value
        call = f"_shift({{0}}, {step.years!r}, {step.months!r}, {step.days!r})"
        self.operands((e.left,), dest, out, depth, ctx, guard % call)
        return True

    def x_logic(self, e: model.Logic, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        decisive, other = ("False", "True") if e.op == "et" else ("True", "False")
        m = self.rec.mark(out.emit, depth, out.temp)
        left = out.temp()
        self.expr(e.left, left, out, depth, ctx)
        out.emit(depth, f"if {left} is {decisive} or ({left} is not {other} and type({left}) is not MS):")
        out.emit(depth + 1, f"{dest} = {left}")
        out.emit(depth, "else:")
        right = out.temp()
        self.expr(e.right, right, out, depth + 1, ctx)
        out.emit(depth + 1, f"if {left} is {other} or {right} is {decisive}:")
        out.emit(depth + 2, f"{dest} = {right}")
        out.emit(depth + 1, f"elif type({right}) is MS:")
        out.emit(depth + 2, f"{dest} = _miss({left}, {right})")
        out.emit(depth + 1, "else:")
        out.emit(depth + 2, f"{dest} = {left}")
        self.rec.record(("of", e), dest, m, out.emit, depth)

    def x_compare(self, e: model.Compare, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        kinds = {e.left.type.kind, e.right.type.kind}
        if kinds & {TypeKind.DUREE, TypeKind.ANY}:
            compute = f"{{dest}} = _compare({e.op!r}, {{0}}, {{1}})"
        else:
            compute = f"{{dest}} = {{0}} {_PY_COMPARE[e.op]} {{1}}"
        self.operation(e, "compare", (e.left, e.right), dest, out, depth, ctx, compute)

    def x_member(self, e: model.Member, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        items: object = frozenset(e.items) if hashable(e.items) else tuple(e.items)
        m = self.rec.mark(out.emit, depth, out.temp)
        v = out.temp()
        self.expr(e.operand, v, out, depth, ctx)
        test = "not in" if e.negated else "in"
        out.emit(depth, f"{dest} = {v} if type({v}) in ABS else {v} {test} {self.const(items)}")
        self.rec.record(("of", e), dest, m, out.emit, depth, f"{{'value': None if type({v}) in ABS else {v}}}")

    def x_if(self, e: model.If, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        m = self.rec.mark(out.emit, depth, out.temp)
        c = out.temp()
        self.expr(e.condition, c, out, depth, ctx)
        self.rec.record(("test", e), c, m, out.emit, depth)
        then, otherwise = out.temp(), out.temp()
        out.emit(depth, f"if {c} is True or {c} is False or type({c}) is MS:")
        out.emit(depth + 1, f"if {c} is not False:")
        self.expr(e.then, then, out, depth + 2, ctx)
        out.emit(depth + 1, f"if {c} is not True:")
        self.expr(e.otherwise, otherwise, out, depth + 2, ctx)
        out.emit(depth + 1, f"{dest} = {then} if {c} is True else {otherwise} if {c} is False "
                            f"else _miss({c}, {then}, {otherwise})")
        out.emit(depth, "else:")
        out.emit(depth + 1, f"{dest} = {c}")
        branch = f"B_ALORS if {c} is True else B_SINON if {c} is False else B_DEUX if type({c}) is MS else B_NONE"
        self.rec.record(("of", e), dest, m, out.emit, depth, branch)

    def x_round(self, e: model.Round, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        m = self.rec.mark(out.emit, depth, out.temp)
        before = out.temp()
        self.expr(e.operand, before, out, depth, ctx)
        qn, qd = e.quantum.as_integer_ratio()
        call = f"_round({before}, {self.const(e.quantum)}, {e.truncate!r}, {qn}, {qd})"
        if e.type.kind == TypeKind.ENTIER:
            call = f"int({call})"
        out.emit(depth, f"if type({before}) in ABS: {dest} = {before}")
        out.emit(depth, "else:")
        out.emit(depth + 1, f"try: {dest} = {call}")
        out.emit(depth + 1, f"except LIMITS: {dest} = _beyond({ctx.origin})")
        self.rec.record(("of", e), dest, m, out.emit, depth,
                        f"{{'before': None if type({before}) in ABS else {before}}}")

    def x_duration(self, e: model.DurationOf, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        field = {"jours": "days", "mois": "months", "ans": "years"}.get(e.unit)
        if field is None:
            raise GenerationError(f"unité de durée inconnue : {e.unit}")
        self.expr(e.amount, dest, out, depth, ctx)
        out.emit(depth, f"if type({dest}) not in ABS: {dest} = Duration({field}={dest})")

    def x_text_of(self, e: model.TextOf, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        d = self.definition(e.name, None)
        w = out.temp()
        self.expr(e.date, w, out, depth, ctx)
        out.emit(depth, f"if type({w}) in ABS:")
        out.emit(depth + 1, f"{dest} = {w}")
        for version in reversed(d.versions):
            test = "True" if version.start is None else f"{self.const(version.start)} <= {w}"
            out.emit(depth, f"elif {test}:")
            out.emit(depth + 1, f"{dest} = {self.const(version.text.short)}")
        out.emit(depth, "else:")
        out.emit(depth + 1, f"{dest} = _no_text({e.name!r}, {w})")
        self.rec.leaf(("of", e), dest, out.emit, depth, f"{{'date': {w}}}", unless_absent=w)

    def x_marker(self, e: model.Marker, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        cls = NotApplicable if e.kind == MarkerKind.NOT_APPLICABLE else Undetermined
        if ctx.static is not None:
            out.emit(depth, f"{dest} = {self.const(cls(e.reason, ctx.static[0]))}")
        else:
            out.emit(depth, f"{dest} = {cls.__name__}({self.const(e.reason)}, {ctx.origin})")
        self.rec.leaf(("of", e), dest, out.emit, depth)

    def outputs_function(self, entries: dict[str, tuple[int, str]]) -> None:
        """`OUTPUTS(F)`: every output in declaration order, as `GeneratedProgram.raw` gives them."""
        body = Body("def OUTPUTS(F):")
        body.emit(1, f"M = [U] * {self.slot_count}")
        if self.tracks_functions:
            body.emit(1, "M[0] = []")
        names = []
        for i, name in enumerate(self.program.outputs):
            slot, fn = entries[name]
            body.emit(1, f"o{i} = M[{slot}]")
            body.emit(1, f"if o{i} is U: o{i} = {fn}(F, M)")
            names.append(f"o{i}")
        body.emit(1, f"return [{', '.join(names)}]")
        self.add(body.lines)

    # ── assembly ──
    def module_source(self) -> str:
        """The whole module, in generation order (cell tables come after the functions they name)."""
        return "\n\n".join("\n".join(lines) for lines in self.functions) + "\n"


def formula(version: model.Version) -> model.Expr:
    """A version's formula (a table's grid is generated by `engine.evaluate.tables`)."""
    if isinstance(version.body, model.Grid):
        raise GenerationError("une table lue comme une formule")
    return version.body
