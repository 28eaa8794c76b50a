"""Coverage of a rule file by its own examples (`regles test --coverage`).

After Oracle Policy Automation's test-case coverage: which of the file's rules, which branches of
each `si` / `et` / `ou`, and which table cells no example exercised. Only what the file itself
defines counts (the versions whose text is this file): an amending file answers for its
replacements and additions, the amended file for the rest.

The examples are evaluated again by the interpreter, instrumented (`_Recorder`): a rule counts when
it is evaluated, a `si` branch when it is taken (both when the condition is missing, since both are
then evaluated), an `et` / `ou` outcome when the operation gives vrai or faux, a cell when a lookup
lands on it. Nothing is sampled: the report lists every item that was not reached.

One kind of cell is left out of the count, and said so: an empty cell (`—`) under an `autre` key. Such
a row or column closes the table for the words the text does not provide for (the checker asks every
word of an enumeration to have its line, E503); it is not a published amount, and it is often
unreachable by construction, the rules that read the table being guarded by the option existing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence

from attrs import frozen

from engine.api import Ruleset
from engine.base.source import Span
from engine.check import model
from engine.evaluate.reference import Evaluator, _find
from engine.inputs.facts import FactsError, validate
from engine.lang.kinds import DeclarationKind, KeyKind
from engine.lang.results import Missing, Result, Value
from engine.syntax.build import DASHES

_TRUE, _FALSE = Value(True), Value(False)


@frozen
class Item:
    """One thing an example could exercise: a rule, a branch or a cell, with where it is written."""

    kind: str
    """`règle`, `branche` or `case`."""
    text: str
    span: Span

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "text": self.text, "line": self.span.line, "column": self.span.column}


@frozen
class Part:
    """Coverage of one kind of item: how many there are, and the ones no example reached."""

    total: int
    missed: tuple[Item, ...]

    @property
    def covered(self) -> int:
        return self.total - len(self.missed)

    @property
    def percent(self) -> int:
        """The share covered, rounded down (100 only when nothing is missed)."""
        return 100 if self.total == 0 else self.covered * 100 // self.total

    def to_json(self) -> dict[str, object]:
        return {"total": self.total, "covered": self.covered, "percent": self.percent,
                "uncovered": [i.to_json() for i in self.missed]}


@frozen
class FileCoverage:
    """The coverage of one rule file by its examples."""

    file: str
    examples: int
    rules: Part
    branches: Part
    cells: Part
    closing_cells: int = 0
    """Empty cells under an `autre` key, not counted in `cells`."""

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "examples": self.examples, "rules": self.rules.to_json(),
                "branches": self.branches.to_json(), "cells": self.cells.to_json(),
                "closing_cells_not_counted": self.closing_cells}

    def text(self) -> str:
        """The French report: one line per kind, then each uncovered item with its place."""
        by = {0: "sans exemple", 1: "par son exemple"}.get(self.examples, f"par ses {self.examples} exemples")
        lines = [f"Couverture de {self.file} {by} :"]
        for title, part in (("règles", self.rules), ("branches", self.branches), ("cases de tables", self.cells)):
            lines.append(f"  {title} : {part.covered}/{part.total} ({part.percent} %)")
            for item in part.missed:
                lines.append(f"    - {self.file}:{item.span.line}:{item.span.column} {item.text}")
        if self.closing_cells == 1:
            lines.append("  (1 case « — » sous une clé « autre » non comptée : elle ferme le tableau aux mots que le "
                         "texte ne prévoit pas)")
        elif self.closing_cells:
            lines.append(f"  ({self.closing_cells} cases « — » sous une clé « autre » non comptées : elles ferment le "
                         "tableau aux mots que le texte ne prévoit pas)")
        return "\n".join(lines)


class _Recorder(Evaluator):
    """The interpreter, noting the rules, branches and cells it reaches.

    Versions and cells are keyed by their definition's stable `uid` and the version's id, `si` and
    `et`/`ou` nodes by their own (`Node.nid`): keys that mean the same whether the program was
    just checked or read from the cache."""

    def __init__(self, program: model.Program, facts: Mapping[str, object], hits: set[tuple[object, ...]]) -> None:
        super().__init__(program, facts)
        self.hits = hits

    def definition(self, d: model.Definition, origin: str | None, date: dt.date | None) -> Result:
        version = d.version_at(date) if d.dated else d.latest
        if version is not None:
            self.hits.add(_version_key(d, version))
        return super().definition(d, origin, date)

    def x_call(self, e: model.FuncCall) -> Result:
        called = self.program.definition(e.name, e.origin)
        self.hits.add(_version_key(called, called.latest))
        return super().x_call(e)

    def x_if(self, e: model.If) -> Result:
        condition = self.eval(e.condition)  # evaluated again: pure, and definitions are cached
        if condition == _TRUE or isinstance(condition, Missing):
            self.hits.add(("alors", e.nid))
        if condition == _FALSE or isinstance(condition, Missing):
            self.hits.add(("sinon", e.nid))
        return super().x_if(e)

    def x_logic(self, e: model.Logic) -> Result:
        result = super().x_logic(e)
        if result == _TRUE:
            self.hits.add(("vrai", e.nid))
        elif result == _FALSE:
            self.hits.add(("faux", e.nid))
        return result

    def lookup(self, e: model.TableCall) -> tuple[Result, dict[str, object]]:
        result, data = super().lookup(e)
        keys, when = data.get("keys"), data.get("date")
        if isinstance(keys, list | tuple) and keys:
            d = self.program.definition(e.name, e.origin)
            version = d.version_at(when if isinstance(when, dt.date) else None) if d.dated else d.latest
            if version is not None and isinstance(version.body, model.Grid):
                grid = version.body
                row = _find(grid.rows, keys[0])
                column = 0 if grid.columns is None else _find(grid.columns, keys[1])
                if row is not None and column is not None:
                    self.hits.add(("case", *_version_key(d, version)[1:], row, column))
        return result, data


def coverage(ruleset: Ruleset) -> FileCoverage:
    """Run the file's examples on the instrumented interpreter and list what they left unreached."""
    program = ruleset.program
    hits: set[tuple[object, ...]] = set()
    for case in program.examples:
        try:
            facts = validate(program, case.facts)
        except FactsError:
            continue  # `regles test` reports the example itself
        recorder = _Recorder(program, facts, hits)
        for expectation in case.expected:
            recorder.result(expectation.name)
    rules, branches, cells = [], [], []
    closing = 0
    for d, version in _own_versions(program):
        if d.kind in {DeclarationKind.RULE, DeclarationKind.FUNCTION}:
            rules.append((_version_key(d, version), Item("règle", d.name, d.span)))
        for expr in _version_exprs(version):
            for node in model.walk(expr):
                if isinstance(node, model.If):
                    text = _label(program, node.condition)
                    branches += [((word, node.nid), Item("branche", f"si {text} : « {word} » jamais pris", node.span))
                                 for word in ("alors", "sinon")]
                elif isinstance(node, model.Logic):
                    text = _label(program, node)
                    for outcome in ("vrai", "faux"):
                        branches.append(((outcome, node.nid),
                                         Item("branche", f"« {node.op} » jamais {outcome} : {text}", node.span)))
        if isinstance(version.body, model.Grid):
            grid = version.body
            for r, row in enumerate(grid.cells):
                for c, cell in enumerate(row):
                    if _closing(grid, r, c):
                        closing += 1
                        continue
                    where = grid.rows[r].text + (f" × {grid.columns[c].text}" if grid.columns else "")
                    key = ("case", *_version_key(d, version)[1:], r, c)
                    cells.append((key, Item("case", f"{d.name} : {where} ({cell.text})", cell.span)))
    return FileCoverage(program.text.file, len(program.examples), _part(rules, hits), _part(branches, hits),
                        _part(cells, hits), closing)


def _closing(grid: model.Grid, row: int, column: int) -> bool:
    """An empty cell (`—`) under an `autre` row or column key."""
    keys = [grid.rows[row]] + ([grid.columns[column]] if grid.columns else [])
    return grid.cells[row][column].text.strip() in DASHES and any(k.kind == KeyKind.OTHER for k in keys)


def _part(items: Sequence[tuple[tuple[object, ...], Item]], hits: set[tuple[object, ...]]) -> Part:
    return Part(len(items), tuple(item for key, item in items if key not in hits))


def _version_key(d: model.Definition, version: model.Version) -> tuple[str, str, str]:
    """A version by its definition's stable uid and its own id (comparing versions by value would walk
    whole formulas)."""
    return ("version", d.uid, version.nid)


def _own_versions(program: model.Program) -> Iterator[tuple[model.Definition, model.Version]]:
    """The versions of definitions this file writes (not those it inherits or reuses)."""
    for d in program.definitions.values():
        if d.reused_from is not None:
            continue
        for version in d.versions:
            if version.text.file == program.text.file:
                yield d, version


def _version_exprs(version: model.Version) -> Iterator[model.Expr]:
    body = version.body
    if isinstance(body, model.Grid):
        for row in body.cells:
            for cell in row:
                yield cell.expr
    else:
        yield body


def _label(program: model.Program, node: model.Expr) -> str:
    """The expression as written, on one line, shortened."""
    source = program.sources.get(node.span.file)
    text = " ".join(source.slice(node.span).split()) if source is not None and node.span.line else type(node).__name__
    return text if len(text) <= 70 else text[:67] + "…"
