"""One backend per program: the object that computes its results and its trace.

Everything that evaluates a program goes through its backend, chosen once per program by
`backend_for`: `Ruleset.evaluate` and `Outcome.trace` (engine.api), `regles batch`, the letters and
the explanations. A backend implements `Backend`, the interface a new way of evaluating (the SQL
backend, `engine.sql`) implements too:

- `evaluate(facts, names)`: rule name → `Result`, for validated facts;
- `outputs(facts)`: the program's outputs in declaration order, each a plain value or its absence
  (`NotApplicable`, `Undetermined`, `Missing`): what `regles batch` writes, without wrapping;
- `trace(facts, names)`: rule name → its complete event tree (`engine.evaluate.trace.Event`), a rule
  shared between results being one shared event. A backend that cannot record events (a SQL
  query computes values only) answers it with `GeneratedBackend(program).trace`: the trace is the
  reference interpreter's either way, event for event.

The backends here: `GeneratedBackend` (the default: generated code, `engine.evaluate.compiled`,
traced code generated on the first trace), `ReferenceBackend` (the interpreter,
`engine.evaluate.reference`: the oracle of the tests; `REGLES_REFERENCE=1`, or the older
`REGLES_NO_COMPILE=1`, makes it every program's backend, to debug) and `RecordingBackend` (results
read from the traced generated code: what the tests run to hold the recorder's results equal too).
"""

from __future__ import annotations

import abc
import os
import weakref
from collections.abc import Mapping, Sequence
from typing import Protocol

from engine.check import model
from engine.evaluate.compiled import generated, traced
from engine.evaluate.perprogram import PerProgram
from engine.evaluate.reference import Evaluator
from engine.evaluate.runtime import Plain
from engine.evaluate.trace import Event, Tracer
from engine.inputs.fastfacts import FactReader
from engine.lang.results import Result, Value

__all__ = ["BACKENDS", "Backend", "GeneratedBackend", "RecordingBackend", "ReferenceBackend", "backend_for",
           "fact_reader"]


class Backend(Protocol):
    """How a program's results and trace are computed (facts are validated before: `fact_reader`)."""

    name: str

    def evaluate(self, facts: Mapping[str, object], names: Sequence[str]) -> dict[str, Result]:
        """Rule name → its result, for each of `names`."""
        ...

    def outputs(self, facts: Mapping[str, object]) -> list[Plain]:
        """The program's outputs in declaration order: plain values, or the absence objects."""
        ...

    def trace(self, facts: Mapping[str, object], names: Sequence[str]) -> dict[str, Event]:
        """Rule name → its complete event tree, from one traced evaluation of all the names."""
        ...


def _plain(result: Result) -> Plain:
    return result.value if type(result) is Value else result


class _OfProgram(abc.ABC):
    """What the backends here share. A backend refers to its program weakly: backends are cached per
    program, which must not be kept alive by its own cache entry."""

    def __init__(self, program: model.Program) -> None:
        self._program = weakref.ref(program)

    @property
    def program(self) -> model.Program:
        program = self._program()
        assert program is not None, "a backend outlived its program"
        return program

    @abc.abstractmethod
    def evaluate(self, facts: Mapping[str, object], names: Sequence[str]) -> dict[str, Result]:
        """Rule name → its result, for each of `names`."""

    def outputs(self, facts: Mapping[str, object]) -> list[Plain]:
        """The outputs' results, unwrapped (a backend with a faster way overrides this)."""
        results = self.evaluate(facts, self.program.outputs)
        return [_plain(results[name]) for name in self.program.outputs]


class ReferenceBackend(_OfProgram):
    """The reference interpreter: slow, simple, the oracle."""

    name = "reference"

    def evaluate(self, facts: Mapping[str, object], names: Sequence[str]) -> dict[str, Result]:
        evaluator = Evaluator(self.program, facts)
        return {name: evaluator.result(name) for name in names}

    def trace(self, facts: Mapping[str, object], names: Sequence[str]) -> dict[str, Event]:
        tracer = Tracer()
        evaluator = Evaluator(self.program, facts, tracer)
        found = {}
        for name in names:
            evaluator.result(name)
            found[name] = tracer.log[-1]
        return found


class GeneratedBackend(_OfProgram):
    """Generated code: results from the untraced module, the trace from the traced one."""

    name = "generated"

    def __init__(self, program: model.Program) -> None:
        super().__init__(program)
        self._generated = generated(program)

    def evaluate(self, facts: Mapping[str, object], names: Sequence[str]) -> dict[str, Result]:
        return self._generated.evaluate(facts, names)

    def outputs(self, facts: Mapping[str, object]) -> list[Plain]:
        return self._generated.outputs(facts)

    def trace(self, facts: Mapping[str, object], names: Sequence[str]) -> dict[str, Event]:
        return traced(self.program).events(facts, names)


class RecordingBackend(GeneratedBackend):
    """Generated code that records: results are read from the events of the traced module."""

    name = "generated+recording"

    def evaluate(self, facts: Mapping[str, object], names: Sequence[str]) -> dict[str, Result]:
        return {name: event.result for name, event in self.trace(facts, names).items()}

    def outputs(self, facts: Mapping[str, object]) -> list[Plain]:
        return _OfProgram.outputs(self, facts)  # from `evaluate`: the recorded results


BACKENDS: dict[str, type[ReferenceBackend | GeneratedBackend | RecordingBackend]] = {
    "reference": ReferenceBackend, "generated": GeneratedBackend, "generated+recording": RecordingBackend}
"""Every backend of this package by name (the tests run the semantic tests over each)."""


def reference_requested() -> bool:
    """Whether the environment asks for the reference interpreter (`REGLES_REFERENCE=1`, or
    `REGLES_NO_COMPILE=1` as before), to debug."""
    return os.environ.get("REGLES_REFERENCE") == "1" or os.environ.get("REGLES_NO_COMPILE") == "1"


_BACKENDS: PerProgram[Backend] = PerProgram(lambda program: backend_class()(program))


def backend_class() -> type[ReferenceBackend | GeneratedBackend | RecordingBackend]:
    """The kind of backend programs get: generated code, or the interpreter on request (the tests
    replace this to run the semantic tests over every backend, tests/conftest.py)."""
    return ReferenceBackend if reference_requested() else GeneratedBackend


def backend_for(program: model.Program) -> Backend:
    """The backend of a program, chosen once: generated code, or the interpreter on request.

    Raises:
        GenerationError: the generator does not translate the program (a bug of the engine; the
            command line reports it and exits 70).
    """
    return _BACKENDS.of(program)


_READERS: PerProgram[FactReader] = PerProgram(FactReader)


def fact_reader(program: model.Program) -> FactReader:
    """The fact validator of a program (built once per program object)."""
    return _READERS.of(program)
