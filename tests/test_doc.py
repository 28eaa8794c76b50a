"""Tests for `regles doc`: the static HTML site of a rule file (engine.tools.docsite).

The last test opens every page in a real browser (Debian's `chromium`, headless) through a local
HTTP server and checks that each page loads and that every internal link resolves, anchors
included. It is skipped, saying why, when no chromium binary is installed.
"""

from __future__ import annotations

import html
import os
import html.parser
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import engine
from support import browse, chromium, harness_result, served
from engine.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
CONVENTION = "rulesets/convention2024.rules"
ACCENTED = "tests/cases/editor/doc/modif.rules"


class _Links(html.parser.HTMLParser):
    """Collects hrefs, ids, and a few accessibility facts of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.lang: str | None = None
        self.h1 = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if tag == "h1":
            self.h1 += 1
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))
        if values.get("id"):
            self.ids.add(str(values["id"]))


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _build(tmp_path_factory: pytest.TempPathFactory, rules: str) -> Path:
    out = tmp_path_factory.mktemp("site")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main(["doc", rules, "-o", str(out)]) == 0
    finally:
        os.chdir(cwd)
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of convention2024.rules (which amends avenant7.rules), built once."""
    return _build(tmp_path_factory, CONVENTION)


@pytest.fixture(scope="module")
def accented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of a small amending file whose names carry accents (âge, barème, éligible)."""
    return _build(tmp_path_factory, ACCENTED)


@pytest.fixture(params=["site", "accented"])
def any_site(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


def _text(path: Path) -> str:
    """A page's HTML with character references resolved (`'` is written `&#x27;`)."""
    return html.unescape(path.read_text(encoding="utf-8"))


class TestSite:
    """What the pages say."""

    def test_command_output(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The command writes the pages and says where the index is."""
        assert main(["doc", "rulesets/avenant7.rules", "-o", str(tmp_path / "a7")]) == 0
        out = capsys.readouterr().out
        assert re.search(r"^\d+ pages écrites dans .*a7 ; ouvrez .*index\.html$", out.strip())
        assert (tmp_path / "a7" / "index.html").is_file()

    def test_one_page_per_definition_and_fact(self, site: Path) -> None:
        """Every rule, function, table, parameter and fact (amended file included) has its page."""
        for name in ("eligible", "condition_specialite", "montant_annuel", "atteinte_indicateur",
                     "seuil_honoraires_cliniques", "taux_objectif", "signature_avenant7"):
            assert (site / f"def-{name}.html").is_file(), name
        for name in ("specialite", "part_honoraires_cliniques", "date_naissance"):
            assert (site / f"fait-{name}.html").is_file(), name
        assert (site / "exemples.html").is_file()

    def test_index(self, site: Path) -> None:
        """The index gives the text, its period, what it amends, and links every definition by kind."""
        index = _text(site / "index.html")
        assert '<html lang="fr">' in index
        assert "Aide à l'emploi d'un assistant médical — convention médicale 2024" in index
        assert "à partir du 22 juin 2024" in index
        assert "Modifie" in index and "avenant 7" in index
        for heading in ("Résultats", "Règles intermédiaires", "Fonctions", "Tables", "Paramètres", "Faits",
                        "Ce que ce texte remplace"):
            assert f">{heading}</h2>" in index
        assert 'href="def-eligible.html"' in index and 'href="fait-specialite.html"' in index

    def test_rule_page(self, site: Path) -> None:
        """A rule page has its citation, description, type, linked formula, uses and users."""
        page = _text(site / "def-condition_specialite.html")
        assert ('<a href="https://www.ameli.fr/medecin/textes-reference/convention-medicale-2024-2029/grands-axes-'
                'convention-detail/mesures-fortes-acces-soins/revalorisation-dispositif-aide-emploi-assistant-medical">'
                "Revalorisation du dispositif d'aide à l'emploi d'assistant médical</a> (ameli, 28/11/2024)") in page
        assert "data.gouv.fr (spécialités exclues)" not in page and "spécialités exclues" in page
        assert '<a href="sources.html#PAPS_MARTINIQUE">PAPS_MARTINIQUE</a>' in page
        assert "Toute spécialité sauf six" in page
        assert "<dt>Type de valeur</dt><dd>booléen</dd>" in page
        assert '<a href="def-seuil_honoraires_cliniques.html">seuil_honoraires_cliniques</a>' in page
        assert '<a href="fait-part_honoraires_cliniques.html">part_honoraires_cliniques</a>' in page
        assert "Ce que cette définition utilise" in page and "Ce qui utilise cette définition" in page
        assert 'href="def-eligible.html"' in page  # eligible uses condition_specialite

    def test_sources_page(self, site: Path) -> None:
        """The sources page lists the sources of both files, with links, dates and who cites them."""
        page = _text(site / "sources.html")
        assert '<h2 id="CARDIO444"><a href="http://lecardiologue.com/le-cardiologue-assistant-medical/?print=print">' \
               "Le Cardiologue n° 444</a></h2>" in page
        assert "<dt>Date</dt><dd>janvier-février 2022</dd>" in page and "<dt>Déclarée par</dt><dd>avenant 7</dd>" in page
        assert '<h2 id="AMELI_CHANGE">' in page and "<dt>Déclarée par</dt><dd>convention 2024</dd>" in page
        assert '<h2 id="SENAT">Réponse à la question de Mme Sollogoub du 14/07/2022</h2>' in page  # no link declared
        assert 'href="def-montant_annuel.html"' in page
        assert 'href="sources.html"' in _text(site / "index.html")

    def test_internal_definition_says_so(self, site: Path) -> None:
        """A definition marked `interne` says so on its page and in the index; others do not."""
        page = _text(site / "def-signature_avenant7.html")
        assert "<dt>Interne</dt>" in page and "les résumés d'explication ne la nomment pas" in page
        assert '<span class="statut interne">interne</span>' in _text(site / "index.html")
        assert "<dt>Interne</dt>" not in _text(site / "def-eligible.html")

    def test_replaced_definition_side_by_side(self, site: Path) -> None:
        """A replacing definition shows the old and the new text side by side, with links."""
        page = _text(site / "def-condition_specialite.html")
        assert '<div class="comparaison">' in page
        assert "Avant : avenant 7" in page and "Après : convention 2024" in page
        assert 'href="ancien-avenant7-condition_specialite.html"' in page
        old = _text(site / "ancien-avenant7-condition_specialite.html")
        assert "departement_sous_dote" in old and 'href="def-condition_specialite.html"' in old

    def test_statuses_highlighted(self, site: Path) -> None:
        """`à confirmer` and `choix de modélisation` are badges with words, on pages and in table cells."""
        assert '<span class="statut a-confirmer">À confirmer</span>' in _text(site / "def-objectif_mt.html")
        assert '<span class="statut choix">Choix de modélisation</span>' in _text(site / "def-avance.html")
        assert '<span class="statut a-confirmer">À confirmer</span>' in _text(site / "def-taux_objectif.html")

    def test_table_as_html_with_every_version(self, site: Path) -> None:
        """A dated table shows each version as an HTML table with header scopes and a caption."""
        page = _text(site / "def-montant_annuel.html")
        assert page.count("<table>") == 2
        assert "montant_annuel — avenant 7</caption>" in page
        assert "à partir du 22/06/2024 (version en vigueur)</caption>" in page
        assert '<th scope="row">mi_temps</th><td class="valeur">19 000 €</td>' in page.replace("\u00a0", " ")
        assert '<th scope="col">annee_1</th>' in page

    def test_fact_page(self, site: Path) -> None:
        """A fact page gives its type, allowed values, question and the definitions that read it."""
        page = _text(site / "fait-secteur.html")
        assert "Dans quel secteur conventionnel" in page
        assert "<dt>Valeurs permises</dt><dd><code>1</code>, <code>2</code>, <code>3</code></dd>" in page
        assert 'href="def-condition_secteur.html"' in page
        enum = _text(site / "fait-specialite.html")
        assert "<code>orl</code> (oto-rhino-laryngologie)" in enum
        rate = _text(site / "fait-part_honoraires_cliniques.html")
        assert "de 0\u00a0% à 100\u00a0%" in rate

    def test_examples_page(self, site: Path) -> None:
        """The examples page lists each example with its facts and expected results."""
        page = _text(site / "exemples.html")
        assert "ORL à 85\u00a0% d'honoraires cliniques" in page
        assert 'id="exemple-1"' in page

    def test_accented_names_and_replaced_parameter(self, accented: Path) -> None:
        """Names with accents get their pages; a replaced parameter is shown beside the one it replaces."""
        assert {"def-âge_limite.html", "def-barème.html", "fait-âge.html", "ancien-base-âge_limite.html"} <= {
            p.name for p in accented.glob("*.html")}
        page = _text(accented / "def-âge_limite.html")
        assert "Avant : base" in page and "Après : modificatif" in page
        assert 'href="ancien-base-%C3%A2ge_limite.html"' in page
        aide = _text(accented / "def-aide.html")
        assert '<a href="ancien-base-aide.html">base.aide</a>' in aide
        assert '<span class="statut choix">Choix de modélisation</span>' in _text(accented / "ancien-base-aide.html")

    def test_every_internal_link_resolves_statically(self, any_site: Path) -> None:
        """Every link of every page points to a page of the site, and every anchor exists; the only
        links out of the site are the addresses of declared sources."""
        pages = {p.name: _parse(p) for p in any_site.glob("*.html")}
        addresses = {s.url for path in (CONVENTION, ACCENTED)
                     for s in engine.load(ROOT / path).program.bibliography.values()}
        for name, page in pages.items():
            assert page.lang == "fr" and page.h1 == 1, name
            for href in page.hrefs:
                parts = urlsplit(href)
                if parts.scheme:
                    assert href in addresses, f"{name} → {href}"
                    continue
                target = unquote(parts.path) or name
                assert target in pages, f"{name} → {href}"
                if parts.fragment:
                    assert unquote(parts.fragment) in pages[target].ids, f"{name} → {href}"


class TestCommandErrors:
    """Bad arguments and bad inputs: a French message, exit 2 (or 1 for a bad rule file)."""

    def test_missing_output(self, capsys: pytest.CaptureFixture[str]) -> None:
        """-o is required."""
        assert main(["doc", CONVENTION]) == 2
        assert "arguments obligatoires manquants : -o/--sortie" in capsys.readouterr().err

    def test_missing_rule_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A rule file that does not exist."""
        assert main(["doc", "absent.rules", "-o", str(tmp_path)]) == 2
        assert "fichier introuvable" in capsys.readouterr().err

    def test_output_is_a_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The output exists and is not a directory."""
        target = tmp_path / "fichier"
        target.write_text("x")
        assert main(["doc", CONVENTION, "-o", str(target)]) == 2
        assert "n'est pas un dossier" in capsys.readouterr().err

    def test_rule_file_with_errors(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A rule file with errors is reported with its diagnostics, exit 1."""
        assert main(["doc", "tests/cases/editor/invalide/erreur.rules", "-o", str(tmp_path)]) == 1
        err = capsys.readouterr().err
        assert "erreur[E201]" in err and "Traceback" not in err


# ─── In a real browser ───────────────────────────────────────────────────────────────────────

_HARNESS = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>vérification</title></head>
<body><pre id="resultat">en cours</pre><script>
const pages = %s;
const frames = {};
let loaded = 0;
function check() {
  const known = new Set(pages), problems = [];
  let links = 0;
  for (const p of pages) {
    const doc = frames[p].contentDocument;
    if (!doc || doc.querySelectorAll('h1').length !== 1) { problems.push(p + " : page non chargée ou sans titre h1"); continue; }
    if (doc.documentElement.lang !== 'fr' || !doc.title) problems.push(p + " : langue ou titre absent");
    if (!doc.querySelector('main#contenu') || !doc.querySelector('a.evitement[href="#contenu"]')) problems.push(p + " : repères absents");
    for (const a of doc.querySelectorAll('a[href]')) {
      const url = new URL(a.getAttribute('href'), frames[p].contentWindow.location.href);
      if (url.origin !== location.origin) continue;
      links++;
      const target = decodeURIComponent(url.pathname.split('/').pop());
      if (!known.has(target)) { problems.push(p + " → " + a.getAttribute('href') + " : page absente"); continue; }
      const id = decodeURIComponent(url.hash.slice(1));
      if (id && !frames[target].contentDocument.getElementById(id)) problems.push(p + " → " + a.getAttribute('href') + " : ancre absente");
    }
  }
  document.getElementById('resultat').textContent = "RESULTAT " + JSON.stringify({pages: pages.length, links, problems});
}
for (const p of pages) {
  const f = document.createElement('iframe');
  f.src = encodeURIComponent(p);
  f.onload = () => { if (++loaded === pages.length) check(); };
  frames[p] = f;
  document.body.appendChild(f);
}
</script></body></html>
"""


def test_pages_load_and_links_resolve_in_a_browser(any_site: Path, tmp_path: Path) -> None:
    """In headless chromium, every page loads (one h1, French, landmarks) and every internal link resolves."""
    site = any_site
    browser = chromium()
    pages = sorted(p.name for p in site.glob("*.html"))
    (site / "__verification__.html").write_text(_HARNESS % json.dumps(pages), encoding="utf-8")
    try:
        with served(site) as base:
            run = browse(browser, tmp_path / "profil", "--virtual-time-budget=30000", "--dump-dom",
                         f"{base}/__verification__.html", timeout=60)
    finally:
        (site / "__verification__.html").unlink()
    result = harness_result(run)
    assert result["pages"] == len(pages)
    assert result["links"] > 3 * len(pages)
    assert result["problems"] == []
