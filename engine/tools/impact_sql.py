"""`regles diff` on DuckDB: one query per rule file over the same facts, a join on the line number,
and the counts of the report computed in SQL (`--moteur auto`, the default, or `sql`).

The report is `engine.tools.impact`'s, to the byte (tests/test_diff_sql.py): the same `Impact`
filled from grouped counts instead of row by row. Each file reads the population as `regles batch`
does on DuckDB (`engine.tools.sql_batch`, whose suspect rows `engine.inputs.facts` decides); two
files that declare their facts alike (`_same_reading`) share one typed table. DuckDB keeps no
line's text: the rows either file refuses, and the malformed lines, are read again from the file
(`_Lines`) and evaluated in Python, which gives their reason in the Python path's words. The join
of the two results keeps only what the counts read (labels as a one-byte ENUM), and DuckDB's memory
is held to `MEMORY_PER_THREAD` a thread, the rest spilled to a temporary folder. Rows are grouped
by everything a count depends on (case, eligibility statuses and reasons, the statuses of each
amount, a breakdown value); groups are added in the order of their first line, so that every counter
lists its keys in the order the Python path meets them (ties of `most_common`). Amounts are summed in SQL as
DECIMAL(38, MAX_SCALE), each group's sum rounded to the decimals of its most precise amount: the sums
the Python path adds up exactly. The few example rows are chosen from the first rows of each of
`impact._examples`' queues, read again from the file, then evaluated and explained in Python.

A population this module does not read (JSON Lines, Parquet, a CSV file that needs the full CSV
grammar), amounts with more than `MAX_SCALE` decimals or too large to add exactly in 28 digits,
a row that SQL refuses and Python accepts, or a query DuckDB stops (a number beyond 38 digits),
raise `NeedsPython`: `compare` then runs the Python path, and says why when `--moteur sql` asked
for DuckDB (the default, `auto`, falls back without a word, as `regles batch` does).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

import duckdb

from engine import api
from engine.check.model import Program
from engine.lang.kinds import TypeKind
from engine.lang.results import STATUS_FRENCH
from engine.sql.code import text
from engine.sql.exprs import SqlUnsupported
from engine.sql.query import Query, generate, quote
from engine.tools import impact as python_path
from engine.tools.batch_input import _Input
from engine.tools.batch_job import BatchError, FileFormat, small_input
from engine.tools.impact import CASES, NA, BadRow, Candidate, CaseStats, GroupStats, Impact, PairStats, Tally
from engine.tools.impact_population import csv_row, read_population
from engine.tools.sql_batch import PLANNING_HEAVY, SETTINGS
from engine.tools.sql_input import FIRST_LINE, NeedsPythonReader, decide_suspects, read
from engine.tools.sql_reading import csv_lines
from engine.tools.sql_specialised import first_that_fits, never_null, queries

MEMORY_PER_THREAD = 250
"""DuckDB's memory for a comparison, in MB for each of its threads (500 MB on 2): its tables and the
join's hash table spill beyond it to a temporary folder (a million rows on 2 threads: peak 0.75 GB
instead of 1.3 GB, for about 1 s more of CPU); should that not be enough for a query, or the folder
not take what spills, the comparison runs again without a limit."""
_SPILL_ERRORS = (duckdb.OutOfMemoryException, duckdb.IOException)
MAX_SCALE = 10
"""Decimals of an amount the SQL sums keep; more (a fraction's 28 digits) and the Python path counts."""
_EXACT_DIGITS = 28
"""Digits of Python's default decimal context: the Python path's sums are exact below them."""
_NUMBER_TEXT = (TypeKind.DECIMAL, TypeKind.TAUX, TypeKind.MONTANT)
"""Kinds whose values the query gives as their decimal text (compared without trailing zeros)."""
_SAME_AS_TEXT = (TypeKind.BOOLEEN, TypeKind.ENTIER, TypeKind.DATE, TypeKind.TEXTE, TypeKind.ENUM)
"""Kinds whose values are equal exactly when their texts are: compared as they are, not as text (a
duration is not: DuckDB holds `1 month` equal to `30 days`)."""
_VALUE = STATUS_FRENCH["value"]
_VALUED = ("vrai", "faux", _VALUE)
"""The labels of a result that has a value (`_label`); any other label is its status."""
_LABELS = (*_VALUED, *(s for s in STATUS_FRENCH.values() if s != _VALUE))
"""Every label of a result (`_label`): stored as an ENUM (one byte a value, not a string); another
label would stop the query, and the Python path would count."""
SPACE = ("[\\s\\x{0b}\\x{1c}-\\x{1f}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}"
         "\\x{205f}\\x{3000}]")
"""The characters Python's `str.strip` removes, as a regular expression class of DuckDB (RE2)."""


class NeedsPython(Exception):
    """The SQL path cannot give the Python path's report for this population (the message says why)."""


def compare(old: api.Ruleset, new: api.Ruleset, population: str | Path, *, engine: str = "auto",
            warn: Callable[[str], None] | None = None, by: Sequence[str] | None = None,
            eligibility: str | None = None, examples: int = 3, amounts: Sequence[str] | None = None,
            old_name: str | None = None, new_name: str | None = None) -> Impact:
    """`engine.tools.impact.compare` on the engine asked for (`auto`, `sql` or `python`, as for
    `engine.tools.batch`): `auto` leaves a population smaller than `batch_job.SMALL_INPUT_BYTES` to
    `python`; `auto` and `sql` fall back to `python` for what DuckDB does not evaluate
    (`NeedsPython`), `sql` saying why through `warn`."""
    start = time.perf_counter()
    if engine == "sql" or (engine == "auto" and not small_input(population)):
        try:
            impact = compare_sql(old, new, population, by=by, eligibility=eligibility, examples=examples,
                                 amounts=amounts, old_name=old_name, new_name=new_name)
        except NeedsPython as why:
            if engine == "sql" and warn is not None:
                warn(f"moteur SQL : {why} ; la population est évaluée par le moteur Python")
        else:
            impact.seconds = time.perf_counter() - start
            return impact
    return python_path.compare(old, new, population, by=by, eligibility=eligibility, examples=examples,
                               amounts=amounts, old_name=old_name, new_name=new_name)


def compare_sql(old: api.Ruleset, new: api.Ruleset, population: str | Path, *, by: Sequence[str] | None = None,
                eligibility: str | None = None, examples: int = 3, amounts: Sequence[str] | None = None,
                old_name: str | None = None, new_name: str | None = None) -> Impact:
    """`engine.tools.impact.compare`, evaluated and counted by DuckDB (same arguments, same report).

    Raises:
        NeedsPython: see the module docstring.
        PopulationError, ValueError: as `engine.tools.impact.compare`.
    """
    path = str(population)
    if Path(path).suffix.lower() != ".csv":
        raise NeedsPython("il ne lit que le CSV")
    columns, _ = read_population(path)  # the Python path's errors for a file it cannot read, and its header

    def prepare() -> Impact:
        return python_path._prepare(old, new, path, columns, by, eligibility, amounts, old_name, new_name)
    stamp = _Stamp(path)  # the file is read more than once: each reading must be of the same file
    try:
        impact = _run(prepare, (old, new), stamp, columns, examples, MEMORY_PER_THREAD)
    except _SPILL_ERRORS:  # what DuckDB could not spill under the limit: again, without one
        impact = _run(prepare, (old, new), stamp, columns, examples, None)
    stamp.check()
    return impact


class _Stamp:
    """A population file's size and modification time when the comparison began: DuckDB reads it, then
    `_Lines` reads some of its lines again, and a file changed in between would mix two populations."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.size, self.mtime = self.now()

    def now(self) -> tuple[int, int]:
        try:
            found = os.stat(self.path)
        except OSError as exc:
            raise BatchError(f"impossible de relire « {self.path} » : {exc.strerror}") from None
        return found.st_size, found.st_mtime_ns

    def check(self) -> None:
        """Raise BatchError (the words of `regles batch`) when the file is no longer the one read."""
        size, mtime = self.now()
        if (size, mtime) != (self.size, self.mtime):
            raise self.changed(size)

    def changed(self, size: int) -> BatchError:
        return BatchError(f"« {self.path} » a changé pendant la lecture ({self.size} octets au début, {size} à "
                          "la fin) : aucun rapport n'est donné, relancez sur un fichier stable")


def _run(prepare: Callable[[], Impact], rulesets: tuple[api.Ruleset, api.Ruleset], stamp: _Stamp,
         columns: Sequence[str], examples: int, per_thread: int | None) -> Impact:
    """`compare_sql` on a new connection whose memory is held to `per_thread` MB a thread (the rest spills
    to a temporary folder): raises one of `_SPILL_ERRORS` when that is not enough, with a limit."""
    old, new = rulesets
    path = stamp.path
    impact = prepare()
    general = _queries(impact, old.program, new.program)  # before any reading: else `NeedsPython`
    with tempfile.TemporaryDirectory(prefix="regles-diff-") as spill:
        con = duckdb.connect(config={**SETTINGS, "temp_directory": spill})
        try:
            if per_thread is not None:
                threads = _count_one(con, "SELECT current_setting('threads')")
                con.execute(f"SET memory_limit = '{per_thread * threads}MB'")
            delimiter = _lines(con, path, columns, impact.by)
            _facts(con, path, old.program, "faits_ancien")  # read with every optimiser on (engine.tools.sql_batch)
            if _same_reading(old.program, new.program):  # the same typed facts: read once
                con.execute("CREATE TEMP VIEW faits_nouveau AS SELECT * FROM faits_ancien")
            else:
                _facts(con, path, new.program, "faits_nouveau")
            con.execute(f"SET disabled_optimizers = '{PLANNING_HEAVY}'")
            impact.rows = _count_one(con, "SELECT count(*) FROM lignes WHERE NOT vide")
            source = _Lines(stamp, delimiter, columns)
            _refused(con, impact, rulesets, source)
            _types(con)
            first_that_fits(_specialised(con, impact, (old.program, new.program), general),
                            lambda pair: _pairs(con, impact, *pair))
            _scale(con, impact)
            _fill(con, impact)
            impact.examples = _examples(con, impact, rulesets, source, examples)
        except duckdb.Error as exc:  # a number beyond 38 digits in a query: the Python path's limits apply
            if per_thread is not None and isinstance(exc, _SPILL_ERRORS):
                raise
            raise NeedsPython(f"DuckDB s'est arrêté ({str(exc).splitlines()[0]})") from None
        finally:
            con.close()
    return impact


# ─── Reading ─────────────────────────────────────────────────────────────────────────────────

def _lines(con: duckdb.DuckDBPyConnection, path: str, columns: Sequence[str], by: Sequence[str]) -> str:
    """Fill `lignes`: each line's number, whether it is blank (every cell empty once stripped, as
    `read_population` says), refused (set by `_facts`), padded (a cell with spaces around it), the cells
    of the padded lines only (which `_facts` strips), and the breakdown values (`par_…`). The other
    lines' cells are not kept: the few lines read again (refused rows, examples) are read by `_Lines`.
    Returns the file's delimiter."""
    source = _Input(path, FileFormat.CSV, 1)
    source.close()
    lines = csv_lines(path, source.dialect, len(columns))
    padded = (f"NOT blank AND regexp_matches(array_to_string(cells, chr(1)), "
              f"'(^|\\x01){SPACE}|{SPACE}($|\\x01)')")
    flags = f"(SELECT cells, blank, {padded} AS rembourre FROM {lines})"
    groups = "".join(f", CASE WHEN len(cells) = {len(columns)} THEN "
                     f"COALESCE(NULLIF({_stripped(f'cells[{columns.index(b) + 1}]')}, ''), '(inconnu)') END "
                     f"AS {quote('par_' + b)}" for b in by)
    # the table numbers the lines by its rowid (`csv_lines`): `ligne` is set once the table is written
    con.execute(f"CREATE TEMP TABLE lignes AS SELECT blank OR regexp_full_match(array_to_string(cells, ''), "
                f"'{SPACE}*') AS vide, FALSE AS refus, rembourre, CASE WHEN rembourre THEN cells END AS cells"
                f"{groups} FROM {flags}")
    con.execute("ALTER TABLE lignes ADD COLUMN ligne BIGINT")
    con.execute(f"UPDATE lignes SET ligne = rowid + {FIRST_LINE[FileFormat.CSV]}")
    return source.dialect


def _facts(con: duckdb.DuckDBPyConnection, path: str, program: Program, table: str) -> None:
    """The population's lines typed for one rule file, as `regles batch` reads them (`engine.tools.sql_input`),
    in `table` with their line number `ligne`; the lines it refuses are marked in `lignes`."""
    first = FIRST_LINE[FileFormat.CSV]
    try:
        columns, rows = read(con, path, FileFormat.CSV, program, FileFormat.CSV)
    except NeedsPythonReader as why:
        raise NeedsPython(str(why)) from None
    except BatchError as exc:
        raise NeedsPython(str(exc)) from None
    con.execute(f"CREATE TEMP TABLE entree AS {rows}")
    # each row's line, taken while its rowid is its place in the file: updating a row's list of cells
    # below moves it to the end of the table (DuckDB rewrites a row whose list changes)
    con.execute("ALTER TABLE entree ADD COLUMN ligne BIGINT")
    con.execute(f"UPDATE entree SET ligne = rowid + {first}")
    # the Python path strips every cell: a row with a padded cell is decided in Python on its stripped cells
    con.execute(f"UPDATE entree SET suspect = TRUE, cells = list_transform(lignes.cells, lambda c: {_stripped('c')}) "
                f"FROM lignes WHERE lignes.ligne = entree.ligne AND lignes.rembourre "
                "AND NOT entree.blank AND entree.probleme IS NULL")
    decide_suspects(con, program, columns, FileFormat.CSV, FileFormat.CSV)
    # every later query finds a row by its line: the table is kept as it is, without its cells (no copy)
    con.execute("ALTER TABLE entree DROP COLUMN cells")
    con.execute(f"ALTER TABLE entree RENAME TO {table}")
    con.execute(f"UPDATE lignes SET refus = TRUE FROM {table} "
                f"WHERE lignes.ligne = {table}.ligne AND {table}.probleme IS NOT NULL")
    # the queries read the facts alone (the row's blank, refused and padded flags are in `lignes`)
    for column in ("blank", "probleme", "suspect", *(c for c in columns if c not in program.facts)):
        con.execute(f"ALTER TABLE {table} DROP COLUMN {quote(column)}")


def _same_reading(old: Program, new: Program) -> bool:
    """Whether both files read a population's cells alike: the same facts, in the same order, each
    with the same type, bounds and allowed values (all that `engine.inputs.facts.coerce` and its fast
    readers, and the SQL reading, depend on for a text cell), so that one typed table serves both."""
    def reading(program: Program) -> list[tuple[object, ...]]:
        return [(name, d.type, d.low, d.high, d.allowed) for name, d in program.facts.items()]
    return reading(old) == reading(new)


class _Lines:
    """The cells of chosen lines of a CSV population, read again from the file: the text DuckDB split
    (`csv_lines`: a plain file, each record one line, its end `\\n` or `\\r\\n`), split by the delimiter."""

    def __init__(self, stamp: _Stamp, delimiter: str, columns: Sequence[str]) -> None:
        self.stamp, self.delimiter, self.columns = stamp, delimiter, columns

    def cells(self, wanted: Sequence[int]) -> list[tuple[int, list[str]]]:
        """(line, cells) of the lines numbered in `wanted`, in line order; the file is read up to the last."""
        left, found = set(wanted), []
        if not left:
            return []
        self.stamp.check()
        try:
            with open(self.stamp.path, "rb") as file:
                file.readline()  # the header
                for number, raw in enumerate(file, FIRST_LINE[FileFormat.CSV]):
                    if number in left:
                        line = raw.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8")
                        found.append((number, line.split(self.delimiter)))
                        left.discard(number)
                        if not left:
                            break
        except (OSError, UnicodeDecodeError):  # DuckDB read the same bytes as UTF-8: the file has changed
            raise self.stamp.changed(self.stamp.now()[0]) from None
        if left:  # lines DuckDB numbered are gone
            raise self.stamp.changed(self.stamp.now()[0])
        return found


def _refused(con: duckdb.DuckDBPyConnection, impact: Impact, rulesets: tuple[api.Ruleset, api.Ruleset],
             source: _Lines) -> None:
    """The rows set aside by either file, read again and evaluated in Python for their reason."""
    refused = con.execute("SELECT ligne FROM lignes WHERE refus AND NOT vide ORDER BY ligne").fetchall()
    lines = [int(r[0]) for r in refused]
    for line, cells in source.cells(lines):
        row = csv_row(source.columns, cells)
        ident = python_path._ident(row)
        if "" in row:
            impact.bad.append(BadRow(int(line), ident, str(row[""])))
        elif python_path._evaluate(impact, rulesets, row, int(line), ident) is not None:
            raise NeedsPython(f"la ligne {line}, écartée par la lecture SQL, est acceptée par le moteur Python")


# ─── Evaluating and joining ──────────────────────────────────────────────────────────────────

def _relations(impact: Impact) -> tuple[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]]:
    """Each file's relation of the rows both evaluate (`faits_ancien` with the breakdown values,
    `faits_nouveau`), with the columns its query keeps."""
    by = [f"lignes.{quote('par_' + b)}" for b in impact.by]
    good = "(SELECT f.*{} FROM {} f JOIN lignes USING (ligne) WHERE NOT vide AND NOT refus)"
    return ((good.format("".join(", " + b for b in by), "faits_ancien"), ("ligne", *("par_" + b for b in impact.by))),
            (good.format("", "faits_nouveau"), ("ligne",)))


def _queries(impact: Impact, old: Program, new: Program) -> tuple[Query, Query]:
    """Each file's query over the rows both evaluate, generated before DuckDB reads the population: a rule
    file the generator does not translate costs no reading."""
    (old_rows, old_keep), (new_rows, new_keep) = _relations(impact)
    try:
        return (generate(old, old_rows, old_keep, nested=True), generate(new, new_rows, new_keep, nested=True))
    except SqlUnsupported as exc:
        raise NeedsPython(str(exc)) from None


def _specialised(con: duckdb.DuckDBPyConnection, impact: Impact, programs: tuple[Program, Program],
                 general: tuple[Query, Query]) -> list[tuple[Query, Query]]:
    """The pairs of queries to try in turn, specialised to the rows read (`engine.tools.sql_specialised`): on
    64 bits, then on 128 bits (both files: a pair is joined in one statement, which one overflow stops)."""
    tried = [queries(program, rows, keep, never_null(con, program, rows), fallback)
             for program, (rows, keep), fallback in zip(programs, _relations(impact), general, strict=True)]
    narrow, wide = (tried[0][0], tried[1][0]), (tried[0][-1], tried[1][-1])
    return [narrow, wide] if narrow != wide else [wide]


def _pairs(con: duckdb.DuckDBPyConnection, impact: Impact, q_old: Query, q_new: Query) -> None:
    """`paires`: one row per line both files evaluate, with what the counts need of both results."""
    kinds = {"o": dict(zip(q_old.outputs, q_old.kinds, strict=True)),
             "n": dict(zip(q_new.outputs, q_new.kinds, strict=True))}
    # each side keeps only what the counts read (a one-byte label, a comparable value, the amounts'
    # text, the reason): the join's hash table holds one side's rows, so their width is its memory
    sides: dict[str, list[str]] = {"o": ["ligne", *(quote("par_" + b) for b in impact.by)], "n": ["ligne"]}
    items = ["o.ligne", *(f"o.{quote('par_' + b)}" for b in impact.by)]
    changes = []
    valued = ", ".join(text(label) for label in _VALUED)
    for i, name in enumerate(impact.common):
        old_kind, new_kind = kinds["o"][name], kinds["n"][name]
        native = old_kind == new_kind and old_kind in _SAME_AS_TEXT
        for side, kind, label, value in (("o", old_kind, "a", "x"), ("n", new_kind, "b", "y")):
            shown = f"{side}.{quote(name)}" if native else _normal(side, name, kind)
            sides[side] += [f"{_label(side, name, kind)} AS {label}{i}", f"{shown} AS {value}{i}"]
        # a label is a status but for a value (vrai, faux, valeur): the statuses differ, or both are
        # values and the values differ
        change = (f"CASE WHEN o.a{i} IN ({valued}) AND n.b{i} IN ({valued}) THEN NOT (o.x{i} = n.y{i}) "
                  f"ELSE o.a{i} IS DISTINCT FROM n.b{i} END")
        items += [f"{change} AS c{i}", f"o.a{i}", f"n.b{i}"]
        changes.append(f"c{i}")
    items.append(f"({' OR '.join(changes) or 'FALSE'}) AS modifiee")
    for j, name in enumerate(impact.amounts):
        for side, column in (("o", "ta"), ("n", "tb")):
            sides[side].append(f"CASE WHEN {side}.{quote(name + '__statut')} = '{_VALUE}' THEN {side}.{quote(name)} "
                               f"END AS {column}{j}")
        items += [f"o.ta{j}", f"n.tb{j}"]
    if impact.eligibility is not None:
        e = impact.eligibility
        for side, column in (("o", "ra"), ("n", "rb")):
            sides[side].append(f"CASE WHEN {side}.{quote(e + '__statut')} = '{NA}' THEN {side}.{quote(e + '__raison')} "
                               f"END AS {column}")
        items += ["o.ra", "n.rb"]
    joined = (f"(SELECT {', '.join(items)} FROM (SELECT {', '.join(sides['o'])} FROM ({q_old.sql}) AS o) AS o "
              f"JOIN (SELECT {', '.join(sides['n'])} FROM ({q_new.sql}) AS n) AS n ON o.ligne = n.ligne)")
    eligibility = impact.common.index(impact.eligibility) if impact.eligibility is not None else None
    case = "'all'" if eligibility is None else _case(f"a{eligibility}", f"b{eligibility}")
    # amounts at MAX_SCALE decimals and their own number of decimals, so that the table is written once;
    # `_scale` then checks that the sums are exact (a sum at MAX_SCALE decimals, rounded to its group's
    # decimals, is the sum at those decimals)
    decimal = f"DECIMAL(38, {MAX_SCALE})"
    texts = [f"{s}{j}" for j in range(len(impact.amounts)) for s in ("ta", "tb")]
    amounts = [f"CAST(ta{j} AS {decimal}) AS va{j}, CAST(tb{j} AS {decimal}) AS vb{j}, "
               f"CAST({_places(f'ta{j}')} AS INTEGER) AS sa{j}, CAST({_places(f'tb{j}')} AS INTEGER) AS sb{j}"
               for j in range(len(impact.amounts))]
    kept = f"* EXCLUDE ({', '.join(texts)})" if texts else "*"
    con.execute(f"CREATE OR REPLACE TEMP TABLE paires AS SELECT {kept}, CAST({case} AS cas) AS cas"
                f"{''.join(', ' + a for a in amounts)} FROM {joined}")


def _types(con: duckdb.DuckDBPyConnection) -> None:
    """The two enumerations `paires` stores its labels and cases as."""
    con.execute(f"CREATE TYPE etiquette AS ENUM ({', '.join(text(label) for label in _LABELS)})")
    con.execute(f"CREATE TYPE cas AS ENUM ({', '.join(text(key) for key in (*(c.key for c in CASES), 'all'))})")


def _stripped(cell: str) -> str:
    """A cell without the whitespace `str.strip` removes."""
    return f"regexp_replace({cell}, '^{SPACE}+|{SPACE}+$', '', 'g')"


def _normal(side: str, name: str, kind: str) -> str:
    """A value as comparable text: numbers without trailing zeros (`8400.00` = `8400`), as the Python
    path compares them."""
    value = f"CAST({side}.{quote(name)} AS VARCHAR)"
    if kind in _NUMBER_TEXT:
        return f"CASE WHEN strpos({value}, '.') > 0 THEN rtrim(rtrim({value}, '0'), '.') ELSE {value} END"
    return value


def _label(side: str, name: str, kind: str) -> str:
    """`impact._label` of a result: `vrai`/`faux` for a condition, `valeur`, or the status."""
    status = f"{side}.{quote(name + '__statut')}"
    shown = f"CASE WHEN {side}.{quote(name)} THEN 'vrai' ELSE 'faux' END" if kind == TypeKind.BOOLEEN \
        else f"'{_VALUE}'"
    return f"CAST(CASE WHEN {status} = '{_VALUE}' THEN {shown} ELSE {status} END AS etiquette)"


def _case(old: str, new: str) -> str:
    """`impact.classify` on the eligibility labels."""
    whens = " ".join(f"WHEN {old} = {text(c.old)} AND {new} = {text(c.new)} THEN {text(c.key)}"
                     for c in CASES[:-1])
    return f"CASE {whens} ELSE {text(CASES[-1].key)} END"


def _places(column: str) -> str:
    return f"CASE WHEN strpos({column}, '.') > 0 THEN length({column}) - strpos({column}, '.') ELSE 0 END"


def _scale(con: duckdb.DuckDBPyConnection, impact: Impact) -> None:
    """Check that the amounts' sums, kept at MAX_SCALE decimals, add up exactly as the Python path's."""
    if not impact.amounts:
        return
    places = ", ".join(f"max({s}{j})" for j in range(len(impact.amounts)) for s in ("sa", "sb"))
    found = con.execute(f"SELECT greatest({places}) FROM paires").fetchone()
    scale = int(found[0]) if found and found[0] is not None else 0
    if scale > MAX_SCALE:
        raise NeedsPython(f"un montant a {scale} décimales")
    sums = ", ".join(f"sum(abs({s}{j}))" for j in range(len(impact.amounts)) for s in ("va", "vb"))
    totals = con.execute(f"SELECT {sums} FROM paires").fetchone() or ()
    for total in totals:
        if total is not None and len(str(int(total))) + scale > _EXACT_DIGITS - 1:
            raise NeedsPython("les montants sont trop grands pour être additionnés exactement sur 28 chiffres")


def _count_one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    found = con.execute(sql).fetchone()
    return int(found[0]) if found else 0


# ─── Counting ────────────────────────────────────────────────────────────────────────────────

def _fill(con: duckdb.DuckDBPyConnection, impact: Impact) -> None:
    """The counts of `impact`, from `paires` grouped by what each count depends on."""
    impact.evaluated = _count_one(con, "SELECT count(*) FROM paires")
    impact.changed_rows = _count_one(con, "SELECT count(*) FROM paires WHERE modifiee")
    parts = [f"SELECT {i} AS k, a{i} AS a, b{i} AS b, count(*) AS n, min(ligne) AS premiere FROM paires "
             f"WHERE c{i} GROUP BY ALL" for i in range(len(impact.common))]
    if parts:
        for k, a, b, n, _ in con.execute(" UNION ALL ".join(parts) + " ORDER BY k, premiere").fetchall():
            stats = impact.outputs[impact.common[k]]
            stats.changed += n
            stats.transitions[(a, b)] += n
    cases = {c.key: c for c in impact.case_list}
    for row in _groups(con, impact, None):
        case = str(row["cas"])
        _add(impact.cases[case], impact, cases[case], row)
    for fact in impact.by:
        groups = impact.groups[fact]
        for row in _groups(con, impact, fact):
            case = str(row["cas"])
            group = groups.setdefault(str(row["par"]), GroupStats())
            group.rows += _int(row["n"])
            group.changed += _int(row["nm"])
            _add(group.cases.setdefault(case, CaseStats()), impact, cases[case], row)


def _groups(con: duckdb.DuckDBPyConnection, impact: Impact, fact: str | None) -> list[dict[str, object]]:
    """The rows of `paires` grouped by case, eligibility, amount statuses (and a breakdown value), in
    the order of each group's first line."""
    dims = ["cas"] if fact is None else [f"{quote('par_' + fact)} AS par", "cas"]
    if impact.eligibility is not None:
        e = impact.common.index(impact.eligibility)
        dims += [f"a{e} AS ea", f"b{e} AS eb", "ra", "rb"]
    sums = ["count(*) AS n", "count(*) FILTER (WHERE modifiee) AS nm", "min(ligne) AS premiere"]
    for j, name in enumerate(impact.amounts):
        i = impact.common.index(name)
        dims += [f"a{i} AS la{j}", f"b{i} AS lb{j}"]
        sums += [f"sum(va{j}) AS sum_a{j}", f"sum(vb{j}) AS sum_b{j}", f"max(sa{j}) AS sa{j}", f"max(sb{j}) AS sb{j}",
                 f"count(*) FILTER (WHERE va{j} <> vb{j}) AS ne{j}", f"count(*) FILTER (WHERE vb{j} > va{j}) AS up{j}",
                 f"count(*) FILTER (WHERE vb{j} < va{j}) AS down{j}"]
    result = con.execute(f"SELECT {', '.join(dims + sums)} FROM paires GROUP BY ALL ORDER BY premiere")
    names = [d[0] for d in result.description or ()]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _add(stats: CaseStats, impact: Impact, case: python_path.Case, row: dict[str, object]) -> None:
    """`impact._add_case` for a group of rows: the same counts, `row["n"]` rows at once."""
    n = _int(row["n"])
    stats.rows += n
    for j, name in enumerate(impact.amounts):
        old, new = str(row[f"la{j}"]), str(row[f"lb{j}"])
        if case.basis in ("both", "apart"):
            pair = stats.pairs.setdefault(name, PairStats())
            if old == new == _VALUE:
                pair.compared += n
                pair.total_old += _sum(row, f"sum_a{j}", f"sa{j}")
                pair.total_new += _sum(row, f"sum_b{j}", f"sb{j}")
                pair.changed += _int(row[f"ne{j}"])
                pair.increased += _int(row[f"up{j}"])
                pair.decreased += _int(row[f"down{j}"])
            else:
                pair.uncompared[(old, new)] += n
        elif case.basis is not None:
            tally = stats.tallies.setdefault(name, Tally())
            side, label = ("a", old) if case.basis == "old" else ("b", new)
            if label == _VALUE:
                tally.valued += n
                tally.total += _sum(row, f"sum_{side}{j}", f"s{side}{j}")
            else:
                tally.without[label] += n
    if impact.eligibility is not None:
        old, new = str(row["ea"]), str(row["eb"])
        stats.transitions[(old, new)] += n
        if old == NA:
            stats.reasons_old[str(row["ra"])] += n
        if new == NA:
            stats.reasons_new[str(row["rb"])] += n


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def _sum(row: dict[str, object], total: str, places: str) -> Decimal:
    """A group's sum with the decimals of its most precise amount, as the Python path's exact addition has."""
    value, scale = row[total], _int(row[places])
    assert isinstance(value, Decimal)
    return value.quantize(Decimal(1).scaleb(-scale))


# ─── Examples ────────────────────────────────────────────────────────────────────────────────

def _examples(con: duckdb.DuckDBPyConnection, impact: Impact, rulesets: tuple[api.Ruleset, api.Ruleset],
              source: _Lines, count: int) -> list[python_path.ExampleRow]:
    """`impact._examples` over the first rows of each of its queues, evaluated in Python.

    The choice never looks past the first 2·count rows of a queue (each pick takes one row and skips
    only rows already chosen), so these rows give the Python path's examples.
    """
    if count <= 0 or not impact.changed_rows:
        return []
    limit = 2 * count + 1
    queues = [f"SELECT ligne FROM paires WHERE modifiee ORDER BY ligne LIMIT {limit}"]
    if impact.eligibility is not None:
        queues += [f"SELECT ligne FROM paires WHERE modifiee AND cas = {text(key)} ORDER BY ligne LIMIT {limit}"
                   for key in ("lost", "gained", "new_only_true", "old_only_true")]
    compared = "all" if impact.eligibility is None else "both"
    for j, name in enumerate(impact.amounts):
        queues.append(f"SELECT ligne FROM paires WHERE modifiee AND cas = {text(compared)} AND "
                      f"c{impact.common.index(name)} AND va{j} <> vb{j} ORDER BY abs(vb{j} - va{j}) DESC, ligne "
                      f"LIMIT {limit}")
    lines = sorted({int(r[0]) for q in queues for r in con.execute(q).fetchall()})
    candidates = []
    for line, cells in source.cells(lines):
        row = csv_row(source.columns, cells)
        outcomes = python_path._evaluate(impact, rulesets, row, int(line), python_path._ident(row))
        changes, case, _ = python_path.changed(impact, *outcomes) if outcomes else ((), None, None)
        if not changes or case is None:
            raise NeedsPython(f"la ligne {line} change selon le moteur SQL, pas selon le moteur Python")
        groups = {b: python_path._group_value(b, row) for b in impact.by}
        candidates.append(Candidate(int(line), row, changes, groups, case))
    return python_path._examples(impact, *rulesets, candidates, count)
