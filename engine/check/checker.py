"""Stage 3: `engine.syntax.ast` → `engine.check.model`, reporting every error at once.

Resolves names (facts, parameters, rules, tables, enumeration words) with "did you mean" hints,
types every expression with units (montant, taux, entier…), merges an amending file into the
program it amends (`remplace fichier.nom`, dated table versions), detects cycles, checks table
grids (through `engine.check.grids`), examples and the schedule, and warns about unused facts and
parameters. Diagnostics are collected and raised as one `RulesError` at the end.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePath

from engine.syntax import ast
from engine.check import model
from engine.check import grids as tables
from engine.check import vocabulary
from engine.check.program import ProgramChecks, kind_of_declaration, name_span
from engine.base.diagnostics import Diagnostic, Label, RulesError, Severity, error, sort_key, suggest, warning
from engine.base.source import Source, Span
from engine.check.typography import loose_space_warnings
from engine.lang.types import (ANY, BASE, BOOLEEN, DATE, DECIMAL, DUREE, ENTIER, MONTANT, TAUX, TEXTE,
                          Type, arithmetic, assignable, comparable, enum, join, literal_hint, ordered,
                          same)
from engine.lang.statuses import Status
from engine.lang.values import ROUNDING_UNITS

BUILTINS = ("min", "max")
_ERROR = model.Const(None, ANY)


def literal_type(lit: ast.Literal) -> Type:
    """The type of a literal as written."""
    if lit.kind == "number":
        return ENTIER if isinstance(lit.value, int) else DECIMAL
    return {"money": MONTANT, "percent": TAUX, "date": DATE, "text": TEXTE, "bool": BOOLEEN}[lit.kind]


def prefix_of(file: str) -> str:
    """The name other files use for this file: its stem (`avenant7` for avenant7.rules)."""
    return PurePath(file).stem


def check(rule_file: ast.RuleFile, source: Source, parent: model.Program | None = None,
          directory: str | None = None, reused: dict[str, model.Program] | None = None) -> model.Program:
    """Check a parsed rule file (merged onto the program it amends) and return the program.

    Raises:
        RulesError: with every error found (warnings are kept on the returned program).
    """
    checker = Checker(rule_file, source, parent, directory, reused)
    program = checker.run()
    errors = [d for d in checker.diagnostics if d.is_error]
    if errors:
        # Warnings are left out: next to errors they are mostly consequences of them (a fact only
        # read by a rule whose formula failed is "unused"), and the file does not load anyway.
        raise RulesError(tuple(sorted(errors, key=sort_key)), checker.sources)
    return program


class Checker(ProgramChecks):
    """Holds the state of checking one file; `run` drives the passes in order."""

    def __init__(self, rule_file: ast.RuleFile, source: Source, parent: model.Program | None,
                 directory: str | None = None, reused: dict[str, model.Program] | None = None) -> None:
        self.file = rule_file
        self.directory = directory
        self.source = source
        self.parent = parent
        self.prefix = prefix_of(source.name)
        self.sources = dict(parent.sources) if parent else {}
        self.sources[source.name] = source
        self.diagnostics: list[Diagnostic] = []
        self.facts: dict[str, model.FactDecl] = dict(parent.facts) if parent else {}
        self.inherited: dict[str, model.Definition] = dict(parent.definitions) if parent else {}
        self.originals: dict[tuple[str, str], model.Definition] = dict(parent.originals) if parent else {}
        self.local: dict[str, ast.Parameter | ast.Rule | ast.Function | ast.Table] = {}
        self.scope: dict[str, Type] = {}
        self.local_facts: dict[str, ast.Fact] = {}
        self.enums: dict[str, Type] = {}
        self.types: dict[str, Type] = {}
        self.typing: set[str] = set()
        self.used: set[str] = set()
        self.deps: dict[str, list[tuple[str, Span]]] = {}
        self.current: str | None = None
        self.definitions: dict[str, model.Definition] = {}
        self.bibliography: dict[str, model.SourceDecl] = dict(parent.bibliography) if parent else {}
        self.local_sources: dict[str, ast.SourceDecl] = {}
        self.cited: set[str] = set()
        self.reused_programs = reused or {}
        """The programs of the files named by `reprend … de "fichier"`, by the path as written."""
        self.reuses: list[ast.Reuse] = []
        self.reused: dict[str, tuple[model.Definition, ast.Reuse, Span]] = {}
        """Definitions taken from another text, with the `reprend` that takes them and the name's span."""
        self.withdrawals: list[ast.Withdraw] = []
        self.withdrawn: dict[str, Span] = {}
        """Inherited definitions this file withdraws (`abroge x`), with where the withdrawal is written."""
        self.amendments: list[ast.Amend] = []
        """`précise fichier.nom` blocks: metadata of inherited definitions, applied after the definitions."""
        self.reads_window = False
        """Whether a formula of this file reads the header's period (`en vigueur au …`), see W113."""
        self.fact_uses: dict[str, Span] = {}
        """Where each fact is first read, for the warnings about inherited facts (W108)."""

    def uid(self, name: str) -> str:
        """The stable identity of a definition this file builds (`model.Definition.uid`)."""
        return f"{self.prefix}.{name}"

    # ── reporting ──
    def report(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def fail(self, code: str, message: str, span: Span, hint: str | None = None,
             labels: tuple[Label, ...] = ()) -> model.Expr:
        self.report(error(code, message, span, hint, labels))
        return _ERROR

    # ── driver ──
    def run(self) -> model.Program:
        self.index()
        self.take_reused()
        self.withdraw()
        self.text = self._text_info()
        self.declare_sources()
        self.register_enums()
        self.check_facts()
        self.declare_types()
        self.check_replacements()
        for name, decl in self.local.items():
            self.definitions[name] = self.definition(decl)
        self.apply_amendments()
        self.follow_replaced_sets()
        effective = {**self.inherited, **self.definitions}
        self.check_reused(effective)
        self.check_withdrawn(effective)
        self.check_dated_references(effective)
        self.register_originals(effective)
        self.check_cycles(effective)
        outputs = tuple(n for n, d in effective.items() if d.is_output)
        examples = tuple(self.examples(effective))
        schedule = self.schedule(effective)
        self.warn_unused(effective)
        self.warn_idle_window()
        self.check_lookalikes(effective)
        self.check_rates()
        for diagnostic in loose_space_warnings(self.source):  # W120, engine.check.typography
            self.report(diagnostic)
        texts = (self.parent.texts if self.parent else ()) + (self.text,)
        warnings = tuple(d for d in self.diagnostics if d.severity is Severity.WARNING)
        withdrawn = {**(self.parent.withdrawn if self.parent else {}), **dict.fromkeys(self.withdrawn, self.text.short)}
        headline, breakdown = self.vocabulary(effective)
        return model.Program(texts, self.facts, effective, self.originals, outputs, examples, schedule,
                             self.sources, warnings, self.bibliography, withdrawn, headline, breakdown)

    def vocabulary(self, effective: dict[str, model.Definition]) -> tuple[str | None, tuple[str, ...]]:
        """The headline result and breakdown facts (`engine.check.vocabulary`: E706, E707)."""
        return (vocabulary.headline(self.file.header, self.parent, effective, self.report),
                vocabulary.breakdown(self.file.header, self.parent, self.facts, self.report))

    def warn_idle_window(self) -> None:
        """W113: a period written with dates that no formula of the file reads does nothing; a bound
        named by a parameter is read wherever the parameter is (and W102 covers an unread one)."""
        h = self.file.header
        literal = [b for b in (h.in_force_from, h.in_force_until) if isinstance(b, dt.date)]
        if literal and not self.reads_window:
            self.report(warning("W113", "la période de vigueur n'a aucun effet : aucune règle de ce fichier ne la lit",
                                h.in_force_span,
                                "lisez-la dans une règle (« en vigueur au date_signature »), ou écrivez ses bornes "
                                "par des paramètres date que les règles lisent (« en vigueur du debut au fin »)"))

    def _text_info(self) -> model.TextInfo:
        h = self.file.header
        start, until = self.window_date(h.in_force_from), self.window_date(h.in_force_until)
        if start is not None and until is not None and until < start:
            self.fail("E313", f"période de vigueur vide : elle finit le {_date(until)}, avant de commencer le "
                              f"{_date(start)}", h.in_force_span, "vérifiez l'ordre et l'année des deux dates")
        return model.TextInfo(self.source.name, self.prefix, h.title, h.text_short or h.title, h.text_long,
                              start, until, self.directory)

    def window_date(self, bound: dt.date | str | None) -> dt.date | None:
        """A bound of the header's period: a date as written, or the value of a date parameter named
        there (this file's or an inherited one), so that the window is written once, with its source."""
        if bound is None or isinstance(bound, dt.date):
            return bound
        decl = self.local.get(bound)
        if isinstance(decl, ast.Parameter) and isinstance(decl.value, ast.Literal) and decl.value.kind == "date":
            return decl.value.value  # type: ignore[return-value]
        inherited = self.inherited.get(bound)
        if (decl is None and inherited is not None and inherited.kind == "parameter"
                and isinstance(inherited.latest.body, model.Const) and inherited.type.kind == "date"
                and not inherited.dated):
            return inherited.latest.body.value  # type: ignore[return-value]
        dates = [n for n, d in self.local.items() if isinstance(d, ast.Parameter)] + \
                [n for n, d in self.inherited.items() if d.kind == "parameter" and d.type.kind == "date"]
        self.fail("E311", f"« {bound} » n'est pas un paramètre date à valeur unique : la période de vigueur ne peut "
                          "pas en dépendre", self.file.header.in_force_span,
                  suggest(bound, dates) or "écrivez une date (jj/mm/aaaa) ou le nom d'un paramètre date "
                                           "(paramètre debut = 20/08/2019 fin)")
        return None

    # ── pass 1: names ──
    def index(self) -> None:
        """Collect local declarations; report duplicates and unannounced redefinitions."""
        first: dict[str, ast.Node] = {}
        for decl in self.file.declarations:
            if isinstance(decl, ast.Amend):
                self.amendments.append(decl)
                continue
            if isinstance(decl, ast.Reuse):
                self.reuses.append(decl)
                continue
            if isinstance(decl, ast.Withdraw):
                self.withdrawals.append(decl)
                continue
            if isinstance(decl, (ast.Example, ast.Schedule, ast.SourceDecl)):
                continue
            name = decl.name
            if name in first:
                self.fail("E202", f"« {name} » est déjà défini dans ce fichier", name_span(decl),
                          "renommez l'une des deux déclarations",
                          (Label(name_span(first[name]), "première définition"),))
                continue
            first[name] = decl
            if isinstance(decl, ast.Fact):
                if name in self.facts and not self.redeclares(decl, self.facts[name]):
                    continue
                self.local_facts[name] = decl
            else:
                self.local[name] = decl
                replaced = _replaces(decl)
                if name in self.inherited and replaced is None:
                    origin = self.inherited[name].latest.text.file
                    self.fail("E603", f"« {name} » est déjà défini dans {origin}", name_span(decl),
                              f"pour le remplacer, ajoutez « remplace {prefix_of(origin)}.{name} »")
                if name in self.facts:
                    self.fail("E202", f"« {name} » est déjà le nom d'un fait", name_span(decl),
                              "un fait et une règle ne peuvent pas porter le même nom")

    def declare_sources(self) -> None:
        """The sources this file declares, added to those of the file it amends (E202, E209, E109)."""
        for decl in self.file.declarations:
            if not isinstance(decl, ast.SourceDecl):
                continue
            key = decl.name
            if key in self.local_sources:
                self.fail("E202", f"la source « {key} » est déjà déclarée dans ce fichier", decl.name_span,
                          "gardez une seule déclaration, ou changez la clé de l'une des deux",
                          (Label(self.local_sources[key].name_span, "première déclaration"),))
                continue
            if key in self.bibliography:
                origin = self.bibliography[key]
                self.fail("E202", f"la source « {key} » est déjà déclarée par le texte modifié ({origin.text})",
                          decl.name_span, f"citez-la sans la redéclarer : source {key}",
                          (Label(origin.span, "déclaration d'origine"),))
                continue
            self.local_sources[key] = decl
            fields = self.source_fields(decl)
            if decl.title is None or not decl.title.strip():
                self.fail("E209", f"la source « {key} » n'a pas de titre", decl.name_span,
                          f'écrivez le titre après la clé : source {key} "Titre de la publication" … fin')
            self.bibliography[key] = model.SourceDecl(
                key, (decl.title or "").strip(), fields.get("publisher"), fields.get("date"),  # type: ignore[arg-type]
                fields.get("url"), self.text.short, span=decl.name_span)  # type: ignore[arg-type]

    def source_fields(self, decl: ast.SourceDecl) -> dict[str, str | dt.date]:
        """The publisher, date and URL of a source declaration, each written at most once (E109)."""
        fields: dict[str, str | dt.date] = {}
        first: dict[str, Span] = {}
        for item in decl.fields:
            if item.kind in first:
                self.fail("E109", f"« {_SOURCE_FIELD_WORDS[item.kind]} » est écrit deux fois", item.span,
                          labels=(Label(first[item.kind], "première occurrence"),))
                continue
            first[item.kind] = item.span
            fields[item.kind] = item.value
        return fields

    def citations(self, info: _Info) -> tuple[model.Citation, ...]:
        """The citations of a block, each resolved to its declared source (E208, W106)."""
        found = []
        for item in info.citations:
            if isinstance(item, ast.SourceRef):
                self.report(warning("W106", "citation en texte libre : elle ne renvoie à aucune source déclarée",
                                    item.span, _free_text_hint(item.text, self.bibliography)))
                found.append(model.Citation(None, item.text, span=item.span))
                continue
            declared = self.bibliography.get(item.key)
            if declared is None:
                self.fail("E208", f"source inconnue « {item.key} »", item.key_span,
                          suggest(item.key, self.bibliography) or _sources_hint(item.key, self.bibliography))
                continue
            self.cited.add(item.key)
            found.append(model.Citation(declared, item.detail, span=item.span))
        return tuple(found)

    def redeclares(self, decl: ast.Fact, inherited: model.FactDecl) -> bool:
        """An amending file may declare an inherited fact again, with the same type (to give it its
        own description and question, or to use a fact the amended file only accepted)."""
        if isinstance(decl.type, ast.SimpleType) and decl.type.kind == inherited.type.kind:
            return True
        if isinstance(decl.type, ast.NamedType) and decl.type.name == inherited.type.name:
            return True
        hint = ("un texte modificatif reprend les faits du texte modifié ; il ne peut les redéclarer "
                "qu'avec le même type")
        if isinstance(decl.type, ast.EnumType) and inherited.type.kind == "enum":
            # the same words written again make a new enumeration, named after this declaration
            hint = (f"pour reprendre l'énumération héritée, nommez son type : « fait {decl.name} : "
                    f"{inherited.type.name} »")
        self.fail("E603", f"le fait « {decl.name} » est déjà déclaré par le texte modifié, avec le type {inherited.type}",
                  decl.span, hint, (Label(inherited.span, "déclaration d'origine"),))
        return False

    def register_enums(self) -> None:
        """Enumeration types are named after the fact or rule that declares them."""
        for name, fact in self.facts.items():
            if fact.type.kind == "enum":
                self.enums[name] = fact.type
        for name, d in self.inherited.items():
            if d.type.kind == "enum" and not self.is_set(name):  # a set of words names no type
                self.enums[name] = d.type
        for decl in list(self.local_facts.values()) + list(self.local.values()):
            type_expr = getattr(decl, "type", None)
            if isinstance(type_expr, ast.EnumType):
                self.enums[decl.name] = self.enum_type(decl.name, type_expr)

    def enum_type(self, name: str, type_expr: ast.EnumType) -> Type:
        seen: dict[str, ast.EnumValue] = {}
        for value in type_expr.values:
            if value.name in seen:
                self.fail("E505", f"mot « {value.name} » en double dans l'énumération", value.span,
                          labels=(Label(seen[value.name].span, "première occurrence"),))
            seen[value.name] = value
        return enum(name, tuple(seen), tuple(v.label for v in seen.values()))

    def resolve_type(self, type_expr: ast.TypeExpr, owner: str) -> Type:
        if isinstance(type_expr, ast.SimpleType):
            return BASE[type_expr.kind]
        if isinstance(type_expr, ast.EnumType):
            return self.enums.get(owner) or self.enum_type(owner, type_expr)
        if type_expr.name in self.enums:
            return self.enums[type_expr.name]
        known = list(self.enums) + ["montant", "taux", "entier", "décimal", "booléen", "date", "durée", "texte"]
        self.fail("E201", f"type inconnu « {type_expr.name} »", type_expr.span, suggest(type_expr.name, known))
        return ANY

    # ── pass 2: facts ──
    def check_facts(self) -> None:
        for name, fact in self.local_facts.items():
            t = self.resolve_type(fact.type, name)
            info = _items(fact.items)
            self.report_misplaced(fact, info)
            low = high = allowed = None
            constraint = fact.type.constraint if isinstance(fact.type, ast.SimpleType) else None
            if isinstance(constraint, ast.Range):
                low = self.constant(constraint.low, t) if constraint.low else None
                high = self.constant(constraint.high, t) if constraint.high else None
            elif isinstance(constraint, ast.Allowed):
                allowed = tuple(self.constant(v, t) for v in constraint.values)
            ignored = next((s for s in info.statuses if s.kind is Status.IGNORED), None)
            self.facts[name] = model.FactDecl(name, t, info.description, info.question, self.citations(info), low, high,
                                              allowed, self.text.short, info.unit,
                                              (ignored.note or "ignoré") if ignored else None, info.label,
                                              span=fact.span)

    def constant(self, expr: ast.Expr, expected: Type) -> object:
        """A literal used as a bound or allowed value; it must fit the declared type."""
        if isinstance(expr, ast.Literal) and assignable(expected, literal_type(expr)):
            return expr.value
        self.fail("E302", f"cette valeur ne convient pas au type {expected}", expr.span,
                  literal_hint(expected, literal_type(expr)) if isinstance(expr, ast.Literal) else None)
        return None

    # ── pass 3: declared types and amendments ──
    def declare_types(self) -> None:
        for name, decl in self.local.items():
            if isinstance(decl, ast.Parameter):
                if decl.type is not None:
                    self.types[name] = self.resolve_type(decl.type, name)
            else:
                self.types[name] = self.resolve_type(decl.type, name)

    def type_of(self, name: str) -> Type:
        """The type of a definition; a parameter without declared type is typed from its value."""
        if name in self.types:
            return self.types[name]
        if name not in self.local:
            return self.inherited[name].type
        decl = self.local[name]
        if name in self.typing:
            return ANY  # a cycle; reported by check_cycles
        self.typing.add(name)
        assert isinstance(decl, ast.Parameter)
        values = [decl.value] if decl.value is not None else []
        values += [i.value for i in decl.items if isinstance(i, ast.DatedValue)]
        saved, self.current = self.current, name
        found = ANY
        for value in values:
            t = self.expr(value, None).type
            found = join(found, t) or found
        self.current = saved
        self.types[name] = found
        return found

    def check_replacements(self) -> None:
        for name, decl in self.local.items():
            replaced = _replaces(decl)
            if replaced is None:
                continue
            if self.parent is None:
                self.fail("E606", "« remplace » dans un fichier qui ne modifie aucun autre fichier", replaced.span,
                          'ajoutez en tête : modifie "fichier.rules"')
                continue
            if replaced.prefix not in {t.prefix for t in self.parent.texts}:
                known = [t.prefix for t in self.parent.texts]
                self.fail("E203", f"fichier inconnu « {replaced.prefix} »", replaced.span,
                          suggest(replaced.prefix, known) or _prefixes_hint(known))
                continue
            if replaced.name not in self.inherited:
                self.fail("E601", f"« {replaced.prefix}.{replaced.name} » n'existe pas : rien à remplacer", replaced.span,
                          suggest(replaced.name, self.inherited))
                continue
            if replaced.name != name:
                self.fail("E604", f"« {name} » ne peut pas remplacer « {replaced.name} » : le nom doit rester le même",
                          replaced.span, f"écrivez « remplace {replaced.prefix}.{name} »")
                continue
            old = self.inherited.get(name)
            if old is None:
                self.fail("E601", f"« {replaced.prefix}.{name} » n'existe pas : rien à remplacer", replaced.span,
                          suggest(name, self.inherited))
                continue
            new_type = self.type_of(name)
            new_params = [self.resolve_type(p.type, p.name) for p in getattr(decl, "params", ())]
            if old.kind != kind_of_declaration(decl):
                self.fail("E602", f"« {name} » était {_article(old.kind)} et ne peut pas devenir {_article(kind_of_declaration(decl))}",
                          decl.span, labels=(Label(old.span, "définition remplacée"),))
            elif not same(old.type, new_type) and new_type.kind != "any":
                self.fail("E602", f"le remplacement change le type de « {name} » : {old.type} devient {new_type}",
                          decl.span, "un remplacement garde le type de la définition qu'il remplace",
                          (Label(old.span, "définition remplacée"),))
            elif old.kind in {"table", "function"} and [p.type for p in old.params] != new_params:
                self.fail("E602", f"le remplacement change les paramètres de « {name} »", decl.span,
                          "gardez le même nombre de paramètres, avec les mêmes types",
                          (Label(old.span, "définition remplacée"),))

    # ── pass 4: definitions ──
    def definition(self, decl: ast.Parameter | ast.Rule | ast.Function | ast.Table) -> model.Definition:
        name = decl.name
        self.current = name
        self.deps[name] = []
        info = _items(decl.items)
        self.report_misplaced(decl, info)
        t = self.type_of(name)
        statuses = tuple(model.StatusInfo(s.kind, s.note, span=s.span) for s in info.statuses)
        sources = self.citations(info)
        replaced = _replaces(decl)
        old = self.inherited.get(name) if replaced else None
        start = self.date_constant(info.valid_from) if info.valid_from is not None else None
        guard = None
        if isinstance(decl, (ast.Rule, ast.Function)):
            params_scope = {p.name: self.resolve_type(p.type, p.name) for p in getattr(decl, "params", ())}
            self.scope = params_scope
            versions = (model.Version(None, self.body(decl.formula, t), self.text, sources, statuses, span=decl.span),)
            self.scope = {}
            guard = self.guard(info.guard)  # a fact or a rule, never a parameter: guards are looked up by name
            kind = "rule" if isinstance(decl, ast.Rule) else "function"
        elif isinstance(decl, ast.Parameter):
            versions = self.parameter_versions(decl, t, sources, statuses)
            kind = "parameter"
        else:
            versions = self.table_versions(decl, t, sources, statuses, start)
            kind = "table"
        if old is not None and start is not None:
            versions = tuple(v for v in old.versions if v.start is None or v.start < start) + versions
        params = ()
        if isinstance(decl, (ast.Table, ast.Function)):
            params = tuple(model.Param(p.name, self.resolve_type(p.type, p.name), span=p.span) for p in decl.params)
        is_output = isinstance(decl, ast.Rule) and decl.is_output or bool(old and old.is_output)
        if isinstance(decl, ast.Rule) and not decl.is_output and old is not None and old.is_output:
            self.report(warning("W114", f"« {name} » remplace un résultat : il reste un résultat, même écrit « règle »",
                                name_span(decl), f"écrivez « résultat {name} » ; pour le retirer des résultats, "
                                                 f"abrogez-le (abroge {name}) et définissez une autre règle"))
        self.current = None
        return model.Definition(name, kind, t, versions, is_output, info.description, guard, params,
                                f"{replaced.prefix}.{name}" if replaced else None, info.unit or (old.unit if old else None),
                                internal=info.internal or bool(old and old.internal), uid=self.uid(name),
                                span=decl.span)

    def report_misplaced(self, decl: ast.Node, info: _Info) -> None:
        """Items written twice in one block (the grammar already keeps items where they belong)."""
        for label, spans in info.duplicates.items():
            self.fail("E109", f"« {label} » est écrit deux fois", spans[1],
                      labels=(Label(spans[0], "première occurrence"),))

    def body(self, formula: ast.Expr, t: Type) -> model.Expr:
        checked = self.expr(formula, t)
        if not assignable(t, checked.type):
            self.fail("E303", f"la formule donne un {checked.type}, la règle est déclarée {t}", formula.span,
                      literal_hint(t, checked.type))
        return checked

    def guard(self, guard: ast.Guard | None) -> model.GuardInfo | None:
        if guard is None:
            return None
        ref = self.expr(ast.Name(guard.name, span=guard.name_span), BOOLEEN)
        if ref.type.kind not in {"booleen", "any"}:
            self.fail("E304", f"« applicable si » attend une condition (booléen), « {guard.name} » est un {ref.type}",
                      guard.name_span)
        return model.GuardInfo(guard.name, guard.reason, span=guard.name_span)

    def parameter_versions(self, decl: ast.Parameter, t: Type, sources: tuple[model.Citation, ...],
                           statuses: tuple[model.StatusInfo, ...]) -> tuple[model.Version, ...]:
        versions = []
        if decl.value is not None:
            versions.append(model.Version(None, self.body(decl.value, t), self.text, sources, statuses, span=decl.span))
        for item in decl.items:
            if isinstance(item, ast.DatedValue):
                start = self.date_constant(item.date)
                versions.append(model.Version(start, self.body(item.value, t), self.text, sources, statuses,
                                              span=item.span))
        if not versions:
            self.fail("E116", f"le paramètre « {decl.name} » n'a pas de valeur", decl.span,
                      f"écrivez « paramètre {decl.name} = valeur »")
            return (model.Version(None, _ERROR, self.text, sources, statuses, span=decl.span),)
        return self.sorted_versions(versions)

    def sorted_versions(self, versions: list[model.Version]) -> tuple[model.Version, ...]:
        ordered_versions = sorted(versions, key=lambda v: v.start or dt.date.min)
        for a, b in zip(ordered_versions, ordered_versions[1:]):
            if a.start == b.start:
                self.fail("E505", "deux valeurs commencent à la même date", b.span,
                          labels=(Label(a.span, "autre valeur"),))
        return tuple(ordered_versions)

    def table_versions(self, decl: ast.Table, t: Type, sources: tuple[model.Citation, ...],
                       statuses: tuple[model.StatusInfo, ...], start: dt.date | None) -> tuple[model.Version, ...]:
        key_types = tuple(self.resolve_type(p.type, p.name) for p in decl.params)
        rows = [i for i in decl.items if isinstance(i, ast.Row)]
        grid = tables.build_grid(decl, rows, key_types, t, self.expr, self.report)
        body: model.Expr | model.Grid = grid if grid is not None else _ERROR
        return (model.Version(start, body, self.text, sources, statuses, span=decl.span),)

    def date_constant(self, expr: ast.Expr) -> dt.date | None:
        """A date written in a version clause: a literal, or a parameter holding one."""
        if isinstance(expr, ast.Literal) and expr.kind == "date":
            return expr.value  # type: ignore[return-value]
        if isinstance(expr, ast.Name):
            target = self.definitions.get(expr.name) or self.inherited.get(expr.name)
            decl = self.local.get(expr.name)
            if isinstance(decl, ast.Parameter) and isinstance(decl.value, ast.Literal) and decl.value.kind == "date":
                self.used.add(expr.name)
                return decl.value.value  # type: ignore[return-value]
            if target is not None and isinstance(target.latest.body, model.Const) and target.type.kind == "date":
                self.used.add(expr.name)
                return target.latest.body.value  # type: ignore[return-value]
        self.fail("E311", "une date de version doit être une date écrite (jj/mm/aaaa) ou un paramètre date",
                  expr.span)
        return None

    # ── expressions ──
    def expr(self, e: ast.Expr, expected: Type | None) -> model.Expr:
        """Type-check an expression; `expected` resolves enumeration words and sharpens hints."""
        method = getattr(self, "x_" + type(e).__name__)
        return method(e, expected)

    def x_Literal(self, e: ast.Literal, expected: Type | None) -> model.Expr:
        return model.Const(e.value, literal_type(e), span=e.span)

    def x_Name(self, e: ast.Name, expected: Type | None) -> model.Expr:
        name = e.name
        if name in self.scope:
            return model.ParamRef(name, self.scope[name], span=e.span)
        if name in self.local or name in self.inherited:
            kind = kind_of_declaration(self.local[name]) if name in self.local else self.inherited[name].kind
            if kind in {"table", "function"}:
                what = "une table : donnez ses clés" if kind == "table" else "une fonction : donnez ses arguments"
                return self.fail("E206", f"« {name} » est {what} entre parenthèses",
                                 e.span, f"écrivez par exemple {name}(…)")
            if self.is_set(name):
                return self.fail("E315", f"« {name} » est un ensemble : il se lit après « dans » ou « pas dans »",
                                 e.span, f"écrivez par exemple : x dans {name}")
            self.note_use(name, e.span)
            return model.DefRef(name, self.type_of(name), span=e.span)
        if name in self.facts:
            self.used.add(name)
            self.fact_uses.setdefault(name, e.span)
            return model.FactRef(name, self.facts[name].type, span=e.span)
        if expected is not None and expected.kind == "enum" and name in expected.values:
            return model.Const(name, expected, span=e.span)
        if expected is None or expected.kind == "any":
            owners = list({t.name: t for t in self.enums.values() if name in t.values}.values())
            if len(owners) == 1:
                return model.Const(name, owners[0], span=e.span)
        return self.unknown(name, e.span, expected)

    def unknown(self, name: str, span: Span, expected: Type | None) -> model.Expr:
        if name in self.withdrawn:
            return self.withdrawn_reference(name, span)
        candidates = list(self.local) + list(self.inherited) + list(self.facts)
        if expected is not None and expected.kind == "enum":
            candidates += list(expected.values)
            hint = suggest(name, candidates)
            words = ", ".join(expected.values[:8]) + (", …" if len(expected.values) > 8 else "")
            return self.fail("E201", f"nom inconnu « {name} »", span,
                             hint or f"les valeurs possibles de « {expected.name} » sont : {words}")
        return self.fail("E201", f"nom inconnu « {name} »", span, suggest(name, candidates))

    def withdrawn_reference(self, name: str, span: Span) -> model.Expr:
        """E610: a formula of this file reads what the file withdraws."""
        return self.fail("E610", f"« {name} » est abrogé par ce fichier (ligne {self.withdrawn[name].line})", span,
                         "retirez la référence, ou n'abrogez pas la définition",
                         (Label(self.withdrawn[name], "abrogé ici"),))

    def note_use(self, name: str, span: Span) -> None:
        self.used.add(name)
        if self.current is not None:
            self.deps.setdefault(self.current, []).append((name, span))

    def x_Qualified(self, e: ast.Qualified, expected: Type | None) -> model.Expr:
        target = self.original(e.prefix, e.name, e.span)
        if target is None:
            return _ERROR
        if target.kind in {"table", "function"}:
            return self.fail("E206", f"« {e.prefix}.{e.name} » prend des arguments entre parenthèses", e.span)
        self.note_use(f"{e.prefix}.{e.name}", e.span)
        return model.DefRef(e.name, target.type, origin=e.prefix, span=e.span)

    def original(self, prefix: str, name: str, span: Span) -> model.Definition | None:
        """The definition `name` as the amended file `prefix` left it."""
        if self.parent is None or prefix not in {t.prefix for t in self.parent.texts}:
            known = [t.prefix for t in self.parent.texts] if self.parent else []
            self.fail("E203", f"fichier inconnu « {prefix} » : seul un texte modifié peut être cité ainsi", span,
                      suggest(prefix, known) or _prefixes_hint(known))
            return None
        if name not in self.parent.definitions:
            self.fail("E201", f"« {prefix}.{name} » n'existe pas", span, suggest(name, self.parent.definitions))
            return None
        return self.parent.definitions[name]

    def x_Call(self, e: ast.Call, expected: Type | None) -> model.Expr:
        if e.prefix is None and e.name in BUILTINS:
            return self.builtin(e, expected)
        if e.prefix is not None:
            original = self.original(e.prefix, e.name, e.span)
            if original is None:
                return _ERROR
            kind, params = original.kind, [(p.name, p.type) for p in original.params]
        elif e.name in self.local or e.name in self.inherited:
            kind = self.kind_of(e.name, None)
            params = self.table_params(e.name) if kind in {"table", "function"} else []
        elif e.name in self.withdrawn:
            return self.withdrawn_reference(e.name, e.span)
        else:
            candidates = list(self.local) + list(self.inherited) + list(BUILTINS)
            return self.fail("E201", f"table ou fonction inconnue « {e.name} »", e.span, suggest(e.name, candidates))
        if kind not in {"table", "function"}:
            return self.fail("E206", f"« {e.name} » n'est ni une table ni une fonction : elle ne prend pas d'arguments",
                             e.span, f"écrivez simplement {e.name}")
        if len(params) != len(e.args):
            return self.fail("E207", f"« {e.name} » prend {len(params)} argument(s), {len(e.args)} donné(s)", e.span)
        args = []
        for arg, (pname, ptype) in zip(e.args, params):
            checked = self.expr(arg, ptype)
            if not assignable(ptype, checked.type):
                self.fail("E302", f"le paramètre « {pname} » de « {e.name} » est un {ptype}, pas un {checked.type}",
                          arg.span, literal_hint(ptype, checked.type))
            args.append(checked)
        used = e.name if e.prefix is None else f"{e.prefix}.{e.name}"
        self.note_use(used, e.span)
        result = self.type_of(e.name) if e.prefix is None else self.parent.definitions[e.name].type  # type: ignore[union-attr]
        node = model.TableCall if kind == "table" else model.FuncCall
        return node(e.name, tuple(args), result, origin=e.prefix, span=e.span)

    def table_params(self, name: str) -> list[tuple[str, Type]]:
        if name in self.local:
            decl = self.local[name]
            assert isinstance(decl, (ast.Table, ast.Function))
            return [(p.name, self.resolve_type(p.type, p.name)) for p in decl.params]
        return [(p.name, p.type) for p in self.inherited[name].params]

    def builtin(self, e: ast.Call, expected: Type | None) -> model.Expr:
        if len(e.args) < 2:
            return self.fail("E207", f"« {e.name} » compare au moins deux valeurs", e.span)
        args = [self.expr(a, expected) for a in e.args]
        result: Type | None = args[0].type
        for arg in args[1:]:
            result = join(result, arg.type) if result is not None else None
        if result is None or not (ordered(result)):
            kinds = ", ".join(str(a.type) for a in args)
            return self.fail("E301", f"« {e.name} » demande des valeurs comparables du même type, pas : {kinds}", e.span)
        return model.Builtin(e.name, tuple(args), result, span=e.span)

    def x_Binary(self, e: ast.Binary, expected: Type | None) -> model.Expr:
        left = self.expr(e.left, None)
        right = self.expr(e.right, None)
        result = arithmetic(e.op, left.type, right.type)
        if result is None:
            hint = None
            if {left.type.kind, right.type.kind} & {"date"} and e.op in "+-":
                hint = "à une date, on ajoute une durée : + 15 jours, + 1 mois, + 3 ans"
            elif expected is not None:
                hint = literal_hint(left.type if right.type.kind in {"entier", "decimal"} else right.type, right.type)
            return self.fail("E301", f"opération impossible : {left.type} {e.op} {right.type}", e.span, hint)
        return model.Arith(e.op, left, right, result, span=e.span)

    def x_Negate(self, e: ast.Negate, expected: Type | None) -> model.Expr:
        operand = self.expr(e.operand, expected)
        if not (operand.type.is_numeric or operand.type.kind in {"duree", "any"}):
            return self.fail("E301", f"on ne peut pas prendre l'opposé d'un {operand.type}", e.span)
        return model.Negate(operand, operand.type, span=e.span)

    def condition(self, e: ast.Expr, what: str) -> model.Expr:
        checked = self.expr(e, BOOLEEN)
        if checked.type.kind not in {"booleen", "any"}:
            self.fail("E304", f"{what} attend une condition (vrai ou faux), pas un {checked.type}", e.span,
                      "une condition est une comparaison (patientele > 640), un booléen, "
                      "ou leur combinaison avec et, ou, non")
        return checked

    def x_Logical(self, e: ast.Logical, expected: Type | None) -> model.Expr:
        left = self.condition(e.left, f"« {e.op} »")
        right = self.condition(e.right, f"« {e.op} »")
        return model.Logic(e.op, left, right, BOOLEEN, span=e.span)

    def x_Not(self, e: ast.Not, expected: Type | None) -> model.Expr:
        return model.Not(self.condition(e.operand, "« non »"), BOOLEEN, span=e.span)

    def x_Compare(self, e: ast.Compare, expected: Type | None) -> model.Expr:
        if isinstance(e.left, ast.Name) and not self.known(e.left.name):
            right = self.expr(e.right, None)
            left = self.expr(e.left, right.type)
        else:
            left = self.expr(e.left, None)
            right = self.expr(e.right, left.type)
        if not comparable(left.type, right.type):
            return self.fail("E302", f"comparaison impossible entre un {left.type} et un {right.type}", e.span,
                             literal_hint(left.type, right.type) or literal_hint(right.type, left.type))
        if e.op not in {"=", "≠"} and not (ordered(left.type) and ordered(right.type)):
            return self.fail("E302", f"« {e.op} » ne s'applique pas à un {left.type} : seules = et ≠ le peuvent",
                             e.span)
        return model.Compare(e.op, left, right, BOOLEEN, span=e.span)

    def known(self, name: str) -> bool:
        return name in self.local or name in self.inherited or name in self.facts

    def x_Member(self, e: ast.Member, expected: Type | None) -> model.Expr:
        if e.set_name is not None:
            return self.named_member(e)
        operand = self.expr(e.operand, None)
        items = []
        for item in e.items:
            checked = self.expr(item, operand.type)
            if not isinstance(checked, model.Const):
                if checked is not _ERROR:
                    self.fail("E312", "un ensemble ne contient que des valeurs écrites (mots ou nombres)", item.span)
                continue
            if not comparable(operand.type, checked.type):
                self.fail("E302", f"« {_text(item)} » n'est pas un {operand.type}", item.span)
            items.append(checked.value)
        return model.Member(operand, tuple(items), e.negated, BOOLEEN, span=e.span)

    # ── reuse from other texts, withdrawal of inherited definitions ──
    def take_reused(self) -> None:
        """`reprend a de "f.rules"`: a's definition in f's program joins this one, as an inherited
        definition would (so every reference resolves to it); one that has a name of the amended file
        replaces it, with the same kind and type. Its own references are checked by `check_reused`."""
        import attrs
        for decl in self.reuses:
            program = self.reused_programs.get(decl.file)
            if program is None:
                continue
            if self.parent is not None and program.text.file == self.parent.text.file:
                self.fail("E609", f"« {decl.file} » est le texte modifié : ses définitions sont déjà reprises",
                          decl.file_span, "lisez-les par leur nom, sans « reprend »")
                continue
            self.sources.update(program.sources)
            for key, cited in program.bibliography.items():
                self.bibliography.setdefault(key, cited)
            for name, span in zip(decl.names, decl.name_spans):
                found = program.definitions.get(name)
                if found is None:
                    self.fail("E609", f"« {name} » n'est pas défini dans « {decl.file} »", span,
                              suggest(name, program.definitions))
                    continue
                if name in self.local or name in self.reused or name in self.facts:
                    self.fail("E202", f"« {name} » est déjà défini dans ce fichier", span,
                              "reprenez-le, ou définissez-le, mais pas les deux")
                    continue
                old = self.inherited.get(name)
                replaces = None
                if old is not None:
                    if old.kind != found.kind or not same(old.type, found.type):
                        self.fail("E602", f"« {name} » repris de « {decl.file} » remplacerait {_article(old.kind)} "
                                          f"{old.type} par {_article(found.kind)} {found.type}", span,
                                  "une définition reprise qui porte le nom d'une définition héritée la remplace : "
                                  "même nature, même type", (Label(old.span, "définition héritée"),))
                        continue
                    replaces = f"{self.parent.text.prefix}.{name}" if self.parent else None
                taken = attrs.evolve(found, reused_from=decl.file, replaces=replaces, uid=self.uid(name))
                self.reused[name] = (taken, decl, span)
                self.inherited[name] = taken

    def check_reused(self, effective: dict[str, model.Definition]) -> None:
        """A reused definition is checked like any reference: each name it reads must exist here, with
        the kind and type it had in its own text (E609); cycles are found with the others."""
        prefixes = {t.prefix for t in self.parent.texts} if self.parent else set()
        for name, (d, decl, span) in self.reused.items():
            where = f"« {name} », repris de « {decl.file} »,"
            reported: set[str] = set()
            for expr in model.definition_exprs(d):
                for node in model.walk(expr):
                    problem = self.reused_reference(node, effective, prefixes)
                    if problem is not None and problem[0] not in reported:
                        reported.add(problem[0])
                        self.fail("E609", f"{where} lit {problem[0]}", span, problem[1].replace("@FICHIER", decl.file))
            if d.guard is not None and d.guard.name not in effective and d.guard.name not in self.facts:
                self.fail("E609", f"{where} n'est applicable que si « {d.guard.name} », que ce fichier ne définit pas",
                          span, f'reprenez-le aussi : reprend {d.guard.name} de "{decl.file}"')

    def reused_reference(self, node: model.Expr, effective: dict[str, model.Definition],
                         prefixes: set[str]) -> tuple[str, str] | None:
        """What is wrong with one reference of a reused definition: (what it reads, hint), or None."""
        if isinstance(node, model.FactRef):
            fact = self.facts.get(node.name)
            if fact is None:
                return f"le fait « {node.name} », que ce fichier ne déclare pas", f"déclarez-le : fait {node.name} : … fin"
            if not same(fact.type, node.type):
                return f"le fait « {node.name} » comme un {node.type}, ici un {fact.type}", "déclarez-le avec le même type"
            return None
        if not isinstance(node, (model.DefRef, model.TableCall, model.FuncCall, model.TextOf)):
            return None
        origin = getattr(node, "origin", None)
        if origin is not None:
            if origin not in prefixes or self.parent is None or node.name not in self.parent.definitions:
                return (f"« {origin}.{node.name} », alors que ce fichier ne modifie pas « {origin} »",
                        "un texte cité ainsi doit être celui que ce fichier modifie (ou un texte qu'il modifie)")
            return None
        target = effective.get(node.name)
        if target is None:
            hint = f"reprenez-le aussi : reprend {node.name} de \"@FICHIER\""
            if node.name in self.withdrawn:
                return f"« {node.name} », que ce fichier abroge", hint
            return f"« {node.name} », que ce fichier ne définit pas", hint
        if not isinstance(node, model.TextOf) and not same(target.type, node.type):
            return (f"« {node.name} » comme un {node.type}, ici un {target.type}",
                    "reprenez aussi la définition qu'il lit, ou gardez le même type")
        return None

    def withdraw(self) -> None:
        """`abroge x`: x leaves the program (outputs, schema, doc site, batch columns, letters)."""
        for decl in self.withdrawals:
            for name, span in zip(decl.names, decl.name_spans):
                if self.parent is None:
                    self.fail("E610", "« abroge » dans un fichier qui ne modifie aucun autre fichier", span,
                              'ajoutez en tête : modifie "fichier.rules"')
                elif name not in self.parent.definitions:
                    self.fail("E610", f"« {name} » n'est pas défini par le texte modifié : rien à abroger", span,
                              suggest(name, self.parent.definitions))
                elif name in self.local or name in self.reused or name in self.withdrawn:
                    self.fail("E610", f"« {name} » est abrogé et redéfini (ou abrogé deux fois) dans ce fichier", span,
                              "abrogez-le, ou remplacez-le, mais pas les deux")
                else:
                    self.withdrawn[name] = span
                    del self.inherited[name]

    def check_withdrawn(self, effective: dict[str, model.Definition]) -> None:
        """An inherited definition that still reads a withdrawn one is an error at the withdrawal."""
        for name, d in effective.items():
            if name in self.definitions and name not in self.amended_names():
                continue  # this file's formulas: reported where they read it (E610 by name)
            read = {n for n, _ in _references(d)}
            for gone in sorted(read & set(self.withdrawn)):
                self.fail("E610", f"« {gone} » est abrogé, mais « {name} » ({d.latest.text.short}) le lit encore",
                          self.withdrawn[gone], f"remplacez « {name} » (remplace {d.latest.text.prefix}.{name}), "
                                                f"ou abrogez-le aussi")

    def amended_names(self) -> set[str]:
        return {a.name for a in self.amendments}

    def apply_amendments(self) -> None:
        """`précise fichier.nom`: the inherited definition with this text's description, citations,
        statuses, `interne`, unit or guard reason; its formula, value or grid and versions are kept."""
        import attrs
        done: dict[str, ast.Amend] = {}
        for decl in self.amendments:
            name, target = decl.name, f"{decl.prefix}.{decl.name}"
            if self.parent is None:
                self.fail("E606", "« précise » dans un fichier qui ne modifie aucun autre fichier", decl.name_span,
                          'ajoutez en tête : modifie "fichier.rules"')
                continue
            known = [t.prefix for t in self.parent.texts]
            if decl.prefix not in known:
                self.fail("E203", f"fichier inconnu « {decl.prefix} »", decl.name_span,
                          suggest(decl.prefix, known) or _prefixes_hint(known))
                continue
            if name not in self.inherited:
                self.fail("E601", f"« {target} » n'existe pas : rien à préciser", decl.name_span,
                          suggest(name, self.inherited))
                continue
            if name in self.local or name in done:
                first = name_span(self.local[name]) if name in self.local else done[name].name_span
                self.fail("E202", f"« {name} » est déjà redéfini dans ce fichier", decl.name_span,
                          "précisez-le dans le bloc qui le remplace, ou gardez un seul bloc « précise »",
                          (Label(first, "première redéfinition"),))
                continue
            done[name] = decl
            self.definitions[name] = self.amended(decl, self.inherited[name], attrs)

    def amended(self, decl: ast.Amend, old: model.Definition, attrs) -> model.Definition:  # type: ignore[no-untyped-def]
        info = _items(decl.items)
        self.report_misplaced(decl, info)
        for item in decl.items:
            if isinstance(item, ast.Replaces):
                self.fail("E608", "« remplace » dans un bloc « précise » : le bloc garde la formule d'origine",
                          item.span, f"pour changer la formule, écrivez le bloc complet avec « remplace "
                                     f"{decl.prefix}.{decl.name} » et la formule")
        if not decl.items:
            self.fail("E608", f"« précise {decl.prefix}.{decl.name} » ne change rien", decl.name_span,
                      "écrivez ce qui change : description, source, statut, interne, unité ou raison de "
                      "« applicable si »")
        guard = old.guard
        if info.guard is not None:
            if old.guard is None or info.guard.name != old.guard.name:
                was = f"la condition reste « {old.guard.name} »" if old.guard else "la définition n'en a pas"
                self.fail("E608", f"« précise » ne change que la raison de « applicable si » : {was}",
                          info.guard.name_span, "pour changer la condition, remplacez la définition (« remplace »)")
            else:
                guard = attrs.evolve(old.guard, reason=info.guard.reason)
        sources = self.citations(info) if info.citations else None
        statuses = tuple(model.StatusInfo(s.kind, s.note, span=s.span) for s in info.statuses) or None
        versions = tuple(attrs.evolve(v, sources=v.sources if sources is None else sources,
                                      statuses=v.statuses if statuses is None else statuses) for v in old.versions)
        return attrs.evolve(old, versions=versions, description=info.description or old.description, guard=guard,
                            unit=info.unit or old.unit, internal=info.internal or old.internal,
                            amended_by=self.text.short, uid=self.uid(old.name))

    def follow_replaced_sets(self) -> None:
        """Inherited rules see a replaced set, as they see any replacement: their `dans nom` tests,
        whose items were inlined when the amended file was checked, get this file's items."""
        sets = {n: d for n, d in self.definitions.items() if d.is_set and n in self.inherited}
        if not sets:
            return
        self.inherited = {n: _with_sets(d, sets) for n, d in self.inherited.items()}
        self.originals = {k: _with_sets(d, sets) for k, d in self.originals.items()}

    def is_set(self, name: str) -> bool:
        """Whether `name` is a set parameter (`paramètre x = {…}`), of this file or inherited."""
        decl = self.local.get(name)
        if decl is not None:
            return isinstance(decl, ast.Parameter) and isinstance(decl.value, ast.SetLiteral)
        inherited = self.inherited.get(name)
        return inherited is not None and inherited.is_set

    def named_member(self, e: ast.Member) -> model.Expr:
        """`x dans nom`: the set parameter's items, checked against x's type like written ones."""
        name = e.set_name
        assert name is not None
        operand = self.expr(e.operand, None)
        if not self.is_set(name):
            sets = [n for n in list(self.local) + list(self.inherited) if self.is_set(n)]
            known = self.known(name)
            return self.fail("E315", f"« {name} » n'est pas un ensemble" if known else f"ensemble inconnu « {name} »",
                             e.span, suggest(name, sets) or "un ensemble se déclare en paramètre : "
                             f"paramètre {name} = {{a, b}} fin, ou s'écrit sur place : dans {{a, b}}")
        self.note_use(name, e.span)
        t = self.type_of(name)
        if not comparable(operand.type, t) and t.kind != "any" and operand.type.kind != "any":
            return self.fail("E302", f"« {name} » est un ensemble de {_plural_type(t)}, pas de {_plural_type(operand.type)}",
                             e.span)
        decl = self.local.get(name)
        if decl is not None:
            assert isinstance(decl, ast.Parameter) and isinstance(decl.value, ast.SetLiteral)
            saved, self.current = self.current, name
            items = tuple(c.value for c in (self.expr(i, t) for i in decl.value.items) if isinstance(c, model.Const))
            self.current = saved
            sources = tuple(  # resolved again, silently: the parameter's own check reports E208 and W106
                model.Citation(self.bibliography[i.key], i.detail, span=i.span) if isinstance(i, ast.Citation)
                else model.Citation(None, i.text, span=i.span)
                for i in _items(decl.items).citations
                if not isinstance(i, ast.Citation) or i.key in self.bibliography)
        else:
            body = self.inherited[name].latest
            items, sources = body.body.value, body.sources  # type: ignore[union-attr]
        return model.Member(operand, tuple(items), e.negated, BOOLEEN, name, tuple(sources), span=e.span)

    def x_SetLiteral(self, e: ast.SetLiteral, expected: Type | None) -> model.Expr:
        """The value of a set parameter: constants of one type (the declared one, or their own)."""
        values, found = [], expected
        for item in e.items:
            checked = self.expr(item, found)
            if not isinstance(checked, model.Const):
                if checked is not _ERROR:
                    self.fail("E312", "un ensemble ne contient que des valeurs écrites (mots ou nombres)", item.span)
                continue
            joined = checked.type if found is None or found.kind == "any" else join(found, checked.type)
            if joined is None:
                self.fail("E302", f"« {_text(item)} » n'est pas un {found}", item.span)
                continue
            found = joined
            values.append(checked.value)
        return model.Const(tuple(values), found or ANY, span=e.span)

    def x_If(self, e: ast.If, expected: Type | None) -> model.Expr:
        condition = self.condition(e.condition, "« si »")
        then = self.expr(e.then, expected)
        otherwise = self.expr(e.otherwise, expected)
        result = join(then.type, otherwise.type)
        if result is None:
            return self.fail("E309", f"les deux branches du « si » n'ont pas le même type : {then.type} et {otherwise.type}",
                             e.span, literal_hint(then.type, otherwise.type) or literal_hint(otherwise.type, then.type))
        return model.If(condition, then, otherwise, result, span=e.span)

    def x_Round(self, e: ast.Round, expected: Type | None) -> model.Expr:
        operand = self.expr(e.operand, expected)
        if e.unit not in ROUNDING_UNITS:
            return self.fail("E305", f"arrondi inconnu « {e.unit} »", e.unit_span,
                             suggest(e.unit, ROUNDING_UNITS) or "arrondis possibles : " + ", ".join(ROUNDING_UNITS))
        t = operand.type
        if not t.is_numeric and t.kind != "any":
            return self.fail("E305", f"on ne peut pas arrondir un {t}", e.span)
        if e.unit == "euro" and t.kind not in {"montant", "any"}:
            return self.fail("E305", f"« à l'euro » s'applique à un montant, pas à un {t}", e.span,
                             "pour un nombre sans unité, écrivez « arrondi à l'entier »")
        result = ENTIER if e.unit == "entier" and t.kind in {"entier", "decimal"} else t
        label = f"{e.verb} {_unit_phrase(e.unit)}"
        return model.Round(operand, ROUNDING_UNITS[e.unit], e.verb != "arrondi", label, result, span=e.span)

    def x_DurationOf(self, e: ast.DurationOf, expected: Type | None) -> model.Expr:
        amount = self.expr(e.amount, ENTIER)
        if amount.type.kind not in {"entier", "any"}:
            return self.fail("E301", f"une durée se compte en nombre entier, pas en {amount.type}", e.amount.span)
        return model.DurationOf(amount, e.unit, DUREE, span=e.span)

    def x_AsOf(self, e: ast.AsOf, expected: Type | None) -> model.Expr:
        date = self.expr(e.date, DATE)
        if date.type.kind not in {"date", "any"}:
            self.fail("E310", f"« au » attend une date, pas un {date.type}", e.date.span)
        target = self.expr(e.operand, expected)
        if isinstance(target, (model.DefRef, model.TableCall)):
            kind = self.kind_of(target.name, target.origin)
            if kind == "rule":
                return self.fail("E306", f"« au » s'applique à un paramètre ou une table datés, « {target.name} » est une règle",
                                 e.span, "une règle se calcule avec les faits du cas ; retirez « au … »")
            return _with_date(target, date)
        if target is _ERROR:
            return target
        return self.fail("E306", "« au » s'applique au nom d'un paramètre ou d'une table", e.span)

    def kind_of(self, name: str, origin: str | None) -> str:
        if origin is None and name in self.local:
            return kind_of_declaration(self.local[name])
        if origin is None:
            return self.inherited[name].kind
        return self.parent.definitions[name].kind if self.parent else "rule"

    def x_TextOf(self, e: ast.TextOf, expected: Type | None) -> model.Expr:
        date = self.expr(e.date, DATE)
        if date.type.kind not in {"date", "any"}:
            self.fail("E310", f"« au » attend une date, pas un {date.type}", e.date.span)
        if not (e.name in self.local or e.name in self.inherited):
            return self.fail("E201", f"nom inconnu « {e.name} »", e.name_span,
                             suggest(e.name, list(self.local) + list(self.inherited)))
        if self.kind_of(e.name, None) == "rule":
            return self.fail("E306", "« texte de » s'applique à un paramètre ou une table, qui peuvent avoir des versions",
                             e.name_span)
        self.note_use(e.name, e.name_span)
        return model.TextOf(e.name, date, TEXTE, span=e.span)

    def x_InForce(self, e: ast.InForce, expected: Type | None) -> model.Expr:
        """`en vigueur au d`: `d >= début et d <= fin` with the header's bounds as written (a date, or
        the parameter named there, which the explanation then shows with its source)."""
        h = self.file.header
        self.reads_window = True
        if h.in_force_from is None and h.in_force_until is None:
            return self.fail("E314", "« en vigueur au » : ce fichier ne déclare pas de période de vigueur", e.span,
                             "déclarez-la en tête : en vigueur du 20/08/2019 au 30/04/2023 "
                             "(ou à partir du …, jusqu'au …)")

        if ((isinstance(h.in_force_from, str) and self.text.in_force_from is None)
                or (isinstance(h.in_force_until, str) and self.text.in_force_until is None)):
            return _ERROR  # a bound that names no date parameter: E311 is reported at the header

        def bound(value: dt.date | str, span: Span) -> ast.Expr:
            if isinstance(value, str):
                return ast.Name(value, span=span)
            return ast.Literal("date", value, span=span)

        written = [(op, value) for op, value in (("≥", h.in_force_from), ("≤", h.in_force_until)) if value is not None]
        spans = h.in_force_spans if len(h.in_force_spans) == len(written) else (e.span,) * len(written)
        tests = [ast.Compare(op, e.date, bound(value, span), span=e.span) for (op, value), span in zip(written, spans)]
        combined: ast.Expr = tests[0] if len(tests) == 1 else ast.Logical("et", tests[0], tests[1], span=e.span)
        checked = self.expr(combined, BOOLEEN)
        date = self.expr(e.date, DATE) if checked is _ERROR else None
        if date is not None and date.type.kind not in {"date", "any"}:
            self.fail("E310", f"« au » attend une date, pas un {date.type}", e.date.span)
        return checked

    def x_Marker(self, e: ast.Marker, expected: Type | None) -> model.Expr:
        if not e.reason.strip():
            self.fail("E308", "la raison est vide", e.span,
                      "dites en une phrase pourquoi : elle apparaît dans les explications et les courriers")
        return model.Marker(e.kind, e.reason, ANY, span=e.span)


class _Info:
    """The items of a block, sorted by kind."""

    def __init__(self) -> None:
        self.description: str | None = None
        self.question: str | None = None
        self.label: str | None = None
        self.unit: str | None = None
        self.citations: list[ast.Citation | ast.SourceRef] = []
        self.statuses: list[ast.Status] = []
        self.guard: ast.Guard | None = None
        self.valid_from: ast.Expr | None = None
        self.internal = False
        self.duplicates: dict[str, list[Span]] = {}


def _items(items: tuple[ast.Item, ...]) -> _Info:
    info = _Info()
    seen: dict[str, list[Span]] = {}
    for item in items:
        if isinstance(item, ast.Description):
            seen.setdefault("description", []).append(item.span)
            info.description = item.text
        elif isinstance(item, (ast.SourceRef, ast.Citation)):
            info.citations.append(item)
        elif isinstance(item, ast.Question):
            seen.setdefault("question", []).append(item.span)
            info.question = item.text
        elif isinstance(item, ast.LetterLabel):
            seen.setdefault("libellé", []).append(item.span)
            info.label = item.text
        elif isinstance(item, ast.Unit):
            seen.setdefault("unité", []).append(item.span)
            info.unit = item.text
        elif isinstance(item, ast.Status):
            info.statuses.append(item)
        elif isinstance(item, ast.Internal):
            seen.setdefault("interne", []).append(item.span)
            info.internal = True
        elif isinstance(item, ast.Guard):
            seen.setdefault("applicable si", []).append(item.span)
            info.guard = item
        elif isinstance(item, ast.ValidFrom):
            seen.setdefault("à partir du", []).append(item.span)
            info.valid_from = item.date
    info.duplicates = {k: v for k, v in seen.items() if len(v) > 1}
    return info


_SOURCE_FIELD_WORDS = {"publisher": "éditeur", "date": "date", "url": "lien"}


def _sources_hint(key: str, declared: dict[str, model.SourceDecl]) -> str:
    """What to do about a key that is close to no declared source."""
    if not declared:
        return f'déclarez la source avant de la citer : source {key} "Titre" éditeur "…" date … lien "…" fin'
    keys = sorted(declared)
    shown = ", ".join(keys[:8]) + (", …" if len(keys) > 8 else "")
    return f"sources déclarées : {shown} ; ou déclarez : source {key} \"Titre\" … fin"


def _free_text_hint(text: str, declared: dict[str, model.SourceDecl]) -> str:
    """Point a free-text citation at the declared key it starts with, if any."""
    words = re.findall(r"[^\W\d]\w*", text)
    if words and words[0] in declared:
        return f"écrivez « source {words[0]} » (la suite du texte peut venir en précision : source {words[0]} : \"…\")"
    return 'déclarez la source (source CLE "Titre" … fin) et citez-la par sa clé : source CLE : "précision"'


def _prefixes_hint(known: list[str]) -> str:
    """Which prefixes may cite an amended text, for a prefix that matches none."""
    if not known:
        return 'ce fichier ne modifie aucun texte : ajoutez en tête modifie "fichier.rules"'
    return "textes modifiés : " + ", ".join(f"« {k} »" for k in known)


def _replaces(decl: ast.Node) -> ast.Replaces | None:
    for item in getattr(decl, "items", ()):
        if isinstance(item, ast.Replaces):
            return item
    return None


def _article(kind: str) -> str:
    return {"parameter": "un paramètre", "rule": "une règle", "table": "une table", "fact": "un fait",
            "function": "une fonction"}[kind]



def _references(d: model.Definition) -> list[tuple[str, Span]]:
    """The names a definition reads in its own file's scope (not `fichier.nom` originals)."""
    found = [(n.name, n.span) for e in model.definition_exprs(d) for n in model.walk(e)
             if isinstance(n, (model.DefRef, model.TableCall, model.FuncCall, model.TextOf))
             and getattr(n, "origin", None) is None]
    found += [(n.set_name, n.span) for e in model.definition_exprs(d) for n in model.walk(e)
              if isinstance(n, model.Member) and n.set_name is not None]
    if d.guard is not None:
        found.append((d.guard.name, d.guard.span))
    return found


def _with_sets(definition: model.Definition, sets: dict[str, model.Definition]) -> model.Definition:
    """The definition with each `dans nom` of a replaced set testing the replacement's items."""
    import attrs

    def rewrite(node: object) -> object:
        if isinstance(node, tuple):
            new = tuple(rewrite(n) for n in node)
            return node if all(a is b for a, b in zip(new, node)) else new
        if not attrs.has(type(node)) or isinstance(node, (model.Citation, model.StatusInfo, model.TextInfo, Type)):
            return node
        changes = {}
        for f in attrs.fields(type(node)):
            if not f.init or f.name == "span":
                continue
            value = getattr(node, f.name)
            new = rewrite(value)
            if new is not value:
                changes[f.name] = new
        if isinstance(node, model.Member) and node.set_name in sets:
            latest = sets[node.set_name].latest
            changes.update(items=latest.body.value, set_sources=latest.sources)  # type: ignore[union-attr]
        return attrs.evolve(node, **changes) if changes else node

    return rewrite(definition)  # type: ignore[return-value]


def _plural_type(t: Type) -> str:
    """`énumération « specialite »` → `specialite` words; a base type by its French name."""
    return f"mots de « {t.name} »" if t.kind == "enum" else str(t)


def _date(d: dt.date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def _unit_phrase(unit: str) -> str:
    return {"centime": "au centime", "euro": "à l'euro", "entier": "à l'entier", "dizaine": "à la dizaine",
            "centaine": "à la centaine", "millier": "au millier"}[unit]


def _text(node: ast.Node) -> str:
    return getattr(node, "name", "") or str(getattr(node, "value", ""))


def _with_date(target: model.DefRef | model.TableCall, date: model.Expr) -> model.Expr:
    import attrs
    return attrs.evolve(target, date=date)
