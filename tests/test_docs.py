"""The rule-language examples in docs/language.md load, check and pass; error blocks fail as shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import engine
from engine.tools.examples import run_examples

DOC = Path(__file__).resolve().parent.parent / "docs" / "language.md"
BLOCK = re.compile(r"^```(regles(?:-erreur (?P<code>[EW]\d+))?)\n(?P<body>.*?)^```", re.M | re.S)


def _blocks(kind: str):
    for match in BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        is_error = match.group("code") is not None
        if (kind == "error") == is_error:
            line = DOC.read_text(encoding="utf-8")[: match.start()].count("\n") + 1
            yield pytest.param(match.group("body"), match.group("code"), id=f"language.md:{line}")


class TestLanguageDoc:
    """Tests for the examples of the language reference."""

    @pytest.mark.parametrize(("text", "code"), list(_blocks("good")))
    def test_example_loads_without_warning_and_passes(self, text: str, code: None) -> None:
        """A documented example is a complete, clean rule file whose own examples hold."""
        ruleset = engine.loads(text, filename="docs/language.md")
        assert ruleset.warnings == ()
        failures = [(run.case.title, run.mismatches, run.error) for run in run_examples(ruleset) if not run.passed]
        assert failures == []

    @pytest.mark.parametrize(("text", "code"), list(_blocks("error")))
    def test_error_example_reports_its_code(self, text: str, code: str) -> None:
        """A documented mistake is reported with the code the page announces."""
        with pytest.raises(engine.RulesError) as caught:
            engine.loads(text, filename="docs/language.md")
        assert code in [d.code for d in caught.value.diagnostics]

    def test_page_has_examples(self) -> None:
        """The page documents the language with runnable examples."""
        assert len(list(_blocks("good"))) >= 8
