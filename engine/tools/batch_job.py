"""What a batch is asked to do and what it reports: the job, the summary, the errors, the formats.

Stage: tools, the batch's lowest module; every other `batch_*` module and `engine.cli.commands.batch`
import it, and it imports no other batch module.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from attrs import define, field, frozen

from engine.base.diagnostics import EngineError
from engine.lang.results import STATUS_FRENCH


class FileFormat(StrEnum):
    """The format of a batch file, from its extension (`file_format`)."""

    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"


FORMATS = {".csv": FileFormat.CSV, ".jsonl": FileFormat.JSONL, ".ndjson": FileFormat.JSONL,
           ".parquet": FileFormat.PARQUET, ".pq": FileFormat.PARQUET}
HEADLINE_WORDS = {"true": "vrai", "false": "faux", **{k: w for k, w in STATUS_FRENCH.items() if k != "value"}}

CHUNK_ROWS = 4000
"""Rows per chunk: large enough that sending a chunk to a worker costs little per row."""
EXPLAIN_CHUNK_ROWS = 50
"""Rows per chunk with `--explain`: a row then carries about 90 KB of explanations (17 outputs of the
2024 file), and a few chunks are in flight at once; smaller chunks keep memory flat."""
SMALL_INPUT_BYTES = 1_000_000
"""Below this size a CSV or JSON Lines input is evaluated faster by the Python engine: DuckDB plans
the 2024 rule file's query in about half a second before it reads a row, and the Python engine
evaluates about 10 000 rows a second on one core; the two cross near 8 000 rows of the benchmark
population (1.2 MB; docs/performance.md). A Parquet input always goes to DuckDB under `auto` (the
Python engine reads Parquet only with the `parquet` extra)."""
PARTIAL_SUFFIX = ".partiel"
"""Suffix of the temporary files a run writes before renaming them to their final names."""


class BatchError(EngineError):
    """Bad arguments, unreadable or unwritable files for a batch (the command line exits with 2)."""


class AccountingError(BatchError):
    """The counts of a finished run do not add up: a line read is neither written nor an error.

    This is a bug, never bad input: the command line exits with 70 and no output is kept.
    """


class Interrupted(BaseException):
    """A termination signal (SIGTERM, SIGHUP) during a run, raised by the command line's handler.

    A BaseException, so that the per-row `except Exception` of the evaluation cannot report it as
    a bad row: it unwinds the run, which removes its partial files.
    """

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


def small_input(path: str | Path) -> bool:
    """Whether `auto` leaves this input to the Python engine: a CSV or JSON Lines file smaller than
    `SMALL_INPUT_BYTES` (an unreadable path is not small: the engine that runs says why)."""
    if FORMATS.get(Path(path).suffix.lower()) not in {FileFormat.CSV, FileFormat.JSONL}:
        return False
    try:
        return os.path.getsize(path) < SMALL_INPUT_BYTES
    except OSError:
        return False


def file_format(path: str | Path, role: str) -> FileFormat:
    """`csv`, `jsonl` or `parquet`, from the file's extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise BatchError(f"format de {role} inconnu pour « {path} » ({suffix or 'sans extension'}) : "
                         f"extensions reconnues {known}")
    return FORMATS[suffix]


@frozen
class BatchJob:
    """What to evaluate, where to read and where to write."""

    rules: str
    input: str
    output: str
    errors: str | None = None
    workers: int = 1
    explain: bool = False
    chunk_rows: int | None = None
    """Rows per chunk; by default CHUNK_ROWS, or EXPLAIN_CHUNK_ROWS with `explain`."""
    engine: str = field(factory=lambda: os.environ.get("REGLES_MOTEUR", "auto"))
    """`auto` (DuckDB wherever it evaluates the job, else Python, silently), `sql` (DuckDB,
    `engine.tools.sql_batch`; what it does not evaluate goes to Python with a warning) or `python`
    (`engine.tools.batch_python`); `engine.tools.batch` says when. The default is the environment
    variable `REGLES_MOTEUR`, else `auto`."""

    @property
    def rows_per_chunk(self) -> int:
        """The chunk size in effect."""
        if self.chunk_rows is not None:
            return self.chunk_rows
        return EXPLAIN_CHUNK_ROWS if self.explain else CHUNK_ROWS

    @property
    def errors_path(self) -> str:
        """The errors file: `--errors`, or the output's name followed by `.erreurs.csv`."""
        return self.errors or self.output + ".erreurs.csv"


@define
class Summary:
    """The counts a batch ends with."""

    read: int = 0
    """Rows read: one per record (a record is one line, or several when a quoted field holds newlines)."""
    evaluated: int = 0
    """Rows written to the output (for `regles letters`, rows whose letter was written)."""
    errors: int = 0
    """Rows written to the errors file instead."""
    lines: int = 0
    """Data lines of the input (without the CSV header; Parquet: rows), every one accounted for."""
    blank: int = 0
    """Blank lines, skipped."""
    multiline: int = 0
    """Rows spanning several lines of a CSV file."""
    headline: str | None = None
    """The rule file's headline result (`résultat principal`), whose values `headline_counts` counts."""
    headline_counts: dict[str, int] = field(factory=dict)
    """Rows by value or status of the headline result (`true`, `false`, `missing`…); empty without one."""
    seconds: float = 0.0
    engine: str = ""
    """The engine that evaluated the rows, `sql` or `python` (set by `engine.tools.batch.run`)."""
    copied_columns: tuple[str, ...] = ()

    @property
    def rate(self) -> float:
        """Rows per second, counting every row read."""
        return self.read / self.seconds if self.seconds > 0 else 0.0
