"""The SQL engine's results file written by ranges of rows (`engine.tools.sql_output`).

- The ranges are contiguous, in order, and cover every row; a small table is one range.
- Written by several ranges, the CSV and JSON Lines files of the 8 000 rows of examples/population.csv
  are those of one COPY and of the Python engine, byte for byte, with the same counts, and no part
  file is left.
- A range that cannot be written stops the run with the French error, leaving no file; a signal stops
  every range and removes the parts.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import pytest

from engine.sql.code import text
from engine.tools import batch, batch_output, sql_output
from engine.tools.batch_job import PARTIAL_SUFFIX, BatchError

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rulesets" / "convention2024.rules")
POPULATION = ROOT / "examples" / "population.csv"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGLES_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def test_ranges_cover_every_row_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """One range per thread when each has enough rows, else fewer; contiguous from 0 to the last row, the
    first 0.9 of each other's size (it is written into the output itself and ends first: the others are
    appended meanwhile)."""
    monkeypatch.setattr(sql_output, "RANGE_MIN_ROWS", 10)
    assert sql_output.ranges(100, 3) == [(0, 31), (31, 66), (66, 100)]
    assert sql_output.ranges(25, 4) == [(0, 12), (12, 25)]
    assert sql_output.ranges(9, 4) == [(0, 9)]
    assert sql_output.ranges(0, 2) == [(0, 0)]


def _run(tmp_path: Path, extension: str, workers: int, name: str, engine: str = "sql") -> tuple[bytes, batch.Summary]:
    out = tmp_path / f"{name}.{extension}"
    summary = batch.run(batch.BatchJob(RULES, str(POPULATION), str(out), workers=workers, engine=engine))
    return out.read_bytes(), summary


@pytest.mark.parametrize("extension", ["csv", "jsonl"])
def test_ranges_write_the_file_of_one_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extension: str) -> None:
    """8 000 rows in 3 ranges: the bytes of one COPY (and for CSV of the Python engine: one header), the same
    counts; DuckDB's JSON Lines spaces its objects otherwise, with the same values."""
    python, python_summary = _run(tmp_path, extension, 1, "python", engine="python")
    one, one_summary = _run(tmp_path, extension, 3, "une")
    monkeypatch.setattr(sql_output, "RANGE_MIN_ROWS", 1000)
    assert sql_output.ranges(8000, 3) == [(0, 2483), (2483, 5241), (5241, 8000)]
    parts, summary = _run(tmp_path, extension, 3, "parts")
    assert parts == one
    if extension == "csv":
        assert parts == python
    else:
        assert [json.loads(line) for line in parts.splitlines()] == [json.loads(line) for line in python.splitlines()]
    assert (summary.evaluated, summary.headline_counts) == (one_summary.evaluated, one_summary.headline_counts) \
        == (8000, python_summary.headline_counts)
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(PARTIAL_SUFFIX)]


def test_cells_quoted_in_the_query_as_the_python_engine_quotes_them(tmp_path: Path) -> None:
    """The query builds each CSV line (`sql_output.csv_lines`): a text output, a copied value or a column
    name holding a comma, a quote, a line feed or a carriage return is quoted, its quotes doubled, on both
    engines alike, and the file reads back as the rows it was given (a bare carriage return would end the
    line for a reader)."""
    rules = tmp_path / "r.rules"
    rules.write_text('règles "Textes"\n\nfait t : texte\nfin\n\nrésultat r : texte\n  = t\nfin\n', encoding="utf-8")
    texts = ["simple", 'virgule, et "guillemets"', "ligne\nsuivante", "retour\rchariot", '"', ","]
    rows: list[dict[str, str]] = [{"t": t} for t in texts]
    rows[0].update({"nom, prénom": "Dupont, Jean", 'cote"': 'a"b', "cr\rnom": "x\ry"})
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [*rows, {}]) + "\n", encoding="utf-8")
    written = {}
    for engine in ("python", "sql"):
        out = tmp_path / f"{engine}.csv"
        summary = batch.run(batch.BatchJob(str(rules), str(source), str(out), engine=engine))
        assert summary.engine == engine
        written[engine] = out.read_bytes()
    assert written["sql"] == written["python"]
    with io.StringIO(written["sql"].decode("utf-8"), newline="") as text:
        read = list(csv.reader(text))
    assert read[0] == ["ligne", "nom, prénom", 'cote"', "cr\rnom", "r", "r__statut", "r__raison", "faits_manquants"]
    assert [row[4] for row in read[1:]] == [*texts, ""]
    assert read[1][1:4] == ["Dupont, Jean", 'a"b', "x\ry"]
    assert read[-1][5:] == ["manquant", "faits manquants : t", "t"]


def test_a_range_that_cannot_be_written_stops_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part DuckDB cannot write (here a folder) is the French write error; no file is left."""
    monkeypatch.setattr(sql_output, "RANGE_MIN_ROWS", 1000)
    created: list[Path] = []

    def folder(final: str) -> str:
        created.append(Path(final + ".dossier" + PARTIAL_SUFFIX))
        created[-1].mkdir()
        return str(created[-1])

    monkeypatch.setattr(sql_output, "_create", folder)
    out = tmp_path / "out.csv"
    with pytest.raises(BatchError, match=r"impossible d'écrire « .*out\.csv »"):
        batch.run(batch.BatchJob(RULES, str(POPULATION), str(out), workers=2, engine="sql"))
    assert len(created) == 1
    for path in created:
        path.rmdir()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(("module", "name"), [(batch_output, "_sync"), (sql_output, "_move")])
def test_a_full_disk_stops_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: object,
                                   name: str) -> None:
    """A full disk, met when the files are flushed at the end (`_sync`) or when a part's bytes come through
    its named pipe (`_move`: the thread that writes them into the part file stops every COPY rather than
    leave DuckDB waiting on a full pipe), is the French write error; the counts are not given, and no file
    is left, neither results nor errors nor a temporary one."""
    monkeypatch.setattr(sql_output, "RANGE_MIN_ROWS", 1000)
    met: list[tuple[object, ...]] = []

    def full(*args: object) -> None:
        met.append(args)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(module, name, full)
    out = tmp_path / "out.csv"
    with pytest.raises(BatchError, match=r"impossible d'écrire « .*(out\.csv|erreurs\.csv) » : .*plein"):
        batch.run(batch.BatchJob(RULES, str(POPULATION), str(out), workers=3, engine="sql"))
    assert met
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_without_named_pipes_duckdb_writes_the_parts_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no named pipe can be made (Windows, a temporary folder that refuses one), each part is written
    by DuckDB into its file and still appended as it grows: the same file, and no temporary folder left."""
    monkeypatch.setattr(sql_output, "RANGE_MIN_ROWS", 1000)
    expected, _ = _run(tmp_path, "csv", 3, "avec")

    def refused(path: str, mode: int = 0o666) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "mkfifo", refused)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "temporaire"))
    (tmp_path / "temporaire").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)
    written, summary = _run(tmp_path, "csv", 3, "sans")
    assert written == expected and summary.evaluated == 8000
    assert list((tmp_path / "temporaire").iterdir()) == []


def test_a_signal_stops_every_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A signal during the writing interrupts each range's COPY, and the parts are removed."""
    monkeypatch.setattr(sql_output, "RANGE_MIN_ROWS", 1000)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("CREATE TABLE t AS SELECT range AS n FROM range(3000000)")
    caught: list[str] = []

    def copy(path: str, header: bool) -> str:
        return (f"COPY (SELECT n, repeat('x', 200) AS y FROM t WHERE {sql_output.RANGE}) TO {text(path)} "
                f"(FORMAT CSV, HEADER {str(header).lower()})")

    def signal() -> None:  # what `engine.tools.sql_batch`'s handler does
        caught.append("SIGINT")
        con.interrupt()

    output = tmp_path / "out.csv"
    output.touch()
    timer = threading.Timer(0.3, signal)
    timer.start()
    try:
        with pytest.raises(duckdb.InterruptException):
            sql_output.write(con, copy, "t", str(output), str(tmp_path / "final.csv"), caught)
    finally:
        timer.cancel()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    assert con.execute("SELECT current_setting('threads')").fetchone() == (2,)


@pytest.mark.parametrize("extension", ["csv", "jsonl", "parquet"])
def test_headline_counts_are_the_python_engines(tmp_path: Path, extension: str) -> None:
    """The summary's headline counts, taken as the CSV lines are formed or read back from a JSON Lines or
    Parquet output, are the Python engine's, row for row of the population."""
    counts = {name: batch.run(batch.BatchJob(RULES, str(POPULATION), str(tmp_path / f"{name}.{extension}"),
                                             engine=name)).headline_counts
              for name in ("python", "sql")}
    assert counts["sql"] == counts["python"] and sum(counts["sql"].values()) == 8000
    assert set(counts["sql"]) == {"true", "false", "not_applicable"}


def test_a_part_is_appended_while_its_copy_writes_it(tmp_path: Path) -> None:
    """Once the first range is in the output, each later part is appended as its COPY writes it (the disk
    takes it meanwhile), in order, whole, then handed to the removal; here the writer of the part sees the
    output grow before it writes its last piece."""
    out, part = tmp_path / "sortie.csv", tmp_path / "partie.csv"
    out.write_bytes(b"en-tete\n")
    part.write_bytes(b"")
    pieces = [f"ligne {i}\n".encode() * 500 for i in range(20)]
    grown: list[int] = []

    def writer() -> None:
        with open(part, "ab") as f:
            for piece in pieces[:-1]:
                f.write(piece)
                f.flush()
                time.sleep(0.005)
            deadline = time.monotonic() + 10
            while out.stat().st_size == len(b"en-tete\n") and time.monotonic() < deadline:
                time.sleep(0.005)
            grown.append(out.stat().st_size)
            f.write(pieces[-1])

    worker = threading.Thread(target=writer)
    worker.start()
    removed: list[str] = []
    sql_output._follow(str(out), [str(part)], [worker], [], lambda: None, removed.append)
    assert out.read_bytes() == b"en-tete\n" + b"".join(pieces)
    assert grown and grown[0] > len(b"en-tete\n")
    assert removed == [str(part)]
