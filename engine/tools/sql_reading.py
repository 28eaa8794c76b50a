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

import codecs
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from attrs import frozen

from engine.check import model
from engine.inputs.facts import MAX_TEXT
from engine.lang.kinds import TypeKind
from engine.sql.code import text
from engine.sql.query import quote

SIMPLE_BLOCK = 1 << 22
"""Bytes read at a time when checking that a CSV file can be read as plain lines."""
MAX_LINE_BYTES = 1 << 23
"""Longest line DuckDB reads (8 MiB); a longer one makes the read fail, and the Python reader reads the
file. DuckDB reads a file in parallel only with buffers much larger than this (not with 1 GiB)."""
RAW_DELIMITER = "\\x01"
"""The delimiter DuckDB is given to read whole lines (a file holding it goes to the Python reader)."""
_SPECIAL = (b'"', b"\0", b"\x01")
INTEGER_FORM = "-?[0-9]{1,15}"
"""The integer forms typed in SQL: what `engine.inputs.facts` reads as the same int (leading zeros too)."""
DECIMAL_FORM = "-?[0-9]{1,15}(?:\\.[0-9]{1,15})?"
"""The decimal forms typed in SQL: those `engine.inputs.fastfacts` reads fast (its `_DECIMAL`)."""


def plain_lines(path: str, *, quotes: bool = False) -> bool:
    """Whether every record of a CSV file is one line without quotes: DuckDB can split it alone.

    False when the file holds a quote (allowed with `quotes`: JSON Lines), a NUL, a \\x01, a carriage
    return that does not end a line, or bytes that are not UTF-8: the Python reader's rules then apply.
    Each block is scanned where it lies (no copy), a few passes at memory speed; only a block that is
    not ASCII is decoded, by an incremental decoder that carries a character cut between two blocks.
    """
    special = _SPECIAL[1:] if quotes else _SPECIAL
    decoder = codecs.getincrementaldecoder("utf-8")()
    ended_with_cr = False  # the previous block ended with a carriage return: this one must open with \n
    with open(path, "rb") as file:
        while block := file.read(SIMPLE_BLOCK):
            if any(s in block for s in special) or (ended_with_cr and not block.startswith(b"\n")):
                return False
            returns = block.count(b"\r")
            ended_with_cr = block.endswith(b"\r")
            if returns and returns - ended_with_cr != block.count(b"\r\n"):
                return False
            if not block.isascii():
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    return False
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return not ended_with_cr


def csv_lines(path: str, delimiter: str, width: int) -> str:
    """A relation of the data lines of a CSV file, in order: `cells` (a list), `blank`, `probleme`.

    Read in parallel; the rows keep the file's order (DuckDB's insertion order), so that a table
    created from this relation numbers the lines by its `rowid` (`FIRST_LINE`): `WITH ORDINALITY`
    would number them on one thread."""
    source = (f"read_csv({text(path)}, header = false, auto_detect = false, columns = {{'raw': 'VARCHAR'}}, "
              f"quote = '', escape = '', delim = '{RAW_DELIMITER}', skip = 1, max_line_size = {MAX_LINE_BYTES}, "
              f"strict_mode = false)")
    split = f"string_split(raw, {text(delimiter)})"
    blank = "raw IS NULL OR " + ("raw = ''" if width == 1 else "CASE WHEN len(cells) = 1 THEN trim(raw) = '' END")
    problem = (f"CASE WHEN len(cells) <> {width} THEN 'ligne mal formée : ' || CAST(len(cells) AS VARCHAR) "
               f"|| ' champ' || CASE WHEN len(cells) > 1 THEN 's' ELSE '' END || ' au lieu de {width}' END")
    return (f"(SELECT cells, blank, CASE WHEN NOT blank THEN {problem} END AS probleme FROM "
            f"(SELECT cells, coalesce({blank}, FALSE) AS blank FROM (SELECT raw, {split} AS cells FROM {source})))")


_JSON_SPACE = "' ' || chr(9) || chr(11) || chr(12) || chr(13)"
"""What `bytes.strip` removes from a JSON Lines line (its newline apart): a line of only these is blank."""
_TRAILING_COMMA = ",[ \\t\\r\\n]*[]}]"
"""A comma before a closing bracket: DuckDB's JSON parser allows it, Python's does not (the row is suspect;
a string holding one only costs the row a read in Python)."""


def jsonl_lines(path: str, keys: Sequence[str]) -> str:
    """A relation of the lines of a JSON Lines file, in order (numbered as in `csv_lines`): `raw`, `blank`,
    `probleme` (NULL: a bad line is suspect, and Python says why), `ok`, and for a line that is a
    well-formed object of distinct keys, all in `keys`, `s` and `y`: the text and the JSON type of
    each key's value (NULL for a key absent), two lists read in two parses of the line."""
    source = (f"read_csv({text(path)}, header = false, auto_detect = false, columns = {{'raw': 'VARCHAR'}}, "
              f"quote = '', escape = '', delim = '{RAW_DELIMITER}', max_line_size = {MAX_LINE_BYTES}, "
              f"strict_mode = false)")
    pointers = f"[{', '.join(text('/' + k.replace('~', '~0').replace('/', '~1')) for k in keys)}]"
    blank = f"raw IS NULL OR CASE WHEN NOT starts_with(raw, '{{') THEN trim(raw, {_JSON_SPACE}) = '' END"
    valid = f"json_valid(raw) AND NOT regexp_matches(raw, {text(_TRAILING_COMMA)})"
    lines = f"(SELECT raw, coalesce({blank}, FALSE) AS blank FROM {source})"
    # valid JSON that opens with `{` is an object: only a line opening with a space is parsed once more
    is_object = (f"NOT blank AND CASE WHEN {valid} THEN "
                 f"CASE WHEN starts_with(raw, '{{') THEN TRUE ELSE json_type(raw) = 'OBJECT' END END")
    objects = f"(SELECT raw, blank, coalesce({is_object}, FALSE) AS object FROM {lines})"
    # every key is one of `keys`, once: as many keys as values found (a key given twice is found once)
    parsed = (f"(SELECT raw, blank, CASE WHEN object THEN json_keys(raw) END AS found, "
              f"CASE WHEN object THEN json_type(raw, {pointers}) END AS y, "
              f"CASE WHEN object THEN json_extract_string(raw, {pointers}) END AS s FROM {objects})")
    return (f"(SELECT raw, blank, CAST(NULL AS VARCHAR) AS probleme, "
            f"coalesce(len(found) = list_aggregate(y, 'count'), FALSE) AS ok, s, y FROM {parsed})")


@frozen
class Reading:
    """How a relation of text cells becomes the typed rows of a batch (`typed_select`).

    `source` has `blank`, `probleme` and the columns named in `keep`; `cells` gives, by fact
    name, the SQL text of the fact's cell in `source` ('' for an empty cell), and for JSON `kinds`
    its value's JSON type (`json_type`: NULL when the key is absent); `copied` gives the
    copied columns, (SQL over `source`, name); `row_cells` is the list of the row's cells, over the
    kept columns, that Python reads for a suspect row; `foreign` are tests, over the kept columns,
    that make a row suspect (a Parquet column of a type the SQL does not read as Python does).
    """

    source: str
    cells: Mapping[str, str]
    keep: tuple[str, ...] = ()
    copied: tuple[tuple[str, str], ...] = ()
    row_cells: str = "cells"
    foreign: tuple[str, ...] = ()
    kinds: Mapping[str, str] | None = None


def typed_select(program: model.Program, reading: Reading) -> str:
    """A SELECT giving, in the order of `source`, `blank`, `probleme`, `suspect`, `cells` (the row's text cells, for the
    suspect rows only), the copied columns and the typed facts.

    One layer per step, so that each cell is split out, typed and tested once (a typed value is
    used by its column and by its row's suspicion; DuckDB's common-subexpression optimiser is off
    for the generated query, `engine.tools.sql_batch.PLANNING_HEAVY`).
    """
    base = ["blank", "probleme", *reading.keep]
    given = [(i, name, decl) for i, (name, decl) in enumerate(program.facts.items()) if name in reading.cells]
    kinds = reading.kinds
    split = [*base, *(f"{expr} AS {quote(name)}" for expr, name in reading.copied),
             *(f"{reading.cells[name]} AS __c{i}" for i, name, _ in given),
             *(f"{kinds[name]} AS __y{i}" for i, name, _ in given if kinds is not None)]
    copied = [quote(name) for _, name in reading.copied]
    if kinds is not None:  # each value's JSON type (`__y`) and text
        cells = [f"__y{i}, __c{i}" for i, _, _ in given]
        values = [f"{typed_json(decl, f'__c{i}', f'__y{i}')} AS __t{i}" for i, _, decl in given]
        given_tests = [f"coalesce(__y{i}, 'NULL') <> 'NULL'" for i, _, _ in given]
    else:
        cells = [f"__c{i}" for i, _, _ in given]
        values = [f"CASE WHEN __c{i} <> '' THEN {typed_value(decl, f'__c{i}')} END AS __t{i}" for i, _, decl in given]
        given_tests = [f"__c{i} <> ''" for i, _, _ in given]
    typed = [*base, *copied, *cells, *values]
    suspicion = [suspect_cell(decl, test, f"__t{i}") for test, (i, _, decl) in zip(given_tests, given, strict=True)]
    suspect = " OR ".join([*suspicion, *reading.foreign]) or "FALSE"
    facts = []
    for i, (name, decl) in enumerate(program.facts.items()):
        sql_type = _SQL_TYPE.get(decl.type.kind, "VARCHAR")
        facts.append(f"{'__t' + str(i) if name in reading.cells else f'CAST(NULL AS {sql_type})'} AS {quote(name)}")
    tested = [*base, *copied, *facts, f"(NOT blank AND probleme IS NULL) AND ({suspect}) AS suspect"]
    final = ["blank", "probleme", "suspect", f"CASE WHEN suspect THEN {reading.row_cells} END AS cells",
             *copied, *(quote(name) for name in program.facts)]
    relation = reading.source
    for items in (split, typed, tested):
        relation = f"(SELECT {', '.join(items)} FROM {relation})"
    return f"SELECT {', '.join(final)} FROM {relation}"


def typed_value(decl: model.FactDecl, cell: str) -> str:
    """The typed value of a text cell when it has a form `engine.inputs.fastfacts` reads fast (giving the
    same value), else NULL (an empty cell too). Bounds are not checked here (`suspect_cell`)."""
    kind = decl.type.kind
    if kind == TypeKind.BOOLEEN:
        return (f"CASE WHEN {cell} IN ('true', 'vrai', 'oui', '1') THEN TRUE "
                f"WHEN {cell} IN ('false', 'faux', 'non', '0') THEN FALSE END")
    if kind == TypeKind.ENTIER:
        return f"CASE WHEN regexp_full_match({cell}, {text(INTEGER_FORM)}) THEN CAST({cell} AS BIGINT) END"
    if kind in {TypeKind.DECIMAL, TypeKind.TAUX, TypeKind.MONTANT}:
        return f"CASE WHEN regexp_full_match({cell}, {text(DECIMAL_FORM)}) THEN {cell} END"
    if kind == TypeKind.DATE:  # AAAA-MM-JJ of a day that exists: its own text back
        day = f"TRY_CAST({cell} AS DATE)"
        return f"CASE WHEN length({cell}) = 10 AND CAST({day} AS VARCHAR) = {cell} THEN {day} END"
    if kind == TypeKind.TEXTE:
        return f"CASE WHEN length({cell}) BETWEEN 1 AND {MAX_TEXT} THEN {cell} END"
    if kind == TypeKind.ENUM:
        words = ", ".join(text(w) for w in decl.type.values)
        return f"CASE WHEN {cell} IN ({words}) THEN {cell} END"
    return "NULL"


def typed_json(decl: model.FactDecl, value: str, kind: str) -> str:
    """The typed value of a JSON value (its text `value`, its JSON type `kind`) when `engine.inputs.facts`
    reads it to the same value, else NULL. A JSON number is a Python int or float there: a float is
    read from its shortest text, which DuckDB gives too (at most 15 digits, without exponent)."""
    fact = decl.type.kind
    string = f"CASE WHEN length({value}) <= {MAX_TEXT} THEN {value} END" if fact == TypeKind.TEXTE \
        else typed_value(decl, value)
    whens = [f"WHEN {kind} = 'VARCHAR' THEN {string}"]
    integer = f"{kind} IN ('UBIGINT', 'BIGINT') AND regexp_full_match({value}, {text(INTEGER_FORM)})"
    if fact == TypeKind.BOOLEEN:
        whens.append(f"WHEN {kind} = 'BOOLEAN' THEN {value} = 'true'")
    elif fact == TypeKind.ENTIER:
        whens.append(f"WHEN {integer} THEN CAST({value} AS BIGINT)")
    elif fact in {TypeKind.DECIMAL, TypeKind.TAUX, TypeKind.MONTANT}:
        whens.append(f"WHEN {integer} THEN {value}")
        whens.append(f"WHEN {kind} = 'DOUBLE' AND length({value}) <= 16 "
                     f"AND regexp_full_match({value}, {text(DECIMAL_FORM)}) THEN {value}")
    return f"CASE {' '.join(whens)} END"


def suspect_cell(decl: model.FactDecl, given: str, typed: str) -> str:
    """Whether a cell must be read by Python: `given`, and not typed or out of bounds."""
    return f"({given} AND ({typed} IS NULL{_bounds(decl, typed, decl.type.kind)}))"


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
    write = _CANONICAL.get(type(value))  # the exact type first: a million suspect rows call this 31 times each
    if write is not None:
        return write(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_CANONICAL: dict[type, Callable[[Any], str]] = {
    bool: lambda v: "true" if v else "false", Decimal: lambda v: format(v, "f"), dt.date: dt.date.isoformat,
    int: int.__str__, str: str.__str__}


_SQL_TYPE = {"booleen": "BOOLEAN", "entier": "BIGINT", "date": "DATE"}
