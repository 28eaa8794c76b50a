"""Trace events: how each result was obtained, recorded while evaluating.

The trace is a tree of `Event`s, after Catala's `--trace` and Publicodes' evaluated node:
a `rule` event holds the events of its formula, and so on down to the facts and parameters read.
Explanations and letters render this tree and nothing else. Event kinds are a documented,
stable vocabulary (templates and the JSON trace depend on them): `engine.lang.kinds.EventKind`.

Why an event is split in two: most of what an event says (its kind, its text as the rule file
writes it, its span, the citations and types of what it evaluates) depends only on the program
node it comes from. That part is a `Site`, built once per node and shared by every event of every
evaluation, with its JSON form; an `Event` adds only what the facts decided (the result, the
operands, the branch taken). Recording a trace then costs one small object per step, and writing
it as JSON copies a prepared mapping instead of converting it again.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from attrs import define, field, frozen

from engine.base.source import NOWHERE, Span
from engine.lang.kinds import EventKind, TypeKind
from engine.lang.results import Missing, NotApplicable, Result, Undetermined, Value
from engine.lang.values import Duration, money_text, to_decimal, unsigned_zero


@frozen
class Site:
    """What the events of one program node say whatever the facts: kind, text, span, static data."""

    kind: EventKind
    label: str
    span: Span = field(default=NOWHERE, eq=False)
    data: Mapping[str, object] = field(factory=dict, eq=False)

    @functools.cached_property
    def json_head(self) -> dict[str, object]:
        """The JSON form of an event of this site begins with its kind and label."""
        return {"kind": self.kind, "label": self.label}

    @functools.cached_property
    def json_value(self) -> dict[str, object]:
        """The JSON form of an event of this site whose result is a value, the value left to set."""
        return {"kind": self.kind, "label": self.label, "status": "value", "value": None, **self.json_tail}

    @functools.cached_property
    def money(self) -> bool:
        """Whether this site's values are amounts (written with at least two decimals)."""
        return getattr(self.data.get("type"), "kind", None) == TypeKind.MONTANT

    @functools.cached_property
    def json_tail(self) -> dict[str, object]:
        """The span and the static data in JSON form (computed once per node)."""
        out: dict[str, object] = {"span": self.span.to_json()} if self.span.line else {}
        for key, value in self.data.items():
            out[key] = value if type(value) in _PLAIN else json_value(value)
        return out


@define(eq=False)
class Event:
    """One step of an evaluation: its site, its result, what the facts decided, and its steps.

    Events are immutable by contract (nothing assigns to one after it is recorded) but not
    `frozen`: a frozen attrs instance costs three times as much to build (about 0.8 µs against
    0.27 µs here), and a traced evaluation builds some two hundred (docs/architecture.md).
    """

    site: Site
    result: Result
    details: Mapping[str, object] | None = None
    children: tuple[Event, ...] = ()
    _data: Mapping[str, object] | None = field(default=None, init=False, repr=False)

    @property
    def kind(self) -> EventKind:
        return self.site.kind

    @property
    def label(self) -> str:
        return self.site.label

    @property
    def span(self) -> Span:
        return self.site.span

    @property
    def data(self) -> Mapping[str, object]:
        """Everything the event says besides its result: the site's static data and the details."""
        found = self._data
        if found is None:
            found = self._data = {**self.site.data, **self.details} if self.details else self.site.data
        return found

    def find(self, kind: EventKind) -> list[Event]:
        """Every descendant event of a kind, depth first."""
        found = []
        stack = list(reversed(self.children))
        while stack:
            event = stack.pop()
            if event.site.kind == kind:
                found.append(event)
            stack.extend(reversed(event.children))
        return found

    def to_json(self, _written: set[int] | None = None) -> dict[str, object]:
        """A JSON-serialisable mapping (values as strings where JSON has no exact type).

        A rule evaluated once but used in several places is one shared event; it is written in
        full the first time and as a `reference` (label and result) afterwards.
        """
        return _event_json(self, set() if _written is None else _written)


def _event_json(event: Event, written: set[int]) -> dict[str, object]:
    site = event.site
    children = event.children
    if children and site.kind in _SHARED:
        # keyed by the event object: one program node has one event per evaluation that reached it
        # (a function called twice, a rule at two dates), and only the same event is shared
        if id(event) in written:
            reference = {"kind": EventKind.REFERENCE, "label": site.label}
            return {**reference, **result_json(event.result, site.data.get("type"))}
        written.add(id(event))
    result = event.result
    if type(result) is Value:  # the common case: a copy of the site's prepared mapping, and the value
        out = site.json_value.copy()
        value: Any = result.value  # a runtime value: an amount when the site says so
        if site.money and type(value) is not bool:
            out["value"] = money_text(value)
        else:
            out["value"] = value if type(value) in _PLAIN else json_value(value)
    else:
        out = {**site.json_head, **result_json(result), **site.json_tail}
    details = event.details
    if details:
        for key, value in details.items():
            out[key] = value if type(value) in _PLAIN else json_value(value)
    if children:
        out["children"] = [_event_json(child, written) for child in children]
    return out


_SHARED = frozenset({EventKind.RULE, EventKind.PARAMETER, EventKind.TABLE, EventKind.FUNCTION})


def result_json(result: Result, t: object = None) -> dict[str, object]:
    """A result in JSON form: its status, and its value, reason or missing facts; with its type `t`,
    an amount has at least two decimals (`money_text`)."""
    if isinstance(result, Value):
        value: Any = result.value  # a runtime value: an amount when `t` says so
        if getattr(t, "kind", None) == TypeKind.MONTANT and type(value) is not bool:
            return {"status": "value", "value": money_text(value)}
        return {"status": "value", "value": value if type(value) in _PLAIN else json_value(value)}
    if isinstance(result, Missing):
        return {"status": result.status, "missing": sorted(result.facts)}
    return {"status": result.status, "reason": result.reason}


_PLAIN = frozenset({str, int, bool, type(None)})


def json_value(value: object) -> object:
    """A runtime value in JSON form: exact decimals as strings, dates in ISO form."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    known: Any = value  # its exact type is tested below
    if kind is Decimal:  # exact types first: Fraction's isinstance goes through ABCMeta
        return str(unsigned_zero(known))
    if kind is Duration:
        return str(value)
    if kind is dt.date:
        return known.isoformat()
    if kind is Fraction:
        return str(to_decimal(known))
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Fraction):
        return str(to_decimal(value))
    if isinstance(value, Decimal):
        return str(unsigned_zero(value))
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    to_json = getattr(value, "to_json", None)  # a citation (engine.check.model.Citation) writes itself as an object
    if to_json is not None:
        return to_json()
    return str(value)


class Tracer:
    """Collects the events of one evaluation.

    The evaluator appends each finished event to `log`; an event's children are the events
    appended since its evaluation started (`record`), which it replaces. What remains in the log
    at the end are the top-level events.
    """

    def __init__(self) -> None:
        self.log: list[Event] = []

    def record(self, site: Site, result: Result, mark: int, details: Mapping[str, object] | None = None) -> Event:
        """Finish an event whose evaluation started when the log had `mark` events."""
        return record(self.log, mark, site, result, details)

    @property
    def roots(self) -> tuple[Event, ...]:
        """The top-level events recorded so far."""
        return tuple(self.log)


_RESULTS = frozenset({Value, NotApplicable, Undetermined, Missing})


def record(log: list[Event], mark: int, site: Site, result: Any, details: Mapping[str, object] | None = None) -> Event:
    """Finish the event of one step, whose children are the events logged since `mark`, and log it.

    `result` is a `Result`, or the plain value generated code holds (`engine.evaluate.runtime`),
    wrapped here: the interpreter's `Tracer` and traced generated code record through this one function.
    """
    if type(result) not in _RESULTS:
        result = Value(result)
    if len(log) > mark:
        children = tuple(log[mark:])
        del log[mark:]
        event = Event(site, result, details, children)
    else:
        event = Event(site, result, details)
    log.append(event)
    return event
