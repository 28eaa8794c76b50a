"""Writing a batch's output and errors files: under temporary names, flushed, renamed when complete.

Stage: tools, below the run (`engine.tools.batch`). Each file is created beside its final name as
`NAME.<hex>.partiel`; `finish` flushes it to the disk and `commit` renames it, while `discard`
removes it after a failure or an interruption: a file under the final name is always complete.
"""

from __future__ import annotations

import abc
import contextlib
import csv
import glob
import json
import os
import secrets
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine.base.diagnostics import os_reason
from engine.tools.batch_cells import csv_line
from engine.tools.batch_job import PARTIAL_SUFFIX, BatchError, FileFormat

if TYPE_CHECKING:
    import pyarrow as pa  # the `parquet` extra: imported where a Parquet file is written


def partial_path(path: str) -> str:
    """A fresh temporary name beside `path`, that says the file is partial: `SORTIE.<hex>.partiel`."""
    return f"{path}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}"


def _partial_files(final: str) -> list[str]:
    """The partial files of `final` that earlier runs left (killed, or still running)."""
    path = Path(final)
    return sorted(str(p) for p in path.parent.glob(glob.escape(path.name) + ".*" + PARTIAL_SUFFIX)
                  if p.name.count(".") == path.name.count(".") + 2)


def _create(final: str) -> str:
    """Create an empty temporary file beside `final` (mode 0666 less the umask, as `open` would)."""
    while True:
        temporary = partial_path(final)
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        except OSError as exc:
            raise BatchError(f"impossible d'écrire « {final} » : {os_reason(exc)}") from None
        return temporary


class Removals:
    """Files removed on threads of their own while the run goes on; `wait` before the run returns.

    Removing a large file frees its blocks, which takes the file system a while (0.4 s for the
    737 MB of a million rows here, on ext4 mounted with online discard) and no core: the run need
    not wait for it. Not daemon threads: the interpreter waits for them at exit, so that a file
    handed here is gone when the process is.
    """

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []

    def remove(self, path: str) -> None:
        """Remove `path` (already under a name no result takes) on a thread; a failure leaves it there,
        where the next run names it as a partial file."""
        def unlink() -> None:
            with contextlib.suppress(OSError):
                os.unlink(path)

        thread = threading.Thread(target=unlink, name=f"remove {path}")
        thread.start()
        self._threads.append(thread)

    def wait(self) -> None:
        """Wait until every file handed to `remove` is removed (or its removal failed)."""
        for thread in self._threads:
            thread.join()
        self._threads.clear()


def remove_older(removals: Removals, *paths: str) -> None:
    """Take away the files an earlier run left under the final names: until this run is complete, no
    file there may pass for its result. Each is renamed at once to a partial name (the final name is
    free), then removed by `removals`."""
    for path in paths:
        aside = partial_path(path)
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise BatchError(f"impossible de remplacer « {path} » : {os_reason(exc)}") from None
        removals.remove(aside)


def _sync(path: str) -> None:
    """Flush a closed file to the disk, so that the name it is renamed to never holds less."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Written(abc.ABC):
    """A file written under a temporary name, renamed to its final name by `commit`."""

    def __init__(self, final: str) -> None:
        self.final = final
        self.temporary = _create(final)
        self.count = 0
        """Rows written so far."""
        self.closed = False

    def write_failed(self, exc: OSError) -> BatchError:
        """The French error for a failed write (a full disk, a lost mount…)."""
        return BatchError(f"impossible d'écrire « {self.final} » : {_write_reason(exc)} ; "
                          "le traitement est arrêté et aucune sortie n'est gardée")

    def finish(self) -> None:
        """Close the file and flush it to the disk."""
        try:
            self._close()
            _sync(self.temporary)
        except OSError as exc:
            raise self.write_failed(exc) from None

    def commit(self) -> None:
        """Give the finished file its final name (atomically, replacing an older file)."""
        try:
            os.replace(self.temporary, self.final)
        except OSError as exc:
            raise self.write_failed(exc) from None

    def discard(self) -> None:
        """Close and remove the temporary file (after a failure or an interruption); never raises."""
        with contextlib.suppress(Exception):  # the file is removed anyway; the first error is the one to report
            self._close()
        with contextlib.suppress(OSError):
            os.unlink(self.temporary)

    def _close(self) -> None:
        if not self.closed:
            self.closed = True
            self.close()

    @abc.abstractmethod
    def close(self) -> None:
        """Close what writes the file (each subclass has its own writer)."""


def _write_reason(exc: OSError) -> str:
    if exc.errno is None and "No space left" in str(exc):  # pyarrow's errors carry the errno in their text only
        return "disque plein"
    return os_reason(exc)


class _Output(_Written):
    """The results file, written chunk after chunk."""

    BUFFER_ROWS = 65536
    """Parquet rows gathered before a row group is written."""

    def __init__(self, path: str, kind: FileFormat, columns: Sequence[str], schema: pa.Schema | None) -> None:
        super().__init__(path)
        self.kind = kind
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        try:
            if kind == FileFormat.PARQUET:
                import pyarrow.parquet as pq
                self.writer = pq.ParquetWriter(self.temporary, schema)
            else:
                self.file = open(self.temporary, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by close()
                if kind == FileFormat.CSV:  # the names quoted as the cells are (DuckDB's engine writes the same line)
                    self.file.write(csv_line(columns) + "\n")
        except OSError as exc:
            self.discard()
            raise BatchError(f"impossible d'écrire « {path} » : {_write_reason(exc)}") from None

    def write(self, encoded: str | pa.RecordBatch, rows: int) -> None:
        """Write a chunk's encoded rows (`_Rows.encode`); `rows` counts them, in a CSV chunk."""
        try:
            if isinstance(encoded, str):
                if self.kind == FileFormat.JSONL:
                    rows = encoded.count("\n")  # one object a line: the rows, counted again
                self.count += rows
                self.file.write(encoded)
                return
            rows = encoded.num_rows
            self.count += rows
            if rows:
                self.pending.append(encoded)
                self.pending_rows += rows
            if self.pending_rows >= self.BUFFER_ROWS:
                self.flush()
        except OSError as exc:
            raise self.write_failed(exc) from None

    def flush(self) -> None:
        """Write the Parquet rows gathered so far as one row group."""
        if self.kind == FileFormat.PARQUET and self.pending:
            import pyarrow as pa
            self.writer.write_table(pa.Table.from_batches(self.pending))
            self.pending, self.pending_rows = [], 0

    def close(self) -> None:
        if self.kind == FileFormat.PARQUET:
            if hasattr(self, "writer"):
                try:
                    self.flush()
                finally:
                    self.writer.close()
        elif hasattr(self, "file"):
            self.file.close()


class _Errors(_Written):
    """The errors file: `ligne`, `raison`, one row per row that could not be evaluated."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.kind = FileFormat.JSONL if Path(path).suffix.lower() in {".jsonl", ".ndjson"} else FileFormat.CSV
        try:
            self.file = open(self.temporary, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by close()
            self.csv = csv.writer(self.file, lineterminator="\n")
            if self.kind == FileFormat.CSV:
                self.csv.writerow(["ligne", "raison"])
        except OSError as exc:
            self.discard()
            raise BatchError(f"impossible d'écrire « {path} » : {_write_reason(exc)}") from None

    def write(self, errors: list[tuple[int, str]]) -> None:
        try:
            if self.kind == FileFormat.CSV:
                self.csv.writerows(errors)
            else:
                self.file.writelines(json.dumps({"ligne": line, "raison": reason}, ensure_ascii=False) + "\n"
                                     for line, reason in errors)
        except OSError as exc:
            raise self.write_failed(exc) from None
        self.count += len(errors)

    def close(self) -> None:
        if hasattr(self, "file"):
            self.file.close()
