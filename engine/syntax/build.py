"""Stage 1: lark parse tree → `engine.syntax.ast` nodes.

Takes spans from lark's `meta` (character offsets, so columns are in characters), parses literal
text into values (`12 000 €` → Decimal 12000, `7,5 %` → 0.075, `22/06/2024` → a date) and splits
table rows into cells, each parsed again at its own position. Expressions and literals are built by
`engine.syntax.build_exprs`. It resolves nothing; the only
errors it reports are ones a parser cannot see: impossible dates, keywords used as names,
unreadable cells. All of them are collected and raised together.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TypedDict

from lark import Token, Tree

from engine.base.diagnostics import RulesError
from engine.base.source import NOWHERE, Source, Span
from engine.lang.kinds import LiteralKind, MarkerKind, SourceFieldKind
from engine.lang.statuses import Status
from engine.lang.values import MAGNITUDE_DIGITS, parse_number
from engine.syntax import ast
from engine.syntax.build_exprs import Child, ExprBuilder, as_token, as_tree, string_value
from engine.syntax.parser import Parsed, parse, parse_fragment

_TYPE_TREES = {"simple_type", "enum_type", "named_type"}
_ITEM_TREES = {"description", "source", "citation", "question", "letter_label", "unit", "ignored", "replaces",
               "internal", "to_confirm", "modelling_choice", "guard", "valid_from", "dated_value", "row"}
DASHES = frozenset({"—", "–", "-"})
"""A lone dash in a value cell is the empty cell of a published table: not applicable."""
_SEPARATOR_CELL = re.compile(r"^:?-{2,}:?$")
_NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?").match
"""The grammar's NUMBER terminal (grammar/regles.lark), for the cells built without the parser."""
_UNIT = re.compile(r"[ \t\u00a0\u202f]*(€|euros|euro|%)?$").match
_LITERAL_UNITS = {"€": LiteralKind.MONEY, "euros": LiteralKind.MONEY, "euro": LiteralKind.MONEY,
                  "%": LiteralKind.PERCENT, None: LiteralKind.NUMBER}
_NAME = re.compile(r"[^\W\d]\w*").fullmatch


def _keywords() -> frozenset[str]:
    """Every word the grammar spells out (its string terminals): a key spelt so takes the parser."""
    global _KEYWORDS
    if _KEYWORDS is None:
        from engine.syntax.parser import parser
        _KEYWORDS = frozenset(t.pattern.value for t in parser().terminals if t.pattern.type == "str")
    return _KEYWORDS


_KEYWORDS: frozenset[str] | None = None


def parse_file(source: Source) -> ast.RuleFile:
    """Parse and build a whole rule file. Raises RulesError with every problem found."""
    parsed = parse(source)
    return Builder(source).rule_file(parsed)


class Builder(ExprBuilder):
    """Converts one source's lark trees to AST nodes, collecting diagnostics as it goes."""

    def rule_file(self, parsed: Parsed) -> ast.RuleFile:
        tree = parsed.tree
        header = self.header(tree.children[0])
        declarations = tuple(self.declaration(child) for child in tree.children[1:])
        comments = tuple(ast.Comment(str(t)[1:].rstrip(), span=self.span(t)) for t in parsed.comments)
        if self.diagnostics:
            raise RulesError(tuple(self.diagnostics), {self.source.name: self.source})
        return ast.RuleFile(header, declarations, comments, span=self.span(tree))

    def header(self, tree: Tree) -> ast.Header:
        fields: _HeaderFields = {"title": string_value(tree.children[0])}
        for item in tree.children[1:]:
            if item.data == "header_text":
                fields["text_short"] = string_value(item.children[0])
                if len(item.children) > 1 and item.children[1] is not None:
                    fields["text_long"] = string_value(item.children[1])
            elif item.data == "header_amends":
                if "amends" in fields:
                    self.fail("E607", "un fichier ne modifie qu'un seul texte : second « modifie »", item,
                              "gardez un seul « modifie » ; pour prendre des définitions d'un autre texte, "
                              "écrivez : reprend nom de \"autre.rules\"")
                    continue
                fields["amends"] = string_value(item.children[0])
                fields["amends_span"] = self.span(item.children[0])
            elif item.data == "header_in_force":
                self.period(item.children[0], fields)
                fields["in_force_span"] = self.span(item)
                fields["in_force_spans"] = tuple(self.span(t) for t in item.children[0].children if isinstance(t, Tree))
            else:
                self.vocabulary_item(item, fields)
        return ast.Header(**fields, span=self.span(tree))

    def vocabulary_item(self, item: Tree, fields: _HeaderFields) -> None:
        """`résultat principal : nom` or `ventilation : a, b`, each written at most once (E109)."""
        names = [t for t in item.children if isinstance(t, Token) and t.type == "NAME"]
        key, word = (("headline", "résultat principal") if item.data == "header_headline"
                     else ("breakdown", "ventilation"))
        if key in fields:
            self.fail("E109", f"« {word} » est écrit deux fois dans l'en-tête", item, "gardez une seule ligne")
        elif key == "headline":
            fields["headline"] = str(names[0])
            fields["headline_span"] = self.span(names[0])
        else:
            fields["breakdown"] = tuple(map(str, names))
            fields["breakdown_spans"] = tuple(map(self.span, names))

    def period(self, tree: Tree, fields: _HeaderFields) -> None:
        dates = [self.date_value(t.children[0]) if t.data == "date" else self.name(t.children[0])
                 for t in tree.children if isinstance(t, Tree)]
        if tree.data == "period_between":
            fields["in_force_from"], fields["in_force_until"] = dates
        elif tree.data == "period_from":
            fields["in_force_from"] = dates[0]
        else:
            fields["in_force_until"] = dates[0]

    # ── declarations ──
    def declaration(self, tree: Tree) -> ast.Declaration:
        build = _DECLARATIONS.get(str(tree.data))
        if build is None:
            raise TypeError(f"grammar and builder disagree: no declaration rule {tree.data!r}")
        return build(self, tree)

    def decl_fact(self, tree: Tree) -> ast.Fact:
        name, type_, *items = tree.children
        return ast.Fact(self.name(name), self.type(type_), self.items(items),
                        span=self.span(tree), name_span=self.span(name))

    def decl_parameter(self, tree: Tree) -> ast.Parameter:
        name, *rest = tree.children
        type_ = value = None
        items = []
        for child in rest:
            if isinstance(child, Tree) and child.data in _TYPE_TREES:
                type_ = self.type(child)
            elif isinstance(child, Tree) and child.data in _ITEM_TREES:
                items.append(child)
            else:
                value = self.expr(child)
        return ast.Parameter(self.name(name), type_, value, self.items(items), span=self.span(tree),
                             name_span=self.span(name))

    def decl_rule(self, tree: Tree) -> ast.Rule:
        kind, name, type_, *items, formula = tree.children
        is_output = str(kind.children[0]).startswith("r\u00e9sultat") or str(kind.children[0]) == "resultat"
        return ast.Rule(self.name(name), is_output, self.type(type_), self.expr(formula),
                        self.items(items), span=self.span(tree), name_span=self.span(name))

    def decl_function(self, tree: Tree) -> ast.Function:
        name, *rest = tree.children
        params = tuple(self.param(p) for p in rest if isinstance(p, Tree) and p.data == "table_param")
        others = [c for c in rest if not (isinstance(c, Tree) and c.data == "table_param")]
        type_, *items, formula = others
        return ast.Function(self.name(name), params, self.type(type_), self.expr(formula),
                            self.items(items), span=self.span(tree), name_span=self.span(name))

    def param(self, tree: Tree) -> ast.TableParam:
        return ast.TableParam(self.name(tree.children[0]), self.type(tree.children[1]), span=self.span(tree))

    def decl_table(self, tree: Tree) -> ast.Table:
        name, *rest = tree.children
        params = tuple(self.param(p) for p in rest if isinstance(p, Tree) and p.data == "table_param")
        others = [c for c in rest if not (isinstance(c, Tree) and c.data == "table_param")]
        type_, *items = others
        built: list[ast.Item] = []
        first_row = True
        for item in items:
            if item.data == "row":
                row = self.row(item.children[0], header=first_row, two_keys=len(params) == 2)
                if row is not None:
                    built.append(row)
                    first_row = False
            else:
                built.append(self.item(item))
        self.check_citation_strings(built)
        return ast.Table(self.name(name), params, self.type(type_), tuple(built), span=self.span(tree),
                         name_span=self.span(name))

    def decl_example(self, tree: Tree) -> ast.Example:
        title = string_value(tree.children[0])
        base, base_span = None, NOWHERE
        given, expected = [], []
        for child in tree.children[1:]:
            if isinstance(child, Token):
                base, base_span = string_value(child), self.span(child)
            elif child.data == "given":
                given.append(ast.Given(self.name(child.children[0]), self.expr(child.children[1]),
                                       span=self.span(child)))
            else:
                expected.append(self.expected(child))
        return ast.Example(title, base, tuple(given), tuple(expected), span=self.span(tree), base_span=base_span)

    def expected(self, tree: Tree) -> ast.Expected:
        name, value = tree.children
        span = self.span(tree)
        if isinstance(value, Tree) and value.data == "expect_not_applicable":
            return ast.Expected(self.name(name), marker="non_applicable", span=span)
        if isinstance(value, Tree) and value.data == "expect_undetermined":
            return ast.Expected(self.name(name), marker="indetermine", span=span)
        if isinstance(value, Tree) and value.data == "expect_missing":
            facts = tuple(str(t) for t in value.children if t is not None)
            return ast.Expected(self.name(name), marker="manquant", facts=facts, span=span)
        return ast.Expected(self.name(name), value=self.expr(value), span=span)

    def decl_schedule(self, tree: Tree) -> ast.Schedule:
        axis, first, last, *items = tree.children
        description: str | None = None
        columns: tuple[str, ...] = ()
        totals: tuple[str, ...] = ()
        for item in map(as_tree, items):
            match item.data:
                case "description":
                    description = string_value(item.children[0])
                case "columns":
                    columns = tuple(str(t) for t in item.children)
                case "totals":
                    totals = tuple(str(t) for t in item.children)
        return ast.Schedule(self.name(axis), int(self.number(first)), int(self.number(last)), columns, totals,
                            description, span=self.span(tree))

    def decl_amend_meta(self, tree: Tree) -> ast.Amend:
        prefix, name, *items = tree.children
        return ast.Amend(str(prefix), self.name(name), self.items(items), span=self.span(tree),
                         name_span=self.span(name))

    def decl_reuse(self, tree: Tree) -> ast.Reuse:
        *names, file = tree.children
        return ast.Reuse(tuple(self.name(n) for n in names), string_value(file), tuple(self.span(n) for n in names),
                         self.span(file), span=self.span(tree))

    def decl_withdraw(self, tree: Tree) -> ast.Withdraw:
        return ast.Withdraw(tuple(self.name(n) for n in tree.children), tuple(self.span(n) for n in tree.children),
                            span=self.span(tree))

    def decl_source_decl(self, tree: Tree) -> ast.SourceDecl:
        key, *rest = tree.children
        title = None
        fields = []
        for child in rest:
            if isinstance(child, Token):
                title = string_value(child)
                continue
            value = as_token(child.children[0])
            if child.data == "published" and value.type == "DATE":
                fields.append(ast.SourceField(SourceFieldKind.DATE, self.date_value(value), span=self.span(child)))
            else:
                kind = {"publisher": SourceFieldKind.PUBLISHER, "published": SourceFieldKind.DATE,
                        "link": SourceFieldKind.URL}[child.data]
                fields.append(ast.SourceField(kind, string_value(value), span=self.span(child)))
        return ast.SourceDecl(str(key), title, tuple(fields), span=self.span(tree), name_span=self.span(key))

    # ── items ──
    def items(self, trees: list[Tree]) -> tuple[ast.Item, ...]:
        built = [self.item(t) for t in trees]
        self.check_citation_strings(built)
        return tuple(built)

    def check_citation_strings(self, items: list[ast.Item]) -> None:
        """`source CLE "…"` on one line is refused (E121): the string would silently become the block's
        description, while its writer most likely meant the citation's precision (`source CLE : "…"`)."""
        for before, after in itertools.pairwise(items):
            if (isinstance(before, ast.Citation) and before.detail is None and isinstance(after, ast.Description)
                    and after.span.line == before.span.end_line):
                self.fail("E121", f"texte après « source {before.key} » sur la même ligne : précision de la citation "
                                  "ou description ?", after.span,
                          f'pour préciser la citation, écrivez source {before.key} : "…" ; '
                          "pour une description, mettez-la sur sa propre ligne")

    def item(self, tree: Tree) -> ast.Item:
        span = self.span(tree)
        kids = [c for c in tree.children if c is not None]
        text_item = _TEXT_ITEMS.get(str(tree.data))
        if text_item is not None:
            return text_item(string_value(kids[0]), span=span)
        status = _STATUS_ITEMS.get(str(tree.data))
        if status is not None:
            return ast.Status(status, string_value(kids[0]) if kids else None, span=span)
        match tree.data:
            case "citation":
                return ast.Citation(str(kids[0]), string_value(kids[1]) if len(kids) > 1 else None, self.span(kids[0]),
                                    span=span)
            case "replaces":
                return ast.Replaces(str(kids[0]), str(kids[1]), span=span)
            case "internal":
                return ast.Internal(span=span)
            case "guard":
                return ast.Guard(self.name(kids[0]), string_value(kids[1]) if len(kids) > 1 else None,
                                 self.span(kids[0]), span=span)
            case "valid_from":
                return ast.ValidFrom(self.expr(kids[0]), span=span)
            case "dated_value":
                return ast.DatedValue(self.expr(kids[0]), self.expr(kids[1]), span=span)
        raise AssertionError(f"unknown item {tree.data}")  # pragma: no cover

    # ── types ──
    def type(self, tree: Tree) -> ast.TypeExpr:
        span = self.span(tree)
        if tree.data == "named_type":
            return ast.NamedType(str(tree.children[0]), span=span)
        if tree.data == "enum_type":
            values = tuple(ast.EnumValue(self.name(v.children[0]),
                                         string_value(v.children[1])
                                         if len(v.children) > 1 and v.children[1] is not None else None,
                                         span=self.span(v)) for v in tree.children)
            return ast.EnumType(values, span=span)
        kind = _base_kind(str(tree.children[0].children[0]))
        has_constraint = len(tree.children) > 1 and tree.children[1] is not None
        constraint = self.constraint(tree.children[1]) if has_constraint else None
        return ast.SimpleType(kind, constraint, span=span)

    def constraint(self, tree: Tree) -> ast.Range | ast.Allowed:
        span = self.span(tree)
        values = [self.expr(c) for c in tree.children]
        match tree.data:
            case "range_between":
                return ast.Range(values[0], values[1], span=span)
            case "range_min":
                return ast.Range(values[0], None, span=span)
            case "range_max":
                return ast.Range(None, values[0], span=span)
        return ast.Allowed(tuple(values), span=span)

    # ── tables ──
    def row(self, child: Child, header: bool, two_keys: bool) -> ast.Row | None:
        """Split a `| … | … |` line into cells and parse each; None for a `|---|` separator."""
        token = as_token(child)
        text = str(token)
        start = (token.start_pos or 0) + self.offset
        pieces = _split_row(text)
        if pieces and all(_SEPARATOR_CELL.match(p.strip()) for p, _ in pieces):
            return None
        cells = []
        for index, (piece, rel) in enumerate(pieces):
            stripped = piece.strip()
            lead = len(piece) - len(piece.lstrip())
            cell_start = start + rel + lead
            span = self.source.span(cell_start, cell_start + len(stripped))
            if not stripped:
                span = self.source.span(start + rel, start + rel + len(piece))  # underline the blank cell
                cells.append(ast.Cell(text="", span=span))
            elif index == 0 or (header and not two_keys):
                if header:
                    cells.append(ast.Cell(text=stripped, span=span))
                else:
                    cells.append(self.key_cell(stripped, cell_start, span))
            elif header:
                cells.append(self.key_cell(stripped, cell_start, span))
            else:
                cells.append(self.value_cell(stripped, cell_start, span))
        return ast.Row(tuple(cells), span=self.span(token))

    def key_cell(self, text: str, offset: int, span: Span) -> ast.Cell:
        """A key cell: its key built without the parser when it can be, else by the parser; a cell
        the parser refuses (reported) has no key."""
        key = self.quick_key(text, offset, span)
        if key is None:
            tree = self.fragment(text, offset, "key")
            if tree is None:
                return ast.Cell(text=text, span=span)
            key = self.key(tree.children[0], offset)
        return ast.Cell(key=key, text=text, span=span)

    def value_cell(self, text: str, offset: int, span: Span) -> ast.Cell:
        if text in DASHES:
            return ast.Cell(value=ast.Marker(MarkerKind.NOT_APPLICABLE, "case vide (—) du "
                                                                        "tableau", span=span), text=text, span=span)
        quick = self.quick_literal(text, offset, span)
        if quick is not None:
            return ast.Cell(value=quick, text=text, span=span)
        tree = self.fragment(text, offset, "cell")
        if tree is None:
            return ast.Cell(text=text, span=span)
        sub = Builder(self.source, offset)  # the cell's tree is positioned from the cell's start
        value = sub.expr(tree.children[0])
        item = sub.item(tree.children[1]) if len(tree.children) > 1 and tree.children[1] is not None else None
        status = item if isinstance(item, ast.Status) else None  # the grammar allows only a status there
        self.diagnostics.extend(sub.diagnostics)
        return ast.Cell(value=value, status=status, text=text, span=span)

    # Most cells of a grid are a bare number, amount or percentage, and most keys a number or a
    # word: those are built here without the parser, which costs a quarter of a millisecond per
    # cell (a 250 KB row has some 30 000 cells). They give the very nodes and spans the parser's
    # tree would (tests/test_build.py holds both ways equal); anything else takes the parser.
    def quick_literal(self, text: str, offset: int, span: Span) -> ast.Literal | None:
        """A cell that is a bare number, amount or percentage, built without the parser; else None."""
        found = _NUMBER(text)
        if found is None:
            return None
        unit = _UNIT(text, found.end())
        if unit is None:
            return None
        kind = _LITERAL_UNITS.get(unit.group(1))
        digits = found.group()
        if len(digits) > MAGNITUDE_DIGITS:  # perhaps too long or too large (E120): as the parser's way says
            sub = Builder(self.source, offset)
            number = sub.number(Token("NUMBER", digits, start_pos=0, end_pos=found.end()))
            self.diagnostics.extend(sub.diagnostics)
        else:
            number = parse_number(digits)
        if kind is LiteralKind.MONEY:
            return ast.Literal(LiteralKind.MONEY, Decimal(number), span=span)
        if kind is LiteralKind.PERCENT:
            return ast.Literal(LiteralKind.PERCENT, Decimal(number) / 100, span=span)
        return ast.Literal(LiteralKind.NUMBER, number, span=span)

    def quick_key(self, text: str, offset: int, span: Span) -> ast.KeyPattern | None:
        """A key that is a bare number or a word that is no keyword, built without the parser."""
        if _NAME(text) is not None and text not in _keywords():
            return ast.KeyName(text, span=span)
        found = _NUMBER(text)
        if found is not None and found.end() == len(text):
            literal = self.quick_literal(text, offset, span)
            return None if literal is None else ast.KeyValue(literal, span=span)
        return None

    def fragment(self, text: str, offset: int, start: str) -> Tree | None:
        try:
            return parse_fragment(self.source, offset, text, start)
        except RulesError as exc:
            self.diagnostics.extend(exc.diagnostics)
            return None

    def key(self, tree: Tree, offset: int) -> ast.KeyPattern:
        sub = Builder(self.source, offset)
        span = sub.span(tree)
        lits = [_literal(sub.expr(c)) for c in tree.children if isinstance(c, Tree)]
        self.diagnostics.extend(sub.diagnostics)
        match tree.data:
            case "key_name":
                return ast.KeyName(str(tree.children[0]), span=span)
            case "key_value":
                return ast.KeyValue(lits[0], span=span)
            case "band_below":
                return ast.Band(None, False, lits[0], False, span=span)
            case "band_up_to":
                return ast.Band(None, False, lits[0], True, span=span)
            case "band_from_below":
                return ast.Band(lits[0], True, lits[1], False, span=span)
            case "band_from_to":
                return ast.Band(lits[0], True, lits[1], True, span=span)
            case "band_above":
                return ast.Band(lits[0], False, None, False, span=span)
        return ast.Band(lits[0], True, None, False, span=span)


_DECLARATIONS: dict[str, Callable[[Builder, Tree], ast.Declaration]] = {
    "fact": Builder.decl_fact, "parameter": Builder.decl_parameter, "rule": Builder.decl_rule,
    "function": Builder.decl_function, "table": Builder.decl_table, "example": Builder.decl_example,
    "schedule": Builder.decl_schedule, "amend_meta": Builder.decl_amend_meta, "reuse": Builder.decl_reuse,
    "withdraw": Builder.decl_withdraw, "source_decl": Builder.decl_source_decl,
}
"""The builder of each declaration rule of the grammar."""

_TEXT_ITEMS: dict[str, type[ast.Description | ast.SourceRef | ast.Question | ast.LetterLabel | ast.Unit]] = {
    "description": ast.Description, "source": ast.SourceRef, "question": ast.Question,
    "letter_label": ast.LetterLabel, "unit": ast.Unit,
}
"""Items that are one string: the node of each."""

_STATUS_ITEMS = {"ignored": Status.IGNORED, "to_confirm": Status.TO_CONFIRM,
                 "modelling_choice": Status.MODELLING_CHOICE}
"""Items that flag a definition or a fact, with an optional note: the status of each."""


class _HeaderFields(TypedDict, total=False):
    """What the header's items give `ast.Header`, gathered item by item."""

    title: str
    text_short: str | None
    text_long: str | None
    amends: str | None
    amends_span: Span
    in_force_from: dt.date | str | None
    in_force_until: dt.date | str | None
    in_force_span: Span
    in_force_spans: tuple[Span, ...]
    headline: str | None
    headline_span: Span
    breakdown: tuple[str, ...]
    breakdown_spans: tuple[Span, ...]


def _literal(expr: ast.Expr) -> ast.Literal:
    """A table key's bound, which the grammar makes a literal.

    Raises:
        TypeError: the builder and the grammar disagree (a bug, never bad input).
    """
    if isinstance(expr, ast.Literal):
        return expr
    raise TypeError(f"grammar and builder disagree: a literal was expected, not {type(expr).__name__}")


def _base_kind(word: str) -> str:
    return {"décimal": "decimal", "booléen": "booleen", "durée": "duree"}.get(word, word)



def _split_row(text: str) -> list[tuple[str, int]]:
    """Split a row on `|` outside double quotes; returns (cell text, offset in row) pairs."""
    cells: list[tuple[str, int]] = []
    quoted = False
    start = 1
    for index, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            text = text[:index]
            break
        elif ch == "|" and not quoted and index > 0:
            cells.append((text[start:index], start))
            start = index + 1
    tail = text[start:]
    if tail.strip():
        cells.append((tail, start))
    return cells
