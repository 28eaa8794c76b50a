"""Golden traces and explanations: each case in tests/cases/traces/NAME gives exactly its expected files.

A case holds `facts.json` and `case.json` (`regles`: the rule file; `expliquer`: the results it
keeps). `expected_trace.json` is `Outcome.trace` of those results (a rule they share is written
once, then referenced); `expected_explanation.txt` is the French explanation of each of them.
The cases are model.md § 6 examples and the markers of § 7 (missing facts, a signature no text
encodes, a second assistant whose amounts are not published). Run
`pytest tests/test_trace_golden.py --update-golden` to rewrite the expectations, then review the diff.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

import engine

CASES = Path(__file__).resolve().parent / "cases" / "traces"


def _cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "case.json").exists())


@cache
def _ruleset(path: str) -> engine.Ruleset:
    return engine.load(path)


def _outcome(case: str) -> tuple[engine.Outcome, list[str]]:
    meta = json.loads((CASES / case / "case.json").read_text(encoding="utf-8"))
    facts = json.loads((CASES / case / "facts.json").read_text(encoding="utf-8"))
    return _ruleset(meta["regles"]).evaluate(facts, outputs=meta["expliquer"]), meta["expliquer"]


def _check(path: Path, produced: str, update: bool) -> None:
    if update:
        path.write_text(produced, encoding="utf-8")
    assert path.exists(), f"{path} absent: run pytest --update-golden"
    assert path.read_text(encoding="utf-8") == produced


@pytest.mark.parametrize("case", _cases())
def test_trace_matches(case: str, update_golden: bool) -> None:
    """The JSON trace of the case's results, byte for byte."""
    outcome, _ = _outcome(case)
    produced = json.dumps(outcome.trace, ensure_ascii=False, indent=1) + "\n"
    _check(CASES / case / "expected_trace.json", produced, update_golden)


@pytest.mark.parametrize("case", _cases())
def test_explanations_match(case: str, update_golden: bool) -> None:
    """The explanation of each listed result, byte for byte."""
    outcome, names = _outcome(case)
    produced = "".join(f"═══ {name}\n{outcome.explain(name)}\n\n" for name in names)
    _check(CASES / case / "expected_explanation.txt", produced, update_golden)


def test_the_cases_cover_every_status() -> None:
    """Between them, the explained results are values, not applicable, undetermined and missing."""
    seen = set()
    for case in _cases():
        outcome, names = _outcome(case)
        seen |= {outcome.status(name) for name in names}
    assert seen == {"value", "not_applicable", "undetermined", "missing"}
