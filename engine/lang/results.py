"""The four outcomes of evaluating a rule: a value, or one of three kinds of absence.

*Non applicable* (the question does not arise) and *indéterminé* (the text applies but fixes no
figure) carry a French reason and propagate to every result computed from them. *Missing* lists
the facts that would be needed; it is never an error. These are distinct from `faux`.
"""

from __future__ import annotations

from attrs import frozen


@frozen
class Value:
    """A computed value (int, Decimal, Fraction, bool, date, str, Duration)."""

    value: object
    status = "value"


@frozen
class NotApplicable:
    """The rule does not concern this case; `reason` says why, `origin` where it was decided."""

    reason: str
    origin: str | None = None
    status = "not_applicable"


@frozen
class Undetermined:
    """The text applies but fixes no value; `reason` says what is missing from the text."""

    reason: str
    origin: str | None = None
    status = "undetermined"


@frozen
class Missing:
    """Facts needed to go on and not given."""

    facts: frozenset[str]
    status = "missing"


Result = Value | NotApplicable | Undetermined | Missing
Marker = NotApplicable | Undetermined

STATUS_FRENCH = {"value": "valeur", "not_applicable": "non applicable", "undetermined": "indéterminé",
                 "missing": "manquant"}

