"""`regles init DOSSIER`: start a new text from the bundled rule files, templates and examples."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.base.diagnostics import os_reason
from engine.cli import main as cli


def register(sub: cli.Subcommands) -> None:
    """Add the `init` sub-command."""
    p = cli.command(sub, "init", run,
                    help="créer un dossier de départ : fichiers de règles, modèles de courrier, exemples",
                    description="Copie dans DOSSIER (absent ou vide) les fichiers de règles fournis avec regles, "
                                "leurs modèles de courrier (lettres/) et les faits d'exemple (exemples/), pour "
                                "commencer un nouveau texte à partir d'eux.")
    p.add_argument("folder", metavar="DOSSIER", help="dossier à créer (absent ou vide)")


def run(args: argparse.Namespace) -> int:
    """Copy the starter files and say what to run next."""
    from engine.base.bundled import copy_starter
    target = Path(args.folder)
    try:
        written = copy_starter(target)
    except FileExistsError:
        raise cli.UsageError(f"« {target} » existe et n'est pas un dossier vide : "
                             "choisissez un nouveau dossier") from None
    except OSError as exc:
        raise cli.UsageError(f"impossible d'écrire dans « {target} » : {os_reason(exc)}") from None
    rules = sorted(p.name for p in target.glob("*.rules"))
    print(f"{len(written)} fichiers écrits dans {target} : {', '.join(rules)}, lettres/, exemples/")
    last = rules[-1] if rules else "FICHIER.rules"
    print(f"essayez : regles eval {target / last} --facts {target / 'exemples' / 'generaliste.json'}")
    return cli.EXIT_OK
