"""`regles lsp`: start the language server on standard input and output (engine.tools.lsp).

pygls and lsprotocol are an optional extra: without them, the command says in one line how to
install them, and every other command works as before.
"""

from __future__ import annotations

import argparse
import sys

from engine.cli import main as cli


def register(sub: cli.Subcommands) -> None:
    """Add the `lsp` sub-command."""
    p = cli.command(sub, "lsp", run,
                    help="serveur de langage pour les éditeurs (LSP, sur l'entrée et la sortie standard)",
                    description="Démarre un serveur Language Server Protocol sur l'entrée et la sortie standard : "
                                "diagnostics, survol, définition, références, complétion, mise en forme et renommage "
                                "pour les fichiers .rules. Lancé par l'éditeur, pas à la main.")
    p.add_argument("--stdio", action="store_true", help="communiquer sur l'entrée et la sortie standard (par défaut)")


def run(args: argparse.Namespace) -> int:
    """Serve until the client sends `exit`."""
    try:
        from engine.tools.lsp import serve
    except ImportError as exc:
        if exc.name not in {"pygls", "lsprotocol"} and not str(exc.name).startswith(("pygls.", "lsprotocol.")):
            raise
        print("regles : le serveur de langage demande pygls et lsprotocol : pip install 'regles[lsp]'",
              file=sys.stderr)
        return cli.EXIT_USAGE
    serve()
    return cli.EXIT_OK
