"""Shared pytest configuration: hypothesis profiles, the --update-golden and --fuzz-long options."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from engine.evaluate import backend as backends

ROOT = Path(__file__).resolve().parent.parent

# pytest runs with --import-mode=importlib, which does not put tests/ on sys.path: do it here so
# that test modules can `import strategies` (the shared hypothesis strategies).
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the expected output of golden tests instead of comparing")
    parser.addoption("--fuzz-long", action="store_true", default=False,
                     help="run ten times as many fuzzing cases (tests/test_fuzz.py)")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether golden files should be rewritten."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(autouse=True)
def _in_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test from the repository root, so paths in messages are stable."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(params=sorted(backends.BACKENDS))
def every_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test once per backend (`engine.evaluate.backend.BACKENDS`): every program evaluated in
    it gets that backend. The semantic tests use it (`pytestmark = pytest.mark.usefixtures(...)`), so
    that the interpreter, the generated code and the generated code that records all pass them."""
    chosen = backends.BACKENDS[request.param]
    monkeypatch.setattr(backends, "_BACKENDS", backends.PerProgram(lambda program: chosen(program)))
    return str(request.param)
