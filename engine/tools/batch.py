"""`regles batch`, the entry point: `run(BatchJob(...))` evaluates a file of fact rows with the engine
the job names, and the batch's public names, gathered from its modules.

Stage: tools, on top of `engine.api`. Two engines write the same files with the same accounting
(the guarantees are stated in `engine.tools.batch_python`): `python` (the default, in
`batch_python`, worker processes over the program's backend) and `sql` (DuckDB, in `sql_batch`:
the rule file compiled to one query by `engine.sql`; the `[sql]` extra). The SQL engine evaluates
CSV, JSON Lines and Parquet without `--explain`; an input it does not read line by line it hands
back to the Python engine, with a warning. Its output is the Python engine's, byte for byte
(tests/test_sql.py, tests/test_sql_reading.py) and it is faster (3.3 × at a million rows,
docs/performance.md), but it is not yet the default: it misses the issue's speed targets, it is a 66 MB
extra, and its fall-back warnings are meant for a user who asked for it. It is chosen on request
(`--moteur sql`, `REGLES_MOTEUR`).
"""

from __future__ import annotations

from collections.abc import Callable

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
)

__all__ = [
    "ENGINES", "HEADLINE_WORDS", "LOOKAHEAD_PER_LINE", "MAX_RECORD_LINES", "PARTIAL_SUFFIX", "UNCLOSED_QUOTE",
    "AccountingError", "BatchError", "BatchJob", "Interrupted", "Summary", "csv_cell", "csv_delimiter",
    "file_format", "output_columns", "run",
]
"""The batch's public names, gathered from its modules. The private ones (`_Input`, `_Rows`,
`_check_accounts`…), which `engine.tools.bulk_letters` and the tests share, are imported from the
modules that define them."""

ENGINES = ("python", "sql")
"""The batch engines, in the words of `--moteur`."""


def run(job: BatchJob, *, progress: Callable[[int, int, int], None] | None = None,
        warn: Callable[[str], None] | None = None) -> Summary:
    """Evaluate `job` with its engine (`job.engine`); the summary of what was read, written and refused.

    Raises:
        BatchError: an unknown engine, the SQL engine without its extra, or what the engine raises.
    """
    if job.engine not in ENGINES:
        raise BatchError(f"moteur « {job.engine} » inconnu (REGLES_MOTEUR ou --moteur) : {', '.join(ENGINES)}")
    if job.engine == "python":
        return batch_python.run(job, progress=progress, warn=warn)
    try:
        from engine.tools import sql_batch  # DuckDB is the [sql] extra: imported only when asked for
    except ModuleNotFoundError as exc:
        if exc.name != "duckdb":
            raise
        raise BatchError("le moteur SQL demande DuckDB : installez-le avec pip install 'regles[sql]'") from exc
    try:
        return sql_batch.run(job, progress=progress, warn=warn)
    except sql_batch.NeedsPythonReader as why:
        if warn is not None:
            warn(f"moteur SQL : {why} ; cette entrée est évaluée par le moteur Python")
        return batch_python.run(job, progress=progress, warn=warn)
