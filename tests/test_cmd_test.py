"""Tests for `regles test`: running the examples written in rule files (tests/cases/editor/)."""

from __future__ import annotations

import re

import pytest

from engine.cli.main import main

CASES = "tests/cases/editor"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["test", *argv])
    captured = capsys.readouterr()
    spaces = str.maketrans({"\u00a0": " ", "\u202f": " "})  # Babel's French number spacing
    return code, captured.out.translate(spaces), captured.err.translate(spaces)


class TestRegleTest:
    """`regles test [FICHIER|DOSSIER …]`."""

    def test_all_pass(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Every example holds: exit 0 and the summary counts them."""
        code, out, _ = run(capsys, f"{CASES}/reussis.rules")
        assert code == 0
        assert out.strip().splitlines()[-1] == "2 réussis, 0 échoué"
        assert "ÉCHEC" not in out

    def test_verbose_lists_each_passing_example(self, capsys: pytest.CaptureFixture[str]) -> None:
        """With -v every passing example is named."""
        code, out, _ = run(capsys, "-v", f"{CASES}/reussis.rules")
        assert code == 0
        assert f"ok      {CASES}/reussis.rules : Au-delà du seuil" in out
        assert f"ok      {CASES}/reussis.rules : Au seuil" in out

    def test_failures_show_expected_obtained_and_explanation(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A failing example names its file:line and title, the expected and obtained values, and explains the latter."""
        code, out, _ = run(capsys, f"{CASES}/echecs.rules")
        assert code == 1
        assert f"ÉCHEC   {CASES}/echecs.rules:27 : Seuil mal lu : 640 n'est pas au-delà" in out
        assert "actif : attendu vrai, obtenu faux" in out
        assert "montant : attendu 12 000,00 €, obtenu 0,00 €" in out
        assert "il manque 1 pour dépasser le seuil de 640" in out  # the explanation of the obtained value
        assert "Source : Avenant n° 7 à la convention médicale (Journal officiel, 20/08/2019) : art. 1" in out
        assert out.strip().splitlines()[-1] == "1 réussi, 2 échoués"

    def test_missing_fact_shown_as_obtained(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An example that forgets a fact fails with the missing fact and its question."""
        _, out, _ = run(capsys, f"{CASES}/echecs.rules")
        assert "montant : attendu 0,00 €, obtenu manquant (patients)" in out
        assert "Combien de patients ?" in out

    def test_directory(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A directory runs every .rules file in it; the summary adds them up."""
        code, out, _ = run(capsys, CASES)
        assert code == 1
        assert re.search(r"^3 réussis, 2 échoués$", out, re.M)

    def test_several_files(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Several files are run in order and counted together."""
        code, out, _ = run(capsys, f"{CASES}/reussis.rules", f"{CASES}/echecs.rules")
        assert code == 1
        assert out.strip().splitlines()[-1] == "3 réussis, 2 échoués"

    def test_rule_file_with_errors(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A rule file that does not check is reported with its diagnostic (exit 1), not a traceback."""
        code, _, err = run(capsys, f"{CASES}/invalide/erreur.rules")
        assert code == 1
        assert "erreur[E201]: nom inconnu « patients »" in err
        assert "Traceback" not in err

    def test_missing_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A file that does not exist: exit 2, French message."""
        code, _, err = run(capsys, f"{CASES}/absent.rules")
        assert code == 2
        assert "impossible de lire" in err and "fichier introuvable" in err

    def test_directory_without_rule_files(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A directory with no .rules file: exit 2, French message."""
        code, _, err = run(capsys, f"{CASES}/vide")
        assert code == 2
        assert "aucun fichier .rules trouvé" in err

    def test_bad_option(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown option: exit 2 with a French usage message."""
        code, _, err = run(capsys, "--inconnu")
        assert code == 2
        assert "arguments inconnus : --inconnu" in err

    def test_bundled_rule_files(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without argument, the examples of rulesets/ run and hold."""
        code, out, _ = run(capsys)
        assert code == 0, out
        assert re.search(r"^\d+ réussis, 0 échoué$", out, re.M)
