"""Decides food-safety breaches with the penalty rules of the Food Safety Law from pandas.

Prints the proportionality proof, each decision, the fines as exact amounts and why one
breach escalated.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/decide_penalties.py [ID]
"""

import pathlib
import sys

import pandas as pd

import gradus

root = pathlib.Path(__file__).resolve().parents[2]
rulebook = gradus.load(root / "rules" / "penalties" / "food_safety.gradus")
proof = rulebook.proof
print(f"proportionality: {'proved' if proof.proved else 'not proved'} ({proof.rules} penalty rules, {proof.cases} cases)")

# id, party, date, penalty (the rule's name), then the breach inputs of rulebook.breach_columns
breaches = pd.read_csv(root / "tests" / "penalty" / "cases" / "food_safety.csv")
decisions = rulebook.decide(breaches, threads=2)
print(decisions[["id", "penalty", "level", "measures"]].to_string(index=False))
print()

# The same decisions with each measure as a dict: exact Decimal ranges, unit, escalation, basis.
structured = rulebook.decide(breaches, threads=2, structured=True)
fines = [m["high"] for ms in structured["measures"] for m in ms if m["measure"] == "fine"]
escalated = [i for i, ms in zip(structured["id"], structured["measures"]) if any(m["escalation"] for m in ms)]
print(f"{len(fines)} fines of at most {sum(fines)} yuan in all; escalated: {', '.join(escalated)}")
print()

why = rulebook.explain_decision(breaches, id=sys.argv[1] if len(sys.argv) > 1 else "F-103")
print(why["text"], end="")
