"""`regles batch` on DuckDB: read, evaluate and write with one generated query (`engine.sql.query`).

The layout of the output and of the errors file, the accounting of every line and the atomic
writing are those of `engine.tools.batch` (whose docstring states them), and so are the words: the
error reasons of refused facts are computed by `engine.inputs.facts` for the rows the SQL sets aside
(`engine.tools.sql_input`). `engine.tools.batch.run` calls `run` here when the job's engine is `auto`
(the default) or `sql`; an input DuckDB does not read line by line (a CSV file whose records need the
full CSV grammar: quotes, a NUL, stray carriage returns, bytes that are not UTF-8; a line of more than
8 MiB) is `NeedsPythonReader`, and a rule file the generator does not translate is `SqlUnsupported`,
both raised before any file is written or any warning given: the caller decides whether the Python
engine takes over.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import duckdb

from engine import api
from engine.check.model import Program
from engine.sql.code import text
from engine.sql.query import Query, generate, quote
from engine.tools.batch_cells import output_columns
from engine.tools.batch_job import AccountingError, BatchError, BatchJob, FileFormat, Summary, file_format
from engine.tools.batch_output import Removals, _Errors, _Written, remove_older
from engine.tools.batch_python import _check_paths, check_columns
from engine.tools.sql_input import FIRST_LINE, NeedsPythonReader, decide_suspects, read
from engine.tools.sql_output import RANGE, csv_lines
from engine.tools.sql_output import write as write_ranges
from engine.tools.sql_progress import polled
from engine.tools.sql_specialised import first_that_fits, never_null, queries
from engine.tools.sql_tally import HeadlineTally, headline_key

PLANNING_HEAVY = "common_subexpressions,statistics_propagation,projection_placement,expression_rewriter"
"""DuckDB optimisers that cost more to plan a generated query (a few seconds for the 2024 rule file)
than they save on a million rows: the generator already computes each shared value once (the
generated query itself is planned with none: `_write`)."""




SETTINGS: dict[str, str | bool | int | float | list[str]] = {"allocator_background_threads": True}
"""DuckDB's settings for `regles batch` and `regles diff`: its allocator hands freed memory back to the
system on threads of its own rather than on the threads computing (`regles batch`, a million rows of the
2024 rule file: about 0.2 s less wall time and 0.2 s less system time, in six alternations with the
default; `regles diff`: no change beyond the noise)."""


def run(job: BatchJob, *, progress: Callable[[int, int, int], None] | None = None,
        warn: Callable[[str], None] | None = None) -> Summary:
    """`engine.tools.batch.run` for CSV, JSON Lines and Parquet inputs, evaluated by DuckDB (same files,
    same counts).

    Raises:
        NeedsPythonReader, SqlUnsupported: see the module docstring.
        BatchError: as the Python engine, for what neither engine evaluates.
    """
    started = time.perf_counter()
    input_kind = file_format(job.input, "l'entrée")
    output_kind = file_format(job.output, "la sortie")
    _check_paths(job)
    if job.explain:
        raise NeedsPythonReader("les explications (--explain) sont écrites par le moteur Python")
    ruleset = api.load(job.rules)
    program = ruleset.program
    con = duckdb.connect(config=SETTINGS)
    try:
        with _interruptible(con) as caught:
            return _run(job, con, program, input_kind, output_kind, started, progress, warn, caught)
    finally:  # also when the Python engine takes over: its run does not keep DuckDB's table alive
        con.close()


def _run(job: BatchJob, con: duckdb.DuckDBPyConnection, program: Program, input_kind: FileFormat,
         output_kind: FileFormat,
         started: float, progress: Callable[[int, int, int], None] | None,
         warn: Callable[[str], None] | None, caught: list[signal.Signals]) -> Summary:
    con.execute(f"SET threads = {max(1, job.workers)}")
    con.execute("SET preserve_insertion_order = true")  # the default, relied on: a row's line is its rowid
    columns, rows = read(con, job.input, input_kind, program, output_kind)
    copied = tuple(c for c in columns if c not in program.facts)
    first = FIRST_LINE[input_kind]
    evaluated = "NOT blank AND probleme IS NULL"  # the rows the query evaluates
    rows_read = f"(SELECT rowid + {first} AS ligne, * FROM entree WHERE {evaluated} AND {RANGE})"
    # generated before DuckDB reads a row: a rule file it does not translate costs no reading
    general = generate(program, rows_read, ("ligne", *copied), nested=True)
    size = _size(job.input)
    try:
        # every optimiser on: each cell is typed once; not TEMP: `_write`'s other connections read it
        con.execute(f"CREATE TABLE entree AS {rows}")
    except duckdb.InvalidInputException as exc:  # a line of more than MAX_LINE_BYTES: the Python reader reads it
        if input_kind is FileFormat.PARQUET:
            raise
        raise NeedsPythonReader(f"DuckDB ne lit pas « {job.input} » ligne à ligne ({str(exc).splitlines()[0]})") \
            from None
    con.execute(f"SET disabled_optimizers = '{PLANNING_HEAVY}'")
    if _size(job.input) != size:
        raise BatchError(f"« {job.input} » a changé pendant la lecture ({size} octets au début, "
                         f"{_size(job.input)} à la fin) : aucune sortie n'est gardée, relancez sur un fichier "
                         "stable")
    errors = decide_suspects(con, program, columns, input_kind, output_kind)
    given = never_null(con, program, f"(SELECT * FROM entree WHERE {evaluated})")
    tried = queries(program, rows_read, ("ligne", *copied), given, general)
    _check_columns(job, copied, program, warn)  # after the last NeedsPythonReader: warned once, by one engine
    counts = con.execute("SELECT count(*), count(*) FILTER (WHERE blank), count(*) FILTER (WHERE probleme IS NOT NULL) "
                         "FROM entree").fetchone()
    assert counts is not None
    lines, blank, refused = (int(x) for x in counts)
    errors_file = _Errors(job.errors_path)
    try:
        output = _DuckOutput(job.output)
    except BaseException:
        errors_file.discard()
        raise
    removals = Removals()
    try:
        remove_older(removals, job.output, job.errors_path)
        errors_file.write(errors)
        tally = (HeadlineTally(con, program.headline)  # CSV: counted as the lines are formed; else read back
                 if output_kind is FileFormat.CSV and program.headline in program.outputs else None)
        with polled(con, progress, lines - blank):  # the first range's COPY runs on `con`, at the pace of the others
            written = first_that_fits(tried, lambda q: _write(con, q, output, output_kind, copied, caught, removals,
                                                              tally))
        output.count = written
        summary = Summary(read=lines - blank, evaluated=written, errors=refused, lines=lines, blank=blank,
                                copied_columns=copied)
        if summary.read != written + errors_file.count or refused != errors_file.count:
            raise AccountingError(f"comptes incohérents : {summary.read} lignes lues, {written} écrites dans la "
                                        f"sortie, {errors_file.count} dans les erreurs — aucune sortie n'est gardée ; "
                                        "merci de signaler ce problème")
        summary.headline = program.headline
        with _alongside(errors_file.finish, output.finish) as flushed:  # the disk's wait, under any reading back
            summary.headline_counts = (_tallied(tally, written) if tally is not None
                                       else _headline_counts(con, output.temporary, output_kind, program, copied))
        flushed.result()
        if caught:  # a signal came after the last query: nothing is renamed
            raise _Stopped
        errors_file.commit()
        output.commit()
    except BaseException:
        output.discard()
        errors_file.discard()
        raise
    finally:
        con.close()
        removals.wait()
    if progress is not None:
        progress(1, 1, summary.read)
    summary.seconds = time.perf_counter() - started
    return summary


def _check_columns(job: BatchJob, copied: Sequence[str], program: Program,
                   warn: Callable[[str], None] | None) -> None:
    check_columns(job, copied, program.outputs, program.facts, warn)


def _write(con: duckdb.DuckDBPyConnection, query: Query, output: _DuckOutput, kind: FileFormat, copied: Sequence[str],
           caught: Sequence[object], removals: Removals, tally: HeadlineTally | None) -> int:
    """Run the query into the output file; the number of rows written.

    The query is planned with DuckDB's optimiser off: it is one chain of projections over one
    filtered scan, which no optimiser rule makes faster, and optimising it took a fifth of its
    planning. CSV and JSON Lines are written by ranges of rows, each on one thread
    (`engine.tools.sql_output`, which says why); Parquet by one COPY over every row."""
    if kind is FileFormat.PARQUET:
        casts = [f"CAST({quote(o)} AS BIGINT) AS {quote(o)}" for o, k in zip(query.outputs, query.kinds, strict=True)
                 if k == "entier"]
        body = f"SELECT * REPLACE ({', '.join(casts)}) FROM ({query.sql})" if casts else query.sql
    elif kind is FileFormat.JSONL:
        body = query.sql
    else:  # each row's line built by the query, its cells quoted there (`sql_output.csv_lines` says why)
        if tally is not None:
            tally.reset()
        body = csv_lines(query, copied, tally.cell() if tally is not None else None)

    def copy(path: str, header: bool) -> str:
        options = ("FORMAT PARQUET" if kind is FileFormat.PARQUET else "FORMAT JSON" if kind is FileFormat.JSONL
                   else f"FORMAT CSV, HEADER {str(header).lower()}, QUOTE '', ESCAPE ''")
        return f"COPY ({body}) TO {text(path)} ({options}, USE_TMP_FILE false)"

    con.execute("PRAGMA disable_optimizer")
    try:
        if kind is FileFormat.PARQUET:
            return _write_parquet(con, copy(output.temporary, True))
        return write_ranges(con, copy, "entree", output.temporary, output.final, caught, removals.remove)
    except (duckdb.IOException, OSError) as exc:  # a full disk: "No space left on device" in DuckDB's message
        raise output.write_failed(exc if isinstance(exc, OSError) else OSError(str(exc))) from None
    finally:
        con.execute("PRAGMA enable_optimizer")


def _write_parquet(con: duckdb.DuckDBPyConnection, copy: str) -> int:
    """Run the Parquet output's COPY over every row with the table scanned one vector (2 048 rows) at a time.

    DuckDB's ordered COPY waits for each batch of the scan before writing the later ones; by row groups
    (122 880 rows, 150 MB of results each for the 2024 rule file) it held 1.3 GB at a million rows, by
    vectors 0.6 GB. `verify_parallelism` (DuckDB's pragma for testing parallel plans) is what hands the
    scan out by vectors; the file is the same, byte for byte, and so is the CPU time. Parquet parts could
    not be appended (`engine.tools.sql_output`)."""
    con.execute("PRAGMA verify_parallelism")
    try:
        result = con.execute(copy, {"debut": 0, "fin": 1 << 62}).fetchone()
    finally:
        con.execute("PRAGMA disable_verify_parallelism")
    return int(result[0]) if result else 0


def _tallied(tally: HeadlineTally, written: int) -> dict[str, int]:
    """The headline counts taken as the CSV lines were formed, checked against the rows written."""
    counts = tally.counts()
    if sum(counts.values()) != written:
        raise AccountingError(f"comptes incohérents : {written} lignes écrites dans la sortie, "
                              f"{sum(counts.values())} comptées pour « {tally.headline} » — aucune sortie n'est "
                              "gardée ; merci de signaler ce problème")
    return counts


def _headline_counts(con: duckdb.DuckDBPyConnection, path: str, kind: FileFormat, program: Program,
                     copied: Sequence[str]) -> dict[str, int]:
    """The counts of the summary line (`<résultat principal> : vrai …`) of a JSON Lines or Parquet output:
    the rows written, read back (a CSV output's are taken as its lines are formed: `engine.tools.sql_tally`).

    Only the two headline columns are read; JSON Lines with their known columns (no sniffing of types,
    every cell text). Parquet keeps each column apart: its read costs a few hundredths of a second.
    """
    name = program.headline
    if name is None or name not in program.outputs:
        return {}
    if kind is FileFormat.PARQUET:
        reader = f"read_parquet({text(path)})"
    else:
        spec = "{" + ", ".join(f"{text(c)}: 'VARCHAR'" for c in output_columns(copied, program.outputs, False)) + "}"
        reader = f"read_json({text(path)}, format = 'newline_delimited', columns = {spec})"
    rows = con.execute(f"SELECT CAST({quote(name)} AS VARCHAR), {quote(name + '__statut')}, count(*) "
                       f"FROM {reader} GROUP BY ALL").fetchall()
    counts: dict[str, int] = {}
    for value, status, n in rows:
        key = headline_key(value, status)
        counts[key] = counts.get(key, 0) + int(n)
    return counts


class _DuckOutput(_Written):
    """The results file: DuckDB writes its temporary name, `engine.tools.batch` renames it."""

    def close(self) -> None:
        """DuckDB's COPY has closed the file."""


class _Stopped(Exception):
    """A signal was caught: the run stops before renaming its files."""


@contextlib.contextmanager
def _interruptible(con: duckdb.DuckDBPyConnection) -> Iterator[list[signal.Signals]]:
    """Ctrl-C, SIGTERM and SIGHUP stop the running query, then reach the handlers in place before
    (the command line's raise `Interrupted`), so that the run unwinds and removes its partial files:
    a signal raised inside DuckDB would come back as a bare "Query interrupted"."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    caught: list[signal.Signals] = []

    def stop(signum: int, frame: object) -> None:
        caught.append(signal.Signals(signum))
        con.interrupt()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield caught
    except Exception:
        if not caught:
            raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if caught:
        handler = previous[caught[0]]
        if callable(handler):
            handler(caught[0], None)
        raise KeyboardInterrupt


@contextlib.contextmanager
def _alongside(*steps: Callable[[], None]) -> Iterator[concurrent.futures.Future[None]]:
    """Run `steps` in order on a thread while the block runs; the future of their end (its `result()`
    raises their error). Closing and flushing the files to the disk (`fsync`: about a second for a
    million rows) waits on the disk, not on a core: the headline counts of a JSON Lines or Parquet output
    are read back meanwhile (a CSV output's were taken as it was written). The block's
    end waits for the steps, so that nothing is left running when the run unwinds."""
    def run() -> None:
        for step in steps:
            step()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(run)
        try:
            yield future
        finally:
            concurrent.futures.wait([future])


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError as exc:
        raise BatchError(f"impossible de lire « {path} » : {exc.strerror}") from None
