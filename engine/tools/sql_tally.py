"""The headline counts of `regles batch` on DuckDB, taken as each CSV line is formed.

The summary line (`<résultat principal> : vrai … · faux …`) counts the rows written, by the headline
result's value or status. A CSV line is one `concat` built by the query (`engine.tools.sql_output.
csv_lines`); one more argument of that `concat`, always the empty text, draws one number from the
sequence of the row's key (`nextval`, a function with an effect, run once for each row it is
evaluated on, under a lock, from every connection). After the writing each sequence's next number,
less one, is how many lines it counted. So the counts come from the very pass that formed and wrote
the lines, for 0.1–0.25 s of CPU a million rows, where reading the 737 MB file back cost 1.6 s.

`engine.tools.sql_batch` checks that the counts add up to the rows the COPY wrote: a row counted twice
or never would stop the run (`AccountingError`) rather than print a wrong summary.
"""

from __future__ import annotations

import duckdb

from engine.lang.results import STATUS_FRENCH
from engine.sql.code import text
from engine.sql.query import quote

STATUS_KEYS = {word: status for status, word in STATUS_FRENCH.items() if status != "value"}
"""The key of `Summary.headline_counts` for each status word a row's `__statut` cell holds, but a value's
(as the Python engine counts them: `engine.tools.batch_rows`)."""

KEYS = ("true", "false", *STATUS_KEYS.values())
"""Every key of `Summary.headline_counts`: a value's ("true", "false"), then the other statuses'."""


def headline_key(value: object, status: str) -> str:
    """The key of a row whose headline result has this value (`true`, `false`, read back as text) and status."""
    return STATUS_KEYS.get(status) or str(value).lower()


class HeadlineTally:
    """One DuckDB sequence per headline key, and the `concat` argument drawing from the row's one."""

    def __init__(self, con: duckdb.DuckDBPyConnection, headline: str) -> None:
        self.con, self.headline = con, headline
        self.sequences = {key: f"regles_compte_{key}" for key in KEYS}

    def reset(self) -> None:
        """Every count back to nought (before each query tried: a query that overflowed counted some rows).

        Not TEMP: the ranges' COPYs run on other connections of the same database."""
        for name in self.sequences.values():
            self.con.execute(f"CREATE OR REPLACE SEQUENCE {quote(name)}")

    def cell(self) -> str:
        """A text expression, empty on every row, that draws one number from the row's key's sequence.

        Each draw sits in the branch of a `CASE` on the row's status and value: DuckDB evaluates a branch
        on the rows that take it only, so each row draws once. A status no branch names would draw
        nothing, and the counts would not add up (`engine.tools.sql_batch` stops the run)."""
        def draw(key: str) -> str:
            return f"CASE WHEN nextval({text(self.sequences[key])}) < 0 THEN 'x' ELSE '' END"

        value, status = quote(self.headline), quote(self.headline + "__statut")
        others = " ".join(f"WHEN {text(word)} THEN {draw(key)}" for word, key in STATUS_KEYS.items())
        return (f"CASE {status} WHEN {text(STATUS_FRENCH['value'])} "
                f"THEN CASE WHEN {value} THEN {draw('true')} ELSE {draw('false')} END {others} ELSE '' END")

    def counts(self) -> dict[str, int]:
        """The lines counted under each key, the keys never met left out (as the Python engine does)."""
        drawn = self.con.execute("SELECT " + ", ".join(f"nextval({text(n)}) - 1" for n in self.sequences.values())
                                 ).fetchone()
        assert drawn is not None
        return {key: int(n) for key, n in zip(self.sequences, drawn, strict=True) if n}
