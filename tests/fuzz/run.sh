#!/usr/bin/env bash
# Runs the libFuzzer targets of a GRADUS_FUZZ=ON build.
#
#   run.sh BUILD TARGET SECONDS [libFuzzer flags...]   fuzz TARGET for SECONDS, growing
#                                                      BUILD/fuzz/corpus/TARGET
#   run.sh --check BUILD TARGET                        run TARGET over its seeds and
#                                                      regressions, plus a short fixed-seed
#                                                      mutation run (3,000 inputs or 2 minutes;
#                                                      what CI does)
#
# TARGET is fuzz_rules, fuzz_csv, fuzz_eval or fuzz_breaches. Seeds are assembled from the
# repository (rules/, tests/golden, tests/io/data, examples/w1, tests/bad_inputs, tests/penalty/cases)
# into BUILD/fuzz/seeds/TARGET; crashes land in BUILD/fuzz/artifacts/TARGET.
# libFuzzer's final statistics (#execs, cov, ft, corpus) are printed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
check=0
if [[ ${1:-} == --check ]]; then check=1; shift; fi
build=$(cd "$1" && pwd) target=$2
shift 2
exe=$build/tests/fuzz/$target
[[ -x $exe ]] || { echo "run.sh: $exe not built (configure with -DGRADUS_FUZZ=ON)" >&2; exit 2; }

work=$build/fuzz
seeds=$work/seeds/$target
rm -rf "$seeds" && mkdir -p "$seeds" "$work/corpus/$target" "$work/artifacts/$target"

# csv_seed NAME SUBJECTS RECORDS: option bytes 0..7 in front of "subjects NUL records"
csv_seed() {
  local flags
  for flags in 0 1 2 4 7; do
    { printf "\\x0$flags"; cat "$2"; printf '\0'; cat "$3"; } > "$seeds/$1.$flags"
  done
}
case $target in
  fuzz_rules|fuzz_eval)
    find "$repo/rules" "$repo/tests/golden" "$repo/tests/bad_inputs" -name '*.gradus' |
      while read -r f; do cp "$f" "$seeds/$(echo "${f#"$repo"/}" | tr / _)"; done ;;
  fuzz_csv)
    csv_seed io_data "$repo/tests/io/data/subjects.csv" "$repo/tests/io/data/records.csv"
    csv_seed w1 "$repo/examples/w1/subjects.csv" "$repo/examples/w1/records.csv"
    bad=$repo/tests/bad_inputs/csv
    for name in $(ls "$bad" | sed -n 's/\.\(subjects\|records\)\.csv$//p' | sort -u); do
      s=$bad/$name.subjects.csv r=$bad/$name.records.csv
      [[ -e $s ]] || s=$bad/good.subjects.csv
      [[ -e $r ]] || r=$bad/good.records.csv
      csv_seed "bad_$name" "$s" "$r"
    done ;;
  fuzz_breaches)  # option byte: statute index << 1 (rules/penalties, alphabetical), bit 0 two threads
    i=0
    for statute in administrative_penalty food_safety tax_administration tendering work_safety; do
      for threads in 0 1; do
        { printf "\\x$(printf %02x $((i * 2 + threads)))"; cat "$repo/tests/penalty/cases/$statute.csv"; } \
          > "$seeds/$statute.$threads"
      done
      i=$((i + 1))
    done ;;
  *) echo "run.sh: unknown target $target" >&2; exit 2 ;;
esac
regressions=$here/regressions/$target

common=(-dict="$here/gradus.dict" -max_len=65536 -timeout=120 -rss_limit_mb=4096
        -artifact_prefix="$work/artifacts/$target/" -print_final_stats=1)
if ((check)); then
  # A scratch corpus first, so nothing is written into the repository.
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  dirs=("$seeds")
  [[ -d $regressions ]] && dirs+=("$regressions")
  exec "$exe" "${common[@]}" -seed=1 -runs=3000 -max_total_time=120 "$scratch" "${dirs[@]}"
fi
seconds=$1
shift
exec "$exe" "${common[@]}" -max_total_time="$seconds" "$@" "$work/corpus/$target" "$seeds" \
  $([[ -d $regressions ]] && echo "$regressions")
