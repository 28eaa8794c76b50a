"""Random CSV damage through `regles batch`, with a fixed seed: nothing raised but `BatchError`,
every line accounted for, every case answered within 5 s.

Each case takes the header and the first 50 rows of examples/population.csv and applies one to four
random kinds of damage: stray quotes, missing or extra separators, bad or foreign encodings, NUL
and carriage-return characters, joined lines, blank lines, a truncated end, and now and then a
damaged header or a whole file in UTF-16. The oracle is independent of the reader: it counts the
file's lines itself, and checks that each data line is a row written, an error row, a blank line,
or a line inside a quoted field opened on the line of a row (which the strict `csv` module
confirms). `REGLES_FUZZ_CSV_CASES` runs more cases (default 120, about 15 s).

One case in three runs on the default engine, `auto`, as a user's file would: DuckDB where it reads
the damaged file line by line (separators, blank lines, a truncated end: about one case in seven),
the Python reader elsewhere (quotes, NUL, carriage returns, encodings). The others run on the Python
engine, whose reader is the one the damage mostly reaches, and where `chunk_rows` matters: DuckDB
spends half a second planning the 2024 file's query, which on every case would add 20 s to the run.
"""

from __future__ import annotations

import csv
import os
import random
import time
from pathlib import Path

import pytest

from engine.tools import batch

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rulesets" / "convention2024.rules")
POPULATION = ROOT / "examples" / "population.csv"
SEED = 20261206
CASES = int(os.environ.get("REGLES_FUZZ_CSV_CASES", "120"))
ROWS = 50
SECONDS_PER_CASE = 5.0


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test module writes its rule-file cache in a temporary directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="module")
def valid_lines() -> list[bytes]:
    if not POPULATION.exists():
        pytest.skip("examples/population.csv absent (scripts/make_population.py)")
    with POPULATION.open("rb") as f:
        return [next(f).rstrip(b"\n") for _ in range(ROWS + 1)]


# ─── Damage ──────────────────────────────────────────────────────────────────────────────────

def _target(rng: random.Random, lines: list[bytes]) -> int:
    """A line to damage: the header now and then, a data line mostly."""
    return 0 if rng.random() < 0.04 else rng.randrange(1, len(lines))


def _insert(rng: random.Random, line: bytes, piece: bytes) -> bytes:
    at = rng.randrange(len(line) + 1)
    return line[:at] + piece + line[at:]


def _stray_quote(rng: random.Random, lines: list[bytes]) -> None:
    i = _target(rng, lines)
    cells = lines[i].split(b",")
    k = rng.randrange(len(cells))
    cells[k] = rng.choice([b'"' + cells[k], cells[k] + b'"', _insert(rng, cells[k], b'"'), b'"' + cells[k] + b'"x'])
    lines[i] = b",".join(cells)


def _quoted_cell(rng: random.Random, lines: list[bytes]) -> None:
    """Valid quoting: a cell put between quotes, with a comma, a doubled quote or a newline inside."""
    i = rng.randrange(1, len(lines))
    cells = lines[i].split(b",")
    k = rng.randrange(len(cells))
    inside = rng.choice([b",", b'""', b"\n", b"\n\n,"])
    cells[k] = b'"' + cells[k] + inside + b'"'
    lines[i] = b",".join(cells)


def _field_count(rng: random.Random, lines: list[bytes]) -> None:
    i = _target(rng, lines)
    line = lines[i]
    if b"," in line and rng.random() < 0.5:
        commas = [j for j, c in enumerate(line) if c == ord(",")]
        at = rng.choice(commas)
        lines[i] = line[:at] + line[at + 1:]
    else:
        lines[i] = _insert(rng, line, rng.choice([b",", b",,", b";"]))


def _encoding(rng: random.Random, lines: list[bytes]) -> None:
    i = _target(rng, lines)
    piece = rng.choice(["é".encode("latin-1"), b"\xff\xfe", "é".encode()[:1], "€".encode("cp1252"),
                        "é".encode(), b"\xef\xbb\xbf", "\u00a0".encode()])
    lines[i] = _insert(rng, lines[i], piece)


def _control(rng: random.Random, lines: list[bytes]) -> None:
    i = _target(rng, lines)
    lines[i] = _insert(rng, lines[i], rng.choice([b"\x00", b"\r", b"\t", b"\x1c"]))


def _lines(rng: random.Random, lines: list[bytes]) -> None:
    """Blank lines, joined lines, a duplicated line, CRLF endings."""
    choice = rng.randrange(4)
    i = rng.randrange(1, len(lines))
    if choice == 0:
        lines.insert(i, rng.choice([b"", b"   ", b"\r", b",,,"]))
    elif choice == 1 and i + 1 < len(lines):
        lines[i:i + 2] = [lines[i] + lines[i + 1]]
    elif choice == 2:
        lines.insert(i, lines[i])
    else:
        lines[:] = [line + b"\r" for line in lines]


DAMAGE = (_stray_quote, _stray_quote, _quoted_cell, _field_count, _encoding, _control, _lines)


def damaged(rng: random.Random, valid: list[bytes]) -> bytes:
    """The valid file with one to four kinds of damage, maybe truncated, maybe re-encoded."""
    lines = list(valid)
    for _ in range(rng.randint(1, 4)):
        rng.choice(DAMAGE)(rng, lines)
    data = b"\n".join(lines) + b"\n"
    if rng.random() < 0.25:
        data = data[:rng.randrange(len(data) // 2, len(data))]
    if rng.random() < 0.03:
        data = data.decode("utf-8", "replace").encode(rng.choice(["utf-16", "utf-16-le"]))
    return data


# ─── The oracle ──────────────────────────────────────────────────────────────────────────────

def _data_lines(data: bytes) -> list[bytes]:
    """The file's lines after the header, as the reader must count them (split on `\\n`)."""
    pieces = data.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    return pieces[1:]


def _opened_at(lines: list[bytes], start: int, end: int) -> bool:
    """Whether a quoted field opened on `lines[start]` is still open at the end of `lines[end - 1]`."""
    texts = [raw.decode("utf-8", "surrogateescape") + "\n" for raw in lines[start:end]]
    try:
        next(csv.reader(texts, strict=True), None)
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("case", range(CASES))
def test_random_csv_damage(tmp_path: Path, valid_lines: list[bytes], case: int) -> None:
    """Case `case` of the seeded damage: only `BatchError`, every line accounted for, under 5 s."""
    rng = random.Random(f"{SEED}-{case}")
    data = damaged(rng, valid_lines)
    (tmp_path / "in.csv").write_bytes(data)
    output, errors = tmp_path / "out.csv", tmp_path / "out.csv.erreurs.csv"
    started = time.perf_counter()
    try:
        summary = batch.run(batch.BatchJob(RULES, str(tmp_path / "in.csv"), str(output),
                                           chunk_rows=rng.choice([7, 4000]),
                                           engine="auto" if case % 3 == 0 else "python"))
    except batch.AccountingError:
        raise
    except batch.BatchError:
        summary = None  # the header was unreadable, or named a result column
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS_PER_CASE, f"case {case}: {elapsed:.1f} s"
    left = sorted(p.name for p in tmp_path.iterdir())
    if summary is None:
        assert left == ["in.csv"], left
        return
    assert left == ["in.csv", "out.csv", "out.csv.erreurs.csv"], left

    lines = _data_lines(data)
    written, failed = _read(output), _read(errors)
    assert summary.lines == len(lines)
    assert (len(written), len(failed)) == (summary.evaluated, summary.errors)
    assert summary.read == summary.evaluated + summary.errors
    starts = [int(r["ligne"]) for r in written] + [int(e["ligne"]) for e in failed]
    assert len(set(starts)) == len(starts), "a line both written and in error, or twice"
    assert [int(r["ligne"]) for r in written] == sorted(int(r["ligne"]) for r in written)
    firsts = set(starts)
    blank = 0
    for number in range(2, len(lines) + 2):
        if number in firsts:
            continue
        raw = lines[number - 2]
        if not raw.strip():
            blank += 1
            continue
        opened = max((s for s in firsts if s < number), default=None)
        assert opened is not None and _opened_at(lines, opened - 2, number - 2), \
            f"case {case}: line {number} is neither a row, an error, blank nor inside a quoted field"
    if summary.multiline == 0:  # the count the issue asks for: rows written + error rows + blank = data lines
        assert len(written) + len(failed) + blank == len(lines) == summary.read + summary.blank
