"""Generated modules, compiled and run: the fast evaluation of a program, and its traced form.

`GeneratedProgram` runs the module written with the untraced recorder: plain values in, plain
values or absences out (`outputs`, batch's hot path), or `Result`s (`evaluate`). `TracedProgram`
runs the module written with the event recorder: the interpreter's trace, event for event. Both
come from `engine.evaluate.generator`; `engine.evaluate.codecache` keeps their code on disk
beside the checked program, so a rule file's code is generated once per version of the file.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import CodeType

from engine.check import model
from engine.evaluate import codecache
from engine.evaluate.analysis import GenerationError
from engine.evaluate.generated import GeneratedModule
from engine.evaluate.perprogram import PerProgram
from engine.evaluate.recorder import EventRecorder, Recorder
from engine.evaluate.runtime import NAMESPACE, Plain, U, wrap
from engine.evaluate.trace import Event
from engine.lang.results import Result

__all__ = ["GeneratedProgram", "GenerationError", "TracedProgram", "generated", "traced"]

_Fn = Callable[..., Plain]


def _module(program: model.Program, recorder: type[Recorder]) -> tuple[GeneratedModule, CodeType]:
    """The generated module of a program and its compiled code (from the code cache when there)."""
    kind = "traced" if recorder.records else "plain"
    cached = codecache.read(program, kind)
    if cached is not None:
        return cached
    from engine.evaluate.generator import generate  # only a cache miss needs the generator (generated.py)
    try:
        module = generate(program, recorder)
    except GenerationError as exc:
        raise GenerationError(f"{program.text.file} : le code de ce fichier de règles n'a pas pu être généré "
                              f"({exc}) ; REGLES_REFERENCE=1 l'évalue avec l'interpréteur de référence") from exc
    label = "compilé, tracé" if recorder.records else "compilé"
    code = compile(module.source, f"<regles {label} : {program.text.file}>", "exec")
    codecache.write(program, kind, module, code)
    return module, code


def _run(module: GeneratedModule, code: CodeType) -> dict[str, object]:
    """Execute generated code in a namespace holding the runtime and its constants; that namespace.

    The source is registered with `linecache` under the code's file name, so that a traceback
    through generated code shows its lines beside the function names (which name the rules).
    """
    lines = module.source.splitlines(keepends=True)
    linecache.cache[code.co_filename] = (len(module.source), None, lines, code.co_filename)
    namespace: dict[str, object] = dict(NAMESPACE)
    namespace.update(module.constants)
    exec(code, namespace)
    return namespace


def _entries(module: GeneratedModule, namespace: dict[str, object]) -> dict[str, tuple[int, _Fn]]:
    found: dict[str, tuple[int, _Fn]] = {}
    for name, (slot, fn) in module.entries.items():
        function = namespace[fn]
        assert callable(function)
        found[name] = (slot, function)
    return found


class GeneratedProgram:
    """A program translated to Python functions; `evaluate` gives `Evaluator.result` for each name."""

    def __init__(self, program: model.Program) -> None:
        module, code = _module(program, Recorder)
        namespace = _run(module, code)
        self.output_names = program.outputs
        self.source = module.source
        self._entries = _entries(module, namespace)
        self._slots = module.slots
        self._tracks = module.tracks_functions
        outputs = namespace["OUTPUTS"]
        assert callable(outputs)
        self.outputs: Callable[[Mapping[str, object]], list[Plain]] = outputs
        """Every output of the program in declaration order, each a plain value or its absence
        (the generated function itself: batch calls it once per row)."""

    def raw(self, facts: Mapping[str, object], names: Iterable[str]) -> list[Plain]:
        """Each rule's plain value, or its NotApplicable / Undetermined / Missing."""
        memo: list[Plain] = [U] * self._slots
        if self._tracks:
            memo[0] = []
        out = []
        entries = self._entries
        for name in names:
            slot, fn = entries[name]
            r = memo[slot]
            if r is U:
                r = fn(facts, memo)
            out.append(r)
        return out

    def evaluate(self, facts: Mapping[str, object], names: Sequence[str]) -> dict[str, Result]:
        """Rule name → Result, as `{n: Evaluator(program, facts).result(n) for n in names}`."""
        names = tuple(names)
        raw = self.outputs(facts) if names == self.output_names else self.raw(facts, names)
        return {name: wrap(r) for name, r in zip(names, raw, strict=True)}


class TracedProgram:
    """A program translated to Python functions that record its trace; `events` gives the traced
    interpreter's events."""

    def __init__(self, program: model.Program) -> None:
        module, code = _module(program, EventRecorder)
        self.source = module.source
        self._entries = _entries(module, _run(module, code))
        self._slots = module.slots

    def events(self, facts: Mapping[str, object], names: Iterable[str]) -> dict[str, Event]:
        """Rule name → its complete event tree, from one traced evaluation of all the names."""
        memo: list[Plain] = [U] * self._slots
        log: list[Event] = []
        shared: list[Event | None] = [None] * self._slots
        memo[0], memo[1], memo[2] = [], log, shared
        found = {}
        for name in names:
            slot, fn = self._entries[name]
            if memo[slot] is U:
                fn(facts, memo)
            else:
                event = shared[slot]
                assert event is not None
                log.append(event)
            found[name] = log[-1]
        return found


_GENERATED: PerProgram[GeneratedProgram] = PerProgram(GeneratedProgram)
_TRACED: PerProgram[TracedProgram] = PerProgram(TracedProgram)


def generated(program: model.Program) -> GeneratedProgram:
    """The generated program of a checked program (built once per program object).

    Raises:
        GenerationError: the generator does not translate the program (a bug of the engine).
    """
    return _GENERATED.of(program)


def traced(program: model.Program) -> TracedProgram:
    """The traced generated program of a checked program (built once per program object, on first use)."""
    return _TRACED.of(program)
