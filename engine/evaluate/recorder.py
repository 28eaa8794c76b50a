"""What generated code records: nothing (`Recorder`), or the trace's events (`EventRecorder`).

The generator (`engine.evaluate.generator`) writes one module per program and recorder. At each
step that the reference interpreter traces, it asks its recorder for the lines that record the
step, passing the step's site, the variables holding its result and operands, and the log mark
taken before it. The untraced recorder writes nothing and lets the generator fold constants, pass
arguments eagerly and shift dates without building a duration; the event recorder forbids these
(a folded parameter would have no events, an argument must be shown only if the function read it)
and writes calls of `engine.evaluate.runtime.record`, which builds the interpreter's `Event`s.

In traced code the memo `M` holds, besides one slot per definition version, the function-name
stack (`M[0]`), the log `L` (`M[1]`) and the event of each memoised definition `E` (`M[2]`),
so that a rule read twice attaches its one complete event again, as the interpreter does.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.check import model
from engine.evaluate.sites import sites_of
from engine.evaluate.trace import Site

Site_ = tuple[str, object]
"""`(Sites method, model node)`: the site of a step, computed only by a recorder that needs it."""

Out = Callable[[int, str], None]
"""Where a recorder writes: `emit(depth, line)` of the function being generated."""

ABSENT_DETAILS = {"values": {"values": None}, "operands": {"operands": None},
                  "compare": {"left": None, "right": None}}
"""An operation's details when an operand is absent (the operation did not run)."""


class Recorder:
    """Records nothing: the generated code computes results only, with every optimisation."""

    records = False
    """Whether the code records events (then function calls and tables also return what they show)."""
    reserved_slots = 1
    """Memo slots before the definitions' own: 0 is the function-name stack."""

    def __init__(self, program: model.Program, const: Callable[[object], str]) -> None:
        self.program = program
        self.const = const

    @property
    def folds(self) -> bool:
        """Whether the generator may compute at generation time what the trace would show being computed."""
        return not self.records

    def prologue(self) -> list[str]:
        """First lines of every generated function that receives the memo."""
        return []

    def mark(self, emit: Out, depth: int, temp: Callable[[], str]) -> str:
        """Source for the log mark a step's event starts from."""
        return ""

    def record(self, site: Site_, result: str, mark: str, emit: Out, depth: int, details: str = "None") -> None:
        """Record the event of a step whose result is in variable `result`; `details` is a source expression."""

    def leaf(self, site: Site_, result: str, emit: Out, depth: int, details: str = "None",
             unless_absent: str | None = None) -> None:
        """Record an event without children (a fact read, a marker, a text), unless the variable
        `unless_absent` holds an absence."""

    def memo_hit(self, slot: int, emit: Out, depth: int) -> None:
        """After reading a memo slot that was full: the definition's event is attached again."""

    def definition(self, d: model.Definition, origin: str | None, version: model.Version | None, slot: int | None,
                   mark: str, emit: Out) -> None:
        """At the end of a definition function (or of a dated read with no version in force)."""

    def operation(self, shape: str, emit: Out, depth: int, temp: Callable[[], str]) -> str | None:
        """Before an operation on operands: the variable that will hold its details, if recorded."""
        return None

    def operand_details(self, details: str | None, shape: str, count: int) -> str:
        """A line (format string over the operands `{0}`, `{1}`…) that keeps the operands in `details`."""
        return ""


class EventRecorder(Recorder):
    """Records the reference interpreter's events, step for step (tests/test_trace_equivalence.py)."""

    records = True
    reserved_slots = 3  # 0: function-name stack, 1: the log `L`, 2: the shared events `E`

    def __init__(self, program: model.Program, const: Callable[[object], str]) -> None:
        super().__init__(program, const)
        self.sites = sites_of(program)

    def site(self, site: Site_) -> str:
        """Source naming the `Site` of `(Sites method, node)`."""
        method, node = site
        found: Site = getattr(self.sites, method)(node)
        return self.const(found)

    def prologue(self) -> list[str]:
        return ["    L = M[1]; E = M[2]"]

    def mark(self, emit: Out, depth: int, temp: Callable[[], str]) -> str:
        m = temp()
        emit(depth, f"{m} = len(L)")
        return m

    def record(self, site: Site_, result: str, mark: str, emit: Out, depth: int, details: str = "None") -> None:
        emit(depth, f"_rec(L, {mark}, {self.site(site)}, {result}, {details})")

    def leaf(self, site: Site_, result: str, emit: Out, depth: int, details: str = "None",
             unless_absent: str | None = None) -> None:
        line = f"L.append(Event({self.site(site)}, _res({result}), {details}))"
        emit(depth, line if unless_absent is None else f"if type({unless_absent}) not in ABS: {line}")

    def memo_hit(self, slot: int, emit: Out, depth: int) -> None:
        emit(depth, f"else: L.append(E[{slot}])")

    def definition(self, d: model.Definition, origin: str | None, version: model.Version | None, slot: int | None,
                   mark: str, emit: Out) -> None:
        site = self.const(self.sites.definition(d, version, origin))
        if slot is None:  # a dated read with no version in force: not memoised (the interpreter's key is the date)
            emit(1, f"_rec(L, {mark}, {site}, r, {{'date': w}})")
        else:
            emit(1, f"E[{slot}] = _rec(L, {mark}, {site}, r, None if w is None else {{'date': w}})")

    def operation(self, shape: str, emit: Out, depth: int, temp: Callable[[], str]) -> str | None:
        det = temp()
        emit(depth, f"{det} = {self.const(ABSENT_DETAILS[shape])}")
        return det

    def operand_details(self, details: str | None, shape: str, count: int) -> str:
        if shape == "compare":
            return f"\n{details} = {{{{'left': {{0}}, 'right': {{1}}}}}}"
        return f"\n{details} = {{{{'{shape}': [{', '.join(f'{{{i}}}' for i in range(count))}]}}}}"
