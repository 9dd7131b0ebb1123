// The published schemes, against cases derived from their official figures.
//
// Each tests/schemes/<scheme>/ holds subjects.csv, records.csv (when the
// rulebook reads records) and expected.csv: one row per subject and variant
// ("-" the rulebook as declared, "*" every variant of the file) with the
// expected tier, and optionally the score, the sampling ratio, the checks a
// year, and incentives or measures that must (or, with '!', must not) be
// listed; `why` says which figure of the scheme gives the expectation. The
// outcomes are compared as `gradus score` writes them.
#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../io/io_test_util.hpp"
#include "gradus/gradus.hpp"

namespace gradus {
namespace {

namespace fs = std::filesystem;
const fs::path kRoot = GRADUS_SOURCE_DIR;

using Row = std::map<std::string, std::string>;

/// Splits one CSV line (quotes as the writer writes them).
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else out.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

/// The rows of a CSV text, each by column name.
std::vector<Row> csv_rows(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> head = csv_fields(line);
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f = csv_fields(line);
    Row r;
    for (std::size_t i = 0; i < head.size(); ++i) r[head[i]] = i < f.size() ? f[i] : "";
    if (f.size() > head.size())  // `why`, the last column, may hold commas
      for (std::size_t i = head.size(); i < f.size(); ++i) r[head.back()] += "," + f[i];
    rows.push_back(std::move(r));
  }
  return rows;
}

/// `gradus score` output of a rulebook (as a variant) over a fixture, by subject id.
std::map<std::string, Row> score(const std::string& rules, const std::string& variant, const fs::path& dir,
                                 const char* as_of) {
  Compilation c = compile_file((kRoot / rules).string(), CheckOptions{variant});
  EXPECT_TRUE(c.ok()) << c.render();
  if (!c.ok()) return {};
  const fs::path records = dir / "records.csv";
  SubjectTable t = load_csv(c.plan->schema, (dir / "subjects.csv").string(),
                            fs::exists(records) ? records.string() : std::string(), {});
  EvalOptions o;
  o.as_of = *date::parse(as_of);
  std::ostringstream out;
  write_outcomes(out, *c.plan, t, evaluate(*c.plan, t, o), OutputFormat::csv);
  std::map<std::string, Row> by_id;
  for (Row& r : csv_rows(out.str())) by_id[r["id"]] = std::move(r);
  return by_id;
}

struct Scheme {
  const char* name;   // folder under tests/schemes
  const char* rules;  // relative to the repository root
  const char* as_of;
};

void PrintTo(const Scheme& s, std::ostream* os) { *os << s.name; }

class PublishedScheme : public ::testing::TestWithParam<Scheme> {};

TEST_P(PublishedScheme, ReproducesTheOfficialFigures) {
  const Scheme& s = GetParam();
  const fs::path dir = kRoot / "tests/schemes" / s.name;
  const std::vector<Row> expected = csv_rows(test::read_file((dir / "expected.csv").string()));
  ASSERT_FALSE(expected.empty());
  std::set<std::string> variants;
  for (const Row& e : expected)
    if (e.at("variant") != "*") variants.insert(e.at("variant"));
  std::size_t checked = 0;
  for (const std::string& v : variants) {
    const std::map<std::string, Row> out = score(s.rules, v == "-" ? "" : v, dir, s.as_of);
    for (const Row& e : expected) {
      if (e.at("variant") != v && !(e.at("variant") == "*" && v != "-")) continue;
      const std::string& id = e.at("id");
      auto it = out.find(id);
      ASSERT_NE(it, out.end()) << id << " was not scored";
      const Row& o = it->second;
      const std::string at = s.name + std::string(" ") + v + " " + id + " (" + e.at("why") + ")";
      EXPECT_EQ(o.at("error"), "") << at;
      EXPECT_EQ(o.at("tier"), e.at("tier")) << at;
      if (!e.at("score").empty()) {
        EXPECT_EQ(o.at("score"), e.at("score")) << at;
      }
      if (e.count("sampling")) {
        EXPECT_EQ(o.at("sampling"), e.at("sampling")) << at;
      }
      if (e.count("checks")) {
        EXPECT_EQ(o.count("checks_per_year") ? o.at("checks_per_year") : "", e.at("checks")) << at;
      }
      std::vector<std::string> listed;
      for (const char* column : {"incentives", "measures"}) {
        std::istringstream items(o.at(column));
        for (std::string item; std::getline(items, item, ';');) listed.push_back(item);
      }
      std::istringstream extra(e.at("extra"));
      for (std::string x; std::getline(extra, x, ';');) {
        const bool absent = !x.empty() && x[0] == '!';
        const std::string name = absent ? x.substr(1) : x;
        EXPECT_EQ(std::count(listed.begin(), listed.end(), name), absent ? 0 : 1) << at << ": " << x;
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, expected.size()) << "every expected row is checked at least once";
}

INSTANTIATE_TEST_SUITE_P(Schemes, PublishedScheme,
                         ::testing::Values(Scheme{"tax", "rules/tax_credit.gradus", "2025-04-01"},
                                           Scheme{"fhrs", "rules/fhrs.gradus", "2025-01-01"},
                                           Scheme{"fhrs_intervention", "rules/fhrs_intervention.gradus", "2025-01-01"},
                                           Scheme{"samr", "rules/samr_credit_risk.gradus", "2025-01-01"},
                                           Scheme{"food_producers", "rules/food_producers.gradus", "2025-01-01"}),
                         [](const ::testing::TestParamInfo<Scheme>& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------- FHRS, every valid input

/// The Brand Standard's table, written out independently of the rulebook.
int published_rating(int h, int s, int c) {
  const int total = h + s + c, highest = std::max({h, s, c});
  int by_total = total <= 15 ? 5 : total <= 20 ? 4 : total <= 30 ? 3 : total <= 40 ? 2 : total <= 50 ? 1 : 0;
  int by_highest = highest <= 5 ? 5 : highest <= 10 ? 4 : highest <= 15 ? 2 : highest <= 20 ? 1 : 0;
  return std::min(by_total, by_highest);
}

TEST(Fhrs, EveryValidScoreCombinationGetsThePublishedRating) {
  Compilation c = compile_file((kRoot / "rules/fhrs.gradus").string());
  ASSERT_TRUE(c.ok()) << c.render();
  const Plan& plan = *c.plan;
  SubjectTableBuilder b(plan.schema);
  std::vector<std::array<int, 3>> inputs;
  for (int h : {0, 5, 10, 15, 20, 25})
    for (int s : {0, 5, 10, 15, 20, 25})
      for (int conf : {0, 5, 10, 20, 30}) {
        b.add_subject(std::to_string(inputs.size()),
                      {h * decimal::kScale, s * decimal::kScale, conf * decimal::kScale});
        inputs.push_back({h, s, conf});
      }
  SubjectTable t = b.build();
  EvalOptions o;
  o.as_of = *date::parse("2025-01-01");
  Outcomes out = evaluate(plan, t, o);
  ASSERT_EQ(inputs.size(), 180u);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto [h, s, conf] = inputs[i];
    const int rating = published_rating(h, s, conf);
    ASSERT_GE(out.tier[i], 0);
    std::string tier = "r";
    tier += std::to_string(rating);
    EXPECT_EQ(plan.tiers[static_cast<std::size_t>(out.tier[i])].name, tier)
        << "H=" << h << " S=" << s << " C=" << conf;
    EXPECT_EQ(out.score[i], rating * decimal::kScale);
    // broadly compliant (no score above 10) is exactly a rating of 3 or better, as the labels say
    const bool broadly_compliant = std::max({h, s, conf}) <= 10;
    EXPECT_EQ(broadly_compliant, rating >= 3) << "H=" << h << " S=" << s << " C=" << conf;
    EXPECT_EQ(plan.tiers[static_cast<std::size_t>(out.tier[i])].label.find("broadly compliant") != std::string::npos,
              broadly_compliant);
  }
}

// ---------------------------------------------------------------- invalid inputs

TEST(InvalidInput, ScoreOutsideThePublishedValuesIsReportedWithRowAndField) {
  test::TempDir dir;
  Compilation c = compile_file((kRoot / "rules/fhrs.gradus").string());
  ASSERT_TRUE(c.ok());
  const std::string subjects = dir.write("s.csv",
                                         "id,hygiene,structure,confidence\n"
                                         "ok,15,0,0\n"
                                         "bad_c,0,0,15\n"
                                         "bad_h,12,0,0\n");
  try {
    load_csv(c.plan->schema, subjects, "", {});
    FAIL() << "the load must fail";
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(subjects + ":3: field 'confidence': not one of the allowed values 0, 5, 10, 20, 30 "
                                   "(value '15')"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find(subjects + ":4: field 'hygiene': not one of the allowed values 0, 5, 10, 15, 20, 25 "
                                   "(value '12')"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("2 errors in the data"), std::string::npos) << what;
  }
  // quarantined instead, the bad rows are not scored and the good one is
  LoadOptions lo;
  lo.reject_path = dir.path("rejects.csv");
  LoadReport report;
  SubjectTable t = load_csv(c.plan->schema, subjects, "", lo, &report);
  EXPECT_EQ(t.ids, std::vector<std::string>{"ok"});
  EXPECT_EQ(report.rejected_subjects, 2u);
  const std::string rejects = test::read_file(lo.reject_path);
  EXPECT_NE(rejects.find(",3,confidence,"), std::string::npos) << rejects;
  EXPECT_NE(rejects.find(",4,hygiene,"), std::string::npos) << rejects;
}

TEST(InvalidInput, UnknownTierNameInDataIsReportedWithRowAndField) {
  test::TempDir dir;
  Compilation c = compile_file((kRoot / "rules/tax_credit.gradus").string());
  ASSERT_TRUE(c.ok());
  const std::string subjects = dir.write(
      "s.csv",
      "id,registered_on,established_on,regular_complete,non_regular_complete,had_income,tax_payable,previous_level,"
      "previous_a_years,abnormal_zero_vat_run,abnormal_zero_vat_months,books_per_standard,run_by_d_person\n"
      "t1,2010-01-01,2010-01-01,true,true,true,1000000,B,0,0,0,true,false\n"
      "t2,2010-01-01,2010-01-01,true,true,true,1000000,E,0,0,0,true,false\n");
  const std::string records = dir.write("r.csv", "taxpayer,kind,occurred_on,tax_involved,amount,indicator,corrected_on\n");
  try {
    load_csv(c.plan->schema, subjects, records, {});
    FAIL() << "the load must fail";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(subjects + ":3: field 'previous_level': unknown Level 'E'"), std::string::npos)
        << e.what();
  }
}

TEST(InvalidInput, UnknownVariantIsADiagnostic) {
  Compilation c = compile_file((kRoot / "rules/samr_credit_risk.gradus").string(), CheckOptions{"town"});
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.render().find("error[E0604]: no variant 'town'; the variants are county, city"), std::string::npos)
      << c.render();
}

// ---------------------------------------------------------------- variants differ where the schemes differ

TEST(Variants, TheSamrVariantsDifferOnlyInTheirSupervision) {
  std::map<std::string, std::shared_ptr<const Plan>> plans;
  for (const char* v : {"", "county", "city"}) {
    Compilation c = compile_file((kRoot / "rules/samr_credit_risk.gradus").string(), CheckOptions{v});
    ASSERT_TRUE(c.ok()) << c.render();
    plans[v] = c.plan;
  }
  EXPECT_EQ(plans["county"]->variant, "county");
  EXPECT_EQ(plans["city"]->variants, (std::vector<std::string>{"county", "city"}));
  for (const auto& [v, p] : plans) {
    EXPECT_EQ(p->code.size(), plans[""]->code.size()) << "variant " << v << " scores the same way";
    EXPECT_EQ(p->tiers[3].supervision.measures, (std::vector<std::string>{"sharply_raised", "full_coverage"}));
  }
  const PlanSupervision& county_a = plans["county"]->tiers[0].supervision;
  ASSERT_TRUE(county_a.has_sampling_band);
  EXPECT_EQ(format_band(county_a.sampling_band), "[0, 0.05]");
  EXPECT_EQ(format_band(county_a.checks), "[0, 1)");
  EXPECT_FALSE(plans["city"]->tiers[0].supervision.has_sampling_band);
  EXPECT_EQ(plans["city"]->tiers[0].supervision.sampling, 20'000);  // 2%
  EXPECT_FALSE(plans[""]->tiers[0].supervision.has_sampling);
}

TEST(Variants, TheTaxVariantsDifferInTheirConstants) {
  Compilation y2014 = compile_file((kRoot / "rules/tax_credit.gradus").string(), CheckOptions{"y2014"});
  Compilation y2025 = compile_file((kRoot / "rules/tax_credit.gradus").string(), CheckOptions{"y2025"});
  Compilation plain = compile_file((kRoot / "rules/tax_credit.gradus").string());
  ASSERT_TRUE(y2014.ok() && y2025.ok() && plain.ok());
  EXPECT_EQ(plain.plan->dump(), y2014.plan->dump()) << "the constants as declared are those of 2014";
  EXPECT_NE(y2014.plan->dump(), y2025.plan->dump());
}

}  // namespace
}  // namespace gradus
