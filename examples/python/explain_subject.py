"""Explains why one W1 subject got its tier, as plain Python objects.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/explain_subject.py [ID]
"""

import pathlib
import sys

import pandas as pd

import gradus

root = pathlib.Path(__file__).resolve().parents[2]
rulebook = gradus.load(root / "rules" / "w1.gradus")
subjects = pd.read_csv(root / "examples" / "w1" / "subjects.csv")
records = pd.read_csv(root / "examples" / "w1" / "records.csv")
subject_id = int(sys.argv[1]) if len(sys.argv) > 1 else 3

why = rulebook.explain(subjects, records, id=subject_id, as_of="2025-01-01")
print(f"subject {why['subject']}: score {why['score']}, tier {why['tier']} (by score: {why['band_tier']})")
for c in why["contributions"]:
    if c["points"]:
        rows = ", ".join(str(r["row"]) for r in c["records"] if r["value"])
        print(f"  {c['name']:<16} {c['points']:>8}   records at rows {rows or '-'}   ({c['at']})")
for o in why["overrides"]:
    print(f"  override {o['name']}: {o['effect']} because {o['because']}")
print(f"  supervision: sampling {why['supervision']['sampling']}")
