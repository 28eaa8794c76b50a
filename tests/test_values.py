"""Tests for engine.lang.values: French literals, calendar arithmetic, exact arithmetic and rounding."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.lang import values
from engine.lang.values import Duration
from support import load

D = Decimal


class TestParseNumber:
    """Tests for `parse_number`."""

    @pytest.mark.parametrize(("text", "value"), [
        ("640", 640), ("12 000", 12000), ("12\u00a0000", 12000), ("12\u202f000", 12000), ("1 000 000", 1000000),
        ("7,5", D("7.5")), ("0.8", D("0.8")), ("8 350,50", D("8350.50")), ("0", 0),
    ])
    def test_values(self, text: str, value: int | Decimal) -> None:
        """Thousands separators are dropped; a comma or a point makes a Decimal."""
        parsed = values.parse_number(text)
        assert parsed == value and type(parsed) is type(value)

    def test_decimal_keeps_written_places(self) -> None:
        """`8 350,50` keeps its two decimal places (exact, never a float)."""
        assert str(values.parse_number("8 350,50")) == "8350.50"


class TestMoneyAndPercentLiterals:
    """Tests for money and percentages as rule files write them."""

    @pytest.mark.parametrize(("literal", "value"), [
        ("12 000 €", D(12000)), ("8 350,50 €", D("8350.50")), ("3 euros", D(3)), ("0,01 €", D("0.01")),
    ])
    def test_money(self, literal: str, value: Decimal) -> None:
        """Money literals are exact euros."""
        assert load(f"résultat r : montant = {literal} fin").evaluate({}).values["r"] == value

    @pytest.mark.parametrize(("literal", "value"), [
        ("7,5 %", D("0.075")), ("80 %", D("0.8")), ("100 %", D(1)), ("0,5 %", D("0.005")), ("12,5 %", D("0.125")),
    ])
    def test_percent(self, literal: str, value: Decimal) -> None:
        """A percentage is a fraction: 7,5 % is 0.075."""
        assert load(f"résultat r : taux = {literal} fin").evaluate({}).values["r"] == value


class TestParseDate:
    """Tests for `parse_date`."""

    def test_french_order(self) -> None:
        """Dates are day/month/year."""
        assert values.parse_date("22/06/2024") == dt.date(2024, 6, 22)
        assert values.parse_date("1/2/2024") == dt.date(2024, 2, 1)

    @pytest.mark.parametrize("text", ["31/02/2024", "29/02/2023", "00/01/2024", "01/13/2024"])
    def test_impossible_dates_raise(self, text: str) -> None:
        """A date that does not exist raises ValueError."""
        with pytest.raises(ValueError):
            values.parse_date(text)


class TestCalendar:
    """Tests for `add_months`, `add_years` and `shift` (model.md §1)."""

    @pytest.mark.parametrize(("start", "months", "end"), [
        (dt.date(2021, 1, 31), 1, dt.date(2021, 2, 28)),
        (dt.date(2020, 1, 31), 1, dt.date(2020, 2, 29)),
        (dt.date(2021, 3, 31), 1, dt.date(2021, 4, 30)),
        (dt.date(2021, 1, 15), 1, dt.date(2021, 2, 15)),
        (dt.date(2021, 12, 31), 2, dt.date(2022, 2, 28)),
        (dt.date(2021, 3, 31), -1, dt.date(2021, 2, 28)),
        (dt.date(2021, 1, 31), 13, dt.date(2022, 2, 28)),
    ])
    def test_plus_months_keeps_the_day_clamped(self, start: dt.date, months: int, end: dt.date) -> None:
        """`+ n mois` keeps the day, clamped to the last day of the target month."""
        assert values.add_months(start, months) == end

    @pytest.mark.parametrize(("start", "years", "end"), [
        (dt.date(2020, 2, 29), 1, dt.date(2021, 2, 28)),
        (dt.date(2020, 2, 29), 4, dt.date(2024, 2, 29)),
        (dt.date(2020, 2, 29), -1, dt.date(2019, 2, 28)),
        (dt.date(2019, 10, 1), 2, dt.date(2021, 10, 1)),
    ])
    def test_plus_years_from_29_february(self, start: dt.date, years: int, end: dt.date) -> None:
        """`+ n ans` keeps day and month; 29/02 becomes 28/02 in a common year."""
        assert values.add_years(start, years) == end

    def test_shift_applies_years_then_months_then_days(self) -> None:
        """A mixed duration adds years, then months, then days."""
        assert values.shift(dt.date(2020, 2, 29), Duration(days=1, months=1, years=1)) == dt.date(2021, 3, 29)

    def test_shift_off_the_calendar_raises(self) -> None:
        """Going past year 9999 raises, for the evaluator to turn into indéterminé."""
        with pytest.raises((OverflowError, ValueError)):
            values.shift(dt.date(9999, 12, 1), Duration(months=1))

    def test_through_rule_files(self) -> None:
        """The same calendar rules apply to formulas: 31/01 + 1 mois, 29/02 + 1 an."""
        rs = load("fait d : date fin\nrésultat m : date = d + 1 mois fin\nrésultat a : date = d + 1 an fin")
        assert rs.evaluate({"d": "2021-01-31"}).values["m"] == dt.date(2021, 2, 28)
        assert rs.evaluate({"d": "2024-01-31"}).values["m"] == dt.date(2024, 2, 29)
        assert rs.evaluate({"d": "2020-02-29"}).values["a"] == dt.date(2021, 2, 28)


class TestDuration:
    """Tests for `Duration`."""

    def test_arithmetic(self) -> None:
        """Durations add, negate and scale component-wise."""
        assert Duration(1, 2, 3) + Duration(1, 1, 1) == Duration(2, 3, 4)
        assert -Duration(1, 2, 3) == Duration(-1, -2, -3)
        assert Duration(1, 2, 3).scaled(2) == Duration(2, 4, 6)

    def test_comparable_key(self) -> None:
        """Days compare with days, months with months and years; mixed durations do not compare."""
        assert Duration(days=15).comparable_key() == ("jours", 15)
        assert Duration(months=1, years=1).comparable_key() == ("mois", 13)
        assert Duration(days=1, months=1).comparable_key() is None

    @pytest.mark.parametrize(("duration", "text"), [
        (Duration(days=15), "15 jours"), (Duration(days=1), "1 jour"), (Duration(months=1), "1 mois"),
        (Duration(years=3), "3 ans"), (Duration(years=1, months=2), "1 an 2 mois"), (Duration(), "0 jour"),
    ])
    def test_str(self, duration: Duration, text: str) -> None:
        """Durations print in French."""
        assert str(duration) == text


class TestExactArithmetic:
    """Tests for `add`, `sub`, `mul`, `div` and `normalise`."""

    def test_integers_stay_integers(self) -> None:
        """int op int stays int for + - ×."""
        assert values.add(2, 3) == 5 and type(values.mul(2, 3)) is int and type(values.sub(2, 3)) is int

    def test_decimals_are_exact(self) -> None:
        """0.1 + 0.2 is exactly 0.3."""
        assert values.add(D("0.1"), D("0.2")) == D("0.3")

    def test_division_with_finite_expansion_is_decimal(self) -> None:
        """1 / 4 is the Decimal 0.25."""
        assert values.div(1, 4) == D("0.25") and isinstance(values.div(1, 4), Decimal)

    def test_division_without_finite_expansion_is_a_fraction(self) -> None:
        """1 / 3 stays the exact Fraction 1/3."""
        assert values.div(1, 3) == Fraction(1, 3)

    def test_division_by_zero_raises(self) -> None:
        """Division by zero raises ZeroDivisionError (the evaluator makes it indéterminé)."""
        with pytest.raises(ZeroDivisionError):
            values.div(D(1), 0)

    def test_fractions_become_decimals_when_they_can(self) -> None:
        """A Fraction that becomes finite again is normalised to a Decimal: 1/3 × 3 = 1."""
        assert values.mul(Fraction(1, 3), 3) == 1 and isinstance(values.mul(Fraction(1, 3), 3), Decimal)

    @given(st.integers(-10**6, 10**6), st.integers(1, 10**4))
    @settings(max_examples=200)
    def test_division_is_exact(self, a: int, b: int) -> None:
        """(a / b) × b gives a back exactly."""
        assert values.mul(values.div(a, b), b) == a

    def test_to_decimal_and_exactness(self) -> None:
        """A Fraction shows as a Decimal with many digits and is reported inexact."""
        assert str(values.to_decimal(Fraction(1, 3))).startswith("0.3333333333")
        assert not values.is_exact_decimal(Fraction(1, 3)) and values.is_exact_decimal(D("0.5"))


class TestRounding:
    """Tests for `round_to`: half up (away from zero) or truncated, to any named step."""

    @pytest.mark.parametrize(("value", "expected"), [
        (D("0.005"), "0.01"), (D("0.004999"), "0.00"), (D("2.675"), "2.68"), (D("-0.005"), "-0.01"),
        (Fraction(1, 3), "0.33"), (Fraction(2, 3), "0.67"), (Fraction(1, 200), "0.01"),
    ])
    def test_centime_half_up(self, value: object, expected: str) -> None:
        """`arrondi au centime`: the half goes up (away from zero)."""
        assert values.round_to(value, D("0.01"), truncate=False) == D(expected)  # type: ignore[arg-type]

    @pytest.mark.parametrize(("value", "expected"), [(D("2.5"), 3), (D("3.5"), 4), (D("-2.5"), -3), (D("2.4999"), 2)])
    def test_integer_half_up_not_bankers(self, value: Decimal, expected: int) -> None:
        """2,5 rounds to 3 and 3,5 to 4: half up, never to even."""
        assert values.round_to(value, D(1), truncate=False) == expected

    @pytest.mark.parametrize(("value", "expected"), [(D("12345.99"), 12345), (D("-1.9"), -1), (Fraction(5, 3), 1)])
    def test_truncation_goes_toward_zero(self, value: object, expected: int) -> None:
        """`tronqué` cuts toward zero."""
        assert values.round_to(value, D(1), truncate=True) == expected  # type: ignore[arg-type]

    @pytest.mark.parametrize(("quantum", "truncate", "expected"), [
        ("10", False, 12350), ("10", True, 12340), ("100", False, 12300), ("1000", False, 12000),
        ("1000", True, 12000), ("100", True, 12300),
    ])
    def test_steps_larger_than_one(self, quantum: str, truncate: bool, expected: int) -> None:
        """Rounding to the ten, hundred or thousand gives a multiple of that step."""
        assert values.round_to(D("12345.67"), D(quantum), truncate) == expected

    def test_half_of_a_thousand(self) -> None:
        """1 500 rounded to the thousand is 2 000."""
        assert values.round_to(1500, D(1000), truncate=False) == 2000

    @given(st.decimals(-10**6, 10**6, places=4), st.sampled_from(["0.01", "1", "10", "100", "1000"]))
    @settings(max_examples=300)
    def test_result_is_a_multiple_within_half_a_step(self, value: Decimal, quantum: str) -> None:
        """The result is a multiple of the step, at most half a step away (less than a step if truncated)."""
        q = D(quantum)
        rounded = values.round_to(value, q, truncate=False)
        truncated = values.round_to(value, q, truncate=True)
        assert rounded % q == 0 and abs(rounded - value) <= q / 2
        assert truncated % q == 0 and abs(truncated) <= abs(value) and abs(value - truncated) < q

    @given(st.fractions(min_value=-1000, max_value=1000, max_denominator=1000))
    @settings(max_examples=300)
    def test_fractions_round_like_their_exact_value(self, value: Fraction) -> None:
        """A Fraction rounds as its exact value would (computed here with 60 digits), never through a float."""
        with localcontext() as ctx:
            ctx.prec = 60
            exact = D(value.numerator) / D(value.denominator)
            expected = exact.quantize(D("0.01"), rounding=ROUND_HALF_UP)
        assert values.round_to(value, D("0.01"), False) == expected

    def test_rounding_in_rule_files(self) -> None:
        """Rule files round where they say, and only there."""
        rs = load("fait m : montant fin\nrésultat c : montant = m / 3 arrondi au centime fin\n"
                  "résultat d : montant = m arrondi à la dizaine fin\n"
                  "résultat e : entier = 2 355 × 12,5 % arrondi à l'entier fin")
        assert rs.evaluate({"m": "100"}).values == {"c": D("33.33"), "d": D(100), "e": 294}


class TestMoneyText:
    """Amounts are written as exact decimal strings in euros and cents."""

    @pytest.mark.parametrize(("value", "text"), [
        (Decimal("8400.0"), "8400.00"), (7000, "7000.00"), (Decimal("7E+3"), "7000.00"),
        (Decimal("3500.00"), "3500.00"), (Decimal("3287.625"), "3287.625"), (Decimal("-12.5"), "-12.50"),
    ])
    def test_at_least_two_decimals_and_never_fewer_digits(self, value: object, text: str) -> None:
        assert values.money_text(value) == text  # type: ignore[arg-type]

    def test_a_fraction_keeps_its_digits(self) -> None:
        assert values.money_text(Fraction(1, 3)).startswith("0.3333333")
