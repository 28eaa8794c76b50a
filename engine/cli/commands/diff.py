"""`regles diff ANCIEN NOUVEAU --population FICHIER`: what a rule change does to a population."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from engine import api
from engine.cli import main as cli
from engine.tools.engines import ENGINES, NO_DUCKDB

if TYPE_CHECKING:
    from engine.tools.impact import Impact


def _warn(message: str) -> None:
    print(f"regles diff : {message}", file=sys.stderr)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas un nombre entier") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"« {text} » : un nombre positif ou nul est attendu")
    return value


def register(sub: cli.Subcommands) -> None:
    """Add the `diff` sub-command."""
    p = cli.command(sub, "diff", run,
                    help="impact d'un changement de règles sur une population",
                    description="Évalue chaque ligne d'une population avec l'ancien et le nouveau fichier de règles "
                                "et compte ce qui change, cas par cas : lignes éligibles selon les deux textes "
                                "(montants comparés avant → après), lignes qui gagnent ou perdent l'éligibilité "
                                "(avec leurs montants), lignes qu'un texte ne régit pas (comptées à part), le tout "
                                "ventilé par faits, avec des exemples expliqués.")
    p.add_argument("old", metavar="ANCIEN", help="ancien fichier de règles (chemin ou nom d'un fichier fourni)")
    p.add_argument("new", metavar="NOUVEAU", help="nouveau fichier de règles (chemin ou nom d'un fichier fourni)")
    p.add_argument("--population", required=True, metavar="FICHIER",
                   help="CSV (une colonne par fait, case vide = inconnu) ou JSON Lines (.jsonl)")
    cli.add_format(p, "texte", "json", help="texte (par défaut) ou json")
    p.add_argument("--exemples", "--examples", dest="examples", type=_positive, default=3, metavar="N",
                   help="nombre de lignes d'exemple (3)")
    p.add_argument("--par", "--by", dest="by", nargs="+", type=cli.split_names, metavar="FAITS",
                   help="faits par lesquels ventiler les comptes, séparés par des virgules ou des espaces "
                        "(par défaut : la « ventilation » que déclarent les fichiers)")
    p.add_argument("--eligibilite", metavar="RÉSULTAT",
                   help="résultat booléen des deux fichiers qui dit si une ligne est éligible (par défaut : "
                        "le « résultat principal » que déclarent les fichiers) ; \"\" pour comparer les montants "
                        "sur toutes les lignes")
    p.add_argument("--moteur", choices=ENGINES, default=None,
                   help="moteur de calcul : auto (par défaut, ou la variable REGLES_MOTEUR) compte dans DuckDB une "
                        "population CSV d'au moins 1 Mo (une requête par fichier et une jointure) et le reste en "
                        "Python (plus rapide sur un petit fichier) ; sql "
                        "demande DuckDB (avec un avertissement quand il passe la main au moteur Python) ; python "
                        "demande le moteur Python. Même rapport")
    p.add_argument("--montant", action=cli.ExtendNames, metavar="RÉSULTAT",
                   help="montants détaillés dans les ventilations (répétable, ou séparés par des virgules ; "
                        "par défaut le dernier montant)")


def run(args: argparse.Namespace) -> int:
    """Compare the two rule files on the population and print the report."""
    from engine.tools.impact_report import render_text, to_json  # imported here: `regles` starts without it
    engine = args.moteur or os.environ.get("REGLES_MOTEUR", "auto")
    if engine not in ENGINES:
        raise cli.UsageError(f"moteur « {engine} » inconnu (REGLES_MOTEUR ou --moteur) : {', '.join(ENGINES)}")
    old, new = api.load(args.old), api.load(args.new)
    impact = _compare(engine, old, new, args)
    if args.format == "json":
        print(json.dumps(to_json(impact, new), ensure_ascii=False, indent=2))
    else:
        print(render_text(impact, old, new), end="")
    return cli.EXIT_OK


def _compare(engine: str, old: api.Ruleset, new: api.Ruleset, args: argparse.Namespace) -> Impact:
    """The report of `engine.tools.impact_sql.compare` on `engine` (`auto` or `sql`), or of the Python
    path (`python`, or `auto` where DuckDB is not installed)."""
    by = None if args.by is None else [name for names in args.by for name in names]
    if engine != "python":
        try:
            from engine.tools.impact_sql import compare  # imported here: `regles` starts without DuckDB
        except ModuleNotFoundError as exc:  # DuckDB is a dependency; a platform without its wheel runs in Python
            if exc.name != "duckdb":
                raise
            if engine == "sql":
                raise cli.UsageError(NO_DUCKDB) from exc
        else:
            return compare(old, new, args.population, engine=engine, warn=_warn, by=by, eligibility=args.eligibilite,
                           examples=args.examples, amounts=args.montant, old_name=args.old, new_name=args.new)
    from engine.tools.impact import compare as compare_python
    return compare_python(old, new, args.population, by=by, eligibility=args.eligibilite, examples=args.examples,
                          amounts=args.montant, old_name=args.old, new_name=args.new)
