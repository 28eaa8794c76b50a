"""Letter context: what a letter template can read about an `Outcome`, as views.

Stage: `Outcome` → views over its results, facts, unmet conditions with margins, flags and the
schedule → a plain mapping given to the templates by `engine.letters.render`. Values stay typed: the
templates format them through the filters `engine.letters.render` registers. A view that is asked for
something the outcome lacks answers with a `StrictUndefined` naming the closest names, so the
template fails with its name and line instead of printing a blank.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypedDict

import jinja2

from engine.api import Outcome, Ruleset, load
from engine.base.diagnostics import suggest
from engine.check.model import Program, TextInfo
from engine.evaluate.backend import backend_for
from engine.evaluate.trace import Event
from engine.explain.detail import flags
from engine.explain.whynot import Unmet, WhyNot
from engine.lang import formatting
from engine.lang.kinds import DeclarationKind
from engine.lang.results import STATUS_FRENCH, Missing, Result, Value
from engine.lang.statuses import Status
from engine.lang.types import Type
from engine.letters.inputs import (
    DEFAULT_CAISSE,
    DEFAULT_DESTINATAIRE,
    DEFAULT_RECOURS,
    DEFAULT_SIGNATAIRE,
    as_date,
    marque_option,
    merge_option,
)
from engine.letters.issuance import reference
from engine.schedule import Schedule, schedule

SOURCE_SUFFIX = {"txt": "txt", "html": "html", "pdf": "typ"}
"""The source a letter format is rendered from: Typst source for PDF."""


class LetterContext(TypedDict):
    """The variables a template reads (docs/letters.md, « Context variables »)."""

    courrier: str
    format: str
    mise_en_page: str
    blocs: str
    texte: dict[str, object]
    textes: list[dict[str, object]]
    faits: FactsView
    libelles: LabelsView
    resultats: ResultsView
    valeurs: ValuesView
    parametres: ParametersView
    echeancier: ScheduleView
    conditions_non_remplies: Callable[..., list[UnmetView]]
    informations_manquantes: Callable[..., list[str]]
    reserves: Callable[..., list[ReserveView]]
    destinataire: dict[str, object]
    caisse: dict[str, object]
    signataire: dict[str, object]
    recours: dict[str, object]
    marque: dict[str, object]
    date_courrier: dt.date
    reference: str
    dossier: str | None


def letter_context(outcome: Outcome, template: str = "", *, format: str = "txt", **options: object) -> LetterContext:
    """The variables a template can read (see docs/letters.md); values stay typed, filters format them."""
    known = {"destinataire", "caisse", "date", "reference", "signataire", "recours", "marque", "dossier"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"option inconnue : {', '.join(unknown)} ; options possibles : {', '.join(sorted(known))}")
    program = outcome.ruleset.program
    state = State(outcome)
    marque = marque_option(options.get("marque"))
    when = as_date(options.get("date"), "date") or dt.date.today()
    dossier = str(options["dossier"]) if options.get("dossier") else None
    suffix = SOURCE_SUFFIX.get(format, "txt")
    return {
        "courrier": template,
        "format": format,
        "mise_en_page": f"_mise_en_page.{suffix}.j2",
        "blocs": f"_blocs.{suffix}.j2",
        "texte": _text_view(program.text),
        "textes": [_text_view(t) for t in program.texts],
        "faits": FactsView(state),
        "libelles": LabelsView(state),
        "resultats": ResultsView(state, outcome),
        "valeurs": ValuesView(state, outcome),
        "parametres": ParametersView(outcome),
        "echeancier": ScheduleView(state),
        "conditions_non_remplies": state.unmet,
        "informations_manquantes": state.missing_questions,
        "reserves": state.reserves,
        "destinataire": merge_option(DEFAULT_DESTINATAIRE, options.get("destinataire"), "destinataire"),
        "caisse": merge_option(DEFAULT_CAISSE, options.get("caisse"), "caisse"),
        "signataire": merge_option(DEFAULT_SIGNATAIRE, options.get("signataire"), "signataire", scalar="qualite"),
        "recours": merge_option(DEFAULT_RECOURS, options.get("recours"), "recours"),
        "marque": marque,
        "date_courrier": when,
        "reference": str(options.get("reference") or reference(dossier, template, when, outcome)),
        "dossier": dossier,
    }


# ─── Context views ───────────────────────────────────────────────────────────────────────────
# Views give templates attribute access to typed values. Their own data is kept in attributes
# starting with `_`, which the sandbox refuses to templates.

class Manquant:
    """Stands for a value whose facts are missing; rendering goes on to find every missing fact."""

    def __str__(self) -> str:
        return ""

    def __html__(self) -> str:
        return ""

    def __bool__(self) -> bool:
        return False

    def __iter__(self) -> Iterator[object]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key: object) -> object:
        return self

    def __call__(self, *args: object, **kwargs: object) -> object:
        return self

    def _same(self, *args: object) -> Manquant:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _same
    __neg__ = _same

    def _false(self, other: object) -> bool:
        return False

    __lt__ = __le__ = __gt__ = __ge__ = _false

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Manquant)

    __hash__ = object.__hash__


class State:
    """What one rendering shares: the outcome, the facts found missing, and cached traces."""

    def __init__(self, outcome: Outcome) -> None:
        self._outcome = outcome
        self._missing: set[str] = set()
        self._events: dict[str, Event] = {}
        self._printed: dict[tuple[int, str], tuple[Outcome, str]] = {}
        """(outcome, rule) whose value the letter read: the review sheet's reservations are theirs."""

    def printed(self, outcome: Outcome, name: str) -> None:
        """Record that the letter read the value of `name` in `outcome` (the letter's or a schedule row's)."""
        # keyed by the outcome object: a runtime result (the letter's or a schedule row's), not a node
        self._printed.setdefault((id(outcome), name), (outcome, name))

    def need(self, result: Result) -> Manquant:
        assert isinstance(result, Missing)
        self._missing |= result.facts
        return Manquant()

    def event(self, name: str) -> Event:
        """A trace of `name` alone, so that its dependencies appear in full, not as references."""
        if name not in self._events:
            self._events[name] = Outcome(self._outcome.ruleset, self._outcome.facts, {}).event(name)
        return self._events[name]

    def unmet(self, name: str | None = None) -> list[UnmetView]:
        """`conditions_non_remplies(nom)`: every condition that does not hold below a false result (by
        default the headline; `engine.explain.whynot`: skipped operands evaluated, each `ou` in full)."""
        name = _headline(self._outcome, name, "conditions_non_remplies")
        result = _result(self._outcome, name)
        if isinstance(result, Missing):
            self.need(result)
            return []
        program = self._outcome.ruleset.program
        return [UnmetView(program, u) for u in WhyNot(program, self._outcome.facts, letter=True).unmet(name)]

    def missing_questions(self, name: str | None = None) -> list[str]:
        """`informations_manquantes(nom)`: the questions of the facts `nom` (by default the headline) still
        needs, in declaration order (empty when `nom` has a value or another status). Reading them does
        not make the letter a missing-facts error: this is what the letter asking for them prints."""
        name = _headline(self._outcome, name, "informations_manquantes")
        result = _result(self._outcome, name)
        if not isinstance(result, Missing):
            return []
        facts = self._outcome.ruleset.facts
        return [facts[f].label or facts[f].question or facts[f].description or f for f in facts if f in result.facts]

    def reserves(self, *names: str) -> list[ReserveView]:
        """`reserves(nom, …)`: values `à confirmer` and modelling choices these results relied on."""
        merged: dict[tuple[str, Status, str], list[str]] = {}
        for name in names:
            result = _result(self._outcome, name)
            if isinstance(result, Missing):
                self.need(result)
                continue
            for flag in flags(self.event(name)):
                notes = merged.setdefault((flag.definition, flag.kind, flag.text), [])
                if flag.note and flag.note not in notes:
                    notes.append(flag.note)
        views = [ReserveView(self, definition, kind, text, notes) for (definition, kind, text), notes in merged.items()]
        return sorted(views, key=lambda r: r.nature != Status.TO_CONFIRM.label)


def _headline(outcome: Outcome, name: str | None, function: str) -> str:
    """The result a template function reads: the one named, else the rule file's headline result."""
    if (found := name or outcome.ruleset.program.headline) is None:
        raise jinja2.UndefinedError(f"{function}() : le fichier de règles ne déclare pas de résultat principal "
                                    f"(« résultat principal : nom ») ; nommez le résultat : {function}(\"nom\")")
    return found


def _result(outcome: Outcome, name: str) -> Result:
    """The result of a rule; an unknown name is a template error naming it."""
    try:
        return outcome.result(name)
    except ValueError:
        raise jinja2.UndefinedError(f"« {name} » : le fichier de règles n'a pas de règle de ce nom") from None


def _unknown(view: str, name: str, what: str, candidates: Iterable[str],
             outcome: Outcome | None = None) -> jinja2.StrictUndefined:
    """An undefined value whose error says which name the rule file lacks, with a suggestion (or the
    text that withdrew it, `abroge x`)."""
    withdrawn_by = outcome.ruleset.program.withdrawn.get(name) if outcome is not None else None
    if withdrawn_by is not None:
        return jinja2.StrictUndefined(hint=f"« {view}.{name} » n'existe plus : « {name} » est abrogé par le texte "
                                           f"« {withdrawn_by} »", name=name)
    hint = suggest(name, candidates)
    return jinja2.StrictUndefined(
        hint=f"« {view}.{name} » n'existe pas : le fichier de règles n'a pas de {what} « {name} »"
             + (f" ; {hint}" if hint else ""), name=name)


def _is_rule(outcome: Outcome, name: object) -> bool:
    """Whether `name` (what a template tests with `in`) is a rule of the file."""
    definition = outcome.ruleset.program.definitions.get(name) if isinstance(name, str) else None
    return definition is not None and definition.kind == DeclarationKind.RULE


def _rules_of(outcome: Outcome) -> list[str]:
    return [n for n, d in outcome.ruleset.program.definitions.items() if d.kind == DeclarationKind.RULE]


class ResultsView:
    """`resultats.NOM`: every rule of the file, with its status, value or reason."""

    def __init__(self, state: State, outcome: Outcome) -> None:
        self._state = state
        self._outcome = outcome

    def __getitem__(self, name: str) -> ResultView | jinja2.StrictUndefined:
        definition = self._outcome.ruleset.program.definitions.get(name)
        if definition is None or definition.kind != DeclarationKind.RULE:
            return _unknown("resultats", name, "règle", _rules_of(self._outcome), self._outcome)
        return ResultView(self._state, name, _result(self._outcome, name), definition.type, definition.description,
                          self._outcome)

    def __contains__(self, name: object) -> bool:
        return _is_rule(self._outcome, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._outcome.ruleset.program.outputs)


class ResultView:
    """One result: `statut` (valeur, non applicable, indéterminé, manquant), `valeur`, `raison`…

    Reading anything but the name, description or type of a result whose facts are missing
    records them: such a letter is not printed, its missing facts are listed instead.
    """

    def __init__(self, state: State, name: str, result: Result, t: Type, description: str | None,
                 outcome: Outcome | None = None) -> None:
        self._state = state
        self._outcome = outcome
        self._result = result
        self._type = t
        self.nom = name
        self.description = description
        self.type = t.kind

    @property
    def statut(self) -> str:
        """`valeur`, `non applicable`, `indéterminé` or `manquant`."""
        if isinstance(self._result, Missing):
            self._state.need(self._result)
        return STATUS_FRENCH[self._result.status]

    @property
    def raison(self) -> str | None:
        """The French reason of a non-applicable or undetermined result, else None."""
        if isinstance(self._result, Missing):
            self._state.need(self._result)
        return getattr(self._result, "reason", None)

    @property
    def valeur(self) -> object:
        """The value; missing facts are recorded; reading the value of a marker is a template error."""
        if self._outcome is not None:
            self._state.printed(self._outcome, self.nom)
        return _value_of(self._state, self.nom, self._result)

    @property
    def texte(self) -> str:
        """The value in French by its type, or the status and reason."""
        if isinstance(self._result, Value):
            if self._outcome is not None:
                self._state.printed(self._outcome, self.nom)
            return formatting.value(self._result.value, self._type)
        if isinstance(self._result, Missing):
            self._state.need(self._result)
            return ""
        return f"{self.statut} : {self.raison}"

    def __str__(self) -> str:
        return self.texte


def _value_of(state: State, name: str, result: Result) -> object:
    if isinstance(result, Value):
        return result.value
    if isinstance(result, Missing):
        return state.need(result)
    return jinja2.StrictUndefined(
        hint=f"« {name} » n'a pas de valeur ({STATUS_FRENCH[result.status]} : {result.reason}) ; "
             f"tester d'abord resultats.{name}.statut", name=name)


class ValuesView:
    """`valeurs.NOM`: the typed value of a result (Decimal, Fraction, int, bool, date, str)."""

    def __init__(self, state: State, outcome: Outcome) -> None:
        self._state = state
        self._outcome = outcome

    def __getitem__(self, name: str) -> object:
        definition = self._outcome.ruleset.program.definitions.get(name)
        if definition is None or definition.kind != DeclarationKind.RULE:
            return _unknown("valeurs", name, "règle", _rules_of(self._outcome), self._outcome)
        self._state.printed(self._outcome, name)
        return _value_of(self._state, name, _result(self._outcome, name))

    def __contains__(self, name: object) -> bool:
        return (isinstance(name, str) and _is_rule(self._outcome, name)
                and isinstance(_result(self._outcome, name), Value))


class ParametersView:
    """`parametres.NOM`: the value of a parameter of the rule file (a constant, such as a rate)."""

    def __init__(self, outcome: Outcome) -> None:
        self._outcome = outcome

    def __getitem__(self, name: str) -> object:
        program = self._outcome.ruleset.program
        definition = program.definitions.get(name)
        if definition is None or definition.kind != DeclarationKind.PARAMETER:
            return _unknown("parametres", name, "paramètre",
                            [n for n, d in program.definitions.items() if d.kind == DeclarationKind.PARAMETER])
        result = backend_for(program).evaluate(self._outcome.facts, [name])[name]
        return result.value if isinstance(result, Value) else _value_of(State(self._outcome), name, result)


class FactsView:
    """`faits.NOM`: a given fact's typed value; a declared fact not given is recorded as missing."""

    def __init__(self, state: State) -> None:
        self._state = state

    def __getitem__(self, name: str) -> object:
        outcome = self._state._outcome
        if name in outcome.facts:
            return outcome.facts[name]
        if name in outcome.ruleset.facts:
            return self._state.need(Missing(frozenset((name,))))
        return _unknown("faits", name, "fait", outcome.ruleset.facts)

    def __contains__(self, name: object) -> bool:
        return name in self._state._outcome.facts

    def __iter__(self) -> Iterator[str]:
        return iter(self._state._outcome.facts)


class LabelsView(FactsView):
    """`libelles.NOM`: a fact in French words (an enumeration's label, `oui`/`non`, a long date…)."""

    def __getitem__(self, name: str) -> object:
        value = super().__getitem__(name)
        if isinstance(value, (Manquant, jinja2.Undefined)):
            return value
        decl = self._state._outcome.ruleset.facts[name]
        if isinstance(value, bool):
            return "oui" if value else "non"
        if isinstance(value, dt.date):
            return formatting.date_long(value)
        return formatting.value(value, decl.type)


class UnmetView:
    """A condition that does not hold: `nom` (the rule or fact), `texte` (a French sentence stating
    the requirement and what the facts give), `ecart` (the margin, or None), `enfants` (its unmet
    sub-conditions, same fields) and `description` (the rule's description when it is about a rule)."""

    def __init__(self, program: Program, unmet: Unmet) -> None:
        self.nom = unmet.name
        self.texte = unmet.text
        self.ecart = unmet.margin
        self.enfants = [UnmetView(program, child) for child in unmet.children]
        definition = program.definitions.get(unmet.name)
        rule = definition if definition is not None and definition.kind == DeclarationKind.RULE else None
        self.description = rule.description if rule is not None else None


class ReserveView:
    """A value the result relied on: `nature` (à confirmer, choix de modélisation), `sujet`, `note`."""

    def __init__(self, state: State, name: str, kind: Status, text: str, notes: list[str]) -> None:
        program = state._outcome.ruleset.program
        self.nom = name
        self.nature = kind.label
        self.texte = text
        self.note = " ; ".join(notes) or None
        self.sujet = _definition_description(program, name, text) or name


def _definition_description(program: Program, name: str, text: str) -> str | None:
    """The description of a definition as the text `text` wrote it (an amended original if need be)."""
    origin, _, bare = name.rpartition(".")
    for info in program.texts:
        if (origin and info.prefix == origin) or (not origin and info.short == text):
            original = program.originals.get((info.prefix, bare))
            if original is not None and original.description:
                return original.description
    definition = program.definitions.get(bare)
    return definition.description if definition is not None else None


class ScheduleView:
    """`echeancier`: the contract years the rule file declares (`lignes`, `totaux`, `axe`)."""

    def __init__(self, state: State) -> None:
        self._state = state

    @functools.cached_property
    def _plan(self) -> Schedule | None:
        outcome = self._state._outcome
        if outcome.ruleset.program.schedule is None:
            return None
        axis = outcome.ruleset.program.schedule.axis
        return schedule(outcome.ruleset, {k: v for k, v in outcome.facts.items() if k != axis})

    @property
    def declare(self) -> bool:
        """Whether the rule file declares a schedule."""
        return self._plan is not None

    @property
    def axe(self) -> str:
        return self._plan.axis if self._plan is not None else ""

    @property
    def colonnes(self) -> list[str]:
        return list(self._plan.columns) if self._plan is not None else []

    @functools.cached_property
    def lignes(self) -> list[RowView]:
        """One row per value of the axis."""
        if self._plan is None:
            return []
        current = self._state._outcome.facts.get(self._plan.axis)
        return [RowView(self._state, row.axis_value, row.outcome, row.axis_value == current)
                for row in self._plan.rows]

    @property
    def totaux(self) -> dict[str, object]:
        """Column → total, for the totalled columns whose every row has a value."""
        return dict(self._plan.totals) if self._plan is not None else {}

    @property
    def incomplet(self) -> dict[str, str]:
        """Totalled column → why its total is missing."""
        return dict(self._plan.incomplete) if self._plan is not None else {}


class RowView:
    """One contract year: `annee`, `courante`, `resultats`, `valeurs`, and `ancien` (same year, amended text)."""

    def __init__(self, state: State, axis_value: int, outcome: Outcome, current: bool, amended: bool = False) -> None:
        self._state = state
        self._outcome = outcome
        self._amended = amended
        self.annee = axis_value
        self.courante = current
        self.resultats = ResultsView(state, outcome)
        self.valeurs = ValuesView(state, outcome)

    @functools.cached_property
    def ancien(self) -> RowView | None:
        """The same year evaluated with the text this rule file amends (None if it amends none)."""
        if self._amended:
            return None
        ruleset = _amended_ruleset(self._outcome.ruleset)
        if ruleset is None:
            return None
        facts = {k: v for k, v in self._outcome.facts.items() if k in ruleset.facts}
        return RowView(self._state, self.annee, ruleset.evaluate(facts, outputs=()), False, amended=True)


def _amended_ruleset(ruleset: Ruleset) -> Ruleset | None:
    texts = ruleset.program.texts
    if len(texts) < 2 or not texts[-2].directory:
        return None
    return _load_cached(str(Path(texts[-2].directory) / Path(texts[-2].file).name))


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> Ruleset:
    return load(path)


def _text_view(text: TextInfo) -> dict[str, object]:
    return {"titre": text.title, "court": text.short, "long": text.long or text.title,
            "fichier": text.file, "en_vigueur_du": text.in_force_from, "en_vigueur_au": text.in_force_until}
