"""`regles test [FICHIER|DOSSIER…]`: run the examples of rule files; exit 1 if one fails.

Text by default; JSON or JUnit XML alone on standard output (the text then goes to standard error);
with `--coverage`, the rules, branches and table cells no example reached (`engine.tools.coverage`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from engine import api
from engine.base.bundled import resolve_rule_file, rulesets_dir
from engine.base.diagnostics import RulesError
from engine.cli import main as cli

if TYPE_CHECKING:
    from engine.tools.examples import ExampleRun


def register(sub: cli.Subcommands) -> None:
    """Add the `test` sub-command."""
    p = cli.command(sub, "test", run, help="exécuter les exemples des fichiers de règles")
    p.add_argument("paths", nargs="*", metavar="FICHIER|DOSSIER",
                   help="fichiers de règles ou dossiers (par défaut : rulesets/, sinon les fichiers fournis)")
    p.add_argument("-v", "--verbose", action="store_true", help="nommer aussi les exemples réussis")
    cli.add_format(p, "texte", "json", "junit",
                   help="texte (par défaut), json ou junit (XML JUnit) ; en json et junit, le texte va sur la "
                        "sortie d'erreur ; avec --coverage, le JSON est le rapport de couverture")
    p.add_argument("--coverage", action="store_true",
                   help="par fichier, les règles, les branches (si, et, ou) et les cases de tables qu'aucun exemple "
                        "n'a atteintes")


def run(args: argparse.Namespace) -> int:
    """Run the examples of rule files; exit 1 if one fails."""
    from engine.tools import reports  # imported here: `regles` starts without them
    from engine.tools.coverage import FileCoverage, coverage
    from engine.tools.examples import run_examples
    out = cli.console(stderr=args.format != "texte")  # JUnit XML, or JSON, alone on standard output
    passed = failed = 0
    suites = []
    covered: list[FileCoverage] = []
    for path in rule_files(args.paths):
        try:
            ruleset = api.load(path)
        except RulesError as exc:
            if cli.file_problem(exc):
                raise  # an unreadable file is a usage error (exit 2), not a failing example
            failed += 1
            suites.append(reports.SuiteRun(path, load_error=str(exc)))
            out.print(f"ÉCHEC   {path} : le fichier ne se charge pas")
            print(str(exc), file=sys.stderr)
            continue
        runs = run_examples(ruleset)
        suites.append(reports.SuiteRun(path, tuple(runs)))
        if args.coverage:
            covered.append(coverage(ruleset))
        for run in runs:
            if run.passed:
                passed += 1
                if args.verbose:
                    out.print(f"ok      {path} : {run.case.title}")
                continue
            failed += 1
            _print_failure(out, path, run)
    out.print(f"{passed} réussi{'s' if passed > 1 else ''}, {failed} échoué{'s' if failed > 1 else ''}")
    if args.format == "junit":
        sys.stdout.write(reports.junit_xml(suites))
    elif args.format == "json":  # with --coverage, the JSON is the coverage report (docs/cli.md)
        report = {"files": [c.to_json() for c in covered]} if args.coverage else reports.test_json(suites)
        print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.coverage and args.format == "texte":
        for report_of_file in covered:
            out.print(report_of_file.text(), markup=False, highlight=False)
    return cli.EXIT_RULES if failed else cli.EXIT_OK


def _print_failure(out: Console, path: str, run: ExampleRun) -> None:
    """A failing example: where it is, why (invalid facts, or each expected result and what came), and
    the explanation of each result that differs."""
    out.print(f"ÉCHEC   {path}:{run.case.span.line} : {run.case.title}")
    if run.error:
        out.print(f"        faits invalides : {run.error}")
    for m in run.mismatches:
        out.print(f"        {m.name} : attendu {m.expected}, obtenu {m.obtained}")
        if run.outcome is not None:
            for line in run.outcome.explain(m.name).splitlines():
                out.print(f"          {line}".rstrip())


def rule_files(paths: Sequence[str]) -> list[str]:
    """The rule files named, a folder standing for its `.rules` files (by default `rulesets/`, else the
    bundled rule files)."""
    found: list[str] = []
    for p in paths or ["rulesets" if Path("rulesets").is_dir() else str(rulesets_dir())]:
        path = Path(resolve_rule_file(p))
        if path.is_dir():
            found += sorted(str(f) for f in path.glob("*.rules"))
        else:
            found.append(str(path))
    if not found:
        raise cli.UsageError("aucun fichier .rules trouvé")
    return found
