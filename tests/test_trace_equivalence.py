"""Code generated with the event recorder (`engine.evaluate.recorder`) records the traced interpreter's events.

Both traces are compared in JSON form, which shows every event's kind, label, result, span,
static data and details, the order of the children, and (through `reference` entries) which
events are shared between results.
"""

from __future__ import annotations


import pytest
import strategies
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.evaluate.backend import backend_for
from engine.evaluate.compiled import TracedProgram
from engine.evaluate.reference import Evaluator
from engine.evaluate.trace import Tracer
from engine.inputs.facts import validate

RULESETS = ("rulesets/avenant7.rules", "rulesets/convention2024.rules")


def _interpreted(program, facts, names) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    tracer = Tracer()
    evaluator = Evaluator(program, facts, tracer)
    events = []
    for name in names:
        evaluator.result(name)
        events.append(tracer.log[-1])
    written: set[int] = set()
    return [event.to_json(written) for event in events]


def _compiled(traced, facts, names) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    events = traced.events(facts, names)
    written: set[int] = set()
    return [events[name].to_json(written) for name in names]


def _assert_same_trace(program, facts, traced=None) -> None:  # type: ignore[no-untyped-def]
    traced = traced or TracedProgram(program)
    names = [name for name, d in program.definitions.items() if d.kind == "rule"]
    expected, obtained = _interpreted(program, facts, names), _compiled(traced, facts, names)
    for name, a, b in zip(names, expected, obtained):
        assert a == b, f"trace of {name} differs\nfacts: {facts}\ninterpreter: {a}\ncompiled: {b}"


class TestAgainstTheTracedInterpreter:
    @settings(max_examples=400, derandomize=True, database=None, deadline=None)
    @given(st.data())
    def test_random_programs(self, data: st.DataObject) -> None:
        """For random well-typed programs and fact sets, every rule's trace is the interpreter's."""
        ruleset = engine.loads(data.draw(strategies.programs(), label="program"))
        raw = data.draw(strategies.fact_sets(ruleset), label="facts")
        _assert_same_trace(ruleset.program, validate(ruleset.program, raw))

    @pytest.mark.parametrize("path", RULESETS)
    def test_bundled_rule_files_on_the_population(self, path: str) -> None:
        """Both rule files, on 300 rows of the synthetic population and with facts left out."""
        ruleset = engine.load(path)
        traced = TracedProgram(ruleset.program)
        for index, raw in enumerate(strategies.population_facts(ruleset, 300)):
            if index % 3 == 0:  # a third of the rows with facts missing
                raw = {k: v for i, (k, v) in enumerate(raw.items()) if (i + index) % 4}
            _assert_same_trace(ruleset.program, validate(ruleset.program, raw), traced)

    def test_marker_in_a_lazy_argument_and_unread_arguments(self) -> None:
        """A marker forced inside a function, and arguments never read (shown as None)."""
        ruleset = engine.loads('''règles "Démo"
fait x : entier fin
fonction f (n : entier, inutile : entier) : entier = n + 1 fin
fonction g (m : entier) : entier = si x > 0 alors f(m, 3) sinon m fin
résultat r : entier = g(non applicable "pas de valeur")
fin
résultat s : entier = f(x, x) + f(2, x)
fin
''')
        for facts in ({"x": 1}, {"x": 0}, {}):
            _assert_same_trace(ruleset.program, facts)


class TestOutcomeUsesIt:
    @pytest.mark.parametrize("path", RULESETS)
    def test_bundled_rule_files_are_traced_by_generated_code(self, path: str) -> None:
        """The bundled files are traced by generated code, from the first trace on (no warm-up: the
        engine that explains a result does not depend on how many explanations came before)."""
        ruleset = engine.load(path)
        from engine.evaluate import compiled
        assert backend_for(ruleset.program).name == "generated"
        facts = {"specialite": "cardiologie", "option": "tiers_temps", "annee_contrat": 2}
        ruleset.evaluate(facts).explain("montant_verse")
        assert ruleset.program in compiled._TRACED

    def test_interpreter_on_request(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """`REGLES_REFERENCE=1` (or `REGLES_NO_COMPILE=1`) traces with the interpreter, with the same
        trace and explanation."""
        facts = {"specialite": "cardiologie", "option": "tiers_temps", "annee_contrat": 2}
        generated = engine.load("rulesets/avenant7.rules").evaluate(facts)
        for variable in ("REGLES_REFERENCE", "REGLES_NO_COMPILE"):
            with monkeypatch.context() as patch:
                patch.setenv(variable, "1")
                ruleset = engine.load("rulesets/avenant7.rules")
                assert backend_for(ruleset.program).name == "reference"
                interpreted = ruleset.evaluate(facts)
                assert interpreted.trace == generated.trace
                assert interpreted.explain("montant_verse") == generated.explain("montant_verse")
