"""The `regles` command line's framework: the French argument parser, the option spellings every
sub-command shares (docs/cli.md), reading a facts file, and `main`, which turns every error into an
exit code and one French line.

Stage: the top, beside `engine.serve`. The sub-commands live in `engine.cli.commands`, one module
each; they only call the public API (`engine.api`, `engine.tools`) and format what it returns.

Exit codes: 0 success, 1 errors in a rule file (or a failing example), 2 bad facts or bad usage,
70 an internal error (a bug: one line, never a traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeAlias

from rich.console import Console
from rich.table import Table

from engine import api
from engine.base.bundled import resolve_facts
from engine.base.diagnostics import EngineError, RulesError, os_reason, suggest
from engine.inputs.facts import FactsError
from engine.lang.formatting import french_typography
from engine.tools.jsonio import InvalidJSON, loads_strict

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
    return read_json_object(resolve_facts(path), "le fichier de faits", '{"fait": valeur, …}')


def read_json_object(path: str, what: str, shape: str = '{"clé": valeur, …}') -> dict[str, object]:
    """Read a JSON file holding one object, or raise UsageError naming `what`, the file and the problem."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # a BOM, as Windows editors write it, is fine
    except (OSError, UnicodeDecodeError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else exc
        raise UsageError(f"impossible de lire {what} « {path} » : {reason}") from None
    try:
        data = loads_strict(text)
    except InvalidJSON as exc:
        where = f":{exc.line}:{exc.column}" if exc.line is not None else ""
        raise UsageError(f"{path}{where} : JSON invalide ({exc.reason})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} : {what} doit contenir un objet JSON {shape}")
    return data


def file_problem(exc: RulesError) -> bool:
    """Whether a rule file could not be read at all (E001, E002): a usage error, exit 2, not a rule error.

    E003 and E004 (a `modifie` path out of the rule set, or not a rule file) are errors in the file: exit 1.
    """
    return all(d.code in ("E001", "E002") for d in exc.diagnostics)


def rules_exit(exc: RulesError) -> int:
    """The exit code of a rule file that does not load: usage (2) when it could not be read, else rules (1)."""
    return EXIT_USAGE if file_problem(exc) else EXIT_RULES


def print_missing_names(out: Console, ruleset: api.Ruleset, missing: set[str]) -> None:
    """The missing facts of an evaluation, each with its type and the question that asks for it."""
    if not missing:
        return
    out.print("Faits manquants :")
    for name in sorted(missing):
        decl = ruleset.facts[name]
        question = french_typography(decl.question or decl.description or "")
        out.print(f"  - {name} ({decl.type}) : {question}".rstrip(" :"))


# ─── Argument parsing ────────────────────────────────────────────────────────────────────────

_ARGPARSE_FRENCH = [  # every message argparse (3.11 to 3.13) can give, in French
    (r"the following arguments are required: (.*)", r"arguments obligatoires manquants : \1"),
    (r"unrecognized arguments: (.*)", r"arguments inconnus : \1"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)",
     r"argument \1 : choix invalide \2 (choix possibles : \3)"),
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
    def _format_action_invocation(self, action: argparse.Action) -> str:
        if not action.option_strings or not FORMER_SPELLINGS & set(action.option_strings):
            return super()._format_action_invocation(action)
        return super()._format_action_invocation(_with_options(action, _shown(action)))

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                  groups: Iterable[argparse._MutuallyExclusiveGroup], prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "utilisation : " if prefix is None else prefix)


class FrenchParser(argparse.ArgumentParser):
    """argparse with French headings, French error messages and exit code 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _FrenchHelp)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        self.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")

    def error(self, message: str) -> NoReturn:
        message = french_usage_message(message)
        self.print_usage(sys.stderr)
        print(f"regles : erreur d'utilisation : {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


class _VersionAction(argparse.Action):
    """`--version`: computed only when asked (reading the package metadata costs a few milliseconds)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: object = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        from engine.base.version import version_text  # imported when asked: it reads the package metadata
        print(version_text())
        parser.exit()


Subcommands: TypeAlias = "argparse._SubParsersAction[FrenchParser]"
"""What `register(subparsers)` receives: the parser's sub-commands, to add one to."""

COMMANDS: list[Callable[[Subcommands], None]] = []
"""The `register(subparsers)` function of every sub-command, in the order of `regles --help`
(filled by importing `engine.cli.commands`)."""


# The shared grammar (docs/cli.md): one spelling per meaning, in every sub-command.

RULE_FILE_HELP = "fichier de règles (.rules), ou le nom d'un fichier fourni (convention2024, avenant7)"
FACTS_HELP = "faits du dossier (objet JSON), ou le nom d'un exemple fourni (generaliste, cardiologue…)"
FORMAT_ALIASES = {"text": "texte", "txt": "texte"}


def command(sub: Subcommands, name: str, run: Callable[[argparse.Namespace], int], *, help: str,
            description: str | None = None, rule_file: bool = False, facts: bool = False) -> FrenchParser:
    """Add the sub-command `name`, carried out by `run`: its line in `regles --help`, its description
    in `regles NAME --help`, and the arguments many commands share, declared here once: the rule
    file (`FICHIER`, first) and the facts file (`--facts/--faits`). The caller adds the others."""
    parser = sub.add_parser(name, help=help, description=description)
    if rule_file:
        parser.add_argument("file", metavar="FICHIER", help=RULE_FILE_HELP)
    if facts:
        parser.add_argument("--facts", "--faits", required=True, metavar="FAITS.json", help=FACTS_HELP)
    parser.set_defaults(run=run)
    return parser


class WorstExit:
    """The exit code of a command that goes on through several files after one fails: the worst
    code met, each failure said on standard error as `main` would say it."""

    def __init__(self) -> None:
        self.code = EXIT_OK

    def rules_error(self, exc: RulesError, shown: bool = True) -> None:
        """A rule file that does not load (exit 1, or 2 when it could not be read); its diagnostics
        printed unless the command reports them another way (`shown=False`)."""
        if shown:
            print(str(exc), file=sys.stderr)
        self.code = max(self.code, rules_exit(exc))

    def usage_error(self, message: object) -> None:
        """A file that cannot be read or written (exit 2)."""
        print(f"regles : {message}", file=sys.stderr)
        self.code = max(self.code, EXIT_USAGE)

    def failed(self) -> None:
        """A check that failed (exit 1), already said by the command."""
        self.code = max(self.code, EXIT_RULES)


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

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("metavar", "NOM")
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        names = list(getattr(namespace, self.dest, None) or [])
        for value in values if isinstance(values, list) else [values]:
            names += split_names(str(value))
        setattr(namespace, self.dest, names)


def add_results(parser: argparse.ArgumentParser, help: str) -> None:
    """`-r/--resultat`: a selection of results, repeated or comma-separated."""
    parser.add_argument("-r", "--resultat", action=ExtendNames, dest="resultat", metavar="RÉSULTAT",
                        help=help + " ; répétable, ou séparés par des virgules")


def add_output_file(parser: argparse.ArgumentParser, metavar: str, help: str, required: bool = False) -> None:
    """`-o/--sortie`: the file (or folder) a command writes; `--output` stays as a hidden alias."""
    parser.add_argument("-o", "--sortie", "--output", dest="output", metavar=metavar, required=required, help=help)


def deprecated_alias(parser: argparse.ArgumentParser, old: str, new: str, dest: str,
                     action: type[argparse.Action] = argparse._StoreAction) -> None:
    """A former spelling, hidden from the help, that still works and says which option replaces it."""
    parser.add_argument(old, action=_Deprecated, dest=dest, help=argparse.SUPPRESS, replaced_by=new, acting=action)


class _Deprecated(argparse.Action):
    """A former option: warns on standard error, then does what `acting` (the option's own action) does."""

    def __init__(self, option_strings: Sequence[str], dest: str, *, replaced_by: str,
                 acting: type[argparse.Action], **kwargs: Any) -> None:
        self.acting = acting(option_strings, dest, **kwargs)
        self.replaced_by = replaced_by
        super().__init__(option_strings, dest, nargs=self.acting.nargs, default=self.acting.default,
                         help=self.acting.help, metavar=self.acting.metavar)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        print(f"regles : {option_string} est remplacé par {self.replaced_by} (l'ancienne écriture sera retirée)",
              file=sys.stderr)
        self.acting(parser, namespace, values, option_string)


def build_parser() -> argparse.ArgumentParser:
    """The `regles` argument parser with every sub-command."""
    _load_commands()
    parser = FrenchParser(prog="regles", description="Vérifier, évaluer et expliquer des fichiers de règles.")
    parser.add_argument("--version", action=_VersionAction, help="afficher la version de regles et du format des "
                        "fichiers de règles, et quitter")
    parser.add_argument("--verbose", action="store_true", dest="verbose_global",
                        help="afficher aussi les avertissements (cache ignoré, altéré ou reconstruit)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=FrenchParser, metavar="COMMANDE")
    for register in COMMANDS:
        register(sub)
    for command in sub.choices.values():
        _adopt_shared_spellings(command)
    return parser


def _adopt_shared_spellings(parser: argparse.ArgumentParser) -> None:
    """Give a command's `-o/--output` (an output file) the shared spelling `-o/--sortie` too, for commands
    that declare it the former way (docs/cli.md)."""
    for action in parser._actions:
        if action.option_strings[:2] == ["-o", "--output"] and "--sortie" not in parser._option_string_actions:
            action.option_strings = ["-o", "--sortie", *action.option_strings[1:]]
            parser._option_string_actions["--sortie"] = action


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    try:
        args = build_parser().parse_args(argv)
        run: Callable[[argparse.Namespace], int] = args.run
        if not args.verbose_global:
            return run(args)
        with _warnings_shown():
            return run(args)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    except RulesError as exc:
        print(str(exc), file=sys.stderr)
        return rules_exit(exc)
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


OPTIONAL_MODULES = {"typst": "pdf", "pyarrow": "parquet", "pygls": "lsp", "lsprotocol": "lsp", "sqlglot": "sql"}
"""The modules of the optional extras (pyproject.toml), each with the extra that installs it."""


def _missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The extra to install for a missing optional module, or None for any other missing module (a bug)."""
    return OPTIONAL_MODULES.get((exc.name or "").split(".")[0])


@contextlib.contextmanager
def _warnings_shown() -> Iterator[None]:
    """Print the engine's logged warnings (e.g. a tampered cache entry) on stderr, for `--verbose`."""
    import logging  # imported here: it costs some 5 ms of every command's start, and only --verbose needs it

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


def _load_commands() -> None:
    """Import the sub-commands' package, which adds each command's `register` to COMMANDS.

    Imported by name when the parser is built: the commands import this module for the shared
    spellings, so this module cannot import them at its top.
    """
    if not COMMANDS:
        importlib.import_module("engine.cli.commands")
