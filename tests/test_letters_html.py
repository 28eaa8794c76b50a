"""HTML letters read on a 390 px phone screen: checked in headless chromium, nothing scrolls sideways,
neither the page nor a table. Skipped, saying why, when no chromium binary is installed."""

from __future__ import annotations

import json
from pathlib import Path

from support import browse, chromium, harness_result, served

CASES = Path(__file__).resolve().parent / "cases" / "letters"
LETTERS = ["decision_ex1_cardiologue_acceptation", "decision_ex2_generaliste_refus",
           "notification_ex7_generaliste_annee3", "revalorisation_ex6_cardiologue_2022"]

_HARNESS = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>vérification</title></head>
<body style="margin:0"><pre id="r"></pre><script>
const names = NAMES, out = {};
let left = names.length;
for (const n of names) {
  const f = document.createElement('iframe');
  f.style = 'width:390px;height:844px;border:0';
  f.onload = () => {
    const d = f.contentDocument, w = f.contentWindow;
    const wide = [...d.querySelectorAll('body *')].filter(e => e.clientWidth > 1 && e.scrollWidth > e.clientWidth + 1
      && getComputedStyle(e).overflowX !== 'visible').map(e => e.tagName + '.' + e.className + ':' + e.scrollWidth + '/' + e.clientWidth);
    out[n] = {page: d.documentElement.scrollWidth, width: w.innerWidth, wide: wide};
    if (--left === 0) document.getElementById('r').textContent = 'RESULTAT ' + JSON.stringify(out);
  };
  f.src = n + '.html';
  document.body.appendChild(f);
}
</script></body></html>
"""


def test_letters_fit_a_390_px_screen(tmp_path: Path) -> None:
    browser = chromium()
    for name in LETTERS:
        (tmp_path / f"{name}.html").write_text((CASES / name / "expected.html").read_text(encoding="utf-8"),
                                               encoding="utf-8")
    (tmp_path / "verification.html").write_text(_HARNESS.replace("NAMES", json.dumps(LETTERS)), encoding="utf-8")
    with served(tmp_path) as base:
        run = browse(browser, tmp_path / "profil", "--virtual-time-budget=20000", "--dump-dom",
                     f"{base}/verification.html", timeout=120)
    result = harness_result(run)
    for name in LETTERS:
        assert result[name]["page"] <= result[name]["width"] + 1, (name, result[name])
        assert result[name]["wide"] == [], (name, result[name])
