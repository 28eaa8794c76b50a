"""Rule text coloured by the TextMate grammar of the VS Code extension, outside VS Code.

One grammar, `editors/vscode/syntaxes/regles.tmLanguage.json` (shipped in the wheel as
`engine/_grammar/regles.tmLanguage.json`), colours `.rules` files everywhere: VS Code reads it
directly, and this module applies it with Python's `re` for Pygments (`RulesLexer`, registered as
the Pygments lexer `regles`, so Sphinx, MkDocs or `pygmentize -l regles` colour rule text) and for
plain HTML. The grammar has single-line `match` rules only, written with the regular-expression
features Python and Oniguruma share; `tokens` applies them as TextMate does: at each position the
rule whose match starts first wins, ties going to the rule listed first.

Pygments comes with rich, a dependency of regles.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import ClassVar

from pygments import token as t
from pygments.lexer import Lexer

_REPO_GRAMMAR = Path(__file__).resolve().parents[2] / "editors" / "vscode" / "syntaxes" / "regles.tmLanguage.json"


def grammar_text() -> str:
    """The TextMate grammar: the copy shipped in the wheel, else the repository's."""
    shipped = resources.files("engine") / "_grammar" / "regles.tmLanguage.json"
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    return _REPO_GRAMMAR.read_text(encoding="utf-8")


@functools.cache
def _rules() -> tuple[tuple[re.Pattern[str], str | None, tuple[tuple[int, str], ...]], ...]:
    """(pattern, scope, captured groups' scopes) of each top-level rule, in order."""
    grammar = json.loads(grammar_text())
    out = []
    for include in grammar["patterns"]:
        rule = grammar["repository"][include["include"].lstrip("#")]
        captures = tuple((int(g), c["name"]) for g, c in rule.get("captures", {}).items())
        out.append((re.compile(rule["match"]), rule.get("name"), captures))
    return tuple(out)


def tokens(line: str) -> list[tuple[int, int, str]]:
    """(start, end, scope) of each scoped piece of one line, in order; gaps are blanks."""
    found, pos = [], 0
    while pos < len(line):
        best = None
        for pattern, scope, captures in _rules():
            m = pattern.search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[0].start()):
                best = (m, scope, captures)
        if best is None:
            break
        m, scope, captures = best
        if scope:
            found.append((m.start(), m.end(), scope))
        found += [(m.start(g), m.end(g), name) for g, name in captures if m.group(g) is not None]
        pos = m.end()
    return sorted(found)


_PYGMENTS = [
    ("comment", t.Comment.Single), ("string", t.String.Double), ("constant.numeric.date", t.Literal.Date),
    ("constant.numeric", t.Number), ("constant.language", t.Keyword.Constant), ("storage.modifier", t.Keyword.Pseudo),
    ("storage.type", t.Keyword.Declaration), ("entity.name.function", t.Name.Function),
    ("entity.name.namespace", t.Name.Namespace), ("support.type", t.Keyword.Type),
    ("support.function", t.Name.Builtin), ("keyword.operator", t.Operator), ("keyword", t.Keyword),
    ("variable", t.Name.Variable), ("punctuation", t.Punctuation),
]


def pygments_token(scope: str) -> t._TokenType:
    """The Pygments token type of a TextMate scope (the most specific prefix listed wins)."""
    for prefix, token_type in _PYGMENTS:
        if scope.startswith(prefix):
            return token_type
    return t.Text


class RulesLexer(Lexer):
    """Pygments lexer for `.rules` files, driven by the TextMate grammar."""

    name = "Règles"
    aliases: ClassVar[list[str]] = ["regles", "rules"]
    filenames: ClassVar[list[str]] = ["*.rules"]

    def get_tokens_unprocessed(self, text: str) -> Iterator[tuple[int, t._TokenType, str]]:
        offset = 0
        for line in text.splitlines(keepends=True):
            body = line.rstrip("\r\n")
            pos = 0
            for start, end, scope in _outermost(tokens(body)):
                if start > pos:
                    yield offset + pos, t.Text, body[pos:start]
                yield offset + start, pygments_token(scope), body[start:end]
                pos = end
            if pos < len(line):
                yield offset + pos, t.Text, line[pos:]
            offset += len(line)


def highlight_html(text: str) -> str:
    """Rule text as escaped HTML, each scoped piece in `<span class="…">` named after its scope
    (`keyword-control`, `string-quoted-double`…, the `.regles` suffix dropped)."""
    out = []
    for line in text.split("\n"):
        pos, parts = 0, []
        for start, end, scope in _outermost(tokens(line)):
            parts.append(html.escape(line[pos:start]))
            css = scope.removesuffix(".regles").replace(".", "-")
            parts.append(f'<span class="{css}">{html.escape(line[start:end])}</span>')
            pos = end
        parts.append(html.escape(line[pos:]))
        out.append("".join(parts))
    return "\n".join(out)


def _outermost(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping pieces (the first at each place: a capture before the whole match it splits)."""
    out: list[tuple[int, int, str]] = []
    for start, end, scope in found:
        if out and start < out[-1][1]:
            continue
        out.append((start, end, scope))
    return out
