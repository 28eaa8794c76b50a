""""Why not": `Outcome.unmet` names every condition that does not hold, with true sentences.

Three layers:
- small rule texts written here, one per construct (`et`, `ou`, `non`, `dans`, `pas dans`, `si`,
  comparisons with their margins, a missing fact), whose sentences are checked word for word;
- generated doctors (tests/whynot_doctors.py) for each bundled rule file, covering every combination
  of true and false eligibility conditions: `unmet("eligible")` names exactly the false
  `condition_*` rules, and each names every fact that decides it (every alternative of a false
  `ou`, every false operand of an `et`), checked against an evaluation independent of
  `engine.explain.whynot`;
- one golden file per combination (tests/cases/whynot/), the unmet tree of the doctor with the
  richest explanation among those drawn with that combination, reviewed by reading it. `pytest tests/test_whynot.py --update-golden`
  rewrites them.
"""

from __future__ import annotations

import itertools
import json
import re
from functools import cache
from pathlib import Path

import pytest

import engine
from engine.check import model
from engine.cli.main import main
from engine.evaluate.reference import Evaluator
from engine.letters.issuance import letter_options, load_caisse
from engine.letters.render import render_letter
from engine.lang.results import Missing, Value
from engine.explain.whynot import Unmet, render
from whynot_doctors import doctors

GOLDEN = Path(__file__).resolve().parent / "cases" / "whynot"
CAISSE = letter_options(load_caisse(str(Path(__file__).resolve().parent.parent / "examples" / "caisse.toml")))

FILES = {
    "a7": ("rulesets/avenant7.rules", "avenant7", 600,
           ("condition_secteur", "condition_specialite", "condition_activite", "condition_exercice", "condition_option")),
    "c24": ("rulesets/convention2024.rules", "convention2024", 400,
            ("condition_secteur", "condition_specialite", "condition_activite", "condition_option")),
}
"""Prefix → (rule file, signature window of the generated doctors, how many, eligibility conditions)."""


@cache
def _ruleset(path: str) -> engine.Ruleset:
    return engine.load(path)


@cache
def _evaluated(prefix: str) -> list[tuple[dict[str, object], engine.Outcome, tuple[bool, ...]]]:
    """Every generated doctor of a file with its outcome and the values of its conditions."""
    path, window, count, conditions = FILES[prefix]
    ruleset = _ruleset(path)
    found = []
    for facts in doctors(7, count, window):
        outcome = ruleset.evaluate(facts, outputs=(*conditions, "eligible"))
        values = tuple(outcome.result(c) for c in conditions)
        assert all(isinstance(v, Value) for v in values), facts
        found.append((facts, outcome, tuple(bool(v.value) for v in values)))  # type: ignore[union-attr]
    return found


def _texts(unmet: list[Unmet] | tuple[Unmet, ...]) -> str:
    return "\n".join(u.text for top in unmet for u in top.walk()).replace("\u00a0", " ")


# ─── Small rule texts, one construct each ────────────────────────────────────────────────────

FACTS = '''
fait secteur : entier parmi {1, 2, 3}
  "Secteur conventionnel"
fin
fait adhesion : booléen
  "Adhésion à l'option tarifaire"
fin
fait metier : énumération {generaliste "médecine générale", chirurgien "chirurgie", orl "oto-rhino-laryngologie"}
  "Spécialité"
fin
fait patients : entier au moins 0
  unité "patients"
  "Patients suivis"
fin
fait part : taux de 0 % à 100 %
  "Part d'honoraires cliniques"
fin
fait installe : booléen
  "Nouvellement installé"
  question "Le médecin est-il nouvellement installé ?"
fin
fait signature : date
  "Date de signature"
fin
paramètre seuil = 640
  "Seuil de patients"
fin
règle cloture : date
  "Fin du dispositif"
  = 31/12/2025
fin
'''


def _one(formula: str, facts: dict[str, object], rules: str = "") -> list[Unmet]:
    """The unmet conditions of `r = formula` for some facts."""
    text = f'règles "t"\n{FACTS}{rules}\nrésultat r : booléen\n  "La condition"\n  = {formula}\nfin\n'
    ruleset = engine.loads(text)
    return [_plain(u) for u in ruleset.evaluate(facts, outputs=["r"]).unmet("r")]


def _plain(unmet: Unmet) -> Unmet:
    """The same tree with ordinary spaces for the no-break spaces French formatting puts before % and €."""
    def words(text: str | None) -> str | None:
        return None if text is None else text.replace("\u00a0", " ")
    return Unmet(unmet.name, words(unmet.text), words(unmet.margin), tuple(_plain(c) for c in unmet.children))  # type: ignore[arg-type]


class TestConstructs:
    """Each construct of the language gets a sentence that states its requirement truthfully."""

    def test_et_lists_every_false_operand_even_those_evaluation_skipped(self) -> None:
        """`a et b et c`, with a and c false: both, though evaluation stopped at a."""
        unmet = _one("secteur = 1 et patients > seuil et adhesion", {"secteur": 2, "patients": 700, "adhesion": False})
        assert [u.text for u in unmet] == ["Secteur conventionnel : 2 ; il faut 1",
                                           "Adhésion à l'option tarifaire : non ; il faut oui"]
        assert [u.name for u in unmet] == ["secteur", "adhesion"]

    def test_et_operand_lacking_a_fact_is_not_verified_and_not_asked_for(self) -> None:
        """A skipped operand that needs a missing fact: "non vérifiée : il manque …", the result stays false."""
        text = f'règles "t"\n{FACTS}\nrésultat r : booléen = secteur = 1 et installe fin\n'
        outcome = engine.loads(text).evaluate({"secteur": 2}, outputs=["r"])
        assert outcome.result("r") == Value(False) and not outcome.missing
        assert [_plain(u).text for u in outcome.unmet("r")] == [
            "Secteur conventionnel : 2 ; il faut 1",
            "Non vérifiée : « Nouvellement installé » = oui ; il manque « Nouvellement installé »"]

    def test_ou_states_every_alternative_and_what_the_facts_give(self) -> None:
        """A false `ou`: one sentence with each alternative, the deciding facts, and each alternative below."""
        [unmet] = _one("secteur = 1 ou (secteur = 2 et adhesion)", {"secteur": 2, "adhesion": False})
        assert unmet.text == ("Il faut soit « Secteur conventionnel » = 1, soit « Secteur conventionnel » = 2 et "
                              "« Adhésion à l'option tarifaire » = oui ; ici « Secteur conventionnel » = 2 et "
                              "« Adhésion à l'option tarifaire » = non")
        assert [c.text for c in unmet.children] == ["Secteur conventionnel : 2 ; il faut 1",
                                                    "Adhésion à l'option tarifaire : non ; il faut oui"]

    def test_ou_never_reduces_to_one_branch(self) -> None:
        """`metier pas dans {…} ou part ≥ 80 %`: the list alone is not the requirement."""
        [unmet] = _one("metier pas dans {chirurgien, orl} ou part >= 80 %", {"metier": "orl", "part": "0.72"})
        assert unmet.text.startswith("Il faut soit « Spécialité » autre que « chirurgie » ou « oto-rhino-laryngologie », "
                                     "soit « Part d'honoraires cliniques » ≥ 80 %")
        assert unmet.margin == "il manque 8 points de pourcentage pour atteindre le seuil de 80 %"
        assert len(unmet.children) == 2

    def test_non(self) -> None:
        """`non x` with x true: the negated requirement and what the facts give."""
        [unmet] = _one("non adhesion", {"adhesion": True})
        assert unmet.text == "Il faut « Adhésion à l'option tarifaire » = non ; ici « Adhésion à l'option tarifaire » = oui"

    def test_non_of_a_conjunction_uses_de_morgan(self) -> None:
        """`non (a et b)` requires `non a ou non b`."""
        [unmet] = _one("non (secteur = 2 et adhesion)", {"secteur": 2, "adhesion": True})
        assert unmet.text.startswith("Il faut « Secteur conventionnel » ≠ 2 ou « Adhésion à l'option tarifaire » = non ;")

    def test_dans_and_pas_dans(self) -> None:
        """Membership names the values by their labels, for and against."""
        [inside] = _one("metier dans {generaliste, chirurgien}", {"metier": "orl"})
        assert inside.text == ("Spécialité : « oto-rhino-laryngologie » ; il faut l'une de ces valeurs : "
                               "« médecine générale » ou « chirurgie »")
        [outside] = _one("metier pas dans {orl}", {"metier": "orl"})
        assert outside.text == "Spécialité : « oto-rhino-laryngologie » ; il faut une autre valeur que « oto-rhino-laryngologie »"

    @pytest.mark.parametrize(("formula", "facts", "text"), [
        ("patients > seuil", {"patients": 599},
         "Patients suivis : 599 ; il faut plus de 640 — il manque 42 patients pour dépasser le seuil de 640"),
        ("patients >= seuil", {"patients": 599},
         "Patients suivis : 599 ; il faut au moins 640 — il manque 41 patients pour atteindre le seuil de 640"),
        ("patients < 100", {"patients": 120},
         "Patients suivis : 120 ; il faut moins de 100 — il faudrait 21 patients de moins pour rester sous la limite de 100"),
        ("part > 20 %", {"part": "0.1"},
         "Part d'honoraires cliniques : 10 % ; il faut plus de 20 % — il manque plus de 10 points de pourcentage "
         "pour dépasser le seuil de 20 %"),
        ("100 <= patients", {"patients": 90},
         "Patients suivis : 90 ; il faut au moins 100 — il manque 10 patients pour atteindre le seuil de 100"),
        ("secteur ≠ 3", {"secteur": 3}, "Secteur conventionnel : 3 ; il faut une valeur autre que 3"),
        ("signature >= 22/06/2024", {"signature": "2024-01-05"},
         "Date de signature : 05/01/2024 ; il faut au plus tôt le 22/06/2024"),
        ("signature + 2 ans < cloture", {"signature": "2024-01-05"},
         "Date de signature + 2 ans : 05/01/2026 ; il faut avant « Fin du dispositif » (31/12/2025)"),
    ])
    def test_comparisons_with_their_margins(self, formula: str, facts: dict[str, object], text: str) -> None:
        """What was found, what is required, and by how much it falls short (integers count whole patients)."""
        [unmet] = _one(formula, facts)
        assert unmet.text == text

    def test_si_names_the_case_that_selected_the_branch(self) -> None:
        """`si metier = generaliste alors … sinon part ≥ 80 %`: for an ORL, the branch and why it applies."""
        [unmet] = _one("si metier = generaliste alors patients > seuil sinon part >= 80 %",
                       {"metier": "orl", "part": "0.72"})
        assert unmet.text == ("Pour « Spécialité » = « oto-rhino-laryngologie », part d'honoraires cliniques : 72 % ; "
                              "il faut au moins 80 % — il manque 8 points de pourcentage pour atteindre le seuil de 80 %")
        assert unmet.name == "part"

    def test_si_with_a_compound_branch(self) -> None:
        """A `si` whose branch fails on several conditions: the case, the requirement, each condition below."""
        [unmet] = _one("installe ou (si metier = generaliste alors patients > seuil et adhesion sinon faux)",
                       {"installe": False, "metier": "generaliste", "patients": 500, "adhesion": False})
        [_, case] = unmet.children
        assert case.text.startswith("Pour « Spécialité » = « médecine générale », il faut « Patients suivis » > 640 et "
                                    "« Adhésion à l'option tarifaire » = oui ; ici « Patients suivis » = 500 et")
        assert [c.name for c in case.children] == ["patients", "adhesion"]

    def test_si_whose_branch_is_never_met(self) -> None:
        """`sinon faux`: the case that makes the condition impossible, said as such."""
        [unmet] = _one("si metier = generaliste alors vrai sinon faux", {"metier": "orl"})
        assert unmet.text == "Pour « Spécialité » = « oto-rhino-laryngologie », la condition n'est pas remplie"

    def test_a_false_rule_inside_lists_its_own_conditions(self) -> None:
        """A named rule that is false: its description, then its unmet conditions."""
        rules = 'règle regroupe : booléen\n  "Exercice en groupe"\n  = secteur = 1 et adhesion\nfin\n'
        [unmet] = _one("patients > seuil ou regroupe", {"patients": 10, "secteur": 2, "adhesion": False}, rules)
        [_, rule] = unmet.children
        assert rule.name == "regroupe" and rule.text == "Exercice en groupe : non remplie"
        assert [c.name for c in rule.children] == ["secteur", "adhesion"]

    def test_a_false_function_call_is_named_by_its_description(self) -> None:
        """A function is not opened: its description and its arguments' names say what failed."""
        rules = 'fonction forte (x : entier) : booléen\n  "Activité forte"\n  = x > 3\nfin\n'
        [unmet] = _one("forte(patients)", {"patients": 2}, rules)
        assert unmet.text == "Activité forte (Patients suivis) : non"

    def test_a_result_that_is_not_false_has_no_unmet_condition(self) -> None:
        """True, missing, or a zero (which Python finds equal to False): nothing."""
        text = f'règles "t"\n{FACTS}\nrésultat r : booléen = secteur = 1 fin\nrésultat z : entier = secteur - 1 fin\n'
        ruleset = engine.loads(text)
        assert ruleset.evaluate({"secteur": 1}).unmet("r") == []
        assert ruleset.evaluate({"secteur": 1}).unmet("z") == []
        assert ruleset.evaluate({}).unmet("r") == []

    def test_json_form(self) -> None:
        """`to_json`: name, text, margin and children, recursively."""
        [unmet] = _one("patients > seuil ou adhesion", {"patients": 600, "adhesion": False})
        data = unmet.to_json()
        assert set(data) == {"name", "text", "margin", "children"}
        assert data["margin"] == "il manque 41 patients pour dépasser le seuil de 640"
        assert [c["name"] for c in data["children"]] == ["patients", "adhesion"]  # type: ignore[union-attr]


# ─── The gynecologist of the issue ───────────────────────────────────────────────────────────

GYNECOLOGIST = {"specialite": "gynecologie", "secteur": 2, "optam": False, "part_honoraires_cliniques": "0.72",
                "percentile_file_active": 25, "nouvel_installe": False, "date_signature": "2024-10-01",
                "date_embauche": "2024-10-01", "option": "mi_temps", "annee_contrat": 1}


class TestGynecologist:
    """Secteur 2 without OPTAM, 72 % clinical fees, file active at P25, 2024 contract."""

    def test_three_conditions_named(self) -> None:
        outcome = _ruleset("rulesets/convention2024.rules").evaluate(GYNECOLOGIST)
        unmet = outcome.unmet("eligible")
        assert [u.name for u in unmet] == ["condition_secteur", "condition_specialite", "condition_activite"]
        texts = _texts(unmet)
        assert "« Adhésion à l'OPTAM, l'OPTAM-CO ou l'OPTAM-ACO » = non" in texts  # the deciding fact
        assert "soit « Secteur conventionnel (3 = non conventionné) » = 2 et « Adhésion à l'OPTAM" in texts
        assert "il manque 8 points de pourcentage pour atteindre le seuil de 80 %" in texts
        assert "il manque 5 points de percentile pour atteindre le seuil de 30" in texts

    def test_with_optam_the_specialty_list_is_not_the_requirement(self) -> None:
        outcome = _ruleset("rulesets/convention2024.rules").evaluate({**GYNECOLOGIST, "optam": True})
        [specialty, _] = outcome.unmet("eligible")
        assert specialty.children[0].text.startswith(
            "Il faut soit « Spécialité d'exercice du médecin » autre que « chirurgie », « oto-rhino-laryngologie » ou "
            "« gynécologie », soit « Part des honoraires cliniques")

    def test_explain_lists_every_unmet_condition(self) -> None:
        outcome = _ruleset("rulesets/convention2024.rules").evaluate(GYNECOLOGIST, outputs=["eligible"])
        text = outcome.explain("eligible")
        section = text.split("Conditions non remplies :\n", 1)[1].split("\n\n")[0]
        assert section.count("\n  - ") == 2 and section.startswith("  - Secteur 1, ou secteur 2")
        assert "il faut exactement 1" not in text

    def test_refusal_letter_names_the_three_conditions(self) -> None:
        outcome = _ruleset("rulesets/convention2024.rules").evaluate(GYNECOLOGIST)
        letter = " ".join(render_letter(outcome, "decision", date="2024-11-01", **CAISSE).split())
        assert "les conditions suivantes ne sont pas remplies" in letter
        for words in ("« Adhésion à l'OPTAM, l'OPTAM-CO ou l'OPTAM-ACO » = non", "il manque 8 points de pourcentage",
                      "il manque 5 points de percentile", "Toute spécialité sauf six"):
            assert words in letter
        assert "hors de cette liste" not in letter and "exactement" not in letter

    def test_eval_json_and_trace_carry_the_unmet_tree(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        facts = tmp_path / "f.json"
        facts.write_text(json.dumps(GYNECOLOGIST), encoding="utf-8")
        assert main(["eval", "rulesets/convention2024.rules", "--facts", str(facts), "--json"]) == 0
        results = json.loads(capsys.readouterr().out)["results"]
        assert [u["name"] for u in results["eligible"]["unmet"]] == [
            "condition_secteur", "condition_specialite", "condition_activite"]
        assert "unmet" not in results["condition_option"]
        trace = _ruleset("rulesets/convention2024.rules").evaluate(GYNECOLOGIST, outputs=["eligible"]).trace
        assert [u["name"] for u in trace["results"][0]["unmet"]] == [  # type: ignore[index]
            "condition_secteur", "condition_specialite", "condition_activite"]


# ─── Every combination of conditions, over generated doctors ─────────────────────────────────

@pytest.mark.parametrize("prefix", FILES)
def test_every_combination_is_reached(prefix: str) -> None:
    """The generated doctors reach each of the 2^n combinations of true and false conditions."""
    conditions = FILES[prefix][3]
    reached = {values for _, _, values in _evaluated(prefix)}
    assert reached == set(itertools.product([True, False], repeat=len(conditions)))


@pytest.mark.parametrize("prefix", FILES)
def test_unmet_names_exactly_the_false_conditions(prefix: str) -> None:
    """`unmet("eligible")` is the false `condition_*` rules, in the formula's order; empty when eligible."""
    conditions = FILES[prefix][3]
    for facts, outcome, values in _evaluated(prefix):
        false = [c for c, v in zip(conditions, values) if not v]
        assert [u.name for u in outcome.unmet("eligible")] == false, facts
        assert (outcome.result("eligible") == Value(True)) == (not false)


def test_avenant7_contracts_through_the_2024_file() -> None:
    """A contract signed under avenant 7, read with the 2024 file: the same five conditions."""
    conditions = FILES["a7"][3]
    ruleset = _ruleset("rulesets/convention2024.rules")
    for facts in doctors(11, 200, "avenant7"):
        outcome = ruleset.evaluate(facts, outputs=(*conditions, "eligible"))
        false = [c for c in conditions if outcome.result(c) == Value(False)]
        assert [u.name for u in outcome.unmet("eligible")] == false, facts


@pytest.mark.parametrize("prefix", FILES)
def test_each_condition_names_every_fact_that_decides_it(prefix: str) -> None:
    """Every fact a false condition turns on appears by its description: every alternative of a false
    `ou`, every false operand of an `et` (evaluated even when short-circuiting skipped it), the
    condition of a nested `si` and its branch. Computed here from the model and the evaluator,
    independently of engine.explain.whynot."""
    program = _ruleset(FILES[prefix][0]).program
    for facts, outcome, _ in _evaluated(prefix):
        evaluator = Evaluator(program, outcome.facts)
        for unmet in outcome.unmet("eligible"):
            needed = _deciding_facts(program, evaluator, model.DefRef(unmet.name, model.Type("booleen")), top=True)
            text = _texts([unmet])
            for fact in needed:
                assert str(program.facts[fact].description).replace("\u00a0", " ") in text, (unmet.name, fact, facts)


@pytest.mark.parametrize("prefix", FILES)
def test_explanation_and_json_carry_every_unmet_condition(prefix: str) -> None:
    """`regles explain` and `regles eval --json` show the whole tree, not the first failure: every
    sentence of `unmet("eligible")` is in the explanation, and the JSON is the same tree."""
    from engine.tools.jsonio import outcome_json
    path = FILES[prefix][0]
    for facts, _, values in _evaluated(prefix)[:40]:
        outcome = _ruleset(path).evaluate(facts)
        unmet = outcome.unmet("eligible")
        explanation = outcome.explain("eligible")
        assert all(u.text in explanation for top in unmet for u in top.walk())
        assert ("Conditions non remplies" in explanation) == (not all(values))
        assert outcome_json(outcome)["results"]["eligible"].get("unmet", []) == [u.to_json() for u in unmet]  # type: ignore[index,union-attr]


def _deciding_facts(program: model.Program, ev: Evaluator, e: model.Expr, top: bool = False) -> set[str]:
    """The facts a false boolean expression turns on (see the test above)."""
    if isinstance(e, model.Logic):
        operands = [e.left, e.right]
        if e.op == "et":
            operands = [o for o in operands if ev.eval(o) == Value(False)]
        return set().union(*(_deciding_facts(program, ev, o) for o in operands))
    if isinstance(e, model.If):
        branch = e.then if ev.eval(e.condition) == Value(True) else e.otherwise
        own = set() if top else _direct_facts(e.condition)
        return own | _deciding_facts(program, ev, branch, top)
    if isinstance(e, model.DefRef):
        if not top:
            return set()  # named by its description; its own facts are below it
        body = program.definition(e.name, e.origin).latest.body
        return _deciding_facts(program, ev, body, top=True)  # type: ignore[arg-type]
    return _direct_facts(e)


def _direct_facts(e: model.Expr) -> set[str]:
    """Facts an expression reads itself, not through a rule."""
    return {n.name for n in model.walk(e) if isinstance(n, model.FactRef)}


def _combination_name(prefix: str, values: tuple[bool, ...]) -> str:
    false = [c.removeprefix("condition_") for c, v in zip(FILES[prefix][3], values) if not v]
    return f"{prefix}_" + ("-".join(false) if false else "eligible")


def _golden_cases() -> list[tuple[str, tuple[bool, ...]]]:
    return [(prefix, values) for prefix in FILES
            for values in itertools.product([True, False], repeat=len(FILES[prefix][3]))]


@pytest.mark.parametrize(("prefix", "values"), _golden_cases(),
                         ids=[_combination_name(p, v) for p, v in _golden_cases()])
def test_golden_per_combination(prefix: str, values: tuple[bool, ...], update_golden: bool) -> None:
    """The unmet tree of the doctor with the most unmet sub-conditions among those drawn with this
    combination (the first one drawn on a tie), as reviewed text."""
    candidates = [(f, o) for f, o, v in _evaluated(prefix) if v == values]
    facts, outcome = max(candidates, key=lambda c: sum(len(list(u.walk())) for u in c[1].unmet("eligible")))
    path, _, _, conditions = FILES[prefix]
    read = {k: v for k, v in facts.items() if k in _ruleset(path).facts and not _ruleset(path).facts[k].ignored}
    lines = [f"# {path} — conditions non remplies : "
             + (", ".join(c for c, v in zip(conditions, values) if not v) or "aucune"),
             *(f"# {k} = {json.dumps(v, ensure_ascii=False)}" for k, v in sorted(read.items())),
             f"eligible = {'vrai' if all(values) else 'faux'}",
             *render(outcome.unmet("eligible"))]
    produced = "\n".join(lines) + "\n"
    golden = GOLDEN / f"{_combination_name(prefix, values)}.txt"
    if update_golden:
        golden.write_text(produced, encoding="utf-8")
    assert golden.exists(), f"{golden} absent: run pytest --update-golden"
    assert golden.read_text(encoding="utf-8") == produced


@pytest.mark.parametrize(("path", "window"), [("rulesets/avenant7.rules", "avenant7"),
                                               ("rulesets/convention2024.rules", "convention2024"),
                                               ("rulesets/convention2024.rules", "avenant7")])
def test_no_sentence_shows_an_identifier(path: str, window: str) -> None:
    """Every false boolean rule of the file (not only eligibility), for generated doctors: sentences
    use descriptions and labels, never a rule's or fact's identifier (`date_naissance + age_maintien`
    reads « Date de naissance du médecin » + 65 ans)."""
    ruleset = _ruleset(path)
    program = ruleset.program
    booleans = [n for n, d in program.definitions.items() if d.kind == "rule" and d.type.kind == "booleen"]
    identifiers = {n for n in (*program.definitions, *program.facts) if "_" in n}
    sentences = 0
    for facts in doctors(3, 60, window):
        outcome = ruleset.evaluate(facts, outputs=booleans)
        for name in booleans:
            for unmet in outcome.unmet(name):
                for u in unmet.walk():
                    sentences += 1
                    assert not identifiers & set(re.findall(r"[a-z0-9_]+", u.text)), (name, u.text)
    assert sentences > 500


def test_missing_facts_in_generated_doctors_are_named_not_asked() -> None:
    """A doctor without `optam` nor `rqth` whose eligibility is already false elsewhere: the result stays
    false, nothing is reported missing, and no sentence claims a value for the absent facts."""
    ruleset = _ruleset("rulesets/convention2024.rules")
    facts = {k: v for k, v in GYNECOLOGIST.items() if k != "part_honoraires_cliniques"}
    facts["secteur"] = 3
    outcome = ruleset.evaluate(facts, outputs=["eligible"])
    assert outcome.result("eligible") == Value(False) and not isinstance(outcome.result("eligible"), Missing)
    texts = _texts(outcome.unmet("eligible"))
    assert "il manque « Part des honoraires cliniques dans le total des honoraires des 12 mois précédant la signature »" in texts
