// Engine unit tests: small rulebooks evaluated over hand-built tables.
#include <gtest/gtest.h>

#include "gradus/gradus.hpp"

namespace gradus {
namespace {

// A rulebook over subjects (id, group, n, since) and records (kind v|w, sev, amount, on).
constexpr const char* kSchema = R"(rulebook "t"
enum Group: g1, g2
scale Sev: low < mid < high
subjects
  id: key
  group: Group
  n: integer
  since: date
records
  sid: subject
  kind: kind of v, w
  sev: Sev for v
  amount: money for v
  on: date
)";

std::int64_t num(const char* text) { return *decimal::parse(text); }
std::int64_t day(const char* text) { return *date::parse(text); }

struct Fixture {
  std::shared_ptr<const Plan> plan;
  SubjectTable table;
};

std::shared_ptr<const Plan> compile_text(const std::string& body) {
  Compilation c = compile_source(Source("t.gradus", std::string(kSchema) + body));
  EXPECT_TRUE(c.ok()) << c.render();
  return c.plan;
}

struct Rec {
  int kind;
  int sev;
  const char* amount;
  const char* on;
};

SubjectTable table_of(const Plan& plan, const std::vector<std::tuple<int, const char*, const char*, std::vector<Rec>>>& rows) {
  SubjectTableBuilder b(plan.schema);
  int id = 1;
  for (const auto& [group, n, since, recs] : rows) {
    std::size_t s = b.add_subject(std::to_string(id++), {group, num(n), day(since)});
    for (const auto& r : recs) b.add_record(s, r.kind, {r.sev, num(r.amount), day(r.on)});
  }
  return b.build();
}

EvalOptions at(const char* as_of, unsigned threads = 1, std::size_t chunk = 1024) {
  EvalOptions o;
  o.as_of = day(as_of);
  o.threads = threads;
  o.chunk_size = chunk;
  return o;
}

constexpr const char* kLadder = R"(
tiers
  A [90, inf)
  B [75, 90)
  C (-inf, 75)
)";

TEST(Evaluator, ScoresWithTablesWindowsAndCaps) {
  auto plan = compile_text(std::string(R"(
table pts(s: Sev) -> integer
  low -> 2
  mid -> 5
  high -> 12
score
  start at 100
  deduct recent: sum(pts[sev] over v where on within 1 year)
  deduct old: 0.5 * count(v where not (on within 1 year))
  add bonus in b: 4 * count(w)
  cap b at 6
  clamp 0 to 100
)") + kLadder);
  ASSERT_TRUE(plan);
  SubjectTable t = table_of(*plan, {
      {0, "1", "2020-01-01", {{0, 2, "100", "2024-06-01"}, {0, 0, "5", "2023-06-01"}, {1, 0, "0", "2024-01-01"}}},
      {1, "1", "2020-01-01", {{1, 0, "0", "2024-01-01"}, {1, 0, "0", "2024-02-01"}}},
      {0, "1", "2020-01-01", {}},
  });
  Outcomes o = evaluate(*plan, t, at("2025-01-01"));
  ASSERT_EQ(o.size(), 3u);
  // 100 - 12 - 0.5 + 4
  EXPECT_EQ(o.score[0], num("91.5"));
  EXPECT_EQ(o.tier[0], 0);
  // two bonuses of 4 capped at 6, then clamped at 100
  EXPECT_EQ(o.score[1], num("100"));
  EXPECT_EQ(o.score[2], num("100"));
  EXPECT_TRUE(o.errors.empty());
}

TEST(Evaluator, WithinCountsCalendarYearsBackFromAsOf) {
  auto plan = compile_text(std::string(R"(
score
  start at 100
  deduct x: 10 * count(v where on within 1 year)
)") + kLadder);
  ASSERT_TRUE(plan);
  SubjectTable t = table_of(*plan, {
      {0, "0", "2020-01-01", {{0, 0, "0", "2024-03-01"}}},   // exactly one year before: outside
      {0, "0", "2020-01-01", {{0, 0, "0", "2024-03-02"}}},   // inside
      {0, "0", "2020-01-01", {{0, 0, "0", "2025-03-02"}}},   // after as_of: outside
  });
  Outcomes o = evaluate(*plan, t, at("2025-03-01"));
  EXPECT_EQ(o.score[0], num("100"));
  EXPECT_EQ(o.score[1], num("90"));
  EXPECT_EQ(o.score[2], num("100"));
}

TEST(Evaluator, RequirementsFallThroughAndOverridesApplyInOrder) {
  auto plan = compile_text(R"(
let big = n >= 10
score
  start at 100
  deduct x: n
tiers
  A [90, inf) requires group = g1
  B [75, 90) requires not big
  C (-inf, 75)
overrides
  lift: at least B
    when any(w)
    because "has a w record"
  sink: force C
    when count(v) >= 2
    because "two v records"
)");
  ASSERT_TRUE(plan);
  SubjectTable t = table_of(*plan, {
      {0, "5", "2020-01-01", {}},                               // 95, g1 -> A
      {1, "5", "2020-01-01", {}},                               // 95, g2 -> falls to B
      {1, "12", "2020-01-01", {}},                              // 88, big -> falls to C
      {1, "30", "2020-01-01", {{1, 0, "0", "2024-01-01"}}},     // 70 -> C, lifted to B
      {1, "30", "2020-01-01", {{1, 0, "0", "2024-01-01"}, {0, 0, "0", "2024-01-01"}, {0, 0, "0", "2024-01-01"}}},
  });
  Outcomes o = evaluate(*plan, t, at("2025-01-01"));
  EXPECT_EQ(o.tier[0], 0);
  EXPECT_EQ(o.tier[1], 1);
  EXPECT_EQ(o.tier[2], 2);
  EXPECT_EQ(o.tier[3], 1);
  EXPECT_EQ(o.overrides[3], 1u);
  EXPECT_EQ(o.tier[4], 2);  // lifted to B, then forced to C
  EXPECT_EQ(o.overrides[4], 3u);
}

TEST(Evaluator, ArithmeticErrorsFailOnlyTheirSubject) {
  auto plan = compile_text(std::string(R"(
score
  start at 100
  deduct ratio: if n > 0 then 10 / n else 0
  deduct huge: sum(amount over v) / (1 yuan)
)") + kLadder);
  ASSERT_TRUE(plan);
  SubjectTable t = table_of(*plan, {
      {0, "0", "2020-01-01", {}},                                       // untaken branch divides by zero: fine
      {0, "4", "2020-01-01", {}},
      {0, "1", "2020-01-01", {{0, 0, "9000000000000", "2024-01-01"}, {0, 0, "9000000000000", "2024-01-01"}}},
  });
  for (unsigned threads : {1u, 2u}) {
    Outcomes o = evaluate(*plan, t, at("2025-01-01", threads, 1));
    EXPECT_EQ(o.score[0], num("100"));
    EXPECT_EQ(o.score[1], num("97.5"));
    ASSERT_EQ(o.errors.size(), 1u);
    EXPECT_EQ(o.errors[0].subject, 2u);
    EXPECT_EQ(o.tier[2], -1);
    EXPECT_NE(o.errors[0].message.find("overflow"), std::string::npos) << o.errors[0].message;
    EXPECT_NE(o.errors[0].message.find("t.gradus:"), std::string::npos) << o.errors[0].message;
  }
}

TEST(Evaluator, MinMaxAllAndEmptySets) {
  // booleans are not points: the checker refuses `deduct low`
  Compilation bad = compile_source(Source("t.gradus", std::string(kSchema) + R"(
score
  start at 100
  deduct low: min(sev over v otherwise high) = low
)" + kLadder));
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.render().find("E0301"), std::string::npos) << bad.render();
  auto plan = compile_text(std::string(R"(
score
  start at 100
  deduct top: max(amount over v otherwise 0 yuan) / (100 yuan)
  deduct all_high: if all(v where sev = high) then 1 else 0
)") + kLadder);
  ASSERT_TRUE(plan);
  SubjectTable t = table_of(*plan, {
      {0, "0", "2020-01-01", {}},
      {0, "0", "2020-01-01", {{0, 2, "300", "2024-01-01"}, {0, 2, "500", "2024-01-01"}}},
      {0, "0", "2020-01-01", {{0, 2, "300", "2024-01-01"}, {0, 1, "200", "2024-01-01"}}},
  });
  Outcomes o = evaluate(*plan, t, at("2025-01-01"));
  EXPECT_EQ(o.score[0], num("99"));   // no records: max 0, all() vacuously true
  EXPECT_EQ(o.score[1], num("94"));   // 100 - 5 - 1
  EXPECT_EQ(o.score[2], num("97"));   // 100 - 3 - 0
}

TEST(Evaluator, SameBytesForAnyThreadCountAndChunkSize) {
  auto plan = compile_text(std::string(R"(
table pts(s: Sev) -> decimal
  low -> 0.7
  mid -> 2.35
  high -> 7.125
score
  start at 100
  deduct v: sum(pts[sev] * (amount / (1000 yuan)) over v)
  add w: 0.3 * count(w)
  clamp 0 to 100
)") + kLadder);
  ASSERT_TRUE(plan);
  SubjectTableBuilder b(plan->schema);
  std::uint64_t x = 12345;
  auto next = [&] { x = x * 6364136223846793005ull + 1442695040888963407ull; return x >> 33; };
  for (int i = 0; i < 3000; ++i) {
    std::size_t s = b.add_subject(std::to_string(i), {static_cast<std::int64_t>(next() % 2), num("1"), day("2020-01-01")});
    int nrec = static_cast<int>(next() % 9);
    for (int k = 0; k < nrec; ++k)
      b.add_record(s, static_cast<std::int64_t>(next() % 2),
                   {static_cast<std::int64_t>(next() % 3), static_cast<std::int64_t>(next() % 5000) * 10'000,
                    day("2024-01-01")});
  }
  SubjectTable t = b.build();
  Outcomes ref = evaluate(*plan, t, at("2025-01-01", 1, 1024));
  for (auto [threads, chunk] : std::vector<std::pair<unsigned, std::size_t>>{{2, 1}, {2, 7}, {4, 100}, {3, 4096}}) {
    Outcomes o = evaluate(*plan, t, at("2025-01-01", threads, chunk));
    EXPECT_EQ(o.score, ref.score) << threads << " threads, chunk " << chunk;
    EXPECT_EQ(o.tier, ref.tier);
  }
}

TEST(Evaluator, ExplainsContributionsRecordsAndOverrides) {
  auto plan = compile_text(std::string(R"(
score
  start at 100
  deduct penalties: 5 * count(v where sev >= mid)
  add bonus in b: 3 * count(w)
  cap b at 4
tiers
  A [90, inf)
  B [75, 90)
  C (-inf, 75)
overrides
  heavy: at most B
    when any(v where sev = high)
    because "a high-severity record"
    basis "t art. 1"
)"));
  ASSERT_TRUE(plan);
  SubjectTable t = table_of(*plan, {
      {0, "0", "2020-01-01", {{0, 2, "0", "2024-01-01"}, {0, 0, "0", "2024-01-01"}, {1, 0, "0", "2024-01-01"},
                              {1, 0, "0", "2024-01-01"}}},
  });
  Explanation x = explain(*plan, t, 0, at("2025-01-01"));
  EXPECT_EQ(x.subject, "1");
  EXPECT_EQ(x.score, num("99"));  // 100 - 5 + min(6, 4)
  ASSERT_EQ(x.contributions.size(), 2u);
  EXPECT_EQ(x.contributions[0].points, num("-5"));
  EXPECT_EQ(x.contributions[0].rule, "deduct penalties: 5 * count(v where sev >= mid)");
  ASSERT_EQ(x.contributions[0].records.size(), 1u);  // only the high record matches sev >= mid
  EXPECT_EQ(x.contributions[0].records[0].index, 0u);
  EXPECT_EQ(x.contributions[1].records.size(), 2u);
  ASSERT_EQ(x.caps.size(), 1u);
  EXPECT_NE(x.caps[0].find("capped at 4 (was 6)"), std::string::npos) << x.caps[0];
  EXPECT_EQ(x.band_tier, "A");
  ASSERT_EQ(x.overrides.size(), 1u);
  EXPECT_EQ(x.overrides[0].effect, "tier A -> B");
  EXPECT_EQ(x.overrides[0].basis, "t art. 1");
  EXPECT_EQ(x.tier, "B");
  EXPECT_NE(x.to_json().find("\"tier\":\"B\""), std::string::npos);
  EXPECT_NE(x.to_text().find("because: a high-severity record"), std::string::npos);
}

TEST(Evaluator, GuardsInsideAggregationsProtectSubjectValues) {
  // `10 / n` runs only for the records whose guard leaves it open
  auto plan = compile_text(std::string(R"(
score
  start at 0
  add a: sum(if amount > 0 yuan then 1 else 10 / n over v)
  add b: count(v where sev = high or 10 / n > 1)
)") + kLadder);
  ASSERT_TRUE(plan);
  SubjectTable t = table_of(*plan, {
      {0, "0", "2020-01-01", {{0, 2, "1", "2024-01-01"}}},  // n = 0: both guards settle first
      {0, "0", "2020-01-01", {}},                            // n = 0 and no records
      {0, "2", "2020-01-01", {{0, 0, "60", "2024-01-01"}}},  // b asks 10 / 2 > 1
  });
  Outcomes o = evaluate(*plan, t, at("2025-01-01"));
  ASSERT_TRUE(o.errors.empty()) << o.errors[0].message;
  EXPECT_EQ(o.score[0], num("2"));
  EXPECT_EQ(o.score[1], num("0"));
  EXPECT_EQ(o.score[2], num("2"));

  // a subject without records never computes what only its records need
  plan = compile_text(std::string(R"(
score
  start at 0
  add c: count(v where amount > (100 yuan) / n)
)") + kLadder);
  ASSERT_TRUE(plan);
  t = table_of(*plan, {{0, "0", "2020-01-01", {}}, {0, "2", "2020-01-01", {{0, 0, "60", "2024-01-01"}}}});
  o = evaluate(*plan, t, at("2025-01-01"));
  ASSERT_TRUE(o.errors.empty()) << o.errors[0].message;
  EXPECT_EQ(o.score[0], num("0"));
  EXPECT_EQ(o.score[1], num("1"));
}

TEST(Evaluator, ConstantExpressionsInTablesAndSupervision) {
  auto plan = compile_text(R"(
const w = 3
table ip(s: Sev) -> integer
  low -> w + 1
  otherwise -> 7
score
  start at 100
  deduct x: sum(ip[sev] over v)
tiers
  A [90, inf)
  B (-inf, 90)
supervision
  tier A sampling 1% + 1%
  tier B sampling 50%
)");
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->tiers[0].supervision.sampling, num("0.02"));
  SubjectTable t = table_of(*plan, {{0, "0", "2020-01-01", {{0, 0, "0", "2024-01-01"}}},
                                    {0, "0", "2020-01-01", {{0, 1, "0", "2024-01-01"}}}});
  Outcomes o = evaluate(*plan, t, at("2025-01-01"));
  EXPECT_EQ(o.score[0], num("96"));
  EXPECT_EQ(o.score[1], num("93"));
}

TEST(Evaluator, DayCountsInWindowsRoundToWholeDays) {
  auto plan = compile_text(std::string(R"(
const half = 10.5 days
score
  start at 0
  add a: 10 * count(v where on within 10.5 days)
  add b: count(v where on within 10.4 days)
  add c: 100 * count(v where on within half)
  add d: 1000 * count(v where on within (n + 0.5) * 1 days)
)") + kLadder);
  ASSERT_TRUE(plan);
  // 10 and 11 days before the evaluation date; (n + 0.5) days is 10.5 days
  SubjectTable t = table_of(*plan, {{0, "10", "2020-01-01", {{0, 0, "0", "2024-06-20"}, {0, 0, "0", "2024-06-19"}}}});
  Outcomes o = evaluate(*plan, t, at("2024-06-30"));
  // 10.5 days rounds to 11: 06-20 is inside, 06-19 is not; 10.4 rounds to 10: neither
  EXPECT_EQ(o.score[0], num("1110"));
}

TEST(Evaluator, SumsDoNotDependOnRecordOrder) {
  auto plan = compile_text(std::string(R"(
score
  start at 0
  add s: sum(amount over v) / (1000000000000 yuan)
)") + kLadder);
  ASSERT_TRUE(plan);
  // the running total of the first order leaves the range; the sum does not
  SubjectTable t = table_of(*plan, {
      {0, "0", "2020-01-01", {{0, 0, "5000000000000", "2024-01-01"}, {0, 0, "5000000000000", "2024-01-01"},
                              {0, 0, "-5000000000000", "2024-01-01"}}},
      {0, "0", "2020-01-01", {{0, 0, "5000000000000", "2024-01-01"}, {0, 0, "-5000000000000", "2024-01-01"},
                              {0, 0, "5000000000000", "2024-01-01"}}},
      {0, "0", "2020-01-01", {{0, 0, "-9000000000000", "2024-01-01"}, {0, 0, "-9000000000000", "2024-01-01"}}},
  });
  Outcomes o = evaluate(*plan, t, at("2025-01-01"));
  EXPECT_EQ(o.score[0], num("5"));
  EXPECT_EQ(o.score[1], num("5"));
  ASSERT_EQ(o.errors.size(), 1u);  // -18e12 does not fit
  EXPECT_EQ(o.errors[0].subject, 2u);
}

TEST(Evaluator, ExplanationsShowALetsRecordsForEveryUse) {
  auto plan = compile_text(std::string(R"(
let nv = count(v)
score
  start at 100
  deduct a: 2 * nv
  deduct b: 3 * nv
)") + kLadder);
  ASSERT_TRUE(plan);
  SubjectTable t = table_of(*plan, {{0, "0", "2020-01-01", {{0, 0, "0", "2024-01-01"}, {1, 0, "0", "2024-01-01"},
                                                            {0, 0, "0", "2024-01-01"}}}});
  Explanation x = explain(*plan, t, 0, at("2025-01-01"));
  ASSERT_EQ(x.contributions.size(), 2u);
  EXPECT_EQ(x.contributions[0].points, num("-4"));
  EXPECT_EQ(x.contributions[1].points, num("-6"));
  EXPECT_EQ(x.contributions[0].records.size(), 2u);
  EXPECT_EQ(x.contributions[1].records.size(), 2u);
}

TEST(Evaluator, RefusesTablesThatDoNotFitTheSchema) {
  auto plan = compile_text(std::string("score\n  start at 100\n") + kLadder);
  ASSERT_TRUE(plan);
  SubjectTable t;  // no columns at all
  t.ids.push_back("1");
  t.record_offsets = {0, 0};
  EXPECT_THROW(evaluate(*plan, t, at("2025-01-01")), UsageError);
}

}  // namespace
}  // namespace gradus
