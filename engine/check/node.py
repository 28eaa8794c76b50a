"""The base of the checked program's nodes (`engine.check.model`, `engine.check.bibliography`)."""

from __future__ import annotations

from attrs import field, frozen

from engine.base.source import NOWHERE, Span


@frozen
class Node:
    """Base of model nodes; the span and the node id never count for equality."""

    span: Span = field(default=NOWHERE, kw_only=True, eq=False, repr=False)
    nid: str = field(default="", init=False, eq=False, repr=False)
    """The node's stable id, `fichier#n`, given by the checker once the program is built
    (`engine.check.numbering`): unique among the distinct nodes of a program, the same for the same
    rule file in every process and after the program cache's pickling, which stores it. Caches of
    what a program node says (trace sites, coverage) key on it, never on `id()`. Not an `__init__`
    argument, so that `attrs.evolve` (a rewritten node) yields an unnumbered node that gets an id of
    its own; "" until numbered."""
