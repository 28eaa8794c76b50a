"""Small helpers shared by the test modules (imported as `support`, like `strategies`)."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.diagnostics import Diagnostic, RulesError

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"

HEADER = 'règles "Test"\n'


def rules(body: str) -> str:
    """A rule text: the header line, then `body`."""
    return HEADER + body


def load(body: str, **kwargs: str) -> engine.Ruleset:
    """Load a rule text made of the header line and `body`."""
    return engine.loads(rules(body), **kwargs)


def failure(body: str, **kwargs: str) -> RulesError:
    """The RulesError that loading `body` (after the header line) raises."""
    with pytest.raises(RulesError) as caught:
        load(body, **kwargs)
    return caught.value


def codes(body: str) -> list[str]:
    """The codes of the errors (not warnings) reported for `body`, in order."""
    return [d.code for d in failure(body).diagnostics if d.is_error]


def first(body: str, code: str | None = None) -> Diagnostic:
    """The first error reported for `body` (with `code` if given)."""
    found = [d for d in failure(body).diagnostics if d.is_error and (code is None or d.code == code)]
    assert found, f"no error {code or ''} reported"
    return found[0]


def warning_codes(body: str) -> list[str]:
    """The codes of the warnings of a file that loads."""
    return [d.code for d in load(body).warnings]


def at(diagnostic: Diagnostic) -> tuple[int, int, int, int]:
    """(line, column, end line, end column) of a diagnostic's span; line 1 is the header."""
    s = diagnostic.span
    return (s.line, s.column, s.end_line, s.end_column)


def underlined(diagnostic: Diagnostic, text: str) -> str:
    """The text a diagnostic's span covers in `text`."""
    return text[diagnostic.span.start:diagnostic.span.end]


def assert_spans_inside(error: RulesError) -> None:
    """Every span of every diagnostic lies inside the text of its source, line and column agreeing."""
    for diagnostic in error.diagnostics:
        for span in [diagnostic.span] + [label.span for label in diagnostic.labels]:
            source = error.sources.get(span.file)
            if source is None:  # a file that could not be read: no position at all
                assert span.line == 0, diagnostic
                continue
            assert 0 <= span.start <= span.end <= len(source.text), diagnostic
            assert source.line_col(span.start) == (span.line, span.column), diagnostic
            assert source.line_col(span.end) == (span.end_line, span.end_column), diagnostic
