"""The value types of the rule language and the typing rules the checker applies.

Nine kinds: montant (euros), taux (a fraction shown as a percentage), entier, décimal, booléen,
date, durée, texte and énumération (a closed list of words, named after the declaration that
introduced it). Units matter: money + date, or a percentage compared with a count, are errors,
because they are the mistakes a policy editor actually makes (`part > 20` meaning 20 %).
`ANY` is the type of `non applicable` / `indéterminé`, which fit wherever a value is expected.
"""

from __future__ import annotations

from attrs import field, frozen

from engine.lang.kinds import ArithOp, TypeKind

NUMERIC = frozenset({TypeKind.ENTIER, TypeKind.DECIMAL, TypeKind.TAUX, TypeKind.MONTANT})


@frozen(cache_hash=True)
class Type:
    """A value type; enumerations carry their name and words."""

    kind: TypeKind = field(converter=TypeKind)
    name: str | None = None
    values: tuple[str, ...] = ()
    labels: tuple[str | None, ...] = ()

    def __str__(self) -> str:
        if self.kind is TypeKind.ENUM:
            return f"énumération « {self.name} »"
        return self.kind.label

    @property
    def is_numeric(self) -> bool:
        """Whether arithmetic applies."""
        return self.kind in NUMERIC

    def label(self, value: str) -> str:
        """The display label of an enumeration word (the word itself when none is given)."""
        if value in self.values:
            found = self.labels[self.values.index(value)] if self.labels else None
            return found or value.replace("_", " ")
        return value


K = TypeKind

MONTANT = Type(K.MONTANT)
TAUX = Type(K.TAUX)
ENTIER = Type(K.ENTIER)
DECIMAL = Type(K.DECIMAL)
BOOLEEN = Type(K.BOOLEEN)
DATE = Type(K.DATE)
DUREE = Type(K.DUREE)
TEXTE = Type(K.TEXTE)
ANY = Type(K.ANY)

BASE = {t.kind: t for t in (MONTANT, TAUX, ENTIER, DECIMAL, BOOLEEN, DATE, DUREE, TEXTE)}


def enum(name: str, values: tuple[str, ...], labels: tuple[str | None, ...]) -> Type:
    """An enumeration type named after its declaration."""
    return Type(K.ENUM, name, values, labels)


def same(a: Type, b: Type) -> bool:
    """Whether two types are the same (enumerations by name)."""
    if a.kind != b.kind:
        return False
    return a.kind is not K.ENUM or a.name == b.name


def assignable(expected: Type, actual: Type) -> bool:
    """Whether a value of `actual` may stand where `expected` is declared.

    entier widens to décimal; a décimal (a ratio of counts) may be a taux; markers fit anywhere.
    """
    if actual.kind is K.ANY or expected.kind is K.ANY:
        return True
    if same(expected, actual):
        return True
    return (expected.kind, actual.kind) in {(K.DECIMAL, K.ENTIER), (K.TAUX, K.DECIMAL)}


def join(a: Type, b: Type) -> Type | None:
    """The type of `si … alors a sinon b`, or None when the branches cannot agree."""
    if a.kind is K.ANY:
        return b
    if b.kind is K.ANY or same(a, b):
        return a
    if assignable(a, b):
        return a
    if assignable(b, a):
        return b
    return None


_ADDITIVE = {(K.ENTIER, K.ENTIER): K.ENTIER, (K.ENTIER, K.DECIMAL): K.DECIMAL,
             (K.DECIMAL, K.ENTIER): K.DECIMAL, (K.DECIMAL, K.DECIMAL): K.DECIMAL,
             (K.TAUX, K.TAUX): K.TAUX, (K.TAUX, K.DECIMAL): K.TAUX, (K.DECIMAL, K.TAUX): K.TAUX,
             (K.MONTANT, K.MONTANT): K.MONTANT, (K.DUREE, K.DUREE): K.DUREE}
_PRODUCT = {(K.ENTIER, K.ENTIER): K.ENTIER, (K.ENTIER, K.DECIMAL): K.DECIMAL,
            (K.DECIMAL, K.ENTIER): K.DECIMAL, (K.DECIMAL, K.DECIMAL): K.DECIMAL,
            (K.TAUX, K.TAUX): K.TAUX, (K.TAUX, K.ENTIER): K.DECIMAL, (K.ENTIER, K.TAUX): K.DECIMAL,
            (K.TAUX, K.DECIMAL): K.DECIMAL, (K.DECIMAL, K.TAUX): K.DECIMAL,
            (K.MONTANT, K.ENTIER): K.MONTANT, (K.ENTIER, K.MONTANT): K.MONTANT,
            (K.MONTANT, K.DECIMAL): K.MONTANT, (K.DECIMAL, K.MONTANT): K.MONTANT,
            (K.MONTANT, K.TAUX): K.MONTANT, (K.TAUX, K.MONTANT): K.MONTANT,
            (K.DUREE, K.ENTIER): K.DUREE, (K.ENTIER, K.DUREE): K.DUREE}
_QUOTIENT = {(K.ENTIER, K.ENTIER): K.DECIMAL, (K.DECIMAL, K.ENTIER): K.DECIMAL,
             (K.ENTIER, K.DECIMAL): K.DECIMAL, (K.DECIMAL, K.DECIMAL): K.DECIMAL,
             (K.TAUX, K.TAUX): K.DECIMAL, (K.TAUX, K.ENTIER): K.TAUX, (K.TAUX, K.DECIMAL): K.TAUX,
             (K.MONTANT, K.MONTANT): K.DECIMAL, (K.MONTANT, K.ENTIER): K.MONTANT,
             (K.MONTANT, K.DECIMAL): K.MONTANT, (K.MONTANT, K.TAUX): K.MONTANT}


def arithmetic(op: ArithOp, left: Type, right: Type) -> Type | None:
    """The result type of `left op right`, or None when the units do not combine."""
    if left.kind is K.ANY or right.kind is K.ANY:
        # a marker operand (`non applicable "…" + 15 jours`) leaves the result open: it may be a
        # date or a durée, a montant or a taux. Its value is the marker anyway.
        return ANY
    pair = (left.kind, right.kind)
    if op in (ArithOp.ADD, ArithOp.SUB):
        if left.kind is K.DATE and right.kind is K.DUREE:
            return DATE
        if op is ArithOp.ADD and pair == (K.DUREE, K.DATE):
            return DATE
        if op is ArithOp.SUB and pair == (K.DATE, K.DATE):
            return DUREE
        kind = _ADDITIVE.get(pair)
    elif op is ArithOp.MUL:
        kind = _PRODUCT.get(pair)
    else:
        kind = _QUOTIENT.get(pair)
    return BASE[kind] if kind else None


def comparable(left: Type, right: Type) -> bool:
    """Whether `left` and `right` may be compared at all (equality or order)."""
    if left.kind is K.ANY or right.kind is K.ANY:
        return True
    if same(left, right):
        return True
    numeric = {(K.ENTIER, K.DECIMAL), (K.DECIMAL, K.ENTIER), (K.TAUX, K.DECIMAL), (K.DECIMAL, K.TAUX)}
    return (left.kind, right.kind) in numeric


def ordered(t: Type) -> bool:
    """Whether `<`, `≤`, `>`, `≥` apply to values of this type."""
    return t.kind in NUMERIC or t.kind in {K.DATE, K.DUREE, K.ANY}


def literal_hint(expected: Type, found: Type) -> str | None:
    """A hint for the classic unit slip: a bare number where money or a percentage is meant."""
    if found.kind in {K.ENTIER, K.DECIMAL} and expected.kind is K.TAUX:
        return "un pourcentage s'écrit avec % : par exemple 20 % et non 20"
    if found.kind in {K.ENTIER, K.DECIMAL} and expected.kind is K.MONTANT:
        return "un montant s'écrit avec € : par exemple 12 000 €"
    return None
