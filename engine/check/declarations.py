"""Stage 2, declarations: the file's header, facts, types, sources and definitions.

Indexes the declared names, registers enumerations and sources, checks facts and their constraints,
replacements of inherited definitions, and builds each `model.Definition` (its versions, guard,
citations and statuses), typing formulas through `expressions` and grids through `grids`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

from engine.base.diagnostics import Label, suggest, warning
from engine.base.source import Span
from engine.check import bibliography, model
from engine.check import grids as tables
from engine.check.expressions import ExpressionChecks, literal_type
from engine.check.state import (
    ERROR,
    Info,
    article,
    block_items,
    french_date,
    kind_of_declaration,
    name_span,
    prefix_of,
    prefixes_hint,
)
from engine.lang.kinds import DeclarationKind, SourceFieldKind, TypeKind
from engine.lang.statuses import Status
from engine.lang.types import (
    BOOLEEN,
    Type,
    assignable,
    literal_hint,
    same,
)
from engine.syntax import ast


class DeclarationChecks(ExpressionChecks):
    """The passes over declarations, in the order `checker.Checker.run` calls them."""

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
            self.fail("E313", f"période de vigueur vide : elle finit le {french_date(until)}, avant de commencer le "
                              f"{french_date(start)}", h.in_force_span, "vérifiez l'ordre et l'année des deux dates")
        return model.TextInfo(self.source.name, self.prefix, h.title, h.text_short or h.title, h.text_long,
                              start, until, self.directory)

    def window_date(self, bound: dt.date | str | None) -> dt.date | None:
        """A bound of the header's period: a date as written, or the value of a date parameter named
        there (this file's or an inherited one), so that the window is written once, with its source."""
        if bound is None or isinstance(bound, dt.date):
            return bound
        decl = self.local.get(bound)
        if (isinstance(decl, ast.Parameter) and isinstance(decl.value, ast.Literal)
                and isinstance(decl.value.value, dt.date)):
            return decl.value.value
        inherited = self.inherited.get(bound)
        if (decl is None and inherited is not None and inherited.kind is DeclarationKind.PARAMETER
                and isinstance(inherited.latest.body, model.Const) and isinstance(inherited.latest.body.value, dt.date)
                and not inherited.dated):
            return inherited.latest.body.value
        dates = [n for n, d in self.local.items() if isinstance(d, ast.Parameter)]
        dates += [n for n, d in self.inherited.items()
                  if d.kind is DeclarationKind.PARAMETER and d.type.kind is TypeKind.DATE]
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
            publisher, url = fields.get(SourceFieldKind.PUBLISHER), fields.get(SourceFieldKind.URL)
            self.bibliography[key] = bibliography.SourceDecl(
                key, (decl.title or "").strip(), publisher if isinstance(publisher, str) else None,
                fields.get(SourceFieldKind.DATE), url if isinstance(url, str) else None, self.text.short,
                span=decl.name_span)

    def source_fields(self, decl: ast.SourceDecl) -> dict[SourceFieldKind, str | dt.date]:
        """The publisher, date and URL of a source declaration, each written at most once (E109)."""
        fields: dict[SourceFieldKind, str | dt.date] = {}
        first: dict[SourceFieldKind, Span] = {}
        for item in decl.fields:
            if item.kind in first:
                self.fail("E109", f"« {item.kind.label} » est écrit deux fois", item.span,
                          labels=(Label(first[item.kind], "première occurrence"),))
                continue
            first[item.kind] = item.span
            fields[item.kind] = item.value
        return fields

    def citations(self, info: Info) -> tuple[bibliography.Citation, ...]:
        """The citations of a block, each resolved to its declared source (E208, W106)."""
        found = []
        for item in info.citations:
            if isinstance(item, ast.SourceRef):
                self.report(warning("W106", "citation en texte libre : elle ne renvoie à aucune source déclarée",
                                    item.span, _free_text_hint(item.text, self.bibliography)))
                found.append(bibliography.Citation(None, item.text, span=item.span))
                continue
            declared = self.bibliography.get(item.key)
            if declared is None:
                self.fail("E208", f"source inconnue « {item.key} »", item.key_span,
                          suggest(item.key, self.bibliography) or _sources_hint(item.key, self.bibliography))
                continue
            self.cited.add(item.key)
            found.append(bibliography.Citation(declared, item.detail, span=item.span))
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
        if isinstance(decl.type, ast.EnumType) and inherited.type.kind is TypeKind.ENUM:
            # the same words written again make a new enumeration, named after this declaration
            hint = (f"pour reprendre l'énumération héritée, nommez son type : « fait {decl.name} : "
                    f"{inherited.type.name} »")
        self.fail("E603", f"le fait « {decl.name} » est déjà déclaré par le texte modifié, avec le type "
                          f"{inherited.type}",
                  decl.span, hint, (Label(inherited.span, "déclaration d'origine"),))
        return False

    def register_enums(self) -> None:
        """Enumeration types are named after the fact or rule that declares them."""
        for name, fact in self.facts.items():
            if fact.type.kind is TypeKind.ENUM:
                self.enums[name] = fact.type
        for name, d in self.inherited.items():
            if d.type.kind is TypeKind.ENUM and not self.is_set(name):  # a set of words names no type
                self.enums[name] = d.type
        for decl in list(self.local_facts.values()) + list(self.local.values()):
            type_expr = getattr(decl, "type", None)
            if isinstance(type_expr, ast.EnumType):
                self.enums[decl.name] = self.enum_type(decl.name, type_expr)

    def check_facts(self) -> None:
        for name, fact in self.local_facts.items():
            t = self.resolve_type(fact.type, name)
            info = block_items(fact.items)
            self.report_misplaced(fact, info)
            low: model.Ordered | None = None
            high: model.Ordered | None = None
            allowed: tuple[object, ...] | None = None
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

    def constant(self, expr: ast.Expr, expected: Type) -> model.Ordered | None:
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
                          suggest(replaced.prefix, known) or prefixes_hint(known))
                continue
            if replaced.name not in self.inherited:
                self.fail("E601", f"« {replaced.prefix}.{replaced.name} » n'existe pas : rien à "
                                  "remplacer", replaced.span,
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
                self.fail("E602", f"« {name} » était {article(old.kind)} et ne peut pas devenir "
                                  f"{article(kind_of_declaration(decl))}",
                          decl.span, labels=(Label(old.span, "définition remplacée"),))
            elif not same(old.type, new_type) and new_type.kind is not TypeKind.ANY:
                self.fail("E602", f"le remplacement change le type de « {name} » : {old.type} devient {new_type}",
                          decl.span, "un remplacement garde le type de la définition qu'il remplace",
                          (Label(old.span, "définition remplacée"),))
            elif (old.kind in {DeclarationKind.TABLE, DeclarationKind.FUNCTION}
                  and [p.type for p in old.params] != new_params):
                self.fail("E602", f"le remplacement change les paramètres de « {name} »", decl.span,
                          "gardez le même nombre de paramètres, avec les mêmes types",
                          (Label(old.span, "définition remplacée"),))

    # ── pass 4: definitions ──
    def definition(self, decl: ast.Parameter | ast.Rule | ast.Function | ast.Table) -> model.Definition:
        name = decl.name
        self.current = name
        self.deps[name] = []
        info = block_items(decl.items)
        self.report_misplaced(decl, info)
        t = self.type_of(name)
        statuses = tuple(model.StatusInfo(s.kind, s.note, span=s.span) for s in info.statuses)
        sources = self.citations(info)
        replaced = _replaces(decl)
        old = self.inherited.get(name) if replaced else None
        start = self.date_constant(info.valid_from) if info.valid_from is not None else None
        guard = None
        versions: tuple[model.Version, ...]
        if isinstance(decl, (ast.Rule, ast.Function)):
            params_scope = {p.name: self.resolve_type(p.type, p.name) for p in getattr(decl, "params", ())}
            self.scope = params_scope
            versions = (model.Version(None, self.body(decl.formula, t), self.text, sources, statuses, span=decl.span),)
            self.scope = {}
            guard = self.guard(info.guard)  # a fact or a rule, never a parameter: guards are looked up by name
            kind = DeclarationKind.RULE if isinstance(decl, ast.Rule) else DeclarationKind.FUNCTION
        elif isinstance(decl, ast.Parameter):
            versions = self.parameter_versions(decl, t, sources, statuses)
            kind = DeclarationKind.PARAMETER
        else:
            versions = self.table_versions(decl, t, sources, statuses, start)
            kind = DeclarationKind.TABLE
        if old is not None and start is not None:
            versions = tuple(v for v in old.versions if v.start is None or v.start < start) + versions
        params: tuple[model.Param, ...] = ()
        if isinstance(decl, (ast.Table, ast.Function)):
            params = tuple(model.Param(p.name, self.resolve_type(p.type, p.name), span=p.span) for p in decl.params)
        is_output = (isinstance(decl, ast.Rule) and decl.is_output) or bool(old and old.is_output)
        if isinstance(decl, ast.Rule) and not decl.is_output and old is not None and old.is_output:
            self.report(warning("W114", f"« {name} » remplace un résultat : il reste un résultat, même écrit « règle »",
                                name_span(decl), f"écrivez « résultat {name} » ; pour le retirer des résultats, "
                                                 f"abrogez-le (abroge {name}) et définissez une autre règle"))
        self.current = None
        return model.Definition(name, kind, t, versions, is_output, info.description, guard, params,
                                f"{replaced.prefix}.{name}" if replaced else None,
                                info.unit or (old.unit if old else None),
                                internal=info.internal or bool(old and old.internal), uid=self.uid(name),
                                span=decl.span)

    def report_misplaced(self, decl: ast.Node, info: Info) -> None:
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
        if ref.type.kind not in {TypeKind.BOOLEEN, TypeKind.ANY}:
            self.fail("E304", f"« applicable si » attend une condition (booléen), « {guard.name} » est un {ref.type}",
                      guard.name_span)
        return model.GuardInfo(guard.name, guard.reason, span=guard.name_span)

    def parameter_versions(self, decl: ast.Parameter, t: Type, sources: tuple[bibliography.Citation, ...],
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
            return (model.Version(None, ERROR, self.text, sources, statuses, span=decl.span),)
        return self.sorted_versions(versions)

    def sorted_versions(self, versions: list[model.Version]) -> tuple[model.Version, ...]:
        ordered_versions = sorted(versions, key=lambda v: v.start or dt.date.min)
        for a, b in itertools.pairwise(ordered_versions):
            if a.start == b.start:
                self.fail("E505", "deux valeurs commencent à la même date", b.span,
                          labels=(Label(a.span, "autre valeur"),))
        return tuple(ordered_versions)

    def table_versions(self, decl: ast.Table, t: Type, sources: tuple[bibliography.Citation, ...],
                       statuses: tuple[model.StatusInfo, ...], start: dt.date | None) -> tuple[model.Version, ...]:
        key_types = tuple(self.resolve_type(p.type, p.name) for p in decl.params)
        rows = [i for i in decl.items if isinstance(i, ast.Row)]
        grid = tables.build_grid(decl, rows, key_types, t, self.expr, self.report)
        body: model.Expr | model.Grid = grid if grid is not None else ERROR
        return (model.Version(start, body, self.text, sources, statuses, span=decl.span),)

    def date_constant(self, expr: ast.Expr) -> dt.date | None:
        """A date written in a version clause: a literal, or a parameter holding one."""
        if isinstance(expr, ast.Literal) and isinstance(expr.value, dt.date):
            return expr.value
        if isinstance(expr, ast.Name):
            target = self.definitions.get(expr.name) or self.inherited.get(expr.name)
            decl = self.local.get(expr.name)
            if isinstance(decl, ast.Parameter) and isinstance(decl.value, ast.Literal) \
                    and isinstance(decl.value.value, dt.date):
                self.used.add(expr.name)
                return decl.value.value
            if target is not None and isinstance(target.latest.body, model.Const) \
                    and isinstance(target.latest.body.value, dt.date):
                self.used.add(expr.name)
                return target.latest.body.value
        self.fail("E311", "une date de version doit être une date écrite (jj/mm/aaaa) ou un paramètre date",
                  expr.span)
        return None




def _sources_hint(key: str, declared: dict[str, bibliography.SourceDecl]) -> str:
    """What to do about a key that is close to no declared source."""
    if not declared:
        return f'déclarez la source avant de la citer : source {key} "Titre" éditeur "…" date … lien "…" fin'
    keys = sorted(declared)
    shown = ", ".join(keys[:8]) + (", …" if len(keys) > 8 else "")
    return f"sources déclarées : {shown} ; ou déclarez : source {key} \"Titre\" … fin"


def _free_text_hint(text: str, declared: dict[str, bibliography.SourceDecl]) -> str:
    """Point a free-text citation at the declared key it starts with, if any."""
    words = re.findall(r"[^\W\d]\w*", text)
    if words and words[0] in declared:
        return f"écrivez « source {words[0]} » (la suite du texte peut venir en précision : source {words[0]} : \"…\")"
    return 'déclarez la source (source CLE "Titre" … fin) et citez-la par sa clé : source CLE : "précision"'


def _replaces(decl: ast.Node) -> ast.Replaces | None:
    for item in getattr(decl, "items", ()):
        if isinstance(item, ast.Replaces):
            return item
    return None
