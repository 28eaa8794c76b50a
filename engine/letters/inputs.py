"""What a letter is given: the options of `render_letter`, merged with their defaults and checked,
and the errors a letter raises.

Stage: the caller's options (addressee, the caisse's settings, date) → plain dictionaries the letter
context hands to the templates (`engine.letters.context`). Nothing here reads an `Outcome`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from engine.base.diagnostics import EngineError
from engine.letters.logo import LogoError, LogoView, logo_option


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


_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

SOURCE_SUFFIX = {"txt": "txt", "html": "html", "pdf": "typ"}
"""The source a letter format is rendered from: Typst source for PDF."""

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
    "qualite": "Le directeur de la caisse primaire d'assurance maladie", "nom": "", "delegation": ""}
DEFAULT_RECOURS: dict[str, object] = {"commission": "", "adresse": [], "delai": "", "tribunal": ""}
DEFAULT_MARQUE: dict[str, object] = {"couleur": "#1f4e79", "couleur_texte": "#1a1a1a"}


def merge_option(default: dict[str, object], given: object, name: str, scalar: str | None = None) -> dict[str, object]:
    """An option given as an object (or, with `scalar`, a text for that key) merged with its defaults;
    `adresse` is a text or a list of lines, every other value a text or a number."""
    if given is None:
        return {k: list(v) if isinstance(v, list) else v for k, v in default.items()}
    if isinstance(given, str) and scalar:
        given = {scalar: given}
    if not isinstance(given, Mapping):
        raise LetterError(f"l'option « {name} » doit être un objet {{\"clé\": valeur}}, reçu {json_type(given)}")
    merged = dict(default)
    for key, value in given.items():
        if value is None:  # `null`: keep the default
            continue
        if key == "adresse":
            if isinstance(value, str):
                value = [line.strip() for line in value.splitlines() if line.strip()]
            if not (isinstance(value, list) and all(isinstance(line, str) for line in value)):
                raise LetterError(f"l'option « {name} » : « adresse » doit être un texte ou une liste de lignes, "
                                  f"reçu {json_type(value)}")
        elif not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise LetterError(f"l'option « {name} » : « {key} » doit être un texte, reçu {json_type(value)}")
        merged[str(key)] = value
    return merged


def marque_option(given: object) -> dict[str, object]:
    """The `marque` option: its colours merged with the defaults, and `logo`, a `LogoView` or None."""
    colours = {k: v for k, v in given.items() if k != "logo"} if isinstance(given, Mapping) else given
    marque = merge_option(DEFAULT_MARQUE, colours, "marque")
    for key, colour in marque.items():
        if not (isinstance(colour, str) and _COLOUR.match(colour)):
            raise LetterError(f"l'option « marque » : « {key} » doit être une couleur #RRVVBB, reçu {colour!r}")
    try:
        logo = logo_option(given.get("logo") if isinstance(given, Mapping) else None)
    except LogoError as exc:
        raise LetterError(f"l'option « marque » : « logo » : {exc.reason}") from None
    marque["logo"] = LogoView(logo) if logo is not None else None
    return marque


def json_type(value: object) -> str:
    """A JSON value's kind, in French, for messages."""
    if isinstance(value, bool):
        return "un booléen"
    kinds: dict[type, str] = {dict: "un objet", list: "une liste", str: "un texte"}
    return kinds.get(type(value), "un nombre")


def as_date(value: object, name: str) -> dt.date | None:
    """A date option or value: a `date`, an ISO text, or None."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise LetterError(f"« {name} » : date attendue (AAAA-MM-JJ), reçu {value!r}")
