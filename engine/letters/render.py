"""Letters: Jinja2 templates stored beside the rule files, rendered from an `Outcome`.

Stage: `Outcome` → letter context → sandboxed Jinja2 → text (txt, html) or Typst source → PDF.

The templates live in `lettres/` next to the rule file (falling back to the directory of the file
it amends), so a new convention brings its letters without Python. They run in a
`SandboxedEnvironment` with `StrictUndefined` and read only the context built here: results with
their statuses and reasons, unmet conditions with margins, values marked `à confirmer`, the
schedule of contract years, the facts and the rule file's texts. Values are formatted only by
the Babel-based filters registered here (`montant`, `pourcentage`, `nombre`, `date`,
`date_courte`, `valeur`). A template that reads something the outcome lacks fails with its name
and line (`LetterTemplateError`); a letter that needs facts nobody gave is not printed half-empty:
`MissingFactsError` lists them with their questions.

    >>> import engine
    >>> rs = engine.load("rulesets/avenant7.rules")
    >>> out = rs.evaluate({"specialite": "cardiologie", "secteur": 1, "rqth": False,
    ...     "nouvel_installe": False, "exercice_regroupe": True, "exercice_coordonne": True,
    ...     "option": "tiers_temps", "date_signature": "2019-10-01", "date_embauche": "2019-09-16",
    ...     "annee_contrat": 1, "file_active": 2800, "percentile_file_active": 80})
    >>> from engine.letters.issuance import letter_options, load_caisse
    >>> caisse = letter_options(load_caisse("examples/caisse.toml"))
    >>> text = engine.render_letter(out, "decision", date="2019-10-01", dossier="A-1", **caisse)
    >>> "12\\u202f000,00\\u00a0€" in text
    True
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import traceback
from pathlib import Path
from typing import Protocol, runtime_checkable

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup

from engine.api import Outcome, Ruleset
from engine.letters import issuance, typesetting
from engine.letters import review_sheet as sheet
from engine.letters import sandbox as template_sandbox
from engine.letters.context import (
    SOURCE_SUFFIX,
    LetterContext,
    State,
    letter_context,
)
from engine.letters.filters import (
    CELL,
    FILTERS,
    LAYOUT_FILTERS,
    LAYOUT_GLOBALS,
    NESTED,
    ROW,
    TOTAL,
    Layout,
    plain,
)
from engine.letters.inputs import (
    LetterError,
    LetterTemplateError,
    MissingFactsError,
    as_date,
)
from engine.letters.logo import Logo, LogoView
from engine.letters.sandbox import ConfinedLoader, LimitedSandbox, LimitExceeded

FORMATS = ("txt", "html", "pdf")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")


@runtime_checkable
class _HasHTML(Protocol):
    """A value that knows its HTML (Markup, `Manquant`): `__html__` as markupsafe defines it."""

    def __html__(self) -> str: ...


def _finalize(value: object) -> object:
    """What `{{ … }}` prints: a value's text through `plain`; layout markers and markup kept as they are."""
    if isinstance(value, Layout):
        return value
    if isinstance(value, _HasHTML):
        return Markup(plain(value.__html__()))
    return plain(value)

# ─── Public functions ────────────────────────────────────────────────────────────────────────

def render_letter(outcome: Outcome, template: str, *, format: str = "txt", **options: object) -> str | bytes:
    """Render the letter `template` for an outcome.

    Args:
        outcome: the evaluation the letter reports on.
        template: the letter's name, a file `NAME.j2` (or `NAME.<txt|html|typ>.j2`) in `lettres/`.
        format: "txt" or "html" (returns str), "pdf" (returns bytes, composed with Typst).
        **options: `destinataire` (dict: civilite, nom, adresse), `caisse` (dict: nom, service,
            adresse, ville, telephone, courriel), `date` (date or ISO string; today by default),
            `reference` (str; derived from the facts by default), `signataire` (dict or str).

    Raises:
        TypeError: `outcome` is not an Outcome, or an unknown option was given.
        ValueError: `format` is not one of txt, html, pdf.
        LetterError: no such letter, an option has the wrong shape, or `lettres/` has a link out of it.
        MissingFactsError: the letter needs facts that were not given.
        LetterTemplateError: the template is wrong (name and line in the message).
    """
    if not isinstance(outcome, Outcome):
        raise TypeError(f"render_letter() attend un Outcome, reçu {type(outcome).__name__}")
    if format not in FORMATS:
        raise ValueError(f"format « {format} » inconnu ; formats possibles : {', '.join(FORMATS)}")
    return render_with_context(outcome, template, format=format, **options)[0]


def render_with_context(outcome: Outcome, template: str, *, format: str = "txt",
                        **options: object) -> tuple[str | bytes, LetterContext]:
    """`render_letter`, also returning the context the letter was rendered from (its reference,
    date, and the `State` that knows which values it printed, for the review sheet)."""
    directories = template_directories(outcome.ruleset)
    env = _environment(tuple(str(d) for d in directories), SOURCE_SUFFIX[format])
    tmpl = _template(env, template, SOURCE_SUFFIX[format], outcome.ruleset)
    context = letter_context(outcome, template, format=format, **options)
    decl = issuance.declaration(directories, template)
    issuance.check(outcome, decl, context["date_courrier"],
                   {"recours": context["recours"], "signataire": context["signataire"]})
    logo = _logo(context)
    text = _render(tmpl, template, context, len(logo.data_uri()) if logo is not None and format == "html" else 0)
    if format == "txt":
        return _tidy_text(text), context
    if format == "html":
        return _tidy_html(text), context
    return _compile_pdf(text, template, tmpl.filename, context["date_courrier"], logo), context


def review_sheet(outcome: Outcome, template: str, *, format: str = "txt", **options: object) -> str | bytes:
    """The agent's review sheet for the letter `template` (see `engine.letters.review_sheet`): renders the
    letter (as text) to learn which values it prints, or records why it is not issued.

    Raises:
        MissingFactsError, LetterTemplateError, LetterError: as `render_letter`, except `NotIssuedError`,
            which the sheet reports instead.
    """
    if format not in FORMATS:
        raise ValueError(f"format « {format} » inconnu ; formats possibles : {', '.join(FORMATS)}")
    try:
        _, context = render_with_context(outcome, template, format="txt", **options)
        refused: str | None = None
        printed: list[tuple[Outcome, str]] | None = list(context["faits"]._state._printed.values())
        reference: str | None = context["reference"]
        when = context["date_courrier"]
    except issuance.NotIssuedError as exc:
        refused, printed, reference = exc.reason, None, None
        when = as_date(options.get("date"), "date") or dt.date.today()
    dossier = options.get("dossier")
    decl = issuance.declaration(template_directories(outcome.ruleset), template)
    confirm = () if refused else issuance.to_confirm(outcome, decl)
    title, sections = sheet.sheet_sections(outcome, template, when, reference=reference,
                                           dossier=str(dossier) if dossier else None, printed=printed,
                                           refused=refused, rules_sha256=issuance.rules_hash(outcome.ruleset),
                                           confirm=confirm, explains=decl.sheet_explains,
                                           headline_reserves=decl.sheet_headline_reserves)
    return sheet.render_sheet(format, title, sections, when)


def available_letters(ruleset: Ruleset) -> list[str]:
    """The names of the letters found beside a rule file (files starting with `_` are partials)."""
    names: set[str] = set()
    for directory in template_directories(ruleset):
        for path in directory.glob("*.j2"):
            name = path.name.split(".")[0]
            if _NAME.match(name):
                names.add(name)
    return sorted(names)


def template_directories(ruleset: Ruleset) -> list[Path]:
    """`lettres/` beside the rule file, then beside each file it amends (most recent first).

    Raises:
        LetterError: none of these directories exists, or one holds a symbolic link that leads out of it.
    """
    found: list[Path] = []
    for text in reversed(ruleset.program.texts):
        if text.directory:
            path = Path(text.directory) / "lettres"
            if path.is_dir() and path not in found:
                links = template_sandbox.links_out(path)
                if links:
                    raise LetterError(f"le dossier de courriers « {_shown_path(str(path))} » contient un lien "
                                      f"symbolique qui en sort ({_shown_path(str(links[0]))}) : les modèles et ce "
                                      "qu'ils lisent doivent être dans lettres/")
                found.append(path)
    if not found:
        where = ruleset.program.text.directory or ruleset.program.text.file
        raise LetterError(f"aucun dossier de courriers « lettres/ » à côté du fichier de règles ({where})")
    return found


# ─── Environment and rendering ───────────────────────────────────────────────────────────────

@functools.lru_cache(maxsize=16)
def _environment(directories: tuple[str, ...], suffix: str) -> SandboxedEnvironment:
    env = LimitedSandbox(
        loader=ConfinedLoader(list(directories)), undefined=jinja2.StrictUndefined,
        autoescape=suffix == "html", trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        auto_reload=True, finalize=_finalize)
    env.filters.update(FILTERS)
    env.filters.update(LAYOUT_FILTERS)
    env.globals.update(LAYOUT_GLOBALS)
    template_sandbox.limit_filters(env.filters)
    for unused in ("lipsum", "cycler", "joiner"):
        env.globals.pop(unused, None)
    return env


def _template(env: SandboxedEnvironment, name: str, suffix: str, ruleset: Ruleset) -> jinja2.Template:
    if not isinstance(name, str) or not _NAME.match(name):
        raise LetterError(f"nom de courrier invalide « {name} » ; courriers disponibles : "
                          + ", ".join(available_letters(ruleset)))
    try:
        return env.get_or_select_template([f"{name}.{suffix}.j2", f"{name}.j2"])
    except jinja2.TemplatesNotFound:
        raise LetterError(f"courrier inconnu « {name} » ; courriers disponibles : "
                          + (", ".join(available_letters(ruleset)) or "aucun")) from None
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_error(exc, name) from None


def _syntax_error(exc: jinja2.TemplateSyntaxError, name: str) -> LetterTemplateError:
    return LetterTemplateError(_shown_path(exc.filename or exc.name or name), exc.lineno,
                               f"erreur de syntaxe du modèle : {exc.message}")


def _render(tmpl: jinja2.Template, name: str, context: LetterContext, allowance: int = 0) -> str:
    """The template's text; `allowance` is output the budget must not count (the logo's `data:` URI)."""
    state: State = context["faits"]._state
    try:
        text = template_sandbox.render(tmpl, context, allowance)
    except jinja2.TemplateSyntaxError as exc:
        if state._missing:
            raise _missing_error(name, state) from None
        raise _syntax_error(exc, name) from None
    except Exception as exc:  # noqa: BLE001 - every template failure becomes a LetterTemplateError
        if state._missing:
            raise _missing_error(name, state) from None
        path, line = _template_position(exc, tmpl)
        raise LetterTemplateError(path, line, _french_message(exc)) from None
    if state._missing:
        raise _missing_error(name, state)
    return text


def _missing_error(name: str, state: State) -> MissingFactsError:
    facts = state._outcome.ruleset.facts
    return MissingFactsError(name, [(f, facts[f].question if f in facts else None) for f in sorted(state._missing)])


def _template_position(exc: BaseException, tmpl: jinja2.Template) -> tuple[str, int | None]:
    """The template file and line where the error arose (Jinja rewrites tracebacks to them)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return _shown_path(frame.filename), frame.lineno
    return _shown_path(tmpl.filename or tmpl.name or "?"), None


def _shown_path(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


_UNDEFINED_PATTERNS = [
    (re.compile(r"^'([^']+)' is undefined$"), "« {0} » n'est pas défini dans le contexte du courrier"),
    (re.compile(r"^'(.+?)' has no attribute '([^']+)'$"), "« {1} » n'existe pas ({0})"),
    (re.compile(r"^'(.+?)' object has no attribute '([^']+)'$"), "« {1} » n'existe pas ({0})"),
]


def _french_message(exc: BaseException) -> str:
    message = str(exc)
    if isinstance(exc, LimitExceeded):
        return f"limite des modèles dépassée : {message}"
    if isinstance(exc, SecurityError):
        return f"accès refusé par le bac à sable des modèles : {message}"
    if isinstance(exc, jinja2.UndefinedError):
        for pattern, french in _UNDEFINED_PATTERNS:
            match = pattern.match(message)
            if match:
                return french.format(*match.groups())
        return message
    return f"{type(exc).__name__} : {message}"


def _tidy_text(text: str) -> str:
    """A text letter: trailing spaces removed, at most one blank line in a row."""
    return _tidy(text, r"\n{3,}", "\n\n")


def _tidy_html(text: str) -> str:
    """An HTML letter: trailing spaces and blank lines removed."""
    return _tidy(text, r"\n{2,}", "\n")


def _tidy(text: str, blank_lines: str, replacement: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    out = re.sub(blank_lines, replacement, "\n".join(lines)).strip("\n") + "\n"
    _check_markers(out)
    return out


def _check_markers(text: str) -> None:
    if any(m in text for m in (ROW, CELL, TOTAL, NESTED)):
        raise LetterTemplateError("?", None, "un bloc de tableau ou de liste est utilisé hors de son macro")


def _logo(context: LetterContext) -> Logo | None:
    view = context["marque"].get("logo")
    return view.logo if isinstance(view, LogoView) else None


def _compile_pdf(source: str, name: str, filename: str | None, when: dt.date, logo: Logo | None) -> bytes:
    """The PDF of a letter's Typst source, with a copy of the caisse's logo (`marque.logo.fichier`)."""
    import typst
    try:
        return typesetting.typeset(source, when, {logo.filename: logo.data} if logo is not None else None)
    except typst.TypstError as exc:
        detail = getattr(exc, "message", None) or str(exc)
        raise LetterTemplateError(_shown_path(filename or name), None,
                                  f"la composition PDF (Typst) a échoué : {detail}") from None


NotIssuedError = issuance.NotIssuedError

__all__ = ["FILTERS", "FORMATS", "LetterError", "LetterTemplateError", "MissingFactsError", "NotIssuedError",
           "available_letters", "letter_context", "render_letter", "render_with_context", "review_sheet",
           "template_directories"]
