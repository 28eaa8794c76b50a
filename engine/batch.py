"""Batch evaluation: a file of fact rows in, a file of results out, streamed in chunks.

`run(BatchJob(...))` reads CSV, JSON Lines or Parquet (chosen by extension), evaluates every row
with the compiled program (`engine.compiler`, the interpreter's results) and writes the results
in the same order and format family, chunk by chunk: memory does not grow with the file. With
`workers > 1` the chunks are evaluated by processes that each load the rule file once (through
`engine.cache`); the main process only splits the input, writes the output and keeps the counts.

Output layout, one row per input row that could be evaluated, in input order:
`ligne` (the row's line in a CSV or JSON Lines file, its rank in a Parquet file), the input
columns that are not facts (copied as they are, e.g. `id`), then for each output `O` of the rule
file: `O` (its value: exact decimal string for montant, taux and décimal, ISO date, `true` /
`false`…), `O__statut` (`valeur`, `non applicable`, `indéterminé`, `manquant`: the words of
`regles eval`'s table, `STATUS_FRENCH`), `O__raison` (the reason of a marker, or the facts missing), with
`--explain` `O__explication`; and last `faits_manquants`, the facts missing for this row.
A row that cannot be evaluated (bad facts, malformed line) is not in the output: it is in the
errors file, with its `ligne` and the reason.

Nothing is lost and nothing half-written looks finished:
- A malformed CSV record (a quote never closed, a wrong field count, bad UTF-8) is an error row
  with its line, and reading resumes at the next line: a quoted field may run over several lines
  only when those lines form exactly one record of the header's width and no line inside is such
  a record by itself (`MAX_RECORD_LINES` at most, with a bounded look-ahead per line read).
- Every line is accounted for, checked at the end: the data lines read are the lines of the rows
  written, of the error rows and the blank lines; the rows read are the rows written plus the
  error rows. A mismatch raises `AccountingError` and no output is kept.
- The output and the errors file are written under temporary names (`SORTIE.<hex>.partiel`) in
  their directories, flushed to disk, and renamed when complete (errors file first, output last).
  A failure or an interruption removes them; a killed run leaves only a `.partiel` file.
"""

from __future__ import annotations

import abc
import collections
import csv
import datetime as dt
import glob
import io
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from attrs import define, field, frozen

from engine.diagnostics import EngineError, os_reason, suggest
from engine.results import STATUS_FRENCH, Missing, NotApplicable, Undetermined
from engine.values import money_text, to_decimal

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
STATUSES = {NotApplicable: "not_applicable", Undetermined: "undetermined", Missing: "missing"}
ELIGIBLE_WORDS = {"true": "vrai", "false": "faux", **{k: w for k, w in STATUS_FRENCH.items() if k != "value"}}

CHUNK_ROWS = 4000
"""Rows per chunk: large enough that sending a chunk to a worker costs little per row."""
EXPLAIN_CHUNK_ROWS = 50
"""Rows per chunk with `--explain`: a row then carries about 90 KB of explanations (17 outputs of the
2024 file), and a few chunks are in flight at once; smaller chunks keep memory flat."""


MAX_RECORD_LINES = 1000
"""Lines a CSV record may span when a quoted field holds newlines; beyond, its first line is an error."""
MAX_RECORD_BYTES = 1 << 20
"""Bytes a CSV record spanning several lines may hold (1 MiB); beyond, its first line is an error."""
LOOKAHEAD_PER_LINE = 4
"""Lines the CSV reader may look at ahead, to find records spanning several lines, per line read
(plus MAX_RECORD_LINES): a real multi-line record costs its own lines, a stray quote one or two,
while a hostile file of lines that all leave a quote open would cost MAX_RECORD_LINES each. Past
this budget, a line that leaves a quote open is an error row without looking further."""
PARTIAL_SUFFIX = ".partiel"
"""Suffix of the temporary files a run writes before renaming them to their final names."""


class BatchError(EngineError):
    """Bad arguments, unreadable or unwritable files for a batch (the command line exits with 2)."""


class AccountingError(BatchError):
    """The counts of a finished run do not add up: a line read is neither written nor an error.

    This is a bug, never bad input: the command line exits with 70 and no output is kept.
    """


class Interrupted(BaseException):  # noqa: N818 - like KeyboardInterrupt, which it stands beside
    """A termination signal (SIGTERM, SIGHUP) during a run, raised by the command line's handler.

    A BaseException, so that the per-row `except Exception` of the evaluation cannot report it as
    a bad row: it unwinds the run, which removes its partial files.
    """

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


def file_format(path: str | Path, role: str) -> str:
    """`csv`, `jsonl` or `parquet`, from the file's extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise BatchError(f"format de {role} inconnu pour « {path} » ({suffix or 'sans extension'}) : "
                         f"extensions reconnues {known}")
    return FORMATS[suffix]


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
    """`sql` (DuckDB, `engine.sql.batch`), `python` (this module), or `auto`: DuckDB when it can read the
    input (CSV and Parquet of 1 MiB or more, without `--explain`, records without quotes), this module
    otherwise. The default is the environment variable `REGLES_MOTEUR`, else `auto`."""

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
    errors: int = 0
    lines: int = 0
    """Data lines of the input (without the CSV header; Parquet: rows), every one accounted for."""
    blank: int = 0
    """Blank lines, skipped."""
    multiline: int = 0
    """Rows spanning several lines of a CSV file."""
    eligible: dict[str, int] = field(factory=dict)
    seconds: float = 0.0
    copied_columns: tuple[str, ...] = ()

    @property
    def rate(self) -> float:
        """Rows per second, counting every row read."""
        return self.read / self.seconds if self.seconds > 0 else 0.0


# ─── Evaluating rows (in the main process or in a worker) ────────────────────────────────────

@frozen
class _Config:
    """Everything a worker needs; sent once, when the worker starts."""

    rules: str
    input_format: str
    output_format: str
    columns: tuple[str, ...]
    copied: tuple[str, ...]
    explain: bool
    cwd: str
    delimiter: str = ","


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


@frozen
class _Done:
    rows: int
    evaluated: int
    output: Any
    errors: list[tuple[int, str]]
    eligible: dict[str, int]
    size: int
    lines: int = 0
    """Lines the rows, the error rows and the blank lines of the chunk cover."""
    blank: int = 0
    multiline: int = 0


class _Rows:
    """Evaluates rows of one input file with one rule file (one per process)."""

    def __init__(self, config: _Config, ruleset: object = None) -> None:
        from engine import api
        from engine.compiler import fast_path
        self.config = config
        self.ruleset = ruleset if ruleset is not None else api.load(config.rules)
        program = self.ruleset.program  # type: ignore[attr-defined]
        self.reader, self.compiled = fast_path(program)
        self.outputs = program.outputs
        self.types = [program.definitions[name].type for name in self.outputs]
        self.facts = frozenset(program.facts)
        self.copied = frozenset(config.copied)
        self.eligible = self.outputs.index("eligible") if "eligible" in self.outputs else None
        positions = [(i, c) for i, c in enumerate(config.columns) if c in self.facts]
        self.cells_reader = self.reader.cells_reader(positions)
        fmt = config.output_format
        self.fill = _row_filler([t.kind for t in self.types], fmt, config.explain)
        self.text_cells = fmt == "csv"
        self.columns = output_columns(config.copied, self.outputs, config.explain)
        self.schema = arrow_schema(self.columns, self.types, config.copied, config.explain) if fmt == "parquet" else None
        if config.explain:  # the traced program too, once, before the first row
            from engine.tracecompile import traced_for
            traced_for(program, now=True)

    # ── parsing a chunk into records: (line, lines spanned, raw facts, copied values, problem) ──
    # A blank line is (line, 1, None, (), None): it is not a row, but it is accounted for.
    def records(self, chunk: _Chunk) -> Iterator[_Record]:
        kind = self.config.input_format
        if kind == "csv":
            return self._csv(chunk)
        if kind == "jsonl":
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
            try:
                data = json.loads(raw.decode("utf-8-sig" if line == 1 else "utf-8"))
            except UnicodeDecodeError:
                yield line, 1, None, (), "encodage invalide : le fichier doit être en UTF-8"
                continue
            except json.JSONDecodeError as exc:
                yield line, 1, None, (), f"JSON invalide : {exc.msg} (colonne {exc.colno})"
                continue
            except ValueError:  # an integer of more than 4 300 digits
                yield line, 1, None, (), "JSON invalide : nombre de plus de 4 300 chiffres"
                continue
            except RecursionError:
                yield line, 1, None, (), "JSON invalide : imbrication trop profonde"
                continue
            if not isinstance(data, dict):
                yield line, 1, None, (), "la ligne n'est pas un objet JSON {\"fait\": valeur, …}"
                continue
            values = tuple(data.pop(c, None) for c in copied)
            yield line, 1, data, self.copy(values), None

    def _parquet(self, chunk: _Chunk) -> Iterator[_Record]:
        copied = self.config.copied
        for offset, data in enumerate(chunk.payload.to_pylist()):
            values = tuple(data.pop(c, None) for c in copied)
            yield (chunk.first + offset, 1, {k: v for k, v in data.items() if v is not None and v != ""},
                   self.copy(values), None)

    def copy(self, values: tuple) -> tuple:
        """Copied cells as the output holds them: JSON values in JSON Lines, text elsewhere."""
        fmt = self.config.output_format
        if fmt == "jsonl":
            return tuple(v if v is None or isinstance(v, (str, int, float, bool, list, dict)) else _to_text(v)
                         for v in values)
        if fmt == "csv":
            return tuple("" if v is None else csv_cell(_to_text(v)) for v in values)
        return tuple(None if v is None else _to_text(v) for v in values)

    # ── evaluating ──
    def chunk(self, chunk: _Chunk) -> _Done:
        rows: list[list[object]] = []
        errors: list[tuple[int, str]] = []
        eligible: collections.Counter[str] = collections.Counter()
        count = lines = blank = multiline = 0
        for line, span, raw, copied, problem in self.records(chunk):
            lines += span
            if raw is None and problem is None:
                blank += 1
                continue
            count += 1
            if span > 1:
                multiline += 1
            if problem is None:
                try:
                    row, eligible_key = self.row(line, raw, copied)  # type: ignore[arg-type]
                except Exception as exc:  # noqa: BLE001 - a bad row is reported, the others go on
                    problem = _reason(exc)
                else:
                    rows.append(row)
                    if eligible_key is not None:
                        eligible[eligible_key] += 1
                    continue
            errors.append((line, problem))
        return _Done(count, len(rows), self.encode(rows), errors, dict(eligible), chunk.size, lines, blank, multiline)

    def row_facts(self, raw: dict[str, object]) -> dict[str, object]:
        """The typed facts of a JSON Lines or Parquet row; values given per year are read for the row's
        year (`engine.facts.select_year`), looked at only when the row is refused (the fast path stays)."""
        from engine.facts import FactsError
        try:
            return self.reader.validate(raw)
        except FactsError:
            if self.ruleset.program.schedule is None or not any(type(v) is dict for v in raw.values()):
                raise
        from engine.facts import select_year
        return self.reader.validate(select_year(self.ruleset.program, raw))  # type: ignore[attr-defined]

    def row(self, line: int, raw: object, copied: tuple) -> tuple[list[object], str | None]:
        """The output cells of one row; `raw` is a mapping of facts, or a CSV row of cells."""
        typed = self.row_facts(raw) if type(raw) is dict else self.cells_reader(raw)  # type: ignore[arg-type]
        if self.compiled is not None:
            results = self.compiled.outputs(typed)
        else:  # the interpreter (REGLES_NO_COMPILE=1, or a program the compiler does not handle)
            from engine.evaluator import Evaluator
            evaluator = Evaluator(self.ruleset.program, typed)  # type: ignore[attr-defined]
            results = [_plain(evaluator.result(name)) for name in self.outputs]
        out: list[object] = [str(line), *copied] if self.text_cells else [line, *copied]
        self.fill(results, out)
        if self.config.explain:
            self.add_explanations(out, typed, results, len(copied))
        key = None
        if self.eligible is not None:
            r = results[self.eligible]
            key = STATUSES.get(type(r)) or ("true" if r is True else "false")  # type: ignore[arg-type]
        return out, key

    def add_explanations(self, out: list[object], typed: dict[str, object], results: Sequence[object],
                         copied: int) -> None:
        """Fill the `O__explication` cells (a traced evaluation per row: the slow path, about 3 ms)."""
        from engine.api import Outcome
        from engine.results import Value
        wrapped = {n: r if type(r) in STATUSES else Value(r) for n, r in zip(self.outputs, results)}
        outcome = Outcome(self.ruleset, typed, wrapped)  # type: ignore[arg-type]
        for i, name in enumerate(self.outputs):
            text = outcome.explain(name)
            out[1 + copied + 4 * i + 3] = csv_cell(text) if self.text_cells else text

    # ── encoding a chunk of output rows ──
    def encode(self, rows: list[list[object]]) -> object:
        fmt = self.config.output_format
        if fmt == "csv":  # every cell is already CSV text (csv_cell)
            return "".join([",".join(row) + "\n" for row in rows])  # type: ignore[arg-type]
        if fmt == "jsonl":
            columns = self.columns
            return "".join(json.dumps(dict(zip(columns, row)), ensure_ascii=False, default=_json_default) + "\n"
                           for row in rows)
        import pyarrow as pa
        arrays = [pa.array([row[i] for row in rows], type=f.type) for i, f in enumerate(self.schema)]  # type: ignore[union-attr,arg-type]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)


def _plain(result: object) -> object:
    return result.value if getattr(result, "status", None) == "value" else result  # type: ignore[attr-defined]


def _to_text(value: object) -> str:
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


_Record = tuple[int, int, Any, tuple, "str | None"]
"""(line, lines spanned, raw facts or None, copied values, problem or None) of one record."""

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
        if line.endswith("\r"):
            line = line[:-1]
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


def _reason(exc: Exception) -> str:
    from engine.facts import FactsError
    if isinstance(exc, FactsError):
        return "faits invalides : " + " ; ".join(str(p) for p in exc.problems)
    if isinstance(exc, EngineError):
        return str(exc)
    return f"erreur interne ({type(exc).__name__} : {exc}) — merci de la signaler"


def _json_default(value: object) -> object:
    return str(value)


def _text_number(value: object) -> str:
    return str(to_decimal(value)) if type(value) is Fraction else str(value)  # type: ignore[arg-type]


_VALUE_CELL = {
    "montant": "_money_text(r)", "taux": "_text_number(r)", "decimal": "_text_number(r)", "date": "r.isoformat()",
    "duree": "str(r)", "texte": "r", "enum": "r",
}
_CSV_CELL = {"booleen": "('true' if r else 'false')", "entier": "str(r)", "duree": "Q(str(r))", "texte": "Q(r)",
             "enum": "Q(r)"}
_JSON_CELL = {"booleen": "r", "entier": "r"}
_PARQUET_CELL = {"booleen": "r", "entier": "r", "date": "r"}

_QUOTED: dict[str, str] = {}


def csv_cell(text: str) -> str:
    """A text as `csv.writer` writes it in a row of several cells (quoted when it must be).

    Short texts (reasons, enumeration words, missing-fact lists) recur from row to row and are
    cached; long ones (explanations) are unique to their row and are not, so memory stays flat.
    """
    found = _QUOTED.get(text)
    if found is None:
        found = text
        if "," in text or '"' in text or "\n" in text or "\r" in text:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerow((text, ""))
            found = buffer.getvalue()[:-2]
        if len(text) <= _CACHED_TEXT and len(_QUOTED) < 100_000:
            _QUOTED[text] = found
    return found


_CACHED_TEXT = 300
"""Longest text `csv_cell` keeps (100 000 of them at most: about 30 MB)."""


def _row_filler(kinds: Sequence[str], fmt: str, explain: bool) -> Callable[[Sequence[object], list[object]], None]:
    """A function appending the cells of every output (value, status, reason…) and `faits_manquants`.

    Generated once per rule file, so that a row costs one call rather than a loop over outputs.
    """
    cells = {"csv": _CSV_CELL, "jsonl": _JSON_CELL}.get(fmt, _PARQUET_CELL)
    text = "Q" if fmt == "csv" else ""  # CSV cells are written as they will stand in the file
    empty = "''" if fmt == "csv" else "None"
    lines = ["def fill(R, out):", "    missing = None"]
    for i, kind in enumerate(kinds):
        value = cells.get(kind) or _VALUE_CELL.get(kind, "str(r)")
        extra = f", {empty}" if explain else ""
        lines += [f"    r = R[{i}]", "    t = type(r)",
                  "    if t is NA or t is UD:", f"        out += ({empty}, STATUS[t], {text}(r.reason){extra})",
                  "    elif t is MS:",
                  f"        out += ({empty}, {STATUS_FRENCH['missing']!r}, "
                  f"{text}('faits manquants : ' + ', '.join(sorted(r.facts))){extra})",
                  "        missing = r.facts if missing is None else missing | r.facts",
                  "    else:", f"        out += ({value}, {STATUS_FRENCH['value']!r}, {empty}{extra})"]
    lines.append(f"    out.append({text}(', '.join(sorted(missing))) if missing else {empty})")
    namespace = {"NA": NotApplicable, "UD": Undetermined, "MS": Missing,
                 "STATUS": {t: STATUS_FRENCH[key] for t, key in STATUSES.items()},
                 "_text_number": _text_number, "_money_text": money_text, "Q": csv_cell}
    exec(compile("\n".join(lines) + "\n", "<regles batch : cellules>", "exec"), namespace)  # noqa: S102
    return namespace["fill"]  # type: ignore[return-value]


def output_columns(copied: Sequence[str], outputs: Sequence[str], explain: bool) -> tuple[str, ...]:
    """`ligne`, the copied columns, the columns of each output, `faits_manquants`."""
    columns = ["ligne", *copied]
    for name in outputs:
        columns += [name, f"{name}__statut", f"{name}__raison"]
        if explain:
            columns.append(f"{name}__explication")
    return (*columns, "faits_manquants")


def arrow_schema(columns: Sequence[str], types: Sequence[object], copied: Sequence[str], explain: bool) -> object:
    """The Parquet schema: booleans, integers and dates typed, exact numbers as strings."""
    import pyarrow as pa
    kinds = {"booleen": pa.bool_(), "entier": pa.int64(), "date": pa.date32()}
    fields = [pa.field("ligne", pa.int64())] + [pa.field(c, pa.string()) for c in copied]
    per_output = 4 if explain else 3
    for t, start in zip(types, range(1 + len(copied), len(columns), per_output)):
        fields.append(pa.field(columns[start], kinds.get(t.kind, pa.string())))  # type: ignore[attr-defined]
        fields += [pa.field(c, pa.string()) for c in columns[start + 1:start + per_output]]
    fields.append(pa.field("faits_manquants", pa.string()))
    return pa.schema(fields)


# ─── Worker processes ────────────────────────────────────────────────────────────────────────

_WORKER: _Rows | Exception | None = None


def _start_worker(config: _Config) -> None:
    """Load the rule file once per worker; a failure is reported by the first chunk, not looped on."""
    global _WORKER
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle: it stops the pool
    try:
        os.chdir(config.cwd)
        _WORKER = _Rows(config)
        import gc
        gc.freeze()  # what a worker has loaded lives as long as it: full collections need not walk it
    except Exception as exc:  # noqa: BLE001 - an initializer that raises makes the pool restart it forever
        _WORKER = exc


def _work(chunk: _Chunk) -> _Done:
    if not isinstance(_WORKER, _Rows):
        raise BatchError(f"un processus de calcul n'a pas pu charger les règles : {_WORKER}")
    return _WORKER.chunk(chunk)


# ─── Reading the input ───────────────────────────────────────────────────────────────────────

class _Input:
    """The input file: its columns, its size, its chunks, and the lines and bytes read so far."""

    def __init__(self, path: str, kind: str, chunk_rows: int) -> None:
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
            if kind == "parquet":
                import pyarrow.parquet as pq
                self.parquet = pq.ParquetFile(path)
                self.columns = tuple(self.parquet.schema_arrow.names)
                self.total = self.parquet.metadata.num_rows
            else:
                self.file = open(path, "rb")  # noqa: SIM115 - closed by close()
                self.total = os.fstat(self.file.fileno()).st_size
                self._first_line = 1
                if kind == "csv":
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
        if self.kind == "parquet":
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
                raise BatchError(f"« {self.path} » : fichier Parquet illisible après la ligne {first - 1} : {exc}") from None
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
        records_of = self._csv_records() if self.kind == "csv" else (((raw,), None) for raw in self.file)
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

    def _chunk(self, first: int, parts: list[bytes], bad: list[tuple[int, str]], spans: list[tuple[int, int]]) -> _Chunk:
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


# ─── Writing the output and the errors ───────────────────────────────────────────────────────

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
        try:
            self._close()
        except Exception:  # noqa: BLE001, S110 - the file is removed anyway; the first error is the one to report
            pass
        try:
            os.unlink(self.temporary)
        except OSError:
            pass

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

    def __init__(self, path: str, kind: str, columns: Sequence[str], schema: object) -> None:
        super().__init__(path)
        self.kind = kind
        self.pending: list[object] = []
        self.pending_rows = 0
        try:
            if kind == "parquet":
                import pyarrow.parquet as pq
                self.writer = pq.ParquetWriter(self.temporary, schema)  # type: ignore[arg-type]
            else:
                self.file = open(self.temporary, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by close()
                if kind == "csv":
                    csv.writer(self.file, lineterminator="\n").writerow(columns)
        except OSError as exc:
            self.discard()
            raise BatchError(f"impossible d'écrire « {path} » : {_write_reason(exc)}") from None

    def write(self, encoded: object, rows: int) -> None:
        try:
            if self.kind == "jsonl":
                rows = encoded.count("\n")  # type: ignore[attr-defined] # one object a line: the rows, counted again
            elif self.kind == "parquet":
                rows = encoded.num_rows  # type: ignore[attr-defined]
            self.count += rows
            if self.kind != "parquet":
                self.file.write(encoded)  # type: ignore[arg-type]
                return
            if rows:
                self.pending.append(encoded)
                self.pending_rows += rows
            if self.pending_rows >= self.BUFFER_ROWS:
                self.flush()
        except OSError as exc:
            raise self.write_failed(exc) from None

    def flush(self) -> None:
        if self.kind == "parquet" and self.pending:
            import pyarrow as pa
            self.writer.write_table(pa.Table.from_batches(self.pending))  # type: ignore[arg-type]
            self.pending, self.pending_rows = [], 0

    def close(self) -> None:
        if self.kind == "parquet":
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
        self.kind = "jsonl" if Path(path).suffix.lower() in {".jsonl", ".ndjson"} else "csv"
        try:
            self.file = open(self.temporary, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by close()
            self.csv = csv.writer(self.file, lineterminator="\n")
            if self.kind == "csv":
                self.csv.writerow(["ligne", "raison"])
        except OSError as exc:
            self.discard()
            raise BatchError(f"impossible d'écrire « {path} » : {_write_reason(exc)}") from None

    def write(self, errors: list[tuple[int, str]]) -> None:
        try:
            if self.kind == "csv":
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


# ─── The run ─────────────────────────────────────────────────────────────────────────────────

def run(job: BatchJob, *, progress: Callable[[int, int, int], None] | None = None,
        warn: Callable[[str], None] | None = None) -> Summary:
    """Evaluate every row of `job.input` and write the results and the errors.

    The two files are written under temporary names and renamed when the run is complete and its
    counts add up; whatever stops the run before (an error, a full disk, Ctrl-C, `Interrupted`)
    removes them, and an older output of the same name is removed when the evaluation starts, so
    that a file under the final name is always the complete result of the last run.

    Args:
        job: the files and options.
        progress: called after each chunk with (input units done, total units, rows read).
        warn: called with a French message for each warning (e.g. columns that are not facts).

    Raises:
        BatchError: bad arguments, unreadable input, unwritable output (a full disk).
        AccountingError: the counts do not add up (a bug).
        RulesError: the rule file has errors.
    """
    if job.engine != "python":
        from engine.sql import batch as sql_batch  # engine.sql.batch reads this module's classes: a real cycle
        try:
            return sql_batch.run(job, progress=progress, warn=warn)
        except sql_batch.NeedsPythonReader as why:
            if job.engine == "sql" and warn is not None:
                warn(f"moteur SQL : {why} ; cette entrée est évaluée par le moteur Python")
    started = time.perf_counter()
    input_kind = file_format(job.input, "l'entrée")
    output_kind = file_format(job.output, "la sortie")
    _check_paths(job)
    from engine import api
    ruleset = api.load(job.rules)
    source = _Input(job.input, input_kind, job.rows_per_chunk)
    try:
        copied = tuple(c for c in source.columns if c not in ruleset.facts)
        clashes = sorted(set(copied) & set(output_columns((), ruleset.program.outputs, job.explain)))
        if clashes:
            raise BatchError(f"« {job.input} » : {', '.join(clashes)} : nom{'s' if len(clashes) > 1 else ''} de colonne "
                             "déjà pris par les résultats ; renommez cette colonne de l'entrée")
        if copied and warn is not None:
            warn(_copied_warning(copied, ruleset.facts, job.rules))
        stale = _partial_files(job.output) + _partial_files(job.errors_path)
        if stale and warn is not None:
            warn(f"fichier{'s' if len(stale) > 1 else ''} partiel{'s' if len(stale) > 1 else ''} d'une exécution "
                 f"interrompue (ou en cours), qui ne {'sont' if len(stale) > 1 else 'est'} pas un résultat complet : "
                 + ", ".join(stale))
        config = _Config(str(Path(job.rules).resolve()), input_kind, output_kind, source.columns, copied, job.explain,
                         os.getcwd(), source.dialect)
        summary = Summary(copied_columns=copied)
        local = _Rows(config, ruleset) if job.workers <= 1 else None
        columns = output_columns(copied, ruleset.program.outputs, job.explain)
        schema = arrow_schema(columns, [ruleset.program.definitions[n].type for n in ruleset.program.outputs], copied,
                              job.explain) if output_kind == "parquet" else None
        errors = _Errors(job.errors_path)
        try:
            output = _Output(job.output, output_kind, columns, schema)
        except BaseException:
            errors.discard()
            raise
        try:
            _remove_older(job.output, job.errors_path)
            _write_all(source, _evaluate(source.chunks(), config, local, job.workers), output, errors, summary, progress)
            errors.finish()
            output.finish()
            _check_accounts(source, summary, output.count, errors.count)
            errors.commit()  # the errors first: a run stopped between the two renames leaves no output
            output.commit()
        except BaseException:
            output.discard()
            errors.discard()
            raise
    finally:
        source.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _write_all(source: _Input, results: Iterator[_Done], output: _Output, errors: _Errors, summary: Summary,
               progress: Callable[[int, int, int], None] | None) -> None:
    """Write each chunk's results and errors as it comes, and add up the counts."""
    done_units = 0
    for done in results:
        output.write(done.output, done.evaluated)
        errors.write(done.errors)
        summary.read += done.rows
        summary.evaluated += done.evaluated
        summary.errors += len(done.errors)
        summary.lines += done.lines
        summary.blank += done.blank
        summary.multiline += done.multiline
        for key, n in done.eligible.items():
            summary.eligible[key] = summary.eligible.get(key, 0) + n
        done_units += done.size
        if progress is not None:
            progress(done_units, source.total, summary.read)


def _remove_older(*paths: str) -> None:
    """Remove the files an earlier run left under the final names: until this run is complete,
    no file there may pass for its result."""
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise BatchError(f"impossible de remplacer « {path} » : {os_reason(exc)}") from None


def _check_accounts(source: _Input, summary: Summary, written: int, errors: int) -> None:
    """Every line read is in a row written, an error row or a blank line; else `AccountingError`."""
    if source.kind != "parquet" and source.bytes != source.total:
        raise BatchError(f"« {source.path} » a changé pendant la lecture ({source.total} octets au début, "
                         f"{source.bytes} lus) : aucune sortie n'est gardée, relancez sur un fichier stable")
    problems = []
    if summary.lines != source.lines:
        problems.append(f"{source.lines} lignes de données lues dans « {source.path} », "
                        f"{summary.lines} comptées dans les résultats")
    if source.kind == "parquet" and source.lines != source.total:
        problems.append(f"{source.total} lignes annoncées par le fichier Parquet, {source.lines} lues")
    if summary.read != summary.evaluated + summary.errors or summary.read != written + errors:
        problems.append(f"{summary.read} lignes lues, {written} écrites dans la sortie, {errors} dans les erreurs")
    if problems:
        raise AccountingError("comptes incohérents : " + " ; ".join(problems)
                              + " — aucune sortie n'est gardée ; merci de signaler ce problème")


def _evaluate(chunks: Iterator[_Chunk], config: _Config, local: _Rows | None, workers: int) -> Iterator[_Done]:
    """Results of the chunks, in input order; at most a few chunks in flight at a time."""
    if local is not None:
        for chunk in chunks:
            yield local.chunk(chunk)
        return
    import multiprocessing
    context = multiprocessing.get_context("spawn")
    in_flight: collections.deque = collections.deque()
    limit = 2 * workers + 1
    with context.Pool(workers, initializer=_start_worker, initargs=(config,)) as pool:
        for chunk in chunks:
            in_flight.append(pool.apply_async(_work, (chunk,)))
            while len(in_flight) >= limit:
                yield in_flight.popleft().get()
        while in_flight:
            yield in_flight.popleft().get()


def _check_paths(job: BatchJob) -> None:
    if job.workers < 1:
        raise BatchError(f"--workers attend un nombre de processus d'au moins 1, reçu {job.workers}")
    if job.rows_per_chunk < 1:
        raise BatchError(f"--chunk-rows attend un nombre de lignes d'au moins 1, reçu {job.rows_per_chunk}")
    if not Path(job.input).is_file():
        raise BatchError(f"fichier d'entrée introuvable : « {job.input} »")
    inputs = {Path(job.input).resolve(), Path(job.rules).resolve()}
    for path, role in ((job.output, "la sortie"), (job.errors_path, "le fichier d'erreurs")):
        if Path(path).resolve() in inputs:
            raise BatchError(f"{role} « {path} » écraserait un fichier lu : choisissez un autre nom")
        if Path(path).is_dir():
            raise BatchError(f"{role} « {path} » est un dossier : donnez un nom de fichier")
    if Path(job.output).resolve() == Path(job.errors_path).resolve():
        raise BatchError("la sortie et le fichier d'erreurs doivent être deux fichiers différents")
    if Path(job.errors_path).suffix.lower() not in {".csv", ".jsonl", ".ndjson"}:
        raise BatchError(f"fichier d'erreurs « {job.errors_path} » : extension .csv ou .jsonl attendue")


def _copied_warning(copied: Sequence[str], facts: object, rules: str) -> str:
    hints = []
    for column in copied:
        hint = suggest(column, facts)  # type: ignore[arg-type]
        if hint:
            hints.append(f"« {column} » : {hint}")
    text = (f"colonnes recopiées telles quelles, ce ne sont pas des faits de {rules} : {', '.join(copied)}")
    return text + ("".join(f"\n  {h}" for h in hints))


