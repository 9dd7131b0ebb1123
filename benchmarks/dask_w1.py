"""W1 on a local Dask cluster: subjects per second with 1 and 2 worker processes.

    PYTHONPATH=build/python /usr/bin/python3 benchmarks/dask_w1.py [--build build] [--subjects 1000000]

Generates W1 data with `gradus_w1 gen` (cached like benchmarks/w1.sh), then for each worker count
starts a LocalCluster (one thread per worker process), reads the CSV files with
dask.dataframe.read_csv and runs gradus.dask.score into a temporary directory: read, shuffle by
subject id, score and write per partition, summarise. Prints wall times (median of --repeat
runs, cluster start-up excluded) and checks every run's summary against a single-process run.
"""

import argparse
import pathlib
import statistics
import sys
import tempfile
import time

import dask.dataframe as dd
import pandas as pd
from distributed import Client, LocalCluster

import gradus
import gradus.dask
from w1_data import w1_files


def main():
    root = pathlib.Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(root / "build"))
    ap.add_argument("--subjects", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--partitions", type=int, default=8)
    args = ap.parse_args()
    subjects_csv, records_csv = w1_files(pathlib.Path(args.build).resolve(), args.subjects, args.seed)
    rb = gradus.load(root / "rules" / "w1.gradus")

    t0 = time.perf_counter()
    single = rb.evaluate(rb.prepare(pd.read_csv(subjects_csv), pd.read_csv(records_csv), threads=1),
                         as_of="2025-01-01", threads=1).summary()
    single_s = time.perf_counter() - t0
    print(f"single process, 1 thread (pandas read_csv + score): {single_s:.2f} s", file=sys.stderr)

    rows = []
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            times = []
            for _ in range(args.repeat):
                with tempfile.TemporaryDirectory() as out:
                    t0 = time.perf_counter()
                    result = gradus.dask.score(rb, dd.read_csv(subjects_csv, blocksize="16MB"),
                                               dd.read_csv(records_csv, blocksize="32MB"), as_of="2025-01-01",
                                               out_dir=out, npartitions=args.partitions, client=client)
                    times.append(time.perf_counter() - t0)
                if result["text"] != single["text"]:
                    raise SystemExit(f"MISMATCH with {workers} workers:\n{result['text']}\nvs\n{single['text']}")
            rows.append((workers, statistics.median(times)))
    print(f"W1 {args.subjects} subjects, {args.partitions} partitions; medians of {args.repeat} runs")
    print(f"{'workers':>7} {'seconds':>9} {'subjects/s':>12}")
    for workers, s in rows:
        print(f"{workers:>7} {s:9.2f} {args.subjects / s:12.0f}")
    print(f"summaries equal to the single-process run: score_sum={single['score_sum']:.6f}")


if __name__ == "__main__":
    main()
