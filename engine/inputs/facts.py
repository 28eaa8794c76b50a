"""Input facts: validation and coercion against the declarations of a program.

Accepts JSON forms (`"2024-06-22"`, `"0.8"`, `"18000.00"`, numbers, `true`) and Python values
(`date`, `Decimal`, `int`, `bool`); `None` means "not given". Every problem is reported at once
in a `FactsError` that names the fact, what was expected and what was given. Binary floats are
turned into exact decimals through their shortest representation (`0.1` → `Decimal("0.1")`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Context, Decimal, InvalidOperation
from typing import assert_never

from attrs import frozen

from engine.base.diagnostics import EngineError, suggest
from engine.check.model import FactDecl, Program
from engine.lang.kinds import TypeKind
from engine.lang.types import Type
from engine.lang.values import Duration


@frozen
class FactProblem:
    """One bad fact: its name, what its declaration expects, what was given, and a hint."""

    fact: str
    expected: str
    given: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"fait « {self.fact} » : attendu {self.expected}, reçu {self.given}"
        return text + (f" ({self.hint})" if self.hint else "")


class FactsError(EngineError, ValueError):
    """The facts given do not match the rule file's declarations."""

    def __init__(self, problems: list[FactProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def validate(program: Program, raw: object) -> dict[str, object]:
    """Return the facts as typed values, or raise FactsError listing every problem (`raw` should be a
    mapping of names to values; anything else is one problem, reported the same way)."""
    if not isinstance(raw, Mapping):
        raise FactsError([FactProblem("(faits)", "un objet nom → valeur", type(raw).__name__)])
    facts: dict[str, object] = {}
    problems: list[FactProblem] = []
    for name, value in raw.items():
        decl = program.facts.get(name) if isinstance(name, str) else None
        if decl is None:
            shown = _shorten(name if isinstance(name, str) else _text_of(name))
            hint = suggest(shown, program.facts) if shown == name else None
            problems.append(FactProblem(shown, "un fait déclaré par le fichier de règles", "un fait inconnu", hint))
            continue
        if value is None:
            continue
        try:
            facts[name] = coerce(decl, value)
        except _Bad as bad:
            hint = bad.hint
            if isinstance(value, Mapping):
                hint = (f"une valeur par {program.schedule.axis} n'est lue qu'avec {program.schedule.axis} donné"
                        if program.schedule is not None else
                        "une valeur par année n'est acceptée que par un fichier de règles qui déclare un échéancier")
            problems.append(FactProblem(name, bad.expected, _show(value), hint))
    if problems:
        raise FactsError(problems)
    return facts


def select_year(program: Program, raw: Mapping[str, object]) -> Mapping[str, object]:
    """The facts of the year evaluated, when some facts give one value per year.

    A rule file that declares a schedule (`échéancier annee_contrat de 1 à 5`) accepts a fact as an
    object keyed by the axis values (`{"3": 3536, "4": 3480}`): `regles echeancier` reads each row's
    value, and an evaluation of one year (the axis fact given, `annee_contrat: 4`) reads that year's
    value, or none when the object has no key for it. Without the axis fact, which value to read is
    unknown: the facts are refused, saying so. Keys that are no axis value are refused too.
    """
    spec = program.schedule
    if spec is None or not isinstance(raw, Mapping) or not any(isinstance(v, Mapping) for v in raw.values()):
        return raw
    check_axis_keys(raw, spec.axis, spec.first, spec.last)
    year = raw.get(spec.axis)
    if year is None:
        raise FactsError([FactProblem(str(name), f"une seule valeur, ou une valeur par {spec.axis} avec {spec.axis} "
                                                  "donné", _show(value),
                                      f"donnez le fait {spec.axis} (avec regles eval et explain : --annee N) pour "
                                      "lire la valeur de cette année, ou utilisez « regles echeancier » pour toutes "
                                      "les années")
                          for name, value in raw.items() if isinstance(value, Mapping)])
    try:
        key = str(_integer(year))
    except _Bad:
        return raw  # the axis fact itself is invalid: validation says so
    row: dict[str, object] = {}
    for name, value in raw.items():
        if not isinstance(value, Mapping):
            row[name] = value
        elif key in value:
            row[name] = value[key]
    return row


def check_axis_keys(facts: Mapping[str, object], axis: str, first: int, last: int) -> None:
    """Refuse a value per axis value whose key is no value of the axis (`{"03": …}`, `{"7": …}` for
    1 to 5, `{3: …}`): it would never be read, and the year would silently lack the fact."""
    allowed = {str(k) for k in range(first, last + 1)}
    problems = []
    for name, value in facts.items():
        if isinstance(value, Mapping):
            bad = next((key for key in value if key not in allowed), None)
            if bad is not None:
                problems.append(FactProblem(str(name), f"une valeur par {axis}, sous les clés « {first} » à « {last} »",
                                            f"la clé {_show(bad)}"))
    if problems:
        raise FactsError(problems)


class _Bad(Exception):
    def __init__(self, expected: str, hint: str | None = None) -> None:
        super().__init__(expected)
        self.expected = expected
        self.hint = hint


def coerce(decl: FactDecl, value: object) -> object:
    """One fact value as the runtime value of its declared type (raises _Bad)."""
    converted = _convert(decl.type, value)
    _check_bounds(decl, converted)
    return converted


def _convert(t: Type, value: object) -> object:
    match t.kind:
        case TypeKind.BOOLEEN:
            return _boolean(value)
        case TypeKind.ENTIER:
            return _integer(value)
        case TypeKind.DECIMAL | TypeKind.TAUX | TypeKind.MONTANT:
            return _decimal(value, t.kind)
        case TypeKind.DATE:
            return _date(value)
        case TypeKind.TEXTE:
            if isinstance(value, str):
                if len(value) > MAX_TEXT:
                    raise _Bad(f"un texte de {MAX_TEXT:,} caractères au plus".replace(",", "\u202f"))
                return str.__str__(value)  # a str, even from a subclass of str
            raise _Bad("un texte")
        case TypeKind.ENUM:
            if isinstance(value, str) and value in t.values:
                return str.__str__(value)
            words = ", ".join(t.values)
            hint = _suggest_word(value, t.values) if isinstance(value, str) and len(value) <= _SHOWN else None
            raise _Bad(f"l'une des valeurs {words}", hint)
        case TypeKind.DUREE:
            if isinstance(value, Duration):
                return value
        case TypeKind.ANY:
            pass
        case _:
            assert_never(t.kind)
    raise _Bad(f"une valeur de type {t}")


def _suggest_word(value: str, words: tuple[str, ...]) -> str | None:
    """"Vouliez-vous dire" for an enumeration value: a close spelling (`cardiolgie`), else the words
    sharing a stem of six letters or more with it (`generaliste` → `medecine_generale`)."""
    hint = suggest(value, words)
    if hint is not None:
        return hint
    stem = value.strip().lower().replace("é", "e").replace("è", "e")[:6]
    close = [w for w in words if len(stem) >= 6 and any(part.startswith(stem) for part in w.split("_"))]
    return "vouliez-vous dire " + " ou ".join(f"« {w} »" for w in close[:3]) + " ?" if close else None


_TRUE = {"true", "vrai", "oui", "1"}
_FALSE = {"false", "faux", "non", "0"}


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Bad("un booléen (true ou false)")


MAX_DIGITS = 15
"""Numbers are refused from 10¹⁵ on: no fact of a rule file comes near, and exact arithmetic and its
display (28 significant digits) stay exact below that."""
_LIMIT = Decimal(10) ** MAX_DIGITS
_INT_LIMIT = 10 ** MAX_DIGITS
MAX_SIGNIFICANT = 40
"""A number fact has at most 40 significant digits and 40 decimals (`engine.lang.values` computes within
these limits: a fact of 80 zeros and a 1, or of three million digits, is refused here, not computed)."""
MAX_TEXT = 10_000
"""Longest text fact, in characters: a name, an address or a department code is far shorter."""
_MAX_NUMBER_TEXT = 100
"""Longest number written as text (spaces included) that is read at all."""
_SHOWN = 60
"""Longest given value, or unknown fact name, quoted back in a message (the rest is cut)."""
_EXACT = Context(prec=_MAX_NUMBER_TEXT + 1)


def _bounded(number: Decimal, expected: str) -> Decimal:
    if not number.is_finite():
        raise _Bad(expected)
    if not -_LIMIT < number < _LIMIT:
        raise _Bad(expected, f"un nombre de moins de {MAX_DIGITS + 1} chiffres avant la virgule")
    _, digits, exponent = number.as_tuple()
    if len(digits) > _MAX_NUMBER_TEXT:
        raise _Bad(expected, f"au plus {MAX_SIGNIFICANT} chiffres significatifs")
    _, digits, exponent = number.normalize(_EXACT).as_tuple()  # trailing zeros do not count
    if len(digits) > MAX_SIGNIFICANT or int(exponent) < -MAX_SIGNIFICANT:  # finite here: the exponent is an int
        raise _Bad(expected, f"au plus {MAX_SIGNIFICANT} chiffres significatifs et {MAX_SIGNIFICANT} décimales")
    return number


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise _Bad("un nombre entier")
    if isinstance(value, int):  # compared as an int: a number of 5 000 digits never becomes text
        if not -_INT_LIMIT < value < _INT_LIMIT:
            raise _Bad("un nombre entier", f"un nombre de moins de {MAX_DIGITS + 1} chiffres avant la virgule")
        return int(value)  # an int, even from an IntEnum
    try:
        number = _decimal(value, TypeKind.ENTIER)
    except _Bad:
        raise _Bad("un nombre entier") from None
    if number != number.to_integral_value():
        raise _Bad("un nombre entier", "sans partie décimale")
    return int(number)


_NUMBER_TEXT = re.compile(r"^-?\d[\d \u00a0\u202f]*([.,]\d+)?$")


def _decimal(value: object, kind: TypeKind) -> Decimal:
    expected = {"taux": "un taux (0.8 pour 80 "
                        "%)", "montant": "un montant en euros (\"18000.00\")"}.get(kind, "un nombre")
    if isinstance(value, bool):
        raise _Bad(expected)
    if isinstance(value, int):
        if not -_INT_LIMIT < value < _INT_LIMIT:  # compared as an int: 5 000 digits never become text
            raise _Bad(expected, f"un nombre de moins de {MAX_DIGITS + 1} chiffres avant la virgule")
        return Decimal(int(value))
    if isinstance(value, Decimal):
        return _bounded(Decimal(value), expected)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _Bad(expected)
        return _bounded(Decimal(repr(value)), expected)
    if isinstance(value, str):
        return _bounded(_decimal_text(value, kind, expected), expected)
    raise _Bad(expected)


def _decimal_text(text: str, kind: TypeKind, expected: str) -> Decimal:
    if len(text) > _MAX_NUMBER_TEXT:
        raise _Bad(expected, f"au plus {MAX_SIGNIFICANT} chiffres significatifs")
    cleaned = text.strip()
    percent = cleaned.endswith("%")
    cleaned = cleaned.rstrip("%€ ").strip()
    if not _NUMBER_TEXT.match(cleaned):
        raise _Bad(expected)
    try:
        number = Decimal("".join(c for c in cleaned if c not in " \u00a0\u202f").replace(",", "."))
    except InvalidOperation:
        raise _Bad(expected) from None
    if percent:
        if kind is not TypeKind.TAUX:
            raise _Bad(expected)
        number = number / 100
    return number


def parse_date(text: str) -> dt.date:
    """A date written AAAA-MM-JJ or JJ/MM/AAAA (the one date grammar of facts, schema and options).

    Raises:
        ValueError: another form, or a date that does not exist.
    """
    try:
        return _date(text)
    except _Bad as bad:
        raise ValueError(bad.expected) from None


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value if type(value) is dt.date else dt.date(value.year, value.month, value.day)
    if isinstance(value, str):
        text = value.strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return dt.date.fromisoformat(text)
            if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
                day, month, year = (int(p) for p in text.split("/"))
                return dt.date(year, month, day)
        except ValueError:
            raise _Bad(f"une date qui existe ({DATE_FORMS})") from None
    raise _Bad(f"une date ({DATE_FORMS})")


DATE_FORMS = "AAAA-MM-JJ ou JJ/MM/AAAA"
"""The two ways a date fact is written, everywhere (facts, schema, options): ISO, or French day first."""


def _check_bounds(decl: FactDecl, value: object) -> None:
    if decl.allowed is not None and value not in decl.allowed:
        listed = ", ".join(_show(v) for v in decl.allowed)
        raise _Bad(f"l'une des valeurs {listed}")
    if decl.low is not None and decl.low > value:
        raise _Bad(f"une valeur d'au moins {_show(decl.low)}")
    if decl.high is not None and decl.high < value:
        raise _Bad(f"une valeur d'au plus {_show(decl.high)}", _percent_hint(decl, value))


def _percent_hint(decl: FactDecl, value: object) -> str | None:
    """A share written as a percentage (`85` for a rate of at most 1): say how to write it."""
    if decl.type.kind is not TypeKind.TAUX or not isinstance(value, Decimal) or decl.high is None or decl.high > 1:
        return None
    if not 1 < value <= 100:
        return None
    fraction = format((value / 100).normalize(), "f")
    percent = format(value.normalize(), "f").replace(".", ",")
    return f"un taux s'écrit en fraction : {fraction}, ou en pourcentage : « {percent} % »"


def _show(value: object) -> str:
    """A given value as a message quotes it: at most `_SHOWN` characters of it."""
    if isinstance(value, str):
        return f"« {_shorten(value)} »"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (Mapping, list, tuple)):
        return _shorten(_json_text(value))
    return _shorten(_text_of(value))


def _json_text(value: object) -> str:
    """A given object or list as JSON (as the user wrote it), not as a Python repr."""
    import json
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return _text_of(value)


def _text_of(value: object) -> str:
    """`str(value)`, or a description when that text would be huge or cannot be made."""
    if isinstance(value, int) and not -10 ** _SHOWN < value < 10 ** _SHOWN:
        return f"un nombre de plus de {_SHOWN} chiffres"
    if isinstance(value, Decimal) and len(value.as_tuple().digits) > _SHOWN:
        return f"un nombre de {len(value.as_tuple().digits)} chiffres"
    try:
        return str(value)
    except (ValueError, RecursionError):  # an int of 5 000 digits inside a list, a list nested 100 000 deep
        return f"une valeur de type {type(value).__name__}"


def _shorten(text: str) -> str:
    """The text, cut to `_SHOWN` characters with a note of its length."""
    if len(text) <= _SHOWN:
        return text
    return f"{text[:_SHOWN]}… ({len(text):,} caractères)".replace(",", "\u202f")
