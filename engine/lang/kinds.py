"""Stage 0, the closed vocabularies of the language: kinds of types, declarations, literals, table keys,
markers, source fields, and the operators.

Each is a `StrEnum` whose values are the spellings the engine has always used (English or the
French keyword without accents, as before), so that pickled programs, JSON output, and code that
still compares with a string keep working; new code compares with the members. Each member has
one French `label`, the word a user reads (a diagnostic, an explanation, a documentation page).
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """A member is its string everywhere a string was used: in `==`, as a dict key, in JSON, and in
    `repr`, so that code generated with `{op!r}` still writes a string literal."""

    def __repr__(self) -> str:
        return repr(self.value)


class TypeKind(Kind):
    """The kind of a value type (`engine.lang.types.Type.kind`, `ast.SimpleType.kind`)."""

    MONTANT = "montant"
    TAUX = "taux"
    ENTIER = "entier"
    DECIMAL = "decimal"
    BOOLEEN = "booleen"
    DATE = "date"
    DUREE = "duree"
    TEXTE = "texte"
    ENUM = "enum"
    ANY = "any"
    """The type of `non applicable` / `indéterminé`, which fit wherever a value is expected."""

    @property
    def label(self) -> str:
        """The type's French name as the language writes it (`décimal`, `booléen`…)."""
        return _TYPE_LABELS[self]


_TYPE_LABELS = {TypeKind.MONTANT: "montant", TypeKind.TAUX: "taux", TypeKind.ENTIER: "entier",
                TypeKind.DECIMAL: "décimal", TypeKind.BOOLEEN: "booléen", TypeKind.DATE: "date",
                TypeKind.DUREE: "durée", TypeKind.TEXTE: "texte", TypeKind.ENUM: "énumération",
                TypeKind.ANY: "toute valeur"}


class DeclarationKind(Kind):
    """What a declaration declares (`model.Definition.kind`; facts are not definitions)."""

    PARAMETER = "parameter"
    RULE = "rule"
    FUNCTION = "function"
    TABLE = "table"
    FACT = "fact"

    @property
    def label(self) -> str:
        """The keyword that declares it (`paramètre`, `règle`…)."""
        return _DECLARATION_LABELS[self][0]

    @property
    def with_article(self) -> str:
        """The keyword with its indefinite article (`un paramètre`, `une règle`), for diagnostics."""
        return _DECLARATION_LABELS[self][1]


_DECLARATION_LABELS = {DeclarationKind.PARAMETER: ("paramètre", "un paramètre"),
                       DeclarationKind.RULE: ("règle", "une règle"),
                       DeclarationKind.FUNCTION: ("fonction", "une fonction"),
                       DeclarationKind.TABLE: ("table", "une table"),
                       DeclarationKind.FACT: ("fait", "un fait")}


class LiteralKind(Kind):
    """How a literal is written (`ast.Literal.kind`); its value is already parsed."""

    NUMBER = "number"
    MONEY = "money"
    PERCENT = "percent"
    DATE = "date"
    TEXT = "text"
    BOOL = "bool"

    @property
    def label(self) -> str:
        """What the literal is, in French."""
        return _LITERAL_LABELS[self]


_LITERAL_LABELS = {LiteralKind.NUMBER: "nombre", LiteralKind.MONEY: "montant", LiteralKind.PERCENT: "pourcentage",
                   LiteralKind.DATE: "date", LiteralKind.TEXT: "texte", LiteralKind.BOOL: "booléen"}


class KeyKind(Kind):
    """A table key (`model.Key.kind`): an enumeration word, `autre`, a value, a band, or one in error."""

    ENUM = "enum"
    OTHER = "autre"
    VALUE = "value"
    BAND = "band"
    INVALID = "invalid"
    """A key the checker refused (reported); it matches nothing, and nothing is reported around it."""

    @property
    def label(self) -> str:
        """What the key is, in French."""
        return _KEY_LABELS[self]


_KEY_LABELS = {KeyKind.ENUM: "mot d'énumération", KeyKind.OTHER: "autre", KeyKind.VALUE: "valeur",
               KeyKind.BAND: "tranche", KeyKind.INVALID: "clé invalide"}


class MarkerKind(Kind):
    """An explicit absence of value written in a formula (`ast.Marker.kind`, `model.Marker.kind`)."""

    NOT_APPLICABLE = "non_applicable"
    UNDETERMINED = "indetermine"

    @property
    def label(self) -> str:
        """The marker as the language writes it."""
        return "non applicable" if self is MarkerKind.NOT_APPLICABLE else "indéterminé"


class SourceFieldKind(Kind):
    """A field of a source declaration (`ast.SourceField.kind`)."""

    PUBLISHER = "publisher"
    DATE = "date"
    URL = "url"

    @property
    def label(self) -> str:
        """The field's keyword (`éditeur`, `date`, `lien`)."""
        return _SOURCE_FIELD_LABELS[self]


_SOURCE_FIELD_LABELS = {SourceFieldKind.PUBLISHER: "éditeur", SourceFieldKind.DATE: "date",
                        SourceFieldKind.URL: "lien"}


class ArithOp(Kind):
    """An arithmetic operator, normalised (`ast.Binary.op`, `model.Arith.op`)."""

    ADD = "+"
    SUB = "-"
    MUL = "×"
    DIV = "/"

    @property
    def label(self) -> str:
        """The operation's French name."""
        return _ARITH_LABELS[self]


_ARITH_LABELS = {ArithOp.ADD: "addition", ArithOp.SUB: "soustraction", ArithOp.MUL: "multiplication",
                 ArithOp.DIV: "division"}


class CompareOp(Kind):
    """A comparison operator, normalised (`ast.Compare.op`, `model.Compare.op`)."""

    EQ = "="
    NE = "≠"
    LT = "<"
    LE = "≤"
    GT = ">"
    GE = "≥"

    @property
    def label(self) -> str:
        """The comparison in French words (`au moins`…)."""
        return _COMPARE_LABELS[self]


_COMPARE_LABELS = {CompareOp.EQ: "égal à", CompareOp.NE: "différent de", CompareOp.LT: "inférieur à",
                   CompareOp.LE: "au plus", CompareOp.GT: "supérieur à", CompareOp.GE: "au moins"}


class LogicOp(Kind):
    """A logical connective (`ast.Logical.op`, `model.Logic.op`), Kleene's three-valued `et` / `ou`."""

    AND = "et"
    OR = "ou"

    @property
    def label(self) -> str:
        """The connective as the language writes it."""
        return str(self.value)
