"""Templates work within limits and live under `lettres/` (issue 13, item 10).

Nested loops and `10**100000000` ran past 30 s, one template wrote a 588 MB letter, and a symlink
in `lettres/` was followed. Now every rendering has a budget (`engine.letters.sandbox`) and the
template folder may hold no link out of it.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import jinja2
import pytest

import engine
from engine.letters.issuance import letter_options, load_caisse
from engine.letters import render as letters
from engine.letters import sandbox as template_sandbox
from engine.letters.render import LetterError, LetterTemplateError

ROOT = Path(__file__).resolve().parent.parent
CARDIOLOGUE = {"specialite": "cardiologie", "secteur": 1, "rqth": False, "nouvel_installe": False,
               "exercice_regroupe": True, "exercice_coordonne": True, "option": "tiers_temps",
               "date_signature": "2019-10-01", "date_embauche": "2019-09-16", "annee_contrat": 1,
               "file_active": 2800, "percentile_file_active": 80}


CAISSE = letter_options(load_caisse(str(ROOT / "examples" / "caisse.toml")))


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """avenant7.rules with the real `lettres/` copied beside it."""
    shutil.copy(ROOT / "rulesets" / "avenant7.rules", tmp_path / "avenant7.rules")
    shutil.copytree(ROOT / "rulesets" / "lettres", tmp_path / "lettres")
    return tmp_path


def _render(rules: Path, source: str, fmt: str = "txt") -> str:
    (rules / "lettres" / "essai.j2").write_text(source, encoding="utf-8")
    (rules / "lettres" / "essai.toml").write_text('titre = "Essai"\n', encoding="utf-8")
    outcome = engine.load(rules / "avenant7.rules").evaluate(CARDIOLOGUE)
    return str(engine.render_letter(outcome, "essai", format=fmt, date="2019-10-15"))


def _refused(rules: Path, source: str, message: str) -> str:
    start = time.monotonic()
    with pytest.raises(LetterTemplateError) as caught:
        _render(rules, source)
    assert time.monotonic() - start < 5
    text = str(caught.value)
    assert "limite des modèles dépassée" in text
    assert message in text
    assert "essai.j2" in text
    return text


class TestLimits:
    """Each limit, crossed by a template that used to run, hang or fill the disk."""

    def test_nested_loops(self, rules: Path) -> None:
        _refused(rules, "{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}",
                 "trop de tours de boucle (plus de 10000 en tout)")

    def test_nested_loops_over_repeated_lists(self, rules: Path) -> None:
        _refused(rules, "{% set l = [0] * 300 %}{% for a in l %}{% for b in l %}{% for c in l %}"
                        "{% endfor %}{% endfor %}{% endfor %}", "trop de tours de boucle")

    def test_loop_with_a_condition_is_counted(self, rules: Path) -> None:
        _refused(rules, "{% for a in range(1000) if a >= 0 %}{% for b in range(1000) %}{% endfor %}{% endfor %}",
                 "trop de tours de boucle")

    def test_range(self, rules: Path) -> None:
        _refused(rules, "{{ range(5000) | length }}", "range() trop long (5000 éléments ; au plus 1000)")

    @pytest.mark.parametrize("expression", ["10**100000000", "2**5000", "(10**200)**30", "7 ** 4097"])
    def test_power(self, rules: Path, expression: str) -> None:
        _refused(rules, "{{ " + expression + " }}", "puissance trop grande")

    def test_growing_products(self, rules: Path) -> None:
        _refused(rules, "{% set ns = namespace(x=10**300) %}{% for i in range(12) %}{% set ns.x = ns.x * ns.x %}"
                        "{% endfor %}{{ ns.x }}", "nombre trop grand")

    @pytest.mark.parametrize("expression", ['"x" * 10**9', '[0] * 10**7', '"%0999999999d" % 1',
                                            '"x".center(10**9)', '"x" | center(10**9)', '"ab" * 600000'])
    def test_huge_strings(self, rules: Path, expression: str) -> None:
        text = _refused(rules, "{{ " + expression + " }}", "")
        assert "trop" in text

    def test_doubling_concatenation(self, rules: Path) -> None:
        _refused(rules, '{% set ns = namespace(s="x") %}{% for i in range(25) %}{% set ns.s = ns.s ~ ns.s %}'
                        "{% endfor %}{{ ns.s | length }}", "texte ou liste trop long")

    def test_output_size(self, rules: Path) -> None:
        """The 588 MB letter: output stops at the limit."""
        _refused(rules, '{% for i in range(1000) %}{{ "x" * 100000 }}{% endfor %}',
                 "courrier trop long (plus de 1000000 caractères)")

    def test_render_time(self, rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Work within every other limit still stops at the time limit (here lowered to 0.2 s)."""
        monkeypatch.setattr(template_sandbox, "MAX_SECONDS", 0.2)
        _refused(rules, '{% for i in range(1000) %}{% for j in range(9) %}{{ ("é" * 100000) | upper | length '
                        "}}{% endfor %}{% endfor %}", "rendu trop long (plus de 0.2 s)")

    def test_real_letters_are_far_from_the_limits(self, rules: Path) -> None:
        """A letter of the bundled set renders in every format with the limits on."""
        outcome = engine.load(rules / "avenant7.rules").evaluate(CARDIOLOGUE)
        for fmt in ("txt", "html"):
            assert "12\u202f000,00\u00a0€" in str(engine.render_letter(outcome, "decision", format=fmt,
                                                                        date="2019-10-01", **CAISSE))

    def test_amounts_are_not_numeric_arguments(self, rules: Path) -> None:
        """Large values may be formatted: only sizes given to filters and string methods are bounded."""
        shown = _render(rules, "{{ 123456789012 | nombre }} {{ 98765432 | montant }} {{ 10**30 }}")
        assert "123\u202f456\u202f789\u202f012" in shown
        assert "98\u202f765\u202f432,00\u00a0€" in shown


class TestConfinement:
    """Templates, and what Typst may read, live under `lettres/`."""

    def test_link_out_of_lettres_is_refused(self, rules: Path, tmp_path: Path) -> None:
        outside = tmp_path.parent / f"{tmp_path.name}-dehors.j2"
        outside.write_text("{% extends mise_en_page %}{% block objet %}Dehors{% endblock %}", encoding="utf-8")
        (rules / "lettres" / "dehors.j2").symlink_to(outside)
        outcome = engine.load(rules / "avenant7.rules").evaluate(CARDIOLOGUE)
        with pytest.raises(LetterError, match="contient un lien symbolique qui en sort"):
            engine.render_letter(outcome, "dehors")
        with pytest.raises(LetterError, match="lien symbolique"):
            engine.render_letter(outcome, "decision")  # Typst could read through the link too

    def test_lettres_itself_a_link_is_refused(self, tmp_path: Path) -> None:
        shutil.copy(ROOT / "rulesets" / "avenant7.rules", tmp_path / "avenant7.rules")
        shutil.copytree(ROOT / "rulesets" / "lettres", tmp_path / "ailleurs")
        (tmp_path / "lettres").symlink_to(tmp_path / "ailleurs")
        outcome = engine.load(tmp_path / "avenant7.rules").evaluate(CARDIOLOGUE)
        with pytest.raises(LetterError, match="lien symbolique"):
            engine.render_letter(outcome, "decision")

    def test_link_inside_lettres_is_fine(self, rules: Path) -> None:
        (rules / "lettres" / "decision_bis.j2").symlink_to(rules / "lettres" / "decision.j2")
        (rules / "lettres" / "decision_bis.toml").symlink_to(rules / "lettres" / "decision.toml")
        outcome = engine.load(rules / "avenant7.rules").evaluate(CARDIOLOGUE)
        assert "12\u202f000,00\u00a0€" in str(engine.render_letter(outcome, "decision_bis", date="2019-10-01",
                                                                    **CAISSE))

    def test_loader_refuses_links_out(self, tmp_path: Path) -> None:
        """The loader itself checks, whatever called it."""
        folder = tmp_path / "lettres"
        folder.mkdir()
        (tmp_path / "secret.j2").write_text("secret", encoding="utf-8")
        (folder / "x.j2").symlink_to(tmp_path / "secret.j2")
        env = jinja2.Environment(loader=template_sandbox.ConfinedLoader([str(folder)]))
        with pytest.raises(jinja2.TemplateNotFound):
            env.get_template("x.j2")
        with pytest.raises(jinja2.TemplateNotFound):
            env.get_template("../secret.j2")

    def test_huge_template_is_refused(self, tmp_path: Path) -> None:
        folder = tmp_path / "lettres"
        folder.mkdir()
        (folder / "gros.j2").write_text("x" * (template_sandbox.MAX_TEMPLATE_BYTES + 1), encoding="utf-8")
        env = jinja2.Environment(loader=template_sandbox.ConfinedLoader([str(folder)]))
        with pytest.raises(jinja2.TemplateNotFound):
            env.get_template("gros.j2")


def test_limits_hold_across_threads(rules: Path) -> None:
    """Each rendering has its own budget (a context variable), so parallel letters do not share one."""
    from concurrent.futures import ThreadPoolExecutor
    outcome = engine.load(rules / "avenant7.rules").evaluate(CARDIOLOGUE)
    (rules / "lettres" / "boucle.toml").write_text("", encoding="utf-8")
    (rules / "lettres" / "boucle.j2").write_text("{% for a in range(900) %}{% for b in range(10) %}{% endfor %}"
                                                 "{% endfor %}fin", encoding="utf-8")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: engine.render_letter(outcome, "boucle"), range(8)))
    assert all(r.strip() == "fin" for r in results)
