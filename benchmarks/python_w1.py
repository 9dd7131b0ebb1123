"""The cost of the Python bindings against the C++ engine on W1.

    PYTHONPATH=build/python /usr/bin/python3 benchmarks/python_w1.py [--build build] [--subjects 1000000]

Generates W1 data with `gradus_w1 gen` (cached like benchmarks/w1.sh) and reads it with pandas
into the columns bench_w1 holds in C++: int64 ids, kinds and enumerations as categoricals (int8
codes), and W1's numbers in the widths their ranges need (uint8 years and severity, uint16 ages,
uint32 amounts). Then times, per thread count, Rulebook.prepare (which reads these arrays in
place), Rulebook.evaluate and Scores.to_numpy, and compares the total with bench_w1's

  BM_W1_Linked   the same job through the C++ API on the same columns: record offsets from the
                 ids (gradus::offsets_by_id), a table borrowing the columns, gradus::evaluate;
  BM_W1_Engine   gradus::evaluate alone, on an int64 table converted in advance.

Medians of --repeat runs.
"""

import argparse
import json
import re
import pathlib
import statistics
import subprocess
import sys
import time

import pandas as pd

import gradus
from w1_data import w1_files

root = pathlib.Path(__file__).resolve().parents[1]
ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--build", default=str(root / "build"))
ap.add_argument("--subjects", type=int, default=1_000_000)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--repeat", type=int, default=5)
args = ap.parse_args()
build = pathlib.Path(args.build).resolve()

subjects_csv, records_csv = w1_files(build, args.subjects, args.seed)
rb = gradus.load(root / "rules" / "w1.gradus")
subjects = pd.read_csv(subjects_csv, dtype={"id": "int64", "sector": "category", "size": "category",
                                            "years_active": "uint8"})
records = pd.read_csv(records_csv, dtype={"subject_id": "int64", "kind": "category", "severity": "uint8",
                                          "age_days": "uint16", "amount": "uint32"})
sub = {c: subjects[c] for c in subjects.columns}
rec = {c: records[c] for c in records.columns}
print(f"W1: {len(subjects)} subjects, {len(records)} records", file=sys.stderr)

python = {}
for threads in (1, 2):
    runs = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        table = rb.prepare(sub, rec, threads=threads)
        t1 = time.perf_counter()
        scores = rb.evaluate(table, as_of="2025-01-01", threads=threads)
        t2 = time.perf_counter()
        arrays = scores.to_numpy()
        t3 = time.perf_counter()
        runs.append((t1 - t0, t2 - t1, t3 - t2, t3 - t0))
        del table, scores, arrays
    python[threads] = [statistics.median(r[k] for r in runs) for k in range(4)]
summary = rb.evaluate(rb.prepare(sub, rec), as_of="2025-01-01").summary()

out = subprocess.run([str(build / "benchmarks" / "w1" / "bench_w1"), "--benchmark_filter=BM_W1_(Engine|Linked)",
                      f"--benchmark_repetitions={args.repeat}", "--benchmark_report_aggregates_only=true",
                      "--benchmark_format=json"], check=True, capture_output=True, text=True,
                     env={"GRADUS_W1_N": str(args.subjects), "GRADUS_W1_SEED": str(args.seed), "PATH": "/usr/bin"})
cpp = {}  # (benchmark, threads) -> seconds
for b in json.loads(out.stdout)["benchmarks"]:
    if b.get("aggregate_name") == "median":
        name = re.match(r"BM_W1_(\w+)/", b["run_name"]).group(1)
        threads = int(re.search(r"threads:(\d+)", b["run_name"]).group(1))
        cpp[name, threads] = b["real_time"] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[b["time_unit"]]

print(f"{'threads':>7} {'prepare':>9} {'evaluate':>9} {'to_numpy':>9} {'python':>9} {'C++ linked':>11} {'ratio':>6}"
      f" {'C++ evaluate':>13} {'ratio':>6}")
for t in (1, 2):
    p = python[t]
    linked, engine = cpp["Linked", t], cpp["Engine", t]
    print(f"{t:>7} {p[0]:9.3f} {p[1]:9.3f} {p[2]:9.3f} {p[3]:9.3f} {linked:11.3f} {p[3] / linked:6.2f}"
          f" {engine:13.3f} {p[3] / engine:6.2f}")
print(f"score_sum={summary['score_sum']:.6f} tiers={dict(zip(summary['tiers'], summary['tier_totals']))}")
