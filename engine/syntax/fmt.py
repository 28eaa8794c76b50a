"""The canonical layout of a rule file: `engine.syntax.ast` (plus its comments) → text.

This is the `unparse` of the surface AST and the engine of `regles fmt`. It reads nothing but the
AST, the `#` comments kept beside it and, when given, the source text (to tell a comment at the end
of a line from a comment on its own line, and to keep the comments written inside table rows).
The layout:

- the header, one item a line, then the declarations, separated by exactly one blank line;
- block items indented by two spaces, `fin` at the margin;
- formulas on one line when they fit in `WIDTH` columns, otherwise broken before `ou` / `et`
  (and `+`, `×`…), and into `si … alors … sinon si … sinon …` chains, each continuation aligned
  on the column where the broken expression starts;
- one space around operators, French literals (`12 000 €`, `7,5 %`, `22/06/2024`, `15 jours`);
- tables as a grid: cells padded to their column's width, a `|---|` line after the header row;
  cell texts are kept exactly as written (they are part of the AST);
- comments where they were: own-line comments before what followed them, end-of-line comments
  at the end of the line that now holds the code they followed, blank lines around top-level
  comments kept (at most one).

This module writes the file (header, declarations, block items, tables, examples and comments);
the layout of expressions and types is `engine.syntax.layout`.

Formatting preserves the AST (`parse(format(text)) == parse(text)`, spans aside) and is idempotent;
both are tested with hypothesis.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import deque
from collections.abc import Iterable, Sequence
from typing import TypeVar, assert_never

from attrs import frozen

from engine.base.source import Source
from engine.lang.kinds import LiteralKind
from engine.syntax import ast
from engine.syntax.build import parse_file
from engine.syntax.layout import (
    WIDTH,
    Line,
    anchor_of,
    block,
    expr_lines,
    flat,
    format_expr,
    indented,
    literal,
    number,
    prefix_lines,
    string,
    type_lines,
    type_text,
)

__all__ = ["EXAMPLE_WIDTH", "WIDTH", "expr_lines", "format_declaration", "format_expr", "format_rule_file",
           "format_text", "keywords"]

EXAMPLE_WIDTH = 120
"""Example lines are data an editor groups by meaning: a line is only wrapped beyond this width."""

_INDENT = "  "


# ─── Public API ──────────────────────────────────────────────────────────────────────────────

def format_text(text: str, *, filename: str = "<texte>") -> str:
    """Parse a rule file and return it in the canonical layout.

    Raises:
        RulesError: the text does not parse.
    """
    rule_file = parse_file(Source(filename, text))
    return format_rule_file(rule_file, text)


def format_rule_file(rule_file: ast.RuleFile, text: str | None = None) -> str:
    """Lay out a parsed rule file; `text` is its source, used to place comments exactly."""
    return _FileWriter(rule_file, text).run()


def format_declaration(decl: ast.Declaration) -> str:
    """One declaration in the canonical layout, without comments (for documentation pages)."""
    writer = _FileWriter(ast.RuleFile(ast.Header(""), (decl,)), None)
    writer.declaration(decl)
    return "\n".join(writer.out) + "\n"


# ─── Comments ────────────────────────────────────────────────────────────────────────────────

@frozen
class _Comment:
    offset: int
    text: str
    trailing: bool
    """Code precedes it on its source line."""
    blank_before: bool
    """An empty line separates it from what precedes it."""
    line: int


def _comments(rule_file: ast.RuleFile, text: str | None) -> list[_Comment]:
    found = []
    for c in sorted(rule_file.comments, key=lambda c: c.span.start):
        trailing = blank = False
        if text is not None:
            line_start = text.rfind("\n", 0, c.span.start) + 1
            trailing = bool(text[line_start:c.span.start].strip())
            before = text[:line_start]
            blank = before[len(before.rstrip()):].count("\n") >= 2
        found.append(_Comment(c.span.start, "#" + c.text, trailing, blank, c.span.line))
    return found


def _row_comment(row_text: str) -> str | None:
    """The `# …` part of a table row (lark keeps it inside the row token), if any."""
    quoted = False
    for index, ch in enumerate(row_text):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return row_text[index:].rstrip()
    return None


_SEPARATOR = re.compile(r"^\|(\s*:?-{2,}:?\s*\|)+\s*(#.*)?$")


# ─── The file writer ─────────────────────────────────────────────────────────────────────────

class _FileWriter:
    """Writes a rule file line by line, placing each comment before the first later code."""

    def __init__(self, rule_file: ast.RuleFile, text: str | None) -> None:
        self.file = rule_file
        self.text = text
        self.pending = deque(_comments(rule_file, text))
        self.out: list[str] = []
        self.kinds: list[str] = []
        self.table: ast.Table | None = None

    # ── output primitives ──
    def emit(self, line: str, anchor: int | None = None, comment_indent: int | None = None) -> None:
        """Write a code line, first flushing the comments written before `anchor`."""
        if anchor is not None:
            indent = len(line) - len(line.lstrip(" ")) if comment_indent is None else comment_indent
            self.flush(anchor, indent)
        self.out.append(line.rstrip())
        self.kinds.append("code")

    def emit_lines(self, lines: Iterable[Line], comment_indent: int | None = None) -> None:
        for text, anchor in lines:
            self.emit(text, anchor, comment_indent)

    def blank(self) -> None:
        if self.out and self.kinds[-1] != "blank":
            self.out.append("")
            self.kinds.append("blank")

    def comment(self, c: _Comment, indent: int) -> None:
        if c.trailing and self.kinds and self.kinds[-1] == "code":
            self.out[-1] += "  " + c.text
        else:
            self.out.append(" " * indent + c.text)
            self.kinds.append("comment")

    def flush(self, before: float, indent: int) -> None:
        while self.pending and self.pending[0].offset < before:
            self.comment(self.pending.popleft(), indent)

    def top_comments(self, before: float, *, separate: bool = True) -> None:
        """Comments between two top-level blocks: end-of-line ones first, then own-line ones."""
        while self.pending and self.pending[0].offset < before and self.pending[0].trailing:
            self.comment(self.pending.popleft(), 0)
        group = []
        while self.pending and self.pending[0].offset < before:
            group.append(self.pending.popleft())
        if separate:
            self.blank()
        for index, c in enumerate(group):
            if index and c.blank_before:
                self.blank()
            self.comment(c, 0)
        if group and before != float("inf") and self._blank_between(group[-1], int(before)):
            self.blank()

    def _blank_between(self, c: _Comment, offset: int) -> bool:
        if self.text is None:
            return False
        end = self.text.find("\n", c.offset)
        return end >= 0 and self.text[end:offset].count("\n") >= 2

    # ── file ──
    def run(self) -> str:
        header = self.file.header
        if header.span.line:
            self.top_comments(header.span.start, separate=False)
        self.header(header)
        for decl in self.file.declarations:
            self.top_comments(decl.span.start if decl.span.line else float("-inf"))
            self.declaration(decl)
        if self.pending:
            self.top_comments(float("inf"))
        while self.kinds and self.kinds[-1] == "blank":
            self.out.pop()
            self.kinds.pop()
        return "\n".join(self.out) + "\n"

    def header(self, h: ast.Header) -> None:
        lines = [f"règles {string(h.title)}"]
        keys = ["règles"]
        if h.text_short is not None:
            long = f" {string(h.text_long)}" if h.text_long is not None else ""
            lines.append(f"texte {string(h.text_short)}{long}")
            keys.append("texte")
        if h.amends is not None:
            lines.append(f"modifie {string(h.amends)}")
            keys.append("modifie")
        if h.in_force_from is not None or h.in_force_until is not None:
            lines.append("en vigueur " + _period(h.in_force_from, h.in_force_until))
            keys.append("en")
        for key, line in _vocabulary_lines(h):
            lines.append(line)
            keys.append(key)
        before: dict[int, list[_Comment]] = {}
        after: dict[int, list[_Comment]] = {}
        while self.pending and h.span.line and self.pending[0].offset < h.span.end:
            c = self.pending.popleft()
            slot = self._header_slot(c, keys)
            if slot is None:
                self.pending.appendleft(c)  # becomes a leading comment of what follows the header
                break
            (after if c.trailing else before).setdefault(slot, []).append(c)
        for index, line in enumerate(lines):
            for c in before.get(index, ()):
                self.comment(c, 0)
            self.emit(line)
            for c in after.get(index, ()):
                self.comment(c, 0)

    def _header_slot(self, c: _Comment, keys: list[str]) -> int | None:
        """The header line a comment belongs to, from the first word of its (or the next) line."""
        assert self.text is not None
        source_lines = self.text.split("\n")
        if c.trailing:
            word = _first_word(source_lines[c.line - 1])
            return keys.index(_header_key(word)) if _header_key(word) in keys else 0
        for line in source_lines[c.line:]:
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                key = _header_key(_first_word(stripped))
                return keys.index(key) if key in keys and key != "règles" else None
        return None

    # ── declarations ──
    def declaration(self, decl: ast.Declaration) -> None:
        match decl:
            case ast.Fact():
                self.decl_fact(decl)
            case ast.Parameter():
                self.decl_parameter(decl)
            case ast.Rule():
                self.decl_rule(decl)
            case ast.Function():
                self.decl_function(decl)
            case ast.Table():
                self.decl_table(decl)
            case ast.Example():
                self.decl_example(decl)
            case ast.Schedule():
                self.decl_schedule(decl)
            case ast.SourceDecl():
                self.decl_sourcedecl(decl)
            case ast.Amend():
                self.decl_amend(decl)
            case ast.Reuse():
                self.decl_reuse(decl)
            case ast.Withdraw():
                self.decl_withdraw(decl)
            case _:
                assert_never(decl)

    def head(self, text: str, t: ast.TypeExpr, decl: ast.Node) -> None:
        """The first line of a block (`fait nom : type`), breaking a long enumeration."""
        lines = prefix_lines(text, type_lines(t, len(text)))
        self.emit(lines[0][0], anchor_of(decl), 0)
        self.emit_lines(lines[1:])

    def items(self, items: Sequence[ast.Node]) -> None:
        widths = _column_widths([i for i in items if isinstance(i, ast.Row)])
        first_row = True
        for item in items:
            if isinstance(item, ast.Row):
                self.row(item, widths, first_row)
                first_row = False
            else:
                self.emit_lines(indented(2, self.item_lines(item)), 2)

    def item_lines(self, item: ast.Node) -> list[Line]:
        anchor = anchor_of(item)
        match item:
            case ast.Description(text=text):
                return [(string(text), anchor)]
            case ast.SourceRef(text=text):
                return [("source " + string(text), anchor)]
            case ast.Citation(key=key, detail=detail):
                return [(f"source {key}" + (f" : {string(detail)}" if detail is not None else ""), anchor)]
            case ast.Question(text=text):
                return [("question " + string(text), anchor)]
            case ast.LetterLabel(text=text):
                return [("libellé " + string(text), anchor)]
            case ast.Unit(text=text):
                return [("unité " + string(text), anchor)]
            case ast.Replaces(prefix=prefix, name=name):
                return [(f"remplace {prefix}.{name}", anchor)]
            case ast.Internal():
                return [("interne", anchor)]
            case ast.Status():
                return [(_status(item), anchor)]
            case ast.Guard(name=name, reason=reason):
                return [(f"applicable si {name}" + (f" sinon {string(reason)}" if reason is not None else ""), anchor)]
            case ast.ValidFrom(date=date):
                return [("à partir du " + flat(date), anchor)]
            case ast.DatedValue(date=date, value=value):
                head = f"à partir du {flat(date)} : "
                return prefix_lines(head, block(value, 2 + len(head), 0))
        raise AssertionError(f"élément inconnu : {item!r}")  # pragma: no cover

    def end(self, decl: ast.Node) -> None:
        self.emit("fin", decl.span.end - 3 if decl.span.line else None, 2)

    def formula(self, formula: ast.Expr) -> None:
        self.emit_lines(indented(2, prefix_lines("= ", block(formula, 4, 0))))

    def decl_fact(self, decl: ast.Fact) -> None:
        self.head(f"fait {decl.name} : ", decl.type, decl)
        self.items(decl.items)
        self.end(decl)

    def decl_parameter(self, decl: ast.Parameter) -> None:
        text = f"paramètre {decl.name}"
        if decl.type is not None:
            text += f" : {type_text(decl.type)}"
        if decl.value is not None:
            text += " = "
            lines = prefix_lines(text, block(decl.value, len(text), 0))
            self.emit(lines[0][0], anchor_of(decl), 0)
            self.emit_lines(lines[1:])
        else:
            self.emit(text, anchor_of(decl), 0)
        self.items(decl.items)
        self.end(decl)

    def decl_rule(self, decl: ast.Rule) -> None:
        self.head(f"{'résultat' if decl.is_output else 'règle'} {decl.name} : ", decl.type, decl)
        self.items(decl.items)
        self.formula(decl.formula)
        self.end(decl)

    def decl_function(self, decl: ast.Function) -> None:
        self.head(f"fonction {decl.name} ({_params(decl.params)}) : ", decl.type, decl)
        self.items(decl.items)
        self.formula(decl.formula)
        self.end(decl)

    def decl_reuse(self, decl: ast.Reuse) -> None:
        self.emit(f"reprend {', '.join(decl.names)} de {string(decl.file)}", anchor_of(decl), 0)

    def decl_withdraw(self, decl: ast.Withdraw) -> None:
        self.emit(f"abroge {', '.join(decl.names)}", anchor_of(decl), 0)

    def decl_amend(self, decl: ast.Amend) -> None:
        self.emit(f"précise {decl.prefix}.{decl.name}", anchor_of(decl), 0)
        self.items(decl.items)
        self.end(decl)

    def decl_table(self, decl: ast.Table) -> None:
        self.head(f"table {decl.name} ({_params(decl.params)}) : ", decl.type, decl)
        self.table = decl
        self.items(decl.items)
        self.table = None
        self.end(decl)

    def decl_example(self, decl: ast.Example) -> None:
        self.emit(f"exemple {string(decl.title)}", anchor_of(decl), 0)
        if decl.base is not None:
            self.emit(f"  reprend {string(decl.base)}")
        for group, following in _groups(decl.given):
            self.emit_lines(_entry_lines([(_given(g), anchor_of(g)) for g in group], following), 2)
        self.emit("attendu")
        for expected, next_name in _groups(decl.expected):
            self.emit_lines(_entry_lines([(_expected(e), anchor_of(e)) for e in expected], next_name), 2)
        self.end(decl)

    def decl_sourcedecl(self, decl: ast.SourceDecl) -> None:
        title = f" {string(decl.title)}" if decl.title is not None else ""
        self.emit(f"source {decl.name}{title}", anchor_of(decl), 0)
        for item in decl.fields:
            self.emit("  " + _source_field(item), anchor_of(item), 2)
        self.end(decl)

    def decl_schedule(self, decl: ast.Schedule) -> None:
        self.emit(f"échéancier {decl.axis} de {number(decl.first)} à {number(decl.last)}", anchor_of(decl), 0)
        if decl.description is not None:
            self.emit("  " + string(decl.description))
        if decl.columns:
            self.emit("  colonnes " + ", ".join(decl.columns))
        if decl.totals:
            self.emit("  total " + ", ".join(decl.totals))
        self.end(decl)

    # ── tables ──
    def row(self, row: ast.Row, widths: list[int], header: bool) -> None:
        texts = [c.text for c in row.cells]
        line = "| " + " | ".join(t.ljust(widths[i]) for i, t in enumerate(texts))
        if not texts:
            line = "|"
        elif line.count('"') % 2 == 0:
            line += " |"
        raw = self._source_slice(row)
        comment = _row_comment(raw) if raw is not None else None
        self.emit(_INDENT + line + (f"  {comment}" if comment else ""), anchor_of(row), 2)
        if header:
            separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
            comment = self._separator_comment(self.table) if self.table is not None else None
            self.emit(_INDENT + separator + (f"  {comment}" if comment else ""))

    def _source_slice(self, node: ast.Node) -> str | None:
        if self.text is None or not node.span.line:
            return None
        return self.text[node.span.start:node.span.end]

    def _separator_comment(self, table: ast.Table) -> str | None:
        """The comments written on `|---|` lines of a table (not in the AST), joined."""
        raw = self._source_slice(table)
        if raw is None:
            return None
        found = [_row_comment(line) for line in raw.split("\n") if _SEPARATOR.match(line.strip())]
        return "  ".join(c for c in found if c) or None


def _first_word(line: str) -> str:
    match = re.match(r"\s*([^\W\d]\w*)", line)
    return match.group(1) if match else ""


def _header_key(word: str) -> str:
    return {"regles": "règles", "resultat": "résultat"}.get(word, word)


def _vocabulary_lines(h: ast.Header) -> list[tuple[str, str]]:
    """The headline and breakdown lines of a header, each with its first word (for comments)."""
    lines = [("résultat", f"résultat principal : {h.headline}")] if h.headline is not None else []
    if h.breakdown is not None:
        lines.append(("ventilation", "ventilation : " + ", ".join(h.breakdown)))
    return lines


def _period(start: dt.date | str | None, until: dt.date | str | None) -> str:
    def date(d: dt.date | str) -> str:
        return d if isinstance(d, str) else literal(ast.Literal(LiteralKind.DATE, d))
    if start is not None and until is not None:
        return f"du {date(start)} au {date(until)}"
    if start is not None:
        return f"à partir du {date(start)}"
    assert until is not None  # a period has at least one bound
    return f"jusqu'au {date(until)}"


def _status(status: ast.Status) -> str:
    return status.kind.label + (f" : {string(status.note)}" if status.note is not None else "")


def _source_field(item: ast.SourceField) -> str:
    """`éditeur "…"`, `date 01/12/2022` or `date "janvier 2022"`, `lien "…"`."""
    if isinstance(item.value, dt.date):
        return "date " + literal(ast.Literal(LiteralKind.DATE, item.value))
    word = {"publisher": "éditeur", "date": "date", "url": "lien"}[item.kind]
    return f"{word} {string(item.value)}"


def _params(params: tuple[ast.TableParam, ...]) -> str:
    return ", ".join(f"{p.name} : {type_text(p.type)}" for p in params)


def _given(g: ast.Given) -> str:
    return f"{g.name} = {flat(g.value)}"


def _expected(e: ast.Expected) -> str:
    if e.marker == "non_applicable":
        return f"{e.name} = non applicable"
    if e.marker == "indetermine":
        return f"{e.name} = indéterminé"
    if e.marker == "manquant":
        return f"{e.name} = manquant" + (f" ({', '.join(e.facts)})" if e.facts else "")
    assert e.value is not None  # an expectation is a marker or a value
    return f"{e.name} = {flat(e.value)}"


Entry = TypeVar("Entry", ast.Given, ast.Expected)


def _groups(entries: Sequence[Entry]) -> list[tuple[list[Entry], str | None]]:
    """Entries of an example grouped by the source line they were written on, each group with the
    name of the entry that follows it (None for the last)."""
    groups: list[list[Entry]] = []
    last = -1
    for entry in entries:
        if entry.span.line != last or not groups:
            groups.append([])
        groups[-1].append(entry)
        last = entry.span.line
    following: list[str | None] = [g[0].name for g in groups[1:]]
    return list(zip(groups, [*following, None], strict=False))  # no group: no entry follows


def _entry_lines(entries: list[tuple[str, int | None]], next_name: str | None) -> list[Line]:
    """One group of example entries: `a = 1, b = 2` lines of at most EXAMPLE_WIDTH columns.

    A line ends without a comma unless the next entry's name is also a keyword of the language
    (`a`, `de`, `plus`…): after a value the parser would read that word as the keyword.
    """
    lines: list[Line] = []
    for _index, (text, anchor) in enumerate(entries):
        if lines and len(lines[-1][0] + ", " + text) <= EXAMPLE_WIDTH:
            lines[-1] = (lines[-1][0] + ", " + text, lines[-1][1])
        else:
            if lines and text.split(" ", 1)[0] in keywords():
                lines[-1] = (lines[-1][0] + ",", lines[-1][1])
            lines.append((_INDENT + text, anchor))
    if lines and next_name in keywords():
        lines[-1] = (lines[-1][0] + ",", lines[-1][1])
    return lines


@functools.cache
def keywords() -> frozenset[str]:
    """Every word the grammar uses as a keyword (names may be some of them: `a`, `de`, `plus`…)."""
    from engine.syntax.parser import parser
    return frozenset(t.pattern.value for t in parser().terminals
                     if t.pattern.type == "str" and t.pattern.value.isalpha())


def _column_widths(rows: list[ast.Row]) -> list[int]:
    widths: list[int] = []
    for row in rows:
        for index, cell in enumerate(row.cells):
            if index == len(widths):
                widths.append(0)
            widths[index] = max(widths[index], len(cell.text))
    return widths
