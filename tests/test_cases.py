"""Data-file tests: inline-marked bad rule files, and good rule files that check, evaluate and pass.

Bad files (`tests/cases/syntax/bad/*.rules`, `tests/cases/check/bad/*.rules`) are split into chunks on
lines that are exactly `---` (starlark's chunkedfile). Each chunk is a whole rule file; a trailing
comment `### E201` (several codes allowed, `### E201 W101`) marks a line where a diagnostic is
expected. The harness loads each chunk and checks that the set of (line, code) reported, errors and
warnings alike, equals the set marked. Paths in a chunk (`modifie "…"`) are relative to its file,
inside `tests/cases/` (the root given to `engine.loads`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import engine
from engine.tools.examples import run_examples
from support import CASES, assert_spans_inside

MARK = re.compile(r"###\s*((?:[EW]\d{3}\s*)+)$")


def _chunks(path: Path) -> list:  # type: ignore[type-arg]
    """One pytest param per chunk: (path, first line in the file, text of the chunk)."""
    params, lines, start = [], [], 1
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(keepends=True), start=1):
        if line.rstrip("\r\n") == "---":
            params.append((start, "".join(lines)))
            lines, start = [], number + 1
        else:
            lines.append(line)
    params.append((start, "".join(lines)))
    rel = path.relative_to(CASES).as_posix()
    return [pytest.param(path, first, text, id=f"{rel}:{first}") for first, text in params]


def _marked(text: str) -> set[tuple[int, str]]:
    found = set()
    for number, line in enumerate(text.splitlines(), start=1):
        match = MARK.search(line)
        if match:
            found |= {(number, code) for code in match.group(1).split()}
    return found


def _all_chunks(folder: str) -> list:  # type: ignore[type-arg]
    return [param for path in sorted((CASES / folder).glob("*.rules")) for param in _chunks(path)]


@pytest.mark.parametrize(("path", "first", "text"), _all_chunks("syntax/bad") + _all_chunks("check/bad"))
def test_bad_chunk_reports_what_is_marked(path: Path, first: int, text: str) -> None:
    """Loading the chunk reports exactly the (line, code) pairs marked with ###, at those lines."""
    expected = _marked(text)
    assert expected, "a bad chunk must mark at least one expected diagnostic"
    with pytest.raises(engine.RulesError) as caught:
        engine.loads(text, filename=str(path), root=CASES)  # chunks may amend ../good/ files
    own = [d for d in caught.value.diagnostics if d.span.file == str(path)]
    assert {(d.span.line, d.code) for d in own} == expected
    assert_spans_inside(caught.value)


@pytest.mark.parametrize(("path", "first", "text"), _all_chunks("syntax/bad"))
def test_syntax_chunks_fail_at_parsing(path: Path, first: int, text: str) -> None:
    """Syntax chunks are rejected by the parser, with one E1xx diagnostic."""
    with pytest.raises(engine.RulesError) as caught:
        engine.loads(text, filename=str(path))
    assert [d.code[:2] for d in caught.value.diagnostics] == ["E1"]


def test_harness_reads_marks() -> None:
    """The mark parser finds every code of every marked line, with 1-based lines."""
    assert _marked("a\nb ### E201 W101\nc ###E302\nd # E999\n") == {(2, "E201"), (2, "W101"), (3, "E302")}


def test_every_checker_code_has_a_bad_case() -> None:
    """The bad cases exercise at least every E2xx to E7xx code they can (E001/E002/E104/E600/E605 aside)."""
    marked = {code for param in _all_chunks("check/bad") for _, code in _marked(param.values[2])}
    assert len({c for c in marked if c[1] in "234567"}) >= 35


GOOD = sorted((CASES / "check" / "good").glob("*.rules"))


class TestGoodFiles:
    """Tests for `tests/cases/check/good`: files that check clean, evaluate and whose examples pass."""

    @pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
    def test_checks_without_error_or_warning(self, path: Path) -> None:
        """The file loads with no error and no warning."""
        assert engine.load(path).warnings == ()

    @pytest.mark.usefixtures("every_backend")  # semantic: every backend passes the examples
    @pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
    def test_examples_pass(self, path: Path) -> None:
        """Every example written in the file holds."""
        ruleset = engine.load(path)
        runs = run_examples(ruleset)
        assert runs, "a good file pins its behaviour with examples"
        assert [(r.case.title, r.mismatches, r.error) for r in runs if not r.passed] == []

    @pytest.mark.usefixtures("every_backend")
    @pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
    def test_evaluates_every_output(self, path: Path) -> None:
        """With all the facts of its first example, every output evaluates, and its trace is JSON."""
        import json
        ruleset = engine.load(path)
        out = ruleset.evaluate(ruleset.program.examples[0].facts)
        assert set(out.results) == set(ruleset.outputs)
        json.dumps(out.trace)

    def test_every_construct_file_uses_every_construct(self) -> None:
        """The showcase file writes every construct of the language reference."""
        text = (CASES / "check" / "good" / "every_construct.rules").read_text(encoding="utf-8")
        constructs = ["texte \"", "en vigueur du", "énumération {", "parmi {", " de 0 % à 100 %", "au moins",
                      "au plus", "question", "unité", "source", "« ",
                      "\nsource FICTIF \"", "éditeur \"", "editeur \"", "date 22/06/2024", "date \"juin", "lien \"",
                      "source FICTIF : \"", "source FICTIF : «", "source FICTIF\n", "à confirmer", "choix de modélisation",
                      "à partir du", "applicable si", " sinon \"", "si ", "alors", "sinon", " et ", " ou ", "non (",
                      " dans {", "pas dans", "≥", "≤", "!=", "<>", "≠", " + ", " - ", " × ", " * ", " / ", " ÷ ",
                      "min(", "max(", "12 000 €", "7,5 %", "22/06/2024", "15 jours", "1 mois", "3 ans", "1 jour",
                      "(annee_contrat - 1) ans", "date_signature - date_embauche", "moins de", "de 50 à moins de 70",
                      "de 70 à 90", "plus de 90", "jusqu'à", "et plus", "| autre", "—", "non applicable \"",
                      "indéterminé \"", "arrondi au centime", "arrondi à l'entier", "tronqué à l'euro",
                      "arrondi à l'euro", "arrondi à la dizaine", "arrondi à la centaine", "tronque au millier",
                      "fonction ", "table ", " au date_signature", "texte de ", "exemple \"", "reprend \"",
                      "= manquant", "= manquant (", "= non applicable", "= indéterminé", "échéancier", "colonnes",
                      "total", "# ", "résultat ", "règle ", "paramètre ", "fait ", "|---",
                      "pas dans specialites_exclues", "= {radiologie", "en vigueur au date_signature"]
        assert [c for c in constructs if c not in text] == []

    def test_amending_pair(self) -> None:
        """The amending file merges onto its base: two texts, replaced definitions marked as such."""
        rs = engine.load(CASES / "check" / "good" / "amending.rules")
        assert [t.short for t in rs.program.texts] == ["base", "modif"]
        assert rs.program.definitions["conventionne"].replaces == "base.conventionne"
        assert rs.program.definitions["montant_annuel"].dated
