"""Look-alike names (issue 13, item 8): `plafond` and `plafоnd` (Cyrillic о) were two silent parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.base.confusables import scripts, skeleton


def _warnings(text: str) -> list[tuple[str, str]]:
    return [(w.code, w.message) for w in engine.loads(text).warnings if w.code in {"W110", "W111"}]


class TestSkeleton:
    """Skeletons after UTS #39: the same for names drawn alike, different otherwise."""

    @pytest.mark.parametrize(("a", "b"), [
        ("plafond", "plafоnd"),          # Cyrillic о
        ("seuil", "sеuil"),              # Cyrillic е
        ("taux", "tαux"),                # Greek α
        ("mi_temps", "rni_temps"),       # rn drawn as m
        ("fin_annee", "ﬁn_annee"),       # the ligature ﬁ (NFKC)
        ("plafond", "ｐｌａｆｏｎｄ"),  # fullwidth letters (NFKC)
        ("taux_l", "taux_1"),            # 1 drawn as l
        ("prime", "prіme"),              # Cyrillic і
    ])
    def test_look_alikes_share_a_skeleton(self, a: str, b: str) -> None:
        assert a != b and skeleton(a) == skeleton(b)

    @pytest.mark.parametrize(("a", "b"), [("plafond", "plafonds"), ("annee", "année"), ("taux", "taus"),
                                          ("option_a", "option_b")])
    def test_different_names_keep_different_skeletons(self, a: str, b: str) -> None:
        assert skeleton(a) != skeleton(b)

    def test_scripts_of_a_name(self) -> None:
        assert scripts("plafоnd_2") == ["LATIN", "CYRILLIC"]
        assert scripts("année_2024") == ["LATIN"]


class TestWarnings:
    """`regles check` warns; the file still loads (these are warnings)."""

    def test_two_parameters_that_look_the_same(self) -> None:
        text = ('règles "p"\nfait demande : montant fin\nparamètre plafond = 12 000 € fin\n'
                'paramètre plafоnd = 18 000 € fin\n'
                'résultat a : montant = min(demande, plafоnd) fin\nrésultat b : montant = plafond fin\n')
        assert _warnings(text) == [
            ("W110", "les noms « plafоnd » et « plafond » se lisent de la même façon : ils ne diffèrent que par "
                     "« о » cyrillique (U+043E) et « o » latin (U+006F)"),
            ("W111", "le nom « plafоnd » mêle les écritures latine et cyrillique : « о » cyrillique (U+043E)")]

    def test_a_function_parameter_like_a_rule(self) -> None:
        text = ('règles "f"\nfait x : entier fin\nrègle base : entier = x fin\n'
                'fonction double (bаse : entier) : entier = bаse × 2 fin\n'
                'résultat r : entier = double(base) fin\n')
        codes = [code for code, _ in _warnings(text)]
        assert codes == ["W110", "W111"]

    def test_a_name_like_one_of_the_amended_file(self, tmp_path: Path) -> None:
        (tmp_path / "base.rules").write_text(
            'règles "base"\nfait demande : montant fin\nparamètre plafond = 12 000 € fin\n'
            'résultat a : montant = min(demande, plafond) fin\n', encoding="utf-8")
        (tmp_path / "suite.rules").write_text(
            'règles "suite"\nmodifie "base.rules"\nparamètre plafоnd = 18 000 € fin\n'
            'résultat b : montant = min(demande, plafоnd) fin\n', encoding="utf-8")
        found = [(w.code, w.message) for w in engine.load(tmp_path / "suite.rules").warnings if w.code == "W110"]
        assert found == [("W110", "les noms « plafоnd » et « plafond » (déclaré dans le fichier modifié) se lisent de "
                                  "la même façon : ils ne diffèrent que par « о » cyrillique (U+043E) et « o » latin "
                                  "(U+006F)")]

    def test_the_bundled_rule_files_raise_none(self) -> None:
        for path in ("rulesets/avenant7.rules", "rulesets/convention2024.rules"):
            assert not [w for w in engine.load(path).warnings if w.code in {"W110", "W111"}]

    def test_accents_are_no_other_script(self) -> None:
        text = 'règles "a"\nfait durée_prévue : entier fin\nfait duree_2 : entier fin\nrésultat r : entier = durée_prévue + duree_2 fin\n'
        assert _warnings(text) == []
