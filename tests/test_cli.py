"""Tests for the command line (engine.cli.main.main): outputs and exit codes, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli.main import EXIT_INTERNAL, main
from support import CASES

GOOD = str(CASES / "check" / "good" / "every_construct.rules")
SMALL = ('règles "Petit"\n'
         'fait secteur : entier parmi {1, 2, 3}\n  question "Quel secteur ?"\nfin\n'
         "fait annee_contrat : entier au moins 1 fin\n"
         "résultat conventionne : booléen = secteur = 1 fin\n"
         "résultat montant : montant = si annee_contrat = 1 alors 12 000 € sinon 9 000 € fin\n"
         "échéancier annee_contrat de 1 à 3\n  colonnes montant\n  total montant\nfin\n"
         'exemple "Secteur 1"\n  secteur = 1\nattendu\n  conventionne = vrai\nfin\n')


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "petit.rules"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture
def facts(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a facts file and return its path."""
    def write(content: object, name: str = "faits.json") -> str:
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        return str(path)
    return write


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command line; return exit code, stdout and stderr. A bad input must never exit 70."""
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code != EXIT_INTERNAL, err
    assert "Traceback" not in out + err
    return code, out, err


class TestCheck:
    """Tests for `regles check`."""

    def test_clean_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A clean file exits 0 and says so, with its counts."""
        code, out, err = run(capsys, "check", GOOD)
        assert code == 0 and "correct" in out and err == ""

    def test_several_files(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Several files are checked in one run."""
        code, out, _ = run(capsys, "check", "rulesets/avenant7.rules", "rulesets/convention2024.rules")
        assert code == 0 and out.count("correct") == 2

    def test_bad_file_exits_1_with_diagnostics(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A file with errors exits 1 and prints the rendered diagnostics on stderr."""
        path = "tests/cases/diagnostics/E201_unknown_name.rules"
        code, out, err = run(capsys, "check", path)
        assert code == 1 and "erreur[E201]" in err and f" --> {path}:5:31" in err

    def test_warnings_exit_0(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Warnings are printed, but the file is correct."""
        code, out, err = run(capsys, "check", "tests/cases/diagnostics/W101_unused_fact.rules")
        assert code == 0 and "avertissement[W101]" in err and "1 avertissement" in out

    def test_bad_and_good_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        """One bad file among good ones makes the run fail, but every file is checked."""
        code, out, err = run(capsys, "check", "tests/cases/diagnostics/E302_percentage_without_percent.rules", GOOD)
        assert code == 1 and "correct" in out and "E302" in err

    def test_missing_file_exits_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A file that does not exist is a usage error (2), with E001."""
        code, _, err = run(capsys, "check", "absent.rules")
        assert code == 2 and "E001" in err

    @pytest.mark.parametrize("content", [b"", b"\xff\xfe r\xe8gles", b"(" * 2000, b"\x00\x01\x02"])
    def test_junk_files_exit_1(self, capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes) -> None:
        """Empty, non-UTF-8 or junk files are reported with a diagnostic, exit 1."""
        path = tmp_path / "junk.rules"
        path.write_bytes(content)
        code, _, err = run(capsys, "check", str(path))
        assert code == 1 and "erreur[E1" in err

    def test_no_file_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`check` without a file exits 2 with a French usage message."""
        code, _, err = run(capsys, "check")
        assert code == 2 and "arguments obligatoires manquants" in err


class TestEval:
    """Tests for `regles eval`."""

    def test_table_output(self, capsys: pytest.CaptureFixture[str], small: Path, facts) -> None:  # type: ignore[no-untyped-def]
        """Results are printed as a table; missing facts are listed with their question."""
        code, out, _ = run(capsys, "eval", str(small), "--facts", facts({"annee_contrat": 1}))
        assert code == 0 and "montant" in out and "12\u202f000,00" in out
        assert "Faits manquants" in out and "Quel secteur\u00a0?" in out  # French typography ties the question mark

    def test_json_output(self, capsys: pytest.CaptureFixture[str], small: Path, facts) -> None:  # type: ignore[no-untyped-def]
        """`--json` prints statuses, values and missing facts as JSON."""
        code, out, _ = run(capsys, "eval", str(small), "--facts", facts({"secteur": 1}), "--json")
        data = json.loads(out)
        assert code == 0 and data["results"]["conventionne"] == {"status": "value", "value": True}
        assert data["missing"][0]["fact"] == "annee_contrat"

    def test_output_option(self, capsys: pytest.CaptureFixture[str], small: Path, facts) -> None:  # type: ignore[no-untyped-def]
        """`--output` limits the results computed."""
        code, out, _ = run(capsys, "eval", str(small), "--facts", facts({}), "--json", "--output", "conventionne")
        assert code == 0 and list(json.loads(out)["results"]) == ["conventionne"]

    def test_unknown_output_exits_2(self, capsys: pytest.CaptureFixture[str], small: Path, facts) -> None:  # type: ignore[no-untyped-def]
        """An unknown `--output` name is a usage error."""
        code, _, err = run(capsys, "eval", str(small), "--facts", facts({}), "--output", "inconnu")
        assert code == 2 and "inconnu" in err

    def test_bundled_example(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The README's command evaluates the bundled example."""
        code, out, _ = run(capsys, "eval", "rulesets/convention2024.rules", "--facts", "examples/generaliste.json")
        assert code == 0 and "eligible" in out

    def test_bad_rule_file_exits_1(self, capsys: pytest.CaptureFixture[str], facts) -> None:  # type: ignore[no-untyped-def]
        """A rule file with errors exits 1 with its diagnostics."""
        code, _, err = run(capsys, "eval", "tests/cases/diagnostics/E401_cycle.rules", "--facts", facts({}))
        assert code == 1 and "E401" in err

    def test_missing_facts_file_exits_2(self, capsys: pytest.CaptureFixture[str], small: Path) -> None:
        """A facts file that does not exist is a usage error naming it."""
        code, _, err = run(capsys, "eval", str(small), "--facts", "absent.json")
        assert code == 2 and "absent.json" in err

    def test_invalid_json_exits_2(self, capsys: pytest.CaptureFixture[str], small: Path, facts) -> None:  # type: ignore[no-untyped-def]
        """Invalid JSON is a usage error with its line and column."""
        path = facts('{"secteur": 1,,}')
        code, _, err = run(capsys, "eval", str(small), "--facts", path)
        assert code == 2 and f"{path}:1:" in err and "JSON invalide" in err

    @pytest.mark.parametrize("content", ["[1, 2]", "3", '"texte"', "null"])
    def test_not_an_object_exits_2(self, capsys: pytest.CaptureFixture[str], small: Path, facts, content: str) -> None:  # type: ignore[no-untyped-def]
        """A facts file must hold a JSON object."""
        code, _, err = run(capsys, "eval", str(small), "--facts", facts(content))
        assert code == 2 and "objet JSON" in err

    def test_not_utf8_facts_exit_2(self, capsys: pytest.CaptureFixture[str], small: Path, tmp_path: Path) -> None:
        """A facts file that is not UTF-8 is a usage error."""
        path = tmp_path / "latin1.json"
        path.write_bytes('{"d": "é"}'.encode("latin-1"))
        code, _, _ = run(capsys, "eval", str(small), "--facts", str(path))
        assert code == 2

    @pytest.mark.parametrize(("content", "fact"), [
        ({"secteur": "un"}, "secteur"), ({"secteur": 4}, "secteur"), ({"secteur": True}, "secteur"),
        ({"annee_contrat": 0}, "annee_contrat"), ({"inconnu": 1}, "inconnu"), ({"annee_contrat": 1.5}, "annee_contrat"),
    ])
    def test_wrong_facts_exit_2(self, capsys: pytest.CaptureFixture[str], small: Path, facts, content: dict, fact: str) -> None:  # type: ignore[no-untyped-def,type-arg]
        """Facts of the wrong type or outside their values exit 2, naming the fact."""
        code, _, err = run(capsys, "eval", str(small), "--facts", facts(content))
        assert code == 2 and "faits invalides" in err and f"« {fact} »" in err

    def test_missing_facts_option_exits_2(self, capsys: pytest.CaptureFixture[str], small: Path) -> None:
        """`--facts` is required."""
        code, _, err = run(capsys, "eval", str(small))
        assert code == 2 and "--facts" in err


class TestExplain:
    """Tests for `regles explain`."""

    def test_explains_a_result(self, capsys: pytest.CaptureFixture[str], small: Path, facts) -> None:  # type: ignore[no-untyped-def]
        """`explain` prints a French explanation of one result."""
        code, out, _ = run(capsys, "explain", str(small), "--facts", facts({"secteur": 1}), "conventionne")
        assert code == 0 and "conventionne" in out

    def test_unknown_result_exits_2(self, capsys: pytest.CaptureFixture[str], small: Path, facts) -> None:  # type: ignore[no-untyped-def]
        """An unknown result name is a usage error."""
        code, _, err = run(capsys, "explain", str(small), "--facts", facts({}), "conventione")
        assert code == 2 and "conventionne" in err

    def test_result_name_required(self, capsys: pytest.CaptureFixture[str], small: Path, facts) -> None:  # type: ignore[no-untyped-def]
        """The result name is required."""
        code, _, _ = run(capsys, "explain", str(small), "--facts", facts({}))
        assert code == 2


class TestTest:
    """Tests for `regles test`."""

    def test_passing_examples(self, capsys: pytest.CaptureFixture[str], small: Path) -> None:
        """Passing examples exit 0 and are counted."""
        code, out, _ = run(capsys, "test", str(small), "-v")
        assert code == 0 and "1 réussi, 0 échoué" in out and "ok" in out

    def test_folder(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A folder runs the examples of every rule file in it."""
        code, out, _ = run(capsys, "test", "tests/cases/check/good")
        assert code == 0 and "0 échoué" in out

    def test_failing_example_exits_1(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A failing example exits 1, naming it with its line, expected and obtained values."""
        path = tmp_path / "faux.rules"
        path.write_text(SMALL.replace("conventionne = vrai", "conventionne = faux"), encoding="utf-8")
        code, out, _ = run(capsys, "test", str(path))
        assert code == 1 and "ÉCHEC" in out and "attendu faux, obtenu vrai" in out

    def test_bad_rule_file_exits_1(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A rule file with errors exits 1."""
        code, _, err = run(capsys, "test", "tests/cases/diagnostics/E702_unknown_output_in_example.rules")
        assert code == 1 and "E702" in err

    def test_empty_folder_exits_2(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A folder without rule files is a usage error."""
        code, _, err = run(capsys, "test", str(tmp_path))
        assert code == 2 and "aucun fichier" in err


class TestEcheancier:
    """Tests for `regles echeancier`."""

    def test_schedule_and_totals(self, capsys: pytest.CaptureFixture[str], small: Path, facts) -> None:  # type: ignore[no-untyped-def]
        """The schedule prints one row per axis value and the totals."""
        code, out, _ = run(capsys, "echeancier", str(small), "--facts", facts({"secteur": 1}), "--json")
        data = json.loads(out)
        assert code == 0 and [r["annee_contrat"] for r in data["rows"]] == [1, 2, 3]
        assert data["totals"] == {"montant": "30000.00"}

    def test_text_output(self, capsys: pytest.CaptureFixture[str], small: Path, facts) -> None:  # type: ignore[no-untyped-def]
        """The text schedule has a total line."""
        code, out, _ = run(capsys, "echeancier", str(small), "--facts", facts({}))
        assert code == 0 and "Total" in out

    def test_file_without_schedule_exits_2(self, capsys: pytest.CaptureFixture[str], facts) -> None:  # type: ignore[no-untyped-def]
        """A file that declares no schedule is a usage error, not a crash."""
        code, _, err = run(capsys, "echeancier", "tests/cases/check/good/base.rules", "--facts", facts({}))
        assert code == 2 and "échéancier" in err

    def test_bad_facts_exit_2(self, capsys: pytest.CaptureFixture[str], small: Path, facts) -> None:  # type: ignore[no-untyped-def]
        """Bad facts are reported, exit 2."""
        code, _, _ = run(capsys, "echeancier", str(small), "--facts", facts({"secteur": "x"}))
        assert code == 2


class TestUsage:
    """Tests for argument errors."""

    @pytest.mark.parametrize("args", [[], ["inconnue"], ["eval"], ["check", "--inconnu", "x.rules"],
                                      ["test", "--verbose=oui"]])
    def test_bad_arguments_exit_2(self, capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
        """Bad arguments exit 2 with a French usage message."""
        code, _, err = run(capsys, *args)
        assert code == 2 and "utilisation" in err

    def test_help_exits_0(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`--help` prints the usage and exits 0."""
        code, out, _ = run(capsys, "--help")
        assert code == 0 and "check" in out and "eval" in out
