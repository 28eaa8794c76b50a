"""Letters: Jinja2 templates stored beside the rule files, rendered from an `Outcome`.

Stage: `Outcome` → letter context → sandboxed Jinja2 → text (txt, html) or Typst source → PDF.

The templates live in `lettres/` next to the rule file (falling back to the directory of the file
it amends), so a new convention brings its letters without Python. They run in a
`SandboxedEnvironment` with `StrictUndefined` and read only the context built here: results with
their statuses and reasons, unmet conditions with margins, values marked `à confirmer`, the
schedule of contract years, the facts and the rule file's texts. Values are formatted only by
the Babel-based filters registered here (`montant`, `pourcentage`, `nombre`, `date`,
`date_courte`, `valeur`). A template that reads something the outcome lacks fails with its name
and line (`LetterTemplateError`); a letter that needs facts nobody gave is not printed half-empty:
`MissingFactsError` lists them with their questions.

    >>> import engine
    >>> rs = engine.load("rulesets/avenant7.rules")
    >>> out = rs.evaluate({"specialite": "cardiologie", "secteur": 1, "rqth": False,
    ...     "nouvel_installe": False, "exercice_regroupe": True, "exercice_coordonne": True,
    ...     "option": "tiers_temps", "date_signature": "2019-10-01", "date_embauche": "2019-09-16",
    ...     "annee_contrat": 1, "file_active": 2800, "percentile_file_active": 80})
    >>> text = engine.render_letter(out, "decision", date="2019-10-15")
    >>> "12\\u202f000,00\\u00a0€" in text
    True
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import textwrap
import traceback
from collections.abc import Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import jinja2
from babel.numbers import format_decimal
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup

from engine import formatting
from engine.api import Outcome, Ruleset, load
from engine.diagnostics import EngineError
from engine.explain import flags, margin_text, unmet_conditions
from engine.results import STATUS_FRENCH, Missing, Result, Value
from engine.trace import Event, json_value
from engine.types import Type

FORMATS = ("txt", "html", "pdf")
_SOURCE_SUFFIX = {"txt": "txt", "html": "html", "pdf": "typ"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_WIDTH = 76

# Markers the plain-text and Typst block macros use to pass structure through `caller()`.
_ROW, _CELL, _TOTAL, _NESTED = "\x1e", "\x1f", "\x1d", "\x1c"

DEFAULT_CAISSE: dict[str, object] = {
    "nom": "Caisse primaire d'assurance maladie",
    "service": "Service des relations avec les professionnels de santé",
    "adresse": [],
    "ville": "",
    "telephone": "",
    "courriel": "",
}
DEFAULT_DESTINATAIRE: dict[str, object] = {"civilite": "Docteur", "nom": "", "adresse": []}
DEFAULT_SIGNATAIRE: dict[str, object] = {
    "qualite": "Le directeur de la caisse primaire d'assurance maladie", "nom": ""}


# ─── Errors ──────────────────────────────────────────────────────────────────────────────────

class LetterError(EngineError):
    """A letter cannot be produced: unknown letter, no template directory, bad option."""


class LetterTemplateError(LetterError):
    """A template is wrong: it reads something the outcome lacks, breaks the sandbox or the syntax."""

    def __init__(self, template: str, line: int | None, message: str) -> None:
        self.template = template
        self.line = line
        self.message = message
        where = f"{template}:{line}" if line else template
        super().__init__(f"{where} : {message}")


class MissingFactsError(LetterError):
    """The letter needs facts that were not given; `facts` lists (name, question) pairs."""

    def __init__(self, letter: str, facts: list[tuple[str, str | None]]) -> None:
        self.letter = letter
        self.facts = tuple(facts)
        lines = [f"le courrier « {letter} » ne peut pas être rédigé : il manque "
                 + ("un fait" if len(facts) == 1 else f"{len(facts)} faits")]
        lines += [f"  - {name}" + (f" : {question}" if question else "") for name, question in facts]
        super().__init__("\n".join(lines))


# ─── Public functions ────────────────────────────────────────────────────────────────────────

def render_letter(outcome: Outcome, template: str, *, format: str = "txt", **options: object) -> str | bytes:
    """Render the letter `template` for an outcome.

    Args:
        outcome: the evaluation the letter reports on.
        template: the letter's name, a file `NAME.j2` (or `NAME.<txt|html|typ>.j2`) in `lettres/`.
        format: "txt" or "html" (returns str), "pdf" (returns bytes, composed with Typst).
        **options: `destinataire` (dict: civilite, nom, adresse), `caisse` (dict: nom, service,
            adresse, ville, telephone, courriel), `date` (date or ISO string; today by default),
            `reference` (str; derived from the facts by default), `signataire` (dict or str).

    Raises:
        TypeError: `outcome` is not an Outcome, or an unknown option was given.
        ValueError: `format` is not one of txt, html, pdf.
        LetterError: no such letter, or an option has the wrong shape.
        MissingFactsError: the letter needs facts that were not given.
        LetterTemplateError: the template is wrong (name and line in the message).
    """
    if not isinstance(outcome, Outcome):
        raise TypeError(f"render_letter() attend un Outcome, reçu {type(outcome).__name__}")
    if format not in FORMATS:
        raise ValueError(f"format « {format} » inconnu ; formats possibles : {', '.join(FORMATS)}")
    directories = template_directories(outcome.ruleset)
    env = _environment(tuple(str(d) for d in directories), _SOURCE_SUFFIX[format])
    tmpl = _template(env, template, _SOURCE_SUFFIX[format], outcome.ruleset)
    context = letter_context(outcome, template, format=format, **options)
    text = _render(tmpl, template, context)
    if format == "txt":
        return _tidy_text(text)
    if format == "html":
        return _tidy_html(text)
    return _compile_pdf(text, template, tmpl.filename, directories[0], context["date_courrier"])  # type: ignore[arg-type]


def available_letters(ruleset: Ruleset) -> list[str]:
    """The names of the letters found beside a rule file (files starting with `_` are partials)."""
    names: set[str] = set()
    for directory in template_directories(ruleset):
        for path in directory.glob("*.j2"):
            name = path.name.split(".")[0]
            if _NAME.match(name):
                names.add(name)
    return sorted(names)


def template_directories(ruleset: Ruleset) -> list[Path]:
    """`lettres/` beside the rule file, then beside each file it amends (most recent first).

    Raises:
        LetterError: none of these directories exists.
    """
    found: list[Path] = []
    for text in reversed(ruleset.program.texts):
        if text.directory:
            path = Path(text.directory) / "lettres"
            if path.is_dir() and path not in found:
                found.append(path)
    if not found:
        where = ruleset.program.text.directory or ruleset.program.text.file
        raise LetterError(f"aucun dossier de courriers « lettres/ » à côté du fichier de règles ({where})")
    return found


def letter_context(outcome: Outcome, template: str = "", *, format: str = "txt", **options: object) -> dict[str, object]:
    """The variables a template can read (see docs/letters.md); values stay typed, filters format them."""
    known = {"destinataire", "caisse", "date", "reference", "signataire"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"option inconnue : {', '.join(unknown)} ; options possibles : {', '.join(sorted(known))}")
    program = outcome.ruleset.program
    state = _State(outcome)
    when = _as_date(options.get("date"), "date") or dt.date.today()
    suffix = _SOURCE_SUFFIX.get(format, "txt")
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
        "echeancier": ScheduleView(state),
        "conditions_non_remplies": state.unmet,
        "reserves": state.reserves,
        "destinataire": _merge(DEFAULT_DESTINATAIRE, options.get("destinataire"), "destinataire"),
        "caisse": _merge(DEFAULT_CAISSE, options.get("caisse"), "caisse"),
        "signataire": _merge(DEFAULT_SIGNATAIRE, options.get("signataire"), "signataire", scalar="qualite"),
        "date_courrier": when,
        "reference": str(options.get("reference") or _reference(outcome, template, when)),
    }


# ─── Filters (French formatting through Babel) ───────────────────────────────────────────────

def f_montant(value: object) -> str:
    """`12 000,00 €`."""
    return "" if _absent(value) else formatting.money(_number(value))


def f_pourcentage(value: object) -> str:
    """`7,5 %`; an exact fraction as `25/34 (≈ 73,53 %)`, so a reader can redo the product."""
    if _absent(value):
        return ""
    number = _number(value)
    if isinstance(number, Fraction):
        approx = format_decimal(Decimal(number.numerator) / Decimal(number.denominator) * 100, format="#,##0.##",
                                locale=formatting.LOCALE)
        return f"{number.numerator}/{number.denominator} (≈\u00a0{approx}\u00a0%)"
    return formatting.percent(number)


def f_nombre(value: object) -> str:
    """`2 800`, `294,375`."""
    return "" if _absent(value) else formatting.number(_number(value))


def f_date(value: object) -> str:
    """`22 juin 2024`, `1er octobre 2019` (with no-break spaces: a date is never split)."""
    if _absent(value):
        return ""
    return formatting.date_long(_as_date(value, "date")).replace(" ", "\u00a0")  # type: ignore[arg-type]


def f_ordinal(value: object, genre: str = "f") -> str:
    """`1re` (or `1er` with genre="m"), `2e`, `3e`: an ordinal as French abbreviates it."""
    if _absent(value):
        return ""
    n = int(value)  # type: ignore[call-overload]
    return f"{n}{('re' if genre == 'f' else 'er') if n == 1 else 'e'}"


def f_initiale(value: object) -> str:
    """The text with its first letter in upper case (unlike `capitalize`, the rest is kept)."""
    if _absent(value):
        return ""
    text = str(value)
    return text[:1].upper() + text[1:]


def f_date_courte(value: object) -> str:
    """`22/06/2024`."""
    return "" if _absent(value) else formatting.date_short(_as_date(value, "date"))  # type: ignore[arg-type]


def f_valeur(value: object) -> str:
    """Any value by its Python type: `oui`/`non`, a long date, a French number, text as is."""
    if _absent(value):
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dt.date):
        return formatting.date_long(value)
    if isinstance(value, (int, Decimal, Fraction)):
        return formatting.number(value)
    return str(value)


FILTERS = {"montant": f_montant, "pourcentage": f_pourcentage, "nombre": f_nombre, "date": f_date,
           "date_courte": f_date_courte, "valeur": f_valeur, "ordinal": f_ordinal, "initiale": f_initiale}


def _number(value: object) -> int | Decimal | Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, Fraction, str, float)):
        raise TypeError(f"un nombre est attendu, reçu {type(value).__name__} ({value!r})")
    if isinstance(value, (str, float)):
        try:
            return Decimal(str(value))
        except ArithmeticError:
            raise TypeError(f"un nombre est attendu, reçu {value!r}") from None
    return value


def _absent(value: object) -> bool:
    """Whether a filter got a value whose facts are missing; an undefined value fails here, with its hint."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError, naming what was undefined
    return isinstance(value, _Manquant)


# ─── Layout filters (used by the `_blocs.*.j2` partials, not by letters) ─────────────────────

_SPACES = re.compile(r"[ \t\r\n]+")
_FRENCH_SPACING = [(re.compile(r"« "), "«\u00a0"), (re.compile(r" (»|:|;|\?|!)"), "\u00a0\\1"),
                   (re.compile(r"(\d) (%|€|ETP\b)"), "\\1\u00a0\\2"), (re.compile(r"(\b(?:avenant|année|article|art\.)|n°) (?=\d)"), "\\1\u00a0")]


def f_espaces(text: object) -> str:
    """Collapse runs of ordinary white space (never the no-break spaces of numbers), and keep
    French punctuation on its line: `«`, `»`, `:`, `;`, `?`, `!` get a no-break space."""
    result = _SPACES.sub(" ", str(text)).strip()
    for pattern, replacement in _FRENCH_SPACING:
        result = pattern.sub(replacement, result)
    return Markup(result) if isinstance(text, Markup) else result


def f_paragraphe_txt(text: object, retrait: int = 0, puce: str = "") -> str:
    """A paragraph wrapped to the letter's width; `puce` hangs before the first line."""
    head, _, rest = str(text).partition(_NESTED)
    first = " " * retrait + puce
    wrapped = textwrap.fill(f_espaces(head), width=_WIDTH, initial_indent=first,
                            subsequent_indent=" " * len(first), break_long_words=False, break_on_hyphens=False)
    return wrapped + ("\n" + rest.strip("\n") if rest.strip() else "")


def f_tableau_txt(rows: object, entetes: list[object], numeriques: list[int] = ()) -> str:  # type: ignore[assignment]
    """Rows encoded by the `ligne` macro, aligned in columns under their headings."""
    body: list[tuple[bool, list[str]]] = []
    for chunk in str(rows).split(_ROW)[1:]:
        total = chunk.startswith(_TOTAL)
        cells = [f_espaces(c) for c in chunk.lstrip(_TOTAL).split(_CELL)]
        body.append((total, cells))
    head = [f_espaces(h) for h in entetes]
    count = max([len(head)] + [len(c) for _, c in body])
    grid = [head + [""] * (count - len(head))] + [c + [""] * (count - len(c)) for _, c in body]
    widths = [max(len(row[i]) for row in grid) for i in range(count)]

    def line(cells: list[str]) -> str:
        out = [c.rjust(w) if i in numeriques else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return ("  " + "   ".join(out)).rstrip()

    rule = "  " + "   ".join("-" * w for w in widths)
    lines = [line(grid[0]), rule]
    for (total, _), cells in zip(body, grid[1:]):
        if total:
            lines.append(rule)
        lines.append(line(cells))
    return "\n".join(lines)


def f_liste_txt(text: object) -> str:
    """The lines of a list, without the blank lines its template source left between items."""
    return "\n".join(line for line in str(text).split("\n") if line.strip())


def f_typst(text: object) -> str:
    """A Typst string literal for a text (typographic apostrophes, spaces collapsed)."""
    value = f_espaces(text).replace("'", "\u2019")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def f_typst_contenu(text: object) -> str:
    """Inline text as Typst (`#"…"`), followed by any nested block already written in Typst."""
    head, _, rest = str(text).partition(_NESTED)
    shown = f"#{f_typst(head)}" if head.strip() else ""
    return shown + ("\n" + rest if rest.strip() else "")


def f_typst_date(value: object) -> str:
    """A Typst `datetime(...)` for a date (for the PDF's metadata)."""
    d = _as_date(value, "date")
    return f"datetime(year: {d.year}, month: {d.month}, day: {d.day})"  # type: ignore[union-attr]


LAYOUT_FILTERS = {"espaces": f_espaces, "paragraphe_txt": f_paragraphe_txt, "tableau_txt": f_tableau_txt,
                  "liste_txt": f_liste_txt, "typst": f_typst, "typst_contenu": f_typst_contenu,
                  "typst_date": f_typst_date}
LAYOUT_GLOBALS = {"LIGNE": _ROW, "CELLULE": _CELL, "TOTAL": _TOTAL, "IMBRIQUE": _NESTED}


# ─── Context views ───────────────────────────────────────────────────────────────────────────
# Views give templates attribute access to typed values. Their own data is kept in attributes
# starting with `_`, which the sandbox refuses to templates.

class _Manquant:
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

    def _same(self, *args: object) -> _Manquant:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _same
    __neg__ = _same

    def _false(self, other: object) -> bool:
        return False

    __lt__ = __le__ = __gt__ = __ge__ = _false

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Manquant)

    __hash__ = object.__hash__


class _State:
    """What one rendering shares: the outcome, the facts found missing, and cached traces."""

    def __init__(self, outcome: Outcome) -> None:
        self._outcome = outcome
        self._missing: set[str] = set()
        self._events: dict[str, Event] = {}

    def need(self, result: Result) -> _Manquant:
        assert isinstance(result, Missing)
        self._missing |= result.facts
        return _Manquant()

    def event(self, name: str) -> Event:
        """A trace of `name` alone, so that its dependencies appear in full, not as references."""
        if name not in self._events:
            self._events[name] = Outcome(self._outcome.ruleset, self._outcome.facts, {}).event(name)
        return self._events[name]

    def unmet(self, name: str = "eligible") -> list[UnmetView]:
        """`conditions_non_remplies(nom)`: the false conditions below a false result, with margins."""
        result = _result(self._outcome, name)
        if isinstance(result, Missing):
            self.need(result)
            return []
        if not (isinstance(result, Value) and result.value is False):
            return []
        event = self.event(name)
        return [UnmetView(self, u, _find_rule(event, u.name) or event) for u in unmet_conditions(event)]

    def reserves(self, *names: str) -> list[ReserveView]:
        """`reserves(nom, …)`: values `à confirmer` and modelling choices these results relied on."""
        merged: dict[tuple[str, str, str], list[str]] = {}
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
        return sorted(views, key=lambda r: r.nature != "à confirmer")


def _result(outcome: Outcome, name: str) -> Result:
    """The result of a rule; an unknown name is a template error naming it."""
    try:
        return outcome.result(name)
    except ValueError:
        raise jinja2.UndefinedError(f"« {name} » : le fichier de règles n'a pas de règle de ce nom") from None


def _unknown(view: str, name: str, what: str, candidates: object) -> jinja2.StrictUndefined:
    """An undefined value whose error says which name the rule file lacks, with a suggestion."""
    from engine.diagnostics import suggest
    hint = suggest(name, candidates)  # type: ignore[arg-type]
    return jinja2.StrictUndefined(
        hint=f"« {view}.{name} » n'existe pas : le fichier de règles n'a pas de {what} « {name} »"
             + (f" ; {hint}" if hint else ""), name=name)


def _rules_of(outcome: Outcome) -> list[str]:
    return [n for n, d in outcome.ruleset.program.definitions.items() if d.kind == "rule"]


def _find_rule(event: Event, name: str) -> Event | None:
    if event.label == name and event.kind == "rule":
        return event
    for found in event.find("rule"):
        if found.label == name:
            return found
    return None


class ResultsView:
    """`resultats.NOM`: every rule of the file, with its status, value or reason."""

    def __init__(self, state: _State, outcome: Outcome) -> None:
        self._state = state
        self._outcome = outcome

    def __getitem__(self, name: str) -> ResultView | jinja2.StrictUndefined:
        definition = self._outcome.ruleset.program.definitions.get(name)
        if definition is None or definition.kind != "rule":
            return _unknown("resultats", name, "règle", _rules_of(self._outcome))
        return ResultView(self._state, name, _result(self._outcome, name), definition.type, definition.description)

    def __contains__(self, name: object) -> bool:
        d = self._outcome.ruleset.program.definitions.get(name)  # type: ignore[arg-type]
        return d is not None and d.kind == "rule"

    def __iter__(self) -> Iterator[str]:
        return iter(self._outcome.ruleset.program.outputs)


class ResultView:
    """One result: `statut` (valeur, non applicable, indéterminé, manquant), `valeur`, `raison`…

    Reading anything but the name, description or type of a result whose facts are missing
    records them: such a letter is not printed, its missing facts are listed instead.
    """

    def __init__(self, state: _State, name: str, result: Result, t: Type, description: str | None) -> None:
        self._state = state
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
        return _value_of(self._state, self.nom, self._result)

    @property
    def texte(self) -> str:
        """The value in French by its type, or the status and reason."""
        if isinstance(self._result, Value):
            return formatting.value(self._result.value, self._type)
        if isinstance(self._result, Missing):
            self._state.need(self._result)
            return ""
        return f"{self.statut} : {self.raison}"

    def __str__(self) -> str:
        return self.texte


def _value_of(state: _State, name: str, result: Result) -> object:
    if isinstance(result, Value):
        return result.value
    if isinstance(result, Missing):
        return state.need(result)
    return jinja2.StrictUndefined(
        hint=f"« {name} » n'a pas de valeur ({STATUS_FRENCH[result.status]} : {result.reason}) ; "  # type: ignore[union-attr]
             f"tester d'abord resultats.{name}.statut", name=name)


class ValuesView:
    """`valeurs.NOM`: the typed value of a result (Decimal, Fraction, int, bool, date, str)."""

    def __init__(self, state: _State, outcome: Outcome) -> None:
        self._state = state
        self._outcome = outcome

    def __getitem__(self, name: str) -> object:
        definition = self._outcome.ruleset.program.definitions.get(name)
        if definition is None or definition.kind != "rule":
            return _unknown("valeurs", name, "règle", _rules_of(self._outcome))
        return _value_of(self._state, name, _result(self._outcome, name))

    def __contains__(self, name: object) -> bool:
        d = self._outcome.ruleset.program.definitions.get(name)  # type: ignore[arg-type]
        return d is not None and d.kind == "rule" and isinstance(_result(self._outcome, name), Value)  # type: ignore[arg-type]


class FactsView:
    """`faits.NOM`: a given fact's typed value; a declared fact not given is recorded as missing."""

    def __init__(self, state: _State) -> None:
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
        if isinstance(value, (_Manquant, jinja2.Undefined)):
            return value
        decl = self._state._outcome.ruleset.facts[name]
        if isinstance(value, bool):
            return "oui" if value else "non"
        if isinstance(value, dt.date):
            return formatting.date_long(value)
        return formatting.value(value, decl.type)


class UnmetView:
    """A condition that does not hold: `nom`, `description`, `constats` (each test with its margin)."""

    def __init__(self, state: _State, unmet: object, event: Event) -> None:
        self.nom = unmet.name  # type: ignore[attr-defined]
        self.description = unmet.description  # type: ignore[attr-defined]
        self.ecarts = list(unmet.margins)  # type: ignore[attr-defined]
        self.comparaisons = list(unmet.comparisons)  # type: ignore[attr-defined]
        program = state._outcome.ruleset.program
        self.constats = [FindingView(program, e) for e in _failed_tests(event)]


class FindingView:
    """A failed test: `libelle` and `valeur` of what was measured, `exigence`, `ecart` (or None)."""

    _WORDS = {">": "plus de", "≥": "au moins", "<": "moins de", "≤": "au plus", "=": "exactement",
              "≠": "une valeur autre que"}

    def __init__(self, program: object, event: Event) -> None:
        data = event.data
        if event.kind == "membership":
            t = data.get("operand_type")
            self.libelle = _describe(program, str(data.get("operand_label")))
            self.valeur = formatting.value(data.get("value"), t)  # type: ignore[arg-type]
            items = ", ".join(formatting.value(i, t) for i in data.get("items") or [])  # type: ignore[union-attr,arg-type]
            self.exigence = ("une valeur hors de cette liste : " if data.get("negated") else "une valeur de cette liste : ") + items
            self.ecart = None
        else:
            self.libelle = _describe(program, str(data.get("left_label")))
            self.valeur = formatting.value(data.get("left"), data.get("left_type"))  # type: ignore[arg-type]
            right = formatting.value(data.get("right"), data.get("right_type"))  # type: ignore[arg-type]
            self.exigence = f"{self._WORDS.get(str(data.get('op')), '')} {right}".strip()
            self.ecart = margin_text(event)
        self.texte = event.label


def _describe(program: object, label: str) -> str:
    """A fact's or rule's description for a name, else the text as the rule file writes it."""
    decl = program.facts.get(label) or program.definitions.get(label)  # type: ignore[attr-defined]
    return (decl.description if decl is not None and decl.description else label)


def _failed_tests(event: Event) -> list[Event]:
    """Comparisons and memberships that came out false inside a rule, not in nested rules or `si` tests."""
    found: list[Event] = []
    for child in event.children:
        if child.kind in {"comparison", "membership"}:
            if isinstance(child.result, Value) and child.result.value is False:
                found.append(child)
        elif child.kind not in {"rule", "reference", "table", "function", "test", "guard"}:
            found.extend(_failed_tests(child))
    return found


class ReserveView:
    """A value the result relied on: `nature` (à confirmer, choix de modélisation), `sujet`, `note`."""

    def __init__(self, state: _State, name: str, kind: str, text: str, notes: list[str]) -> None:
        program = state._outcome.ruleset.program
        self.nom = name
        self.nature = kind
        self.texte = text
        self.note = " ; ".join(notes) or None
        self.sujet = _definition_description(program, name, text) or name


def _definition_description(program: object, name: str, text: str) -> str | None:
    """The description of a definition as the text `text` wrote it (an amended original if need be)."""
    origin, _, bare = name.rpartition(".")
    for info in program.texts:  # type: ignore[attr-defined]
        if (origin and info.prefix == origin) or (not origin and info.short == text):
            original = program.originals.get((info.prefix, bare))  # type: ignore[attr-defined]
            if original is not None and original.description:
                return original.description
    definition = program.definitions.get(bare)  # type: ignore[attr-defined]
    return definition.description if definition is not None else None


class ScheduleView:
    """`echeancier`: the contract years the rule file declares (`lignes`, `totaux`, `axe`)."""

    def __init__(self, state: _State) -> None:
        self._state = state

    @functools.cached_property
    def _plan(self) -> object:
        from engine.schedule import schedule
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
        return self._plan.axis if self._plan is not None else ""  # type: ignore[attr-defined]

    @property
    def colonnes(self) -> list[str]:
        return list(self._plan.columns) if self._plan is not None else []  # type: ignore[attr-defined]

    @functools.cached_property
    def lignes(self) -> list[RowView]:
        """One row per value of the axis."""
        if self._plan is None:
            return []
        current = self._state._outcome.facts.get(self._plan.axis)  # type: ignore[attr-defined]
        return [RowView(self._state, row.axis_value, row.outcome, row.axis_value == current)
                for row in self._plan.rows]  # type: ignore[attr-defined]

    @property
    def totaux(self) -> dict[str, object]:
        """Column → total, for the totalled columns whose every row has a value."""
        return dict(self._plan.totals) if self._plan is not None else {}  # type: ignore[attr-defined]

    @property
    def incomplet(self) -> dict[str, str]:
        """Totalled column → why its total is missing."""
        return dict(self._plan.incomplete) if self._plan is not None else {}  # type: ignore[attr-defined]


class RowView:
    """One contract year: `annee`, `courante`, `resultats`, `valeurs`, and `ancien` (same year, amended text)."""

    def __init__(self, state: _State, axis_value: int, outcome: Outcome, current: bool, amended: bool = False) -> None:
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


def _text_view(text: object) -> dict[str, object]:
    return {"titre": text.title, "court": text.short, "long": text.long or text.title,  # type: ignore[attr-defined]
            "fichier": text.file, "en_vigueur_du": text.in_force_from,  # type: ignore[attr-defined]
            "en_vigueur_au": text.in_force_until}  # type: ignore[attr-defined]


# ─── Options ─────────────────────────────────────────────────────────────────────────────────

def _merge(default: dict[str, object], given: object, name: str, scalar: str | None = None) -> dict[str, object]:
    if given is None:
        return {k: list(v) if isinstance(v, list) else v for k, v in default.items()}
    if isinstance(given, str) and scalar:
        given = {scalar: given}
    if not isinstance(given, Mapping):
        raise LetterError(f"l'option « {name} » doit être un objet {{\"clé\": valeur}}, reçu {type(given).__name__}")
    merged = dict(default)
    for key, value in given.items():
        if key == "adresse" and isinstance(value, str):
            value = [line.strip() for line in value.splitlines() if line.strip()]
        merged[str(key)] = value
    return merged


def _as_date(value: object, name: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value  # type: ignore[return-value]
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise LetterError(f"« {name} » : date attendue (AAAA-MM-JJ), reçu {value!r}")


def _reference(outcome: Outcome, template: str, when: dt.date) -> str:
    """A stable reference: the same facts and letter give the same reference."""
    facts = json.dumps({k: json_value(v) for k, v in sorted(outcome.facts.items())}, sort_keys=True)
    digest = hashlib.sha256(f"{template}|{outcome.ruleset.program.text.file}|{facts}".encode()).hexdigest()
    prefix = (template[:3] or "doc").upper()
    return f"AM-{prefix}-{when:%Y%m}-{digest[:6].upper()}"


# ─── Environment and rendering ───────────────────────────────────────────────────────────────

@functools.lru_cache(maxsize=16)
def _environment(directories: tuple[str, ...], suffix: str) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(list(directories)), undefined=jinja2.StrictUndefined,
        autoescape=suffix == "html", trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        auto_reload=True)
    env.filters.update(FILTERS)
    env.filters.update(LAYOUT_FILTERS)
    env.globals.update(LAYOUT_GLOBALS)
    for unused in ("lipsum", "cycler", "joiner"):
        env.globals.pop(unused, None)
    return env


def _template(env: SandboxedEnvironment, name: str, suffix: str, ruleset: Ruleset) -> jinja2.Template:
    if not isinstance(name, str) or not _NAME.match(name):
        raise LetterError(f"nom de courrier invalide « {name} » ; courriers disponibles : "
                          + ", ".join(available_letters(ruleset)))
    try:
        return env.get_or_select_template([f"{name}.{suffix}.j2", f"{name}.j2"])
    except jinja2.TemplatesNotFound:
        raise LetterError(f"courrier inconnu « {name} » ; courriers disponibles : "
                          + (", ".join(available_letters(ruleset)) or "aucun")) from None
    except jinja2.TemplateSyntaxError as exc:
        raise LetterTemplateError(_shown_path(exc.filename or exc.name or name), exc.lineno,
                                  f"erreur de syntaxe du modèle : {exc.message}") from None


def _render(tmpl: jinja2.Template, name: str, context: dict[str, object]) -> str:
    state: _State = context["faits"]._state  # type: ignore[attr-defined]
    try:
        text = tmpl.render(context)
    except jinja2.TemplateSyntaxError as exc:
        if state._missing:
            raise _missing_error(name, state) from None
        raise LetterTemplateError(_shown_path(exc.filename or exc.name or name), exc.lineno,
                                  f"erreur de syntaxe du modèle : {exc.message}") from None
    except Exception as exc:  # noqa: BLE001 - every template failure becomes a LetterTemplateError
        if state._missing:
            raise _missing_error(name, state) from None
        path, line = _template_position(exc, tmpl)
        raise LetterTemplateError(path, line, _french_message(exc)) from None
    if state._missing:
        raise _missing_error(name, state)
    return text


def _missing_error(name: str, state: _State) -> MissingFactsError:
    facts = state._outcome.ruleset.facts
    return MissingFactsError(name, [(f, facts[f].question if f in facts else None) for f in sorted(state._missing)])


def _template_position(exc: BaseException, tmpl: jinja2.Template) -> tuple[str, int | None]:
    """The template file and line where the error arose (Jinja rewrites tracebacks to them)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return _shown_path(frame.filename), frame.lineno
    return _shown_path(tmpl.filename or tmpl.name or "?"), None


def _shown_path(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


_UNDEFINED_PATTERNS = [
    (re.compile(r"^'([^']+)' is undefined$"), "« {0} » n'est pas défini dans le contexte du courrier"),
    (re.compile(r"^'(.+?)' has no attribute '([^']+)'$"), "« {1} » n'existe pas ({0})"),
    (re.compile(r"^'(.+?)' object has no attribute '([^']+)'$"), "« {1} » n'existe pas ({0})"),
]


def _french_message(exc: BaseException) -> str:
    message = str(exc)
    if isinstance(exc, SecurityError):
        return f"accès refusé par le bac à sable des modèles : {message}"
    if isinstance(exc, jinja2.UndefinedError):
        for pattern, french in _UNDEFINED_PATTERNS:
            match = pattern.match(message)
            if match:
                return french.format(*match.groups())
        return message
    return f"{type(exc).__name__} : {message}"


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"
    _check_markers(out)
    return out


def _tidy_html(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    out = re.sub(r"\n{2,}", "\n", "\n".join(lines)).strip("\n") + "\n"
    _check_markers(out)
    return out


def _check_markers(text: str) -> None:
    if any(m in text for m in (_ROW, _CELL, _TOTAL, _NESTED)):
        raise LetterTemplateError("?", None, "un bloc de tableau ou de liste est utilisé hors de son macro")


def _compile_pdf(source: str, name: str, filename: str | None, root: Path, when: dt.date) -> bytes:
    import typst
    stamp = dt.datetime(when.year, when.month, when.day, 12, tzinfo=dt.timezone.utc)
    try:
        return typst.compile(source.encode("utf-8"), root=str(root), ignore_system_fonts=True, format="pdf",
                             timestamp=stamp)  # type: ignore[return-value]
    except typst.TypstError as exc:
        detail = getattr(exc, "message", None) or str(exc)
        raise LetterTemplateError(_shown_path(filename or name), None,
                                  f"la composition PDF (Typst) a échoué : {detail}") from None


__all__ = ["FILTERS", "FORMATS", "LetterError", "LetterTemplateError", "MissingFactsError", "available_letters",
           "letter_context", "render_letter", "template_directories"]
