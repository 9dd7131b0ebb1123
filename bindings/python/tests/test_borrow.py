"""Columns read in place: which are, that no copy is made, and that results equal the converted ones."""

import gc
import pathlib

import numpy as np
import pandas as pd
import pytest

import gradus
from conftest import AS_OF

CONVERSIONS = pathlib.Path(__file__).with_name("conversions.gradus")


def arrays(subjects, records):
    """W1 example data as plain numpy arrays: ids and numbers as integers, enums as categoricals."""
    sub = {c: subjects[c].to_numpy() for c in subjects}
    sub["sector"] = subjects["sector"].astype("category")
    sub["size"] = subjects["size"].astype("category")
    rec = {c: records[c].to_numpy() for c in records}
    rec["kind"] = records["kind"].astype("category")
    return sub, rec


def test_integer_bool_date_and_categorical_columns_are_read_in_place(w1, subjects, records):
    sub, rec = arrays(subjects, records)
    table = w1.prepare(sub, rec)
    assert sorted(table.borrowed) == sorted(
        ["subjects.id", "subjects.sector", "subjects.size", "subjects.years_active",
         "records.kind", "records.severity", "records.age_days", "records.amount"])
    rb = gradus.load(CONVERSIONS)
    conv = rb.prepare(
        {"id": np.arange(3), "flagged": np.array([True, False, True]), "capital": np.array([1, 2, 3], dtype=np.int32),
         "ratio": np.array([0.5, 1.5, 2.0]), "colour": np.array(["R", "green", "red"], dtype=object),
         "founded": np.array(["2024-06-01", "2020-01-01", "2024-12-31"], dtype="datetime64[D]")},
        {"subject_id": np.array([0, 2]), "kind": np.array(["fine", "note"], dtype=object),
         "amount": np.array([7, 0], dtype=np.uint16), "on": np.array(["2024-05-05", "2024-07-07"], dtype="datetime64[D]")})
    # floats are rounded to millionths and text is parsed: those are converted
    assert sorted(conv.borrowed) == ["records.amount", "records.on", "subjects.capital", "subjects.flagged",
                                     "subjects.founded", "subjects.id"]


def test_what_cannot_be_read_in_place_is_converted(w1, subjects, records):
    sub, rec = arrays(subjects, records)
    strided = dict(sub, years_active=np.repeat(sub["years_active"], 2)[::2])
    assert "subjects.years_active" not in w1.prepare(strided, rec).borrowed
    floats = dict(rec, age_days=rec["age_days"].astype(float))
    assert "records.age_days" not in w1.prepare(sub, floats).borrowed
    # records not in subject order are regrouped: every record column is converted
    order = np.random.default_rng(5).permutation(len(records))
    shuffled = {c: (v.iloc[order] if isinstance(v, pd.Series) else v[order]) for c, v in rec.items()}
    assert [c for c in w1.prepare(sub, shuffled).borrowed if c.startswith("records.")] == []
    expected = w1.score(subjects, records, as_of=AS_OF)
    for variant in (w1.prepare(strided, rec), w1.prepare(sub, floats), w1.prepare(sub, shuffled)):
        assert w1.score(variant, as_of=AS_OF).equals(expected)
    assert w1.score(sub, rec, as_of=AS_OF).equals(expected)


def test_no_copy_is_made(w1, subjects, records):
    sub, rec = arrays(subjects, records)
    table = w1.prepare(sub, rec)
    before = w1.evaluate(table, as_of=AS_OF).to_numpy()["score"].copy()
    # the table reads the arrays themselves: a change after prepare shows in the next evaluation
    violation = int(np.flatnonzero((records["kind"] == "violation") & (records["age_days"] < 365))[0])
    rec["severity"][violation] = 4 if rec["severity"][violation] != 4 else 1
    after = w1.evaluate(table, as_of=AS_OF).to_numpy()["score"]
    fresh = w1.score(sub, rec, as_of=AS_OF, output="numpy")["score"]
    assert not np.array_equal(before, after)
    assert np.array_equal(after, fresh)


def test_the_table_keeps_its_arrays_alive(w1, subjects, records):
    expected = w1.score(subjects, records, as_of=AS_OF)["score"]
    sub, rec = arrays(subjects, records)
    table = w1.prepare(sub, rec)
    del sub, rec
    gc.collect()
    garbage = [np.full(10_000, 7, dtype=np.int64) for _ in range(50)]  # reuse of freed memory would show
    assert w1.score(table, as_of=AS_OF)["score"].equals(expected)
    del garbage


def test_a_bad_value_read_in_place_names_its_row_and_column(w1, subjects, records):
    sub, rec = arrays(subjects, records)
    violation = int(np.flatnonzero(records["kind"] == "violation")[2])
    rec["severity"] = rec["severity"].copy()
    rec["severity"][violation] = 9
    table = w1.prepare(sub, rec)  # read in place: met when evaluated
    message = f"records row {violation}, column 'severity': unknown Severity '9'"
    with pytest.raises(gradus.DataError, match=message):
        w1.evaluate(table, as_of=AS_OF)
    with pytest.raises(gradus.DataError, match=message):
        w1.score(sub, rec, as_of=AS_OF)
    # a 9 where the kind has no severity is not read, as when converted
    other = int(np.flatnonzero(records["kind"] != "violation")[0])
    rec["severity"][violation] = 1
    rec["severity"][other] = 9
    assert w1.score(sub, rec, as_of=AS_OF)["score"].equals(
        w1.score(subjects, records.assign(severity=rec["severity"]), as_of=AS_OF)["score"])

    cats = subjects["sector"].astype("category")
    codes = cats.cat.codes.to_numpy().copy()
    codes[4] = -1  # a missing value
    bad = dict(sub, sector=pd.Categorical.from_codes(codes, categories=cats.cat.categories))
    with pytest.raises(gradus.DataError, match=r"subjects row 4, column 'sector': missing value \(NaN\)"):
        w1.score(bad, rec, as_of=AS_OF)


def test_columns_the_rulebook_does_not_read_are_checked_when_prepared(w1, subjects, records):
    sub, rec = arrays(subjects, records)
    rec["amount"] = rec["amount"].astype(np.int64)
    violation = int(np.flatnonzero(records["kind"] == "violation")[0])
    rec["amount"][violation] = 2**62  # beyond money's range; W1's score never reads amounts
    with pytest.raises(gradus.DataError, match=f"records row {violation}, column 'amount': out of range"):
        w1.prepare(sub, rec)


def test_bytes_in_the_other_order_and_misaligned_arrays_read_right(w1, subjects, records):
    expected = w1.score(subjects, records, as_of=AS_OF)
    sub, rec = arrays(subjects, records)
    swapped = dict(rec, age_days=rec["age_days"].astype(">i8"), subject_id=rec["subject_id"].astype(">i8"))
    assert w1.score(sub, swapped, as_of=AS_OF).equals(expected)
    # an int64 column one byte off its alignment: read, converted, all the same
    raw = np.zeros(len(records) * 8 + 1, dtype=np.uint8)
    odd = raw[1:].view(np.int64)
    odd[:] = rec["age_days"]
    assert not odd.flags.aligned
    table = w1.prepare(sub, dict(rec, age_days=odd))
    assert "records.age_days" not in table.borrowed
    assert w1.score(table, as_of=AS_OF).equals(expected)


def test_subjects_without_records_and_bad_kinds(w1, subjects, records):
    sub, rec = arrays(subjects, records)
    alone = w1.score(sub, None, as_of=AS_OF)  # a schema with kinds, and no records at all
    assert alone["score"].equals(w1.score(subjects, records.iloc[0:0], as_of=AS_OF)["score"])
    # a missing kind is reported on its own, also where a field is converted
    kinds = rec["kind"].cat.codes.to_numpy().copy()
    kinds[6] = -1
    bad = dict(rec, kind=pd.Categorical.from_codes(kinds, categories=rec["kind"].cat.categories))
    for variant in (bad, dict(bad, amount=rec["amount"].astype(float))):
        with pytest.raises(gradus.DataError) as info:
            w1.score(sub, variant, as_of=AS_OF)
        assert str(info.value) == r"records row 6, column 'kind': missing value (NaN)"
