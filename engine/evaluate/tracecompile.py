"""Traced fast path: (checked program) → generated Python that records the interpreter's trace.

`engine.evaluate.compiler` generates code that computes results only. Explanations, letters and
`Outcome.trace` need the trace as well: the tree of `Event`s that `engine.evaluate.reference` records with
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

from engine.check import model
from engine.evaluate.compiler import CompileError, _Body, _Ctx, _Generator, once_per_program, run_module
from engine.lang.results import Value
from engine.evaluate.runtime import ABS, U
from engine.evaluate.runtime import Lazy as _Lazy
from engine.evaluate.sites import sites_of
from engine.evaluate.trace import Event

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

    # ── recording (the hooks of `engine.evaluate.compiler._Generator`) ──
    def mark(self, out: _Body, depth: int) -> str:
        m = out.temp()
        out.emit(depth, f"{m} = len(L)")
        return m

    def record(self, site: tuple[str, object], result: str, mark: str, out: _Body, depth: int,
               details: str = "None") -> None:
        out.emit(depth, f"_rec(L, {mark}, {self.site_of(site)}, {result}, {details})")

    def leaf(self, site: tuple[str, object], result: str, out: _Body, depth: int, details: str = "None",
             unless_absent: str | None = None) -> None:
        line = f"L.append(Event({self.site_of(site)}, _res({result}), {details}))"
        out.emit(depth, line if unless_absent is None else f"if type({unless_absent}) not in ABS: {line}")

    def memo_hit(self, slot: int, out: _Body, depth: int) -> None:
        out.emit(depth, f"else: L.append(E[{slot}])")

    def record_definition(self, d: model.Definition, version: model.Version | None, slot: int | None, mark: str,
                          out: _Body) -> None:
        site = self.const(self.sites.definition(d, version, self._origins.get(id(d))))
        if slot is None:  # a dated read with no version in force: not memoised (the interpreter's key is the date)
            out.emit(1, f"_rec(L, {mark}, {site}, r, {{'date': w}})")
        else:
            out.emit(1, f"E[{slot}] = _rec(L, {mark}, {site}, r, None if w is None else {{'date': w}})")

    def site_of(self, site: tuple[str, object]) -> str:
        """Source naming the `Site` of `(Sites method, node)`."""
        method, node = site
        return self.const(getattr(self.sites, method)(node))

    # ── expressions ──
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
        self.record(("of", e), dest, m, out, depth, f"{{'arguments': {{{shown}}}}}")

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
        self.record(("of", e), dest, m, out, depth, det)

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
        self.record(("of", e), dest, m, out, depth, det)

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

