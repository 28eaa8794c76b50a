"""Trace events: how each result was obtained, recorded while evaluating.

The trace is a tree of frozen `Event`s, after Catala's `--trace` and Publicodes' evaluated node:
a `rule` event holds the events of its formula, and so on down to the facts and parameters read.
Explanations and letters render this tree and nothing else. Event kinds are a documented,
stable vocabulary (templates depend on them):

rule, reference, fact, parameter, table, condition, comparison, membership, logic, arithmetic,
rounding, extremum, marker, guard, date, text_of, duration, constant.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from attrs import field, frozen

from engine.results import Missing, Result, Value
from engine.source import NOWHERE, Span
from engine.values import Duration, to_decimal


@frozen
class Event:
    """One step of an evaluation, with the steps it was made of."""

    kind: str
    label: str
    result: Result
    span: Span = field(default=NOWHERE, eq=False)
    data: dict[str, object] = field(factory=dict, eq=False)
    children: tuple[Event, ...] = ()

    def find(self, kind: str) -> list[Event]:
        """Every descendant event of a kind, depth first."""
        found = []
        stack = list(reversed(self.children))
        while stack:
            event = stack.pop()
            if event.kind == kind:
                found.append(event)
            stack.extend(reversed(event.children))
        return found

    def to_json(self, _written: set[int] | None = None) -> dict[str, object]:
        """A JSON-serialisable mapping (values as strings where JSON has no exact type).

        A rule evaluated once but used in several places is one shared event; it is written in
        full the first time and as a `reference` (label and result) afterwards.
        """
        written = set() if _written is None else _written
        if id(self) in written:
            return {"kind": "reference", "label": self.label, **result_json(self.result)}
        if self.children and self.kind in {"rule", "parameter", "table", "function"}:
            written.add(id(self))
        out: dict[str, object] = {"kind": self.kind, "label": self.label, "status": self.result.status}
        if isinstance(self.result, Value):
            out["value"] = json_value(self.result.value)
        elif isinstance(self.result, Missing):
            out["missing"] = sorted(self.result.facts)
        else:
            out["reason"] = self.result.reason  # type: ignore[union-attr]
        if self.span.line:
            out["span"] = self.span.to_json()
        for key, value in self.data.items():
            out[key] = value if type(value) in _PLAIN else json_value(value)
        if self.children:
            out["children"] = [child.to_json(written) for child in self.children]
        return out


def result_json(result: Result) -> dict[str, object]:
    """A result in JSON form: its status, and its value, reason or missing facts."""
    if isinstance(result, Value):
        return {"status": result.status, "value": json_value(result.value)}
    if isinstance(result, Missing):
        return {"status": result.status, "missing": sorted(result.facts)}
    return {"status": result.status, "reason": result.reason}  # type: ignore[union-attr]


_PLAIN = frozenset({str, int, bool})


def json_value(value: object) -> object:
    """A runtime value in JSON form: exact decimals as strings, dates in ISO form."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, Fraction):
        return str(to_decimal(value))
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


class Tracer:
    """Collects events during one evaluation: `open` a level, evaluate, then `close` it."""

    enabled = True

    def __init__(self) -> None:
        self._stack: list[list[Event]] = [[]]

    def open(self) -> None:
        """Start collecting the children of the next event."""
        self._stack.append([])

    def close(self, kind: str, label: str, result: Result, span: Span = NOWHERE, **data: object) -> Event:
        """Finish the current event with the children collected since `open`."""
        children = tuple(self._stack.pop())
        event = Event(kind, label, result, span, data, children)
        self._stack[-1].append(event)
        return event

    def leaf(self, kind: str, label: str, result: Result, span: Span = NOWHERE, **data: object) -> Event:
        """Record an event with no children."""
        event = Event(kind, label, result, span, data)
        self._stack[-1].append(event)
        return event

    def attach(self, event: Event) -> None:
        """Record an event already built (a rule evaluated earlier, used again)."""
        self._stack[-1].append(event)

    @property
    def roots(self) -> tuple[Event, ...]:
        """The top-level events recorded so far."""
        return tuple(self._stack[0])


class NullTracer(Tracer):
    """A tracer that records nothing, for evaluations whose trace nobody asked for."""

    enabled = False

    def open(self) -> None:
        pass

    def close(self, kind: str, label: str, result: Result, span: Span = NOWHERE, **data: object) -> Event:  # type: ignore[override]
        return None  # type: ignore[return-value]

    def leaf(self, kind: str, label: str, result: Result, span: Span = NOWHERE, **data: object) -> Event:  # type: ignore[override]
        return None  # type: ignore[return-value]

    def attach(self, event: Event) -> None:
        pass
