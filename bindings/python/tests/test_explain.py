"""Explanations as plain Python objects, equal to the CLI's."""

import decimal

import pytest

from conftest import AS_OF, W1_RECORDS, W1_RULES, W1_SUBJECTS, cli


def test_explanation_matches_the_cli(w1, subjects, records):
    x = w1.explain(subjects, records, id=3, as_of=AS_OF)
    assert x["subject"] == "3" and x["tier"] == "D" and x["band_tier"] == "C" and not x["failed"]
    assert x["score"] == decimal.Decimal(69) and x["start"] == 100
    assert sum(c["points"] for c in x["contributions"]) == x["score"] - x["start"]
    violations = next(c for c in x["contributions"] if c["name"] == "violations")
    assert violations["points"] == -31 and violations["at"] == f"{W1_RULES}:51:3"
    assert [r["row"] for r in violations["records"]] == [26, 27, 29, 30, 31]
    assert all(records.loc[r["row"], "subject_id"] == 3 and records.loc[r["row"], "kind"] == "violation"
               for r in violations["records"])
    assert [o["name"] for o in x["overrides"]] == ["grave_violation"]
    assert x["overrides"][0]["because"] == "a grave violation within three years"
    assert x["supervision"]["sampling"] == 1
    # the same figures as `gradus score --explain 3` (which also knows the file's line numbers)
    _, _, err = cli("score", "--rules", str(W1_RULES), "--subjects", W1_SUBJECTS, "--records", W1_RECORDS,
                    "--as-of", AS_OF, "--explain", "3", "--no-summary")
    ours = [line for line in x["text"].splitlines() if "record " not in line]
    theirs = [line for line in err.splitlines() if "record " not in line]
    assert ours == theirs[:len(ours)] and len(ours) > 10


def test_rows_refer_to_the_input_when_records_are_shuffled(w1, subjects, records):
    shuffled = records.sample(frac=1, random_state=11).reset_index(drop=True)
    x = w1.explain(subjects, shuffled, id=3, as_of=AS_OF)
    rows = [r["row"] for c in x["contributions"] for r in c["records"]]
    assert sorted(rows) == sorted(shuffled.index[shuffled["subject_id"] == 3])
    assert x["score"] == w1.explain(subjects, records, id=3, as_of=AS_OF)["score"]


def test_unknown_id(w1, subjects, records):
    with pytest.raises(KeyError, match="no subject with id 12345"):
        w1.explain(subjects, records, id=12345, as_of=AS_OF)
