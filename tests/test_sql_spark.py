"""The Spark translation of the query gives DuckDB's results, row by row, on a local PySpark session.

10 000 rows of the synthetic population (the 8 000 of examples/population.csv and 2 000 more from
scripts/make_population.py), rule file of the 2024 convention. Skipped, with the reason printed,
when pyspark or a Java runtime is not available (`pip install 'regles[spark]'`; Java 17).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import engine
from engine.sql import FACT_TYPES, generate
from engine.sql.dialects import translate
from engine.sql.query import quote

ROOT = Path(__file__).resolve().parent.parent
ROWS = 10_000


def _spark():  # type: ignore[no-untyped-def]
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        pytest.skip(f"pyspark absent ({exc}) : pip install 'regles[spark]'")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java absent : Spark a besoin d'un Java 17")
    try:
        return (SparkSession.builder.master("local[2]").appName("regles-test")
                .config("spark.sql.ansi.enabled", "true").config("spark.ui.enabled", "false")
                .config("spark.sql.analyzer.maxIterations", "1000").config("spark.driver.memory", "6g")
                .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    except Exception as exc:  # noqa: BLE001 - a JVM that does not start is a reason to skip, said
        pytest.skip(f"Spark ne démarre pas : {exc}")


def _population(tmp_path: Path) -> Path:
    more = tmp_path / "more.csv"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_population.py"), "--rows", str(ROWS - 8000),
                    "--seed", "7", "-o", str(more)], check=True)
    return more


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def test_spark_equals_duckdb(tmp_path: Path) -> None:
    """Every cell of every row: the Spark query's, DuckDB's."""
    spark = _spark()
    program = engine.load(str(ROOT / "rulesets" / "convention2024.rules")).program
    con = duckdb.connect()
    columns = ", ".join(f"CAST(NULLIF({quote(n)}, '') AS {FACT_TYPES[d.type.kind]}) AS {quote(n)}"
                        for n, d in program.facts.items())
    sources = [ROOT / "examples" / "population.csv", _population(tmp_path)]
    union = " UNION ALL ".join(f"SELECT {columns} FROM read_csv('{p}', all_varchar = true)" for p in sources)
    con.execute(f"CREATE TABLE faits AS SELECT row_number() OVER () AS rang, * FROM ({union})")
    facts_file = tmp_path / "faits.parquet"
    con.execute(f"COPY faits TO '{facts_file}' (FORMAT PARQUET)")
    query = generate(program, "faits", ("rang",))
    expected = con.execute(f"SELECT * FROM ({query.sql}) ORDER BY rang").fetchall()
    spark.read.parquet(str(facts_file)).createOrReplaceTempView("faits")
    got = spark.sql(translate(query.sql, "spark")).orderBy("rang").collect()
    assert len(got) == len(expected) == ROWS
    for mine, theirs in zip(got, expected):
        assert [_plain(v) for v in mine] == [_plain(v) for v in theirs]
