"""Generated code for tables: `TB(F, M, o, key…[, w])` finds the version, row, column and cell.

Part of the generator (`engine.evaluate.generator`), as `Evaluator.lookup` is part of the
interpreter. When the recorder records, a table function returns `(result, details)`: the details
say which keys were looked up, and which version, row and column were retained, as the
interpreter's table event does.
"""

from __future__ import annotations

from typing import Protocol

from engine.check import model
from engine.evaluate.analysis import DefKey, GenerationError
from engine.evaluate.emitter import Body, Ctx, hashable
from engine.evaluate.recorder import EventRecorder, Recorder
from engine.lang.kinds import KeyKind


class Generator(Protocol):
    """What the table writer asks of `engine.evaluate.generator.Generator`, which owns it (a protocol,
    so that the generator imports this module and not the other way round)."""

    rec: Recorder

    def fresh(self, prefix: str, about: str = "") -> str: ...

    def const(self, value: object) -> str: ...

    def body(self, header: str) -> Body: ...

    def add(self, lines: list[str]) -> None: ...

    def definition(self, name: str, origin: str | None) -> model.Definition: ...

    def expr(self, e: model.Expr, dest: str, out: Body, depth: int, ctx: Ctx) -> None: ...

    def operands(self, exprs: tuple[model.Expr, ...], dest: str, out: Body, depth: int, ctx: Ctx,
                 compute: str) -> None: ...

_TableKey = tuple[DefKey, int]
"""A table version's stable identity: ((origin, name), version index)."""


class _CellRef:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class TableWriter:
    """Writes the table functions of one generated module."""

    def __init__(self, gen: Generator) -> None:
        self.gen = gen
        self.rec = gen.rec
        self._tables: dict[tuple[DefKey, bool], str] = {}
        self._finders: dict[tuple[_TableKey, str], str] = {}
        self._cells: dict[_TableKey, str] = {}

    def call(self, e: model.TableCall, dest: str, out: Body, depth: int, ctx: Ctx) -> None:
        """`table(clé…[, date])`: the keys (and date) as operands, then the table function."""
        gen = self.gen
        d = gen.definition(e.name, e.origin)
        dated = e.date is not None and d.dated  # an undated table does not read its date
        fn = self.table(d, e.origin, e.name, dated)
        exprs = e.args + ((e.date,) if dated and e.date is not None else ())
        placeholders = ", ".join(f"{{{i}}}" for i in range(len(exprs)))
        m = self.rec.mark(out.emit, depth, out.temp)
        if not self.rec.records:
            gen.operands(exprs, dest, out, depth, ctx, f"{{dest}} = {fn}(F, M, {ctx.origin}, {placeholders})")
            return
        det = out.temp()
        out.emit(depth, f"{det} = {{}}")
        gen.operands(exprs, dest, out, depth, ctx, f"{{dest}}, {det} = {fn}(F, M, {ctx.origin}, {placeholders})")
        self.rec.record(("of", e), dest, m, out.emit, depth, det)

    def table(self, d: model.Definition, origin: str | None, called: str, with_date: bool) -> str:
        """`TB(F, M, o, key…[, w])`: the table's version, row, column and cell (`Evaluator.lookup`)."""
        key = ((origin, d.name), with_date)
        if key in self._tables:
            return self._tables[key]
        gen = self.gen
        name = self._tables[key] = gen.fresh("TB", d.name)
        keys = [f"k{i}" for i in range(len(d.params))]
        body = gen.body(f"def {name}(F, M, o, {', '.join(keys)}{', w' if with_date else ''}):  "
                        f"# table {d.name}, {d.span.file}:{d.span.line}")
        head = f"'keys': [{', '.join(keys)}], 'date': {'w' if with_date else 'None'}"
        if d.dated and with_date:
            for index in reversed(range(len(d.versions))):
                start = d.versions[index].start
                body.emit(1, "if True:" if start is None else f"if {gen.const(start)} <= w:")
                self.table_version(d, origin, called, index, keys, head, body, 2)
            refused = f"_no_table_version({called!r}, w)"
            body.emit(1, f"return {refused}, {{'keys': [{', '.join(keys)}], 'date': w}}" if self.rec.records
                      else f"return {refused}")
        else:
            self.table_version(d, origin, called, len(d.versions) - 1, keys, head, body, 1)
        gen.add(body.lines)
        return name

    def table_version(self, d: model.Definition, origin: str | None, called: str, index: int, keys: list[str],
                      head: str, out: Body, depth: int) -> None:
        gen = self.gen
        version = d.versions[index]
        grid = version.body
        if not isinstance(grid, model.Grid):
            raise GenerationError(f"la table {d.name} n'a pas de grille")
        if len(keys) != (1 if grid.columns is None else 2):
            raise GenerationError(f"table {d.name} : nombre de clés inattendu")
        at = ((origin, d.name), index)
        out.emit(depth, f"i = {self.finder(grid.rows, (at, 'rows'))}({keys[0]})")
        column = "0" if grid.columns is None else f"{self.finder(grid.columns, (at, 'columns'))}({keys[1]})"
        out.emit(depth, f"j = {column}")
        out.emit(depth, "if i is None or j is None:")
        refused = f"_no_cell({called!r}, {', '.join(keys)})"
        cells = self.cells(grid, at)
        if not self.rec.records:
            out.emit(depth + 1, f"return {refused}")
            out.emit(depth, f"c = {cells}[i][j]")
            out.emit(depth, "return c.fn(F, M, o) if type(c) is _Cell else c")
            return
        assert isinstance(self.rec, EventRecorder)
        sites = self.rec.sites
        cell_data = tuple(tuple(sites.cell_data(d, grid, i, j) for j in range(len(row)))
                          for i, row in enumerate(grid.cells))
        version_data = gen.const(sites.version_data(version, d))
        out.emit(depth + 1, f"return {refused}, {{{head}, **{version_data}}}")
        out.emit(depth, f"c = {cells}[i][j]")
        out.emit(depth, f"t = {{{head}, **{version_data}, **{gen.const(cell_data)}[i][j]}}")
        out.emit(depth, "return (c.fn(F, M, o) if type(c) is _Cell else c), t")

    def cells(self, grid: model.Grid, at: _TableKey) -> str:
        if at in self._cells:
            return self._cells[at]
        gen = self.gen
        rows = []
        for row in grid.cells:
            values: list[object] = []
            for cell in row:
                if isinstance(cell.expr, model.Const):
                    values.append(cell.expr.value)
                else:
                    fn = gen.fresh("CL", at[0][1])
                    body = gen.body(f"def {fn}(F, M, o):")
                    gen.expr(cell.expr, "r", body, 1, Ctx({}, frozenset(), "o"))
                    body.emit(1, "return r")
                    gen.add(body.lines)
                    values.append(_CellRef(fn))
            rows.append(values)
        name = self._cells[at] = gen.fresh("CELLS")
        text = ", ".join("(" + ", ".join(f"_Cell({c.name})" if isinstance(c, _CellRef) else gen.const(c)
                                         for c in row) + ",)" for row in rows)
        gen.add([f"{name} = ({text},)"])  # after the cell functions it names
        return name

    def finder(self, keys: tuple[model.Key, ...], at: tuple[_TableKey, str]) -> str:
        """A function from a key value to the index `reference._find` returns (or None)."""
        if at in self._finders:
            return self._finders[at]
        gen = self.gen
        name = self._finders[at] = gen.fresh("FIND")
        fallback = next((i for i, k in enumerate(keys) if k.kind == KeyKind.OTHER), None)
        exact = [k for k in keys if k.kind != KeyKind.OTHER]
        if all(k.kind in {KeyKind.ENUM, KeyKind.VALUE} for k in exact) and hashable(k.value for k in exact):
            table: dict[object, int] = {}
            for i, k in enumerate(keys):
                if k.kind != KeyKind.OTHER:
                    table.setdefault(k.value, i)
            gen.add([f"def {name}(v, _get={gen.const(table)}.get):", f"    return _get(v, {fallback!r})"])
            return name
        lines = [f"def {name}(v):"]
        for i, k in enumerate(keys):
            if k.kind == KeyKind.OTHER:
                continue
            if k.kind in {KeyKind.ENUM, KeyKind.VALUE}:
                lines.append(f"    if v == {gen.const(k.value)}: return {i}")
                continue
            tests = []
            if k.low is not None:
                tests.append(f"v {'>=' if k.low_inclusive else '>'} {gen.const(k.low)}")
            if k.high is not None:
                tests.append(f"v {'<=' if k.high_inclusive else '<'} {gen.const(k.high)}")
            lines.append(f"    if {' and '.join(tests) or 'True'}: return {i}")
        lines.append(f"    return {fallback!r}")
        gen.add(lines)
        return name
