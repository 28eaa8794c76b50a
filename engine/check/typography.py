"""French typography in the texts of a rule file: a number and its unit tied by a no-break space.

A rule file's texts (descriptions, questions, reasons, citations…) are quoted word for word by
explanations, letters and pages. Written `70 %` with an ordinary space, a terminal or a browser may
end a line after `70` and start the next with `%`. The checker warns (W120) at each such space,
and `regles fmt` replaces it by a no-break space (U+00A0, the one babel writes before `%` and `€`,
see `engine.lang.formatting`).

Only quoted texts are read (`"…"` and `«…»`): comments and table rows are left as written. The scan
follows the lexer's rules for them (`grammar/regles.lark`: STRING, COMMENT, TABLE_ROW) without
parsing, so it also runs on a file the parser has not read yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from engine.base.diagnostics import Diagnostic, warning
from engine.base.source import Source
from engine.lang.formatting import NBSP

_LOOSE = re.compile(r"(?<=\d) (?=[%€])")
_NUMBER_BEFORE = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?$|\d+(?:[,.]\d+)?$")


def _texts(text: str) -> Iterator[tuple[int, int]]:
    """The (start, end) offsets of the content of each quoted text, outside comments and table rows."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "#|":  # a comment, or a table row: both run to the end of the line
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            yield i + 1, min(j, n)
            i = j + 1
        elif c == "«":
            end = text.find("»", i)
            line_end = text.find("\n", i)
            if end < 0 or 0 <= line_end < end:  # not a text: the lexer reports it
                i += 1
                continue
            yield i + 1, end
            i = end + 1
        else:
            i += 1


def loose_spaces(text: str) -> list[int]:
    """The offsets of the ordinary spaces between a digit and `%` or `€` inside quoted texts."""
    return [m.start() for start, end in _texts(text) for m in _LOOSE.finditer(text, start, end)]


def tie_units(text: str) -> str:
    """The text with each of those spaces replaced by a no-break space (`regles fmt`); same length."""
    chars = list(text)
    for offset in loose_spaces(text):
        chars[offset] = NBSP
    return "".join(chars)


def loose_space_warnings(source: Source) -> list[Diagnostic]:
    """W120 at each ordinary space between a number and its unit in a quoted text, the space underlined."""
    found = []
    for offset in loose_spaces(source.text):
        unit = source.text[offset + 1]
        number = _NUMBER_BEFORE.search(source.text, max(0, offset - 30), offset)
        shown = number.group(0) if number else source.text[offset - 1]
        found.append(warning(
            "W120", f"espace ordinaire entre « {shown} » et « {unit} » : une fin de ligne peut les séparer",
            source.span(offset, offset + 1),
            f"écrivez une espace insécable (U+00A0) : « {shown}\u00a0{unit} » ; « regles fmt » la met à votre place"))
    return found
