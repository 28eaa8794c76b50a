"""`regles batch` loses nothing and leaves nothing half-written that looks finished.

Regression tests for issue 13, items 3 and 9: a malformed CSV record costs one error row and
reading resumes at the next line; every line is accounted for; the output is written under a
`.partiel` name and renamed when complete; a full disk, SIGTERM, SIGINT and SIGKILL leave no file
under the final names.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.cli import main as cli
from engine.tools import batch, batch_output
from engine.tools.batch_input import _Input
from engine.tools.batch_output import _Output
from engine.tools.batch_rows import _Rows
from engine.tools.sql_tally import HeadlineTally

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rulesets" / "convention2024.rules")
POPULATION = ROOT / "examples" / "population.csv"


@pytest.fixture(autouse=True, params=["sql", "python"])
def _engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs on both batch engines: DuckDB wherever it reads the input (`sql`), and Python."""
    monkeypatch.setenv("REGLES_MOTEUR", request.param)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test module writes its rule-file cache in a temporary directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


def _population(n: int) -> list[str]:
    """The header and the first `n` data lines of examples/population.csv (repeated past its end)."""
    if not POPULATION.exists():
        pytest.skip("examples/population.csv absent (scripts/make_population.py)")
    lines = POPULATION.read_text(encoding="utf-8").splitlines()
    data = lines[1:]
    return [lines[0]] + [data[i % len(data)] for i in range(n)]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _run(*args: str) -> int:
    return cli.main(["batch", *args])


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(batch.PARTIAL_SUFFIX))


def _field(line: str, index: int, change) -> str:  # type: ignore[no-untyped-def]
    cells = line.split(",")
    cells[index] = change(cells[index])
    return ",".join(cells)


class TestMalformedRecordsCostOneRow:
    """Item 3: one bad record is one error row, with its line, and reading resumes at the next line."""

    def test_one_unbalanced_quote_in_ten_rows(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The issue's minimal case: 9 rows written, 1 error, 10 lines accounted for."""
        lines = _population(10)
        lines[3] = _field(lines[3], 1, lambda c: '"' + c)  # `"cardiologie,1,…` never closed
        source = _write(tmp_path / "in.csv", lines)
        assert _run(RULES, "--input", str(source), "--output", str(tmp_path / "out.csv")) == cli.EXIT_USAGE
        written = _read_csv(tmp_path / "out.csv")
        errors = _read_csv(tmp_path / "out.csv.erreurs.csv")
        assert [r["ligne"] for r in written] == ["2", "3", "5", "6", "7", "8", "9", "10", "11"]
        assert [r["id"] for r in written] == ["1", "2", "4", "5", "6", "7", "8", "9", "10"]
        assert errors == [{"ligne": "4", "raison": "guillemet non refermé sur cette ligne ; "
                                                   "la lecture reprend à la ligne suivante"}]
        assert "10 lignes lues, 9 évaluées, 1 en erreur" in capsys.readouterr().err

    def test_two_stray_quotes_do_not_join_the_lines_between(self, tmp_path: Path) -> None:
        """A quote opening a cell on line 4 and one closing the same cell on line 8 would make one record
        of 32 cells swallowing lines 5 to 7: the lines inside are records by themselves, so each line
        is read alone, and lines 5 to 7 are rows."""
        lines = _population(10)
        lines[3] = _field(lines[3], 1, lambda c: '"' + c)
        lines[7] = _field(lines[7], 1, lambda c: c + '"')
        source = _write(tmp_path / "in.csv", lines)
        summary = batch.run(batch.BatchJob(RULES, str(source), str(tmp_path / "out.csv")))
        assert (summary.read, summary.evaluated, summary.errors, summary.lines, summary.multiline) == (10, 8, 2, 10, 0)
        errors = _read_csv(tmp_path / "out.csv.erreurs.csv")
        assert [e["ligne"] for e in errors] == ["4", "8"]
        assert errors[0]["raison"].startswith("guillemet non refermé")
        damaged = lines[7].split(",")[1]
        assert "fait « specialite »" in errors[1]["raison"] and f"reçu « {damaged} »" in errors[1]["raison"]
        assert damaged.endswith('"')  # read alone, the quote is a literal character of the cell
        assert [r["ligne"] for r in _read_csv(tmp_path / "out.csv")] == ["2", "3", "5", "6", "7", "9", "10", "11"]

    def test_quote_closed_on_the_next_line_with_the_wrong_width(self, tmp_path: Path) -> None:
        """A quoted field opened in cell 6 of line 3 and closed in cell 20 (date_signature) of line 4
        would make a record of 18 cells: line 3 is an error and line 4 is read alone (its quote is
        then a literal)."""
        lines = _population(8)
        lines[2] = _field(lines[2], 5, lambda c: '"' + c)
        lines[3] = _field(lines[3], 19, lambda c: c + '"')
        source = _write(tmp_path / "in.csv", lines)
        summary = batch.run(batch.BatchJob(RULES, str(source), str(tmp_path / "out.csv"), chunk_rows=2))
        assert (summary.read, summary.evaluated, summary.errors, summary.lines) == (8, 6, 2, 8)
        errors = _read_csv(tmp_path / "out.csv.erreurs.csv")
        assert [e["ligne"] for e in errors] == ["3", "4"]
        assert errors[0]["raison"].startswith("guillemet non refermé") and "date_signature" in errors[1]["raison"]
        assert [r["ligne"] for r in _read_csv(tmp_path / "out.csv")] == ["2", "5", "6", "7", "8", "9"]

    def test_a_real_multiline_record_is_still_one_row(self, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
        """A quoted field holding a newline, in a record of the header's width, stays one row, and the
        summary says how many lines it took."""
        (tmp_path / "in.csv").write_text('id,secteur\n"a\nb\n\nc",1\nd,1\n\n', encoding="utf-8")
        assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv")) == 0
        assert [(r["ligne"], r["id"]) for r in _read_csv(tmp_path / "out.csv")] == [("2", "a\nb\n\nc"), ("6", "d")]
        err = capsys.readouterr().err
        assert "2 lignes lues, 2 évaluées, 0 en erreur" in err
        assert "6 lignes de données dans le fichier : 1 ligne sur plusieurs lignes du fichier" in err
        assert "1 ligne vide ignorée" in err

    def test_lines_that_all_leave_a_quote_open_cost_linear_work(self, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
        """3 000 lines that each leave a quoted field open (`a"b,"…`, two quotes, 31 cells) are 3 000
        error rows, and the reader looks ahead at a bounded number of lines per line read, not up to
        MAX_RECORD_LINES each (which took 10 ms a line)."""
        lines = _population(3000)
        lines[1:] = ['a"b,"' + line.split(",", 2)[2] for line in lines[1:]]
        source = _write(tmp_path / "in.csv", lines)
        looked = []
        original = _Input._full_width
        monkeypatch.setattr(_Input, "_full_width", lambda self, raw: looked.append(raw) or original(self, raw))
        summary = batch.run(batch.BatchJob(RULES, str(source), str(tmp_path / "out.csv")))
        assert (summary.read, summary.errors, summary.lines) == (3000, 3000, 3000)
        assert len(looked) <= batch.LOOKAHEAD_PER_LINE * 3000 + batch.MAX_RECORD_LINES
        assert {e["raison"] for e in _read_csv(tmp_path / "out.csv.erreurs.csv")} == {batch.UNCLOSED_QUOTE}

    def test_wrong_field_counts(self, tmp_path: Path) -> None:
        """Missing and extra cells, and a quoted comma that adds one, are each one error row."""
        lines = _population(6)
        lines[1] = lines[1].rsplit(",", 1)[0]  # 31 cells
        lines[2] = lines[2] + ",en trop"  # 33 cells
        lines[4] = _field(lines[4], 10, lambda c: f'"{c},x"')  # one quoted cell: still 32
        lines[5] = lines[5].replace(",", ";", 3)  # 29 cells
        source = _write(tmp_path / "in.csv", lines)
        summary = batch.run(batch.BatchJob(RULES, str(source), str(tmp_path / "out.csv")))
        errors = _read_csv(tmp_path / "out.csv.erreurs.csv")
        assert [(e["ligne"], e["raison"]) for e in errors] == [
            ("2", "ligne mal formée : 31 champs au lieu de 32"),
            ("3", "ligne mal formée : 33 champs au lieu de 32"),
            ("5", errors[2]["raison"]),
            ("6", "ligne mal formée : 29 champs au lieu de 32")]
        assert "date_naissance" in errors[2]["raison"]  # the quoted cell was read as one cell, and is not a date
        assert [r["ligne"] for r in _read_csv(tmp_path / "out.csv")] == ["4", "7"]
        assert (summary.read, summary.evaluated + summary.errors) == (6, 6)

    def test_invalid_utf8(self, tmp_path: Path) -> None:
        """Latin-1 bytes, a cut multi-byte sequence, and a NUL are error rows; the rows around them are read."""
        lines = [line.encode("utf-8") for line in _population(6)]
        lines[2] = lines[2].replace(b"hors_zone", "hors_zoné".encode("latin-1"))
        lines[3] = lines[3].replace(b"hors_zone", "hors_zoné".encode()[:-1] + b"x")
        lines[4] = lines[4].replace(b"hors_zone", b'"hors\x00zone"')
        (tmp_path / "in.csv").write_bytes(b"\n".join(lines) + b"\n")
        summary = batch.run(batch.BatchJob(RULES, str(tmp_path / "in.csv"), str(tmp_path / "out.csv")))
        errors = _read_csv(tmp_path / "out.csv.erreurs.csv")
        assert [e["ligne"] for e in errors] == ["3", "4", "5"]
        assert errors[0]["raison"] == errors[1]["raison"] == "encodage invalide : le fichier doit être en UTF-8"
        assert errors[2]["raison"].startswith("caractère nul dans la ligne")
        assert (summary.read, summary.evaluated, summary.errors) == (6, 3, 3)

    @pytest.mark.parametrize(("cut", "reason"), [
        (lambda line: line[:40], "ligne mal formée"),
        (lambda line: _field(line, 1, lambda c: '"' + c)[:40], "guillemet non refermé"),
    ])
    def test_truncated_last_line(self, tmp_path: Path, cut, reason: str) -> None:  # type: ignore[no-untyped-def]
        """A file cut in its last line, with or without an open quote, ends on one error row."""
        lines = _population(5)
        text = "\n".join(lines[:-1] + [cut(lines[-1])])  # no final newline
        (tmp_path / "in.csv").write_text(text, encoding="utf-8")
        summary = batch.run(batch.BatchJob(RULES, str(tmp_path / "in.csv"), str(tmp_path / "out.csv")))
        errors = _read_csv(tmp_path / "out.csv.erreurs.csv")
        assert [e["ligne"] for e in errors] == ["6"] and errors[0]["raison"].startswith(reason)
        assert (summary.read, summary.evaluated, summary.errors, summary.lines) == (5, 4, 1, 5)

    def test_stray_quote_after_a_closed_field_is_said_in_french(self, tmp_path: Path) -> None:
        """`"ab"c` is malformed: the reason is French, not the csv module's English."""
        (tmp_path / "in.csv").write_text('id,secteur\n"ab"c,1\nd,1\n', encoding="utf-8")
        batch.run(batch.BatchJob(RULES, str(tmp_path / "in.csv"), str(tmp_path / "out.csv")))
        errors = _read_csv(tmp_path / "out.csv.erreurs.csv")
        assert errors[0]["ligne"] == "2" and errors[0]["raison"].startswith("guillemet mal placé")
        assert [r["id"] for r in _read_csv(tmp_path / "out.csv")] == ["d"]

    def test_unreadable_header_is_a_french_error(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A header with a quote never closed stops the run before any output, with exit 2."""
        (tmp_path / "in.csv").write_text('id,"secteur\n1,1\n', encoding="utf-8")
        assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv")) == cli.EXIT_USAGE
        assert "ligne 1 : en-tête illisible : guillemet non refermé" in capsys.readouterr().err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]

    def test_utf16_file_is_refused_at_its_header(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A UTF-16 file (NUL bytes between the letters) is refused with a French error, not read as
        rows of unknown columns."""
        (tmp_path / "in.csv").write_bytes("\n".join(_population(3)).encode("utf-16-le"))
        assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv")) == cli.EXIT_USAGE
        assert "ligne 1 : en-tête illisible : caractère nul dans la ligne (fichier binaire, ou encodé en UTF-16 ?)" \
            in capsys.readouterr().err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]

    def test_jsonl_deep_nesting_is_an_error_row(self, tmp_path: Path) -> None:
        """A JSON line nested 100 000 deep is an error row, not an internal error."""
        good = json.dumps({"secteur": 1})
        (tmp_path / "in.jsonl").write_text("\n".join([good, "[" * 100_000, good, "{pas du json"]) + "\n",
                                           encoding="utf-8")
        summary = batch.run(batch.BatchJob(RULES, str(tmp_path / "in.jsonl"), str(tmp_path / "out.jsonl")))
        errors = _read_csv(tmp_path / "out.jsonl.erreurs.csv")
        assert [(e["ligne"], e["raison"][:30]) for e in errors] == [
            ("2", "JSON invalide : imbrication tr"), ("4", "JSON invalide : Expecting prop")]
        assert (summary.read, summary.evaluated, summary.errors, summary.lines) == (4, 2, 2, 4)

    def test_parquet_rows_are_accounted_for(self, tmp_path: Path) -> None:
        """Parquet: every row read is written or an error; a damaged file stops with a French error
        and no output."""
        pa = pytest.importorskip("pyarrow")
        pq = pytest.importorskip("pyarrow.parquet")
        table = pa.Table.from_pylist([{"id": str(i), "secteur": "1" if i % 3 else "9"} for i in range(50)])
        pq.write_table(table, tmp_path / "in.parquet", row_group_size=10)
        summary = batch.run(batch.BatchJob(RULES, str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"),
                                           chunk_rows=7))
        assert (summary.read, summary.evaluated, summary.errors, summary.lines) == (50, 33, 17, 50)
        assert pq.read_table(tmp_path / "out.parquet").num_rows == 33

    def test_parquet_damaged_midway(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
        """A Parquet file that fails after its first batch stops the run with a French error and no output."""
        pa = pytest.importorskip("pyarrow")
        pq = pytest.importorskip("pyarrow.parquet")
        pq.write_table(pa.Table.from_pylist([{"secteur": "1"}] * 30), tmp_path / "in.parquet")
        original = pq.ParquetFile.iter_batches

        def failing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            for i, found in enumerate(original(self, *args, **kwargs)):
                if i == 1:
                    raise pa.ArrowInvalid("page endommagée")
                yield found
        monkeypatch.setattr(pq.ParquetFile, "iter_batches", failing)
        monkeypatch.setenv("REGLES_MOTEUR", "python")  # pyarrow's reader is the Python engine's
        assert _run(RULES, "--input", str(tmp_path / "in.parquet"), "--output", str(tmp_path / "out.parquet"),
                    "--chunk-rows", "10") == cli.EXIT_USAGE
        assert "fichier Parquet illisible après la ligne 10 : page endommagée" in capsys.readouterr().err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


class TestAccounting:
    """A run whose counts do not add up is an error (exit 70), with no output kept."""

    def test_a_lost_row_is_an_error_not_a_summary(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
        """If a record vanished between reading and writing, the run fails and keeps nothing."""
        original = _Rows.records

        def losing(self, chunk):  # type: ignore[no-untyped-def]
            for i, record in enumerate(original(self, chunk)):
                if i != 2:
                    yield record
        monkeypatch.setattr(_Rows, "records", losing)
        monkeypatch.setenv("REGLES_MOTEUR", "python")  # the records lost are the Python reader's
        source = _write(tmp_path / "in.csv", _population(6))
        (tmp_path / "out.csv").write_text("une sortie d'un autre jour\n", encoding="utf-8")
        assert _run(RULES, "--input", str(source), "--output", str(tmp_path / "out.csv")) == cli.EXIT_INTERNAL
        err = capsys.readouterr().err
        assert "comptes incohérents : 6 lignes de données lues" in err and "5 comptées dans les résultats" in err
        assert "aucune sortie n'est gardée" in err and "lignes lues" not in err  # no summary as if all were well
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]

    def test_a_row_counted_twice_for_the_headline_is_an_error(self, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
        """DuckDB's engine counts the headline's values as it forms each CSV line. Were a row's count drawn
        twice, the counts would not add up to the rows written: the run fails rather than print them."""
        original = HeadlineTally.cell
        monkeypatch.setattr(HeadlineTally, "cell", lambda self: f"concat({original(self)}, {original(self)})")
        monkeypatch.setenv("REGLES_MOTEUR", "sql")
        source = _write(tmp_path / "in.csv", _population(6))
        assert _run(RULES, "--input", str(source), "--output", str(tmp_path / "out.csv")) == cli.EXIT_INTERNAL
        err = capsys.readouterr().err
        assert "comptes incohérents : 6 lignes écrites dans la sortie, 12 comptées pour « eligible »" in err
        assert "aucune sortie n'est gardée" in err and "lignes lues" not in err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]

    def test_input_growing_during_the_run(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Lines appended while the run reads are not silently left out: the run stops and says so."""
        source = _write(tmp_path / "in.csv", _population(6))
        original = _Input._chunk

        def appending(self, *args):  # type: ignore[no-untyped-def]
            with open(source, "a", encoding="utf-8") as f:
                f.write(_population(1)[1] + "\n")
            return original(self, *args)
        monkeypatch.setattr(_Input, "_chunk", appending)
        monkeypatch.setenv("REGLES_MOTEUR", "python")  # the chunks are the Python reader's
        with pytest.raises(batch.BatchError, match="a changé pendant la lecture"):
            batch.run(batch.BatchJob(RULES, str(source), str(tmp_path / "out.csv"), chunk_rows=2))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


class TestOlderResults:
    """The files of an earlier run leave their names before anything is evaluated, and are removed while the
    run goes on (freeing a large file's blocks takes the file system a while)."""

    def test_moved_aside_at_once_then_removed_before_the_run_returns(self, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
        source = _write(tmp_path / "in.csv", _population(30))
        out, errors = tmp_path / "out.csv", tmp_path / "out.csv.erreurs.csv"
        out.write_text("ancienne sortie\n", encoding="utf-8")
        errors.write_text("anciennes erreurs\n", encoding="utf-8")
        seen: list[tuple[str, str, bool, bool]] = []
        real = batch_output.Removals.remove

        def remove(self: batch_output.Removals, path: str) -> None:
            seen.append((Path(path).name, Path(path).read_text(encoding="utf-8"), out.exists(), errors.exists()))
            real(self, path)

        monkeypatch.setattr(batch_output.Removals, "remove", remove)
        summary = batch.run(batch.BatchJob(RULES, str(source), str(out)))
        assert [(text, final, error) for _, text, final, error in seen] == [
            ("ancienne sortie\n", False, True), ("anciennes erreurs\n", False, False)]
        assert all(name.startswith("out.csv.") and name.endswith(batch.PARTIAL_SUFFIX) for name, *_ in seen)
        assert summary.evaluated == 30 and _read_csv(out)[0]["ligne"] == "2"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv", "out.csv.erreurs.csv"]

    def test_a_removal_does_not_hold_the_run_but_is_waited_for(self, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
        """`Removals.remove` returns while the file is being removed; `wait` returns once it is gone."""
        older = tmp_path / "out.csv"
        older.write_text("ancienne sortie\n", encoding="utf-8")
        release, real = threading.Event(), os.unlink

        def slow(path: str) -> None:
            assert release.wait(10)
            real(path)

        monkeypatch.setattr(os, "unlink", slow)
        removals = batch_output.Removals()
        batch_output.remove_older(removals, str(older), str(tmp_path / "absente.csv"))
        aside = list(tmp_path.iterdir())
        assert not older.exists() and len(aside) == 1 and aside[0].read_text(encoding="utf-8") == "ancienne sortie\n"
        release.set()
        removals.wait()
        assert list(tmp_path.iterdir()) == []


class TestFullDisk:
    """A full disk is a French message with exit 2, and leaves no output and no partial file."""

    def test_enospc_while_writing(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
        """The second chunk's write fails with ENOSPC: exit 2, 'disque plein', nothing left, the older
        output removed (it would pass for this run's)."""
        original = _Output.__init__

        class FullDisk:
            """The output file, on a disk that fills up after the header and one chunk."""

            def __init__(self, file) -> None:  # type: ignore[no-untyped-def]
                self.file, self.writes = file, 0

            def write(self, text: str) -> int:
                self.writes += 1
                if self.writes > 2:
                    raise OSError(errno.ENOSPC, "No space left on device")
                return self.file.write(text)

            def close(self) -> None:
                self.file.close()

        def on_full_disk(self, *args):  # type: ignore[no-untyped-def]
            original(self, *args)
            self.file = FullDisk(self.file)
        monkeypatch.setattr(_Output, "__init__", on_full_disk)
        monkeypatch.setenv("REGLES_MOTEUR", "python")  # the writer made to fail is the Python engine's
        source = _write(tmp_path / "in.csv", _population(20))
        (tmp_path / "out.csv").write_text("ancienne sortie\n", encoding="utf-8")
        status = _run(RULES, "--input", str(source), "--output", str(tmp_path / "out.csv"), "--chunk-rows", "5")
        err = capsys.readouterr().err
        assert status == cli.EXIT_USAGE
        assert "impossible d'écrire « " in err and "out.csv » : disque plein ; le traitement est arrêté" in err
        assert "erreur interne" not in err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]

    @pytest.mark.parametrize("extension", ["csv", "jsonl", "parquet"])
    def test_real_full_tmpfs(self, tmp_path: Path, capsys: pytest.CaptureFixture[str], extension: str) -> None:
        """On a 64 KiB tmpfs (mounted when the tests run as root), each output format fails cleanly."""
        if extension == "parquet":
            pytest.importorskip("pyarrow")
        mount = tmp_path / "petit"
        mount.mkdir()
        if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                                               capture_output=True).returncode != 0:
            pytest.skip("mounting a small tmpfs needs root")
        try:
            source = _write(tmp_path / "in.csv", _population(1000))
            status = _run(RULES, "--input", str(source), "--output", str(mount / f"out.{extension}"),
                          "--chunk-rows", "100")
            err = capsys.readouterr().err
            assert status == cli.EXIT_USAGE, err
            assert f"out.{extension} » : disque plein" in err
            assert list(mount.iterdir()) == []
        finally:
            subprocess.run(["umount", str(mount)], check=False)


class TestInterruptedRuns:
    """Item 9: a run stopped midway leaves no file under the final names."""

    @staticmethod
    def _start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], Path]:
        source = _write(tmp_path / "in.csv", _population(20_000))
        output = tmp_path / "out.csv"
        process = subprocess.Popen(
            [sys.executable, "-m", "engine", "batch", RULES, "--input", str(source), "--output", str(output),
             "--chunk-rows", "200", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])},
            # as from a terminal: a suite started in the background (`cmd &` without job control) ignores
            # SIGINT, which a child inherits, and then rightly ignores Ctrl-C as `nohup` would
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 90
        # wait until rows are being written: the Python engine writes them as it goes, DuckDB's query writes
        # the 20 000 rows in a few tenths of a second once the file is there (and may hold most until the end)
        written = 0 if os.environ.get("REGLES_MOTEUR") == "sql" else 50_000
        while time.monotonic() < deadline:
            partial = [p for p in tmp_path.iterdir() if p.name.startswith("out.csv.") and
                       p.name.endswith(batch.PARTIAL_SUFFIX) and "erreurs" not in p.name]
            if partial and partial[0].stat().st_size >= written:
                return process, output
            if process.poll() is not None:
                break
            time.sleep(0.05)
        process.kill()
        pytest.fail(f"the run did not start writing: {process.communicate()[1]}")

    def test_sigkill_leaves_only_a_partial_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """After SIGKILL, the final names do not exist; what was written is under a `.partiel` name,
        which the next run names in a warning."""
        process, output = self._start(tmp_path, "--workers", "1")
        process.kill()
        process.communicate(timeout=30)
        assert not output.exists()
        assert not Path(str(output) + ".erreurs.csv").exists()
        left = _leftovers(tmp_path)
        assert len(left) == 2 and all(name.startswith("out.csv.") for name in left), left
        _write(tmp_path / "in.csv", _population(3))
        assert _run(RULES, "--input", str(tmp_path / "in.csv"), "--output", str(output)) == 0
        err = capsys.readouterr().err
        assert "fichiers partiels d'une exécution interrompue (ou en cours), qui ne sont pas un résultat complet" in err
        assert all(name in err for name in left)
        assert len(_read_csv(output)) == 3 and _leftovers(tmp_path) == left

    @pytest.mark.parametrize(("sent", "code", "workers"), [(signal.SIGTERM, 143, "2"), (signal.SIGINT, 130, "1")])
    def test_sigterm_and_sigint_remove_the_partial_files(self, tmp_path: Path, sent: signal.Signals, code: int,
                                                         workers: str) -> None:
        """SIGTERM (with worker processes) and Ctrl-C stop the run, remove its partial files and say so."""
        process, output = self._start(tmp_path, "--workers", workers)
        process.send_signal(sent)
        _, err = process.communicate(timeout=60)
        assert process.returncode == code, err
        assert f"interrompu ({sent.name}) : aucune sortie n'est écrite dans {output}" in err
        assert "Traceback" not in err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]

    def test_output_that_is_a_folder_is_refused_before_the_run(self, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
        """A folder named as the output is refused at once, not after evaluating every row."""
        (tmp_path / "out.csv").mkdir()
        source = _write(tmp_path / "in.csv", _population(3))
        assert _run(RULES, "--input", str(source), "--output", str(tmp_path / "out.csv")) == cli.EXIT_USAGE
        assert "la sortie « " in (err := capsys.readouterr().err) and "out.csv » est un dossier" in err
        assert _leftovers(tmp_path) == []

    def test_a_complete_run_leaves_only_the_final_files(self, tmp_path: Path) -> None:
        """A finished run renames its files: no `.partiel` stays, and the output has the usual mode."""
        source = _write(tmp_path / "in.csv", _population(12))
        batch.run(batch.BatchJob(RULES, str(source), str(tmp_path / "out.csv"), errors=str(tmp_path / "err.jsonl")))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["err.jsonl", "in.csv", "out.csv"]
        umask = os.umask(0)
        os.umask(umask)
        assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o666 & ~umask
        assert len(_read_csv(tmp_path / "out.csv")) == 12
