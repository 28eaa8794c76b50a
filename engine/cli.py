"""The `regles` command line: thin wrappers over the public API, printing French text.

Exit codes: 0 success, 1 errors in a rule file (or a failing example), 2 bad facts or bad usage,
70 an internal error (a bug: one line, never a traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich import box

from engine import api
from engine.diagnostics import EngineError, RulesError, os_reason, render_all
from engine.facts import FactsError
from engine.formatting import value as show
from engine.results import STATUS_FRENCH, Missing, Value
from engine.trace import result_json

EXIT_OK, EXIT_RULES, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


class UsageError(EngineError):
    """Bad arguments or unreadable input files (exit 2)."""


def print_table(out: Console, table: Table) -> None:
    """Print a rich table without the trailing spaces rich pads lines with."""
    with out.capture() as captured:
        out.print(table)
    out.file.write("\n".join(line.rstrip() for line in captured.get().splitlines()) + "\n")


def console(stderr: bool = False) -> Console:
    """A console that writes plain text unless attached to a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, width=None if stream.isatty() else 120, highlight=False,
                   emoji=False, soft_wrap=False)


# ─── Commands ────────────────────────────────────────────────────────────────────────────────

def cmd_check(args: argparse.Namespace) -> int:
    """Check rule files; print every diagnostic (or one JSON / SARIF document); exit 1 if any file has an error."""
    status = EXIT_OK
    checks = []
    for path in args.files:
        try:
            ruleset = api.load(path)
        except RulesError as exc:
            checks.append(_reports().FileCheck(path, exc.diagnostics, False))
            if args.format == "texte":
                print(str(exc), file=sys.stderr)
            status = max(status, EXIT_USAGE if _file_problem(exc) else EXIT_RULES)
            continue
        program = ruleset.program
        checks.append(_reports().FileCheck(path, ruleset.warnings, True, len(program.outputs), len(program.examples)))
        if args.format != "texte":
            continue
        if ruleset.warnings:
            print(render_all(ruleset.warnings, ruleset.program.sources), file=sys.stderr)
        outputs, examples = len(ruleset.program.outputs), len(ruleset.program.examples)
        print(f"{path} : {outputs} résultat{'s' if outputs > 1 else ''}, {examples} exemple{'s' if examples > 1 else ''}"
              " — correct"
              + (f" ({len(ruleset.warnings)} avertissement{'s' if len(ruleset.warnings) > 1 else ''})"
                 if ruleset.warnings else ""))
    if args.format == "json":
        print(json.dumps(_reports().check_json(checks), ensure_ascii=False, indent=2))
    elif args.format == "sarif":
        print(json.dumps(_reports().check_sarif(checks), ensure_ascii=False, indent=2))
    return status


def _reports():  # type: ignore[no-untyped-def]
    """engine.reports, imported when a machine-readable format is asked for."""
    from engine import reports
    return reports


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate a rule file on a facts file; a table, or JSON with --json."""
    ruleset = api.load(args.file)
    outcome = ruleset.evaluate(read_facts(args.facts), outputs=args.output or None)
    if args.json:
        print(json.dumps(outcome_json(outcome), ensure_ascii=False, indent=2))
        return EXIT_OK
    out = console()
    out.print(f"{ruleset.title}  ({args.file})")
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False)
    for heading in ("Résultat", "Statut", "Valeur ou raison"):
        table.add_column(heading)
    for name, result in outcome.results.items():
        table.add_row(name, STATUS_FRENCH[result.status], _result_text(ruleset, name, result))
    print_table(out, table)
    _print_missing_names(out, ruleset, set(outcome.missing))
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    """Explain one result in French: a one-screen summary, the full tree with --detail, or JSON / HTML."""
    ruleset = api.load(args.file)
    outcome = ruleset.evaluate(read_facts(args.facts), outputs=[args.name])
    if args.format == "json":
        from engine.explain_html import explanation_json
        print(json.dumps(explanation_json(outcome, args.name, args.doc_base), ensure_ascii=False, indent=2))
    elif args.format == "html":
        from engine.explain_html import explanation_html
        print(explanation_html(outcome, args.name, args.doc_base), end="")
    elif args.detail:
        print(outcome.explain(args.name))
    else:
        from engine.summary import summarize
        print(summarize(outcome, args.name).text())
    return EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    """Run the examples of rule files; exit 1 if one fails."""
    from engine.examples import run_examples
    out = console(stderr=args.format != "texte")  # JUnit XML or coverage JSON alone on standard output
    passed = failed = 0
    suites = []
    covered = []
    for path in _rule_files(args.paths):
        try:
            ruleset = api.load(path)
        except RulesError as exc:
            if _file_problem(exc):
                raise  # an unreadable file is a usage error (exit 2), not a failing example
            failed += 1
            suites.append(_reports().SuiteRun(path, load_error=str(exc)))
            out.print(f"ÉCHEC   {path} : le fichier ne se charge pas")
            print(str(exc), file=sys.stderr)
            continue
        runs = run_examples(ruleset)
        suites.append(_reports().SuiteRun(path, tuple(runs)))
        if args.coverage:
            from engine.coverage import coverage
            covered.append(coverage(ruleset))
        for run in runs:
            if run.passed:
                passed += 1
                if args.verbose:
                    out.print(f"ok      {path} : {run.case.title}")
                continue
            failed += 1
            out.print(f"ÉCHEC   {path}:{run.case.span.line} : {run.case.title}")
            if run.error:
                out.print(f"        faits invalides : {run.error}")
            for m in run.mismatches:
                out.print(f"        {m.name} : attendu {m.expected}, obtenu {m.obtained}")
                if run.outcome is not None:
                    for line in run.outcome.explain(m.name).splitlines():
                        out.print(f"          {line}".rstrip())
    out.print(f"{passed} réussi{'s' if passed > 1 else ''}, {failed} échoué{'s' if failed > 1 else ''}")
    if args.format == "junit":
        sys.stdout.write(_reports().junit_xml(suites))
    if args.coverage and args.format == "json":
        print(json.dumps({"files": [c.to_json() for c in covered]}, ensure_ascii=False, indent=2))
    elif args.coverage:
        for report in covered:
            out.print(report.text(), markup=False, highlight=False)
    return EXIT_RULES if failed else EXIT_OK


def cmd_schedule(args: argparse.Namespace) -> int:
    """Print the schedule the rule file declares (e.g. every contract year)."""
    from engine.schedule import schedule
    ruleset = api.load(args.file)
    plan = schedule(ruleset, read_facts(args.facts))
    if args.json:
        types = {name: d.type for name, d in ruleset.program.definitions.items()}
        rows = [{plan.axis: row.axis_value, **{c: result_json(r, types[c]) for c, r in row.results.items()}}
                for row in plan.rows]
        totals = {k: result_json(Value(v), types[k])["value"] for k, v in plan.totals.items()}
        print(json.dumps({"rows": rows, "totals": totals, "incomplete": dict(plan.incomplete)}, ensure_ascii=False, indent=2))
        return EXIT_OK
    out = console()
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
    print_table(out, table)
    for name, why in plan.incomplete.items():
        out.print(f"Total de {name} incomplet — {why}")
    _print_missing_names(out, ruleset, set().union(*(row.outcome.missing for row in plan.rows)))
    return EXIT_OK


# ─── Helpers ─────────────────────────────────────────────────────────────────────────────────

def read_facts(path: str) -> dict[str, object]:
    """Read a facts file (a JSON object), or raise UsageError naming the problem."""
    return read_json_object(path, "le fichier de faits", '{"fait": valeur, …}')


def read_json_object(path: str, what: str, shape: str = '{"clé": valeur, …}') -> dict[str, object]:
    """Read a JSON file holding one object, or raise UsageError naming `what`, the file and the problem."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # a BOM, as Windows editors write it, is fine
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"impossible de lire {what} « {path} » : {os_reason(exc) if isinstance(exc, OSError) else exc}") from None
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}:{exc.colno} : JSON invalide ({exc.msg})") from None
    except _DuplicateKey as exc:
        raise UsageError(f"{path} : JSON invalide (la clé « {exc.key} » est écrite deux fois dans un même objet : "
                         "laquelle vaut ?)") from None
    except ValueError:  # an integer of thousands of digits
        raise UsageError(f"{path} : JSON invalide (nombre trop long)") from None
    except RecursionError:  # [[[[…]]]] nested a hundred thousand deep
        raise UsageError(f"{path} : JSON invalide (imbriqué trop profondément)") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} : {what} doit contenir un objet JSON {shape}")
    return data


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key if len(key) <= 60 else key[:60] + "…"


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object, refusing a key written twice: `json` would keep the last value silently."""
    found: dict[str, object] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def outcome_json(outcome: api.Outcome) -> dict[str, object]:
    """An outcome as JSON: each result with its status, value or reason (a false result with its
    `unmet` conditions: name, text, margin, children), and the missing facts."""
    facts = outcome.ruleset.facts
    return {
        "results": {name: _result_json(outcome, name, r) for name, r in outcome.results.items()},
        "missing": [{"fact": n, "question": facts[n].question, "description": facts[n].description}
                    for n in sorted(outcome.missing)],
    }


def _result_json(outcome: api.Outcome, name: str, result) -> dict[str, object]:  # type: ignore[no-untyped-def]
    out = result_json(result, outcome.ruleset.program.definitions[name].type)
    if api.is_false(result):
        out["unmet"] = [u.to_json() for u in outcome.unmet(name)]
    return out


def _result_text(ruleset: api.Ruleset, name: str, result) -> str:  # type: ignore[no-untyped-def]
    if isinstance(result, Value):
        return show(result.value, ruleset.program.definitions[name].type)
    if isinstance(result, Missing):
        return "faits manquants : " + ", ".join(sorted(result.facts))
    return result.reason


def _cell_text(ruleset: api.Ruleset, name: str, result) -> str:  # type: ignore[no-untyped-def]
    if isinstance(result, Value):
        return show(result.value, ruleset.program.definitions[name].type)
    return STATUS_FRENCH[result.status]


def _file_problem(exc: RulesError) -> bool:
    """Whether a rule file could not be read at all (E001, E002): a usage error, exit 2, not a rule error.

    E003 and E004 (a `modifie` path out of the rule set, or not a rule file) are errors in the file: exit 1.
    """
    return all(d.code in ("E001", "E002") for d in exc.diagnostics)


def _print_missing_names(out: Console, ruleset: api.Ruleset, missing: set[str]) -> None:
    if not missing:
        return
    out.print("Faits manquants :")
    for name in sorted(missing):
        decl = ruleset.facts[name]
        question = decl.question or decl.description or ""
        out.print(f"  - {name} ({decl.type}) : {question}".rstrip(" :"))


def _rule_files(paths: Sequence[str]) -> list[str]:
    found: list[str] = []
    for p in paths or ["rulesets"]:
        path = Path(p)
        if path.is_dir():
            found += sorted(str(f) for f in path.glob("*.rules"))
        else:
            found.append(p)
    if not found:
        raise UsageError("aucun fichier .rules trouvé")
    return found


# ─── Argument parsing ────────────────────────────────────────────────────────────────────────

_ARGPARSE_FRENCH = [
    (r"the following arguments are required: (.*)", r"arguments obligatoires manquants : \1"),
    (r"unrecognized arguments: (.*)", r"arguments inconnus : \1"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)", r"argument \1 : choix invalide \2 (choix possibles : \3)"),
    (r"argument (\S+): expected one argument", r"argument \1 : une valeur est attendue"),
    (r"argument (\S+): invalid (\w+) value: (.*)", r"argument \1 : valeur invalide \3"),
]


class _FrenchHelp(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        return super().add_usage(usage, actions, groups, "utilisation : " if prefix is None else prefix)


class FrenchParser(argparse.ArgumentParser):
    """argparse with French headings, French error messages and exit code 2."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("formatter_class", _FrenchHelp)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        self.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")

    def error(self, message: str) -> None:  # type: ignore[override]
        for pattern, replacement in _ARGPARSE_FRENCH:
            message = re.sub(pattern, replacement, message)
        self.print_usage(sys.stderr)
        print(f"regles : erreur d'utilisation : {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


def rule_file_and_facts(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the two arguments most commands share: the rule file and the facts file."""
    parser.add_argument("file", metavar="FICHIER", help="fichier de règles (.rules)")
    parser.add_argument("--facts", required=True, metavar="FAITS.json", help="faits du dossier (objet JSON)")
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The `regles` argument parser with every sub-command."""
    parser = FrenchParser(prog="regles", description="Vérifier, évaluer et expliquer des fichiers de règles.")
    parser.add_argument("--verbose", action="store_true", dest="verbose_global",
                        help="afficher aussi les avertissements (cache ignoré, altéré ou reconstruit)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=FrenchParser, metavar="COMMANDE")
    p = sub.add_parser("check", help="vérifier des fichiers de règles")
    p.add_argument("files", nargs="+", metavar="FICHIER")
    p.add_argument("--format", choices=("texte", "json", "sarif"), default="texte",
                   help="texte (par défaut), json, ou sarif (SARIF 2.1.0, pour l'intégration continue)")
    p.set_defaults(run=cmd_check)
    p = rule_file_and_facts(sub.add_parser("eval", help="évaluer un fichier de règles sur des faits"))
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.add_argument("--output", action="append", metavar="NOM", help="résultat à calculer (répétable)")
    p.set_defaults(run=cmd_eval)
    p = rule_file_and_facts(sub.add_parser("explain", help="expliquer un résultat"))
    p.add_argument("name", metavar="RÉSULTAT")
    p.add_argument("--detail", action="store_true", help="l'arbre complet du calcul, au lieu du résumé d'un écran")
    p.add_argument("--format", choices=("texte", "json", "html"), default="texte",
                   help="texte (par défaut), json (résumé et trace complète) ou html (page autonome)")
    p.add_argument("--doc-base", default="doc/", metavar="URL",
                   help="adresse des pages de « regles doc » liées depuis la page HTML (par défaut : doc/)")
    p.set_defaults(run=cmd_explain)
    p = sub.add_parser("test", help="exécuter les exemples des fichiers de règles")
    p.add_argument("paths", nargs="*", metavar="FICHIER|DOSSIER")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--format", choices=("texte", "junit", "json"), default="texte",
                   help="texte (par défaut) ou junit (XML JUnit sur la sortie standard, le texte sur la sortie d'erreur) ; "
                        "json : la couverture (avec --coverage) en JSON sur la sortie standard")
    p.add_argument("--coverage", action="store_true",
                   help="par fichier, les règles, les branches (si, et, ou) et les cases de tables qu'aucun exemple "
                        "n'a atteintes")
    p.set_defaults(run=cmd_test)
    p = rule_file_and_facts(sub.add_parser("echeancier", help="échéancier déclaré par le fichier de règles"))
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(run=cmd_schedule)
    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    try:
        _load_extra_commands()
        parser = build_parser()
        args = parser.parse_args(argv)
        if not args.verbose_global:
            return args.run(args)
        with _warnings_shown():
            return args.run(args)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    except RulesError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE if _file_problem(exc) else EXIT_RULES
    except FactsError as exc:
        print("faits invalides :", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, EngineError, ValueError) as exc:
        print(f"regles : {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("regles : interrompu", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one place a bug becomes one line, not a traceback
        print(f"regles : erreur interne ({type(exc).__name__}: {exc}) — merci de la signaler", file=sys.stderr)
        return EXIT_INTERNAL


@contextlib.contextmanager
def _warnings_shown() -> Iterator[None]:
    """Print the engine's logged warnings (e.g. a tampered cache entry) on stderr, for `--verbose`."""
    import logging

    class ToStderr(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            print(f"regles : {record.getMessage()}", file=sys.stderr)

    handler = ToStderr(logging.WARNING)
    logger = logging.getLogger("engine")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _load_extra_commands() -> None:
    """Import the modules that register more sub-commands (each adds itself to EXTRA_COMMANDS)."""
    import importlib
    if EXTRA_COMMANDS:
        return
    importlib.import_module("engine.commands")
