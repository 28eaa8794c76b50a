#!/usr/bin/env python3
"""Two commits of `regles` measured in one run, taking turns: the before/after figure of a change.

Run on demand (not part of the test suite)::

    python benchmarks/compare.py --before 8842620            # against the working tree
    python benchmarks/compare.py --before 8842620 --after HEAD --rounds 7

Alternating runs of two separate benchmark invocations compare figures taken under different
loads; on a shared machine that difference can exceed the change being measured. Here each
revision is checked out once into a temporary worktree, and every round measures both, one after
the other, in fresh processes whose only difference is `PYTHONPATH`; the best round of each measure
counts (the least disturbed, as `timeit` recommends), and the ratio after/before is printed. Times
are CPU times (`time.process_time`, and the user + system time of the commands and their children),
not wall times: on a loaded machine a process waiting for a core would otherwise be charged for it.

The measures use only the public API and the command line, which the refactorings this compares
keep unchanged (`engine.load`, `Ruleset.evaluate`, `Outcome.events`/`trace`/`explain`, `regles batch`,
`regles eval`):
- microseconds per in-process call over the same 400 rows of the population: evaluate, + trace
  tree, + JSON trace, + one explanation, + every explanation, and the reference interpreter
  (`REGLES_NO_COMPILE=1`);
- `regles batch --workers 1` on the population (CPU time of the command);
- a cold `regles eval` (CPU time of the command, bytecode and rule-file caches warm).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import population  # noqa: E402  (benchmarks/ is not a package)

CALLS = r"""
import csv, json, os, sys, time
from pathlib import Path
root, population, sample = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
if sys.argv[4] == "interpreter":
    os.environ["REGLES_NO_COMPILE"] = "1"
import engine
rules = root / "rulesets" / "convention2024.rules"
ruleset = engine.load(rules)
with open(population, newline="", encoding="utf-8") as f:
    rows = [{k: v for k, v in r.items() if v != "" and k != "id"} for _, r in zip(range(sample), csv.DictReader(f))]
ruleset.evaluate(rows[0]).trace
if sys.argv[4] == "interpreter":
    measures = {"interpreter_us": ruleset.evaluate}
else:
    measures = {
        "evaluate_us": ruleset.evaluate,
        "evaluate_events_us": lambda r: ruleset.evaluate(r).events,
        "evaluate_trace_us": lambda r: ruleset.evaluate(r).trace,
        "evaluate_explain_one_us": lambda r: ruleset.evaluate(r).explain("montant_verse"),
        "evaluate_explain_all_us": lambda r: [o.explain(n) for o in [ruleset.evaluate(r)] for n in o.results],
    }
best = {}
for _ in range(3):
    for key, fn in measures.items():
        started = time.process_time()
        for row in rows:
            fn(row)
        best[key] = min(best.get(key, float("inf")), (time.process_time() - started) / len(rows) * 1e6)
print(json.dumps(best))
"""
"""Run in a fresh process per revision and round: the revision's `engine` is the one on PYTHONPATH."""

LABELS = {
    "evaluate_us": ("evaluate", "µs"),
    "evaluate_events_us": ("evaluate + arbre de trace", "µs"),
    "evaluate_trace_us": ("evaluate + trace JSON", "µs"),
    "evaluate_explain_one_us": ("evaluate + explain(montant_verse)", "µs"),
    "evaluate_explain_all_us": ("evaluate + explain de chaque résultat", "µs"),
    "interpreter_us": ("interpréteur de référence", "µs"),
    "batch_1_s": ("regles batch, 1 processus (CPU)", "s"),
    "cold_eval_s": ("regles eval à froid (CPU)", "s"),
}


def checkout(revision: str, into: Path) -> Path:
    """A detached worktree of `revision` under `into`."""
    target = into / revision.replace("/", "_")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(target), revision],
                   check=True)
    return target


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    """CPU seconds (user + system) of a command run to completion, its children included (its output
    discarded)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def one_round(tree: Path, population: Path, output: Path, sample: int) -> dict[str, float]:
    """Every measure once for the checkout `tree`."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    figures: dict[str, float] = {}
    for mode in ("compiled", "interpreter"):
        done = subprocess.run([sys.executable, "-c", CALLS, str(tree), str(population),
                               str(sample if mode == "compiled" else sample // 4), mode],
                              env=env, cwd=tree, check=True, capture_output=True, text=True)
        figures.update(json.loads(done.stdout.strip().splitlines()[-1]))
    rules = str(tree / "rulesets" / "convention2024.rules")
    figures["batch_1_s"] = timed([sys.executable, "-m", "engine", "batch", rules, "--input", str(population),
                                  "--output", str(output), "--workers", "1"], env, tree)
    figures["cold_eval_s"] = timed([sys.executable, "-m", "engine", "eval", rules, "--facts",
                                    str(tree / "examples" / "generaliste.json")], env, tree)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the revision measured as « avant »")
    parser.add_argument("--after", help="the revision measured as « après » (default: the working tree)")
    parser.add_argument("--rows", type=int, default=10_000, help="population of the batch measure")
    parser.add_argument("--sample", type=int, default=400, help="rows of the in-process measures")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "regles-bench")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    path = population(args.rows, args.data_dir)
    with tempfile.TemporaryDirectory() as scratch:
        trees = {"before": checkout(args.before, Path(scratch))}
        trees["after"] = checkout(args.after, Path(scratch)) if args.after else ROOT
        try:
            best: dict[str, dict[str, float]] = {"before": {}, "after": {}}
            for n in range(args.rounds):
                order = ("before", "after") if n % 2 == 0 else ("after", "before")
                for side in order:
                    if n == 0:  # fill each revision's rule-file and bytecode caches outside the measure
                        one_round(trees[side], path, Path(scratch) / "warm.csv", 20)
                    figures = one_round(trees[side], path, Path(scratch) / f"{side}.csv", args.sample)
                    for key, value in figures.items():
                        best[side][key] = min(best[side].get(key, float("inf")), value)
                print(f"tour {n + 1}/{args.rounds} fait", file=sys.stderr, flush=True)
        finally:
            for tree in trees.values():
                if tree != ROOT:
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    print(f"avant : {args.before} ; après : {args.after or 'arbre de travail'} ; "
          f"meilleur de {args.rounds} tours alternés ; {os.cpu_count()} processeurs")
    print(f"{'mesure':<42} {'avant':>10} {'après':>10} {'après/avant':>12}")
    for key, (label, unit) in LABELS.items():
        before, after = best["before"][key], best["after"][key]
        print(f"{label:<42} {before:>8.{1 if unit == 'µs' else 2}f}{unit:>2} {after:>8.{1 if unit == 'µs' else 2}f}"
              f"{unit:>2} {after / before:>12.3f}")
    if args.json:
        args.json.write_text(json.dumps(best, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
