"""`regles diff --moteur sql`: the report computed by DuckDB is the Python path's, to the byte.

Both engines compare the same files on the same population, and the text and JSON reports are
compared whole (but for the run's duration): the 8 000 rows of examples/population.csv with the two
shipped rule files, and small populations with refused rows (malformed lines, values a file
refuses, blank lines), breakdowns, amounts and examples chosen by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine import api
from engine.cli.main import main
from engine.tools import impact as python_path
from engine.tools import impact_sql
from engine.tools.batch_job import BatchError
from engine.tools.impact_report import render_text, to_json

ROOT = Path(__file__).resolve().parent.parent
A7, C24 = str(ROOT / "rulesets" / "avenant7.rules"), str(ROOT / "rulesets" / "convention2024.rules")
IMPACT = ROOT / "tests" / "cases" / "impact"
OLD, NEW = str(IMPACT / "ancien.rules"), str(IMPACT / "nouveau.rules")


def reports(old: str, new: str, population: Path, **options: object) -> tuple[list[tuple[str, str]], list[str]]:
    """(Python, SQL) of the text and JSON reports, without their durations, and the SQL path's warnings."""
    a, b = api.load(old), api.load(new)
    warnings: list[str] = []
    shown = []
    for impact in (python_path.compare(a, b, population, **options),
                   impact_sql.compare(a, b, population, engine="sql", warn=warnings.append,
                                      **options)):
        data = to_json(impact, b)
        data.pop("seconds")
        text = "\n".join(line for line in render_text(impact, a, b).splitlines() if not line.startswith("Durée"))
        shown.append((text, json.dumps(data, ensure_ascii=False, indent=1)))
    return shown, warnings


def test_shipped_files_on_the_example_population() -> None:
    """avenant 7 → convention 2024 over 8 000 rows: the same report, line for line, with examples."""
    (python, sql), warnings = reports(A7, C24, ROOT / "examples" / "population.csv", examples=5)
    assert warnings == []
    assert "8 000 lignes, 8 000 évaluées" in python[0].replace("\u202f", " ").replace("\u00a0", " ")
    assert python[0].splitlines() == sql[0].splitlines()
    assert json.loads(python[1]) == json.loads(sql[1])


HEADER = "id,groupe,periode,score,base"
REFUSED = "\n".join([
    HEADER,
    "1,a,2,60,1000",
    "2,b,2,70,2000",
    "3,a,2,45,500",
    "4,b,2,95,3000",
    "",                  # blank: skipped by both
    ",,,,",              # every cell empty: blank too
    "5,a,3,80,400",
    "6,b,1,30,700",
    "7,a,2,10,800",
    "8,b,2,60,",
    "9,a,2,,100",
    "10,a,2,250,5000",
    "11,b,1,80,900",
    "12,b,4,60,1200",
    "13,c,2,60,100",     # groupe c: refused by both files
    "14,a,2",            # too few cells
    "15,a,2,60,1000,9",  # too many
    "16,a,deux,60,10",   # not a number
    "17, a ,2,60,1000.50",  # spaces around a cell; cents
    "18,a,2,60,12.345",  # more decimals than a cent
    "19,b,2,61,1000",
]) + "\n"


@pytest.mark.parametrize("options", [
    {"eligibility": "ouvre_droit", "by": ["groupe"], "examples": 3},
    {"eligibility": "ouvre_droit", "by": ["groupe", "periode"], "examples": 8},
    {"eligibility": "", "examples": 2},
    {"eligibility": "ouvre_droit", "examples": 0},
])
def test_refused_rows_cases_and_breakdowns(tmp_path: Path, options: dict[str, object]) -> None:
    """Rows refused by a file or malformed are listed with the Python path's reasons; every case, breakdown
    and example is the same."""
    population = tmp_path / "cas.csv"
    population.write_text(REFUSED, encoding="utf-8")
    (python, sql), warnings = reports(OLD, NEW, population, **options)
    assert warnings == []
    assert "écartée" in python[0] and "groupe" in python[0]
    assert python[0].splitlines() == sql[0].splitlines()
    assert python[1] == sql[1]


def test_a_number_beyond_64_bits(tmp_path: Path) -> None:
    """DuckDB first runs both queries on 64-bit integers: a square above 9.2 × 10^18 stops them, and the
    queries on 128 bits give the Python path's report (a square beyond 10²⁰ is *indéterminé* on both
    sides, the others change by one)."""
    rules = 'règles "Carrés {}"\n\nfait x : entier\nfin\n\nrésultat carre : entier\n  = x × x{}\nfin\n'
    old, new = tmp_path / "ancien.rules", tmp_path / "nouveau.rules"
    old.write_text(rules.format("anciens", ""), encoding="utf-8")
    new.write_text(rules.format("nouveaux", " + 1"), encoding="utf-8")
    population = tmp_path / "carres.csv"
    population.write_text("id,x\n1,3\n2,3037000500\n3,20000000000\n4,-7\n", encoding="utf-8")
    (python, sql), warnings = reports(str(old), str(new), population, eligibility="", examples=4)
    assert warnings == []
    assert "9223372037000250001" in python[1]
    assert python[0].splitlines() == sql[0].splitlines()
    assert python[1] == sql[1]


def test_lines_read_again_with_crlf_and_a_byte_order_mark(tmp_path: Path) -> None:
    """The refused rows and the examples are read again from the file, not kept by DuckDB: with a byte
    order mark and `\\r\\n` line ends, their lines and cells are the Python path's."""
    population = tmp_path / "crlf.csv"
    population.write_bytes(b"\xef\xbb\xbf" + REFUSED.replace("\n", "\r\n").encode("utf-8"))
    (python, sql), warnings = reports(OLD, NEW, population, eligibility="ouvre_droit", by=["groupe"], examples=8)
    assert warnings == []
    assert "l'en-tête en a 5" in python[0] and "ligne 17" in python[0]
    assert python[0].splitlines() == sql[0].splitlines()
    assert python[1] == sql[1]


def test_population_changed_between_readings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB reads the population, then some of its lines are read again: a file rewritten in between
    gives no report (it would mix two populations), but the batch's words, and no traceback."""
    population = tmp_path / "change.csv"
    population.write_text(REFUSED, encoding="utf-8")
    read_lines = impact_sql._lines

    def then_rewrite(*args: Any) -> str:
        delimiter = read_lines(*args)
        population.write_text(REFUSED.replace("\n", "\n\n"), encoding="utf-8")
        return delimiter

    monkeypatch.setattr(impact_sql, "_lines", then_rewrite)
    with pytest.raises(BatchError, match=r"« .*change\.csv » a changé pendant la lecture \(\d+ octets au début, "
                                         r"\d+ à la fin\) : aucun rapport n'est donné"):
        impact_sql.compare(api.load(OLD), api.load(NEW), population, engine="sql", eligibility="ouvre_droit")


def test_files_that_read_the_facts_differently(tmp_path: Path) -> None:
    """A new file that allows fewer scores than the old one: each file types the population itself, and
    a row only the new one refuses is set aside for both, as in Python."""
    source = Path(NEW).read_text(encoding="utf-8")
    assert "fait score : entier au moins 0 fin" in source
    bounded = tmp_path / "borne.rules"
    bounded.write_text(source.replace("fait score : entier au moins 0 fin",
                                      "fait score : entier parmi {10, 30, 45, 60, 61, 70, 80, 95} fin"), encoding="utf-8")
    assert not impact_sql._same_reading(api.load(OLD).program, api.load(str(bounded)).program)
    population = tmp_path / "cas.csv"
    population.write_text(REFUSED, encoding="utf-8")
    (python, sql), warnings = reports(OLD, str(bounded), population, eligibility="ouvre_droit", examples=3)
    assert warnings == []
    assert ("ligne 13 (id 10) : fait « score » : attendu l'une des valeurs 10, 30, 45, 60, 61, 70, 80, 95, "
            "reçu « 250 »") in python[0].replace("\u00a0", " ")
    assert python[0].splitlines() == sql[0].splitlines()
    assert python[1] == sql[1]


def test_memory_limit_too_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A limit DuckDB cannot work within: the comparison runs again without one, same report, no warning."""
    monkeypatch.setattr(impact_sql, "MEMORY_PER_THREAD", 1)
    limits: list[int | None] = []
    run = impact_sql._run

    def counted(*args: Any) -> python_path.Impact:
        limits.append(args[-1])
        return run(*args)
    monkeypatch.setattr(impact_sql, "_run", counted)
    population = tmp_path / "cas.csv"
    population.write_text(REFUSED, encoding="utf-8")
    (python, sql), warnings = reports(OLD, NEW, population, eligibility="ouvre_droit", by=["groupe"], examples=3)
    assert limits == [1, None]
    assert warnings == []
    assert python[1] == sql[1]


def test_refused_rows_of_the_shipped_files(tmp_path: Path) -> None:
    """Values the 2024 file refuses (unknown option, a date that is not one, a negative count) and a
    malformed line among rows of the example population."""
    rows = (ROOT / "examples" / "population.csv").read_text(encoding="utf-8").splitlines()[:301]
    header = rows[0].split(",")
    bad = [rows[5].split(","), rows[6].split(","), rows[7].split(",")]
    bad[0][header.index("option")] = "plein_temps"
    bad[1][header.index("date_signature")] = "2024-02-30"
    bad[2][header.index("file_active")] = "-3"
    population = tmp_path / "pop.csv"
    population.write_text("\n".join([*rows, *(",".join(b) for b in bad), "999,cardiologie"]) + "\n",
                          encoding="utf-8")
    (python, sql), warnings = reports(A7, C24, population)
    assert warnings == []
    assert "4 écartées" in python[0]
    assert python[0].splitlines() == sql[0].splitlines()
    assert python[1] == sql[1]


def test_population_the_sql_engine_does_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON Lines: the Python path evaluates it, and the command line says so."""
    population = tmp_path / "cas.jsonl"
    population.write_text('{"id": 1, "groupe": "a", "periode": 2, "score": 60, "base": 1000}\n', encoding="utf-8")
    code = main(["diff", OLD, NEW, "--population", str(population), "--eligibilite", "ouvre_droit",
                 "--moteur", "sql"])
    captured = capsys.readouterr()
    assert code == 0
    assert "moteur SQL : il ne lit que le CSV ; la population est évaluée par le moteur Python" in captured.err
    assert "1 ligne, 1 évaluée" in captured.out.replace("\u202f", " ").replace("\u00a0", " ")


def test_engine_from_the_environment(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """REGLES_MOTEUR chooses the engine as for `regles batch`; an unknown one is refused, named."""
    population = tmp_path / "cas.csv"
    population.write_text(REFUSED, encoding="utf-8")
    args = ["diff", OLD, NEW, "--population", str(population), "--eligibilite", "ouvre_droit", "--format", "json"]
    monkeypatch.setenv("REGLES_MOTEUR", "sql")
    assert main(args) == 0
    from_sql = json.loads(capsys.readouterr().out)
    assert main([*args, "--moteur", "python"]) == 0
    from_python = json.loads(capsys.readouterr().out)
    assert from_sql["bad_rows"] == from_python["bad_rows"] and len(from_sql["bad_rows"]) == 4
    monkeypatch.setenv("REGLES_MOTEUR", "gpu")
    assert main(args) == 2
    assert "moteur « gpu » inconnu (REGLES_MOTEUR ou --moteur) : auto, python, sql" in capsys.readouterr().err
