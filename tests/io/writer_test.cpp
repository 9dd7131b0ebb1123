// write_outcomes (CSV, JSON Lines), summarize and format_summary on a plan
// and outcomes built by hand.
#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gradus/core/decimal.hpp"
#include "gradus/core/error.hpp"
#include "gradus/io/writer.hpp"
#include "io_test_util.hpp"

namespace gradus {
namespace {

constexpr std::int64_t M = 1'000'000;

PlanTier tier(std::string name, bool has_sampling, std::int64_t sampling, bool has_interval, std::int64_t interval,
              std::vector<std::string> incentives, std::vector<std::string> measures) {
  PlanTier t;
  t.name = std::move(name);
  t.supervision.has_sampling = has_sampling;
  t.supervision.sampling = sampling;
  t.supervision.has_interval = has_interval;
  t.supervision.interval_days = interval;
  t.supervision.incentives = std::move(incentives);
  t.supervision.measures = std::move(measures);
  return t;
}

Plan make_plan() {
  Plan p;
  p.schema = test::test_schema();
  p.tiers = {tier("A", true, 20'000, true, 365, {"fast_track"}, {}),
             tier("B", true, 50'000, false, 0, {}, {"warning", "visit"}),
             tier("C", false, 0, false, 0, {}, {})};
  PlanOverride grave, court;
  grave.name = "grave_violation";
  court.name = "court_order";
  p.overrides = {grave, court};
  p.summary_field = 0;  // sector
  return p;
}

/// Subjects with the given ids and sectors (other columns zero), no records.
SubjectTable make_table(const std::vector<std::string>& ids, const std::vector<std::int64_t>& sectors) {
  SubjectTable t;
  t.ids = ids;
  t.subject_columns.assign(6, std::vector<std::int64_t>(ids.size(), 0));
  t.subject_columns[0] = sectors;
  t.record_offsets.assign(ids.size() + 1, 0);
  t.record_columns.resize(3);
  return t;
}

struct Fixture {
  Plan plan = make_plan();
  SubjectTable table = make_table({"s1", "a,b", "q\"x", "fail", "\xC3\xBCn\xC3\xAF"}, {3, 0, 3, 2, 0});
  Outcomes out;
  Fixture() {
    out.score = {87'500'000, 90 * M, -25'000, 0, 110 * M};
    out.tier = {1, 0, 2, -1, 0};
    out.overrides = {0, 3, 2, 0, 1};
    out.errors = {{3, "division by zero at w.gradus:3:5, in \"x\"\nsecond line"}};
  }
};

std::string write(const Fixture& f, OutputFormat format) {
  std::ostringstream os;
  write_outcomes(os, f.plan, f.table, f.out, format);
  return os.str();
}

TEST(WriteOutcomes, Csv) {
  Fixture f;
  EXPECT_EQ(write(f, OutputFormat::csv),
            "id,score,tier,sampling,interval_days,incentives,measures,overrides,error\n"
            "s1,87.5,B,0.05,,,warning;visit,,\n"
            "\"a,b\",90,A,0.02,365,fast_track,,grave_violation;court_order,\n"
            "\"q\"\"x\",-0.025,C,,,,,court_order,\n"
            "fail,,,,,,,,\"division by zero at w.gradus:3:5, in \"\"x\"\"\nsecond line\"\n"
            "\xC3\xBCn\xC3\xAF,110,A,0.02,365,fast_track,,grave_violation,\n");
}

TEST(WriteOutcomes, JsonLines) {
  Fixture f;
  EXPECT_EQ(write(f, OutputFormat::jsonl),
            "{\"id\":\"s1\",\"score\":87.5,\"tier\":\"B\",\"sampling\":0.05,\"interval_days\":null,"
            "\"incentives\":[],\"measures\":[\"warning\",\"visit\"],\"overrides\":[],\"error\":null}\n"
            "{\"id\":\"a,b\",\"score\":90,\"tier\":\"A\",\"sampling\":0.02,\"interval_days\":365,"
            "\"incentives\":[\"fast_track\"],\"measures\":[],\"overrides\":[\"grave_violation\",\"court_order\"],"
            "\"error\":null}\n"
            "{\"id\":\"q\\\"x\",\"score\":-0.025,\"tier\":\"C\",\"sampling\":null,\"interval_days\":null,"
            "\"incentives\":[],\"measures\":[],\"overrides\":[\"court_order\"],\"error\":null}\n"
            "{\"id\":\"fail\",\"score\":null,\"tier\":null,\"sampling\":null,\"interval_days\":null,"
            "\"incentives\":[],\"measures\":[],\"overrides\":[],"
            "\"error\":\"division by zero at w.gradus:3:5, in \\\"x\\\"\\nsecond line\"}\n"
            "{\"id\":\"\xC3\xBCn\xC3\xAF\",\"score\":110,\"tier\":\"A\",\"sampling\":0.02,\"interval_days\":365,"
            "\"incentives\":[\"fast_track\"],\"measures\":[],\"overrides\":[\"grave_violation\"],\"error\":null}\n");
}

TEST(WriteOutcomes, JsonEscapesControlCharactersAndBackslashes) {
  Fixture f;
  f.table.ids[0] = std::string("t\tb\\s\x01\x1f\r\b\f/", 11);
  std::string s = write(f, OutputFormat::jsonl);
  EXPECT_EQ(s.substr(0, s.find(",\"score\"")), "{\"id\":\"t\\tb\\\\s\\u0001\\u001f\\r\\b\\f/\"");
}

TEST(WriteOutcomes, FailedSubjectWithoutMessageAndEmptyOverrides) {
  Fixture f;
  f.out.errors.clear();
  f.out.overrides.clear();  // no masks: no overrides held
  std::string s = write(f, OutputFormat::csv);
  EXPECT_NE(s.find("\nfail,,,,,,,,evaluation failed\n"), std::string::npos) << s;
  EXPECT_NE(s.find("\n\"a,b\",90,A,0.02,365,fast_track,,,\n"), std::string::npos) << s;
}

TEST(WriteOutcomes, ScoresAreExactShortestDecimals) {
  std::vector<std::int64_t> values = {0,       1,         -1,         999'999,   1'000'000, -1'000'000,
                                      10,      100'000,   123'456'789, -50'000,  INT64_MAX, INT64_MIN,
                                      INT64_MIN + 1, 7'000'000'000'000'000'000};
  std::mt19937_64 rng(5);
  for (int i = 0; i < 2000; ++i) {
    std::int64_t v = static_cast<std::int64_t>(rng());
    values.push_back(v >> (rng() % 63));
  }
  Plan plan = make_plan();
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < values.size(); ++i) ids.push_back("x" + std::to_string(i));
  SubjectTable table = make_table(ids, std::vector<std::int64_t>(ids.size(), 0));
  Outcomes out;
  out.score = values;
  out.tier.assign(values.size(), 2);
  std::ostringstream os;
  write_outcomes(os, plan, table, out, OutputFormat::csv);
  std::istringstream in(os.str());
  std::string line;
  std::getline(in, line);  // header
  for (std::size_t i = 0; i < values.size(); ++i) {
    ASSERT_TRUE(std::getline(in, line));
    std::size_t a = line.find(',') + 1;
    EXPECT_EQ(line.substr(a, line.find(',', a) - a), decimal::format(values[i])) << values[i];
  }
}

TEST(WriteOutcomes, LargeOutputIsComplete) {
  // More than one flush block.
  const std::size_t n = 100'000;
  Plan plan = make_plan();
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < n; ++i) ids.push_back("subject-" + std::to_string(i));
  SubjectTable table = make_table(ids, std::vector<std::int64_t>(n, 1));
  Outcomes out;
  out.score.assign(n, 12'345'678);
  out.tier.assign(n, 1);
  std::ostringstream os;
  write_outcomes(os, plan, table, out, OutputFormat::jsonl);
  std::string s = os.str();
  EXPECT_EQ(static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')), n);
  EXPECT_NE(s.find("{\"id\":\"subject-99999\",\"score\":12.345678,"), std::string::npos);
}

TEST(WriteOutcomes, MismatchedOutcomesAreUsageErrors) {
  Fixture f;
  f.out.score.pop_back();
  std::ostringstream os;
  EXPECT_THROW(write_outcomes(os, f.plan, f.table, f.out, OutputFormat::csv), UsageError);
  Fixture g;
  g.out.tier[0] = 3;  // the plan has 3 tiers
  EXPECT_THROW(write_outcomes(os, g.plan, g.table, g.out, OutputFormat::csv), UsageError);
}

// ------------------------------------------------------------------ summary

TEST(Summary, CountsByCategoryAndTier) {
  Fixture f;
  Summary s = summarize(f.plan, f.table, f.out);
  EXPECT_EQ(s.category_field, "sector");
  // sectors: s1 price, a,b food_drug, q"x price, fail medical (failed), ünï food_drug
  EXPECT_EQ(s.categories, (std::vector<std::string>{"food_drug", "medical", "price"}));
  EXPECT_EQ(s.tiers, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(s.counts, (std::vector<std::vector<std::size_t>>{{2, 0, 0}, {0, 0, 0}, {0, 1, 1}}));
  EXPECT_EQ(s.tier_totals, (std::vector<std::size_t>{2, 1, 1}));
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.subjects, 5u);
  EXPECT_EQ(s.score_sum, 87'500'000 + 90 * M - 25'000 + 110 * M);
  EXPECT_FALSE(s.score_sum_overflow);
  EXPECT_EQ(format_summary(s),
            "sector     A  B  C  total\n"
            "food_drug  2  0  0      2\n"
            "medical    0  0  0      0\n"
            "price      0  1  1      2\n"
            "total      2  1  1      4\n"
            "subjects=5 failed=1\n"
            "score_sum=287.475000\n");
}

TEST(Summary, NonEnumCategoriesAreFormattedValuesSortedByName) {
  Fixture f;
  f.plan.summary_field = 2;  // years_active (integer)
  f.table.subject_columns[2] = std::vector<std::int64_t>{3 * M, 12 * M, 3 * M, 0, 0};
  Summary s = summarize(f.plan, f.table, f.out);
  EXPECT_EQ(s.category_field, "years_active");
  EXPECT_EQ(s.categories, (std::vector<std::string>{"0", "12", "3"}));
  EXPECT_EQ(s.counts, (std::vector<std::vector<std::size_t>>{{1, 0, 0}, {1, 0, 0}, {0, 1, 1}}));
}

TEST(Summary, WithoutCategoryField) {
  Fixture f;
  f.plan.summary_field = -1;
  Summary s = summarize(f.plan, f.table, f.out);
  EXPECT_TRUE(s.category_field.empty());
  EXPECT_TRUE(s.categories.empty());
  EXPECT_EQ(format_summary(s),
            "category  A  B  C  total\n"
            "total     2  1  1      4\n"
            "subjects=5 failed=1\n"
            "score_sum=287.475000\n");
}

TEST(Summary, ScoreSumOverflowIsFlagged) {
  Fixture f;
  f.out.score = {INT64_MAX, INT64_MAX, 0, 0, 0};
  Summary s = summarize(f.plan, f.table, f.out);
  EXPECT_TRUE(s.score_sum_overflow);
  EXPECT_NE(format_summary(s).find("score_sum=overflow\n"), std::string::npos);
  // a sum that passes the range on the way but ends inside it is exact
  f.out.score = {INT64_MAX, INT64_MAX, INT64_MIN, 0, INT64_MIN};
  f.out.tier = {0, 0, 0, 0, 0};
  s = summarize(f.plan, f.table, f.out);
  EXPECT_FALSE(s.score_sum_overflow);
  EXPECT_EQ(s.score_sum, -2);
}

}  // namespace
}  // namespace gradus
