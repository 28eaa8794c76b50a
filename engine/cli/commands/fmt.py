"""`regles fmt [--check | --diff] FICHIER…`: rewrite rule files in the canonical layout (engine.syntax.fmt).

A file is rewritten only when its layout changes, and only after checking that the formatted text
parses to the same AST: formatting never changes what a file says. The one change inside texts is
typographic: a number and its `%` or `€` are tied by a no-break space (warning W120,
`engine.check.typography`). `--check` writes nothing and exits 1 naming the files that would change;
`--diff` prints what would change. `-` reads standard input and writes the formatted text to
standard output.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from engine.base.diagnostics import RulesError, os_reason
from engine.base.source import Source
from engine.check.loader import decode_checked, display_name
from engine.check.typography import tie_units
from engine.cli import main as cli


class FormatError(Exception):
    """The formatted text would not mean the same as the original: a bug, never written."""


def register(sub: cli.Subcommands) -> None:
    """Add the `fmt` sub-command."""
    p = cli.command(sub, "fmt", run,
                    help="mettre des fichiers de règles en forme (mise en page canonique)",
                    description="Met des fichiers de règles dans la mise en page canonique : en-tête, blocs séparés "
                                "par une ligne vide, formules longues coupées avant « ou » / « et » / « sinon », "
                                "tables alignées, commentaires gardés.")
    p.add_argument("files", nargs="+", metavar="FICHIER", help="fichiers .rules (« - » : entrée standard)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="ne rien écrire ; sortie 1 si un fichier n'est pas en forme")
    mode.add_argument("--diff", action="store_true", help="afficher les changements sans rien écrire")


def run(args: argparse.Namespace) -> int:
    """Format each file; return the worst exit code."""
    status = cli.WorstExit()
    changed = []
    for path in args.files:
        try:
            original, formatted = _format(path)
        except RulesError as exc:
            status.rules_error(exc)
            continue
        except cli.UsageError as exc:
            status.usage_error(exc)
            continue
        if path == "-":
            sys.stdout.write(formatted)
            continue
        if formatted == original:
            continue
        changed.append(path)
        if args.check:
            print(f"{path} : à mettre en forme")
        elif args.diff:
            sys.stdout.writelines(difflib.unified_diff(original.splitlines(keepends=True),
                                                       formatted.splitlines(keepends=True),
                                                       f"{path} (actuel)", f"{path} (mis en forme)"))
        else:
            try:
                Path(path).write_text(formatted, encoding="utf-8")
            except OSError as exc:
                status.usage_error(f"impossible d'écrire « {path} » : {os_reason(exc)}")
                continue
            print(f"{path} : mis en forme")
    if args.check and changed:
        n = len(changed)
        print(f"{n} fichier{'s' if n > 1 else ''} à mettre en forme (lancez « regles fmt "
              + " ".join(changed) + " »)", file=sys.stderr)
        status.failed()
    return status.code


def _format(path: str) -> tuple[str, str]:
    """The original text of a file and its formatted version, checked to mean the same."""
    from engine.syntax.build import parse_file  # imported here: `regles` starts without it
    from engine.syntax.fmt import format_rule_file  # imported here: `regles` starts without it
    if path == "-":
        source = decode_checked(sys.stdin.buffer.read(), "<entrée standard>")
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise cli.UsageError(f"impossible de lire « {path} » : {os_reason(exc)}") from None
        source = decode_checked(data, display_name(Path(path)))
    tied = Source(source.name, tie_units(source.text))  # W120: `70 %` → `70\u00a0%` in quoted texts
    rule_file = parse_file(tied)
    formatted = format_rule_file(rule_file, tied.text)
    try:
        same = parse_file(Source(source.name, formatted)) == rule_file
    except RulesError:
        same = False
    if not same:
        raise FormatError(f"la mise en forme de « {path} » changerait son sens ; fichier laissé tel quel")
    return source.text, formatted
