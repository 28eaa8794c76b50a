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
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from attrs import define, frozen

from engine.tools import batch, batch_rows
from engine.base.diagnostics import EngineError, os_reason

REGISTER_COLUMNS = ("reference", "dossier", "ligne", "courrier", "eligible", "fichier", "sha256_fichier",
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


@define
class BulkSummary:
    rows: int = 0
    letters: int = 0
    errors: int = 0
    blank: int = 0
    lines: int = 0
    seconds: float = 0.0


@frozen
class _Config:
    rules: str
    template: str
    caisse: str
    output_dir: str
    format: str
    date: dt.date
    batch: object
    cwd: str


_STATE: dict[str, object] = {}


def _start(config: _Config) -> None:
    """Load the rule file and the caisse's settings once per process."""
    from engine import api
    from engine.letters import issuance
    os.chdir(config.cwd)
    _STATE["config"] = config
    _STATE["ruleset"] = api.load(config.rules)
    _STATE["options"] = issuance.letter_options(issuance.load_caisse(config.caisse))
    _STATE["rows"] = batch._Rows(config.batch, _STATE["ruleset"])  # type: ignore[arg-type]
    _STATE["rules_sha256"] = issuance.rules_hash(_STATE["ruleset"])  # type: ignore[arg-type]


def _chunk(chunk: object) -> tuple[list[tuple[int, str | None, dict[str, object] | None, str | None]], int, int]:
    """Render the letters of one chunk: (line, dossier, register row or None, reason or None) per row."""
    from engine.inputs.facts import FactsError
    from engine.letters.render import LetterError, render_with_context
    from engine.letters import issuance
    config: _Config = _STATE["config"]  # type: ignore[assignment]
    rows: batch._Rows = _STATE["rows"]  # type: ignore[assignment]
    ruleset = _STATE["ruleset"]
    out: list[tuple[int, str | None, dict[str, object] | None, str | None]] = []
    blank = lines = 0
    for line, span, raw, copied, problem in rows.records(chunk):  # type: ignore[arg-type]
        lines += span
        if raw is None and problem is None:
            blank += 1
            continue
        dossier = _dossier(copied[0] if copied else None)
        if problem is not None:
            out.append((line, dossier, None, problem))
            continue
        if not dossier:
            out.append((line, None, None, "pas d'identifiant de dossier sur cette ligne"))
            continue
        try:
            issuance.check_dossier(dossier)
            typed = rows.reader.validate(raw) if type(raw) is dict else rows.cells_reader(raw)  # type: ignore[arg-type]
            outcome = ruleset.evaluate(typed)  # type: ignore[attr-defined]
            letter, context = render_with_context(outcome, config.template, format=config.format, date=config.date,
                                                  dossier=dossier, **_STATE["options"])  # type: ignore[arg-type]
        except (LetterError, FactsError) as exc:
            out.append((line, dossier, None, _one_line(str(exc))))
            continue
        except Exception as exc:  # noqa: BLE001 - a bad row is reported, the others go on
            out.append((line, dossier, None, _one_line(batch_rows._reason(exc))))
            continue
        reference = str(context["reference"])
        data = letter.encode("utf-8") if isinstance(letter, str) else letter
        name = f"{reference}.{config.format}"
        path = Path(config.output_dir) / name
        path.write_bytes(data)
        record = issuance.record(outcome, config.template, config.date, reference, dossier)
        path.with_name(name + ".json").write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n",
                                                  encoding="utf-8")
        eligible = outcome.result("eligible") if "eligible" in ruleset.program.definitions else None  # type: ignore[attr-defined]
        out.append((line, dossier, {
            "reference": reference, "dossier": dossier, "ligne": line, "courrier": config.template,
            "eligible": {True: "vrai", False: "faux"}.get(getattr(eligible, "value", None), ""),
            "fichier": name, "sha256_fichier": hashlib.sha256(data).hexdigest(),
            "sha256_regles": _STATE["rules_sha256"]}, None))
    return out, blank, lines


def _dossier(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():  # a Parquet or JSON number read as a float
        text = text[:-2]
    return text or None


def _one_line(text: str) -> str:
    return " ; ".join(part.strip() for part in text.splitlines() if part.strip())


def run(job: BulkJob, progress: Callable[[int, int], None] | None = None) -> BulkSummary:
    """Render every qualifying row; write the register and the errors; check the accounts.

    Raises:
        BulkError: the input cannot be read, has no dossier column, or DIR cannot be written.
        batch.AccountingError: rows in ≠ letters + errors.
    """
    import time
    from engine import api
    from engine.letters import issuance
    from engine.letters.render import LetterError
    start = time.monotonic()
    try:
        issuance.load_caisse(job.caisse)
    except LetterError as exc:
        raise BulkError(str(exc)) from None
    api.load(job.rules)  # a rule-file error stops here, with its diagnostics
    kind = batch.file_format(job.input, "entrée")
    source = batch._Input(job.input, kind, job.chunk_rows)
    try:
        columns = source.columns
        if kind != "jsonl" and job.dossier_column not in columns:
            raise BulkError(f"« {job.input} » n'a pas de colonne « {job.dossier_column} » : chaque courrier tire sa "
                            "référence de l'identifiant du dossier (--colonne-dossier pour une autre colonne)")
        out = Path(job.output_dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BulkError(f"impossible de créer « {out} » : {os_reason(exc)}") from None
        config = _Config(job.rules, job.template, job.caisse, str(out.resolve()), job.format,
                         job.date or dt.date.today(),
                         batch._Config(job.rules, kind, "jsonl", columns, (job.dossier_column,), False, os.getcwd(),
                                       source.dialect),
                         os.getcwd())
        summary = BulkSummary()
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
                    summary.rows += 1
                    if row is not None and dossier in seen:
                        Path(out / str(row["fichier"])).unlink(missing_ok=True)
                        Path(out / f"{row['fichier']}.json").unlink(missing_ok=True)
                        row, reason = None, f"dossier « {dossier} » déjà traité à la ligne {seen[dossier]} : " \
                                            "sa référence serait la même"
                    if row is not None:
                        seen[str(dossier)] = line
                        register.writerow(row)
                        summary.letters += 1
                    else:
                        errors.writerow([line, dossier or "", reason])
                        summary.errors += 1
                if progress is not None:
                    progress(size, summary.rows)
        batch._check_accounts(source, _AsBatch(summary), summary.letters, summary.errors)
    finally:
        source.close()
    summary.seconds = time.monotonic() - start
    return summary


class _AsBatch:
    """A bulk summary seen as a batch summary, for `batch._check_accounts` (rows read, blank lines)."""

    def __init__(self, summary: BulkSummary) -> None:
        self.read = summary.rows
        self.evaluated = summary.letters
        self.errors = summary.errors
        self.blank = summary.blank
        self.lines = summary.lines


def _results(source: object, config: _Config, workers: int) -> Iterator[tuple[tuple[list, int, int], int]]:
    chunks = source.chunks()  # type: ignore[attr-defined]
    if workers <= 1:
        _start(config)
        for chunk in chunks:
            yield _chunk(chunk), chunk.size
        return
    import multiprocessing
    context = multiprocessing.get_context("spawn")  # as engine.tools.batch: a fork would copy locks held by other threads
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(config,)) as pool:
        pending = []
        for chunk in chunks:
            pending.append((pool.submit(_chunk, chunk), chunk.size))
            while len(pending) > 2 * workers:
                future, size = pending.pop(0)
                yield future.result(), size
        for future, size in pending:
            yield future.result(), size
