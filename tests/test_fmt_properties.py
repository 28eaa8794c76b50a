"""Properties of the formatter: it preserves the AST and is idempotent, on random and bundled files."""

from __future__ import annotations

from pathlib import Path

import pytest
import strategies
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from engine.syntax.build import parse_file
from engine.base.diagnostics import RulesError
from engine.syntax.fmt import format_text
from engine.base.source import Source

ROOT = Path(__file__).resolve().parent.parent
RULESETS = sorted((ROOT / "rulesets").glob("*.rules"))

_COMMENTS = ["# note", "#", '# « remarque » avec "guillemets", | barre et # dièse', "#── section ──", "#  x"]


def _parse(text: str):  # type: ignore[no-untyped-def]
    return parse_file(Source("<test>", text))


def _assume_parses(text: str) -> None:
    """Formatting is defined for texts that parse; skip the rare generated text that does not."""
    try:
        _parse(text)
    except RulesError:
        assume(False)


def _assert_formats(text: str) -> None:
    """The formatted text parses to the same AST, keeps every comment, and is a fixed point."""
    formatted = format_text(text)
    assert _parse(formatted) == _parse(text)
    assert format_text(formatted) == formatted
    before = sorted(c.text.strip() for c in _parse(text).comments)
    after = sorted(c.text.strip() for c in _parse(formatted).comments)
    assert all(any(b in a for a in after) for b in before), (before, after)


@st.composite
def commented(draw: st.DrawFn, text: str) -> str:
    """A rule file with comments and blank lines sprinkled at line ends and between lines."""
    out = []
    for line in text.split("\n"):
        choice = draw(st.sampled_from(["keep"] * 5 + ["trailing", "before", "blank", "spaces"]))
        comment = draw(st.sampled_from(_COMMENTS))
        if choice == "trailing" and line.strip():
            line += draw(st.sampled_from([" ", "  ", "\t"])) + comment
        elif choice == "before":
            out.append(draw(st.sampled_from(["", "  ", "    "])) + comment)
        elif choice == "blank":
            out.append("")
        elif choice == "spaces":
            line = "   " + line + "  "
        out.append(line)
    return "\n".join(out)


_NAMES = st.sampled_from(["aa", "b_1", "été", "montant_verse", "taux_é", "x"])  # keyword names: see test_fmt
_VALUES = st.sampled_from(["1", "12 000 €", "7,5 %", "vrai", "faux", '"texte"', "01/02/2024", "2 800", "0,5",
                           "non_x", "mot_a", "- 3", "(1 + 2) × 3", "15 jours"])
_SEP = st.sampled_from([", ", " ", ",\n  ", "\n  ", "  ,  "])


@st.composite
def _entries(draw: st.DrawFn, markers: bool) -> str:
    values = _VALUES
    if markers:
        values = st.one_of(_VALUES, st.sampled_from(["non applicable", "indéterminé", "indetermine", "manquant",
                                                     "manquant (a, b_1)", "manquant(x)"]))
    items = draw(st.lists(st.tuples(_NAMES, values), max_size=6))
    text = ""
    for name, value in items:
        text += f"{name} = {value}" + draw(_SEP)
    return text


@st.composite
def extras(draw: st.DrawFn) -> str:
    """Declarations `programs()` does not write: examples, schedules, odd spellings and layouts."""
    blocks = []
    for index in range(draw(st.integers(0, 3))):
        base = draw(st.sampled_from(["", ' reprend "E0"', '\n  reprend « E0 »']))
        blocks.append(f'exemple "E{index}"{base}\n  {draw(_entries(False))}\nattendu {draw(_entries(True))}\nfin')
    if draw(st.booleans()):
        items = draw(st.permutations(['"Les années"', "colonnes a, b_1", "total a"]))
        blocks.append("échéancier annee_contrat de 1 à 5 " + draw(st.sampled_from([" ", "\n  "])).join(items) + " fin")
    blocks += draw(st.lists(st.sampled_from([
        "regle  r_x:entier=si a alors(si b alors 1 sinon 2)sinon 3 fin",
        "resultat r_y : booleen = non (a ou b) et non c fin",
        'règle r_z : texte = texte de t au 01/01/2024 fin',
        "règle r_w : montant = a × b arrondi a l'entier fin",
        "règle r_v : montant = (a + b) tronque à l’euro fin",
        "règle r_u : date = d + (n - 1) ans + 1 mois + 1 jour fin",
        "règle r_t : booléen = x pas dans {a, b} et y dans {1, 2,\n 3} ou z <> 1 et z != 2 et z ≥ 3 fin",
        "paramètre p_s = 5 à confirmer : \"note\" choix de modelisation fin",
        "fonction f_r(x : entier, y : énumération {u \"U\", v}) : entier = avenant7.f(x) + min(x, 2) fin",
        "table t_q (k : décimal) : entier\n| k | v |\n| moins de 5 | 1 | # c\n|---|---|\n| 5 et plus | 2 |\nfin",
        "table t_p (k : entier, l : entier) : montant\n  | |jusqu'à 3|plus de 3|\n|1|1 €|—|\n|autre|\"a|b\"| |\nfin",
        "règle r_o : entier = a\n  # dans la formule\n  + b  # fin de ligne\n  × c fin",
        "fait f_n : taux de 0 % à 100 % unité \"%\" question \"?\" \"desc\" source \"s\" fin",
        "règle r_m : entier remplace avenant7.r_m applicable si c sinon \"raison\" = 1 fin",
    ]), max_size=4))
    return "\n\n".join(blocks)


_HEADERS = st.sampled_from([
    'règles "T"',
    'regles «  Titre  » modifie "a.rules" texte "a" "A long" en vigueur du 01/01/2020 au 31/12/2021',
    'règles "T" # en-tête\ntexte "t"  # texte\n# avant modifie\nmodifie "x.rules"\nen vigueur jusqu\'au 01/01/2030',
    '# tout en haut\n\nrègles "T"\nen vigueur à partir du 22/06/2024',
])


@settings(max_examples=120)
@given(st.data())
def test_random_programs_keep_their_ast(data: st.DataObject) -> None:
    """For random well-typed programs, with extras and comments, formatting keeps the AST and is stable."""
    program = data.draw(strategies.programs())
    header, _, body = program.partition("\n")
    if data.draw(st.booleans()):
        header = data.draw(_HEADERS)
    text = header + "\n" + body + "\n\n" + data.draw(extras())
    text = data.draw(commented(text))
    _assume_parses(text)
    _assert_formats(text)


@settings(max_examples=150)
@given(strategies.rule_texts())
@example('règles "t"\nrègle a : booléen = non non applicable "x" fin')
@example('règles "t"\nrègle a : entier = - -1 fin')
@example('règles "t"\ntable t (k : entier) : entier\n| k" | v |\n| 1 | 2 |\nfin')
def test_grammar_texts_keep_their_ast(text: str) -> None:
    """Any text drawn from the grammar that parses keeps its AST when formatted, and formats stably."""
    _assume_parses(text)
    _assert_formats(text)


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: p.name)
def test_bundled_files_format_to_the_same_ast(path: Path) -> None:
    """Each bundled rule file formats to a text with the same AST, and formatting it again changes nothing."""
    _assert_formats(path.read_text(encoding="utf-8"))
