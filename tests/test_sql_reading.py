"""The SQL batch reads what the Python batch reads: every cell form, every bad line, CSV and JSON Lines.

Each test writes an input with the forms that matter (cells DuckDB types itself, cells only Python
reads, lines that are refused), runs `regles batch` on both engines and compares the files: the
output (byte for byte in CSV; row for row in JSON Lines and Parquet) and the errors file (byte for
byte). It also checks that DuckDB did read the input (no warning that the Python engine took over),
or, where it must not, that the warning says why.
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from engine.inputs import fastfacts
from engine.tools import batch, sql_reading

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rulesets" / "convention2024.rules")
POPULATION = ROOT / "examples" / "population.csv"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


def _rows(n: int) -> list[dict[str, str]]:
    if not POPULATION.exists():
        pytest.skip("examples/population.csv absent (scripts/make_population.py)")
    with POPULATION.open(encoding="utf-8", newline="") as f:
        return list(itertools.islice(csv.DictReader(f), n))


def _both(tmp_path: Path, source: Path, extension: str) -> dict[str, tuple[object, bytes, batch.Summary, list[str]]]:
    """Run both engines on `source`: (output read back, errors file, summary, warnings) by engine. A CSV
    or JSON Lines output is the same bytes on both engines (a JSON Lines one is also read back, for the
    tests to look into its rows)."""
    done = {}
    written: dict[str, bytes] = {}
    for engine_name in ("python", "sql"):
        out = tmp_path / f"{engine_name}.{extension}"
        warnings: list[str] = []
        summary = batch.run(batch.BatchJob(RULES, str(source), str(out), engine=engine_name), warn=warnings.append)
        written[engine_name] = out.read_bytes()
        if extension == "jsonl":
            produced: object = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        elif extension == "parquet":
            produced = pq.read_table(out).to_pylist()
        else:
            produced = out.read_bytes()
        done[engine_name] = (produced, Path(str(out) + ".erreurs.csv").read_bytes(), summary, warnings)
    if extension != "parquet":
        assert written["sql"] == written["python"]
    return done


def _same(done: dict[str, tuple[object, bytes, batch.Summary, list[str]]]) -> None:
    python, sql = done["python"], done["sql"]
    assert sql[0] == python[0]
    assert sql[1].decode() == python[1].decode()
    counts = ("read", "evaluated", "errors", "lines", "blank", "headline_counts")
    assert {c: getattr(sql[2], c) for c in counts} == {c: getattr(python[2], c) for c in counts}


def _took_over(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "évaluée par le moteur Python" in w]


def test_decimal_form_is_the_fast_path_form() -> None:
    """The decimal cells DuckDB types are exactly those the Python fast path reads (`fastfacts._DECIMAL`)."""
    assert fastfacts._DECIMAL.__self__.pattern == sql_reading.DECIMAL_FORM  # type: ignore[attr-defined]


CSV_CELLS = [
    ("secteur", ["007", "-0", " 2", "2.0", "4", "1e0", "+1"]),
    ("annee_contrat", ["0", "0003", "-3", "999999999999999", "1000000000000000"]),
    ("percentile_mt", ["0.80", "80.5 ", "1 000", "100.000", "100.0001", "-0.5", ".5", "5.", "1e2", "0080.50"]),
    ("part_moins_16_ans", ["0.5", "50 %", "1", "1.5", "0.1234567890123456"]),
    ("optam", ["oui", "OUI", " true", "1", "0", "vrai", "yes"]),
    ("date_signature", ["22/06/2024", "2024-02-30", "2024-2-3", "0999-01-01", "2024-06-22 ", "10000-01-01"]),
    ("specialite", ["cardiolgie", "Cardiologie", "orl"]),
    ("departement", ["2A", " ", "é"]),
]


def test_csv_cells_only_python_reads(tmp_path: Path) -> None:
    """Cells of forms outside DuckDB's (`1 200`, `80 %`, `22/06/2024`, `oui`, leading zeros) or out of
    bounds: the rows are read by Python, and both engines write the same files."""
    rows = _rows(60)
    k = 0
    for name, cells in CSV_CELLS:
        for cell in cells:
            rows[k % len(rows)][name] = cell
            k += 1
    rows.append(dict.fromkeys(rows[0], ""))  # a line of separators only: a row of no facts
    source = tmp_path / "in.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        f.write("\n   \n1,2\n")  # a blank line, a line of spaces, a line of two fields
    done = _both(tmp_path, source, "csv")
    _same(done)
    assert not _took_over(done["sql"][3])
    errors = done["sql"][1].decode()
    assert "ligne mal formée : 2 champs au lieu de 32" in errors and "« 2024-02-30 »" in errors
    assert done["sql"][2].blank == 2


def _jsonl_lines(rows: list[dict[str, str]]) -> list[str]:
    """The rows as JSON objects, half with text values, half with JSON numbers and booleans."""
    lines = []
    for i, row in enumerate(rows):
        data: dict[str, object] = {}
        for key, value in row.items():
            if value == "":
                continue
            if i % 2 and value in ("true", "false"):
                data[key] = value == "true"
            elif i % 2 and key not in ("id", "departement") and value.isdigit():
                data[key] = int(value)
            elif i % 2 and key not in ("id", "departement") and value.replace(".", "", 1).isdigit():
                data[key] = float(value)
            else:
                data[key] = value
        lines.append(json.dumps(data, ensure_ascii=bool(i % 4 == 1)))
    return lines


JSONL_EDGES = [
    "", "   ", "\t", "{pas du json", "[1, 2]", '{"secteurr": 1}', '{"secteur": 1,}', '{"secteur": 1, "secteur": 2}',
    '{"secteur": "2"}', '{"secteur": 2.0}', '{"secteur": " 2"}', '{"secteur": true}', '{"secteur": NaN}',
    '{"percentile_mt": 0.80}', '{"percentile_mt": "0.80"}', '{"percentile_mt": 1e-5}', '{"percentile_mt": "80 %"}',
    '{"percentile_mt": 150}', '{"part_moins_16_ans": "50 %"}', '{"optam": "oui"}', '{"optam": 1}',
    '{"date_signature": "22/06/2024"}', '{"date_signature": 20240622}', '{"specialite": null}',
    '{"departement": ""}', '{"specialite": ""}', '{"zone": {"a": 1}}', '{"file_active": 12345678901234567890}',
    '{"id": 5}', '{"id": true}', '{"id": 1.5}', '{"id": [1, 2]}', '{"id": "a\\"b\\u00e9\\n"}', '{"id": null}',
    '{"secteur": ' + "[" * 3000 + "]" * 3000 + "}", "\ufeff{\"secteur\": 1}",
]


@pytest.mark.parametrize("extension", ["csv", "parquet"])
def test_jsonl_read_by_duckdb_as_python_reads_it(tmp_path: Path, extension: str) -> None:
    """A JSON Lines file of population rows and of every kind of odd line: DuckDB reads it (no warning),
    and the output and the errors file are those of the Python engine."""
    lines = _jsonl_lines(_rows(200))
    for i, edge in enumerate(JSONL_EDGES):
        lines.insert(3 + 5 * i, edge)
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = _both(tmp_path, source, extension)
    _same(done)
    assert not _took_over(done["sql"][3])
    errors = done["sql"][1].decode()
    assert "JSON invalide : Expecting property name enclosed in double quotes" in errors
    assert "JSON invalide : imbrication trop profonde" in errors and "Unexpected UTF-8 BOM" in errors
    assert done["sql"][2].blank == 3


def test_jsonl_byte_order_mark_on_the_first_line(tmp_path: Path) -> None:
    """A byte-order mark opens the first line (as an editor writes it): the line is read, on both engines."""
    lines = _jsonl_lines(_rows(20))
    source = tmp_path / "in.jsonl"
    source.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    done = _both(tmp_path, source, "csv")
    _same(done)
    assert done["sql"][2].evaluated == 20 and not _took_over(done["sql"][3])


def test_jsonl_to_jsonl_copies_numbers_with_the_python_engine(tmp_path: Path) -> None:
    """A copied column holding JSON numbers keeps them in a JSON Lines output: the SQL engine writes text,
    so it hands the file to the Python engine and says so."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "secteur": 1}\n{"id": 2, "secteur": 2}\n', encoding="utf-8")
    done = _both(tmp_path, source, "jsonl")
    _same(done)
    assert [row["id"] for row in done["sql"][0]] == [1, 2]  # type: ignore[union-attr, index]
    assert any("pas des textes" in w for w in _took_over(done["sql"][3]))


def test_jsonl_to_jsonl_with_text_ids_stays_in_duckdb(tmp_path: Path) -> None:
    """Text ids (the usual case) are written by DuckDB, as the Python engine writes them."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "secteur": 1}\n\n{"id": "b", "secteur": 4}\n{"id": "c"}\n', encoding="utf-8")
    done = _both(tmp_path, source, "jsonl")
    _same(done)
    assert not _took_over(done["sql"][3])
    assert [row["ligne"] for row in done["sql"][0]] == [1, 4]  # type: ignore[union-attr, index]


def test_line_longer_than_duckdb_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A line longer than DuckDB's limit (8 MiB; 64 bytes here) makes the SQL engine hand the file to
    the Python engine, with the reason; the files are the same."""
    monkeypatch.setattr(sql_reading, "MAX_LINE_BYTES", 64)
    source = tmp_path / "in.csv"
    source.write_text("id,secteur\n1,1\n" + "x" * 100 + ",2\n3,3\n", encoding="utf-8")
    done = _both(tmp_path, source, "csv")
    _same(done)
    assert any("ligne à ligne" in w for w in _took_over(done["sql"][3]))


@pytest.mark.parametrize(("data", "plain"), [
    (b"a,b\n1,2\n", True), (b"a,b\r\n1,2\r\n", True), (b"a,b\n\xc3\xa9,2\n", True), (b"a,b\r1,2\n", False),
    (b"a,b\n1,2\r", False), (b"a,b\n\xc3,2\n", False), (b'a,b\n"x",2\n', False), (b"a,b\n\x00,2\n", False),
    (b"a,b\n\x01,2\n", False),
])
def test_plain_lines_across_block_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes,
                                             plain: bool) -> None:
    """Whether DuckDB may split a file's lines does not depend on where its blocks are cut: a `\\r\\n` or an
    `é` cut in two is found whole."""
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    for block in (1, 2, 3, 1 << 22):
        monkeypatch.setattr(sql_reading, "SIMPLE_BLOCK", block)
        assert sql_reading.plain_lines(str(path)) is plain


def test_every_row_suspect_in_small_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row read by Python (a space after `secteur`, one row in three refused): the decisions reach DuckDB
    in bulk, fetched 7 rows at a time, and both engines write the same files."""
    from engine.tools import sql_input
    monkeypatch.setattr(sql_input, "SUSPECTS_AT_ONCE", 7)
    rows = _rows(90)
    for i, row in enumerate(rows):
        row["secteur"] = (row["secteur"] or "1") + " " if i % 3 else "4 "
    source = tmp_path / "in.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    done = _both(tmp_path, source, "csv")
    _same(done)
    assert not _took_over(done["sql"][3])
    assert (done["sql"][2].evaluated, done["sql"][2].errors) == (60, 30)


def test_jsonl_first_line_only_a_byte_order_mark(tmp_path: Path) -> None:
    """A first line holding only a byte-order mark is an error row (an empty document), not a blank line:
    DuckDB would drop the mark, so the Python engine reads the file."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'\xef\xbb\xbf\n{"secteur": 1}\n')
    done = _both(tmp_path, source, "csv")
    _same(done)
    assert "1,JSON invalide : Expecting value (colonne 1)" in done["sql"][1].decode()
    assert any("marque d'ordre" in w for w in _took_over(done["sql"][3]))


def test_jsonl_lone_surrogate_is_an_error_row(tmp_path: Path) -> None:
    """A string holding half a UTF-16 pair (`\\ud800` alone) is refused on its line, by both engines,
    and the rest of the file is evaluated: no UTF-8 output could hold it (it stopped the whole run).
    A well-formed pair (an emoji) is a character like any other."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"secteur": 1, "specialite": "x\\ud800"}\n{"secteur": 1, "specialite": "\\ud83d\\ude00"}\n'
                       b'{"secteur": 1}\n')
    done = _both(tmp_path, source, "csv")
    _same(done)
    errors = done["sql"][1].decode()
    assert "1,JSON invalide : un échappement \\uD800 à \\uDFFF sans l'autre moitié de sa paire" in errors
    assert "\n2," in errors  # the emoji is read, then refused as a specialty the file does not know
    assert "\n3," not in errors
