"""The input side of `regles batch` on DuckDB: the table `entree` of typed rows, and its suspect rows.

`read` gives the SELECT that `engine.tools.sql_batch` materialises as `entree`: one row per line of a
CSV or JSON Lines file (or per row of a Parquet file), in the input's order, so that a row's line is
its `rowid` plus `FIRST_LINE`. `decide_suspects` then reads the rows the SQL set aside with the Python
engine's own functions (`engine.inputs.facts`, `engine.tools.batch_rows.json_record`): each gets the
facts (and, from JSON Lines, the copied cells) Python reads, or the reason Python refuses it.
"""

from __future__ import annotations

import codecs
import json
import os
import tempfile
from collections.abc import Callable, Sequence

import duckdb

from engine.check.model import Program
from engine.inputs.facts import FactsError
from engine.inputs.fastfacts import FactReader
from engine.sql.code import text
from engine.sql.query import quote
from engine.tools.batch_input import _Input
from engine.tools.batch_job import BatchError, FileFormat
from engine.tools.batch_rows import _reason, cell_text, json_record, row_facts
from engine.tools.sql_reading import Reading, canonical, csv_lines, jsonl_lines, plain_lines, typed_select

FIRST_LINE = {FileFormat.CSV: 2, FileFormat.JSONL: 1, FileFormat.PARQUET: 1}
"""The line (Parquet: rank) of an input's first row: the line of a row of `entree` is its `rowid` plus this."""


class NeedsPythonReader(Exception):
    """The input needs the Python engine: its records, or what it asks for (`engine.tools.sql_batch`)."""


def read(con: duckdb.DuckDBPyConnection, path: str, kind: FileFormat, program: Program,
         output: FileFormat) -> tuple[tuple[str, ...], str]:
    """The input's columns, and a SELECT giving, in the input's order, `blank`, `probleme`, `suspect`,
    `cells`, the copied columns and the typed facts (`engine.tools.sql_reading.typed_select`)."""
    if kind is FileFormat.CSV:
        return _csv(path, program)
    if kind is FileFormat.JSONL:
        return _jsonl(path, program, output)
    return _parquet(con, path, program)


def _csv(path: str, program: Program) -> tuple[tuple[str, ...], str]:
    source = _Input(path, FileFormat.CSV, 1)
    source.close()
    columns, delimiter = source.columns, source.dialect
    if "" in columns:
        raise NeedsPythonReader(f"« {path} » a une colonne sans nom")
    if not plain_lines(path):
        raise NeedsPythonReader(f"« {path} » contient des guillemets, des caractères nuls ou des retours "
                                "chariot isolés, que seul le lecteur CSV complet sait lire")
    at = {c: f"cells[{i + 1}]" for i, c in enumerate(columns)}
    reading = Reading(csv_lines(path, delimiter, len(columns)),
                      {c: cell for c, cell in at.items() if c in program.facts}, keep=("cells",),
                      copied=tuple((f"NULLIF({at[c]}, '')", c) for c in columns if c not in program.facts))
    return columns, typed_select(program, reading)


def _jsonl(path: str, program: Program, output: FileFormat) -> tuple[tuple[str, ...], str]:
    """A JSON Lines file read line by line: DuckDB types the well-formed objects of known keys whose
    values it reads as Python does; any other line is suspect, and Python reads it."""
    source = _Input(path, FileFormat.JSONL, 1)  # the copied columns are the first object's other keys
    source.close()
    columns = source.columns
    if not plain_lines(path, quotes=True):
        raise NeedsPythonReader(f"« {path} » contient des caractères nuls, des retours chariot isolés ou des "
                                "octets qui ne sont pas de l'UTF-8, que seul le lecteur JSON Lines complet sait lire")
    with open(path, "rb") as file:
        first = file.readline()
    if first.startswith(codecs.BOM_UTF8) and not first[len(codecs.BOM_UTF8):].strip():
        # DuckDB drops the mark and sees a blank line; Python reads an empty document: an error row
        raise NeedsPythonReader(f"« {path} » commence par une ligne qui ne contient que la marque d'ordre des octets")
    copied = [c for c in columns if c not in program.facts]
    keys = [*program.facts, *copied]
    at = {key: f"s[{i + 1}]" for i, key in enumerate(keys)}
    kinds = {key: f"y[{i + 1}]" for i, key in enumerate(keys)}
    # copied values are text in the output: strings (and, outside JSON Lines, integers and booleans) are
    # the text Python writes; any other value makes its row suspect, and Python gives its text
    plain = ("'VARCHAR'",) if output is FileFormat.JSONL else ("'VARCHAR'", "'UBIGINT'", "'BIGINT'", "'BOOLEAN'")
    reading = Reading(jsonl_lines(path, keys), {f: at[f] for f in program.facts}, keep=("raw", "ok", "y"),
                      copied=tuple((f"CASE WHEN {kinds[c]} IN ({', '.join(plain)}) THEN {at[c]} END", c)
                                   for c in copied),
                      row_cells="[raw]",
                      foreign=("NOT ok", *(f"coalesce({kinds[c]}, 'NULL') NOT IN ('NULL', {', '.join(plain)})"
                                           for c in copied)),
                      kinds={f: kinds[f] for f in program.facts})
    return tuple(columns), typed_select(program, reading)


def _parquet(con: duckdb.DuckDBPyConnection, path: str, program: Program) -> tuple[tuple[str, ...], str]:
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({text(path)})").fetchall()
    except duckdb.Error as exc:
        raise BatchError(f"impossible de lire « {path} » : {exc}") from None
    columns = tuple(str(row[0]) for row in described)
    types = {str(row[0]): str(row[1]) for row in described}
    kept = {c: f"__s{i}" for i, c in enumerate(columns)}  # renamed: a fact's typed column takes its name
    as_text = {c: f"CASE WHEN {kept[c]} IS NULL THEN '' ELSE CAST({kept[c]} AS VARCHAR) END" for c in columns}
    source = ("(SELECT FALSE AS blank, CAST(NULL AS VARCHAR) AS probleme"
              + "".join(f", {quote(c)} AS {kept[c]}" for c in columns) + f" FROM read_parquet({text(path)}))")
    reading = Reading(source, {c: as_text[c] for c in columns if c in program.facts}, keep=tuple(kept.values()),
                      copied=tuple((f"CAST({kept[c]} AS VARCHAR)", c) for c in columns if c not in program.facts),
                      row_cells=f"[{', '.join(as_text.values())}]" if columns else "CAST([] AS VARCHAR[])",
                      foreign=tuple(f"{kept[c]} IS NOT NULL" for c in columns if c in program.facts
                                    and types[c] not in _PARQUET_TEXT.get(program.facts[c].type.kind, ())))
    return columns, typed_select(program, reading)


_PARQUET_TEXT = {
    "booleen": ("BOOLEAN", "VARCHAR"), "entier": ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "VARCHAR"),
    "decimal": ("BIGINT", "INTEGER", "VARCHAR"), "taux": ("BIGINT", "INTEGER", "VARCHAR"),
    "montant": ("BIGINT", "INTEGER", "VARCHAR"), "date": ("DATE", "VARCHAR"), "texte": ("VARCHAR",),
    "enum": ("VARCHAR",),
}
"""Parquet column types whose text DuckDB's cast gives as `engine.inputs.facts` reads the same value."""

_Decided = tuple[dict[str, object], tuple[object, ...]] | str
"""A suspect row read by Python: its typed facts and copied values, or the reason it is refused."""


SUSPECTS_AT_ONCE = 10_000
"""Suspect rows fetched from DuckDB at a time: memory stays flat when every row is suspect."""


def decide_suspects(con: duckdb.DuckDBPyConnection, program: Program, columns: Sequence[str],
                    kind: FileFormat, output: FileFormat) -> list[tuple[int, str]]:
    """Decide the suspect rows in Python: the facts (and copied cells) it reads replace theirs, or its
    reason goes into `probleme`. Returns every error row (malformed lines too), with its line, in line order.

    The decisions go to DuckDB through two JSON Lines files in a temporary folder, read by one `UPDATE`
    each: inserting a million rows one by one (`executemany`) would take an hour.
    """
    first = FIRST_LINE[kind]
    names = [c for c in (program.facts if kind is FileFormat.JSONL else columns) if c in program.facts]
    copied = [c for c in columns if c not in program.facts] if kind is FileFormat.JSONL else []
    decide = _decider(program, columns, kind, copied)
    with tempfile.TemporaryDirectory(prefix="regles-sql-") as folder:
        fixed_path, refused_path = os.path.join(folder, "retenus.jsonl"), os.path.join(folder, "refus.jsonl")
        fixed = refused = 0
        with open(fixed_path, "w", encoding="utf-8") as fixed_file, \
                open(refused_path, "w", encoding="utf-8") as refused_file:
            result = con.execute("SELECT rowid, cells FROM entree WHERE suspect ORDER BY rowid")
            while batch := result.fetchmany(SUSPECTS_AT_ONCE):
                for row, cells in batch:
                    decided = decide(int(row) + first, cells)
                    if isinstance(decided, str):
                        refused_file.write(json.dumps([row, decided], ensure_ascii=False) + "\n")
                        refused += 1
                        continue
                    typed, values = decided
                    texts = [*(canonical(typed.get(n)) for n in names), *(_copied_text(v, output) for v in values)]
                    fixed_file.write(json.dumps([row, *texts], ensure_ascii=False) + "\n")
                    fixed += 1
        if refused:
            con.execute(f"UPDATE entree SET probleme = r.c1 FROM {_decisions(refused_path, 1)} AS r "
                        "WHERE entree.rowid = r.c0")
        if fixed:
            _replace(con, program, names, copied, _decisions(fixed_path, len(names) + len(copied)))
    rows = con.execute("SELECT rowid, probleme FROM entree WHERE probleme IS NOT NULL ORDER BY rowid").fetchall()
    return [(int(row) + first, str(reason)) for row, reason in rows]


def _decisions(path: str, texts: int) -> str:
    """A file of decisions, `[rowid, text or null, …]` a line, as a relation: `c0` (BIGINT), `c1`… (VARCHAR)."""
    items = ", ".join(["CAST(v[1] AS BIGINT) AS c0", *(f"v[{i + 2}] AS c{i + 1}" for i in range(texts))])
    return (f"(SELECT {items} FROM read_json({text(path)}, format = 'newline_delimited', records = false, "
            "columns = {'v': 'VARCHAR[]'}))")


def _decider(program: Program, columns: Sequence[str], kind: FileFormat,
             copied: Sequence[str]) -> Callable[[int, list[str]], _Decided]:
    """How Python reads a suspect row's cells (a JSON Lines row: its line's text alone)."""
    reader = FactReader(program)
    positions = [(i, c) for i, c in enumerate(columns) if c in program.facts]
    read_cells = reader.cells_reader(positions)

    def decide(line: int, cells: list[str]) -> _Decided:
        try:
            if kind is FileFormat.CSV:
                return read_cells(cells), ()
            if kind is FileFormat.PARQUET:
                return reader.validate({c: v for c, v in zip(columns, cells, strict=False)
                                        if c in program.facts and v != ""}), ()
            data = json_record(cells[0].encode("utf-8", "surrogateescape"), line)
            if isinstance(data, str):
                return data
            values = tuple(data.pop(c, None) for c in copied)
            return row_facts(reader, program, data), values
        except FactsError as exc:
            return _reason(exc)
    return decide


def _copied_text(value: object, output: FileFormat) -> str | None:
    """A copied JSON value as the output holds it (`engine.tools.batch_rows._Rows.copy`): text; in JSON Lines
    only a string is text, and any other value keeps its JSON type, which the SQL engine does not write."""
    if value is None:
        return None
    if output is FileFormat.JSONL and not isinstance(value, str):
        raise NeedsPythonReader("une colonne recopiée contient des valeurs JSON qui ne sont pas des textes")
    return cell_text(value)


def _replace(con: duckdb.DuckDBPyConnection, program: Program, names: Sequence[str], copied: Sequence[str],
             fixed: str) -> None:
    """Put the facts Python typed (as their canonical text, cast) and the copied cells into the rows it accepted;
    `fixed` is their relation (`_decisions`): the rowid, then the facts `names`, then the `copied` cells."""
    sql_types = {"booleen": "BOOLEAN", "entier": "BIGINT", "date": "DATE"}
    sets = [f"{quote(n)} = CAST(r.c{i + 1} AS {sql_types.get(program.facts[n].type.kind, 'VARCHAR')})"
            for i, n in enumerate(names)] + [f"{quote(c)} = r.c{len(names) + i + 1}" for i, c in enumerate(copied)]
    con.execute(f"UPDATE entree SET suspect = FALSE{''.join(', ' + s for s in sets)} FROM {fixed} AS r "
                "WHERE entree.rowid = r.c0")
