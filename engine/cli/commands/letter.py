"""`regles letter FICHIER --facts F.json --template NOM [--caisse C.toml] [--dossier ID] [--fiche] [-o SORTIE]`.

Evaluates a rule file on a facts file and writes the letter `NOM` found in `lettres/` beside the
rule file, with a JSON record beside it (`SORTIE.json`: reference, rule-file hash, facts), or with
`--fiche` the agent's review sheet. Exit codes: 0 written; 1 the letter's template is wrong; 2 bad
usage, bad facts, facts the letter needs and nobody gave (listed with their questions), or a case
the letter is not for (`NotIssuedError`: nothing is written, the reason is printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from types import ModuleType

from engine import api
from engine.base.diagnostics import os_reason
from engine.cli import main as cli

FORMATS = ("txt", "html", "pdf")
"""The formats of `engine.letters.render.FORMATS`, repeated so that `regles` starts without loading Jinja
(tests/test_cli_startup.py checks that the two agree)."""


def register(sub: cli.Subcommands) -> None:
    """Add the `letter` sub-command."""
    p = cli.command(sub, "letter", run,
                    help="rédiger un courrier au médecin (txt, html ou pdf)",
                    description="Rédiger un courrier au médecin à partir d'un modèle du dossier lettres/ situé à "
                                "côté du fichier de règles.")
    p.add_argument("file", metavar="FICHIER")
    p.add_argument("--facts", required=True, metavar="FAITS.json")
    p.add_argument("--template", required=True, metavar="COURRIER",
                   help="nom du courrier (decision, notification_annuelle, revalorisation_2024…)")
    p.add_argument("--format", choices=FORMATS, help="txt (par défaut), html ou pdf ; déduit de -o sinon")
    p.add_argument("-o", "--output", metavar="SORTIE", help="fichier à écrire (sortie standard par défaut)")
    p.add_argument("--date", metavar="DATE", help="date du courrier, AAAA-MM-JJ ou JJ/MM/AAAA (aujourd'hui par défaut)")
    p.add_argument("--reference", metavar="RÉF", help="référence du courrier (calculée par défaut)")
    p.add_argument("--destinataire", metavar="DESTINATAIRE.json",
                   help="objet JSON : civilite, nom, adresse (liste de lignes)")
    p.add_argument("--caisse", metavar="CAISSE.toml",
                   help="réglages de la caisse (TOML : [caisse], [signataire], [recours], [marque] ; "
                        "voir examples/caisse.toml) ; un fichier .json ne donne que la section [caisse]")
    p.add_argument("--dossier", metavar="ID", help="identifiant du dossier, qui fait la référence du courrier")
    p.add_argument("--fiche", action="store_true",
                   help="écrire la fiche de contrôle de l'agent (réserves, vérifications, motif d'un refus d'émettre)")


def run(args: argparse.Namespace) -> int:
    """Render the letter; print missing facts or template errors in French."""
    from engine.letters import issuance
    from engine.letters.render import (
        LetterError,
        LetterTemplateError,
        MissingFactsError,
        NotIssuedError,
        render_with_context,
        review_sheet,
    )
    fmt = args.format or _format_of(args.output)
    if fmt == "pdf" and not args.output and sys.stdout.isatty():
        raise cli.UsageError("un courrier PDF s'écrit dans un fichier : ajouter -o COURRIER.pdf")
    options: dict[str, object] = {"date": _date(args.date), "reference": args.reference,
                                  "destinataire": _object(args.destinataire, "--destinataire"),
                                  "dossier": args.dossier}
    try:
        options.update(_caisse(args.caisse, issuance))
        if args.dossier:
            issuance.check_dossier(args.dossier)
    except LetterError as exc:
        raise cli.UsageError(str(exc)) from None
    ruleset = api.load(args.file)
    outcome = ruleset.evaluate(cli.read_facts(args.facts))
    given = {k: v for k, v in options.items() if v is not None}
    try:
        if args.fiche:
            _write(review_sheet(outcome, args.template, format=fmt, **given), args.output)
            return cli.EXIT_OK
        letter, context = render_with_context(outcome, args.template, format=fmt, **given)
    except NotIssuedError as exc:
        print(f"regles : {exc}\n  (la fiche de contrôle, --fiche, l'explique à l'agent)", file=sys.stderr)
        return cli.EXIT_USAGE
    except MissingFactsError as exc:
        print(f"regles : {exc}", file=sys.stderr)
        return cli.EXIT_USAGE
    except LetterTemplateError as exc:
        print(f"regles : erreur dans le modèle de courrier : {exc}", file=sys.stderr)
        return cli.EXIT_RULES
    except LetterError as exc:
        raise cli.UsageError(str(exc)) from None
    _write(letter, args.output)
    if args.output:
        when = context["date_courrier"]
        if not isinstance(when, dt.date):
            raise TypeError(f"the letter's date is {when!r}, not a date")
        record = issuance.record(outcome, args.template, when, str(context["reference"]), args.dossier)
        _write(json.dumps(record, ensure_ascii=False, indent=2) + "\n", args.output + ".json")
    return cli.EXIT_OK


def _caisse(path: str | None, issuance: ModuleType) -> dict[str, object]:
    """The letter options a `--caisse` file gives: a TOML settings file, or (older form) a JSON [caisse]."""
    if path is None:
        return {}
    if path.endswith(".json"):
        return {"caisse": cli.read_json_object(path, "le fichier --caisse")}
    options: dict[str, object] = issuance.letter_options(issuance.load_caisse(path))
    return options


def _format_of(output: str | None) -> str:
    """The format an output file's extension names; an unknown extension is refused, not written as text."""
    suffix = Path(output).suffix.lower().lstrip(".") if output else ""
    if suffix and suffix not in FORMATS:
        raise cli.UsageError(f"-o : extension « .{suffix} » inconnue ; un courrier s'écrit en .txt, .html ou .pdf")
    return suffix or "txt"


def _date(text: str | None) -> dt.date | None:
    """The date of `--date`, in either form facts take (`2024-06-22`, `22/06/2024`), or None."""
    if text is None:
        return None
    from engine.inputs.facts import DATE_FORMS, parse_date
    try:
        return parse_date(text)
    except ValueError:
        raise cli.UsageError(f"--date : date attendue au format {DATE_FORMS}, reçu « {text} »") from None


def _object(path: str | None, option: str) -> dict[str, object] | None:
    """The JSON object of an option's file (`--destinataire`), or None without the option."""
    return None if path is None else cli.read_json_object(path, f"le fichier {option}")


def _write(letter: str | bytes, output: str | None) -> None:
    """Write a letter to its file, or to standard output (text as text, a PDF as bytes)."""
    data = letter.encode("utf-8") if isinstance(letter, str) else letter
    if output is None:
        if isinstance(letter, str):
            sys.stdout.write(letter)
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        raise cli.UsageError(f"impossible d'écrire « {output} » : {os_reason(exc)}") from None
