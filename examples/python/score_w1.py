"""Scores the bundled W1 example data from pandas and prints the result and the summary.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/score_w1.py
"""

import pathlib

import pandas as pd

import gradus

root = pathlib.Path(__file__).resolve().parents[2]
rulebook = gradus.load(root / "rules" / "w1.gradus")

# Enum columns may be strings or categoricals; numbers ints or floats (rounded to 6 decimals).
subjects = pd.read_csv(root / "examples" / "w1" / "subjects.csv", dtype={"sector": "category", "size": "category"})
records = pd.read_csv(root / "examples" / "w1" / "records.csv")

scores = rulebook.evaluate(rulebook.prepare(subjects, records), as_of="2025-01-01", threads=2)
frame = scores.to_frame()
print(frame[["id", "score", "tier", "sampling", "overrides"]].to_string(index=False))
print()
print(frame.groupby("tier", observed=False).size().to_string())
print()
print(scores.summary()["text"], end="")
