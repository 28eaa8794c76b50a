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
from decimal import Decimal, InvalidOperation

from attrs import frozen

from engine.diagnostics import EngineError, suggest
from engine.model import FactDecl, Program
from engine.types import Type
from engine.values import Duration


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


def validate(program: Program, raw: Mapping[str, object]) -> dict[str, object]:
    """Return the facts as typed values, or raise FactsError listing every problem."""
    if not isinstance(raw, Mapping):
        raise FactsError([FactProblem("(faits)", "un objet nom → valeur", type(raw).__name__)])
    facts: dict[str, object] = {}
    problems: list[FactProblem] = []
    for name, value in raw.items():
        decl = program.facts.get(name) if isinstance(name, str) else None
        if decl is None:
            hint = suggest(str(name), program.facts)
            problems.append(FactProblem(str(name), "un fait déclaré par le fichier de règles", "un fait inconnu", hint))
            continue
        if value is None:
            continue
        try:
            facts[name] = coerce(decl, value)
        except _Bad as bad:
            problems.append(FactProblem(name, bad.expected, _show(value), bad.hint))
    if problems:
        raise FactsError(problems)
    return facts


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
    kind = t.kind
    if kind == "booleen":
        return _boolean(value)
    if kind == "entier":
        return _integer(value)
    if kind in {"decimal", "taux", "montant"}:
        return _decimal(value, kind)
    if kind == "date":
        return _date(value)
    if kind == "texte":
        if isinstance(value, str):
            return value
        raise _Bad("un texte")
    if kind == "enum":
        if isinstance(value, str) and value in t.values:
            return value
        words = ", ".join(t.values)
        raise _Bad(f"l'une des valeurs {words}", suggest(str(value), t.values) if isinstance(value, str) else None)
    if kind == "duree" and isinstance(value, Duration):
        return value
    raise _Bad(f"une valeur de type {t}")


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


def _bounded(number: Decimal, expected: str) -> Decimal:
    if not -_LIMIT < number < _LIMIT:
        raise _Bad(expected, f"un nombre de moins de {MAX_DIGITS + 1} chiffres avant la virgule")
    return number


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise _Bad("un nombre entier")
    if isinstance(value, int):
        return int(_bounded(Decimal(value), "un nombre entier")) if abs(value) >= _LIMIT else value
    try:
        number = _decimal(value, "entier")
    except _Bad:
        raise _Bad("un nombre entier") from None
    if number != number.to_integral_value():
        raise _Bad("un nombre entier", "sans partie décimale")
    return int(number)


_NUMBER_TEXT = re.compile(r"^-?\d[\d \u00a0\u202f]*([.,]\d+)?$")


def _decimal(value: object, kind: str) -> Decimal:
    expected = {"taux": "un taux (0.8 pour 80 %)", "montant": "un montant en euros (\"18000.00\")"}.get(kind, "un nombre")
    if isinstance(value, bool):
        raise _Bad(expected)
    if isinstance(value, (int, Decimal)):
        if isinstance(value, Decimal) and not value.is_finite():
            raise _Bad(expected)
        return _bounded(Decimal(value), expected)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _Bad(expected)
        return _bounded(Decimal(repr(value)), expected)
    if isinstance(value, str):
        return _bounded(_decimal_text(value, kind, expected), expected)
    raise _Bad(expected)


def _decimal_text(text: str, kind: str, expected: str) -> Decimal:
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
        if kind != "taux":
            raise _Bad(expected)
        number = number / 100
    return number


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return dt.date.fromisoformat(text)
            if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
                day, month, year = (int(p) for p in text.split("/"))
                return dt.date(year, month, day)
        except ValueError:
            raise _Bad("une date qui existe (AAAA-MM-JJ)") from None
    raise _Bad("une date (AAAA-MM-JJ)")


def _check_bounds(decl: FactDecl, value: object) -> None:
    if decl.allowed is not None and value not in decl.allowed:
        listed = ", ".join(_show(v) for v in decl.allowed)
        raise _Bad(f"l'une des valeurs {listed}")
    if decl.low is not None and value < decl.low:  # type: ignore[operator]
        raise _Bad(f"une valeur d'au moins {_show(decl.low)}")
    if decl.high is not None and value > decl.high:  # type: ignore[operator]
        raise _Bad(f"une valeur d'au plus {_show(decl.high)}")


def _show(value: object) -> str:
    if isinstance(value, str):
        return f"« {value} »"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
