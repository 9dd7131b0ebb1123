#!/usr/bin/env bash
# The statute rulebooks of rules/penalties: each must prove proportionate, and
# `gradus penalty` must decide every case of tests/penalty/cases/<name>.csv as
# <name>.expected.csv says (id, level, measures; derivations in cases/README.md).
#
#   cases_test.sh GRADUS_BINARY REPO_ROOT
set -euo pipefail
gradus=$1
root=$2
status=0
for rules in "$root"/rules/penalties/*.gradus; do
  name=$(basename "$rules" .gradus)
  cases=$root/tests/penalty/cases/$name.csv
  expected=$root/tests/penalty/cases/$name.expected.csv
  out=$("$gradus" check "$rules" 2>&1) || { echo "FAIL $name: gradus check"; echo "$out"; status=1; continue; }
  grep -q "proportionality: proved" <<<"$out" || { echo "FAIL $name: no proof line"; echo "$out"; status=1; }
  [[ -f $cases ]] || { echo "FAIL $name: no cases file $cases"; status=1; continue; }
  actual=$("$gradus" penalty --rules "$rules" --breaches "$cases" --threads 2 | awk -F, '{print $1","$5","$6}')
  if ! diff <(echo "$actual") "$expected" >/tmp/gradus_cases_$$.diff; then
    echo "FAIL $name: decisions differ from $expected (< actual, > expected)"
    cat /tmp/gradus_cases_$$.diff
    status=1
  else
    echo "ok   $name ($(($(wc -l <"$expected") - 1)) cases)"
  fi
  rm -f /tmp/gradus_cases_$$.diff
done
exit $status
