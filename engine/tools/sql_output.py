"""Writing the results file of `regles batch` on DuckDB: one COPY per range of rows, each on one thread.

The output's rows must stay in the input's order, so DuckDB's COPY runs with `preserve_insertion_order`:
each thread's finished batches wait until every earlier batch is written. With two threads the writing
falls behind and DuckDB holds a large part of the output in memory (1.4 GB at a million rows of the 2024
rule file, against 0.3 GB when the order may change; its memory limit for the buffered batches did not
hold them back). A COPY on one thread writes each batch as soon as it is formatted. So the table is cut
into as many contiguous ranges of rows as DuckDB has threads, each written by its own COPY, on its own
connection and one thread, into its own part file, all at once; the parts are then appended, in order,
to the first (only the first has the CSV header). The bytes are those of one COPY: each row is formatted
alone, and a range only says which rows.

A part file is named as a partial file of the output (`engine.tools.batch_output`): a run killed while
writing leaves it where the next run names it. Parquet output is one COPY (its parts could not be
appended); a small table is one COPY on every thread (its batches are few).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

import duckdb

from engine.sql.query import Query, quote
from engine.tools.batch_cells import QUOTED_KINDS, csv_line, output_columns
from engine.tools.batch_output import _create

RANGE = "rowid >= $debut AND rowid < $fin"
"""The condition a query written here puts on the table's rows: each COPY binds its range of `rowid`."""

RANGE_MIN_ROWS = 100_000
"""Fewest rows worth a range of their own: each COPY plans the whole query again (a third of a second of
one core for the 2024 rule file), and a COPY of fewer rows buffers little on every thread."""

_WAIT = 0.05
"""Seconds between two looks at whether a signal came while the other ranges are written."""


def ranges(rows: int, threads: int) -> list[tuple[int, int]]:
    """The contiguous ranges `[debut, fin)` of `rowid` written by one COPY each, in order."""
    count = max(1, min(threads, rows // RANGE_MIN_ROWS))
    bounds = [rows * i // count for i in range(count + 1)]
    return list(itertools.pairwise(bounds))


def csv_lines(query: Query, copied: Sequence[str], tally: str | None = None) -> str:
    """A SELECT over `query` giving each result row as its CSV line, in one column named by the header line;
    `tally`, an expression whose text is empty on every row, is evaluated as the line's first argument
    (`engine.tools.sql_tally`: the headline counts, taken as the lines are formed).

    DuckDB's CSV writer costs about 30 ns a cell whatever the cell holds (26 ns for a NULL, on one thread):
    a million rows of the 2024 rule file's 55 columns spend 1.4 s of CPU there before any byte is written.
    One `concat` of the cells (with literal separators: `||` costs eight times as much), written by DuckDB
    as one cell without quoting, makes the query and its writing 5 % cheaper, for the same bytes (29 %
    for the writing alone, from a table). The quoting is done here, as `engine.tools.batch_cells.csv_cell`
    (the Python engine's) does it: a cell with a comma, a quote or a line break is quoted, its quotes
    doubled; a cell that never holds one (`ligne`, a status, a value of a kind outside
    `batch_cells.QUOTED_KINDS`) is read as it is, and a NULL is the empty cell."""
    columns = output_columns(copied, query.outputs, False)
    plain = [True, *(False for _ in copied)]  # `ligne`, then the copied texts
    for kind in query.kinds:
        plain += [kind not in QUOTED_KINDS, True, False]  # value, status, reason
    plain.append(False)  # faits_manquants
    cells = [quote(c) if simple else _quoted(quote(c)) for c, simple in zip(columns, plain, strict=True)]
    line = ", ',', ".join(cells)
    if tally is not None:
        line = f"{tally}, {line}"
    return f"SELECT concat({line}) AS {quote(csv_line(columns))} FROM ({query.sql})"


def _quoted(cell: str) -> str:
    """The CSV text of a text cell that may need quoting (the NULL rows, most reasons, are tested once)."""
    special = " OR ".join(f"contains({cell}, {c})" for c in ("','", "'\"'", "chr(10)", "chr(13)"))
    return (f"CASE WHEN {cell} IS NULL THEN '' WHEN {special} THEN '\"' || replace({cell}, '\"', '\"\"') || '\"' "
            f"ELSE {cell} END")


Copy = Callable[[str, bool], str]
"""The COPY statement writing the rows of the table that hold `RANGE` into a file (its name), with or
without the CSV header."""


def write(con: duckdb.DuckDBPyConnection, copy: Copy, table: str, path: str, final: str,
          caught: Sequence[object], remove: Callable[[str], None] = os.unlink) -> int:
    """Write every row of `table` into `path` (`copy`); the number of rows written. `final` is the
    output's final name, beside which the parts are created; a signal appended to `caught` stops every COPY.
    Each part appended is handed to `remove` (`engine.tools.batch_output.Removals.remove`: removing a
    part of 370 MB takes the file system a tenth of a second the run need not wait for).

    Raises duckdb.IOException or OSError when the output cannot be written (a full disk).
    """
    threads = _int(con, "SELECT current_setting('threads')")
    parts = ranges(_int(con, f"SELECT count(*) FROM {table}"), threads)
    if len(parts) == 1:
        return _int(con, copy(path, True), {"debut": parts[0][0], "fin": parts[0][1]})
    files: list[str] = []
    con.execute("SET threads = 1")
    try:
        for _ in parts[1:]:
            files.append(_create(final))
        with _flushed_meanwhile(path):
            counts = _copy_all(con, copy, path, parts, files, caught)
        with open(path, "r+b") as out:
            out.seek(0, os.SEEK_END)
            while files:
                _append(out, files[0])
                remove(files.pop(0))
        return sum(counts)
    finally:
        con.execute(f"SET threads = {threads}")
        for name in files:
            with contextlib.suppress(OSError):
                os.unlink(name)


FLUSH_EVERY = 0.5
"""Seconds between two flushes of the output's first part while the ranges are written."""


@contextlib.contextmanager
def _flushed_meanwhile(path: str) -> Iterator[None]:
    """Flush the file at `path` to the disk every `FLUSH_EVERY` seconds while the block runs.

    The output is flushed before it is renamed (`engine.tools.batch_output`), and that flush waits for
    every byte written since the last one to reach the disk: at a million rows, with nothing to overlap
    it since the headline counts stopped reading the file back (`engine.tools.sql_tally`), it was the run's
    last second. Flushing the first part while DuckDB writes it, on a thread that waits on the disk and not
    on a core, leaves the appended parts to wait for (three runs each: 1.17–1.36 → 0.96–1.03 s). The
    thread is not waited for: a flush under way ends on its own, and the file's own flush follows it."""
    stop = threading.Event()

    def flush() -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            while not stop.wait(FLUSH_EVERY):
                os.fdatasync(fd)
        finally:
            os.close(fd)

    flusher = threading.Thread(target=flush, name="regles-flush", daemon=True)
    flusher.start()
    try:
        yield
    finally:
        stop.set()


def _copy_all(con: duckdb.DuckDBPyConnection, copy: Copy, path: str, parts: Sequence[tuple[int, int]],
              files: Sequence[str], caught: Sequence[object]) -> list[int]:
    """Run the first range's COPY into `path` on `con`, each other into its file, on its own connection and
    thread, all at once.

    The first failure stops every COPY, and is raised (rather than the interruptions it caused)."""
    cursors = [con.cursor() for _ in files]
    results: list[int | Exception] = [0] * len(parts)

    def stop_all() -> None:
        for connection in (con, *cursors):
            connection.interrupt()

    def run(index: int, cursor: duckdb.DuckDBPyConnection) -> None:
        (debut, fin), name = parts[index], files[index - 1]
        try:
            cursor.execute("PRAGMA disable_optimizer")
            results[index] = _int(cursor, copy(name, False), {"debut": debut, "fin": fin})
        except Exception as exc:  # noqa: BLE001 - any failure stops every range; the main thread raises it
            results[index] = exc
            stop_all()

    workers = [threading.Thread(target=run, args=(i + 1, c), daemon=True) for i, c in enumerate(cursors)]
    try:
        for worker in workers:
            worker.start()
        try:
            results[0] = _int(con, copy(path, True), {"debut": parts[0][0], "fin": parts[0][1]})
        except Exception as exc:  # noqa: BLE001 - raised below, once every range has stopped
            results[0] = exc
            stop_all()
        while any(worker.is_alive() for worker in workers):
            for worker in workers:
                worker.join(_WAIT)
            if caught:
                stop_all()
    except BaseException:
        stop_all()
        for worker in workers:
            worker.join()
        raise
    finally:
        for cursor in cursors:
            cursor.close()
    failures = [r for r in results if isinstance(r, Exception)]
    if failures:
        raise next((f for f in failures if not isinstance(f, duckdb.InterruptException)), failures[0])
    return [r for r in results if isinstance(r, int)]


def _append(out: BinaryIO, name: str) -> None:
    """Write the file `name` at the position of `out`, in the kernel where it can (`sendfile`)."""
    with open(name, "rb") as part:
        size, sent = os.fstat(part.fileno()).st_size, 0
        try:
            while sent < size:
                done = os.sendfile(out.fileno(), part.fileno(), sent, size - sent)
                if done == 0:
                    break
                sent += done
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOSYS):  # else sendfile cannot join these two files
                raise
        if sent < size:
            part.seek(sent)
            out.seek(0, os.SEEK_END)
            shutil.copyfileobj(part, out)


def _int(con: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, int] | None = None) -> int:
    """The number a statement gives (its first row's first value)."""
    row = con.execute(sql, parameters).fetchone()
    return int(row[0]) if row else 0
