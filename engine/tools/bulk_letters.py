"""Bulk letters (`regles letters`): one letter per qualifying row of a CSV, JSON Lines or Parquet file.

Stage: input rows (read by `engine.tools.batch`'s reader, which accounts for every line) → typed facts
→ `Outcome` → `render_with_context` → DIR/REFERENCE.FORMAT and its JSON record. Every row that
gives no letter (bad facts, missing facts, a case the letter is not for, a dossier seen before) is
a line of DIR/erreurs.csv with its reason; every letter is a line of DIR/registre.csv. Rows in =
letters + errors, checked at the end (`AccountingError` otherwise).

Chunks are rendered in worker processes (`workers`), each loading the rule file and the caisse's
settings once; files are written by the workers, the register and the errors by the main process,
in input order.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from attrs import frozen

from engine import api
from engine.api import Outcome, Ruleset
from engine.base.diagnostics import EngineError, os_reason
from engine.inputs.facts import FactsError
from engine.lang.results import Value
from engine.letters import issuance
from engine.letters.render import LetterError, render_with_context
from engine.tools.batch_input import _Chunk, _Input
from engine.tools.batch_job import FileFormat, Summary, file_format
from engine.tools.batch_python import _check_accounts
from engine.tools.batch_rows import _Config as _RowsConfig
from engine.tools.batch_rows import _reason, _Rows

REGISTER_COLUMNS = ("reference", "dossier", "ligne", "courrier", "resultat_principal", "fichier", "sha256_fichier",
                    "sha256_regles")
ERROR_COLUMNS = ("ligne", "dossier", "motif")


class BulkError(EngineError):
    """The bulk run cannot start or finish (input unreadable, no dossier column, output not writable)."""


@frozen
class BulkJob:
    """What to render, from which rows, with which settings, and where."""

    rules: str
    input: str
    template: str
    caisse: str
    output_dir: str
    format: str = "pdf"
    date: dt.date | None = None
    workers: int = 1
    dossier_column: str = "dossier"
    chunk_rows: int = 50


@frozen
class _Config:
    rules: str
    template: str
    caisse: str
    output_dir: str
    format: str
    date: dt.date
    batch: _RowsConfig
    cwd: str


@frozen
class _Worker:
    """What a process loads once: the rule file, the caisse's settings, the row reader."""

    config: _Config
    ruleset: Ruleset
    options: dict[str, object]
    rows: _Rows
    rules_sha256: str


_WORKERS: list[_Worker] = []
"""The worker of this process (set by `_start`; a list, so that no `global` statement is needed)."""

_Outcome = tuple[int, str | None, dict[str, object] | None, str | None]
"""(line, dossier, register row or None, reason or None) of one row."""
_ChunkResult = tuple[list[_Outcome], int, int]
"""The rows of a chunk, its blank lines and its lines."""


def _start(config: _Config) -> None:
    """Load the rule file and the caisse's settings once per process."""
    os.chdir(config.cwd)
    ruleset = api.load(config.rules)
    _WORKERS[:] = [_Worker(config, ruleset, issuance.letter_options(issuance.load_caisse(config.caisse)),
                           _Rows(config.batch, ruleset), issuance.rules_hash(ruleset))]


def _chunk(chunk: _Chunk) -> _ChunkResult:
    """Render the letters of one chunk: (line, dossier, register row or None, reason or None) per row."""
    worker = _WORKERS[0]
    config, rows, ruleset = worker.config, worker.rows, worker.ruleset
    out: list[_Outcome] = []
    blank = lines = 0
    for line, span, raw, copied, problem in rows.records(chunk):
        lines += span
        if raw is None and problem is None:
            blank += 1
            continue
        dossier = _dossier(copied[0] if copied else None)
        if problem is not None or raw is None:  # raw is None only with a problem: blank records were skipped
            out.append((line, dossier, None, problem))
            continue
        if not dossier:
            out.append((line, None, None, "pas d'identifiant de dossier sur cette ligne"))
            continue
        try:
            issuance.check_dossier(dossier)
            typed = rows.reader.validate(raw) if isinstance(raw, dict) else rows.cells_reader(raw)
            outcome = ruleset.evaluate(typed)
            letter, context = render_with_context(outcome, config.template, format=config.format, date=config.date,
                                                  dossier=dossier, **worker.options)
        except (LetterError, FactsError) as exc:
            out.append((line, dossier, None, _one_line(str(exc))))
            continue
        except Exception as exc:  # noqa: BLE001 - a bad row is reported, the others go on
            out.append((line, dossier, None, _one_line(_reason(exc))))
            continue
        reference = context["reference"]
        data = letter.encode("utf-8") if isinstance(letter, str) else letter
        name = f"{reference}.{config.format}"
        path = Path(config.output_dir) / name
        path.write_bytes(data)
        record = issuance.record(outcome, config.template, config.date, reference, dossier)
        path.with_name(name + ".json").write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n",
                                                  encoding="utf-8")
        out.append((line, dossier, {
            "reference": reference, "dossier": dossier, "ligne": line, "courrier": config.template,
            "resultat_principal": _headline_word(outcome),
            "fichier": name, "sha256_fichier": hashlib.sha256(data).hexdigest(),
            "sha256_regles": worker.rules_sha256}, None))
    return out, blank, lines


def _headline_word(outcome: Outcome) -> str:
    """The register's `resultat_principal`: « vrai » or « faux » when the rule file's headline result
    has a value, else empty (no headline declared, or a status instead of a value)."""
    headline = outcome.ruleset.program.headline
    verdict = outcome.result(headline) if headline is not None else None
    if isinstance(verdict, Value) and isinstance(verdict.value, bool):
        return "vrai" if verdict.value else "faux"
    return ""


def _dossier(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():  # a Parquet or JSON number read as a float
        text = text[:-2]
    return text or None


def _one_line(text: str) -> str:
    return " ; ".join(part.strip() for part in text.splitlines() if part.strip())


def run(job: BulkJob, progress: Callable[[int, int], None] | None = None) -> Summary:
    """Render every qualifying row; write the register and the errors; check the accounts.

    The summary is the batch's: `read` rows, `evaluated` letters written, `errors` rows without one.

    Raises:
        BulkError: the input cannot be read, has no dossier column, or DIR cannot be written.
        AccountingError: rows in ≠ letters + errors.
    """
    start = time.monotonic()
    try:
        issuance.load_caisse(job.caisse)
    except LetterError as exc:
        raise BulkError(str(exc)) from None
    api.load(job.rules)  # a rule-file error stops here, with its diagnostics
    kind = file_format(job.input, "entrée")
    source = _Input(job.input, kind, job.chunk_rows)
    try:
        columns = source.columns
        if kind != FileFormat.JSONL and job.dossier_column not in columns:
            raise BulkError(f"« {job.input} » n'a pas de colonne « {job.dossier_column} » : chaque courrier tire sa "
                            "référence de l'identifiant du dossier (--colonne-dossier pour une autre colonne)")
        out = Path(job.output_dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BulkError(f"impossible de créer « {out} » : {os_reason(exc)}") from None
        config = _Config(job.rules, job.template, job.caisse, str(out.resolve()), job.format,
                         job.date or dt.date.today(),
                         _RowsConfig(job.rules, kind, FileFormat.JSONL, columns, (job.dossier_column,), False,
                                       os.getcwd(), source.dialect),
                         os.getcwd())
        summary = Summary()
        seen: dict[str, int] = {}
        with open(out / "registre.csv", "w", encoding="utf-8", newline="") as reg_file, \
                open(out / "erreurs.csv", "w", encoding="utf-8", newline="") as err_file:
            register = csv.DictWriter(reg_file, REGISTER_COLUMNS)
            errors = csv.writer(err_file)
            register.writeheader()
            errors.writerow(ERROR_COLUMNS)
            for (results, blank, lines), size in _results(source, config, job.workers):
                summary.blank += blank
                summary.lines += lines
                for line, dossier, row, reason in results:
                    summary.read += 1
                    if row is not None and dossier in seen:
                        Path(out / str(row["fichier"])).unlink(missing_ok=True)
                        Path(out / f"{row['fichier']}.json").unlink(missing_ok=True)
                        row = None
                        reason = (f"dossier « {dossier} » déjà traité à la ligne {seen[dossier]} : "
                                  "sa référence serait la même")
                    if row is not None:
                        seen[str(dossier)] = line
                        register.writerow(row)
                        summary.evaluated += 1
                    else:
                        errors.writerow([line, dossier or "", reason])
                        summary.errors += 1
                if progress is not None:
                    progress(size, summary.read)
        _check_accounts(source, summary, summary.evaluated, summary.errors)
    finally:
        source.close()
    summary.seconds = time.monotonic() - start
    return summary


def _results(source: _Input, config: _Config, workers: int) -> Iterator[tuple[_ChunkResult, int]]:
    """Each chunk's rows with the chunk's size, in input order (rendered here, or in `workers` processes)."""
    chunks = source.chunks()
    if workers <= 1:
        _start(config)
        for chunk in chunks:
            yield _chunk(chunk), chunk.size
        return
    # as engine.tools.batch: a fork would copy locks held by other threads
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(config,)) as pool:
        pending = []
        for chunk in chunks:
            pending.append((pool.submit(_chunk, chunk), chunk.size))
            while len(pending) > 2 * workers:
                future, size = pending.pop(0)
                yield future.result(), size
        for future, size in pending:
            yield future.result(), size
