"""Stage 1, building expressions: lark expression trees → `engine.syntax.ast` expressions and literals.

The part of the tree builder that every other part uses: positions (`span`), errors (`fail`), names
(keywords refused, E107), literals parsed into values (`12 000 €` → Decimal 12000, `7,5 %` →
0.075, `22/06/2024` → a date) and one method per expression rule of the grammar. The declarations,
items and table rows are built by `engine.syntax.build`, which derives from `ExprBuilder`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from lark import Token, Tree

from engine.base.diagnostics import Diagnostic, error
from engine.base.source import NOWHERE, Source, Span
from engine.lang.kinds import ArithOp, CompareOp, LiteralKind, LogicOp, MarkerKind
from engine.lang.values import MAGNITUDE_DIGITS, parse_date, parse_number
from engine.syntax import ast
from engine.syntax.parser import reserved_words

_MAGNITUDE = 10 ** MAGNITUDE_DIGITS

MAX_DIGITS = 28
"""Longest number literal (E120): exact arithmetic keeps 28 significant digits."""

_CMP = {"=": CompareOp.EQ, "≠": CompareOp.NE, "!=": CompareOp.NE, "<>": CompareOp.NE, "<": CompareOp.LT,
        "<=": CompareOp.LE, "≤": CompareOp.LE, ">": CompareOp.GT, ">=": CompareOp.GE, "≥": CompareOp.GE}
_OPS = {"+": ArithOp.ADD, "-": ArithOp.SUB, "×": ArithOp.MUL, "*": ArithOp.MUL, "/": ArithOp.DIV, "÷": ArithOp.DIV}
_UNITS = {"jour": "jours", "jours": "jours", "mois": "mois", "an": "ans", "ans": "ans",
          "année": "ans", "années": "ans", "annee": "ans", "annees": "ans"}


Child = Tree[Token] | Token
"""What lark's `Tree.children` holds: a subtree or a terminal."""


def as_token(child: Child) -> Token:
    """A child the grammar makes a terminal (a name, a number, a string).

    Raises:
        TypeError: the builder and the grammar disagree (a bug, never bad input).
    """
    if isinstance(child, Token):
        return child
    raise TypeError(f"grammar and builder disagree: a terminal was expected, not the tree {child.data!r}")


def as_tree(child: Child) -> Tree[Token]:
    """A child the grammar makes a subtree (a rule).

    Raises:
        TypeError: the builder and the grammar disagree (a bug, never bad input).
    """
    if isinstance(child, Tree):
        return child
    raise TypeError(f"grammar and builder disagree: a subtree was expected, not the terminal {child.type}")


class ExprBuilder:
    """Converts one source's lark expression trees to AST nodes, collecting diagnostics as it goes."""

    def __init__(self, source: Source, offset: int = 0) -> None:
        self.source = source
        self.offset = offset
        self.diagnostics: list[Diagnostic] = []

    # ── positions ──
    def span(self, node: Tree | Token | None) -> Span:
        """The span of a tree or token, in the whole source."""
        if isinstance(node, Token):
            if node.start_pos is None:
                return NOWHERE
            return self.source.span(self.offset + node.start_pos, self.offset + (node.end_pos or node.start_pos))
        if isinstance(node, Tree) and not node.meta.empty:
            return self.source.span(self.offset + node.meta.start_pos, self.offset + node.meta.end_pos)
        return NOWHERE

    def fail(self, code: str, message: str, node: Tree | Token | Span, hint: str | None = None) -> None:
        span = node if isinstance(node, Span) else self.span(node)
        self.diagnostics.append(error(code, message, span, hint))

    # ── file ──

    def name(self, child: Child) -> str:
        """A declared or referenced name; keywords are refused (E107)."""
        token = as_token(child)
        text = str(token)
        if text in reserved_words():
            self.fail("E107", f"« {text} » est un mot réservé du langage et ne peut pas servir de nom",
                      token, f"choisissez un autre nom, par exemple « {text}_valeur »")
        return text

    # ── expressions ──
    def expr(self, tree: Tree | Token) -> ast.Expr:
        if isinstance(tree, Token):  # a bare NAME inlined by `?` rules
            return ast.Name(self.name(tree), span=self.span(tree))
        span = self.span(tree)
        match tree.data:
            case "number":
                return self.x_number(tree, span)
            case "money":
                return self.x_money(tree, span)
            case "percent":
                return self.x_percent(tree, span)
            case "date":
                return self.x_date(tree, span)
            case "text":
                return self.x_text(tree, span)
            case "true":
                return self.x_true(tree, span)
            case "false":
                return self.x_false(tree, span)
            case "name":
                return self.x_name(tree, span)
            case "qualified":
                return self.x_qualified(tree, span)
            case "call":
                return self.x_call(tree, span)
            case "qualified_call":
                return self.x_qualified_call(tree, span)
            case "binary":
                return self.x_binary(tree, span)
            case "negate":
                return self.x_negate(tree, span)
            case "or_expr":
                return self.x_or_expr(tree, span)
            case "and_expr":
                return self.x_and_expr(tree, span)
            case "not_expr":
                return self.x_not_expr(tree, span)
            case "compare":
                return self.x_compare(tree, span)
            case "member":
                return self.x_member(tree, span)
            case "not_member":
                return self.x_not_member(tree, span)
            case "member_named":
                return self.x_member_named(tree, span)
            case "not_member_named":
                return self.x_not_member_named(tree, span)
            case "set_literal":
                return self.x_set_literal(tree, span)
            case "if_expr":
                return self.x_if_expr(tree, span)
            case "round_expr":
                return self.x_round_expr(tree, span)
            case "duration":
                return self.x_duration(tree, span)
            case "as_of":
                return self.x_as_of(tree, span)
            case "text_of":
                return self.x_text_of(tree, span)
            case "in_force_at":
                return self.x_in_force_at(tree, span)
            case "not_applicable":
                return self.x_not_applicable(tree, span)
            case "undetermined":
                return self.x_undetermined(tree, span)
            case _:
                raise TypeError(f"grammar and builder disagree: no expression rule {tree.data!r}")

    def x_number(self, tree: Tree, span: Span) -> ast.Literal:
        return ast.Literal(LiteralKind.NUMBER, self.number(tree.children[0]), span=span)

    def x_money(self, tree: Tree, span: Span) -> ast.Literal:
        return ast.Literal(LiteralKind.MONEY, Decimal(self.number(tree.children[0])), span=span)

    def x_percent(self, tree: Tree, span: Span) -> ast.Literal:
        return ast.Literal(LiteralKind.PERCENT, Decimal(self.number(tree.children[0])) / 100, span=span)

    def number(self, child: Child) -> int | Decimal:
        """A number literal; one of more than MAX_DIGITS digits is refused (E120), not parsed."""
        token = as_token(child)
        text = str(token)
        if sum(c.isdigit() for c in text) > MAX_DIGITS:
            self.fail("E120", f"nombre trop long : {sum(c.isdigit() for c in text)} chiffres (au plus {MAX_DIGITS})",
                      token, "vérifiez le nombre")
            return 0
        value = parse_number(text)
        if abs(value) >= _MAGNITUDE:  # beyond what exact arithmetic computes (engine.lang.values)
            self.fail("E120", f"nombre trop grand : {len(str(int(value)))} chiffres avant la virgule "
                              f"(au plus {MAGNITUDE_DIGITS})", token, "vérifiez le nombre")
            return 0
        return value

    def x_date(self, tree: Tree, span: Span) -> ast.Literal:
        return ast.Literal(LiteralKind.DATE, self.date_value(tree.children[0]), span=span)

    def date_value(self, child: Child) -> dt.date:
        """A date literal; an impossible one (30/02/2024) is reported (E108)."""
        token = as_token(child)
        try:
            return parse_date(str(token))
        except ValueError:
            self.fail("E108", f"date impossible « {token} »", token,
                      "vérifiez le jour et le mois : une date s'écrit jj/mm/aaaa")
            return parse_date("01/01/2000")

    def x_text(self, tree: Tree, span: Span) -> ast.Literal:
        return ast.Literal(LiteralKind.TEXT, string_value(tree.children[0]), span=span)

    def x_true(self, tree: Tree, span: Span) -> ast.Literal:
        return ast.Literal(LiteralKind.BOOL, True, span=span)

    def x_false(self, tree: Tree, span: Span) -> ast.Literal:
        return ast.Literal(LiteralKind.BOOL, False, span=span)

    def x_name(self, tree: Tree, span: Span) -> ast.Name:
        return ast.Name(self.name(tree.children[0]), span=span)

    def x_qualified(self, tree: Tree, span: Span) -> ast.Qualified:
        return ast.Qualified(str(tree.children[0]), str(tree.children[1]), span=span)

    def x_call(self, tree: Tree, span: Span) -> ast.Call:
        name, *args = tree.children
        return ast.Call(str(name), tuple(self.expr(a) for a in args), span=span)

    def x_qualified_call(self, tree: Tree, span: Span) -> ast.Call:
        prefix, name, *args = tree.children
        return ast.Call(str(name), tuple(self.expr(a) for a in args), str(prefix), span=span)

    def x_binary(self, tree: Tree, span: Span) -> ast.Binary:
        left, op, right = tree.children
        return ast.Binary(_OPS[str(op.children[0])], self.expr(left), self.expr(right), span=span)

    def x_negate(self, tree: Tree, span: Span) -> ast.Negate:
        return ast.Negate(self.expr(tree.children[0]), span=span)

    def x_or_expr(self, tree: Tree, span: Span) -> ast.Logical:
        return ast.Logical(LogicOp.OR, self.expr(tree.children[0]), self.expr(tree.children[1]), span=span)

    def x_and_expr(self, tree: Tree, span: Span) -> ast.Logical:
        return ast.Logical(LogicOp.AND, self.expr(tree.children[0]), self.expr(tree.children[1]), span=span)

    def x_not_expr(self, tree: Tree, span: Span) -> ast.Not:
        return ast.Not(self.expr(tree.children[0]), span=span)

    def x_compare(self, tree: Tree, span: Span) -> ast.Compare:
        left, op, right = tree.children
        return ast.Compare(_CMP[str(op.children[0])], self.expr(left), self.expr(right), span=span)

    def x_member(self, tree: Tree, span: Span, negated: bool = False) -> ast.Member:
        operand, items = tree.children
        return ast.Member(self.expr(operand), tuple(self.expr(i) for i in items.children), negated, span=span)

    def x_not_member(self, tree: Tree, span: Span) -> ast.Member:
        return self.x_member(tree, span, negated=True)

    def x_member_named(self, tree: Tree, span: Span, negated: bool = False) -> ast.Member:
        operand, name = tree.children
        return ast.Member(self.expr(operand), (), negated, self.name(name), span=span)

    def x_not_member_named(self, tree: Tree, span: Span) -> ast.Member:
        return self.x_member_named(tree, span, negated=True)

    def x_set_literal(self, tree: Tree, span: Span) -> ast.SetLiteral:
        return ast.SetLiteral(tuple(self.expr(i) for i in tree.children), span=span)

    def x_if_expr(self, tree: Tree, span: Span) -> ast.If:
        c, a, b = tree.children
        return ast.If(self.expr(c), self.expr(a), self.expr(b), span=span)

    def x_round_expr(self, tree: Tree, span: Span) -> ast.Round:
        operand, rounding = tree.children
        tokens = [t for t in rounding.children if isinstance(t, Token)]
        verb = "arrondi" if str(tokens[0]) == "arrondi" else "tronqué"
        return ast.Round(self.expr(operand), verb, str(tokens[-1]), self.span(tokens[-1]), span=span)

    def x_duration(self, tree: Tree, span: Span) -> ast.DurationOf:
        amount, unit = tree.children
        return ast.DurationOf(self.expr(amount), _UNITS[str(unit.children[0])], span=span)

    def x_as_of(self, tree: Tree, span: Span) -> ast.AsOf:
        return ast.AsOf(self.expr(tree.children[0]), self.expr(tree.children[1]), span=span)

    def x_text_of(self, tree: Tree, span: Span) -> ast.TextOf:
        name, date = tree.children
        return ast.TextOf(str(name), self.expr(date), self.span(name), span=span)

    def x_in_force_at(self, tree: Tree, span: Span) -> ast.InForce:
        return ast.InForce(self.expr(tree.children[0]), span=span)

    def x_not_applicable(self, tree: Tree, span: Span) -> ast.Marker:
        return ast.Marker(MarkerKind.NOT_APPLICABLE, string_value(tree.children[0]), span=span)

    def x_undetermined(self, tree: Tree, span: Span) -> ast.Marker:
        return ast.Marker(MarkerKind.UNDETERMINED, string_value(tree.children[0]), span=span)


def string_value(child: Child) -> str:
    """A string literal's text: `« … »` trimmed, `"…"` with its escapes undone."""
    text = str(as_token(child))
    if text.startswith("«"):
        return text[1:-1].strip()
    return re.sub(r"\\(.)", r"\1", text[1:-1])
