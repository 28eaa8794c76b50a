#!/usr/bin/env python3
"""Where the SQL engine's query spends its CPU: the cost of each computed column, by kind.

Run on demand (not part of the test suite)::

    python benchmarks/sql_census.py                          # 100 000 rows, the 2024 file
    python benchmarks/sql_census.py --rows 20000 --rules rulesets/avenant7.rules --top 20

The population (`scripts/make_population.py`, seed 20240622, kept in --data-dir as `run.py` keeps
it) is read and typed as `regles batch` reads it on DuckDB (`engine.tools.sql_input`), into an
in-memory table of facts. Then, on one thread, with DuckDB's optimiser off as the batch runs the
query (`engine.tools.sql_batch._write`):
- the whole query as `regles batch` runs it (specialised to the rows read, on 64 bits:
  `engine.tools.sql_specialised`), `SELECT count(*)` over it, best of --repeat runs: the reference, measured in
  the same run, less the same query over no row (DuckDB's planning, about a quarter of a second);
- each layer of the query materialised as a table in turn, and each of its computed columns timed
  alone over the layer before it (`SELECT count(*) FROM (SELECT <column> FROM <layer>)`, best of
  --repeat, less the time of reading one column of that layer): the census.
It prints the census's total against the reference (the two differ by what one layer costs to
pass its columns on), the costliest columns with their SQL, and the totals by kind of column.
Every figure is CPU time of the process (DuckDB's thread included), per row. Each column's own
planning is counted in its time: below 100 000 rows it weighs (a few milliseconds for the costliest).

This is how docs/performance.md ("The query's CPU per row, third pass") found that no column
dominates: rerun it after a change to the generator (`engine/sql/`) to see what moved.

With --by-output, it times instead what each output costs with the columns it reads and no other
(its value and status, DuckDB's optimiser on, so that the columns it does not read are dropped), over
the rows of --where only if given: the outputs share columns, so the figures do not add up, but an
output far above the others names the rules worth a look (docs/performance.md, "Sixth look")::

    python benchmarks/sql_census.py --by-output --where "annee_contrat <= 2"
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import duckdb  # noqa: E402
from run import population  # noqa: E402

from engine import api  # noqa: E402
from engine.sql.code import Layers  # noqa: E402
from engine.sql.query import Query, generate, quote  # noqa: E402
from engine.tools.batch_job import FileFormat  # noqa: E402
from engine.tools.sql_batch import PLANNING_HEAVY  # noqa: E402
from engine.tools.sql_input import decide_suspects, read  # noqa: E402
from engine.tools.sql_specialised import never_null, queries  # noqa: E402

KINDS: Sequence[tuple[str, Callable[[str], bool]]] = (
    ("exposant d'un dénominateur", lambda s: "7450580596923828125" in s),
    ("pgcd", lambda s: "gcd(" in s),
    ("puissance de dix", lambda s: "list_extract" in s),
    ("division sur 64 bits", lambda s: s.startswith("CASE WHEN") and "AS BIGINT) //" in s),
    ("texte d'un nombre", lambda s: "|| '.' ||" in s or "CAST(abs(" in s or "length(CAST" in s),
    ("texte d'une raison", lambda s: "||" in s or "strftime" in s),
    ("arithmétique entière", lambda s: re.search(r"\b(?:HUGE|BIG)INT\b|\*|//| % ", s) is not None),
    ("aiguillage sur un statut", lambda s: re.match(r"CASE __\w+ WHEN", s) is not None),
    ("autre CASE", lambda s: s.startswith("CASE")),
    ("autre", lambda s: True),
)
"""Kinds of computed column, told by their SQL text: the first that matches."""


def kind_of(sql: str) -> str:
    return next(name for name, test in KINDS if test(sql))


def facts_table(con: duckdb.DuckDBPyConnection, program: object, path: Path) -> int:
    """The typed facts of `path` in the table `faits`, read as `regles batch` reads them; its rows."""
    columns, rows = read(con, str(path), FileFormat.CSV, program, FileFormat.CSV)  # type: ignore[arg-type]
    con.execute(f"CREATE TABLE entree AS {rows}")
    decide_suspects(con, program, columns, FileFormat.CSV, FileFormat.CSV)  # type: ignore[arg-type]
    con.execute("CREATE TABLE faits AS SELECT rowid + 2 AS ligne, * FROM entree WHERE NOT blank AND probleme IS NULL")
    found = con.execute("SELECT count(*) FROM faits").fetchone()
    return int(found[0]) if found else 0


def best(con: duckdb.DuckDBPyConnection, sql: str, repeat: int) -> float:
    """The least CPU time of `repeat` runs of `sql`."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        con.execute(sql).fetchall()
        times.append(time.process_time() - start)
    return min(times)


def census(con: duckdb.DuckDBPyConnection, layers: Layers, ctes: Sequence[tuple[str, str]],
           repeat: int) -> list[tuple[float, str, str]]:
    """(seconds, column, SQL) of every computed column, each over its layer's predecessor, materialised."""
    found: list[tuple[float, str, str]] = []
    previous = "faits"
    for name, items in ctes:
        index = int(name[1:])
        reading = best(con, f"SELECT count(*) FROM (SELECT ligne AS x FROM {previous})", repeat)
        for column, sql in layers.layers[index]:
            if re.search(rf" AS {column}\b", items) is None:  # computed, but read by nothing: not in the query
                continue
            seconds = best(con, f"SELECT count(*) FROM (SELECT {sql} AS x FROM {previous})", repeat)
            found.append((max(seconds - reading, 0.0), column, sql))
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT {items} FROM {previous}")
        previous = name
    return found


def by_output(con: duckdb.DuckDBPyConnection, program: object, relation: str, rows: int, repeat: int) -> None:
    """Print the CPU a row of each output costs alone (value and status), DuckDB's optimiser on but for
    the optimisers `regles batch` leaves off (`sql_batch.PLANNING_HEAVY`), less the same over no row
    (the planning, which would weigh on a few rows)."""
    given = never_null(con, program, relation)  # type: ignore[arg-type]

    def query_over(rel: str) -> Query:
        return queries(program, rel, ("ligne",), given,  # type: ignore[arg-type]
                       generate(program, rel, ("ligne",), nested=True))[0]  # type: ignore[arg-type]

    full, empty = query_over(relation), query_over(f"(SELECT * FROM {relation} LIMIT 0)")
    con.execute("PRAGMA enable_optimizer")
    con.execute(f"SET disabled_optimizers = '{PLANNING_HEAVY}'")

    def cost(cells: str) -> float:
        return (best(con, f"SELECT {cells} FROM ({full.sql})", repeat)
                - best(con, f"SELECT {cells} FROM ({empty.sql})", repeat)) * 1e6 / rows

    print(f"{rows} lignes, 1 fil, préparation ôtée ; « ligne » seule : {cost('max(ligne)'):.2f} µs par ligne")
    for output in full.outputs:
        cells = f"max(length(CAST({quote(output)} AS VARCHAR))), max({quote(output + '__statut')})"
        print(f"  {output:32} {cost(cells):6.2f} µs par ligne")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rules", default=str(ROOT / "rulesets" / "convention2024.rules"))
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "regles-bench")
    parser.add_argument("--top", type=int, default=15, help="costliest columns shown")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measure, the least counting")
    parser.add_argument("--by-output", action="store_true", help="the cost of each output alone, not of each column")
    parser.add_argument("--where", help="with --by-output: a SQL condition on the facts, the rows timed")
    args = parser.parse_args(argv)

    program = api.load(args.rules).program
    con = duckdb.connect()
    con.execute("SET threads = 2")
    rows = facts_table(con, program, population(args.rows, args.data_dir))
    con.execute("SET threads = 1")
    if args.by_output:
        relation = f"(SELECT * FROM faits WHERE {args.where})" if args.where else "faits"
        selected = con.execute(f"SELECT count(*) FROM {relation}").fetchone()
        by_output(con, program, relation, int(selected[0]) if selected else 0, args.repeat)
        return 0
    con.execute("PRAGMA disable_optimizer")

    captured: dict[str, object] = {}
    ctes_of = Layers.ctes

    def keep(self: Layers, base: Sequence[str], final: str, star: bool = False) -> list[tuple[str, str]]:
        result = ctes_of(self, base, final, star)
        captured["layers"], captured["ctes"] = self, result
        return result

    # as `regles batch` runs it: specialised to the rows read, on 64 bits (`engine.tools.sql_specialised`)
    given = never_null(con, program, "faits")
    Layers.ctes = keep  # type: ignore[method-assign]
    query = queries(program, "faits", ("ligne",), given, generate(program, "faits", ("ligne",), nested=True))[0]
    Layers.ctes = ctes_of  # type: ignore[method-assign]
    layers, ctes = captured["layers"], captured["ctes"]
    assert isinstance(layers, Layers) and isinstance(ctes, list)

    whole = best(con, f"SELECT count(*) FROM ({query.sql})", args.repeat)
    nothing = "(SELECT * FROM faits LIMIT 0)"
    empty = queries(program, nothing, ("ligne",), given, generate(program, nothing, ("ligne",), nested=True))[0]
    planning = best(con, f"SELECT count(*) FROM ({empty.sql})", args.repeat)  # the same query over no row
    columns = census(con, layers, ctes, args.repeat)
    total = sum(seconds for seconds, _, _ in columns)
    per_row = 1e9 / rows
    print(f"{Path(args.rules).name}, {rows} lignes, 1 fil, optimiseur désactivé")
    print(f"  requête entière : {whole:.3f} s, dont {planning:.3f} s à la préparer ; "
          f"{(whole - planning) * per_row / 1000:.2f} µs par ligne, {len(ctes)} couches")
    print(f"  somme des {len(columns)} colonnes, chacune seule : {total:.3f} s "
          f"({total / (whole - planning):.0%} de la requête entière, préparation ôtée), "
          f"{total * per_row / len(columns):.1f} ns par ligne et colonne")
    columns.sort(reverse=True)
    print(f"  les {args.top} plus coûteuses ({sum(s for s, _, _ in columns[:args.top]) / total:.0%} du total) :")
    for seconds, column, sql in columns[:args.top]:
        print(f"    {seconds * per_row:7.1f} ns  {column}  {' '.join(sql.split())[:140]}")
    by_kind: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for seconds, _, sql in columns:
        by_kind[kind_of(sql)] += seconds
        count[kind_of(sql)] += 1
    print("  par sorte de colonne :")
    for kind, seconds in by_kind.most_common():
        print(f"    {kind:28} {count[kind]:4} colonnes  {seconds / total:5.1%}  {seconds * per_row:8.0f} ns par ligne")
    return 0


if __name__ == "__main__":
    sys.exit(main())
