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
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import attrs

from engine import api
from engine.syntax import ast
from engine.lang import formatting
from engine.check import model
from engine.syntax.build import parse_file
from engine.syntax.fmt import format_declaration
from engine.check.loader import load_path
from engine.lang.statuses import Status
from engine.lang.types import Type

_KIND_WORDS = {"rule": "Règle", "output": "Résultat", "function": "Fonction", "table": "Table", "parameter": "Paramètre"}
_SECTIONS = (("output", "Résultats"), ("rule", "Règles intermédiaires"), ("function", "Fonctions"),
             ("table", "Tables"), ("parameter", "Paramètres"))
_STATUS_CSS = {Status.TO_CONFIRM: "a-confirmer", Status.MODELLING_CHOICE: "choix", Status.IGNORED: "ignore"}

CSS = """
:root { color-scheme: light; --encre: #1b1b1b; --lien: #0b4fa8; --fond-code: #f5f5f2; --bord: #c8c8c0; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--encre);
       max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; line-height: 1.5; background: #fff; }
a { color: var(--lien); }
a:focus-visible { outline: 3px solid #e8a500; outline-offset: 2px; }
.evitement { position: absolute; left: -999rem; }
.evitement:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 1; }
nav.fil ol { list-style: none; padding: 0; margin: 0 0 1rem; display: flex; flex-wrap: wrap; gap: .25rem; }
nav.fil li + li::before { content: "›"; margin-right: .25rem; color: #555; }
h1 { font-size: 1.7rem; margin: .5rem 0; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid var(--bord); }
h3 { font-size: 1.05rem; }
pre { background: var(--fond-code); border: 1px solid var(--bord); padding: .75rem 1rem; overflow-x: auto;
      font-size: .9rem; line-height: 1.4; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
pre .commentaire { color: #4b5320; font-style: italic; }
pre .chaine { color: #7a2e00; }
pre [class^="keyword"], pre [class^="storage"] { color: #5a2a82; }
pre .storage-type-declaration, pre .keyword-other-header { font-weight: 600; }
pre [class^="constant"] { color: #0d5c2e; }
pre [class^="support"] { color: #0b4f6c; }
.statut { display: inline-block; font-weight: 600; font-size: .85rem; padding: .1rem .5rem; border-radius: .25rem;
          border: 2px solid; margin: .1rem .25rem .1rem 0; }
.statut.a-confirmer { background: #fff3c4; border-color: #8a6100; color: #4d3600; }
.statut.choix { background: #e4edff; border-color: #1d4fa0; color: #0d2b63; }
.statut.ignore { background: #eeeeee; border-color: #555; color: #222; }
.statut.interne { background: #f1f1f1; border-color: #666; color: #333; font-style: italic; }
.remarque { margin: .25rem 0 .75rem; }
dl.fiche { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.fiche dt { font-weight: 600; }
dl.fiche dd { margin: 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border: 1px solid var(--bord); padding: .3rem .6rem; text-align: left; vertical-align: top; }
thead th, th[scope=row] { background: #efefe8; }
td.valeur { font-variant-numeric: tabular-nums; white-space: nowrap; }
.defilement { overflow-x: auto; max-width: 100%; }
pre:focus-visible, .defilement:focus-visible { outline: 3px solid #e8a500; }
.comparaison { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.comparaison > section { min-width: 0; }
@media (max-width: 50rem) { .comparaison { grid-template-columns: 1fr; } dl.fiche { grid-template-columns: 1fr; } }
ul.liste li { margin: .2rem 0; }
.petit { color: #444; font-size: .9rem; }
"""


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


def page_name(name: str) -> str:
    """The file of an effective definition's page."""
    return f"def-{name}.html"


def fact_page(name: str) -> str:
    """The file of a fact's page."""
    return f"fait-{name}.html"


SOURCES_PAGE = "sources.html"
"""The page listing every declared source, one anchor per key."""


def original_page(prefix: str, name: str) -> str:
    """The file of the page of a definition as an amended file wrote it."""
    return f"ancien-{prefix}-{name}.html"


def _href(page: str, fragment: str = "") -> str:
    return quote(page) + (f"#{quote(fragment)}" if fragment else "")


def esc(text: object) -> str:
    """Text escaped for HTML."""
    return html.escape(str(text), quote=True)


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

    def sources_page(self) -> str:
        """Every source the files declare: title with its link, publisher, date, and who cites it."""
        citing: dict[str, list[str]] = {}
        for name, d in self.program.definitions.items():
            for key in dict.fromkeys(c.key for v in d.versions for c in v.sources if c.key):
                citing.setdefault(key, []).append(name)  # type: ignore[arg-type]
        for name, fact in self.program.facts.items():
            for key in dict.fromkeys(c.key for c in fact.sources if c.key):
                citing.setdefault(key, []).append(f"fait:{name}")  # type: ignore[arg-type]
        parts = ["<h1>Sources citées</h1>"]
        declared = sorted(self.program.bibliography.values(), key=lambda s: s.key)
        if not declared:
            parts.append("<p>Ce fichier ne déclare aucune source.</p>")
        for source in declared:
            parts.append(f'<section aria-labelledby="{esc(source.key)}"><h2 id="{esc(source.key)}">'
                         f"{_title_html(source)}</h2>")
            parts.append('<dl class="fiche">')
            parts.append(f"<dt>Clé</dt><dd><code>{esc(source.key)}</code></dd>")
            for label, value in source.fields():
                shown = f'<a href="{esc(value)}">{esc(value)}</a>' if value == source.url else esc(value)
                parts.append(f"<dt>{label}</dt><dd>{shown}</dd>")
            parts.append(f"<dt>Déclarée par</dt><dd>{esc(source.text)}</dd></dl>")
            users = citing.get(source.key, [])
            parts.append("<h3>Cité par</h3>" + (self._links(users) if users else "<p>Aucune définition.</p>"))
            parts.append("</section>")
        return self.layout("Sources citées", "\n".join(parts), ((SOURCES_PAGE, "Sources"),))

    def layout(self, title: str, body: str, crumbs: tuple[tuple[str, str], ...] = ()) -> str:
        trail = [("index.html", "Accueil")] + list(crumbs)
        items = "".join(f'<li><a href="{_href(p)}">{esc(label)}</a></li>' for p, label in trail[:-1] or trail)
        if crumbs:
            items += f'<li aria-current="page">{esc(trail[-1][1])}</li>'
        return (f'<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{esc(title)} — {esc(self.text.short)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
                f'<a class="evitement" href="#contenu">Aller au contenu</a>\n'
                f'<header><nav class="fil" aria-label="Fil d\'Ariane"><ol>{items}</ol></nav></header>\n'
                f'<main id="contenu">\n{body}\n</main>\n'
                f'<footer class="petit"><p>Documentation générée par <code>regles doc</code> depuis '
                f"{esc(self.text.file)}.</p></footer>\n</body>\n</html>\n")

    def index(self) -> str:
        t = self.text
        parts = [f"<h1>{esc(t.title)}</h1>", '<dl class="fiche">']
        if t.long:
            parts.append(f"<dt>Texte encodé</dt><dd>{esc(t.long)}</dd>")
        parts.append(f"<dt>En vigueur</dt><dd>{esc(_period(t))}</dd>")
        parts.append(f"<dt>Fichier</dt><dd><code>{esc(t.file)}</code></dd>")
        if len(self.program.texts) > 1:
            amended = ", ".join(f"{esc(p.short)} (<code>{esc(p.file)}</code>)" for p in self.program.texts[:-1])
            parts.append(f"<dt>Modifie</dt><dd>{amended}</dd>")
        parts += self._vocabulary()
        parts.append("</dl>")
        parts.append('<nav aria-label="Sommaire"><ul>' + "".join(
            f'<li><a href="#{key}">{esc(label)}</a></li>' for key, label in
            [*((k, l) for k, l in _SECTIONS if self._of_kind(k)), ("faits", "Faits"),
             *([("remplacements", "Ce que ce texte remplace")] if self._replacing() else []),
             ("exemples", "Exemples")]) + f'<li><a href="{SOURCES_PAGE}">Sources citées</a></li></ul></nav>')
        for key, label in _SECTIONS:
            names = self._of_kind(key)
            if names:
                parts.append(f'<section aria-labelledby="{key}"><h2 id="{key}">{esc(label)}</h2><ul class="liste">')
                parts += [self._index_item(n) for n in names]
                parts.append("</ul></section>")
        parts.append('<section aria-labelledby="faits"><h2 id="faits">Faits</h2><ul class="liste">')
        for name, fact in self.program.facts.items():
            detail = f" — {esc(fact.description)}" if fact.description else ""
            parts.append(f'<li><a href="{_href(fact_page(name))}"><code>{esc(name)}</code></a> '
                         f'<span class="petit">({esc(fact.type)})</span>{detail}</li>')
        parts.append("</ul></section>")
        replacing = self._replacing()
        if replacing:
            parts.append('<section aria-labelledby="remplacements"><h2 id="remplacements">Ce que ce texte remplace</h2>'
                         '<ul class="liste">')
            for d in replacing:
                prefix, _, name = d.replaces.partition(".")  # type: ignore[union-attr]
                parts.append(f'<li><a href="{_href(page_name(d.name), "remplace")}"><code>{esc(d.name)}</code></a> '
                             f'remplace <a href="{_href(original_page(prefix, name))}"><code>{esc(d.replaces)}</code></a></li>')
            parts.append("</ul></section>")
        count = len(self.program.examples)
        parts.append(f'<section aria-labelledby="exemples"><h2 id="exemples">Exemples</h2><p><a href="exemples.html">'
                     f"{count} exemple{'s' if count > 1 else ''} écrits dans les fichiers de règles</a></p></section>")
        return self.layout(t.title, "\n".join(parts))

    def _of_kind(self, key: str) -> list[str]:
        found = []
        for name, d in self.program.definitions.items():
            kind = "output" if d.kind == "rule" and d.is_output else d.kind
            if kind == key:
                found.append(name)
        return found

    def _replacing(self) -> list[model.Definition]:
        return [d for d in self.program.definitions.values()
                if d.replaces and d.latest.text.prefix == self.text.prefix]

    def _vocabulary(self) -> list[str]:
        """The header's `résultat principal` and `ventilation`, linked to their pages, when declared."""
        out = []
        if self.program.headline is not None:
            out.append(f'<dt>Résultat principal</dt><dd><a href="{_href(page_name(self.program.headline))}">'
                       f"<code>{esc(self.program.headline)}</code></a></dd>")
        if self.program.breakdown:
            facts = ", ".join(f'<a href="{_href(fact_page(n))}"><code>{esc(n)}</code></a>' for n in self.program.breakdown)
            out.append(f"<dt>Ventilation</dt><dd>{facts}</dd>")
        return out

    def _index_item(self, name: str) -> str:
        d = self.program.definitions[name]
        flags = "".join(_badge(s.kind) for s in _statuses(d))
        if d.internal:
            flags += '<span class="statut interne">interne</span>'
        origin = "" if d.latest.text.prefix == self.text.prefix else f' <span class="petit">({esc(d.latest.text.short)})</span>'
        detail = f" — {esc(d.description)}" if d.description else ""
        return f'<li><a href="{_href(page_name(name))}"><code>{esc(name)}</code></a>{origin} {flags}{detail}</li>'

    # ── a definition ──
    def definition_page(self, d: model.Definition) -> str:
        kind = "output" if d.kind == "rule" and d.is_output else d.kind
        title = f"{_KIND_WORDS[kind]} {d.name}"
        parts = [f"<h1>{esc(_KIND_WORDS[kind])} <code>{esc(d.name)}</code></h1>"]
        parts += self._summary(d, d.latest.text)
        parts += self._body(d, self._ast(d.latest.text.prefix, d.name))
        if d.replaces:
            parts += self._comparison(d)
        parts += self._relations(d.name, d)
        parts += self._examples_of(d.name)
        return self.layout(title, "\n".join(parts), ((page_name(d.name), d.name),))

    def original_page(self, prefix: str, d: model.Definition) -> str:
        text = next(t for t in self.program.texts if t.prefix == prefix)
        kind = "output" if d.kind == "rule" and d.is_output else d.kind
        current = self.program.definitions.get(d.name)
        parts = [f"<h1>{esc(_KIND_WORDS[kind])} <code>{esc(prefix)}.{esc(d.name)}</code></h1>",
                 f"<p>La définition de <code>{esc(d.name)}</code> dans {esc(text.short)} "
                 f"(<code>{esc(text.file)}</code>)."]
        if current is not None and current.replaces == f"{prefix}.{d.name}":
            parts[-1] += (f' Elle est remplacée dans {esc(current.latest.text.short)} par '
                          f'<a href="{_href(page_name(d.name))}"><code>{esc(d.name)}</code></a>.')
        parts[-1] += "</p>"
        parts += self._summary(d, text)
        parts += self._body(d, self._ast(prefix, d.name))
        users = [n for n, (defs, _) in self.uses.items() if f"{prefix}.{d.name}" in defs]
        if users:
            parts.append("<h2>Cité par</h2>" + self._links(users))
        return self.layout(f"{prefix}.{d.name}", "\n".join(parts), ((original_page(prefix, d.name), f"{prefix}.{d.name}"),))

    def _summary(self, d: model.Definition, text: model.TextInfo) -> list[str]:
        parts = []
        for status in _statuses(d):
            note = f" : {esc(status.note)}" if status.note else ""
            parts.append(f'<p class="remarque">{_badge(status.kind)}{note}</p>')
        if d.description:
            parts.append(f"<p>{esc(d.description)}</p>")
        parts.append('<dl class="fiche">')
        shown = ("ensemble de valeurs : " if d.is_set else "") + self._type(d.type)
        parts.append(f"<dt>Type de valeur</dt><dd>{shown}</dd>")
        if d.params:
            params = ", ".join(f"<code>{esc(p.name)}</code> ({self._type(p.type, short=True)})" for p in d.params)
            parts.append(f"<dt>{'Clés' if d.kind == 'table' else 'Paramètres'}</dt><dd>{params}</dd>")
        parts += _sources_item([s for v in d.versions for s in v.sources])
        parts.append(f"<dt>Texte</dt><dd>{esc(text.short)} (<code>{esc(text.file)}</code>)"
                     + (f" ; repris de <code>{esc(d.reused_from)}</code>" if d.reused_from else "")
                     + (f" ; description, sources et statuts précisés par {esc(d.amended_by)}" if d.amended_by else "")
                     + "</dd>")
        if d.unit:
            parts.append(f"<dt>Unité</dt><dd>{esc(d.unit)}</dd>")
        if d.guard is not None:
            reason = f" ; sinon non applicable : « {esc(d.guard.reason)} »" if d.guard.reason else ""
            parts.append(f"<dt>Applicable si</dt><dd>{self._name_link(d.guard.name)}{reason}</dd>")
        if d.is_output:
            parts.append("<dt>Rôle</dt><dd>résultat calculé par le fichier (sortie)</dd>")
        if d.internal:
            parts.append("<dt>Interne</dt><dd>mécanique du calcul : les résumés d'explication ne la nomment pas "
                         "et montrent à sa place les faits et les résultats auxquels elle mène</dd>")
        parts.append("</dl>")
        return parts

    def _body(self, d: model.Definition, decl: ast.Declaration | None) -> list[str]:
        parts = []
        if d.kind == "table":
            for index, version in enumerate(d.versions):
                if isinstance(version.body, model.Grid):
                    parts.append(self._grid(d, version, index))
        elif len(d.versions) > 1:
            rows = "".join(f'<tr><th scope="row">{esc(_version_start(v))}</th><td>{self._code_inline(v.body)}</td>'
                           f"<td>{esc(v.text.short)}</td></tr>" for v in d.versions)
            parts.append('<table><caption>Valeurs successives</caption><thead><tr><th scope="col">À partir du</th>'
                         f'<th scope="col">Valeur</th><th scope="col">Texte</th></tr></thead><tbody>{rows}</tbody></table>')
        if decl is not None:
            label = "Définition" if d.kind != "table" else "Texte de la table"
            parts.append(f"<h2>{label}</h2>{self._code(format_declaration(decl))}")
        return parts

    def _code_inline(self, body: model.Expr | model.Grid) -> str:
        if isinstance(body, model.Const):
            return f"<code>{esc(_plain(formatting.value(body.value, body.type)))}</code>"
        return "<code>…</code>"

    def _grid(self, d: model.Definition, version: model.Version, index: int) -> str:
        grid = version.body
        assert isinstance(grid, model.Grid)
        caption = f"{d.name} — {version.text.short}"
        if version.start is not None:
            caption += f", à partir du {formatting.date_short(version.start)}"
        if index == len(d.versions) - 1 and len(d.versions) > 1:
            caption += " (version en vigueur)"
        keys = d.params
        head = f'<th scope="col">{esc(keys[0].name)}</th>'
        if grid.columns is not None:
            head += "".join(f'<th scope="col">{esc(c.text)}</th>' for c in grid.columns)
            corner = f"{keys[0].name} \\ {keys[1].name}" if len(keys) > 1 else keys[0].name
            head = f'<th scope="col">{esc(corner)}</th>' + head[head.index("</th>") + 5:]
        else:
            head += f'<th scope="col">{esc(d.name)}</th>'
        rows = []
        for key, cells in zip(grid.rows, grid.cells):
            tds = "".join(_cell(c) for c in cells)
            rows.append(f'<tr><th scope="row">{esc(key.text)}</th>{tds}</tr>')
        return (f'<div class="defilement" role="region" tabindex="0" aria-label="{esc(caption)}">'
                f"<table><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table></div>")

    def _comparison(self, d: model.Definition) -> list[str]:
        prefix, _, name = d.replaces.partition(".")  # type: ignore[union-attr]
        old_text = next((t for t in self.program.texts if t.prefix == prefix), None)
        old_decl = self._ast(prefix, name)
        new_decl = self._ast(d.latest.text.prefix, d.name)
        old_label = old_text.short if old_text else prefix
        return ['<section aria-labelledby="remplace"><h2 id="remplace">Ce que cette définition remplace</h2>',
                f'<p>Elle remplace <a href="{_href(original_page(prefix, name))}"><code>{esc(d.replaces)}</code></a>, '
                f"la définition de {esc(old_label)}.</p>",
                '<div class="comparaison">',
                f'<section aria-labelledby="avant"><h3 id="avant">Avant : {esc(old_label)}</h3>'
                f"{self._code(format_declaration(old_decl)) if old_decl else '<p>(texte indisponible)</p>'}</section>",
                f'<section aria-labelledby="apres"><h3 id="apres">Après : {esc(d.latest.text.short)}</h3>'
                f"{self._code(format_declaration(new_decl)) if new_decl else '<p>(texte indisponible)</p>'}</section>",
                "</div></section>"]

    def _relations(self, name: str, d: model.Definition) -> list[str]:
        defs, facts = self.uses.get(name, ((), ()))
        parts = ["<h2>Ce que cette définition utilise</h2>"]
        if defs:
            parts.append(self._links(defs))
        if facts:
            parts.append("<p>Faits lus :</p>" + self._links([f"fait:{f}" for f in facts]))
        if not defs and not facts:
            parts.append("<p>Aucune autre définition ni aucun fait.</p>")
        parts.append("<h2>Ce qui utilise cette définition</h2>")
        users = self.used_by.get(name, [])
        parts.append(self._links(users) if users else "<p>Aucune définition ne l'utilise.</p>")
        return parts

    def _examples_of(self, name: str) -> list[str]:
        titles = [(i, case.title) for i, case in enumerate(self.program.examples)
                  if any(e.name == name for e in case.expected)]
        if not titles:
            return []
        items = "".join(f'<li><a href="exemples.html#exemple-{i + 1}">{esc(t)}</a></li>' for i, t in titles[:30])
        more = f"<p>… et {len(titles) - 30} autres.</p>" if len(titles) > 30 else ""
        return [f"<h2>Exemples qui vérifient cette définition</h2><ul class=\"liste\">{items}</ul>{more}"]

    # ── a fact ──
    def fact_page(self, fact: model.FactDecl) -> str:
        parts = [f"<h1>Fait <code>{esc(fact.name)}</code></h1>"]
        if fact.ignored is not None:
            parts.append(f'<p class="remarque">{_badge(Status.IGNORED)} : {esc(fact.ignored)}</p>')
        if fact.description:
            parts.append(f"<p>{esc(fact.description)}</p>")
        parts.append('<dl class="fiche">')
        parts.append(f"<dt>Type</dt><dd>{self._type(fact.type)}</dd>")
        allowed = _allowed(fact)
        if allowed:
            parts.append(f"<dt>Valeurs permises</dt><dd>{allowed}</dd>")
        if fact.question:
            parts.append(f"<dt>Question</dt><dd>{esc(fact.question)}</dd>")
        if fact.unit:
            parts.append(f"<dt>Unité</dt><dd>{esc(fact.unit)}</dd>")
        parts += _sources_item(list(fact.sources))
        parts.append(f"<dt>Déclaré par</dt><dd>{esc(fact.text)}</dd></dl>")
        readers = self.fact_readers.get(fact.name, [])
        parts.append("<h2>Définitions qui lisent ce fait</h2>")
        parts.append(self._links(readers) if readers else "<p>Aucune.</p>")
        return self.layout(f"Fait {fact.name}", "\n".join(parts), ((fact_page(fact.name), fact.name),))

    # ── examples ──
    def examples_page(self) -> str:
        parts = ["<h1>Exemples</h1>", "<p>Les exemples écrits dans les fichiers de règles, exécutés par "
                 "<code>regles test</code> : des faits, puis les résultats attendus.</p>"]
        for index, case in enumerate(self.program.examples, 1):
            given = "".join(f"<li>{self._name_link(n)} = <code>{esc(_plain(_show(self.program, n, v)))}</code></li>"
                            for n, v in case.facts.items())
            expected = "".join(f"<li>{self._name_link(e.name)} = <code>{esc(_plain(_expectation(self.program, e)))}"
                               "</code></li>" for e in case.expected)
            parts.append(f'<section aria-labelledby="exemple-{index}"><h2 id="exemple-{index}">{esc(case.title)}</h2>'
                         f'<p class="petit">{esc(case.file)}</p>'
                         f'<h3>Faits</h3><ul class="liste">{given or "<li>aucun</li>"}</ul>'
                         f'<h3>Attendu</h3><ul class="liste">{expected}</ul></section>')
        return self.layout("Exemples", "\n".join(parts), (("exemples.html", "Exemples"),))

    # ── helpers ──
    def _ast(self, prefix: str, name: str) -> ast.Declaration | None:
        return self.asts.get(prefix, {}).get(name)

    def _type(self, t: Type, short: bool = False) -> str:
        if t.kind == "enum" and short:
            return f"énumération {self._name_link(str(t.name))}"
        if t.kind == "enum":
            words = ", ".join(f"<code>{esc(v)}</code> ({esc(t.label(v))})" if t.label(v) != v else f"<code>{esc(v)}</code>"
                              for v in t.values)
            return f"énumération <code>{esc(t.name)}</code> : {words}"
        return esc(t)

    def _name_link(self, name: str) -> str:
        if name in self.program.definitions:
            return f'<a href="{_href(page_name(name))}"><code>{esc(name)}</code></a>'
        if name in self.program.facts:
            return f'<a href="{_href(fact_page(name))}"><code>{esc(name)}</code></a>'
        return f"<code>{esc(name)}</code>"

    def _links(self, names: list[str] | tuple[str, ...]) -> str:
        items = []
        for name in dict.fromkeys(names):
            if name.startswith("fait:"):
                items.append(f"<li>{self._name_link(name[5:])}</li>")
            elif "." in name:
                prefix, _, base = name.partition(".")
                items.append(f'<li><a href="{_href(original_page(prefix, base))}"><code>{esc(name)}</code></a></li>')
            else:
                d = self.program.definitions.get(name)
                detail = f" — {esc(d.description)}" if d is not None and d.description else ""
                items.append(f"<li>{self._name_link(name)}{detail}</li>")
        return f'<ul class="liste">{"".join(items)}</ul>'

    def _code(self, text: str) -> str:
        """Formatted rule text coloured by the editors' TextMate grammar (engine.syntax.highlight), with a link
        on every name that has a page."""
        from engine.syntax.highlight import tokens
        lines = []
        for line in text.split("\n"):
            out, last = [], 0
            pieces = tokens(line)
            i = 0
            while i < len(pieces):
                start, end, scope = pieces[i]
                i += 1
                if start < last:
                    continue
                out.append(esc(line[last:start]))
                if scope.startswith("entity.name.namespace") and i + 1 < len(pieces):  # `texte.nom`, one link
                    end = pieces[i + 1][1]
                    i += 2
                    out.append(self._token_link(line[start:end]))
                elif scope.startswith(("variable", "entity.name")):
                    out.append(self._token_link(line[start:end]))
                elif scope.startswith("punctuation"):
                    out.append(esc(line[start:end]))
                else:
                    out.append(f'<span class="{_css_class(scope)}">{esc(line[start:end])}</span>')
                last = end
            out.append(esc(line[last:]))
            lines.append("".join(out))
        body = "\n".join(lines)
        return f'<pre tabindex="0"><code>{body}</code></pre>'

    def _token_link(self, token: str) -> str:
        if "." in token:
            prefix, _, name = token.partition(".")
            if (prefix, name) in self.originals:
                return f'<a href="{_href(original_page(prefix, name))}">{esc(token)}</a>'
            return esc(token)
        if token in self.program.definitions:
            return f'<a href="{_href(page_name(token))}">{esc(token)}</a>'
        if token in self.program.facts:
            return f'<a href="{_href(fact_page(token))}">{esc(token)}</a>'
        if token in self.program.bibliography:
            return f'<a href="{_href(SOURCES_PAGE, token)}">{esc(token)}</a>'
        return esc(token)


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
    return {d.name: d for d in rule_file.declarations  # type: ignore[union-attr]
            if hasattr(d, "name") and not isinstance(d, ast.SourceDecl)}


def _program_of(text: model.TextInfo) -> model.Program | None:
    """The program of an amended file alone, to show the definitions this file replaced."""
    if text.directory is None:
        return None
    return load_path(Path(text.directory) / Path(text.file).name)


def _title_html(source: model.SourceDecl) -> str:
    """A source's title, linked to its address when it has one."""
    if source.url:
        return f'<a href="{esc(source.url)}">{esc(source.title)}</a>'
    return esc(source.title)


def _citation_html(c: model.Citation) -> str:
    """One citation: the title with its link, publisher and date, the precision, and the key's entry
    on the sources page."""
    if c.source is None:
        return esc(c)
    s = c.source
    extra = str(s)[len(s.title):]  # " (éditeur, date)", as the text explanations write it
    detail = f" : {esc(c.detail)}" if c.detail else ""
    return (f'{_title_html(s)}{esc(extra)}{detail} '
            f'<span class="petit">(<a href="{_href(SOURCES_PAGE, s.key)}">{esc(s.key)}</a>)</span>')


def _sources_item(citations: list[model.Citation]) -> list[str]:
    """The `Source(s)` entry of a definition's or a fact's sheet, each citation once."""
    cited = list(dict.fromkeys(citations))
    if not cited:
        return []
    items = "".join(f"<li>{_citation_html(c)}</li>" for c in cited)
    return [f'<dt>Source{"s" if len(cited) > 1 else ""}</dt><dd><ul>{items}</ul></dd>']


def _cell(cell: model.CellInfo) -> str:
    """A table cell; short values stay on one line, a status flag is added as a badge."""
    text = cell.value_text
    css = ' class="valeur"' if len(text) < 24 else ""
    badge = " " + _badge(cell.status.kind) if cell.status else ""
    return f"<td{css}>{esc(_plain(text))}{badge}</td>"


def _statuses(d: model.Definition) -> list[model.StatusInfo]:
    found = {}
    for version in d.versions:
        for s in version.statuses:
            found.setdefault((s.kind, s.note), s)
    return list(found.values())


def _badge(kind: Status) -> str:
    return f'<span class="statut {_STATUS_CSS[kind]}">{esc(kind.heading)}</span>'


def _uses(d: model.Definition) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The definitions (`nom` or `fichier.nom`) and facts a definition reads, in order of appearance."""
    defs: dict[str, None] = {}
    facts: dict[str, None] = {}
    if d.guard is not None:
        defs[d.guard.name] = None
    for version in d.versions:
        roots = [c.expr for row in version.body.cells for c in row] if isinstance(version.body, model.Grid) else [version.body]
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


def _walk(expr: object) -> Iterator[object]:
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


def _allowed(fact: model.FactDecl) -> str:
    if fact.allowed is not None:
        return ", ".join(f"<code>{esc(_plain(formatting.value(v, fact.type)))}</code>" for v in fact.allowed)
    if fact.low is None and fact.high is None:
        return ""
    low = _plain(formatting.value(fact.low, fact.type)) if fact.low is not None else None
    high = _plain(formatting.value(fact.high, fact.type)) if fact.high is not None else None
    if low is not None and high is not None:
        return f"de {esc(low)} à {esc(high)}"
    return f"au moins {esc(low)}" if low is not None else f"au plus {esc(high)}"


def _show(program: model.Program, name: str, value: object) -> str:
    fact = program.facts.get(name)
    return formatting.value(value, fact.type if fact is not None else None)


def _expectation(program: model.Program, e: model.Expectation) -> str:
    from engine.tools.examples import describe_expectation
    return describe_expectation(e, program.definitions[e.name].type if e.name in program.definitions else None)


__all__ = ["Site", "build_site", "fact_page", "original_page", "page_name"]
