"""An explanation as JSON or as a standalone HTML page (`regles explain … --format json|html`).

The JSON holds the summary (`engine.explain.summary`, every item uncut, with the doc page of each definition)
and the full trace of the result under `trace`. The HTML page is French and accessible: the summary
on top, then the full explanation (`regles explain --detail`) as a foldable tree of
`<details>`/`<summary>` elements, each definition linked to its `regles doc` page. It needs no script
and no other file, and reads on a 390 px wide screen.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from engine.check import model
from engine.explain.detail import explain
from engine.explain.doc_pages import fact_page, original_page, page_name
from engine.explain.eventdata import Explained
from engine.explain.summary import Item, Summary, summarize
from engine.explain.summary_text import ItemKind
from engine.lang.formatting import french_typography
from engine.lang.statuses import Status


def _linkers(doc_base: str) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """The addresses of a definition's and of a fact's `regles doc` page under `doc_base`."""
    base = _base(doc_base)
    return (lambda name: base + page_name(name)), (lambda name: base + fact_page(name))


def _base(doc_base: str) -> str:
    return doc_base if not doc_base or doc_base.endswith("/") else doc_base + "/"


def explanation_json(outcome: Explained, name: str, doc_base: str = "doc/") -> dict[str, object]:
    """The summary of a result as JSON, with the full trace of the result under `trace`."""
    summary = summarize(outcome, name, *_linkers(doc_base))
    return {"rules": outcome.ruleset.program.text.file, "result": name,
            "summary": summary.to_json(), "trace": outcome.event(name).to_json()}


def explanation_html(outcome: Explained, name: str, doc_base: str = "doc/") -> str:
    """A standalone French page: the summary, then the full explanation as a foldable tree."""
    summary = summarize(outcome, name, *_linkers(doc_base))
    detail = explain(outcome, name)
    program = outcome.ruleset.program
    base = _base(doc_base)
    title = f"{summary.label} : {summary.value}"
    body = [_summary_html(summary),
            ('<section aria-labelledby="detail"><h2 id="detail">Détail du calcul</h2>'
             '<p class="petit">Chaque étape se déplie ; les noms renvoient aux pages de la documentation '
             'des règles.</p>'),
            _tree_html(detail.splitlines(), _names(program), base), "</section>"]
    return (f'<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f'<a class="evitement" href="#contenu">Aller au contenu</a>\n'
            f'<main id="contenu">\n' + "\n".join(body) + "\n</main>\n"
            f'<footer class="petit"><p>Explication produite par <code>regles explain</code> depuis '
            f"{_e(program.text.file)} ({_e(program.text.title)}).</p></footer>\n</body>\n</html>\n")


def _e(text: object) -> str:
    """Escaped text with French typography's no-break spaces (a browser never splits "70 %" nor starts
    a line with a colon)."""
    return html.escape(french_typography(str(text)), quote=True)


def _summary_html(s: Summary) -> str:
    parts = ['<section class="resume" aria-labelledby="resume">',
             f'<h1 id="resume">{_e(s.label)} : <span class="valeur">{_e(s.value)}</span></h1>']
    for heading, text in s.reasons():
        shown = f'<span class="calcul">{_e(text)}</span>' if heading == "Calcul" else _e(text)
        parts.append(f"<p><strong>{heading} :</strong> {shown}</p>")
    if s.questions:
        parts.append("<h2>Questions à poser</h2><ul>" + "".join(f"<li>{_e(q)}</li>" for q in s.questions) + "</ul>")
    for heading, items in (("Conditions", s.conditions), ("Valeurs utilisées", s.values),
                           ("Faits déterminants", s.facts)):
        if items:
            parts.append(f"<h2>{heading}</h2><ul>" + "".join(_item_html(i) for i in items) + "</ul>")
    confirm, choices = s.flags
    if confirm or choices:
        words = [f"{confirm} valeur{'s' if confirm > 1 else ''} {Status.TO_CONFIRM.label}" if confirm else "",
                 f"{choices} {Status.MODELLING_CHOICE.label}" if choices else ""]
        attention = _e(" et ".join(w for w in words if w))
        parts.append(f'<p class="attention"><strong>Points d\'attention :</strong> {attention}'
                     " (détaillés plus bas)</p>")
    if s.sources:
        cited = "".join(f'<li><a href="{_e(c.url)}">{_e(c.text)}</a></li>' if c.url else f"<li>{_e(c.text)}</li>"
                        for c in s.sources)
        parts.append(f"<h2>Source{'s' if len(s.sources) > 1 else ''}</h2><ul>{cited}</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _item_html(item: Item) -> str:
    label = f'<a href="{_e(item.page)}">{_e(item.label)}</a>' if item.page else _e(item.label)
    if item.kind == ItemKind.CONDITION:
        word = {True: "remplie", False: "non remplie", None: "non déterminée"}[item.held]
        css = {True: "oui", False: "non", None: "inconnu"}[item.held]
        detail = "".join(f"<br><span class=\"petit\">{_e(d)}</span>" for d in item.detail)
        return f'<li><span class="etat {css}">{word}</span> {label}{detail}</li>'
    calc = f' = <span class="calcul">{_e(item.calculation)}</span>' if item.calculation else ""
    return f"<li>{label} : <strong>{_e(item.value)}</strong>{calc}</li>"


def _names(program: model.Program) -> dict[str, str]:
    """Every name a detail line may start with → its doc page."""
    found = {name: page_name(name) for name in program.definitions}
    found.update({name: fact_page(name) for name in program.facts})
    for prefix, name in getattr(program, "originals", {}):
        found[f"{prefix}.{name}"] = original_page(prefix, name)
    return found


_HEAD = re.compile(r"^(- )?(fait |paramètre |table |Table « )?([^\W\d][\w]*(?:\.[^\W\d][\w]*)?)")


def _line_html(line: str, names: dict[str, str], base: str) -> str:
    """One line of the detailed explanation, its leading name linked to its doc page."""
    found = _HEAD.match(line)
    if found and found.group(3) in names:
        start, end = found.span(3)
        link = f'<a href="{_e(base + names[found.group(3)])}"><code>{_e(found.group(3))}</code></a>'
        return _e(line[:start]) + link + _e(line[end:])
    return _e(line)


def _tree_html(lines: list[str], names: dict[str, str], base: str) -> str:
    """Indented lines as nested lists: a line followed by more indented ones is a `<details>`."""
    rows = [(len(line) - len(line.lstrip(" ")), line.strip()) for line in lines]
    out: list[str] = ['<ul class="arbre">']
    stack: list[int] = []
    for i, (indent, text) in enumerate(rows):
        while stack and indent <= stack[-1]:
            stack.pop()
            out.append("</ul></details></li>")
        if not text:
            continue
        shown = _line_html(text, names, base)
        parent = i + 1 < len(rows) and rows[i + 1][0] > indent and rows[i + 1][1]
        if parent:
            opened = " open" if not stack else ""
            out.append(f"<li><details{opened}><summary>{shown}</summary><ul>")
            stack.append(indent)
        else:
            out.append(f"<li>{shown}</li>")
    out += ["</ul></details></li>"] * len(stack)
    out.append("</ul>")
    return "".join(out)


CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; line-height: 1.5;
       color: #1a1a1a; background: #fff; margin: 0 auto; max-width: 62rem; padding: .75rem; }
h1 { font-size: 1.35rem; line-height: 1.3; margin: .5rem 0; }
h2 { font-size: 1.1rem; margin: 1rem 0 .25rem; }
.valeur { white-space: nowrap; }
.resume { border: 2px solid #1d4fa0; border-radius: .4rem; padding: .5rem .9rem; background: #f5f8ff; }
.resume ul { padding-left: 1.2rem; margin: .25rem 0; }
.calcul { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .95rem; }
.etat { display: inline-block; font-weight: 600; font-size: .85rem; padding: 0 .4rem; border: 2px solid;
        border-radius: .25rem; }
.etat.oui { color: #0b5a1d; border-color: #0b5a1d; background: #e6f4ea; }
.etat.non { color: #8a1010; border-color: #8a1010; background: #fde8e8; }
.etat.inconnu { color: #4d3600; border-color: #8a6100; background: #fff3c4; }
.attention { background: #fff3c4; border-left: 4px solid #8a6100; padding: .25rem .5rem; }
.petit { font-size: .9rem; color: #444; }
a { color: #0b4fa8; }
a:focus, summary:focus { outline: 3px solid #f2a900; outline-offset: 2px; }
.evitement { position: absolute; left: -999px; }
.evitement:focus { position: static; }
.arbre, .arbre ul { list-style: none; margin: 0; padding-left: .7rem; border-left: 1px solid #ccc; }
.arbre { padding-left: 0; border-left: 0; font-size: .92rem; }
.arbre li { margin: .1rem 0; overflow-wrap: anywhere; }
.arbre summary { cursor: pointer; }
main, .resume { overflow-wrap: anywhere; }
@media (max-width: 480px) { body { padding: .4rem; } h1 { font-size: 1.15rem; } .arbre ul { padding-left: .4rem; } }
"""
