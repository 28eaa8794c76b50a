"""Property: for any complete and valid facts of either rule file, every letter renders in every format or is
refused with a reason (`NotIssuedError`); a rendered letter never shows a status word or a reservation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.letters.issuance import letter_options, load_caisse
from engine.letters.render import MissingFactsError, NotIssuedError, available_letters

ROOT = Path(__file__).resolve().parent.parent
CAISSE = letter_options(load_caisse(str(ROOT / "examples" / "caisse.toml")))
FILES = ("rulesets/avenant7.rules", "rulesets/convention2024.rules")


@cache
def _ruleset(path: str) -> engine.Ruleset:
    return engine.load(ROOT / path)


def _fact_strategy(name: str, decl: object) -> st.SearchStrategy[object]:
    """Valid values for one declared fact, over the ranges the letters meet in practice."""
    t = decl.type  # type: ignore[attr-defined]
    if decl.allowed:  # type: ignore[attr-defined]
        return st.sampled_from(decl.allowed)  # type: ignore[attr-defined]
    if t.kind == "enum":
        return st.sampled_from(t.values)
    if t.kind == "booleen":
        return st.booleans()
    if t.kind == "taux":
        return st.integers(0, 100).map(lambda n: Decimal(n) / 100)
    if t.kind == "decimal":
        return st.integers(0, 1000).map(lambda n: Decimal(n) / 10)
    if t.kind == "texte":
        return st.sampled_from(["48", "75", "2A", "971", "08"])
    if t.kind == "date":
        if name == "date_naissance":
            return st.dates(dt.date(1945, 1, 1), dt.date(1995, 12, 31))
        return st.dates(dt.date(2018, 1, 1), dt.date(2027, 12, 31))
    if name in {"annee_contrat", "anciennete_contrat_temps_plein"}:
        return st.integers(1, 7)
    return st.integers(0, 6000)


@st.composite
def outcomes(draw: st.DrawFn, complete: bool = True) -> engine.Outcome:
    """An outcome of either rule file for valid facts: all of them, or some dropped."""
    ruleset = _ruleset(draw(st.sampled_from(FILES)))
    facts = {name: draw(_fact_strategy(name, decl), label=name) for name, decl in ruleset.facts.items()}
    if not complete:
        dropped = draw(st.sets(st.sampled_from(sorted(facts)), max_size=4), label="dropped")
        facts = {k: v for k, v in facts.items() if k not in dropped}
    return ruleset.evaluate(facts)


class TestEveryLetterRenders:
    """Tests that no valid facts make a letter fail (StrictUndefined, sandbox or layout)."""

    @settings(max_examples=100)
    @given(outcome=outcomes(), fmt=st.sampled_from(["txt", "html"]))
    def test_text_and_html(self, outcome: engine.Outcome, fmt: str) -> None:
        """Each letter renders to a complete letter, addressed and signed."""
        for name in available_letters(outcome.ruleset):
            try:
                letter = engine.render_letter(outcome, name, format=fmt, date="2025-01-15", **CAISSE)
            except NotIssuedError as exc:
                assert exc.reason
                continue
            assert isinstance(letter, str)
            flat = " ".join(letter.split())
            assert "Docteur," in flat and "Camille Exemple" in flat
            for word in ("non applicable", "indéterminé", "à confirmer", "Réserves", "manquant", "None"):
                assert word not in flat

    @settings(max_examples=60)
    @given(outcome=outcomes(complete=False),
           name=st.sampled_from(["decision", "notification_annuelle", "revalorisation_2024"]))
    def test_missing_facts_are_listed_never_half_printed(self, outcome: engine.Outcome, name: str) -> None:
        """With facts dropped, a letter is complete or refused with the missing facts, never half-empty."""
        try:
            letter = engine.render_letter(outcome, name, date="2025-01-15", **CAISSE)
        except NotIssuedError as exc:
            assert exc.reason
        except MissingFactsError as exc:
            assert exc.facts and all(fact not in outcome.facts for fact, _ in exc.facts)
            assert all(question for _, question in exc.facts)
        else:
            assert "manquant" not in letter

    @settings(max_examples=8)
    @given(outcome=outcomes(), name=st.sampled_from(["decision", "notification_annuelle", "revalorisation_2024"]))
    def test_pdf(self, outcome: engine.Outcome, name: str) -> None:
        """The Typst source of each letter compiles to a PDF."""
        try:
            letter = engine.render_letter(outcome, name, format="pdf", date="2025-01-15", **CAISSE)
        except NotIssuedError:
            return
        assert letter.startswith(b"%PDF-")
