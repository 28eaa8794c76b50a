#!/usr/bin/env python3
"""Benchmark of `regles letters`: PDF letters per second (run on demand, not part of the test suite).

    python benchmarks/letters.py                     # the 8 000 rows of examples/population.csv, 2 workers
    python benchmarks/letters.py --rows 300 --workers 1 2 --format pdf html

For each format and worker count: `regles letters rulesets/convention2024.rules --template
decision` over the first N rows of examples/population.csv (its `id` column as the dossier), in a
fresh process, end to end (reading, evaluating, rendering, writing each letter and its JSON
record, the register and the errors). Printed: rows, letters, rows without a letter, wall time,
letters per second (letters only: a row that gives no letter costs an evaluation and a guard).
The accounts are checked: letters + errors = rows, and the references are unique.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cases(rows: int, directory: Path) -> Path:
    lines = (ROOT / "examples" / "population.csv").read_text(encoding="utf-8").splitlines()
    path = directory / f"cas-{rows}.csv"
    path.write_text("\n".join(lines[:rows + 1]) + "\n", encoding="utf-8")
    return path


def measure(rows: int, workers: int, fmt: str, date: str, directory: Path) -> dict[str, object]:
    cases = _cases(rows, directory)
    out = directory / f"out-{rows}-{workers}-{fmt}"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "engine", "letters", "rulesets/convention2024.rules", "--input", str(cases),
                    "--template", "decision", "--caisse", "examples/caisse.toml", "-o", str(out), "--format", fmt,
                    "--date", date, "--workers", str(workers), "--colonne-dossier", "id"],
                   check=True, cwd=ROOT, capture_output=True)
    seconds = time.perf_counter() - start
    with open(out / "registre.csv", encoding="utf-8") as handle:
        register = list(csv.DictReader(handle))
    with open(out / "erreurs.csv", encoding="utf-8") as handle:
        errors = list(csv.DictReader(handle))
    assert len(register) + len(errors) == rows, (len(register), len(errors), rows)
    assert len({r["reference"] for r in register}) == len(register)
    return {"rows": rows, "workers": workers, "format": fmt, "letters": len(register), "errors": len(errors),
            "seconds": round(seconds, 2), "letters_per_second": round(len(register) / seconds, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--format", nargs="+", default=["pdf"], choices=["pdf", "html", "txt"])
    parser.add_argument("--date", default="2025-11-03", help="date of the letters")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.format:
            for workers in args.workers:
                print(measure(args.rows, workers, fmt, args.date, Path(tmp)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
