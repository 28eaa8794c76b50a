"""Hypothesis strategies shared by the test modules (after attrs' `tests/strategies.py`).

Three families:

- `rule_texts()`: text drawn from the grammar itself (`hypothesis.extra.lark.from_lark`), mostly
  syntactically plausible, often wrong: for "loading never crashes" properties.
- `programs()`: complete rule files that are well typed *by construction* (facts of every type,
  parameters, dated parameters and tables, rules, functions, guards), as text.
- `fact_sets(program)`: values for the facts a program declares, honouring their declared
  constraints, with optional keys dropped so that evaluation meets missing facts.

`programs()` and `fact_sets()` are meant to be reused (e.g. to compare another evaluator with the
interpreter)::

    @given(st.data())
    def test_same_results(data):
        text = data.draw(programs())
        ruleset = engine.loads(text)
        facts = data.draw(fact_sets(ruleset))
        ...

Test modules import this file as `strategies` (tests/conftest.py puts tests/ on `sys.path`).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import itertools
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path

from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import engine
from engine.syntax import parser as syntax
from engine.lang.values import Duration

__all__ = ["fact_sets", "programs", "programs_with_facts", "rule_texts"]


# ─── rule_texts ──────────────────────────────────────────────────────────────────────────────

_NAMES = ["a", "b", "secteur", "montant_annuel", "taux", "date", "é", "âge_1", "x_2", "si", "fin", "autre",
          "avenant7", "option", "tiers_temps", "annee", "règle"]
_NUMBERS = ["0", "1", "2", "12", "640", "7,5", "0.8", "12 000", "1 000 000,50", "99999999999999999999", "3"]
_DATES = ["22/06/2024", "01/01/2020", "31/02/2024", "29/02/2023", "29/02/2024", "1/1/0001", "31/12/9999",
          "00/00/0000", "15/3/2021"]
_STRINGS = ['"t"', '""', '"avenant7.rules"', "« texte »", '"a\\"b"', '"x.rules"', '"  "']
_CELLS = ["moins de 50", "de 50 à moins de 70", "70 et plus", "autre", "—", "12 000 €", "20 % à confirmer",
          "x", "", "jusqu'à 3", "plus de 4", "de 1 à 2", "1", "vrai", '"t"', 'non applicable "r"', "---",
          "(", "a +", "tiers_temps", "mi_temps", "b", "de 5 à 3", "a(1)", "si"]
_SEPARATORS = st.sampled_from([" ", " ", " ", "\n", "\n  "])


def _row() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(_CELLS), min_size=1, max_size=4).map(lambda cells: "| " + " | ".join(cells) + " |")


def _terminal_strategies(lark: object, separated: bool) -> dict[str, st.SearchStrategy[str]]:
    """One strategy per terminal, each followed by a separator (if `separated`) so that tokens do
    not merge. Explicit strategies for every terminal also spare `from_lark` its slow regex-drawn
    ones."""
    terminals, _, _ = lark.grammar.compile(["start"], ())  # type: ignore[attr-defined]
    special: dict[str, st.SearchStrategy[str]] = {
        "NAME": st.sampled_from(_NAMES), "NUMBER": st.sampled_from(_NUMBERS), "DATE": st.sampled_from(_DATES),
        "STRING": st.sampled_from(_STRINGS), "TABLE_ROW": _row(), "COMMENT": st.just("# commentaire"),
        "WS": st.just(" "), "L_APOS": st.sampled_from(["l'", "l’"]), "JUSQU": st.sampled_from(["jusqu'", "jusqu’"]),
        "RESULTAT_PRINCIPAL": st.sampled_from(["résultat principal", "resultat principal"]),
    }
    explicit = {}
    for terminal in terminals:
        base = special.get(terminal.name)
        if base is None:
            assert terminal.pattern.type == "str", terminal.name
            base = st.just(terminal.pattern.value)
        if terminal.name in {"TABLE_ROW", "COMMENT"}:  # both run to the end of their line
            explicit[terminal.name] = base.map(lambda s: s + "\n")
        else:
            explicit[terminal.name] = st.tuples(base, _SEPARATORS).map("".join) if separated else base
    return explicit


@functools.cache
def rule_texts() -> st.SearchStrategy[str]:
    """Texts generated from `grammar/regles.lark` by `from_lark`, start symbol `start`.

    Two flavours: tokens separated by spaces and newlines (so that most texts parse and reach the
    builder and the checker, where the interesting errors are), and tokens glued together as
    `from_lark` emits them (keywords merged into names, lexer errors).
    """
    lark = syntax.parser(strict=True)  # the cached non-strict parser is loaded without its grammar
    spaced = from_lark(lark, start="start", explicit=_terminal_strategies(lark, separated=True))
    raw = from_lark(lark, start="start", explicit=_terminal_strategies(lark, separated=False))
    return st.one_of(spaced, spaced, raw)


# ─── programs ────────────────────────────────────────────────────────────────────────────────

_NUMERIC = ("entier", "decimal", "taux", "montant")
_ORDERED = _NUMERIC + ("date",)
_RULE_KINDS = _NUMERIC + ("date", "duree", "booleen", "texte")
_TYPE_WORDS = {"entier": "entier", "decimal": "décimal", "taux": "taux", "montant": "montant", "date": "date",
               "duree": "durée", "booleen": "booléen", "texte": "texte"}
_ENUM_WORDS = ("mot_a", "mot_b", "mot_c", "mot_d")
_LITERALS = {
    "taux": ("0 %", "5 %", "7,5 %", "12,5 %", "20 %", "50 %", "100 %", "150 %"),
    "montant": ("0 €", "1 €", "8 350,50 €", "12 000 €", "36 000 euros", "999 999,99 €"),
    "booleen": ("vrai", "faux"),
    "texte": ('"75"', '"48"', '""', '"médecine générale"'),
}
_MARKERS = ('non applicable "pas concerné"', 'indéterminé "pas publié"')
_ROUNDINGS = {
    "entier": ("arrondi à l'entier", "tronqué à l'entier", "arrondi à la dizaine", "arrondi au millier"),
    "decimal": ("arrondi au centime", "arrondi à l'entier", "tronque à la centaine"),
    "taux": ("arrondi au centime",),
    "montant": ("arrondi au centime", "arrondi à l'euro", "tronqué à l'euro", "arrondi à la centaine"),
}
# operators producing each kind: (left kind, operator, right kind)
_OPERATIONS = {
    "entier": (("entier", "+", "entier"), ("entier", "-", "entier"), ("entier", "×", "entier")),
    "decimal": (("entier", "/", "entier"), ("decimal", "+", "entier"), ("decimal", "*", "decimal"),
                ("montant", "/", "montant"), ("taux", "÷", "taux")),
    "taux": (("taux", "+", "taux"), ("taux", "-", "taux"), ("taux", "×", "taux"), ("taux", "/", "entier")),
    "montant": (("montant", "+", "montant"), ("montant", "-", "montant"), ("montant", "×", "taux"),
                ("entier", "×", "montant"), ("montant", "/", "entier"), ("montant", "/", "taux")),
    "date": (("date", "+", "duree"), ("date", "-", "duree"), ("duree", "+", "date")),
    "duree": (("date", "-", "date"), ("duree", "+", "duree"), ("duree", "×", "entier")),
}
_ATOM = re.compile(r"[\w.]+|\"[^\"]*\"")


_SOURCE_BLOCKS = ('source S0 "Texte généré"\n  éditeur "Éditeur"\n  date 01/01/2020\n  lien "https://example.org/s0"\nfin\n\n'
                  'source S1 "Note générée" date "mars 2021" fin')
"""Two declared sources, which facts, parameters and rules cite by key (a file may leave one uncited: W107)."""


def _p(expr: str) -> str:
    """An operand: in parentheses unless it is a single word, so that precedence never matters."""
    return expr if _ATOM.fullmatch(expr) else f"({expr})"


@functools.cache
def _below(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, n - 1)


class _Writer:
    """Writes one well-typed program, choosing with `draw` (plain recursion, no nested strategies:
    building strategies on every draw would make each program cost a tenth of a second)."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.facts: dict[str, str] = {}              # name -> kind ("enum:<name>" for enumerations)
        self.enums: dict[str, tuple[str, ...]] = {}  # enumeration name -> words
        self.values: dict[str, str] = {}             # parameters and rules read by their name
        self.dated: dict[str, str] = {}              # dated parameters, read with `au`
        self.tables: list[tuple[str, tuple[str, ...], str, bool]] = []  # name, key kinds, result, dated
        self.functions: list[tuple[str, tuple[str, ...], str]] = []     # name, parameter kinds, result
        self.params: dict[str, str] = {}             # parameters of the function being written

    # ── choices ──
    def below(self, n: int) -> int:
        return self.draw(_below(n)) if n > 1 else 0

    def pick(self, options):  # type: ignore[no-untyped-def]
        options = list(options)
        return options[self.below(len(options))]

    def chance(self, n: int) -> bool:
        """True once in `n`."""
        return self.below(n) == 0

    # ── expressions ──
    def readable(self, kind: str) -> list[str]:
        return sorted([n for n, k in self.facts.items() if k == kind] + [n for n, k in self.values.items() if k == kind]
                      + [n for n, k in self.params.items() if k == kind])

    def literal(self, kind: str) -> str:
        if kind == "entier":
            n = self.pick([0, 1, 2, 3, 12, 640, 775, 2_800, 12_000, self.below(100_000)])
            return f"{n:,}".replace(",", " ") if n >= 1000 and self.chance(2) else str(n)
        if kind == "decimal":
            return f"{self.below(500)}{self.pick([',', '.'])}{self.below(100):02d}"
        if kind == "date":
            return self._date()
        if kind == "duree":
            return f"{self.below(40)} {self.pick(['jours', 'jour', 'mois', 'ans', 'an', 'années'])}"
        if kind.startswith("enum:"):
            return self.pick(self.enums[kind[5:]])
        return self.pick(_LITERALS[kind])

    def _date(self) -> str:
        year, month = 1990 + self.below(51), 1 + self.below(12)
        day = 1 + self.below(31 if month in {1, 3, 5, 7, 8, 10, 12} else 30 if month != 2 else 28)
        return f"{day:02d}/{month:02d}/{year}"

    def leaf(self, kind: str) -> str:
        choices = [self.literal(kind)]
        choices += self.readable(kind) * 2
        for name, k in sorted(self.dated.items()):
            if k == kind:
                choices.append(f"{name} au {_p(self.leaf('date'))}")
        return self.pick(choices)

    def expr(self, kind: str, depth: int) -> str:
        """An expression of `kind`, well typed by construction, at most `depth` operators deep."""
        if depth <= 0 or self.chance(4):
            return self.leaf(kind)
        makers = [lambda k, d: self.leaf(k), self.if_, self.marker, self.call, self.call, self.operation,
                  self.operation, self.extremum, self.rounding, self.parenthesised]
        if kind == "booleen":
            makers += [self.condition] * 4
        elif kind == "duree":
            makers += [self.duration] * 2
        elif kind == "texte":
            makers.append(self.text_of)
        elif kind == "entier":
            makers.append(self.negation)
        result = self.pick(makers)(kind, depth - 1)
        return result if result is not None else self.leaf(kind)

    def parenthesised(self, kind: str, depth: int) -> str:
        return f"({self.expr(kind, depth)})"

    def if_(self, kind: str, depth: int) -> str:
        return f"si {self.expr('booleen', depth)} alors {self.expr(kind, depth)} sinon {self.expr(kind, depth)}"

    def marker(self, kind: str, depth: int) -> str:
        return self.pick(_MARKERS)

    def negation(self, kind: str, depth: int) -> str:
        return f"-{_p(self.expr(kind, depth))}"

    def operation(self, kind: str, depth: int) -> str | None:
        if kind not in _OPERATIONS:
            return None
        left, op, right = self.pick(_OPERATIONS[kind])
        return f"{_p(self.expr(left, depth))} {op} {_p(self.expr(right, depth))}"

    def extremum(self, kind: str, depth: int) -> str | None:
        if kind not in _ORDERED:
            return None
        args = [self.expr(kind, depth) for _ in range(2 + self.below(2))]
        return f"{self.pick(['min', 'max'])}({', '.join(args)})"

    def rounding(self, kind: str, depth: int) -> str | None:
        if kind not in _ROUNDINGS:
            return None
        if kind == "entier" and self.chance(2):  # only `à l'entier` makes an entier of a décimal
            return f"{_p(self.expr('decimal', depth))} {self.pick(_ROUNDINGS[kind][:2])}"
        return f"{_p(self.expr(kind, depth))} {self.pick(_ROUNDINGS[kind])}"

    def duration(self, kind: str, depth: int) -> str:
        return f"{_p(self.expr('entier', depth))} {self.pick(['jours', 'mois', 'ans'])}"

    def text_of(self, kind: str, depth: int) -> str | None:
        named = sorted([t[0] for t in self.tables] + list(self.dated))
        if not named:
            return None
        return f"texte de {self.pick(named)} au {_p(self.expr('date', depth))}"

    def call(self, kind: str, depth: int) -> str | None:
        tables = [t for t in self.tables if t[2] == kind]
        functions = [f for f in self.functions if f[2] == kind]
        if not tables and not functions:
            return None
        which = self.pick(tables + functions)
        args = ", ".join(self.expr(k, depth) for k in which[1])
        text = f"{which[0]}({args})"
        if len(which) == 4 and which[3]:  # a dated table is read at a date
            text += f" au {_p(self.expr('date', depth))}"
        return text

    def condition(self, kind: str, depth: int) -> str:
        choice = self.below(6)
        if choice == 0:
            return f"{_p(self.expr('booleen', depth))} {self.pick(['et', 'ou'])} {_p(self.expr('booleen', depth))}"
        if choice == 1:
            return f"non {_p(self.expr('booleen', depth))}"
        if choice == 2 and self.enums:
            name = self.pick(sorted(self.enums))
            words = self.enums[name]
            operand = _p(self.expr(f"enum:{name}", depth))
            if self.chance(2):
                return f"{operand} {self.pick(['=', '≠'])} {self.pick(words)}"
            items = sorted({self.pick(words) for _ in range(1 + self.below(len(words)))})
            return f"{operand} {self.pick(['dans', 'pas dans'])} {{{', '.join(items)}}}"
        if choice == 3:
            items = sorted({str(self.below(5)) for _ in range(1 + self.below(3))})
            return f"{_p(self.expr('entier', depth))} {self.pick(['dans', 'pas dans'])} {{{', '.join(items)}}}"
        if choice == 4:
            operand = self.pick(["texte", "booleen"])
            return f"{_p(self.expr(operand, depth))} {self.pick(['=', '≠', '!=', '<>'])} {_p(self.expr(operand, depth))}"
        operand = self.pick(_ORDERED + ("duree",))
        op = self.pick(["=", "≠", "<", "<=", "≤", ">", ">=", "≥"])
        return f"{_p(self.expr(operand, depth))} {op} {_p(self.expr(operand, depth))}"

    # ── declarations ──
    def fact_blocks(self) -> list[str]:
        blocks = []
        constraints = {
            "entier": ["", " au moins 0", " parmi {1, 2, 3}", " de 0 à 100"], "decimal": ["", " de 0 à 100"],
            "taux": ["", " de 0 % à 100 %"], "montant": ["", " au plus 1 000 000 €"],
            "date": ["", " de 01/01/2000 à 31/12/2040"], "booleen": [""], "texte": [""],
        }
        for kind, options in constraints.items():
            for i in range(self.below(3) or (1 if kind in {"entier", "booleen", "date"} else 0)):
                name = f"f_{kind[:3]}{i}"
                item = self.pick(["", '\n  question "Quelle valeur ?"', '\n  "Description"', '\n  source S0 : "art. 1"'])
                blocks.append(f"fait {name} : {_TYPE_WORDS[kind]}{self.pick(options)}{item}\nfin")
                self.facts[name] = kind
        for i in range(self.below(3)):
            name = f"choix_é{i}"
            words = tuple(f"{w}{i}" for w in _ENUM_WORDS[: 2 + self.below(3)])
            labels = [f'{w} "libellé {w}"' if self.chance(2) else w for w in words]
            blocks.append(f"fait {name} : énumération {{{', '.join(labels)}}} fin")
            self.facts[name] = f"enum:{name}"
            self.enums[name] = words
        return blocks

    def parameter_blocks(self) -> list[str]:
        blocks = []
        for i in range(self.below(4)):
            kind = self.pick(["entier", "taux", "montant", "date", "duree"])
            status = self.pick(["", "\n  à confirmer", '\n  choix de modélisation : "choix"', "\n  source S1",
                                '\n  source "Art. 2"'])
            blocks.append(f"paramètre p{i} = {self.literal(kind)}{status}\nfin")
            self.values[f"p{i}"] = kind
        if self.chance(2):
            kind = self.pick(["entier", "taux", "montant"])
            blocks.append(f"paramètre pd : {_TYPE_WORDS[kind]}\n  à partir du 01/01/2020 : {self.literal(kind)}\n"
                          f"  à partir du 22/06/2024 : {self.literal(kind)}\nfin")
            self.dated["pd"] = kind
        return blocks

    def bands(self, kind: str) -> list[str]:
        """Band keys covering every number exactly once."""
        cuts = sorted({1 + self.below(99) for _ in range(1 + self.below(3))})
        style = self.below(3 if kind == "entier" else 2)
        if style == 0:
            keys = [f"moins de {cuts[0]}"] + [f"de {a} à moins de {b}" for a, b in zip(cuts, cuts[1:])]
            return keys + [f"{cuts[-1]} et plus"]
        if style == 1:
            return [f"jusqu'à {cuts[0]}", f"plus de {cuts[0]}"]
        # on an entier key, `jusqu'à 3`, `de 4 à 7`, `8 et plus` leave no gap
        keys = [f"jusqu'à {cuts[0]}"] + [f"de {a + 1} à {b}" for a, b in zip(cuts, cuts[1:])]
        return keys + [f"{cuts[-1] + 1} et plus"]

    def cell(self, kind: str) -> str:
        choice = self.below(10)
        if choice == 0:
            return "—"
        if choice == 1:
            return self.pick(_MARKERS)
        return self.literal(kind) + self.pick(["", "", "", " à confirmer", " choix de modélisation"])

    def table_blocks(self) -> list[str]:
        blocks = []
        for i in range(self.below(3)):
            result = self.pick(["entier", "taux", "montant", "booleen", "date"])
            axes = []  # (key name, type word, key kind, keys)
            for axis in range(1 + self.below(2)):
                if self.enums and self.chance(2):
                    enum = self.pick(sorted(self.enums))
                    words = list(self.enums[enum])
                    if self.chance(2):
                        words = words[:-1] + ["autre"]
                    axes.append((f"k{axis}", enum, f"enum:{enum}", words))
                else:
                    kind = self.pick(["entier", "decimal"])
                    axes.append((f"k{axis}", _TYPE_WORDS[kind], kind, self.bands(kind)))
            dated = self.chance(2)
            lines = [f"table t{i} ({', '.join(f'{p} : {t}' for p, t, _, _ in axes)}) : {_TYPE_WORDS[result]}"]
            if dated:
                lines.append("  à partir du 01/01/2020")
            if len(axes) == 1:
                lines.append("  | clé | valeur |")
                lines += [f"  | {key} | {self.cell(result)} |" for key in axes[0][3]]
            else:
                lines.append("  | | " + " | ".join(axes[1][3]) + " |")
                lines.append("  |---|" + "---|" * len(axes[1][3]))
                for key in axes[0][3]:
                    lines.append(f"  | {key} | " + " | ".join(self.cell(result) for _ in axes[1][3]) + " |")
            blocks.append("\n".join(lines) + "\nfin")
            self.tables.append((f"t{i}", tuple(k for _, _, k, _ in axes), result, dated))
        return blocks

    def function_blocks(self, depth: int) -> list[str]:
        blocks = []
        for i in range(self.below(3)):
            kinds = [self.pick(["entier", "taux", "montant", "booleen", "date"]) for _ in range(1 + self.below(3))]
            result = self.pick(["entier", "taux", "montant", "booleen"])
            self.params = {f"x{j}": k for j, k in enumerate(kinds)}
            body = self.expr(result, depth)
            self.params = {}
            params = ", ".join(f"x{j} : {_TYPE_WORDS[k]}" for j, k in enumerate(kinds))
            blocks.append(f"fonction fn{i} ({params}) : {_TYPE_WORDS[result]}\n  = {body}\nfin")
            self.functions.append((f"fn{i}", tuple(kinds), result))
        return blocks

    def rule_blocks(self, count: int, depth: int) -> list[str]:
        blocks = []
        kinds = list(_RULE_KINDS) + [f"enum:{e}" for e in sorted(self.enums)]
        for i in range(count):
            kind = self.pick(kinds)
            word = "résultat" if i == count - 1 or not self.chance(3) else "règle"
            items = ""
            guards = self.readable("booleen")
            if guards and self.chance(4):
                items += f"\n  applicable si {self.pick(guards)}" + self.pick(["", ' sinon "condition non remplie"'])
            if self.chance(4):
                items += self.pick(['\n  source S0 : "art. 2"\n  source S1', '\n  source "Texte, art. 2"'])
            type_word = kind[5:] if kind.startswith("enum:") else _TYPE_WORDS[kind]
            blocks.append(f"{word} r{i} : {type_word}{items}\n  = {self.expr(kind, depth)}\nfin")
            self.values[f"r{i}"] = kind  # declared after its formula: no rule reads itself, no cycle
        return blocks


@st.composite
def programs(draw: st.DrawFn, *, max_rules: int = 6, depth: int = 3) -> str:
    """A complete rule file, well typed by construction; returns its text.

    The file declares facts of every type (with `parmi`, `de … à`, `au moins`, `au plus`
    constraints, and enumerations), plain, dated and flagged parameters, tables (enumeration keys
    with or without `autre`, bands, one or two keys, dated versions, `—` and marker cells),
    functions, declared sources cited by key (and a citation in free text), and 1 to `max_rules`
    rules and results using every operator of the language
    (si/alors/sinon, et/ou/non, comparisons, + - × / with division, min/max, dans, rounding,
    markers, `au`, `texte de`, date ± durée, `applicable si`). Each rule only reads what is
    declared before it, so there is no cycle. It loads without error (warnings may remain, such
    as an unused fact), and its outputs are its `résultat`s (at least one).

    Args:
        max_rules: most rules and results to declare.
        depth: deepest nesting of operators in a formula.
    """
    writer = _Writer(draw)
    header = writer.pick(['règles "Programme généré"',
                          'règles "Généré"\ntexte "texte généré" "Référence"\nen vigueur à partir du 01/01/2020'])
    blocks = [header, _SOURCE_BLOCKS]
    blocks += writer.fact_blocks()
    blocks += writer.parameter_blocks()
    blocks += writer.table_blocks()
    blocks += writer.function_blocks(max(depth - 1, 0))
    blocks += writer.rule_blocks(1 + writer.below(max_rules), depth)
    return "\n\n".join(blocks) + "\n"


# ─── fact_sets ───────────────────────────────────────────────────────────────────────────────

def _value_strategy(decl: object) -> st.SearchStrategy[object]:
    """Valid values for one declared fact, as the Python values `Ruleset.evaluate` accepts."""
    if decl.allowed is not None:  # type: ignore[attr-defined]
        return st.sampled_from(list(decl.allowed))  # type: ignore[attr-defined]
    kind = decl.type.kind  # type: ignore[attr-defined]
    low, high = decl.low, decl.high  # type: ignore[attr-defined]
    if kind == "entier":
        return st.integers(-10_000 if low is None else int(low), 1_000_000 if high is None else int(high))
    if kind in {"decimal", "taux", "montant"}:
        places = {"montant": 2, "taux": 4, "decimal": 3}[kind]
        default_high = {"taux": Decimal(2), "montant": Decimal(1_000_000), "decimal": Decimal(10_000)}[kind]
        return st.decimals(Decimal(-100) if low is None else Decimal(low),
                           default_high if high is None else Decimal(high),
                           places=places, allow_nan=False, allow_infinity=False)
    if kind == "date":
        return st.dates(low or dt.date(1950, 1, 1), high or dt.date(2060, 12, 31))
    if kind == "booleen":
        return st.booleans()
    if kind == "texte":
        return st.sampled_from(["75", "48", "", "2A", "médecine"])
    if kind == "enum":
        return st.sampled_from(decl.type.values)  # type: ignore[attr-defined]
    if kind == "duree":
        return st.builds(Duration, st.integers(0, 400), st.integers(0, 24), st.integers(0, 5))
    raise AssertionError(f"no strategy for facts of type {kind}")


def fact_sets(program: str | engine.Ruleset, *, only: Iterable[str] | None = None,
              complete: bool = False) -> st.SearchStrategy[dict[str, object]]:
    """Values for the facts a program declares, within their declared types and constraints.

    Args:
        program: a rule text (as drawn from `programs()`) or a loaded `engine.Ruleset`.
        only: restrict to these fact names (e.g. the facts an outcome reports missing).
        complete: give every fact; by default each key may be dropped, so that evaluation meets
            missing facts.

    Returns:
        A strategy for `{fact name: value}` with Python values (int, Decimal, date, bool, str),
        which `Ruleset.evaluate` accepts as they are.
    """
    ruleset = engine.loads(program) if isinstance(program, str) else program
    facts: Mapping[str, object] = ruleset.facts
    names = sorted(facts if only is None else set(only))
    strategies = {name: _value_strategy(facts[name]) for name in names}
    if complete:
        return st.fixed_dictionaries(strategies)
    return st.fixed_dictionaries({}, optional=strategies)


@st.composite
def programs_with_facts(draw: st.DrawFn, **options: int) -> tuple[str, dict[str, object]]:
    """A `(text, facts)` pair: a program from `programs(**options)` and a fact set for it."""
    text = draw(programs(**options))
    return text, draw(fact_sets(text))


POPULATION = Path(__file__).resolve().parent.parent / "examples" / "population.csv"


def population_facts(ruleset: engine.Ruleset, count: int) -> list[dict[str, str | None]]:
    """The facts of the first `count` rows of the synthetic population, an empty cell as None (the
    test is skipped when the population is absent: scripts/make_population.py writes it)."""
    import pytest
    if not POPULATION.exists():
        pytest.skip("examples/population.csv absent (scripts/make_population.py)")
    with POPULATION.open(encoding="utf-8", newline="") as f:
        rows = list(itertools.islice(csv.DictReader(f), count))
    return [{k: v or None for k, v in row.items() if k in ruleset.facts} for row in rows]
