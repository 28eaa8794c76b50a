"""The schedule a rule file declares, evaluated along its axis (`regles echeancier`)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

import engine
from engine.cli.main import main
from engine.schedule import facts_for, schedule


class TestFactsFor:
    """Tests for `facts_for`: facts that vary along the axis."""

    def test_value_keyed_by_axis_is_taken_for_its_row(self) -> None:
        """A fact given per axis value takes the value of the row, and is absent elsewhere."""
        facts = {"a": 1, "m": {"3": 10, "4": 11}}
        assert facts_for(facts, 3) == {"a": 1, "m": 10}
        assert facts_for(facts, 1) == {"a": 1}


class TestSchedule:
    """Tests for `schedule` on the bundled 2024 file."""

    def test_running_contract_crosses_the_anniversary(self) -> None:
        """A 2022 contract is paid from the avenant 7 table until its 2025 anniversary (model.md § 6, ex. 6)."""
        rs = engine.load("rulesets/convention2024.rules")
        facts = json.loads(Path("examples/cardiologue_echeancier.json").read_text(encoding="utf-8"))
        plan = schedule(rs, facts)
        texts = [row.outcome.values["texte_applicable"] for row in plan.rows]
        maxima = [row.outcome.values["montant_maximal"] for row in plan.rows]
        assert texts == ["avenant 7"] * 3 + ["convention 2024"] * 2
        assert maxima == [Decimal(12000), Decimal(9000), Decimal(8350), Decimal(8767), Decimal(8767)]
        assert plan.totals["montant_maximal"] == Decimal(46884)

    def test_total_is_incomplete_when_a_year_lacks_its_measures(self) -> None:
        """Without the measured values of a year, its amount paid is missing and the total says so."""
        rs = engine.load("rulesets/convention2024.rules")
        facts = json.loads(Path("examples/cardiologue_echeancier.json").read_text(encoding="utf-8"))
        facts["file_active_constatee"] = {"3": 3536}
        plan = schedule(rs, facts)
        assert "montant_verse" in plan.incomplete
        assert plan.rows[3].results["montant_verse"].status == "missing"


class TestScheduleCommand:
    """Tests for `regles echeancier` through the command line."""

    def test_prints_every_year_and_the_total(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The command prints one line per contract year and the five-year total."""
        code = main(["echeancier", "rulesets/convention2024.rules", "--facts", "examples/cardiologue_echeancier.json"])
        out = capsys.readouterr().out
        assert code == 0
        assert "convention 2024" in out and "avenant 7" in out
        assert "46\u202f884,00\u00a0€" in out

    def test_json_output(self, capsys: pytest.CaptureFixture[str]) -> None:
        """With --json the rows and totals are machine-readable exact decimals."""
        code = main(["echeancier", "rulesets/convention2024.rules", "--facts", "examples/cardiologue_echeancier.json",
                     "--json"])
        data = json.loads(capsys.readouterr().out)
        assert code == 0
        assert [r["montant_maximal"]["value"] for r in data["rows"]] == ["12000.00", "9000.00", "8350.00", "8767.00", "8767.00"]

    def test_file_without_schedule(self, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
        """A rule file that declares no schedule gives a message and exit 2."""
        rules = tmp_path / "r.rules"
        rules.write_text('règles "t"\nfait x : entier fin\nrésultat r : entier = x fin\n', encoding="utf-8")
        facts = tmp_path / "f.json"
        facts.write_text("{}", encoding="utf-8")
        assert main(["echeancier", str(rules), "--facts", str(facts)]) == 2
        assert "échéancier" in capsys.readouterr().err
