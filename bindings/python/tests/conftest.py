"""Shared fixtures: the W1 rulebook and the bundled W1 example data."""

import os
import pathlib

import pandas as pd
import pytest

import gradus

ROOT = pathlib.Path(__file__).resolve().parents[3]
BUILD = pathlib.Path(os.environ.get("GRADUS_BINARY_DIR", ROOT / "build"))
W1_RULES = ROOT / "rules" / "w1.gradus"
W1_SUBJECTS = ROOT / "examples" / "w1" / "subjects.csv"
W1_RECORDS = ROOT / "examples" / "w1" / "records.csv"
AS_OF = "2025-01-01"


@pytest.fixture(scope="session")
def w1():
    return gradus.load(W1_RULES)


@pytest.fixture
def subjects():
    return pd.read_csv(W1_SUBJECTS)


@pytest.fixture
def records():
    return pd.read_csv(W1_RECORDS)


def cli(*args):
    """Runs the gradus command line; (exit code, stdout, stderr)."""
    import subprocess

    p = subprocess.run([str(BUILD / "gradus"), *map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr
