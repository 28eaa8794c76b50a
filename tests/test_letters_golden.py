"""Golden letters: each case in tests/cases/letters/NAME renders exactly its expected.txt and expected.html.

A case holds `facts.json`, and `expected.txt` whose first lines are `# key: value` metadata (the
rule file, the letter, the letter's date) followed by a blank line and the exact letter. Run
`pytest tests/test_letters_golden.py --update-golden` to rewrite the expectations, then review the
diff. The PDF of each case is checked too: its extracted text carries the same amounts and dates.
"""

from __future__ import annotations

import io
import json
import re
from functools import cache
from pathlib import Path

import pytest

import engine
from engine.letters.issuance import letter_options, load_caisse

CASES = Path(__file__).resolve().parent / "cases" / "letters"
CAISSE = letter_options(load_caisse(str(Path(__file__).resolve().parent.parent / "examples" / "caisse.toml")))
_AMOUNT = re.compile(r"\d{1,3}(?:\u202f\d{3})*,\d{2}\u00a0€")
_DATE = re.compile(r"\b(?:1er|\d{1,2})\u00a0(?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
                   r"novembre|décembre)\u00a0\d{4}\b|\b\d{2}/\d{2}/\d{4}\b")


def _cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "facts.json").exists())


def _read(case: str) -> tuple[dict[str, str], str]:
    """The metadata and the expected letter of a case."""
    text = (CASES / case / "expected.txt").read_text(encoding="utf-8")
    header, _, body = text.partition("\n\n")
    meta = dict(line[2:].split(": ", 1) for line in header.splitlines() if line.startswith("# "))
    return meta, body


def _render(case: str, fmt: str) -> str | bytes:
    meta, _ = _read(case)
    facts = json.loads((CASES / case / "facts.json").read_text(encoding="utf-8"))
    outcome = _ruleset(meta["regles"]).evaluate(facts)
    return engine.render_letter(outcome, meta["courrier"], format=fmt, date=meta["date"], **CAISSE,
                                dossier=meta.get("dossier"))


@cache
def _ruleset(path: str) -> engine.Ruleset:
    return engine.load(path)


def _header(case: str) -> str:
    text = (CASES / case / "expected.txt").read_text(encoding="utf-8")
    return text.partition("\n\n")[0] + "\n\n"


class TestGoldenLetters:
    """Tests for the exact text of the letters of model.md § 6."""

    @pytest.mark.parametrize("case", _cases())
    def test_text_letter_matches(self, case: str, update_golden: bool) -> None:
        """The plain-text letter is exactly the expected one."""
        text = _render(case, "txt")
        if update_golden:
            (CASES / case / "expected.txt").write_text(_header(case) + text, encoding="utf-8")
        assert text == _read(case)[1]

    @pytest.mark.parametrize("case", _cases())
    def test_html_letter_matches(self, case: str, update_golden: bool) -> None:
        """The HTML letter is exactly the expected one."""
        html = _render(case, "html")
        path = CASES / case / "expected.html"
        if update_golden:
            path.write_text(html, encoding="utf-8")
        assert path.exists(), f"{path} is missing: run pytest with --update-golden and review it"
        assert html == path.read_text(encoding="utf-8")

    def test_every_letter_has_a_case(self) -> None:
        """Each letter beside the rule files has at least one golden case."""
        letters = {_read(case)[0]["courrier"] for case in _cases()}
        assert letters >= {"decision", "notification_annuelle", "revalorisation_2024"}


class TestPdfLetters:
    """Tests for the PDF form of the golden letters."""

    @pytest.mark.parametrize("case", ["decision_ex1_cardiologue_acceptation", "decision_ex2_generaliste_refus",
                                      "notification_ex7_generaliste_annee3", "revalorisation_ex6_cardiologue_2022"])
    def test_pdf_text_has_the_amounts_and_dates_of_the_text_letter(self, case: str) -> None:
        """Every amount and date of the text letter can be read in the PDF's extracted text."""
        from pypdf import PdfReader
        pdf = _render(case, "pdf")
        assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
        extracted = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        squeezed = _squeeze(extracted)
        text = _read(case)[1]
        wanted = set(_AMOUNT.findall(text)) | set(_DATE.findall(text))
        assert wanted, "the text letter should show amounts or dates"
        missing = sorted(w for w in wanted if _squeeze(w) not in squeezed)
        assert missing == []


def _squeeze(text: str) -> str:
    """Text without any kind of space or line break (PDF extraction does not keep them reliably)."""
    text = text.replace("\u1d49\u02b3", "er").replace("\u02b3\u1d49", "re").replace("\u1d49", "e")  # raised ordinals
    return re.sub(r"\s", "", text.replace("\u202f", "").replace("\u00a0", ""))
