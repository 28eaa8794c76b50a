"""Stage 2, amendments between texts: reuse (`reprend`), withdrawal (`abroge`), `précise`, replaced sets.

What an amending file does to the definitions it inherits, once its own declarations are checked:
definitions taken from other texts and the names they read (E609), withdrawn definitions and their
readers (E610), metadata changes of inherited definitions (E608), and named sets re-inlined into
the inherited rules when a file replaces them.
"""

from __future__ import annotations

import attrs

from engine.base.diagnostics import Label, suggest
from engine.base.source import Span
from engine.check import bibliography, model
from engine.check.declarations import DeclarationChecks
from engine.check.state import article, block_items, name_span, prefixes_hint
from engine.lang.types import (
    Type,
    same,
)
from engine.syntax import ast


class AmendmentChecks(DeclarationChecks):
    """The passes that relate this file's definitions to the inherited ones."""

    def take_reused(self) -> None:
        """`reprend a de "f.rules"`: a's definition in f's program joins this one, as an inherited
        definition would (so every reference resolves to it); one that has a name of the amended file
        replaces it, with the same kind and type. Its own references are checked by `check_reused`."""
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
            for name, span in zip(decl.names, decl.name_spans, strict=True):
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
                        self.fail("E602", f"« {name} » repris de « {decl.file} » remplacerait {article(old.kind)} "
                                          f"{old.type} par {article(found.kind)} {found.type}", span,
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
                return (f"le fait « {node.name} », que ce fichier ne déclare pas",
                        f"déclarez-le : fait {node.name} : … fin")
            if not same(fact.type, node.type):
                return (f"le fait « {node.name} » comme un {node.type}, ici un {fact.type}",
                        "déclarez-le avec le même type")
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
            for name, span in zip(decl.names, decl.name_spans, strict=True):
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
                          suggest(decl.prefix, known) or prefixes_hint(known))
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
            self.definitions[name] = self.amended(decl, self.inherited[name])

    def amended(self, decl: ast.Amend, old: model.Definition) -> model.Definition:
        info = block_items(decl.items)
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
        whose items were inlined when the amended file was checked, get this file's items. So do the
        inherited rules this file `précise` (their formula is the inherited one)."""
        sets = {n: d for n, d in self.definitions.items() if d.is_set and n in self.inherited}
        if not sets:
            return
        self.inherited = {n: _with_sets(d, sets) for n, d in self.inherited.items()}
        self.originals = {k: _with_sets(d, sets) for k, d in self.originals.items()}
        amended = self.amended_names()
        self.definitions = {n: _with_sets(d, sets) if n in amended else d for n, d in self.definitions.items()}


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


_evolve = attrs.evolve
"""`attrs.evolve` by its generic signature: `_with_sets` rewrites nodes of many attrs classes, known
only as `object` once `attrs.has` has accepted their class."""


def _with_sets(definition: model.Definition, sets: dict[str, model.Definition]) -> model.Definition:
    """The definition with each `dans nom` of a replaced set testing the replacement's items."""

    def rewrite(node: object) -> object:
        if isinstance(node, tuple):
            new = tuple(rewrite(n) for n in node)
            return node if all(a is b for a, b in zip(new, node, strict=True)) else new
        cls = type(node)
        if not attrs.has(cls) or isinstance(node, (bibliography.Citation, model.StatusInfo, model.TextInfo, Type)):
            return node
        changes: dict[str, object] = {}
        for f in attrs.fields(cls):
            if not f.init or f.name == "span":
                continue
            value = getattr(node, f.name)
            rewritten_value = rewrite(value)
            if rewritten_value is not value:
                changes[f.name] = rewritten_value
        if isinstance(node, model.Member) and node.set_name in sets:
            latest = sets[node.set_name].latest
            assert isinstance(latest.body, model.Const) and isinstance(latest.body.value, tuple)  # a set parameter
            changes.update(items=latest.body.value, set_sources=latest.sources)
        return _evolve(node, **changes) if changes else node

    rewritten = rewrite(definition)
    assert isinstance(rewritten, model.Definition)
    return rewritten
