"""Source declarations and citations: `source CLE "titre" … fin` declared once, cited by key.

The checker resolves each citation to its declaration (E208 for an unknown key, with a "did you
mean"), refuses a key declared twice (E202) or a source without a title (E209), and warns about a
citation in free text (W106) and a source nobody cites (W107). The model, the trace JSON, the text
explanation, the JSON Schema and the doc site then show the title, publisher, date and link.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from support import codes, first, load, rules, underlined, warning_codes

import engine
from engine.base.diagnostics import RulesError
from engine.check import bibliography
from engine.inputs.jsonschema import facts_schema
from engine.tools.docsite import build_site

SOURCES = ('source CARDIO444 "Le Cardiologue n° 444"\n  éditeur "Le Cardiologue"\n  date "janvier-février 2022"\n'
           '  lien "http://lecardiologue.com/le-cardiologue-assistant-medical/"\nfin\n'
           'source SENAT "Réponse du ministère à la question écrite n° 00123"\n  éditeur "Sénat"\n  date 01/12/2022\nfin\n')
BODY = (SOURCES + 'fait secteur : entier\n  source SENAT : "conditions cumulatives"\nfin\n'
        'paramètre taux_avance = 70 %\n  source CARDIO444 : "« 70\u00a0% de l\'aide due la 1ère année »"\n  source SENAT\nfin\n'
        "résultat avance : montant = si secteur = 1 alors 12 000 € × taux_avance sinon 0 € fin\n")


class TestDeclarations:
    """What the checker accepts and refuses."""

    def test_citation_resolves_to_its_declaration(self) -> None:
        """A cited key gives the declaration with its title, publisher, date and URL, and the precision."""
        d = load(BODY).program.definitions["taux_avance"]
        first_citation, second = d.citation
        assert first_citation.key == "CARDIO444" and first_citation.title == "Le Cardiologue n° 444"
        assert first_citation.source.publisher == "Le Cardiologue"
        assert first_citation.source.date == "janvier-février 2022"
        assert first_citation.url == "http://lecardiologue.com/le-cardiologue-assistant-medical/"
        assert first_citation.detail == "« 70\u00a0% de l'aide due la 1ère année »"
        assert second.source.date == dt.date(2022, 12, 1) and second.detail is None and second.url is None

    def test_readable_citation(self) -> None:
        """`str()` is the French citation: title, (publisher unless the title names it, date), precision."""
        d = load(BODY).program.definitions["taux_avance"]
        assert [str(c) for c in d.citation] == [
            "Le Cardiologue n° 444 (janvier-février 2022) : « 70\u00a0% de l'aide due la 1ère année »",
            "Réponse du ministère à la question écrite n° 00123 (Sénat, 01/12/2022)"]
        assert d.citation[0].with_link.endswith(" — http://lecardiologue.com/le-cardiologue-assistant-medical/")
        assert d.citation[1].with_link == str(d.citation[1])

    def test_fact_citations_resolve(self) -> None:
        """A fact cites sources the same way."""
        fact = load(BODY).facts["secteur"]
        assert [(c.key, c.detail) for c in fact.sources] == [("SENAT", "conditions cumulatives")]

    def test_program_bibliography(self) -> None:
        """The program lists every declared source by key, with the text that declares it."""
        bib = load('texte "avenant 7"\n' + BODY).program.bibliography
        assert sorted(bib) == ["CARDIO444", "SENAT"] and bib["SENAT"].text == "avenant 7"

    def test_unknown_key_is_e208_with_did_you_mean(self) -> None:
        """An undeclared key is E208; the key is underlined and a close key is suggested."""
        body = BODY + "paramètre p = 1\n  source CARDIO44 : \"tableau\"\nfin\nrésultat r : entier = p fin\n"
        d = first(body, "E208")
        assert d.message == "source inconnue « CARDIO44 »"
        assert underlined(d, rules(body)) == "CARDIO44"
        assert d.hint == "vouliez-vous dire « CARDIO444 » ?"
        assert (d.span.line, d.span.column) == (rules(body).count("\n", 0, d.span.start) + 1, 10)

    def test_unknown_key_far_from_any_lists_the_declared_ones(self) -> None:
        """With no close key, the hint lists the declared keys and how to declare a new one."""
        d = first(BODY + "paramètre p = 1 source ZZZ fin\nrésultat r : entier = p fin\n", "E208")
        assert d.hint is not None and "CARDIO444, SENAT" in d.hint and 'source ZZZ "Titre"' in d.hint

    def test_unknown_key_without_any_declaration(self) -> None:
        """In a file that declares no source, the hint says how to declare one."""
        d = first("paramètre p = 1 source ONM fin\nrésultat r : entier = p fin\n", "E208")
        assert d.hint is not None and d.hint.startswith("déclarez la source avant de la citer : source ONM")

    def test_duplicate_key_is_e202(self) -> None:
        """A key declared twice in one file is E202, the first declaration shown as a label."""
        body = BODY + 'source SENAT "Autre" fin\n'
        d = first(body, "E202")
        assert "la source « SENAT » est déjà déclarée" in d.message
        assert underlined(d, rules(body)) == "SENAT" and d.labels[0].note == "première déclaration"

    def test_source_without_title_is_e209(self) -> None:
        """A declaration without a title (or with a blank one) is E209, at its key."""
        for decl in ("source ONM fin\n", 'source ONM "  " éditeur "Ordre" fin\n'):
            body = BODY + decl
            d = first(body, "E209")
            assert d.message == "la source « ONM » n'a pas de titre" and underlined(d, rules(body)) == "ONM"

    def test_field_written_twice_is_e109(self) -> None:
        """Each of éditeur, date and lien is written at most once."""
        assert codes(BODY + 'source ONM "Bulletin" date "2021" date "2022" fin\n') == ["E109"]

    def test_impossible_publication_date_is_e108(self) -> None:
        """A publication date written as a date must exist."""
        assert codes(BODY + 'source ONM "Bulletin" date 31/02/2021 fin\n') == ["E108"]

    def test_string_after_a_key_on_the_same_line_is_e121(self) -> None:
        """`source CLE "…"` on one line is refused: precision (`source CLE : "…"`) or description?"""
        body = BODY + 'paramètre p = 1\n  source SENAT "conditions cumulatives"\nfin\nrésultat r : entier = p fin\n'
        d = first(body, "E121")
        assert underlined(d, rules(body)) == '"conditions cumulatives"'
        assert d.hint is not None and 'source SENAT : "…"' in d.hint

    def test_description_on_its_own_line_after_a_citation(self) -> None:
        """On the next line, the string is the block's description."""
        rs = load(BODY + 'paramètre p = 1\n  source SENAT\n  "Un paramètre"\nfin\nrésultat r : entier = p fin\n')
        d = rs.program.definitions["p"]
        assert d.description == "Un paramètre" and [c.detail for c in d.citation] == [None]

    def test_accents_optional(self) -> None:
        """`editeur` is `éditeur`."""
        rs = load(BODY.replace("éditeur", "editeur"))
        assert rs.program.bibliography["SENAT"].publisher == "Sénat"


class TestWarnings:
    """W106 (free text) and W107 (unused source)."""

    def test_unused_source_is_w107(self) -> None:
        """A declared source that no definition or fact cites is W107, at its key."""
        rs = load(BODY + 'source ONM "Bulletin n° 74" fin\n')
        (w,) = rs.warnings
        assert w.code == "W107" and w.message == "la source « ONM » n'est citée par aucune définition"
        assert underlined(w, rules(BODY + 'source ONM "Bulletin n° 74" fin\n')) == "ONM"

    def test_free_text_citation_is_w106(self) -> None:
        """`source "…"` still loads, reads as its text, and is W106, pointing at the key it starts with."""
        rs = load(BODY + 'paramètre p = 1 source "SENAT (conditions cumulatives)" fin\nrésultat r : entier = p fin\n')
        (w,) = rs.warnings
        assert w.code == "W106" and w.hint is not None and "source SENAT" in w.hint
        (c,) = rs.program.definitions["p"].citation
        assert str(c) == "SENAT (conditions cumulatives)" and c.key is None and c.url is None

    def test_cited_sources_raise_no_warning(self) -> None:
        """The reference body cites each of its sources: no warning."""
        assert warning_codes(BODY) == []


class TestAmendments:
    """An amending file sees the sources of the file it amends and may add its own."""

    @pytest.fixture
    def folder(self, tmp_path: Path) -> Path:
        (tmp_path / "base.rules").write_text('règles "Base"\ntexte "base"\n' + BODY, encoding="utf-8")
        return tmp_path

    def _load(self, folder: Path, body: str) -> engine.Ruleset:
        return engine.loads('règles "Modif"\ntexte "modif"\nmodifie "base.rules"\n' + body,
                            filename=str(folder / "modif.rules"))

    def test_inherited_and_own_sources(self, folder: Path) -> None:
        """A replacement cites an inherited key and a key of its own."""
        rs = self._load(folder, 'source AMELI "Ce qui change dès juin 2024" éditeur "ameli" fin\n'
                                "paramètre taux_avance = 60 %\n  remplace base.taux_avance\n"
                                '  source AMELI\n  source CARDIO444 : "avant 2024"\nfin\n')
        assert [c.key for c in rs.program.definitions["taux_avance"].citation] == ["AMELI", "CARDIO444"]
        assert rs.program.bibliography["AMELI"].text == "modif" and rs.program.bibliography["SENAT"].text == "base"
        assert rs.warnings == ()

    def test_inherited_definitions_keep_their_citations(self, folder: Path) -> None:
        """The amended file's definitions keep their resolved citations."""
        (c,) = self._load(folder, "").facts["secteur"].sources
        assert c.title.startswith("Réponse du ministère")

    def test_redeclaring_an_inherited_source_is_e202(self, folder: Path) -> None:
        """Declaring again a key of the amended file is E202, pointing at the original declaration."""
        with pytest.raises(RulesError) as caught:
            self._load(folder, 'source SENAT "Autre" fin\n')
        (d,) = caught.value.errors
        assert d.code == "E202" and "(base)" in d.message and d.labels[0].note == "déclaration d'origine"
        assert d.labels[0].span.file.endswith("base.rules")

    def test_unknown_key_suggests_inherited_keys(self, folder: Path) -> None:
        """The "did you mean" of the amending file includes the amended file's keys."""
        with pytest.raises(RulesError) as caught:
            self._load(folder, "paramètre taux_avance = 60 %\n  remplace base.taux_avance\n  source SENA\nfin\n")
        (d,) = caught.value.errors
        assert d.code == "E208" and d.hint == "vouliez-vous dire « SENAT » ?"

    def test_unused_own_source_warns_in_the_amending_file_only(self, folder: Path) -> None:
        """W107 is about the amending file's own declarations."""
        rs = self._load(folder, 'source AMELI "Ce qui change" fin\n')
        assert [(w.code, w.span.file.endswith("modif.rules")) for w in rs.warnings] == [("W107", True)]


class TestRendering:
    """Trace JSON, text explanation, JSON Schema and doc site show titles and links."""

    def test_trace_json_writes_citation_objects(self) -> None:
        """`data["sources"]` holds citation objects; trace JSON writes each as an object."""
        out = load(BODY).evaluate({"secteur": 1})
        (event,) = [e for e in out.event("avance").find("parameter") if e.label == "taux_avance"]
        cited = event.data["sources"]
        assert all(isinstance(c, bibliography.Citation) for c in cited) and cited[0].key == "CARDIO444"
        written = json.dumps(out.trace, ensure_ascii=False)
        parameter = _find(json.loads(written), "taux_avance")
        assert parameter["sources"] == [
            {"key": "CARDIO444", "title": "Le Cardiologue n° 444", "publisher": "Le Cardiologue",
             "date": "janvier-février 2022", "url": "http://lecardiologue.com/le-cardiologue-assistant-medical/",
             "detail": "« 70\u00a0% de l'aide due la 1ère année »"},
            {"key": "SENAT", "title": "Réponse du ministère à la question écrite n° 00123", "publisher": "Sénat",
             "date": "2022-12-01", "url": None, "detail": None}]

    def test_explanation_prints_titles_and_links(self) -> None:
        """The explanation gives each source's title, precision and address, never the bare key."""
        text = load(BODY).evaluate({"secteur": 1}).explain("avance")
        assert ("- Le Cardiologue n° 444 (janvier-février 2022) : « 70\u00a0% de l'aide due la 1ère année » — "
                "http://lecardiologue.com/le-cardiologue-assistant-medical/") in text
        assert "- Réponse du ministère à la question écrite n° 00123 (Sénat, 01/12/2022)" in text
        assert "CARDIO444" not in text and "SENAT" not in text

    def test_schema_describes_fact_sources(self) -> None:
        """The JSON Schema's description of a fact cites its source by title."""
        schema = facts_schema(load(BODY).program)
        assert "Source : Réponse du ministère à la question écrite n° 00123 (Sénat, 01/12/2022) : " \
               "conditions cumulatives." in schema["properties"]["secteur"]["description"]

    def test_doc_site_links_titles_and_lists_sources(self, tmp_path: Path) -> None:
        """Definition pages link the title to the address and the key to the sources page."""
        path = tmp_path / "f.rules"
        path.write_text(rules(BODY), encoding="utf-8")
        build_site(path, tmp_path / "site")
        page = (tmp_path / "site" / "def-taux_avance.html").read_text(encoding="utf-8")
        assert ('<a href="http://lecardiologue.com/le-cardiologue-assistant-medical/">Le Cardiologue n° 444</a>'
                " (janvier-février 2022) : « 70\u00a0% de l&#39;aide due la 1ère année »") in page
        assert '<a href="sources.html#CARDIO444">CARDIO444</a>' in page
        # the key in the formatted rule text (coloured by engine.syntax.highlight: the keyword in a span)
        assert '<span class="keyword-other">source</span> <a href="sources.html#SENAT">SENAT</a>' in page
        sources = (tmp_path / "site" / "sources.html").read_text(encoding="utf-8")
        assert '<h2 id="SENAT">Réponse du ministère à la question écrite n° 00123</h2>' in sources
        assert "<dd>01/12/2022</dd>" in sources and 'href="def-taux_avance.html"' in sources
        assert 'href="fait-secteur.html"' in sources
        index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
        assert 'href="sources.html"' in index


def _find(node: object, label: str) -> dict:  # type: ignore[type-arg]
    """The first event of a JSON trace with this label."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("label") == label and "sources" in item:
                return item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    raise AssertionError(f"no event {label}")


@pytest.fixture(scope="module", params=["avenant7.rules", "convention2024.rules"])
def ruleset(request: pytest.FixtureRequest) -> engine.Ruleset:
    """Each bundled rule file (convention2024.rules amends avenant7.rules)."""
    return engine.load(Path(__file__).resolve().parent.parent / "rulesets" / request.param)


class TestBundledRuleFiles:
    """The two rule files cite only declared sources, each with a title."""

    def test_every_citation_resolves_to_a_titled_source(self, ruleset: engine.Ruleset) -> None:
        """Every citation of every definition version, original and fact names a declared, titled source."""
        program = ruleset.program
        versions = [v for d in [*program.definitions.values(), *program.originals.values()] for v in d.versions]
        citations = [c for v in versions for c in v.sources] + [c for f in program.facts.values() for c in f.sources]
        assert citations and all(c.source is not None and c.title.strip() for c in citations)
        assert {c.key for c in citations} == set(program.bibliography)  # every declared source is cited
        assert all(c.source is program.bibliography[c.key] for c in citations)

    def test_checks_clean(self, ruleset: engine.Ruleset) -> None:
        """No warning: no free-text citation (W106), no unused source (W107)."""
        assert ruleset.warnings == ()

    def test_no_comment_points_outside_the_repository(self) -> None:
        """The files no longer send the reader to shared/reference paths."""
        for path in (Path(__file__).resolve().parent.parent / "rulesets").glob("*.rules"):
            assert "shared/" not in path.read_text(encoding="utf-8"), path.name

    def test_urls_are_web_addresses(self, ruleset: engine.Ruleset) -> None:
        """A declared link is an http(s) address."""
        urls = [s.url for s in ruleset.program.bibliography.values() if s.url]
        assert urls and all(u.startswith(("https://", "http://")) and " " not in u for u in urls)

    def test_explanation_names_titles_not_keys(self, ruleset: engine.Ruleset) -> None:
        """The explanation of an amount cites titles and links; no bare key of a source is printed."""
        facts = {"specialite": "cardiologie", "secteur": 1, "optam": False, "option": "tiers_temps",
                 "date_signature": "2019-10-01", "date_embauche": "2019-09-15", "annee_contrat": 1,
                 "departement": "75", "exercice_regroupe": True, "exercice_coordonne": True,
                 "nouvel_installe": False, "rqth": False, "percentile_file_active": 60, "percentile_mt": 60,
                 "file_active": 2800, "file_active_constatee": 2905}
        facts = {k: v for k, v in facts.items() if k in ruleset.facts}
        text = ruleset.evaluate(facts).explain("montant_maximal")
        assert "Le Cardiologue n° 444 (janvier-février 2022) : tableau de la CNAM — http://lecardiologue.com/" in text
        lines = [line for line in text.splitlines() if "Source" in line or line.strip().startswith("- ")]
        for key in ruleset.program.bibliography:
            assert not any(f" {key} " in f" {line} " or f" {key}," in line for line in lines), key


def test_command_line_explanation_cites_titles_and_links(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`regles explain` on a bundled file prints the sources' titles and addresses, in the summary and
    in the `--detail` tree (with each citation's precision)."""
    from engine.cli.main import main
    facts = tmp_path / "faits.json"
    facts.write_text(json.dumps({"option": "mi_temps", "date_signature": "2020-01-15", "annee_contrat": 1,
                                 "percentile_mt": 50, "percentile_file_active": 50}), encoding="utf-8")
    rules_path = str(Path(__file__).resolve().parent.parent / "rulesets" / "avenant7.rules")
    onm = "https://ecatalogue-access.com/ordre-national-des-medecins/74/d/29-Ordre-national-des-medecins-n74.html"
    assert main(["explain", rules_path, "--facts", str(facts), "montant_maximal"]) == 0
    summary = capsys.readouterr().out
    assert f"Bulletin de l'Ordre national des médecins n° 74 (2021) <{onm}>" in summary
    assert main(["explain", rules_path, "--facts", str(facts), "montant_maximal", "--detail"]) == 0
    detail = capsys.readouterr().out.replace("\u00a0", " ")  # French typography's no-break spaces as spaces
    assert f"- Bulletin de l'Ordre national des médecins n° 74 (2021) : toutes options — {onm}" in detail


def test_json_summary_writes_each_source_as_an_object() -> None:
    """The JSON summary of `regles explain --format json` gives each source's key, title and link."""
    from engine.explain.summary import summarize
    rs = engine.load(Path(__file__).resolve().parent.parent / "rulesets" / "avenant7.rules")
    outcome = rs.evaluate({"option": "mi_temps", "date_signature": "2020-01-15", "annee_contrat": 1,
                           "percentile_mt": 50, "percentile_file_active": 50})
    sources = summarize(outcome, "montant_maximal").to_json()["sources"]
    onm = next(s for s in sources if s["key"] == "ONM")
    assert onm == {"text": "Bulletin de l'Ordre national des médecins n° 74 (2021)", "key": "ONM",
                   "title": "Bulletin de l'Ordre national des médecins n° 74", "publisher": "Ordre national des médecins",
                   "date": "2021", "detail": None,
                   "url": "https://ecatalogue-access.com/ordre-national-des-medecins/74/d/29-Ordre-national-des-medecins-n74.html"}
