"""Fast path: (checked program) → generated Python source → functions giving the same results.

`compile_program(program)` translates `engine.check.model` into the source of one Python module, one
function per definition (and per function, table and lazy argument), compiles it with `compile()`
and returns a `CompiledProgram`. Its results are exactly the interpreter's (`engine.evaluate.reference`):
same statuses, values, reasons, origins and missing sets, reached in the same order. The trace is
not its job: `engine.evaluate.tracecompile` generates the traced counterpart (`Outcome.events`).

Why source generation rather than closures: a closure tree still pays one Python call per node
and allocates a `Value` per intermediate result. Generated code inlines every operator, keeps
intermediate results in local variables as plain Python values, and only allocates for the rare
*non applicable*, *indéterminé* and *missing* results, which are the `engine.lang.results` objects
themselves. Conditions test `x is True`, so the three-valued logic costs two identity checks.

Runtime representation inside generated code:
- a value is the plain Python value (int, Decimal, Fraction, bool, date, str, Duration);
- an absence is the `NotApplicable`, `Undetermined` or `Missing` instance the interpreter builds;
- `M` is the per-evaluation memo list (one slot per definition version), `F` the typed facts;
- a function argument is passed evaluated when that is free of effects (constants, facts,
  memoised rules, the caller's own parameters), else as a `_Lazy` (call by need, like `_Thunk`).

The interpreter takes a marker's origin from the definition or function being evaluated when the
marker is reached. Inside a function's argument, that is the function forcing it (dynamic); such
programs keep a stack of function names in `M[0]`, the others need none.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from engine.check import model
from engine.lang.results import Missing, NotApplicable, Result, Undetermined, Value
from engine.evaluate.analysis import NUMERIC as _NUMERIC
from engine.evaluate.analysis import Analysis, CompileError
from engine.evaluate.runtime import ABS, NAMESPACE, U, Duration

if TYPE_CHECKING:
    from engine.inputs.fastfacts import FactReader  # loaded on use, in `fast_path`

__all__ = ["CompileError", "CompiledProgram", "compile_program", "compiled_for"]


# ─── The compiled program ────────────────────────────────────────────────────────────────────

class CompiledProgram:
    """A program translated to Python functions; `evaluate` mirrors `Evaluator.result`."""

    def __init__(self, program: model.Program, source: str, namespace: dict[str, object],
                 entries: dict[str, tuple[int, object]], slots: int, tracks_functions: bool) -> None:
        self._program = weakref.ref(program)  # the per-program caches below must not keep it alive
        self.output_names = program.outputs
        self.source = source
        self._ns = namespace
        self._entries = entries
        self._slots = slots
        self._tracks = tracks_functions
        self._outputs = namespace["OUTPUTS"]

    @property
    def program(self) -> model.Program | None:
        """The program this was compiled from (None once nothing else refers to it)."""
        return self._program()

    def outputs(self, facts: Mapping[str, object]) -> list[object]:
        """`raw(facts, program.outputs)`, through one generated function."""
        return self._outputs(facts)  # type: ignore[operator]

    def raw(self, facts: Mapping[str, object], names: Iterable[str]) -> list[object]:
        """Each rule's plain value, or its NotApplicable / Undetermined / Missing."""
        memo: list[object] = [U] * self._slots
        if self._tracks:
            memo[0] = []
        out = []
        entries = self._entries
        for name in names:
            slot, fn = entries[name]
            r = memo[slot]
            if r is U:
                r = fn(facts, memo)  # type: ignore[operator]
            out.append(r)
        return out

    def evaluate(self, facts: Mapping[str, object], names: Iterable[str]) -> dict[str, Result]:
        """Rule name → Result, as `{n: Evaluator(program, facts).result(n) for n in names}`."""
        names = tuple(names)
        raw = self.outputs(facts) if names == self.output_names else self.raw(facts, names)
        return {name: r if type(r) in ABS else Value(r)  # type: ignore[misc]
                for name, r in zip(names, raw)}


_COMPILED: weakref.WeakKeyDictionary[model.Program, CompiledProgram | CompileError] = weakref.WeakKeyDictionary()


def compiled_for(program: model.Program) -> CompiledProgram | None:
    """The compiled form of a program (compiled once per program object); None if not compilable."""
    return once_per_program(_COMPILED, program, compile_program)  # type: ignore[return-value]


def once_per_program(cache: weakref.WeakKeyDictionary, program: model.Program, build) -> object | None:  # type: ignore[no-untyped-def]
    """`build(program)`, built once per program object and remembered; None (also remembered) when
    the translation fails, so that the interpreter takes over without trying again.

    Any exception counts as a failure: a construct the generator mishandles must cost speed, never
    a result or a traceback (the tests call the builders directly, so such a bug still fails them).
    """
    found = cache.get(program)
    if found is None:
        try:
            found = build(program)
        except Exception as exc:  # noqa: BLE001 - see above
            found = exc if isinstance(exc, CompileError) else CompileError(f"{type(exc).__name__}: {exc}")
        cache[program] = found
    return None if isinstance(found, CompileError) else found


def run_module(source: str, constants: dict[str, object], filename: str) -> dict[str, object]:
    """Execute generated source in a namespace holding the runtime and `constants`; that namespace."""
    namespace: dict[str, object] = dict(NAMESPACE)
    namespace.update(constants)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace


def compile_program(program: model.Program) -> CompiledProgram:
    """Translate a checked program to Python and compile it.

    Raises:
        CompileError: a construct the translation does not handle (the interpreter still does).
    """
    gen = _Generator(program)
    entries = gen.entries()
    gen.outputs_function(entries)
    source = gen.module_source()
    namespace = run_module(source, gen.constants, f"<regles compilé : {program.text.file}>")
    resolved = {name: (slot, namespace[fn]) for name, (slot, fn) in entries.items()}
    return CompiledProgram(program, source, namespace, resolved, gen.slot_count, gen.tracks_functions)


# ─── Code generation ─────────────────────────────────────────────────────────────────────────

_MAX_DEPTH = 40
"""Indentation levels before a sub-expression is moved to a function of its own (CPython stops at 100)."""

_DYNAMIC = "(C[-1] if C else None)"
"""Origin of a marker inside a lazy argument: the function forcing it (`Evaluator.current[-1]`)."""

_PY_COMPARE = {"=": "==", "≠": "!=", "<": "<", "≤": "<=", ">": ">", "≥": ">="}


class _Ctx:
    """Where an expression is compiled: the parameters in scope and how markers get their origin.

    `origin` is Python source: a constant name for a definition or function body, `o` in a table
    cell (the caller passes its own), or the top of the function stack in a lazy argument.
    """

    __slots__ = ("params", "lazy", "origin", "static")

    def __init__(self, params: dict[str, str], lazy: frozenset[str], origin: str,
                 static: tuple[str | None] | None = None) -> None:
        self.params = params
        self.lazy = lazy
        self.origin = origin
        self.static = static
        """`(name,)` when the origin is known while compiling, else None."""

    def signature(self) -> list[str]:
        """The variables a function split off from this context must receive."""
        names = ["F", "M", *self.params.values()]
        if self.origin == "o":
            names.append("o")
        return names


class _Body:
    """The lines of one generated function, with its temporaries."""

    def __init__(self, header: str) -> None:
        self.lines = [header]
        self.count = 0

    def temp(self) -> str:
        self.count += 1
        return f"t{self.count}"

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)


class _Generator(Analysis):
    """Builds the module source for one program (what it knows of the program: `Analysis`)."""

    def __init__(self, program: model.Program) -> None:
        self.functions: list[list[str]] = []
        self.constants: dict[str, object] = {}
        self._constant_ids: dict[tuple[type, object], str] = {}
        self.slot_count = 1  # slot 0: the function-name stack (or unused)
        self._slots: dict[tuple[int, int], int] = {}  # (id(definition), version) → slot
        self._defs: dict[tuple[int, int], str] = {}  # (id(definition), version) → function name
        self._dated: dict[int, str] = {}
        self._funcs: dict[int, str] = {}
        self._tables: dict[int, str] = {}
        self._finders: dict[tuple[int, ...], str] = {}
        self._cells: dict[int, str] = {}
        self._keep: list[object] = []  # keeps ids stable while generating
        self._counter = 0
        super().__init__(program)

    # ── naming ──
    def fresh(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    def const(self, value: object) -> str:
        """Python source for a constant value (small literals inline, others by name)."""
        if value is None or isinstance(value, bool) or type(value) is int:
            return repr(value)
        if type(value) is str and len(value) < 200:
            return repr(value)
        try:  # equal is not enough: Decimal("0.00") == Decimal("0") but they print differently
            key = (type(value), value, repr(value))
            hash(key)
        except TypeError:
            key = (type(value), id(value), "")  # type: ignore[assignment]
            self._keep.append(value)
        name = self._constant_ids.get(key)
        if name is None:
            name = self.fresh("K")
            self._constant_ids[key] = name
            self.constants[name] = value
        return name

    # ── definitions ──
    def entries(self) -> dict[str, tuple[int, str]]:
        """Every rule's (memo slot, function) for its latest version, as `Evaluator.result` reads it."""
        found = {}
        for name, d in self.program.definitions.items():
            if d.kind == "rule":
                index = len(d.versions) - 1
                found[name] = (self.slot(d, index), self.definition_function(d, None, index))
        return found

    def slot(self, d: model.Definition, index: int) -> int:
        key = (id(d), index)
        if key not in self._slots:
            self._slots[key] = self.slot_count
            self.slot_count += 1
        return self._slots[key]

    def definition_function(self, d: model.Definition, origin: str | None, index: int) -> str:
        """`D(F, M, w=None)`: evaluates one version of a definition (read at date `w`, if any) and
        stores it in its memo slot."""
        key = (id(d), index)
        if key in self._defs:
            return self._defs[key]
        name = self.fresh("D")
        self._defs[key] = name
        body = _Body(f"def {name}(F, M, w=None):  # {d.name}" + (f" ({origin})" if origin else ""))
        m = self.mark(body, 1)
        ctx = _Ctx({}, frozenset(), self.const(d.name), (d.name,))
        version = d.versions[index]
        if d.guard is not None:
            self.guarded(d, version, body, 1, ctx)
        else:
            self.expr(version.body, "r", body, 1, ctx)  # type: ignore[arg-type]
        slot = self.slot(d, index)
        body.emit(1, f"M[{slot}] = r")
        self.record_definition(d, version, slot, m, body)
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
        self.record(("guard", guard), f"True if {g} is True else {refused} if {g} is False else {g}", m, out, depth)
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
        """`Evaluator.named`: a fact, else a rule at its latest version."""
        if name in self.program.facts:
            out.emit(depth, f"{dest} = F.get({name!r}, {self.const(Missing(frozenset((name,))))})")
            self.leaf(("fact", self.program.facts[name]), dest, out, depth)
            return
        d = self.definition(name, None)
        self.memo_call(d, None, len(d.versions) - 1, dest, out, depth)

    def memo_call(self, d: model.Definition, origin: str | None, index: int, dest: str, out: _Body, depth: int,
                  date: str = "") -> None:
        """Read a definition version's memo slot, evaluating it (at the date in variable `date`) if empty."""
        slot = self.slot(d, index)
        fn = self.definition_function(d, origin, index)
        out.emit(depth, f"{dest} = M[{slot}]")
        out.emit(depth, f"if {dest} is U: {dest} = {fn}(F, M{', ' + date if date else ''})")
        self.memo_hit(slot, out, depth)

    def dated_function(self, d: model.Definition, origin: str | None) -> str:
        """`DD(F, M, w)`: the version in force at date `w`, memoised per version."""
        if id(d) in self._dated:
            return self._dated[id(d)]
        name = self.fresh("DD")
        self._dated[id(d)] = name
        body = _Body(f"def {name}(F, M, w):  # {d.name} au …")
        for index in range(len(d.versions) - 1, -1, -1):
            start = d.versions[index].start
            test = "True" if start is None else f"{self.const(start)} <= w"
            body.emit(1, f"if {test}:")
            self.memo_call(d, origin, index, "r", body, 2, date="w")
            body.emit(2, "return r")
        body.emit(1, f"r = _no_version({d.name!r}, w)")
        self.record_definition(d, None, None, "len(L)", body)
        body.emit(1, "return r")
        self.functions.append(body.lines)
        return name

    # ── expressions ──
    def expr(self, e: model.Expr, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        """Emit statements leaving the result of `e` in variable `dest`."""
        if depth > _MAX_DEPTH:
            self.split(e, dest, out, depth, ctx)
            return
        method = getattr(self, "x_" + type(e).__name__, None)
        if method is None:
            raise CompileError(f"expression non traduite : {type(e).__name__}")
        method(e, dest, out, depth, ctx)

    def split(self, e: model.Expr, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        """Move a deep sub-expression to a function of its own, to keep indentation bounded."""
        name = self.fresh("X")
        args = ", ".join(ctx.signature())
        body = _Body(f"def {name}({args}):")
        if ctx.origin == _DYNAMIC:
            body.emit(1, "C = M[0]")
        self.expr(e, "r", body, 1, ctx)
        body.emit(1, "return r")
        self.functions.append(body.lines)
        out.emit(depth, f"{dest} = {name}({args})")

    def x_Const(self, e: model.Const, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        out.emit(depth, f"{dest} = {self.const(e.value)}")

    def x_FactRef(self, e: model.FactRef, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        out.emit(depth, f"{dest} = F.get({e.name!r}, {self.const(Missing(frozenset((e.name,))))})")
        self.leaf(("fact", e), dest, out, depth)

    def x_DefRef(self, e: model.DefRef, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        d = self.definition(e.name, e.origin)
        if e.date is None or not d.dated:  # an undated definition does not read its date
            constant = self.constant_parameter(d, e.origin)
            if constant is not None:
                out.emit(depth, f"{dest} = {constant}")
                return
            index = len(d.versions) - 1
            self.memo_call(d, e.origin, index, dest, out, depth)
            return
        w = out.temp()
        self.expr(e.date, w, out, depth, ctx)
        out.emit(depth, f"if type({w}) in ABS:")
        out.emit(depth + 1, f"{dest} = {w}")
        out.emit(depth, "else:")
        out.emit(depth + 1, f"{dest} = {self.dated_function(d, e.origin)}(F, M, {w})")

    def constant_parameter(self, d: model.Definition, origin: str | None = None) -> str | None:
        """Source for the result of a definition that reads no fact, or None."""
        found = self.folded(d, origin)
        return None if found is None else self.const(found[0])

    def x_ParamRef(self, e: model.ParamRef, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        var = ctx.params.get(e.name)
        if var is None:
            raise CompileError(f"paramètre hors de portée : {e.name}")
        out.emit(depth, f"{dest} = {var}")
        if var in ctx.lazy:
            out.emit(depth, f"if type({dest}) is _Lazy: {dest} = {dest}.force()")

    def x_FuncCall(self, e: model.FuncCall, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        d = self.definition(e.name, e.origin)
        fn = self.function(d)
        if len(e.args) != len(d.params):
            raise CompileError(f"appel de {e.name} : {len(e.args)} arguments pour {len(d.params)} paramètres")
        args = []
        for arg in e.args:
            if isinstance(arg, model.ParamRef):
                var = ctx.params.get(arg.name)
                if var is None:
                    raise CompileError(f"paramètre hors de portée : {arg.name}")
                args.append(var)
            elif self._eager(arg):
                t = out.temp()
                self.expr(arg, t, out, depth, ctx)
                args.append(t)
            else:
                args.append(f"_Lazy({self.thunk(arg, ctx)}, ({', '.join(ctx.signature())},))")
        out.emit(depth, f"{dest} = {fn}(F, M{''.join(', ' + a for a in args)})")

    def thunk(self, arg: model.Expr, ctx: _Ctx) -> str:
        """A module-level function computing a lazy argument in the caller's scope."""
        name = self.fresh("T")
        if self.tracks_functions:
            inner = _Ctx(ctx.params, ctx.lazy, _DYNAMIC)
        else:
            inner = _Ctx(ctx.params, ctx.lazy, ctx.origin, ctx.static)
        body = _Body(f"def {name}({', '.join(inner.signature())}):")
        if self.tracks_functions:
            body.emit(1, "C = M[0]")
        self.expr(arg, "r", body, 1, inner)
        body.emit(1, "return r")
        self.functions.append(body.lines)
        return name

    def function(self, d: model.Definition) -> str:
        """`FN(F, M, p…)`: a `fonction` body; parameters may arrive as `_Lazy`."""
        if id(d) in self._funcs:
            return self._funcs[id(d)]
        name = self.fresh("FN")
        self._funcs[id(d)] = name
        params = {p.name: f"p{i}" for i, p in enumerate(d.params)}
        lazy_positions = self._lazy_params.get(id(d), set())
        lazy = frozenset(f"p{i}" for i in lazy_positions)
        body = _Body(f"def {name}(F, M{''.join(', ' + v for v in params.values())}):  # fonction {d.name}")
        ctx = _Ctx(params, lazy, self.const(d.name), (d.name,))
        if self.tracks_functions:
            body.emit(1, "C = M[0]")
            body.emit(1, f"C.append({d.name!r})")
        if d.guard is not None:
            self.guarded(d, d.latest, body, 1, ctx)
        else:
            self.expr(d.latest.body, "r", body, 1, ctx)  # type: ignore[arg-type]
        if self.tracks_functions:
            body.emit(1, "C.pop()")
        body.emit(1, "return r")
        self.functions.append(body.lines)
        return name

    def operands(self, exprs: tuple[model.Expr, ...], dest: str, out: _Body, depth: int, ctx: _Ctx,
                 compute: str) -> None:
        """`Evaluator.operands`: left to right, the first marker wins, missing facts accumulate.

        `compute` is a format string over the operand variables `{0}`, `{1}`…, run when all are
        values; it must assign `dest` (given as `{dest}`).
        """
        names = [out.temp() for _ in exprs]
        absent = [self.can_be_absent(x) for x in exprs]
        level = depth
        for i, (x, var) in enumerate(zip(exprs, names)):
            self.expr(x, var, out, level, ctx)
            if absent[i] and not isinstance(x, model.FactRef):  # a fact is a value or missing
                out.emit(level, f"if type({var}) in MK:")
                out.emit(level + 1, f"{dest} = {var}")
                out.emit(level, "else:")
                level += 1
        maybe = [var for var, a in zip(names, absent) if a]
        if maybe:
            out.emit(level, "if " + " or ".join(f"type({v}) is MS" for v in maybe) + ":")
            out.emit(level + 1, f"{dest} = _miss({', '.join(maybe)})")
            out.emit(level, "else:")
            level += 1
        for line in compute.format(*names, dest=dest).split("\n"):
            out.emit(level, line)

    def x_TableCall(self, e: model.TableCall, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        d = self.definition(e.name, e.origin)
        dated = e.date is not None and d.dated  # an undated table does not read its date
        fn = self.table(d, e.name, dated)
        exprs = e.args + ((e.date,) if dated else ())  # type: ignore[operator]
        placeholders = ", ".join("{%d}" % i for i in range(len(exprs)))
        self.operands(exprs, dest, out, depth, ctx, f"{{dest}} = {fn}(F, M, {ctx.origin}, {placeholders})")

    def table(self, d: model.Definition, called: str, with_date: bool) -> str:
        """`TB(F, M, o, key…[, w])`: the table's version, row, column and cell (`Evaluator.lookup`)."""
        key = id(d) * 2 + with_date
        if key in self._tables:
            return self._tables[key]
        name = self.fresh("TB")
        self._tables[key] = name
        keys = [f"k{i}" for i in range(len(d.params))]
        body = _Body(f"def {name}(F, M, o, {', '.join(keys)}{', w' if with_date else ''}):  # table {d.name}")
        indices = list(range(len(d.versions)))
        if d.dated and with_date:
            for index in reversed(indices):
                start = d.versions[index].start
                body.emit(1, "if True:" if start is None else f"if {self.const(start)} <= w:")
                self.table_version(d, called, index, keys, body, 2)
            body.emit(1, f"return _no_table_version({called!r}, w)")
        else:
            self.table_version(d, called, len(d.versions) - 1, keys, body, 1)
        self.functions.append(body.lines)
        return name

    def table_version(self, d: model.Definition, called: str, index: int, keys: list[str], out: _Body,
                      depth: int) -> None:
        grid = d.versions[index].body
        if not isinstance(grid, model.Grid):
            raise CompileError(f"la table {d.name} n'a pas de grille")
        if len(keys) != (1 if grid.columns is None else 2):
            raise CompileError(f"table {d.name} : nombre de clés inattendu")
        out.emit(depth, f"i = {self.finder(grid.rows)}({keys[0]})")
        out.emit(depth, "j = 0" if grid.columns is None else f"j = {self.finder(grid.columns)}({keys[1]})")
        out.emit(depth, "if i is None or j is None:")
        out.emit(depth + 1, f"return _no_cell({called!r}, {', '.join(keys)})")
        out.emit(depth, f"c = {self.cells(grid)}[i][j]")
        out.emit(depth, "return c.fn(F, M, o) if type(c) is _Cell else c")

    def cells(self, grid: model.Grid) -> str:
        if id(grid) in self._cells:
            return self._cells[id(grid)]
        rows = []
        for row in grid.cells:
            values = []
            for cell in row:
                if isinstance(cell.expr, model.Const):
                    values.append(cell.expr.value)
                else:
                    fn = self.fresh("CL")
                    body = _Body(f"def {fn}(F, M, o):")
                    self.expr(cell.expr, "r", body, 1, _Ctx({}, frozenset(), "o"))
                    body.emit(1, "return r")
                    self.functions.append(body.lines)
                    values.append(_CellRef(fn))
            rows.append(values)
        name = self.fresh("CELLS")
        self._cells[id(grid)] = name
        self._keep.append(grid)
        text = ", ".join("(" + ", ".join(f"_Cell({c.name})" if isinstance(c, _CellRef) else self.const(c)
                                         for c in row) + ",)" for row in rows)
        self.functions.append([f"{name} = ({text},)"])  # after the cell functions it names
        return name

    def finder(self, keys: tuple[model.Key, ...]) -> str:
        """A function from a key value to the index `_find` returns (or None)."""
        ident = tuple(id(k) for k in keys)
        if ident in self._finders:
            return self._finders[ident]
        self._keep.append(keys)
        name = self.fresh("FIND")
        self._finders[ident] = name
        fallback = next((i for i, k in enumerate(keys) if k.kind == "autre"), None)
        exact = [k for k in keys if k.kind != "autre"]
        if all(k.kind in {"enum", "value"} for k in exact) and _hashable(k.value for k in exact):
            table: dict[object, int] = {}
            for i, k in enumerate(keys):
                if k.kind != "autre":
                    table.setdefault(k.value, i)
            self.functions.append([f"def {name}(v, _get={self.const_table(table)}.get):",
                                   f"    return _get(v, {fallback!r})"])
            return name
        lines = [f"def {name}(v):"]
        for i, k in enumerate(keys):
            if k.kind == "autre":
                continue
            if k.kind in {"enum", "value"}:
                lines.append(f"    if v == {self.const(k.value)}: return {i}")
                continue
            tests = []
            if k.low is not None:
                tests.append(f"v {'>=' if k.low_inclusive else '>'} {self.const(k.low)}")
            if k.high is not None:
                tests.append(f"v {'<=' if k.high_inclusive else '<'} {self.const(k.high)}")
            lines.append(f"    if {' and '.join(tests) or 'True'}: return {i}")
        lines.append(f"    return {fallback!r}")
        self.functions.append(lines)
        return name

    def const_table(self, table: dict[object, int]) -> str:
        name = self.fresh("K")
        self.constants[name] = table
        return name

    def x_Builtin(self, e: model.Builtin, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        if e.name not in {"min", "max"}:
            raise CompileError(f"fonction intégrée inconnue : {e.name}")
        n = len(e.args)
        inner = ", ".join("{%d}" % i for i in range(n))
        call = f"{e.name}([{inner}])" if n < 2 else f"{e.name}({inner})"
        self.operands(e.args, dest, out, depth, ctx, f"{{dest}} = {call}")

    def x_Arith(self, e: model.Arith, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        kinds = (e.left.type.kind, e.right.type.kind)
        beyond = f"_beyond({ctx.origin})"  # a result beyond the limits of exact arithmetic (engine.lang.values)
        guard = ("try: {dest} = %s\n"
                 "except ZeroDivisionError: {dest} = UND_ZERO\n"
                 "except (OverflowError, ValueError): {dest} = UND_DATE\n"
                 "except LIMITS: {dest} = " + beyond.replace("%", "%%"))
        if kinds[0] in _NUMERIC and kinds[1] in _NUMERIC:
            fn = {"+": "_add", "-": "_sub", "×": "_mul", "/": "_div"}.get(e.op)
            if fn is None:
                raise CompileError(f"opérateur inconnu : {e.op}")
            if kinds == ("entier", "entier") and e.op != "/":
                op = "*" if e.op == "×" else e.op
                compute = ("try: {dest} = {0} %s {1} if type({0}) is int and type({1}) is int else %s({0}, {1})\n"
                           "except LIMITS: {dest} = %s\n"
                           "if type({dest}) is int and not -LIM < {dest} < LIM: {dest} = %s") % (op, fn, beyond, beyond)
            else:
                compute = guard % f"{fn}({{0}}, {{1}})"
            self.operands((e.left, e.right), dest, out, depth, ctx, compute)
            return
        if kinds[0] == "date" and e.op in "+-" and self.date_shift(e, dest, out, depth, ctx, guard):
            return
        self.operands((e.left, e.right), dest, out, depth, ctx,
                      f"{{dest}} = _arith({e.op!r}, {{0}}, {{1}}, {ctx.origin})")

    def date_shift(self, e: model.Arith, dest: str, out: _Body, depth: int, ctx: _Ctx, guard: str) -> bool:
        """`date ± n ans|mois|jours` and `date ± constant duration`, without building a Duration."""
        sign = "" if e.op == "+" else "-"
        right = e.right
        if isinstance(right, model.DurationOf):
            fn = {"ans": "_years", "mois": "_months", "jours": "_days"}.get(right.unit)
            if fn is None:
                return False
            self.operands((e.left, right.amount), dest, out, depth, ctx, guard % f"{fn}({{0}}, {sign}{{1}})")
            return True
        value = None
        if isinstance(right, model.Const):
            value = right.value
        elif isinstance(right, model.DefRef) and (right.date is None or not self.definition(right.name, right.origin).dated):
            found = self.folded(self.definition(right.name, right.origin), right.origin)
            value = found[0] if found is not None else None
        if not isinstance(value, Duration):
            return False
        step = value if e.op == "+" else -value
        call = f"_shift({{0}}, {step.years!r}, {step.months!r}, {step.days!r})"
        self.operands((e.left,), dest, out, depth, ctx, guard % call)
        return True

    def x_Negate(self, e: model.Negate, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        self.expr(e.operand, dest, out, depth, ctx)
        out.emit(depth, f"if type({dest}) not in ABS: {dest} = _neg({dest})")

    def x_Logic(self, e: model.Logic, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        decisive, other = ("False", "True") if e.op == "et" else ("True", "False")
        m = self.mark(out, depth)
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
        self.record(("of", e), dest, m, out, depth)

    def x_Not(self, e: model.Not, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        m = self.mark(out, depth)
        self.expr(e.operand, dest, out, depth, ctx)
        out.emit(depth, f"if type({dest}) not in ABS: {dest} = not {dest}")
        self.record(("of", e), dest, m, out, depth)

    def x_Compare(self, e: model.Compare, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        kinds = {e.left.type.kind, e.right.type.kind}
        if kinds & {"duree", "any"}:
            compute = f"{{dest}} = _compare({e.op!r}, {{0}}, {{1}})"
        else:
            compute = f"{{dest}} = {{0}} {_PY_COMPARE[e.op]} {{1}}"
        self.operands((e.left, e.right), dest, out, depth, ctx, compute)

    def x_Member(self, e: model.Member, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        items: object = frozenset(e.items) if _hashable(e.items) else tuple(e.items)
        m = self.mark(out, depth)
        v = out.temp()
        self.expr(e.operand, v, out, depth, ctx)
        test = "not in" if e.negated else "in"
        out.emit(depth, f"{dest} = {v} if type({v}) in ABS else {v} {test} {self.const(items)}")
        self.record(("of", e), dest, m, out, depth, f"{{'value': None if type({v}) in ABS else {v}}}")

    def x_If(self, e: model.If, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        m = self.mark(out, depth)
        c = out.temp()
        self.expr(e.condition, c, out, depth, ctx)
        self.record(("test", e), c, m, out, depth)
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
        self.record(("of", e), dest, m, out, depth, branch)

    def x_Round(self, e: model.Round, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        m = self.mark(out, depth)
        before = out.temp()
        self.expr(e.operand, before, out, depth, ctx)
        qn, qd = e.quantum.as_integer_ratio()
        call = f"_round({before}, {self.const(e.quantum)}, {e.truncate!r}, {qn}, {qd})"
        if e.type.kind == "entier":
            call = f"int({call})"
        out.emit(depth, f"if type({before}) in ABS: {dest} = {before}")
        out.emit(depth, "else:")
        out.emit(depth + 1, f"try: {dest} = {call}")
        out.emit(depth + 1, f"except LIMITS: {dest} = _beyond({ctx.origin})")
        self.record(("of", e), dest, m, out, depth, f"{{'before': None if type({before}) in ABS else {before}}}")

    def x_DurationOf(self, e: model.DurationOf, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        field = {"jours": "days", "mois": "months", "ans": "years"}.get(e.unit)
        if field is None:
            raise CompileError(f"unité de durée inconnue : {e.unit}")
        self.expr(e.amount, dest, out, depth, ctx)
        out.emit(depth, f"if type({dest}) not in ABS: {dest} = Duration({field}={dest})")

    def x_TextOf(self, e: model.TextOf, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
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
        self.leaf(("of", e), dest, out, depth, f"{{'date': {w}}}", unless_absent=w)

    def x_Marker(self, e: model.Marker, dest: str, out: _Body, depth: int, ctx: _Ctx) -> None:
        cls = NotApplicable if e.kind == "non_applicable" else Undetermined
        if ctx.static is not None:
            out.emit(depth, f"{dest} = {self.const(cls(e.reason, ctx.static[0]))}")
        else:
            out.emit(depth, f"{dest} = {cls.__name__}({self.const(e.reason)}, {ctx.origin})")
        self.leaf(("of", e), dest, out, depth)

    # ── recording: nothing here; the traced generator (engine.evaluate.tracecompile) records each step ──
    def mark(self, out: _Body, depth: int) -> str:
        """Source for the log mark a step's event starts from (none: this generator records nothing)."""
        return ""

    def record(self, site: tuple[str, object], result: str, mark: str, out: _Body, depth: int,
               details: str = "None") -> None:
        """Record the event of a step: `site` names the `engine.evaluate.sites.Sites` method and the node,
        `result` and `details` are source expressions, `mark` what `mark` returned before the step."""

    def leaf(self, site: tuple[str, object], result: str, out: _Body, depth: int, details: str = "None",
             unless_absent: str | None = None) -> None:
        """Record an event without children (a fact read, a marker, a text), unless the variable
        `unless_absent` holds an absence."""

    def memo_hit(self, slot: int, out: _Body, depth: int) -> None:
        """After `memo_call`: a definition version read again (its event is attached again)."""

    def record_definition(self, d: model.Definition, version: model.Version | None, slot: int | None, mark: str,
                          out: _Body) -> None:
        """At the end of a definition function (or of a dated read with no version in force)."""

    def outputs_function(self, entries: dict[str, tuple[int, str]]) -> None:
        """`OUTPUTS(F)`: every output in declaration order, as `CompiledProgram.raw` gives them."""
        body = _Body("def OUTPUTS(F):")
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
        self.functions.append(body.lines)

    # ── assembly ──
    def module_source(self) -> str:
        """The whole module, in generation order (cell tables come after the functions they name)."""
        return "\n\n".join("\n".join(lines) for lines in self.functions) + "\n"


class _CellRef:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def _hashable(values: Iterable[object]) -> bool:
    try:
        for v in values:
            hash(v)
    except TypeError:
        return False
    return True



# ─── Entry point for `Ruleset.evaluate` ──────────────────────────────────────────────────────

_READERS: weakref.WeakKeyDictionary[model.Program, tuple[FactReader, CompiledProgram | None]] = \
    weakref.WeakKeyDictionary()


def fast_path(program: model.Program) -> tuple[FactReader, CompiledProgram | None]:
    """`(FactReader, CompiledProgram or None)` for a program, built once per program object.

    The compiled program is None when `REGLES_NO_COMPILE=1` is set or the translation does not
    handle the program; the interpreter then computes the results.
    """
    found = _READERS.get(program)
    if found is None:
        import os

        from engine.inputs.fastfacts import FactReader
        compiled = None if os.environ.get("REGLES_NO_COMPILE") == "1" else compiled_for(program)
        found = _READERS[program] = (FactReader(program), compiled)
    return found
