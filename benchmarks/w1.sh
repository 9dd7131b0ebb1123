#!/usr/bin/env bash
# W1 figures: the gradus engine against the hand-written reference.
#
#   benchmarks/w1.sh [BUILD_DIR]        (default: build)
#
# Builds nothing: BUILD_DIR must hold gradus_w1, bench_w1 and the gradus CLI
# (cmake --build BUILD_DIR). Generates the W1 data once with `gradus_w1 gen`
# into a cache directory, then measures
#   (a) scoring: bench_w1 (engine 1 and 2 threads, reference, and the engine
#       without folding), and the ratio engine single-thread time / reference time;
#   (b) CSV loading: load_s from `gradus score --timing`, 1 and 2 threads;
#   (c) the CLI end to end: gradus score ... --threads 2 --out /dev/null;
#   (d) the reference tool: gradus_w1 reference (its own loader and scorer);
# and prints a table of medians. It also checks that the CLI's score_sum
# equals the reference's.
#
# Environment:
#   GRADUS_W1_N       subjects (default 1000000)
#   GRADUS_W1_SEED    seed (default 1)
#   GRADUS_W1_DATA    data cache directory (default $TMPDIR/gradus_w1/n<N>_s<SEED>)
#   GRADUS_W1_REPEAT  runs per measurement (default 3)
#   GRADUS_W1_THREADS threads of the multi-threaded runs (default 2)
set -euo pipefail

die() { echo "w1.sh: $*" >&2; exit 1; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
rules="$root/rules/w1.gradus"

build_arg=${1:-build}
if [[ -d $build_arg ]]; then
  build=$(cd "$build_arg" && pwd)
elif [[ -d $root/$build_arg ]]; then
  build=$(cd "$root/$build_arg" && pwd)
else
  die "build directory '$build_arg' not found (configure and build first: cmake -S . -B build && cmake --build build -j2)"
fi

n=${GRADUS_W1_N:-1000000}
seed=${GRADUS_W1_SEED:-1}
repeat=${GRADUS_W1_REPEAT:-3}
threads=${GRADUS_W1_THREADS:-2}
for v in n seed repeat threads; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, not '${!v}'"
done
((repeat >= 1)) || die "GRADUS_W1_REPEAT must be at least 1"
[[ -f $rules ]] || die "missing $rules"

# find_bin NAME CANDIDATE...: the first executable candidate under $build.
find_bin() {
  local name=$1
  shift
  local c
  for c in "$@"; do
    if [[ -x $build/$c && -f $build/$c ]]; then
      echo "$build/$c"
      return 0
    fi
  done
  die "cannot find $name under $build (looked for: $*); build it with: cmake --build $build --target ${name} -j2"
}
w1_tool=$(find_bin gradus_w1 benchmarks/w1/gradus_w1 benchmarks/gradus_w1 gradus_w1)
bench=$(find_bin bench_w1 benchmarks/w1/bench_w1 benchmarks/bench_w1 bench_w1)
cli=$(find_bin gradus gradus src/cli/gradus bin/gradus)

work=$(mktemp -d "${TMPDIR:-/tmp}/gradus_w1_run.XXXXXX")
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print v[int((NR + 1) / 2)] }'; }
# field NAME FILE: the value of NAME=... on the last line of FILE that has it.
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$2" | tail -n 1; }

# ---------------------------------------------------------------- data (cached)
data=${GRADUS_W1_DATA:-${TMPDIR:-/tmp}/gradus_w1/n${n}_s${seed}}
subjects="$data/subjects.csv"
records="$data/records.csv"
stamp="$data/.w1_stamp"
if [[ -f $subjects && -f $records && -f $stamp && $(cat "$stamp") == "n=$n seed=$seed" ]]; then
  echo "w1.sh: using cached data in $data"
else
  echo "w1.sh: generating $n subjects (seed $seed) into $data"
  mkdir -p "$data"
  rm -f "$stamp"
  "$w1_tool" gen --subjects "$n" --seed "$seed" --out "$data"
  echo "n=$n seed=$seed" >"$stamp"
fi

# ---------------------------------------------------------------- (a) scoring
echo "w1.sh: (a) bench_w1: engine vs reference scoring ($repeat repetitions)"
GRADUS_W1_N=$n GRADUS_W1_SEED=$seed "$bench" \
  --benchmark_repetitions="$repeat" --benchmark_report_aggregates_only=true \
  --benchmark_out="$work/bench.csv" --benchmark_out_format=csv \
  || die "bench_w1 failed (see above)"
# bench_time NAME: median wall time of benchmark NAME in seconds.
bench_time() {
  awk -F, -v want="$1" '
    { name = $1; gsub(/"/, "", name) }
    name == (want "/real_time_median") || (name == (want "/real_time") && !seen) {
      t = $3; u = $5; gsub(/"/, "", u)
      s = (u == "ns") ? 1e-9 : (u == "us") ? 1e-6 : (u == "ms") ? 1e-3 : 1
      printf "%.6f\n", t * s; seen = 1; exit
    }' "$work/bench.csv"
}
ref_s=$(bench_time BM_W1_Reference)
eng1_s=$(bench_time BM_W1_Engine/threads:1)
eng2_s=$(bench_time BM_W1_Engine/threads:2)
unf1_s=$(bench_time BM_W1_Unfolded/threads:1)
[[ -n $ref_s && -n $eng1_s && -n $eng2_s && -n $unf1_s ]] || die "could not read the timings from bench_w1's output"

# ---------------------------------------------------------------- (b), (c) the CLI
# cli_runs T: runs the CLI REPEAT times with T threads; sets cli_load, cli_score, cli_write, cli_wall.
cli_runs() {
  local t=$1 k loads=() scores=() writes=() walls=() t0 t1
  for ((k = 0; k < repeat; k++)); do
    t0=$(now)
    "$cli" score --rules "$rules" --subjects "$subjects" --records "$records" --as-of 2025-01-01 \
      --threads "$t" --out /dev/null --timing --no-progress 2>"$work/cli.err" \
      || { cat "$work/cli.err" >&2; die "gradus score --threads $t failed"; }
    t1=$(now)
    loads+=("$(field load_s "$work/cli.err")")
    scores+=("$(field score_s "$work/cli.err")")
    writes+=("$(field write_s "$work/cli.err")")
    walls+=("$(elapsed "$t0" "$t1")")
  done
  [[ -n ${loads[0]} ]] || { cat "$work/cli.err" >&2; die "no load_s=... in the output of gradus score --timing"; }
  cli_load=$(printf '%s\n' "${loads[@]}" | median)
  cli_score=$(printf '%s\n' "${scores[@]}" | median)
  cli_write=$(printf '%s\n' "${writes[@]}" | median)
  cli_wall=$(printf '%s\n' "${walls[@]}" | median)
  cli_sum=$(field score_sum "$work/cli.err")
}
echo "w1.sh: (b) CSV load and (c) end to end: gradus score, 1 and $threads threads ($repeat runs each)"
cli_runs 1
load1=$cli_load score1=$cli_score wall1=$cli_wall
cli_runs "$threads"
loadT=$cli_load scoreT=$cli_score writeT=$cli_write wallT=$cli_wall sumT=$cli_sum

# ---------------------------------------------------------------- (d) the reference tool
echo "w1.sh: (d) gradus_w1 reference ($repeat runs)"
ref_loads=() ref_scores=() ref_walls=()
for ((k = 0; k < repeat; k++)); do
  t0=$(now)
  "$w1_tool" reference --subjects "$subjects" --records "$records" --repeat 5 \
    >"$work/ref.out" 2>"$work/ref.err" || { cat "$work/ref.err" >&2; die "gradus_w1 reference failed"; }
  t1=$(now)
  ref_loads+=("$(field load_s "$work/ref.err")")
  ref_scores+=("$(field score_s "$work/ref.err")")
  ref_walls+=("$(elapsed "$t0" "$t1")")
done
ref_load=$(printf '%s\n' "${ref_loads[@]}" | median)
ref_tool_score=$(printf '%s\n' "${ref_scores[@]}" | median)
ref_wall=$(printf '%s\n' "${ref_walls[@]}" | median)
ref_sum=$(field score_sum "$work/ref.out")
nrec=$(field records "$work/ref.out")

# ---------------------------------------------------------------- report
echo
cat "$work/ref.out"
echo
check="not compared (no score_sum= in the CLI summary)"
if [[ -n $sumT ]]; then
  if [[ $sumT == "$ref_sum" ]]; then
    check="CLI score_sum equals the reference's ($ref_sum)"
  else
    check="MISMATCH: CLI score_sum=$sumT, reference score_sum=$ref_sum"
  fi
fi

rate() { awk -v n="$n" -v s="$1" 'BEGIN { if (s > 0) printf "%8.2f M", n / s / 1e6; else print "       -" }'; }
row() {
  if [[ $2 =~ ^[0-9]+([.][0-9]*)?$ ]]; then
    printf '%-46s %10.4f %12s\n' "$1" "$2" "$(rate "$2")"
  else
    printf '%-46s %10s %12s\n' "$1" "n/a" ""
  fi
}
echo "W1 figures: $n subjects, $nrec records, seed $seed; medians of $repeat runs"
printf '%-46s %10s %12s\n' "" "seconds" "subjects/s"
row "scoring  reference, 1 thread (bench_w1)" "$ref_s"
row "scoring  engine, 1 thread (bench_w1)" "$eng1_s"
row "scoring  engine, 2 threads (bench_w1)" "$eng2_s"
row "scoring  engine without folding, 1 thread" "$unf1_s"
row "scoring  engine, CLI --threads 1 (score_s)" "$score1"
row "scoring  engine, CLI --threads $threads (score_s)" "$scoreT"
row "load     CLI --threads 1 (load_s)" "$load1"
row "load     CLI --threads $threads (load_s)" "$loadT"
row "load     reference tool, 1 thread (load_s)" "$ref_load"
row "write    CLI --threads $threads to /dev/null (write_s)" "$writeT"
row "total    CLI --threads 1, wall" "$wall1"
row "total    CLI --threads $threads, wall" "$wallT"
row "total    reference tool, wall" "$ref_wall"
echo
awk -v e="$eng1_s" -v r="$ref_s" -v e2="$eng2_s" 'BEGIN {
  printf "ratio engine 1-thread time / reference time: %.2f  (goal: at most 2, i.e. half the reference speed)\n", e / r
  printf "ratio engine %s-thread time / reference time: %.2f\n", "2", e2 / r
}'
echo "reference tool scoring + check (score_s): $ref_tool_score s"
echo "check: $check"
[[ $check != MISMATCH* ]] || exit 1
