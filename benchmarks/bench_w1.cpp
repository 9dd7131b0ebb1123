// bench_w1: the W1 workload, gradus engine against the hand-written reference.
//
// Generates N subjects in memory (N from GRADUS_W1_N, default 1'000'000; seed
// from GRADUS_W1_SEED, default 1), compiles rules/w1.gradus (GRADUS_W1_RULES
// overrides the path), converts the data into a SubjectTable, and checks once,
// before any timing, that engine and reference agree on every subject's score,
// tier and sampling ratio. Then:
//   BM_W1_Reference            the reference scorer, one thread, into reused arrays
//   BM_W1_Engine/threads:T     gradus::evaluate with EvalOptions::threads = T
//   BM_W1_Unfolded/threads:T   the same with EvalOptions::fold off: every aggregation
//                              runs as instructions (the general path)
//   BM_W1_Borrowed/threads:T   gradus::evaluate on a table that reads the generator's
//                              narrow columns in place (Column::borrow), no copy
//   BM_W1_Linked/threads:T     the whole job from columns as an application holds them:
//                              subject ids and each record's subject id (int64) to record
//                              offsets (gradus::offsets_by_id), a table borrowing the
//                              narrow columns, and gradus::evaluate
// items_per_second is subjects per second; times are wall-clock.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "gradus/gradus.hpp"
#include "w1_data.hpp"
#include "w1_reference.hpp"
#include "w1_table.hpp"

#ifndef GRADUS_W1_RULES
#define GRADUS_W1_RULES "rules/w1.gradus"
#endif

namespace {

struct Workload {
  gradus::w1::Data data;
  gradus::w1::Scores reference;
  std::shared_ptr<const gradus::Plan> plan;
  gradus::SubjectTable table;
  gradus::SubjectTable borrowed;  // reads `data` in place
  std::vector<std::int64_t> ids, links;  // subject ids, and each record's subject id
  std::int64_t as_of = 0;
};

Workload* g_workload = nullptr;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  if (*end != '\0') {
    std::fprintf(stderr, "bench_w1: %s='%s' is not a whole number\n", name, v);
    std::exit(2);
  }
  return n;
}

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_w1: %s\n", message.c_str());
  std::exit(1);
}

/// Dies with the first difference between the engine's outcomes and the reference.
void verify(const Workload& w, const gradus::Outcomes& out, unsigned threads) {
  const std::size_t n = w.data.subject_count();
  const auto& plan = *w.plan;
  if (out.size() != n) die("engine returned " + std::to_string(out.size()) + " outcomes for " +
                           std::to_string(n) + " subjects");
  if (!out.errors.empty()) {
    die("engine failed on subject " + w.table.ids[out.errors.front().subject] + ": " +
        out.errors.front().message);
  }
  // Reference tier index -> plan tier index, by name.
  int tier_of[gradus::w1::kTierCount];
  for (std::size_t t = 0; t < gradus::w1::kTierCount; ++t) {
    tier_of[t] = -1;
    for (std::size_t p = 0; p < plan.tiers.size(); ++p) {
      if (plan.tiers[p].name == gradus::w1::kTierNames[t]) tier_of[t] = static_cast<int>(p);
    }
    if (tier_of[t] < 0) die("the plan has no tier " + std::string(gradus::w1::kTierNames[t]));
    const auto& sup = plan.tiers[static_cast<std::size_t>(tier_of[t])].supervision;
    if (!sup.has_sampling || sup.sampling != gradus::w1::kTierRatio[t]) {
      die("tier " + std::string(gradus::w1::kTierNames[t]) + " samples " +
          gradus::w1::format_decimal(sup.sampling) + " in the plan, " +
          gradus::w1::format_decimal(gradus::w1::kTierRatio[t]) + " in W1");
    }
  }
  std::size_t mismatches = 0, first = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (out.score[i] != w.reference.score[i] || out.tier[i] != tier_of[w.reference.tier[i]]) {
      if (mismatches++ == 0) first = i;
    }
  }
  if (mismatches) {
    const std::int32_t et = out.tier[first];
    die("engine (threads " + std::to_string(threads) + ") and reference disagree on " +
        std::to_string(mismatches) + " subjects; first: subject id " + w.table.ids[first] +
        ": engine score " + gradus::w1::format_decimal(out.score[first]) + " tier " +
        (et >= 0 && static_cast<std::size_t>(et) < plan.tiers.size()
             ? plan.tiers[static_cast<std::size_t>(et)].name
             : std::to_string(et)) +
        ", reference score " + gradus::w1::format_decimal(w.reference.score[first]) + " tier " +
        std::string(gradus::w1::kTierNames[w.reference.tier[first]]));
  }
}

void setup() {
  const std::uint64_t n = env_number("GRADUS_W1_N", 1'000'000);
  const std::uint64_t seed = env_number("GRADUS_W1_SEED", 1);
  const char* rules_env = std::getenv("GRADUS_W1_RULES");
  const std::string rules = rules_env && *rules_env ? rules_env : GRADUS_W1_RULES;

  auto w = std::make_unique<Workload>();
  gradus::Compilation c = gradus::compile_file(rules);
  if (!c.ok()) die(rules + " does not compile:\n" + c.render());
  w->plan = c.plan;
  w->as_of = *gradus::date::parse("2025-01-01");  // W1 gives ages, so the date does not matter

  w->data = gradus::w1::generate(n, seed);
  w->table = gradus::w1::make_table(w->plan->schema, w->data);
  w->borrowed = gradus::w1::borrow_table(w->plan->schema, w->data, w->data.record_offsets);
  w->borrowed.validate(w->plan->schema);
  w->ids.assign(w->data.id.begin(), w->data.id.end());
  for (std::size_t i = 0; i < n; ++i)
    w->links.insert(w->links.end(), static_cast<std::size_t>(w->data.record_offsets[i + 1] - w->data.record_offsets[i]),
                    w->ids[i]);
  if (gradus::offsets_by_id(w->ids, w->links) != w->data.record_offsets) die("offsets_by_id differs from W1's offsets");
  gradus::w1::score(w->data, w->reference);

  for (const gradus::SubjectTable* table : {&w->table, &w->borrowed}) {
    for (bool fold : {true, false}) {
      for (unsigned threads : {1u, 2u}) {
        gradus::EvalOptions options;
        options.as_of = w->as_of;
        options.threads = threads;
        options.fold = fold;
        verify(*w, gradus::evaluate(*w->plan, *table, options), threads);
      }
    }
  }
  const auto check = gradus::w1::check(w->data, w->reference);
  const auto totals = check.tier_totals();
  std::fprintf(stderr,
               "bench_w1: %llu subjects, %zu records, seed %llu; engine and reference agree on "
               "every subject (A %llu, B %llu, C %llu, D %llu, score_sum=%s)\n",
               static_cast<unsigned long long>(n), w->data.record_count(),
               static_cast<unsigned long long>(seed), static_cast<unsigned long long>(totals[0]),
               static_cast<unsigned long long>(totals[1]),
               static_cast<unsigned long long>(totals[2]),
               static_cast<unsigned long long>(totals[3]),
               gradus::w1::format_fixed6(check.score_sum).c_str());
  benchmark::AddCustomContext("w1_subjects", std::to_string(n));
  benchmark::AddCustomContext("w1_records", std::to_string(w->data.record_count()));
  benchmark::AddCustomContext("w1_seed", std::to_string(seed));
  g_workload = w.release();
}

void BM_W1_Reference(benchmark::State& state) {
  const Workload& w = *g_workload;
  gradus::w1::Scores scores;
  gradus::w1::score(w.data, scores);  // allocate outside the timed loop
  for (auto _ : state) {
    gradus::w1::score(w.data, scores);
    benchmark::DoNotOptimize(scores.score.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<std::int64_t>(w.data.subject_count()));
}

void run_engine(benchmark::State& state, bool fold, bool borrowed = false) {
  const Workload& w = *g_workload;
  const gradus::SubjectTable& table = borrowed ? w.borrowed : w.table;
  gradus::EvalOptions options;
  options.as_of = w.as_of;
  options.threads = static_cast<unsigned>(state.range(0));
  options.fold = fold;
  gradus::Outcomes out;
  gradus::evaluate(*w.plan, table, options, out);  // allocate outside the timed loop, as the reference does
  for (auto _ : state) {
    gradus::evaluate(*w.plan, table, options, out);
    benchmark::DoNotOptimize(out.score.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<std::int64_t>(w.data.subject_count()));
}

void BM_W1_Engine(benchmark::State& state) { run_engine(state, true); }
void BM_W1_Unfolded(benchmark::State& state) { run_engine(state, false); }
void BM_W1_Borrowed(benchmark::State& state) { run_engine(state, true, true); }

void BM_W1_Linked(benchmark::State& state) {
  const Workload& w = *g_workload;
  gradus::EvalOptions options;
  options.as_of = w.as_of;
  options.threads = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    auto offsets = gradus::offsets_by_id(w.ids, w.links);
    if (!offsets) die("offsets_by_id failed");
    const gradus::SubjectTable table = gradus::w1::borrow_table(w.plan->schema, w.data, std::move(*offsets));
    gradus::Outcomes out = gradus::evaluate(*w.plan, table, options);
    benchmark::DoNotOptimize(out.score.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(w.data.subject_count()));
}

BENCHMARK(BM_W1_Reference)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_W1_Engine)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_W1_Borrowed)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_W1_Linked)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_W1_Unfolded)
    ->ArgName("threads")
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  try {
    setup();
  } catch (const std::exception& e) {
    die(e.what());
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  delete g_workload;
  return 0;
}
