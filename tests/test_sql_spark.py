"""The Spark translation of the query gives DuckDB's results, row by row, on a local PySpark session.

10 000 rows of the synthetic population (the 8 000 of examples/population.csv and 2 000 more from
scripts/make_population.py): every output's value (exactly), status and reason. One Spark session
serves the module. Skipped, with the reason printed, when pyspark or a Java runtime is not available
(`pip install 'regles[spark]'`; Java 17).

Spark plans the layered query slowly (about a minute of CPU a rule file, for 10 000 rows as for
one), so the suite runs the 2024 file, whose query holds the rules of avenant 7 it amends, keeps or
calls; `REGLES_SPARK_FICHIERS=avenant7,convention2024` runs both (both pass, docs/sql.md).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

import engine
from engine.sql import FACT_TYPES, generate
from engine.sql.dialects import translate
from engine.sql.query import quote

ROOT = Path(__file__).resolve().parent.parent
ROWS = 10_000
SPARK_CONFIG = {
    "spark.sql.ansi.enabled": "true",  # an overflow of DECIMAL(38, 0) is an error, never a NULL
    "spark.ui.enabled": "false",
    "spark.sql.analyzer.maxIterations": "1000",  # one CTE layer per depth of the computation
    "spark.driver.memory": "6g",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "2",
}


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One local Spark session (master local[2]) for the module; skips, saying why, without pyspark or Java."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        print(f"test Spark sauté : pyspark absent ({exc})", file=sys.stderr)
        pytest.skip(f"pyspark absent ({exc}) : pip install 'regles[spark]'")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        print("test Spark sauté : Java absent", file=sys.stderr)
        pytest.skip("Java absent : Spark a besoin d'un Java 17")
    builder = SparkSession.builder.master("local[2]").appName("regles-test")
    for key, value in SPARK_CONFIG.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    yield session
    session.stop()


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The 10 000 rows: examples/population.csv and 2 000 generated rows."""
    more = tmp_path_factory.mktemp("spark") / "more.csv"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_population.py"), "--rows", str(ROWS - 8000),
                    "--seed", "7", "-o", str(more)], check=True)
    return [ROOT / "examples" / "population.csv", more]


def _plain(value: object) -> object:
    """A cell as both engines agree to give it: an integral DECIMAL(38, 0) as an int, a timestamp's date."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, dt.datetime):
        return value.date()
    return value


RULE_FILES = os.environ.get("REGLES_SPARK_FICHIERS", "convention2024").split(",")


@pytest.mark.parametrize("rules", RULE_FILES)
def test_spark_equals_duckdb(spark: Any, population: list[Path], tmp_path: Path, rules: str) -> None:
    """Every cell of every row (value, status and reason of each output): the Spark query's, DuckDB's."""
    program = engine.load(str(ROOT / "rulesets" / f"{rules}.rules")).program
    con = duckdb.connect()
    columns = ", ".join(f"CAST(NULLIF({quote(n)}, '') AS {FACT_TYPES[d.type.kind]}) AS {quote(n)}"
                        for n, d in program.facts.items())
    union = " UNION ALL ".join(f"SELECT {columns} FROM read_csv('{p}', all_varchar = true)" for p in population)
    con.execute(f"CREATE TABLE faits AS SELECT row_number() OVER () AS rang, * FROM ({union})")
    facts_file = tmp_path / "faits.parquet"
    con.execute(f"COPY faits TO '{facts_file}' (FORMAT PARQUET)")
    query = generate(program, "faits", ("rang",))
    expected = con.execute(f"SELECT * FROM ({query.sql}) ORDER BY rang").fetchall()
    names = [d[0] for d in con.description or ()]
    # two partitions, so that local[2] computes on both cores (one small file is one task)
    spark.read.parquet(str(facts_file)).repartition(2).createOrReplaceTempView("faits")
    # sorted here: Spark's ORDER BY samples the query's result first, which computes it twice
    got = sorted(spark.sql(translate(query.sql, "spark")).collect(), key=lambda row: row[0])
    assert len(got) == len(expected) == ROWS
    assert sum(row[names.index("eligible__statut")] == "valeur" for row in expected) > ROWS // 4
    for mine, theirs in zip(got, expected, strict=True):
        differ = [(n, a, b) for n, a, b in zip(names, mine, theirs, strict=True) if _plain(a) != _plain(b)]
        assert not differ, f"ligne {theirs[0]} : (colonne, Spark, DuckDB) {differ[:5]}"
