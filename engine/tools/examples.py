"""Running the examples written inside rule files (`exemple … attendu … fin`).

Each example evaluates its facts and compares every expected outcome: a value (exactly; an
expected decimal written with n decimals matches a non-terminating result rounded half up to n
decimals), or a marker (`non applicable`, `indéterminé`, `manquant (faits…)`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from attrs import frozen

from engine.api import Outcome, Ruleset
from engine.check.model import ExampleCase, Expectation
from engine.inputs.facts import FactsError
from engine.lang.formatting import value as show
from engine.lang.results import STATUS_FRENCH, Missing, Result, Value
from engine.lang.types import Type
from engine.lang.values import to_decimal


@frozen
class Mismatch:
    """One expected outcome that did not hold."""

    name: str
    expected: str
    obtained: str


@frozen
class ExampleRun:
    """The result of running one example."""

    case: ExampleCase
    mismatches: tuple[Mismatch, ...]
    outcome: Outcome | None = None
    error: str | None = None

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.mismatches and self.error is None


def run_examples(ruleset: Ruleset) -> list[ExampleRun]:
    """Run every example of a rule file."""
    return [run_example(ruleset, case) for case in ruleset.program.examples]


def run_example(ruleset: Ruleset, case: ExampleCase) -> ExampleRun:
    """Run one example and compare each expectation."""
    try:
        outcome = ruleset.evaluate(case.facts, outputs=[e.name for e in case.expected])
    except FactsError as exc:
        return ExampleRun(case, (), None, str(exc))
    mismatches = []
    for expectation in case.expected:
        problem = _compare(ruleset, outcome, expectation)
        if problem is not None:
            mismatches.append(problem)
    return ExampleRun(case, tuple(mismatches), outcome)


def _compare(ruleset: Ruleset, outcome: Outcome, expectation: Expectation) -> Mismatch | None:
    result = outcome.result(expectation.name)
    t = ruleset.program.definitions[expectation.name].type
    expected = describe_expectation(expectation, t)
    obtained = describe_result(result, t)
    if expectation.status != result.status:
        return Mismatch(expectation.name, expected, obtained)
    if (expectation.status == "value" and isinstance(result, Value)
            and not values_match(expectation.value, result.value)):
        return Mismatch(expectation.name, expected, obtained)
    if expectation.status == "missing" and expectation.facts:
        assert isinstance(result, Missing)
        if set(expectation.facts) != set(result.facts):
            return Mismatch(expectation.name, expected, obtained)
    return None


def values_match(expected: object, actual: object) -> bool:
    """Exact equality; a non-terminating fraction matches at the precision the example writes."""
    if isinstance(actual, Fraction) and isinstance(expected, (Decimal, int)):
        places = Decimal(expected).as_tuple().exponent
        quantum = Decimal(1).scaleb(min(0, int(places)))
        rounded = to_decimal(actual).quantize(quantum, ROUND_HALF_UP)
        return rounded == expected
    return expected == actual


def describe_expectation(e: Expectation, t: Type) -> str:
    """An example's expected result in words, as `regles test` prints it."""
    if e.status == "value":
        return show(e.value, t)
    if e.status == "missing":
        return "manquant" + (f" ({', '.join(e.facts)})" if e.facts else "")
    return STATUS_FRENCH[e.status]


def describe_result(result: Result, t: Type) -> str:
    """A result in the words `describe_expectation` uses, to set them side by side."""
    if isinstance(result, Value):
        return show(result.value, t)
    if isinstance(result, Missing):
        return "manquant (" + ", ".join(sorted(result.facts)) + ")"
    return f"{STATUS_FRENCH[result.status]} : {result.reason}"
