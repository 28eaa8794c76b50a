"""Stage 3, last pass: checks over the whole checked program, after every definition is typed.

The part of `engine.check.checker` that needs every definition at once: dated definitions read without
a date, dependency cycles and over-long chains, the originals an amending file reaches, the
examples and the schedule a file declares, and unused declarations. `Checker` inherits these
methods; they use its state (`facts`, `definitions`, `fail`, `expr`…) and report the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import attrs

from engine.base.confusables import SCRIPT_FRENCH, describe, foreign_letters, scripts, skeleton
from engine.base.diagnostics import Label, suggest, warning
from engine.base.source import Span
from engine.check import model
from engine.check.expressions import ExpressionChecks
from engine.check.graph import chain_depths, dependencies, elementary_cycles
from engine.check.state import kind_of_declaration, name_span
from engine.lang.kinds import DeclarationKind, LiteralKind, TypeKind
from engine.lang.types import Type, assignable, literal_hint
from engine.syntax import ast

MAX_CHAIN = 100
"""Longest chain of rules each using the next (E402)."""
MAX_EVALUATION_DEPTH = 200
"""Deepest nesting of formulas along a chain of rules (E404): the interpreter takes three Python frames
per level, under Python's limit of 1 000; the bundled rule files reach 25."""
MAX_STEPS = 1_000_000
"""Most formula steps (a million, as E403 says) one evaluation may take, function calls expanded (E403):
about a second in the interpreter; each bundled rule file takes fewer than 600."""


def _has_high(t: ast.SimpleType) -> bool:
    """Whether a type's constraint bounds it from above (`de … à …`, `au plus …`, `parmi {…}`)."""
    c = t.constraint
    return isinstance(c, ast.Allowed) or (isinstance(c, ast.Range) and c.high is not None)


def _ast_nodes(root: ast.Node) -> Iterator[ast.Node]:
    """A surface node and every node below it, iteratively (formulas may nest a hundred deep)."""
    stack: list[object] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, ast.Node):
            yield item
            stack.extend(getattr(item, f.name) for f in attrs.fields(type(item)) if f.name != "span")


def _percent(value: int | Decimal) -> str:
    """A rate as a French percentage: `250 %`, `150,5 %`."""
    shown = format((Decimal(value) * 100).normalize(), "f")
    return shown.replace(".", ",") + "\u00a0%"


def _differing(a: str, b: str) -> tuple[str, str]:
    """The parts where two names differ, once their common start and end are cut (`rn`, `m`)."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return a[start:len(a) - end], b[start:len(b) - end]


def _version_exprs(version: model.Version) -> list[model.Expr]:
    """A version's formula, or its table's cells."""
    body = version.body
    if isinstance(body, model.Grid):
        return [cell.expr for row in body.cells for cell in row]
    return [body]


class ProgramChecks(ExpressionChecks):
    """Whole-program checks, mixed into `engine.check.checker.Checker`."""

    def check_dated_references(self, effective: dict[str, model.Definition]) -> None:
        """A dated parameter or table must be read at a date (`x au date`)."""
        for _name, definition in effective.items():
            for expr in model.definition_exprs(definition):
                for node in model.walk(expr):
                    if isinstance(node, (model.DefRef, model.TableCall)) and node.date is None:
                        target = effective.get(node.name) if node.origin is None else self.originals.get(
                            (node.origin, node.name))
                        if target is None and node.origin and self.parent:
                            target = self.parent.definitions.get(node.name)
                        if target is not None and target.dated:
                            starts = ", ".join(v.start.strftime("%d/%m/%Y") for v in target.versions if v.start)
                            self.fail("E307", f"« {node.name} » a des versions datées ({starts}) : précisez à quelle "
                                              "date "
                                              "la lire", node.span, f"écrivez par exemple « {node.name} au "
                                                                    "date_du_cas »",
                                      tuple(Label(v.span, f"version du {v.start:%d/%m/%Y}") for v in target.versions
                                            if v.start))

    def check_cycles(self, effective: dict[str, model.Definition]) -> None:
        graph: dict[str, list[tuple[str, Span]]] = {}
        for name, definition in effective.items():
            graph[name] = self.deps.get(name, []) if name in self.definitions else dependencies(definition)
        for (origin, name), definition in self.originals.items():
            graph[f"{origin}.{name}"] = dependencies(definition)
        cycles = elementary_cycles(graph)
        for cycle in cycles:
            path = " → ".join(n for n, _ in cycle) + f" → {cycle[0][0]}"
            first_span = cycle[0][1]
            self.fail("E401", f"dépendance circulaire : {path}", first_span,
                      "une règle ne peut pas dépendre, même indirectement, d'elle-même",
                      tuple(Label(span, f"« {n} » utilise « {cycle[(i + 1) % len(cycle)][0]} »")
                            for i, (n, span) in enumerate(cycle) if i > 0))
        if not cycles:
            self.check_chain_depth(graph)
            self.check_evaluation_cost(effective)
            self.check_evaluation_depth(effective)

    def check_chain_depth(self, graph: dict[str, list[tuple[str, Span]]]) -> None:
        """Refuse a chain of more than MAX_CHAIN rules each using the next: evaluation and explanation
        walk it recursively (the bundled rule files are about 15 rules deep)."""
        depth = chain_depths(graph)
        deepest = max(depth, key=depth.__getitem__, default=None)
        if deepest is not None and depth[deepest] > MAX_CHAIN and deepest in self.definitions:
            # the chain counts `deepest` itself, as the limit does: 101 rules, at most 100
            self.fail("E402", f"chaîne de dépendances trop longue : « {deepest} » est au bout d'une chaîne de "
                              f"{depth[deepest]} règles en cascade (au plus "
                              f"{MAX_CHAIN})", self.definitions[deepest].span,
                      "regroupez des étapes intermédiaires, ou écrivez-les en une formule")

    def check_evaluation_cost(self, effective: dict[str, model.Definition]) -> None:
        """Refuse a program whose evaluation may take more than MAX_STEPS steps (E403).

        Rules and parameters are computed once per evaluation, but a function or a table is computed
        at each call: thirty functions each calling the next twice make 2³⁰ calls, from a file that
        is otherwise correct. A step is one node of a formula; a call adds its function's steps (a
        table lookup, its costliest cell's). Acyclic (checked before), so each cost is finite.
        """
        costs: dict[str, int] = {}

        def target(node: model.FuncCall | model.TableCall) -> model.Definition | None:
            if node.origin is None:
                return effective.get(node.name)
            return self.originals.get((node.origin, node.name))

        def call_cost(d: model.Definition) -> int:
            if d.uid not in costs:
                costs[d.uid] = MAX_STEPS + 1  # not reached on an acyclic program
                exprs = [e for v in d.versions for e in _version_exprs(v)]
                per = [expr_cost(e) for e in exprs]
                costs[d.uid] = min(MAX_STEPS + 1, max(per, default=0) if d.kind is DeclarationKind.TABLE else sum(per))
            return costs[d.uid]

        def expr_cost(expr: model.Expr) -> int:
            total = 0
            for node in model.walk(expr):
                total += 1
                if isinstance(node, (model.FuncCall, model.TableCall)):
                    called = target(node)
                    if called is not None:
                        total += call_cost(called)
                if total > MAX_STEPS:
                    break
            return total

        program = [d for d in effective.values() if d.kind in {DeclarationKind.RULE, DeclarationKind.PARAMETER}]
        program += [d for d in self.originals.values() if d.kind in {DeclarationKind.RULE, DeclarationKind.PARAMETER}]
        each = {d.uid: (sum(expr_cost(e) for e in model.definition_exprs(d)), d) for d in program}
        total = sum(cost for cost, _ in each.values())
        local = [pair for pair in each.values() if self.definitions.get(pair[1].name) is pair[1]]
        if total > MAX_STEPS and local:
            costliest = max(local, key=lambda pair: pair[0])[1]
            self.fail("E403", f"calcul trop long : une évaluation de « {costliest.name} » peut demander plus d'un "
                              "million d'étapes de calcul (chaque appel de fonction compté)", name_span(costliest),
                          "une fonction qui en appelle une autre plusieurs fois multiplie le travail : calculez "
                          "la valeur une fois, dans une règle, et passez-la en argument")

    def check_lookalikes(self, effective: dict[str, model.Definition]) -> None:
        """Warn about names a reader cannot tell apart (W110) and names that mix scripts (W111).

        Scopes: the file's declarations with the names it inherits; each enumeration's words; each
        function's parameters with the declarations. See `engine.base.confusables`.
        """
        declared: list[tuple[str, Span | None]] = [
            (d.name, name_span(d)) for d in self.file.declarations
            if isinstance(d, (ast.Fact, ast.Parameter, ast.Rule, ast.Function, ast.Table))]
        here = {name for name, _ in declared}
        parent_facts = self.parent.facts if self.parent is not None else {}
        inherited: list[tuple[str, Span | None]] = [(name, None) for name in dict.fromkeys([*effective, *parent_facts])
                                                    if name not in here]
        scopes: list[list[tuple[str, Span | None]]] = [declared + inherited]
        for decl in self.file.declarations:
            decl_type = getattr(decl, "type", None)
            if isinstance(decl_type, ast.EnumType):
                scopes.append([(v.name, v.span) for v in decl_type.values])
            if isinstance(decl, ast.Function):
                scopes.append([*((p.name, p.span) for p in decl.params), *declared])
        reported: set[tuple[str, str]] = set()
        for scope in scopes:
            by_skeleton: dict[str, tuple[str, Span | None]] = {}
            for name, span in scope:
                first = by_skeleton.setdefault(skeleton(name), (name, span))
                if first[0] != name and (first[0], name) not in reported and (span or first[1]):
                    reported.add((first[0], name))
                    self.warn_lookalike(first, (name, span))
        for name, span in [n for scope in scopes for n in scope]:
            letters = foreign_letters(name)
            if span is not None and letters and ("W111", name) not in reported:
                reported.add(("W111", name))
                mixed = " et ".join(SCRIPT_FRENCH.get(x, x.lower()) for x in scripts(name))
                self.report(warning("W111", f"le nom « {name} » mêle les écritures {mixed} : " + ", ".join(letters),
                                    span, "écrivez le nom dans une seule écriture, en lettres latines"))

    def check_rates(self) -> None:
        """Warn (W112) about a rate over 100 %: a parameter written as a percentage over 100 %, a `taux`
        parameter whose value is over 1 (`2,5` for 2,5 %), a `taux` fact with no upper bound, which
        would take 150 % silently. A fact whose declared range reaches above 100 % says it is meant; a
        percentage in a formula (`8 350 € × 105 %`, a revaluation) is left alone."""
        for decl in self.file.declarations:
            if isinstance(decl, ast.Fact):
                decl_type = decl.type
                if (isinstance(decl_type, ast.SimpleType) and decl_type.kind is TypeKind.TAUX
                        and not _has_high(decl_type)):
                    self.report(warning("W112", f"le fait « {decl.name} » est un taux sans borne haute : une valeur de "
                                                "150 % serait acceptée", name_span(decl),
                                        "déclarez ses bornes, par exemple « taux de 0 % à 100 % »"))
                continue
            if not isinstance(decl, ast.Parameter):  # `montant × 105 %` in a formula is a revaluation
                continue
            for node in _ast_nodes(decl):
                if (isinstance(node, ast.Literal) and node.kind is LiteralKind.PERCENT
                        and isinstance(node.value, Decimal) and node.value > 1):
                    self.report(warning("W112", f"le paramètre « {decl.name} » vaut {_percent(node.value)} : un taux "
                                                "de plus de 100 %", node.span,
                                        "vérifiez la valeur (un taux dépasse rarement 100 %)"))
            definition = self.definitions.get(decl.name)
            if definition is not None and definition.type.kind is TypeKind.TAUX:
                for version in definition.versions:
                    body = version.body
                    if (isinstance(body, model.Const) and body.type.kind is not TypeKind.TAUX
                            and isinstance(body.value, (int, Decimal)) and body.value > 1):
                        written = str(body.value).replace(".", ",")
                        self.report(warning("W112", f"le paramètre « {decl.name} » vaut {_percent(body.value)} "
                                                    f"({written}) : un taux de plus de 100 %", name_span(decl),
                                            "un taux s'écrit avec % : par exemple 25 % ; vérifiez la valeur"))

    def warn_lookalike(self, first: tuple[str, Span | None], second: tuple[str, Span | None]) -> None:
        """W110 at the later name (or the local one), with the other as a label when it is in this file."""
        (a, a_span), (b, b_span) = first, second
        here, there, other = (b_span, a_span, a) if b_span is not None else (a_span, b_span, b)
        name = b if b_span is not None else a
        where = "" if there is not None else " (déclaré dans le fichier modifié)"
        assert here is not None  # check_lookalikes reports a pair only when one of its names is in this file
        differing = " et ".join(describe(part) for part in _differing(name, other)) or "leur forme Unicode"
        self.report(warning("W110", f"les noms « {name} » et « {other} »{where} se lisent de la même façon : "
                                    f"ils ne diffèrent que par {differing}", here,
                            "renommez l'un des deux : un relecteur lirait l'un pour l'autre",
                            (Label(there, f"« {other} »"),) if there is not None else ()))

    def check_evaluation_depth(self, effective: dict[str, model.Definition]) -> None:
        """Refuse formulas nested deeper than MAX_EVALUATION_DEPTH along a chain of rules (E404).

        E105 bounds one formula's nesting and E402 the chain, but the interpreter and the traced
        evaluation (explanations) recurse through both at once: a hundred rules each nested ninety
        deep were accepted, then exhausted Python's recursion. The depth of a definition is its
        deepest path of nested nodes, through the definitions it reads."""
        depths: dict[str, int] = {}

        def target(node: model.DefRef | model.FuncCall | model.TableCall) -> model.Definition | None:
            if node.origin is None:
                return effective.get(node.name)
            return self.originals.get((node.origin, node.name))

        def depth(d: model.Definition) -> int:
            if d.uid not in depths:
                depths[d.uid] = 0  # not reached on an acyclic program
                deepest = 0
                for expr in model.definition_exprs(d):
                    stack = [(expr, 1)]
                    while stack:
                        node, level = stack.pop()
                        reached = level
                        if isinstance(node, (model.DefRef, model.FuncCall, model.TableCall)):
                            called = target(node)
                            reached += depth(called) if called is not None else 0
                        deepest = max(deepest, reached)
                        stack.extend((child, level + 1) for child in model.children(node))
                depths[d.uid] = deepest
            return depths[d.uid]

        for name, definition in self.definitions.items():
            if (definition.kind in {DeclarationKind.RULE, DeclarationKind.PARAMETER}
                    and depth(definition) > MAX_EVALUATION_DEPTH):
                self.fail("E404", f"formules trop imbriquées le long des règles : « {name} » atteint "
                                  f"{depth(definition)} niveaux d'imbrication, règles lues comprises "
                                  f"(au plus {MAX_EVALUATION_DEPTH})", name_span(definition),
                          "nommez des étapes intermédiaires plus simples, ou raccourcissez la chaîne de règles")
                return

    def register_originals(self, effective: dict[str, model.Definition]) -> None:
        if self.parent is None:
            return
        for definition in effective.values():
            for expr in model.definition_exprs(definition):
                for node in model.walk(expr):
                    if not isinstance(node, (model.DefRef, model.FuncCall, model.TableCall)):
                        continue
                    origin = node.origin
                    if (origin and (origin, node.name) not in self.originals
                            and node.name in self.parent.definitions):  # else E609 (a reused definition)
                        self.originals[(origin, node.name)] = self.parent.definitions[node.name]

    def examples(self, effective: dict[str, model.Definition]) -> Iterator[model.ExampleCase]:
        by_title: dict[str, model.ExampleCase] = {}
        for decl in self.file.declarations:
            if not isinstance(decl, ast.Example):
                continue
            facts: dict[str, object] = {}
            expected: dict[str, model.Expectation] = {}
            if decl.base is not None:
                base = by_title.get(decl.base)
                if base is None:
                    self.fail("E704", f"l'exemple « {decl.base} » n'existe pas (ou est écrit plus bas)",
                              decl.base_span if decl.base_span.line else decl.span,
                              suggest(decl.base, by_title)
                              or "« reprend » cite le titre exact d'un exemple écrit plus haut dans le fichier")
                else:
                    facts.update(base.facts)
            for given in decl.given:
                value = self.example_value(given.name, given.value, self.facts.get(given.name), "fait", given.span)
                if value is not _MISSING:
                    facts[given.name] = value
            for exp in decl.expected:
                expected[exp.name] = self.expectation(exp, effective)
            case = model.ExampleCase(decl.title, facts, tuple(expected.values()), self.source.name, span=decl.span)
            by_title[decl.title] = case
            yield case

    def example_value(self, name: str, expr: ast.Expr, fact: model.FactDecl | None, what: str,
                      span: Span | None = None) -> object:
        if fact is None:  # underline `nom = valeur`: the name is what is wrong, not the value
            self.fail("E701", f"fait inconnu « {name} » dans l'exemple", span or expr.span, suggest(name, self.facts))
            return _MISSING
        checked = self.expr(expr, fact.type)
        if not isinstance(checked, model.Const) or not assignable(fact.type, checked.type):
            self.fail("E703", f"« {name} » est un {fact.type} : cette valeur ne convient pas", expr.span,
                      literal_hint(fact.type, checked.type))
            return _MISSING
        return checked.value

    def expectation(self, exp: ast.Expected, effective: dict[str, model.Definition]) -> model.Expectation:
        target = effective.get(exp.name)
        if exp.name in self.withdrawn:
            self.withdrawn_reference(exp.name, exp.span)
            return model.Expectation(exp.name, "value", span=exp.span)
        if target is None or target.kind is not DeclarationKind.RULE:
            self.fail("E702", f"résultat inconnu « {exp.name} » dans l'exemple", exp.span,
                      suggest(exp.name, [n for n, d in effective.items() if d.kind is DeclarationKind.RULE]))
            return model.Expectation(exp.name, "value", span=exp.span)
        if exp.marker is not None:
            status = {"non_applicable": "not_applicable", "indetermine": "undetermined",
                      "manquant": "missing"}[exp.marker]
            for fact in exp.facts:
                if fact not in self.facts:
                    self.fail("E701", f"fait inconnu « {fact} » dans l'exemple", exp.span, suggest(fact, self.facts))
            return model.Expectation(exp.name, status, facts=exp.facts, span=exp.span)
        assert exp.value is not None
        checked = self.expr(exp.value, target.type)
        if not isinstance(checked, model.Const) or not assignable(target.type, checked.type):
            self.fail("E703", f"« {exp.name} » est un {target.type} : cette valeur attendue ne convient pas",
                      exp.value.span, literal_hint(target.type, checked.type))
            return model.Expectation(exp.name, "value", span=exp.span)
        return model.Expectation(exp.name, "value", checked.value, span=exp.span)

    def schedule(self, effective: dict[str, model.Definition]) -> model.ScheduleSpec | None:
        found = [d for d in self.file.declarations if isinstance(d, ast.Schedule)]
        if not found:
            return self.parent.schedule if self.parent else None
        decl = found[0]
        for extra in found[1:]:
            self.fail("E202", "un seul échéancier par "
                              "fichier", extra.span, labels=(Label(decl.span, "premier échéancier"),))
        axis = self.facts.get(decl.axis)
        if axis is None or axis.type.kind is not TypeKind.ENTIER:
            integers = [n for n, f in self.facts.items() if f.type.kind is TypeKind.ENTIER]
            self.fail("E705", f"l'axe d'un échéancier est un fait entier, « {decl.axis} » ne l'est pas", decl.span,
                      suggest(decl.axis, integers) or ("faits entiers : " + ", ".join(integers) if integers else None))
        if decl.first > decl.last:
            self.fail("E705", f"échéancier vide : de {decl.first} à {decl.last}", decl.span)
        for name in decl.columns + decl.totals:
            if name not in effective or effective[name].kind is not DeclarationKind.RULE:
                self.fail("E702", f"résultat inconnu « {name} » dans l'échéancier", decl.span,
                          suggest(name, [n for n, d in effective.items() if d.kind is DeclarationKind.RULE]))
            else:
                self.used.add(name)
        for name in decl.totals:
            totalled = {TypeKind.MONTANT, TypeKind.ENTIER, TypeKind.DECIMAL}
            if name in effective and effective[name].type.kind not in totalled:
                self.fail("E705", f"on ne totalise que des montants ou des nombres, « {name} » est un "
                                  f"{effective[name].type}",
                          decl.span)
        return model.ScheduleSpec(decl.axis, decl.first, decl.last, decl.columns, decl.totals, decl.description,
                                  span=decl.span)

    def warn_unused(self, effective: dict[str, model.Definition]) -> None:
        used = set(self.used)
        for definition in effective.values():
            for expr in model.definition_exprs(definition):
                for node in model.walk(expr):
                    if isinstance(node, (model.FactRef, model.DefRef, model.TableCall, model.FuncCall, model.TextOf)):
                        used.add(node.name)
            if definition.guard:
                used.add(definition.guard.name)
        for name, fact in self.local_facts.items():
            if name in used and self.facts[name].ignored is not None:
                self.report(warning("W105", f"le fait « {name} » est marqué « ignoré » mais une règle le "
                                            "lit", name_span(fact),
                                    "retirez « ignoré », ou la règle qui le lit"))
            if name not in used and self.facts[name].ignored is None and self.schedule_axis() != name:
                self.report(warning("W101", f"le fait « {name} » n'est utilisé par aucune règle", name_span(fact),
                                    "supprimez-le, ou utilisez-le dans une règle"))
        self.warn_inherited_facts(used)
        for name, decl in self.local.items():
            if name in used or (isinstance(decl, ast.Rule) and decl.is_output) or effective[name].is_output:
                continue
            code, phrase = _UNUSED[kind_of_declaration(decl)]
            self.report(warning(code, phrase.format(name=name), name_span(decl),
                                "supprimez la déclaration, ou utilisez-la dans une règle"
                                + (" (ou déclarez-la « résultat "
                                   "»)" if kind_of_declaration(decl) is DeclarationKind.RULE else "")))

        for key, source in self.local_sources.items():
            if key not in self.cited:
                self.report(warning("W107", f"la source « {key} » n'est citée par aucune définition", source.name_span,
                                    f"supprimez la déclaration, ou citez-la : source {key}"))

    def warn_inherited_facts(self, used: set[str]) -> None:
        """Warnings about the facts an amending file inherits without redeclaring them.

        W108: a rule reads a fact the amended file marks `ignoré`; the fact is then read, so the
        program (and its JSON schema) records it as used, but the writer must say so by declaring it
        again (`fait x : type fin`), as convention2024.rules does. W109: facts of the amended file that
        no rule reads any more (their rules were all replaced), listed in one warning at `modifie`."""
        if self.parent is None:
            return
        used = set(used)
        for original in self.originals.values():  # `avenant7.x` read from this file reads x's facts
            for expr in model.definition_exprs(original):
                used.update(n.name for n in model.walk(expr) if isinstance(n, model.FactRef))
            if original.guard:
                used.add(original.guard.name)
        inherited = [n for n in self.parent.facts if n not in self.local_facts]
        for name in inherited:
            fact = self.facts[name]
            if name in used and fact.ignored is not None:
                self.facts[name] = attrs.evolve(fact, ignored=None)
                self.report(warning("W108", f"le fait « {name} » est marqué « ignoré » par le texte modifié "
                                            f"({fact.text}), mais une règle de ce fichier le lit",
                                    self.fact_uses.get(name, self.file.header.amends_span),
                                    f"redéclarez-le pour dire que ce texte s'en sert : fait {name} : "
                                    f"{_type_words(fact.type)} fin"))
        axis = self.parent.schedule.axis if self.parent.schedule else None
        unread = [n for n in inherited if n not in used and self.facts[n].ignored is None and n != axis
                  and self.schedule_axis() != n]
        if unread:
            shown = ", ".join(f"« {n} »" for n in unread)
            self.report(warning("W109", f"{_plural(len(unread), 'fait')} du texte modifié "
                                        + ("n'est plus lu" if len(unread) == 1 else "ne sont plus "
                                                                                    "lus") + f" par aucune règle : "
                                                                                             f"{shown}",
                                self.file.header.amends_span,
                                "redéclarez chacun avec « ignoré : \"raison\" » s'il est accepté sans être lu, "
                                "ou vérifiez les remplacements qui ont cessé de le lire"))

    def schedule_axis(self) -> str | None:
        for d in self.file.declarations:
            if isinstance(d, ast.Schedule):
                return d.axis
        return None


_MISSING = object()


def _plural(count: int, word: str) -> str:
    """`1 fait`, `2 faits`: a count with its noun agreed."""
    return f"{count} {word}{'s' if count > 1 else ''}"


def _type_words(t: Type) -> str:
    """A type as a fact declaration writes it: an enumeration by its name, a base type by its word."""
    return str(t.name) if t.kind is TypeKind.ENUM else t.kind.label


_UNUSED = {DeclarationKind.PARAMETER: ("W102", "le paramètre « {name} » n'est utilisé par aucune règle"),
           DeclarationKind.TABLE: ("W104", "la table « {name} » n'est utilisée par aucune règle"),
           DeclarationKind.FUNCTION: ("W104", "la fonction « {name} » n'est utilisée par aucune règle"),
           DeclarationKind.RULE: ("W103", "la règle « {name} » n'est utilisée par aucune autre règle ni déclarée « "
                                          "résultat »")}
