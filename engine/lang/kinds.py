"""Stage 0, the closed vocabularies of the language: kinds of types, declarations, literals, table keys,
markers, source fields, the operators, and the events of an evaluation's trace.

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

    @property
    def label(self) -> str:
        """The member's French word, as a user reads it (`décimal`, `paramètre`, `au moins`)."""
        return _LABELS[type(self)][self]


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


class DeclarationKind(Kind):
    """What a declaration declares (`model.Definition.kind`; facts are not definitions)."""

    PARAMETER = "parameter"
    RULE = "rule"
    FUNCTION = "function"
    TABLE = "table"
    FACT = "fact"

    @property
    def with_article(self) -> str:
        """The keyword with its indefinite article (`un paramètre`, `une règle`), for diagnostics."""
        return ("une " if self in (DeclarationKind.RULE, DeclarationKind.FUNCTION, DeclarationKind.TABLE)
                else "un ") + self.label


class LiteralKind(Kind):
    """How a literal is written (`ast.Literal.kind`); its value is already parsed."""

    NUMBER = "number"
    MONEY = "money"
    PERCENT = "percent"
    DATE = "date"
    TEXT = "text"
    BOOL = "bool"


class KeyKind(Kind):
    """A table key (`model.Key.kind`): an enumeration word, `autre`, a value, a band, or one in error."""

    ENUM = "enum"
    OTHER = "autre"
    VALUE = "value"
    BAND = "band"
    INVALID = "invalid"
    """A key the checker refused (reported); it matches nothing, and nothing is reported around it."""


class MarkerKind(Kind):
    """An explicit absence of value written in a formula (`ast.Marker.kind`, `model.Marker.kind`)."""

    NOT_APPLICABLE = "non_applicable"
    UNDETERMINED = "indetermine"


class SourceFieldKind(Kind):
    """A field of a source declaration (`ast.SourceField.kind`)."""

    PUBLISHER = "publisher"
    DATE = "date"
    URL = "url"


class ArithOp(Kind):
    """An arithmetic operator, normalised (`ast.Binary.op`, `model.Arith.op`)."""

    ADD = "+"
    SUB = "-"
    MUL = "×"
    DIV = "/"


class CompareOp(Kind):
    """A comparison operator, normalised (`ast.Compare.op`, `model.Compare.op`)."""

    EQ = "="
    NE = "≠"
    LT = "<"
    LE = "≤"
    GT = ">"
    GE = "≥"


class LogicOp(Kind):
    """A logical connective (`ast.Logical.op`, `model.Logic.op`), Kleene's three-valued `et` / `ou`."""

    AND = "et"
    OR = "ou"


class EventKind(Kind):
    """What a trace event records (`engine.evaluate.trace.Site.kind`), as the JSON trace writes it.

    The evaluator's vocabulary rather than the language's, but a stable, documented one (templates
    and the JSON trace read it), so it lives with the others: one `label` mechanism, one table, one
    test. The first four are also `DeclarationKind` values: a definition's event has its kind.
    """

    RULE = "rule"
    PARAMETER = "parameter"
    TABLE = "table"
    FUNCTION = "function"
    FACT = "fact"
    GUARD = "guard"
    TEST = "test"
    """The condition of a `si`, as opposed to the whole `si` (`CONDITION`)."""
    CONDITION = "condition"
    COMPARISON = "comparison"
    MEMBERSHIP = "membership"
    LOGIC = "logic"
    NEGATION = "negation"
    ARITHMETIC = "arithmetic"
    DATE = "date"
    """Arithmetic on dates (a date plus a duration)."""
    ROUNDING = "rounding"
    EXTREMUM = "extremum"
    TEXT_OF = "text_of"
    MARKER = "marker"
    REFERENCE = "reference"
    """Only in JSON: a shared event written again after its first time (label and result)."""


_LABELS: dict[type[Kind], dict[Kind, str]] = {
    # One table per enum: members of different enums may share a value ("enum", "date"), and a StrEnum
    # member is equal to its value, so one flat table would mix them up.
    TypeKind: {TypeKind.MONTANT: "montant", TypeKind.TAUX: "taux", TypeKind.ENTIER: "entier",
               TypeKind.DECIMAL: "décimal", TypeKind.BOOLEEN: "booléen", TypeKind.DATE: "date",
               TypeKind.DUREE: "durée", TypeKind.TEXTE: "texte", TypeKind.ENUM: "énumération",
               TypeKind.ANY: "toute valeur"},
    DeclarationKind: {DeclarationKind.PARAMETER: "paramètre", DeclarationKind.RULE: "règle",
                      DeclarationKind.FUNCTION: "fonction", DeclarationKind.TABLE: "table",
                      DeclarationKind.FACT: "fait"},
    LiteralKind: {LiteralKind.NUMBER: "nombre", LiteralKind.MONEY: "montant", LiteralKind.PERCENT: "pourcentage",
                  LiteralKind.DATE: "date", LiteralKind.TEXT: "texte", LiteralKind.BOOL: "booléen"},
    KeyKind: {KeyKind.ENUM: "mot d'énumération", KeyKind.OTHER: "autre", KeyKind.VALUE: "valeur",
              KeyKind.BAND: "tranche", KeyKind.INVALID: "clé invalide"},
    MarkerKind: {MarkerKind.NOT_APPLICABLE: "non applicable", MarkerKind.UNDETERMINED: "indéterminé"},
    SourceFieldKind: {SourceFieldKind.PUBLISHER: "éditeur", SourceFieldKind.DATE: "date",
                      SourceFieldKind.URL: "lien"},
    ArithOp: {ArithOp.ADD: "addition", ArithOp.SUB: "soustraction", ArithOp.MUL: "multiplication",
              ArithOp.DIV: "division"},
    CompareOp: {CompareOp.EQ: "égal à", CompareOp.NE: "différent de", CompareOp.LT: "inférieur à",
                CompareOp.LE: "au plus", CompareOp.GT: "supérieur à", CompareOp.GE: "au moins"},
    LogicOp: {LogicOp.AND: "et", LogicOp.OR: "ou"},
    EventKind: {EventKind.RULE: "règle", EventKind.PARAMETER: "paramètre", EventKind.TABLE: "table",
                EventKind.FUNCTION: "fonction", EventKind.FACT: "fait", EventKind.GUARD: "condition d'application",
                EventKind.TEST: "test", EventKind.CONDITION: "alternative", EventKind.COMPARISON: "comparaison",
                EventKind.MEMBERSHIP: "appartenance", EventKind.LOGIC: "connecteur logique",
                EventKind.NEGATION: "négation", EventKind.ARITHMETIC: "calcul", EventKind.DATE: "calcul de date",
                EventKind.ROUNDING: "arrondi", EventKind.EXTREMUM: "minimum ou maximum",
                EventKind.TEXT_OF: "texte de", EventKind.MARKER: "marqueur", EventKind.REFERENCE: "rappel"},
}
"""Every member's label (tests/test_kinds.py checks that none is missing)."""
