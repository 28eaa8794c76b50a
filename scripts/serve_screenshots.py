#!/usr/bin/env python3
"""Screenshots of `regles serve` for the docs: docs/serve-entretien.png (a refused doctor's interview on
a 390 px phone) and docs/serve-atelier.png (the playground with a misspelt name underlined).

    python scripts/serve_screenshots.py      # needs the `serve` and `test` extras and chromium
"""

from __future__ import annotations

import json
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from engine.serve.server import create_app  # noqa: E402
from webtools import Browser, running  # noqa: E402


def main() -> None:
    facts = json.loads((ROOT / "examples" / "non_eligible.json").read_text(encoding="utf-8"))
    answers = [(k, ("oui" if v else "non") if isinstance(v, bool) else str(v)) for k, v in facts.items()
               if k not in ("option",)]
    query = urllib.parse.urlencode([("r", "eligible"), ("r", "montant_maximal"), ("r", "condition_activite")] + answers)
    with running(create_app(ROOT / "rulesets")) as base, Browser() as page:
        page.resize(390, 844, mobile=True)
        page.goto(f"{base}/entretien/convention2024?{query}")
        page.screenshot(ROOT / "docs" / "serve-entretien.png", full=False)
        page.resize(1280, 900)
        page.goto(base + "/atelier?fichier=convention2024")
        page.wait_for("document.querySelector('.atelier').dataset.verifie")
        page.js("""(() => {
            const s = document.getElementById('source');
            s.value = s.value.replace('sinon percentile_file_active >=', 'sinon percentile_file_activ >=');
            s.dispatchEvent(new Event('input'));
        })()""")
        page.wait_for("!!document.querySelector('.soulignage .diag.error')")
        page.js("""(() => {
            const s = document.getElementById('source');
            s.scrollTop = document.querySelector('.soulignage .diag.error').offsetTop - 160;
            s.dispatchEvent(new Event('scroll'));
        })()""")
        page.screenshot(ROOT / "docs" / "serve-atelier.png", full=False)


if __name__ == "__main__":
    main()
