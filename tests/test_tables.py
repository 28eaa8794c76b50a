"""Tests for engine.check.grids (grid checks: keys, bands, coverage, cells) and for table lookups."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.check import model
from support import codes, first, load

FACTS = ("fait option : énumération {tiers_temps, mi_temps, temps_plein} fin\n"
         "fait rang : décimal fin\nfait annee_contrat : entier fin\n")


def _table(rows: str, keys: str = "rang : décimal", result: str = "taux", call: str = "t(rang)") -> str:
    lines = "\n".join(f"  {row}" for row in rows.strip().splitlines())
    return FACTS + f"table t ({keys}) : {result}\n{lines}\nfin\n" \
        f"résultat r : {result} = {call} fin\n"


BANDS = """
| rang                | taux  |
| moins de 50         | 20 %  |
| de 50 à moins de 70 | 15 %  |
| 70 et plus          | 7,5 % |
"""


class TestGrid:
    """Tests for `build_grid`: the shape of a table."""

    def test_one_key_grid(self) -> None:
        """A one-key table has row keys, no column keys, one cell per row."""
        grid = load(_table(BANDS)).program.definitions["t"].latest.body
        assert isinstance(grid, model.Grid) and grid.columns is None
        assert [k.kind for k in grid.rows] == ["band"] * 3 and [len(r) for r in grid.cells] == [1, 1, 1]

    def test_two_key_grid(self) -> None:
        """A two-key table has row and column keys; `autre` is a key of its own."""
        rows = """
        |           | tiers_temps | autre |
        | moins de 5 | 1 %        | 2 %   |
        | 5 et plus  | 3 %        | —     |
        """
        grid = load(_table(rows, "rang : décimal, option : option", call="t(rang, option)")).program \
            .definitions["t"].latest.body
        assert [k.kind for k in grid.columns] == ["enum", "autre"]  # type: ignore[union-attr]
        assert grid.cells[1][1].expr == model.Marker("non_applicable", "case vide (—) du tableau", grid.cells[1][1].expr.type)  # type: ignore[union-attr]

    def test_cell_status(self) -> None:
        """A cell may carry its own status."""
        grid = load(_table(BANDS.replace("15 %  ", "15 % à confirmer"))).program.definitions["t"].latest.body
        assert grid.cells[1][0].status == model.StatusInfo("a_confirmer")  # type: ignore[union-attr]

    def test_three_keys_is_e506(self) -> None:
        """A table has one or two keys (E506)."""
        assert codes(_table("| a | b | c | v |", "a : entier, b : entier, c : entier", "entier",
                            "t(1, 2, 3)")) == ["E506"]

    def test_no_value_row_is_e507(self) -> None:
        """A table needs a header and at least one row (E507)."""
        assert codes(_table("| rang | taux |")) == ["E507"]

    def test_header_width_of_one_key_table_is_e504(self) -> None:
        """A one-key header has two cells (E504)."""
        assert codes(_table("| rang | a | b |\n| autre | 1 % | 2 % |")) == ["E504"]

    def test_row_width_is_e504_without_cascade(self) -> None:
        """A row with the wrong number of cells is E504, and its missing key is not also E503."""
        rows = "| | tiers_temps | mi_temps | temps_plein |\n| autre | 1 % | 2 % |"
        assert codes(_table(rows, "rang : décimal, option : option", call="t(rang, option)")) == ["E504"]

    def test_empty_cell_is_e508(self) -> None:
        """An empty cell is E508; `—` is the way to say « no value »."""
        assert codes(_table("| rang | taux |\n| autre |  |")) == ["E508"]

    def test_cell_of_wrong_type_is_e303(self) -> None:
        """A cell must have the table's type (E303), with the % hint for a bare number."""
        d = first(_table("| rang | taux |\n| autre | 20 |"))
        assert d.code == "E303" and d.hint is not None and "%" in d.hint

    def test_cells_are_expressions(self) -> None:
        """A cell may be any expression of the table's type, reading facts."""
        rs = load(_table("| rang | taux |\n| autre | rang / 100 × 10 % |"))
        assert rs.evaluate({"rang": 50}).values["r"] == Decimal("0.05")


class TestKeys:
    """Tests for keys against the key types."""

    def test_unknown_enum_key_is_e204(self) -> None:
        """A key that is not a word of the enumeration is E204, with a suggestion."""
        d = first(_table("| option | taux |\n| tiers_tmps | 1 % |\n| autre | 2 % |", "option : option",
                         call="t(option)"))
        assert d.code == "E204" and d.hint is not None and "tiers_temps" in d.hint

    def test_value_key_of_wrong_type_is_e302(self) -> None:
        """A value key must have the key's type (E302)."""
        assert codes(_table("| k | taux |\n| 01/01/2020 | 1 % |\n| autre | 2 % |",
                            "k : entier", call="t(annee_contrat)")) == ["E302"]

    def test_band_on_an_enumeration_is_e509_only(self) -> None:
        """A band on an enumeration key is E509, once per band, with no type error besides."""
        rows = "| option | taux |\n| moins de 2 | 1 % |\n| 2 et plus | 2 % |"
        assert codes(_table(rows, "option : option", call="t(option)")) == ["E509", "E509"]

    def test_empty_band_is_e510_only(self) -> None:
        """A band whose low bound passes its high bound is E510, without gap errors around it."""
        rows = "| rang | taux |\n| moins de 50 | 1 % |\n| de 50 à 40 | 2 % |\n| 50 et plus | 3 % |"
        assert codes(_table(rows)) == ["E510"]

    def test_duplicate_key_is_e505(self) -> None:
        """A key written twice is E505, with the first occurrence as a label."""
        d = first(_table("| option | taux |\n| tiers_temps | 1 % |\n| tiers_temps | 2 % |\n| autre | 3 % |",
                         "option : option", call="t(option)"))
        assert d.code == "E505" and d.labels[0].note == "première occurrence"


class TestCoverage:
    """Tests for coverage: enumerations and bands."""

    def test_missing_enum_word_is_e503(self) -> None:
        """Every word of an enumeration key needs a row (E503), listing the missing ones."""
        d = first(_table("| option | taux |\n| tiers_temps | 1 % |", "option : option", call="t(option)"))
        assert d.code == "E503" and "mi_temps, temps_plein" in d.message

    def test_missing_column_is_e503(self) -> None:
        """Column keys are checked the same way."""
        rows = "| | tiers_temps |\n| autre | 1 % |"
        assert codes(_table(rows, "rang : décimal, option : option", call="t(rang, option)")) == ["E503"]

    def test_autre_covers_the_rest(self) -> None:
        """`autre` covers every remaining word."""
        load(_table("| option | taux |\n| tiers_temps | 1 % |\n| autre | 2 % |", "option : option", call="t(option)"))

    def test_complete_bands(self) -> None:
        """Adjacent bands from minus to plus infinity are accepted."""
        load(_table(BANDS))

    def test_overlap_is_e501(self) -> None:
        """Overlapping bands are E501, at the later band, with the earlier as a label."""
        d = first(_table(BANDS.replace("de 50 à moins de 70", "de 40 à moins de 70")))
        assert d.code == "E501" and d.labels[0].note == "tranche précédente"

    def test_shared_inclusive_bound_overlaps(self) -> None:
        """`jusqu'à 50` then `50 et plus` overlap at 50."""
        assert codes(_table("| rang | taux |\n| jusqu'à 50 | 1 % |\n| 50 et plus | 2 % |")) == ["E501"]

    def test_gap_is_e502_with_the_right_start(self) -> None:
        """A gap between bands is E502; the hint gives where the next band must start."""
        d = first(_table(BANDS.replace("de 50 à moins de 70", "de 60 à moins de 70")))
        assert d.code == "E502" and d.hint is not None and "commencer à 50" in d.hint

    def test_gap_after_an_inclusive_bound(self) -> None:
        """After `jusqu'à 40` on a décimal key, the next band must start just after 40."""
        d = first(_table("| rang | taux |\n| jusqu'à 40 | 1 % |\n| 41 et plus | 2 % |"))
        assert d.code == "E502" and d.hint is not None and "« plus de 40 »" in d.hint

    def test_integer_bands_may_skip_to_the_next_integer(self) -> None:
        """On an `entier` key, `jusqu'à 40` then `41 et plus` leave no gap."""
        rows = "| k | taux |\n| jusqu'à 40 | 1 % |\n| de 41 à 50 | 2 % |\n| 51 et plus | 3 % |"
        rs = load(_table(rows, "k : entier", call="t(annee_contrat)"))
        assert [rs.evaluate({"annee_contrat": n}).values["r"] for n in (40, 41, 50, 51)] == \
            [Decimal("0.01"), Decimal("0.02"), Decimal("0.02"), Decimal("0.03")]

    @pytest.mark.parametrize(("rows", "hint"), [
        ("| de 10 à moins de 50 | 1 % |\n| 50 et plus | 2 % |", "« moins de 10 »"),
        ("| plus de 10 | 1 % |", "« jusqu'à 10 »"),
        ("| moins de 10 | 1 % |\n| de 10 à moins de 50 | 2 % |", "« 50 et plus »"),
        ("| moins de 10 | 1 % |\n| de 10 à 50 | 2 % |", "« plus de 50 »"),
    ])
    def test_open_ends_are_e502(self, rows: str, hint: str) -> None:
        """Values below the first band or above the last are gaps, with the band to add as hint."""
        d = first(_table("| rang | taux |\n" + rows))
        assert d.code == "E502" and d.hint is not None and hint in d.hint

    def test_autre_fills_band_gaps(self) -> None:
        """With an `autre` row, bands need not cover everything."""
        load(_table("| rang | taux |\n| de 10 à moins de 20 | 1 % |\n| autre | 2 % |"))


class TestLookup:
    """Tests for evaluating table lookups."""

    @pytest.mark.parametrize(("rang", "taux"), [(0, "0.2"), (49.99, "0.2"), (50, "0.15"), (69.999, "0.15"),
                                                (70, "0.075"), (1000, "0.075"), (-5, "0.2")])
    def test_band_edges(self, rang: float, taux: str) -> None:
        """A lower bound is included, an upper bound `moins de` excluded."""
        assert load(_table(BANDS)).evaluate({"rang": rang}).values["r"] == Decimal(taux)

    def test_two_keys_and_autre(self) -> None:
        """A two-key lookup finds its row and column; `autre` catches the other words."""
        rows = "| | tiers_temps | autre |\n| moins de 5 | 1 % | 2 % |\n| 5 et plus | 3 % | 4 % |"
        rs = load(_table(rows, "rang : décimal, option : option", call="t(rang, option)"))
        assert rs.evaluate({"rang": 6, "option": "tiers_temps"}).values["r"] == Decimal("0.03")
        assert rs.evaluate({"rang": 1, "option": "temps_plein"}).values["r"] == Decimal("0.02")

    def test_dash_cell_is_not_applicable(self) -> None:
        """A `—` cell gives non applicable, with its reason."""
        out = load(_table("| rang | taux |\n| moins de 5 | — |\n| 5 et plus | 1 % |")).evaluate({"rang": 1})
        assert out.status("r") == "not_applicable" and "—" in (out.reason("r") or "")

    def test_missing_key_is_missing(self) -> None:
        """A lookup whose key is a missing fact is missing that fact."""
        out = load(_table(BANDS)).evaluate({})
        assert out.status("r") == "missing" and out.missing == {"rang"}

    def test_dated_table_before_its_first_version(self) -> None:
        """A dated table read before its first version is non applicable."""
        text = FACTS + "fait d : date fin\ntable t (rang : décimal) : taux\n  à partir du 01/01/2020\n" \
            "  | rang | taux |\n  | autre | 1 % |\nfin\nrésultat r : taux = t(rang) au d fin\n"
        rs = load(text)
        assert rs.evaluate({"rang": 1, "d": "2019-12-31"}).status("r") == "not_applicable"
        assert rs.evaluate({"rang": 1, "d": "2020-01-01"}).values["r"] == Decimal("0.01")
