"""Evaluating the rows of a batch, chunk by chunk, in the main process or in a worker process.

Stage: tools, between the reading of the input (`engine.tools.batch_input`) and the run
(`engine.tools.batch`). `_Rows` holds one rule file and one input's layout: it parses a chunk's
records, evaluates each row with the compiled program, fills its output cells and encodes the
chunk for the output format; a bad row becomes an error row with its reason, the others go on.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, cast

from attrs import frozen

from engine import api
from engine.base.diagnostics import EngineError
from engine.check.model import Program
from engine.evaluate.backend import backend_for, fact_reader
from engine.inputs.fastfacts import FactReader
from engine.lang.results import Missing, NotApplicable, Result, Undetermined, Value
from engine.tools.batch_cells import STATUSES, _json_default, _row_filler, arrow_schema, csv_cell, output_columns
from engine.tools.batch_input import _Chunk, _csv_record
from engine.tools.batch_job import FileFormat

_COMPACT = (",", ":")
"""JSON Lines without a space after `,` and `:`, as DuckDB writes them: both engines write the same bytes."""


@frozen
class _Config:
    """Everything a worker needs; sent once, when the worker starts."""

    rules: str
    input_format: FileFormat
    output_format: FileFormat
    columns: tuple[str, ...]
    copied: tuple[str, ...]
    explain: bool
    cwd: str
    delimiter: str = ","


@frozen
class _Done:
    """A chunk evaluated: its counts, its encoded output rows (`_Rows.encode`) and its error rows."""

    rows: int
    evaluated: int
    output: Any
    """CSV or JSON Lines text, or a pyarrow `RecordBatch`."""
    errors: list[tuple[int, str]]
    headline_counts: dict[str, int]
    size: int
    lines: int = 0
    """Lines the rows, the error rows and the blank lines of the chunk cover."""
    blank: int = 0
    multiline: int = 0


class _Rows:
    """Evaluates rows of one input file with one rule file (one per process)."""

    def __init__(self, config: _Config, ruleset: api.Ruleset | None = None) -> None:
        self.config = config
        self.ruleset = ruleset if ruleset is not None else api.load(config.rules)
        program = self.ruleset.program
        self.reader = fact_reader(program)
        self.evaluate_outputs = backend_for(program).outputs  # the program's one backend, bound once
        self.outputs = program.outputs
        self.types = [program.definitions[name].type for name in self.outputs]
        self.facts = frozenset(program.facts)
        self.copied = frozenset(config.copied)
        self.headline = self.outputs.index(program.headline) if program.headline in self.outputs else None
        positions = [(i, c) for i, c in enumerate(config.columns) if c in self.facts]
        self.cells_reader = self.reader.cells_reader(positions)
        fmt = config.output_format
        self.fill = _row_filler([t.kind for t in self.types], fmt, config.explain)
        self.text_cells = fmt == FileFormat.CSV
        self.columns = output_columns(config.copied, self.outputs, config.explain)
        parquet = fmt == FileFormat.PARQUET
        self.schema = arrow_schema(self.columns, self.types, config.copied, config.explain) if parquet else None

    # ── parsing a chunk into records: (line, lines spanned, raw facts, copied values, problem) ──
    # A blank line is (line, 1, None, (), None): it is not a row, but it is accounted for.
    def records(self, chunk: _Chunk) -> Iterator[_Record]:
        """The records of a chunk, parsed as its input format reads."""
        kind = self.config.input_format
        if kind == FileFormat.CSV:
            return self._csv(chunk)
        if kind == FileFormat.JSONL:
            return self._jsonl(chunk)
        return self._parquet(chunk)

    def _csv(self, chunk: _Chunk) -> Iterator[_Record]:
        """Each record parsed on its own, so that a malformed one cannot swallow the lines after it."""
        columns = self.config.columns
        width = len(columns)
        delimiter = self.config.delimiter
        copied_at = [i for i, c in enumerate(columns) if c in self.copied]
        text = chunk.payload.decode("utf-8", "surrogateescape")
        ascii_only = text.isascii()
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        bad = dict(chunk.bad)
        spans = dict(chunk.spans)
        i = 0
        while i < len(lines):
            start = chunk.first + i
            span = spans.get(i, 1)
            problem = bad.get(i)
            if problem is not None:
                i += 1
                yield start, 1, None, (), problem
                continue
            record = lines[i:i + span]
            i += span
            row, problem = _csv_record(record, delimiter)
            if problem is None:
                if not row or (len(row) == 1 and not row[0].strip() and width > 1):
                    yield start, span, None, (), None  # a blank line is not a row
                    continue
                if len(row) != width:
                    problem = f"ligne mal formée : {len(row)} champ{'s' if len(row) > 1 else ''} au lieu de {width}"
                elif not ascii_only and not _utf8(row):
                    problem = "encodage invalide : le fichier doit être en UTF-8"
            if problem is not None:
                if span > 1:
                    problem += f" (enregistrement sur les lignes {start} à {start + span - 1})"
                yield start, span, None, (), problem
                continue
            yield start, span, row, self.copy(tuple(row[j] or None for j in copied_at)), None

    def _jsonl(self, chunk: _Chunk) -> Iterator[_Record]:
        copied = self.config.copied
        pieces = chunk.payload.split(b"\n")
        if pieces and pieces[-1] == b"":
            pieces.pop()
        for offset, raw in enumerate(pieces):
            line = chunk.first + offset
            if not raw.strip():
                yield line, 1, None, (), None
                continue
            data = json_record(raw, line)
            if isinstance(data, str):
                yield line, 1, None, (), data
                continue
            values = tuple(data.pop(c, None) for c in copied)
            yield line, 1, data, self.copy(values), None

    def _parquet(self, chunk: _Chunk) -> Iterator[_Record]:
        copied = self.config.copied
        for offset, data in enumerate(chunk.payload.to_pylist()):
            values = tuple(data.pop(c, None) for c in copied)
            yield (chunk.first + offset, 1, {k: v for k, v in data.items() if v is not None and v != ""},
                   self.copy(values), None)

    def copy(self, values: tuple[object, ...]) -> tuple[object, ...]:
        """Copied cells as the output holds them: JSON values in JSON Lines, text elsewhere."""
        fmt = self.config.output_format
        if fmt == FileFormat.JSONL:
            return tuple(v if v is None or isinstance(v, (str, int, float, bool, list, dict)) else cell_text(v)
                         for v in values)
        if fmt == FileFormat.CSV:
            return tuple("" if v is None else csv_cell(cell_text(v)) for v in values)
        return tuple(None if v is None else cell_text(v) for v in values)

    # ── evaluating ──
    def chunk(self, chunk: _Chunk) -> _Done:
        """Evaluate a chunk's rows; a row that cannot be evaluated is an error row with its reason."""
        rows: list[list[object]] = []
        errors: list[tuple[int, str]] = []
        headline: collections.Counter[str] = collections.Counter()
        count = lines = blank = multiline = 0
        for line, span, raw, copied, problem in self.records(chunk):
            lines += span
            if raw is None and problem is None:
                blank += 1
                continue
            count += 1
            if span > 1:
                multiline += 1
            if problem is None and raw is not None:
                try:
                    row, headline_key = self.row(line, raw, copied)
                except Exception as exc:  # noqa: BLE001 - a bad row is reported, the others go on
                    problem = _reason(exc)
                else:
                    rows.append(row)
                    if headline_key is not None:
                        headline[headline_key] += 1
                    continue
            errors.append((line, problem or ""))
        return _Done(count, len(rows), self.encode(rows), errors, dict(headline), chunk.size, lines, blank, multiline)

    def row_facts(self, raw: dict[str, object]) -> dict[str, object]:
        """The typed facts of a JSON Lines or Parquet row (`row_facts`)."""
        return row_facts(self.reader, self.ruleset.program, raw)

    def row(self, line: int, raw: dict[str, object] | list[str],
            copied: tuple[object, ...]) -> tuple[list[object], str | None]:
        """The output cells of one row; `raw` is a mapping of facts, or a CSV row of cells."""
        typed = self.row_facts(raw) if isinstance(raw, dict) else self.cells_reader(raw)
        results: Sequence[object] = self.evaluate_outputs(typed)
        out: list[object] = [str(line), *copied] if self.text_cells else [line, *copied]
        self.fill(results, out)
        if self.config.explain:
            self.add_explanations(out, typed, results, len(copied))
        key = None
        if self.headline is not None:
            r = results[self.headline]
            key = STATUSES.get(type(r)) or ("true" if r is True else "false")
        return out, key

    def add_explanations(self, out: list[object], typed: dict[str, object], results: Sequence[object],
                         copied: int) -> None:
        """Fill the `O__explication` cells (a traced evaluation per row: the slow path, about 3 ms)."""
        wrapped = {n: _wrapped(r) for n, r in zip(self.outputs, results, strict=True)}
        outcome = api.Outcome(self.ruleset, typed, wrapped)
        for i, name in enumerate(self.outputs):
            text = outcome.explain(name)
            out[1 + copied + 4 * i + 3] = csv_cell(text) if self.text_cells else text

    # ── encoding a chunk of output rows ──
    def encode(self, rows: list[list[object]]) -> Any:
        """A chunk's output rows as the output format holds them: text, or a pyarrow `RecordBatch`."""
        fmt = self.config.output_format
        if fmt == FileFormat.CSV:  # every cell is already CSV text (csv_cell)
            return "".join([",".join(cast(list[str], row)) + "\n" for row in rows])
        if fmt == FileFormat.JSONL:
            columns = self.columns
            return "".join(json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False,
                                      separators=_COMPACT, default=_json_default) + "\n"
                           for row in rows)
        import pyarrow as pa
        schema = self.schema
        if schema is None:
            raise TypeError(f"no Parquet schema for the output format {fmt}")
        arrays = [pa.array([row[i] for row in rows], type=f.type) for i, f in enumerate(schema)]
        return pa.RecordBatch.from_arrays(arrays, schema=schema)


def json_record(raw: bytes, line: int) -> dict[str, object] | str:
    """A non-blank line of a JSON Lines file (without its newline): its object, or the reason it is
    refused, in the words of the errors file. Both engines read a line with this function."""
    try:
        data = json.loads(raw.decode("utf-8-sig" if line == 1 else "utf-8"))
    except UnicodeDecodeError:
        return "encodage invalide : le fichier doit être en UTF-8"
    except json.JSONDecodeError as exc:
        return f"JSON invalide : {exc.msg} (colonne {exc.colno})"
    except ValueError:  # an integer of more than 4 300 digits
        return "JSON invalide : nombre de plus de 4 300 chiffres"
    except RecursionError:
        return "JSON invalide : imbrication trop profonde"
    if not isinstance(data, dict):
        return "la ligne n'est pas un objet JSON {\"fait\": valeur, …}"
    if _SURROGATE_ESCAPE.search(raw) and _lone_surrogate(data):
        return ("JSON invalide : un échappement \\uD800 à \\uDFFF sans l'autre moitié de sa paire "
                "(caractère impossible en UTF-8)")
    return data


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
"""An escape of half a UTF-16 pair: `json` accepts it alone, but no UTF-8 output can then hold it."""


def _lone_surrogate(data: dict[str, object]) -> bool:
    """Whether a decoded object holds a character that cannot be written in UTF-8 (a lone surrogate;
    a well-formed pair was decoded to one character)."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def row_facts(reader: FactReader, program: Program, raw: dict[str, object]) -> dict[str, object]:
    """The typed facts of a JSON Lines or Parquet row; values given per year are read for the row's
    year (`engine.inputs.facts.select_year`), looked at only when the row is refused (the fast path stays)."""
    from engine.inputs.facts import FactsError
    try:
        return reader.validate(raw)
    except FactsError:
        if program.schedule is None or not any(type(v) is dict for v in raw.values()):
            raise
    from engine.inputs.facts import select_year
    return reader.validate(select_year(program, raw))


def _plain(result: Result) -> object:
    """A result as the compiled program gives it: a value bare, a marker as it is."""
    return result.value if isinstance(result, Value) else result


def _wrapped(result: object) -> Result:
    """A result of the compiled program as the API holds it: a marker as it is, a value in `Value`."""
    return result if isinstance(result, NotApplicable | Undetermined | Missing) else Value(result)


def cell_text(value: object) -> str:
    """A value as a text cell holds it (`true`/`false`, ISO dates, decimal numbers as written):
    what the cells of a row read back as the same fact (tests/test_compile.py)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _utf8(row: list[str]) -> bool:
    try:
        for v in row:
            v.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

_Record = tuple[int, int, "dict[str, object] | list[str] | None", tuple[object, ...], "str | None"]
"""(line, lines spanned, raw facts or None, copied values, problem or None) of one record."""


def _reason(exc: Exception) -> str:
    from engine.inputs.facts import FactsError
    if isinstance(exc, FactsError):
        return "faits invalides : " + " ; ".join(str(p) for p in exc.problems)
    if isinstance(exc, EngineError):
        return str(exc)
    return f"erreur interne ({type(exc).__name__} : {exc}) — merci de la signaler"
