"""What the fast path knows of a program before generating code for it.

`Analysis` answers the questions `engine.evaluate.compiler` asks while it writes code: whether a
sub-expression may give an absence (so that the code can skip the test when it cannot), which
definitions read no fact (computed once, at compile time, by the interpreter itself), which function
arguments must stay lazy, and whether markers inside arguments need the function-name stack. The
traced generator (`engine.evaluate.tracecompile`) overrides some answers (nothing folded, every argument lazy).
"""

from __future__ import annotations

from engine.check import model
from engine.lang.results import Missing, Value
from engine.evaluate.runtime import ABS

NUMERIC = frozenset({"entier", "decimal", "taux", "montant"})


class CompileError(Exception):
    """The program uses a construct the fast path does not translate; the interpreter runs it."""


class Analysis:
    """Static facts about one program, each computed once."""

    def __init__(self, program: model.Program) -> None:
        self.program = program
        self._absent: dict[int, bool] = {}
        self._folded: dict[tuple[int, str | None], tuple[object] | None] = {}
        self._closed: dict[int, bool] = {}
        self._lazy_params: dict[int, set[int]] = {}
        self.tracks_functions = self._needs_function_stack()
        self._scan_lazy_params()

    def definition(self, name: str, origin: str | None) -> model.Definition:
        try:
            return self.program.definition(name, origin)
        except KeyError:
            raise CompileError(f"définition introuvable : {origin}.{name}" if origin else name) from None

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

    def _all_definitions(self) -> list[model.Definition]:
        seen: dict[int, model.Definition] = {}
        for d in list(self.program.definitions.values()) + list(self.program.originals.values()):
            seen[id(d)] = d
        return list(seen.values())

    def _scan_lazy_params(self) -> None:
        """For each function, the parameter positions some call passes as a `_Lazy`."""
        for d in self._all_definitions():
            for expr in model.definition_exprs(d):
                for node in model.walk(expr):
                    if isinstance(node, model.FuncCall):
                        target = self.definition(node.name, node.origin)
                        lazy = self._lazy_params.setdefault(id(target), set())
                        for i, arg in enumerate(node.args):
                            if isinstance(arg, model.ParamRef) or not self._eager(arg):
                                lazy.add(i)

    def _eager(self, arg: model.Expr) -> bool:
        """Arguments whose evaluation has no effect on results: evaluated before the call.

        Constants and facts, and rules read without a date: a rule gives the same result
        whenever it is evaluated (memoised, its markers carry its own name).
        """
        if isinstance(arg, (model.Const, model.FactRef)):
            return True
        return isinstance(arg, model.DefRef) and (arg.date is None or not self.definition(arg.name, arg.origin).dated)

    def can_be_absent(self, e: model.Expr) -> bool:
        """Whether an expression may give a marker or a missing fact (False only when certain)."""
        match e:
            case model.Const():
                return False
            case model.DefRef() if e.date is None or not self.definition(e.name, e.origin).dated:
                d = self.definition(e.name, e.origin)
                found = self.folded(d, e.origin)
                if found is not None:
                    return type(found[0]) in ABS
                return self._definition_absent(d)
            case model.Arith(op=op, left=l, right=r):
                if op == "/" or not (l.type.kind in NUMERIC and r.type.kind in NUMERIC):
                    return True
                return self.can_be_absent(l) or self.can_be_absent(r)
            case model.Compare(left=l, right=r):
                if "duree" in (l.type.kind, r.type.kind) or "any" in (l.type.kind, r.type.kind):
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

    def _definition_absent(self, d: model.Definition) -> bool:
        key = id(d)
        if key not in self._absent:
            self._absent[key] = True  # cycles (none in checked programs) count as absent
            self._absent[key] = (d.guard is not None or d.kind not in {"rule", "parameter"}
                                 or any(isinstance(v.body, model.Grid) or self.can_be_absent(v.body)
                                        for v in d.versions))
        return self._absent[key]

    def folded(self, d: model.Definition, origin: str | None) -> tuple[object] | None:
        """`(result,)` for a definition that reads no fact, computed now by the interpreter itself.

        Such a definition gives the same result for every set of facts, so its first evaluation
        is its only one; the result is the plain value, or the marker object with its origin.
        """
        key = (id(d), origin)
        if key in self._folded:
            return self._folded[key]
        found = None
        if d.kind in {"rule", "parameter"} and not d.dated and self.closed(d):
            from engine.evaluate.reference import Evaluator
            try:
                result = Evaluator(self.program, {}).result(d.name, origin)
            except Exception:  # noqa: BLE001 - then it is simply evaluated at run time
                result = None
            if result is not None and type(result) is not Missing:
                found = (result.value if type(result) is Value else result,)
        self._folded[key] = found
        return found

    def closed(self, d: model.Definition) -> bool:
        """Whether evaluating a definition can never read a fact (through anything it uses)."""
        if id(d) in self._closed:
            return self._closed[id(d)]
        self._closed[id(d)] = False  # a cycle (impossible once checked) is not closed
        ok = all(self._closed_expr(x) for x in model.definition_exprs(d))
        if ok and d.guard is not None:
            ok = d.guard.name not in self.program.facts and self.closed(self.definition(d.guard.name, None))
        self._closed[id(d)] = ok
        return ok

    def _closed_expr(self, expr: model.Expr) -> bool:
        for node in model.walk(expr):
            if isinstance(node, model.FactRef):
                return False
            if isinstance(node, (model.DefRef, model.TableCall, model.FuncCall)):
                if not self.closed(self.definition(node.name, node.origin)):
                    return False
            elif isinstance(node, model.TextOf) and not self.closed(self.definition(node.name, None)):
                return False
        return True
