"""The record of a program's generated module: what the generator writes and the code cache keeps.

It lives apart from `engine.evaluate.generator` so that a load served by the code cache
(`engine.evaluate.codecache`) rebuilds it without importing the generator, which only a cache miss
needs (a cold `regles eval` pays for what it imports).
"""

from __future__ import annotations

from attrs import frozen


@frozen
class GeneratedModule:
    """A program's generated source, with what running it needs and what its functions are."""

    source: str
    constants: dict[str, object]
    entries: dict[str, tuple[int, str]]
    """Rule name → (memo slot, function name) of its latest version."""
    slots: int
    tracks_functions: bool
