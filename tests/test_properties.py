"""Hypothesis properties of the engine as a whole, and pathological inputs.

1. Loading any text (from the grammar, or random bytes) returns a Ruleset or raises RulesError,
   never anything else, and every diagnostic span lies inside its source text.
2. A well-typed program evaluates without raising, twice with equal results and equal traces.
3. Facts reported missing are absent from the facts; supplying them removes every `missing`.
Plus pathological inputs, each rejected with a diagnostic within 5 seconds.

Settings come from the "ci" profile of conftest.py (derandomized, no database).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import engine
from engine.api import load
from strategies import fact_sets, programs, programs_with_facts, rule_texts
from support import assert_spans_inside

EXAMPLES = 500
RELAXED = dict(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                             HealthCheck.filter_too_much])


def _load_or_error(load_it) -> engine.Ruleset | None:  # type: ignore[no-untyped-def]
    """Load; a RulesError is fine (its spans must lie inside the text), anything else fails the test."""
    try:
        return load_it()
    except engine.RulesError as error:
        assert error.diagnostics, "a RulesError always says why"
        assert_spans_inside(error)
        str(error)  # rendering never fails either
        return None


class TestLoadingNeverCrashes:
    """Property 1: loading returns or raises RulesError, with spans inside the text."""

    @settings(**RELAXED)
    @given(rule_texts())
    @example('règles "t"\nfait a : entier fin\nrésultat r : entier = a +\nfin')
    @example('règles "t"\ntable t (a : entier) : entier\n| a | v |\n| 1 | 2 + |\nfin')
    @example('règles "t"\nfait a : entier fin\nrésultat r : entier = a')
    def test_grammar_texts(self, text: str) -> None:
        """Texts drawn from the grammar load or fail with diagnostics located in them."""
        ruleset = _load_or_error(lambda: engine.loads(text, filename="hasard.rules"))
        if ruleset is not None:
            for warning in ruleset.warnings:
                assert 0 <= warning.span.start <= warning.span.end <= len(text)

    @settings(**RELAXED)
    @given(st.one_of(st.binary(max_size=300),
                     st.tuples(rule_texts(), st.binary(min_size=1, max_size=8), st.integers(0, 10_000)).map(
                         lambda t: t[0].encode()[:t[2]] + t[1] + t[0].encode()[t[2]:])))
    @example(b"\xff\xfe\x00")
    @example('règles "t"\nfait sp\xe9cialit\xe9 : texte fin'.encode("latin-1"))
    @example(b"\xef\xbb\xbfr\xc3\xa8gles \"t\"\n")
    def test_random_bytes_from_a_file(self, tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
        """Any bytes in a file load through `engine.api.load` or fail with located diagnostics."""
        path = tmp_path_factory.getbasetemp() / "hasard.rules"
        path.write_bytes(data)
        _load_or_error(lambda: load(path))

    @settings(**RELAXED)
    @given(st.binary(max_size=300))
    def test_random_bytes_decoded(self, data: bytes) -> None:
        """Any bytes decoded with errors="replace" load through `engine.loads` or fail with located diagnostics."""
        _load_or_error(lambda: engine.loads(data.decode("utf-8", errors="replace")))


def _comparable(out: engine.Outcome) -> dict[str, object]:
    return {name: (r.status, getattr(r, "value", None), getattr(r, "reason", None), getattr(r, "facts", None))
            for name, r in out.results.items()}


class TestWellTypedPrograms:
    """Properties 2 and 3, over programs well typed by construction (strategies.programs)."""

    @settings(**RELAXED)
    @given(programs_with_facts())
    def test_evaluation_is_total_and_deterministic(self, pair: tuple[str, dict[str, object]]) -> None:
        """A well-typed program loads, evaluates without raising, and twice gives equal results and traces."""
        text, facts = pair
        ruleset = engine.loads(text)
        first, second = ruleset.evaluate(facts), ruleset.evaluate(facts)
        assert set(first.results) == set(ruleset.outputs)
        assert _comparable(first) == _comparable(second)
        assert first.trace == second.trace
        json.dumps(first.trace)

    @settings(**RELAXED)
    @given(st.data())
    def test_supplying_missing_facts_removes_missing(self, data: st.DataObject) -> None:
        """Missing facts are not among the facts given; giving them (any valid value) leaves nothing missing."""
        ruleset = engine.loads(data.draw(programs()))
        facts = data.draw(fact_sets(ruleset))
        out = ruleset.evaluate(facts)
        assert not out.missing & set(facts)
        assert out.missing == {f for r in out.results.values() if r.status == "missing" for f in r.facts}  # type: ignore[union-attr]
        for _ in range(len(ruleset.facts) + 1):  # each round may reveal facts the new branches read
            if not out.missing:
                break
            facts = {**facts, **data.draw(fact_sets(ruleset, only=out.missing, complete=True))}
            out = ruleset.evaluate(facts)
        assert out.missing == frozenset()
        assert all(r.status != "missing" for r in out.results.values())

    @settings(max_examples=100)
    @given(st.data())
    def test_complete_facts_leave_nothing_missing(self, data: st.DataObject) -> None:
        """With every fact given, no result is missing."""
        ruleset = engine.loads(data.draw(programs()))
        out = ruleset.evaluate(data.draw(fact_sets(ruleset, complete=True)))
        assert out.missing == frozenset()

    @settings(max_examples=100)
    @given(programs())
    def test_generated_programs_check_clean(self, text: str) -> None:
        """Generated programs load (no error), and every output they declare is a `résultat`."""
        ruleset = engine.loads(text)
        assert ruleset.outputs and all(d.is_output for d in ruleset.outputs.values())


# ─── Pathological inputs ─────────────────────────────────────────────────────────────────────

HEADER = 'règles "t"\nfait a : booléen fin\n'
LIMIT = 5.0


def _rejected_quickly(load_it, code: str) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    with pytest.raises(engine.RulesError) as caught:
        load_it()
    elapsed = time.perf_counter() - start
    assert elapsed < LIMIT, f"{elapsed:.1f} s"
    assert code in [d.code for d in caught.value.diagnostics]
    assert_spans_inside(caught.value)


PATHOLOGICAL = {
    "empty": ("", "E103"),
    "parentheses_10000_deep": (HEADER + "résultat r : entier = " + "(" * 10_000 + "1" + ")" * 10_000 + " fin\n", "E105"),
    "si_chain_10000_deep": (HEADER + "résultat r : entier = " + "si a alors 1 sinon " * 10_000 + "2 fin\n", "E105"),
    "non_10000_deep": (HEADER + "résultat r : booléen = " + "non " * 10_000 + "a fin\n", "E105"),
    "valid_looking_1_MB": ((HEADER + "".join(f"résultat r{i} : entier = {i} + 1 fin\n" for i in range(40_000)))
                           [:1_000_000], "E002"),
    "junk_1_MB": ("".join(chr(33 + (i * 7919) % 90) for i in range(1_000_000)), "E002"),
    "cycle": (HEADER + "règle x : entier = y + 1 fin\nrègle y : entier = x fin\nrésultat r : entier = x fin\n", "E401"),
}


@pytest.mark.parametrize(("text", "code"), PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_text(text: str, code: str) -> None:
    """A pathological text gives its diagnostic (never a crash) within 5 s, through engine.loads."""
    _rejected_quickly(lambda: engine.loads(text), code)


@pytest.mark.parametrize(("text", "code"), PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_file(tmp_path: Path, text: str, code: str) -> None:
    """The same texts written to a file give the same diagnostic within 5 s, through engine.load."""
    path = tmp_path / "patho.rules"
    path.write_text(text, encoding="utf-8")
    _rejected_quickly(lambda: engine.load(path), code)


def test_non_utf8_bytes(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 give E104 within 5 s."""
    path = tmp_path / "latin1.rules"
    path.write_bytes('règles "t"\nfait spécialité : texte fin\n'.encode("latin-1") * 1000)
    _rejected_quickly(lambda: engine.load(path), "E104")


def test_one_mb_of_random_bytes(tmp_path: Path) -> None:
    """1 MB of arbitrary bytes is rejected within 5 s."""
    path = tmp_path / "junk.rules"
    path.write_bytes(bytes((i * 7919 + i // 3) % 256 for i in range(1_000_000)))
    _rejected_quickly(lambda: engine.load(path), "E002")
