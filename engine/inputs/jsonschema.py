"""JSON Schema (draft 2020-12) of the facts a rule file accepts: `engine.check.model.Program` → dict.

The schema describes the JSON that `Ruleset.evaluate` (and `regles eval --facts`) accepts: an object
whose keys are the declared facts (those of the amended file included), none of them required
(a fact is asked for only when the evaluation reaches it), `null` meaning "not given", and no
other key. Each fact carries its description, its question (as `title`), its allowed values
(`enum`, with the labels of an enumeration as `oneOf`/`title`), its range, and the JSON form of
its type: exact decimals (montant, taux, décimal) as a decimal string (`"18000.00"`, `"0.8"`) or a
number, dates as ISO strings (`format: date`) or JJ/MM/AAAA, and, for a rule file with a schedule,
any fact but the axis as one value or an object of values per year. Bounds that JSON Schema cannot state on a decimal
string or a date are written in the description.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from engine.check.model import FactDecl, Program
from engine.lang import formatting
from engine.lang.kinds import TypeKind

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
FRENCH_DATE_PATTERN = r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$"

_FORMS = {
    "montant": "montant en euros : chaîne décimale exacte (« 18000.00 ») ou nombre",
    "taux": "taux : fraction décimale exacte, en chaîne (« 0.8 » pour 80 %) ou en nombre",
    "decimal": "nombre décimal : chaîne décimale exacte (« 12.5 ») ou nombre",
    "entier": "nombre entier",
    "booleen": "booléen : true ou false",
    "date": "date AAAA-MM-JJ (« 2024-06-22 ») ou JJ/MM/AAAA (« 22/06/2024 »)",
    "texte": "texte libre",
    "enum": "l'un des mots de la liste",
    "duree": "durée : aucune forme JSON n'est acceptée pour ce type",
}


def facts_schema(program: Program) -> dict[str, Any]:
    """The JSON Schema of the facts of a checked program."""
    properties = {name: fact_schema(decl) for name, decl in program.facts.items()}
    if program.schedule is not None:
        spec = program.schedule
        for name, schema in properties.items():
            if name != spec.axis:
                properties[name] = per_year(schema, spec.axis, spec.first, spec.last)
    texts = " ; ".join(t.short for t in program.texts)
    return {
        "$schema": DIALECT,
        "title": f"Faits acceptés par « {program.text.title} »",
        "description": (f"Faits d'entrée du fichier de règles {program.text.file} ({texts}). Aucun fait n'est "
                        "obligatoire : un fait n'est demandé que si l'évaluation l'atteint. La valeur null "
                        "équivaut à un fait non donné ; un nom inconnu est refusé."),
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def per_year(schema: dict[str, Any], axis: str, first: int, last: int) -> dict[str, Any]:
    """A fact of a rule file with a schedule: one value, or an object of values per axis value
    (`{"3": 3536, "4": 3480}`), which `regles echeancier` reads row by row and an evaluation of one
    year (the axis fact given) reads for that year (`engine.inputs.facts.select_year`)."""
    keys = [str(k) for k in range(first, last + 1)]
    value = {k: v for k, v in schema.items() if k not in {"title", "description"}}
    described = {k: v for k, v in schema.items() if k in {"title", "description"}}
    described["description"] = (schema.get("description", "") + f" Une valeur, ou un objet d'une valeur par {axis} "
                                f"(clés « {first} » à « {last} ») : lu année par année par « regles echeancier », et "
                                f"pour l'année évaluée quand {axis} est donné.").strip()
    return {**described, "anyOf": [value, {"type": "object", "propertyNames": {"enum": keys},
                                           "additionalProperties": value}]}


def fact_schema(decl: FactDecl) -> dict[str, Any]:
    """The schema of one fact: its JSON form, allowed values, range and words."""
    kind = decl.type.kind
    schema: dict[str, Any] = {}
    if decl.question:
        schema["title"] = decl.question
    schema.update(_value_schema(decl))
    notes = [_sentence(decl.description)] if decl.description else []
    notes.append(f"Type : {_FORMS[kind]}.")
    if decl.unit:
        notes.append(f"Unité : {decl.unit}.")
    bounds = _bounds_text(decl)
    if bounds:
        notes.append(bounds)
    if decl.sources:
        notes.append(f"Source{'s' if len(decl.sources) > 1 else ''} : {' ; '.join(c.with_link for c in decl.sources)}.")
    if decl.ignored is not None:
        notes.append(f"Accepté mais non utilisé par ce fichier : {decl.ignored}.")
    notes.append(f"Déclaré par : {decl.text}.")
    schema["description"] = " ".join(notes)
    return schema


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!", "…")) else text + "."


def _value_schema(decl: FactDecl) -> dict[str, Any]:
    t = decl.type
    if t.kind is TypeKind.ENUM:
        schema: dict[str, Any] = {"type": ["string", "null"], "enum": [*t.values, None]}
        if any(t.labels):
            schema["oneOf"] = [{"const": v, "title": t.label(v)} for v in t.values] + [{"type": "null"}]
        return schema
    if decl.allowed is not None:
        return {"enum": [v for value in decl.allowed for v in _json_forms(value)] + [None]}
    match t.kind:
        case TypeKind.BOOLEEN:
            return {"type": ["boolean", "null"]}
        case TypeKind.ENTIER:
            return {"type": ["integer", "null"], **_range(decl)}
        case TypeKind.MONTANT | TypeKind.TAUX | TypeKind.DECIMAL:
            return {"anyOf": [{"type": "string", "pattern": DECIMAL_PATTERN}, {"type": "number", **_range(decl)},
                              {"type": "null"}]}
        case TypeKind.DATE:
            return {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "pattern": FRENCH_DATE_PATTERN},
                              {"type": "null"}]}
        case TypeKind.TEXTE:
            return {"type": ["string", "null"]}
    return {"not": {}}


def _range(decl: FactDecl) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if isinstance(decl.low, (int, Decimal)) and not isinstance(decl.low, bool):
        found["minimum"] = _number(decl.low)
    if isinstance(decl.high, (int, Decimal)) and not isinstance(decl.high, bool):
        found["maximum"] = _number(decl.high)
    return found


def _bounds_text(decl: FactDecl) -> str | None:
    """The declared range in words (JSON Schema cannot bound decimal strings or dates)."""
    if decl.low is None and decl.high is None:
        return None
    low = _show(decl, decl.low) if decl.low is not None else None
    high = _show(decl, decl.high) if decl.high is not None else None
    if low is not None and high is not None:
        return f"Valeurs de {low} à {high}."
    return f"Au moins {low}." if low is not None else f"Au plus {high}."


def _show(decl: FactDecl, value: object) -> str:
    if isinstance(value, dt.date):
        return f"{formatting.date_short(value)} ({value.isoformat()})"
    shown = formatting.value(value, decl.type)
    if decl.type.kind in {TypeKind.MONTANT, TypeKind.TAUX, TypeKind.DECIMAL} and isinstance(value, (int, Decimal)):
        shown += f" (en JSON : {_number(value)})"
    return shown.replace("\u00a0", " ").replace("\u202f", " ")


def _json_forms(value: object) -> list[object]:
    """The JSON values that stand for one allowed value (a decimal as number and as string)."""
    if isinstance(value, (bool, int, str)):
        return [value]
    if isinstance(value, Decimal):
        return [_number(value), format(value.normalize(), "f")]
    if isinstance(value, dt.date):
        return [value.isoformat()]
    return [str(value)]


def _number(value: int | Decimal) -> int | float:
    """A bound or allowed value as a JSON number (integers stay integers)."""
    if isinstance(value, int) or value == value.to_integral_value():
        return int(value)
    return float(value)
