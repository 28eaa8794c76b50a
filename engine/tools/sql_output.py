"""Writing the results file of `regles batch` on DuckDB: one COPY per range of rows, each on one thread.

The output's rows must stay in the input's order, so DuckDB's COPY runs with `preserve_insertion_order`:
each thread's finished batches wait until every earlier batch is written. With two threads the writing
falls behind and DuckDB holds a large part of the output in memory (1.4 GB at a million rows of the 2024
rule file, against 0.3 GB when the order may change; its memory limit for the buffered batches did not
hold them back). A COPY on one thread writes each batch as soon as it is formatted. So the table is cut
into as many contiguous ranges of rows as DuckDB has threads, each written by its own COPY, on its own
connection and one thread, all at once: the first into the output itself, each other into a part file
through a named pipe (`_piped`). Once the first range is written, the parts are appended to it, in
order, as they are written (`_follow`), while the output is flushed to the disk (`_flushed_meanwhile`);
the first range is a little shorter than the others (`FIRST_SHARE`) so that this starts before the last
COPY ends. Only the first has the CSV header. The bytes are those of one COPY: each row is formatted
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
import tempfile
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


FIRST_SHARE = 0.9
"""The first range's size against each other's. The first range is written into the output itself and
ends a little before the others; each later part is then appended as its COPY writes it (`_follow`), and
the disk takes it meanwhile rather than after the last COPY. A million rows, two runs of each: 0.78,
0.85, 0.92 and 1.0 all end within 8.48–8.86 s (the machine's noise); a slower disk favours a smaller
share, a faster one 1.0."""


def ranges(rows: int, threads: int) -> list[tuple[int, int]]:
    """The contiguous ranges `[debut, fin)` of `rowid` written by one COPY each, in order; the first is
    `FIRST_SHARE` of each other's size."""
    count = max(1, min(threads, rows // RANGE_MIN_ROWS))
    if count == 1:
        return [(0, rows)]
    whole = FIRST_SHARE + count - 1
    bounds = [0, *(round(rows * (FIRST_SHARE + i) / whole) for i in range(count - 1)), rows]
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
        with _flushed_meanwhile(path):
            return _int(con, copy(path, True), {"debut": parts[0][0], "fin": parts[0][1]})
    files: list[str] = []
    con.execute("SET threads = 1")
    try:
        for _ in parts[1:]:
            files.append(_create(final))
        with _flushed_meanwhile(path):
            return sum(_copy_all(con, copy, path, parts, files, caught, remove))
    finally:
        con.execute(f"SET threads = {threads}")
        for name in files:
            with contextlib.suppress(OSError):
                os.unlink(name)


FLUSH_EVERY = 0.1
"""Seconds between two flushes of the output while the ranges are written and appended. The last flush
waits for what was written since the one before: a million rows on two threads, five alternations,
8.62–8.86 s in all every half second, 8.43–8.54 s every tenth, 8.33–8.56 s every twentieth (the same
CPU time: each flush waits on the disk, not on a core)."""

_datasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


@contextlib.contextmanager
def _flushed_meanwhile(path: str) -> Iterator[None]:
    """Flush the file at `path` to the disk every `FLUSH_EVERY` seconds while the block runs.

    The output is flushed before it is renamed (`engine.tools.batch_output`), and that flush waits for
    every byte written since the last one to reach the disk (this virtual disk: about 1 ms a megabyte).
    Flushing the output while DuckDB writes it (its one COPY, or its first range) and while the parts are
    appended, on a thread that waits on the disk and not on a core, leaves little for the end (a million
    rows on two threads: the final flush 1.17–1.36 s without, 0.02–0.5 s every half second with the parts
    piped and followed, about 0.05 s every tenth of a second; on one thread, one COPY: 14.71–15.36 s in
    all without, 13.85–14.38 s with). The thread is not waited for: a flush under way ends on its own, and
    the file's own flush follows it. A flush that fails here is left to that last one, which reports it
    (`engine.tools.batch_output._Written.finish`): no error escapes the thread."""
    stop = threading.Event()
    fd = os.open(path, os.O_RDONLY)  # here, not on the thread: the file exists now

    def flush() -> None:
        try:
            with contextlib.suppress(OSError):  # reported by the output's own flush
                while not stop.wait(FLUSH_EVERY):
                    _datasync(fd)
        finally:
            os.close(fd)

    flusher = threading.Thread(target=flush, name="regles-flush", daemon=True)
    flusher.start()
    try:
        yield
    finally:
        stop.set()


def _copy_all(con: duckdb.DuckDBPyConnection, copy: Copy, path: str, parts: Sequence[tuple[int, int]],
              files: list[str], caught: Sequence[object], remove: Callable[[str], None]) -> list[int]:
    """Run the first range's COPY into `path` on `con`, each other into its file, on its own connection and
    thread, all at once; once the first is written, append each part to `path` in order as it is written
    (`_follow`), and hand it to `remove` (taken out of `files`).

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
            with _piped(name, stop_all) as target:
                results[index] = _int(cursor, copy(target, False), {"debut": debut, "fin": fin})
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
        else:
            _follow(path, files, workers, caught, stop_all, remove)
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


@contextlib.contextmanager
def _piped(name: str, stop_all: Callable[[], None]) -> Iterator[str]:
    """A path for a part's COPY (a named pipe) whose bytes a thread writes into the file `name` meanwhile.

    DuckDB truncates the file it writes, and ext4 then writes the whole file to the disk when it is closed
    (`auto_da_alloc`): 370 MB of a million rows written to the disk at the run's end, when the output's
    own flush needs it, for a part that is removed once appended. Written here, into the file `_create`
    made (not truncated), the part stays in memory until it is removed. Where there are no named pipes
    (Windows), or none can be made in the temporary folder, DuckDB writes the file itself. A failure to
    write stops every COPY (`stop_all`) and is raised; the pipe is read to its end meanwhile, so that
    DuckDB never waits on a full pipe."""
    folder: tempfile.TemporaryDirectory[str] | None = None
    try:
        folder = tempfile.TemporaryDirectory(prefix="regles-")
        os.mkfifo(os.path.join(folder.name, "partie"), 0o600)
    except (AttributeError, OSError):  # no named pipes here: the part is written as any file
        if folder is not None:
            folder.cleanup()
        yield name
        return
    with folder as directory:
        pipe = os.path.join(directory, "partie")
        failed: list[OSError] = []
        pump = threading.Thread(target=_pump, args=(pipe, name, failed, stop_all), name="regles-partie", daemon=True)
        pump.start()
        try:
            yield pipe
        except Exception:
            if not failed:
                raise
            # else the COPY was stopped by the pump's failure (DuckDB's InterruptException): raised below
        finally:
            _release(pipe, pump)
            pump.join()
        if failed:
            raise failed[0]


def _pump(pipe: str, name: str, failed: list[OSError], stop_all: Callable[[], None]) -> None:
    """Copy the named pipe into the file `name` until its writer closes it (`_piped`). A failure (the file
    cannot be opened, the disk is full) is kept in `failed` and stops every COPY; the pipe is still read
    to its end."""
    target: int | None = None
    try:
        target = os.open(name, os.O_WRONLY | os.O_APPEND)
    except OSError as exc:
        failed.append(exc)
        stop_all()
    try:
        with open(pipe, "rb", buffering=0) as source:
            while True:
                if target is None or failed:
                    if not source.read(1 << 16):
                        return
                    continue
                try:
                    if not _move(source.fileno(), target):
                        return
                except OSError as exc:
                    failed.append(exc)
                    stop_all()
    finally:
        if target is not None:
            os.close(target)


def _move(source: int, target: int) -> int:
    """Move the next bytes of the pipe `source` to the file `target`; how many (0: the pipe is closed).
    In the kernel where it can (`splice`: the pipe's pages go to the file without a copy through Python)."""
    if hasattr(os, "splice"):
        try:
            return os.splice(source, target, 1 << 20)
        except OSError as exc:
            if exc.errno != errno.EINVAL:  # else this file system takes no splice
                raise
    data = os.read(source, 1 << 16)
    _write_all(target, data)
    return len(data)


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd` (a write may take only part of it)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _release(pipe: str, pump: threading.Thread) -> None:
    """Let the pump end if the COPY never opened the pipe (it failed first): open and close its writing end,
    which a reader waiting to open it needs (ENXIO until the pump is there to open it)."""
    while pump.is_alive():
        try:
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
            return
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
            pump.join(_WAIT)


def _follow(path: str, files: list[str], workers: Sequence[threading.Thread], caught: Sequence[object],
            stop_all: Callable[[], None], remove: Callable[[str], None]) -> None:
    """Append each part to the end of `path`, in order, while its COPY (`workers[i]` writes `files[i]`)
    writes it, then hand it to `remove`.

    A part is written from its start to its end and never gone back over (by the pump, `_pump`, or by
    DuckDB where there are no named pipes): the bytes below the size the file has are final. The worker's
    end is read before the size, so the size read after it is the part's whole. A signal in `caught` stops
    every COPY; a part whose COPY failed is appended as far as it went (`_copy_all` raises the failure, and
    the output is not kept)."""
    with open(path, "r+b") as out:
        out.seek(0, os.SEEK_END)
        for worker in workers:
            with open(files[0], "rb") as part:
                sent = 0
                while True:
                    ended = not worker.is_alive()
                    sent = _send(out, part, sent, os.fstat(part.fileno()).st_size)
                    if ended:
                        break
                    if caught:
                        stop_all()
                    worker.join(_WAIT)
            remove(files.pop(0))


def _send(out: BinaryIO, part: BinaryIO, start: int, end: int) -> int:
    """Write the bytes `[start, end)` of `part` at the end of `out`, in the kernel where it can (`sendfile`);
    the offset of `part` reached."""
    sent = start
    try:
        while sent < end:
            done = os.sendfile(out.fileno(), part.fileno(), sent, end - sent)
            if done == 0:
                break
            sent += done
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS):  # else sendfile cannot join these two files
            raise
    if sent < end:
        part.seek(sent)
        out.seek(0, os.SEEK_END)
        while sent < end:
            chunk = part.read(min(end - sent, 1 << 20))
            if not chunk:
                break
            out.write(chunk)
            sent += len(chunk)
        out.flush()
    return sent


def _int(con: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, int] | None = None) -> int:
    """The number a statement gives (its first row's first value)."""
    row = con.execute(sql, parameters).fetchone()
    return int(row[0]) if row else 0
