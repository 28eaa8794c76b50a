"""`regles serve` in a real headless Chromium (Debian's), driven over the DevTools protocol.

An interview answered only through the questions the page asks reaches the results of
`regles eval --json`; the pages fit a 390 px phone screen; a typo in the playground is underlined.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("websocket")

import engine  # noqa: E402
from engine.tools.jsonio import outcome_json  # noqa: E402
from engine.serve.server import create_app  # noqa: E402
from webtools import Browser, running  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rulesets" / "convention2024.rules"


@pytest.fixture(scope="module")
def base() -> str:
    with running(create_app(ROOT / "rulesets")) as url:
        yield url


@pytest.fixture(scope="module")
def page() -> Browser:
    with Browser() as browser:
        yield browser


def _typed(decl, value: object) -> str:  # type: ignore[no-untyped-def]
    """What a person types for a fact's value in the interview's input."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if decl.type.kind == "taux":
        return format((Decimal(str(value)) * 100).normalize(), "f")
    return str(value)


def interview(page: Browser, base: str, facts: dict[str, object],
              chosen: list[str] | None = None) -> tuple[list[str], dict[str, dict]]:
    """Answer the interview from `facts`, only what the page asks, for the `chosen` results (all by
    default); (facts asked, results shown as JSON)."""
    ruleset = engine.load(RULES)
    page.goto(base + "/entretien/convention2024")
    assert page.js("document.querySelectorAll('input[name=r]:checked').length") == len(ruleset.program.outputs)
    if chosen is not None:
        page.js(f"document.querySelectorAll('input[name=r]').forEach(b => b.checked = {json.dumps(chosen)}.includes(b.value))")
    page.submit("form")
    asked: list[str] = []
    while page.js("!!document.querySelector('form.question')"):
        name = page.js("document.querySelector('form.question [autofocus]').name")
        label = page.js("(document.querySelector('form.question legend') || document.querySelector('form.question label.question-texte')).textContent")
        assert label == ruleset.facts[name].question, name  # each fact is asked with its question
        assert page.js("[...document.querySelectorAll('form.question input:not([type=hidden]), form.question select')]"
                       ".every(i => i.labels.length > 0)")  # every control has a label (keyboard and screen readers)
        assert name not in asked, f"« {name} » demandé deux fois"
        assert name in facts, f"l'entretien demande « {name} », que le dossier ne donne pas"
        asked.append(name)
        typed = json.dumps(_typed(ruleset.facts[name], facts[name]))
        page.js(f"""(() => {{
            const radios = document.querySelectorAll('form.question input[type=radio][name={name}]');
            if (radios.length) {{ [...radios].find(r => r.value === {typed}).checked = true; return; }}
            document.querySelector('form.question [name={name}]').value = {typed};
        }})()""")
        page.submit("form.question")
        assert len(asked) < 60
    shown = page.js("Object.fromEntries([...document.querySelectorAll('[data-resultat]')]"
                    ".map(e => [e.dataset.resultat, JSON.parse(e.dataset.json)]))")
    return asked, shown


@pytest.mark.parametrize("doctor", ["cardiologue", "generaliste", "non_eligible"])
def test_interview_reaches_the_results_of_the_cli(page: Browser, base: str, doctor: str) -> None:
    """Answering only the questions asked gives, for every result, exactly what `regles eval --json` says."""
    facts = json.loads((ROOT / "examples" / f"{doctor}.json").read_text(encoding="utf-8"))
    asked, shown = interview(page, base, facts)
    expected = outcome_json(engine.load(RULES).evaluate(facts))["results"]
    assert shown == expected
    assert set(asked) <= set(facts)
    if doctor == "non_eligible":
        assert shown["eligible"]["value"] is False
        texts = page.js("[...document.querySelectorAll('[data-resultat=eligible] .non-remplie')].map(e => e.firstChild.textContent)")
        unmet = expected["eligible"]["unmet"]
        assert texts[0] == unmet[0]["text"]
        assert any("il manque 76 patients pour dépasser le seuil de 775" in t for t in texts)
    else:
        assert shown["eligible"]["value"] is True
        assert page.js("document.querySelectorAll('.non-remplie').length") == 0 or doctor != "cardiologue"
    assert page.js("[...document.querySelectorAll('a[download]')].map(a => a.textContent)")  # letters offered


def test_interview_asks_only_what_the_chosen_results_need(page: Browser, base: str) -> None:
    """Asked for eligibility alone, the interview skips the facts only the amounts need, and agrees with
    `regles eval --output eligible`."""
    facts = json.loads((ROOT / "examples" / "generaliste.json").read_text(encoding="utf-8"))
    asked, shown = interview(page, base, facts, ["eligible"])
    assert shown == outcome_json(engine.load(RULES).evaluate(facts, outputs=["eligible"]))["results"]
    assert "annee_contrat" in facts and "annee_contrat" not in asked
    assert len(asked) < len(facts)


def test_interview_goes_back_and_keeps_answers_in_the_url(page: Browser, base: str) -> None:
    """« Précédent » asks the last answer again, prefilled; the answers are in the address."""
    page.goto(base + "/entretien/convention2024?r=eligible&date_signature=2024-10-01")
    first = page.js("document.querySelector('form.question [autofocus]').name")
    assert first != "date_signature"
    page.js("document.querySelector('a.bouton.secondaire').click()")
    page.wait_event("Page.loadEventFired")
    assert page.js("document.querySelector('form.question [autofocus]').name") == "date_signature"
    assert page.js("document.querySelector('#q-date_signature').value") == "2024-10-01"
    assert "date_signature=2024-10-01" in page.js("location.search")


def test_interview_refuses_a_bad_answer_in_french(page: Browser, base: str) -> None:
    """A value outside the declared bounds is asked again, with the reason, linked to the input."""
    page.goto(base + "/entretien/convention2024?r=eligible&date_signature=2024-10-01&secteur=9")
    assert page.js("document.querySelector('form.question [autofocus]').name") == "secteur"
    error = page.js("document.querySelector('.erreur[role=alert]').textContent")
    assert "Réponse refusée" in error and "« secteur »" in error


@pytest.mark.parametrize("path", ["/entretien/convention2024?r=eligible",
                                  "/entretien/convention2024?" + "&".join(
                                      f"{k}={v if not isinstance(v, bool) else ('oui' if v else 'non')}"
                                      for k, v in json.loads((ROOT / 'examples' / 'non_eligible.json').read_text()).items())
                                  + "&r=eligible&r=montant_maximal",
                                  "/atelier?fichier=convention2024", "/"])
def test_pages_fit_a_phone_screen(page: Browser, base: str, path: str) -> None:
    """At 390 px, nothing is wider than the screen (no horizontal scrolling)."""
    page.resize(390, 844, mobile=True)
    try:
        page.goto(base + path)
        page.js("new Promise(r => setTimeout(r, 300))")
        assert page.js("document.documentElement.scrollWidth") <= 390
        wide = page.js("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
                       ".map(e => e.tagName + '.' + e.className).slice(0, 5)")
        assert wide == []
    finally:
        page.resize(1200, 900)


def test_playground_underlines_a_typo(page: Browser, base: str) -> None:
    """A misspelt name typed in the editor gets a wavy-underlined diagnostic at its place, with its hint."""
    page.goto(base + "/atelier?fichier=convention2024")
    page.wait_for("document.querySelector('.atelier').dataset.verifie")
    assert page.js("document.querySelectorAll('.soulignage .diag.error').length") == 0
    assert page.js("document.querySelectorAll('.surlignage span.keyword-control, .surlignage span.storage-type-declaration').length") > 10
    page.js("""(() => {
        const s = document.getElementById('source');
        s.value = s.value.replace('sinon percentile_file_active >=', 'sinon percentile_file_activ >=');
        s.dispatchEvent(new Event('input'));
    })()""")
    mark = page.wait_for("(() => { const d = document.querySelector('.soulignage .diag.error');"
                         " return d && {text: d.textContent, code: d.dataset.code}; })()")
    assert mark == {"text": "percentile_file_activ", "code": "E201"}
    assert page.js("getComputedStyle(document.querySelector('.soulignage .diag.error')).textDecorationLine") == "underline"
    listed = page.js("document.getElementById('diagnostics').textContent")
    assert "E201" in listed and "nom inconnu « percentile_file_activ »" in listed
    assert "vouliez-vous dire « percentile_file_active »" in listed


def test_playground_runs_examples_and_evaluates(page: Browser, base: str) -> None:
    """The examples of the edited text run; facts typed in the side panel are evaluated."""
    page.goto(base + "/atelier?fichier=convention2024")
    page.wait_for("document.querySelector('.atelier').dataset.verifie")
    page.js("document.getElementById('lancer-exemples').click()")
    summary = page.wait_for("(() => { const p = document.querySelector('#exemples p'); return p && !p.textContent.includes('…') && p.textContent; })()")
    count = len(engine.load(RULES).program.examples)
    assert summary == f"{count} réussis, 0 échoué"
    facts = (ROOT / "examples" / "non_eligible.json").read_text(encoding="utf-8")
    page.js(f"document.getElementById('faits').value = {json.dumps(facts)}; document.getElementById('evaluer').click()")
    shown = page.wait_for("(() => { const e = document.querySelector('#evaluation [data-resultat=eligible]'); return e && e.textContent; })()")
    assert shown == "eligible : false"
