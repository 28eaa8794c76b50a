"""Issuance: whether a letter may go to a doctor, the caisse's settings, references and records.

Stage: `Outcome` + the template's declaration (`lettres/NAME.toml`) + the caisse's settings
(a TOML file) → either the checked options a letter is rendered with, or `NotIssuedError` with the
reason in French. Nothing here renders text: `engine.letters.render` does, after these checks.

A declaration says which rule files a template serves, which outcomes it is for (the headline
result true, or a value), whether it is a decision (then it needs the caisse's recourse route and
a named signatory), and which dates the letter's date is checked against:

    fichiers = ["avenant7.rules", "convention2024.rules"]
    resultat = "vrai"          # or "valeur" (true or false), "manquant" (facts missing); absent: any
    nom_resultat = "NOM"       # a boolean result; absent: the rule file's headline result (`résultat principal`)
    decision = true
    valeurs_si_vrai = ["montant_maximal"]   # a case whose headline result is true must have these values
    [dates]
    apres = ["date_signature", "debut_annee_contrat"]   # the letter is dated on or after
    avant_si_vrai = ["date_limite_avance"]               # deadlines promised when the result is true

The engine knows no domain name: the result these conditions are about is the one the rule file
declares in its header, or the one `nom_resultat` names.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import tomllib
from pathlib import Path

import attrs

from engine.api import Outcome, Ruleset
from engine.base.diagnostics import os_reason
from engine.evaluate.trace import json_value
from engine.lang.results import STATUS_FRENCH, Missing, Result, Value
from engine.letters.inputs import LetterError
from engine.letters.logo import Logo, LogoError, read_logo


class NotIssuedError(LetterError):
    """The case does not fit the letter: no file is written; `reason` says why, in French."""

    def __init__(self, letter: str, reason: str) -> None:
        self.letter = letter
        self.reason = reason
        super().__init__(f"le courrier « {letter} » n'est pas émis : {reason}")


# ─── Template declarations ───────────────────────────────────────────────────────────────────

@attrs.frozen
class Declaration:
    """What a template declares in `lettres/NAME.toml` (see the module docstring)."""

    name: str
    title: str
    files: tuple[str, ...]
    state: str | None
    """What the headline result must be (`resultat`): "vrai", "valeur", "manquant"; None: anything."""
    decision: bool
    after: tuple[str, ...]
    before_if_true: tuple[str, ...]
    values_if_true: tuple[str, ...] = ()
    """Results a case whose headline result is true must have a value for: a letter does not print
    « indéterminé » as an amount."""
    measured: tuple[str, ...] = ()
    """Facts measured over the contract year: when one is given, the year must be over at the letter's date."""
    result: str | None = None
    """The result `state` is about (`nom_resultat`); None: the rule file's headline result."""
    year_start: str | None = None
    """The result giving the first day of a contract year (`[dates] debut_de_l_annee`): the year of
    `measured` ends the day before the next year's start."""
    sheet_explains: tuple[str, ...] = ()
    """Results the review sheet explains beside the headline result (`[fiche] explique`)."""
    sheet_headline_reserves: bool = False
    """Whether the letter prints the headline result itself (an acceptance or a refusal), so the
    sheet lists the reservations it rests on (`[fiche] reserves_du_resultat`)."""
    to_confirm_if_true: tuple[str, ...] = ()
    """What the agent confirms before signing a letter whose result is true (review sheet only): what
    the letter leaves unsaid because no published text settles it."""


_STATES = {"vrai", "valeur", "manquant"}
_KEYS = {"titre", "fichiers", "resultat", "nom_resultat", "decision", "dates", "fiche", "valeurs_si_vrai",
         "a_confirmer_si_vrai"}
_DATE_KEYS = {"apres", "avant_si_vrai", "mesures_de_l_annee", "debut_de_l_annee"}
_SHEET_KEYS = {"explique", "reserves_du_resultat"}


def declaration(directories: list[Path], name: str) -> Declaration:
    """The declaration of template `name`: the first `NAME.toml` found in the template directories.

    Raises:
        LetterError: no declaration, or one that is not valid (the file and key in the message).
    """
    for directory in directories:
        path = directory / f"{name}.toml"
        if path.is_file():
            return _read_declaration(str(path), name, path.stat().st_mtime_ns)
    raise LetterError(f"le courrier « {name} » n'a pas de déclaration « {name}.toml » dans lettres/ : "
                      "elle dit à quels fichiers de règles et à quels résultats il s'applique")


@functools.lru_cache(maxsize=32)
def _read_declaration(path: str, name: str, _mtime: int) -> Declaration:
    data = _toml(path, "déclaration de courrier")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise LetterError(f"{path} : clé inconnue « {unknown[0]} » ; clés possibles : {', '.join(sorted(_KEYS))}")
    state = data.get("resultat")
    if state is not None and state not in _STATES:
        raise LetterError(f"{path} : « resultat » vaut « vrai », « valeur » ou « manquant », reçu {state!r}")
    result = data.get("nom_resultat")
    if result is not None and not isinstance(result, str):
        raise LetterError(f"{path} : « nom_resultat » est le nom d'un résultat booléen, reçu {result!r}")
    dates = data.get("dates", {})
    if not isinstance(dates, dict) or set(dates) - _DATE_KEYS:
        raise LetterError(f"{path} : [dates] n'accepte que {', '.join(sorted(_DATE_KEYS))}")
    year_start = dates.get("debut_de_l_annee")
    if year_start is not None and not isinstance(year_start, str):
        raise LetterError(f"{path} : [dates] debut_de_l_annee est le nom d'un résultat de type date, "
                          f"reçu {year_start!r}")
    if dates.get("mesures_de_l_annee") and year_start is None:
        raise LetterError(f"{path} : [dates] mesures_de_l_annee demande debut_de_l_annee, le résultat qui donne le "
                          "premier jour d'une année de contrat (l'année constatée s'achève la veille de la suivante)")
    sheet = data.get("fiche", {})
    if not isinstance(sheet, dict) or set(sheet) - _SHEET_KEYS:
        raise LetterError(f"{path} : [fiche] n'accepte que {', '.join(sorted(_SHEET_KEYS))}")
    if not isinstance(sheet.get("reserves_du_resultat", False), bool):
        raise LetterError(f"{path} : [fiche] reserves_du_resultat vaut true ou false")
    return Declaration(
        name=name, title=str(data.get("titre", name)), files=_names(path, data, "fichiers"),
        state=state, decision=bool(data.get("decision", False)),
        after=_names(path, dates, "apres"), before_if_true=_names(path, dates, "avant_si_vrai"),
        measured=_names(path, dates, "mesures_de_l_annee"), values_if_true=_names(path, data, "valeurs_si_vrai"),
        result=result, year_start=year_start, sheet_explains=_names(path, sheet, "explique"),
        sheet_headline_reserves=bool(sheet.get("reserves_du_resultat", False)),
        to_confirm_if_true=_names(path, data, "a_confirmer_si_vrai", "textes"))


def _names(path: str, data: dict[str, object], key: str, what: str = "noms") -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise LetterError(f"{path} : « {key} » doit être une liste de {what}")
    names: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise LetterError(f"{path} : « {key} » doit être une liste de {what}")
        names.append(item)
    return tuple(names)


def _toml(path: str, what: str) -> dict[str, object]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise LetterError(f"impossible de lire la {what} « {path} » : {os_reason(exc)}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LetterError(f"{path} : {what} illisible (TOML) : {exc}") from None


# ─── Guards ──────────────────────────────────────────────────────────────────────────────────

def check(outcome: Outcome, decl: Declaration, when: dt.date, settings: dict[str, dict[str, object]]) -> None:
    """Raise `NotIssuedError` when the case does not fit the letter `decl` dated `when`.

    Checks, in order: the rule file is one the template serves; the headline result has the
    declared kind of value; a decision has the caisse's recourse route and a named signatory; the
    letter's date is on or after each `apres` date and on or before each deadline promised when
    the headline result is true.
    A result whose facts are missing is not a reason here: the rendering lists the missing facts.
    """
    rule_file = Path(outcome.ruleset.program.text.file).name
    if decl.files and rule_file not in decl.files:
        raise NotIssuedError(decl.name, f"il s'applique aux fichiers de règles {', '.join(decl.files)}, "
                                        f"pas à {rule_file}")
    headline = _headline_result(outcome, decl)
    if decl.state == "manquant":
        if not isinstance(headline, Missing):
            raise NotIssuedError(decl.name, "aucune information ne manque pour décider de l'éligibilité : "
                                            "envoyer la décision")
    elif decl.state and headline is not None and not isinstance(headline, Missing):
        if not isinstance(headline, Value):
            raise NotIssuedError(decl.name, f"l'éligibilité n'a pas de valeur ({STATUS_FRENCH[headline.status]} : "
                                            f"{headline.reason}) ; aucune décision ne peut être notifiée au médecin")
        if decl.state == "vrai" and headline.value is not True:
            raise NotIssuedError(decl.name, "le médecin n'est pas éligible : ce courrier ne s'adresse qu'à un "
                                            "médecin dont la demande est acceptée (envoyer une décision de refus)")
    if isinstance(headline, Value) and headline.value is True:
        for name in decl.values_if_true:
            result = outcome.result(name) if name in outcome.ruleset.program.definitions else None
            if result is not None and not isinstance(result, (Value, Missing)):
                raise NotIssuedError(decl.name, f"« {_label(outcome, name)} » n'a pas de valeur "
                                                f"({STATUS_FRENCH[result.status]} : {result.reason}) ; le courrier "
                                                "ne peut pas l'annoncer au médecin")
    if decl.decision:
        _check_decision_settings(decl.name, settings)
    _check_dates(outcome, decl, when, headline)


def to_confirm(outcome: Outcome, decl: Declaration) -> tuple[str, ...]:
    """What the agent confirms before signing this letter (`a_confirmer_si_vrai`, when the result the
    letter is about, by default the headline result, is true)."""
    name = decl.result or outcome.ruleset.program.headline
    result = outcome.result(name) if name is not None and name in outcome.ruleset.program.definitions else None
    return decl.to_confirm_if_true if isinstance(result, Value) and result.value is True else ()


_RECOURSE_NEEDED = ("commission", "adresse", "delai", "tribunal")


def _check_decision_settings(name: str, settings: dict[str, dict[str, object]]) -> None:
    recours = settings.get("recours") or {}
    lacking = [k for k in _RECOURSE_NEEDED if not recours.get(k)]
    if lacking:
        raise NotIssuedError(name, "c'est une décision, qui doit indiquer les voies et délais de recours ; les "
                                   "réglages de la caisse (--caisse CAISSE.toml) n'ont pas, dans [recours] : "
                                   + ", ".join(lacking))
    signataire = settings.get("signataire") or {}
    if not signataire.get("nom") or not signataire.get("qualite"):
        raise NotIssuedError(name, "c'est une décision, qui porte le prénom, le nom et la qualité de son "
                                   "signataire ; les réglages de la caisse n'ont pas, dans [signataire] : "
                                   + ", ".join(k for k in ("nom", "qualite") if not signataire.get(k)))


def _headline_result(outcome: Outcome, decl: Declaration) -> Result | None:
    """The result the declaration's conditions are about (`nom_resultat`, else the rule file's
    headline), or None when the declaration sets no condition and the file declares no headline.

    Raises:
        LetterError: the declaration sets a condition (`resultat`) on a result nobody names, or
            names one the rule file does not compute.
    """
    program = outcome.ruleset.program
    name = decl.result or program.headline
    if name is None:
        if decl.state is None:
            return None
        raise LetterError(f"le courrier « {decl.name} » exige resultat = {decl.state!r}, mais le fichier de règles "
                          "ne déclare pas de résultat principal (« résultat principal : nom » dans son en-tête) : "
                          "nommez-le dans la déclaration du courrier (nom_resultat = \"nom\")")
    if name not in program.definitions:
        raise LetterError(f"le courrier « {decl.name} » porte sur le résultat « {name} », que le fichier de règles "
                          "ne calcule pas")
    return outcome.result(name)


def _check_dates(outcome: Outcome, decl: Declaration, when: dt.date, headline: Result | None) -> None:
    for name in decl.after:
        day = _date_of(outcome, name)
        if day is not None and when < day:
            raise NotIssuedError(decl.name, f"le courrier serait daté du {_day(when)}, "
                                            f"avant « {_label(outcome, name)} » ({_day(day)})")
    given = [name for name in decl.measured if name in outcome.facts]
    if given:
        end = _next_year_start(outcome, decl.year_start)
        if end is not None and when < end:
            raise NotIssuedError(decl.name, f"« {_label(outcome, given[0])} » est constaté(e) sur l'année de contrat, "
                                            f"qui ne s'achève que la veille du {_day(end)} ; le courrier serait daté "
                                            f"du {_day(when)}")
    if isinstance(headline, Value) and headline.value is True:
        for name in decl.before_if_true:
            day = _date_of(outcome, name)
            if day is not None and when > day:
                raise NotIssuedError(decl.name, f"le courrier promettrait une échéance déjà passée : "
                                                f"« {_label(outcome, name)} » est le {_day(day)}, le courrier serait "
                                                f"daté du {_day(when)}")


def _next_year_start(outcome: Outcome, year_start: str | None) -> dt.date | None:
    """The first day of the next contract year: the result `year_start` (the declaration's
    `debut_de_l_annee`) evaluated for the schedule's axis + 1."""
    plan = outcome.ruleset.program.schedule
    if plan is None or year_start is None or year_start not in outcome.ruleset.program.definitions:
        return None
    year = outcome.facts.get(plan.axis)
    if not isinstance(year, int) or isinstance(year, bool):
        return None
    following = outcome.ruleset.evaluate({**outcome.facts, plan.axis: year + 1}, outputs=())
    result = following.result(year_start)
    return result.value if isinstance(result, Value) and isinstance(result.value, dt.date) else None


def _date_of(outcome: Outcome, name: str) -> dt.date | None:
    if name in outcome.facts:
        value = outcome.facts[name]
        return value if isinstance(value, dt.date) else None
    if name not in outcome.ruleset.program.definitions or name in outcome.ruleset.facts:
        return None
    result = outcome.result(name)
    return result.value if isinstance(result, Value) and isinstance(result.value, dt.date) else None


def _label(outcome: Outcome, name: str) -> str:
    definition = outcome.ruleset.program.definitions.get(name)
    description = getattr(definition, "description", None)
    if description:
        return description
    fact = outcome.ruleset.facts.get(name)
    return getattr(fact, "description", None) or getattr(fact, "question", None) or name


def _day(day: dt.date) -> str:
    from engine.lang import formatting
    return formatting.date_long(day)


# ─── The caisse's settings ───────────────────────────────────────────────────────────────────

_SECTIONS = {
    "caisse": {"nom", "service", "adresse", "ville", "telephone", "courriel"},
    "signataire": {"nom", "qualite", "delegation"},
    "recours": {"commission", "adresse", "delai", "tribunal"},
    "marque": {"couleur", "couleur_texte", "logo"},
}
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def load_caisse(path: str) -> dict[str, dict[str, object]]:
    """The caisse's settings from a TOML file: sections [caisse], [signataire], [recours], [marque].

    `[marque] logo` is a path relative to the settings file; the logo is read and checked here, once
    (`engine.letters.logo`), and the settings hold its bytes (a `Logo`), never its path.

    Raises:
        LetterError: unreadable file, unknown section or key, a value of the wrong kind, a logo that is
            missing, not a PNG or SVG, or too large.
    """
    data = _toml(path, "configuration de caisse")
    settings: dict[str, dict[str, object]] = {}
    for section, table in data.items():
        if section not in _SECTIONS:
            raise LetterError(f"{path} : section inconnue [{section}] ; sections possibles : "
                              + ", ".join(f"[{s}]" for s in _SECTIONS))
        if not isinstance(table, dict):
            raise LetterError(f"{path} : [{section}] doit être une section")
        unknown = sorted(set(table) - _SECTIONS[section])
        if unknown:
            raise LetterError(f"{path} : [{section}] : clé inconnue « {unknown[0]} » ; clés possibles : "
                              + ", ".join(sorted(_SECTIONS[section])))
        settings[section] = {key: _setting(path, section, key, value) for key, value in table.items()}
    return settings


def _setting(path: str, section: str, key: str, value: object) -> object:
    """One checked value of the settings: a list of lines, a text, a colour, or the logo read from its file."""
    if key == "adresse":
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise LetterError(f"{path} : [{section}] adresse : une liste de lignes est attendue")
        return list(value)
    if not isinstance(value, str):
        raise LetterError(f"{path} : [{section}] {key} : un texte est attendu")
    if section == "marque" and key == "logo":
        return _logo(path, value)
    if section == "marque" and not _COLOUR.match(value):
        raise LetterError(f"{path} : [marque] {key} : une couleur #RRVVBB est attendue, reçu « {value} »")
    return value


def _logo(settings_path: str, value: str) -> Logo:
    """The logo `[marque] logo` names, relative to the settings file."""
    try:
        return read_logo(Path(settings_path).parent / value)
    except LogoError as exc:
        raise LetterError(f"{settings_path} : [marque] logo : {exc.reason}") from None


# ─── References and records ──────────────────────────────────────────────────────────────────

_DOSSIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


def check_dossier(dossier: str) -> str:
    """A dossier identifier as a reference may carry it (letters, digits, `.`, `_`, `-`; 40 at most)."""
    if not _DOSSIER.match(dossier):
        raise LetterError(f"identifiant de dossier invalide « {dossier} » : lettres, chiffres, « . », « _ » "
                          "ou « - », 40 caractères au plus")
    return dossier


def reference(dossier: str | None, template: str, when: dt.date, outcome: Outcome) -> str:
    """`DOSSIER-DEC-20191015`: unique per dossier, letter and date, and stable (the same again gives the same).

    Without a dossier the reference falls back on a hash of the facts, which two doctors with the
    same facts share: the review sheet says so."""
    prefix = (template[:3] or "doc").upper()
    if dossier:
        return f"{check_dossier(dossier)}-{prefix}-{when:%Y%m%d}"
    facts = json.dumps({k: json_value(v) for k, v in sorted(outcome.facts.items())}, sort_keys=True)
    digest = hashlib.sha256(f"{template}|{outcome.ruleset.program.text.file}|{facts}".encode()).hexdigest()
    return f"AM-{prefix}-{when:%Y%m%d}-{digest[:6].upper()}"


def rules_hash(ruleset: Ruleset) -> str:
    """SHA-256 of the rule files the outcome rests on (each file's bytes, in amendment order)."""
    paths = tuple(str(Path(t.directory) / Path(t.file).name) if t.directory else t.file
                  for t in ruleset.program.texts)
    return _hash_files(paths, tuple(_mtime(p) for p in paths))


def _mtime(path: str) -> int:
    try:
        return Path(path).stat().st_mtime_ns
    except OSError:
        return 0


@functools.lru_cache(maxsize=16)
def _hash_files(paths: tuple[str, ...], _mtimes: tuple[int, ...]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        try:
            digest.update(Path(path).read_bytes())
        except OSError:
            digest.update(path.encode())
    return digest.hexdigest()


def record(outcome: Outcome, template: str, when: dt.date, ref: str, dossier: str | None) -> dict[str, object]:
    """What a rendered letter rests on, for its JSON sidecar and the register."""
    return {"reference": ref, "dossier": dossier, "courrier": template, "date": when.isoformat(),
            "regles": outcome.ruleset.program.text.file, "regles_sha256": rules_hash(outcome.ruleset),
            "faits": {k: json_value(v) for k, v in sorted(outcome.facts.items())}}


def letter_options(settings: dict[str, dict[str, object]]) -> dict[str, object]:
    """The options of `render_letter` that a caisse's settings give (caisse, signataire, recours, marque)."""
    return {key: dict(value) for key, value in settings.items()}
