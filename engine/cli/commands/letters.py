"""`regles letters FICHIER --input CAS.csv|.jsonl|.parquet --template NOM --caisse C.toml -o DOSSIER`.

One letter per row that qualifies, written to DOSSIER with its JSON record; DOSSIER/registre.csv
lists the letters (reference, dossier, line, letter, outcome, file, hashes), DOSSIER/erreurs.csv
the rows that gave none, with the reason. Rows in = letters + errors. Exit codes: 0 done (even
with error rows); 2 bad usage or unreadable input; 1 the rule file is wrong.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.cli import main as cli

if TYPE_CHECKING:  # imported when the command runs: `regles` starts without the letters
    from engine.tools.batch_job import Summary
    from engine.tools.bulk_letters import BulkJob

FORMATS = ("pdf", "html", "txt")


def register(sub: cli.Subcommands) -> None:
    """Add the `letters` sub-command."""
    p = cli.command(sub, "letters", run, rule_file=True,
                    help="rédiger un courrier par ligne d'un fichier de cas (pdf, html ou txt)",
                    description="Rédiger un courrier par ligne d'un fichier de cas, avec un registre et la liste des "
                                "lignes sans courrier.")
    p.add_argument("-i", "--entree", "--input", dest="input", required=True, metavar="CAS.csv|.jsonl|.parquet",
                   help="fichier des cas, lu comme « regles batch » le lit")
    p.add_argument("--template", required=True, metavar="COURRIER")
    p.add_argument("--caisse", required=True, metavar="CAISSE.toml",
                   help="réglages de la caisse (examples/caisse.toml)")
    p.add_argument("-o", "--sortie", "--output", dest="output", required=True, metavar="DOSSIER",
                   help="dossier où écrire les courriers")
    p.add_argument("--format", choices=FORMATS, default="pdf", help="pdf (par défaut), html ou txt")
    p.add_argument("--date", metavar="DATE",
                   help="date des courriers, AAAA-MM-JJ ou JJ/MM/AAAA (aujourd'hui par défaut)")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="processus de rédaction (1 par défaut)")
    p.add_argument("--colonne-dossier", default="dossier", metavar="COLONNE",
                   help="colonne de l'identifiant du dossier (dossier par défaut)")


def run(args: argparse.Namespace) -> int:
    from engine.cli.commands.letter import _date
    from engine.tools.batch import BatchError
    from engine.tools.bulk_letters import BulkError, BulkJob
    from engine.tools.bulk_letters import run as run_bulk
    date = _date(args.date)  # the one date grammar of facts and options (docs/cli.md)
    if args.workers < 1:
        raise cli.UsageError("--workers : au moins 1")
    job = BulkJob(args.file, args.input, args.template, args.caisse, args.output, args.format, date, args.workers,
                  args.colonne_dossier)
    try:
        summary = _with_progress(run_bulk, job) if sys.stderr.isatty() else run_bulk(job)
    except (BulkError, BatchError) as exc:
        raise cli.UsageError(str(exc)) from None
    rate = summary.evaluated / summary.seconds if summary.seconds else 0.0
    print(f"regles letters : {summary.read} lignes : {summary.evaluated} courriers, {summary.errors} sans courrier "
          f"(erreurs.csv) ; {summary.seconds:.1f} s, {rate:.1f} courriers/s", file=sys.stderr)
    return cli.EXIT_OK


def _with_progress(run_bulk: Callable[..., Summary], job: BulkJob) -> Summary:
    """Run the letters with a progress bar on standard error (bytes of the input read, rows)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
    total = os.path.getsize(job.input)
    with Progress(TextColumn("courriers"), BarColumn(), TaskProgressColumn(), TextColumn("{task.fields[rows]} lignes"),
                  TimeRemainingColumn(), console=Console(stderr=True)) as bar:
        task = bar.add_task("courriers", total=total, rows=0)
        return run_bulk(job, progress=lambda size, rows: bar.update(task, advance=size, rows=rows))
