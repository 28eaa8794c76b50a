"""`regles echeancier FICHIER --faits FAITS.json`: the schedule the rule file declares (e.g. every
contract year), as a table with totals, or JSON."""

from __future__ import annotations

import argparse
import json

from rich import box
from rich.table import Table

from engine import api
from engine.cli import main as cli
from engine.evaluate.trace import result_json
from engine.lang.formatting import french_spaces
from engine.lang.formatting import value as show
from engine.lang.results import STATUS_FRENCH, Result, Value


def register(sub: cli.Subcommands) -> None:
    """Add the `echeancier` sub-command."""
    p = cli.command(sub, "echeancier", run, rule_file=True, facts=True,
                    help="échéancier déclaré par le fichier de règles")
    cli.add_format(p, "texte", "json", help="texte (par défaut) ou json")


def run(args: argparse.Namespace) -> int:
    """Print the schedule the rule file declares (e.g. every contract year)."""
    from engine.schedule import schedule  # imported here: `regles` starts without it
    ruleset = api.load(args.file)
    plan = schedule(ruleset, cli.read_facts(args.facts))
    if args.format == "json":
        types = {name: d.type for name, d in ruleset.program.definitions.items()}
        rows = [{plan.axis: row.axis_value, **{c: result_json(r, types[c]) for c, r in row.results.items()}}
                for row in plan.rows]
        totals = {k: result_json(Value(v), types[k])["value"] for k, v in plan.totals.items()}
        print(json.dumps({"rows": rows, "totals": totals, "incomplete": dict(plan.incomplete)},
                         ensure_ascii=False, indent=2))
        return cli.EXIT_OK
    out = cli.console()
    out.print(f"{ruleset.title}  ({args.file})")
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False, show_footer=bool(plan.totals or plan.incomplete))
    table.add_column(plan.axis, footer="Total")
    for column in plan.columns:
        footer = ""
        if column in plan.totals:
            footer = show(plan.totals[column], ruleset.program.definitions[column].type)
        elif column in plan.incomplete:
            footer = "incomplet"
        table.add_column(column, footer=footer)
    for row in plan.rows:
        table.add_row(str(row.axis_value), *(_cell_text(ruleset, c, row.results[c]) for c in plan.columns))
    cli.print_table(out, table)
    for name, why in plan.incomplete.items():
        out.print(french_spaces(f"Total de {name} incomplet — {why}"))
    missing: set[str] = set().union(*(row.outcome.missing for row in plan.rows))
    cli.print_missing_names(out, ruleset, missing)
    return cli.EXIT_OK


def _cell_text(ruleset: api.Ruleset, name: str, result: Result) -> str:
    if isinstance(result, Value):
        return show(result.value, ruleset.program.definitions[name].type)
    return STATUS_FRENCH[result.status]
