"""`regles eval FICHIER --faits FAITS.json`: evaluate a rule file on facts; a table, or JSON."""

from __future__ import annotations

import argparse
import json

from rich import box
from rich.table import Table

from engine import api
from engine.cli import main as cli
from engine.lang.formatting import french_typography
from engine.lang.formatting import value as show
from engine.lang.results import STATUS_FRENCH, Missing, Result, Value
from engine.tools.jsonio import outcome_json


def register(sub: cli.Subcommands) -> None:
    """Add the `eval` sub-command."""
    p = cli.command(sub, "eval", run, rule_file=True, facts=True, help="évaluer un fichier de règles sur des faits")
    cli.add_format(p, "texte", "json", help="texte (par défaut) ou json")
    cli.add_results(p, "résultats à calculer (par défaut : tous)")
    cli.add_year(p)
    cli.deprecated_alias(p, "--output", "--resultat", dest="resultat", action=cli.ExtendNames)


def run(args: argparse.Namespace) -> int:
    """Evaluate a rule file on a facts file; a table, or JSON with --format json."""
    ruleset = api.load(args.file)
    outcome = ruleset.evaluate(cli.facts_of(args, ruleset), outputs=args.resultat or None)
    if args.format == "json":
        print(json.dumps(outcome_json(outcome), ensure_ascii=False, indent=2))
        return cli.EXIT_OK
    out = cli.console()
    out.print(f"{ruleset.title}  ({args.file})")
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False)
    for heading in ("Résultat", "Statut"):
        table.add_column(heading)
    table.add_column("Valeur ou raison", no_wrap=True)  # wrapped here, where no-break spaces hold
    rows = [(name, STATUS_FRENCH[result.status], _result_text(ruleset, name, result))
            for name, result in outcome.results.items()]
    used = max((len(r[0]) for r in rows), default=8) + max((len(r[1]) for r in rows), default=6) + 6
    for name, status, text in rows:
        table.add_row(name, status, wrap_french(text, max(40, out.width - used)))
    cli.print_table(out, table)
    cli.print_missing_names(out, ruleset, set(outcome.missing))
    return cli.EXIT_OK


def _result_text(ruleset: api.Ruleset, name: str, result: Result) -> str:
    if isinstance(result, Value):
        return show(result.value, ruleset.program.definitions[name].type)
    if isinstance(result, Missing):
        return "faits manquants : " + ", ".join(sorted(result.facts))
    return french_typography(result.reason)


def wrap_french(text: str, width: int) -> str:
    """Wrap a cell's text at ordinary spaces only: rich would also break at the no-break spaces of
    French typography (`70 %`), textwrap does not."""
    import textwrap  # imported on use: `regles` starts without it
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)) or text
