"""The value types of the rule language and the typing rules the checker applies.

Nine kinds: montant (euros), taux (a fraction shown as a percentage), entier, décimal, booléen,
date, durée, texte and énumération (a closed list of words, named after the declaration that
introduced it). Units matter: money + date, or a percentage compared with a count, are errors,
because they are the mistakes a policy editor actually makes (`part > 20` meaning 20 %).
`ANY` is the type of `non applicable` / `indéterminé`, which fit wherever a value is expected.
"""

from __future__ import annotations

from attrs import frozen

NUMERIC = frozenset({"entier", "decimal", "taux", "montant"})

_FRENCH = {"montant": "montant", "taux": "taux", "entier": "entier", "decimal": "décimal",
           "booleen": "booléen", "date": "date", "duree": "durée", "texte": "texte", "any": "toute valeur"}


@frozen(cache_hash=True)
class Type:
    """A value type; enumerations carry their name and words."""

    kind: str
    name: str | None = None
    values: tuple[str, ...] = ()
    labels: tuple[str | None, ...] = ()

    def __str__(self) -> str:
        if self.kind == "enum":
            return f"énumération « {self.name} »"
        return _FRENCH[self.kind]

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


MONTANT = Type("montant")
TAUX = Type("taux")
ENTIER = Type("entier")
DECIMAL = Type("decimal")
BOOLEEN = Type("booleen")
DATE = Type("date")
DUREE = Type("duree")
TEXTE = Type("texte")
ANY = Type("any")

BASE = {t.kind: t for t in (MONTANT, TAUX, ENTIER, DECIMAL, BOOLEEN, DATE, DUREE, TEXTE)}


def enum(name: str, values: tuple[str, ...], labels: tuple[str | None, ...]) -> Type:
    """An enumeration type named after its declaration."""
    return Type("enum", name, values, labels)


def same(a: Type, b: Type) -> bool:
    """Whether two types are the same (enumerations by name)."""
    if a.kind != b.kind:
        return False
    return a.kind != "enum" or a.name == b.name


def assignable(expected: Type, actual: Type) -> bool:
    """Whether a value of `actual` may stand where `expected` is declared.

    entier widens to décimal; a décimal (a ratio of counts) may be a taux; markers fit anywhere.
    """
    if actual.kind == "any" or expected.kind == "any":
        return True
    if same(expected, actual):
        return True
    return (expected.kind, actual.kind) in {("decimal", "entier"), ("taux", "decimal")}


def join(a: Type, b: Type) -> Type | None:
    """The type of `si … alors a sinon b`, or None when the branches cannot agree."""
    if a.kind == "any":
        return b
    if b.kind == "any" or same(a, b):
        return a
    if assignable(a, b):
        return a
    if assignable(b, a):
        return b
    return None


_ADDITIVE = {("entier", "entier"): "entier", ("entier", "decimal"): "decimal",
             ("decimal", "entier"): "decimal", ("decimal", "decimal"): "decimal",
             ("taux", "taux"): "taux", ("taux", "decimal"): "taux", ("decimal", "taux"): "taux",
             ("montant", "montant"): "montant", ("duree", "duree"): "duree"}
_PRODUCT = {("entier", "entier"): "entier", ("entier", "decimal"): "decimal",
            ("decimal", "entier"): "decimal", ("decimal", "decimal"): "decimal",
            ("taux", "taux"): "taux", ("taux", "entier"): "decimal", ("entier", "taux"): "decimal",
            ("taux", "decimal"): "decimal", ("decimal", "taux"): "decimal",
            ("montant", "entier"): "montant", ("entier", "montant"): "montant",
            ("montant", "decimal"): "montant", ("decimal", "montant"): "montant",
            ("montant", "taux"): "montant", ("taux", "montant"): "montant",
            ("duree", "entier"): "duree", ("entier", "duree"): "duree"}
_QUOTIENT = {("entier", "entier"): "decimal", ("decimal", "entier"): "decimal",
             ("entier", "decimal"): "decimal", ("decimal", "decimal"): "decimal",
             ("taux", "taux"): "decimal", ("taux", "entier"): "taux", ("taux", "decimal"): "taux",
             ("montant", "montant"): "decimal", ("montant", "entier"): "montant",
             ("montant", "decimal"): "montant", ("montant", "taux"): "montant"}


def arithmetic(op: str, left: Type, right: Type) -> Type | None:
    """The result type of `left op right`, or None when the units do not combine."""
    if left.kind == "any" or right.kind == "any":
        # a marker operand (`non applicable "…" + 15 jours`) leaves the result open: it may be a
        # date or a durée, a montant or a taux. Its value is the marker anyway.
        return ANY
    pair = (left.kind, right.kind)
    if op in "+-":
        if left.kind == "date" and right.kind == "duree":
            return DATE
        if op == "+" and pair == ("duree", "date"):
            return DATE
        if op == "-" and pair == ("date", "date"):
            return DUREE
        kind = _ADDITIVE.get(pair)
    elif op == "×":
        kind = _PRODUCT.get(pair)
    else:
        kind = _QUOTIENT.get(pair)
    return BASE[kind] if kind else None


def comparable(left: Type, right: Type) -> bool:
    """Whether `left` and `right` may be compared at all (equality or order)."""
    if left.kind == "any" or right.kind == "any":
        return True
    if same(left, right):
        return True
    numeric = {("entier", "decimal"), ("decimal", "entier"), ("taux", "decimal"), ("decimal", "taux")}
    return (left.kind, right.kind) in numeric


def ordered(t: Type) -> bool:
    """Whether `<`, `≤`, `>`, `≥` apply to values of this type."""
    return t.kind in NUMERIC or t.kind in {"date", "duree", "any"}


def literal_hint(expected: Type, found: Type) -> str | None:
    """A hint for the classic unit slip: a bare number where money or a percentage is meant."""
    if found.kind in {"entier", "decimal"} and expected.kind == "taux":
        return "un pourcentage s'écrit avec % : par exemple 20 % et non 20"
    if found.kind in {"entier", "decimal"} and expected.kind == "montant":
        return "un montant s'écrit avec € : par exemple 12 000 €"
    return None
