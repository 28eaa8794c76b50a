"""`regles schema FICHIER [-o SORTIE]`: the JSON Schema of the facts a rule file accepts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine import api
from engine.base.diagnostics import os_reason
from engine.cli import main as cli


def register(sub: cli.Subcommands) -> None:
    """Add the `schema` sub-command."""
    p = cli.command(sub, "schema", run, rule_file=True,
                    help="schéma JSON des faits acceptés par un fichier de règles",
                    description="Écrit le schéma JSON (draft 2020-12) des faits qu'accepte un fichier de règles : "
                                "types, valeurs permises, bornes, descriptions et questions.")
    cli.add_output_file(p, "SORTIE.json", "fichier à écrire (par défaut : la sortie standard)")


def run(args: argparse.Namespace) -> int:
    """Print (or write) the schema."""
    from engine.inputs.jsonschema import facts_schema  # imported here: `regles` starts without it
    ruleset = api.load(args.file)
    text = json.dumps(facts_schema(ruleset.program), ensure_ascii=False, indent=2) + "\n"
    if args.output and Path(args.output).suffix.lower() != ".json":
        raise cli.UsageError(f"-o : le schéma s'écrit dans un fichier .json, reçu « {args.output} »")
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise cli.UsageError(f"impossible d'écrire « {args.output} » : {os_reason(exc)}") from None
        print(f"{args.output} : schéma de {len(ruleset.facts)} faits écrit")
    else:
        print(text, end="")
    return cli.EXIT_OK
