// decide() and prove() through the public API.
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "gradus/gradus.hpp"

using namespace gradus;

namespace {

const char* kRules = R"(rulebook "test"
scale Harm: slight < serious
breaches
  goods_value: money increasing
  harm: Harm increasing
  corrected: bool decreasing
penalty base
  level lighter when corrected
  impose fine from 5000 yuan to 50000 yuan when goods_value < 10000 yuan
  impose fine from 5 * goods_value to 10 * goods_value otherwise
  escalate suspension_order when prior(1 year) >= 2
penalty grave
  impose fine from 10 * goods_value to 20 * goods_value
  impose permit_revocation when harm = serious
  escalate tender_ban for 1 year when after_ban(tender_ban, 2 years) also
  impose tender_ban from 1 year to 2 years
)";

Compilation compiled() {
  Compilation c = compile_source(Source("test.gradus", kRules));
  EXPECT_TRUE(c.ok()) << c.render();
  return c;
}

BreachTable table(const std::vector<std::tuple<std::string, std::string, std::int32_t, int, std::int64_t, int, int>>& rows) {
  BreachTable t;
  t.inputs.resize(3);
  for (const auto& [id, party, date, penalty, value, harm, corrected] : rows) {
    t.ids.push_back(id);
    t.parties.push_back(party);
    t.dates.push_back(date);
    t.penalties.push_back(penalty);
    t.inputs[0].push_back(value * decimal::kScale);
    t.inputs[1].push_back(harm);
    t.inputs[2].push_back(corrected);
  }
  return t;
}

std::int32_t day(const char* d) { return static_cast<std::int32_t>(*date::parse(d)); }

}  // namespace

TEST(Penalty, ProvesTheTestRulebook) {
  Compilation c = compiled();
  EXPECT_EQ(c.proof.rules, 2u);
  EXPECT_GT(c.proof.cases, 2u);
  EXPECT_TRUE(c.proof.proved);
}

TEST(Penalty, NarrowsByLevelAndCountsHistoryInDateOrder) {
  Compilation c = compiled();
  // rows out of date order: history follows dates, not rows
  BreachTable t = table({{"c", "p", day("2024-06-01"), 0, 9000, 0, 0},
                         {"a", "p", day("2024-01-01"), 0, 20000, 0, 1},
                         {"b", "p", day("2024-03-01"), 0, 9999, 0, 0},
                         {"d", "q", day("2024-06-01"), 0, 9000, 0, 0}});
  auto d = decide(*c.checked, t, {1});
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(format_measures(*c.checked, d[1]), "fine 100000..130000");  // lighter: 0..30% of 100000..200000
  EXPECT_EQ(format_measures(*c.checked, d[2]), "fine 18500..36500");    // general: 30..70% of 5000..50000
  EXPECT_EQ(format_measures(*c.checked, d[0]), "fine 18500..36500; !suspension_order");  // third within a year
  EXPECT_EQ(format_measures(*c.checked, d[3]), "fine 18500..36500");    // another party has no history
  EXPECT_EQ(d[1].level, 2);
}

TEST(Penalty, AfterBanUsesTheLowEndOfTheBan) {
  Compilation c = compiled();
  // first ban 12..24 months from 2020-01-01 ends 2021-01-01 (low end); 2 years after: until 2023-01-01
  BreachTable t = table({{"1", "p", day("2020-01-01"), 1, 100, 0, 0},
                         {"2", "p", day("2020-12-31"), 1, 100, 0, 0},
                         {"3", "q", day("2020-01-01"), 1, 100, 0, 0},
                         {"4", "q", day("2022-12-31"), 1, 100, 0, 0},
                         {"5", "r", day("2020-01-01"), 1, 100, 0, 0},
                         {"6", "r", day("2023-01-02"), 1, 100, 0, 0}});
  auto d = decide(*c.checked, t, {2});
  EXPECT_EQ(format_measures(*c.checked, d[1]), "fine 1300..1700; tender_ban 12..24 months");  // ban not ended
  EXPECT_EQ(format_measures(*c.checked, d[3]), "fine 1300..1700; !tender_ban 24..36 months");
  EXPECT_EQ(format_measures(*c.checked, d[5]), "fine 1300..1700; tender_ban 12..24 months");  // more than 2 years after
}

TEST(Penalty, SameDecisionsForAnyThreadCount) {
  Compilation c = compiled();
  std::mt19937_64 rng(7);
  std::vector<std::tuple<std::string, std::string, std::int32_t, int, std::int64_t, int, int>> rows;
  for (int i = 0; i < 5000; ++i)
    rows.emplace_back(std::to_string(i), fmt::format("p{}", rng() % 700), day("2020-01-01") + static_cast<int>(rng() % 1500),
                      static_cast<int>(rng() % 2), static_cast<std::int64_t>(rng() % 40000), static_cast<int>(rng() % 2),
                      static_cast<int>(rng() % 2));
  BreachTable t = table(rows);
  auto one = decide(*c.checked, t, {1}), two = decide(*c.checked, t, {2}), many = decide(*c.checked, t, {7});
  std::size_t escalated = 0;
  for (std::size_t i = 0; i < one.size(); ++i) {
    std::string a = format_measures(*c.checked, one[i]);
    EXPECT_EQ(a, format_measures(*c.checked, two[i]));
    EXPECT_EQ(a, format_measures(*c.checked, many[i]));
    escalated += a.find('!') != std::string::npos;
  }
  EXPECT_GT(escalated, 0u);
}

TEST(Penalty, RejectsATableThatDoesNotFit) {
  Compilation c = compiled();
  BreachTable t = table({{"1", "p", day("2020-01-01"), 0, 100, 5, 0}});
  EXPECT_THROW(decide(*c.checked, t), UsageError);  // harm code 5 of a two-member scale
  BreachTable u = table({{"1", "p", day("2020-01-01"), 3, 100, 0, 0}});
  EXPECT_THROW(decide(*c.checked, u), UsageError);  // no penalty rule 3
}

TEST(Penalty, DoubleImpositionFailsOnlyThatBreach) {
  Compilation c = compile_source(Source("t.gradus", R"(rulebook "t"
breaches
  v: money
penalty p
  impose fine from 1 yuan to 2 yuan when v < 10 yuan
  impose fine from 1 yuan to 2 yuan when v < 20 yuan
)"));
  EXPECT_FALSE(c.ok());  // the proof finds the overlap
  ASSERT_FALSE(c.diagnostics.items().empty());
  EXPECT_EQ(c.diagnostics.items()[0].code, Code::E0704);
}
