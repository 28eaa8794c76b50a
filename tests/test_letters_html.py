"""HTML letters read on a 390 px phone screen: checked in headless chromium, nothing scrolls sideways,
neither the page nor a table. Skipped, saying why, when no chromium binary is installed."""

from __future__ import annotations

import functools
import html
import http.server
import json
import re
import subprocess
import threading
from pathlib import Path

import pytest

from test_explain_html import _FLAGS, _Quiet, _chromium

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
    browser = _chromium()
    if browser is None:
        pytest.skip("pas de navigateur chromium installé (apt-get install -y chromium) : vérification sautée")
    for name in LETTERS:
        (tmp_path / f"{name}.html").write_text((CASES / name / "expected.html").read_text(encoding="utf-8"),
                                               encoding="utf-8")
    (tmp_path / "verification.html").write_text(_HARNESS.replace("NAMES", json.dumps(LETTERS)), encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        run = subprocess.run([browser, *_FLAGS, f"--user-data-dir={tmp_path / 'profil'}",
                              "--virtual-time-budget=20000", "--dump-dom", f"{base}/verification.html"],
                             capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    found = re.search(r"RESULTAT (.*?)</pre>", run.stdout)
    assert found, f"le navigateur n'a pas rendu la page de vérification : {run.stderr[-2000:]}"
    result = json.loads(html.unescape(found.group(1)))
    for name in LETTERS:
        assert result[name]["page"] <= result[name]["width"] + 1, (name, result[name])
        assert result[name]["wide"] == [], (name, result[name])
