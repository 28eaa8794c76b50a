"""`regles batch FICHIER -i ENTRÉE -o SORTIE [--workers N] [--explain] [--errors ERR]`.

Evaluates every row of a CSV, JSON Lines or Parquet file and writes one result row per input
row (`engine.tools.batch` describes the layout). Bad rows go to the errors file with their line and
reason; the others are evaluated. A summary ends on standard error; a progress bar shows rows,
rate and time left when standard error is a terminal (or with `--progress`).

Exit codes: 0 every row evaluated; 2 some rows in error (see the errors file), bad arguments, an
unreadable input or an unwritable output (a full disk); 1 the rule file has errors; 70 the counts
do not add up (a bug: no output is kept); 130 interrupted by Ctrl-C, 143 by SIGTERM, 129 by SIGHUP
(the partial files are removed).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, Any

from engine.cli import main as cli
from engine.tools.engines import ENGINES

if TYPE_CHECKING:  # imported when the command runs: `regles` starts without the batch modules
    from engine.tools.batch import BatchJob, Summary

_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None
"""What `signal.signal` takes and gives back: a function, SIG_DFL or SIG_IGN, or None."""


def register(sub: cli.Subcommands) -> None:
    """Add the `batch` sub-command."""
    p = cli.command(sub, "batch", run, rule_file=True,
                    help="évaluer un fichier de lignes de faits (CSV, JSON Lines, Parquet)",
                    description="Évalue chaque ligne d'un fichier de faits (CSV, JSON Lines ou Parquet, selon "
                                "l'extension) et écrit, dans le même ordre, une ligne de résultats par ligne évaluée "
                                "; les lignes en erreur vont dans le fichier d'erreurs, avec leur numéro et la "
                                "raison. Les deux fichiers sont écrits sous un nom provisoire (….partiel) et "
                                "renommés quand tout est écrit et compté.")
    p.add_argument("-i", "--entree", "--input", dest="input", required=True, metavar="ENTRÉE",
                   help="faits : .csv, .jsonl ou .parquet")
    cli.add_output_file(p, "SORTIE", "résultats : .csv, .jsonl ou .parquet", required=True)
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="fils d'exécution de DuckDB, ou processus de calcul du moteur Python (par défaut : un par "
                        "processeur, un seul pour une entrée de moins de 4 Mo)")
    p.add_argument("--explain", action="store_true", help="ajouter l'explication de chaque résultat (lent)")
    p.add_argument("--erreurs", "--errors", dest="errors", metavar="ERREURS",
                   help="lignes en erreur, .csv ou .jsonl (par défaut : SORTIE suivi de .erreurs.csv)")
    p.add_argument("--progress", "--progres", action="store_true",
                   help="barre de progression même quand la sortie d'erreur n'est pas un terminal")
    p.add_argument("--moteur", choices=ENGINES, default=None,
                   help="moteur de calcul : auto (par défaut, ou la variable REGLES_MOTEUR) évalue dans DuckDB "
                        "les entrées Parquet, et CSV ou JSON Lines d'au moins 1 Mo, sans --explain, et le reste en "
                        "Python (plus rapide sur un petit fichier) ; sql demande "
                        "DuckDB (avec un avertissement quand il passe la main au moteur Python) ; python demande "
                        "le moteur Python. Même résultat, octet pour octet")
    p.add_argument("--chunk-rows", type=int, default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """Run the batch, then print the summary."""
    from engine.tools import batch
    workers = args.workers if args.workers is not None else _default_workers(args.input)
    job = batch.BatchJob(args.file, args.input, args.output, args.errors, workers, args.explain,
                         args.chunk_rows, *([args.moteur] if args.moteur else []))
    show = args.progress or sys.stderr.isatty()
    try:
        with _signals_raise(batch.Interrupted):
            summary = _with_progress_bar(batch, job) if show else batch.run(job, warn=_warn)
    except batch.AccountingError as exc:
        _warn(str(exc))
        return cli.EXIT_INTERNAL
    except (KeyboardInterrupt, batch.Interrupted) as exc:
        name = exc.signal_name if isinstance(exc, batch.Interrupted) else "SIGINT"
        _warn(f"interrompu ({name}) : aucune sortie n'est écrite dans {job.output} (fichiers partiels supprimés)")
        return 128 + int(getattr(signal, name))
    _print_summary(summary, job)
    return cli.EXIT_USAGE if summary.errors else cli.EXIT_OK


class _signals_raise:
    """While a batch runs, SIGTERM and SIGHUP raise `Interrupted` (as Ctrl-C raises KeyboardInterrupt), so
    that the run unwinds and removes its partial files; the previous handlers come back after."""

    SIGNALS = ("SIGTERM", "SIGHUP")

    def __init__(self, error: type[BaseException]) -> None:
        self.error = error
        self.previous: dict[int, _Handler] = {}

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may set handlers; a server's thread keeps its own
        for name in self.SIGNALS:
            number = getattr(signal, name, None)
            if number is not None and signal.getsignal(number) is not signal.SIG_IGN:  # `nohup` stays nohup
                self.previous[number] = signal.signal(number, self._raise)

    def _raise(self, number: int, frame: FrameType | None) -> None:
        for restored, handler in self.previous.items():  # a second signal during the clean-up ends the process
            signal.signal(restored, handler)
        raise self.error(signal.Signals(number).name)

    def __exit__(self, *exc: object) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def _default_workers(path: str) -> int:
    try:  # below ~30 000 rows, starting worker processes costs more than it saves
        small = os.path.getsize(path) < 4_000_000
    except OSError:
        small = True
    return 1 if small else max(1, os.cpu_count() or 1)


def _warn(message: str) -> None:
    print(f"regles batch : {message}", file=sys.stderr)


def _with_progress_bar(batch: ModuleType, job: BatchJob) -> Summary:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    console = Console(file=sys.stderr)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[rows]} lignes · {task.fields[rate]} lignes/s"),
               TimeElapsedColumn(), TextColumn("reste"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(f"regles batch {job.input}", total=None, rows="0", rate="–")
        started = time.perf_counter()  # the rate of the whole run, as the summary gives it, start-up included

        def update(done: int, total: int, rows: int) -> None:
            elapsed = time.perf_counter() - started
            rate = f"{rows / elapsed:,.0f}".replace(",", " ") if elapsed > 0 else "–"
            bar.update(task, completed=done, total=total, rows=f"{rows:,}".replace(",", " "), rate=rate)
        summary: Summary = batch.run(job, progress=update,
                                     warn=lambda m: console.print(f"regles batch : {m}", markup=False))
        return summary


def _number(n: float) -> str:
    return f"{n:,.0f}".replace(",", " ")


def _print_summary(summary: Summary, job: BatchJob) -> None:
    from engine.tools.batch import HEADLINE_WORDS
    lines = [f"{_number(summary.read)} ligne{'s' if summary.read > 1 else ''} lue{'s' if summary.read > 1 else ''}, "
             f"{_number(summary.evaluated)} évaluée{'s' if summary.evaluated > 1 else ''}, "
             f"{_number(summary.errors)} en erreur"
             + (f" (voir {job.errors_path})" if summary.errors else "") + f" → {job.output}"]
    notes = []
    if summary.multiline:
        notes.append(f"{_number(summary.multiline)} ligne{'s' if summary.multiline > 1 else ''} sur plusieurs "
                     "lignes du fichier (champ entre guillemets avec retour à la ligne)")
    if summary.blank:
        notes.append(f"{_number(summary.blank)} ligne{'s' if summary.blank > 1 else ''} "
                     f"vide{'s' if summary.blank > 1 else ''} ignorée{'s' if summary.blank > 1 else ''}")
    if notes:
        lines.append(f"{_number(summary.lines)} lignes de données dans le fichier : " + " ; ".join(notes))
    if summary.headline_counts:
        counts = " · ".join(f"{HEADLINE_WORDS[k]} {_number(n)}" for k, n in
                            sorted(summary.headline_counts.items(), key=lambda kv: list(HEADLINE_WORDS).index(kv[0])))
        lines.append(f"{summary.headline} : {counts}")
    lines.append(f"durée {summary.seconds:.2f} s".replace(".", ",") + f", {_number(summary.rate)} lignes/s, "
                 + _engine_words(summary.engine, job.workers))
    print("\n".join(lines), file=sys.stderr)


def _engine_words(engine: str, workers: int) -> str:
    """`moteur SQL (DuckDB, 2 fils d'exécution)`, `moteur Python (2 processus)`: who evaluated, on what."""
    if engine == "sql":
        return "moteur SQL (DuckDB" + (f", {workers} fils d'exécution)" if workers > 1 else ")")
    return "moteur Python" + (f" ({workers} processus)" if workers > 1 else "")
