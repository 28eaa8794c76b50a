"""A static HTML site documenting a rule file: checked program (+ its AST) → one page per definition.

`build_site(path, directory)` loads a rule file (and the files it amends), then writes:

- `index.html`: the text encoded, its period, the file it amends, and every definition by kind
  (results, rules, functions, tables, parameters, facts) with its description and status;
- one page per definition (`def-NOM.html`): citations, description, value type, status flags
  (à confirmer, choix de modélisation) highlighted, the definition as formatted by `engine.syntax.fmt`
  with a link on every name it uses, tables as HTML tables (every dated version), the definitions
  and facts it uses and the definitions that use it; for a definition that replaces one of the
  amended file, the old and the new text side by side;
- one page per fact (`fait-NOM.html`): type, allowed values, question, who reads it;
- one page per replaced definition of an amended file (`ancien-FICHIER-NOM.html`);
- `exemples.html`: the examples written in the file, facts and expected results;
- `sources.html`: every declared source (title linked to its address, publisher, date), one anchor
  per key, with the definitions that cite it; citations elsewhere link to it.

Pages are standalone (inline CSS, no script), in French, and written for accessibility: language,
landmarks, skip link, headings in order, tables with captions and header scopes, statuses in words
and not only in colour.

The markup lives in Jinja templates (`engine/tools/templates/docsite/`, autoescaped, one base layout);
this module only builds what they show, as plain view objects (`engine.tools.docsite_views`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs
import jinja2

from engine import api
from engine.check import bibliography, model
from engine.check.loader import load_path
from engine.explain.doc_pages import SOURCES_PAGE, fact_page, href, original_page, page_name
from engine.lang import formatting
from engine.lang.kinds import DeclarationKind, TypeKind
from engine.lang.statuses import Status
from engine.lang.types import Type
from engine.syntax import ast
from engine.syntax.build import parse_file
from engine.syntax.fmt import format_declaration
from engine.syntax.highlight import tokens
from engine.tools.docsite_views import (
    Allowed,
    Badge,
    Cell,
    CitationView,
    Code,
    Comparison,
    EnumValue,
    GridView,
    Item,
    Link,
    Param,
    Piece,
    Sheet,
    SourceView,
    StatusView,
    TypeView,
    VersionRow,
)
from engine.tools.examples import describe_expectation

_KIND_WORDS = {"rule": "Règle", "output": "Résultat", "function": "Fonction", "table": "Table",
               "parameter": "Paramètre"}
_SECTIONS = (("output", "Résultats"), ("rule", "Règles intermédiaires"), ("function", "Fonctions"),
             ("table", "Tables"), ("parameter", "Paramètres"))
_STATUS_CSS = {Status.TO_CONFIRM: "a-confirmer", Status.MODELLING_CHOICE: "choix", Status.IGNORED: "ignore"}

_TEMPLATES = Path(__file__).parent / "templates" / "docsite"
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                          keep_trailing_newline=True)
"""Autoescaped: every name, description and citation comes from a rule file."""


def build_site(path: str | Path, directory: str | Path) -> list[Path]:
    """Write the site of a rule file into `directory`; return the pages written.

    Raises:
        RulesError: the rule file (or a file it amends) cannot be loaded.
        OSError: the directory cannot be written.
    """
    site = Site(api.load(path))
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, page in site.pages():
        target = out / name
        target.write_text(page, encoding="utf-8")
        written.append(target)
    return written


def _plain(text: str) -> str:
    return text.replace("\u202f", "\u00a0")


class Site:
    """The pages of one rule file's site."""

    def __init__(self, ruleset: api.Ruleset) -> None:
        self.ruleset = ruleset
        self.program = ruleset.program
        self.text = self.program.text
        self.asts = {t.prefix: _declarations(self.program, t) for t in self.program.texts}
        self.parents = {t.prefix: _program_of(t) for t in self.program.texts[:-1]}
        self.uses = {name: _uses(d) for name, d in self.program.definitions.items()}
        self.used_by: dict[str, list[str]] = {}
        self.fact_readers: dict[str, list[str]] = {}
        for name, (defs, facts) in self.uses.items():
            for used in defs:
                self.used_by.setdefault(used, []).append(name)
            for fact in facts:
                self.fact_readers.setdefault(fact, []).append(name)
        self.originals = self._originals()

    def _originals(self) -> dict[tuple[str, str], model.Definition]:
        """Definitions of amended files that this file replaces or cites as `fichier.nom`."""
        found = dict(self.program.originals)
        for d in self.program.definitions.values():
            if d.replaces:
                prefix, _, name = d.replaces.partition(".")
                parent = self.parents.get(prefix)
                if parent is not None and name in parent.definitions:
                    found.setdefault((prefix, name), parent.definitions[name])
        return found

    # ── pages ──
    def pages(self) -> Iterator[tuple[str, str]]:
        yield "index.html", self.index()
        for name, definition in self.program.definitions.items():
            yield page_name(name), self.definition_page(definition)
        for name, fact in self.program.facts.items():
            yield fact_page(name), self.fact_page(fact)
        for (prefix, name), definition in self.originals.items():
            yield original_page(prefix, name), self.original_page(prefix, definition)
        yield "exemples.html", self.examples_page()
        yield SOURCES_PAGE, self.sources_page()

    def render(self, template: str, title: str, crumbs: tuple[tuple[str, str], ...] = (),
               **context: object) -> str:
        """A page: `template` in the base layout, with its title and breadcrumb (home, then `crumbs`,
        the last one the current page)."""
        trail = [("index.html", "Accueil"), *crumbs]
        links = [Link(label, href(page)) for page, label in trail[:-1] or trail]
        current = trail[-1][1] if crumbs else None
        site = {"short": self.text.short, "file": self.text.file}
        return _ENV.get_template(template).render(title=title, trail=links, current=current, site=site, **context)

    def sources_page(self) -> str:
        """Every source the files declare: title with its link, publisher, date, and who cites it."""
        citing: dict[str, list[str]] = {}
        for name, d in self.program.definitions.items():
            for key in _keys(c for v in d.versions for c in v.sources):
                citing.setdefault(key, []).append(name)
        for name, fact in self.program.facts.items():
            for key in _keys(fact.sources):
                citing.setdefault(key, []).append(f"fait:{name}")
        declared = sorted(self.program.bibliography.values(), key=lambda s: s.key)
        sources = [{"source": _source_view(s), "users": self._items(citing.get(s.key, []))} for s in declared]
        return self.render("sources.html.j2", "Sources citées", ((SOURCES_PAGE, "Sources"),), sources=sources)

    def index(self) -> str:
        t = self.text
        replacing = self._replacing()
        toc = [*((k, label) for k, label in _SECTIONS if self._of_kind(k)), ("faits", "Faits"),
               *([("remplacements", "Ce que ce texte remplace")] if replacing else []), ("exemples", "Exemples")]
        sections = [{"key": key, "label": label, "entries": [self._index_item(n) for n in self._of_kind(key)]}
                    for key, label in _SECTIONS if self._of_kind(key)]
        facts = [{"link": self._name_link(name), "type": str(fact.type), "detail": fact.description}
                 for name, fact in self.program.facts.items()]
        replaced = []
        for d in replacing:
            prefix, _, name = str(d.replaces).partition(".")
            replaced.append({"new": Link(d.name, href(page_name(d.name), "remplace")),
                             "old": Link(str(d.replaces), href(original_page(prefix, name)))})
        return self.render("index.html.j2", t.title, text=t, period=_period(t), amended=self.program.texts[:-1],
                           toc=toc, sources_page=SOURCES_PAGE, sections=sections, facts=facts,
                           replacing=replaced, examples=len(self.program.examples),
                           headline=self._name_link(self.program.headline) if self.program.headline else None,
                           breakdown=[Link(n, href(fact_page(n))) for n in self.program.breakdown])

    def _of_kind(self, key: str) -> list[str]:
        found = []
        for name, d in self.program.definitions.items():
            kind = "output" if d.kind == DeclarationKind.RULE and d.is_output else d.kind
            if kind == key:
                found.append(name)
        return found

    def _replacing(self) -> list[model.Definition]:
        return [d for d in self.program.definitions.values()
                if d.replaces and d.latest.text.prefix == self.text.prefix]

    def _index_item(self, name: str) -> dict[str, object]:
        d = self.program.definitions[name]
        origin = None if d.latest.text.prefix == self.text.prefix else d.latest.text.short
        return {"link": self._name_link(name), "origin": origin, "badges": [_badge(s.kind) for s in _statuses(d)],
                "internal": d.internal, "detail": d.description}

    # ── a definition ──
    def definition_page(self, d: model.Definition) -> str:
        kind = "output" if d.kind == DeclarationKind.RULE and d.is_output else d.kind
        defs, facts = self.uses.get(d.name, ((), ()))
        titles = [(i + 1, case.title) for i, case in enumerate(self.program.examples)
                  if any(e.name == d.name for e in case.expected)]
        return self.render("definition.html.j2", f"{_KIND_WORDS[kind]} {d.name}", ((page_name(d.name), d.name),),
                           kind=_KIND_WORDS[kind], name=d.name,
                           sheet=self._sheet(d, d.latest.text, self._ast(d.latest.text.prefix, d.name)),
                           comparison=self._comparison(d) if d.replaces else None,
                           uses=self._items(defs), facts=self._items([f"fait:{f}" for f in facts]),
                           users=self._items(self.used_by.get(d.name, [])),
                           examples=titles[:30], more=max(len(titles) - 30, 0))

    def original_page(self, prefix: str, d: model.Definition) -> str:
        text = next(t for t in self.program.texts if t.prefix == prefix)
        kind = "output" if d.kind == DeclarationKind.RULE and d.is_output else d.kind
        current = self.program.definitions.get(d.name)
        replaced = current is not None and current.replaces == f"{prefix}.{d.name}"
        users = [n for n, (defs, _) in self.uses.items() if f"{prefix}.{d.name}" in defs]
        return self.render("original.html.j2", f"{prefix}.{d.name}",
                           ((original_page(prefix, d.name), f"{prefix}.{d.name}"),),
                           kind=_KIND_WORDS[kind], prefix=prefix, name=d.name, text=text,
                           replaced_in=current.latest.text.short if current is not None and replaced else None,
                           replacement=Link(d.name, href(page_name(d.name))),
                           sheet=self._sheet(d, text, self._ast(prefix, d.name)), users=self._items(users))

    def _sheet(self, d: model.Definition, text: model.TextInfo, decl: ast.Declaration | None) -> Sheet:
        """What the pages of a definition show of it, from its statuses to its formatted text."""
        grids: list[GridView] = []
        versions: list[VersionRow] = []
        if d.kind == DeclarationKind.TABLE:
            grids = [_grid(d, v, i) for i, v in enumerate(d.versions) if isinstance(v.body, model.Grid)]
        elif len(d.versions) > 1:
            versions = [VersionRow(_version_start(v), _inline(v.body), v.text.short) for v in d.versions]
        return Sheet(
            statuses=tuple(StatusView(_badge(s.kind), s.note) for s in _statuses(d)), description=d.description,
            is_set=d.is_set, type=self._type(d.type),
            params_label="Clés" if d.kind == DeclarationKind.TABLE else "Paramètres",
            params=tuple(Param(p.name, self._type(p.type, short=True)) for p in d.params),
            citations=_citations([s for v in d.versions for s in v.sources]),
            text_short=text.short, text_file=text.file, reused_from=d.reused_from, amended_by=d.amended_by,
            unit=d.unit, guard=self._name_link(d.guard.name) if d.guard is not None else None,
            guard_reason=d.guard.reason if d.guard is not None else None, is_output=d.is_output,
            internal=d.internal, grids=tuple(grids), versions=tuple(versions),
            code_label="Définition" if d.kind != DeclarationKind.TABLE else "Texte de la table",
            code=self._code(format_declaration(decl)) if decl is not None else None)

    def _comparison(self, d: model.Definition) -> Comparison:
        prefix, _, name = str(d.replaces).partition(".")
        old_text = next((t for t in self.program.texts if t.prefix == prefix), None)
        old_decl = self._ast(prefix, name)
        new_decl = self._ast(d.latest.text.prefix, d.name)
        return Comparison(old=Link(str(d.replaces), href(original_page(prefix, name))),
                          old_label=old_text.short if old_text else prefix, new_label=d.latest.text.short,
                          old_code=self._code(format_declaration(old_decl)) if old_decl else None,
                          new_code=self._code(format_declaration(new_decl)) if new_decl else None)

    # ── a fact ──
    def fact_page(self, fact: model.FactDecl) -> str:
        return self.render("fact.html.j2", f"Fait {fact.name}", ((fact_page(fact.name), fact.name),),
                           fact=fact, ignored=_badge(Status.IGNORED), type=self._type(fact.type),
                           allowed=_allowed(fact), citations=_citations(list(fact.sources)),
                           readers=self._items(self.fact_readers.get(fact.name, [])))

    # ── examples ──
    def examples_page(self) -> str:
        cases = [{"title": case.title, "file": case.file,
                  "given": [(self._name_link(n), _plain(_show(self.program, n, v))) for n, v in case.facts.items()],
                  "expected": [(self._name_link(e.name), _plain(_expectation(self.program, e)))
                               for e in case.expected]}
                 for case in self.program.examples]
        return self.render("examples.html.j2", "Exemples", (("exemples.html", "Exemples"),), cases=cases)

    # ── helpers ──
    def _ast(self, prefix: str, name: str) -> ast.Declaration | None:
        return self.asts.get(prefix, {}).get(name)

    def _type(self, t: Type, short: bool = False) -> TypeView:
        if t.kind == TypeKind.ENUM and short:
            return TypeView(str(t), link=self._name_link(str(t.name)))
        if t.kind == TypeKind.ENUM:
            return TypeView(str(t), enum=str(t.name),
                            values=tuple(EnumValue(v, t.label(v) if t.label(v) != v else None) for v in t.values))
        return TypeView(str(t))

    def _name_link(self, name: str) -> Link:
        if name in self.program.definitions:
            return Link(name, href(page_name(name)))
        if name in self.program.facts:
            return Link(name, href(fact_page(name)))
        return Link(name)

    def _items(self, names: Sequence[str]) -> list[Item]:
        """The entries of a list of names: `fait:NOM` for a fact, `fichier.nom` for an amended file's
        definition, else a definition with its description."""
        items = []
        for name in dict.fromkeys(names):
            if name.startswith("fait:"):
                items.append(Item(self._name_link(name[5:])))
            elif "." in name:
                prefix, _, base = name.partition(".")
                items.append(Item(Link(name, href(original_page(prefix, base)))))
            else:
                d = self.program.definitions.get(name)
                items.append(Item(self._name_link(name), d.description if d is not None else None))
        return items

    def _code(self, text: str) -> Code:
        """Formatted rule text cut into pieces coloured by the editors' TextMate grammar
        (engine.syntax.highlight), with a link on every name that has a page."""
        return tuple(self._code_line(line) for line in text.split("\n"))

    def _code_line(self, line: str) -> tuple[Piece, ...]:
        out: list[Piece] = []
        last = 0
        pieces = tokens(line)
        i = 0
        while i < len(pieces):
            start, end, scope = pieces[i]
            i += 1
            if start < last:
                continue
            out.append(Piece(line[last:start]))
            if scope.startswith("entity.name.namespace") and i + 1 < len(pieces):  # `texte.nom`, one link
                end = pieces[i + 1][1]
                i += 2
                out.append(self._token_link(line[start:end]))
            elif scope.startswith(("variable", "entity.name")):
                out.append(self._token_link(line[start:end]))
            elif scope.startswith("punctuation"):
                out.append(Piece(line[start:end]))
            else:
                out.append(Piece(line[start:end], css=_css_class(scope)))
            last = end
        out.append(Piece(line[last:]))
        return tuple(p for p in out if p.text)

    def _token_link(self, token: str) -> Piece:
        if "." in token:
            prefix, _, name = token.partition(".")
            if (prefix, name) in self.originals:
                return Piece(token, href(original_page(prefix, name)))
            return Piece(token)
        if token in self.program.definitions:
            return Piece(token, href(page_name(token)))
        if token in self.program.facts:
            return Piece(token, href(fact_page(token)))
        if token in self.program.bibliography:
            return Piece(token, href(SOURCES_PAGE, token))
        return Piece(token)


# ─── Module helpers ──────────────────────────────────────────────────────────────────────────

_CSS_CLASS = {"string": "chaine", "comment": "commentaire"}


def _css_class(scope: str) -> str:
    """The class of a scoped piece of rule text: `chaine` and `commentaire` as before, else the scope
    with dashes (`keyword-control`, `constant-numeric`…), its `.regles` suffix dropped."""
    return _CSS_CLASS.get(scope.split(".")[0]) or scope.removesuffix(".regles").replace(".", "-")


def _declarations(program: model.Program, text: model.TextInfo) -> dict[str, ast.Declaration]:
    source = program.sources.get(text.file)
    if source is None:
        return {}
    rule_file = parse_file(source)
    assert rule_file is not None  # the program was built from this very source
    return {d.name: d for d in rule_file.declarations
            if hasattr(d, "name") and not isinstance(d, ast.SourceDecl)}


def _program_of(text: model.TextInfo) -> model.Program | None:
    """The program of an amended file alone, to show the definitions this file replaced."""
    if text.directory is None:
        return None
    return load_path(Path(text.directory) / Path(text.file).name)


def _keys(citations: Iterator[bibliography.Citation] | Sequence[bibliography.Citation]) -> list[str]:
    """The keys of the declared sources cited, each once, in order (free-text citations have none)."""
    return list(dict.fromkeys(c.key for c in citations if c.key))


def _source_view(s: bibliography.SourceDecl) -> SourceView:
    return SourceView(s.key, s.title, s.url, tuple(s.fields()), s.text)


def _citations(citations: Sequence[bibliography.Citation]) -> tuple[CitationView, ...]:
    """The citations of a definition's or a fact's sheet, each once: the title with its link,
    publisher and date, the precision, and the key's entry on the sources page."""
    views = []
    for c in dict.fromkeys(citations):
        s = c.source
        if s is None:
            views.append(CitationView(str(c)))
        else:  # str(s)[len(title):] is " (éditeur, date)", as the text explanations write it
            views.append(CitationView(str(c), _source_view(s), str(s)[len(s.title):], c.detail,
                                      href(SOURCES_PAGE, s.key)))
    return tuple(views)


def _grid(d: model.Definition, version: model.Version, index: int) -> GridView:
    """One dated version of a table, with its caption (which text, from when, whether in force)."""
    grid = version.body
    assert isinstance(grid, model.Grid)
    caption = f"{d.name} — {version.text.short}"
    if version.start is not None:
        caption += f", à partir du {formatting.date_short(version.start)}"
    if index == len(d.versions) - 1 and len(d.versions) > 1:
        caption += " (version en vigueur)"
    keys = d.params
    if grid.columns is not None:
        corner = f"{keys[0].name} \\ {keys[1].name}" if len(keys) > 1 else keys[0].name
        head = (corner, *(c.text for c in grid.columns))
    else:
        head = (keys[0].name, d.name)
    rows = tuple((key.text, tuple(_cell(c) for c in cells)) for key, cells in zip(grid.rows, grid.cells, strict=True))
    return GridView(caption, head, rows)


def _cell(cell: model.CellInfo) -> Cell:
    """A table cell; short values stay on one line, a status flag is added as a badge."""
    text = cell.value_text
    return Cell(_plain(text), len(text) < 24, _badge(cell.status.kind) if cell.status else None)


def _inline(body: model.Expr | model.Grid) -> str:
    """A successive value in the versions table: a constant shown in French, else an ellipsis."""
    if isinstance(body, model.Const):
        return _plain(formatting.value(body.value, body.type))
    return "…"


def _statuses(d: model.Definition) -> list[model.StatusInfo]:
    """A definition's statuses over all its versions, each (kind, note) once."""
    found: dict[tuple[str, str | None], model.StatusInfo] = {}
    for version in d.versions:
        for s in version.statuses:
            found.setdefault((s.kind, s.note), s)
    return list(found.values())


def _badge(kind: Status) -> Badge:
    """A status in words, with its CSS class (never shown by colour alone)."""
    return Badge(kind.heading, _STATUS_CSS[kind])


def _uses(d: model.Definition) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The definitions (`nom` or `fichier.nom`) and facts a definition reads, in order of appearance."""
    defs: dict[str, None] = {}
    facts: dict[str, None] = {}
    if d.guard is not None:
        defs[d.guard.name] = None
    for version in d.versions:
        body = version.body
        roots = [c.expr for row in body.cells for c in row] if isinstance(body, model.Grid) else [body]
        for root in roots:
            for node in _walk(root):
                if isinstance(node, (model.DefRef, model.TableCall, model.FuncCall)):
                    defs[node.name if node.origin is None else f"{node.origin}.{node.name}"] = None
                elif isinstance(node, model.TextOf):
                    defs[node.name] = None
                elif isinstance(node, model.Member) and node.set_name is not None:
                    defs[node.set_name] = None
                elif isinstance(node, model.FactRef):
                    facts[node.name] = None
    defs.pop(d.name, None)
    return tuple(defs), tuple(facts)


def _walk(expr: model.Node) -> Iterator[model.Node]:
    """Every model node below an expression (the attrs fields that hold nodes or tuples of nodes)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        for field in attrs.fields(type(node)):
            value = getattr(node, field.name)
            if isinstance(value, model.Node):
                stack.append(value)
            elif isinstance(value, tuple):
                stack.extend(v for v in value if isinstance(v, model.Node))


def _period(t: model.TextInfo) -> str:
    start = formatting.date_long(t.in_force_from) if t.in_force_from else None
    end = formatting.date_long(t.in_force_until) if t.in_force_until else None
    if start and end:
        return _plain(f"du {start} au {end}")
    if start:
        return _plain(f"à partir du {start}")
    if end:
        return _plain(f"jusqu'au {end}")
    return "non précisé"


def _version_start(v: model.Version) -> str:
    return formatting.date_short(v.start) if v.start else "l'origine"


def _allowed(fact: model.FactDecl) -> Allowed | None:
    """The values a fact accepts, as listed or as bounds; None when any value of its type goes."""
    if fact.allowed is not None:
        return Allowed(values=tuple(_plain(formatting.value(v, fact.type)) for v in fact.allowed))
    if fact.low is None and fact.high is None:
        return None
    low = _plain(formatting.value(fact.low, fact.type)) if fact.low is not None else None
    high = _plain(formatting.value(fact.high, fact.type)) if fact.high is not None else None
    if low is not None and high is not None:
        return Allowed(bounds=f"de {low} à {high}")
    return Allowed(bounds=f"au moins {low}" if low is not None else f"au plus {high}")


def _show(program: model.Program, name: str, value: object) -> str:
    fact = program.facts.get(name)
    return formatting.value(value, fact.type if fact is not None else None)


def _expectation(program: model.Program, e: model.Expectation) -> str:
    """An example's expectation in words; the checker rejects an example naming no result, so a loaded
    program defines every name it expects."""
    return describe_expectation(e, program.definitions[e.name].type)


__all__ = ["Site", "build_site"]
