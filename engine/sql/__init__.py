"""Rule files compiled to SQL: one query per rule file, run by DuckDB (`regles batch`) or any warehouse.

`generate(program)` gives the query (`engine.sql.query`); `engine.sql.dialects` prints it for
Spark, PostgreSQL or Trino; `engine.tools.sql_batch` runs `regles batch` on DuckDB. The reference
interpreter (`engine.evaluate.reference`) is the truth the generated SQL is tested against.
"""

from engine.sql.exprs import SqlUnsupported
from engine.sql.query import FACT_TYPES, Query, generate

__all__ = ["FACT_TYPES", "Query", "SqlUnsupported", "generate"]
