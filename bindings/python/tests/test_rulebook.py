"""Loading and checking rulebooks: diagnostics, errors, what a rulebook exposes."""

import pytest

import gradus
from conftest import W1_RULES, cli

BAD = 'rulebook "x"\nsubjects\n  id: key\n  a: integr\n'


def test_load_file_and_string_agree(w1):
    rb = gradus.loads(W1_RULES.read_text(), name="w1")
    assert rb.title == w1.title == "W1 sector scoring"
    assert rb.name == "w1" and w1.name == str(W1_RULES)
    assert [t["name"] for t in w1.tiers] == ["A", "B", "C", "D"]
    assert [o["name"] for o in w1.overrides] == ["grave_violation", "court_order"]
    assert list(w1.subject_columns) == ["id", "sector", "size", "years_active"]
    assert list(w1.record_columns) == ["subject_id", "kind", "severity", "age_days", "amount"]
    assert w1.enums["Severity"]["ordered"] and w1.enums["Severity"]["labels"] == ["1", "2", "3", "4"]
    assert w1.tiers[0]["sampling"] == gradus.loads(w1.text).tiers[0]["sampling"]
    assert "load_subject" in w1.listing()


def test_rule_errors_raise_with_structured_diagnostics(tmp_path):
    path = tmp_path / "bad.gradus"
    path.write_text(BAD)
    with pytest.raises(gradus.RulebookError) as info:
        gradus.load(path)
    err = info.value
    assert isinstance(err, ValueError)
    codes = [(d.code, d.line, d.column, d.severity) for d in err.diagnostics]
    assert ("E0202", 4, 6, "error") in codes
    unknown = next(d for d in err.diagnostics if d.code == "E0202")
    assert unknown.file == str(path) and "integr" in unknown.message and unknown.end_column == 12
    # printed exactly as `gradus check` prints them
    code, out, text = cli("check", path)
    assert code == 1 and str(err) == text
    assert str(unknown) in text and str(unknown).startswith(f"{path}:4:6: error[E0202]")


def test_check_returns_diagnostics_without_raising(tmp_path):
    diags = gradus.check_string(BAD, name="bad")
    assert {d.code for d in diags} >= {"E0202", "E0405"}
    assert all(d.file == "bad" for d in diags)
    assert gradus.check(W1_RULES) == []
    path = tmp_path / "bad.gradus"
    path.write_text(BAD)
    assert [d.code for d in gradus.check(path)] == [d.code for d in diags]


def test_warnings_do_not_stop_a_rulebook():
    text = W1_RULES.read_text().replace("let weight =", "let unused = 1\nlet weight =")
    rb = gradus.loads(text)
    assert [d.code for d in rb.diagnostics] == ["W0001"]
    assert rb.diagnostics[0].severity == "warning"


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        gradus.load(tmp_path / "nope.gradus")
    with pytest.raises(OSError):
        gradus.check(tmp_path / "nope.gradus")
