"""`regles explain FICHIER RÉSULTAT --faits FAITS.json`: explain one result in French.

A one-screen summary by default (`engine.explain.summary`), the full tree with `--detail`
(`Outcome.explain`), or JSON / a standalone HTML page (`engine.explain.html`).
"""

from __future__ import annotations

import argparse
import json

from engine import api
from engine.cli import main as cli
from engine.lang.formatting import french_typography


def register(sub: cli.Subcommands) -> None:
    """Add the `explain` sub-command."""
    p = cli.command(sub, "explain", run, rule_file=True, facts=True, help="expliquer un résultat")
    p.add_argument("name", metavar="RÉSULTAT", help="le résultat à expliquer")
    p.add_argument("--detail", action="store_true", help="l'arbre complet du calcul, au lieu du résumé d'un écran")
    cli.add_year(p)
    cli.add_format(p, "texte", "json", "html",
                   help="texte (par défaut), json (résumé et trace complète) ou html (page autonome)")
    p.add_argument("--doc-base", default="doc/", metavar="URL",
                   help="adresse des pages de « regles doc » liées depuis la page HTML (par défaut : doc/)")


def run(args: argparse.Namespace) -> int:
    """Explain one result in French: a one-screen summary, the full tree with --detail, or JSON / HTML."""
    ruleset = api.load(args.file)
    outcome = ruleset.evaluate(cli.facts_of(args, ruleset), outputs=[args.name])
    if args.format == "json":
        from engine.explain.html import explanation_json  # imported here: `regles` starts without them
        print(json.dumps(explanation_json(outcome, args.name, args.doc_base), ensure_ascii=False, indent=2))
    elif args.format == "html":
        from engine.explain.html import explanation_html
        print(explanation_html(outcome, args.name, args.doc_base), end="")
    elif args.detail:
        print(french_typography(outcome.explain(args.name)))
    else:
        from engine.explain.summary import summarize
        print(french_typography(summarize(outcome, args.name).text()))
    return cli.EXIT_OK
