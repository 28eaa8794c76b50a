"""The generated query in other SQL dialects: Spark, PostgreSQL, Trino (through sqlglot, `regles[sql]`).

sqlglot (8 MB) is an extra, so that the base install (with DuckDB, 151 MB) carries only what `batch` and `diff`
need: `engine.sql.rewrites`, which needs it, is imported when a dialect other than DuckDB is asked for.
"""

from __future__ import annotations

import importlib

from engine.base.diagnostics import EngineError

DIALECTS = ("duckdb", "spark", "postgres", "trino")


def translate(sql: str, dialect: str) -> str:
    """The DuckDB query `sql` in `dialect` (pretty-printed; DuckDB's is returned as it is)."""
    if dialect == "duckdb":
        return sql
    try:
        rewrites = importlib.import_module("engine.sql.rewrites")
    except ImportError:
        raise EngineError(f"le dialecte {dialect} demande sqlglot : pip install 'regles[sql]'") from None
    translated: str = rewrites.translate(sql, dialect)
    return translated
