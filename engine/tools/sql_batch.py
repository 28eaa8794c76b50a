"""`regles batch` on DuckDB: read, evaluate and write with one generated query (`engine.sql.query`).

The layout of the output and of the errors file, the accounting of every line and the atomic
writing are those of `engine.tools.batch` (whose docstring states them), and so are the words: the
error reasons of refused facts are computed by `engine.inputs.facts` for the rows the SQL sets aside
(`engine.tools.sql_reading`). `engine.tools.batch.run` calls `run` here when the job asks for the SQL
engine; a CSV file whose records need the full CSV grammar (quotes, a NUL, stray carriage
returns, bytes that are not UTF-8) is `NeedsPythonReader`, and the caller reads it in Python.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import duckdb

from engine import api
from engine.check.model import Program
from engine.inputs.facts import FactsError
from engine.inputs.fastfacts import FactReader
from engine.sql.code import text
from engine.sql.exprs import SqlUnsupported
from engine.sql.query import Query, generate, quote
from engine.tools.batch_input import _Input
from engine.tools.batch_job import AccountingError, BatchError, BatchJob, FileFormat, Summary, file_format
from engine.tools.batch_output import _Errors, _Written
from engine.tools.batch_python import _check_paths, _remove_older, check_columns
from engine.tools.batch_rows import _reason
from engine.tools.sql_reading import (
    canonical,
    cell_columns,
    csv_lines,
    fact_select,
    plain_lines,
)

_STATUS_KEYS = {"non applicable": "not_applicable", "indéterminé": "undetermined", "manquant": "missing"}


PLANNING_HEAVY = "common_subexpressions,statistics_propagation,projection_placement,expression_rewriter"
"""DuckDB optimisers that cost more to plan a generated query (a few seconds for the 2024 rule file)
than they save on a million rows: the generator already computes each shared value once (the
generated query itself is planned with none: `_write`)."""




class NeedsPythonReader(Exception):
    """The input's records need the Python reader (see the module docstring)."""


def run(job: BatchJob, *, progress: Callable[[int, int, int], None] | None = None,
        warn: Callable[[str], None] | None = None) -> Summary:
    """`engine.tools.batch.run` for CSV and Parquet inputs, evaluated by DuckDB (same files, same counts)."""
    started = time.perf_counter()
    input_kind = file_format(job.input, "l'entrée")
    output_kind = file_format(job.output, "la sortie")
    _check_paths(job)
    if job.explain:
        raise NeedsPythonReader("les explications (--explain) sont écrites par le moteur Python")
    if input_kind is FileFormat.JSONL:
        raise NeedsPythonReader("le moteur SQL ne lit pas encore le JSON Lines")
    ruleset = api.load(job.rules)
    program = ruleset.program
    con = duckdb.connect()
    with _interruptible(con) as caught:
        return _run(job, con, program, input_kind, output_kind, started, progress, warn, caught)


def _run(job: BatchJob, con: duckdb.DuckDBPyConnection, program: Program, input_kind: FileFormat,
         output_kind: FileFormat,
         started: float, progress: Callable[[int, int, int], None] | None,
         warn: Callable[[str], None] | None, caught: list[signal.Signals]) -> Summary:
    con.execute(f"SET threads = {max(1, job.workers)}")
    con.execute(f"SET disabled_optimizers = '{PLANNING_HEAVY}'")
    columns, rows = _input(con, job.input, input_kind, program)
    copied = tuple(c for c in columns if c not in program.facts)
    _check_columns(job, copied, program, warn)
    size = _size(job.input)
    con.execute(f"CREATE TEMP TABLE entree AS {rows}")
    if _size(job.input) != size:
        raise BatchError(f"« {job.input} » a changé pendant la lecture ({size} octets au début, "
                         f"{_size(job.input)} à la fin) : aucune sortie n'est gardée, relancez sur un fichier "
                         "stable")
    errors = _python_rows(con, program, columns, input_kind)
    con.execute("ALTER TABLE entree DROP COLUMN cells")  # every line's text: read for the suspect rows only
    counts = con.execute("SELECT count(*), count(*) FILTER (WHERE blank), count(*) FILTER (WHERE probleme IS NOT NULL) "
                         "FROM entree").fetchone()
    assert counts is not None
    lines, blank, refused = (int(x) for x in counts)
    try:
        query = generate(program, "(SELECT * FROM entree WHERE NOT blank AND probleme IS NULL)", ("ligne", *copied),
                         nested=True)
    except SqlUnsupported as exc:
        raise BatchError(f"moteur SQL : {exc} ; relancez avec --moteur python") from None
    errors_file = _Errors(job.errors_path)
    try:
        output = _DuckOutput(job.output)
    except BaseException:
        errors_file.discard()
        raise
    try:
        _remove_older(job.output, job.errors_path)
        errors_file.write(errors)
        written = _write(con, query, output, output_kind)
        output.count = written
        errors_file.finish()
        output.finish()
        summary = Summary(read=lines - blank, evaluated=written, errors=refused, lines=lines, blank=blank,
                                copied_columns=copied)
        if summary.read != written + errors_file.count or refused != errors_file.count:
            raise AccountingError(f"comptes incohérents : {summary.read} lignes lues, {written} écrites dans la "
                                        f"sortie, {errors_file.count} dans les erreurs — aucune sortie n'est gardée ; "
                                        "merci de signaler ce problème")
        summary.headline = program.headline
        summary.headline_counts = _headline_counts(con, output.temporary, output_kind, program)
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
    if progress is not None:
        progress(1, 1, summary.read)
    summary.seconds = time.perf_counter() - started
    return summary


def _input(con: duckdb.DuckDBPyConnection, path: str, kind: FileFormat,
           program: Program) -> tuple[tuple[str, ...], str]:
    """The input's columns, and a SELECT giving `ligne`, `blank`, `probleme`, `suspect`, `cells`,
    the copied columns and the typed facts."""
    if kind is FileFormat.CSV:
        source = _Input(path, FileFormat.CSV, 1)
        source.close()
        columns, delimiter = source.columns, source.dialect
        if "" in columns:
            raise NeedsPythonReader(f"« {path} » a une colonne sans nom")
        if not plain_lines(path):
            raise NeedsPythonReader(f"« {path} » contient des guillemets, des caractères nuls ou des retours "
                                    "chariot isolés, que seul le lecteur CSV complet sait lire")
        cells = cell_columns(columns, program)
        facts, suspect = fact_select(program, cells)
        copied = [f"NULLIF(cells[{i + 1}], '') AS {quote(c)}" for i, c in enumerate(columns) if c not in program.facts]
        relation = csv_lines(path, delimiter, len(columns))
        problem_ok = "NOT blank AND probleme IS NULL"
        select = ", ".join(["ligne", "blank", "probleme", f"({problem_ok}) AND ({suspect}) AS suspect", "cells",
                            *copied, *facts])
        return columns, f"SELECT {select} FROM {relation}"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({text(path)})").fetchall()
    except duckdb.Error as exc:
        raise BatchError(f"impossible de lire « {path} » : {exc}") from None
    columns = tuple(str(row[0]) for row in described)
    as_text = [f"CASE WHEN {quote(c)} IS NULL THEN '' ELSE CAST({quote(c)} AS VARCHAR) END" for c in columns]
    cells_list = f"[{', '.join(as_text)}]" if as_text else "CAST([] AS VARCHAR[])"
    types = {str(row[0]): str(row[1]) for row in described}
    cells = {c: f"cells[{i + 1}]" for i, c in enumerate(columns) if c in program.facts}
    facts, suspect = fact_select(program, cells)
    foreign = [quote(c) + " IS NOT NULL" for c in columns if c in program.facts
               and types[c] not in _PARQUET_TEXT.get(program.facts[c].type.kind, ())]
    suspect = " OR ".join([suspect, *foreign])
    copied = [f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" for c in columns if c not in program.facts]
    inner = f"SELECT ordinality AS ligne, FALSE AS blank, CAST(NULL AS VARCHAR) AS probleme, {cells_list} AS cells" + \
            "".join(f", {quote(c)}" for c in columns) + f" FROM read_parquet({text(path)}) WITH ORDINALITY"
    select = ", ".join(["ligne", "blank", "probleme", f"({suspect}) AS suspect", "cells", *copied, *facts])
    return columns, f"SELECT {select} FROM ({inner})"


_PARQUET_TEXT = {
    "booleen": ("BOOLEAN", "VARCHAR"), "entier": ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "VARCHAR"),
    "decimal": ("BIGINT", "INTEGER", "VARCHAR"), "taux": ("BIGINT", "INTEGER", "VARCHAR"),
    "montant": ("BIGINT", "INTEGER", "VARCHAR"), "date": ("DATE", "VARCHAR"), "texte": ("VARCHAR",),
    "enum": ("VARCHAR",),
}
"""Parquet column types whose text DuckDB's cast gives as `engine.inputs.facts` reads the same value."""


def _check_columns(job: BatchJob, copied: Sequence[str], program: Program,
                   warn: Callable[[str], None] | None) -> None:
    check_columns(job, copied, program.outputs, program.facts, warn)


def _python_rows(con: duckdb.DuckDBPyConnection, program: Program, columns: Sequence[str],
                 kind: FileFormat) -> list[tuple[int, str]]:
    """Decide the suspect rows with `engine.inputs.facts`: their typed facts replace the cells, or their reason
    goes into `probleme`. Returns every error row (malformed lines too), in line order."""
    suspects = con.execute("SELECT ligne, cells FROM entree WHERE suspect ORDER BY ligne").fetchall()
    if suspects:
        reader = FactReader(program)
        positions = [(i, c) for i, c in enumerate(columns) if c in program.facts]
        read_cells = reader.cells_reader(positions)
        names = [name for _, name in positions]
        fixed: list[tuple[object, ...]] = []
        refused: list[tuple[int, str]] = []
        for line, cells in suspects:
            try:
                typed = read_cells(cells) if kind is FileFormat.CSV else reader.validate(
                    {c: v for c, v in zip(columns, cells, strict=False) if c in program.facts and v != ""})
            except FactsError as exc:
                refused.append((line, _reason(exc)))
                continue
            fixed.append((line, *(canonical(typed.get(n)) for n in names)))
        if refused:
            con.execute("CREATE TEMP TABLE refus (ligne BIGINT, raison VARCHAR)")
            con.executemany("INSERT INTO refus VALUES (?, ?)", refused)
            con.execute("UPDATE entree SET probleme = refus.raison FROM refus WHERE entree.ligne = refus.ligne")
        if fixed:
            _replace_facts(con, program, names, fixed)
    rows = con.execute("SELECT ligne, probleme FROM entree WHERE probleme IS NOT NULL ORDER BY ligne").fetchall()
    return [(int(line), str(reason)) for line, reason in rows]


def _replace_facts(con: duckdb.DuckDBPyConnection, program: Program, names: Sequence[str],
                   fixed: Sequence[tuple[object, ...]]) -> None:
    """Put the facts Python typed into the rows it accepted (as the canonical text, cast)."""
    listed = ", ".join(f"{quote(n)} VARCHAR" for n in names)
    con.execute(f"CREATE TEMP TABLE retenus (ligne BIGINT{', ' + listed if names else ''})")
    marks = ", ".join("?" for _ in range(len(names) + 1))
    con.executemany(f"INSERT INTO retenus VALUES ({marks})", fixed)
    sql_types = {"booleen": "BOOLEAN", "entier": "BIGINT", "date": "DATE"}
    sets = ", ".join(f"{quote(n)} = CAST(retenus.{quote(n)} AS {sql_types.get(program.facts[n].type.kind, 'VARCHAR')})"
                     for n in names)
    con.execute(f"UPDATE entree SET suspect = FALSE{', ' + sets if sets else ''} FROM retenus "
                "WHERE entree.ligne = retenus.ligne")


def _write(con: duckdb.DuckDBPyConnection, query: Query, output: _DuckOutput, kind: FileFormat) -> int:
    """Run the query into the output file; the number of rows written.

    The query is planned with DuckDB's optimiser off: it is one chain of projections over one
    filtered scan, which no optimiser rule makes faster, and optimising it took a fifth of its
    planning."""
    if kind is FileFormat.PARQUET:
        casts = [f"CAST({quote(o)} AS BIGINT) AS {quote(o)}" for o, k in zip(query.outputs, query.kinds, strict=True)
                 if k == "entier"]
        body = f"SELECT * REPLACE ({', '.join(casts)}) FROM ({query.sql})" if casts else query.sql
        options = "FORMAT PARQUET"
    elif kind is FileFormat.JSONL:
        body, options = query.sql, "FORMAT JSON"
    else:
        body, options = query.sql, "FORMAT CSV, HEADER, QUOTE '\"', ESCAPE '\"'"
    con.execute("PRAGMA disable_optimizer")
    try:
        result = con.execute(f"COPY ({body}) TO {text(output.temporary)} ({options}, USE_TMP_FILE false)").fetchone()
    except duckdb.IOException as exc:  # a full disk: "No space left on device" in DuckDB's message
        raise output.write_failed(OSError(str(exc))) from None
    finally:
        con.execute("PRAGMA enable_optimizer")
    return int(result[0]) if result else 0


def _headline_counts(con: duckdb.DuckDBPyConnection, path: str, kind: FileFormat, program: Program) -> dict[str, int]:
    """The counts of the summary line (`<résultat principal> : vrai …`), read back from the output."""
    name = program.headline
    if name is None or name not in program.outputs:
        return {}
    reader = {FileFormat.CSV: "read_csv({}, all_varchar = true)", FileFormat.PARQUET: "read_parquet({})",
              FileFormat.JSONL: "read_json({})"}[kind].format(text(path))
    rows = con.execute(f"SELECT CAST({quote(name)} AS VARCHAR), {quote(name + '__statut')}, count(*) "
                       f"FROM {reader} GROUP BY ALL").fetchall()
    counts: dict[str, int] = {}
    for value, status, n in rows:
        key = _STATUS_KEYS.get(status) or str(value).lower()
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


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError as exc:
        raise BatchError(f"impossible de lire « {path} » : {exc.strerror}") from None
