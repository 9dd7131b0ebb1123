// One subject, many categories: the combination rulebooks over examples/multi.
//
// The expected comprehensive results are computed here from the categories'
// own outcomes by the combination rules as the rulebooks state them (the
// worst tier, M counting as B; the weighted average), not read from a file.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../io/io_test_util.hpp"
#include "gradus/gradus.hpp"

namespace gradus {
namespace {

namespace fs = std::filesystem;
const fs::path kRoot = GRADUS_SOURCE_DIR;

/// A combination compiled, its data loaded as `gradus score --data` does, and evaluated.
struct SuiteRun {
  Compilation c;
  SubjectTable subjects;
  std::vector<SubjectTable> tables;
  std::vector<const SubjectTable*> inputs;
  SuiteOutcomes out;
  EvalOptions options;

  SuiteRun(const std::string& rules, const fs::path& data, const char* as_of) {
    c = compile_file((kRoot / rules).string());
    if (!c.ok()) throw std::runtime_error(c.render());
    const Plan& plan = *c.plan;
    subjects = load_csv(plan.schema, (data / "subjects.csv").string(), "", {});
    for (const auto& cat : plan.categories) {
      const fs::path dir = data / cat.name;
      tables.push_back(load_csv(cat.plan->schema, (dir / "subjects.csv").string(), (dir / "records.csv").string(), {}));
    }
    for (const auto& t : tables) inputs.push_back(&t);
    options.as_of = *date::parse(as_of);
    out = evaluate_suite(plan, subjects, inputs, options);
  }

  const Plan& plan() const { return *c.plan; }
  /// Category k's tier name for combined subject i, or "" when not evaluated there.
  std::string category_tier(std::size_t k, std::size_t i) const {
    const std::int64_t j = out.index[k][i];
    if (j < 0) return "";
    return plan().categories[k].plan->tiers[static_cast<std::size_t>(out.categories[k].tier[static_cast<std::size_t>(j)])].name;
  }
  std::string tier(std::size_t i) const { return plan().tiers[static_cast<std::size_t>(out.overall.tier[i])].name; }
};

const fs::path kMulti = kRoot / "examples/multi";

int rank(const std::string& tier) {
  if (tier == "A") return 4;
  if (tier == "B" || tier == "M") return 3;
  if (tier == "C") return 2;
  return 1;
}

TEST(Comprehensive, WorstTierOverTheCategoriesWithTheDecidingOnesExplained) {
  SuiteRun r("rules/comprehensive.gradus", kMulti, "2025-04-01");
  const Plan& plan = r.plan();
  ASSERT_EQ(plan.categories.size(), 11u);
  ASSERT_EQ(r.out.overall.errors.size(), 0u);
  std::size_t evaluated = 0, several = 0;
  for (std::size_t i = 0; i < r.subjects.subject_count(); ++i) {
    int worst = 5, count = 0;
    for (std::size_t k = 0; k < plan.categories.size(); ++k) {
      const std::string t = r.category_tier(k, i);
      if (t.empty()) continue;
      ++count;
      worst = std::min(worst, rank(t));
    }
    const char* expected = count == 0 ? "B" : worst == 4 ? "A" : worst == 3 ? "B" : worst == 2 ? "C" : "D";
    EXPECT_EQ(r.tier(i), expected) << r.subjects.ids[i];
    evaluated += count > 0;
    several += count > 1;

    // the explanation lists every category the subject is evaluated in, marking the worst
    SuiteExplanation x = explain_suite(plan, r.out, r.inputs, i, r.options);
    EXPECT_EQ(x.overall.tier, expected);
    EXPECT_EQ(x.categories.size(), static_cast<std::size_t>(count));
    ASSERT_EQ(x.overall.contributions.size(), 1u);
    const auto& records = x.overall.contributions[0].records;
    EXPECT_EQ(records.size(), static_cast<std::size_t>(count));
    for (const auto& rec : records) {
      std::size_t k = static_cast<std::size_t>(plan.schema.kind_index(rec.kind));
      ASSERT_LT(k, plan.categories.size());
      const int category_rank = rank(r.category_tier(k, i));
      EXPECT_EQ(rec.value, category_rank * decimal::kScale) << r.subjects.ids[i] << " " << rec.kind;
      EXPECT_EQ(rec.decides, category_rank == worst) << r.subjects.ids[i] << " " << rec.kind;
    }
    for (const auto& [name, cx] : x.categories) {
      std::size_t k = static_cast<std::size_t>(plan.schema.kind_index(name));
      EXPECT_EQ(cx.tier, r.category_tier(k, i)) << name;
    }
  }
  EXPECT_GE(evaluated, 6u);
  EXPECT_GE(several, 4u) << "the example puts most subjects under several categories";
}

TEST(Comprehensive, WeightedScoreCountsEachCategoryByItsWeight) {
  SuiteRun r("rules/comprehensive_weighted.gradus", kMulti, "2025-04-01");
  const Plan& plan = r.plan();
  const std::vector<std::string> doubled = {"food_drug", "work_safety", "fire_safety", "medical_health"};
  for (std::size_t i = 0; i < r.subjects.subject_count(); ++i) {
    std::int64_t weights = 0;
    bool any_d = false;
    std::vector<std::pair<std::int64_t, std::int64_t>> parts;  // weight, score
    for (std::size_t k = 0; k < plan.categories.size(); ++k) {
      const std::int64_t j = r.out.index[k][i];
      if (j < 0) continue;
      const auto& name = plan.categories[k].name;
      const std::int64_t w = std::count(doubled.begin(), doubled.end(), name) ? 2 : 1;
      weights += w;
      parts.push_back({w, r.out.categories[k].score[static_cast<std::size_t>(j)]});
      any_d = any_d || r.category_tier(k, i) == "D";
    }
    std::int64_t expected = 0;
    for (const auto& [w, s] : parts) {
      std::int64_t term = 0;
      ASSERT_TRUE(decimal::div(w * s, std::max<std::int64_t>(weights, 1) * decimal::kScale, term));
      expected += term;
    }
    EXPECT_EQ(r.out.overall.score[i], expected) << r.subjects.ids[i];
    std::string tier = expected >= 90 * decimal::kScale   ? "A"
                       : expected >= 75 * decimal::kScale ? "B"
                       : expected >= 60 * decimal::kScale ? "C"
                                                          : "D";
    if (parts.empty()) tier = "B";
    if (any_d && (tier == "A" || tier == "B")) tier = "C";
    EXPECT_EQ(r.tier(i), tier) << r.subjects.ids[i];
  }
}

TEST(Comprehensive, OutputHasATierAndScorePerCategory) {
  SuiteRun r("rules/comprehensive.gradus", kMulti, "2025-04-01");
  std::ostringstream out;
  write_suite_outcomes(out, r.plan(), r.out, OutputFormat::csv);
  std::istringstream in(out.str());
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("id,score,tier,sampling,interval_days,incentives,measures,overrides,error,food_drug.tier,"
                         "food_drug.score,construction.tier,",
                         0),
            0u)
      << header;
  EXPECT_NE(header.find(",tax.tier,tax.score"), std::string::npos);
  std::ostringstream json;
  write_suite_outcomes(json, r.plan(), r.out, OutputFormat::jsonl);
  EXPECT_NE(json.str().find("\"tax.tier\":\"M\",\"tax.score\":100}"), std::string::npos) << json.str();
  EXPECT_NE(json.str().find("\"food_drug.tier\":null"), std::string::npos);
}

// ---------------------------------------------------------------- failures and bad input

/// A combination of one category whose arithmetic can fail (a division by a field).
struct Small {
  test::TempDir dir;
  std::string rules;
  Small() {
    dir.write("divide.gradus", R"(rulebook "divide"
subjects
  id: key
  n: integer
score
  start at 100 / n
tiers
  A [50, inf)
  B (-inf, 50)
)");
    rules = dir.write("combo.gradus", R"(rulebook "combo"
categories
  divide "divide.gradus"
scale Grade: B < A
subjects
  id: key
records
  sid: subject
  category: kind of divide
  grade: Grade
score
  start at 0
  add worst: min(if grade = A then 2 else 1 over records otherwise 2)
tiers
  A [2, inf)
  B (-inf, 2)
)");
  }
};

TEST(Comprehensive, ASubjectThatFailsInACategoryFailsInTheCombination) {
  Small s;
  Compilation c = compile_file(s.rules);
  ASSERT_TRUE(c.ok()) << c.render();
  SubjectTable subjects = load_csv(c.plan->schema, s.dir.write("s.csv", "id\na\nb\nc\n"), "", {});
  SubjectTable divide = load_csv(c.plan->categories[0].plan->schema, s.dir.write("d.csv", "id,n\na,1\nb,0\n"), "", {});
  EvalOptions o;
  o.as_of = *date::parse("2025-01-01");
  SuiteOutcomes so = evaluate_suite(*c.plan, subjects, {&divide}, o);
  EXPECT_EQ(so.overall.tier[0], 0);  // a: 100 -> A
  EXPECT_EQ(so.overall.tier[1], -1);
  ASSERT_EQ(so.overall.errors.size(), 1u);
  EXPECT_EQ(so.overall.errors[0].subject, 1u);
  EXPECT_EQ(so.overall.errors[0].message.rfind("category 'divide': division by zero in `100 / n`", 0), 0u)
      << so.overall.errors[0].message;
  EXPECT_EQ(so.overall.tier[2], 0) << "c is evaluated in no category: the worst over none";
  EXPECT_EQ(so.index[0][2], -1);
  SuiteExplanation x = explain_suite(*c.plan, so, {&divide}, 1, o);
  EXPECT_TRUE(x.overall.failed);
  EXPECT_NE(x.overall.error.find("division by zero"), std::string::npos);
}

TEST(Comprehensive, ACategorySubjectUnknownToTheCombinationIsAnError) {
  Small s;
  Compilation c = compile_file(s.rules);
  ASSERT_TRUE(c.ok());
  SubjectTable subjects = load_csv(c.plan->schema, s.dir.write("s.csv", "id\na\n"), "", {});
  SubjectTable divide = load_csv(c.plan->categories[0].plan->schema, s.dir.write("d.csv", "id,n\na,1\nz,2\n"), "", {});
  EvalOptions o;
  try {
    evaluate_suite(*c.plan, subjects, {&divide}, o);
    FAIL() << "must throw";
  } catch (const DataError& e) {
    EXPECT_STREQ(e.what(), "category 'divide': subject 'z' is not among the subjects of the combination");
  }
  EXPECT_THROW(evaluate_suite(*c.plan, subjects, {}, o), UsageError);
  EXPECT_THROW(evaluate_suite(*c.plan->categories[0].plan, subjects, {&divide}, o), UsageError);
}

}  // namespace
}  // namespace gradus
