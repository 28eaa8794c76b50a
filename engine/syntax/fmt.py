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

Formatting preserves the AST (`parse(format(text)) == parse(text)`, spans aside) and is idempotent;
both are tested with hypothesis.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import deque
from collections.abc import Iterable, Sequence
from decimal import Decimal

from attrs import frozen

from engine.syntax import ast
from engine.syntax.build import parse_file
from engine.base.source import Source

WIDTH = 100
"""Formulas and enumerations are broken to stay within this many columns."""

EXAMPLE_WIDTH = 120
"""Example lines are data an editor groups by meaning: a line is only wrapped beyond this width."""

_INDENT = "  "
_KIND_WORDS = {"decimal": "décimal", "booleen": "booléen", "duree": "durée"}
_CMP_WORDS = {"=": "=", "≠": "≠", "<": "<", "≤": "<=", ">": ">", "≥": ">="}
_UNIT_SINGULAR = {"jours": "jour", "ans": "an", "mois": "mois"}
_ROUND_PREPOSITION = {"centime": "au", "millier": "au", "dizaine": "à la", "centaine": "à la", "la": "à la"}

Line = tuple[str, "int | None"]
"""One output line and its anchor: the source offset of the first node written on it (or None).

In a block of lines returned by the expression layout, the first line carries no indentation (it
continues the line of the caller); the others carry their absolute indentation.
"""


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


def format_expr(expr: ast.Expr, column: int = 0) -> str:
    """An expression in the canonical layout, its first line starting at `column`."""
    return "\n".join(text for text, _ in expr_lines(expr, column))


def expr_lines(expr: ast.Expr, column: int = 0, level: int = 0) -> list[Line]:
    """An expression laid out from `column`, parenthesised if its precedence is below `level`."""
    return _block(expr, column, level)


# ─── Literals and flat expressions ───────────────────────────────────────────────────────────

def number(value: int | Decimal) -> str:
    """A number as a French literal: `12 000`, `7,5`, `0,075` (digits after the comma kept)."""
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    if len(whole) > 3:
        head = len(whole) % 3 or 3
        whole = " ".join([whole[:head]] + [whole[i:i + 3] for i in range(head, len(whole), 3)])
    return sign + whole + ("," + fraction if fraction else "")


def string(text: str) -> str:
    """A text literal in double quotes, escaping backslashes and quotes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal(lit: ast.Literal) -> str:
    """A literal as written in canonical form."""
    value = lit.value
    match lit.kind:
        case "money":
            return number(value) + " €"  # type: ignore[arg-type]
        case "percent":
            percent = (Decimal(value) * 100).normalize()  # type: ignore[arg-type]
            return number(Decimal(format(percent, "f"))) + " %"
        case "date":
            assert isinstance(value, dt.date)
            return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
        case "text":
            return string(str(value))
        case "bool":
            return "vrai" if value else "faux"
    return number(value)  # type: ignore[arg-type]


def precedence(e: ast.Expr) -> int:
    """The grammar level of an expression, loosest (0, `si`) to tightest (11, atoms)."""
    match e:
        case ast.If():
            return 0
        case ast.Logical(op="ou"):
            return 1
        case ast.Logical():
            return 2
        case ast.Not():
            return 3
        case ast.Compare() | ast.Member():
            return 4
        case ast.Round():
            return 5
        case ast.Binary(op="+" | "-"):
            return 6
        case ast.Binary():
            return 7
        case ast.Negate():
            return 8
        case ast.DurationOf():
            return 9
        case ast.AsOf():
            return 10
    return 11


def flat(e: ast.Expr, level: int = 0) -> str:
    """An expression on one line, in parentheses when its precedence is below `level`."""
    text = _flat(e)
    return f"({text})" if precedence(e) < level else text


def _flat(e: ast.Expr) -> str:
    match e:
        case ast.Literal():
            return literal(e)
        case ast.Name(name=name):
            return name
        case ast.Qualified(prefix=prefix, name=name):
            return f"{prefix}.{name}"
        case ast.Call(name=name, args=args, prefix=prefix):
            head = f"{prefix}.{name}" if prefix else name
            return head + "(" + ", ".join(flat(a) for a in args) + ")"
        case ast.Binary(op=op, left=left, right=right) | ast.Logical(op=op, left=left, right=right):
            return f"{flat(left, _operand_level(e, left, p := precedence(e)))} {op} {flat(right, _operand_level(e, right, p + 1))}"
        case ast.Negate(operand=operand):
            inner = flat(operand, 8)
            return "- " + inner if inner.startswith("-") else "-" + inner
        case ast.Not(operand=operand):
            return "non " + flat(operand, 3)
        case ast.Compare(op=op, left=left, right=right):
            return f"{flat(left, 5)} {_CMP_WORDS[op]} {flat(right, 5)}"
        case ast.Member(operand=operand, negated=negated, set_name=str() as set_name):
            return f"{flat(operand, 5)}{_member_word(negated)}{set_name}"
        case ast.Member(operand=operand, items=items, negated=negated):
            return f"{flat(operand, 5)}{_member_word(negated)}{{{', '.join(flat(i) for i in items)}}}"
        case ast.SetLiteral(items=items):
            return f"{{{', '.join(flat(i) for i in items)}}}"
        case ast.If(condition=c, then=t, otherwise=o):
            return f"si {flat(c, 1)} alors {flat(t, 1)} sinon {flat(o, 0)}"
        case ast.Round(operand=operand, verb=verb, unit=unit):
            return f"{flat(operand, 6)} {_rounding(verb, unit)}"
        case ast.DurationOf(amount=amount, unit=unit):
            return f"{flat(amount, 10)} {_unit_word(amount, unit)}"
        case ast.AsOf(operand=operand, date=date):
            return f"{flat(operand, 10)} au {flat(date, 11)}"
        case ast.TextOf(name=name, date=date):
            return f"texte de {name} au {flat(date, 11)}"
        case ast.InForce(date=date):
            return f"en vigueur au {flat(date, 11)}"
        case ast.Marker(kind=kind, reason=reason):
            word = "non applicable" if kind == "non_applicable" else "indéterminé"
            return f"{word} {string(reason)}"
    raise AssertionError(f"expression inconnue : {type(e).__name__}")  # pragma: no cover


def _operand_level(parent: ast.Expr, child: ast.Expr, level: int) -> int:
    """The level an operand needs; an `et` inside an `ou` is always parenthesised, for the reader."""
    if isinstance(parent, ast.Logical) and parent.op == "ou" and isinstance(child, ast.Logical) and child.op == "et":
        return 3
    return level


def _member_word(negated: bool) -> str:
    return " pas dans " if negated else " dans "


def _rounding(verb: str, unit: str) -> str:
    preposition = _ROUND_PREPOSITION.get(unit)
    if preposition is None:
        preposition = "à l'" if unit[:1].lower() in "aeiouyéèêh" else "au"
    joined = preposition + unit if preposition.endswith("'") else f"{preposition} {unit}"
    return f"{verb} {joined}"


def _unit_word(amount: ast.Expr, unit: str) -> str:
    if isinstance(amount, ast.Literal) and amount.kind == "number" and amount.value == 1:
        return _UNIT_SINGULAR.get(unit, unit)
    return unit


# ─── Broken expressions ──────────────────────────────────────────────────────────────────────

def _fits(column: int, text: str) -> bool:
    return column + len(text) <= WIDTH


def _anchor(e: ast.Node) -> int | None:
    return e.span.start if e.span.line else None


def _end_column(lines: list[Line], column: int) -> int:
    return column + len(lines[0][0]) if len(lines) == 1 else len(lines[-1][0])


def _prefix(text: str, lines: list[Line]) -> list[Line]:
    return [(text + lines[0][0], lines[0][1])] + lines[1:]


def _suffix(lines: list[Line], text: str) -> list[Line]:
    return lines[:-1] + [(lines[-1][0] + text, lines[-1][1])]


def _indented(column: int, lines: list[Line]) -> list[Line]:
    """A block's lines as standalone lines: the first one indented to `column` too."""
    return [(" " * column + lines[0][0], lines[0][1])] + lines[1:]


def _block(e: ast.Expr, column: int, level: int) -> list[Line]:
    text = flat(e, level)
    if _fits(column, text):
        return [(text, _anchor(e))]
    if precedence(e) < level:
        return _suffix(_prefix("(", _block(e, column + 1, 0)), ")")
    match e:
        case ast.Logical() | ast.Binary():
            return _chain(e, column)
        case ast.If():
            return _if_chain(e, column)
        case ast.Member(set_name=None):
            return _member(e, column)
        case ast.SetLiteral():
            lines = _fill("{", [(flat(i), _anchor(i)) for i in e.items], "}", column, column + 1)
            return [(lines[0][0], _anchor(e))] + lines[1:]
        case ast.Call():
            return _call(e, column)
        case ast.Not(operand=operand):
            return _prefix("non ", _block(operand, column + 4, 3))
        case ast.Compare(op=op, left=left, right=right):
            return _infix(_block(left, column, 5), column, f" {_CMP_WORDS[op]} ", right, 5)
        case ast.AsOf(operand=operand, date=date):
            return _infix(_block(operand, column, 10), column, " au ", date, 11)
        case ast.Round(operand=operand, verb=verb, unit=unit):
            return _suffix(_block(operand, column, 6), " " + _rounding(verb, unit))
        case ast.DurationOf(amount=amount, unit=unit):
            return _suffix(_block(amount, column, 10), " " + _unit_word(amount, unit))
    return [(text, _anchor(e))]


def _infix(left: list[Line], column: int, operator: str, right: ast.Expr, level: int) -> list[Line]:
    start = _end_column(left, column) + len(operator)
    rest = _block(right, start, level)
    return left[:-1] + [(left[-1][0] + operator + rest[0][0], left[-1][1])] + rest[1:]


def _chain(e: ast.Logical | ast.Binary, column: int) -> list[Line]:
    """`a ou b ou c` broken before each operator, the operators aligned on the first operand."""
    p = precedence(e)
    operands: list[tuple[str, ast.Expr]] = []
    current: ast.Expr = e
    while type(current) is type(e) and precedence(current) == p:
        operands.insert(0, (current.op, current.right))  # type: ignore[union-attr]
        current = current.left  # type: ignore[union-attr]
    lines = _block(current, column, _operand_level(e, current, p))
    for op, operand in operands:
        sub = _block(operand, column + len(op) + 1, _operand_level(e, operand, p + 1))
        lines += _indented(column, _prefix(op + " ", sub))
    return lines


def _if_chain(e: ast.If, column: int) -> list[Line]:
    """`si c alors a` (or `si c` / `alors a`), then `sinon si …` lines, then `sinon b`."""
    lines: list[Line] = []
    current: ast.Expr = e
    first = True
    while isinstance(current, ast.If):
        keyword = "si " if first else "sinon si "
        one = f"{keyword}{flat(current.condition, 1)} alors {flat(current.then, 1)}"
        if _fits(column, one):
            branch = [(one, _anchor(current.condition))]
        else:
            branch = _prefix(keyword, _block(current.condition, column + len(keyword), 1))
            then = _prefix("alors ", _block(current.then, column + 2 + 6, 1))
            branch += _indented(column + 2, then)
        lines += branch if first else _indented(column, branch)
        first = False
        current = current.otherwise
    lines += _indented(column, _prefix("sinon ", _block(current, column + 6, 0)))
    return lines


def _fill(head: str, items: Sequence[tuple[str, int | None]], close: str, column: int,
          inner: int) -> list[Line]:
    """`head item, item, …close`, wrapping items greedily onto lines aligned at column `inner`."""
    lines: list[Line] = []
    text, anchor, start, count = head, None, column, 0
    for index, (item, item_anchor) in enumerate(items):
        piece = item + (close if index == len(items) - 1 else ",")
        if count and not _fits(start, text + " " + piece):
            lines.append((text, anchor))
            text, anchor, start = " " * inner + piece, item_anchor, 0
        else:
            text += (" " if count else "") + piece
            anchor = item_anchor if anchor is None else anchor
        count += 1
    if not items:
        text += close
    lines.append((text, anchor))
    return lines


def _member(e: ast.Member, column: int) -> list[Line]:
    head = flat(e.operand, 5) + _member_word(e.negated) + "{"
    items = [(flat(i), _anchor(i)) for i in e.items]
    lines = _fill(head, items, "}", column, column + len(head))
    return [(lines[0][0], _anchor(e))] + lines[1:]


def _call(e: ast.Call, column: int) -> list[Line]:
    head = (f"{e.prefix}.{e.name}" if e.prefix else e.name) + "("
    inner = column + len(head)
    args = [(flat(a), _anchor(a)) for a in e.args]
    if all(_fits(inner, text + ",") for text, _ in args):
        lines = _fill(head, args, ")", column, inner)
        return [(lines[0][0], _anchor(e))] + lines[1:]
    lines: list[Line] = []
    for index, arg in enumerate(e.args):
        sub = _block(arg, inner, 0)
        sub = _suffix(sub, ")" if index == len(e.args) - 1 else ",")
        lines += _prefix(head, sub) if index == 0 else _indented(inner, sub)
    return [(lines[0][0], _anchor(e))] + lines[1:]


# ─── Types ───────────────────────────────────────────────────────────────────────────────────

def type_text(t: ast.TypeExpr) -> str:
    """A type on one line."""
    match t:
        case ast.SimpleType(kind=kind, constraint=constraint):
            word = _KIND_WORDS.get(kind, kind)
            return word + (" " + _constraint(constraint) if constraint is not None else "")
        case ast.EnumType(values=values):
            return "énumération {" + ", ".join(_enum_value(v) for v in values) + "}"
        case ast.NamedType(name=name):
            return name
    raise AssertionError(f"type inconnu : {t!r}")  # pragma: no cover


def _constraint(c: ast.Range | ast.Allowed) -> str:
    if isinstance(c, ast.Allowed):
        return "parmi {" + ", ".join(flat(v) for v in c.values) + "}"
    if c.low is not None and c.high is not None:
        return f"de {flat(c.low)} à {flat(c.high)}"
    if c.low is not None:
        return f"au moins {flat(c.low)}"
    return f"au plus {flat(c.high)}"  # type: ignore[arg-type]


def _enum_value(v: ast.EnumValue) -> str:
    return v.name + (" " + string(v.label) if v.label is not None else "")


def _type_lines(t: ast.TypeExpr, column: int) -> list[Line]:
    """A type from `column`; a long enumeration breaks after `{`, its words at four spaces."""
    text = type_text(t)
    if _fits(column, text) or not isinstance(t, ast.EnumType):
        return [(text, None)]
    items = [(_enum_value(v), _anchor(v)) for v in t.values]
    return [("énumération {", None)] + _fill("    ", items, "}", 0, 4)


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
            lines.append(f"texte {string(h.text_short)}" + (f" {string(h.text_long)}" if h.text_long is not None else ""))
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
        getattr(self, "decl_" + type(decl).__name__.lower())(decl)

    def head(self, text: str, t: ast.TypeExpr, decl: ast.Node) -> None:
        """The first line of a block (`fait nom : type`), breaking a long enumeration."""
        lines = _prefix(text, _type_lines(t, len(text)))
        self.emit(lines[0][0], _anchor(decl), 0)
        self.emit_lines(lines[1:])

    def items(self, items: Sequence[ast.Node]) -> None:
        widths = _column_widths([i for i in items if isinstance(i, ast.Row)])
        first_row = True
        for item in items:
            if isinstance(item, ast.Row):
                self.row(item, widths, first_row)
                first_row = False
            else:
                self.emit_lines(_indented(2, self.item_lines(item)), 2)

    def item_lines(self, item: ast.Node) -> list[Line]:
        anchor = _anchor(item)
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
                return _prefix(head, _block(value, 2 + len(head), 0))
        raise AssertionError(f"élément inconnu : {item!r}")  # pragma: no cover

    def end(self, decl: ast.Node) -> None:
        self.emit("fin", decl.span.end - 3 if decl.span.line else None, 2)

    def formula(self, formula: ast.Expr) -> None:
        self.emit_lines(_indented(2, _prefix("= ", _block(formula, 4, 0))))

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
            lines = _prefix(text, _block(decl.value, len(text), 0))
            self.emit(lines[0][0], _anchor(decl), 0)
            self.emit_lines(lines[1:])
        else:
            self.emit(text, _anchor(decl), 0)
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
        self.emit(f"reprend {', '.join(decl.names)} de {string(decl.file)}", _anchor(decl), 0)

    def decl_withdraw(self, decl: ast.Withdraw) -> None:
        self.emit(f"abroge {', '.join(decl.names)}", _anchor(decl), 0)

    def decl_amend(self, decl: ast.Amend) -> None:
        self.emit(f"précise {decl.prefix}.{decl.name}", _anchor(decl), 0)
        self.items(decl.items)
        self.end(decl)

    def decl_table(self, decl: ast.Table) -> None:
        self.head(f"table {decl.name} ({_params(decl.params)}) : ", decl.type, decl)
        self.table = decl
        self.items(decl.items)
        self.table = None
        self.end(decl)

    def decl_example(self, decl: ast.Example) -> None:
        self.emit(f"exemple {string(decl.title)}", _anchor(decl), 0)
        if decl.base is not None:
            self.emit(f"  reprend {string(decl.base)}")
        for group, following in _groups(decl.given):
            self.emit_lines(_entry_lines([(_given(g), _anchor(g)) for g in group], following), 2)
        self.emit("attendu")
        for group, following in _groups(decl.expected):
            self.emit_lines(_entry_lines([(_expected(e), _anchor(e)) for e in group], following), 2)
        self.end(decl)

    def decl_sourcedecl(self, decl: ast.SourceDecl) -> None:
        title = f" {string(decl.title)}" if decl.title is not None else ""
        self.emit(f"source {decl.name}{title}", _anchor(decl), 0)
        for item in decl.fields:
            self.emit("  " + _source_field(item), _anchor(item), 2)
        self.end(decl)

    def decl_schedule(self, decl: ast.Schedule) -> None:
        self.emit(f"échéancier {decl.axis} de {number(decl.first)} à {number(decl.last)}", _anchor(decl), 0)
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
        self.emit(_INDENT + line + (f"  {comment}" if comment else ""), _anchor(row), 2)
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
        return d if isinstance(d, str) else literal(ast.Literal("date", d))
    if start is not None and until is not None:
        return f"du {date(start)} au {date(until)}"
    if start is not None:
        return f"à partir du {date(start)}"
    return f"jusqu'au {date(until)}"  # type: ignore[arg-type]


def _status(status: ast.Status) -> str:
    return status.kind.label + (f" : {string(status.note)}" if status.note is not None else "")


def _source_field(item: ast.SourceField) -> str:
    """`éditeur "…"`, `date 01/12/2022` or `date "janvier 2022"`, `lien "…"`."""
    if isinstance(item.value, dt.date):
        return "date " + literal(ast.Literal("date", item.value))
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
    return f"{e.name} = {flat(e.value)}"  # type: ignore[arg-type]


def _groups(entries: Sequence[ast.Given] | Sequence[ast.Expected]) -> list[tuple[list, str | None]]:  # type: ignore[type-arg]
    """Entries of an example grouped by the source line they were written on, each group with the
    name of the entry that follows it (None for the last)."""
    groups: list[list] = []  # type: ignore[type-arg]
    last = -1
    for entry in entries:
        if entry.span.line != last or not groups:
            groups.append([])
        groups[-1].append(entry)
        last = entry.span.line
    following = [g[0].name for g in groups[1:]] + [None]
    return list(zip(groups, following))


def _entry_lines(entries: list[tuple[str, int | None]], next_name: str | None) -> list[Line]:
    """One group of example entries: `a = 1, b = 2` lines of at most EXAMPLE_WIDTH columns.

    A line ends without a comma unless the next entry's name is also a keyword of the language
    (`a`, `de`, `plus`…): after a value the parser would read that word as the keyword.
    """
    lines: list[Line] = []
    for index, (text, anchor) in enumerate(entries):
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
