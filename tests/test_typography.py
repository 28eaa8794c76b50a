"""French typography: `70 %` with an ordinary space in a rule file's text (W120, `regles fmt`), and the
no-break spaces every French output writes (explanations, eval, impact).

`tests/cases/check/warnings/*.rules` are inline-marked like the bad files of `test_cases.py`, but
their chunks load: a trailing `### W120` marks each line where the warning is expected, and the
warnings reported must be exactly those marked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import CASES

import engine
from engine.cli.main import main
from engine.lang.formatting import french_spaces, french_typography
from engine.base.source import Source
from engine.check.typography import NBSP, loose_space_warnings, loose_spaces, tie_units

MARK = re.compile(r"###\s*((?:W\d{3}\s*)+)$")
WARNINGS = CASES / "check" / "warnings"


def _chunks() -> list:  # type: ignore[type-arg]
    params = []
    for path in sorted(WARNINGS.glob("*.rules")):
        for index, text in enumerate(path.read_text(encoding="utf-8").split("\n---\n")):
            params.append(pytest.param(path, text, id=f"{path.name}:{index + 1}"))
    return params


def _marked(text: str) -> set[tuple[int, str]]:
    return {(number, code) for number, line in enumerate(text.splitlines(), start=1)
            for found in [MARK.search(line)] if found for code in found.group(1).split()}


def _count_marks(text: str) -> int:
    return sum(len(found.group(1).split()) for line in text.splitlines() for found in [MARK.search(line)] if found)


@pytest.mark.parametrize(("path", "text"), _chunks())
def test_warning_chunk_reports_what_is_marked(path: Path, text: str) -> None:
    """The chunk loads; its W120 warnings are exactly the marked lines, as many as marked."""
    ruleset = engine.loads(text, filename=str(path), root=CASES)
    reported = [(d.span.line, d.code) for d in ruleset.warnings if d.code == "W120"]
    assert set(reported) == _marked(text)
    assert len(reported) == _count_marks(text)


def test_the_span_underlines_the_space_and_the_hint_is_french() -> None:
    source = Source("f.rules", 'règles "t"\nfait x : taux\n  "au moins 80 % et 2 800 €"\nfin\n')
    first, second = loose_space_warnings(source)
    assert source.slice(first.span) == " " and source.text[first.span.end] == "%"
    assert (first.span.line, first.span.column) == (3, 15)
    assert first.message == "espace ordinaire entre « 80 » et « % » : une fin de ligne peut les séparer"
    assert first.hint == f"écrivez une espace insécable (U+00A0) : « 80{NBSP}% » ; « regles fmt » la met à votre place"
    assert "« 2 800 » et « € »" in second.message


def test_only_quoted_texts_are_read() -> None:
    """Comments, table rows and formulas keep their ordinary spaces: only texts are quoted to readers."""
    text = ('règles "r" # 70 %\nparamètre p = 70 %\ntable t(a : entier) : montant\n  | a | t |\n'
            '  |---|---|\n  | 1 | 7 000 € |\nfin\n« 5 % »\n"a \\" 6 %"\n')
    assert [text[o - 1:o + 2] for o in loose_spaces(text)] == ["5 %", "6 %"]
    assert tie_units(text) == text.replace("« 5 %", f"« 5{NBSP}%").replace('" 6 %', f'" 6{NBSP}%')


def test_fmt_ties_the_units_and_the_warning_goes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "f.rules"
    path.write_text('règles "Aide de 7 000 € au plus"\n\nfait part : taux de 0 % à 100 %\n'
                    '  "au moins 80 % des honoraires" # 80 % ici reste\nfin\n\n'
                    'résultat aide : montant = 7 000 € × part fin\n', encoding="utf-8")
    assert [d.code for d in engine.load(path).warnings] == ["W120", "W120"]
    assert main(["fmt", "--check", str(path)]) == 1
    assert main(["fmt", str(path)]) == 0
    fixed = path.read_text(encoding="utf-8")
    assert f'"Aide de 7 000{NBSP}€ au plus"' in fixed and f'"au moins 80{NBSP}% des honoraires"' in fixed
    assert "# 80 % ici reste" in fixed and "= 7 000 € × part" in fixed  # a comment and a formula keep theirs
    assert engine.load(path).warnings == ()
    assert main(["fmt", "--check", str(path)]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("rules", ["rulesets/avenant7.rules", "rulesets/convention2024.rules"])
def test_shipped_rule_files_are_typographed(rules: str) -> None:
    assert [d for d in engine.load(rules).warnings if d.code == "W120"] == []


def test_french_typography() -> None:
    assert french_spaces("70 % et 1 200 € : oui") == f"70{NBSP}% et 1 200{NBSP}€ : oui"
    assert french_typography("Pourquoi : « 70 % » ; vraiment ? oui !") == \
        f"Pourquoi{NBSP}: «{NBSP}70{NBSP}%{NBSP}»{NBSP}; vraiment{NBSP}? oui{NBSP}!"
    tree = "montant\n  : suite\nhttps://a.fr/?p=1"
    assert french_typography(tree) == tree  # indentation, line starts and addresses kept


def _out(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_explanations_and_eval_write_no_break_spaces(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A reason quoted from a rule file, a summary and a detailed explanation never leave `70 %`
    breakable, nor a colon at the start of a line."""
    path = tmp_path / "f.rules"
    path.write_text('règles "r"\nfait part : taux de 0 % à 100 % fin\nfait base : montant fin\n'
                    'résultat aide : montant\n  applicable si suffisant sinon "moins de 50 % suivis"\n'
                    '  = base × part\nfin\nrègle suffisant : booléen = part ≥ 50 % fin\n', encoding="utf-8")
    low = tmp_path / "low.json"
    low.write_text('{"part": 0.2, "base": 1000}', encoding="utf-8")
    high = tmp_path / "high.json"
    high.write_text('{"part": 0.7, "base": 1000}', encoding="utf-8")
    shown = _out(capsys, "eval", str(path), "--facts", str(low))
    assert f"moins de 50{NBSP}% suivis" in shown and "50 %" not in shown
    for args in (["explain", str(path), "aide", "--facts", str(low)],
                 ["explain", str(path), "aide", "--facts", str(high), "--detail"],
                 ["explain", str(path), "aide", "--facts", str(high)]):
        text = _out(capsys, *args)
        assert not re.search(r"\d [%€]", text), text
        assert not re.search(r"\S [:;!?]", text), text
    assert f"700,00{NBSP}€" in text
