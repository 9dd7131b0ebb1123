#!/usr/bin/env bash
# Runs one case of the bad-input catalogue and compares what gradus prints
# (exit code, standard output, standard error) with the case's .out file.
#
#   run.sh GRADUS REPO rules NAME   gradus check rules/NAME.gradus
#   run.sh GRADUS REPO csv NAME     gradus score with csv/schema.gradus on csv/NAME.subjects.csv
#                                   and csv/NAME.records.csv (the good.* file stands in for a missing one)
#   run.sh GRADUS REPO cli NAME     gradus with the arguments in cli/NAME.args, one a line;
#                                   @TMP@ in an argument is a scratch directory
#
# Paths are relative to REPO, where the command runs. GRADUS_UPDATE_GOLDEN=1
# writes the .out file instead of comparing (review the diff before committing).
set -uo pipefail
gradus=$1 repo=$2 kind=$3 name=$4
cd "$repo" || exit 2
dir=tests/bad_inputs/$kind
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case $kind in
  rules)
    args=(check "$dir/$name.gradus") ;;
  csv)
    subjects=$dir/$name.subjects.csv records=$dir/$name.records.csv
    [[ -e $subjects ]] || subjects=$dir/good.subjects.csv
    [[ -e $records ]] || records=$dir/good.records.csv
    args=(score --rules "$dir/schema.gradus" --subjects "$subjects" --records "$records" --as-of 2025-01-01
          --no-progress) ;;
  cli)
    args=()
    while IFS= read -r line || [[ -n $line ]]; do args+=("${line//@TMP@/$tmp}"); done < "$dir/$name.args" ;;
  *) echo "run.sh: unknown kind $kind" >&2; exit 2 ;;
esac

"$gradus" "${args[@]}" > "$tmp/stdout" 2> "$tmp/stderr" < /dev/null
code=$?
# Sanitizer builds may print to stderr; anything unexpected there fails the comparison.
actual=$(printf 'exit %d\n--- stdout\n' "$code"; cat "$tmp/stdout"; printf -- '--- stderr\n'; sed "s|$tmp|@TMP@|g" "$tmp/stderr")
expected_file=$dir/$name.out
if [[ ${GRADUS_UPDATE_GOLDEN:-} == 1 ]]; then
  printf '%s\n' "$actual" > "$expected_file"
  echo "wrote $expected_file"
  exit 0
fi
[[ -e $expected_file ]] || { echo "missing $expected_file; create it with GRADUS_UPDATE_GOLDEN=1 and review it" >&2; exit 1; }
if ! diff -u "$expected_file" <(printf '%s\n' "$actual"); then
  echo "case $kind/$name: output differs from $expected_file" >&2
  exit 1
fi
# Never a crash: gradus exits 0 to 3 (README, Command line).
((code <= 3)) || { echo "case $kind/$name: exit code $code" >&2; exit 1; }
