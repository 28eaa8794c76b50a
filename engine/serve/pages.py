"""The HTML pages of `regles serve`: the interview (`/entretien/{nom}`) and the playground (`/atelier`).

The interview is server-rendered and needs no script: each page is a GET form whose fields are the
answers given so far (hidden) and the one question asked now, so the answers live in the page and
in its URL and the server keeps no session. The next question is the first fact the chosen results
still lack, in the order the evaluation needed them (as `regles explain` lists its « Questions à
poser »), so only what those results need is asked. Results show as soon as they are known, with
their summary (`engine.explain.summary`) and, for a refusal, every unmet condition (`Outcome.unmet`).

The playground is one page and `static/atelier.js`, which sends the edited text to the JSON routes
`/api/atelier/*` (`check_json`, `examples_json` here), where it goes through `engine.loads` only.
"""

from __future__ import annotations

import html
import json
import urllib.parse
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from engine import api
from engine.base.diagnostics import Diagnostic, RulesError
from engine.check.model import FactDecl
from engine.explain.whynot import Unmet
from engine.inputs.facts import FactsError
from engine.lang import formatting
from engine.lang.kinds import TypeKind
from engine.lang.results import Missing
from engine.tools.jsonio import result_with_unmet

_RESULTS = "r"
"""Query key of a chosen result (repeated); every other key that names a fact is an answer."""
_CHANGE = "modifier"
"""Query key asking the interview to ask again an answered fact."""
_RADIOS = 6
"""Enumerations of at most this many words are radio buttons; longer ones, a drop-down list."""
MAX_COLOURED_LINE = 2_000
"""Longer lines are shown uncoloured: the highlighter's patterns take seconds on a 250 kB line, and
the check of a text must stay within the time limit."""


def coloured(text: str) -> str:
    """Rule text as HTML coloured by `engine.syntax.highlight`, line by line, long lines escaped as they are."""
    from engine.syntax.highlight import highlight_html
    return "\n".join(highlight_html(line) if len(line) <= MAX_COLOURED_LINE else html.escape(line)
                     for line in text.split("\n"))


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str, *, script: str | None = None) -> str:
    js = f'<script src="/static/{script}" defer></script>\n' if script else ""
    return ('<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{_e(title)}</title>\n<link rel="stylesheet" href="/static/style.css">\n{js}</head>\n<body>\n'
            '<a class="evitement" href="#contenu">Aller au contenu</a>\n'
            '<header class="bandeau"><a href="/">regles</a></header>\n'
            f'<main id="contenu">\n{body}\n</main>\n</body>\n</html>\n')


class Served(Protocol):
    """The rule files a server serves (`engine.serve.server.Catalog`), as the home page lists them."""

    def names(self) -> list[str]: ...

    def ruleset(self, name: str) -> api.Ruleset: ...


def index_page(catalog: Served) -> str:
    """The home page: each served rule file with its interview, and the playground."""
    rows = []
    for name in catalog.names():
        try:
            title = catalog.ruleset(name).title
        except Exception:  # noqa: BLE001 - a file with errors is still listed, for the playground
            title = "(contient des erreurs)"
        rows.append(f'<li><strong>{_e(title)}</strong> — <a href="/entretien/{_e(name)}">entretien</a>, '
                    f'<a href="/atelier?fichier={_e(name)}">atelier</a>, '
                    f'<a href="/api/{_e(name)}/schema">schéma des faits</a></li>')
    return _page("regles", "<h1>Règles servies</h1>\n<ul>" + "".join(rows) + "</ul>\n"
                 '<p><a href="/atelier">Atelier</a> : modifier un fichier de règles et voir son effet. '
                 '<a href="/openapi.json">Description OpenAPI</a> de l\'API JSON.</p>')


def problem_page(status: int, message: str, body: Mapping[str, object]) -> str:
    """An error as a page (an unknown file, rules with errors…)."""
    problems = body.get("problemes")
    more = "".join(f"<li>{_e(p)}</li>" for p in (problems if isinstance(problems, list | tuple) else ()))
    return _page("Erreur", f'<h1>Erreur {status}</h1>\n<p role="alert">{_e(message)}</p>'
                 + (f"<ul>{more}</ul>" if more else "") + '<p><a href="/">Retour à l\'accueil</a></p>')


# ─── The interview ───────────────────────────────────────────────────────────────────────────

def answers_of(ruleset: api.Ruleset, query: list[tuple[str, str]]) -> tuple[dict[str, object], list[str]]:
    """The answers (fact → text, in the order given; an empty field is no answer) and the chosen results.

    A rate is typed as a percentage in the interview: « 80 » means 80 %.
    """
    answers: dict[str, object] = {}
    chosen: list[str] = []
    for key, value in query:
        if key == _RESULTS and value in ruleset.program.outputs and value not in chosen:
            chosen.append(value)
        elif key in ruleset.facts and value.strip():
            if ruleset.facts[key].type.kind == TypeKind.TAUX and not value.strip().endswith("%"):
                value = value.strip() + " %"
            answers[key] = value
    return answers, chosen


def interview_page(name: str, ruleset: api.Ruleset, query: list[tuple[str, str]]) -> str:
    """The interview page for the answers and chosen results of `query`."""
    answers, chosen = answers_of(ruleset, query)
    raw = {k: v for k, v in query if k in answers}
    title = f"Entretien — {ruleset.title}"
    if not chosen:
        return _page(title, _choose_results(name, ruleset))
    errors: dict[str, str] = {}
    while True:  # bad answers are dropped, and asked again with their message
        try:
            outcome = ruleset.evaluate(answers, outputs=chosen)
            break
        except FactsError as exc:
            if not any(p.fact in answers for p in exc.problems):
                raise
            for problem in exc.problems:
                errors[problem.fact] = str(problem)
                answers.pop(problem.fact, None)
    order = _questions(outcome, chosen)
    change = next((v for k, v in query if k == _CHANGE and v in ruleset.facts), None)
    asked = change or next((f for f in order if f in errors), None) or (order[0] if order else None)
    parts = [f"<h1>{_e(ruleset.title)}</h1>",
             (f'<p class="petit">Entretien : une question à la fois, seulement ce que les résultats choisis '
              f'demandent encore. <a href="/entretien/{_e(name)}">Recommencer</a></p>')]
    if asked is not None:
        parts.append(_question_form(name, ruleset, chosen, raw, answers, asked, errors.get(asked), len(order)))
    else:
        parts.append('<p class="fini" role="status">Toutes les questions utiles ont une réponse.</p>')
    parts.append(_results_html(outcome, chosen))
    if asked is None:
        parts.append(_letters_html(name, ruleset, query))
    parts.append(_answers_html(name, ruleset, chosen, raw, outcome.facts))
    return _page(title, "\n".join(parts))


def _questions(outcome: api.Outcome, chosen: list[str]) -> list[str]:
    """The facts the chosen results lack, the first one the reasoning stopped on first."""
    from engine.explain.summary import _in_order_read  # the order of the summaries' « Questions à poser »
    found: list[str] = []
    for name in chosen:
        result = outcome.results[name]
        if isinstance(result, Missing):
            found += [f for f in _in_order_read(outcome.event(name), result.facts) if f not in found]
    return found


def _choose_results(name: str, ruleset: api.Ruleset) -> str:
    boxes = []
    for out in ruleset.program.outputs:
        d = ruleset.program.definitions[out]
        label = (d.description or out).split("\n")[0]
        boxes.append(f'<li><label><input type="checkbox" name="{_RESULTS}" value="{_e(out)}" checked> '
                     f'{_e(label)}</label></li>')
    return (f"<h1>{_e(ruleset.title)}</h1>\n"
            "<p>Cet entretien pose, une à une, les seules questions nécessaires aux résultats choisis, "
            "et montre chaque résultat dès qu'il est connu. Les réponses restent dans l'adresse de la page : "
            "rien n'est conservé sur le serveur.</p>\n"
            f'<form method="get" action="/entretien/{_e(name)}">\n<fieldset><legend>Résultats à établir</legend>\n'
            f'<ul class="choix">{"".join(boxes)}</ul></fieldset>\n'
            '<p><button type="submit">Commencer</button></p>\n</form>')


def _hidden(key: str, value: str) -> str:
    return f'<input type="hidden" name="{_e(key)}" value="{_e(value)}">'


def _question_form(name: str, ruleset: api.Ruleset, chosen: list[str], raw: dict[str, str],
                   answers: Mapping[str, object], asked: str, error: str | None, remaining: int) -> str:
    decl = ruleset.facts[asked]
    keys = list(raw)
    before = keys[:keys.index(asked)] if asked in keys else [k for k in keys if k in answers]
    after = keys[keys.index(asked) + 1:] if asked in keys else []
    hidden = "".join(_hidden(_RESULTS, r) for r in chosen) + "".join(_hidden(k, raw[k]) for k in before if k in answers)
    tail = "".join(_hidden(k, raw[k]) for k in after if k in answers)
    given = [k for k in keys if k in answers and k != asked]
    back = ""
    if given:
        back_query = [*((_RESULTS, r) for r in chosen), *((k, raw[k]) for k in keys if k in answers),
                      (_CHANGE, given[-1])]
        back_url = f"/entretien/{_e(name)}?{_e(urllib.parse.urlencode(back_query))}"
        back = f' <a class="bouton secondaire" href="{back_url}">Précédent</a>'
    count = (f'<p class="petit" id="progression">{len(given)} réponse{"s" if len(given) > 1 else ""} donnée'
             f'{"s" if len(given) > 1 else ""} ; {remaining} fait{"s" if remaining > 1 else ""} encore '
             f'nécessaire{"s" if remaining > 1 else ""} à ce stade.</p>')
    return (f'<form method="get" action="/entretien/{_e(name)}" class="question" aria-describedby="progression">\n'
            f"{hidden}\n{_input_html(decl, raw.get(asked, ''), error)}\n{tail}\n"
            f'<p class="actions"><button type="submit">Suivant</button>{back}</p>\n{count}</form>')


def _input_html(decl: FactDecl, value: str, error: str | None) -> str:
    """The typed input of one fact, labelled by its question, with its description and any error."""
    question = decl.question or decl.description or decl.name
    field = f"q-{decl.name}"
    notes = []
    if decl.question and decl.description:
        notes.append(decl.description)
    bounds = _bounds(decl)
    if bounds:
        notes.append(bounds)
    described = []
    help_html = ""
    if notes:
        described.append(f"{field}-aide")
        help_html = f'<p class="aide" id="{field}-aide">{_e(" ; ".join(notes))}</p>'
    error_html = ""
    if error:
        described.append(f"{field}-erreur")
        error_html = f'<p class="erreur" id="{field}-erreur" role="alert">Réponse refusée : {_e(error)}</p>'
    aria = f' aria-describedby="{" ".join(described)}"' if described else ""
    invalid = ' aria-invalid="true"' if error else ""
    t = decl.type
    choices = _choices(decl)
    if choices is not None and len(choices) <= _RADIOS:
        radios = "".join(
            f'<li><label><input type="radio" name="{_e(decl.name)}" value="{_e(v)}" required'
            f'{" checked" if v == value else ""}{" autofocus" if i == 0 else ""}> {_e(label)}</label></li>'
            for i, (v, label) in enumerate(choices))
        return (f'<fieldset{aria}{invalid}><legend class="question-texte">{_e(question)}</legend>'
                f'{help_html}{error_html}<ul class="choix">{radios}</ul></fieldset>')
    head = f'<label class="question-texte" for="{field}">{_e(question)}</label>{help_html}{error_html}'
    if choices is not None:
        options = '<option value="">— choisir —</option>' + "".join(
            f'<option value="{_e(v)}"{" selected" if v == value else ""}>{_e(label)}</option>' for v, label in choices)
        return f'{head}<select id="{field}" name="{_e(decl.name)}" required autofocus{aria}{invalid}>{options}</select>'
    attrs = f'id="{field}" name="{_e(decl.name)}" required autofocus{aria}{invalid}'
    suffix = ""
    match t.kind:
        case TypeKind.DATE:
            control = f'<input type="date" {attrs} value="{_e(value)}">'
        case TypeKind.ENTIER:
            limits = "".join(f' {k}="{_e(v)}"' for k, v in (("min", decl.low), ("max", decl.high))
                             if isinstance(v, int))
            control = f'<input type="number" step="1" inputmode="numeric"{limits} {attrs} value="{_e(value)}">'
        case TypeKind.TAUX:
            shown = value.strip().removesuffix("%").strip()
            limits = "".join(f' {k}="{_e(_percent(v))}"' for k, v in (("min", decl.low), ("max", decl.high))
                             if isinstance(v, (int, Decimal)))
            control = f'<input type="number" step="any" inputmode="decimal"{limits} {attrs} value="{_e(shown)}">'
            suffix = '<span class="unite" aria-hidden="true">%</span>'
        case TypeKind.MONTANT | TypeKind.DECIMAL:
            control = (f'<input type="text" inputmode="decimal" pattern="-?[0-9 ]+([.,][0-9]+)?" '
                       f'{attrs} value="{_e(value)}">')
            suffix = '<span class="unite" aria-hidden="true">€</span>' if t.kind == TypeKind.MONTANT else ""
        case _:
            control = f'<input type="text" {attrs} value="{_e(value)}">'
    return f'{head}<div class="saisie">{control}{suffix}</div>'


def _choices(decl: FactDecl) -> list[tuple[str, str]] | None:
    """(value sent, label shown) of a fact with a closed list of answers, else None."""
    t = decl.type
    if t.kind == TypeKind.ENUM:
        return [(v, t.label(v)) for v in t.values]
    if t.kind == TypeKind.BOOLEEN:
        return [("oui", "Oui"), ("non", "Non")]
    if decl.allowed is not None:
        return [(_json_text(v), formatting.value(v, t)) for v in decl.allowed]
    return None


def _json_text(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _percent(value: object) -> str:
    """A rate's bound as the percentage an input's min or max takes: plain digits, no exponent."""
    return format((Decimal(str(value)) * 100).normalize(), "f")


def _bounds(decl: FactDecl) -> str | None:
    if decl.low is None and decl.high is None:
        return None

    def show(v: object) -> str:
        return formatting.value(v, decl.type)

    if decl.low is not None and decl.high is not None:
        return f"entre {show(decl.low)} et {show(decl.high)}"
    return f"au moins {show(decl.low)}" if decl.low is not None else f"au plus {show(decl.high)}"


def _results_html(outcome: api.Outcome, chosen: list[str]) -> str:
    from engine.explain.summary import summarize
    definitions = outcome.ruleset.program.definitions
    items = []
    for name in chosen:
        result = outcome.results[name]
        data = result_with_unmet(outcome, name, result)
        attrs = (f'data-resultat="{_e(name)}" data-statut="{_e(result.status)}" '
                 f'data-json="{_e(json.dumps(data, ensure_ascii=False, sort_keys=True))}"')
        label = (definitions[name].description or name).split("\n")[0]
        if isinstance(result, Missing):
            items.append(f'<li class="resultat attente" {attrs}><strong>{_e(label)}</strong> : '
                         f'<span class="petit">en attente de réponses</span></li>')
            continue
        s = summarize(outcome, name)
        body = [f'<strong>{_e(s.label)}</strong> : <span class="valeur">{_e(s.value)}</span>']
        if s.why:
            body.append(f"<p>Pourquoi : {_e(s.why)}</p>")
        if s.calculation:
            body.append(f'<p>Calcul : <span class="calcul">{_e(s.calculation)}</span></p>')
        unmet = outcome.unmet(name)
        if unmet:
            body.append(f'<p>Condition{"s" if len(unmet) > 1 else ""} non remplie{"s" if len(unmet) > 1 else ""} :</p>'
                        + _unmet_html(unmet))
        elif s.conditions:
            body.append("<ul>" + "".join(f'<li class="petit">{_e(i.text())}</li>' for i in s.conditions) + "</ul>")
        items.append(f'<li class="resultat {_e(result.status)}" {attrs}>' + "\n".join(body) + "</li>")
    return ('<section aria-labelledby="titre-resultats" aria-live="polite"><h2 id="titre-resultats">Résultats</h2>'
            f'<ul class="resultats">{"".join(items)}</ul></section>')


def _unmet_html(unmet: Sequence[Unmet]) -> str:
    items = "".join(f'<li class="non-remplie">{_e(u.text)}{_unmet_html(u.children) if u.children else ""}</li>'
                    for u in unmet)
    return f'<ul class="non-remplies">{items}</ul>'


def _letters_html(name: str, ruleset: api.Ruleset, query: list[tuple[str, str]]) -> str:
    from engine.letters.render import available_letters
    letters = available_letters(ruleset)
    if not letters:
        return ""
    q = urllib.parse.urlencode([(k, v) for k, v in query if k != _CHANGE])
    links = "".join(f'<li><a href="/entretien/{_e(name)}/courrier/{_e(m)}?{_e(q)}" download>'
                    f'{_e(m.replace("_", " "))} (PDF)</a></li>' for m in letters)
    return ('<section aria-labelledby="titre-courriers"><h2 id="titre-courriers">Courriers</h2>'
            f'<ul>{links}</ul></section>')


def _answers_html(name: str, ruleset: api.Ruleset, chosen: list[str], raw: dict[str, str],
                  answers: Mapping[str, object]) -> str:
    rows = []
    keys = [k for k in raw if k in answers]
    for key in keys:
        decl = ruleset.facts[key]
        query = [(_RESULTS, r) for r in chosen] + [(k, raw[k]) for k in keys] + [(_CHANGE, key)]
        choices = dict(_choices(decl) or [])
        shown = choices[raw[key]] if raw[key] in choices else formatting.value(answers[key], decl.type)
        rows.append(f'<li><span class="petit">{_e(decl.question or decl.description or key)}</span><br>'
                    f'<strong data-fait="{_e(key)}">{_e(shown)}</strong> '
                    f'<a href="/entretien/{_e(name)}?{_e(urllib.parse.urlencode(query))}">'
                    f'Modifier<span class="invisible"> : {_e(decl.question or key)}</span></a></li>')
    if not rows:
        return ""
    return ('<section aria-labelledby="titre-reponses"><h2 id="titre-reponses">Vos réponses</h2>'
            f'<ul class="reponses">{"".join(rows)}</ul></section>')


# ─── The playground ──────────────────────────────────────────────────────────────────────────

def atelier_page(name: str, names: list[str], text: str) -> str:
    """The playground on the text of one served file: an editor, its diagnostics, examples and facts."""
    choices = " ".join(f'<a href="/atelier?fichier={_e(n)}"{" aria-current=page" if n == name else ""}>{_e(n)}</a>'
                       for n in names)
    body = f"""<h1>Atelier</h1>
<p class="petit">Fichier : {choices}. Le texte modifié est vérifié à chaque frappe, comme par
<code>regles check</code> ; rien n'est enregistré sur le serveur.</p>
<div class="atelier" data-fichier="{_e(name)}">
<div class="editeur-bloc">
<label for="source">Texte des règles ({_e(name)}.rules)</label>
<div class="editeur">
<pre class="couche surlignage" aria-hidden="true">{coloured(text)}
</pre><pre class="couche soulignage" aria-hidden="true"></pre><textarea id="source" spellcheck="false"
 autocomplete="off" autocapitalize="off" aria-describedby="diagnostics">{_e(text)}</textarea>
</div>
<div id="diagnostics" role="status" aria-live="polite"><p class="petit">Vérification…</p></div>
</div>
<div class="panneau">
<h2>Exemples</h2>
<p><button type="button" id="lancer-exemples">Lancer les exemples</button></p>
<div id="exemples" aria-live="polite"></div>
<h2>Évaluer</h2>
<label for="faits">Faits (objet JSON)</label>
<textarea id="faits" spellcheck="false" rows="8">{{}}</textarea>
<p><button type="button" id="evaluer">Évaluer</button></p>
<div id="evaluation" aria-live="polite"></div>
</div>
</div>"""
    return _page(f"Atelier — {name}", body, script="atelier.js")


def _diagnostic_json(d: Diagnostic, text: str) -> dict[str, object]:
    out = d.to_json()
    out.pop("labels", None)
    out["start"], out["end"] = d.span.start, d.span.end
    out["rendered"] = f"{d.code} {d.span.line}:{d.span.column} {d.message}" + (f" ({d.hint})" if d.hint else "")
    return out


def check_json(text: str, name: str, directory: Path) -> dict[str, object]:
    """The diagnostics of an edited text (those about the text itself; others are counted), and its highlighting."""
    filename = str(directory / f"{name}.rules")
    try:
        ruleset = api.loads(text, filename=filename, root=directory)
        found, ok = list(ruleset.warnings), True
        summary = f"{len(ruleset.program.outputs)} résultats, {len(ruleset.program.examples)} exemples — correct"
    except RulesError as exc:
        found, ok = list(exc.diagnostics), False
        errors = sum(1 for d in found if d.is_error)
        summary = f"{errors} erreur{'s' if errors > 1 else ''}"
    here = [_diagnostic_json(d, text) for d in found if d.span.file == filename]
    elsewhere = [_diagnostic_json(d, text) for d in found if d.span.file != filename]
    return {"ok": ok, "resume": summary, "diagnostics": here, "ailleurs": elsewhere, "html": coloured(text)}


def examples_json(text: str, name: str, directory: Path) -> dict[str, object]:
    """Each example of an edited text, passed or not, as `regles test` reports it."""
    from engine.tools.examples import run_examples
    try:
        ruleset = api.loads(text, filename=str(directory / f"{name}.rules"), root=directory)
    except RulesError as exc:
        return {"ok": False, "resume": "le texte contient des erreurs : corriger d'abord les diagnostics",
                "exemples": [], "diagnostics": [_diagnostic_json(d, text) for d in exc.diagnostics]}
    runs = run_examples(ruleset)
    failed = sum(1 for r in runs if not r.passed)
    return {"ok": not failed, "resume": f"{len(runs) - failed} réussi{'s' if len(runs) - failed > 1 else ''}, "
                                        f"{failed} échoué{'s' if failed > 1 else ''}",
            "exemples": [{"titre": r.case.title, "ligne": r.case.span.line, "reussi": r.passed, "erreur": r.error,
                          "ecarts": [{"resultat": m.name, "attendu": m.expected, "obtenu": m.obtained}
                                     for m in r.mismatches]} for r in runs]}
