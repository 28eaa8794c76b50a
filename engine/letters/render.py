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
import textwrap
import traceback
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Protocol, runtime_checkable

import jinja2
from babel.numbers import format_decimal
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup

from engine.lang import formatting
from engine.letters import issuance
from engine.letters import sandbox as template_sandbox
from engine.letters import typesetting
from engine.api import Outcome, Ruleset
from engine.letters.context import (
    SOURCE_SUFFIX,
    LetterContext,
    Manquant,
    State,
    letter_context,
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
_WIDTH = 76


class _Layout(str):
    """A layout marker, or text a layout filter built around markers: the only text of a letter that
    may carry the control characters the block macros use to pass structure through `caller()`."""


# Markers the plain-text and Typst block macros use to pass structure through `caller()`. Every value
# a template prints goes through `_finalize`, which replaces control characters: a text from a fact or
# a rule file can never forge one (a U+001C in a condition's description used to pass raw Typst).
_ROW, _CELL, _TOTAL, _NESTED = (_Layout(c) for c in ("\x1e", "\x1f", "\x1d", "\x1c"))
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_END = re.compile("\r\n?")


def plain(text: object) -> str:
    """A text as a letter shows it: line ends made `\\n`, every other C0 or C1 control character
    (tabs and line feeds excepted) replaced by U+FFFD, so that it shows as text and never acts as
    markup, a layout marker or a terminal escape."""
    return _CONTROL.sub("\ufffd", _LINE_END.sub("\n", str(text)))


@runtime_checkable
class _HasHTML(Protocol):
    """A value that knows its HTML (Markup, `Manquant`): `__html__` as markupsafe defines it."""

    def __html__(self) -> str: ...


def _finalize(value: object) -> object:
    """What `{{ … }}` prints: a value's text through `plain`; layout markers and markup kept as they are."""
    if isinstance(value, _Layout):
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
    from engine.letters import review_sheet as sheet  # here: the sheet's module uses this one's filters
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
    confirm = () if refused else issuance.to_confirm(outcome, issuance.declaration(
        template_directories(outcome.ruleset), template))
    title, sections = sheet.sheet_sections(outcome, template, when, reference=reference,
                                           dossier=str(dossier) if dossier else None, printed=printed,
                                           refused=refused, rules_sha256=issuance.rules_hash(outcome.ruleset),
                                           confirm=confirm)
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


# ─── Filters (French formatting through Babel) ───────────────────────────────────────────────

def _minus(text: str) -> str:
    """A number's text with U+2212 for its minus sign (Babel writes a hyphen-minus)."""
    return text.replace("-", "\u2212")


def f_montant(value: object) -> str:
    """`12 000,00 €`, `−417,00 €`."""
    return "" if _absent(value) else _minus(formatting.money(_number(value)))


def f_pourcentage(value: object) -> str:
    """`7,5 %`; an exact fraction as `25/34 (≈ 73,53 %)`, so a reader can redo the product."""
    if _absent(value):
        return ""
    number = _number(value)
    if isinstance(number, Fraction):
        approx = format_decimal(Decimal(number.numerator) / Decimal(number.denominator) * 100, format="#,##0.##",
                                locale=formatting.LOCALE)
        return _minus(f"{number.numerator}/{number.denominator} (≈\u00a0{approx}\u00a0%)")
    return _minus(formatting.percent(number))


def f_nombre(value: object) -> str:
    """`2 800`, `294,375`."""
    return "" if _absent(value) else _minus(formatting.number(_number(value)))


def f_date(value: object) -> str:
    """`22 juin 2024`, `1er octobre 2019` (with no-break spaces: a date is never split)."""
    if _absent(value):
        return ""
    return formatting.date_long(_date(value)).replace(" ", "\u00a0")


def f_ordinal(value: object, genre: str = "f") -> str:
    """`1re` (or `1er` with genre="m"), `2e`, `3e`: an ordinal as French abbreviates it."""
    if _absent(value):
        return ""
    n = int(_number(value))
    return f"{n}{('re' if genre == 'f' else 'er') if n == 1 else 'e'}"


def f_initiale(value: object) -> str:
    """The text with its first letter in upper case (unlike `capitalize`, the rest is kept)."""
    if _absent(value):
        return ""
    text = str(value)
    return text[:1].upper() + text[1:]


def f_date_courte(value: object) -> str:
    """`22/06/2024`."""
    return "" if _absent(value) else formatting.date_short(_date(value))


def f_valeur(value: object) -> str:
    """Any value by its Python type: `oui`/`non`, a long date, a French number, text as is."""
    if _absent(value):
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dt.date):
        return formatting.date_long(value)
    if isinstance(value, (int, Decimal, Fraction)):
        return formatting.number(value)
    return str(value)


_ORDINAL = re.compile(r"\b(\d+)(er|re|e)\b")
_SUPERSCRIPT_PDF = {"er": "\u1d49\u02b3", "re": "\u02b3\u1d49", "e": "\u1d49"}


def superscript(text: str, fmt: object) -> str:
    """Ordinal suffixes raised: `<sup>er</sup>` in HTML, the Unicode modifier letters `ᵉʳ`, `ʳᵉ`, `ᵉ`
    in PDF (its texts are Typst string literals, where markup cannot go); plain text unchanged."""
    if fmt == "html":
        return Markup(_ORDINAL.sub(r"\1<sup>\2</sup>", str(Markup.escape(text))))
    if fmt == "pdf":
        return _ORDINAL.sub(lambda m: m.group(1) + _SUPERSCRIPT_PDF[m.group(2)], text)
    return text


@jinja2.pass_context
def _date_raised(context: jinja2.runtime.Context, value: object) -> str:
    return superscript(f_date(value), context.get("format"))


@jinja2.pass_context
def _ordinal_raised(context: jinja2.runtime.Context, value: object, genre: str = "f") -> str:
    return superscript(f_ordinal(value, genre), context.get("format"))


FILTERS = {"montant": f_montant, "pourcentage": f_pourcentage, "nombre": f_nombre, "date": _date_raised,
           "date_courte": f_date_courte, "valeur": f_valeur, "ordinal": _ordinal_raised, "initiale": f_initiale}


def _date(value: object) -> dt.date:
    """A filter's date (a `date` or an ISO text); nothing is not a date."""
    day = as_date(value, "date")
    if day is None:
        raise TypeError("une date est attendue, reçu None")
    return day


def _number(value: object) -> int | Decimal | Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, Fraction, str, float)):
        raise TypeError(f"un nombre est attendu, reçu {type(value).__name__} ({value!r})")
    if isinstance(value, (str, float)):
        try:
            return Decimal(str(value))
        except ArithmeticError:
            raise TypeError(f"un nombre est attendu, reçu {value!r}") from None
    return value


def _absent(value: object) -> bool:
    """Whether a filter got a value whose facts are missing; an undefined value fails here, with its hint."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError, naming what was undefined
    return isinstance(value, Manquant)


# ─── Layout filters (used by the `_blocs.*.j2` partials, not by letters) ─────────────────────

_SPACES = re.compile(r"[ \t\r\n]+")
_FRENCH_SPACING = [(re.compile(r"« "), "«\u00a0"), (re.compile(r" (»|:|;|\?|!)"), "\u00a0\\1"),
                   (re.compile(r"(\d) (%|€|ETP\b)"), "\\1\u00a0\\2"), (re.compile(r"(\b(?:avenant|année|article|art\.)|n°) (?=\d)"), "\\1\u00a0")]


def f_espaces(text: object) -> str:
    """Collapse runs of ordinary white space (never the no-break spaces of numbers), and keep
    French punctuation on its line: `«`, `»`, `:`, `;`, `?`, `!` get a no-break space. Control
    characters are replaced (`plain`)."""
    result = _SPACES.sub(" ", plain(text)).strip()
    for pattern, replacement in _FRENCH_SPACING:
        result = pattern.sub(replacement, result)
    return Markup(result) if isinstance(text, Markup) else result


def f_paragraphe_txt(text: object, retrait: int = 0, puce: str = "") -> str:
    """A paragraph wrapped to the letter's width; `puce` hangs before the first line."""
    head, _, rest = str(text).partition(_NESTED)
    first = " " * retrait + puce
    wrapped = textwrap.fill(f_espaces(head), width=_WIDTH, initial_indent=first,
                            subsequent_indent=" " * len(first), break_long_words=False, break_on_hyphens=False)
    return wrapped + ("\n" + rest.strip("\n") if rest.strip() else "")


def f_tableau_txt(rows: object, entetes: list[object], numeriques: Sequence[int] = ()) -> str:
    """Rows encoded by the `ligne` macro, aligned in columns under their headings."""
    body: list[tuple[bool, list[str]]] = []
    for chunk in str(rows).split(_ROW)[1:]:
        total = chunk.startswith(_TOTAL)
        cells = [f_espaces(c) for c in chunk.lstrip(_TOTAL).split(_CELL)]
        body.append((total, cells))
    head = [f_espaces(h) for h in entetes]
    count = max([len(head)] + [len(c) for _, c in body])
    grid = [head + [""] * (count - len(head))] + [c + [""] * (count - len(c)) for _, c in body]
    widths = [max(len(row[i]) for row in grid) for i in range(count)]

    def line(cells: list[str]) -> str:
        out = [c.rjust(w) if i in numeriques else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return ("  " + "   ".join(out)).rstrip()

    rule = "  " + "   ".join("-" * w for w in widths)
    lines = [line(grid[0]), rule]
    for (total, _), cells in zip(body, grid[1:]):
        if total:
            lines.append(rule)
        lines.append(line(cells))
    return "\n".join(lines)


def ligne_txt(cellules: object, total: bool = False) -> _Layout:
    """One row of a plain-text table (the `ligne` the `tableau` block gives its caller): the cells'
    texts, through `plain`, joined by the layout markers `tableau_txt` reads.

    A function, not a macro: a macro's output is a plain string, which `{{ … }}` cleans of control
    characters, markers included; this returns a `_Layout`, which it leaves alone."""
    if isinstance(cellules, (str, bytes)) or not isinstance(cellules, Iterable):
        raise TypeError(f"une liste de cellules est attendue, reçu {type(cellules).__name__}")
    return _Layout(_ROW + (_TOTAL if total else "") + _CELL.join(plain(c) for c in cellules))


def f_liste_txt(text: object) -> str:
    """The lines of a list, without the blank lines its template source left between items."""
    return "\n".join(line for line in str(text).split("\n") if line.strip())


def f_typst(text: object) -> str:
    """A Typst string literal for a text (typographic apostrophes, spaces collapsed).

    Inside a string literal nothing is markup; `\\` and `"` are escaped, and `f_espaces` has already
    replaced every control character, so the literal cannot be closed or broken by what it holds."""
    value = f_espaces(text).replace("'", "\u2019")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def f_typst_contenu(text: object) -> str:
    """Inline text as Typst (`#"…"`), with the nested blocks already written in Typst kept as they are.

    A nested block (`sous_liste`) is enclosed in two `IMBRIQUE` markers, so any text after it is
    still a string literal, never markup."""
    parts = str(text).split(_NESTED)
    shown = [part if i % 2 else f"#{f_typst(part)}" for i, part in enumerate(parts) if part.strip()]
    return "\n".join(shown)


def f_typst_date(value: object) -> str:
    """A Typst `datetime(...)` for a date (for the PDF's metadata)."""
    d = _date(value)
    return f"datetime(year: {d.year}, month: {d.month}, day: {d.day})"


LAYOUT_FILTERS = {"espaces": f_espaces, "paragraphe_txt": f_paragraphe_txt, "tableau_txt": f_tableau_txt,
                  "liste_txt": f_liste_txt, "typst": f_typst, "typst_contenu": f_typst_contenu,
                  "typst_date": f_typst_date}
LAYOUT_GLOBALS = {"LIGNE": _ROW, "CELLULE": _CELL, "TOTAL": _TOTAL, "IMBRIQUE": _NESTED, "ligne_txt": ligne_txt}


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
    if any(m in text for m in (_ROW, _CELL, _TOTAL, _NESTED)):
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
