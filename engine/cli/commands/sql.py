"""`regles sql FICHIER [--dialect duckdb|spark|postgres|trino] [--table NOM]`: the rule file as one SQL query.

The query reads a table with one column per fact (`engine.sql.query` says their types) and returns,
per output, its value, its status and its reason, as `regles batch` writes them; `docs/sql.md`
explains the mapping and runs it on Spark.
"""

from __future__ import annotations

import argparse
import sys

from engine import api
from engine.cli import main as cli
from engine.sql import SqlUnsupported, generate
from engine.sql.dialects import DIALECTS, translate


def register(sub: cli.Subcommands) -> None:
    """Add the `sql` sub-command."""
    p = cli.command(sub, "sql", run, rule_file=True,
                    help="le fichier de règles en une requête SQL (DuckDB, Spark, PostgreSQL, Trino)",
                    description="Écrit la requête SQL qui calcule chaque résultat du fichier de règles sur une table "
                                "de faits (une colonne par fait) : pour chaque résultat, sa valeur, son statut et sa "
                                "raison, comme regles batch les écrit. Voir docs/sql.md.")
    p.add_argument("--dialect", "--dialecte", dest="dialect", choices=DIALECTS, default="duckdb",
                   help="dialecte SQL (duckdb par défaut)")
    p.add_argument("--table", default="faits", metavar="NOM", help="table (ou vue) des faits (faits par défaut)")
    p.add_argument("--garder", "--keep", dest="keep", action=cli.ExtendNames, metavar="COLONNES",
                   help="colonnes de la table à recopier en tête du résultat (ex. id)")


def run(args: argparse.Namespace) -> int:
    """Print the query."""
    ruleset = api.load(args.file)
    try:
        query = generate(ruleset.program, args.table, tuple(args.keep or ()))
    except SqlUnsupported as exc:
        print(f"regles sql : {exc}", file=sys.stderr)
        return cli.EXIT_INTERNAL
    print(translate(query.sql, args.dialect).rstrip() + ";")
    return cli.EXIT_OK
