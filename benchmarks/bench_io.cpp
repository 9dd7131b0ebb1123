// Data I/O throughput: CSV loading (W1 layout, generated into temporary
// files), value parsing, and the outcome writers.
//
//   bench_io [--benchmark_filter=Load]      GRADUS_BENCH_SUBJECTS=N sets the data size (default 200000)
//
// Self-contained: builds the W1 schema by hand and makes its own data, so it
// needs neither the rule compiler nor external files.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include "gradus/check/schema.hpp"
#include "gradus/io/csv.hpp"
#include "gradus/io/writer.hpp"

namespace {

using namespace gradus;

Schema w1_schema() {
  Schema s;
  auto enumeration = [](std::string name, std::vector<std::string> members, std::vector<std::string> labels = {}) {
    EnumType e;
    e.name = std::move(name);
    e.members = std::move(members);
    e.labels = std::move(labels);
    return e;
  };
  s.enums = {enumeration("Sector", {"food_drug", "construction", "tendering", "work_safety", "fire_safety", "medical",
                                    "eco_env", "price", "statistics", "fiscal_funds"}),
             enumeration("Size", {"micro", "small", "medium", "large"}),
             enumeration("Severity", {"minor", "general", "serious", "grave"}, {"1", "2", "3", "4"})};
  s.enums[2].ordered = true;
  auto field = [](std::string name, Type t, std::uint64_t kinds = ~0ull) {
    FieldDef f;
    f.name = std::move(name);
    f.type = t;
    f.kinds = kinds;
    return f;
  };
  s.key_field = "id";
  s.subject_fields = {field("sector", Type::enumeration_of(0)), field("size", Type::enumeration_of(1)),
                      field("years_active", Type::of(TypeKind::integer))};
  s.link_field = "subject_id";
  s.kind_field = "kind";
  s.kinds = {"violation", "commitment_breach", "court_enforcement", "award", "certification"};
  s.record_fields = {field("severity", Type::enumeration_of(2), 1), field("age_days", Type::of(TypeKind::days)),
                     field("amount", Type::of(TypeKind::money), 1)};
  return s;
}

/// W1-shaped files (about 8 records a subject, grouped by subject) in a temporary directory.
class W1Files {
 public:
  static const W1Files& get() {
    static W1Files files;
    return files;
  }
  ~W1Files() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::filesystem::path dir;
  std::string subjects, records;
  std::size_t subject_count = 0, record_count = 0, bytes = 0;

 private:
  W1Files() {
    const char* env = std::getenv("GRADUS_BENCH_SUBJECTS");
    subject_count = env ? std::strtoull(env, nullptr, 10) : 200'000;
    dir = std::filesystem::temp_directory_path() / ("gradus_bench_io_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    subjects = (dir / "subjects.csv").string();
    records = (dir / "records.csv").string();
    const Schema s = w1_schema();
    std::uint64_t x = 88172645463325252ull;
    auto next = [&](std::uint64_t n) {  // xorshift64
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      return x % n;
    };
    std::string sub = "id,sector,size,years_active\n", rec = "subject_id,kind,severity,age_days,amount\n";
    for (std::size_t i = 1; i <= subject_count; ++i) {
      sub += std::to_string(i) + ',' + s.enums[0].members[next(10)] + ',' + s.enums[1].members[next(4)] + ',' +
             std::to_string(next(41)) + '\n';
      for (std::uint64_t k = next(17); k > 0; --k, ++record_count) {
        std::uint64_t kind = next(5);
        rec += std::to_string(i) + ',' + s.kinds[kind] + ',' + (kind == 0 ? std::to_string(1 + next(4)) : "0") +
               ',' + std::to_string(next(2001)) + ',' + (kind == 0 ? std::to_string(200 + next(100000)) : "0") + '\n';
      }
    }
    std::ofstream(subjects, std::ios::binary) << sub;
    std::ofstream(records, std::ios::binary) << rec;
    bytes = sub.size() + rec.size();
  }
};

void BM_LoadW1(benchmark::State& state) {
  const W1Files& f = W1Files::get();
  const Schema schema = w1_schema();
  LoadOptions options;
  options.threads = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    SubjectTable t = load_csv(schema, f.subjects, f.records, options);
    benchmark::DoNotOptimize(t.record_kind.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * (f.subject_count + f.record_count)));
  state.counters["rows"] = static_cast<double>(f.subject_count + f.record_count);
}
BENCHMARK(BM_LoadW1)->Arg(1)->Arg(2)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ParseDecimal(benchmark::State& state) {
  const Schema schema = w1_schema();
  std::vector<std::string> texts;
  for (int i = 0; i < 4096; ++i) texts.push_back(std::to_string(i * 7919 % 1000003) + "." + std::to_string(i % 100));
  std::int64_t sum = 0;
  for (auto _ : state) {
    for (const auto& t : texts) {
      std::int64_t v = 0;
      parse_value(schema, Type::of(TypeKind::decimal), t, v);
      sum += v;
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * texts.size()));
}
BENCHMARK(BM_ParseDecimal);

/// A plan with W1's tiers and overrides, and outcomes for n subjects.
struct WriteFixture {
  Plan plan;
  SubjectTable table;
  Outcomes outcomes;
  explicit WriteFixture(std::size_t n) {
    plan.schema = w1_schema();
    plan.summary_field = 0;
    const char* names[] = {"A", "B", "C", "D"};
    const std::int64_t sampling[] = {20'000, 50'000, 150'000, 1'000'000};
    for (int t = 0; t < 4; ++t) {
      PlanTier tier;
      tier.name = names[t];
      tier.supervision.has_sampling = true;
      tier.supervision.sampling = sampling[t];
      plan.tiers.push_back(tier);
    }
    PlanOverride grave, court;
    grave.name = "grave_violation";
    court.name = "court_order";
    plan.overrides = {grave, court};
    table.subject_columns.assign(3, std::vector<std::int64_t>(n, 0));
    table.record_offsets.assign(n + 1, 0);
    table.record_columns.resize(3);
    for (std::size_t i = 0; i < n; ++i) {
      table.ids.push_back(std::to_string(i + 1));
      table.subject_columns[0].values()[i] = static_cast<std::int64_t>(i % 10);
      outcomes.score.push_back(static_cast<std::int64_t>(i * 7919 % 4401) * 25'000);
      outcomes.tier.push_back(static_cast<std::int32_t>(i % 4));
      outcomes.overrides.push_back(i % 13 == 0 ? 1 : 0);
    }
  }
};

/// Discards what is written, counting the bytes.
class CountingBuf : public std::streambuf {
 public:
  std::size_t count = 0;

 protected:
  std::streamsize xsputn(const char*, std::streamsize n) override {
    count += static_cast<std::size_t>(n);
    return n;
  }
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    ++count;
    return c;
  }
};

void BM_WriteOutcomes(benchmark::State& state) {
  static const WriteFixture fx(1'000'000);
  const auto format = state.range(0) == 0 ? OutputFormat::csv : OutputFormat::jsonl;
  // Written to a stream that only counts: the formatting, not the disk.
  CountingBuf buf;
  std::ostream out(&buf);
  std::size_t bytes = 0;
  for (auto _ : state) {
    buf.count = 0;
    write_outcomes(out, fx.plan, fx.table, fx.outcomes, format);
    bytes = buf.count;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * fx.table.subject_count()));
  state.SetLabel(format == OutputFormat::csv ? "csv, 1M subjects" : "jsonl, 1M subjects");
}
BENCHMARK(BM_WriteOutcomes)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Summarize(benchmark::State& state) {
  static const WriteFixture fx(1'000'000);
  for (auto _ : state) {
    Summary s = summarize(fx.plan, fx.table, fx.outcomes);
    benchmark::DoNotOptimize(s.score_sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * fx.table.subject_count()));
}
BENCHMARK(BM_Summarize)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
