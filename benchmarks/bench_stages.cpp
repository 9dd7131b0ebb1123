// Google Benchmark suite for the pipeline stages: parse, check, compile and
// evaluate, on the rulebooks under rules/.
//
//   bench_stages [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "gradus/gradus.hpp"
#include "w1_data.hpp"
#include "w1_table.hpp"

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* const kRulebooks[] = {"w1", "food_drug", "construction"};

gradus::Source source_of(int index) {
  std::string name = std::string(GRADUS_RULES_DIR) + "/" + kRulebooks[index] + ".gradus";
  return gradus::Source(name, read(name));
}

void BM_Parse(benchmark::State& state) {
  gradus::Source src = source_of(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    gradus::ParseResult r = gradus::parse(src);
    if (!r.ok()) state.SkipWithError("rulebook does not parse");
    benchmark::DoNotOptimize(r.rulebook.expr_count);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(src.text().size()));
  state.SetLabel(kRulebooks[state.range(0)]);
}

void BM_Check(benchmark::State& state) {
  gradus::Source src = source_of(static_cast<int>(state.range(0)));
  gradus::ParseResult parsed = gradus::parse(src);
  for (auto _ : state) {
    gradus::CheckResult r = gradus::check(parsed.rulebook);
    if (!r.ok()) state.SkipWithError("rulebook does not check");
    benchmark::DoNotOptimize(r.checked.get());
  }
  state.SetLabel(kRulebooks[state.range(0)]);
}

void BM_Compile(benchmark::State& state) {
  gradus::Source src = source_of(static_cast<int>(state.range(0)));
  gradus::ParseResult parsed = gradus::parse(src);
  gradus::CheckResult checked = gradus::check(parsed.rulebook);
  auto shared = std::make_shared<const gradus::Source>(src);
  for (auto _ : state) {
    gradus::Plan plan = gradus::compile(*checked.checked, shared);
    benchmark::DoNotOptimize(plan.code.data());
  }
  state.SetLabel(kRulebooks[state.range(0)]);
}

// evaluate W1 on generated data: subjects per second, by thread count, chunk size, and
// with aggregations folded into tables or not
/// W1 compiled, with n generated subjects.
struct W1 {
  gradus::Compilation rules = gradus::compile_source(source_of(0));
  gradus::SubjectTable table;
  gradus::EvalOptions options;
  explicit W1(std::size_t n) : table(gradus::w1::make_table(rules.plan->schema, gradus::w1::generate(n, 1))) {
    options.as_of = *gradus::date::parse("2025-01-01");
  }
};

void BM_Evaluate(benchmark::State& state) {
  static W1 w(200'000);
  const gradus::Plan& plan = *w.rules.plan;
  const gradus::SubjectTable& table = w.table;
  gradus::EvalOptions options = w.options;
  options.threads = static_cast<unsigned>(state.range(0));
  options.chunk_size = static_cast<std::size_t>(state.range(1));
  options.fold = state.range(2) != 0;
  gradus::Outcomes out;
  gradus::evaluate(plan, table, options, out);
  for (auto _ : state) {
    gradus::evaluate(plan, table, options, out);
    benchmark::DoNotOptimize(out.score.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(table.subject_count()));
}

void BM_Explain(benchmark::State& state) {
  static W1 w(1'000);
  std::size_t i = 0;
  for (auto _ : state) {
    gradus::Explanation x = gradus::explain(*w.rules.plan, w.table, i++ % w.table.subject_count(), w.options);
    benchmark::DoNotOptimize(x.score);
  }
}

BENCHMARK(BM_Parse)->DenseRange(0, 2);
BENCHMARK(BM_Check)->DenseRange(0, 2);
BENCHMARK(BM_Compile)->DenseRange(0, 2);
BENCHMARK(BM_Evaluate)
    ->ArgNames({"threads", "chunk", "fold"})
    ->Args({1, 256, 1})
    ->Args({1, 2048, 1})
    ->Args({2, 2048, 1})
    ->Args({1, 2048, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Explain);

}  // namespace

BENCHMARK_MAIN();
