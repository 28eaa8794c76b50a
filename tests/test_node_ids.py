"""Stable node ids (`Node.nid`, given by `engine.check.numbering`): unique in a program, the same for the
same file in every process and after the program cache, fresh for a node an amendment rewrote, and
the keys of the trace sites and of coverage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_cache import cache_home  # noqa: F401 - the fixture: a private cache directory, rule files to edit

import engine
from engine.check import model, numbering
from engine.evaluate.sites import sites_of
from engine.tools.coverage import coverage

ROOT = Path(__file__).resolve().parent.parent

BASE = '''règles "Base"
texte "base" "Base"
fait specialite : énumération {a, b, c} fin
fait secteur : entier parmi {1, 2, 3} fin
paramètre exclues = {a} fin
résultat r : entier = si specialite dans exclues et secteur = 1 alors 1 sinon 0 fin
résultat s : entier = si specialite dans exclues et secteur = 1 alors 1 sinon 0 fin
exemple "exclue, secteur 1" specialite = a, secteur = 1 attendu r = 1 fin
'''

SUITE = '''règles "Suite"
texte "suite" "Suite"
modifie "base.rules"
paramètre exclues = {a, b}
  remplace base.exclues
fin
'''

_LISTING = '''
import json, sys
from engine.check import numbering
import engine
program = engine.load(sys.argv[1]).program
print(json.dumps([[type(n).__name__, n.nid, n.span.line, n.span.column] for n in numbering.nodes(program)]))
'''


def _listing(program: model.Program) -> list[list[object]]:
    """Every node of a program in the numbering's order: its class, its id and where it is written."""
    return [[type(n).__name__, n.nid, n.span.line, n.span.column] for n in numbering.nodes(program)]


def _pair(tmp_path: Path) -> Path:
    (tmp_path / "base.rules").write_text(BASE, encoding="utf-8")
    (tmp_path / "suite.rules").write_text(SUITE, encoding="utf-8")
    return tmp_path / "suite.rules"


def _comparisons(d: model.Definition) -> list[model.Expr]:
    return [n for e in model.definition_exprs(d) for n in model.walk(e) if isinstance(n, model.Compare)]


class TestNumbering:
    """What the checker gives each node."""

    @pytest.mark.parametrize("name", ["avenant7.rules", "convention2024.rules"])
    def test_every_node_has_an_id_of_its_own(self, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """Every distinct node of a shipped program is numbered, and no two share an id."""
        monkeypatch.setenv("REGLES_NO_CACHE", "1")
        nodes = list(numbering.nodes(engine.load(ROOT / "rulesets" / name).program))
        ids = [n.nid for n in nodes]
        assert len(nodes) > 500 and all(ids) and len(set(ids)) == len(ids)

    def test_same_ids_in_another_process(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Checking the file again in a process with another string hashing gives the same ids in the same
        places (nothing depends on the order of a set)."""
        monkeypatch.setenv("REGLES_NO_CACHE", "1")
        monkeypatch.chdir(ROOT)  # ids name the file as diagnostics do: relative to the working directory
        here = _listing(engine.load("rulesets/convention2024.rules").program)
        env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", _LISTING, "rulesets/convention2024.rules"], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout
        assert json.loads(out) == here
        assert {str(i).split("#")[0] for _, i, _, _ in here} == {"rulesets/avenant7.rules",
                                                                  "rulesets/convention2024.rules"}

    def test_same_ids_after_the_program_cache(self, cache_home: Path,  # noqa: F811 - the fixture
                                              monkeypatch: pytest.MonkeyPatch) -> None:
        """A program read back from the cache (unpickled) carries the ids it was stored with."""
        path = cache_home / "convention2024.rules"
        first = engine.load(path).program
        monkeypatch.setattr("engine.check.checker.check", _refuse)
        second = engine.load(path).program
        assert second is not first and _listing(second) == _listing(first)

    def test_an_amendment_numbers_what_it_rewrote(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A replaced set re-points the inherited rules: their `dans` tests (and what holds them) are new
        nodes with ids of the amending file; what they kept is the amended file's node, with its id."""
        monkeypatch.setenv("REGLES_NO_CACHE", "1")
        monkeypatch.chdir(tmp_path)
        base = engine.load(_pair(tmp_path).parent / "base.rules").program
        suite = engine.load(tmp_path / "suite.rules").program
        kept, was = _comparisons(suite.definitions["r"])[0], _comparisons(base.definitions["r"])[0]
        assert kept.nid == was.nid and kept.nid.startswith("base.rules#")
        [member] = [n for e in model.definition_exprs(suite.definitions["r"]) for n in model.walk(e)
                    if isinstance(n, model.Member)]
        assert member.items == ("a", "b") and member.nid.startswith("suite.rules#")
        ids = [n.nid for n in numbering.nodes(suite)]
        assert all(ids) and len(set(ids)) == len(ids)


class TestKeys:
    """The caches that key on the ids."""

    def test_equal_formulas_at_two_places_have_two_sites(self, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
        """Two rules with the same formula: equal nodes (attrs equality ignores spans), two sites, each
        at its own line."""
        monkeypatch.chdir(tmp_path)
        program = engine.load(_pair(tmp_path).parent / "base.rules").program
        in_r, in_s = _comparisons(program.definitions["r"])[0], _comparisons(program.definitions["s"])[0]
        assert in_r == in_s and in_r.nid != in_s.nid
        sites = sites_of(program)
        assert (sites.of(in_r).span.line, sites.of(in_s).span.line) == (6, 7)

    def test_a_node_the_checker_did_not_number_is_refused(self) -> None:
        """A node built outside the checker has no id: the sites refuse it rather than mix it up."""
        program = engine.loads(BASE).program
        stray = model.Compare("=", model.Const(1, program.facts["secteur"].type),
                              model.Const(1, program.facts["secteur"].type), program.definitions["r"].type)
        with pytest.raises(AssertionError, match="without an id"):
            sites_of(program).of(stray)

    def test_coverage_tells_equal_branches_apart(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The example reaches `r`'s `si`, not `s`'s equal one: only `s`'s branches are missed."""
        monkeypatch.chdir(tmp_path)
        report = coverage(engine.load(_pair(tmp_path).parent / "base.rules"))
        assert [(i.span.line, i.text) for i in report.branches.missed] == [
            (6, "si specialite dans exclues et secteur = 1 : « sinon » jamais pris"),
            (6, "« et » jamais faux : specialite dans exclues et secteur = 1"),
            (7, "si specialite dans exclues et secteur = 1 : « alors » jamais pris"),
            (7, "si specialite dans exclues et secteur = 1 : « sinon » jamais pris"),
            (7, "« et » jamais vrai : specialite dans exclues et secteur = 1"),
            (7, "« et » jamais faux : specialite dans exclues et secteur = 1")]

    def test_coverage_trace_and_explanation_after_the_cache(self, cache_home: Path,  # noqa: F811 - the fixture
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
        """Coverage, trace and explanation of a program read back from the cache (its code generated
        again) are those of the program just checked."""
        from test_cache import FACTS
        path = cache_home / "convention2024.rules"
        fresh = engine.load(path)
        outcome = fresh.evaluate(FACTS)
        expected = (coverage(fresh).text(), outcome.trace, outcome.explain("montant_verse"))
        for code in (cache_home / "xdg" / "regles").glob("*.code"):
            code.unlink()
        monkeypatch.setattr("engine.check.checker.check", _refuse)
        cached = engine.load(path)
        assert cached.program is not fresh.program
        again = cached.evaluate(FACTS)
        assert (coverage(cached).text(), again.trace, again.explain("montant_verse")) == expected
        assert "branches : " in expected[0] and "montant_verse" in json.dumps(expected[1])


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("the file was checked again")
