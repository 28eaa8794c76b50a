"""Fact validation for the fast path: `engine.inputs.facts.validate`, specialised once per program.

`FactReader(program).validate(raw)` returns exactly what `facts.validate(program, raw)` returns.
Each declared fact gets a converter for the forms batch files and JSON carry (`"1200"`,
`"0.85"`, `"2024-06-22"`, `"true"`, ints, Decimals, dates); any other form goes through
`facts.coerce` for that one fact, and any problem makes the whole mapping go through
`facts.validate`, so a `FactsError` lists every problem with the same words.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from engine.check.model import FactDecl, Program
from engine.inputs import facts as _facts
from engine.lang.kinds import TypeKind

__all__ = ["FactReader"]

_BOOLEANS = {**dict.fromkeys(_facts._TRUE, True), **dict.fromkeys(_facts._FALSE, False)}
_DECIMAL = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?", re.ASCII).fullmatch
"""The decimal forms read fast: at most 15 digits on each side (`facts.MAX_DIGITS`); others go to `facts.coerce`."""


class FactReader:
    """Validates and types facts against one program's declarations."""

    def __init__(self, program: Program) -> None:
        self._program = weakref.ref(program)  # cached per program (engine.evaluate.backend): do not keep it alive
        self.converters: dict[str, Callable[[object], object]] = {
            name: _converter(decl) for name, decl in program.facts.items()}

    @property
    def program(self) -> Program:
        """The program whose declarations type the facts."""
        program = self._program()
        if program is None:
            raise ReferenceError("le programme de ce FactReader n'existe plus")
        return program

    def validate(self, raw: Mapping[str, object]) -> dict[str, object]:
        """The typed facts, or `FactsError` listing every problem (from `facts.validate`)."""
        if type(raw) is not dict:
            return _facts.validate(self.program, raw)
        converters = self.converters
        typed = {}
        try:
            for name, value in raw.items():
                convert = converters[name]
                if value is not None:
                    typed[name] = convert(value)
        except Exception:  # noqa: BLE001 - the reference path says what is wrong, in its words
            return _facts.validate(self.program, raw)
        return typed


    def cells_reader(self, positions: Sequence[tuple[int, str]]) -> Callable[[Sequence[str]], dict[str, object]]:
        """A function from a row of text cells to typed facts; `positions` are (column, fact).

        An empty cell is an unknown fact. The result is `validate({fact: cell, …})` over the
        non-empty cells, in column order. The function is generated for these columns: one
        straight test per cell, the forms `_FAST_TEXT` knows, `facts.coerce` for the others.
        """
        lines = ["def read(row):", "    T = {}", "    try:", "        pass"]
        namespace: dict[str, object] = {"SLOW": _SLOW, "Decimal": Decimal, "fromiso": dt.date.fromisoformat,
                                        "DEC": _DECIMAL, "BOOLS": _BOOLEANS, "validate": _facts.validate,
                                        "program": self.program, "positions": tuple(positions)}
        for k, (i, name) in enumerate(positions):
            decl = self.program.facts[name]
            namespace[f"slow{k}"] = functools.partial(_facts.coerce, decl)
            namespace[f"words{k}"] = frozenset(decl.type.values)
            test = _FAST_TEXT.get(decl.type.kind, "SLOW").format(k=k)
            lines += [f"        v = row[{i}]", "        if v != '':", f"            x = {test}",
                      f"            if x is SLOW: x = slow{k}(v)"]
            lines += [f"            {check}" for check in _bound_checks(decl, k, namespace)]
            lines.append(f"            T[{name!r}] = x")
        lines += ["    except Exception:",
                  "        return validate(program, {n: row[i] for i, n in positions if row[i] != ''})",
                  "    return T"]
        exec(compile("\n".join(lines) + "\n", "<regles : lecture des faits>", "exec"), namespace)
        read = namespace["read"]
        assert callable(read)  # defined by the source just compiled
        return read


_FAST_DECIMAL = "Decimal(v) if DEC(v) else SLOW"

_FAST_TEXT: dict[TypeKind, str] = {
    TypeKind.BOOLEEN: "BOOLS.get(v, SLOW)",
    TypeKind.ENTIER: "int(v) if v.isdigit() and v.isascii() and len(v) <= 15 else SLOW",
    TypeKind.DECIMAL: _FAST_DECIMAL, TypeKind.TAUX: _FAST_DECIMAL, TypeKind.MONTANT: _FAST_DECIMAL,
    TypeKind.DATE: ("fromiso(v) if len(v) == 10 and v[4] == '-' and v[7] == '-' and v.isascii() and v[:4].isdigit() "
                    "and v[5:7].isdigit() and v[8:].isdigit() else SLOW"),
    TypeKind.TEXTE: f"v if len(v) <= {_facts.MAX_TEXT} else SLOW",
    TypeKind.ENUM: "v if v in words{k} else SLOW",
}
"""Python source testing a text cell `v` for the forms a fact's type reads fast (else SLOW)."""


def _bound_checks(decl: FactDecl, k: int, namespace: dict[str, object]) -> list[str]:
    """Lines raising when `x` is outside the declaration's bounds (then `facts.validate` reports it)."""
    checks = []
    if decl.allowed is not None:
        namespace[f"allowed{k}"] = decl.allowed
        checks.append(f"if x not in allowed{k}: raise ValueError")
    if decl.low is not None:
        namespace[f"low{k}"] = decl.low
        checks.append(f"if x < low{k}: raise ValueError")
    if decl.high is not None:
        namespace[f"high{k}"] = decl.high
        checks.append(f"if x > high{k}: raise ValueError")
    return checks



def _enum_reader(words: frozenset[str]) -> Callable[[object], object]:
    """The fast test of an enumeration fact: one of its words, as a string."""
    def fast(value: object) -> object:
        return value if type(value) is str and value in words else _SLOW
    return fast


def _converter(decl: FactDecl) -> Callable[[object], object]:
    """One fact's converter: a fast test for the common forms, `facts.coerce` for the others.

    A form the fast test accepts gives what `facts.coerce` would; the bounds are checked the
    same way, and a value out of bounds raises, which sends the mapping to `facts.validate`.
    """
    kind = decl.type.kind
    slow = functools.partial(_facts.coerce, decl)
    fast = _enum_reader(frozenset(decl.type.values)) if kind is TypeKind.ENUM else _FAST.get(kind)
    if fast is None:
        return slow
    low, high = decl.low, decl.high
    allowed = decl.allowed
    if allowed is None and low is None and high is None:
        def convert(value: object) -> object:
            typed = fast(value)
            return slow(value) if typed is _SLOW else typed
        return convert

    def convert_bounded(value: object) -> object:
        typed = fast(value)
        if typed is _SLOW:
            return slow(value)
        if (allowed is not None and typed not in allowed) or (low is not None and typed < low) \
                or (high is not None and typed > high):
            raise ValueError("hors bornes")
        return typed
    return convert_bounded


_SLOW = object()
"""What a fast test returns for a form it does not know."""


def _boolean(value: object) -> object:
    if value is True or value is False:
        return value
    if type(value) is str:
        found = _BOOLEANS.get(value)
        if found is not None:
            return found
    return _SLOW


_LIMIT = 10 ** 15


def _integer(value: object) -> object:
    if type(value) is int and -_LIMIT < value < _LIMIT:
        return value
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= 15:
        return int(value)
    return _SLOW


def _decimal(value: object) -> object:
    if type(value) is str and _DECIMAL(value):
        return Decimal(value)
    if type(value) is int and -_LIMIT < value < _LIMIT:
        return Decimal(value)
    if type(value) is Decimal and value.is_finite() and value.adjusted() < 15:
        shape = value.as_tuple()
        if len(shape.digits) <= _facts.MAX_SIGNIFICANT and int(shape.exponent) >= -_facts.MAX_SIGNIFICANT:
            return Decimal(value)
    return _SLOW


def _date(value: object) -> object:
    if type(value) is dt.date:
        return value
    if (type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-"
            and value.isascii() and value[:4].isdigit() and value[5:7].isdigit() and value[8:].isdigit()):
        return dt.date.fromisoformat(value)
    return _SLOW


def _text(value: object) -> object:
    return value if type(value) is str and len(value) <= _facts.MAX_TEXT else _SLOW


_FAST: dict[str, Callable[[object], object]] = {
    "booleen": _boolean, "entier": _integer, "date": _date, "texte": _text,
    "decimal": _decimal, "taux": _decimal, "montant": _decimal}
