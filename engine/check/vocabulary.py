"""What a rule file says about itself for reports: its headline result and its breakdown facts.

The engine knows no domain name. The header names the boolean result that decides a case
(`résultat principal : NOM`), which batch counts, the impact report sorts rows on and letters
read by default, and the facts the impact report breaks cases down by (`ventilation : FAIT, …`).
An amending file inherits both and may redeclare either; an inherited headline the amending file
withdraws or turns into something else is an error at its `modifie` line, since every report
would otherwise read a result that is not there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from engine.base.diagnostics import Diagnostic, error, suggest
from engine.check import model
from engine.lang.types import BOOLEEN, ENTIER, Type, same
from engine.syntax import ast

Report = Callable[[Diagnostic], None]


def headline(header: ast.Header, parent: model.Program | None, effective: Mapping[str, model.Definition],
             report: Report) -> str | None:
    """The headline result of the file (declared, else inherited), or None; reports E706 when it is
    not a boolean `résultat` of the file."""
    name = header.headline if header.headline is not None else (parent.headline if parent else None)
    if name is None:
        return None
    local = header.headline is not None
    span = header.headline_span if local else header.amends_span
    problem = _headline_problem(name, effective)
    if problem is None:
        return name
    message, hint = problem
    if not local:
        message = f"résultat principal hérité : {message}"
        hint = "déclarez dans l'en-tête le résultat principal de ce fichier : résultat principal : nom"
    report(error("E706", message, span, hint))
    return None


def _headline_problem(name: str, effective: Mapping[str, model.Definition]) -> tuple[str, str | None] | None:
    """Why `name` cannot be the headline result (a message and a hint), or None when it can."""
    booleans = [n for n, d in effective.items() if d.is_output and same(d.type, BOOLEEN)]
    found = effective.get(name)
    if found is None:
        return (f"résultat principal inconnu « {name} »",
                suggest(name, booleans) or _listing("résultats booléens", booleans))
    if not same(found.type, BOOLEEN):
        return (f"le résultat principal est un résultat booléen, « {name} » est un {found.type}",
                _listing("résultats booléens", booleans))
    if not found.is_output:
        return (f"le résultat principal est un résultat du fichier, « {name} » est une règle intermédiaire",
                f"déclarez-le avec « résultat {name} : booléen » au lieu de « règle »")
    return None


def breakdown(header: ast.Header, parent: model.Program | None, facts: Mapping[str, model.FactDecl],
              report: Report) -> tuple[str, ...]:
    """The breakdown facts of the file (declared, else inherited); reports E707 for a name that is
    not a fact of enumeration, boolean or integer type, and leaves it out."""
    if header.breakdown is None:
        return parent.breakdown if parent else ()
    candidates = [n for n, f in facts.items() if _breaks_down(f.type)]
    kept: list[str] = []
    for name, span in zip(header.breakdown, header.breakdown_spans or (header.span,) * len(header.breakdown),
                          strict=True):
        problem = _breakdown_problem(name, facts, candidates, kept)
        if problem is None:
            kept.append(name)
        else:
            report(error("E707", problem[0], span, problem[1]))
    return tuple(kept)


def _breakdown_problem(name: str, facts: Mapping[str, model.FactDecl], candidates: list[str],
                       kept: list[str]) -> tuple[str, str | None] | None:
    """Why `name` cannot break cases down (a message and a hint), or None when it can."""
    fact = facts.get(name)
    if fact is None:
        return (f"fait inconnu « {name} » dans la ventilation",
                suggest(name, candidates) or _listing("faits possibles", candidates))
    if not _breaks_down(fact.type):
        return (f"on ventile par un fait énumération, booléen ou entier, « {name} » est un {fact.type}",
                _listing("faits possibles", candidates))
    if name in kept:
        return (f"« {name} » est écrit deux fois dans la ventilation", "gardez-le une seule fois")
    return None


def _breaks_down(t: Type) -> bool:
    """Whether a fact of this type has few enough values to group cases by: an enumeration, a boolean
    or an integer (a count of years, a sector)."""
    return bool(t.values) or same(t, BOOLEEN) or same(t, ENTIER)


def _listing(what: str, names: list[str]) -> str | None:
    return f"{what} : " + ", ".join(names) if names else None

