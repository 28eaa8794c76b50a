"""`regles doc FICHIER -o DOSSIER`: a static HTML site documenting a rule file (engine.tools.docsite)."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.base.diagnostics import os_reason
from engine.cli import main as cli


def register(sub: cli.Subcommands) -> None:
    """Add the `doc` sub-command."""
    p = cli.command(sub, "doc", run, rule_file=True,
                    help="site HTML de documentation d'un fichier de règles",
                    description="Écrit un site HTML statique : un index, une page par règle, table, fonction, "
                                "paramètre et fait, avec sources, statuts, formules liées, utilisations, et pour un "
                                "texte modificatif l'ancienne et la nouvelle définition côte à côte.")
    cli.add_output_file(p, "DOSSIER", "dossier où écrire le site", required=True)


def run(args: argparse.Namespace) -> int:
    """Write the site and say where its index is."""
    from engine.tools.docsite import build_site  # imported here: `regles` starts without it
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise cli.UsageError(f"« {out} » existe et n'est pas un dossier")
    try:
        pages = build_site(args.file, out)
    except OSError as exc:
        raise cli.UsageError(f"impossible d'écrire dans « {out} » : {os_reason(exc)}") from None
    print(f"{len(pages)} pages écrites dans {out} ; ouvrez {out / 'index.html'}")
    return cli.EXIT_OK
