"""Texts from facts and rule files never become markup in a letter (issue 13, item 6).

The plain-text and Typst block macros pass structure through `caller()` with control characters
(`IMBRIQUE` is U+001C). A U+001C inside a condition's description, or inside a fact, used to end
the Typst string literal: the rest of the text was raw Typst, and a file `regles check` called
correct produced a PDF with a forged "Montant versé : 99 999,00 €". Now every value a template
prints goes through `filters.plain` (controls replaced by U+FFFD), layout markers are a type values
cannot have, and Typst texts are string literals.
"""

from __future__ import annotations

import html
import html.parser
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.letters.issuance import letter_options, load_caisse
from engine.letters import filters
from engine.letters import render as letters

ROOT = Path(__file__).resolve().parent.parent
CAISSE = letter_options(load_caisse(str(ROOT / "examples" / "caisse.toml")))
CARDIOLOGUE = {"specialite": "cardiologie", "secteur": 1, "rqth": False, "nouvel_installe": False,
               "exercice_regroupe": True, "exercice_coordonne": True, "option": "tiers_temps",
               "date_signature": "2019-10-01", "date_embauche": "2019-09-16", "annee_contrat": 1,
               "file_active": 2800, "percentile_file_active": 80}
FORGED = '\x1c#text(fill: red, weight: "bold", size: 16pt)[Montant versé : 99 999,00 €]'
TYPST_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)

# Every block of the three `_blocs` files, each fed the fact `nom` and the rule's description.
TEMPLATE = """{% extends mise_en_page %}
{% import blocs as b %}
{% block objet %}Objet {{ faits.nom }}{% endblock %}
{% block corps %}
{% call b.paragraphe() %}Fait : {{ faits.nom }}. Règle : {{ resultats.r.description }}.{% endcall %}
{{ b.intertitre(faits.nom) }}
{% call b.liste() %}
{% call b.element() %}{{ faits.nom }}{% call b.sous_liste() %}{% call b.sous_element() %}{{ resultats.r.description }}{% endcall %}{% endcall %} après {{ faits.nom }}{% endcall %}
{% endcall %}
{% call(ligne) b.tableau(["Nom", faits.nom], numeriques=[1], legende=faits.nom) %}
{{ ligne([faits.nom, resultats.r.description]) }}
{{ ligne(["Total", faits.nom], total=true) }}
{% endcall %}
{% call b.encadre(faits.nom) %}{% call b.paragraphe() %}{{ faits.nom }}{% endcall %}{% endcall %}
{% call b.petit() %}{% call b.paragraphe() %}{{ resultats.r.description | valeur }}{% endcall %}{% endcall %}
{% endblock %}
"""

CONTROLS = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
MARKUP = list('#*_[]$<>@`\\"{}/=-+~&;:«»\'') + ["</p>", "<script>", "&amp;", "#text(fill: red)[X]", "\\u{41}", "//"]
hostile = st.lists(st.one_of(st.sampled_from(CONTROLS), st.sampled_from(MARKUP),
                             st.characters(blacklist_categories=("Cs",))), max_size=30).map("".join)


def _rule_file(description: str) -> str:
    literal = description.replace("\\", "\\\\").replace('"', '\\"')
    return ('règles "Essai"\n\nfait nom : texte\n  "Nom"\nfin\n\n'
            f'résultat r : booléen\n  "{literal}"\n  = nom = "x" ou vrai\nfin\n')


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rule set with the real layout partials and the test letter."""
    root = tmp_path_factory.mktemp("injection")
    (root / "lettres").mkdir()
    for partial in (ROOT / "rulesets" / "lettres").glob("_*.j2"):
        shutil.copy(partial, root / "lettres" / partial.name)
    (root / "lettres" / "essai.j2").write_text(TEMPLATE, encoding="utf-8")
    (root / "lettres" / "essai.toml").write_text('titre = "Essai"\n', encoding="utf-8")
    return root


def _sources(ruleset: engine.Ruleset, facts: dict[str, object], monkeypatch: pytest.MonkeyPatch,
             letter: str = "essai", date: str = "2024-01-15") -> dict[str, str]:
    """The letter as txt, html and Typst source (the PDF step is skipped)."""
    monkeypatch.setattr(letters, "_compile_pdf", lambda source, *args: source)
    outcome = ruleset.evaluate(facts)
    return {fmt: str(engine.render_letter(outcome, letter, format=fmt, date=date, reference="R-1", **CAISSE))
            for fmt in ("txt", "html", "pdf")}


def _flat(text: str) -> str:
    return " ".join(text.split())


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[object] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # `data-titre` repeats a column heading, which may hold a fact's text: its value is text, not markup
        self.tags.append((tag, [(k, "…" if k == "data-titre" else v) for k, v in attrs]))
        self.text += [v for k, v in attrs if k == "data-titre" and v]

    def handle_endtag(self, tag: str) -> None:
        self.tags.append("/" + tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _html(source: str) -> _Tags:
    parser = _Tags()
    parser.feed(source)
    parser.close()
    return parser


def _typst_texts(source: str) -> str:
    return " ".join(re.sub(r"\\(.)", r"\1", m.group(0)[1:-1]) for m in TYPST_STRING.finditer(source))


def _assert_text_not_markup(hostile_out: dict[str, str], benign_out: dict[str, str], text: str) -> None:
    """The hostile text shows as text in every format, and the markup is exactly the benign letter's."""
    shown = _flat(filters.f_espaces(text))
    assert not filters._CONTROL.search(hostile_out["txt"].replace("\t", ""))
    assert shown in _flat(hostile_out["txt"])
    tags = _html(hostile_out["html"])
    assert tags.tags == _html(benign_out["html"]).tags
    assert shown in _flat("".join(tags.text))  # the parser has decoded the character references
    assert not filters._CONTROL.search(hostile_out["html"])
    typ = hostile_out["pdf"]
    assert TYPST_STRING.sub('""', typ) == TYPST_STRING.sub('""', benign_out["pdf"])
    assert shown.replace("'", "\u2019") in _flat(_typst_texts(typ))
    assert not filters._CONTROL.search(typ.replace("\n", ""))


class TestProperties:
    """Random Unicode, C0/C1 controls and markup, through the three formats."""

    @settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(text=hostile)
    def test_fact_text_is_never_markup(self, folder: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
        path = folder / "faits.rules"
        if not path.exists():
            path.write_text(_rule_file("Description sage"), encoding="utf-8")
        ruleset = engine.load(path)
        value = f"Début {text} Fin"
        out = _sources(ruleset, {"nom": value}, monkeypatch)
        benign = _sources(ruleset, {"nom": "Début x Fin"}, monkeypatch)
        _assert_text_not_markup(out, benign, value)

    @settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(text=hostile.map(lambda t: t.replace("\n", "")))
    def test_rule_file_text_is_never_markup(self, folder: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
        description = f"Début {text} Fin"
        path = folder / "regle.rules"
        path.write_text(_rule_file(description), encoding="utf-8")
        ruleset = engine.load(path)
        assert ruleset.program.definitions["r"].description == description
        out = _sources(ruleset, {"nom": "Début x Fin"}, monkeypatch)
        path.write_text(_rule_file("Début x Fin"), encoding="utf-8")
        benign = _sources(engine.load(path), {"nom": "Début x Fin"}, monkeypatch)
        _assert_text_not_markup(out, benign, description)


class TestForgedAmount:
    """The reported attack, on the real decision letter."""

    @pytest.fixture
    def forged(self, tmp_path: Path) -> engine.Ruleset:
        text = (ROOT / "rulesets" / "avenant7.rules").read_text(encoding="utf-8")
        original = '"Secteur 1, ou secteur 2 adhérant à l\'OPTAM (OPTAM-CO)"'
        assert original in text
        literal = FORGED.replace("\\", "\\\\").replace('"', '\\"')
        (tmp_path / "avenant7.rules").write_text(text.replace(original, f'"Secteur 1{literal}"'), encoding="utf-8")
        shutil.copytree(ROOT / "rulesets" / "lettres", tmp_path / "lettres")
        return engine.load(tmp_path / "avenant7.rules")

    def test_typst_source_has_no_forged_markup(self, forged: engine.Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
        """The description's text is a Typst string: no `#text(fill: red…)` outside a literal."""
        out = _sources(forged, CARDIOLOGUE, monkeypatch, "decision", "2019-10-01")
        assert "#text(fill: red" not in TYPST_STRING.sub('""', out["pdf"])
        assert "Secteur 1\ufffd#text(fill: red, weight: \u201cbold\u201d" not in out["pdf"]  # quotes stay escaped
        assert '\\"bold\\"' in out["pdf"]
        assert "Secteur 1\ufffd#text(fill: red" in _flat(out["txt"])

    def test_pdf_shows_the_markup_as_text(self, forged: engine.Ruleset) -> None:
        """In the PDF itself, the would-be markup is printed as characters."""
        import io

        from pypdf import PdfReader
        pdf = engine.render_letter(forged.evaluate(CARDIOLOGUE), "decision", format="pdf", date="2019-10-01", **CAISSE)
        text = _flat("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
        assert "#text(fill: red" in text
        assert "[Montant versé" in text

    def test_markers_are_not_forged_in_text_letters(self, forged: engine.Ruleset) -> None:
        """In txt and html, the U+001C no longer breaks the letter ("bloc … hors de son macro")."""
        outcome = forged.evaluate(CARDIOLOGUE)
        for fmt in ("txt", "html"):
            shown = engine.render_letter(outcome, "decision", format=fmt, date="2019-10-01", **CAISSE)
            assert "\x1c" not in shown
            assert "Secteur 1\ufffd#text(fill: red" in _flat(html.unescape(shown))


def test_plain_keeps_text_and_replaces_controls() -> None:
    assert filters.plain("a\r\nb\rc\td\x1ce\x85f\x7f") == "a\nb\nc\td\ufffde\ufffdf\ufffd"
    assert filters.plain("« Été » 12\u202f000,00\u00a0€") == "« Été » 12\u202f000,00\u00a0€"
