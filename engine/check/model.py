"""The checked program: what the checker produces and the evaluator runs.

Unlike `engine.syntax.ast`, every name here is resolved (to a fact, a definition, or an enumeration
word), every expression carries its `Type`, amendments are merged (a replaced definition keeps
its original reachable as `fichier.nom`), and every definition keeps its legal citation, its
status (à confirmer, choix de modélisation) and the text it comes from. References hold stable
ids (names), so that an amending file's replacement is what every inherited rule sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Protocol

from attrs import field, frozen

from engine.base.diagnostics import Diagnostic
from engine.base.source import NOWHERE, Source, Span
from engine.check.bibliography import Citation, SourceDecl
from engine.check.node import Node
from engine.lang.kinds import ArithOp, CompareOp, DeclarationKind, KeyKind, LogicOp, MarkerKind
from engine.lang.statuses import Status
from engine.lang.types import Type

# ─── Expressions (each with its type) ────────────────────────────────────────────────────────

@frozen
class Const(Node):
    """A constant value (literal or enumeration word)."""

    value: object
    type: Type


@frozen
class FactRef(Node):
    """Reads an input fact; reading it is what makes it needed."""

    name: str
    type: Type


@frozen
class DefRef(Node):
    """A reference to a definition: the effective one, or `origin.name` for the original."""

    name: str
    type: Type
    origin: str | None = None
    date: Expr | None = None


@frozen
class TableCall(Node):
    """A table lookup with its key arguments, at a date when the table is dated."""

    name: str
    args: tuple[Expr, ...]
    type: Type
    origin: str | None = None
    date: Expr | None = None


@frozen
class ParamRef(Node):
    """A parameter of the function being evaluated."""

    name: str
    type: Type


@frozen
class FuncCall(Node):
    """A call of a `fonction`; arguments are evaluated only if the body uses them."""

    name: str
    args: tuple[Expr, ...]
    type: Type
    origin: str | None = None


@frozen
class Builtin(Node):
    """`min(…)` or `max(…)`."""

    name: str
    args: tuple[Expr, ...]
    type: Type


@frozen
class Arith(Node):
    """`+ - × /` with exact arithmetic."""

    op: ArithOp = field(converter=ArithOp)
    left: Expr
    right: Expr
    type: Type


@frozen
class Negate(Node):
    """Arithmetic negation."""

    operand: Expr
    type: Type


@frozen
class Logic(Node):
    """`et` / `ou` with short-circuit and Kleene treatment of missing facts."""

    op: LogicOp = field(converter=LogicOp)
    left: Expr
    right: Expr
    type: Type


@frozen
class Not(Node):
    """`non`."""

    operand: Expr
    type: Type


@frozen
class Compare(Node):
    """A comparison; op in = ≠ < ≤ > ≥."""

    op: CompareOp = field(converter=CompareOp)
    left: Expr
    right: Expr
    type: Type


@frozen
class Member(Node):
    """`x dans {…}` with constant items; `x dans nom` has the named set's items inlined (so every
    evaluator tests the same constants) and keeps its name and citations for explanations."""

    operand: Expr
    items: tuple[object, ...]
    negated: bool
    type: Type
    set_name: str | None = None
    set_sources: tuple[Citation, ...] = ()


@frozen
class If(Node):
    """`si … alors … sinon …`."""

    condition: Expr
    then: Expr
    otherwise: Expr
    type: Type


@frozen
class Round(Node):
    """Explicit rounding to a multiple of `quantum`, half up or truncated."""

    operand: Expr
    quantum: Decimal
    truncate: bool
    label: str
    type: Type


@frozen
class DurationOf(Node):
    """A duration built from an integer expression."""

    amount: Expr
    unit: str
    type: Type


@frozen
class TextOf(Node):
    """The short name of the text whose version of a definition is in force at a date."""

    name: str
    date: Expr
    type: Type


@frozen
class Marker(Node):
    """`non applicable "…"` or `indéterminé "…"`."""

    kind: MarkerKind = field(converter=MarkerKind)
    reason: str
    type: Type


Expr = (
    Const | FactRef | DefRef | ParamRef | FuncCall | TableCall | Builtin | Arith | Negate | Logic | Not | Compare
    | Member | If | Round | DurationOf | TextOf | Marker
)


# ─── Declarations ────────────────────────────────────────────────────────────────────────────

@frozen
class TextInfo:
    """A legal text encoded by one rule file."""

    file: str
    prefix: str
    title: str
    short: str
    long: str | None = None
    in_force_from: dt.date | None = None
    in_force_until: dt.date | None = None
    directory: str | None = None
    """Absolute directory of the rule file, where its letter templates (`lettres/`) live."""


@frozen
class StatusInfo:
    """A flag an explanation must repeat: `Status.TO_CONFIRM` or `Status.MODELLING_CHOICE`."""

    kind: Status
    note: str | None = None
    span: Span = field(default=NOWHERE, eq=False, repr=False)

    @property
    def french(self) -> str:
        """The flag as written in the rule language (`Status.label`)."""
        return self.kind.label


@frozen
class FactDecl(Node):
    """An input: its type, allowed values, and the words to ask a person for it."""

    name: str
    type: Type
    description: str | None = None
    question: str | None = None
    sources: tuple[Citation, ...] = ()
    low: Ordered | None = None
    high: Ordered | None = None
    allowed: tuple[object, ...] | None = None
    text: str = ""
    unit: str | None = None
    ignored: str | None = None
    """Why the file accepts this fact without reading it (`ignoré : "…"`), if it does so on purpose."""
    label: str | None = None
    """`libellé "…"`: how a letter to the doctor names the fact (else its description)."""


class Ordered(Protocol):
    """A band's bound: a number or a date. The checker compares bounds only within one key type."""

    def __lt__(self, other: Any, /) -> bool: ...
    def __le__(self, other: Any, /) -> bool: ...
    def __gt__(self, other: Any, /) -> bool: ...
    def __ge__(self, other: Any, /) -> bool: ...


@frozen
class Key(Node):
    """A row or column key of a table: an enumeration word, `autre`, a value or a band."""

    kind: KeyKind = field(converter=KeyKind)
    value: object = None
    low: Ordered | None = None
    low_inclusive: bool = True
    high: Ordered | None = None
    high_inclusive: bool = False
    text: str = ""

    def matches(self, value: object) -> bool:
        """Whether a key value falls under this key (bands compare numerically)."""
        if self.kind is KeyKind.OTHER:
            return True
        if self.kind in (KeyKind.ENUM, KeyKind.VALUE):
            return value == self.value
        if self.low is not None and (self.low > value or (value == self.low and not self.low_inclusive)):
            return False
        return not (self.high is not None and (self.high < value or (value == self.high and not self.high_inclusive)))


@frozen
class CellInfo(Node):
    """A table cell: its typed expression, its text and its own status flag if any."""

    expr: Expr
    text: str
    status: StatusInfo | None = None

    @property
    def value_text(self) -> str:
        """The cell as written without its status (`20 %` of `20 % à confirmer`), cut where the status starts."""
        cut = self.status.span.start - self.span.start if self.status is not None else 0
        return self.text[:cut].rstrip() if 0 < cut <= len(self.text) else self.text


@frozen
class Grid(Node):
    """A table body: row keys, column keys (None for one-key tables), cells[row][column]."""

    rows: tuple[Key, ...]
    columns: tuple[Key, ...] | None
    cells: tuple[tuple[CellInfo, ...], ...]


@frozen
class Version(Node):
    """One version of a definition, in force from `start` (None: from the beginning)."""

    start: dt.date | None
    body: Expr | Grid
    text: TextInfo
    sources: tuple[Citation, ...] = ()
    statuses: tuple[StatusInfo, ...] = ()


@frozen
class Param(Node):
    """A table key's name and type."""

    name: str
    type: Type


@frozen
class GuardInfo(Node):
    """`applicable si nom`: the rule is not applicable unless that boolean holds."""

    name: str
    reason: str | None


@frozen
class Definition(Node):
    """A parameter, rule or table after checking, with all its versions."""

    name: str
    kind: DeclarationKind = field(converter=DeclarationKind)
    type: Type
    versions: tuple[Version, ...]
    is_output: bool = False
    description: str | None = None
    guard: GuardInfo | None = None
    params: tuple[Param, ...] = ()
    replaces: str | None = None
    unit: str | None = None
    reused_from: str | None = None
    """The rule file (as `reprend … de "…"` writes it) this definition was taken from, if any."""
    amended_by: str | None = None
    """The short name of the text whose `précise` block gave this definition its description, citations
    or statuses (the formula stays the one of `versions`' texts)."""
    internal: bool = False
    """`interne`: plumbing hidden from explanation summaries, which show what it leads to instead; a
    replacement inherits it from the definition it replaces (the concept stays plumbing)."""
    uid: str = field(kw_only=True, eq=False)
    """A stable identity assigned by the checker, unique within a program: `fichier.nom`, the file
    whose checking built this definition (declared, replaced, précisée or reused there) and its name;
    an inherited definition keeps its own, even when re-pointed at a replaced set (it is then the only
    one of that uid in the program). Caches key on it rather than on `id()`, so keys survive pickling
    and mean the same in every process; a version is `(uid, version.nid)` (`Node.nid`)."""

    dated: bool = field(init=False, eq=False, repr=False)
    """Whether the definition has versions starting on given dates (and so is read with `au`)."""

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "dated", any(v.start is not None for v in self.versions))

    @property
    def is_set(self) -> bool:
        """Whether this is a set parameter (`paramètre x = {…}`), read only with `dans x`."""
        body = self.versions[-1].body
        return self.kind is DeclarationKind.PARAMETER and isinstance(body, Const) and isinstance(body.value, tuple)

    @property
    def latest(self) -> Version:
        """The most recent version."""
        return self.versions[-1]

    def version_at(self, date: dt.date | None) -> Version | None:
        """The version in force at a date (None: the latest); None before the first version."""
        if date is None:
            return self.latest
        found = None
        for version in self.versions:
            if version.start is None or version.start <= date:
                found = version
        return found

    @property
    def citation(self) -> tuple[Citation, ...]:
        """The legal sources of the latest version."""
        return self.latest.sources

    @property
    def statuses(self) -> tuple[StatusInfo, ...]:
        """The flags of the latest version."""
        return self.latest.statuses


@frozen
class ExampleCase(Node):
    """An example block after checking: typed facts and expected outcomes."""

    title: str
    facts: Mapping[str, object]
    expected: tuple[Expectation, ...]
    file: str = ""


@frozen
class Expectation(Node):
    """One expected outcome: `status` is value, not_applicable, undetermined or missing."""

    name: str
    status: str
    value: object = None
    facts: tuple[str, ...] = ()


@frozen
class ScheduleSpec(Node):
    """The schedule axis declared by the rule file."""

    axis: str
    first: int
    last: int
    columns: tuple[str, ...]
    totals: tuple[str, ...]
    description: str | None = None


@frozen(eq=False)
class Program:
    """A checked rule file, merged with the files it amends."""

    texts: tuple[TextInfo, ...]
    facts: Mapping[str, FactDecl]
    definitions: Mapping[str, Definition]
    originals: Mapping[tuple[str, str], Definition]
    outputs: tuple[str, ...]
    examples: tuple[ExampleCase, ...]
    schedule: ScheduleSpec | None
    sources: Mapping[str, Source]
    warnings: tuple[Diagnostic, ...] = ()
    bibliography: Mapping[str, SourceDecl] = field(factory=dict)
    """The sources the files declare, by key (`sources` are the rule files' texts)."""
    withdrawn: Mapping[str, str] = field(factory=dict)
    """Inherited definitions this file withdraws (`abroge x`), each with the short name of this text."""
    headline: str | None = None
    """The boolean result that decides a case (`résultat principal : nom`), declared by the file or
    inherited from the file it amends; None when no file of the chain declares one."""
    breakdown: tuple[str, ...] = ()
    """The facts reports break cases down by (`ventilation : a, b`), declared or inherited."""

    @property
    def text(self) -> TextInfo:
        """The text this file encodes (the last of the amendment chain)."""
        return self.texts[-1]

    def definition(self, name: str, origin: str | None = None) -> Definition:
        """The effective definition of a name, or the original one in file `origin`."""
        if origin is None:
            return self.definitions[name]
        return self.originals[(origin, name)]


# ─── Walking expressions ─────────────────────────────────────────────────────────────────────

def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of an expression."""
    match node:
        case Arith(left=l, right=r) | Logic(left=l, right=r) | Compare(left=l, right=r):
            return (l, r)
        case If(condition=c, then=t, otherwise=o):
            return (c, t, o)
        case Negate(operand=o) | Not(operand=o) | Member(operand=o) | Round(operand=o):
            return (o,)
        case DurationOf(amount=a):
            return (a,)
        case Builtin(args=args) | FuncCall(args=args):
            return args
        case TableCall(args=args, date=d):
            return args + ((d,) if d is not None else ())
        case DefRef(date=d):
            return (d,) if d is not None else ()
        case TextOf(date=d):
            return (d,)
    return ()


def walk(expr: Expr) -> Iterator[Expr]:
    """An expression and all its sub-expressions, iteratively (deep formulas must not recurse)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(children(node))


def definition_exprs(definition: Definition) -> Iterator[Expr]:
    """Every expression of a definition: each version's formula, or each cell of its tables."""
    for version in definition.versions:
        body = version.body
        if isinstance(body, Grid):
            for row in body.cells:
                for cell in row:
                    yield cell.expr
        else:
            yield body
