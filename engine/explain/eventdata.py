"""What the explanations read: an outcome (`Explained`), and typed readers of a trace event's data.

Stage: explain. `Explained` names the part of `engine.api.Outcome` the summaries use, so that this
stage does not import the API that calls it. An event's `data` maps names to plain objects
(`engine.evaluate.trace`: the site's static data and what evaluation recorded); each reader here
returns one entry as the type the explanations use, or an empty value when the event does not
carry it, so that the renderers narrow once, here, instead of at each use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from engine.check import model
from engine.evaluate.trace import Event
from engine.lang.types import Type

if TYPE_CHECKING:
    from engine.explain.whynot import Unmet


class Rules(Protocol):
    """A checked rule file, as explanations read it (`engine.api.Ruleset`)."""

    @property
    def program(self) -> model.Program: ...


class Explained(Protocol):
    """An evaluation, as explanations read it (`engine.api.Outcome`): its facts, the trace of a result,
    and the conditions a false result does not meet."""

    @property
    def ruleset(self) -> Rules: ...

    @property
    def facts(self) -> Mapping[str, object]: ...

    def event(self, name: str) -> Event: ...

    def unmet(self, name: str) -> list[Unmet]: ...


def type_at(event: Event, key: str = "type") -> Type | None:
    """The type recorded under `key` (`type`, `operand_type`, `left_type`…), or None."""
    found = event.data.get(key)
    return found if isinstance(found, Type) else None


def types_at(event: Event, key: str) -> list[Type | None]:
    """A list of types (`operand_types`, `parameter_types`), each None where unknown; [] if absent."""
    return [t if isinstance(t, Type) else None for t in items_at(event, key)]


def items_at(event: Event, key: str) -> Sequence[object]:
    """A list or tuple recorded under `key` (`values`, `items`, `sources`, `statuses`…), or ()."""
    found = event.data.get(key)
    return found if isinstance(found, (list, tuple)) else ()  # a tuple of types: faster than a union


def mapping_at(event: Event, key: str) -> Mapping[str, object]:
    """A mapping recorded under `key` (a function's `arguments`), or an empty one."""
    found = event.data.get(key)
    return found if isinstance(found, Mapping) else {}


def date_at(event: Event, key: str) -> dt.date | None:
    """A date recorded under `key` (`version_start`, `date`), or None."""
    found = event.data.get(key)
    return found if isinstance(found, dt.date) else None


def string_at(event: Event, key: str) -> str | None:
    """A string recorded under `key` (`origin`, `description`, `function`…), or None."""
    found = event.data.get(key)
    return found if isinstance(found, str) else None
