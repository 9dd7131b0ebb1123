"""Every kind of wrong input gets a Python exception naming where and why; nothing crashes."""

import numpy as np
import pandas as pd
import pytest

import gradus
from conftest import AS_OF


def score(rb, subjects, records, **kw):
    return rb.score(subjects, records, as_of=kw.pop("as_of", AS_OF), **kw)


def test_missing_columns_are_listed_with_suggestions(w1, subjects, records):
    with pytest.raises(gradus.DataError) as info:
        score(w1, subjects.rename(columns={"sector": "sectr", "size": "sz"}), records)
    assert str(info.value) == ("subjects: missing column 'sector' (did you mean 'sectr'?)\n"
                               "subjects: missing column 'size'")
    with pytest.raises(gradus.DataError, match="records: missing column 'kind'"):
        score(w1, subjects, records.drop(columns=["kind"]))


def test_wrong_dtype_is_a_type_error(w1, subjects, records):
    with pytest.raises(TypeError, match=r"records column 'age_days': dtype datetime64\[ns\] cannot hold a days"):
        score(w1, subjects, records.assign(age_days=pd.Timestamp("2020-01-01")))
    with pytest.raises(TypeError, match=r"subjects column 'sector': dtype bool cannot hold a Sector"):
        score(w1, subjects.assign(sector=True), records)
    with pytest.raises(TypeError, match="one-dimensional"):
        score(w1, {c: subjects[c].to_numpy() for c in subjects} | {"size": np.zeros((24, 2))}, records)
    with pytest.raises(TypeError, match="DataFrame or a dict"):
        score(w1, [1, 2, 3], records)
    with pytest.raises(TypeError, match="cannot hold ids"):
        score(w1, subjects.assign(id=subjects["id"] * 1.5), records)


def test_unknown_enum_value_names_row_and_column(w1, subjects, records):
    bad = subjects.copy()
    bad.loc[5, "sector"] = "medicl"
    with pytest.raises(gradus.DataError) as info:
        score(w1, bad, records)
    assert str(info.value) == "subjects row 5, column 'sector': unknown Sector 'medicl' (did you mean 'medical'?)"
    cat = bad.astype({"sector": "category"})
    with pytest.raises(gradus.DataError, match="subjects row 5, column 'sector': unknown Sector 'medicl'"):
        score(w1, cat, records)
    rec = records.copy()
    rec.loc[7, "kind"] = "violaton"
    with pytest.raises(gradus.DataError, match=r"records row 7, column 'kind': unknown kind 'violaton' \(did you mean 'violation'\?\)"):
        score(w1, subjects, rec)
    rec = records.copy()
    rec.loc[3, "severity"] = 9  # a violation: severity is read; labels are 1..4
    with pytest.raises(gradus.DataError, match="records row 3, column 'severity': unknown Severity '9'"):
        score(w1, subjects, rec)


def test_mismatched_lengths(w1, subjects, records):
    sub = {c: subjects[c].to_numpy() for c in subjects}
    sub["years_active"] = sub["years_active"][:-1]
    with pytest.raises(gradus.DataError, match="subjects: column 'years_active' has 23 values but column 'id' has 24"):
        score(w1, sub, records)


def test_ids_duplicate_unknown_missing(w1, subjects, records):
    dup = subjects.copy()
    dup.loc[9, "id"] = 4
    with pytest.raises(gradus.DataError, match=r"subjects row 9, column 'id': duplicate id '4' \(first at row 3\)"):
        score(w1, dup, records)
    rec = records.copy()
    rec.loc[11, "subject_id"] = 999
    with pytest.raises(gradus.DataError, match="records row 11, column 'subject_id': unknown subject id '999'"):
        score(w1, subjects, rec)
    text_ids = subjects.assign(id=subjects["id"].astype(str).astype(object))
    text_ids.loc[2, "id"] = None
    with pytest.raises(gradus.DataError, match="subjects row 2, column 'id': missing id"):
        score(w1, text_ids, records)
    # integer ids on one side and text on the other are matched as text
    assert score(w1, subjects.assign(id=subjects["id"].astype(str)), records)["score"].equals(
        score(w1, subjects, records)["score"])


def test_nan_and_bad_numbers(w1, subjects, records):
    rec = records.astype({"age_days": float})
    rec.loc[4, "age_days"] = np.nan
    with pytest.raises(gradus.DataError, match="records row 4, column 'age_days': NaN"):
        score(w1, subjects, rec)
    rec.loc[4, "age_days"] = np.inf
    with pytest.raises(gradus.DataError, match="records row 4, column 'age_days': infinite value"):
        score(w1, subjects, rec)
    sub = subjects.astype({"years_active": float})
    sub.loc[1, "years_active"] = 2.5
    with pytest.raises(gradus.DataError, match="subjects row 1, column 'years_active': not a whole number: 2.5"):
        score(w1, sub, records)
    sub = subjects.astype({"years_active": object})
    sub.loc[0, "years_active"] = "1.5e3"
    with pytest.raises(gradus.DataError, match="subjects row 0, column 'years_active': not a whole number: '1.5e3'"):
        score(w1, sub, records)
    with pytest.raises(gradus.DataError, match="out of range"):
        score(w1, subjects.assign(years_active=np.uint64(2**63)), records)
    nullable = subjects.astype({"years_active": "Int64"})
    nullable.loc[6, "years_active"] = pd.NA
    with pytest.raises(gradus.DataError, match=r"subjects row 6, column 'years_active': missing value \(pd.NA\)"):
        score(w1, nullable, records)


def test_several_problems_are_reported_together(w1, subjects, records):
    sub = subjects.copy()
    sub.loc[3, "size"] = "huge"
    sub.loc[1, "sector"] = "x"
    with pytest.raises(gradus.DataError) as info:
        score(w1, sub, records)
    lines = str(info.value).splitlines()
    assert [line.split(":")[0] for line in lines] == ["subjects row 1, column 'sector'", "subjects row 3, column 'size'"]


def test_bad_arguments(w1, subjects, records):
    with pytest.raises(ValueError, match="as_of: not a date"):
        score(w1, subjects, records, as_of="2025-13-01")
    with pytest.raises(TypeError):
        w1.score(subjects, records)  # the evaluation date is always explicit
    with pytest.raises(ValueError, match="threads"):
        score(w1, subjects, records, threads=-1)
    with pytest.raises(ValueError, match="chunk_size"):
        score(w1, subjects, records, chunk_size=0)
    with pytest.raises(ValueError, match="output"):
        score(w1, subjects, records, output="arrow")
    with pytest.raises(ValueError, match="format"):
        w1.evaluate(w1.prepare(subjects, records), as_of=AS_OF).text("xml")


def test_a_table_of_another_schema_is_refused(w1, subjects, records):
    other = gradus.loads(w1.text.replace("years_active: integer", "years_active: decimal"))
    table = w1.prepare(subjects, records)
    with pytest.raises(ValueError, match="schema differs"):
        other.evaluate(table, as_of=AS_OF)


def test_failed_subjects_carry_their_error():
    rb = gradus.loads("""rulebook "div"
subjects
  id: key
  d: integer
records
  subject_id: subject
score
  start at 100
  deduct x: 10 / d
tiers
  A [50, inf)
  B (-inf, 50)
supervision
  tier A sampling 1%
  tier B sampling 2%
""")
    out = rb.score({"id": np.array(["a", "b"], dtype=object), "d": np.array([0, 5])}, None, as_of=AS_OF)
    assert np.isnan(out["score"][0]) and pd.isna(out["tier"][0]) and "division by zero" in out["error"][0]
    assert out["score"][1] == 98 and out["tier"][1] == "A" and out["error"][1] is None
