"""The progress of `regles batch` on DuckDB: the share of its query done, read from another thread.

The Python engine calls its progress callback after each chunk; DuckDB runs the whole evaluation
as one query (`engine.tools.sql_batch._write`). While that query runs, a thread asks DuckDB how far
it is (`query_progress`, a percentage of the rows its pipelines have consumed) and calls the same
callback with (percent, 100, the rows that share stands for), so that the command line's bar moves
as it does with the Python engine. The figure is DuckDB's estimate, coarse (it grows when whole blocks
of rows are done: on 200 000 rows of the 2024 rule file, 0 % for most of the query, then 45 %, 50 %)
and only for the evaluation (reading the input into DuckDB, before it, shows none). It is shown, never counted:
the summary counts the rows written.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import duckdb

POLL_SECONDS = 0.25
"""Time between two questions to DuckDB: the bar refreshes a few times a second."""


@contextlib.contextmanager
def polled(con: duckdb.DuckDBPyConnection, progress: Callable[[int, int, int], None] | None,
           rows: int) -> Iterator[None]:
    """While the block runs a query on `con`, call `progress(percent, 100, rows · percent / 100)` as
    DuckDB's estimate grows; nothing without a callback."""
    if progress is None:
        yield
        return
    con.execute("SET enable_progress_bar = true")  # DuckDB tracks progress only with its bar on…
    con.execute("SET enable_progress_bar_print = false")  # …which must not print on the terminal
    stop = threading.Event()
    poller = threading.Thread(target=_poll, args=(con, progress, rows, stop), name="regles-progres", daemon=True)
    poller.start()
    try:
        yield
    finally:
        stop.set()
        poller.join()


def _poll(con: duckdb.DuckDBPyConnection, progress: Callable[[int, int, int], None], rows: int,
          stop: threading.Event) -> None:
    shown = 0
    while not stop.wait(POLL_SECONDS):
        try:
            percent = int(con.query_progress())  # -1 before DuckDB has an estimate
        except duckdb.Error:  # the connection is closing: the run reports on its own
            return
        if shown < percent < 100:  # the bar never goes back, and reaches its end with the summary
            shown = percent
            progress(percent, 100, rows * percent // 100)
