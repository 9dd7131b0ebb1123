"""Checks rulebooks and prints their diagnostics, like `gradus check`, from Python.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/check_rulebook.py [FILE...]
"""

import pathlib
import sys

import gradus

root = pathlib.Path(__file__).resolve().parents[2]
files = sys.argv[1:] or [str(p) for p in sorted((root / "rules").glob("*.gradus"))]

status = 0
for path in files:
    diagnostics = gradus.check(path)
    for d in diagnostics:
        print(f"{d.file}:{d.line}:{d.column}: {d.severity} {d.code}: {d.message}")
    errors = sum(d.severity == "error" for d in diagnostics)
    print(f"{path}: {errors} errors, {len(diagnostics) - errors} warnings")
    status |= errors > 0

# A rulebook with errors raises RulebookError when loaded; str() is the CLI's rendering.
try:
    gradus.loads('rulebook "broken"\nsubjects\n  id: key\n  size: Sise\n', name="broken.gradus")
except gradus.RulebookError as e:
    print(f"\nloading broken.gradus failed with {len(e.diagnostics)} diagnostics:\n{e}", end="")
sys.exit(status)
