"""The base of the checked program's nodes (`engine.check.model`, `engine.check.bibliography`)."""

from __future__ import annotations

from attrs import field, frozen

from engine.base.source import NOWHERE, Span


@frozen
class Node:
    """Base of model nodes; the span never counts for equality."""

    span: Span = field(default=NOWHERE, kw_only=True, eq=False, repr=False)
