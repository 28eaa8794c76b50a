"""Tests for the language features of issue 17: hints and warnings of amending files, the validity
window, named sets, metadata amendments (each with its sentences, not only its code)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import engine
from engine.inputs.jsonschema import facts_schema
from support import CASES, ROOT

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
    from engine.cli.main import main
    path = CASES / "check" / "good" / "inherited.rules"
    assert main(["check", str(path)]) == 0
    assert "3 résultats, 1 exemple — correct" in capsys.readouterr().out


SETS = '''règles "Ensembles nommés"
source CPAM "Liste des spécialités exclues" éditeur "CPAM" fin
fait specialite : énumération {medecine_generale, radiologie, anesthesie, cardiologie} fin
fait secteur : entier parmi {1, 2, 3} fin
paramètre specialites_exclues = {radiologie, anesthesie}
  "Spécialités exclues du dispositif"
  source CPAM : "art. 3"
fin
paramètre secteurs_aides : entier = {1, 2} fin
résultat eligible : booléen = specialite pas dans specialites_exclues et secteur dans secteurs_aides fin
résultat exclue : booléen = specialite dans specialites_exclues fin
'''


class TestNamedSets:
    """Tests for set parameters read with `dans nom`."""

    @pytest.mark.parametrize(("specialite", "secteur", "eligible"), [
        ("cardiologie", 1, True), ("radiologie", 1, False), ("cardiologie", 3, False), ("anesthesie", 2, False)])
    def test_interpreter_and_compiled_agree(self, monkeypatch: pytest.MonkeyPatch, specialite: str, secteur: int,
                                            eligible: bool) -> None:
        """The compiled program, the traced compiled program and the interpreter give the same values."""
        facts = {"specialite": specialite, "secteur": secteur}
        compiled = engine.loads(SETS).evaluate(facts)
        assert compiled.results["eligible"].value is eligible
        assert compiled.results["exclue"].value is (specialite in {"radiologie", "anesthesie"})
        from test_trace_equivalence import _assert_same_trace
        _assert_same_trace(engine.loads(SETS).program, facts)
        monkeypatch.setenv("REGLES_NO_COMPILE", "1")
        assert engine.loads(SETS).evaluate(facts).results == compiled.results

    def test_explanation_names_the_set_and_its_source(self) -> None:
        """The full explanation says which set was read, with its items and its citation."""
        text = engine.loads(SETS).evaluate({"specialite": "radiologie", "secteur": 1}).explain("exclue")
        assert ("specialite (radiologie) est dans specialites_exclues {radiologie, anesthesie} : vrai" in text
                and "Liste des spécialités exclues (CPAM) : art. 3" in text)

    @pytest.mark.parametrize(("formula", "code"), [
        ("specialite dans exclue", "E315"),              # a rule, not a set
        ("specialite dans specialites_exclus", "E315"),  # unknown set (typo)
        ("specialites_exclues = specialite", "E315"),    # a set read by name outside `dans`
        ("secteur dans specialites_exclues", "E302"),    # words tested against a number
    ])
    def test_misuses(self, formula: str, code: str) -> None:
        """Each misuse of a named set has its code."""
        text = SETS + f"résultat r : booléen = {formula} fin\n"
        with pytest.raises(engine.RulesError) as caught:
            engine.loads(text)
        assert [d.code for d in caught.value.diagnostics] == [code]

    def test_misplaced_brace_says_where_sets_belong(self) -> None:
        """E101 on `{`: the hint lists `dans`, a parameter's value and `parmi`."""
        with pytest.raises(engine.RulesError) as caught:
            engine.loads('règles "t"\nfait s : entier fin\nrésultat r : booléen = s = {1, 2} fin\n')
        [d] = caught.value.diagnostics
        assert d.code == "E101" and "après « dans »" in d.hint and "paramètre" in d.hint and "parmi" in d.hint

    def test_unused_set_is_reported_like_a_parameter(self) -> None:
        """A set that no rule reads gets W102."""
        rs = engine.loads(SETS.replace("specialite dans specialites_exclues", "specialite = radiologie")
                          .replace("specialite pas dans specialites_exclues", "vrai"))
        assert [w.code for w in rs.warnings] == ["W102"]

    def test_amending_file_reads_an_inherited_set(self) -> None:
        """A set of the amended file is read by name in the amending file."""
        from support import ROOT
        rs = engine.loads('règles "m"\nmodifie "textes/avenant_fictif.rules"\n'
                          'résultat cardio_exclue : booléen = cardiologie dans specialites_exclues fin\n'
                          'résultat radio_exclue : booléen = radiologie dans specialites_exclues fin\n',
                          filename=str(ROOT / "docs" / "m.rules"))
        out = rs.evaluate({})
        assert (out.results["cardio_exclue"].value, out.results["radio_exclue"].value) == (False, True)


    def test_replaced_set_is_what_inherited_rules_read(self) -> None:
        """`remplace` a set: the amended file's rule tests the new items, and names the new source."""
        from support import ROOT
        rs = engine.loads('règles "m"\nmodifie "textes/avenant_fictif.rules"\n'
                          'source NOUVELLE "Nouvelle liste" fin\n'
                          'paramètre specialites_exclues = {radiologie}\n  remplace avenant_fictif.specialites_exclues\n'
                          '  source NOUVELLE\nfin\n', filename=str(ROOT / "docs" / "m.rules"))
        results = {s: rs.evaluate({"specialite": s}).results["specialite_eligible"].value
                   for s in ("anesthesie", "radiologie")}
        assert results == {"anesthesie": True, "radiologie": False}
        assert "Nouvelle liste" in rs.evaluate({"specialite": "radiologie"}).explain("specialite_eligible")


class TestValidityWindow:
    """Tests for the header's period in force."""

    def test_en_vigueur_au_reads_the_bounds(self) -> None:
        """Bounds are inclusive; outside, the condition is false."""
        rs = engine.loads('règles "t"\nen vigueur du 20/08/2019 au 30/04/2023\nfait d : date fin\n'
                          'résultat r : booléen = en vigueur au d fin\n')
        import datetime as dt
        values = [rs.evaluate({"d": d}).results["r"].value for d in
                  (dt.date(2019, 8, 19), dt.date(2019, 8, 20), dt.date(2023, 4, 30), dt.date(2023, 5, 1))]
        assert values == [False, True, True, False]

    def test_named_bounds_are_the_parameters_values(self) -> None:
        """The shipped files name their bounds: the texts keep their dates."""
        from support import ROOT
        import datetime as dt
        texts = engine.load(ROOT / "rulesets" / "convention2024.rules").program.texts
        assert [(t.in_force_from, t.in_force_until) for t in texts] == [
            (dt.date(2019, 8, 20), dt.date(2023, 4, 30)), (dt.date(2024, 6, 22), None)]

    def test_open_period_reads_one_bound(self) -> None:
        """`à partir du`: only the start limits."""
        rs = engine.loads('règles "t"\nen vigueur à partir du 22/06/2024\nfait d : date fin\n'
                          'résultat r : booléen = en vigueur au d fin\n')
        import datetime as dt
        assert [rs.evaluate({"d": d}).results["r"].value for d in (dt.date(2024, 6, 21), dt.date(2099, 1, 1))] == [
            False, True]

    def test_changing_the_header_changes_results(self) -> None:
        """The header is read: moving its end date changes the result."""
        import datetime as dt
        text = 'règles "t"\nen vigueur du 20/08/2019 au {end}\nfait d : date fin\nrésultat r : booléen = en vigueur au d fin\n'
        facts = {"d": dt.date(2023, 6, 1)}
        assert engine.loads(text.format(end="30/04/2023")).evaluate(facts).results["r"].value is False
        assert engine.loads(text.format(end="31/12/2023")).evaluate(facts).results["r"].value is True


class TestPrecise:
    """Tests for `précise fichier.nom`: metadata of an inherited definition, formula kept."""

    def test_a_precised_rule_sees_a_replaced_set(self, tmp_path: Path) -> None:
        """A rule the amending file `précise` keeps the inherited formula, so its `dans nom` tests the
        set this file puts in place, as every inherited rule does."""
        (tmp_path / "base.rules").write_text(
            'règles "Base"\ntexte "base" "Base"\nfait specialite : énumération {a, b, c} fin\n'
            'paramètre exclues = {a} fin\nrésultat r : booléen = specialite dans exclues fin\n'
            'résultat s : booléen = specialite dans exclues fin\n', encoding="utf-8")
        (tmp_path / "suite.rules").write_text(
            'règles "Suite"\ntexte "suite" "Suite"\nmodifie "base.rules"\n'
            'paramètre exclues = {a, b}\n  remplace base.exclues\nfin\nprécise base.s\n  "S, précisée"\nfin\n',
            encoding="utf-8")
        outcome = engine.load(tmp_path / "suite.rules").evaluate({"specialite": "b"})
        assert (outcome.results["r"].value, outcome.results["s"].value) == (True, True)
        assert "specialite (b) est dans exclues {a, b} : vrai" in outcome.explain("s")

    TEXT = ('règles "m"\ntexte "précisions"\nmodifie "textes/avenant_fictif.rules"\n'
            'source CIRC "Circulaire fictive" fin\n'
            'précise avenant_fictif.conventionne\n  "Secteur 1, précisé"\n  source CIRC : "point 2"\n'
            '  à confirmer : "à vérifier"\n  applicable si signature_couverte sinon "hors période"\nfin\n')

    def _load(self) -> engine.Ruleset:
        from support import ROOT
        return engine.loads(self.TEXT, filename=str(ROOT / "docs" / "m.rules"))

    def test_formula_kept_metadata_changed(self) -> None:
        """Same values as the amended file; new description, citation, status and guard reason."""
        import datetime as dt
        rs = self._load()
        d = rs.program.definitions["conventionne"]
        assert (d.description, [str(c) for c in d.citation], [s.note for s in d.statuses], d.guard.reason) == (
            "Secteur 1, précisé", ["Circulaire fictive : point 2"], ["à vérifier"], "hors période")
        for secteur in (1, 2):
            facts = {"secteur": secteur, "date_signature": dt.date(2021, 3, 1)}
            assert rs.evaluate(facts).results["conventionne"].value is (secteur == 1)
        out = rs.evaluate({"secteur": 1, "date_signature": dt.date(2024, 3, 1)})
        assert out.results["conventionne"].reason == "hors période"

    def test_explanation_says_who_amended_it(self) -> None:
        """The full explanation keeps the formula's text and names the text that amended the metadata."""
        import datetime as dt
        text = self._load().evaluate({"secteur": 1, "date_signature": dt.date(2021, 3, 1)}).explain("conventionne")
        assert "Texte : avenant fictif ; description, sources et statuts précisés par : précisions" in text
        assert "Circulaire fictive : point 2" in text

    def test_formatter_keeps_the_block(self) -> None:
        """`regles fmt` writes the block back, and the result reads the same."""
        from engine.syntax.fmt import format_text
        formatted = format_text(self.TEXT)
        assert "précise avenant_fictif.conventionne\n" in formatted and format_text(formatted) == formatted


class TestReuseAndWithdrawal:
    """Tests for `reprend … de "…"` and `abroge`, on tests/cases/reuse/avenant7_bis.rules, which amends
    avenant 7, reuses three definitions of the 2024 file and withdraws one output."""

    @staticmethod
    def _load() -> engine.Ruleset:
        from support import ROOT
        return engine.load(CASES / "reuse" / "avenant7_bis.rules", root=ROOT)

    def test_examples_pass_without_warning(self) -> None:
        """The file checks clean and its examples hold."""
        from engine.tools.examples import run_examples
        rs = self._load()
        assert rs.warnings == ()
        runs = run_examples(rs)
        assert len(runs) == 3 and [r.case.title for r in runs if not r.passed] == []

    def test_reused_definitions_keep_their_text_and_say_where_they_come_from(self) -> None:
        """The three definitions come from the 2024 file, and the explanation says so."""
        import datetime as dt
        rs = self._load()
        for name in ("seuil_honoraires_cliniques", "seuil_patientele_mt", "second_assistant_possible"):
            d = rs.program.definitions[name]
            assert (d.latest.text.short, d.reused_from) == ("convention 2024", "../../../rulesets/convention2024.rules")
        out = rs.evaluate({"date_signature": dt.date(2021, 3, 1), "specialite": "medecine_generale", "mep": False,
                           "zone": "zip", "anciennete_contrat_temps_plein": 3, "objectifs_atteints": True})
        assert "Texte : convention 2024 (repris de « ../../../rulesets/convention2024.rules »)" in out.explain(
            "second_assistant")

    def test_withdrawn_output_disappears_everywhere(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """Not an output, not a definition, not a batch column, not a doc page; still in avenant 7."""
        from support import ROOT
        from engine.tools.batch import output_columns
        rs = self._load()
        assert "date_limite_qualification" not in rs.outputs
        assert "date_limite_qualification" not in rs.program.definitions
        assert "date_limite_qualification" in engine.load(ROOT / "rulesets" / "avenant7.rules").outputs
        assert not any("date_limite_qualification" in c for c in output_columns((), rs.program.outputs, False))
        folder = tmp_path / "site"
        pages = build_site_with_root(CASES / "reuse" / "avenant7_bis.rules", folder, ROOT)
        assert pages and not (folder / "def-date_limite_qualification.html").exists()
        assert (folder / "def-second_assistant_possible.html").exists()
        assert "repris de <code>../../../rulesets/convention2024.rules</code>" in (
            folder / "def-second_assistant_possible.html").read_text(encoding="utf-8")

    def test_letter_reading_a_withdrawn_output_names_the_withdrawal(self) -> None:
        """The parent's decision letter reads the withdrawn date: the error names the withdrawal."""
        import datetime as dt
        from engine.letters.render import LetterTemplateError, render_letter
        facts = {"specialite": "cardiologie", "secteur": 1, "rqth": False, "nouvel_installe": False,
                 "exercice_regroupe": True, "exercice_coordonne": True, "option": "tiers_temps",
                 "date_signature": dt.date(2019, 10, 1), "date_embauche": dt.date(2019, 9, 16), "annee_contrat": 1,
                 "file_active": 2800, "percentile_file_active": 80}
        from unittest import mock

        import attrs

        from engine.letters import issuance
        declared = issuance.declaration

        def for_any_file(directories, name):  # type: ignore[no-untyped-def]
            return attrs.evolve(declared(directories, name), files=())  # the parent's letter, for this file too
        caisse = issuance.letter_options(issuance.load_caisse(str(ROOT / "examples" / "caisse.toml")))
        with mock.patch.object(issuance, "declaration", for_any_file), pytest.raises(LetterTemplateError) as caught:
            render_letter(self._load().evaluate(facts), "decision", date=dt.date(2019, 10, 1), **caisse)
        assert "« date_limite_qualification » est abrogé par le texte « avenant 7 bis »" in str(caught.value)

    def test_reuse_respects_the_rule_folder(self) -> None:
        """Loaded with its own folder as the root, the file may not read rulesets/ (E003)."""
        with pytest.raises(engine.RulesError) as caught:
            engine.load(CASES / "reuse" / "avenant7_bis.rules")
        assert {d.code for d in caught.value.diagnostics} == {"E003"}


def build_site_with_root(path, folder, root):  # type: ignore[no-untyped-def]
    """`regles doc` for a file whose rule folder is `root`."""
    from unittest import mock
    from engine.tools import docsite
    with mock.patch.object(docsite.api, "load", lambda p: engine.load(p, root=root)):
        return docsite.build_site(path, folder)


@pytest.mark.parametrize(("written", "code"), [
    ("/etc/passwd.rules", "E003"), ("../../../../etc/x.rules", "E003"), ("base.txt", "E004"),
    ("reuse_self.rules", "E605")])
def test_reuse_reads_only_rule_files_of_the_rule_folder(tmp_path, written: str, code: str) -> None:  # type: ignore[no-untyped-def]
    """`reprend … de` goes through the same access checks as `modifie`."""
    folder = tmp_path / "regles"
    folder.mkdir()
    path = folder / "reuse_self.rules"
    path.write_text(f'règles "r"\nreprend x de "{written}"\n', encoding="utf-8")
    with pytest.raises(engine.RulesError) as caught:
        engine.load(path)
    assert code in {d.code for d in caught.value.diagnostics}


COVERED = '''règles "Couverture"
fait option : énumération {a, b, c} fin
fait n : entier fin
table t (option : option) : entier
  | option | t |
  | a      | 1 |
  | b      | 2 |
  | autre  | — |
fin
règle double : entier = n × 2 fin
résultat r : entier = si n > 0 et option = a alors t(option) sinon 0 fin
résultat jamais : entier = double fin
exemple "a positif" n = 1, option = a attendu r = 1 fin
'''


class TestCoverage:
    """Tests for engine.tools.coverage and `regles test --coverage`."""

    def test_lists_what_no_example_reached(self) -> None:
        """Unreached rules, branches and cells are listed with their text; the `autre` dash is not counted."""
        from engine.tools.coverage import coverage
        report = coverage(engine.loads(COVERED))
        assert [i.text for i in report.rules.missed] == ["double", "jamais"]
        assert [i.text for i in report.branches.missed] == [
            "si n > 0 et option = a : « sinon » jamais pris", "« et » jamais faux : n > 0 et option = a"]
        assert [i.text for i in report.cells.missed] == ["t : b (2)"]
        assert (report.rules.total, report.cells.total, report.closing_cells) == (3, 2, 1)
        assert "règles : 1/3 (33 %)" in report.text() and "1 case « — » sous une clé « autre » non comptée" in report.text()

    def test_shipped_files_cover_every_rule_and_cell(self) -> None:
        """Both shipped files reach 100 % of rules and table cells with their own examples."""
        from support import ROOT
        from engine.tools.coverage import coverage
        for name in ("avenant7.rules", "convention2024.rules"):
            report = coverage(engine.load(ROOT / "rulesets" / name))
            assert (report.rules.missed, report.cells.missed) == ((), ()), name

    def test_cli_text_and_json(self, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
        """`regles test --coverage` prints the report; with `--format json`, JSON alone on standard output."""
        from engine.cli.main import main
        path = tmp_path / "c.rules"
        path.write_text(COVERED, encoding="utf-8")
        assert main(["test", "--coverage", str(path)]) == 0
        out = capsys.readouterr().out
        assert "1 réussi, 0 échoué" in out and f"{path}:11:" in out and "cases de tables : 1/2 (50 %)" in out
        assert main(["test", "--coverage", "--format", "json", str(path)]) == 0
        data = json.loads(capsys.readouterr().out)
        [file] = data["files"]
        assert (file["rules"]["covered"], file["branches"]["total"], file["cells"]["uncovered"][0]["text"]) == (
            1, 4, "t : b (2)")


def test_coverage_section_of_the_language_doc_says_what_the_report_says() -> None:
    """The sentence under the coverage example of docs/language.md is the report of that example."""
    from support import ROOT
    from engine.tools.coverage import coverage
    page = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    start = page.index('règles "Couverture"')
    report = coverage(engine.loads(page[start:page.index("```", start)], filename="docs/language.md"))
    assert (report.rules.covered, report.rules.total, report.branches.covered, report.branches.total) == (1, 1, 1, 2)
    assert [i.text for i in report.branches.missed] == ["si annee_contrat = 1 : « sinon » jamais pris"]
    assert [i.text for i in report.cells.missed] == ["montant : mi_temps (18 000 €)"]
    assert "par son exemple" in report.text() and "elle ferme le tableau" in report.text()
