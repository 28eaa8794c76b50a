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
from engine.base.diagnostics import EngineError, RulesError, os_reason, render_all
from engine.inputs.facts import FactsError
from engine.lang.formatting import french_spaces, french_typography, value as show
from engine.lang.results import STATUS_FRENCH, Missing, Value
from engine.evaluate.trace import result_json

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
    """engine.tools.reports, imported when a machine-readable format is asked for."""
    from engine.tools import reports
    return reports


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate a rule file on a facts file; a table, or JSON with --format json."""
    ruleset = api.load(args.file)
    outcome = ruleset.evaluate(facts_of(args, ruleset), outputs=args.resultat or None)
    if args.format == "json":
        print(json.dumps(outcome_json(outcome), ensure_ascii=False, indent=2))
        return EXIT_OK
    out = console()
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
    print_table(out, table)
    _print_missing_names(out, ruleset, set(outcome.missing))
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    """Explain one result in French: a one-screen summary, the full tree with --detail, or JSON / HTML."""
    ruleset = api.load(args.file)
    outcome = ruleset.evaluate(facts_of(args, ruleset), outputs=[args.name])
    if args.format == "json":
        from engine.explain.html import explanation_json
        print(json.dumps(explanation_json(outcome, args.name, args.doc_base), ensure_ascii=False, indent=2))
    elif args.format == "html":
        from engine.explain.html import explanation_html
        print(explanation_html(outcome, args.name, args.doc_base), end="")
    elif args.detail:
        print(french_typography(outcome.explain(args.name)))
    else:
        from engine.explain.summary import summarize
        print(french_typography(summarize(outcome, args.name).text()))
    return EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    """Run the examples of rule files; exit 1 if one fails."""
    from engine.tools.examples import run_examples
    out = console(stderr=args.format != "texte")  # JUnit XML, or JSON, alone on standard output
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
            from engine.tools.coverage import coverage
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
    elif args.format == "json":  # with --coverage, the JSON is the coverage report (docs/cli.md)
        report = {"files": [c.to_json() for c in covered]} if args.coverage else _reports().test_json(suites)
        print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.coverage and args.format == "texte":
        for report in covered:
            out.print(report.text(), markup=False, highlight=False)
    return EXIT_RULES if failed else EXIT_OK


def cmd_schedule(args: argparse.Namespace) -> int:
    """Print the schedule the rule file declares (e.g. every contract year)."""
    from engine.tools.schedule import schedule
    ruleset = api.load(args.file)
    plan = schedule(ruleset, read_facts(args.facts))
    if args.format == "json":
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
        out.print(french_spaces(f"Total de {name} incomplet — {why}"))
    _print_missing_names(out, ruleset, set().union(*(row.outcome.missing for row in plan.rows)))
    return EXIT_OK


# ─── Helpers ─────────────────────────────────────────────────────────────────────────────────

def facts_of(args: argparse.Namespace, ruleset: api.Ruleset) -> dict[str, object]:
    """The facts file's facts, with `--annee N` as the schedule's axis fact (the year evaluated)."""
    facts = read_facts(args.facts)
    year = getattr(args, "annee", None)
    if year is not None:
        spec = ruleset.program.schedule
        if spec is None:
            raise UsageError("--annee : ce fichier de règles ne déclare pas d'échéancier (bloc « échéancier … fin »)")
        if not spec.first <= year <= spec.last:
            raise UsageError(f"--annee : {spec.axis} va de {spec.first} à {spec.last}, reçu {year}")
        facts[spec.axis] = year
    return facts


def read_facts(path: str) -> dict[str, object]:
    """Read a facts file (a JSON object; or a bundled example's name), or raise UsageError naming the problem."""
    from engine.base.bundled import resolve_facts
    return read_json_object(resolve_facts(path), "le fichier de faits", '{"fait": valeur, …}')


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
    return french_typography(result.reason)


def wrap_french(text: str, width: int) -> str:
    """Wrap a cell's text at ordinary spaces only: rich would also break at the no-break spaces of
    French typography (`70 %`), textwrap does not."""
    import textwrap
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)) or text


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
        question = french_typography(decl.question or decl.description or "")
        out.print(f"  - {name} ({decl.type}) : {question}".rstrip(" :"))


def _rule_files(paths: Sequence[str]) -> list[str]:
    found: list[str] = []
    from engine.base.bundled import resolve_rule_file, rulesets_dir
    for p in paths or ["rulesets" if Path("rulesets").is_dir() else str(rulesets_dir())]:
        path = Path(resolve_rule_file(p))
        if path.is_dir():
            found += sorted(str(f) for f in path.glob("*.rules"))
        else:
            found.append(str(path))
    if not found:
        raise UsageError("aucun fichier .rules trouvé")
    return found


# ─── Argument parsing ────────────────────────────────────────────────────────────────────────

_ARGPARSE_FRENCH = [  # every message argparse (3.11 to 3.13) can give, in French
    (r"the following arguments are required: (.*)", r"arguments obligatoires manquants : \1"),
    (r"unrecognized arguments: (.*)", r"arguments inconnus : \1"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)", r"argument \1 : choix invalide \2 (choix possibles : \3)"),
    (r"argument (\S+): expected one argument", r"argument \1 : une valeur est attendue"),
    (r"argument (\S+): expected at least one argument", r"argument \1 : au moins une valeur est attendue"),
    (r"argument (\S+): expected at most one argument", r"argument \1 : au plus une valeur est attendue"),
    (r"argument (\S+): expected (\d+) arguments?", r"argument \1 : \2 valeurs sont attendues"),
    (r"argument (\S+): not allowed with argument (\S+)", r"argument \1 : incompatible avec l'argument \2"),
    (r"argument (\S+): ignored explicit argument (.*)", r"argument \1 : valeur inattendue \2"),
    (r"argument (\S+): invalid (\w+) value: (.*)", r"argument \1 : valeur invalide \3"),
    (r"one of the arguments (.*) is required", r"l'un des arguments \1 est obligatoire"),
    (r"ambiguous option: (\S+) could match (.*)", r"option ambiguë : \1 peut désigner \2"),
    (r"unexpected option string: (.*)", r"option inattendue : \1"),
    (r"^argument (\S+): ", r"argument \1 : "),  # a message of a `type=` function, already French
]


def _with_options(action: argparse.Action, options: list[str]) -> argparse.Action:
    import copy
    shown = copy.copy(action)
    shown.option_strings = options
    return shown


def french_usage_message(message: str) -> str:
    """An argparse error message in French, with "vouliez-vous dire" for a misspelt choice or command."""
    for former in FORMER_SPELLINGS:
        message = message.replace("/" + former, "")
    choice = re.match(r"argument \S+: invalid choice: '(.*?)' \(choose from (.*)\)", message)
    for pattern, replacement in _ARGPARSE_FRENCH:
        message, count = re.subn(pattern, replacement, message)
        if count:
            break
    if choice:
        from engine.base.diagnostics import suggest
        hint = suggest(choice.group(1), re.findall(r"'(.*?)'", choice.group(2)))
        if hint:
            message += f" ; {hint}"
    return message


FORMER_SPELLINGS = frozenset({"--output", "--input", "--examples", "--errors", "--by"})
"""Former option names kept working as aliases of the same option (`--output` for `-o/--sortie` where
it named a file), but left out of the help and the messages (docs/cli.md)."""


def _shown(action: argparse.Action) -> list[str]:
    return [o for o in action.option_strings if o not in FORMER_SPELLINGS] or list(action.option_strings)


class _FrenchHelp(argparse.HelpFormatter):
    def _format_action_invocation(self, action):  # type: ignore[no-untyped-def]
        if not action.option_strings or not FORMER_SPELLINGS & set(action.option_strings):
            return super()._format_action_invocation(action)
        return super()._format_action_invocation(_with_options(action, _shown(action)))


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
        message = french_usage_message(message)
        self.print_usage(sys.stderr)
        print(f"regles : erreur d'utilisation : {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


class _VersionAction(argparse.Action):
    """`--version`: computed only when asked (reading the package metadata costs a few milliseconds)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):  # type: ignore[no-untyped-def]
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        from engine.base.version import version_text
        print(version_text())
        parser.exit()


EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


# The shared grammar (docs/cli.md): one spelling per meaning, in every sub-command.

RULE_FILE_HELP = "fichier de règles (.rules), ou le nom d'un fichier fourni (convention2024, avenant7)"
FACTS_HELP = "faits du dossier (objet JSON), ou le nom d'un exemple fourni (generaliste, cardiologue…)"
FORMAT_ALIASES = {"text": "texte", "txt": "texte"}


def rule_file_and_facts(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the two arguments most commands share: the rule file and the facts file."""
    parser.add_argument("file", metavar="FICHIER", help=RULE_FILE_HELP)
    parser.add_argument("--facts", "--faits", required=True, metavar="FAITS.json", help=FACTS_HELP)
    return parser


def add_year(parser: argparse.ArgumentParser) -> None:
    """`--annee N`: the year of the schedule evaluated (the axis fact), for facts given per year."""
    parser.add_argument("--annee", type=int, metavar="N",
                        help="année évaluée (le fait de l'échéancier, par exemple annee_contrat) : les faits donnés "
                             "par année prennent la valeur de cette année")


def add_format(parser: argparse.ArgumentParser, *choices: str, help: str) -> None:
    """`--format`: how the command prints its results (`texte` first, the default; `text` is accepted too).

    The former `--json` stays as a hidden alias of `--format json` where a command had it.
    """
    def word(text: str) -> str:
        return FORMAT_ALIASES.get(text.lower(), text.lower())
    parser.add_argument("--format", type=word, choices=choices, default=choices[0], help=help)
    if "json" in choices:
        parser.add_argument("--json", action="store_const", dest="format", const="json", help=argparse.SUPPRESS)


def split_names(text: str) -> list[str]:
    """A list option's value: names separated by commas (`a,b`), blanks around them ignored."""
    return [name.strip() for name in text.split(",") if name.strip()]


class ExtendNames(argparse.Action):
    """A list option both repeated and comma-separated: `-r a,b -r c` is `[a, b, c]`."""

    def __init__(self, option_strings, dest, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("metavar", "NOM")
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        names = list(getattr(namespace, self.dest, None) or [])
        for value in values if isinstance(values, list) else [values]:
            names += split_names(value)
        setattr(namespace, self.dest, names)


def add_results(parser: argparse.ArgumentParser, help: str) -> None:
    """`-r/--resultat`: a selection of results, repeated or comma-separated."""
    parser.add_argument("-r", "--resultat", action=ExtendNames, dest="resultat", metavar="RÉSULTAT",
                        help=help + " ; répétable, ou séparés par des virgules")


def add_output_file(parser: argparse.ArgumentParser, metavar: str, help: str, required: bool = False) -> None:
    """`-o/--sortie`: the file (or folder) a command writes; `--output` stays as a hidden alias."""
    parser.add_argument("-o", "--sortie", "--output", dest="output", metavar=metavar, required=required, help=help)


def deprecated_alias(parser: argparse.ArgumentParser, old: str, new: str, **kwargs: object) -> None:
    """A former spelling, hidden from the help, that still works and says which option replaces it."""
    action = kwargs.pop("action", "store")

    class Deprecated(action if isinstance(action, type) else argparse._StoreAction):  # type: ignore[misc]
        def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
            print(f"regles : {old} est remplacé par {new} (l'ancienne écriture sera retirée)", file=sys.stderr)
            super().__call__(parser, namespace, values, option_string)

    parser.add_argument(old, action=Deprecated, help=argparse.SUPPRESS, **kwargs)  # type: ignore[arg-type]


def build_parser() -> argparse.ArgumentParser:
    """The `regles` argument parser with every sub-command."""
    parser = FrenchParser(prog="regles", description="Vérifier, évaluer et expliquer des fichiers de règles.")
    parser.add_argument("--version", action=_VersionAction, help="afficher la version de regles et du format des "
                        "fichiers de règles, et quitter")
    parser.add_argument("--verbose", action="store_true", dest="verbose_global",
                        help="afficher aussi les avertissements (cache ignoré, altéré ou reconstruit)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=FrenchParser, metavar="COMMANDE")
    p = sub.add_parser("check", help="vérifier des fichiers de règles")
    p.add_argument("files", nargs="+", metavar="FICHIER", help=RULE_FILE_HELP)
    add_format(p, "texte", "json", "sarif", help="texte (par défaut), json, ou sarif (SARIF 2.1.0, pour l'intégration continue)")
    p.set_defaults(run=cmd_check)
    p = rule_file_and_facts(sub.add_parser("eval", help="évaluer un fichier de règles sur des faits"))
    add_format(p, "texte", "json", help="texte (par défaut) ou json")
    add_results(p, "résultats à calculer (par défaut : tous)")
    add_year(p)
    deprecated_alias(p, "--output", "--resultat", dest="resultat", action=ExtendNames)
    p.set_defaults(run=cmd_eval)
    p = rule_file_and_facts(sub.add_parser("explain", help="expliquer un résultat"))
    p.add_argument("name", metavar="RÉSULTAT", help="le résultat à expliquer")
    p.add_argument("--detail", action="store_true", help="l'arbre complet du calcul, au lieu du résumé d'un écran")
    add_year(p)
    add_format(p, "texte", "json", "html", help="texte (par défaut), json (résumé et trace complète) ou html (page autonome)")
    p.add_argument("--doc-base", default="doc/", metavar="URL",
                   help="adresse des pages de « regles doc » liées depuis la page HTML (par défaut : doc/)")
    p.set_defaults(run=cmd_explain)
    p = sub.add_parser("test", help="exécuter les exemples des fichiers de règles")
    p.add_argument("paths", nargs="*", metavar="FICHIER|DOSSIER",
                   help="fichiers de règles ou dossiers (par défaut : rulesets/, sinon les fichiers fournis)")
    p.add_argument("-v", "--verbose", action="store_true", help="nommer aussi les exemples réussis")
    add_format(p, "texte", "json", "junit",
               help="texte (par défaut), json ou junit (XML JUnit) ; en json et junit, le texte va sur la sortie "
                    "d'erreur ; avec --coverage, le JSON est le rapport de couverture")
    p.add_argument("--coverage", action="store_true",
                   help="par fichier, les règles, les branches (si, et, ou) et les cases de tables qu'aucun exemple "
                        "n'a atteintes")
    p.set_defaults(run=cmd_test)
    p = rule_file_and_facts(sub.add_parser("echeancier", help="échéancier déclaré par le fichier de règles"))
    add_format(p, "texte", "json", help="texte (par défaut) ou json")
    p.set_defaults(run=cmd_schedule)
    for register in EXTRA_COMMANDS:
        register(sub)
    for command in sub.choices.values():
        _adopt_shared_spellings(command)
    return parser


def _adopt_shared_spellings(parser: argparse.ArgumentParser) -> None:
    """Give a command's `-o/--output` (an output file) the shared spelling `-o/--sortie` too, for commands
    that declare it the former way (docs/cli.md)."""
    for action in parser._actions:
        if action.option_strings[:2] == ["-o", "--output"] and "--sortie" not in parser._option_string_actions:
            action.option_strings.insert(1, "--sortie")
            parser._option_string_actions["--sortie"] = action


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
    except ModuleNotFoundError as exc:
        extra = _missing_extra(exc)
        if extra is None:
            raise
        module = (exc.name or "").split(".")[0]
        print(f"regles : cette fonction demande le module {module} : pip install 'regles[{extra}]'", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("regles : interrompu", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one place a bug becomes one line, not a traceback
        print(f"regles : erreur interne ({type(exc).__name__}: {exc}) — merci de la signaler", file=sys.stderr)
        return EXIT_INTERNAL


OPTIONAL_MODULES = {"typst": "pdf", "pyarrow": "parquet", "pygls": "lsp", "lsprotocol": "lsp"}
"""The modules of the optional extras (pyproject.toml), each with the extra that installs it."""


def _missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The extra to install for a missing optional module, or None for any other missing module (a bug)."""
    return OPTIONAL_MODULES.get((exc.name or "").split(".")[0])


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
    importlib.import_module("engine.cli.commands")
