"""`regles check FICHIER…`: check rule files and print every diagnostic (or one JSON / SARIF document).

Exit codes: 0 every file is correct (warnings allowed), 1 a file has errors, 2 a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys

from engine import api
from engine.base.diagnostics import RulesError, render_all
from engine.cli import main as cli


def register(sub: cli.Subcommands) -> None:
    """Add the `check` sub-command."""
    p = cli.command(sub, "check", run, help="vérifier des fichiers de règles")
    p.add_argument("files", nargs="+", metavar="FICHIER", help=cli.RULE_FILE_HELP)
    cli.add_format(p, "texte", "json", "sarif",
                   help="texte (par défaut), json, ou sarif (SARIF 2.1.0, pour l'intégration continue)")


def run(args: argparse.Namespace) -> int:
    """Check rule files; print every diagnostic (or one JSON / SARIF document); exit 1 if any file has an error."""
    from engine.tools import reports  # imported here: `regles` starts without it
    status = cli.WorstExit()
    checks = []
    for path in args.files:
        try:
            ruleset = api.load(path)
        except RulesError as exc:
            checks.append(reports.FileCheck(path, exc.diagnostics, False))
            status.rules_error(exc, shown=args.format == "texte")
            continue
        program = ruleset.program
        checks.append(reports.FileCheck(path, ruleset.warnings, True, len(program.outputs), len(program.examples)))
        if args.format == "texte":
            _print_checked(path, ruleset)
    if args.format == "json":
        print(json.dumps(reports.check_json(checks), ensure_ascii=False, indent=2))
    elif args.format == "sarif":
        print(json.dumps(reports.check_sarif(checks), ensure_ascii=False, indent=2))
    return status.code


def _print_checked(path: str, ruleset: api.Ruleset) -> None:
    """A correct file in text: its warnings on standard error, then one line counting results and examples."""
    if ruleset.warnings:
        print(render_all(ruleset.warnings, ruleset.program.sources), file=sys.stderr)
    outputs, examples = len(ruleset.program.outputs), len(ruleset.program.examples)
    print(f"{path} : {outputs} résultat{'s' if outputs > 1 else ''}, {examples} exemple{'s' if examples > 1 else ''}"
          " — correct"
          + (f" ({len(ruleset.warnings)} avertissement{'s' if len(ruleset.warnings) > 1 else ''})"
             if ruleset.warnings else ""))
