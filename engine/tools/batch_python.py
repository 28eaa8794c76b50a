"""Batch evaluation by the Python engine: a file of fact rows in, a file of results out, streamed in chunks.

`run(BatchJob(...))` (called by `engine.tools.batch.run`, which chooses the engine) reads CSV, JSON
Lines or Parquet (chosen by extension), evaluates every row with the program's backend
(`engine.evaluate.backend`: generated code, the interpreter's results) and writes the results
in the same order and format family, chunk by chunk: memory does not grow with the file. With
`workers > 1` the chunks are evaluated by processes that each load the rule file once (through
`engine.check.cache`); the main process only splits the input, writes the output and keeps the counts.

Output layout, one row per input row that could be evaluated, in input order:
`ligne` (the row's line in a CSV or JSON Lines file, its rank in a Parquet file), the input
columns that are not facts (copied as they are, e.g. `id`), then for each output `O` of the rule
file: `O` (its value: exact decimal string for montant, taux and décimal, ISO date, `true` /
`false`…), `O__statut` (`valeur`, `non applicable`, `indéterminé`, `manquant`: the words of
`regles eval`'s table, `STATUS_FRENCH`), `O__raison` (the reason of a marker, or the facts missing), with
`--explain` `O__explication`; and last `faits_manquants`, the facts missing for this row.
A row that cannot be evaluated (bad facts, malformed line) is not in the output: it is in the
errors file, with its `ligne` and the reason.

Nothing is lost and nothing half-written looks finished:
- A malformed CSV record (a quote never closed, a wrong field count, bad UTF-8) is an error row
  with its line, and reading resumes at the next line: a quoted field may run over several lines
  only when those lines form exactly one record of the header's width and no line inside is such
  a record by itself (`MAX_RECORD_LINES` at most, with a bounded look-ahead per line read).
- Every line is accounted for, checked at the end: the data lines read are the lines of the rows
  written, of the error rows and the blank lines; the rows read are the rows written plus the
  error rows. A mismatch raises `AccountingError` and no output is kept.
- The output and the errors file are written under temporary names (`SORTIE.<hex>.partiel`) in
  their directories, flushed to disk, and renamed when complete (errors file first, output last).
  A failure or an interruption removes them; a killed run leaves only a `.partiel` file.

Stage: tools, on top of `engine.api`. This module is the Python engine's run: it checks the paths, starts the worker
processes and adds up the counts. Its parts: `batch_job` (the job, the summary, the errors),
`batch_input` (reading the input in chunks), `batch_rows` (evaluating a chunk's rows), `batch_cells`
(the output's cells and columns), `batch_output` (the files written under temporary names).
"""

from __future__ import annotations

import collections
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine.base.diagnostics import suggest
from engine.tools.batch_cells import arrow_schema, csv_cell, output_columns
from engine.tools.batch_input import (
    LOOKAHEAD_PER_LINE,
    MAX_RECORD_LINES,
    UNCLOSED_QUOTE,
    _Chunk,
    _Input,
    csv_delimiter,
)
from engine.tools.batch_job import (
    HEADLINE_WORDS,
    PARTIAL_SUFFIX,
    AccountingError,
    BatchError,
    BatchJob,
    FileFormat,
    Interrupted,
    Summary,
    file_format,
)
from engine.tools.batch_output import Removals, _Errors, _Output, _partial_files, remove_older
from engine.tools.batch_rows import _Config, _Done, _Rows

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult

__all__ = [
    "HEADLINE_WORDS", "LOOKAHEAD_PER_LINE", "MAX_RECORD_LINES", "PARTIAL_SUFFIX", "UNCLOSED_QUOTE", "AccountingError",
    "BatchError", "BatchJob", "Interrupted", "Summary", "csv_cell", "csv_delimiter", "file_format", "output_columns",
    "run",
]
"""The batch's public names, gathered here from its modules (`batch_job`, `batch_input`, `batch_cells`,
`batch_rows`, `batch_output`); `_Input`, `_Rows`, `_Config` and `_check_accounts`
are shared with `engine.tools.bulk_letters`, which reads and evaluates rows the same way."""


# ─── Worker processes ────────────────────────────────────────────────────────────────────────

_WORKER: _Rows | Exception | None = None


def _start_worker(config: _Config) -> None:
    """Load the rule file once per worker; a failure is reported by the first chunk, not looped on."""
    global _WORKER
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle: it stops the pool
    try:
        os.chdir(config.cwd)
        _WORKER = _Rows(config)
        import gc
        gc.freeze()  # what a worker has loaded lives as long as it: full collections need not walk it
    except Exception as exc:  # noqa: BLE001 - an initializer that raises makes the pool restart it forever
        _WORKER = exc


def _work(chunk: _Chunk) -> _Done:
    if not isinstance(_WORKER, _Rows):
        raise BatchError(f"un processus de calcul n'a pas pu charger les règles : {_WORKER}")
    return _WORKER.chunk(chunk)


# ─── The run ─────────────────────────────────────────────────────────────────────────────────

def run(job: BatchJob, *, progress: Callable[[int, int, int], None] | None = None,
        warn: Callable[[str], None] | None = None) -> Summary:
    """Evaluate every row of `job.input` and write the results and the errors.

    The two files are written under temporary names and renamed when the run is complete and its
    counts add up; whatever stops the run before (an error, a full disk, Ctrl-C, `Interrupted`)
    removes them, and an older output of the same name is removed when the evaluation starts, so
    that a file under the final name is always the complete result of the last run.

    Args:
        job: the files and options.
        progress: called after each chunk with (input units done, total units, rows read).
        warn: called with a French message for each warning (e.g. columns that are not facts).

    Raises:
        BatchError: bad arguments, unreadable input, unwritable output (a full disk).
        AccountingError: the counts do not add up (a bug).
        RulesError: the rule file has errors.
    """
    started = time.perf_counter()
    input_kind = file_format(job.input, "l'entrée")
    output_kind = file_format(job.output, "la sortie")
    _check_paths(job)
    from engine import api
    ruleset = api.load(job.rules)
    source = _Input(job.input, input_kind, job.rows_per_chunk)
    try:
        copied = tuple(c for c in source.columns if c not in ruleset.facts)
        check_columns(job, copied, ruleset.program.outputs, ruleset.facts, warn)
        config = _Config(str(Path(job.rules).resolve()), input_kind, output_kind, source.columns, copied, job.explain,
                         os.getcwd(), source.dialect)
        summary = Summary(copied_columns=copied, headline=ruleset.program.headline)
        local = _Rows(config, ruleset) if job.workers <= 1 else None
        columns = output_columns(copied, ruleset.program.outputs, job.explain)
        schema = arrow_schema(columns, [ruleset.program.definitions[n].type for n in ruleset.program.outputs], copied,
                              job.explain) if output_kind == FileFormat.PARQUET else None
        errors = _Errors(job.errors_path)
        try:
            output = _Output(job.output, output_kind, columns, schema)
        except BaseException:
            errors.discard()
            raise
        removals = Removals()
        try:
            remove_older(removals, job.output, job.errors_path)
            evaluated = _evaluate(source.chunks(), config, local, job.workers)
            _write_all(source, evaluated, output, errors, summary, progress)
            errors.finish()
            output.finish()
            _check_accounts(source, summary, output.count, errors.count)
            errors.commit()  # the errors first: a run stopped between the two renames leaves no output
            output.commit()
        except BaseException:
            output.discard()
            errors.discard()
            raise
        finally:
            removals.wait()
    finally:
        source.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _write_all(source: _Input, results: Iterator[_Done], output: _Output, errors: _Errors, summary: Summary,
               progress: Callable[[int, int, int], None] | None) -> None:
    """Write each chunk's results and errors as it comes, and add up the counts."""
    done_units = 0
    for done in results:
        output.write(done.output, done.evaluated)
        errors.write(done.errors)
        summary.read += done.rows
        summary.evaluated += done.evaluated
        summary.errors += len(done.errors)
        summary.lines += done.lines
        summary.blank += done.blank
        summary.multiline += done.multiline
        for key, n in done.headline_counts.items():
            summary.headline_counts[key] = summary.headline_counts.get(key, 0) + n
        done_units += done.size
        if progress is not None:
            progress(done_units, source.total, summary.read)


def check_columns(job: BatchJob, copied: Sequence[str], outputs: Sequence[str], facts: Iterable[str],
                  warn: Callable[[str], None] | None) -> None:
    """Refuse an input column named like an output column; warn about the columns copied as they are
    and about partial files an interrupted run left (both engines)."""
    clashes = sorted(set(copied) & set(output_columns((), outputs, job.explain)))
    if clashes:
        raise BatchError(f"« {job.input} » : {', '.join(clashes)} : nom{'s' if len(clashes) > 1 else ''} "
                         "de colonne déjà pris par les résultats ; renommez cette colonne de l'entrée")
    if copied and warn is not None:
        warn(_copied_warning(copied, facts, job.rules))
    stale = _partial_files(job.output) + _partial_files(job.errors_path)
    if stale and warn is not None:
        warn(f"fichier{'s' if len(stale) > 1 else ''} partiel{'s' if len(stale) > 1 else ''} d'une exécution "
             f"interrompue (ou en cours), qui ne {'sont' if len(stale) > 1 else 'est'} pas un résultat complet : "
             + ", ".join(stale))


def _check_accounts(source: _Input, summary: Summary, written: int, errors: int) -> None:
    """Every line read is in a row written, an error row or a blank line; else `AccountingError`."""
    if source.kind != FileFormat.PARQUET and source.bytes != source.total:
        raise BatchError(f"« {source.path} » a changé pendant la lecture ({source.total} octets au début, "
                         f"{source.bytes} lus) : aucune sortie n'est gardée, relancez sur un fichier stable")
    problems = []
    if summary.lines != source.lines:
        problems.append(f"{source.lines} lignes de données lues dans « {source.path} », "
                        f"{summary.lines} comptées dans les résultats")
    if source.kind == FileFormat.PARQUET and source.lines != source.total:
        problems.append(f"{source.total} lignes annoncées par le fichier Parquet, {source.lines} lues")
    if summary.read != summary.evaluated + summary.errors or summary.read != written + errors:
        problems.append(f"{summary.read} lignes lues, {written} écrites dans la sortie, {errors} dans les erreurs")
    if problems:
        raise AccountingError("comptes incohérents : " + " ; ".join(problems)
                              + " — aucune sortie n'est gardée ; merci de signaler ce problème")


def _evaluate(chunks: Iterator[_Chunk], config: _Config, local: _Rows | None, workers: int) -> Iterator[_Done]:
    """Results of the chunks, in input order; at most a few chunks in flight at a time."""
    if local is not None:
        for chunk in chunks:
            yield local.chunk(chunk)
        return
    import multiprocessing
    context = multiprocessing.get_context("spawn")
    in_flight: collections.deque[AsyncResult[_Done]] = collections.deque()
    limit = 2 * workers + 1
    with context.Pool(workers, initializer=_start_worker, initargs=(config,)) as pool:
        for chunk in chunks:
            in_flight.append(pool.apply_async(_work, (chunk,)))
            while len(in_flight) >= limit:
                yield in_flight.popleft().get()
        while in_flight:
            yield in_flight.popleft().get()


def _check_paths(job: BatchJob) -> None:
    if job.workers < 1:
        raise BatchError(f"--workers attend un nombre de processus d'au moins 1, reçu {job.workers}")
    if job.rows_per_chunk < 1:
        raise BatchError(f"--chunk-rows attend un nombre de lignes d'au moins 1, reçu {job.rows_per_chunk}")
    if not Path(job.input).is_file():
        raise BatchError(f"fichier d'entrée introuvable : « {job.input} »")
    inputs = {Path(job.input).resolve(), Path(job.rules).resolve()}
    for path, role in ((job.output, "la sortie"), (job.errors_path, "le fichier d'erreurs")):
        if Path(path).resolve() in inputs:
            raise BatchError(f"{role} « {path} » écraserait un fichier lu : choisissez un autre nom")
        if Path(path).is_dir():
            raise BatchError(f"{role} « {path} » est un dossier : donnez un nom de fichier")
    if Path(job.output).resolve() == Path(job.errors_path).resolve():
        raise BatchError("la sortie et le fichier d'erreurs doivent être deux fichiers différents")
    if Path(job.errors_path).suffix.lower() not in {".csv", ".jsonl", ".ndjson"}:
        raise BatchError(f"fichier d'erreurs « {job.errors_path} » : extension .csv ou .jsonl attendue")


def _copied_warning(copied: Sequence[str], facts: Iterable[str], rules: str) -> str:
    """The warning naming the input columns that are not facts (copied to the output), each with the fact
    it may be a misspelling of."""
    hints = []
    for column in copied:
        hint = suggest(column, facts)
        if hint:
            hints.append(f"« {column} » : {hint}")
    text = (f"colonnes recopiées telles quelles, ce ne sont pas des faits de {rules} : {', '.join(copied)}")
    return text + ("".join(f"\n  {h}" for h in hints))
