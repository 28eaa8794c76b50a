"""Small helpers shared by the test modules (imported as `support`, like `strategies`)."""

from __future__ import annotations

import contextlib
import functools
import html
import http.server
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import engine
from engine.base.diagnostics import Diagnostic, RulesError

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


# ─── Pages in a real browser ──────────────────────────────────────────────────────────────────

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
"""Debian's chromium, headless, with no traffic of its own: this machine reaches no other host."""


def chromium() -> str:
    """The path of a chromium browser, or skip the test (CI installs Debian's `chromium`)."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("pas de navigateur chromium installé (apt-get install -y chromium) : vérification dans "
                "un navigateur sautée")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base class
        pass


@contextlib.contextmanager
def served(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 for the duration of the block; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def browse(browser: str, profile: Path, *args: str, timeout: int = 90) -> subprocess.CompletedProcess[str]:
    """Run headless chromium with a fresh profile and `args` (e.g. `--dump-dom URL`)."""
    return subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=timeout)


def harness_result(run: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    """The JSON a verification page wrote as « RESULTAT {…} » in the DOM chromium dumped."""
    found = re.search(r"RESULTAT (.*?)</pre>", run.stdout)
    assert found, f"le navigateur n'a pas rendu la page de vérification : {run.stdout[-500:]} {run.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))
