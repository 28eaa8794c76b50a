"""What is built once per checked program and kept while the program lives.

Sites, fact readers, generated code and backends are derived from a program alone; each is built
the first time it is asked for and kept in a `weakref.WeakKeyDictionary` keyed by the program, so
that it goes when the program goes (what it keeps must then refer to the program only weakly).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar

from engine.check import model

T = TypeVar("T")


class PerProgram(weakref.WeakKeyDictionary[model.Program, T]):
    """A cache of one kind of object per program, built on first use by `build(program)`.

    A failure to build is not cached: it is raised to the caller every time (nothing falls back).
    """

    def __init__(self, build: Callable[[model.Program], T]) -> None:
        super().__init__()
        self.build = build

    def of(self, program: model.Program) -> T:
        found = self.get(program)
        if found is None:
            found = self[program] = self.build(program)
        return found
