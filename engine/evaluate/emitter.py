"""The pieces of generated source: a function being written (`Body`) and where an expression is
written (`Ctx`), shared by the generator (`engine.evaluate.generator`) and its tables
(`engine.evaluate.tables`).
"""

from __future__ import annotations

from collections.abc import Iterable

DYNAMIC = "(C[-1] if C else None)"
"""Origin of a marker inside a lazy argument: the function forcing it (`Evaluator.current[-1]`)."""


class Ctx:
    """Where an expression is compiled: the parameters in scope and how markers get their origin.

    `origin` is Python source: a constant name for a definition or function body, `o` in a table
    cell (the caller passes its own), or the top of the function stack in a lazy argument.
    """

    __slots__ = ("lazy", "origin", "params", "static")

    def __init__(self, params: dict[str, str], lazy: frozenset[str], origin: str,
                 static: tuple[str | None] | None = None) -> None:
        self.params = params
        self.lazy = lazy
        self.origin = origin
        self.static = static
        """`(name,)` when the origin is known while compiling, else None."""

    def signature(self) -> list[str]:
        """The variables a function split off from this context must receive."""
        names = ["F", "M", *self.params.values()]
        if self.origin == "o":
            names.append("o")
        return names


class Body:
    """The lines of one generated function, with its temporaries."""

    def __init__(self, header: str, prologue: Iterable[str] = ()) -> None:
        self.lines = [header, *prologue]
        self.count = 0

    def temp(self) -> str:
        self.count += 1
        return f"t{self.count}"

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)


def py_name(text: str) -> str:
    """A rule name as part of a Python identifier (what a traceback shows)."""
    return "".join(c if (c.isalnum() or c == "_") and c.isascii() else "_" for c in text)



def hashable(values: Iterable[object]) -> bool:
    try:
        for v in values:
            hash(v)
    except TypeError:
        return False
    return True
