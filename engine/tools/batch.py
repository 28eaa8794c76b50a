"""`regles batch`, the entry point: `run(BatchJob(...))` evaluates a file of fact rows with the engine
the job names, and the batch's public names, gathered from its modules.

Stage: tools, on top of `engine.api`. Two engines write the same files with the same accounting
(the guarantees are stated in `engine.tools.batch_python`): `sql` (DuckDB, in `sql_batch`: the rule
file compiled to one query by `engine.sql`) and `python` (in `batch_python`, worker processes over
the program's backend). Their output is the same, byte for byte (tests/test_sql.py,
tests/test_sql_reading.py), and DuckDB is faster from about 8 000 rows (0.9 s against 1.2 s at
10 000 rows, 5.1 × at a million, docs/performance.md; below, planning its query makes it up to half a
second slower). The default, `auto`, runs DuckDB wherever it is the faster: CSV and JSON Lines from
1 MB (`batch_job.SMALL_INPUT_BYTES`) and Parquet, without `--explain`. It hands to the Python engine,
without a word, a smaller file, `--explain`, an input DuckDB does not read line by line and a rule
file with a construct the SQL generator does not translate. `--moteur sql` (or `REGLES_MOTEUR=sql`)
asks for DuckDB: the same fall-backs then come with a warning, and an untranslated construct is an
error; `--moteur python` asks for Python.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.sql.exprs import SqlUnsupported
from engine.tools import batch_python
from engine.tools.batch_cells import csv_cell, output_columns
from engine.tools.batch_input import LOOKAHEAD_PER_LINE, MAX_RECORD_LINES, UNCLOSED_QUOTE, csv_delimiter
from engine.tools.batch_job import (
    HEADLINE_WORDS,
    PARTIAL_SUFFIX,
    AccountingError,
    BatchError,
    BatchJob,
    Interrupted,
    Summary,
    file_format,
    small_input,
)
from engine.tools.engines import ENGINES, NO_DUCKDB

__all__ = [
    "ENGINES", "HEADLINE_WORDS", "LOOKAHEAD_PER_LINE", "MAX_RECORD_LINES", "PARTIAL_SUFFIX", "UNCLOSED_QUOTE",
    "AccountingError", "BatchError", "BatchJob", "Interrupted", "Summary", "csv_cell", "csv_delimiter",
    "file_format", "output_columns", "run",
]
"""The batch's public names, gathered from its modules. The private ones (`_Input`, `_Rows`,
`_check_accounts`…), which `engine.tools.bulk_letters` and the tests share, are imported from the
modules that define them."""


def run(job: BatchJob, *, progress: Callable[[int, int, int], None] | None = None,
        warn: Callable[[str], None] | None = None) -> Summary:
    """Evaluate `job` with its engine (`job.engine`); the summary of what was read, written and refused,
    with the engine that evaluated it (`Summary.engine`).

    Raises:
        BatchError: an unknown engine; with `sql` asked for, DuckDB missing or a construct the SQL
            generator does not translate; or what the engine raises.
    """
    if job.engine not in ENGINES:
        raise BatchError(f"moteur « {job.engine} » inconnu (REGLES_MOTEUR ou --moteur) : {', '.join(ENGINES)}")
    if job.engine == "python" or (job.engine == "auto" and (job.explain or small_input(job.input))):
        return _python(job, progress, warn)
    asked = job.engine == "sql"
    try:
        from engine.tools import sql_batch  # imported when used: DuckDB takes some 0.15 s to import
    except ModuleNotFoundError as exc:  # DuckDB is a dependency; a platform without its wheel runs in Python
        if exc.name != "duckdb":
            raise
        if not asked:
            return _python(job, progress, warn)
        raise BatchError(NO_DUCKDB) from exc
    try:
        summary = sql_batch.run(job, progress=progress, warn=warn)
    except sql_batch.NeedsPythonReader as why:
        if asked and warn is not None:
            warn(f"moteur SQL : {why} ; cette entrée est évaluée par le moteur Python")
    except SqlUnsupported as exc:
        if asked:
            raise BatchError(f"moteur SQL : {exc} ; relancez avec --moteur python") from None
    else:
        summary.engine = "sql"
        return summary
    return _python(job, progress, warn)


def _python(job: BatchJob, progress: Callable[[int, int, int], None] | None,
            warn: Callable[[str], None] | None) -> Summary:
    summary = batch_python.run(job, progress=progress, warn=warn)
    summary.engine = "python"
    return summary
