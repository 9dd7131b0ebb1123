// W1: the engine running rules/w1.gradus must agree with the hand-written
// reference on every subject, and both must give the scores worked out by
// hand from the W1 specification.

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gradus/gradus.hpp"
#include "w1_data.hpp"
#include "w1_reference.hpp"
#include "w1_table.hpp"

namespace {

namespace w1 = gradus::w1;
namespace fs = std::filesystem;

std::int64_t as_of() { return *gradus::date::parse("2025-01-01"); }

/// rules/w1.gradus, compiled once.
const gradus::Plan& w1_plan() {
  static const std::shared_ptr<const gradus::Plan> plan = [] {
    gradus::Compilation c =
        gradus::compile_file(std::string(GRADUS_SOURCE_DIR) + "/rules/w1.gradus");
    EXPECT_TRUE(c.ok()) << "rules/w1.gradus does not compile:\n" << c.render();
    return c.plan;
  }();
  if (!plan) throw std::runtime_error("rules/w1.gradus does not compile");
  return *plan;
}

/// Index of the tier named `name` in the plan.
std::int32_t plan_tier(const gradus::Plan& plan, std::string_view name) {
  for (std::size_t t = 0; t < plan.tiers.size(); ++t) {
    if (plan.tiers[t].name == name) return static_cast<std::int32_t>(t);
  }
  ADD_FAILURE() << "the plan has no tier " << name;
  return -1;
}

std::string tier_name(const gradus::Plan& plan, std::int32_t t) {
  if (t >= 0 && static_cast<std::size_t>(t) < plan.tiers.size()) {
    return plan.tiers[static_cast<std::size_t>(t)].name;
  }
  return "tier index " + std::to_string(t);
}

/// Every subject's engine score and tier equal the reference's; the first
/// difference names the subject.
::testing::AssertionResult same_as_reference(const gradus::Plan& plan,
                                             const gradus::SubjectTable& table,
                                             const gradus::Outcomes& out, const w1::Data& data,
                                             const w1::Scores& ref) {
  if (table.subject_count() != data.subject_count() || out.size() != data.subject_count()) {
    return ::testing::AssertionFailure()
           << "sizes differ: data " << data.subject_count() << ", table "
           << table.subject_count() << ", outcomes " << out.size();
  }
  if (!out.errors.empty()) {
    return ::testing::AssertionFailure()
           << out.errors.size() << " subjects failed; first: subject id "
           << table.ids[out.errors.front().subject] << ": " << out.errors.front().message;
  }
  std::int32_t tier_of[w1::kTierCount];
  for (std::size_t t = 0; t < w1::kTierCount; ++t) tier_of[t] = plan_tier(plan, w1::kTierNames[t]);
  std::size_t mismatches = 0, first = 0;
  for (std::size_t i = 0; i < data.subject_count(); ++i) {
    if (table.ids[i] != std::to_string(data.id[i])) {
      return ::testing::AssertionFailure() << "subject " << i << " is '" << table.ids[i]
                                           << "' in the table, " << data.id[i] << " in the data";
    }
    if (out.score[i] != ref.score[i] || out.tier[i] != tier_of[ref.tier[i]]) {
      if (mismatches++ == 0) first = i;
    }
  }
  if (mismatches == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << mismatches << " subjects differ; first: subject id " << table.ids[first]
         << ": engine score " << w1::format_decimal(out.score[first]) << " tier "
         << tier_name(plan, out.tier[first]) << ", reference score "
         << w1::format_decimal(ref.score[first]) << " tier " << w1::kTierNames[ref.tier[first]];
}

/// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("gradus_w1_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// ---------------------------------------------------------------- the rulebook
TEST(W1, RulebookCompilesToTheW1Ladder) {
  const gradus::Plan& plan = w1_plan();
  ASSERT_EQ(plan.tiers.size(), w1::kTierCount);
  for (std::size_t t = 0; t < w1::kTierCount; ++t) {
    EXPECT_EQ(plan.tiers[t].name, w1::kTierNames[t]);
    EXPECT_TRUE(plan.tiers[t].supervision.has_sampling);
    EXPECT_EQ(plan.tiers[t].supervision.sampling, w1::kTierRatio[t]) << "tier " << t;
  }
  EXPECT_EQ(plan.schema.kinds.size(), w1::kKindCount);
}

// ---------------------------------------------------------------- the generator
// The canonical W1 generator's output for --subjects 3 --seed 1, verbatim.
constexpr const char* kSubjects3 =
    "id,sector,size,years_active\n"
    "1,medical,large,2\n"
    "2,fire_safety,small,12\n"
    "3,tendering,large,37\n";
constexpr const char* kRecords3 =
    "subject_id,kind,severity,age_days,amount\n"
    "1,commitment_breach,0,1734,0\n"
    "1,certification,0,1880,0\n"
    "1,violation,1,1011,465\n"
    "1,violation,3,564,26005\n"
    "1,violation,2,64,3337\n"
    "1,award,0,1582,0\n"
    "1,commitment_breach,0,837,0\n"
    "1,award,0,887,0\n"
    "1,violation,2,392,19557\n"
    "1,award,0,1700,0\n"
    "1,violation,2,1720,9414\n"
    "1,award,0,1764,0\n"
    "2,certification,0,1149,0\n"
    "2,violation,1,1165,691\n"
    "2,certification,0,638,0\n"
    "2,award,0,6,0\n"
    "2,violation,1,1802,1064\n"
    "2,violation,1,1333,976\n"
    "2,award,0,647,0\n"
    "2,violation,1,885,1982\n"
    "2,violation,3,1548,83321\n"
    "2,violation,3,574,27266\n"
    "2,violation,1,1663,1290\n"
    "2,violation,1,595,830\n"
    "2,certification,0,986,0\n"
    "2,violation,1,769,321\n"
    "3,violation,1,771,642\n"
    "3,violation,2,1490,4665\n"
    "3,certification,0,1341,0\n"
    "3,violation,2,136,13530\n"
    "3,violation,4,140,872221\n"
    "3,violation,1,949,1551\n";

TEST(W1, GeneratorWritesTheCanonicalFiles) {
  TempDir dir;
  const auto stats = w1::write_files(3, 1, dir.path());
  EXPECT_EQ(stats.records, 32u);
  EXPECT_EQ(read_file(dir.file("subjects.csv")), kSubjects3);
  EXPECT_EQ(read_file(dir.file("records.csv")), kRecords3);
}

TEST(W1, GeneratorMatchesTheCanonicalFilesAt100k) {
  // Sizes and FNV-1a hashes of the canonical generator's files for
  // --subjects 100000 --seed 1.
  TempDir dir;
  const auto stats = w1::write_files(100'000, 1, dir.path());
  EXPECT_EQ(stats.records, 801'473u);
  const std::string subjects = read_file(dir.file("subjects.csv"));
  const std::string records = read_file(dir.file("records.csv"));
  EXPECT_EQ(subjects.size(), 2'512'700u);
  EXPECT_EQ(records.size(), 21'783'338u);
  EXPECT_EQ(fnv1a(subjects), 0x8a94836dc33ee47eull);
  EXPECT_EQ(fnv1a(records), 0x8513239fdfa6d5c6ull);
}

TEST(W1, GeneratedDataIsAPrefixOfLargerData) {
  const w1::Data small = w1::generate(500, 7), large = w1::generate(1000, 7);
  ASSERT_EQ(small.subject_count(), 500u);
  const auto m = static_cast<std::size_t>(small.record_offsets.back());
  EXPECT_TRUE(std::equal(small.sector.begin(), small.sector.end(), large.sector.begin()));
  EXPECT_TRUE(std::equal(small.years.begin(), small.years.end(), large.years.begin()));
  EXPECT_TRUE(std::equal(small.record_offsets.begin(), small.record_offsets.end(),
                         large.record_offsets.begin()));
  EXPECT_TRUE(std::equal(small.age_days.begin(), small.age_days.end(), large.age_days.begin()));
  EXPECT_TRUE(std::equal(small.amount.begin(), small.amount.end(), large.amount.begin()));
  EXPECT_EQ(m, small.record_count());
}

// ---------------------------------------------------------------- the reference
TEST(W1, ReferenceGivesThePublishedCheckAtOneMillion) {
  const w1::Data data = w1::generate(1'000'000, 1);
  EXPECT_EQ(data.record_count(), 7'989'506u);
  const w1::Check c = w1::check(data, w1::score(data));
  const auto totals = c.tier_totals();
  EXPECT_EQ(totals[0], 612'505u);
  EXPECT_EQ(totals[1], 167'947u);
  EXPECT_EQ(totals[2], 91'050u);
  EXPECT_EQ(totals[3], 128'498u);
  EXPECT_EQ(w1::format_fixed6(c.score_sum), "90501067.675000");
}

// ---------------------------------------------------------------- engine vs reference
/// Everything `gradus score` writes for `out`: CSV, JSON Lines and the summary.
std::string written(const gradus::Plan& plan, const gradus::SubjectTable& table, const gradus::Outcomes& out) {
  std::ostringstream s;
  gradus::write_outcomes(s, plan, table, out, gradus::OutputFormat::csv);
  gradus::write_outcomes(s, plan, table, out, gradus::OutputFormat::jsonl);
  s << gradus::format_summary(gradus::summarize(plan, table, out));
  return s.str();
}

// Matches the reference, and writes the same bytes, for every thread count and chunk size.
TEST(W1, EngineMatchesReferenceOnGeneratedData) {
  const gradus::Plan& plan = w1_plan();
  const w1::Data data = w1::generate(20'000, 7);
  const w1::Scores ref = w1::score(data);
  const gradus::SubjectTable table = w1::make_table(plan.schema, data);
  std::string first;
  for (unsigned threads : {1u, 2u, 3u}) {
    for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{1024}, std::size_t{2048},
                              std::size_t{50'000}}) {
      SCOPED_TRACE("threads " + std::to_string(threads) + ", chunk size " + std::to_string(chunk));
      gradus::EvalOptions options;
      options.as_of = as_of();
      options.threads = threads;
      options.chunk_size = chunk;
      const gradus::Outcomes out = gradus::evaluate(plan, table, options);
      EXPECT_TRUE(same_as_reference(plan, table, out, data, ref));
      const std::string bytes = written(plan, table, out);
      if (first.empty()) first = bytes;
      EXPECT_TRUE(bytes == first) << "output bytes differ from those of 1 thread, chunk size 1";
    }
  }
  EXPECT_GT(first.size(), 20'000u * 2 * 20);  // two lines of at least 20 bytes per subject
}

// The generator's own narrow columns read in place, with offsets found from the ids,
// score as the reference does and write the same bytes as the converted table.
TEST(W1, BorrowedColumnsMatchTheReference) {
  const gradus::Plan& plan = w1_plan();
  const w1::Data data = w1::generate(20'000, 8);
  const w1::Scores ref = w1::score(data);
  std::vector<std::int64_t> ids(data.id.begin(), data.id.end()), links;
  for (std::size_t i = 0; i < data.subject_count(); ++i)
    links.insert(links.end(), static_cast<std::size_t>(data.record_offsets[i + 1] - data.record_offsets[i]), ids[i]);
  auto offsets = gradus::offsets_by_id(ids, links);
  ASSERT_TRUE(offsets);
  EXPECT_EQ(*offsets, data.record_offsets);
  const gradus::SubjectTable borrowed = w1::borrow_table(plan.schema, data, std::move(*offsets));
  ASSERT_NO_THROW(borrowed.validate(plan.schema));
  const gradus::SubjectTable owned = w1::make_table(plan.schema, data);
  for (unsigned threads : {1u, 2u}) {
    gradus::EvalOptions options;
    options.as_of = as_of();
    options.threads = threads;
    options.chunk_size = 333;
    const gradus::Outcomes out = gradus::evaluate(plan, borrowed, options);
    EXPECT_TRUE(same_as_reference(plan, owned, out, data, ref));
    EXPECT_TRUE(written(plan, borrowed, out) == written(plan, owned, out));
  }
}

TEST(W1, EngineMatchesReferenceThroughCsv) {
  const gradus::Plan& plan = w1_plan();
  const w1::Data data = w1::generate(2'000, 11);
  const w1::Scores ref = w1::score(data);
  TempDir dir;
  w1::write_csv(data, dir.file("subjects.csv"), dir.file("records.csv"));

  gradus::LoadReport report;
  const gradus::SubjectTable table = gradus::load_csv(
      plan.schema, dir.file("subjects.csv"), dir.file("records.csv"), {}, &report);
  EXPECT_EQ(report.subjects, data.subject_count());
  EXPECT_EQ(report.records, data.record_count());
  ASSERT_EQ(table.record_count(), data.record_count());
  // Loading in parallel parts gives the same table.
  for (unsigned threads : {2u, 3u}) {
    gradus::LoadOptions lo;
    lo.threads = threads;
    const gradus::SubjectTable t = gradus::load_csv(plan.schema, dir.file("subjects.csv"), dir.file("records.csv"), lo);
    EXPECT_TRUE(t.ids == table.ids && t.subject_columns == table.subject_columns &&
                t.record_offsets == table.record_offsets && t.record_kind == table.record_kind &&
                t.record_columns == table.record_columns && t.record_line == table.record_line)
        << "the table loaded with " << threads << " threads differs";
  }
  for (unsigned threads : {1u, 2u}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    gradus::EvalOptions options;
    options.as_of = as_of();
    options.threads = threads;
    EXPECT_TRUE(same_as_reference(plan, table, gradus::evaluate(plan, table, options), data, ref));
  }
}

// ---------------------------------------------------------------- hand-computed cases
struct Rec {
  w1::Kind kind;
  std::uint8_t severity;  // 1..4 for violations
  std::uint16_t age;
};

struct Case {
  const char* name;
  const char* sector;
  std::vector<Rec> records;
  std::int64_t score;  // millionths, worked out by hand from the W1 specification
  const char* tier;
};

constexpr w1::Kind V = w1::kViolation, CB = w1::kCommitmentBreach, CE = w1::kCourtEnforcement,
                   AW = w1::kAward, CT = w1::kCertification;

// Weights: food_drug, medical 1.5; construction, work_safety, fire_safety 1.2; else 1.0.
// Points: minor 2, general 5, serious 12, grave 25. Decay 1 / 0.5 / 0.25 / 0 by age.
const std::vector<Case> kCases = {
    // 25 x 1.0 x 0.25 = 6.25 -> 93.75 (A by score); grave within 1095 days -> D.
    {"grave_violation_aged_1094", "tendering", {{V, 4, 1094}}, 93'750'000, "D"},
    // Aged 1095 the violation has expired: 100, A, no override.
    {"grave_violation_aged_1095", "tendering", {{V, 4, 1095}}, 100'000'000, "A"},
    // Bonus 3 x 3 + 5 = 14, capped at 10 -> 110.
    {"bonus_over_cap", "price", {{AW, 0, 0}, {AW, 0, 10}, {AW, 0, 364}, {CT, 0, 0}},
     110'000'000, "A"},
    // The cap is on the bonus, not the net: 100 - 12 x 1.5 + min(14, 10) = 92.
    {"bonus_over_cap_with_deduction", "food_drug",
     {{V, 3, 0}, {AW, 0, 0}, {AW, 0, 0}, {AW, 0, 0}, {CT, 0, 0}}, 92'000'000, "A"},
    // Bonus 3 x 0.5 + 3 + 5 = 9.5, under the cap -> 109.5.
    {"bonus_under_cap", "statistics", {{AW, 0, 400}, {AW, 0, 0}, {CT, 0, 0}}, 109'500'000, "A"},
    // 2.4 + 2.4 + 1.2 (minor x 1.2, decays 1, 1, 0.5) + 8 x 0.5 = 10 -> exactly 90: A.
    {"exactly_90", "construction", {{V, 1, 0}, {V, 1, 0}, {V, 1, 400}, {CB, 0, 400}},
     90'000'000, "A"},
    // 2.4 + 2.4 + 5 x 1.2 x 0.25 + 4 = 10.3 -> 89.7: B.
    {"just_below_90", "construction", {{V, 1, 0}, {V, 1, 0}, {V, 2, 730}, {CB, 0, 400}},
     89'700'000, "B"},
    // 3 + 18 + 8 x 0.5 = 25 -> exactly 75: B.
    {"exactly_75", "food_drug", {{V, 1, 0}, {V, 3, 0}, {CB, 0, 400}}, 75'000'000, "B"},
    // 18 + 3 + 1.5 + 0.75 + 5 x 1.5 x 0.25 = 25.125 -> 74.875: C.
    {"just_below_75", "food_drug", {{V, 3, 0}, {V, 1, 0}, {V, 1, 400}, {V, 1, 800}, {V, 2, 800}},
     74'875'000, "C"},
    // 12 + 12 + 8 + 8 = 40 -> exactly 60: C.
    {"exactly_60", "tendering", {{V, 3, 0}, {V, 3, 0}, {CB, 0, 0}, {CB, 0, 0}}, 60'000'000, "C"},
    // One more minor at 0.25: 40.5 -> 59.5: D.
    {"just_below_60", "tendering", {{V, 3, 0}, {V, 3, 0}, {CB, 0, 0}, {CB, 0, 0}, {V, 1, 1000}},
     59'500'000, "D"},
    // 100 - 15 + 10 = 95 (A by score); court enforcement within 365 days caps at C.
    {"court_enforcement_aged_364_on_A", "eco_env", {{CE, 0, 364}, {CT, 0, 0}, {CT, 0, 0}},
     95'000'000, "C"},
    // Aged 365: 100 - 7.5 + 10 = 102.5, A, no cap.
    {"court_enforcement_aged_365_on_A", "eco_env", {{CE, 0, 365}, {CT, 0, 0}, {CT, 0, 0}},
     102'500'000, "A"},
    // 100 - 15 = 85 (B) -> capped at C.
    {"court_enforcement_on_B", "medical", {{CE, 0, 0}}, 85'000'000, "C"},
    // 100 - 15 - 24 - 16 = 45 (D); the cap at C does not raise it.
    {"court_enforcement_on_D", "tendering",
     {{CE, 0, 364}, {V, 3, 0}, {V, 3, 0}, {CB, 0, 0}, {CB, 0, 0}}, 45'000'000, "D"},
    // 13 x 8 = 104 -> -4, clamped to 0: D.
    {"clamp_at_zero", "fiscal_funds", std::vector<Rec>(13, Rec{CB, 0, 0}), 0, "D"},
    // No records: 100, A.
    {"no_records", "medical", {}, 100'000'000, "A"},
    // Grave 25 x 1.2 x 0.5 = 15 and court 15 x 0.25 = 3.75: 81.25 (B); grave -> D.
    {"grave_and_court", "work_safety", {{V, 4, 400}, {CE, 0, 800}}, 81'250'000, "D"},
    // More records than the reference's packed fast path takes (255): 150 expired
    // commitment breaches, 150 awards (bonus 450 -> 10), a grave at 0.25 (6.25):
    // 103.75, forced to D.
    {"over_255_records", "tendering",
     [] {
       std::vector<Rec> r(150, Rec{CB, 0, 2000});
       r.insert(r.end(), 150, Rec{AW, 0, 0});
       r.push_back(Rec{V, 4, 1000});
       return r;
     }(),
     103'750'000, "D"},
};

w1::Data hand_data() {
  w1::Data d;
  std::uint64_t id = 1;
  for (const Case& c : kCases) {
    const auto sector = std::find(w1::kSectorNames.begin(), w1::kSectorNames.end(), c.sector);
    EXPECT_NE(sector, w1::kSectorNames.end()) << c.name;
    d.add_subject(id++, static_cast<std::uint8_t>(sector - w1::kSectorNames.begin()), 0, 5);
    for (const Rec& r : c.records) {
      d.add_record(r.kind, r.kind == w1::kViolation ? r.severity : 0, r.age,
                   r.kind == w1::kViolation ? 1000 : 0);
    }
  }
  return d;
}

TEST(W1, HandComputedCases) {
  const gradus::Plan& plan = w1_plan();
  const w1::Data data = hand_data();
  const w1::Scores ref = w1::score(data);
  const gradus::SubjectTable table = w1::make_table(plan.schema, data);
  gradus::EvalOptions options;
  options.as_of = as_of();
  const gradus::Outcomes out = gradus::evaluate(plan, table, options);
  ASSERT_EQ(out.size(), kCases.size());
  for (std::size_t i = 0; i < kCases.size(); ++i) {
    const Case& c = kCases[i];
    SCOPED_TRACE(c.name);
    const std::size_t ref_tier =
        static_cast<std::size_t>(std::find(w1::kTierNames.begin(), w1::kTierNames.end(), c.tier) -
                                 w1::kTierNames.begin());
    EXPECT_EQ(w1::format_decimal(ref.score[i]), w1::format_decimal(c.score)) << "reference";
    EXPECT_EQ(w1::kTierNames[ref.tier[i]], c.tier) << "reference";
    EXPECT_EQ(ref.ratio[i], w1::kTierRatio[ref_tier]) << "reference";
    EXPECT_EQ(w1::format_decimal(out.score[i]), w1::format_decimal(c.score)) << "engine";
    EXPECT_EQ(tier_name(plan, out.tier[i]), c.tier) << "engine";
  }
  EXPECT_TRUE(out.errors.empty());
}

}  // namespace
