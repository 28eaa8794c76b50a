"""What the generator knows of a program before writing code for it.

`Analysis` answers the questions `engine.evaluate.generator` asks while it writes code: whether a
sub-expression may give an absence (so that the code can skip the test when it cannot), which
definitions read no fact (computed once, at generation time, by the reference interpreter itself),
which function arguments must stay lazy, and whether markers inside arguments need the
function-name stack.

Two answers depend on what the code records (`engine.evaluate.recorder`): a traced evaluation
must show every step, so when recording nothing is folded and every argument stays lazy
(`folds=False`).

Every answer is remembered under the definition's stable identity, `(origin, name)`: the file it
comes from (None for the effective definitions) and its name, never a Python object id.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.check import model
from engine.evaluate.reference import Evaluator
from engine.evaluate.runtime import ABS, Plain
from engine.lang.kinds import DeclarationKind, TypeKind
from engine.lang.results import Missing, Value

NUMERIC = frozenset({TypeKind.ENTIER, TypeKind.DECIMAL, TypeKind.TAUX, TypeKind.MONTANT})

DefKey = tuple[str | None, str]
"""A definition's stable identity: (origin, name), as `Program.definition(name, origin)` finds it."""


class GenerationError(Exception):
    """The generator met a construct it does not translate: a bug of the engine, reported loudly."""


class Analysis:
    """Static facts about one program, each computed once."""

    def __init__(self, program: model.Program, *, folds: bool = True) -> None:
        self.program = program
        self.folds = folds
        self._absent: dict[DefKey, bool] = {}
        self._folded: dict[DefKey, tuple[Plain] | None] = {}
        self._closed: dict[DefKey, bool] = {}
        self._lazy_params: dict[DefKey, set[int]] = {}
        self.tracks_functions = self._needs_function_stack()
        self._scan_lazy_params()

    def definition(self, name: str, origin: str | None) -> model.Definition:
        try:
            return self.program.definition(name, origin)
        except KeyError:
            raise GenerationError(f"définition introuvable : {origin}.{name}" if origin else name) from None

    def _all_definitions(self) -> Iterator[model.Definition]:
        yield from self.program.definitions.values()
        yield from self.program.originals.values()

    def _needs_function_stack(self) -> bool:
        """Whether a marker can be reached inside a function argument (its origin is then dynamic)."""
        for d in self._all_definitions():
            for expr in model.definition_exprs(d):
                for node in model.walk(expr):
                    if isinstance(node, model.FuncCall) and any(self._has_marker(a) for a in node.args):
                        return True
        return False

    def _has_marker(self, expr: model.Expr) -> bool:
        for node in model.walk(expr):
            if isinstance(node, model.Marker):
                return True
            if isinstance(node, model.TableCall):
                table = self.definition(node.name, node.origin)
                if any(self._has_marker(c) for c in model.definition_exprs(table)):
                    return True
        return False

    def _scan_lazy_params(self) -> None:
        """For each function, the parameter positions some call passes as a `Lazy`."""
        for d in self._all_definitions():
            for expr in model.definition_exprs(d):
                for node in model.walk(expr):
                    if isinstance(node, model.FuncCall):
                        lazy = self._lazy_params.setdefault((node.origin, node.name), set())
                        for i, arg in enumerate(node.args):
                            if isinstance(arg, model.ParamRef) or not self.eager(arg):
                                lazy.add(i)

    def lazy_params(self, origin: str | None, name: str) -> set[int]:
        """The parameter positions of a function that may arrive as a `Lazy`."""
        return self._lazy_params.get((origin, name), set())

    def eager(self, arg: model.Expr) -> bool:
        """Arguments whose evaluation has no effect on results: evaluated before the call.

        Constants and facts, and rules read without a date: a rule gives the same result
        whenever it is evaluated (memoised, its markers carry its own name). Never when recording:
        the trace shows an argument only if the function read it, where it was first read.
        """
        if not self.folds:
            return False
        if isinstance(arg, (model.Const, model.FactRef)):
            return True
        return isinstance(arg, model.DefRef) and (arg.date is None or not self.definition(arg.name, arg.origin).dated)

    def can_be_absent(self, e: model.Expr) -> bool:
        """Whether an expression may give a marker or a missing fact (False only when certain)."""
        match e:
            case model.Const():
                return False
            case model.DefRef() if e.date is None or not self.definition(e.name, e.origin).dated:
                found = self.folded(e.name, e.origin)
                if found is not None:
                    return type(found[0]) in ABS
                return self._definition_absent(e.name, e.origin)
            case model.Arith(op=op, left=l, right=r):
                if op == "/" or not (l.type.kind in NUMERIC and r.type.kind in NUMERIC):
                    return True
                return self.can_be_absent(l) or self.can_be_absent(r)
            case model.Compare(left=l, right=r):
                if {l.type.kind, r.type.kind} & {TypeKind.DUREE, TypeKind.ANY}:
                    return True
                return self.can_be_absent(l) or self.can_be_absent(r)
            case model.Negate(operand=o) | model.Not(operand=o) | model.Member(operand=o) | model.Round(operand=o):
                return self.can_be_absent(o)
            case model.Builtin(args=args):
                return any(self.can_be_absent(a) for a in args)
            case model.Logic(left=l, right=r):
                return self.can_be_absent(l) or self.can_be_absent(r)
            case model.If(condition=c, then=t, otherwise=o):
                return self.can_be_absent(c) or self.can_be_absent(t) or self.can_be_absent(o)
            case _:
                return True

    def _definition_absent(self, name: str, origin: str | None) -> bool:
        key = (origin, name)
        if key not in self._absent:
            d = self.definition(name, origin)
            self._absent[key] = True  # cycles (none in checked programs) count as absent
            self._absent[key] = (d.guard is not None
                                 or d.kind not in {DeclarationKind.RULE, DeclarationKind.PARAMETER}
                                 or any(isinstance(v.body, model.Grid) or self.can_be_absent(v.body)
                                        for v in d.versions))
        return self._absent[key]

    def folded(self, name: str, origin: str | None) -> tuple[Plain] | None:
        """`(result,)` for a definition that reads no fact, computed now by the reference interpreter.

        Such a definition gives the same result for every set of facts, so its first evaluation
        is its only one; the result is the plain value, or the marker object with its origin.
        None when recording (a folded definition would have no events).
        """
        key = (origin, name)
        if key in self._folded:
            return self._folded[key]
        found: tuple[Plain] | None = None
        d = self.definition(name, origin)
        if (self.folds and d.kind in {DeclarationKind.RULE, DeclarationKind.PARAMETER} and not d.dated
                and self.closed(name, origin)):
            try:
                result = Evaluator(self.program, {}).result(name, origin)
            except RecursionError:  # a formula too deep for the tree walk: computed at run time
                result = Missing(frozenset())
            if type(result) is not Missing:
                found = (result.value if type(result) is Value else result,)
        self._folded[key] = found
        return found

    def closed(self, name: str, origin: str | None) -> bool:
        """Whether evaluating a definition can never read a fact (through anything it uses)."""
        key = (origin, name)
        if key in self._closed:
            return self._closed[key]
        self._closed[key] = False  # a cycle (impossible once checked) is not closed
        d = self.definition(name, origin)
        ok = all(self._closed_expr(x) for x in model.definition_exprs(d))
        if ok and d.guard is not None:
            ok = d.guard.name not in self.program.facts and self.closed(d.guard.name, None)
        self._closed[key] = ok
        return ok

    def _closed_expr(self, expr: model.Expr) -> bool:
        for node in model.walk(expr):
            if isinstance(node, model.FactRef):
                return False
            if isinstance(node, (model.DefRef, model.TableCall, model.FuncCall)):
                if not self.closed(node.name, node.origin):
                    return False
            elif isinstance(node, model.TextOf) and not self.closed(node.name, None):
                return False
        return True
