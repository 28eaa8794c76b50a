"""Reading a batch input in DuckDB: every line numbered, every cell typed or its row set aside.

A CSV file is read as raw lines with their numbers (`WITH ORDINALITY`): DuckDB splits and types
them, so that no line can be lost or merged. A file whose structure needs the full CSV grammar
(a quote, a NUL, a carriage return inside a line, bytes that are not UTF-8) is left to the
Python reader (`engine.tools.sql_batch` says which): its rules for malformed records are the
reference. A Parquet file is read by DuckDB with each row's rank.

Each fact cell is typed in SQL when it has one of the forms `engine.inputs.fastfacts` reads fast
(`0.80`, `1200`, `2024-06-22`, `true`, an enumeration word) and is within the declared bounds;
an empty cell is a fact not given. A row with any other cell is *suspect*: `engine.inputs.facts` decides
in Python, giving either the row's typed facts (`1 200,50 €`, `80 %`, `22/06/2024`, `oui`) or the
reason it is refused, in the reference words. Suspect rows are rare, so their cost is too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from engine.check import model
from engine.inputs.facts import MAX_TEXT
from engine.lang.kinds import TypeKind
from engine.sql.code import text
from engine.sql.query import quote

SIMPLE_BLOCK = 1 << 22
"""Bytes read at a time when checking that a CSV file can be read as plain lines."""
RAW_DELIMITER = "\\x01"
"""The delimiter DuckDB is given to read whole lines (a file holding it goes to the Python reader)."""
_SPECIAL = (b'"', b"\0", b"\x01")


def plain_lines(path: str) -> bool:
    """Whether every record of a CSV file is one line without quotes: DuckDB can split it alone.

    False when the file holds a quote, a NUL, a \\x01, a carriage return that does not end a line,
    or bytes that are not UTF-8: the Python reader's rules then apply.
    """
    with open(path, "rb") as file:
        tail = b""
        while True:
            block = file.read(SIMPLE_BLOCK)
            if not block:
                return _plain(tail) and not tail.endswith(b"\r")
            block = tail + block
            cut = block.rfind(b"\n") + 1
            whole, tail = block[:cut], block[cut:]
            if not _plain(whole):
                return False


def _plain(data: bytes) -> bool:
    """Whether whole lines hold no quote, NUL, \\x01, stray carriage return, and are UTF-8."""
    if any(s in data for s in _SPECIAL) or data.count(b"\r") != data.count(b"\r\n"):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def csv_lines(path: str, delimiter: str, width: int) -> str:
    """A relation of the data lines of a CSV file: `ligne`, `cells` (a list), `blank`, `probleme`."""
    source = (f"read_csv({text(path)}, header = false, auto_detect = false, columns = {{'raw': 'VARCHAR'}}, "
              f"quote = '', escape = '', delim = '{RAW_DELIMITER}', skip = 1, max_line_size = 1073741824, "
              f"strict_mode = false) WITH ORDINALITY")
    split = f"string_split(raw, {text(delimiter)})"
    blank = "raw IS NULL OR raw = ''" + (f" OR (trim(raw) = '' AND strpos(raw, {text(delimiter)}) = 0)"
                                        if width > 1 else "")
    problem = (f"CASE WHEN len(cells) <> {width} THEN 'ligne mal formée : ' || CAST(len(cells) AS VARCHAR) "
               f"|| ' champ' || CASE WHEN len(cells) > 1 THEN 's' ELSE '' END || ' au lieu de {width}' END")
    return (f"(SELECT ligne, cells, blank, CASE WHEN NOT blank THEN {problem} END AS probleme FROM "
            f"(SELECT ordinality + 1 AS ligne, {split} AS cells, {blank} AS blank FROM {source}))")


def typed_cell(decl: model.FactDecl, cell: str) -> tuple[str, str]:
    """(the typed value, whether the cell is suspect) of a text cell; NULL for an empty cell."""
    kind = decl.type.kind
    given = f"{cell} <> ''"
    if kind == TypeKind.BOOLEEN:
        value = (f"CASE WHEN {cell} IN ('true', 'vrai', 'oui', '1') THEN TRUE "
                 f"WHEN {cell} IN ('false', 'faux', 'non', '0') THEN FALSE END")
    elif kind == TypeKind.ENTIER:
        value = (f"CASE WHEN {_digits_only(cell, '')} AND length(ltrim({cell}, '-')) BETWEEN 1 AND 15 "
                 f"THEN CAST({cell} AS BIGINT) END")
    elif kind in {TypeKind.DECIMAL, TypeKind.TAUX, TypeKind.MONTANT}:
        whole = f"split_part(ltrim({cell}, '-'), '.', 1)"
        part = f"split_part({cell}, '.', 2)"
        value = (f"CASE WHEN ({_digits_only(cell, '')} OR {_digits_only(cell, '.')}) "
                 f"AND length({whole}) BETWEEN 1 AND 15 "
                 f"AND (strpos({cell}, '.') = 0 OR length({part}) BETWEEN 1 AND 15) "
                 f"THEN {cell} END")
    elif kind == TypeKind.DATE:
        value = (f"CASE WHEN length({cell}) = 10 AND translate({cell}, '0123456789', '') = '--' "
                 f"AND substr({cell}, 5, 1) = '-' AND substr({cell}, 8, 1) = '-' "
                 f"AND {cell} >= '0001-01-01' THEN TRY_CAST({cell} AS DATE) END")
    elif kind == TypeKind.TEXTE:
        value = f"CASE WHEN length({cell}) <= {MAX_TEXT} THEN {cell} END"
    elif kind == TypeKind.ENUM:
        words = ", ".join(text(w) for w in decl.type.values)
        value = f"CASE WHEN {cell} IN ({words}) THEN {cell} END"
    else:
        return "NULL", given
    checks = _bounds(decl, value, kind)
    typed = f"CASE WHEN {given} THEN {value} END"
    suspect = f"({given} AND ({value} IS NULL{checks}))"
    return typed, suspect


def _digits_only(cell: str, point: str) -> str:
    """Whether a cell is digits, with a leading `-` allowed and `point` (`.` or nothing) once: what
    remains when the digits are removed, tested without a regular expression (31 cells a row)."""
    rest = f"translate({cell}, '0123456789', '')"
    if not point:
        return f"({rest} = '' OR ({rest} = '-' AND {cell}[1] = '-'))"
    return f"({rest} = '{point}' OR ({rest} = '-{point}' AND {cell}[1] = '-'))"


def _bounds(decl: model.FactDecl, value: str, kind: str) -> str:
    """`OR` tests that hold when a typed value is outside the declaration's bounds."""
    tests = []
    if decl.allowed is not None:
        tests.append(f"{_compared(value, kind)} NOT IN ({', '.join(_literal(v) for v in decl.allowed)})")
    if decl.low is not None:
        tests.append(f"{_compared(value, kind)} < {_literal(decl.low)}")
    if decl.high is not None:
        tests.append(f"{_compared(value, kind)} > {_literal(decl.high)}")
    return "".join(f" OR {t}" for t in tests)


def _compared(value: str, kind: str) -> str:
    return f"CAST({value} AS DECIMAL(38, 15))" if kind in {TypeKind.DECIMAL, TypeKind.TAUX, TypeKind.MONTANT} else value


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, Decimal)):
        return f"CAST('{value}' AS DECIMAL(38, 15))" if isinstance(value, Decimal) else str(value)
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return text(str(value))


def canonical(value: object) -> str | None:
    """A typed fact as the text the generated query reads (`engine.sql.query.FACT_TYPES`)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def fact_select(program: model.Program, cells: dict[str, str]) -> tuple[list[str], str]:
    """The typed fact columns of a row (a NULL column for a fact without a cell), and its suspicion."""
    items = []
    suspects = []
    for name, decl in program.facts.items():
        cell = cells.get(name)
        sql_type = _SQL_TYPE.get(decl.type.kind, "VARCHAR")
        if cell is None:
            items.append(f"CAST(NULL AS {sql_type}) AS {quote(name)}")
            continue
        typed, suspect = typed_cell(decl, cell)
        items.append(f"{typed} AS {quote(name)}")
        suspects.append(suspect)
    return items, " OR ".join(suspects) or "FALSE"


_SQL_TYPE = {"booleen": "BOOLEAN", "entier": "BIGINT", "date": "DATE"}


def cell_columns(columns: Sequence[str], program: model.Program) -> dict[str, str]:
    """The SQL text of each fact's cell in a `cells` list (1-based), by fact name."""
    return {c: f"cells[{i + 1}]" for i, c in enumerate(columns) if c in program.facts}
