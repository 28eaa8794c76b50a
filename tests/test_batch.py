"""`regles batch`: CSV, JSON Lines and Parquet in and out, bad rows, order, and the command line."""

from __future__ import annotations

import csv
import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest

import engine
from engine.tools import batch
from engine.cli import main as cli
from engine.lang.results import Missing, Value
from engine.evaluate.trace import json_value, result_json

ROOT = Path(__file__).resolve().parent.parent
RULES = "rulesets/convention2024.rules"
POPULATION = ROOT / "examples" / "population.csv"


@pytest.fixture(autouse=True, params=["sql", "python"])
def _engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs on both batch engines: DuckDB wherever it reads the input (`sql`), and Python."""
    monkeypatch.setenv("REGLES_MOTEUR", request.param)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test module writes its rule-file cache in a temporary directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


def _sample(n: int = 120) -> list[dict[str, str]]:
    if not POPULATION.exists():
        pytest.skip("examples/population.csv absent (scripts/make_population.py)")
    with POPULATION.open(encoding="utf-8", newline="") as f:
        return list(itertools.islice(csv.DictReader(f), n))


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _expected_cells(outcome: engine.Outcome, name: str) -> tuple[object, str, object]:
    """(value, status, reason) as the batch writes them in JSON Lines."""
    r = outcome.results[name]
    if isinstance(r, Value):
        return result_json(r, outcome.ruleset.outputs[name].type)["value"], "valeur", None
    if isinstance(r, Missing):
        return None, "manquant", "faits manquants : " + ", ".join(sorted(r.facts))
    return None, {"not_applicable": "non applicable", "undetermined": "indéterminé"}[r.status], r.reason


def _run(*args: str) -> int:
    return cli.main(["batch", *args])


class TestRoundTrips:
    """Each format in and out, results equal to `Ruleset.evaluate` row by row, in input order."""

    def test_csv_equals_evaluate_row_by_row(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Every output cell of a CSV batch is what `Ruleset.evaluate` gives for that row."""
        rows = _sample()
        _write_csv(tmp_path / "in.csv", rows)
        assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv"),
                    "--workers", "1", "--chunk-rows", "17") == 0
        produced = _read_csv(tmp_path / "out.csv")
        ruleset = engine.load(RULES)
        assert [r["ligne"] for r in produced] == [str(i + 2) for i in range(len(rows))]
        assert [r["id"] for r in produced] == [r["id"] for r in rows]
        for row, out in zip(rows, produced):
            outcome = ruleset.evaluate({k: v or None for k, v in row.items() if k != "id"})
            for name in ruleset.program.outputs:
                value, status, reason = _expected_cells(outcome, name)
                shown = {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value
                assert (out[name] or None, out[f"{name}__statut"], out[f"{name}__raison"] or None) == \
                    (None if shown is None else str(shown), status, reason), (out["ligne"], name)
            assert (out["faits_manquants"] or "") == ", ".join(sorted(outcome.missing))
        assert "lignes lues" in capsys.readouterr().err

    def test_jsonl_in_and_out(self, tmp_path: Path) -> None:
        """JSON Lines in, JSON Lines out: JSON values, exact decimal strings, the same results."""
        rows = _sample(40)
        ruleset = engine.load(RULES)
        with (tmp_path / "in.jsonl").open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps({k: v for k, v in row.items() if v != ""}) + "\n")
        assert _run(RULES, "--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out.jsonl")) == 0
        produced = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
        assert [p["ligne"] for p in produced] == list(range(1, len(rows) + 1))
        for row, out in zip(rows, produced):
            outcome = ruleset.evaluate({k: v for k, v in row.items() if v != "" and k != "id"})
            for name in ruleset.program.outputs:
                assert (out[name], out[f"{name}__statut"], out[f"{name}__raison"]) == _expected_cells(outcome, name)
        money = [p["montant_maximal"] for p in produced if p["montant_maximal__statut"] == "valeur"]
        assert money and all(isinstance(m, str) and Decimal(m) >= 0 for m in money)

    def test_parquet_in_and_out(self, tmp_path: Path) -> None:
        """Parquet in, Parquet out: typed booleans, integers and dates; exact decimals as strings."""
        pa = pytest.importorskip("pyarrow")
        pq = pytest.importorskip("pyarrow.parquet")
        rows = _sample(60)
        _write_csv(tmp_path / "in.csv", rows)
        assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "ref.jsonl")) == 0
        table = pa.Table.from_pylist([{k: v or None for k, v in row.items()} for row in rows])
        pq.write_table(table, tmp_path / "in.parquet")
        assert _run(RULES, "--input", str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out.parquet"),
                    "--chunk-rows", "25") == 0
        produced = pq.read_table(tmp_path / "out.parquet")
        assert produced.schema.field("eligible").type == pa.bool_()
        assert produced.schema.field("objectif_mt").type == pa.int64()
        assert produced.schema.field("date_limite_declaration").type == pa.date32()
        assert produced.schema.field("montant_verse").type == pa.string()
        reference = [json.loads(line) for line in (tmp_path / "ref.jsonl").read_text(encoding="utf-8").splitlines()]
        for ref, out in zip(reference, produced.to_pylist()):
            assert out["ligne"] == ref["ligne"] - 1  # a Parquet row's rank, a CSV row's line
            for key, value in ref.items():
                if key != "ligne":
                    assert json_value(out[key]) == value, key

    def test_csv_to_parquet_and_jsonl_agree(self, tmp_path: Path) -> None:
        """The same input written as CSV, JSON Lines and Parquet holds the same cells."""
        pq = pytest.importorskip("pyarrow.parquet")
        rows = _sample(30)
        _write_csv(tmp_path / "in.csv", rows)
        for name in ("out.csv", "out.jsonl", "out.parquet"):
            assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / name)) == 0
        as_csv = _read_csv(tmp_path / "out.csv")
        as_json = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
        as_parquet = pq.read_table(tmp_path / "out.parquet").to_pylist()
        for c, j, p in zip(as_csv, as_json, as_parquet):
            for key in c:
                text = c[key] or None
                assert text == (None if j[key] is None else str(json_value(j[key])).replace("True", "true")
                                .replace("False", "false")), key
                assert json_value(p[key]) == j[key], key


class TestBadRows:
    """Bad rows are reported with their line and reason; the other rows are evaluated."""

    def test_bad_rows_are_reported_and_the_rest_processed(self, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
        """Bad facts, a short row and an impossible date go to the errors file with their line."""
        rows = _sample(6)
        _write_csv(tmp_path / "in.csv", rows)
        lines = (tmp_path / "in.csv").read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        bad_sector = rows[1] | {"secteur": "4"}
        bad_date = rows[2] | {"date_signature": "2024-02-30"}
        lines[2] = ",".join(bad_sector[c] for c in header)
        lines[3] = ",".join(bad_date[c] for c in header)
        lines[5] = "1,2,3"
        (tmp_path / "in.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        status = _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv"))
        assert status == cli.EXIT_USAGE
        errors = _read_csv(Path(str(tmp_path / "out.csv") + ".erreurs.csv"))
        assert [e["ligne"] for e in errors] == ["3", "4", "6"]
        assert "secteur" in errors[0]["raison"] and "« 4 »" in errors[0]["raison"]
        assert "date_signature" in errors[1]["raison"]
        assert errors[2]["raison"] == "ligne mal formée : 3 champs au lieu de 32"
        assert [r["ligne"] for r in _read_csv(tmp_path / "out.csv")] == ["2", "5", "7"]
        err = capsys.readouterr().err
        assert "6 lignes lues, 3 évaluées, 3 en erreur" in err

    def test_jsonl_bad_lines(self, tmp_path: Path) -> None:
        """Invalid JSON, a non-object, an unknown fact and bad encoding are reported; blank lines skipped."""
        good = json.dumps({"specialite": "cardiologie", "secteur": 1})
        (tmp_path / "in.jsonl").write_bytes(
            "\n".join([good, "{pas du json", "[1, 2]", "", json.dumps({"secteurr": 1}), good]).encode() + b"\n\xff\xfe\n")
        status = _run(RULES, "--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out.jsonl"),
                      "--errors", str(tmp_path / "err.jsonl"))
        assert status == cli.EXIT_USAGE
        errors = [json.loads(line) for line in (tmp_path / "err.jsonl").read_text(encoding="utf-8").splitlines()]
        assert [e["ligne"] for e in errors] == [2, 3, 5, 7]
        assert errors[0]["raison"].startswith("JSON invalide")
        assert "secteurr" in errors[2]["raison"] and "secteur" in errors[2]["raison"]
        assert "encodage" in errors[3]["raison"]
        produced = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
        assert [p["ligne"] for p in produced] == [1, 6]

    def test_quoted_newlines_keep_line_numbers_across_chunks(self, tmp_path: Path) -> None:
        """A quoted field holding a newline stays one row, and later rows keep their line numbers."""
        (tmp_path / "in.csv").write_text(
            'id,secteur,specialite\n"a\nb",1,cardiologie\nc,4,orl\n"d ""x""",2,orl\ne,1,orl\n', encoding="utf-8")
        _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv"), "--chunk-rows", "1")
        produced = _read_csv(tmp_path / "out.csv")
        assert [(r["ligne"], r["id"]) for r in produced] == [("2", "a\nb"), ("5", 'd "x"'), ("6", "e")]
        assert [e["ligne"] for e in _read_csv(tmp_path / "out.csv.erreurs.csv")] == ["4"]

    def test_semicolon_csv_and_bom(self, tmp_path: Path) -> None:
        """A spreadsheet's `;`-separated CSV with a byte-order mark is read."""
        (tmp_path / "in.csv").write_bytes("\ufeffsecteur;specialite;date_signature\n1;cardiologie;2024-07-01\n".encode())
        assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv")) == 0
        assert _read_csv(tmp_path / "out.csv")[0]["condition_secteur"] == "true"


class TestWorkersAndExplanations:
    """Worker processes keep the order; `--explain` adds each output's explanation."""

    def test_two_workers_write_what_one_writes(self, tmp_path: Path) -> None:
        """With 2 worker processes and small chunks, the output is byte for byte the same."""
        rows = _sample(300)
        _write_csv(tmp_path / "in.csv", rows)
        for workers in ("1", "2"):
            assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / f"out{workers}.csv"),
                        "--workers", workers, "--chunk-rows", "40") == 0
        assert (tmp_path / "out1.csv").read_bytes() == (tmp_path / "out2.csv").read_bytes()

    def test_explain_adds_explanations(self, tmp_path: Path) -> None:
        """`--explain` writes `O__explication` for every output, as `Outcome.explain` gives it."""
        rows = _sample(2)
        _write_csv(tmp_path / "in.csv", rows)
        assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv"), "--explain") == 0
        produced = _read_csv(tmp_path / "out.csv")
        ruleset = engine.load(RULES)
        outcome = ruleset.evaluate({k: v or None for k, v in rows[0].items() if k != "id"})
        assert produced[0]["eligible__explication"] == outcome.explain("eligible")
        assert produced[0]["montant_verse__explication"] == outcome.explain("montant_verse")

    def test_explanations_are_not_kept_after_their_rows(self, tmp_path: Path) -> None:
        """Memory does not grow with the file under `--explain`: nothing of a row's explanations (some
        90 KB a row) is still allocated once its chunk is written."""
        import gc
        import tracemalloc
        rows = _sample(160)
        _write_csv(tmp_path / "warm.csv", rows[:40])
        _write_csv(tmp_path / "in.csv", rows[40:])
        # a first run loads and compiles what is kept on purpose (the program, its sites, caches)
        batch.run(batch.BatchJob(RULES, str(tmp_path / "warm.csv"), str(tmp_path / "warm.out.csv"), explain=True))
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            batch.run(batch.BatchJob(RULES, str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), explain=True))
            gc.collect()
            kept = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        written = (tmp_path / "out.csv").stat().st_size
        assert written > 120 * 20_000  # the explanations were written
        assert kept < written / 4, f"{kept} bytes still allocated after writing {written}"

    def test_progress_bar_on_request(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`--progress` shows a progress bar on standard error even when it is not a terminal."""
        _write_csv(tmp_path / "in.csv", _sample(10))
        assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv"), "--progress") == 0
        assert "lignes/s" in capsys.readouterr().err

    def test_library_summary(self, tmp_path: Path) -> None:
        """`engine.tools.batch.run` returns the counts, by status of the headline result `eligible`."""
        _write_csv(tmp_path / "in.csv", _sample(50))
        summary = batch.run(batch.BatchJob(RULES, str(tmp_path / "in.csv"), str(tmp_path / "out.csv")))
        assert (summary.read, summary.evaluated, summary.errors) == (50, 50, 0)
        assert summary.headline == "eligible" and sum(summary.headline_counts.values()) == 50 and summary.copied_columns == ("id",)


class TestCsvCells:
    """The CSV writer's quoting, cached."""

    @pytest.mark.parametrize("text", ["", "simple", "a,b", 'a"b', "a\nb", "a\rb", " espace ", "é, è", '"', "a\r\nb"])
    def test_csv_cell_reads_back_and_is_csv_writer(self, text: str) -> None:
        """A cell reads back as its text among other cells, and is written as `csv.writer` writes it, but for
        a bare carriage return: `csv.writer` (lines ending in `\\n`) leaves it unquoted, and a reader then
        cuts the row in two there; it is quoted (as DuckDB's engine writes it)."""
        import io
        line = batch.csv_cell(text) + ",x\n"
        assert next(csv.reader(io.StringIO(line, newline=""))) == [text, "x"]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([text, "x"])
        if text == "a\rb":
            assert line == '"a\rb",x\n' != buffer.getvalue()
            assert list(csv.reader(io.StringIO(buffer.getvalue(), newline=""))) == [["a"], ["b", "x"]]  # cut in two
        else:
            assert line == buffer.getvalue()


class TestCommandLine:
    """Bad arguments give a French message and exit 2, never a traceback."""

    @pytest.mark.parametrize(("args", "message"), [
        ([RULES, "--output", "x.csv"], "arguments obligatoires manquants : -i/--entree"),
        ([RULES, "--input", "x.csv"], "arguments obligatoires manquants : -o/--sortie"),
        ([RULES, "--input", "{csv}", "--output", "out.txt"], "format de la sortie inconnu"),
        ([RULES, "--input", "{tmp}/in.xlsx", "--output", "{tmp}/o.csv"], "format de l'entrée inconnu"),
        ([RULES, "--input", "{tmp}/absent.csv", "--output", "{tmp}/o.csv"], "fichier d'entrée introuvable"),
        ([RULES, "--input", "{csv}", "--output", "{csv}"], "écraserait un fichier lu"),
        ([RULES, "--input", "{csv}", "--output", "{tmp}/o.csv", "--workers", "0"], "au moins 1"),
        ([RULES, "--input", "{csv}", "--output", "{tmp}/o.csv", "--workers", "deux"], "valeur invalide"),
        ([RULES, "--input", "{csv}", "--output", "{tmp}/o.csv", "--errors", "{tmp}/e.txt"], "extension .csv ou .jsonl"),
        ([RULES, "--input", "{csv}", "--output", "{tmp}/nulle/part/o.csv"], "impossible d'écrire"),
        (["absent.rules", "--input", "{csv}", "--output", "{tmp}/o.csv"], "impossible de lire « absent.rules »"),
    ])
    def test_bad_arguments(self, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                           message: str) -> None:
        """Each mistake is named in French, with exit code 2."""
        (tmp_path / "in.csv").write_text("secteur\n1\n", encoding="utf-8")
        (tmp_path / "in.xlsx").write_text("", encoding="utf-8")
        filled = [a.format(tmp=tmp_path, csv=tmp_path / "in.csv") for a in args]
        assert _run(*filled) == cli.EXIT_USAGE
        err = capsys.readouterr().err
        assert message in err
        assert "Traceback" not in err

    def test_rule_file_with_errors_exits_1(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A rule file that does not check is reported as such (exit 1)."""
        (tmp_path / "bad.rules").write_text('règles "x"\nrésultat r : booléen = inconnu fin\n', encoding="utf-8")
        (tmp_path / "in.csv").write_text("a\n1\n", encoding="utf-8")
        assert _run(str(tmp_path / "bad.rules"), "--input", str(tmp_path / "in.csv"),
                    "--output", str(tmp_path / "o.csv")) == cli.EXIT_RULES
        assert "Traceback" not in capsys.readouterr().err

    def test_columns_that_are_not_facts_are_copied_with_a_warning(self, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
        """A column that is not a fact is copied through, and named on standard error with a hint."""
        (tmp_path / "in.csv").write_text("dossier,secteurr,secteur\nA-1,1,1\n", encoding="utf-8")
        assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "o.csv")) == 0
        out = _read_csv(tmp_path / "o.csv")[0]
        assert (out["dossier"], out["secteurr"]) == ("A-1", "1")
        err = capsys.readouterr().err
        assert "dossier, secteurr" in err and "secteur" in err

    def test_input_column_named_like_a_result_column(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An input column named `ligne` (or like a result column) is refused rather than duplicated."""
        (tmp_path / "in.csv").write_text("ligne,secteur\n1,1\n", encoding="utf-8")
        assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "o.csv")) == cli.EXIT_USAGE
        assert "ligne : nom de colonne déjà pris par les résultats" in capsys.readouterr().err

    def test_empty_input(self, tmp_path: Path) -> None:
        """An empty file gives an output with its header only."""
        (tmp_path / "in.csv").write_text("", encoding="utf-8")
        assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "o.csv")) == 0
        assert _read_csv(tmp_path / "o.csv") == []
