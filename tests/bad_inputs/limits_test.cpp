// The documented limits (rules/README.md, Limits): pathological rule text and
// data are refused with a diagnostic or a DataError naming the limit, never a
// crash, a stack overflow or unbounded memory. Inputs are generated here, at
// and just beyond each limit.
#include <gtest/gtest.h>

#include <string>

#include "../io/io_test_util.hpp"
#include "gradus/gradus.hpp"

namespace gradus {
namespace {

const std::string kHead = R"(rulebook "Limits"
subjects
  id: key
  x: integer
records
  subject_id: subject
  kind: kind of a, b
score
  start at 100
  deduct d: y
tiers
  A [50, inf)
  B (-inf, 50)
supervision
  tier A sampling 1%
  tier B sampling 1%
)";

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

/// Codes of the errors of compiling `text`, joined by spaces.
std::string error_codes(const std::string& text) {
  Compilation c = compile_source(Source("limits.gradus", text));
  std::string codes;
  for (const Diagnostic& d : c.diagnostics.items())
    if (d.severity == Severity::error) codes += std::string(codes.empty() ? "" : " ") + std::string(code_name(d.code));
  return codes;
}

/// The first error message of compiling `text`.
std::string first_error(const std::string& text) {
  Compilation c = compile_source(Source("limits.gradus", text));
  for (const Diagnostic& d : c.diagnostics.items())
    if (d.severity == Severity::error) return d.message;
  return {};
}

/// `let a0 = a1 + 1` ... `let a{n-1} = a{n}`, and `let y = a0`; the last is `last`.
std::string let_chain(std::size_t n, const std::string& last) {
  std::string s = "let y = a0\n";
  for (std::size_t i = 0; i < n; ++i) s += "let a" + std::to_string(i) + " = a" + std::to_string(i + 1) + " + 1\n";
  return s + "let a" + std::to_string(n) + " = " + last + "\n";
}

TEST(RuleLimits, AMillionNestedParenthesesAreRefused) {
  EXPECT_EQ(error_codes(kHead + "let y = " + repeat("(", 1'000'000) + "x" + repeat(")", 1'000'000) + "\n"), "E0104");
}

TEST(RuleLimits, AMillionTermExpressionIsRefused) {
  EXPECT_EQ(error_codes(kHead + "let y = x" + repeat(" + x", 999'999) + "\n"), "E0104");
}

TEST(RuleLimits, AHundredThousandArgumentsAreRefusedByTheNodeLimit) {
  const std::string text = kHead + "let y = min(x" + repeat(", x", 99'999) + ")\n";
  EXPECT_EQ(error_codes(text), "E0106");
  EXPECT_EQ(first_error(text), "too many operators, names and literals in expressions: the limit is 20000");
}

TEST(RuleLimits, NodeLimitIsExact) {
  // kHead has 4 expression nodes: the start, d's value and two samplings (tier bands are not expressions).
  auto with_nodes = [](std::size_t n) {  // then `let y = x`, and lets of `min(x, ..., x)` up to n nodes
    std::string s = kHead + "let y = x\n";
    std::size_t used = 4 + 1;
    for (std::size_t i = 0; used < n; ++i) {
      const std::size_t args = std::min<std::size_t>(50, n - used - 1);  // a call is one node more
      const std::string value = args < 2 ? "x" : "min(x" + repeat(", x", args - 1) + ")";
      s += "let z" + std::to_string(i) + " = " + value + "\n";
      used += args < 2 ? 1 : args + 1;
    }
    return s;
  };
  EXPECT_EQ(error_codes(with_nodes(20'000)), "");
  EXPECT_EQ(error_codes(with_nodes(20'001)), "E0106");
}

TEST(RuleLimits, ALongChainOfLetsCompilesAndRuns) {
  // 990 lets, each using the next: resolved depth first without exhausting the stack.
  Compilation c = compile_source(Source("chain.gradus", kHead + let_chain(990, "x")));
  ASSERT_TRUE(c.ok()) << c.render();
  SubjectTableBuilder b(c.plan->schema);
  b.add_subject("s1", {5'000'000});
  const SubjectTable t = b.build();
  EvalOptions o;
  const Outcomes out = evaluate(*c.plan, t, o);
  EXPECT_EQ(out.score[0], (100 - (5 + 990)) * 1'000'000);
}

TEST(RuleLimits, ACycleThroughManyLetsIsReportedWithItsPath) {
  const std::string text = kHead + let_chain(990, "a0");
  EXPECT_EQ(error_codes(text), "E0501");
  EXPECT_NE(first_error(text).find("a0 -> a1 -> a2"), std::string::npos);
}

TEST(RuleLimits, TooManyDefinitions) {
  // kHead has 6: the start, d, two tiers and two supervision rows; with `let y`, 7.
  std::string text = kHead + "let y = x\n";
  for (int i = 0; i < 993; ++i) text += "let v" + std::to_string(i) + " = x\n";
  EXPECT_EQ(error_codes(text), "");
  text += "let one_more = x\n";
  EXPECT_EQ(error_codes(text), "E0106");
  EXPECT_EQ(first_error(text),
            "too many definitions (declarations, score items, tiers and rows of sections, all together): the limit is "
            "1000");
}

TEST(RuleLimits, TooManyEnumMembers) {
  std::string members = "m0";
  for (int i = 1; i <= 10'000; ++i) members += ", m" + std::to_string(i);
  const std::string text = kHead + "let y = x\nenum Big: " + members + "\n";
  EXPECT_EQ(error_codes(text), "E0106");
  EXPECT_EQ(first_error(text), "too many members in enum 'Big': the limit is 10000");
}

TEST(RuleLimits, TooManyTableRows) {
  std::string rows;
  for (int i = 0; i <= 10'000; ++i) rows += "  [" + std::to_string(i) + ", " + std::to_string(i + 1) + ") -> 1\n";
  const std::string text = kHead + "let y = t[x]\ntable t(k: integer) -> integer\n" + rows + "  otherwise -> 0\n";
  EXPECT_EQ(first_error(text), "too many rows in table 't': the limit is 10000");
}

TEST(RuleLimits, TooManyKindsInOneAggregation) {
  const std::string text = kHead + "let y = count(a" + repeat(", a", 10'000) + ")\n";
  EXPECT_EQ(first_error(text), "too many record kinds in one aggregation: the limit is 10000");
}

TEST(RuleLimits, RuleTextOverTheByteLimit) {
  std::string text = kHead + "let y = x\n# " + std::string(16u << 20, 'x') + "\n";
  EXPECT_EQ(error_codes(text), "E0002");
}

TEST(RuleLimits, LimitsAreParameters) {
  ParseLimits small;
  small.max_definitions = 3;
  ParseResult r = parse(Source("small.gradus", kHead + "let y = x\n"), small);
  ASSERT_EQ(r.diagnostics.items().size(), 1u);
  EXPECT_EQ(r.diagnostics.items()[0].code, Code::E0106);
}

// ------------------------------------------------------------------ data

class DataLimits : public ::testing::Test {
 protected:
  Compilation rules = compile_source(Source("limits.gradus", kHead + "let y = count(a)\n"));
  test::TempDir dir;

  std::string load_error(const std::string& subjects, const std::string& records, const LoadOptions& o) {
    try {
      load_csv(rules.plan->schema, dir.write("s.csv", subjects), dir.write("r.csv", records), o);
    } catch (const DataError& e) {
      return e.what();
    }
    return "loaded";
  }
};

TEST_F(DataLimits, RowLongerThanTheLimit) {
  ASSERT_TRUE(rules.ok()) << rules.render();
  const std::string long_id(1u << 20, 'i');
  const std::string msg = load_error("id,x\ns1,1\n" + long_id + ",2\n", "subject_id,kind\n", {});
  EXPECT_NE(msg.find("s.csv:3: row of 1048578 bytes, longer than the limit of 1048576 bytes"), std::string::npos)
      << msg.substr(0, 300);
  LoadOptions small;
  small.max_row_bytes = 8;
  EXPECT_NE(load_error("id,x\ns1,1\n", "subject_id,kind\ns1,a\ns1,aaaaaa\n", small)
                .find("r.csv:3: row of 9 bytes, longer than the limit of 8 bytes"),
            std::string::npos);
}

TEST_F(DataLimits, RecordsPerSubject) {
  ASSERT_TRUE(rules.ok()) << rules.render();
  LoadOptions o;
  o.max_records_per_subject = 3;
  const std::string subjects = "id,x\ns1,1\ns2,2\n";
  EXPECT_EQ(load_error(subjects, "subject_id,kind\ns1,a\ns2,a\ns1,b\ns1,a\n", o), "loaded");
  EXPECT_NE(load_error(subjects, "subject_id,kind\ns1,a\ns2,a\ns1,b\ns1,a\ns1,a\n", o)
                .find("subject 's1' has 4 records, more than the limit of 3 per subject"),
            std::string::npos);
}

}  // namespace
}  // namespace gradus
