"""`regles explain --format html`: a standalone French page, checked statically and in headless Chromium.

The browser test serves the page and a verification page over a local HTTP server, as
tests/test_doc.py does: the verification page loads the explanation in a 390 px wide frame, checks
that the summary is visible at the top without scrolling sideways, clicks the summary of a closed
`<details>` and checks that it opened, then writes its findings where `--dump-dom` prints them. A
screenshot at 390 px is also taken. Skipped, saying why, when no chromium binary is installed.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import engine
from support import browse, chromium, harness_result, served
from engine.explain.html import explanation_html

RULES = "rulesets/convention2024.rules"


def _page(example: str = "generaliste", name: str = "montant_verse", doc_base: str = "doc/") -> str:
    facts = json.loads(Path(f"examples/{example}.json").read_text(encoding="utf-8"))
    return explanation_html(engine.load(RULES).evaluate(facts), name, doc_base)


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.open: list[str] = []
        self.links: list[str] = []
        self.lang = None
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        self.tags.append(tag)
        if tag not in {"meta", "br", "input", "img", "link"}:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> ferme {self.open[-1:]}")
        else:
            self.open.pop()


def test_page_is_french_well_formed_with_summary_first_and_links_to_the_doc() -> None:
    page = _page(doc_base="https://exemple.fr/regles")
    parsed = _Structure()
    parsed.feed(page)
    assert parsed.lang == "fr"
    assert parsed.problems == [] and parsed.open == []
    assert parsed.tags.count("h1") == 1 and "main" in parsed.tags and "details" in parsed.tags
    assert page.index('class="resume"') < page.index("<details")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "https://exemple.fr/regles/def-montant_maximal.html" in parsed.links
    assert "https://exemple.fr/regles/fait-option.html" in parsed.links
    assert "<script" not in page
    text = html.unescape(re.sub(r"<[^>]+>", "", page)).replace("\u202f", " ").replace("\u00a0", " ")
    assert "Aide versée pour l'année de contrat : 8 250,00 €" in text
    assert "Calcul : 8 250,00 € = 11 000,00 € × 75 %, arrondi au centime" in text


def test_default_doc_base_is_relative(capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli.main import main
    assert main(["explain", RULES, "--facts", "examples/non_eligible.json", "eligible", "--format", "html"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!DOCTYPE html>")
    assert 'href="doc/def-condition_activite.html"' in out
    assert "non remplie" in out


def test_every_link_resolves_in_the_doc_site(tmp_path: Path) -> None:
    """With the default `--doc-base`, every link of the page names a page `regles doc` writes, or the
    address of a source the rule files declare."""
    from engine.cli.main import main
    assert main(["doc", RULES, "-o", str(tmp_path / "doc")]) == 0
    addresses = {s.url for s in engine.load(RULES).program.bibliography.values() if s.url}
    for example, name in (("generaliste", "montant_verse"), ("contrat_en_cours", "eligible"),
                          ("non_eligible", "avance")):
        parsed = _Structure()
        parsed.feed(_page(example, name))
        external = [link for link in parsed.links if link.startswith(("http://", "https://"))]
        assert set(external) <= addresses, (example, name)
        links = [link for link in parsed.links if not link.startswith("#") and link not in external]
        assert len(links) > 5
        missing = [link for link in links if not (tmp_path / link).is_file()]
        assert missing == [], (example, name, missing)


_HARNESS = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>vérification</title></head>
<body style="margin:0"><iframe id="f" src="explication.html" style="width:390px;height:844px;border:0"></iframe>
<pre id="r"></pre><script>
const f = document.getElementById('f');
f.onload = () => {
  const d = f.contentDocument, w = f.contentWindow;
  const resume = d.querySelector('.resume'), h1 = d.querySelector('h1');
  const box = resume.getBoundingClientRect();
  const closed = [...d.querySelectorAll('details')].find(x => !x.open);
  const before = closed ? closed.open : null;
  if (closed) closed.querySelector('summary').click();
  const result = {
    resumeVisible: box.height > 0 && box.top < w.innerHeight && getComputedStyle(resume).display !== 'none',
    resumeTop: box.top, h1: h1 ? h1.textContent : null,
    noSidewaysScroll: d.documentElement.scrollWidth <= w.innerWidth + 1,
    scrollWidth: d.documentElement.scrollWidth, width: w.innerWidth,
    closedFound: !!closed, before: before, after: closed ? closed.open : null,
    details: d.querySelectorAll('details').length,
  };
  document.getElementById('r').textContent = 'RESULTAT ' + JSON.stringify(result);
};
</script></body></html>
"""


def test_page_in_a_browser_at_390_px(tmp_path: Path) -> None:
    """In headless chromium at 390 px: the summary is visible on top, no sideways scrolling, and a
    folded step of the tree opens on click. A screenshot is kept next to the page (explication.png)."""
    browser = chromium()
    (tmp_path / "explication.html").write_text(_page(), encoding="utf-8")
    (tmp_path / "verification.html").write_text(_HARNESS, encoding="utf-8")
    with served(tmp_path) as base:
        run = browse(browser, tmp_path / "profil", "--virtual-time-budget=20000", "--dump-dom",
                     f"{base}/verification.html")
        shot = browse(browser, tmp_path / "profil2", "--window-size=390,1600", "--hide-scrollbars",
                      f"--screenshot={tmp_path / 'explication.png'}", f"{base}/explication.html")
    result = harness_result(run)
    assert result["resumeVisible"], result
    assert result["resumeTop"] < 50, result
    assert "Aide versée pour l'année de contrat" in result["h1"]
    assert result["noSidewaysScroll"], result
    assert result["closedFound"] and result["before"] is False and result["after"] is True, result
    assert result["details"] > 10
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert (tmp_path / "explication.png").stat().st_size > 10_000
