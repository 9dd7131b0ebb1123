"""W1 data for the Python benchmarks: generated once by `gradus_w1 gen` into the cache that w1.sh uses."""

import os
import pathlib
import subprocess
import tempfile


def w1_files(build: pathlib.Path, n: int, seed: int) -> tuple[pathlib.Path, pathlib.Path]:
    """(subjects.csv, records.csv) for n subjects, generated unless cached."""
    cache = pathlib.Path(os.environ.get("GRADUS_W1_DATA", pathlib.Path(tempfile.gettempdir()) / "gradus_w1" / f"n{n}_s{seed}"))
    subjects, records, stamp = cache / "subjects.csv", cache / "records.csv", cache / ".w1_stamp"
    if not (subjects.exists() and records.exists() and stamp.exists() and stamp.read_text().strip() == f"n={n} seed={seed}"):
        tool = build / "benchmarks" / "w1" / "gradus_w1"
        if not tool.exists():
            raise SystemExit(f"{tool} not found: build first (cmake --build {build} -j2)")
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(tool), "gen", "--subjects", str(n), "--seed", str(seed), "--out", str(cache)], check=True)
        stamp.write_text(f"n={n} seed={seed}\n")
    return subjects, records
