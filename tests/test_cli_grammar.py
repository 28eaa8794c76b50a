"""One command-line grammar (issue 20, docs/cli.md): shared option names mean the same thing in every
sub-command, every message is French, facts and dates read the same way everywhere, and the
bundled rule files are found by name."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

import engine
from engine.base import bundled
from engine.cli import main as cli
from engine.lang import formatting
from engine.base import privatecache

ROOT = Path(__file__).resolve().parent.parent
JSON_COMMANDS = ("eval", "explain", "check", "test", "diff", "echeancier")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _visible(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and a.help is not argparse.SUPPRESS]


class TestSharedOptions:
    """A walk over every sub-command's options."""

    def test_every_help_is_french(self, capsys: pytest.CaptureFixture[str]) -> None:
        for name in _subparsers():
            code, out, _ = run(capsys, name, "--help")
            assert code == 0, name
            assert out.startswith("utilisation : regles " + name), name
            for english in ("usage:", "show this help", "positional arguments", "optional arguments"):
                assert english not in out, (name, english)

    def test_a_shared_option_means_the_same_everywhere(self) -> None:
        """An option string names one destination in every command (`-o` is always the output file)."""
        meaning: dict[str, set[str]] = {}
        for name, parser in _subparsers().items():
            for action in _visible(parser):
                for option in action.option_strings:
                    meaning.setdefault(option, set()).add(action.dest)
        assert {o: d for o, d in meaning.items() if len(d) > 1} == {}
        assert meaning["-o"] == meaning["--sortie"] == {"output"}
        assert meaning["-r"] == meaning["--resultat"] == {"resultat"}
        assert meaning["--facts"] == {"facts"}

    def test_output_file_and_result_selection_spellings(self) -> None:
        """`-o/--sortie` is always a file or folder written; `-r/--resultat` always a result selection."""
        for name, parser in _subparsers().items():
            for action in _visible(parser):
                if "-o" in action.option_strings:
                    assert "--sortie" in action.option_strings, name
                    assert "écrire" in action.help or "résultats :" in action.help, name
                if "--resultat" in action.option_strings:
                    assert action.option_strings[:2] == ["-r", "--resultat"], name
                assert "--output" not in action.option_strings or "-o" in action.option_strings, name

    @pytest.mark.parametrize("command", JSON_COMMANDS)
    def test_format_json_everywhere_results_are_printed(self, command: str) -> None:
        [action] = [a for a in _subparsers()[command]._actions if "--format" in a.option_strings]
        assert "json" in action.choices and action.default == "texte"
        assert action.type("text") == "texte"  # the English spelling is accepted too

    def test_lists_repeated_or_comma_separated(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "eval", "convention2024", "--facts", "generaliste", "--format", "json",
                           "-r", "montant_verse,eligible", "--resultat", "montant_maximal")
        assert code == 0
        assert list(json.loads(out)["results"]) == ["montant_verse", "eligible", "montant_maximal"]

    def test_former_spellings_still_work(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`--json` and `--output NOM` in eval: same results, and a note naming the new option."""
        code, out, err = run(capsys, "eval", "rulesets/convention2024.rules", "--facts", "examples/generaliste.json",
                             "--json", "--output", "eligible")
        assert code == 0 and list(json.loads(out)["results"]) == ["eligible"]
        assert "--output est remplacé par --resultat" in err

    @pytest.mark.parametrize("command", ["test", "echeancier"])
    def test_json_of_test_and_echeancier(self, command: str, capsys: pytest.CaptureFixture[str]) -> None:
        args = ["test", "convention2024"] if command == "test" else ["echeancier", "convention2024", "--facts",
                                                                    "cardiologue_echeancier"]
        code, out, _ = run(capsys, *args, "--format", "json")
        assert code == 0
        data = json.loads(out)
        if command == "test":
            assert data["failed"] == 0 and data["passed"] > 0 and data["files"][0]["examples"][0]["passed"] is True
        else:
            assert [row["annee_contrat"] for row in data["rows"]] == [1, 2, 3, 4, 5]


class TestMessages:
    """Every message French, with a hint where a user can be helped."""

    def test_unknown_command(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "evaluate", "x")
        assert code == 2
        assert "choix invalide 'evaluate'" in err and "vouliez-vous dire « eval » ?" in err

    def test_unknown_format_word(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "eval", "convention2024", "--facts", "generaliste", "--format", "jsn")
        assert code == 2 and "vouliez-vous dire « json » ?" in err

    def test_exclusive_options(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "fmt", "--diff", "--check", "x.rules")
        assert code == 2
        assert "argument --check : incompatible avec l'argument --diff" in err
        assert "not allowed" not in err

    def test_missing_option_value(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "batch", "convention2024", "-o", "x.csv")
        assert code == 2 and "arguments obligatoires manquants : -i/--entree" in err

    @pytest.mark.parametrize(("message", "french"), [
        ("argument -x: expected at least one argument", "argument -x : au moins une valeur est attendue"),
        ("one of the arguments --a --b is required", "l'un des arguments --a --b est obligatoire"),
        ("ambiguous option: --f could match --facts, --format", "option ambiguë : --f peut désigner --facts, --format"),
        ("argument --n: ignored explicit argument 'x'", "argument --n : valeur inattendue 'x'"),
    ])
    def test_other_argparse_messages(self, message: str, french: str) -> None:
        assert cli.french_usage_message(message) == french

    def test_enumeration_value(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        facts = tmp_path / "f.json"
        facts.write_text('{"specialite": "generaliste", "option": "mi-temps"}', encoding="utf-8")
        code, _, err = run(capsys, "eval", "convention2024", "--facts", str(facts))
        assert code == 2
        assert "reçu « generaliste » (vouliez-vous dire « medecine_generale » ?)" in err
        assert "reçu « mi-temps » (vouliez-vous dire « mi_temps »" in err

    def test_share_written_as_a_percentage(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        facts = tmp_path / "f.json"
        facts.write_text('{"part_honoraires_cliniques": 85}', encoding="utf-8")
        code, _, err = run(capsys, "eval", "convention2024", "--facts", str(facts))
        assert code == 2
        assert ("fait « part_honoraires_cliniques » : attendu une valeur d'au plus 1, reçu 85 (un taux s'écrit en "
                "fraction : 0.85, ou en pourcentage : « 85 % »)") in err

    def test_facts_echoed_as_json(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        facts = tmp_path / "f.json"
        facts.write_text('{"secteur": {"1": true, "2": [1, "a"]}}', encoding="utf-8")
        code, _, err = run(capsys, "eval", "convention2024", "--facts", str(facts), "--annee", "1")
        assert code == 2
        assert "reçu {\"1\": true, \"2\": [1, \"a\"]}" not in err  # only the year's value is read…
        assert "reçu true" in err  # …and shown as JSON
        code, _, err = run(capsys, "eval", "convention2024", "--facts", str(facts))
        assert "{'1': True" not in err and 'reçu {"1": true, "2": [1, "a"]}' in err

    def test_missing_extra_is_named(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                    tmp_path: Path) -> None:
        monkeypatch.setitem(sys.modules, "pyarrow", None)
        monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
        code, _, err = run(capsys, "diff", "avenant7", "convention2024", "--population", str(tmp_path / "p.parquet"))
        assert code == 2
        assert err == "regles : cette fonction demande le module pyarrow : pip install 'regles[parquet]'\n"

    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "--version")
        assert code == 0
        assert out.startswith("regles ") and "(format des fichiers de règles : 1 ; Python 3." in out


class TestYearsAndDates:
    """Facts per year, and one date grammar (AAAA-MM-JJ or JJ/MM/AAAA)."""

    def test_per_year_values_for_the_year_evaluated(self, capsys: pytest.CaptureFixture[str]) -> None:
        """eval and explain read the value of the year given, as echeancier does for that row."""
        code, out, _ = run(capsys, "echeancier", "convention2024", "--facts", "cardiologue_echeancier", "--format",
                           "json")
        year4 = next(r for r in json.loads(out)["rows"] if r["annee_contrat"] == 4)["montant_verse"]["value"]
        code, out, _ = run(capsys, "eval", "convention2024", "--facts", "cardiologue_echeancier", "--annee", "4",
                           "-r", "montant_verse", "--format", "json")
        assert code == 0 and json.loads(out)["results"]["montant_verse"]["value"] == year4 == "5157.06"
        code, out, _ = run(capsys, "explain", "convention2024", "--facts", "cardiologue_echeancier", "--annee", "4",
                           "montant_verse")
        assert code == 0 and "5\u202f157,06\xa0€" in out

    def test_per_year_values_in_a_letter(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """The letter of year 4 reads the facts of year 4 (the fact annee_contrat)."""
        facts = json.loads((ROOT / "examples/cardiologue_echeancier.json").read_text(encoding="utf-8"))
        (tmp_path / "f.json").write_text(json.dumps({**facts, "annee_contrat": 4}), encoding="utf-8")
        code, out, err = run(capsys, "letter", "convention2024", "--facts", str(tmp_path / "f.json"), "--template",
                             "notification_annuelle", "--date", "2026-02-15", "--caisse",
                             str(ROOT / "examples" / "caisse.toml"))
        assert code == 0, err
        assert "Taux d'atteinte des objectifs" in out and "10/17" in out
        assert "Montant versé" in out and "5\u202f157,06\xa0€" in out

    def test_per_year_values_without_a_year(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "eval", "convention2024", "--facts", "cardiologue_echeancier")
        assert code == 2
        assert ('fait « file_active_constatee » : attendu une seule valeur, ou une valeur par annee_contrat avec '
                'annee_contrat donné, reçu {"3": 3536, "4": 3480, "5": 3520} (donnez le fait annee_contrat (avec '
                "regles eval et explain : --annee N)") in err

    def test_per_year_values_without_a_schedule(self, tmp_path: Path) -> None:
        ruleset = engine.loads('règles "Essai"\nfait n : entier fin\nrésultat r : entier = n fin\n')
        with pytest.raises(engine.FactsError) as caught:
            ruleset.evaluate({"n": {"1": 3}})
        assert str(caught.value.problems[0]) == (
            'fait « n » : attendu un nombre entier, reçu {"1": 3} (une valeur par année n\'est acceptée que par un '
            "fichier de règles qui déclare un échéancier)")

    def test_per_year_values_in_batch(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A JSON Lines row reads the value of its own annee_contrat; without one, the row is refused."""
        facts = json.loads((ROOT / "examples/cardiologue_echeancier.json").read_text(encoding="utf-8"))
        rows = [{**facts, "annee_contrat": 4}, facts]
        (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        code, _, _ = run(capsys, "batch", "convention2024", "-i", str(tmp_path / "in.jsonl"), "-o",
                         str(tmp_path / "out.jsonl"))
        assert code == 2  # the second row is in error
        [out] = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
        assert (out["ligne"], out["montant_verse"], out["montant_verse__statut"]) == (1, "5157.06", "valeur")
        errors = (tmp_path / "out.jsonl.erreurs.csv").read_text(encoding="utf-8")
        assert errors.startswith("ligne,raison\n2,") and "une valeur par annee_contrat avec annee_contrat donné" in errors

    def test_year_option_checked(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "eval", "convention2024", "--facts", "generaliste", "--annee", "9")
        assert code == 2 and "--annee : annee_contrat va de 1 à 5, reçu 9" in err

    @pytest.mark.parametrize("written", ["2024-07-01", "01/07/2024", "1/7/2024"])
    def test_dates_in_both_forms(self, written: str) -> None:
        ruleset = engine.load("convention2024")
        outcome = ruleset.evaluate({**json.loads((ROOT / "examples/generaliste.json").read_text()),
                                    "date_signature": written}, outputs=["montant_verse"])
        assert outcome.values["montant_verse"] == engine.load("convention2024").evaluate(
            json.loads((ROOT / "examples/generaliste.json").read_text()), outputs=["montant_verse"]).values["montant_verse"]

    def test_day_comes_first(self) -> None:
        """`07/01/2024` is 7 January, as the rule files and every output write dates; the schema agrees."""
        import datetime as dt

        from engine.inputs.facts import parse_date, validate
        program = engine.load("convention2024").program
        assert validate(program, {"date_signature": "07/01/2024"})["date_signature"] == dt.date(2024, 1, 7)
        assert parse_date("2024-01-07") == parse_date("7/1/2024") == dt.date(2024, 1, 7)
        with pytest.raises(ValueError):
            parse_date("2024/01/07")

    def test_impossible_date_message_names_both_forms(self) -> None:
        with pytest.raises(engine.FactsError) as caught:
            engine.load("convention2024").evaluate({"date_signature": "31/02/2024"})
        assert caught.value.problems[0].expected == "une date qui existe (AAAA-MM-JJ ou JJ/MM/AAAA)"


class TestOutputs:
    def test_no_break_space_before_percent(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A reason written `70 %` in the rule file is never broken between the number and `%`."""
        code, out, _ = run(capsys, "eval", "convention2024", "--facts", "generaliste", "-r", "avance")
        assert code == 0
        assert "70\xa0%" in out and "70\n" not in out
        assert formatting.french_spaces("de 70 % : 500 € ; 3 ans, « % »") == "de 70\xa0% : 500\xa0€ ; 3 ans, « % »"

    def test_no_break_space_in_html_explanations(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "explain", "convention2024", "--facts", "generaliste", "avance", "--format", "html")
        assert code == 0
        assert "d'avance de 70\xa0% sur l'année 1" in out.replace("&#x27;", "'") and "70 %" not in out

    def test_diff_reads_parquet_as_batch_does(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        pa = pytest.importorskip("pyarrow")
        import csv

        import pyarrow.parquet as pq
        with (ROOT / "examples/population.csv").open(encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))[:81]
        with (tmp_path / "p.csv").open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
        table = pa.table({name: [r[i] or None for r in rows[1:]] for i, name in enumerate(rows[0])})
        pq.write_table(table, tmp_path / "p.parquet")
        results = []
        for name in ("p.csv", "p.parquet"):
            code, out, err = run(capsys, "diff", "avenant7", "convention2024", "--population", str(tmp_path / name),
                                 "--format", "json")
            assert code == 0, err
            data = json.loads(out)
            results.append({k: v for k, v in data.items() if k not in {"population", "examples", "seconds"}})
        assert results[0] == results[1]


@pytest.mark.parametrize(("command", "output", "message"), [
    (["schema", "convention2024"], "schema.txt", "-o : le schéma s'écrit dans un fichier .json"),
    (["letter", "convention2024", "--facts", "generaliste", "--template", "decision"], "courrier.docx",
     "-o : extension « .docx » inconnue"),
    (["batch", "convention2024", "-i", "examples/population.csv"], "sortie.xlsx", "format de la sortie inconnu"),
])
def test_unknown_output_extension_is_refused(command: list[str], output: str, message: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, *command, "-o", str(tmp_path / output))
    assert code == 2 and message in err
    assert list(tmp_path.iterdir()) == []


def test_letter_date_in_both_forms(capsys: pytest.CaptureFixture[str]) -> None:
    texts = [run(capsys, "letter", "convention2024", "--facts", "generaliste", "--template", "decision", "--date",
                 written, "--caisse", str(ROOT / "examples" / "caisse.toml"))[1] for written in ("2024-09-01", "01/09/2024")]
    assert texts[0] == texts[1] and "le 1er septembre 2024" in texts[0].replace("\xa0", " ")


@pytest.mark.parametrize("command", ["batch", "diff"])
def test_ambiguous_csv_header_is_refused(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A header with two kinds of separator is refused by batch and diff alike, not read with a guess."""
    (tmp_path / "p.csv").write_text('specialite;secteur,optam\norl;1,true\n', encoding="utf-8")
    args = (["batch", "convention2024", "-i", str(tmp_path / "p.csv"), "-o", str(tmp_path / "o.csv")]
            if command == "batch" else ["diff", "avenant7", "convention2024", "--population", str(tmp_path / "p.csv")])
    code, _, err = run(capsys, *args)
    assert code == 2
    assert "en-tête CSV ambigu : il contient des séparateurs de plusieurs sortes (virgule et point-virgule)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


def test_quoted_separator_in_a_header_is_no_ambiguity() -> None:
    from engine.tools.batch import csv_delimiter
    assert csv_delimiter('id;"nom, prénom";secteur\n') == ";"
    assert csv_delimiter("secteur\n") == ","


class TestBundled:
    def test_a_file_of_that_name_wins(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        assert bundled.resolve_rule_file("convention2024") == str(bundled.rulesets_dir() / "convention2024.rules")
        (tmp_path / "convention2024").write_text("x", encoding="utf-8")
        assert bundled.resolve_rule_file("convention2024") == "convention2024"
        assert bundled.resolve_rule_file("../convention2024") == "../convention2024"  # paths are never looked up
        assert bundled.resolve_facts("generaliste.json") == str(bundled.examples_dir() / "generaliste.json")

    def test_unknown_name_is_reported_as_a_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "eval", "convention2042", "--facts", "generaliste")
        assert code == 2 and "impossible de lire « convention2042 »" in err

    def test_init(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        code, out, _ = run(capsys, "init", str(tmp_path / "texte"))
        assert code == 0
        assert {p.name for p in (tmp_path / "texte").iterdir()} == {"avenant7.rules", "convention2024.rules",
                                                                    "lettres", "exemples"}
        assert (tmp_path / "texte/exemples/generaliste.json").is_file()
        assert "essayez : regles eval" in out
        code, _, err = run(capsys, "init", str(tmp_path / "texte"))
        assert code == 2 and "existe et n'est pas un dossier vide" in err


def test_cache_in_the_platform_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS and Windows: platformdirs' user cache directory; Linux: XDG, as before."""
    import platformdirs
    seen = []
    monkeypatch.setattr(platformdirs, "user_cache_dir", lambda name, appauthor: seen.append((name, appauthor)) or "/c")
    monkeypatch.setattr(sys, "platform", "darwin")
    assert privatecache.cache_dir() == Path("/c") and seen == [("regles", False)]
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert privatecache.cache_dir() == Path("/xdg/regles")
