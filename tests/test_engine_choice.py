"""The engine `regles batch` and `regles diff` run by default: `auto`, DuckDB wherever it evaluates the
job, Python elsewhere, without a word; `--moteur sql` asks for DuckDB and is told when it is not used.

The engine that evaluated a batch is observed where the user sees it: the last line of the summary
(`moteur SQL (DuckDB)` or `moteur Python`) and `Summary.engine`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, cast

import duckdb
import pytest

import engine.tools
from engine.cli.main import main
from engine.tools import batch, batch_job, impact_sql, sql_batch
from engine.tools.impact import Impact

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rulesets" / "convention2024.rules")
IMPACT = ROOT / "tests" / "cases" / "impact"
OLD, NEW = str(IMPACT / "ancien.rules"), str(IMPACT / "nouveau.rules")


@pytest.fixture(autouse=True)
def _default_engine(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No REGLES_MOTEUR from the caller's environment, a private rule-file cache, and every input
    large enough for `auto` to choose DuckDB (`test_small_input_runs_in_python` tests the size rule)."""
    monkeypatch.delenv("REGLES_MOTEUR", raising=False)
    monkeypatch.setattr(batch_job, "SMALL_INPUT_BYTES", 0)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


def _population(path: Path, rows: int = 20) -> Path:
    lines = (ROOT / "examples" / "population.csv").read_text(encoding="utf-8").splitlines()[:rows + 1]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _batch(capsys: pytest.CaptureFixture[str], rules: str, source: Path, *options: str) -> tuple[int, list[str]]:
    """The exit code and the lines of standard error of `regles batch`."""
    code = main(["batch", rules, "-i", str(source), "-o", str(source.parent / "out.csv"), "--workers", "1", *options])
    return code, capsys.readouterr().err.splitlines()


COPIED = f"regles batch : colonnes recopiées telles quelles, ce ne sont pas des faits de {RULES} : id"


def test_default_is_duckdb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`regles batch R --input P.csv --output R.csv` runs on DuckDB, and says so in its summary."""
    code, err = _batch(capsys, RULES, _population(tmp_path / "p.csv"))
    assert code == 0
    assert err[0] == COPIED
    assert err[1] == "20 lignes lues, 20 évaluées, 0 en erreur → " + str(tmp_path / "out.csv")
    assert err[-1].endswith(" lignes/s, moteur SQL (DuckDB)")
    assert batch.BatchJob(RULES, "p.csv", "r.csv").engine == "auto"


@pytest.mark.parametrize("margin, engine", [(1, "python"), (0, "sql")])
def test_small_input_runs_in_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, margin: int, engine: str) -> None:
    """`auto` leaves a CSV smaller than SMALL_INPUT_BYTES to the Python engine (faster there: DuckDB
    plans its query first), and gives DuckDB one of that size; a Parquet file always goes to DuckDB."""
    source = _population(tmp_path / "p.csv")
    monkeypatch.setattr(batch_job, "SMALL_INPUT_BYTES", source.stat().st_size + margin)
    summary = batch.run(batch.BatchJob(RULES, str(source), str(tmp_path / "o.csv")))
    assert (summary.engine, summary.read) == (engine, 20)
    assert batch_job.small_input(source) is (engine == "python")
    parquet = tmp_path / "p.parquet"
    parquet.write_bytes(b"PAR1")
    assert not batch_job.small_input(parquet)
    assert not batch_job.small_input(tmp_path / "absent.csv")


def test_threads_are_named_with_the_engine(tmp_path: Path) -> None:
    """`--workers 2` is two DuckDB threads on the SQL path, two processes on the Python path."""
    from engine.cli.commands.batch import _engine_words
    assert _engine_words("sql", 2) == "moteur SQL (DuckDB, 2 fils d'exécution)"
    assert _engine_words("python", 2) == "moteur Python (2 processus)"
    assert _engine_words("python", 1) == "moteur Python"
    summary = batch.run(batch.BatchJob(RULES, str(_population(tmp_path / "p.csv")), str(tmp_path / "o.csv"),
                                       workers=2))
    assert (summary.engine, summary.read) == ("sql", 20)


def test_explain_runs_in_python_without_a_word(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--explain` is written by the Python engine: by default nothing is said but the engine's name."""
    code, err = _batch(capsys, RULES, _population(tmp_path / "p.csv", 3), "--explain")
    assert code == 0
    assert err[0] == COPIED and not any("moteur SQL :" in line for line in err)
    assert err[-1].endswith(" lignes/s, moteur Python")
    assert "eligible__explication" in (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[0]


def test_explain_with_sql_asked_for_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--moteur sql --explain`: the user asked for DuckDB, so the fall-back is said."""
    code, err = _batch(capsys, RULES, _population(tmp_path / "p.csv", 3), "--explain", "--moteur", "sql")
    assert code == 0
    assert err[0] == ("regles batch : moteur SQL : les explications (--explain) sont écrites par le moteur Python ; "
                      "cette entrée est évaluée par le moteur Python")
    assert err[-1].endswith(" lignes/s, moteur Python")


def test_input_duckdb_does_not_read_falls_back_silently(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A quoted field needs the full CSV grammar: Python reads it, silently unless `sql` was asked for."""
    source = _population(tmp_path / "p.csv", 3)
    lines = source.read_text(encoding="utf-8").splitlines()
    source.write_text("\n".join([*lines, '"9999"' + lines[1][lines[1].index(","):]]) + "\n", encoding="utf-8")
    code, err = _batch(capsys, RULES, source)
    assert code == 0
    assert err[0] == COPIED and err[1].startswith("4 lignes lues, 4 évaluées")
    assert err[-1].endswith(" lignes/s, moteur Python")
    written = (tmp_path / "out.csv").read_text(encoding="utf-8")
    code, err = _batch(capsys, RULES, source, "--moteur", "sql")
    assert code == 0
    assert err[0] == (f"regles batch : moteur SQL : « {source} » contient des guillemets, des caractères nuls ou des "
                      "retours chariot isolés, que seul le lecteur CSV complet sait lire ; cette entrée est "
                      "évaluée par le moteur Python")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == written


def _sixty_three_facts(tmp_path: Path) -> tuple[str, Path]:
    """A rule file with one fact more than the SQL reads (62: a result's missing facts are a BIGINT bit set)."""
    rules = tmp_path / "grand.rules"
    rules.write_text('règles "Soixante-trois faits"\n\n' + "".join(f"fait f{i} : entier\nfin\n\n" for i in range(63))
                     + "résultat total : entier\n  = " + " + ".join(f"f{i}" for i in range(63)) + "\nfin\n",
                     encoding="utf-8")
    source = tmp_path / "faits.csv"
    source.write_text(",".join(f"f{i}" for i in range(63)) + "\n" + ",".join(str(i) for i in range(63)) + "\n"
                      + ",".join("1" for _ in range(62)) + ",\n", encoding="utf-8")
    return str(rules), source


def test_untranslated_rule_file_falls_back_silently(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A construct the SQL generator does not translate: `auto` evaluates in Python without a word; `sql`
    is refused, with the construct named and the way out."""
    rules, source = _sixty_three_facts(tmp_path)
    code, err = _batch(capsys, rules, source)
    assert code == 0
    assert err[0] == "2 lignes lues, 2 évaluées, 0 en erreur → " + str(tmp_path / "out.csv")
    assert err[-1].endswith(" lignes/s, moteur Python")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines() == [
        "ligne,total,total__statut,total__raison,faits_manquants", "2,1953,valeur,,",
        "3,,manquant,faits manquants : f62,f62"]
    code, err = _batch(capsys, rules, source, "--moteur", "sql")
    assert code == 2
    assert err == ["regles : moteur SQL : 63 faits déclarés : le SQL en lit au plus 62 ; relancez avec --moteur python"]


def test_untranslated_rule_file_is_told_before_duckdb_reads_the_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The query is generated before DuckDB reads a row: a rule file it does not translate goes to Python
    before DuckDB's reading of the input begins (which starts by taking the file's size)."""
    sized: list[str] = []
    size = sql_batch._size
    monkeypatch.setattr(sql_batch, "_size", lambda path: sized.append(path) or size(path))
    rules, source = _sixty_three_facts(tmp_path)
    code, err = _batch(capsys, rules, source)
    assert code == 0 and err[-1].endswith(" lignes/s, moteur Python")
    assert sized == []


def test_diff_of_an_untranslated_rule_file_reads_no_population_in_duckdb(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """`regles diff` generates both queries before DuckDB reads the population: an untranslated rule file
    goes to the Python path, with its reason under `sql`, without the population typed for nothing."""
    read: list[str] = []
    monkeypatch.setattr(impact_sql, "_facts", lambda *args: read.append("lu"))
    rules, source = _sixty_three_facts(tmp_path)
    ruleset = engine.load(rules)
    warned: list[str] = []
    impact = impact_sql.compare(ruleset, ruleset, source, engine="sql", warn=warned.append, eligibility="")
    assert read == []
    assert warned == ["moteur SQL : 63 faits déclarés : le SQL en lit au plus 62 ; la population est évaluée par "
                      "le moteur Python"]
    assert impact.rows == 2


def test_without_duckdb(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB is a dependency; where it is not installed, `auto` runs in Python and `sql` says what is missing."""
    monkeypatch.setitem(sys.modules, "duckdb", None)
    monkeypatch.delitem(sys.modules, "engine.tools.sql_batch", raising=False)
    monkeypatch.delattr(engine.tools, "sql_batch", raising=False)
    source = _population(tmp_path / "p.csv", 3)
    code, err = _batch(capsys, RULES, source)
    assert code == 0 and err[-1].endswith(" lignes/s, moteur Python")
    code, err = _batch(capsys, RULES, source, "--moteur", "sql")
    assert code == 2
    assert err == ["regles : le moteur SQL demande DuckDB, absent de cette installation : pip install duckdb"]


def test_without_sqlglot(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """sqlglot (the `[sql]` extra) is only for `regles sql --dialect spark|postgres|trino`: batch, diff and
    the DuckDB query run without it, and a dialect says in one line what to install."""
    monkeypatch.setitem(sys.modules, "sqlglot", None)
    monkeypatch.delitem(sys.modules, "engine.sql.rewrites", raising=False)
    code, err = _batch(capsys, RULES, _population(tmp_path / "p.csv", 3))
    assert code == 0 and err[-1].endswith(" lignes/s, moteur SQL (DuckDB)")
    assert main(["sql", RULES]) == 0
    assert capsys.readouterr().out.startswith(("SELECT", "WITH"))
    assert main(["sql", RULES, "--dialect", "spark"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "regles : le dialecte spark demande sqlglot : pip install 'regles[sql]'\n"


POPULATION = "id,groupe,periode,score,base\n1,a,2,60,1000\n2,b,2,70,2000\n3,a,4,45,500\n"


def test_diff_default_is_duckdb(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """`regles diff` counts a CSV population in DuckDB by default; a JSON Lines one in Python, silently,
    where `--moteur sql` says why."""
    calls: list[str] = []
    counted = impact_sql.compare_sql

    def spy(*args: Any, **options: Any) -> Impact:
        calls.append(str(args[2]))
        return counted(*args, **options)

    monkeypatch.setattr(impact_sql, "compare_sql", spy)
    population = tmp_path / "p.csv"
    population.write_text(POPULATION, encoding="utf-8")
    assert main(["diff", OLD, NEW, "--population", str(population), "--eligibilite", "ouvre_droit"]) == 0
    assert capsys.readouterr().err == ""
    assert calls == [str(population)]
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text('{"id": 1, "groupe": "a", "periode": 2, "score": 60, "base": 1000}\n', encoding="utf-8")
    assert main(["diff", OLD, NEW, "--population", str(jsonl), "--eligibilite", "ouvre_droit"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "1 ligne, 1 évaluée" in captured.out.replace("\u202f", " ").replace("\u00a0", " ")
    assert main(["diff", OLD, NEW, "--population", str(jsonl), "--eligibilite", "ouvre_droit", "--moteur", "sql"]) == 0
    assert capsys.readouterr().err == ("regles diff : moteur SQL : il ne lit que le CSV ; la population est évaluée "
                                       "par le moteur Python\n")


def test_a_fallback_warns_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON Lines whose copied column holds numbers, to JSON Lines: Python keeps their JSON type, so it
    evaluates the file; the warning about the copied column is given once, by the engine that runs."""
    source = tmp_path / "p.jsonl"
    source.write_text('{"id": 1, "specialite": "cardiologie"}\n{"id": 2}\n', encoding="utf-8")
    out = str(tmp_path / "out.jsonl")
    assert main(["batch", RULES, "-i", str(source), "-o", out]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == [COPIED, f"2 lignes lues, 2 évaluées, 0 en erreur → {out}"]
    assert err[-1].endswith(" lignes/s, moteur Python")
    assert main(["batch", RULES, "-i", str(source), "-o", out, "--moteur", "sql"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == ["regles batch : moteur SQL : une colonne recopiée contient des valeurs JSON qui ne sont pas des "
                       "textes ; cette entrée est évaluée par le moteur Python", COPIED]


class _Connection:
    """What `polled` uses of a DuckDB connection: settings, and the progress of the running query."""

    def __init__(self, estimates: list[float]) -> None:
        self.estimates = estimates
        self.settings: list[str] = []

    def execute(self, sql: str) -> None:
        self.settings.append(sql)

    def query_progress(self) -> float:
        return self.estimates.pop(0) if len(self.estimates) > 1 else self.estimates[0]


def test_progress_follows_duckdb_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    """While the query runs, the callback gets DuckDB's percentage and the rows it stands for: never
    before DuckDB has an estimate (-1), never backwards, never 100 % before the run ends."""
    import time

    from engine.tools import sql_progress
    monkeypatch.setattr(sql_progress, "POLL_SECONDS", 0.01)
    con = _Connection([-1.0, 0.0, 12.5, 40.2, 30.0, 100.0])
    calls: list[tuple[int, int, int]] = []
    with sql_progress.polled(cast(duckdb.DuckDBPyConnection, con), lambda *a: calls.append(a), 1000):
        time.sleep(0.3)
    assert calls == [(12, 100, 120), (40, 100, 400)]
    assert con.settings == ["SET enable_progress_bar = true", "SET enable_progress_bar_print = false"]
    with sql_progress.polled(cast(duckdb.DuckDBPyConnection, con), None, 1000):
        pass
    assert len(con.settings) == 2
