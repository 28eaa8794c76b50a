"""`regles serve [DOSSIER] [--host 127.0.0.1] [--port 8000]`: the rule files of a folder on the web.

Serves the JSON API, the interview and the playground of `engine.serve.server`. The web packages are the
optional extra `serve` (`pip install 'regles[serve]'`): `regles` starts without them, and this
command says in one line which extra to install, exiting 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.cli import main as cli


def register(sub: cli.Subcommands) -> None:
    """Add the `serve` sub-command."""
    p = cli.command(sub, "serve", run,
                    help="servir les règles : API JSON, entretien et atelier dans le navigateur",
                    description="Sert les fichiers .rules d'un dossier : API JSON (/api/NOM/evaluate…), entretien "
                                "(/entretien/NOM) et atelier (/atelier).")
    p.add_argument("directory", nargs="?", metavar="DOSSIER",
                   help="dossier des fichiers de règles (par défaut : rulesets/ s'il existe, sinon les fichiers "
                        "livrés avec regles)")
    p.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (par défaut : 127.0.0.1, cette machine seule)")
    p.add_argument("--port", type=int, default=8000, help="port (par défaut : 8000)")
    p.add_argument("--caisse", metavar="CAISSE.toml",
                   help="réglages de la caisse pour les courriers (voir examples/caisse.toml) ; sans eux, une "
                        "décision est refusée faute de signataire et de voies de recours")


def run(args: argparse.Namespace) -> int:
    """Start the server until interrupted."""
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as exc:
        print(f"regles : « regles serve » demande l'extra « serve » ({exc.name} manquant) : "
              "pip install 'regles[serve]'", file=sys.stderr)
        return cli.EXIT_USAGE
    if args.directory is None:
        from engine.base import bundled
        args.directory = "rulesets" if Path("rulesets").is_dir() else str(bundled.rulesets_dir())
    directory = Path(args.directory)
    if not directory.is_dir():
        raise cli.UsageError(f"« {args.directory} » n'est pas un dossier")
    if not any(directory.glob("*.rules")):
        raise cli.UsageError(f"aucun fichier .rules dans « {args.directory} »")
    from engine.letters import issuance
    from engine.letters.render import LetterError
    from engine.serve.server import create_app
    try:
        caisse = issuance.letter_options(issuance.load_caisse(args.caisse)) if args.caisse else None
    except LetterError as exc:
        raise cli.UsageError(str(exc)) from None
    print(f"regles : règles de {directory} servies sur http://{args.host}:{args.port}/ "
          f"(entretien : /entretien/NOM, atelier : /atelier, API : /openapi.json) ; Ctrl+C pour arrêter",
          file=sys.stderr)
    uvicorn.run(create_app(directory, caisse=caisse), host=args.host, port=args.port, log_level="warning")
    return cli.EXIT_OK
