"""The part of trace events that does not depend on the facts, built once per program node.

A traced evaluation (`engine.evaluate.reference` with a `Tracer`) records one `Event` per step. What an
event says about its program node (its kind, its text as the rule file writes it, its span, the
types, citations and statuses of what it evaluates) is the same in every evaluation, so it is a
`Site` built here the first time the node is traced and kept as long as the program lives. The
evaluator adds only what the facts decided. This is what keeps a traced evaluation within a small
multiple of an untraced one (docs/performance.md).
"""

from __future__ import annotations

import weakref

from engine.base.source import Source
from engine.check import model
from engine.evaluate.perprogram import PerProgram
from engine.evaluate.trace import Site
from engine.lang.kinds import EventKind, KeyKind, TypeKind
from engine.lang.types import Type


class Sites:
    """The sites of one program's nodes, keyed by their stable ids (`Node.nid`, given by the checker:
    unique among the program's distinct nodes, and the same after the program cache's pickling)."""

    def __init__(self, program: model.Program) -> None:
        self._ref = weakref.ref(program)  # the cache below is keyed by the program: no strong reference back
        self._sites: dict[object, Site] = {}
        self._labels: dict[str, str] = {}
        self._static: dict[object, dict[str, object]] = {}

    def _program(self) -> model.Program:
        program = self._ref()
        assert program is not None, "a program's sites outlived it"
        return program

    def label(self, e: model.Expr) -> str:
        """The text of an expression as the rule file writes it, on one line."""
        found = self._labels.get(e.nid)
        if found is None:
            source: Source | None = self._program().sources.get(e.span.file)
            found = type(e).__name__ if source is None else " ".join(source.slice(e.span).split())
            self._labels[_nid(e)] = found
        return found

    def of(self, e: model.Expr) -> Site:
        """The site of an expression node that records an event (comparison, table, call…)."""
        site = self._sites.get(e.nid)
        if site is None:
            site = self._sites[_nid(e)] = _make(self, e)
        return site

    def definition(self, d: model.Definition, version: model.Version | None, origin: str | None) -> Site:
        """The site of a rule, parameter, table or function definition at one of its versions."""
        key = (d.uid, None if version is None else _nid(version), origin)
        site = self._sites.get(key)
        if site is None:
            data: dict[str, object] = {"type": d.type, "unit": d.unit, "origin": origin, "description": d.description}
            if version is not None:
                data.update(self.version_data(version, d))
            data["date"] = None  # the date it was read at, when there is one, is in the event's details
            label = d.name if origin is None else f"{origin}.{d.name}"
            site = self._sites[key] = Site(EventKind(d.kind), label, d.span, data)
        return site

    def guard(self, guard: model.GuardInfo) -> Site:
        """The site of an `applicable si` check."""
        site = self._sites.get(guard.nid)
        if site is None:
            site = self._sites[_nid(guard)] = Site(EventKind.GUARD, guard.name, guard.span, {"reason": guard.reason})
        return site

    def fact(self, node: model.FactDecl | model.FactRef) -> Site:
        """The site of a fact read at `node` (a reference, or the declaration when read by name)."""
        site = self._sites.get(node.nid)
        if site is None:
            decl = self._program().facts[node.name]
            site = self._sites[_nid(node)] = Site(EventKind.FACT, node.name, node.span, {
                "type": decl.type, "unit": decl.unit, "description": decl.description, "question": decl.question})
        return site

    def test(self, e: model.If) -> Site:
        """The site of the condition of a `si` (the test, as opposed to the whole `si`)."""
        key = (_nid(e), "test")
        site = self._sites.get(key)
        if site is None:
            site = self._sites[key] = Site(EventKind.TEST, self.label(e.condition), e.condition.span)
        return site

    def version_data(self, version: model.Version, d: model.Definition) -> dict[str, object]:
        """The text, citations and statuses of one version of a definition."""
        key = (d.uid, _nid(version))  # what it says of the version depends on the definition too
        found = self._static.get(key)
        if found is None:
            found = self._static[key] = {
                "text": version.text.short, "file": version.text.file, "sources": list(version.sources),
                "statuses": [s.french + (f" : {s.note}" if s.note else "") for s in version.statuses],
                "version_start": version.start, "replaces": d.replaces}
            # written only when set, so that the trace of a file without them is unchanged
            found.update({k: v for k, v in (("amended_by", d.amended_by), ("reused_from", d.reused_from)) if v})
        return found

    def cell_data(self, d: model.Definition, grid: model.Grid, row: int, column: int) -> dict[str, object]:
        """What a table event says about the cell it read: row and column as written and as named."""
        key = (d.uid, _nid(grid), row, column)
        found = self._static.get(key)
        if found is None:
            cell = grid.cells[row][column]
            columns = grid.columns
            found = self._static[key] = {
                "row_label": _key_label(grid.rows[row], d.params[0].type),
                "column_label": _key_label(columns[column], d.params[1].type) if columns else None,
                "row": grid.rows[row].text, "column": columns[column].text if columns else None,
                "cell": cell.text, "cell_status": cell.status.french if cell.status else None,
                "cell_note": cell.status.note if cell.status else None}
        return found


def _nid(node: model.Node) -> str:
    """A node's id, as a cache key: every node of a checked program has one (`engine.check.numbering`)."""
    assert node.nid, f"{type(node).__name__} without an id: not a node of a checked program"
    return node.nid


def _key_label(key: model.Key, t: Type) -> str:
    """A table key as a reader names it: the enumeration word's label, else the key as written."""
    if key.kind == KeyKind.ENUM and isinstance(key.value, str):
        return t.label(key.value)
    return key.text


def _call(sites: Sites, e: model.FuncCall) -> Site:
    d = sites._program().definition(e.name, e.origin)
    return Site(EventKind.FUNCTION, sites.label(e), e.span, {
        "function": d.name, "origin": e.origin, "type": e.type, "parameter_types": [p.type for p in d.params],
        **sites.version_data(d.latest, d)})


def _arith(sites: Sites, e: model.Arith) -> Site:
    kind = EventKind.DATE if e.type.kind == TypeKind.DATE else EventKind.ARITHMETIC
    return Site(kind, sites.label(e), e.span,
                {"op": e.op, "type": e.type, "operand_types": [e.left.type, e.right.type]})


def _compare(sites: Sites, e: model.Compare) -> Site:
    return Site(EventKind.COMPARISON, sites.label(e), e.span, {
        "op": e.op, "left_type": e.left.type, "right_type": e.right.type,
        "left_label": sites.label(e.left), "right_label": sites.label(e.right)})


def _member(sites: Sites, e: model.Member) -> Site:
    data: dict[str, object] = {"items": list(e.items), "negated": e.negated, "operand_type": e.operand.type,
            "operand_label": sites.label(e.operand)}
    if e.set_name is not None:  # a named set: its name and citations (absent otherwise, as before)
        data.update(set=e.set_name, sources=list(e.set_sources))
    return Site(EventKind.MEMBERSHIP, sites.label(e), e.span, data)


def _make(sites: Sites, e: model.Expr) -> Site:
    """How each expression kind that records an event describes itself (see `engine.evaluate.trace`
    for the kinds)."""
    match e:
        case model.FuncCall():
            return _call(sites, e)
        case model.TableCall():
            return Site(EventKind.TABLE, e.name, e.span, {"type": e.type})
        case model.Builtin():
            return Site(EventKind.EXTREMUM, sites.label(e), e.span, {"function": e.name, "type": e.type})
        case model.Arith():
            return _arith(sites, e)
        case model.Logic():
            return Site(EventKind.LOGIC, sites.label(e), e.span, {"op": e.op})
        case model.Not():
            return Site(EventKind.NEGATION, sites.label(e), e.span, {"operand": sites.label(e.operand)})
        case model.Compare():
            return _compare(sites, e)
        case model.Member():
            return _member(sites, e)
        case model.If():
            return Site(EventKind.CONDITION, sites.label(e.condition), e.span,
                        {"condition": sites.label(e.condition), "type": e.type})
        case model.Round():
            return Site(EventKind.ROUNDING, sites.label(e), e.span,
                        {"mode": e.label, "type": e.type, "operand_type": e.operand.type})
        case model.TextOf():
            return Site(EventKind.TEXT_OF, sites.label(e), e.span, {"definition": e.name, "type": e.type})
        case model.Marker():
            return Site(EventKind.MARKER, sites.label(e), e.span)
        case _:
            raise TypeError(f"no event is recorded for {type(e).__name__}")


_SITES: PerProgram[Sites] = PerProgram(Sites)


def sites_of(program: model.Program) -> Sites:
    """The sites of a program, shared by all its traced evaluations while it lives."""
    return _SITES.of(program)
