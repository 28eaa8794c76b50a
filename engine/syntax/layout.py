"""Stage 1, the formatter's layout of expressions and types: `engine.syntax.ast` → lines of text.

The half of `regles fmt` that knows no file: literals written the French way (`12 000 €`, `7,5 %`,
`22/06/2024`), expressions on one line when they fit in `WIDTH` columns, otherwise broken before
`ou` / `et` (and `+`, `×`…) and into `si … alors … sinon si … sinon …` chains, each continuation
aligned on the column where the broken expression starts; types and their constraints. The file
writer (`engine.syntax.fmt`) places these lines, with the comments, in the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import assert_never

from engine.lang.kinds import ArithOp, LiteralKind, LogicOp
from engine.syntax import ast

WIDTH = 100
"""Formulas and enumerations are broken to stay within this many columns."""

_KIND_WORDS = {"decimal": "décimal", "booleen": "booléen", "duree": "durée"}
_CMP_WORDS = {"=": "=", "≠": "≠", "<": "<", "≤": "<=", ">": ">", "≥": ">="}
_UNIT_SINGULAR = {"jours": "jour", "ans": "an", "mois": "mois"}
_ROUND_PREPOSITION = {"centime": "au", "millier": "au", "dizaine": "à la", "centaine": "à la", "la": "à la"}

Line = tuple[str, "int | None"]
"""One output line and its anchor: the source offset of the first node written on it (or None).

In a block of lines returned by the expression layout, the first line carries no indentation (it
continues the line of the caller); the others carry their absolute indentation.
"""


def format_expr(expr: ast.Expr, column: int = 0) -> str:
    """An expression in the canonical layout, its first line starting at `column`."""
    return "\n".join(text for text, _ in expr_lines(expr, column))


def expr_lines(expr: ast.Expr, column: int = 0, level: int = 0) -> list[Line]:
    """An expression laid out from `column`, parenthesised if its precedence is below `level`."""
    return block(expr, column, level)


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
        case LiteralKind.MONEY:
            assert isinstance(value, (int, Decimal))  # the builder parsed it
            return number(value) + " €"
        case LiteralKind.PERCENT:
            assert isinstance(value, (int, Decimal))
            percent = (Decimal(value) * 100).normalize()
            return number(Decimal(format(percent, "f"))) + " %"
        case LiteralKind.DATE:
            assert isinstance(value, dt.date)
            return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
        case LiteralKind.TEXT:
            return string(str(value))
        case LiteralKind.BOOL:
            return "vrai" if value else "faux"
        case LiteralKind.NUMBER:
            assert isinstance(value, (int, Decimal))
            return number(value)
        case _:
            assert_never(lit.kind)


def precedence(e: ast.Expr) -> int:
    """The grammar level of an expression, loosest (0, `si`) to tightest (11, atoms)."""
    match e:
        case ast.If():
            return 0
        case ast.Logical(op=LogicOp.OR):
            return 1
        case ast.Logical():
            return 2
        case ast.Not():
            return 3
        case ast.Compare() | ast.Member():
            return 4
        case ast.Round():
            return 5
        case ast.Binary(op=ArithOp.ADD | ArithOp.SUB):
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
            p = precedence(e)
            return f"{flat(left, _operand_level(e, left, p))} {op} {flat(right, _operand_level(e, right, p + 1))}"
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
            word = kind.label
            return f"{word} {string(reason)}"
    raise AssertionError(f"expression inconnue : {type(e).__name__}")  # pragma: no cover


def _operand_level(parent: ast.Expr, child: ast.Expr, level: int) -> int:
    """The level an operand needs; an `et` inside an `ou` is always parenthesised, for the reader."""
    if (isinstance(parent, ast.Logical) and parent.op is LogicOp.OR
            and isinstance(child, ast.Logical) and child.op is LogicOp.AND):
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
    if isinstance(amount, ast.Literal) and amount.kind is LiteralKind.NUMBER and amount.value == 1:
        return _UNIT_SINGULAR.get(unit, unit)
    return unit


# ─── Broken expressions ──────────────────────────────────────────────────────────────────────

def _fits(column: int, text: str) -> bool:
    return column + len(text) <= WIDTH


def anchor_of(e: ast.Node) -> int | None:
    return e.span.start if e.span.line else None


def _end_column(lines: list[Line], column: int) -> int:
    return column + len(lines[0][0]) if len(lines) == 1 else len(lines[-1][0])


def prefix_lines(text: str, lines: list[Line]) -> list[Line]:
    return [(text + lines[0][0], lines[0][1]), *lines[1:]]


def _suffix(lines: list[Line], text: str) -> list[Line]:
    return [*lines[:-1], (lines[-1][0] + text, lines[-1][1])]


def indented(column: int, lines: list[Line]) -> list[Line]:
    """A block's lines as standalone lines: the first one indented to `column` too."""
    return [(" " * column + lines[0][0], lines[0][1]), *lines[1:]]


def block(e: ast.Expr, column: int, level: int) -> list[Line]:
    text = flat(e, level)
    if _fits(column, text):
        return [(text, anchor_of(e))]
    if precedence(e) < level:
        return _suffix(prefix_lines("(", block(e, column + 1, 0)), ")")
    match e:
        case ast.Logical() | ast.Binary():
            return _chain(e, column)
        case ast.If():
            return _if_chain(e, column)
        case ast.Member(set_name=None):
            return _member(e, column)
        case ast.SetLiteral():
            lines = _fill("{", [(flat(i), anchor_of(i)) for i in e.items], "}", column, column + 1)
            return [(lines[0][0], anchor_of(e)), *lines[1:]]
        case ast.Call():
            return _call(e, column)
        case ast.Not(operand=operand):
            return prefix_lines("non ", block(operand, column + 4, 3))
        case ast.Compare(op=op, left=left, right=right):
            return _infix(block(left, column, 5), column, f" {_CMP_WORDS[op]} ", right, 5)
        case ast.AsOf(operand=operand, date=date):
            return _infix(block(operand, column, 10), column, " au ", date, 11)
        case ast.Round(operand=operand, verb=verb, unit=unit):
            return _suffix(block(operand, column, 6), " " + _rounding(verb, unit))
        case ast.DurationOf(amount=amount, unit=unit):
            return _suffix(block(amount, column, 10), " " + _unit_word(amount, unit))
    return [(text, anchor_of(e))]


def _infix(left: list[Line], column: int, operator: str, right: ast.Expr, level: int) -> list[Line]:
    start = _end_column(left, column) + len(operator)
    rest = block(right, start, level)
    return [*left[:-1], (left[-1][0] + operator + rest[0][0], left[-1][1]), *rest[1:]]


def _chain(e: ast.Logical | ast.Binary, column: int) -> list[Line]:
    """`a ou b ou c` broken before each operator, the operators aligned on the first operand."""
    p = precedence(e)
    operands: list[tuple[str, ast.Expr]] = []
    current: ast.Expr = e
    while isinstance(current, (ast.Logical, ast.Binary)) and type(current) is type(e) and precedence(current) == p:
        operands.insert(0, (current.op, current.right))
        current = current.left
    lines = block(current, column, _operand_level(e, current, p))
    for op, operand in operands:
        sub = block(operand, column + len(op) + 1, _operand_level(e, operand, p + 1))
        lines += indented(column, prefix_lines(op + " ", sub))
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
            branch = [(one, anchor_of(current.condition))]
        else:
            branch = prefix_lines(keyword, block(current.condition, column + len(keyword), 1))
            then = prefix_lines("alors ", block(current.then, column + 2 + 6, 1))
            branch += indented(column + 2, then)
        lines += branch if first else indented(column, branch)
        first = False
        current = current.otherwise
    lines += indented(column, prefix_lines("sinon ", block(current, column + 6, 0)))
    return lines


def _fill(head: str, items: Sequence[tuple[str, int | None]], close: str, column: int,
          inner: int) -> list[Line]:
    """`head item, item, …close`, wrapping items greedily onto lines aligned at column `inner`."""
    lines: list[Line] = []
    text, anchor, start = head, None, column
    for index, (item, item_anchor) in enumerate(items):
        piece = item + (close if index == len(items) - 1 else ",")
        if index and not _fits(start, text + " " + piece):
            lines.append((text, anchor))
            text, anchor, start = " " * inner + piece, item_anchor, 0
        else:
            text += (" " if index else "") + piece
            anchor = item_anchor if anchor is None else anchor
    if not items:
        text += close
    lines.append((text, anchor))
    return lines


def _member(e: ast.Member, column: int) -> list[Line]:
    head = flat(e.operand, 5) + _member_word(e.negated) + "{"
    items = [(flat(i), anchor_of(i)) for i in e.items]
    lines = _fill(head, items, "}", column, column + len(head))
    return [(lines[0][0], anchor_of(e)), *lines[1:]]


def _call(e: ast.Call, column: int) -> list[Line]:
    head = (f"{e.prefix}.{e.name}" if e.prefix else e.name) + "("
    inner = column + len(head)
    args = [(flat(a), anchor_of(a)) for a in e.args]
    if all(_fits(inner, text + ",") for text, _ in args):
        filled = _fill(head, args, ")", column, inner)
        return [(filled[0][0], anchor_of(e)), *filled[1:]]
    lines: list[Line] = []
    for index, arg in enumerate(e.args):
        sub = block(arg, inner, 0)
        sub = _suffix(sub, ")" if index == len(e.args) - 1 else ",")
        lines += prefix_lines(head, sub) if index == 0 else indented(inner, sub)
    return [(lines[0][0], anchor_of(e)), *lines[1:]]


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
    assert c.high is not None  # a range has at least one bound
    return f"au plus {flat(c.high)}"


def _enum_value(v: ast.EnumValue) -> str:
    return v.name + (" " + string(v.label) if v.label is not None else "")


def type_lines(t: ast.TypeExpr, column: int) -> list[Line]:
    """A type from `column`; a long enumeration breaks after `{`, its words at four spaces."""
    text = type_text(t)
    if _fits(column, text) or not isinstance(t, ast.EnumType):
        return [(text, None)]
    items = [(_enum_value(v), anchor_of(v)) for v in t.values]
    return [("énumération {", None), *_fill("    ", items, "}", 0, 4)]
