"""The cells of a batch's output: the columns, each output's value, status and reason cells, the
Parquet schema.

Stage: tools, below the rows (`engine.tools.batch_rows`). The cells of a row are filled by a function
generated once per rule file (`_row_filler`), so that a row costs one call rather than a loop over
outputs; CSV cells are quoted where they must be (`csv_cell`), and the short texts that recur are cached.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from engine.lang.results import STATUS_FRENCH, Missing, NotApplicable, Undetermined
from engine.lang.types import Type
from engine.lang.values import Number, money_text, to_decimal, unsigned_zero
from engine.tools.batch_job import FileFormat

if TYPE_CHECKING:
    import pyarrow as pa  # the `parquet` extra: imported where a Parquet file is written

RowFiller = Callable[[Sequence[object], list[object]], None]
"""Appends the cells of every output of one row to the row's cells."""

STATUSES = {NotApplicable: "not_applicable", Undetermined: "undetermined", Missing: "missing"}


def _json_default(value: object) -> object:
    return str(value)


def _text_number(value: Number) -> str:
    if type(value) is Decimal:
        return str(unsigned_zero(value))  # a zero without the sign a Decimal keeps
    return str(to_decimal(value)) if type(value) is Fraction else str(value)


_VALUE_CELL = {
    "montant": "_money_text(r)", "taux": "_text_number(r)", "decimal": "_text_number(r)", "date": "r.isoformat()",
    "duree": "str(r)", "texte": "r", "enum": "r",
}
_CSV_CELL = {"booleen": "('true' if r else 'false')", "entier": "str(r)", "duree": "Q(str(r))", "texte": "Q(r)",
             "enum": "Q(r)"}
QUOTED_KINDS = frozenset(kind for kind, cell in _CSV_CELL.items() if cell.startswith("Q("))
"""The output kinds whose CSV cell may need quoting (the others never hold a comma, a quote or a line
break): what `engine.tools.sql_output.csv_lines` quotes in SQL."""
_JSON_CELL = {"booleen": "r", "entier": "r"}
_PARQUET_CELL = {"booleen": "r", "entier": "r", "date": "r"}

_QUOTED: dict[str, str] = {}


def csv_cell(text: str) -> str:
    """A text as a CSV cell: quoted, its quotes doubled, when it holds a comma, a quote or a line break.

    A carriage return is a line break here: `csv.writer`, writing lines that end in `\n`, left one bare,
    which a reader takes for the end of the line (DuckDB's engine quoted it: the two engines differed).
    Short texts (reasons, enumeration words, missing-fact lists) recur from row to row and are
    cached; long ones (explanations) are unique to their row and are not, so memory stays flat.
    """
    found = _QUOTED.get(text)
    if found is None:
        found = text
        if "," in text or '"' in text or "\n" in text or "\r" in text:
            found = '"' + text.replace('"', '""') + '"'
        if len(text) <= _CACHED_TEXT and len(_QUOTED) < 100_000:
            _QUOTED[text] = found
    return found


def csv_line(texts: Sequence[str]) -> str:
    """Texts as the cells of one CSV line (without its end): the header line of both engines."""
    return ",".join(map(csv_cell, texts))


_CACHED_TEXT = 300
"""Longest text `csv_cell` keeps (100 000 of them at most: about 30 MB)."""


def _row_filler(kinds: Sequence[str], fmt: FileFormat, explain: bool) -> RowFiller:
    """A function appending the cells of every output (value, status, reason…) and `faits_manquants`.

    Generated once per rule file, so that a row costs one call rather than a loop over outputs.
    """
    cells = {FileFormat.CSV: _CSV_CELL, FileFormat.JSONL: _JSON_CELL}.get(fmt, _PARQUET_CELL)
    text = "Q" if fmt == FileFormat.CSV else ""  # CSV cells are written as they will stand in the file
    empty = "''" if fmt == FileFormat.CSV else "None"
    lines = ["def fill(R, out):", "    missing = None"]
    for i, kind in enumerate(kinds):
        value = cells.get(kind) or _VALUE_CELL.get(kind, "str(r)")
        extra = f", {empty}" if explain else ""
        lines += [f"    r = R[{i}]", "    t = type(r)",
                  "    if t is NA or t is UD:", f"        out += ({empty}, STATUS[t], {text}(r.reason){extra})",
                  "    elif t is MS:",
                  (f"        out += ({empty}, {STATUS_FRENCH['missing']!r}, "
                   f"{text}('faits manquants : ' + ', '.join(sorted(r.facts))){extra})"),
                  "        missing = r.facts if missing is None else missing | r.facts",
                  "    else:", f"        out += ({value}, {STATUS_FRENCH['value']!r}, {empty}{extra})"]
    lines.append(f"    out.append({text}(', '.join(sorted(missing))) if missing else {empty})")
    namespace: dict[str, Any] = {"NA": NotApplicable, "UD": Undetermined, "MS": Missing,
                 "STATUS": {t: STATUS_FRENCH[key] for t, key in STATUSES.items()},
                 "_text_number": _text_number, "_money_text": money_text, "Q": csv_cell}
    exec(compile("\n".join(lines) + "\n", "<regles batch : cellules>", "exec"), namespace)
    fill: RowFiller = namespace["fill"]
    return fill


def output_columns(copied: Sequence[str], outputs: Sequence[str], explain: bool) -> tuple[str, ...]:
    """`ligne`, the copied columns, the columns of each output, `faits_manquants`."""
    columns = ["ligne", *copied]
    for name in outputs:
        columns += [name, f"{name}__statut", f"{name}__raison"]
        if explain:
            columns.append(f"{name}__explication")
    return (*columns, "faits_manquants")


def arrow_schema(columns: Sequence[str], types: Sequence[Type], copied: Sequence[str], explain: bool) -> pa.Schema:
    """The Parquet schema: booleans, integers and dates typed, exact numbers as strings."""
    import pyarrow as pa
    kinds = {"booleen": pa.bool_(), "entier": pa.int64(), "date": pa.date32()}
    fields = [pa.field("ligne", pa.int64())] + [pa.field(c, pa.string()) for c in copied]
    per_output = 4 if explain else 3
    # strict=False: the range has one start more than there are types, that of faits_manquants
    for t, start in zip(types, range(1 + len(copied), len(columns), per_output), strict=False):
        fields.append(pa.field(columns[start], kinds.get(t.kind, pa.string())))
        fields += [pa.field(c, pa.string()) for c in columns[start + 1:start + per_output]]
    fields.append(pa.field("faits_manquants", pa.string()))
    return pa.schema(fields)
