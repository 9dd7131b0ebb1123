"""The Python examples run and print what they promise."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.mark.parametrize("script, expect", [
    ("score_w1.py", "score_sum=2103.875000"),
    ("explain_subject.py", "subject 3: score 69, tier D (by score: C)"),
    ("check_rulebook.py", "broken.gradus:4:9: error[E0202]: unknown type 'Sise'"),
    ("decide_penalties.py", "; escalated: F-103, F-104, F-403\n"),
])
def test_example(script, expect):
    p = subprocess.run([sys.executable, str(ROOT / "examples" / "python" / script)], capture_output=True, text=True,
                       env=os.environ)
    assert p.returncode == 0, p.stderr
    assert expect in p.stdout
