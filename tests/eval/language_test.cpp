// The language constructs the published schemes need, evaluated: year(),
// the score in conditions, tiers only overrides give, measures with a
// condition, supervision bands, variants, allowed values and rulebooks
// without records.
#include <sstream>

#include <gtest/gtest.h>

#include "../io/io_test_util.hpp"
#include "gradus/gradus.hpp"

namespace gradus {
namespace {

// subjects (id, n, since), records (kind v|w, on)
constexpr const char* kSchema = R"(rulebook "t"
subjects
  id: key
  n: integer
  since: date
records
  sid: subject
  kind: kind of v, w
  on: date
)";

std::int64_t num(const char* text) { return *decimal::parse(text); }
std::int64_t day(const char* text) { return *date::parse(text); }

std::shared_ptr<const Plan> compile_text(const std::string& body, const std::string& variant = {}) {
  Compilation c = compile_source(Source("t.gradus", std::string(kSchema) + body), CheckOptions{variant});
  EXPECT_TRUE(c.ok()) << c.render();
  return c.plan;
}

struct Subject {
  const char* n;
  const char* since;
  std::vector<std::pair<int, const char*>> records;  // kind, on
};

SubjectTable table_of(const Plan& plan, const std::vector<Subject>& rows) {
  SubjectTableBuilder b(plan.schema);
  int id = 1;
  for (const auto& r : rows) {
    std::size_t s = b.add_subject(std::to_string(id++), {num(r.n), day(r.since)});
    for (const auto& [kind, on] : r.records) b.add_record(s, kind, {day(on)});
  }
  return b.build();
}

EvalOptions at(const char* as_of) {
  EvalOptions o;
  o.as_of = day(as_of);
  return o;
}

std::vector<std::string> tiers_of(const Plan& plan, const Outcomes& out) {
  std::vector<std::string> t;
  for (std::int32_t i : out.tier) t.push_back(i < 0 ? "-" : plan.tiers[static_cast<std::size_t>(i)].name);
  return t;
}

std::string written(const Plan& plan, const SubjectTable& t, const Outcomes& o, OutputFormat f = OutputFormat::csv) {
  std::ostringstream out;
  write_outcomes(out, plan, t, o, f);
  return out.str();
}

TEST(Year, CountsRecordsByCalendarYear) {
  auto plan = compile_text(R"(
score
  start at 0
  add this_year: count(v where year(on) = year(as_of))
  add last_year: 10 * count(v where year(on) = year(as_of) - 1)
  add since_year: year(since) - 2000
tiers
  A (-inf, inf)
)");
  SubjectTable t = table_of(*plan, {{"0", "2024-02-29", {{0, "2023-12-31"}, {0, "2024-01-01"}, {0, "2024-12-31"}, {1, "2024-05-01"}}},
                                    {"0", "1969-12-31", {{0, "2025-01-01"}}}});
  Outcomes out = evaluate(*plan, t, at("2024-06-01"));
  EXPECT_EQ(out.score[0], num("36"));  // 2 this year + 10 x 1 last year + (2024 - 2000)
  EXPECT_EQ(out.score[1], num("-31"));  // a record in 2025 is neither year; 1969 - 2000
}

TEST(ScoreInConditions, RequirementsAndOverridesReadTheFinalScore) {
  auto plan = compile_text(R"(
score
  start at n
tiers
  A [90, inf) requires score >= 95 or since < 2000-01-01
  B [50, 90)
  C (-inf, 50)
overrides
  low_but_old: at least B when score >= 40 and since < 2000-01-01 because "old"
)");
  SubjectTable t = table_of(*plan, {{"96", "2010-01-01", {}},
                                    {"92", "2010-01-01", {}},
                                    {"92", "1990-01-01", {}},
                                    {"45", "1990-01-01", {}},
                                    {"35", "1990-01-01", {}}});
  Outcomes out = evaluate(*plan, t, at("2025-01-01"));
  EXPECT_EQ(tiers_of(*plan, out), (std::vector<std::string>{"A", "B", "A", "B", "C"}));
}

constexpr const char* kWithM = R"(
score
  start at n
tiers
  A [90, inf)
  B [70, 90)
  M "new" by override
  C [40, 70)
  D (-inf, 40)
overrides
  new_entity: force M when since >= 2024-01-01 because "new"
  capped: at most C when n = 75 or n = 76 because "capped"
  not_a: at most B when n = 77 because "bar"
)";

TEST(TierByOverride, OnlyAnOverrideGivesIt) {
  auto plan = compile_text(kWithM);
  ASSERT_EQ(plan->tiers.size(), 5u);
  EXPECT_TRUE(plan->tiers[2].by_override);
  SubjectTable t = table_of(*plan, {{"95", "2010-01-01", {}},
                                    {"80", "2010-01-01", {}},
                                    {"50", "2010-01-01", {}},
                                    {"10", "2010-01-01", {}},
                                    {"95", "2024-05-01", {}},
                                    {"76", "2024-05-01", {}},
                                    {"77", "2024-05-01", {}}});
  Outcomes out = evaluate(*plan, t, at("2025-01-01"));
  // the ladder skips M; 'at most C' moves M down to C (C lies below M), 'at most B' leaves it
  EXPECT_EQ(tiers_of(*plan, out), (std::vector<std::string>{"A", "B", "C", "D", "M", "C", "M"}));
  Explanation x = explain(*plan, t, 5, at("2025-01-01"));
  EXPECT_EQ(x.band_tier, "B");
  ASSERT_EQ(x.overrides.size(), 2u);
  EXPECT_EQ(x.overrides[0].effect, "tier B -> M");
  EXPECT_EQ(x.overrides[1].effect, "tier M -> C");
}

TEST(TierByOverride, TheLadderWithRequirementsSkipsItToo) {
  auto plan = compile_text(std::string(kWithM).replace(std::string(kWithM).find("A [90, inf)"), 11,
                                                        "A [90, inf) requires n > 95"));
  SubjectTable t = table_of(*plan, {{"96", "2010-01-01", {}}, {"95", "2010-01-01", {}}, {"30", "2010-01-01", {}}});
  Outcomes out = evaluate(*plan, t, at("2025-01-01"));
  EXPECT_EQ(tiers_of(*plan, out), (std::vector<std::string>{"A", "B", "D"}));
  Explanation x = explain(*plan, t, 1, at("2025-01-01"));
  EXPECT_EQ(x.band_tier, "B");
  ASSERT_EQ(x.tier_steps.size(), 1u);
}

TEST(ConditionalMeasures, ApplyToTheSubjectsOfTheirTierWhoseConditionHolds) {
  auto plan = compile_text(R"(
score
  start at n
tiers
  A [50, inf)
  B (-inf, 50)
measure key "key supervision"
incentive fast "fast track"
supervision
  tier A sampling 2% incentive fast when score > 90 measure key when since < 2000-01-01
  tier B sampling 50% measure key
)");
  ASSERT_EQ(plan->conditionals.size(), 2u);
  SubjectTable t = table_of(*plan, {{"95", "1990-01-01", {}}, {"95", "2010-01-01", {}}, {"60", "1990-01-01", {}},
                                    {"10", "1990-01-01", {}}});
  Outcomes out = evaluate(*plan, t, at("2025-01-01"));
  EXPECT_EQ(out.conditionals, (std::vector<std::uint64_t>{3, 1, 2, 2}));
  EXPECT_EQ(written(*plan, t, out),
            "id,score,tier,sampling,interval_days,incentives,measures,overrides,error\n"
            "1,95,A,0.02,,fast,key,,\n"
            "2,95,A,0.02,,fast,,,\n"
            "3,60,A,0.02,,,key,,\n"
            "4,10,B,0.5,,,key,,\n");
  Explanation x = explain(*plan, t, 0, at("2025-01-01"));
  EXPECT_EQ(x.supervision.incentives, std::vector<std::string>{"fast"});
  EXPECT_EQ(x.supervision.measures, std::vector<std::string>{"key"});
}

TEST(SupervisionBands, SamplingRangesAndChecksPerYearAreWrittenAsBands) {
  auto plan = compile_text(R"(
score
  start at n
tiers
  A [50, inf)
  B [20, 50)
  C (-inf, 20)
supervision
  tier A sampling [0%, 5%] checks [0, 1)
  tier B sampling 20% checks [1, 2]
  tier C sampling [61%, 100%]
)");
  SubjectTable t = table_of(*plan, {{"60", "2010-01-01", {}}, {"30", "2010-01-01", {}}, {"0", "2010-01-01", {}}});
  Outcomes out = evaluate(*plan, t, at("2025-01-01"));
  EXPECT_EQ(written(*plan, t, out),
            "id,score,tier,sampling,interval_days,checks_per_year,incentives,measures,overrides,error\n"
            "1,60,A,\"[0, 0.05]\",,\"[0, 1)\",,,,\n"
            "2,30,B,0.2,,\"[1, 2]\",,,,\n"
            "3,0,C,\"[0.61, 1]\",,,,,,\n");
  EXPECT_NE(written(*plan, t, out, OutputFormat::jsonl)
                .find("\"tier\":\"A\",\"sampling\":\"[0, 0.05]\",\"interval_days\":null,\"checks_per_year\":\"[0, 1)\""),
            std::string::npos);
  out.tier[2] = -1;  // a failed subject keeps the columns in place
  out.errors.push_back({2, "boom"});
  EXPECT_NE(written(*plan, t, out).find("\n3,,,,,,,,,boom\n"), std::string::npos);
}

TEST(Variants, ConstantsTakeTheVariantsValuesAndWhatDependsOnThemFollows) {
  const std::string body = R"(
const base = 90
const bonus = base / 10
variant low "low"
  base = 60
variant same "no change"
score
  start at base + bonus + n
tiers
  A [100, inf)
  B (-inf, 100)
)";
  auto plain = compile_text(body);
  auto low = compile_text(body, "low");
  auto same = compile_text(body, "same");
  SubjectTable t = table_of(*plain, {{"1", "2010-01-01", {}}});
  EXPECT_EQ(evaluate(*plain, t, at("2025-01-01")).score[0], num("100"));
  EXPECT_EQ(evaluate(*low, t, at("2025-01-01")).score[0], num("67"));
  EXPECT_EQ(evaluate(*same, t, at("2025-01-01")).score[0], num("100"));
  EXPECT_EQ(low->variant, "low");
  EXPECT_EQ(plain->variant, "");

  Compilation unknown = compile_source(Source("t.gradus", std::string(kSchema) + body), CheckOptions{"loww"});
  EXPECT_FALSE(unknown.ok());
  EXPECT_NE(unknown.render().find("error[E0604]: no variant 'loww' (did you mean 'low'?); the variants are low, same"),
            std::string::npos)
      << unknown.render();
  Compilation none = compile_source(Source("t.gradus", std::string(kSchema) + R"(
score
  start at n
tiers
  A (-inf, inf)
)"), CheckOptions{"low"});
  EXPECT_NE(none.render().find("no variant 'low': the rulebook declares no variants"), std::string::npos);
}

TEST(Variants, EachVariantHasItsOwnSupervision) {
  const std::string body = R"(
variant city "city"
variant county "county"
score
  start at n
tiers
  A [50, inf)
  B (-inf, 50)
supervision
  tier A sampling 10%
  tier B sampling 20%
supervision for city
  tier A sampling 2%
  tier B sampling 100%
)";
  EXPECT_EQ(compile_text(body)->tiers[0].supervision.sampling, num("0.1"));
  EXPECT_EQ(compile_text(body, "city")->tiers[0].supervision.sampling, num("0.02"));
  EXPECT_EQ(compile_text(body, "county")->tiers[0].supervision.sampling, num("0.1")) << "no section of its own";
}

TEST(AllowedValues, TheLoaderTakesOnlyTheListedNumbers) {
  Compilation c = compile_source(Source("t.gradus", R"(rulebook "t"
subjects
  id: key
  share: decimal in {0%, 2.5%, 50%}
  fee: money in {-10, 0, 1000.5}
score
  start at share * 100
  add fee: if fee > 0 yuan then 1 else 0
tiers
  A (-inf, inf)
)"));
  ASSERT_TRUE(c.ok()) << c.render();
  EXPECT_EQ(c.plan->schema.subject_fields[0].allowed, (std::vector<std::int64_t>{0, 25'000, 500'000}));
  EXPECT_EQ(c.plan->schema.subject_fields[1].allowed, (std::vector<std::int64_t>{-10'000'000, 0, 1'000'500'000}));
  test::TempDir dir;
  SubjectTable t = load_csv(c.plan->schema, dir.write("ok.csv", "id,share,fee\na,0.025,1000.50\nb,0.5,-10\n"), "", {});
  EXPECT_EQ(t.subject_columns[0], (std::vector<std::int64_t>{25'000, 500'000}));
  try {
    load_csv(c.plan->schema, dir.write("bad.csv", "id,share,fee\na,0.03,0\nb,0,10\nc,x,0\n"), "", {});
    FAIL();
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("bad.csv:2: field 'share': not one of the allowed values 0, 0.025, 0.5 (value '0.03')"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("bad.csv:3: field 'fee': not one of the allowed values -10, 0, 1000.5 (value '10')"),
              std::string::npos);
    EXPECT_NE(what.find("bad.csv:4: field 'share': not a number (value 'x')"), std::string::npos);
  }
  // a table built in code is held to the same values
  SubjectTableBuilder b(c.plan->schema);
  b.add_subject("x", {30'000, 0});
  try {
    b.build();
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "subject table: subject 'x': field 'share' holds 0.03, which is not one of its allowed values");
  }
}

TEST(NoRecords, ARulebookWithoutRecordsLoadsItsSubjectsAlone) {
  Compilation c = compile_source(Source("t.gradus", R"(rulebook "t"
subjects
  id: key
  n: integer
score
  start at n
tiers
  A (-inf, inf)
)"));
  ASSERT_TRUE(c.ok());
  test::TempDir dir;
  const std::string s = dir.write("s.csv", "id,n\na,1\nb,2\n");
  SubjectTable t = load_csv(c.plan->schema, s, "", {});
  EXPECT_EQ(t.record_offsets, (std::vector<std::int64_t>{0, 0, 0}));
  EXPECT_EQ(evaluate(*c.plan, t, at("2025-01-01")).score[1], num("2"));
  EXPECT_THROW(load_csv(c.plan->schema, s, dir.write("r.csv", "sid\n"), {}), UsageError);
}

TEST(PercentBounds, BandsMayBeWrittenAsRatios) {
  auto plan = compile_text(R"(
table band(r: decimal) -> integer
  (-inf, 10%) -> 1
  [10%, 12.5%] -> 2
  otherwise -> 3
score
  start at band[n / 100]
tiers
  A (-inf, inf)
)");
  SubjectTable t = table_of(*plan, {{"9", "2010-01-01", {}}, {"10", "2010-01-01", {}}, {"12", "2010-01-01", {}},
                                    {"13", "2010-01-01", {}}});
  Outcomes out = evaluate(*plan, t, at("2025-01-01"));
  EXPECT_EQ(out.score, (std::vector<std::int64_t>{num("1"), num("2"), num("2"), num("3")}));
}

}  // namespace
}  // namespace gradus
