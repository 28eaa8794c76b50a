"""Reading the input of a batch: CSV, JSON Lines or Parquet files cut into chunks of whole records.

Stage: tools, below the run (`engine.tools.batch`). `_Input` cuts a file into `_Chunk`s in the main
process, finding CSV records that span several lines and the lines that are malformed; the rows of
a chunk are then parsed where they are evaluated (`engine.tools.batch_rows`), with `_csv_record`.
"""

from __future__ import annotations

import collections
import csv
import json
import os
import re
from collections.abc import Iterator, Sequence
from typing import Any

from attrs import frozen

from engine.base.diagnostics import os_reason
from engine.tools.batch_job import BatchError, FileFormat

MAX_RECORD_LINES = 1000
"""Lines a CSV record may span when a quoted field holds newlines; beyond, its first line is an error."""
MAX_RECORD_BYTES = 1 << 20
"""Bytes a CSV record spanning several lines may hold (1 MiB); beyond, its first line is an error."""
LOOKAHEAD_PER_LINE = 4
"""Lines the CSV reader may look at ahead, to find records spanning several lines, per line read
(plus MAX_RECORD_LINES): a real multi-line record costs its own lines, a stray quote one or two,
while a hostile file of lines that all leave a quote open would cost MAX_RECORD_LINES each. Past
this budget, a line that leaves a quote open is an error row without looking further."""

_SEPARATORS = {",": "virgule", ";": "point-virgule", "\t": "tabulation"}


def csv_delimiter(header: str) -> str:
    """The separator of a CSV file, from its header line: `,`, or `;` as a French spreadsheet writes, or tab.

    Fact names contain none of them, so the header holds exactly one kind (outside quotes), or none
    for a single column. A header that holds two is refused rather than read with a guess.

    Raises:
        BatchError: the header holds two kinds of separator.
    """
    bare = re.sub(r'"[^"]*"', "", header)
    found = [sep for sep in _SEPARATORS if sep in bare]
    if len(found) > 1:
        names = " et ".join(_SEPARATORS[sep] for sep in found)
        raise BatchError(f"en-tête CSV ambigu : il contient des séparateurs de plusieurs sortes ({names}) ; "
                         "séparez les colonnes par un seul : virgule, point-virgule ou tabulation")
    return found[0] if found else ","


@frozen
class _Chunk:
    first: int
    """Line (CSV, JSON Lines) or rank (Parquet) of the chunk's first row."""
    payload: Any
    size: int
    """Bytes (CSV, JSON Lines) or rows (Parquet) of the input it covers, for the progress bar."""
    lines: int = 0
    """Lines (CSV, JSON Lines) or rows (Parquet) the chunk holds."""
    bad: tuple[tuple[int, str], ...] = ()
    """(offset, reason) of CSV lines the reader already found malformed (a quote never closed)."""
    spans: tuple[tuple[int, int], ...] = ()
    """(offset, lines) of CSV records spanning several lines; every other record is one line."""


class _Input:
    """The input file: its columns, its size, its chunks, and the lines and bytes read so far."""

    def __init__(self, path: str, kind: FileFormat, chunk_rows: int) -> None:
        self.path = path
        self.kind = kind
        self.chunk_rows = chunk_rows
        self.columns: tuple[str, ...] = ()
        self.dialect = ","
        self.lines = 0
        """Data lines (Parquet: rows) put in chunks so far."""
        self.bytes = 0
        """Bytes of the text file read so far, header included."""
        try:
            if kind == FileFormat.PARQUET:
                import pyarrow.parquet as pq
                self.parquet = pq.ParquetFile(path)
                self.columns = tuple(self.parquet.schema_arrow.names)
                self.total = self.parquet.metadata.num_rows
            else:
                self.file = open(path, "rb")  # noqa: SIM115 - closed by close()
                self.total = os.fstat(self.file.fileno()).st_size
                self._first_line = 1
                if kind == FileFormat.CSV:
                    self._read_header()
                else:
                    self._peek_json_keys()
        except BaseException as exc:
            self.close()
            if isinstance(exc, OSError):
                raise BatchError(f"impossible de lire « {path} » : {os_reason(exc)}") from None
            if isinstance(exc, Exception) and not isinstance(exc, BatchError):  # pyarrow's, for a file not Parquet
                raise BatchError(f"impossible de lire « {path} » : {exc}") from None
            raise

    def _read_header(self) -> None:
        header = self.file.readline()
        if not header:
            return
        self.bytes += len(header)
        text = header.decode("utf-8-sig", "replace").rstrip("\r\n")
        if "\0" in text:
            raise BatchError(f"« {self.path} », ligne 1 : en-tête illisible : {NUL_CHARACTER} ; "
                             "enregistrez le fichier en UTF-8")
        self.dialect = csv_delimiter(text)
        try:
            self.columns = tuple(next(csv.reader([text], delimiter=self.dialect, strict=True)))
        except csv.Error as exc:
            raise BatchError(f"« {self.path} », ligne 1 : en-tête illisible : {_csv_problem(exc)}") from None
        self._first_line = 2
        duplicated = sorted({c for c in self.columns if self.columns.count(c) > 1})
        if duplicated:
            raise BatchError(f"« {self.path} » : colonnes en double : {', '.join(duplicated)}")

    def _peek_json_keys(self) -> None:
        """The keys of the first JSON object, to decide which keys are copied columns."""
        position = self.file.tell()
        for raw in self.file:
            if raw.strip():
                try:
                    data = json.loads(raw.decode("utf-8-sig"))
                except (ValueError, RecursionError):
                    data = None
                if isinstance(data, dict):  # the first object: a line that is not one is reported later
                    self.columns = tuple(data)
                    break
        self.file.seek(position)

    def chunks(self) -> Iterator[_Chunk]:
        if self.kind == FileFormat.PARQUET:
            yield from self._parquet_chunks()
            return
        try:
            yield from self._text_chunks()
        except OSError as exc:
            raise BatchError(f"impossible de lire « {self.path} » après la ligne {self._first_line + self.lines - 1} : "
                             f"{os_reason(exc)}") from None

    def _parquet_chunks(self) -> Iterator[_Chunk]:
        first = 1
        batches = self.parquet.iter_batches(batch_size=self.chunk_rows)
        while True:
            try:
                batch = next(batches, None)
            except Exception as exc:  # noqa: BLE001 - pyarrow's errors for a damaged file
                raise BatchError(f"« {self.path} » : fichier Parquet illisible après la ligne {first - 1} : "
                                 f"{exc}") from None
            if batch is None:
                return
            self.lines += batch.num_rows
            yield _Chunk(first, batch, batch.num_rows, batch.num_rows)
            first += batch.num_rows

    def _text_chunks(self) -> Iterator[_Chunk]:
        """Chunks of whole records, with the CSV lines already known to be malformed."""
        first = self._first_line
        parts: list[bytes] = []
        bad: list[tuple[int, str]] = []
        spans: list[tuple[int, int]] = []
        records = 0
        records_of = self._csv_records() if self.kind == FileFormat.CSV else (((raw,), None) for raw in self.file)
        for record, problem in records_of:
            if problem is not None:
                bad.append((len(parts), problem))
            elif len(record) > 1:
                spans.append((len(parts), len(record)))
            parts += record
            records += 1
            if records >= self.chunk_rows:
                yield self._chunk(first, parts, bad, spans)
                first += len(parts)
                parts, bad, spans, records = [], [], [], 0
        if parts:
            yield self._chunk(first, parts, bad, spans)

    def _chunk(self, first: int, parts: list[bytes], bad: list[tuple[int, str]],
               spans: list[tuple[int, int]]) -> _Chunk:
        payload = b"".join(parts)
        self.lines += len(parts)
        self.bytes += len(payload)
        return _Chunk(first, payload, len(payload), len(parts), tuple(bad), tuple(spans))

    def _csv_records(self) -> Iterator[tuple[Sequence[bytes], str | None]]:
        """The lines of each CSV record, and a reason when its (only) line is malformed.

        A line with no quote is a record: the common case costs one `in`. A line whose quoted field
        is still open at its end may go on over the next lines, but only if those lines (at most
        MAX_RECORD_LINES, MAX_RECORD_BYTES) form exactly one record of the header's width, and no
        line strictly inside is a record of that width by itself (then the quote is a stray one:
        two damaged lines would otherwise swallow the rows between them). Otherwise the line alone
        is an error and reading resumes at the next line, so that one stray quote costs one row,
        never the rows after it.
        """
        lines = iter(self.file)
        again: collections.deque[bytes] = collections.deque()  # lines looked ahead at, to read again
        seen = looked = 0  # lines given out, lines looked at ahead (LOOKAHEAD_PER_LINE)
        while True:
            raw = again.popleft() if again else next(lines, None)
            if raw is None:
                return
            if b'"' not in raw or not self._open_at_end(raw):
                seen += 1
                yield (raw,), None
                continue
            pending = [raw]
            size = len(raw)
            closed = False
            lookahead = looked <= LOOKAHEAD_PER_LINE * seen + MAX_RECORD_LINES
            while lookahead and len(pending) < MAX_RECORD_LINES and size <= MAX_RECORD_BYTES:
                more = again.popleft() if again else next(lines, None)
                if more is None:
                    break
                pending.append(more)
                size += len(more)
                if more.count(b'"') % 2:
                    closed = True
                    break
                if self._full_width(more):  # a row inside: the quote was a stray one, no need to look further
                    break
            looked += 2 * len(pending) - 1 if closed else len(pending) - 1
            if closed and self._one_record(pending):
                seen += len(pending)
                yield pending, None
                continue
            seen += 1
            yield (raw,), UNCLOSED_QUOTE
            again.extendleft(reversed(pending[1:]))

    def _open_at_end(self, raw: bytes) -> bool:
        """Whether a line ends inside a quoted field (it may then continue on the next line)."""
        text = raw.decode("utf-8", "surrogateescape")
        try:
            next(csv.reader([text], delimiter=self.dialect, strict=True), None)
        except csv.Error as exc:
            return "unexpected end of data" in str(exc)
        return False

    def _one_record(self, lines: list[bytes]) -> bool:
        """Whether these lines are exactly one well-formed record of the header's width."""
        reader = csv.reader([raw.decode("utf-8", "surrogateescape") for raw in lines], delimiter=self.dialect,
                            strict=True)
        try:
            row = next(reader, None)
        except csv.Error:
            return False
        return row is not None and reader.line_num == len(lines) and len(row) == len(self.columns)

    def _full_width(self, raw: bytes) -> bool:
        """Whether a line read alone is a record of the header's width (never, for a one-column file)."""
        width = len(self.columns)
        if width < 2:
            return False
        if b'"' not in raw:
            return raw.count(self.dialect.encode()) + 1 == width
        return _cells(raw.decode("utf-8", "surrogateescape"), self.dialect) == width

    def close(self) -> None:
        if hasattr(self, "file"):
            self.file.close()


def _cells(text: str, delimiter: str) -> int:
    """The number of cells of a line read alone as a CSV record (0 when it is not one)."""
    try:
        return len(next(csv.reader([text], delimiter=delimiter, strict=True), ()))
    except csv.Error:
        return 0


UNCLOSED_QUOTE = "guillemet non refermé sur cette ligne ; la lecture reprend à la ligne suivante"
NUL_CHARACTER = "caractère nul dans la ligne (fichier binaire, ou encodé en UTF-16 ?)"


def _csv_record(lines: list[str], delimiter: str) -> tuple[list[str], str | None]:
    """The cells of one CSV record (its lines without their `\\n`), or a French reason it is malformed.

    A NUL character makes the record malformed (the `csv` module would read it as a character).
    A line without quotes or carriage return is split as the `csv` module would split it;
    any other record goes through a strict `csv.reader` that must use all its lines and no more.
    """
    if any("\0" in line for line in lines):
        return [], NUL_CHARACTER
    if len(lines) == 1:
        line = lines[0]
        line = line.removesuffix("\r")
        if '"' not in line and "\r" not in line:
            return line.split(delimiter) if line else [], None
    reader = csv.reader([line + "\n" for line in lines], delimiter=delimiter, strict=True)
    try:
        row = next(reader, [])
    except csv.Error as exc:
        return [], _csv_problem(exc)
    if reader.line_num != len(lines):  # cannot happen: the record's lines were found by the same rules
        return [], UNCLOSED_QUOTE
    return row, None


def _csv_problem(exc: csv.Error) -> str:
    """`csv.Error`'s English message, said in French."""
    message = str(exc)
    if "unexpected end of data" in message:
        return UNCLOSED_QUOTE
    if "expected after" in message:
        return ("guillemet mal placé : après le guillemet qui ferme un champ, un séparateur ou la fin de ligne est "
                "attendu (un guillemet dans un champ entre guillemets s'écrit \"\")")
    if "new-line" in message:
        return "retour chariot isolé dans un champ sans guillemets"
    if "field larger" in message:
        return f"champ de plus de {csv.field_size_limit():,} caractères".replace(",", " ")
    return f"ligne CSV illisible ({message})"
