// decide() over 1,000,000 breaches of rules/penalties/food_safety.gradus:
// 200,000 parties, dates over four years (so prior(1 year) escalations fire),
// goods values on both sides of every threshold. Deterministic data (seed 1).
#include <random>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "gradus/gradus.hpp"

namespace {

struct Data {
  gradus::Compilation c;
  gradus::BreachTable t;
};

const Data& data() {
  static const Data d = [] {
    Data x{gradus::compile_file(GRADUS_RULES_DIR "/penalties/food_safety.gradus"), {}};
    if (!x.c.ok()) throw std::runtime_error(x.c.render());
    const auto& fields = x.c.checked->schema.breach_fields;
    std::mt19937_64 rng(1);
    const std::size_t n = 1'000'000;
    x.t.inputs.assign(fields.size(), {});
    std::int32_t start = static_cast<std::int32_t>(*gradus::date::parse("2021-01-01"));
    auto rules = static_cast<std::int32_t>(x.c.rulebook->penalties.size());
    for (std::size_t i = 0; i < n; ++i) {
      x.t.ids.push_back(std::to_string(i));
      x.t.parties.push_back(fmt::format("P{}", rng() % 200'000));
      x.t.dates.push_back(start + static_cast<std::int32_t>(rng() % 1461));
      x.t.penalties.push_back(static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(rules)));
      for (std::size_t f = 0; f < fields.size(); ++f) {
        bool money = fields[f].type.kind == gradus::TypeKind::money;
        x.t.inputs[f].push_back(money ? static_cast<std::int64_t>(rng() % 40'000) * gradus::decimal::kScale
                                      : static_cast<std::int64_t>(rng() % 2));
      }
    }
    return x;
  }();
  return d;
}

void BM_decide(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    auto out = gradus::decide(*d.c.checked, d.t, {static_cast<int>(state.range(0))});
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d.t.size()));
}
BENCHMARK(BM_decide)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
