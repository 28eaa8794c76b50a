"""Traced fast path: (checked program) → generated Python that records the interpreter's trace.

`engine.compiler` generates code that computes results only. Explanations, letters and
`Outcome.trace` need the trace as well: the tree of `Event`s that `engine.evaluator` records with
a `Tracer`. Running the interpreter for that costs some ten times the compiled code, most of it in
walking the model rather than in recording. This module generates a second module from the same
program, whose code records, step for step, the events the traced interpreter records: same
sites, results, details, children and order, and the same shared event for a rule used twice.
tests/test_tracecompile.py holds the two traces equal (in JSON form) on random programs and on
both rule files over the synthetic population.

What differs from the untraced generator, and why:
- nothing is folded at compile time: a parameter evaluated at compile time would have no events;
- every function argument is lazy, constants included: the interpreter shows an argument only if
  the function read it, and records an argument's events where it is first read;
- `date ± durée` goes through the general date arithmetic, whose event shows the duration;
- each definition's memo slot has an event slot beside it (`E`), and the code of each step keeps
  the log mark taken before its operands (`m = len(L)`), as `Tracer.record` expects.

A program whose definitions are reachable under two origins (never the case once loaded from rule
files, but possible in principle) is left to the traced interpreter: the interpreter then labels
one definition two ways, while generated code has one function per definition.
"""

from __future__ import annotations

import os
import re
import weakref
from collections.abc import Iterable, Mapping

from engine import model
from engine.compiler import CompileError, _Body, _Ctx, _Generator, _hashable, once_per_program, run_module
from engine.results import NotApplicable, Value
from engine.runtime import ABS, U, _Lazy
from engine.sites import sites_of
from engine.trace import Event

__all__ = ["TracedProgram", "compile_traced", "traced_for"]


# ─── Runtime helpers of the generated code ───────────────────────────────────────────────────

def _res(r: object) -> object:
    """A plain value or an absence as the interpreter's `Result`."""
    return r if type(r) in ABS else Value(r)


def _rec(log: list[Event], mark: int, site: object, r: object, details: object = None) -> Event:
    """`Tracer.record`: the event of one step, whose children are the events logged since `mark`."""
    result = r if type(r) in ABS else Value(r)
    if len(log) > mark:
        children = tuple(log[mark:])
        del log[mark:]
        event = Event(site, result, details, children)  # type: ignore[arg-type]
    else:
        event = Event(site, result, details)  # type: ignore[arg-type]
    log.append(event)
    return event


def _arg(a: object) -> object:
    """What a function event shows of an argument: its value if the function read it, else None."""
    r = a.r if type(a) is _Lazy else a
    return None if r is U or type(r) in ABS else r


_HELPERS = {"_res": _res, "_rec": _rec, "_arg": _arg, "Event": Event,
            "B_ALORS": {"branch": "alors"}, "B_SINON": {"branch": "sinon"},
            "B_DEUX": {"branch": "les deux"}, "B_NONE": {"branch": None}}

_SIGNATURE = re.compile(r"^def \w+\(F, M\b")


# ─── The traced program ──────────────────────────────────────────────────────────────────────

class TracedProgram:
    """A program translated to Python functions that record its trace; `events` mirrors
    `Outcome._trace` on the interpreter."""

    def __init__(self, source: str, entries: dict[str, tuple[int, object]], slots: int) -> None:
        self.source = source
        self._entries = entries
        self._slots = slots

    def events(self, facts: Mapping[str, object], names: Iterable[str]) -> dict[str, Event]:
        """Rule name → its complete event tree, from one traced evaluation of all the names."""
        memo: list[object] = [U] * self._slots
        log: list[Event] = []
        shared: list[object] = [None] * self._slots
        memo[0], memo[1], memo[2] = [], log, shared
        found = {}
        for name in names:
            slot, fn = self._entries[name]
            if memo[slot] is U:
                fn(facts, memo)  # type: ignore[operator]
            else:
                log.append(shared[slot])  # type: ignore[arg-type]
            found[name] = log[-1]
        return found


_TRACED: weakref.WeakKeyDictionary[model.Program, TracedProgram | CompileError] = weakref.WeakKeyDictionary()


WARM_UP = 3
"""Traced evaluations of a program left to the interpreter before its traced form is generated.

Generating and compiling the traced module takes about 70 ms for the 2024 file, some twenty traced
evaluations' worth of savings: a command that explains one result (`regles explain`) is faster
with the interpreter, a service or a batch that explains many is faster compiled. Both give the
same trace (tests/test_tracecompile.py), so this is only a matter of speed."""

_TRACES: weakref.WeakKeyDictionary[model.Program, int] = weakref.WeakKeyDictionary()


def traced_for(program: model.Program, *, now: bool = False) -> TracedProgram | None:
    """The traced compiled form of a program (built once per program), or None: for its first
    `WARM_UP` traced evaluations (unless `now`), when `REGLES_NO_COMPILE=1` is set, or when the
    translation does not handle the program. The traced interpreter then runs."""
    if os.environ.get("REGLES_NO_COMPILE") == "1":
        return None
    if not now and program not in _TRACED:
        seen = _TRACES.get(program, 0)
        if seen < WARM_UP:
            _TRACES[program] = seen + 1
            return None
    return once_per_program(_TRACED, program, compile_traced)  # type: ignore[return-value]


def compile_traced(program: model.Program) -> TracedProgram:
    """Translate a checked program to Python that records its trace, and compile it.

    Raises:
        CompileError: a construct the translation does not handle (the traced interpreter does).
    """
    gen = _TracedGenerator(program)
    entries = {}
    for name, d in program.definitions.items():
        if d.kind == "rule":
            index = len(d.versions) - 1
            entries[name] = (gen.slot(d, index), gen.definition_function(d, None, index))
    source = gen.module_source()
    namespace = run_module(source, {**_HELPERS, **gen.constants}, f"<regles compilé, tracé : {program.text.file}>")
    resolved = {name: (slot, namespace[fn]) for name, (slot, fn) in entries.items()}
    return TracedProgram(source, resolved, gen.slot_count)


# ─── Code generation ─────────────────────────────────────────────────────────────────────────

class _TracedGenerator(_Generator):
    """The untraced generator, with each step that records an event wrapped in its recording."""

    def __init__(self, program: model.Program) -> None:
        super().__init__(program)
        self.slot_count = 3  # 0: function-name stack, 1: the log `L`, 2: the shared events `E`
        self.sites = sites_of(program)
        reachable = [id(d) for d in program.definitions.values()] + [id(d) for d in program.originals.values()]
        if len(set(reachable)) != len(reachable):
            raise CompileError("une définition est atteinte sous deux origines")
        self._head = ""
        self._origins = {id(d): origin for (origin, _), d in program.originals.items()}

    # ── what the untraced generator does that the trace forbids ──
    def folded(self, d: model.Definition, origin: str | None) -> tuple[object] | None:
        return None

    def _eager(self, arg: model.Expr) -> bool:
        return False

    def date_shift(self, *args: object) -> bool:  # type: ignore[override]
        return False

    def site(self, site: object) -> str:
        return self.const(site)

    def mark(self, out: _Body, depth: int) -> str:
        m = out.temp()
        out.emit(depth, f"{m} = len(L)")
        return m

    # ── definitions ──
    def definition_function(self, d: model.Definition, origin: str | None, index: int) -> str:
        """`D(F, M, w=None)`: one version of a definition, its result in `M` and its event in `E`."""
        key = (id(d), index)
        if key in self._defs:
            return self._defs[key]
        name = self.fresh("D")
        self._defs[key] = name
        origin = self._origins.get(id(d))
        body = _Body(f"def {name}(F, M, w=None):  # {d.name}")
        m = self.mark(body, 1)
        ctx = _Ctx({}, frozenset(), self.const(d.name), (d.name,))
        version = d.versions[index]
        if d.guard is not None:
            self.guarded(d, version, body, 1, ctx)
        else:
            self.expr(version.body, "r", body, 1, ctx)  # type: ignore[arg-type]
        slot = self.slot(d, index)
        site = self.site(self.sites.definition(d, version, origin))
        body.emit(1, f"M[{slot}] = r")
        body.emit(1, f"E[{slot}] = _rec(L, {m}, {site}, r, None if w is None else {{'date': w}})")
        body.emit(1, "return r")
        self.functions.append(body.lines)
        return name

    def memo_call(self, d: model.Definition, origin: str | None, index: int, dest: str, out: _Body, depth: int,
                  date: str = "") -> None:
        slot = self.slot(d, index)
        fn = self.definition_function(d, origin, index)
        out.emit(depth, f"{dest} = M[{slot}]")
        out.emit(depth, f"if {dest} is U: {dest} = {fn}(F, M{', ' + date if date else ''})")
        out.emit(depth, f"else: L.append(E[{slot}])")

    def dated_function(self, d: model.Definition, origin: str | None) -> str:
        if id(d) in self._dated:
            return self._dated[id(d)]
        name = self.fresh("DD")
        self._dated[id(d)] = name
        body = _Body(f"def {name}(F, M, w):  # {d.name} au …")
        for index in range(len(d.versions) - 1, -1, -1):
            start = d.versions[index].start
            body.emit(1, "if True:" if start is None else f"if {self.const(start)} <= w:")
            self.memo_call(d, origin, index, "r", body, 2, date="w")
            body.emit(2, "return r")
        site = self.site(self.sites.definition(d, None, self._origins.get(id(d))))
        body.emit(1, f"r = _no_version({d.name!r}, w)")
        body.emit(1, f"_rec(L, len(L), {site}, r, {{'date': w}})")
        body.emit(1, "return r")
        self.functions.append(body.lines)
        return name

    def guarded(self, d: model.Definition, version: model.Version, out: _Body, depth: int, ctx: _Ctx) -> None:
        guard = d.guard
        assert guard is not None
        m = self.mark(out, depth)
        g = out.temp()
        self.named(guard.name, g, out, depth)
        refused = self.const(NotApplicable(guard.reason or f"la condition « {guard.name} » n'est pas remplie", d.name))
        site = self.site(self.sites.guard(guard))
        out.emit(depth, f"_rec(L, {m}, {site}, True if {g} is True else {refused} if {g} is False else {g})")
        out.emit(depth, f"if {g} is True:")
        self.expr(version.body, "r", out, depth + 1, ctx)  # type: ignore[arg-type]
        out.emit(depth, f"elif {g} is False:")
        out.emit(depth + 1, f"r = {refused}")
        out.emit(depth, f"elif type({g}) is MS:")
        b = out.temp()
        self.expr(version.body, b, out, depth + 1, ctx)  # type: ignore[arg-type]
        out.emit(depth + 1, f"r = _miss({g}, {b}) if type({b}) is MS else {g}")
        out.emit(depth, "else:")
        out.emit(depth + 1, f"r = {g}")

    def named(self, name: str, dest: str, out: _Body, depth: int) -> None:
        if name in self.program.facts:
            super().named(name, dest, out, depth)
            out.emit(depth, f"L.append(Event({self.site(self.sites.fact(self.program.facts[name]))}, _res({dest})))")
            return
        super().named(name, dest, out, depth)

    # ── expressions ──
    def x_FactRef(self, e: model.FactRef, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        super().x_FactRef(e, dest, out, depth, ctx)
        out.emit(depth, f"L.append(Event({self.site(self.sites.fact(e))}, _res({dest})))")

    def x_FuncCall(self, e: model.FuncCall, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        d = self.definition(e.name, e.origin)
        if len(e.args) != len(d.params):
            raise CompileError(f"appel de {e.name} : {len(e.args)} arguments pour {len(d.params)} paramètres")
        fn = self.function(d)
        m = self.mark(out, depth)
        args = []
        for arg in e.args:
            a = out.temp()
            out.emit(depth, f"{a} = _Lazy({self.thunk(arg, ctx)}, ({', '.join(ctx.signature())},))")
            args.append(a)
        out.emit(depth, f"{dest} = {fn}(F, M{''.join(', ' + a for a in args)})")
        shown = ", ".join(f"{p.name!r}: _arg({a})" for p, a in zip(d.params, args))
        out.emit(depth, f"_rec(L, {m}, {self.site(self.sites.of(e))}, {dest}, {{'arguments': {{{shown}}}}})")

    def x_TableCall(self, e: model.TableCall, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        d = self.definition(e.name, e.origin)
        dated = e.date is not None and d.dated
        fn = self.table(d, e.name, dated)
        exprs = e.args + ((e.date,) if dated else ())  # type: ignore[operator]
        placeholders = ", ".join("{%d}" % i for i in range(len(exprs)))
        m = self.mark(out, depth)
        det = out.temp()
        out.emit(depth, f"{det} = {{}}")
        self.operands(exprs, dest, out, depth, ctx, f"{{dest}}, {det} = {fn}(F, M, {ctx.origin}, {placeholders})")
        out.emit(depth, f"_rec(L, {m}, {self.site(self.sites.of(e))}, {dest}, {det})")

    def table(self, d: model.Definition, called: str, with_date: bool) -> str:
        """`TB(…)` returning `(result, details)`: the details say which version, row and column."""
        key = id(d) * 2 + with_date
        if key in self._tables:
            return self._tables[key]
        name = self.fresh("TB")
        self._tables[key] = name
        keys = [f"k{i}" for i in range(len(d.params))]
        body = _Body(f"def {name}(F, M, o, {', '.join(keys)}{', w' if with_date else ''}):  # table {d.name}")
        self._head = f"'keys': [{', '.join(keys)}], 'date': {'w' if with_date else 'None'}"
        if d.dated and with_date:
            for index in reversed(range(len(d.versions))):
                start = d.versions[index].start
                body.emit(1, "if True:" if start is None else f"if {self.const(start)} <= w:")
                self.table_version(d, called, index, keys, body, 2)
            body.emit(1, f"return _no_table_version({called!r}, w), {{'keys': [{', '.join(keys)}], 'date': w}}")
        else:
            self.table_version(d, called, len(d.versions) - 1, keys, body, 1)
        self.functions.append(body.lines)
        return name

    def table_version(self, d: model.Definition, called: str, index: int, keys: list[str], out: _Body,
                      depth: int) -> None:
        version = d.versions[index]
        grid = version.body
        if not isinstance(grid, model.Grid):
            raise CompileError(f"la table {d.name} n'a pas de grille")
        if len(keys) != (1 if grid.columns is None else 2):
            raise CompileError(f"table {d.name} : nombre de clés inattendu")
        cell_data = tuple(tuple(self.sites.cell_data(d, grid, i, j) for j in range(len(row)))
                          for i, row in enumerate(grid.cells))
        head = self._head
        out.emit(depth, f"i = {self.finder(grid.rows)}({keys[0]})")
        out.emit(depth, "j = 0" if grid.columns is None else f"j = {self.finder(grid.columns)}({keys[1]})")
        version_data = self.const(self.sites.version_data(version, d))
        out.emit(depth, "if i is None or j is None:")
        out.emit(depth + 1, f"return _no_cell({called!r}, {', '.join(keys)}), {{{head}, **{version_data}}}")
        out.emit(depth, f"c = {self.cells(grid)}[i][j]")
        out.emit(depth, f"t = {{{head}, **{version_data}, **{self.const(cell_data)}[i][j]}}")
        out.emit(depth, "return (c.fn(F, M, o) if type(c) is _Cell else c), t")

    def x_Builtin(self, e: model.Builtin, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        self.recorded(e, out, depth, "values", lambda: super(_TracedGenerator, self).x_Builtin(e, dest, out, depth, ctx),
                      dest)

    def x_Arith(self, e: model.Arith, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        self.recorded(e, out, depth, "operands", lambda: super(_TracedGenerator, self).x_Arith(e, dest, out, depth, ctx),
                      dest)

    def x_Compare(self, e: model.Compare, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        self.recorded(e, out, depth, "compare", lambda: super(_TracedGenerator, self).x_Compare(e, dest, out, depth, ctx),
                      dest)

    def recorded(self, e: model.Expr, out: _Body, depth: int, shape: str, emit, dest: str) -> None:  # type: ignore[no-untyped-def]
        """Emit an operation through `operands`, recording its event with the operand values.

        The operand values are known only inside the code `operands` emits when all are values:
        `_capture` adds the line that keeps them to the operation's own code.
        """
        m = self.mark(out, depth)
        det = out.temp()
        self._capture = (det, shape)
        out.emit(depth, f"{det} = {self.const(_ABSENT_DETAILS[shape])}")
        emit()
        self._capture = None
        out.emit(depth, f"_rec(L, {m}, {self.site(self.sites.of(e))}, {dest}, {det})")

    _capture: tuple[str, str] | None = None

    def operands(self, exprs: tuple[model.Expr, ...], dest: str, out: _Body, depth: int, ctx: _Ctx,
                 compute: str) -> None:
        capture, self._capture = self._capture, None  # only the operation's own operands
        if capture is not None:
            det, shape = capture
            n = len(exprs)
            if shape == "compare":
                compute += f"\n{det} = {{{{'left': {{0}}, 'right': {{1}}}}}}"
            else:
                compute += f"\n{det} = {{{{'{shape}': [{', '.join('{%d}' % i for i in range(n))}]}}}}"
        super().operands(exprs, dest, out, depth, ctx, compute)

    def x_Logic(self, e: model.Logic, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        self.wrapped(e, dest, out, depth, lambda: super(_TracedGenerator, self).x_Logic(e, dest, out, depth, ctx))

    def x_Not(self, e: model.Not, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        self.wrapped(e, dest, out, depth, lambda: super(_TracedGenerator, self).x_Not(e, dest, out, depth, ctx))

    def wrapped(self, e: model.Expr, dest: str, out: _Body, depth: int, emit) -> None:  # type: ignore[no-untyped-def]
        """The untraced code of a step, recorded as one event without details."""
        m = self.mark(out, depth)
        emit()
        out.emit(depth, f"_rec(L, {m}, {self.site(self.sites.of(e))}, {dest})")

    def x_Member(self, e: model.Member, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        m = self.mark(out, depth)
        v = out.temp()
        self.expr(e.operand, v, out, depth, ctx)
        items: object = frozenset(e.items) if _hashable(e.items) else tuple(e.items)
        test = "not in" if e.negated else "in"
        out.emit(depth, f"if type({v}) in ABS: {dest}, {v} = {v}, None")
        out.emit(depth, f"else: {dest} = {v} {test} {self.const(items)}")
        out.emit(depth, f"_rec(L, {m}, {self.site(self.sites.of(e))}, {dest}, {{'value': {v}}})")

    def x_Round(self, e: model.Round, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        m = self.mark(out, depth)
        before = out.temp()
        self.expr(e.operand, before, out, depth, ctx)
        qn, qd = e.quantum.as_integer_ratio()
        call = f"_round({before}, {self.const(e.quantum)}, {e.truncate!r}, {qn}, {qd})"
        if e.type.kind == "entier":
            call = f"int({call})"
        out.emit(depth, f"if type({before}) in ABS: {dest}, {before} = {before}, None")
        out.emit(depth, f"else: {dest} = {call}")
        out.emit(depth, f"_rec(L, {m}, {self.site(self.sites.of(e))}, {dest}, {{'before': {before}}})")

    def x_If(self, e: model.If, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        m = self.mark(out, depth)
        c = out.temp()
        self.expr(e.condition, c, out, depth, ctx)
        out.emit(depth, f"_rec(L, {m}, {self.site(self.sites.test(e))}, {c})")
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
        out.emit(depth, f"_rec(L, {m}, {self.site(self.sites.of(e))}, {dest}, {branch})")

    def x_TextOf(self, e: model.TextOf, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        d = self.definition(e.name, None)
        w = out.temp()
        self.expr(e.date, w, out, depth, ctx)
        out.emit(depth, f"if type({w}) in ABS:")
        out.emit(depth + 1, f"{dest} = {w}")
        out.emit(depth, "else:")
        for version in reversed(d.versions):
            test = "True" if version.start is None else f"{self.const(version.start)} <= {w}"
            out.emit(depth + 1, f"if {test}: {dest} = {self.const(version.text.short)}")
            out.emit(depth + 1, "else:")
            depth += 1
        out.emit(depth + 1, f"{dest} = _no_text({e.name!r}, {w})")
        depth -= len(d.versions)
        out.emit(depth + 1, f"L.append(Event({self.site(self.sites.of(e))}, _res({dest}), {{'date': {w}}}))")

    def x_Marker(self, e: model.Marker, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        super().x_Marker(e, dest, out, depth, ctx)
        out.emit(depth, f"L.append(Event({self.site(self.sites.of(e))}, {dest}))")

    # ── assembly ──
    def module_source(self) -> str:
        """Every function that takes the memo starts by naming the log and the shared events."""
        for lines in self.functions:
            if _SIGNATURE.match(lines[0]):
                lines.insert(1, "    L = M[1]; E = M[2]")
        return super().module_source()


_ABSENT_DETAILS = {"values": {"values": None}, "operands": {"operands": None},
                   "compare": {"left": None, "right": None}}
"""An operation's details when an operand is absent (the operation did not run)."""

