"""Generated code (`engine.evaluate.generator`, `engine.evaluate.compiled`) and `engine.inputs.fastfacts`
against the reference interpreter.

The interpreter (`engine.evaluate.reference`) is the reference: for any program and any facts, the
compiled program gives the same result for every rule (status, value with its exact type and
digits, reason, origin of a marker, missing facts). `Ruleset.evaluate` goes through the compiled
program, and `FactReader` types facts exactly as `facts.validate` does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
import strategies
from hypothesis import example, given, settings
from hypothesis import strategies as st

import engine
from engine.evaluate import generator as generator_module
from engine.evaluate import runtime
from engine.evaluate.backend import backend_for
from engine.evaluate.compiled import GeneratedProgram
from engine.evaluate.generator import GenerationError
from engine.evaluate.reference import Evaluator
from engine.inputs.facts import FactsError, validate
from engine.inputs.fastfacts import FactReader
from engine.lang import values
from engine.lang.results import Value
from engine.tools.batch_rows import cell_text

RULESETS = ("rulesets/avenant7.rules", "rulesets/convention2024.rules")


def _rules(program) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    return tuple(name for name, d in program.definitions.items() if d.kind == "rule")


def _same(expected: object, obtained: object) -> bool:
    """Equal results, and a value of the same Python type written with the same digits."""
    if expected != obtained:
        return False
    if isinstance(expected, Value):
        a, b = expected.value, obtained.value  # type: ignore[attr-defined]
        return type(a) is type(b) and str(a) == str(b)
    return True


def _assert_same(program, typed: dict[str, object], compiled=None) -> None:  # type: ignore[no-untyped-def]
    compiled = compiled or GeneratedProgram(program)
    names = _rules(program)
    interpreter = Evaluator(program, typed)
    expected = {name: interpreter.result(name) for name in names}
    obtained = compiled.evaluate(typed, names)
    wrong = {n: (expected[n], obtained[n]) for n in names if not _same(expected[n], obtained[n])}
    assert not wrong, f"{wrong}\nfacts: {typed}"


class TestAgainstInterpreter:
    """The compiled program gives the interpreter's results."""

    @settings(max_examples=500, derandomize=True, database=None, deadline=None)
    @given(st.data())
    def test_random_programs(self, data: st.DataObject) -> None:
        """For random well-typed programs and fact sets, every rule has the interpreter's result."""
        text = data.draw(strategies.programs(), label="program")
        ruleset = engine.loads(text)
        raw = data.draw(strategies.fact_sets(ruleset), label="facts")
        _assert_same(ruleset.program, validate(ruleset.program, raw))

    @pytest.mark.parametrize("path", RULESETS)
    def test_bundled_rule_files_on_the_population(self, path: str) -> None:
        """Both rule files, on 1 500 rows of the synthetic population, give the interpreter's results."""
        ruleset = engine.load(path)
        compiled = GeneratedProgram(ruleset.program)
        for raw in strategies.population_facts(ruleset, 1500):
            _assert_same(ruleset.program, validate(ruleset.program, raw), compiled)

    @pytest.mark.parametrize("path", RULESETS)
    def test_bundled_rule_files_compile(self, path: str) -> None:
        """The bundled files are evaluated by generated code, not by the interpreter."""
        program = engine.load(path).program
        assert backend_for(program).name == "generated"

    def test_marker_in_a_function_argument_takes_the_forcing_function_as_origin(self) -> None:
        """A marker written as an argument gets the origin the interpreter gives it (the function)."""
        ruleset = engine.loads('''règles "Démo"
fait x : entier fin
fonction f (n : entier) : entier = n + 1 fin
fonction g (m : entier) : entier = si x > 0 alors f(m) sinon m fin
résultat r : entier = g(non applicable "pas de valeur")
fin
''')
        for facts in ({"x": 1}, {"x": 0}, {}):
            _assert_same(ruleset.program, facts)
            outcome = ruleset.evaluate(facts)
            assert outcome.results["r"] == Evaluator(ruleset.program, facts).result("r")


class TestRulesetEvaluate:
    """`Ruleset.evaluate` goes through the fast path and keeps its public behaviour."""

    def test_evaluate_uses_the_compiled_program(self) -> None:
        """The outcome's results are the compiled program's and the interpreter's."""
        ruleset = engine.load("rulesets/convention2024.rules")
        facts = {"specialite": "orl", "date_signature": "2024-09-01", "part_honoraires_cliniques": "0.85",
                 "secteur": 1, "option": "mi_temps", "annee_contrat": 1, "nouvel_installe": True}
        outcome = ruleset.evaluate(facts)
        typed = validate(ruleset.program, facts)
        interpreter = Evaluator(ruleset.program, typed)
        assert outcome.results == {n: interpreter.result(n) for n in ruleset.program.outputs}
        assert outcome.values["condition_specialite"] is True
        assert "eligible" in outcome.explain("eligible")

    def test_interpreter_on_request(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """`REGLES_NO_COMPILE=1` leaves evaluation to the interpreter, with the same results."""
        monkeypatch.setenv("REGLES_NO_COMPILE", "1")
        ruleset = engine.load("rulesets/avenant7.rules")
        program = ruleset.program
        assert backend_for(program).name == "reference"
        facts = {"specialite": "cardiologie", "option": "tiers_temps", "annee_contrat": 2}
        assert ruleset.evaluate(facts).results == engine.load("rulesets/avenant7.rules").evaluate(facts).results

    def test_program_it_cannot_translate_fails_loudly(self, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
        """A construct the generator does not translate is an error, never a silent fallback: the API
        raises it, the command line exits 70 with a French message."""
        def refuse(program, recorder):  # type: ignore[no-untyped-def]
            raise GenerationError("expression non traduite : Nouvelle")
        monkeypatch.setattr(generator_module, "generate", refuse)  # read by compiled.py at a cache miss
        monkeypatch.setenv("REGLES_NO_CACHE", "1")
        ruleset = engine.loads('règles "Démo"\nfait s : entier fin\nrésultat r : booléen = s = 1 fin\n')
        with pytest.raises(GenerationError, match="n'a pas pu être généré .*expression non traduite : Nouvelle"):
            ruleset.evaluate({"s": 1})
        from engine.cli.main import main
        assert main(["eval", "rulesets/avenant7.rules", "--facts", "examples/generaliste.json"]) == 70
        err = capsys.readouterr().err
        assert "n'a pas pu être généré" in err and "REGLES_REFERENCE=1" in err and "Traceback" not in err

    def test_bad_facts_raise_the_same_error(self) -> None:
        """Bad facts raise FactsError listing every problem, as without the fast path."""
        ruleset = engine.load("rulesets/convention2024.rules")
        with pytest.raises(FactsError) as caught:
            ruleset.evaluate({"secteur": "4", "specialite": "cardio", "inconnu": 1})
        assert [p.fact for p in caught.value.problems] == ["secteur", "specialite", "inconnu"]


class TestFactReader:
    """`FactReader.validate` is `facts.validate`."""

    @pytest.mark.parametrize("raw", [
        {"secteur": "4"}, {"secteur": " 1"}, {"secteur": 1.0}, {"secteur": True}, {"annee_contrat": "0"},
        {"percentile_mt": "101"}, {"percentile_mt": "50,5"}, {"part_moins_16_ans": "20 %"},
        {"date_signature": "2024-02-30"}, {"date_signature": "22/06/2024"}, {"date_signature": "20240622"},
        {"rqth": "Oui"}, {"rqth": 1}, {"rqth": "true"}, {"specialite": "cardio"}, {"inconnu": None},
        {"file_active": "1 200"}, {"file_active": "12.0"}, {"file_active": "-3"}, {"annee_contrat": "٣"},
        {"percentile_mt": 55.5}, {"percentile_mt": "1e3"}, {"percentile_mt": Decimal("NaN")},
        {"date_signature": dt.datetime(2024, 1, 1, 5)}, {"departement": 8}, {"departement": "08"},
        {"option": "mi_temps", "zone": "zip"}, {"montant": 1},
    ])
    def test_same_result_or_error(self, raw: dict[str, object]) -> None:
        """Each form gives the same typed facts, or the same FactsError message."""
        program = engine.load("rulesets/convention2024.rules").program

        def run(fn):  # type: ignore[no-untyped-def]
            try:
                return "ok", fn(raw)
            except FactsError as exc:
                return "error", str(exc)
        assert run(FactReader(program).validate) == run(lambda r: validate(program, r))

    @settings(max_examples=150, derandomize=True, database=None, deadline=None)
    @given(st.data())
    def test_random_programs_and_text_forms(self, data: st.DataObject) -> None:
        """Facts of random programs, as values or as the strings a CSV file holds, type the same."""
        ruleset = engine.loads(data.draw(strategies.programs(max_rules=1, depth=1), label="program"))
        raw = data.draw(strategies.fact_sets(ruleset), label="facts")
        if data.draw(st.booleans(), label="as text"):
            raw = {k: v.isoformat() if isinstance(v, dt.date) else str(v).lower() if isinstance(v, bool) else str(v)
                   for k, v in raw.items()}
        reader = FactReader(ruleset.program)
        try:
            expected = validate(ruleset.program, raw)
        except FactsError as exc:
            with pytest.raises(FactsError) as caught:
                reader.validate(raw)
            assert str(caught.value) == str(exc)
            return
        assert reader.validate(raw) == expected


    @settings(max_examples=150, derandomize=True, database=None, deadline=None)
    @given(st.data())
    def test_cells_reader_is_validate(self, data: st.DataObject) -> None:
        """A row of text cells (empty = unknown) types as `validate` types the non-empty cells."""
        ruleset = engine.loads(data.draw(strategies.programs(max_rules=1, depth=1), label="program"))
        raw = data.draw(strategies.fact_sets(ruleset), label="facts")
        names = sorted(ruleset.facts)
        odd = st.sampled_from(["", " 1", "1,5", "12 %", "vrai", "Oui", "2024-02-30", "22/06/2024", "x", "-3", "١"])
        cells = ["" if n not in raw else data.draw(st.one_of(st.just(cell_text(raw[n])), odd), label=n) for n in names]
        row = ["id", *cells]
        read = FactReader(ruleset.program).cells_reader([(i + 1, n) for i, n in enumerate(names)])
        given_ = {n: c for n, c in zip(names, cells) if c != ""}
        try:
            expected = validate(ruleset.program, given_)
        except FactsError as exc:
            with pytest.raises(FactsError) as caught:
                read(row)
            assert str(caught.value) == str(exc)
            return
        assert read(row) == expected


_NUMBERS = st.one_of(
    st.integers(-10**6, 10**6),
    st.decimals(-10**6, 10**6, places=4, allow_nan=False, allow_infinity=False),
    st.builds(Fraction, st.integers(-10**4, 10**4), st.integers(1, 997)),
)


class TestExactArithmetic:
    """The compiled program's arithmetic (`engine.evaluate.runtime`) is `engine.lang.values`', value and type alike."""

    @settings(max_examples=300, derandomize=True, database=None, deadline=None)
    @given(_NUMBERS, _NUMBERS)
    @example(Decimal("0.5"), 0)
    @example(1, 3)
    @example(Fraction(1, 3), Decimal("0.3"))
    def test_operations(self, a: object, b: object) -> None:
        """+ − × / give what `values.add/sub/mul/div` give (a division by zero raises the same)."""
        for fast, slow in ((runtime._add, values.add), (runtime._sub, values.sub), (runtime._mul, values.mul),
                           (runtime._div, values.div)):
            try:
                expected = slow(a, b)  # type: ignore[operator]
            except ZeroDivisionError:
                with pytest.raises(ZeroDivisionError):
                    fast(a, b)  # type: ignore[operator]
                continue
            obtained = fast(a, b)  # type: ignore[operator]
            assert type(obtained) is type(expected) and obtained == expected and str(obtained) == str(expected)

    @settings(max_examples=300, derandomize=True, database=None, deadline=None)
    @given(_NUMBERS, st.sampled_from(sorted(values.ROUNDING_UNITS.values())), st.booleans())
    def test_rounding(self, value: object, quantum: Decimal, truncate: bool) -> None:
        """Rounding gives what `values.round_to` gives."""
        qn, qd = quantum.as_integer_ratio()
        expected = values.round_to(value, quantum, truncate)  # type: ignore[arg-type]
        obtained = runtime._round(value, quantum, truncate, qn, qd)
        assert obtained == expected and str(obtained) == str(expected)

    @settings(max_examples=300, derandomize=True, database=None, deadline=None)
    @given(st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)), st.integers(-30, 30), st.integers(-30, 30),
           st.integers(-400, 400))
    @example(dt.date(2024, 2, 29), 1, 0, 0)
    @example(dt.date(9999, 12, 31), 1, 0, 0)
    def test_dates(self, date: dt.date, years: int, months: int, days: int) -> None:
        """Shifting a date gives what `values.shift` gives, or fails the same way."""
        duration = values.Duration(days=days, months=months, years=years)
        try:
            expected = values.shift(date, duration)
        except (OverflowError, ValueError):
            with pytest.raises((OverflowError, ValueError)):
                runtime._shift(date, years, months, days)
            return
        assert runtime._shift(date, years, months, days) == expected
        assert runtime._years(date, years) == (values.add_years(date, years) if years else date)


class TestGeneratedCodeNamesItsRules:
    def test_a_crash_in_generated_code_names_the_rule_and_its_line(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A traceback through generated code shows which rule's function failed, and its header
        says where the rule is written (file:line)."""
        import traceback

        def broken(op, a, b):  # type: ignore[no-untyped-def]
            raise RuntimeError("panne simulée")
        monkeypatch.setitem(runtime.NAMESPACE, "_compare", broken)
        ruleset = engine.loads('règles "Démo"\nfait d : durée fin\n\nrésultat délai_dépassé : booléen = d > 3 jours fin\n',
                               filename="demo.rules")
        program = GeneratedProgram(ruleset.program)
        with pytest.raises(RuntimeError) as caught:
            program.evaluate({"d": values.Duration(days=5)}, ["délai_dépassé"])
        frames = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
        assert any(name.endswith("_d_lai_d_pass_") for name in frames), frames
        shown = "".join(traceback.format_exception(caught.value))
        assert "_compare('>'," in shown  # the generated line itself, registered with linecache
        assert "# délai_dépassé, demo.rules:4" in program.source
