// Golden tests for the parser: rule text in, printed AST or rendered
// diagnostics out.
//
//   tests/golden/syntax/valid/NAME.gradus    must parse cleanly; NAME.ast holds print(rulebook)
//   tests/golden/syntax/invalid/NAME.gradus  must fail; NAME.diag holds render_all(diagnostics)
//   rules/w1.gradus                          tests/golden/syntax/valid/w1.ast
//
// GRADUS_UPDATE_GOLDEN=1 rewrites the expected files from the current output
// (review the diff before committing).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gradus/syntax/parser.hpp"

namespace gradus {
namespace {

namespace fs = std::filesystem;

struct GoldenCase {
  std::string input;     // path relative to the repository root
  std::string expected;  // path relative to the repository root
  bool valid;            // expected: a clean parse
};

// Shown by GoogleTest (and CTest) instead of the struct's bytes.
void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.input; }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path root() { return fs::path(GRADUS_SOURCE_DIR); }

std::vector<GoldenCase> golden_cases() {
  std::vector<GoldenCase> cases;
  cases.push_back({"rules/w1.gradus", "tests/golden/syntax/valid/w1.ast", true});
  for (const char* dir : {"valid", "invalid"}) {
    fs::path d = root() / "tests/golden/syntax" / dir;
    if (!fs::exists(d)) continue;
    std::vector<std::string> stems;
    for (const auto& entry : fs::directory_iterator(d)) {
      if (entry.path().extension() == ".gradus") stems.push_back(entry.path().stem().string());
    }
    std::sort(stems.begin(), stems.end());
    bool valid = std::string(dir) == "valid";
    for (const std::string& stem : stems) {
      std::string base = std::string("tests/golden/syntax/") + dir + "/" + stem;
      cases.push_back({base + ".gradus", base + (valid ? ".ast" : ".diag"), valid});
    }
  }
  return cases;
}

std::string case_name(const testing::TestParamInfo<GoldenCase>& info) {
  std::string name = fs::path(info.param.input).stem().string();
  name = (info.param.valid ? "valid_" : "invalid_") + name;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class Golden : public testing::TestWithParam<GoldenCase> {};

TEST_P(Golden, MatchesExpectedOutput) {
  const GoldenCase& c = GetParam();
  // The source is named by its path relative to the repository root, so the
  // rendered diagnostics do not depend on where the repository lives.
  Source source(c.input, read_file(root() / c.input));
  ParseResult r = parse(source);
  std::string actual;
  if (c.valid) {
    EXPECT_TRUE(r.diagnostics.empty()) << render_all(source, r.diagnostics);
    actual = print(r.rulebook);
  } else {
    EXPECT_TRUE(r.diagnostics.has_errors()) << "expected errors for " << c.input;
    actual = render_all(source, r.diagnostics);
  }

  fs::path expected_path = root() / c.expected;
  const char* update = std::getenv("GRADUS_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(expected_path, std::ios::binary) << actual;
    GTEST_SKIP() << "updated " << c.expected;
  }
  ASSERT_TRUE(fs::exists(expected_path)) << c.expected << " is missing; run with GRADUS_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, read_file(expected_path)) << "golden mismatch for " << c.input
                                              << " (GRADUS_UPDATE_GOLDEN=1 regenerates)";
}

INSTANTIATE_TEST_SUITE_P(Syntax, Golden, testing::ValuesIn(golden_cases()), case_name);

}  // namespace
}  // namespace gradus
