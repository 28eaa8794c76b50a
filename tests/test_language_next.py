"""Tests for the language features of issue 17: hints and warnings of amending files, the validity
window, named sets, metadata amendments (each with its sentences, not only its code)."""

from __future__ import annotations

import json

import pytest

import engine
from engine.jsonschema import facts_schema
from support import CASES

DIAG = CASES / "diagnostics"


def _load(name: str) -> engine.Ruleset:
    return engine.load(DIAG / name)


def _error(text: str, filename: str = "x.rules") -> engine.RulesError:
    with pytest.raises(engine.RulesError) as caught:
        engine.loads(text, filename=str(DIAG / filename), root=CASES)
    return caught.value


class TestAmendingHints:
    """Tests for the hints and warnings an amending file gets."""

    def test_enum_redeclared_with_its_words_hints_at_the_type_name(self) -> None:
        """`fait zone : énumération {…}` again: the hint writes `fait zone : zone`."""
        exc = _error('règles "t"\nmodifie "amended/inherited.rules"\nfait zone : énumération {urbaine, rurale} fin\n')
        [d] = exc.diagnostics
        assert d.code == "E603" and "fait zone : zone" in (d.hint or "")

    def test_ignored_parent_fact_read_warns_and_schema_follows_the_child(self) -> None:
        """W108, and the schema no longer says the fact is accepted without being used."""
        rs = _load("W108_inherited_ignored_fact_read.rules")
        assert [w.code for w in rs.warnings] == ["W108"]
        schema = json.dumps(facts_schema(rs.program), ensure_ascii=False)
        assert "non utilisé" not in schema
        parent = engine.load(DIAG / "amended" / "inherited.rules")
        assert "Accepté mais non utilisé" in json.dumps(facts_schema(parent.program), ensure_ascii=False)

    def test_unread_parent_facts_are_listed_once(self) -> None:
        """W109 names exactly the inherited facts no rule reads any more."""
        rs = _load("W109_inherited_facts_unread.rules")
        [w] = rs.warnings
        assert w.code == "W109" and "« secteur », « patientele »" in w.message and "zone" not in w.message

    def test_shipped_amendment_reads_its_parent_facts_through_originals(self) -> None:
        """convention2024.rules reads avenant 7's facts through `avenant7.x`: no W109."""
        from support import ROOT
        rs = engine.load(ROOT / "rulesets" / "convention2024.rules")
        assert [w.code for w in rs.warnings] == []

    def test_typo_in_replaced_name_is_e601(self) -> None:
        """A target that does not exist is E601 with a suggestion, not E604."""
        exc = _error('règles "t"\nmodifie "amended/inherited.rules"\n'
                     'résultat conventionne : booléen remplace inherited.conventione = vrai fin\n')
        [d] = exc.diagnostics
        assert d.code == "E601" and "conventionne" in (d.hint or "")

    def test_second_modifie_is_an_error(self) -> None:
        """Two `modifie` lines: E607 at the second."""
        exc = _error('règles "t"\nmodifie "amended/base.rules"\nmodifie "amended/inherited.rules"\n'
                     'résultat r : booléen = vrai fin\n')
        assert [(d.code, d.span.line) for d in exc.diagnostics] == [("E607", 3)]


def test_check_output_agrees_in_number(capsys: pytest.CaptureFixture[str]) -> None:
    """`regles check` writes « 1 résultat, 1 exemple », and plurals above one."""
    from engine.cli import main
    path = CASES / "check" / "good" / "inherited.rules"
    assert main(["check", str(path)]) == 0
    assert "3 résultats, 1 exemple — correct" in capsys.readouterr().out
