"""Surface syntax: the rule file as written, one frozen node per grammar construct.

Produced by `engine.syntax.build` from the lark tree, consumed by `engine.check.checker` and the formatter.
Names are still strings here; nothing is resolved or typed. Every node carries a `span` that is
bookkeeping, not structure: it never counts for equality, so a file and its formatted version
give equal trees (the round-trip property of the tests).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from attrs import field, frozen

from engine.base.source import NOWHERE, Span
from engine.lang import statuses
from engine.lang.kinds import ArithOp, CompareOp, LiteralKind, LogicOp, MarkerKind, SourceFieldKind, TypeKind


@frozen
class Node:
    """Base of all surface nodes. `span` is where the node is written."""

    span: Span = field(default=NOWHERE, kw_only=True, eq=False, repr=False)


# ─── Types ───────────────────────────────────────────────────────────────────────────────────

@frozen
class Range(Node):
    """Allowed interval of a numeric or date type (`de 0 à 100`, `au moins 1`)."""

    low: Expr | None
    high: Expr | None


@frozen
class Allowed(Node):
    """Closed list of allowed values (`parmi {1, 2, 3}`)."""

    values: tuple[Expr, ...]


@frozen
class SimpleType(Node):
    """A base type keyword (`montant`, `taux`, `entier`…) with an optional constraint."""

    kind: TypeKind = field(converter=TypeKind)
    constraint: Range | Allowed | None = None


@frozen
class EnumValue(Node):
    """One word of an enumeration, with an optional label for letters."""

    name: str
    label: str | None = None


@frozen
class EnumType(Node):
    """An inline enumeration `énumération {a, b}`; the type takes the declaring name."""

    values: tuple[EnumValue, ...]


@frozen
class NamedType(Node):
    """The type of another declaration, by its name (an enumeration declared elsewhere)."""

    name: str


TypeExpr = SimpleType | EnumType | NamedType


# ─── Expressions ─────────────────────────────────────────────────────────────────────────────

@frozen
class Literal(Node):
    """A literal: kind is number, money, percent, date, text or bool; value already parsed."""

    kind: LiteralKind = field(converter=LiteralKind)
    value: int | Decimal | dt.date | str | bool


@frozen
class Name(Node):
    """A bare name: a fact, parameter, rule, or an enumeration word (resolved by the checker)."""

    name: str


@frozen
class Qualified(Node):
    """`file.name`: the definition of `name` in the amended file `file`."""

    prefix: str
    name: str


@frozen
class Call(Node):
    """`name(args)` or `prefix.name(args)`: a table, a function or a built-in (`min`, `max`)."""

    name: str
    args: tuple[Expr, ...]
    prefix: str | None = None


@frozen
class Binary(Node):
    """Arithmetic: op is one of + - × /."""

    op: ArithOp = field(converter=ArithOp)
    left: Expr
    right: Expr


@frozen
class Negate(Node):
    """Arithmetic negation `-x`."""

    operand: Expr


@frozen
class Logical(Node):
    """`et` / `ou`, evaluated left to right with short-circuit."""

    op: LogicOp = field(converter=LogicOp)
    left: Expr
    right: Expr


@frozen
class Not(Node):
    """`non x`."""

    operand: Expr


@frozen
class Compare(Node):
    """Comparison; op is normalised to one of = ≠ < ≤ > ≥."""

    op: CompareOp = field(converter=CompareOp)
    left: Expr
    right: Expr


@frozen
class Member(Node):
    """`x dans {…}` or `x pas dans {…}`; `x dans nom` reads the named set `nom` (a set parameter)."""

    operand: Expr
    items: tuple[Expr, ...]
    negated: bool = False
    set_name: str | None = None


@frozen
class SetLiteral(Node):
    """`{a, b, c}` as the value of a parameter: a named set, read with `dans nom`."""

    items: tuple[Expr, ...]


@frozen
class If(Node):
    """`si c alors a sinon b`."""

    condition: Expr
    then: Expr
    otherwise: Expr


@frozen
class Round(Node):
    """`x arrondi au centime`: verb is arrondi or tronqué, unit the word after it."""

    operand: Expr
    verb: str
    unit: str
    unit_span: Span = field(default=NOWHERE, eq=False, repr=False)


@frozen
class DurationOf(Node):
    """`n jours`, `n mois`, `n ans`: a duration from an integer expression."""

    amount: Expr
    unit: str


@frozen
class AsOf(Node):
    """`x au date`: the version of a dated parameter or table in force at a date."""

    operand: Expr
    date: Expr


@frozen
class TextOf(Node):
    """`texte de x au date`: the short name of the text whose version of x is in force."""

    name: str
    date: Expr
    name_span: Span = field(default=NOWHERE, eq=False, repr=False)


@frozen
class InForce(Node):
    """`en vigueur au date`: whether a date falls in the period the file's header declares."""

    date: Expr


@frozen
class Marker(Node):
    """`non applicable "raison"` or `indéterminé "raison"`: an explicit absence of value."""

    kind: MarkerKind = field(converter=MarkerKind)
    reason: str


Expr = (
    Literal | Name | Qualified | Call | Binary | Negate | Logical | Not | Compare | Member | SetLiteral | If |
    Round | DurationOf | AsOf | TextOf | InForce | Marker
)


# ─── Items of declaration blocks ─────────────────────────────────────────────────────────────

@frozen
class Description(Node):
    """A free description string."""

    text: str


@frozen
class SourceRef(Node):
    """`source "…"`: a citation in free text, naming no declared source (warning W106)."""

    text: str


@frozen
class Citation(Node):
    """`source CLE [: "précision"]`: a citation of a declared source, with an optional precision
    (article, page, quotation) that belongs to this use rather than to the source."""

    key: str
    detail: str | None = None
    key_span: Span = field(default=NOWHERE, eq=False, repr=False)


@frozen
class Question(Node):
    """`question "…"`: how to ask a person for a fact."""

    text: str


@frozen
class LetterLabel(Node):
    """`libellé "…"`: how a letter to the person concerned names a fact (a noun phrase, without the
    modelling notes a description may carry)."""

    text: str


@frozen
class Unit(Node):
    """`unité "patients"`: the word for one unit of a count, used in explanations."""

    text: str


@frozen
class Replaces(Node):
    """`remplace fichier.nom`."""

    prefix: str
    name: str


@frozen
class Internal(Node):
    """`interne`: the definition is plumbing, hidden from explanation summaries (not from `--detail`)."""


@frozen
class Status(Node):
    """`à confirmer`, `choix de modélisation` or (on a fact) `ignoré`, with an optional note."""

    kind: statuses.Status
    note: str | None = None


@frozen
class Guard(Node):
    """`applicable si nom [sinon "raison"]`."""

    name: str
    reason: str | None = None
    name_span: Span = field(default=NOWHERE, eq=False, repr=False)


@frozen
class ValidFrom(Node):
    """`à partir du date`: the version starts on that date."""

    date: Expr


@frozen
class DatedValue(Node):
    """`à partir du date : valeur` in a parameter."""

    date: Expr
    value: Expr


@frozen
class KeyName(Node):
    """A table key written as a word: an enumeration value, or `autre`."""

    name: str


@frozen
class KeyValue(Node):
    """A table key equal to one literal value."""

    value: Literal


@frozen
class Band(Node):
    """A numeric band; a missing bound is infinite."""

    low: Literal | None
    low_inclusive: bool
    high: Literal | None
    high_inclusive: bool


KeyPattern = KeyName | KeyValue | Band


@frozen
class Cell(Node):
    """A table cell: a key pattern (header and first column), a value, or nothing."""

    key: KeyPattern | None = None
    value: Expr | None = None
    status: Status | None = None
    text: str = ""


@frozen
class Row(Node):
    """One line of a table grid."""

    cells: tuple[Cell, ...]


Item = (
    Description | SourceRef | Citation | Question | LetterLabel | Unit | Replaces | Internal | Status | Guard |
    ValidFrom | DatedValue | Row
)


# ─── Declarations ────────────────────────────────────────────────────────────────────────────

@frozen
class Named(Node):
    """A declaration that names what it declares (a source: its key)."""

    name_span: Span = field(default=NOWHERE, kw_only=True, eq=False, repr=False)
    """Where the name is written (diagnostics about the name underline it, not the declaration)."""


@frozen
class Fact(Named):
    """`fait nom : type …`: an input."""

    name: str
    type: TypeExpr
    items: tuple[Item, ...] = ()


@frozen
class Parameter(Named):
    """`paramètre nom [: type] [= valeur] …`: a named constant, possibly dated."""

    name: str
    type: TypeExpr | None
    value: Expr | None
    items: tuple[Item, ...] = ()


@frozen
class Rule(Named):
    """`règle`/`résultat nom : type … = formule`: a named definition; outputs are `résultat`."""

    name: str
    is_output: bool
    type: TypeExpr
    formula: Expr
    items: tuple[Item, ...] = ()


@frozen
class Function(Named):
    """`fonction nom (paramètres) : type … = formule`: a rule with parameters."""

    name: str
    params: tuple[TableParam, ...]
    type: TypeExpr
    formula: Expr
    items: tuple[Item, ...] = ()


@frozen
class TableParam(Node):
    """A key of a table or a parameter of a function, with its type."""

    name: str
    type: TypeExpr


@frozen
class Table(Named):
    """`table nom (clés) : type …` with a grid of rows."""

    name: str
    params: tuple[TableParam, ...]
    type: TypeExpr
    items: tuple[Item, ...] = ()


@frozen
class Expected(Node):
    """An expected result of an example: a value, or a marker kind (with missing facts)."""

    name: str
    value: Expr | None = None
    marker: str | None = None
    facts: tuple[str, ...] = ()


@frozen
class Given(Node):
    """A fact given in an example."""

    name: str
    value: Expr


@frozen
class Example(Node):
    """`exemple "nom" [reprend "base"] faits… attendu résultats… fin`."""

    title: str
    base: str | None
    given: tuple[Given, ...]
    expected: tuple[Expected, ...]
    base_span: Span = field(default=NOWHERE, kw_only=True, eq=False, repr=False)
    """Where the title after `reprend` is written."""


@frozen
class Schedule(Node):
    """`échéancier axe de a à b …`: the rows of a schedule, one per value of an integer fact."""

    axis: str
    first: int
    last: int
    columns: tuple[str, ...] = ()
    totals: tuple[str, ...] = ()
    description: str | None = None


@frozen
class SourceField(Node):
    """One item of a source declaration: `éditeur "…"`, `date …` or `lien "…"`.

    `kind` is publisher, date or url; a date is a calendar date when written `jj/mm/aaaa`, else
    the text as written (`"janvier-février 2022"`), because publications are often dated by month.
    """

    kind: SourceFieldKind = field(converter=SourceFieldKind)
    value: str | dt.date


@frozen
class SourceDecl(Named):
    """`source CLE "titre" [éditeur "…"] [date …] [lien "…"] fin`: a source cited by key."""

    name: str
    title: str | None
    fields: tuple[SourceField, ...] = ()


@frozen
class Amend(Named):
    """`précise fichier.nom … fin`: new metadata for an inherited definition, formula kept."""

    prefix: str
    name: str
    items: tuple[Item, ...] = ()


@frozen
class Reuse(Node):
    """`reprend a, b de "fichier.rules"`: definitions taken by name from another text."""

    names: tuple[str, ...]
    file: str
    name_spans: tuple[Span, ...] = field(default=(), eq=False, repr=False)
    file_span: Span = field(default=NOWHERE, eq=False, repr=False)


@frozen
class Withdraw(Node):
    """`abroge a, b`: inherited definitions this text withdraws."""

    names: tuple[str, ...]
    name_spans: tuple[Span, ...] = field(default=(), eq=False, repr=False)


Declaration = Fact | Parameter | Rule | Function | Table | Example | Schedule | SourceDecl | Amend | Reuse | Withdraw


@frozen
class Header(Node):
    """The file header: title, encoded text, amended file, period in force, headline result and breakdown."""

    title: str
    text_short: str | None = None
    text_long: str | None = None
    amends: str | None = None
    amends_span: Span = field(default=NOWHERE, eq=False, repr=False)
    in_force_from: dt.date | str | None = None
    """The first day in force: a date, or the name of a date parameter that holds it."""
    in_force_until: dt.date | str | None = None
    """The last day in force: a date, or the name of a date parameter that holds it."""
    in_force_span: Span = field(default=NOWHERE, eq=False, repr=False)
    in_force_spans: tuple[Span, ...] = field(default=(), eq=False, repr=False)
    """Where each bound of the period is written (first the start, then the end, as written)."""
    headline: str | None = None
    """`résultat principal : nom`: the result that decides a case (counted by batch, sorted on by the
    impact report, read by letters); None when the file declares none (an amending file inherits)."""
    headline_span: Span = field(default=NOWHERE, eq=False, repr=False)
    breakdown: tuple[str, ...] | None = None
    """`ventilation : a, b`: the facts the impact report breaks cases down by; None when not written."""
    breakdown_spans: tuple[Span, ...] = field(default=(), eq=False, repr=False)


@frozen
class Comment(Node):
    """A `#` comment, kept for the formatter."""

    text: str


@frozen
class RuleFile(Node):
    """A whole rule file."""

    header: Header
    declarations: tuple[Declaration, ...]
    comments: tuple[Comment, ...] = field(default=(), eq=False)
