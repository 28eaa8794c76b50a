#!/usr/bin/env python3
"""Benchmarks of `regles` against the plain-Python baseline (`benchmarks/baseline.py`).

Run on demand (not part of the test suite)::

    python benchmarks/run.py                       # 10 000 and 100 000 rows
    python benchmarks/run.py --rows 10000 100000 1000000 --json results.json

For each population size N (synthetic doctor-years from `scripts/make_population.py`, seed
20240622, kept in --data-dir):
- the baseline's throughput, `evaluate_convention2024(coerce_facts(row))` over rows already read
  into dicts (no file reading or writing counted: the most favourable measure for it);
- `regles batch rulesets/convention2024.rules` end to end (read, evaluate, write CSV) in a fresh
  process, on DuckDB (`--moteur sql`) and, up to --python-max rows, on the Python engine, with 1 and
  --workers processes (DuckDB threads), and Parquet in and out on DuckDB: wall time, rows/s, ratio to the baseline measured in
  the same run, and peak memory (the largest single process: the kernel's own peak, `wait4`; the
  sum of the resident sets of the process and its workers, sampled every quarter of a second: a
  sampler scanning /proc every 20 ms took a twentieth of a core from a run that needs both);
- a check that the batch output equals the baseline on every row: same status for every output
  of the 2024 file and the same value (money and dates exactly, rates to 1e-9 as in
  tests/test_oracle.py); differences are counted per output and a few are shown.
Then, once: the in-process cost of one `Ruleset.evaluate` call (and with its trace tree, its
JSON trace, one explanation, every explanation) against the baseline per-row time, the measures
taking turns over 7 rounds and the best round counting, and the wall time of a cold `regles eval` (a
fresh process; median of 5, after one run that fills the rule-file cache and the bytecode cache).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rulesets" / "convention2024.rules"
FACTS_EXAMPLE = ROOT / "examples" / "generaliste.json"
SEED = 20240622


def load_baseline():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("regles_baseline", ROOT / "benchmarks" / "baseline.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


# ─── Populations ─────────────────────────────────────────────────────────────────────────────

def population(rows: int, data_dir: Path) -> Path:
    """The CSV population of `rows` rows, generated once."""
    path = data_dir / f"population_{rows}_{SEED}.csv"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        print(f"  génération de {path.name}…", flush=True)
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_population.py"), "--rows", str(rows),
                        "--seed", str(SEED), "-o", str(path)], check=True)
    return path


def read_rows(path: Path, limit: int | None = None):  # type: ignore[no-untyped-def]
    """Rows as the baseline takes them: empty cells dropped, without `id`."""
    with path.open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if limit is not None and i >= limit:
                return
            yield {k: v for k, v in row.items() if v != "" and k != "id"}


# ─── Memory of a process tree ────────────────────────────────────────────────────────────────

SAMPLE_EVERY = 0.25
"""Seconds between two samples of a process tree's memory. Each sample reads every /proc entry, about
1 ms of CPU: every 20 ms, a twentieth of a core taken from a run that needs both (DuckDB's)."""


class TreeMemory(threading.Thread):
    """Samples the resident memory of a process and its descendants (Linux /proc)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_total = 0
        self.peak_single = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            sizes = [_rss(p) for p in _tree(self.pid)]
            if sizes:
                self.peak_total = max(self.peak_total, sum(sizes))
                self.peak_single = max(self.peak_single, max(sizes))
            self.done.wait(SAMPLE_EVERY)


def _tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(parents.get(pid, ()))
    return found


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measured_run(command: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall time and peak memory of a command run in a fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    memory = TreeMemory(process.pid)
    memory.start()
    assert process.stderr is not None
    err = process.stderr.read()
    # waited for here rather than by `Popen`: `wait4` gives the process's own peak (its workers', if larger)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    memory.done.set()
    memory.join()
    if process.returncode not in (0, 2):
        raise SystemExit(f"échec de {' '.join(command)} :\n{err}")
    single = max(memory.peak_single, usage.ru_maxrss * 1024)  # ru_maxrss: kilobytes on Linux
    return {"wall_s": wall, "peak_total_mb": max(memory.peak_total, single) / 2**20, "peak_single_mb": single / 2**20}


# ─── Comparing the batch output with the baseline ────────────────────────────────────────────

_STATUS_KEYS = {"valeur": "value", "non applicable": "not_applicable", "indéterminé": "undetermined",
                "manquant": "missing"}
"""`regles batch` writes statuses in French (`engine.lang.results.STATUS_FRENCH`); the baseline in English."""


def _same(expected: tuple[str, object], status: str, text: str) -> bool:
    status = _STATUS_KEYS.get(status, status)
    if expected[0] != status:
        return False
    if status != "value":
        return True
    value = expected[1]
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if isinstance(value, Decimal):
        return abs(Decimal(text) - value) <= Decimal("1e-9")
    if isinstance(value, dt.date):
        return text == value.isoformat()
    return text == str(value)


def baseline_throughput(baseline, population_path: Path) -> float:  # type: ignore[no-untyped-def]
    """Seconds the baseline takes over the population, rows read into dicts beforehand (not timed)."""
    evaluate, coerce = baseline.evaluate_convention2024, baseline.coerce_facts
    seconds = 0.0
    chunk: list[dict[str, object]] = []
    for row in itertools.chain(read_rows(population_path), [None]):
        if row is not None:
            chunk.append(row)
        if len(chunk) == 10_000 or (row is None and chunk):
            started = time.perf_counter()
            for facts in chunk:
                evaluate(coerce(facts))
            seconds += time.perf_counter() - started
            chunk = []
    return seconds


def baseline_and_check(baseline, population_path: Path, output_path: Path) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Baseline throughput over rows already in memory, then row-by-row agreement with the batch output."""
    evaluate, coerce = baseline.evaluate_convention2024, baseline.coerce_facts
    seconds = 0.0
    rows = 0
    differences: dict[str, int] = {}
    examples: list[str] = []
    chunk: list[dict[str, object]] = []
    with output_path.open(encoding="utf-8", newline="") as f:
        produced = csv.DictReader(f)

        def flush() -> None:
            nonlocal seconds, rows
            started = time.perf_counter()
            results = [evaluate(coerce(row)) for row in chunk]
            seconds += time.perf_counter() - started
            rows += len(chunk)
            for facts, expected in zip(chunk, results):
                ours = next(produced)
                for name, outcome in expected.items():
                    if not _same(outcome, ours[f"{name}__statut"], ours[name]):
                        differences[name] = differences.get(name, 0) + 1
                        if len(examples) < 5:
                            examples.append(f"ligne {ours['ligne']} {name} : référence {outcome}, regles "
                                            f"{ours[f'{name}__statut']} {ours[name] or ours[f'{name}__raison']}")
            chunk.clear()
        for row in read_rows(population_path):
            chunk.append(row)
            if len(chunk) == 10_000:
                flush()
        flush()
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "us_per_row": seconds / rows * 1e6,
            "differences": differences, "examples": examples}


# ─── In-process costs ────────────────────────────────────────────────────────────────────────

def per_call(baseline, population_path: Path, sample: int = 400, rounds: int = 7,  # type: ignore[no-untyped-def]
             freeze: bool = False) -> dict[str, float]:
    """Microseconds per call: baseline, evaluate, evaluate + trace tree, + trace JSON, + explanations.

    Every measure runs once per round over the same rows, the measures taking turns, and the best
    round counts: on a shared, noisy machine the baseline and each measure then see the same
    conditions, and the minimum is the least disturbed figure (as `timeit` recommends).

    With `freeze`, what is loaded before the measure (the rule file, its compiled modules, lark,
    Babel, the baseline, the rows) is moved out of the collector's reach with `gc.freeze()`, as a
    service does after start-up. Without it, a traced evaluation allocates enough to trigger, now and
    then, a full collection that walks that whole heap, and the figure of a round depends on whether
    one landed in it.
    """
    import gc
    sys.path.insert(0, str(ROOT))
    import engine
    ruleset = engine.load(RULES)
    rows = list(read_rows(population_path, sample))
    ruleset.evaluate(rows[0]).trace  # compile both paths once, outside the measure
    if freeze:
        gc.collect()
        gc.freeze()
    measures = {
        "baseline_us": lambda r: baseline.evaluate_convention2024(baseline.coerce_facts(r)),
        "evaluate_us": ruleset.evaluate,
        "evaluate_events_us": lambda r: ruleset.evaluate(r).events,
        "evaluate_trace_us": lambda r: ruleset.evaluate(r).trace,
        "evaluate_explain_one_us": lambda r: ruleset.evaluate(r).explain("montant_verse"),
        "evaluate_explain_all_us": lambda r: [o.explain(n) for o in [ruleset.evaluate(r)] for n in o.results],
    }
    best = dict.fromkeys(measures, float("inf"))
    for _ in range(rounds):
        for key, fn in measures.items():
            started = time.perf_counter()
            for row in rows:
                fn(row)
            best[key] = min(best[key], (time.perf_counter() - started) / len(rows) * 1e6)
    os.environ["REGLES_NO_COMPILE"] = "1"
    interpreted = engine.load(RULES)
    few = rows[: max(1, sample // 4)]
    for key, fn in (("interpreter_us", interpreted.evaluate),
                    ("interpreter_trace_us", lambda r: interpreted.evaluate(r).trace)):
        started = time.perf_counter()
        for row in few:
            fn(row)
        best[key] = (time.perf_counter() - started) / len(few) * 1e6
    del os.environ["REGLES_NO_COMPILE"]
    if freeze:
        gc.unfreeze()
    return best


_CALL_LABELS = (("baseline_us", "référence"), ("evaluate_us", "evaluate"),
                ("evaluate_events_us", "evaluate + arbre de trace (Outcome.events)"),
                ("evaluate_trace_us", "evaluate + trace JSON (Outcome.trace)"),
                ("evaluate_explain_one_us", "evaluate + explain(montant_verse)"),
                ("evaluate_explain_all_us", "evaluate + explain de chaque résultat"),
                ("interpreter_us", "evaluate par l'interpréteur (REGLES_NO_COMPILE=1)"),
                ("interpreter_trace_us", "evaluate + trace JSON par l'interpréteur"))


def print_calls(calls: dict[str, float], heading: str) -> None:
    b = calls["baseline_us"]
    print(f"\n== coût d'un appel en mémoire ({heading}) ==")
    for key, label in _CALL_LABELS:
        print(f"  {label} : {calls[key]:.1f} µs ({calls[key] / b:.1f} × la référence)")


def cold_eval(runs: int = 5) -> dict[str, float]:
    """Median wall time of `regles eval` on the 2024 file in a fresh process."""
    command = [sys.executable, "-m", "engine", "eval", str(RULES), "--facts", str(FACTS_EXAMPLE)]
    results = {}
    with tempfile.TemporaryDirectory() as prefix:
        settings = {
            "bytecode": {"PYTHONPYCACHEPREFIX": prefix, "PYTHONDONTWRITEBYTECODE": None},
            "no_bytecode": {"PYTHONDONTWRITEBYTECODE": "1"},
            "no_cache": {"PYTHONPYCACHEPREFIX": prefix, "PYTHONDONTWRITEBYTECODE": None, "REGLES_NO_CACHE": "1"},
        }
        for label, changes in settings.items():
            env = dict(os.environ)
            for key, value in changes.items():
                if value is None:
                    env.pop(key, None)
                else:
                    env[key] = value
            subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
                times.append(time.perf_counter() - started)
            results[f"{label}_s"] = statistics.median(times)
    return results


# ─── Main ────────────────────────────────────────────────────────────────────────────────────

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "regles-bench")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--skip-calls", action="store_true", help="skip the in-process and cold-start measures")
    parser.add_argument("--python-max", type=int, default=100_000,
                        help="largest population also run on the Python engine (--moteur python); DuckDB runs on all")
    parser.add_argument("--repeat", type=int, default=1,
                        help="best of this many runs for the batch and the baseline (a shared machine is noisy)")
    args = parser.parse_args(argv)
    baseline = load_baseline()
    report: dict[str, object] = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "sizes": {}}
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "engine", "eval", str(RULES), "--facts", str(FACTS_EXAMPLE)], env=env,
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)  # fills the rule-file cache
    for n in args.rows:
        print(f"\n== {n:,} lignes ==".replace(",", " "), flush=True)
        path = population(n, args.data_dir)
        size: dict[str, object] = {}
        engines = ["sql", "python"] if n <= args.python_max else ["sql"]
        for engine_name in engines:
            for workers in sorted({1, args.workers}):
                out = args.data_dir / f"resultats_{n}_{engine_name}_{workers}.csv"
                runs = [measured_run([sys.executable, "-m", "engine", "batch", str(RULES), "--input", str(path),
                                      "--output", str(out), "--workers", str(workers), "--moteur", engine_name],
                                     env=env) for _ in range(args.repeat)]
                run = min(runs, key=lambda r: r["wall_s"])
                run["peak_total_mb"] = max(r["peak_total_mb"] for r in runs)
                run["rows_per_s"] = n / run["wall_s"]
                size[f"batch_{engine_name}_{workers}"] = run
                print(f"  regles batch --moteur {engine_name}, {workers} processus : {run['wall_s']:.2f} s, "
                      f"{run['rows_per_s']:,.0f} lignes/s, mémoire max {run['peak_total_mb']:.0f} Mo "
                      f"(un processus au plus {run['peak_single_mb']:.0f} Mo)", flush=True)
        parquet_in = path.with_suffix(".parquet")
        if not parquet_in.exists():
            import duckdb
            duckdb.sql(f"COPY (SELECT * FROM read_csv('{path}', all_varchar = true)) TO '{parquet_in}' (FORMAT PARQUET)")
        run = measured_run([sys.executable, "-m", "engine", "batch", str(RULES), "--input", str(parquet_in),
                            "--output", str(args.data_dir / f"resultats_{n}.parquet"), "--workers", str(args.workers),
                            "--moteur", "sql"], env=env)
        run["rows_per_s"] = n / run["wall_s"]
        size[f"batch_sql_parquet_{args.workers}"] = run
        print(f"  regles batch --moteur sql, Parquet → Parquet, {args.workers} processus : {run['wall_s']:.2f} s, "
              f"{run['rows_per_s']:,.0f} lignes/s, mémoire max {run['peak_total_mb']:.0f} Mo", flush=True)
        check = baseline_and_check(baseline, path, args.data_dir / f"resultats_{n}_sql_{args.workers}.csv")
        for _ in range(args.repeat - 1):
            seconds = baseline_throughput(baseline, path)
            if seconds < check["seconds"]:  # type: ignore[operator]
                check.update(seconds=seconds, rows_per_s=n / seconds, us_per_row=seconds / n * 1e6)
        size["baseline"] = check
        print(f"  référence (en mémoire, 1 processus) : {check['rows_per_s']:,.0f} lignes/s "
              f"({check['us_per_row']:.1f} µs par ligne)")
        for key in [k for k in size if k.startswith("batch_")]:
            ratio = size[key]["rows_per_s"] / check["rows_per_s"]  # type: ignore[index]
            size["ratio_" + key[6:]] = ratio
            print(f"  rapport {key[6:]} / référence : {ratio:.2f}")
        if check["differences"]:
            print(f"  écarts avec la référence : {check['differences']}")
            for line in check["examples"]:  # type: ignore[attr-defined]
                print(f"    {line}")
        else:
            print("  résultats identiques à la référence sur toutes les lignes")
        report["sizes"][str(n)] = size  # type: ignore[index]
    if not args.skip_calls:
        for freeze in (False, True):
            calls = per_call(baseline, population(args.rows[0], args.data_dir), freeze=freeze)
            report["calls_frozen" if freeze else "calls"] = calls
            print_calls(calls, "après gc.freeze()" if freeze else "tas ordinaire")
        cold = cold_eval()
        report["cold_eval"] = cold
        print("\n== regles eval à froid (médiane de 5) ==")
        print(f"  avec bytecode : {cold['bytecode_s']:.3f} s ; sans bytecode : {cold['no_bytecode_s']:.3f} s ; "
              f"sans le cache des fichiers de règles : {cold['no_cache_s']:.3f} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
