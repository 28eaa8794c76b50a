"""Fuzzing with a fixed seed: mutated rule texts and facts of hostile shapes (issue 13).

Asserts that only `RulesError` or `FactsError` (and, for a facts file, the command line's usage
error) ever escape, and that every case is answered within 5 s. The default run is sized for CI
(some 2 000 rule texts and 600 sets of facts, under a minute); `pytest --fuzz-long` runs ten times
as many. A failure prints the seed and the case, so it can be replayed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest

import engine
from engine.base.diagnostics import RulesError
from engine.inputs.facts import FactsError

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261206
CASE_SECONDS = 5.0
RULE_TEXTS = 2_000
FACT_SETS = 600


@pytest.fixture
def scale(request: pytest.FixtureRequest) -> int:
    """How many times the default number of cases to run (10 with `--fuzz-long`)."""
    return 10 if request.config.getoption("--fuzz-long") else 1


# ─── The corpus ──────────────────────────────────────────────────────────────────────────────

_BLOCK = re.compile(r"```regles[^\n]*\n(.*?)```", re.S)


def _corpus() -> list[str]:
    """Small complete rule files: the documentation's blocks and the diagnostics' golden inputs.

    The bundled rule files are mutated too, but less often (each takes about half a second to check)."""
    texts = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        texts += [block for block in _BLOCK.findall(page.read_text(encoding="utf-8")) if block.strip()]
    for path in sorted((ROOT / "tests" / "cases").rglob("*.rules")):
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:  # E104's golden input is Latin-1 on purpose
            continue
    return [t for t in texts if len(t) < 20_000 and _valid(t)]


def _valid(text: str) -> bool:
    """Whether a text checks: mutating a correct file reaches further than mutating a broken one."""
    try:
        engine.loads(text, filename=str(ROOT / "rulesets" / "fuzz.rules"))
    except RulesError:
        return False
    return True


_BUNDLED = [ROOT / "rulesets" / "avenant7.rules", ROOT / "rulesets" / "convention2024.rules"]

_WORDS = ["si", "alors", "sinon", "fin", "et", "ou", "non", "règle", "résultat", "paramètre", "fait", "table",
          "fonction", "exemple", "attendu", "=", "×", "/", "+", "-", "(", ")", "{", "}", "|", ",", ":", "%", "€",
          "au", "arrondi", "à l'euro", "non applicable", "indéterminé", "modifie", "remplace", "texte de",
          "applicable si", "à partir du", "22/06/2024", "31/02/2024", "99 999 999 999 999 999 999 €", "0,000001",
          "1 / 0", "× 10 000 000 000", "plafоnd", "\"", "«", "»", "#", "\n", "entier", "taux", "montant", "date",
          "durée", "énumération", "parmi", "de 0 à", "au moins", "jusqu'à", "et plus", "autre", "—", "1 an",
          "min(", "max(", "dans {", "\u001c", "\u0000", "\ufeff", "𝟙", "ﬁ"]
_CHARS = "()|{}\"'«»€%#,:;=×/+-<>≤≥≠ \n\t0123456789azéèàçAZ_\u00a0\u202f\u043e\u001c\u0000"


def _mutate(text: str, rng: random.Random) -> str:
    """One to three random edits (mostly one): delete, insert, duplicate or swap characters or tokens."""
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if not text:
            text = rng.choice(_WORDS)
        if rng.random() < 0.5:
            i, j = sorted(rng.randrange(len(text) + 1) for _ in range(2))
            j = min(j, i + rng.randint(1, 40))
            match rng.randrange(4):
                case 0:
                    text = text[:i] + text[j:]
                case 1:
                    text = text[:i] + rng.choice(_CHARS) * rng.choice([1, 1, 1, 2, 50]) + text[i:]
                case 2:
                    text = text[:j] + text[i:j] * rng.choice([1, 2, 30]) + text[j:]
                case _:
                    text = text[:i] + text[j:j + (j - i)] + text[i:j] + text[j + (j - i):]
        else:
            tokens = re.findall(r"\w+|[^\w\s]|\s+", text)
            if not tokens:
                continue
            k = rng.randrange(len(tokens))
            match rng.randrange(4):
                case 0:
                    del tokens[k]
                case 1:
                    tokens.insert(k, rng.choice(_WORDS) + rng.choice([" ", "", "\n"]))
                case 2:
                    tokens.insert(k, tokens[k] * rng.choice([2, 3, 100]))
                case _:
                    m = rng.randrange(len(tokens))
                    tokens[k], tokens[m] = tokens[m], tokens[k]
            text = "".join(tokens)
    return text


# ─── Hostile facts ───────────────────────────────────────────────────────────────────────────

def _nested(depth: int) -> object:
    value: object = []
    for _ in range(depth):
        value = [value]
    return value


def _hostile_value(rng: random.Random) -> object:
    """A value of a hostile shape: huge, tiny, deep, of the wrong type, not a number…"""
    choices = [
        lambda: 10 ** rng.choice([15, 20, 26, 400, 5000]) * rng.choice([1, -1]),
        lambda: rng.randint(-10**6, 10**6),
        lambda: "0." + "0" * rng.choice([39, 80, 100_000]) + "1",
        lambda: "9" * rng.choice([14, 15, 16, 40, 5000]),
        lambda: rng.choice([math.nan, math.inf, -math.inf, 1e308, 5e-324, -0.0, 0.1]),
        lambda: rng.choice([Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("1E+999999"),
                            Decimal("1E-999999"), Decimal("0." + "1" * 60)]),
        lambda: rng.choice(["NaN", "Infinity", "1e999", "-0", "1,5 %", "150 %", "12 000,00 €", "", " ", "vrai"]),
        lambda: "x" * rng.choice([1, 100, 10_001, 1_000_000]),
        lambda: _nested(rng.choice([10, 1_000, 50_000])),
        lambda: rng.choice([[], {}, {"3": 1}, {"03": 1, "x": []}, set(), b"1", object(), (1, 2)]),
        lambda: rng.choice([dt.date.min, dt.date.max, "9999-12-31", "0001-01-01", "2024-02-30", "31/02/2024",
                            dt.datetime(2024, 6, 22, 23, 59)]),
        lambda: rng.choice([True, False, None, "true", "oui"]),
        lambda: "\u001c\u0000#\"«" * rng.choice([1, 1000]),
    ]
    return rng.choice(choices)()


def _hostile_facts(ruleset: engine.Ruleset, rng: random.Random) -> dict[object, object]:
    names = list(ruleset.facts)
    facts: dict[object, object] = {}
    for name in rng.sample(names, k=min(len(names), rng.randint(0, 6))):
        facts[name] = _hostile_value(rng)
    if rng.random() < 0.2:
        facts[rng.choice(["inconnu", "x" * 100_000, 3, ("a",)])] = 1
    return facts


def _json_with_duplicates(facts: dict[object, object], rng: random.Random) -> str:
    """The facts as JSON text, sometimes with a key written twice or nested very deep."""
    plain = {str(k)[:50]: v for k, v in facts.items() if isinstance(v, (int, str, bool, list, dict)) and v is not None
             and not (isinstance(v, list) and v and isinstance(v[0], list))}
    try:
        text = json.dumps(plain)
    except (ValueError, RecursionError):
        text = "{}"
    if plain and rng.random() < 0.5:
        key = json.dumps(next(iter(plain)))
        text = "{" + f"{key}: 1, " + text[1:]
    if rng.random() < 0.1:
        text = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    return text


# ─── The tests ───────────────────────────────────────────────────────────────────────────────

def _answered(case: str, action) -> object:  # type: ignore[no-untyped-def]
    """Run one case: only RulesError or FactsError may escape, and it must end within 5 s."""
    started = time.perf_counter()
    try:
        return action()
    except (RulesError, FactsError):
        return None
    finally:
        elapsed = time.perf_counter() - started
        assert elapsed < CASE_SECONDS, f"{case}: {elapsed:.1f} s"


def _exercise(ruleset: engine.Ruleset, facts: dict[object, object], explain: bool) -> None:
    """Evaluate, read every value and, sometimes, explain the first result."""
    outcome = ruleset.evaluate(facts)  # type: ignore[arg-type]
    assert isinstance(outcome.values, dict)
    for name in outcome.results:
        outcome.status(name)
        outcome.reason(name)
    if explain and outcome.results:
        first = next(iter(outcome.results))
        assert isinstance(outcome.explain(first), str)


class TestFuzzRuleTexts:
    """Mutated rule texts: checked, formatted, evaluated; never an exception other than RulesError."""

    def test_mutated_rule_texts(self, scale: int) -> None:
        from engine.syntax.fmt import format_text
        rng = random.Random(SEED)
        corpus = _corpus()
        bundled = [p.read_text(encoding="utf-8") for p in _BUNDLED]
        loaded = 0
        for index in range(RULE_TEXTS * scale):
            source = rng.choice(bundled) if index % 100 == 0 else rng.choice(corpus)
            text = _mutate(source, rng)
            case = f"texte muté n° {index} (graine {SEED})"
            ruleset = _answered(case, lambda: engine.loads(text, filename=str(ROOT / "rulesets" / "fuzz.rules")))
            if index % 10 == 0:
                _answered(case + ", mise en forme", lambda: format_text(text))
            if ruleset is not None:
                loaded += 1
                facts = _hostile_facts(ruleset, rng) if rng.random() < 0.5 else {}
                _answered(case + ", évaluation", lambda: _exercise(ruleset, facts, index % 20 == 0))
        print(f"{RULE_TEXTS * scale} textes mutés, dont {loaded} corrects et évalués")
        assert loaded > RULE_TEXTS * scale // 20  # the mutations leave enough files valid to evaluate


class TestFuzzFacts:
    """Facts of hostile shapes against the bundled rule files: only FactsError, within 5 s each."""

    def test_hostile_facts(self, scale: int, tmp_path: Path) -> None:
        from engine.cli.main import UsageError, read_facts
        from engine.schedule import schedule
        rng = random.Random(SEED + 1)
        rulesets = [engine.load(p) for p in _BUNDLED]
        for index in range(FACT_SETS * scale):
            ruleset = rng.choice(rulesets)
            facts = _hostile_facts(ruleset, rng)
            case = f"faits hostiles n° {index} (graine {SEED + 1}) : {sorted(map(str, facts))[:6]}"
            _answered(case, lambda: _exercise(ruleset, facts, index % 25 == 0))
            if index % 5 == 0:
                _answered(case + ", échéancier", lambda: schedule(rulesets[1], facts))  # type: ignore[arg-type]
            if index % 10 == 0:
                text = _json_with_duplicates(facts, rng)

                def through_a_file() -> None:
                    path = tmp_path / "faits.json"
                    path.write_text(text, encoding="utf-8")
                    try:
                        try:
                            read = read_facts(str(path))
                        except UsageError:
                            return
                        ruleset.evaluate(read)
                    finally:
                        path.unlink()
                _answered(case + ", fichier JSON", through_a_file)
