"""The bundled rule files: they check clean, and every example written inside them holds."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.tools.examples import run_example

ROOT = Path(__file__).resolve().parent.parent
RULESETS = sorted((ROOT / "rulesets").glob("*.rules"))


def _cases():
    for path in RULESETS:
        ruleset = engine.load(path)
        for case in ruleset.program.examples:
            yield pytest.param(ruleset, case, id=f"{path.stem}:{case.span.line}:{case.title}")


class TestRuleFiles:
    """Tests for the bundled rule files as a whole."""

    @pytest.mark.parametrize("path", RULESETS, ids=lambda p: p.name)
    def test_checks_without_warning(self, path: Path) -> None:
        """Each bundled file loads with no error and no warning."""
        assert engine.load(path).warnings == ()

    @pytest.mark.parametrize("path", RULESETS, ids=lambda p: p.name)
    def test_has_examples(self, path: Path) -> None:
        """Each bundled file pins its behaviour with examples."""
        assert len(engine.load(path).program.examples) >= 20


@pytest.mark.usefixtures("every_backend")  # semantic: every backend holds the rule files' examples
@pytest.mark.parametrize(("ruleset", "case"), list(_cases()))
def test_example(ruleset: engine.Ruleset, case) -> None:  # type: ignore[no-untyped-def]
    """An example written in a rule file holds."""
    run = run_example(ruleset, case)
    assert run.error is None, run.error
    assert run.mismatches == (), "\n".join(f"{m.name}: attendu {m.expected}, obtenu {m.obtained}" for m in run.mismatches)
