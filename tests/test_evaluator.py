"""Tests for engine.evaluate.reference: three-valued evaluation, laziness, versions, and the trace it records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from engine.evaluate.reference import Evaluator
from engine.lang.results import Missing, NotApplicable, Undetermined, Value
from engine.evaluate.trace import Tracer
from support import load

pytestmark = pytest.mark.usefixtures("every_backend")  # the semantic tests run over every backend

FACTS = ("fait a : booléen fin\nfait b : booléen fin\nfait n : entier fin\nfait m : entier fin\n"
         "fait d : date fin\nfait x : montant fin\n")
NA = 'non applicable "hors champ"'
IND = 'indéterminé "pas publié"'


def _eval(type_: str, formula: str, facts: dict[str, object] | None = None, extra: str = ""):  # type: ignore[no-untyped-def]
    """The result of `résultat r : type = formula` for the facts."""
    rs = load(FACTS + extra + f"résultat r : {type_} = {formula} fin\n")
    return rs.evaluate(facts or {}).result("r")


def _missing(*names: str) -> Missing:
    return Missing(frozenset(names))


class TestKleeneLogic:
    """Tests for `et`, `ou` and `non` with missing facts (Kleene's three-valued logic)."""

    @pytest.mark.parametrize(("formula", "facts", "expected"), [
        ("a et b", {"a": False}, Value(False)),
        ("a et b", {"b": False}, Value(False)),
        ("a et b", {"a": True}, _missing("b")),
        ("a et b", {}, _missing("a", "b")),
        ("a et b", {"a": True, "b": True}, Value(True)),
        ("a ou b", {"a": True}, Value(True)),
        ("a ou b", {"b": True}, Value(True)),
        ("a ou b", {"a": False}, _missing("b")),
        ("a ou b", {}, _missing("a", "b")),
        ("non a", {}, _missing("a")),
        ("non a", {"a": True}, Value(False)),
    ])
    def test_truth_table(self, formula: str, facts: dict[str, bool], expected: object) -> None:
        """`faux et ?` is faux, `vrai ou ?` is vrai, otherwise the missing facts of both sides."""
        assert _eval("booléen", formula, facts) == expected

    def test_decisive_left_side_does_not_read_the_right(self) -> None:
        """With `faux et …`, the right side is not evaluated, so its facts are not asked for."""
        assert _eval("booléen", "a et (n > 1)", {"a": False}) == Value(False)
        rs = load(FACTS + "résultat r : booléen = a et (n > 1) fin")
        assert rs.evaluate({"a": False}).missing == frozenset()

    def test_marker_operand_wins(self) -> None:
        """A marker on the left is the result, even if the right side would decide."""
        assert _eval("booléen", f"({NA}) et b", {"b": False}) == NotApplicable("hors champ", "r")

    def test_marker_on_the_right_after_true(self) -> None:
        """`vrai et marqueur` is the marker."""
        assert _eval("booléen", f"a et ({IND})", {"a": True}) == Undetermined("pas publié", "r")


class TestMarkers:
    """Tests for `non applicable` and `indéterminé`: they propagate, with their reason."""

    @pytest.mark.parametrize(("type_", "formula"), [
        ("entier", f"({NA}) + 1"), ("entier", f"1 + ({NA})"), ("entier", f"-({NA})"),
        ("entier", f"({NA}) × 2 arrondi à l'entier"), ("entier", f"min(1, {NA})"), ("booléen", f"({NA}) = 1"),
        ("booléen", f"non ({NA})"), ("booléen", f"({NA}) dans {{1, 2}}"), ("durée", f"({NA}) jours"),
    ])
    def test_not_applicable_propagates(self, type_: str, formula: str) -> None:
        """Every operation on a non applicable operand is non applicable, with the same reason."""
        result = _eval(type_, formula)
        assert isinstance(result, NotApplicable) and result.reason == "hors champ"

    def test_undetermined_propagates(self) -> None:
        """An indéterminé operand makes the result indéterminé."""
        assert _eval("montant", f"x + ({IND})", {"x": 1}) == Undetermined("pas publié", "r")

    def test_first_marker_wins_over_missing(self) -> None:
        """A marker after a missing operand is the result (the marker is decisive)."""
        assert isinstance(_eval("entier", f"n + ({NA})"), NotApplicable)

    def test_missing_operands_accumulate(self) -> None:
        """Missing operands of an operation are all listed."""
        assert _eval("entier", "n + m") == _missing("n", "m")

    def test_marker_origin_is_the_rule(self) -> None:
        """A marker remembers the rule where it was written."""
        result = _eval("entier", "q + 1", extra=f"règle q : entier = {NA} fin\n")
        assert isinstance(result, NotApplicable) and result.origin == "q"

    def test_markers_are_not_false(self) -> None:
        """Non applicable is distinct from faux, and from missing."""
        result = _eval("booléen", NA)
        assert result != Value(False) and result.status == "not_applicable"


class TestConditions:
    """Tests for `si … alors … sinon` and laziness."""

    def test_only_the_taken_branch_is_read(self) -> None:
        """Facts of the branch not taken are not read, so not missing."""
        assert _eval("entier", "si a alors n sinon m", {"a": True}) == _missing("n")
        assert _eval("entier", "si a alors n sinon m", {"a": False}) == _missing("m")

    def test_missing_condition_collects_both_branches(self) -> None:
        """A condition on a missing fact lists the facts of the condition and of both branches."""
        assert _eval("entier", "si a alors n sinon m") == _missing("a", "n", "m")

    def test_missing_condition_with_marker_branch(self) -> None:
        """Branches that give a value or a marker add nothing to the missing facts."""
        assert _eval("entier", f"si a alors 1 sinon {NA}") == _missing("a")

    def test_marker_condition(self) -> None:
        """A marker condition is the result."""
        assert isinstance(_eval("entier", f"si ({NA}) alors 1 sinon 2"), NotApplicable)

    def test_rules_are_evaluated_only_when_needed(self) -> None:
        """A rule in an untaken branch is never evaluated: its facts are not missing."""
        rs = load(FACTS + "règle q : entier = n + m fin\nrésultat r : entier = si a alors q sinon 0 fin\n")
        assert rs.evaluate({"a": False}).missing == frozenset()
        assert rs.evaluate({"a": True}).missing == {"n", "m"}


class TestGuards:
    """Tests for `applicable si`."""

    EXTRA = "résultat g : entier\n  applicable si a sinon \"pas concerné\"\n  = n\nfin\n"

    def test_true_guard_evaluates_the_formula(self) -> None:
        """A true guard gives the formula's value."""
        assert load(FACTS + self.EXTRA).evaluate({"a": True, "n": 4}).result("g") == Value(4)

    def test_false_guard_gives_its_reason(self) -> None:
        """A false guard is non applicable with the written reason."""
        assert load(FACTS + self.EXTRA).evaluate({"a": False}).result("g") == NotApplicable("pas concerné", "g")

    def test_missing_guard_and_formula(self) -> None:
        """A missing guard also lists what the formula would need."""
        assert load(FACTS + self.EXTRA).evaluate({}).result("g") == _missing("a", "n")

    def test_guard_reason_defaults_to_the_condition(self) -> None:
        """Without a written reason, the reason names the condition."""
        rs = load(FACTS + "résultat g : entier\n  applicable si a\n  = 1\nfin\n")
        result = rs.evaluate({"a": False}).result("g")
        assert isinstance(result, NotApplicable) and "« a »" in result.reason

    def test_not_applicable_guard_propagates(self) -> None:
        """A guard that is itself non applicable passes its reason on."""
        rs = load(FACTS + f"règle c : booléen = {NA} fin\nrésultat g : entier\n  applicable si c\n  = 1\nfin\n")
        assert rs.evaluate({}).result("g") == NotApplicable("hors champ", "c")


class TestFunctions:
    """Tests for function calls: arguments are evaluated only if the body reads them."""

    FN = "fonction f (p : entier, q : entier) : entier = si a alors p sinon q fin\n"

    def test_unused_argument_is_not_read(self) -> None:
        """An argument the body does not read is never evaluated, so its fact is not missing."""
        assert _eval("entier", "f(n, m)", {"a": True, "n": 1}, extra=self.FN) == Value(1)

    def test_argument_evaluated_once(self) -> None:
        """An argument read twice is evaluated once (call by need) and gives the same value."""
        fn = "fonction g (p : entier) : entier = p + p fin\n"
        assert _eval("entier", "g(n × 2)", {"n": 3}, extra=fn) == Value(12)

    def test_nested_calls_see_their_own_arguments(self) -> None:
        """Each call has its own parameters, even when an argument is another call."""
        fn = "fonction g (p : entier) : entier = p + 1 fin\n"
        assert _eval("entier", "g(g(g(n)))", {"n": 1}, extra=fn) == Value(4)

    def test_builtins(self) -> None:
        """`min` and `max` take the smallest and largest of their arguments."""
        assert _eval("entier", "min(n, m, 3)", {"n": 5, "m": 4}) == Value(3)
        assert _eval("entier", "max(n, m)", {"n": 5, "m": 4}) == Value(5)


class TestArithmeticAndDates:
    """Tests for exact arithmetic and calendar arithmetic in formulas."""

    def test_division_is_exact(self) -> None:
        """10 / 3 stays an exact fraction until a rule rounds it."""
        assert _eval("décimal", "n / 3", {"n": 10}) == Value(Fraction(10, 3))

    def test_division_by_zero_is_undetermined(self) -> None:
        """Division by zero is indéterminé with its reason, never an exception."""
        assert _eval("décimal", "n / m", {"n": 1, "m": 0}) == Undetermined("division par zéro")

    def test_date_off_the_calendar_is_undetermined(self) -> None:
        """A date past year 9999 is indéterminé, never an exception."""
        assert _eval("date", "d + n ans", {"d": "9999-01-01", "n": 5}) == Undetermined("date hors du calendrier")

    def test_date_minus_date_is_days(self) -> None:
        """The difference of two dates is a number of days."""
        result = _eval("booléen", "d - 01/01/2024 > 30 jours", {"d": "2024-03-01"})
        assert result == Value(True)

    def test_durations_in_days_and_months_do_not_compare(self) -> None:
        """Comparing days with months is indéterminé (a month has no fixed length)."""
        assert isinstance(_eval("booléen", "30 jours < 1 mois"), Undetermined)

    def test_duration_from_an_expression(self) -> None:
        """`(n - 1) ans` builds a duration from an integer expression."""
        assert _eval("date", "d + (n - 1) ans", {"d": "2020-02-29", "n": 2}) == Value(dt.date(2021, 2, 28))

    def test_sets(self) -> None:
        """`dans` and `pas dans` test membership."""
        assert _eval("booléen", "n dans {1, 2}", {"n": 2}) == Value(True)
        assert _eval("booléen", "n pas dans {1, 2}", {"n": 2}) == Value(False)


class TestVersions:
    """Tests for dated parameters, `au` and `texte de`."""

    PARAM = "paramètre seuil : entier\n  à partir du 01/01/2020 : 640\n  à partir du 01/05/2023 : 775\nfin\n"

    @pytest.mark.parametrize(("date", "expected"), [("2020-01-01", Value(640)), ("2023-04-30", Value(640)),
                                                    ("2023-05-01", Value(775)), ("2030-01-01", Value(775))])
    def test_version_in_force_at_the_date(self, date: str, expected: object) -> None:
        """`seuil au d` is the version in force at d; a version starts on its date."""
        assert _eval("entier", "seuil au d", {"d": date}, extra=self.PARAM) == expected

    def test_before_the_first_version(self) -> None:
        """Before the first version, the parameter is non applicable."""
        assert isinstance(_eval("entier", "seuil au d", {"d": "2019-12-31"}, extra=self.PARAM), NotApplicable)

    def test_missing_date(self) -> None:
        """A missing date makes the read missing."""
        assert _eval("entier", "seuil au d", {}, extra=self.PARAM) == _missing("d")

    def test_two_dates_in_one_evaluation(self) -> None:
        """The same parameter read at two dates gives each version (memoised per version)."""
        assert _eval("entier", "seuil au d - seuil au 01/01/2021", {"d": "2024-01-01"}, extra=self.PARAM) == Value(135)

    def test_texte_de(self) -> None:
        """`texte de p au d` is the short name of the text whose version is in force."""
        rs = load(FACTS + self.PARAM.replace("entier", "entier\n  source \"s\"") +
                  "résultat r : texte = texte de seuil au d fin\nrésultat s : entier = seuil au d fin",
                  filename="t.rules")
        assert rs.evaluate({"d": "2024-01-01"}).result("r") == Value("Test")
        assert isinstance(rs.evaluate({"d": "2000-01-01"}).result("r"), NotApplicable)


class TestEvaluatorDirectly:
    """Tests for the `Evaluator` class itself."""

    def test_rules_are_memoised(self) -> None:
        """A rule read twice is evaluated once: both reads show the very same trace event."""
        rs = load(FACTS + "règle q : entier = n + 1 fin\nrésultat r : entier = q + q fin\n")
        tracer = Tracer()
        assert Evaluator(rs.program, {"n": 1}, tracer).result("r") == Value(4)
        (root,) = tracer.roots
        first, second = root.find("rule")
        assert first.label == "q" and first is second

    def test_facts_are_read_only_when_reached(self) -> None:
        """The trace has one `fact` event per fact actually read."""
        rs = load(FACTS + "résultat r : entier = si a alors n sinon m fin\n")
        tracer = Tracer()
        Evaluator(rs.program, {"a": True, "n": 1, "m": 2}, tracer).result("r")
        assert sorted(e.label for e in tracer.roots[0].find("fact")) == ["a", "n"]

    def test_untraced_and_traced_agree(self) -> None:
        """Tracing does not change results."""
        rs = load(FACTS + "résultat r : montant = x × 3 / 7 arrondi au centime fin\n")
        facts = {"x": Decimal(100)}
        assert Evaluator(rs.program, facts).result("r") == Evaluator(rs.program, facts, Tracer()).result("r") == \
            Value(Decimal("42.86"))

    def test_trace_events_carry_spans_and_citations(self) -> None:
        """The rule event has the rule's span and sources."""
        rs = load(FACTS + 'résultat r : entier\n  source T : "art. 1"\n  = n\nfin\nsource T "Texte" fin\n')
        tracer = Tracer()
        Evaluator(rs.program, {"n": 1}, tracer).result("r")
        event = tracer.roots[0]
        assert event.kind == "rule" and event.span.line == 8
        assert [(c.key, str(c)) for c in event.data["sources"]] == [("T", "Texte : art. 1")]
