"""Letters: the filters templates format values with, and the layout markers of the block macros.

Stage: letters (below `render` and `review_sheet`, which both register these filters). Values are
formatted only here, through Babel (`montant`, `pourcentage`, `nombre`, `date`, `date_courte`,
`valeur`, ordinals with superscripts), and every text a letter prints goes through `plain`, so a
fact or a rule file's text can never forge a layout marker.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

import jinja2
from babel.numbers import format_decimal
from markupsafe import Markup

from engine.lang import formatting
from engine.letters.context import (
    Manquant,
)
from engine.letters.inputs import (
    as_date,
)

WIDTH = 76
"""Columns of a plain-text letter."""


class Layout(str):
    """A layout marker, or text a layout filter built around markers: the only text of a letter that
    may carry the control characters the block macros use to pass structure through `caller()`."""


# Markers the plain-text and Typst block macros use to pass structure through `caller()`. Every value
# a template prints goes through `_finalize`, which replaces control characters: a text from a fact or
# a rule file can never forge one (a U+001C in a condition's description used to pass raw Typst).
ROW, CELL, TOTAL, NESTED = (Layout(c) for c in ("\x1e", "\x1f", "\x1d", "\x1c"))
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_END = re.compile("\r\n?")


def plain(text: object) -> str:
    """A text as a letter shows it: line ends made `\\n`, every other C0 or C1 control character
    (tabs and line feeds excepted) replaced by U+FFFD, so that it shows as text and never acts as
    markup, a layout marker or a terminal escape."""
    return _CONTROL.sub("\ufffd", _LINE_END.sub("\n", str(text)))



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
                   (re.compile(r"(\d) (%|€|ETP\b)"), "\\1\u00a0\\2"),
                   (re.compile(r"(\b(?:avenant|année|article|art\.)|n°) (?=\d)"), "\\1\u00a0")]


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
    head, _, rest = str(text).partition(NESTED)
    first = " " * retrait + puce
    wrapped = textwrap.fill(f_espaces(head), width=WIDTH, initial_indent=first,
                            subsequent_indent=" " * len(first), break_long_words=False, break_on_hyphens=False)
    return wrapped + ("\n" + rest.strip("\n") if rest.strip() else "")


def f_tableau_txt(rows: object, entetes: list[object], numeriques: Sequence[int] = ()) -> str:
    """Rows encoded by the `ligne` macro, aligned in columns under their headings."""
    body: list[tuple[bool, list[str]]] = []
    for chunk in str(rows).split(ROW)[1:]:
        total = chunk.startswith(TOTAL)
        cells = [f_espaces(c) for c in chunk.lstrip(TOTAL).split(CELL)]
        body.append((total, cells))
    head = [f_espaces(h) for h in entetes]
    count = max([len(head)] + [len(c) for _, c in body])
    grid = [head + [""] * (count - len(head))] + [c + [""] * (count - len(c)) for _, c in body]
    widths = [max(len(row[i]) for row in grid) for i in range(count)]

    def line(cells: list[str]) -> str:
        out = [c.rjust(w) if i in numeriques else c.ljust(w)
               for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return ("  " + "   ".join(out)).rstrip()

    rule = "  " + "   ".join("-" * w for w in widths)
    lines = [line(grid[0]), rule]
    for (total, _), cells in zip(body, grid[1:], strict=True):
        if total:
            lines.append(rule)
        lines.append(line(cells))
    return "\n".join(lines)


def ligne_txt(cellules: object, total: bool = False) -> Layout:
    """One row of a plain-text table (the `ligne` the `tableau` block gives its caller): the cells'
    texts, through `plain`, joined by the layout markers `tableau_txt` reads.

    A function, not a macro: a macro's output is a plain string, which `{{ … }}` cleans of control
    characters, markers included; this returns a `Layout`, which it leaves alone."""
    if isinstance(cellules, (str, bytes)) or not isinstance(cellules, Iterable):
        raise TypeError(f"une liste de cellules est attendue, reçu {type(cellules).__name__}")
    return Layout(ROW + (TOTAL if total else "") + CELL.join(plain(c) for c in cellules))


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
    parts = str(text).split(NESTED)
    shown = [part if i % 2 else f"#{f_typst(part)}" for i, part in enumerate(parts) if part.strip()]
    return "\n".join(shown)


def f_typst_date(value: object) -> str:
    """A Typst `datetime(...)` for a date (for the PDF's metadata)."""
    d = _date(value)
    return f"datetime(year: {d.year}, month: {d.month}, day: {d.day})"


LAYOUT_FILTERS = {"espaces": f_espaces, "paragraphe_txt": f_paragraphe_txt, "tableau_txt": f_tableau_txt,
                  "liste_txt": f_liste_txt, "typst": f_typst, "typst_contenu": f_typst_contenu,
                  "typst_date": f_typst_date}
LAYOUT_GLOBALS = {"LIGNE": ROW, "CELLULE": CELL, "TOTAL": TOTAL, "IMBRIQUE": NESTED, "ligne_txt": ligne_txt}


