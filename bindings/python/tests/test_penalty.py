"""Penalty rules from Python: decisions, structured measures, explanations, the proof, bad breaches."""

import decimal
import io
import json

import numpy as np
import pandas as pd
import pytest

import gradus
from conftest import AS_OF, ROOT, W1_RULES, cli

PENALTIES = ROOT / "rules" / "penalties"
CASES = ROOT / "tests" / "penalty" / "cases"
STATUTES = sorted(p.stem for p in PENALTIES.glob("*.gradus"))
FOOD = PENALTIES / "food_safety.gradus"


def load_cases(name):
    return pd.read_csv(CASES / f"{name}.csv")


def expected(name):
    return pd.read_csv(CASES / f"{name}.expected.csv", dtype=str, keep_default_na=False)


def id_level_measures(frame):
    return pd.DataFrame({"id": frame["id"].astype(str), "level": frame["level"].astype(str),
                         "measures": frame["measures"]})


@pytest.fixture(scope="module")
def food():
    return gradus.load(FOOD)


@pytest.mark.parametrize("name", STATUTES)
def test_statute_cases_are_decided_as_expected(name):
    rb = gradus.load(PENALTIES / f"{name}.gradus")
    assert not rb.has_score
    assert rb.proof.proved and rb.proof.rules == len(rb.penalty_rules) > 0 and rb.proof.cases > 0
    decisions = rb.decide(load_cases(name), threads=2)
    pd.testing.assert_frame_equal(id_level_measures(decisions), expected(name))
    assert decisions["error"].isna().all()


@pytest.mark.parametrize("name", STATUTES)
def test_frame_and_structured_measures_equal_the_cli(name):
    rules, cases = PENALTIES / f"{name}.gradus", CASES / f"{name}.csv"
    rb = gradus.load(rules)
    breaches = load_cases(name)
    code, out, err = cli("penalty", "--rules", rules, "--breaches", cases)
    assert code == 0, err
    want = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    got = rb.decide(breaches)
    as_text = pd.DataFrame({
        "id": got["id"].astype(str), "party": got["party"].astype(str), "date": got["date"].dt.strftime("%Y-%m-%d"),
        "penalty": got["penalty"], "level": got["level"].astype(str), "measures": got["measures"],
        "error": got["error"].fillna(""),
    })
    pd.testing.assert_frame_equal(as_text, want)
    assert str(got["level"].dtype) == "category" and got["level"].cat.ordered
    assert list(got["level"].cat.categories) == ["none", "mitigated", "lighter", "general", "heavier"]

    code, out, err = cli("penalty", "--rules", rules, "--breaches", cases, "--format", "jsonl")
    assert code == 0, err
    amounts = ("low", "high", "statutory_low", "statutory_high")
    cli_measures = []
    for line in out.splitlines():
        ms = json.loads(line)["measures"]
        for m in ms:
            for k in amounts + ("unit",):
                if k in m:
                    m[k] = decimal.Decimal(m[k]) if k in amounts else m[k]
                else:
                    m[k] = None
        cli_measures.append(ms)
    structured = rb.decide(breaches, structured=True)
    assert list(structured["measures"]) == cli_measures
    assert all(isinstance(m[k], decimal.Decimal) for ms in cli_measures for m in ms if m["unit"] for k in amounts)


def test_structured_measures_of_an_escalation():
    rb = gradus.load(PENALTIES / "tendering.gradus")
    ms = rb.decide(load_cases("tendering"), structured=True).set_index("id").loc["T-503", "measures"]
    by_name = {m["measure"]: m for m in ms}
    assert [m["measure"] for m in ms] == ["public_disclosure", "fine", "tender_ban", "permit_revocation",
                                          "individual_fine"]
    assert by_name["permit_revocation"]["escalation"] and by_name["permit_revocation"]["low"] is None
    assert not by_name["fine"]["escalation"]
    fine = by_name["fine"]
    assert (fine["low"], fine["high"], fine["statutory_low"], fine["statutory_high"], fine["unit"]) == (
        decimal.Decimal(65000), decimal.Decimal(85000), decimal.Decimal(50000), decimal.Decimal(100000), "yuan")
    ban = by_name["tender_ban"]
    assert (ban["low"], ban["high"], ban["unit"]) == (12, 24, "months")
    assert "第六十七条" in ban["basis"] and fine["label"] == "罚款"


def test_explain_decision_matches_the_cli():
    rules = PENALTIES / "tendering.gradus"
    rb = gradus.load(rules)
    why = rb.explain_decision(load_cases("tendering"), id="T-503")
    code, _, err = cli("penalty", "--rules", rules, "--breaches", CASES / "tendering.csv", "--explain", "T-503")
    assert code == 0 and why["text"] == err
    assert "escalation: permit_revocation" in why["text"]
    assert (why["id"], why["party"], str(why["date"]), why["penalty"], why["level"], why["error"]) == (
        "T-503", "91110108T000000501", "2022-09-01", "collusion", "general", None)
    assert [m["measure"] for m in why["measures"] if m["escalation"]] == ["permit_revocation"]
    with pytest.raises(KeyError, match="T-999"):
        rb.explain_decision(load_cases("tendering"), id="T-999")


def test_a_breach_that_cannot_be_decided_fails_alone(food):
    breaches = load_cases("food_safety")
    breaches.loc[5, "goods_value"] = 9e12  # 25.5 x V exceeds exact arithmetic
    decisions = food.decide(breaches)
    failed = decisions.iloc[5]
    assert failed["error"] == "fsl123: an amount exceeds the range of exact arithmetic"
    assert pd.isna(failed["level"]) and failed["measures"] == ""
    assert decisions["error"].notna().sum() == 1
    why = food.explain_decision(breaches, id=failed["id"])
    assert why["level"] is None and why["measures"] == [] and "error: fsl123" in why["text"]


def test_disproportionate_rules_fail_the_proof_with_counterexamples():
    path = ROOT / "tests" / "penalty" / "disproportionate.gradus"
    with pytest.raises(gradus.RulebookError) as info:
        gradus.load(path)
    err = info.value
    assert not err.proof.proved and err.proof.rules == 2
    assert [d.code for d in err.diagnostics] == ["E0710", "E0710"]
    dropping, rewarded = err.diagnostics
    assert "'dropping_fine' is not proportionate" in dropping.message and dropping.line == 18
    assert [(n.line, n.message) for n in dropping.notes] == [
        (17, "A: goods_value = 9999.999999 -> level general: fine 65000..85000"),
        (18, "B: goods_value = 10000 -> level general: fine 29000..41000"),
    ]
    assert "'rewarded_refusal' is not proportionate" in rewarded.message
    assert [n.message for n in rewarded.notes] == [
        "A: corrected = true -> level general: warning; fine 2200..3800",
        "B: corrected = false -> level general: warning",
    ]
    code, out, text = cli("check", path)
    assert code == 1 and str(err) == text and "counterexample" in out
    assert [(d.code, d.line, [n.message for n in d.notes]) for d in gradus.check(path)] == [
        (d.code, d.line, [n.message for n in d.notes]) for d in err.diagnostics]


def test_scoring_and_deciding_need_a_score_and_penalty_rules(food):
    with pytest.raises(ValueError, match="food_safety.gradus has no score .only penalty rules.: it cannot score"):
        food.score({}, as_of=AS_OF)
    with pytest.raises(ValueError, match="has no score"):
        food.subject_columns
    w1 = gradus.load(W1_RULES)
    assert w1.has_score and w1.proof.proved and w1.proof.rules == 0 and w1.penalty_rules == []
    with pytest.raises(ValueError, match="w1.gradus has no penalty rules: it cannot decide breaches"):
        w1.decide(load_cases("food_safety"))


def test_a_rulebook_with_a_score_and_penalty_rules_does_both(subjects, records):
    text = W1_RULES.read_text() + (
        "\nbreaches\n  overdue: money increasing\n\n"
        "penalty late \"late filing\"\n  impose fine from 1000 yuan to 5000 yuan\n")
    rb = gradus.loads(text)
    assert rb.has_score and rb.proof.proved and rb.proof.rules == 1
    assert len(rb.score(subjects, records, as_of=AS_OF)) == len(subjects)
    out = rb.decide({"id": [1], "party": ["p"], "date": ["2024-01-02"], "penalty": ["late"], "overdue": [3]})
    assert list(out["measures"]) == ["fine 2200..3800"]


def food_breach(**values):
    row = {"id": ["x"], "party": ["p"], "date": ["2024-01-02"], "penalty": ["fsl125"], "goods_value": [0.0],
           "illegal_gains": [0], "serious": [False], "refused_correction": [False]}
    row.update({k: [v] for k, v in values.items()})
    return row


def test_money_is_converted_as_when_scoring(food):
    # fsl125: a fine of 5,000-50,000 below 10,000 yuan of goods, 5-10 times the value from 10,000
    def fine(value):
        return food.decide(food_breach(goods_value=value))["measures"][0]

    assert fine(9999.9999995) == fine(10000) == fine("10000") == fine(decimal.Decimal("10000")) == "fine 65000..85000"
    assert fine(9999.9999994) == fine(9999.999999) == fine("9999.999999") == "fine 18500..36500"
    assert fine(np.float32(10000)) == "fine 65000..85000"


def test_columns_in_every_accepted_form(food):
    frame = load_cases("food_safety")
    want = food.decide(frame)
    arrays = {c: frame[c].to_numpy() for c in frame}
    arrays["id"] = arrays["id"].astype("U")
    arrays["date"] = pd.to_datetime(frame["date"]).to_numpy().astype("datetime64[D]")
    arrays["penalty"] = frame["penalty"].astype("category")
    arrays["serious"] = frame["serious"].astype(np.int8).to_numpy()
    arrays["refused_correction"] = [("true" if v else "false") for v in frame["refused_correction"]]
    arrays["illegal_gains"] = frame["illegal_gains"].map(decimal.Decimal).to_numpy(dtype=object)
    got = food.decide(arrays)
    pd.testing.assert_frame_equal(got.drop(columns="id"), want.drop(columns="id"))
    assert list(got["id"]) == list(want["id"])
    integer_parties = food.decide(frame.assign(party=np.arange(len(frame)) % 3))
    assert list(integer_parties["party"]) == [i % 3 for i in range(len(frame))]


@pytest.mark.parametrize("change, error, message", [
    (lambda b: b.assign(goods_value=b["goods_value"].where(b.index != 3, -5)), gradus.DataError,
     "breaches row 3, column 'goods_value': negative value -5; breach inputs are amounts and counts"),
    (lambda b: b.assign(goods_value=b["goods_value"].where(b.index != 4, np.nan)), gradus.DataError,
     "breaches row 4, column 'goods_value': NaN"),
    (lambda b: b.assign(penalty=b["penalty"].where(b.index != 2, "fsl12")), gradus.DataError,
     "breaches row 2, column 'penalty': unknown penalty rule 'fsl12' (did you mean 'fsl122'?)"),
    (lambda b: b.assign(penalty=b["penalty"].where(b.index != 2, "fsl12").astype("category")), gradus.DataError,
     "breaches row 2, column 'penalty': unknown penalty rule 'fsl12' (did you mean 'fsl122'?)"),
    (lambda b: b.drop(columns=["serious"]).rename(columns={"goods_value": "goods_valu"}), gradus.DataError,
     "breaches: missing column 'goods_value' (did you mean 'goods_valu'?)\nbreaches: missing column 'serious'"),
    (lambda b: {**{c: b[c].to_numpy() for c in b}, "serious": b["serious"].to_numpy()[:-1]}, gradus.DataError,
     "breaches: column 'serious' has 34 values but column 'id' has 35"),
    (lambda b: b.assign(id=b["id"].where(b.index != 2, "F-001")), gradus.DataError,
     "breaches row 2, column 'id': duplicate id 'F-001' (first at row 0)"),
    (lambda b: b.assign(party=b["party"].where(b.index != 6, "")), gradus.DataError,
     "breaches row 6, column 'party': empty party"),
    (lambda b: b.assign(date=b["date"].where(b.index != 1, "2023-02-30")), gradus.DataError,
     "breaches row 1, column 'date': not a date (YYYY-MM-DD): '2023-02-30'"),
    (lambda b: b.assign(serious=b["serious"].astype(object).where(b.index != 7, "maybe")), gradus.DataError,
     "breaches row 7, column 'serious': not a bool (true, false, 1 or 0): 'maybe'"),
    (lambda b: b.assign(serious=pd.Timestamp("2020-01-01")), TypeError,
     "breaches column 'serious': dtype datetime64[ns] cannot hold a bool"),
    (lambda b: b.assign(date=1.5), TypeError, "breaches column 'date': dtype float64 cannot hold a date"),
])
def test_bad_breaches_name_row_and_column(food, change, error, message):
    with pytest.raises(error) as info:
        food.decide(change(load_cases("food_safety")))
    assert str(info.value).startswith(message)


def test_unknown_enum_value_and_every_bad_column_at_once():
    rb = gradus.load(PENALTIES / "administrative_penalty.gradus")
    breaches = load_cases("administrative_penalty")
    assert list(rb.breach_columns) == list(breaches.columns)  # the cases file has the declared inputs in order
    assert rb.breach_columns["harm"] == "Harm" and rb.breach_columns["committed"] == "date"
    assert (rb.breach_order["harm"], rb.breach_order["corrected"], rb.breach_order["committed"]) == (
        "increasing", "decreasing", None)
    breaches.loc[3, "harm"] = "slite"
    breaches.loc[1, "gravity"] = "minr"
    with pytest.raises(gradus.DataError) as info:
        rb.decide(breaches)
    assert str(info.value) == ("breaches row 1, column 'gravity': unknown Gravity 'minr' (did you mean 'minor'?)\n"
                               "breaches row 3, column 'harm': unknown Harm 'slite'")


def test_decisions_do_not_depend_on_threads_or_how_parties_interleave():
    """Many copies of every statute's cases, each copy with its own parties, the parties' rows interleaved.

    A party's breaches on one date are decided in row order (rules/PENALTIES.md), so each
    party's rows keep their order; the parties are shuffled and interleaved.
    """
    rng = np.random.default_rng(7)
    copies = 60
    for name in STATUTES:
        rb = gradus.load(PENALTIES / f"{name}.gradus")
        cases = load_cases(name)
        big = pd.concat([cases.assign(id=cases["id"] + f"#{k}", party=cases["party"].astype(str) + f"#{k}")
                         for k in range(copies)], ignore_index=True)
        random, key = rng.random(len(big)), np.empty(len(big))
        for rows in big.groupby("party", sort=False).indices.values():
            key[rows] = np.sort(random[rows])  # a random place for each row, in the party's row order
        big = big.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)
        one = rb.decide(big, threads=1)
        for threads in (2, 0, 5):
            pd.testing.assert_frame_equal(rb.decide(big, threads=threads), one)
        assert list(rb.decide(big, threads=2, structured=True)["measures"]) == list(
            rb.decide(big, threads=1, structured=True)["measures"])
        # every copy is decided as the cases are: histories stay within a party
        got = id_level_measures(one).assign(id=one["id"].str.split("#").str[0])
        joined = got.merge(expected(name), on="id", how="left", suffixes=("", "_expected"), validate="many_to_one")
        assert joined["level"].tolist() == joined["level_expected"].tolist()
        assert joined["measures"].tolist() == joined["measures_expected"].tolist()
