"""Scoring from pandas and numpy: round trips against the CLI, value conversions, determinism."""

import datetime
import decimal
import io
import pathlib
import tracemalloc

import numpy as np
import pandas as pd
import pytest

import gradus
from conftest import AS_OF, W1_RECORDS, W1_RULES, W1_SUBJECTS, cli

CONVERSIONS = pathlib.Path(__file__).with_name("conversions.gradus")


@pytest.fixture(scope="module")
def cli_csv():
    code, out, _ = cli("score", "--rules", W1_RULES, "--subjects", W1_SUBJECTS, "--records", W1_RECORDS,
                       "--as-of", AS_OF, "--no-summary")
    assert code == 0
    return out


def test_csv_round_trip_equals_the_cli(w1, subjects, records, cli_csv):
    scores = w1.evaluate(w1.prepare(subjects, records), as_of=AS_OF)
    assert scores.text() == cli_csv
    # records in any order, subjects' fields as categoricals: the same bytes
    shuffled = records.sample(frac=1, random_state=7)
    cats = subjects.astype({"sector": "category", "size": "category"})
    assert w1.evaluate(w1.prepare(cats, shuffled), as_of=AS_OF).text() == cli_csv


def test_frame_matches_the_cli(w1, subjects, records, cli_csv):
    out = w1.score(subjects, records, as_of=datetime.date(2025, 1, 1))
    expected = pd.read_csv(io.StringIO(cli_csv))
    assert list(out.columns) == list(expected.columns)
    assert out["id"].tolist() == expected["id"].tolist()
    assert out["score"].tolist() == expected["score"].tolist()
    assert out["tier"].astype(str).tolist() == expected["tier"].tolist()
    assert out["sampling"].tolist() == expected["sampling"].tolist()
    assert [";".join(o) for o in out["overrides"]] == expected["overrides"].fillna("").tolist()
    assert out["error"].isna().all()


def test_numpy_dicts_give_the_same_scores(w1, subjects, records):
    frame = w1.score(subjects, records, as_of=AS_OF)
    sub = {c: subjects[c].to_numpy() for c in subjects.columns}
    rec = {c: records[c].to_numpy() for c in records.columns}
    rec["kind"] = rec["kind"].astype(str)  # numpy strings
    rec["severity"] = rec["severity"].astype(np.uint8)  # labels "1".."4" as small integers
    arrays = w1.score(sub, rec, as_of=np.datetime64("2025-01-01"), output="numpy")
    assert arrays["id"].tolist() == frame["id"].tolist()
    assert np.array_equal(arrays["score"], frame["score"].to_numpy())
    assert arrays["score_millionths"].dtype == np.int64
    assert np.array_equal(arrays["score_millionths"], (frame["score"] * 1_000_000).round().astype(np.int64))
    assert [w1.tiers[t]["name"] for t in arrays["tier"]] == frame["tier"].astype(str).tolist()
    assert not arrays["score_millionths"].flags.writeable


def test_results_do_not_depend_on_threads_or_chunks(w1, subjects, records):
    big_s = pd.concat([subjects.assign(id=subjects["id"] + 100 * k) for k in range(40)], ignore_index=True)
    big_r = pd.concat([records.assign(subject_id=records["subject_id"] + 100 * k) for k in range(40)],
                      ignore_index=True).sample(frac=1, random_state=3)
    one = w1.evaluate(w1.prepare(big_s, big_r, threads=1), as_of=AS_OF, threads=1).text()
    for threads, chunk in ((2, 7), (0, 2048), (2, 1)):
        table = w1.prepare(big_s, big_r, threads=threads)
        assert w1.evaluate(table, as_of=AS_OF, threads=threads, chunk_size=chunk).text() == one


def test_several_rulebooks_at_once(w1, subjects, records):
    strict = gradus.loads(W1_RULES.read_text().replace("A [90, inf)", "A [95, inf)").replace("B [75, 90)", "B [75, 95)"),
                          name="strict")
    out = gradus.evaluate({"w1": w1, "strict": strict}, subjects, records, as_of=AS_OF)
    assert set(out) == {"w1", "strict"}
    assert out["w1"].equals(w1.score(subjects, records, as_of=AS_OF))
    assert out["strict"].equals(strict.score(subjects, records, as_of=AS_OF))
    a, b = out["w1"], out["strict"]
    moved = (a["score"] >= 90) & (a["score"] < 95)
    assert moved.any() and (b.loc[moved, "tier"] == "B").all() and a["score"].equals(b["score"])
    by_name = gradus.evaluate([w1, strict], subjects, records, as_of=AS_OF, output="numpy")
    assert set(by_name) == {w1.name, "strict"}


def conversion_data(n_rows=4, **subject_overrides):
    subjects = {
        "id": np.arange(1, n_rows + 1),
        "flagged": np.zeros(n_rows, dtype=bool),
        "capital": np.zeros(n_rows),
        "ratio": np.zeros(n_rows),
        "colour": np.array(["red"] * n_rows, dtype=object),
        "founded": np.array(["2000-01-01"] * n_rows, dtype="datetime64[D]"),
    }
    subjects.update(subject_overrides)
    return subjects


def scores_of(rb, subjects, records=None):
    return rb.score(subjects, records, as_of="2025-01-01", output="numpy")["score_millionths"].tolist()


@pytest.fixture(scope="module")
def conv():
    return gradus.load(CONVERSIONS)


def test_floats_round_half_away_from_zero_to_six_decimals(conv):
    values = [0.1234565, 2.675, -0.0000005, 1e-7, 123456.7890125, -2.5e-6, 1e12 + 0.5, 0.3]
    got = scores_of(conv, conversion_data(len(values), capital=np.array(values)))
    expected = [int(decimal.Decimal(repr(v)).quantize(decimal.Decimal("0.000001"), decimal.ROUND_HALF_UP) * 10**6)
                for v in values]
    assert got == expected
    assert got[0] == 123457 and got[2] == -1 and got[3] == 0
    # float32, ints, strings and Decimals
    assert scores_of(conv, conversion_data(2, capital=np.array([0.5, 1.25], dtype=np.float32))) == [500000, 1250000]
    assert scores_of(conv, conversion_data(2, capital=np.array([7, -3], dtype=np.int16))) == [7000000, -3000000]
    objects = np.array([decimal.Decimal("1.000001"), "2.5", 3, 4.25], dtype=object)
    assert scores_of(conv, conversion_data(4, capital=objects)) == [1000001, 2500000, 3000000, 4250000]


def test_bools_enums_and_dates_in_every_accepted_form(conv):
    base = scores_of(conv, conversion_data(2))
    assert base == [0, 0]
    flags = [np.array([True, False]), np.array([1, 0]), np.array(["true", "0"], dtype=object)]
    for f in flags:
        assert scores_of(conv, conversion_data(2, flagged=f)) == [1000 * 10**6, 0]
    colours = [np.array(["green", "red"], dtype=object), np.array(["G", "R"]),
               pd.Categorical(["G", "red"]), pd.Series(["green", "R"], dtype="category")]
    for c in colours:
        assert scores_of(conv, conversion_data(2, colour=c)) == [2000 * 10**6, 0]
    recent = "2024-06-30"
    dates = [np.array([recent, "2000-01-01"], dtype="datetime64[D]"),
             pd.to_datetime([recent, "2000-01-01"]).to_numpy(),  # datetime64[ns]
             np.array([recent, "2000-01-01"], dtype=object),
             np.array([datetime.date(2024, 6, 30), pd.Timestamp("2000-01-01")], dtype=object)]
    for d in dates:
        assert scores_of(conv, conversion_data(2, founded=d)) == [5000 * 10**6, 0]


def test_record_fields_a_kind_lacks_are_not_read(conv):
    records = pd.DataFrame({"subject_id": [2, 1, 1], "kind": ["fine", "note", "fine"],
                            "amount": [np.nan, np.nan, 12.5], "on": ["2024-12-01", "2024-12-01", "2023-01-01"]})
    with pytest.raises(gradus.DataError, match=r"records row 0, column 'amount': NaN"):
        scores_of(conv, conversion_data(2), records)
    records.loc[0, "amount"] = 1
    assert scores_of(conv, conversion_data(2), records) == [(12.5 + 10000) * 10**6, 1 * 10**6]


def test_int64_and_float64_columns_are_read_in_place(w1):
    """No Python-level copy of a contiguous or strided numeric column (numpy allocations are traced)."""
    n = 200_000
    rng = np.random.default_rng(1)
    subjects = {"id": np.arange(n), "sector": pd.Categorical.from_codes(rng.integers(0, 10, n), list(w1.enums["Sector"]["members"])),
                "size": pd.Categorical.from_codes(rng.integers(0, 4, n), w1.enums["Size"]["members"]),
                "years_active": rng.integers(0, 40, 2 * n)[::2]}  # a strided int64 view
    per = 4
    records = {"subject_id": np.repeat(np.arange(n), per),
               "kind": pd.Categorical.from_codes(np.zeros(n * per, dtype=np.int8), w1.kinds),
               "severity": np.full(n * per, 2, dtype=np.int64),
               "age_days": rng.random(n * per) * 1000.0,  # float64
               "amount": rng.integers(0, 10_000, n * per)}
    column_bytes = n * per * 8
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        table = w1.prepare(subjects, records, threads=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert table.record_count == n * per
    assert peak < column_bytes / 4, f"{peak} bytes allocated by Python while preparing"
