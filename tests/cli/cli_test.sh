#!/usr/bin/env bash
# End-to-end tests of the gradus command line: cli_test.sh GRADUS SOURCE_DIR CASE
set -uo pipefail
gradus=$1 src=$2 case=$3
cd "$src" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ex=examples/w1
fail() { echo "FAIL [$case]: $*" >&2; exit 1; }
run() { "$gradus" "$@" >"$work/out" 2>"$work/err"; echo $? >"$work/code"; }
code() { cat "$work/code"; }
expect_code() { [ "$(code)" = "$1" ] || fail "exit code $(code), expected $1; stderr: $(head -c 600 "$work/err")"; }
expect_err() { grep -qF -- "$1" "$work/err" || fail "stderr lacks '$1': $(head -c 600 "$work/err")"; }

case $case in
  score_example)  # the Quick start job: exact output, summary and explanation
    run score --rules rules/w1.gradus --subjects $ex/subjects.csv --records $ex/records.csv --as-of 2025-01-01 --explain 3
    expect_code 0
    diff -u tests/golden/cli/w1_example.csv "$work/out" || fail "output differs from tests/golden/cli/w1_example.csv"
    expect_err "score_sum=2103.875000"
    expect_err "override grave_violation: tier C -> D"
    ;;
  jsonl)
    run score --rules rules/w1.gradus --subjects $ex/subjects.csv --records $ex/records.csv --as-of 2025-01-01 --format jsonl --no-summary
    expect_code 0
    [ "$(wc -l <"$work/out")" = 24 ] || fail "expected 24 JSON lines"
    grep -q '"id":"3"' "$work/out" || fail "no object for subject 3"
    grep -q '"overrides":\["grave_violation"\]' "$work/out" || fail "overrides not listed"
    ;;
  same_bytes_any_threads)  # results do not depend on threads or chunk size
    for opts in "--threads 1 --chunk-size 256" "--threads 2 --chunk-size 1" "--threads 3 --chunk-size 5" "--threads 0 --chunk-size 4096"; do
      # shellcheck disable=SC2086
      "$gradus" score --rules rules/w1.gradus --subjects $ex/subjects.csv --records $ex/records.csv --as-of 2025-01-01 $opts --no-summary >"$work/o_${opts// /_}" || fail "score failed with $opts"
    done
    first=$(ls "$work"/o_* | head -1)
    for f in "$work"/o_*; do cmp -s "$first" "$f" || fail "$(basename "$f") differs from $(basename "$first")"; done
    ;;
  timing)
    run score --rules rules/w1.gradus --subjects $ex/subjects.csv --records $ex/records.csv --as-of 2025-01-01 --out "$work/o.csv" --timing --no-summary
    expect_code 0
    grep -Eq '^load_s=[0-9.]+ score_s=[0-9.]+ write_s=[0-9.]+$' "$work/err" || fail "no timing line: $(cat "$work/err")"
    [ "$(wc -l <"$work/o.csv")" = 25 ] || fail "--out file should hold a header and 24 rows"
    ;;
  check_ok)
    run check rules/w1.gradus rules/food_drug.gradus rules/construction.gradus
    expect_code 0
    grep -q "rules/w1.gradus: ok" "$work/out" || fail "no ok line"
    ;;
  check_errors)
    run check tests/golden/check/many_errors.gradus
    expect_code 1
    expect_err "error[E0203]"
    expect_err "errors,"
    ;;
  missing_as_of)  # the evaluation date is never taken from the clock
    run score --rules rules/w1.gradus --subjects $ex/subjects.csv --records $ex/records.csv
    expect_code 2
    expect_err "--as-of is required"
    ;;
  bad_as_of)
    run score --rules rules/w1.gradus --subjects $ex/subjects.csv --records $ex/records.csv --as-of 2025-02-30
    expect_code 2
    expect_err "'2025-02-30' is not a date"
    ;;
  bad_threads)
    run score --rules rules/w1.gradus --subjects $ex/subjects.csv --records $ex/records.csv --as-of 2025-01-01 --threads -3
    expect_code 2
    ;;
  missing_file)
    run score --rules rules/w1.gradus --subjects "$work/none.csv" --records $ex/records.csv --as-of 2025-01-01
    expect_code 2
    expect_err "none.csv"
    ;;
  bad_rules)
    run score --rules tests/golden/check/E0203_unknown_name.gradus --subjects $ex/subjects.csv --records $ex/records.csv --as-of 2025-01-01
    expect_code 1
    expect_err "error[E0203]"
    ;;
  bad_data)  # a bad row stops the run, named by file, line and field
    cp $ex/subjects.csv "$work/s.csv"
    sed '5s/violation/violaton/' $ex/records.csv >"$work/r.csv"
    run score --rules rules/w1.gradus --subjects "$work/s.csv" --records "$work/r.csv" --as-of 2025-01-01
    expect_code 1
    expect_err "r.csv:5: field 'kind'"
    expect_err "did you mean 'violation'"
    ;;
  reject)  # with --reject the bad row is quarantined and counted, the rest scored
    sed '5s/violation/violaton/' $ex/records.csv >"$work/r.csv"
    run score --rules rules/w1.gradus --subjects $ex/subjects.csv --records "$work/r.csv" --as-of 2025-01-01 --reject "$work/rejects.csv" --no-summary
    expect_code 0
    expect_err "1 record rows rejected"
    grep -q "violaton" "$work/rejects.csv" || fail "reject file lacks the row"
    [ "$(wc -l <"$work/out")" = 25 ] || fail "every subject must still be scored"
    ;;
  explain_unknown)
    run score --rules rules/w1.gradus --subjects $ex/subjects.csv --records $ex/records.csv --as-of 2025-01-01 --explain nobody
    expect_code 2
    expect_err "no subject with id 'nobody'"
    ;;
  plan)
    run plan rules/w1.gradus
    expect_code 0
    grep -q "agg_sum" "$work/out" || fail "no plan listing"
    ;;
  comprehensive)  # several rulebooks over the same subjects: a tier per category and the combination
    run score --rules rules/comprehensive.gradus --subjects examples/multi/subjects.csv --data examples/multi --as-of 2025-04-01 --explain c04
    expect_code 0
    diff -u tests/golden/cli/comprehensive.csv "$work/out" || fail "output differs from tests/golden/cli/comprehensive.csv"
    expect_err "record 15 (work_safety): 2  <- decides"
    expect_err "record 17 (ecology_environment): 3"
    grep -qF "(ecology_environment): 3  <- decides" "$work/err" && fail "a better category marked as deciding"
    expect_err "  category statistics:"
    expect_err "category tax:"
    ;;
  comprehensive_usage)  # a combination reads its categories' data from --data, never --records
    run score --rules rules/comprehensive.gradus --subjects examples/multi/subjects.csv --records $ex/records.csv --data examples/multi --as-of 2025-04-01
    expect_code 2
    expect_err "their records come from --data DIR"
    run score --rules rules/comprehensive.gradus --subjects examples/multi/subjects.csv --as-of 2025-04-01
    expect_code 2
    expect_err "category 'food_drug' reads records"
    run score --rules rules/w1.gradus --subjects $ex/subjects.csv --as-of 2025-01-01
    expect_code 2
    expect_err "reads records: give --records FILE"
    ;;
  variants)  # one rulebook, two local schemes
    run score --rules rules/samr_credit_risk.gradus --variant county --subjects tests/schemes/samr/subjects.csv --records tests/schemes/samr/records.csv --as-of 2025-01-01 --no-summary
    expect_code 0
    head -1 "$work/out" | grep -q ',interval_days,checks_per_year,' || fail "no checks_per_year column"
    grep -q '^S1,100,A,"\[0, 0.05\]",,"\[0, 1)",' "$work/out" || fail "county A row: $(cat "$work/out")"
    run score --rules rules/samr_credit_risk.gradus --variant town --subjects tests/schemes/samr/subjects.csv --records tests/schemes/samr/records.csv --as-of 2025-01-01
    expect_code 1
    expect_err "error[E0604]: no variant 'town'"
    run check rules/samr_credit_risk.gradus rules/tax_credit.gradus
    expect_code 0
    grep -q "rules/samr_credit_risk.gradus as variant city: ok" "$work/out" || fail "variants not checked: $(cat "$work/out")"
    grep -q "rules/tax_credit.gradus as variant y2025: ok" "$work/out" || fail "variants not checked"
    ;;
  invalid_inputs)  # values outside a scheme's published set, and a level unknown to the scheme
    printf 'id,hygiene,structure,confidence\na,15,0,0\nb,0,0,15\n' >"$work/s.csv"
    run score --rules rules/fhrs.gradus --subjects "$work/s.csv" --as-of 2025-01-01
    expect_code 1
    expect_err "s.csv:3: field 'confidence': not one of the allowed values 0, 5, 10, 20, 30 (value '15')"
    sed '2s/,B,0,0,0,/,E,0,0,0,/' tests/schemes/tax/subjects.csv >"$work/t.csv"
    run score --rules rules/tax_credit.gradus --subjects "$work/t.csv" --records tests/schemes/tax/records.csv --as-of 2025-04-01
    expect_code 1
    expect_err "t.csv:2: field 'previous_level': unknown Level 'E'"
    ;;
  *) fail "unknown case" ;;
esac
echo "ok [$case]"
