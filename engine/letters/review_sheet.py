"""The agent's review sheet (`regles letter … --fiche`): what the caisse checks before signing.

Stage: `Outcome` + the letter's issuance (a rendered letter's context, or the reason it was not
issued) → sections of French text → txt, HTML or PDF. The letter to the doctor carries no
modelling reservation; they are here, limited to the ones the values PRINTED in the letter rest
on (`State._printed`, recorded while the template read them), plus those of the headline result
(`résultat principal`) when the letter notifies a decision on it.
"""

from __future__ import annotations

import datetime as dt
import html

from engine.api import Outcome
from engine.check.model import FactDecl
from engine.evaluate.trace import Event
from engine.explain.detail import flags
from engine.explain.summary import summarize
from engine.lang import formatting
from engine.lang.statuses import Status
from engine.letters.filters import f_typst, f_valeur
from engine.letters.typesetting import typeset

Section = tuple[str, list[str]]


def sheet_sections(outcome: Outcome, template: str, when: dt.date, *, reference: str | None,
                   dossier: str | None, printed: list[tuple[Outcome, str]] | None, refused: str | None,
                   rules_sha256: str, confirm: tuple[str, ...] = (), explains: tuple[str, ...] = (),
                   headline_reserves: bool = False) -> tuple[str, list[Section]]:
    """The sheet's title and sections. `printed` is None when no letter was rendered; `refused` the reason;
    `confirm` what the letter's declaration asks the agent to confirm (`a_confirmer_si_vrai`), `explains`
    the results it explains beside the headline (`[fiche] explique`), and `headline_reserves` whether the
    letter prints the headline result itself (`[fiche] reserves_du_resultat`)."""
    program = outcome.ruleset.program
    head = [f"Dossier : {dossier or 'non indiqué'}",
            f"Courrier : {template}, daté du {when.strftime('%d/%m/%Y')}",
            f"Référence : {reference or 'aucune (pas de courrier)'}",
            f"Fichier de règles : {program.text.file} (SHA-256 {rules_sha256[:16]}…)"]
    if refused:
        head.append(f"AUCUN COURRIER AU MÉDECIN : {refused}.")
    else:
        head.append("Courrier rédigé : à relire et signer après les vérifications ci-dessous.")
    sections: list[Section] = [("Fiche de contrôle — document interne, à ne pas envoyer au médecin", head)]
    for name in _explained(outcome, explains):
        sections.append((f"Explication : {name}", summarize(outcome, name).lines(40)))
    reserves = _reservations(outcome, printed or [], headline_reserves)
    if printed is not None:
        sections.append(("Réserves dont dépendent les valeurs imprimées dans le courrier",
                         reserves or [("Aucune : les valeurs imprimées ne reposent sur aucun élément à confirmer "
                                       "ni choix de modélisation.")]))
    sections.append(("À vérifier avant de signer", _checks(outcome, reserves, dossier, refused)
                     + [f"À confirmer — {item}" for item in confirm]))
    facts = outcome.ruleset.facts
    sections.append(("Faits du dossier", [
        f"{(facts[k].question if k in facts and facts[k].question else k)} : {_shown(v, facts.get(k))}"
        for k, v in sorted(outcome.facts.items())]))
    return f"Fiche de contrôle — {template} — {dossier or reference or ''}".rstrip(" —"), sections


def _explained(outcome: Outcome, explains: tuple[str, ...]) -> list[str]:
    """The headline result, then the results the declaration names that this rule file computes."""
    headline = outcome.ruleset.program.headline
    names = [headline] if headline is not None else []
    return names + [n for n in explains if n in outcome.ruleset.program.definitions and n not in names]


def _reservations(outcome: Outcome, printed: list[tuple[Outcome, str]], headline_reserves: bool) -> list[str]:
    """Each mark once, with the printed values that rest on it."""
    pairs = list(printed)
    headline = outcome.ruleset.program.headline
    if headline is not None and headline_reserves and printed:
        pairs.append((outcome, headline))
    found: dict[tuple[Status, str, str | None], list[str]] = {}
    events: dict[tuple[int, str], Event] = {}
    for source, name in pairs:
        key = (id(source), name)  # the outcome object (a runtime result, one per case or schedule row)
        if key in events:
            continue
        events[key] = Outcome(source.ruleset, source.facts, {}).event(name)
        axis = source.ruleset.program.schedule.axis if source.ruleset.program.schedule else None
        where = name + (f" (année {source.facts[axis]})" if axis and source is not outcome and axis in source.facts
                        else "")
        for flag in flags(events[key]):
            users = found.setdefault((flag.kind, f"{flag.definition} ({flag.text})", flag.note), [])
            if where not in users:
                users.append(where)
    ordered = sorted(found.items(), key=lambda item: item[0][0] is not Status.TO_CONFIRM)
    return [f"{kind.heading} — {subject}"
            + (f" : {note}" if note else "") + f". Valeurs imprimées concernées : {', '.join(users)}."
            for (kind, subject, note), users in ordered]


def _checks(outcome: Outcome, reserves: list[str], dossier: str | None, refused: str | None) -> list[str]:
    checks = []
    if refused:
        checks.append("Aucun courrier n'a été rédigé : traiter le dossier selon le motif ci-dessus "
                      "(autre courrier, faits à compléter ou décision hors de ce calcul).")
    else:
        checks.append("Le nom et l'adresse du médecin, et la date du courrier.")
        checks.append("Chaque fait du dossier ci-dessous, au regard des pièces reçues.")
    confirm = [r for r in reserves if r.startswith(Status.TO_CONFIRM.heading)]
    if confirm:
        checks.append(f"Les {len(confirm)} élément(s) « {Status.TO_CONFIRM.label} » ci-dessus : le courrier "
                      "imprime des valeurs qui en dépendent.")
    if not dossier:
        checks.append("Aucun numéro de dossier n'a été donné : la référence est tirée des faits, et deux "
                      "médecins aux faits identiques auraient la même (donner --dossier).")
    return checks


def _shown(value: object, decl: FactDecl | None) -> str:
    """A fact's value in words: an enumeration's label, `oui`/`non`, a long date, a French number."""
    if decl is not None and not isinstance(value, bool):
        try:
            return formatting.value(value, decl.type)
        except (TypeError, ValueError, AttributeError):
            pass
    return f_valeur(value)


# ─── Formats ─────────────────────────────────────────────────────────────────────────────────

def sheet_text(title: str, sections: list[Section]) -> str:
    out: list[str] = []
    for heading, lines in sections:
        out += [heading, "-" * len(heading)]
        out += [line if line.startswith(" ") else f"- {line}" if len(lines) > 1 else line for line in lines]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def sheet_html(title: str, sections: list[Section]) -> str:
    body = []
    for i, (heading, lines) in enumerate(sections):
        tag = "h1" if i == 0 else "h2"
        items = "".join(_item(line) for line in lines)
        body.append(f"<{tag}>{html.escape(heading)}</{tag}>\n<ul>{items}</ul>")
    return ("<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>body {{ font: 1rem/1.5 Arial, sans-serif; margin: 1rem auto; "
            "max-width: 50rem; padding: 0 1rem; overflow-wrap: break-word; color: #1a1a1a; } h1 { font-size: 1.2rem; } "
            "h2 { font-size: 1rem; border-bottom: 1px solid #929292; } li { margin-bottom: .3rem; } "
            "li.sous { margin-left: 1.5rem; list-style: circle; }</style>\n"
            "</head>\n<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


def _item(line: str) -> str:
    """A line of the sheet as an HTML list item; a line indented under another is a sub-item."""
    nested = line.startswith("  - ")
    text = html.escape(line.strip().removeprefix("- ") if nested else line.strip())
    return f'<li class="sous">{text}</li>' if nested else f"<li>{text}</li>"


def sheet_pdf(title: str, sections: list[Section], when: dt.date) -> bytes:
    parts = [f"#set document(title: {f_typst(title)})",
             '#set page(paper: "a4", margin: 2cm)',
             '#set text(font: "Libertinus Serif", size: 9.5pt, lang: "fr", region: "FR")',
             "#set par(justify: false)"]
    for i, (heading, lines) in enumerate(sections):
        parts.append(f"#heading(level: {1 if i == 0 else 2}, {f_typst(heading)})")
        parts += [f"  - #{f_typst(line.strip().removeprefix('- '))}" if line.startswith("  - ")
                  else f"- #{f_typst(line.strip())}" for line in lines]
        parts.append("")
    return typeset("\n".join(parts), when)


def render_sheet(fmt: str, title: str, sections: list[Section], when: dt.date) -> str | bytes:
    """The sheet in `fmt` (txt, html, pdf)."""
    if fmt == "html":
        return sheet_html(title, sections)
    if fmt == "pdf":
        return sheet_pdf(title, sections, when)
    return sheet_text(title, sections)
