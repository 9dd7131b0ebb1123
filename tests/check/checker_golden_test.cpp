// Golden tests for the checker's diagnostics.
//
// Every tests/golden/check/<case>.gradus is compiled with compile_source()
// under its repository-relative name, and the rendered diagnostics must equal
// tests/golden/check/<case>.diag byte for byte. A case named after a code
// (E0203_unknown_name) must report that code; a case named valid_* must report
// nothing. Every catalogue code the checker owns (all but E00xx and E01xx)
// must occur in at least one .diag, so a new code without a golden case fails.
//
// Maintainers: GRADUS_UPDATE_GOLDEN=1 rewrites the .diag files from the
// current output instead of comparing. Review the diff before committing.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gradus/gradus.hpp"

namespace gradus {
namespace {

namespace fs = std::filesystem;

const fs::path kRoot = GRADUS_SOURCE_DIR;
const fs::path kGoldenDir = fs::path("tests") / "golden" / "check";  // relative to the root

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + p.string());
  out << text;
}

bool update_mode() {
  const char* v = std::getenv("GRADUS_UPDATE_GOLDEN");
  return v != nullptr && std::string(v) == "1";
}

/// Stems of every .gradus file in the golden directory, sorted.
std::vector<std::string> golden_cases() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kRoot / kGoldenDir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".gradus") out.push_back(entry.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

/// The rendered diagnostics of a rulebook, under its repository-relative name.
std::string render_case(const fs::path& relative) {
  Compilation c = compile_source(Source(relative.generic_string(), read_file(kRoot / relative)));
  return c.render();
}

/// "E0203" for "E0203_unknown_name", "" for cases not named after a code.
std::string code_of_case(const std::string& stem) {
  if (stem.size() >= 6 && (stem[0] == 'E' || stem[0] == 'W') && stem[5] == '_' &&
      std::all_of(stem.begin() + 1, stem.begin() + 5, [](char ch) { return ch >= '0' && ch <= '9'; }))
    return stem.substr(0, 5);
  return {};
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& ch : s)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))) ch = '_';
  return s;
}

// ---------------------------------------------------------------- per case

class CheckerGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(CheckerGolden, RenderMatchesDiag) {
  const std::string stem = GetParam();
  const fs::path rel = kGoldenDir / (stem + ".gradus");
  const fs::path diag = kRoot / kGoldenDir / (stem + ".diag");
  std::string actual;
  ASSERT_NO_THROW(actual = render_case(rel)) << "compile_source must not throw for bad rule text";

  if (update_mode()) {
    write_file(diag, actual);
    std::cout << "[ updated  ] " << (kGoldenDir / (stem + ".diag")).generic_string() << "\n";
    return;
  }
  ASSERT_TRUE(fs::exists(diag)) << "no golden file " << diag.generic_string()
                                << "; create it with GRADUS_UPDATE_GOLDEN=1 and review it";
  EXPECT_EQ(actual, read_file(diag)) << "diagnostics of " << rel.generic_string() << " changed; if intended, "
                                     << "regenerate with GRADUS_UPDATE_GOLDEN=1 and review the diff";
}

// The name of a case says what it must show, independently of the .diag, so a
// regenerated golden cannot silently lose the diagnostic the case is about.
TEST_P(CheckerGolden, ShowsTheCodeItIsNamedAfter) {
  const std::string stem = GetParam();
  const std::string actual = render_case(kGoldenDir / (stem + ".gradus"));
  if (stem.rfind("valid_", 0) == 0) {
    EXPECT_EQ(actual, "") << "a valid_* case must compile without any diagnostic";
    return;
  }
  if (stem.rfind("many_errors", 0) == 0) {
    EXPECT_NE(actual.find("error["), std::string::npos) << "a many_errors case must report errors";
    return;
  }
  const std::string code = code_of_case(stem);
  ASSERT_FALSE(code.empty()) << "name golden cases <CODE>_<topic>, valid_<topic> or many_errors*: " << stem;
  EXPECT_NE(actual.find("[" + code + "]: "), std::string::npos) << stem << " does not report " << code << ":\n"
                                                               << actual;
}

TEST_P(CheckerGolden, OutputIsDeterministic) {
  const fs::path rel = kGoldenDir / (GetParam() + ".gradus");
  EXPECT_EQ(render_case(rel), render_case(rel));
}

TEST_P(CheckerGolden, PlanExistsExactlyWhenThereIsNoError) {
  const fs::path rel = kGoldenDir / (GetParam() + ".gradus");
  Compilation c = compile_source(Source(rel.generic_string(), read_file(kRoot / rel)));
  EXPECT_EQ(c.ok(), !c.diagnostics.has_errors());
  EXPECT_EQ(c.plan != nullptr, c.diagnostics.error_count() == 0);
  // The summary line of render() agrees with the list.
  if (!c.diagnostics.empty()) {
    const std::string r = c.render();
    EXPECT_NE(r.find(std::to_string(c.diagnostics.error_count()) + " error"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, CheckerGolden, ::testing::ValuesIn(golden_cases()), test_name);

// ---------------------------------------------------------------- whole suite

TEST(CheckerGoldenSuite, DirectoryHoldsTheCases) {
  auto cases = golden_cases();
  EXPECT_GE(cases.size(), 40u) << "golden directory " << (kRoot / kGoldenDir).string() << " looks empty";
}

TEST(CheckerGoldenSuite, EveryDiagHasItsRulebook) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kRoot / kGoldenDir, ec)) {
    if (entry.path().extension() != ".diag") continue;
    fs::path gradus = entry.path();
    gradus.replace_extension(".gradus");
    EXPECT_TRUE(fs::exists(gradus)) << "orphan golden " << entry.path().filename().string();
  }
}

// A new code in codes.hpp that the checker may emit needs a golden case.
TEST(CheckerGoldenSuite, EveryCheckerCodeHasAGoldenCase) {
  std::string all;
  for (const auto& stem : golden_cases()) {
    fs::path diag = kRoot / kGoldenDir / (stem + ".diag");
    if (fs::exists(diag)) all += read_file(diag);
  }
  std::vector<std::string> missing;
  std::size_t owned = 0;
#define GRADUS_GOLDEN_CODE(name, text)                                                  \
  {                                                                                     \
    std::string code(code_name(Code::name));                                            \
    EXPECT_EQ(code, #name);                                                             \
    bool parser_code = code.rfind("E00", 0) == 0 || code.rfind("E01", 0) == 0;          \
    if (!parser_code) {                                                                 \
      ++owned;                                                                          \
      if (all.find("[" + code + "]: ") == std::string::npos) missing.push_back(code);  \
    }                                                                                   \
  }
  GRADUS_CODES(GRADUS_GOLDEN_CODE)
#undef GRADUS_GOLDEN_CODE
  EXPECT_GE(owned, 35u);  // E02xx..W0xxx at the time of writing
  std::string list;
  for (const auto& m : missing) list += " " + m;
  EXPECT_TRUE(missing.empty()) << "codes without a golden case in tests/golden/check:" << list;
}

// One run reports every mistake of a file, in source order.
TEST(CheckerGoldenSuite, ManyErrorsReportedInOneRunSortedByPosition) {
  const fs::path rel = kGoldenDir / "many_errors.gradus";
  Compilation c = compile_source(Source(rel.generic_string(), read_file(kRoot / rel)));
  const auto& items = c.diagnostics.items();
  EXPECT_FALSE(c.ok());
  EXPECT_GE(c.diagnostics.error_count(), 15u);
  std::vector<Code> codes;
  for (const auto& d : items) codes.push_back(d.code);
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  EXPECT_GE(codes.size(), 15u) << "many_errors should show many different codes";
  for (std::size_t i = 1; i < items.size(); ++i) {
    const auto& a = items[i - 1];
    const auto& b = items[i];
    EXPECT_TRUE(a.span.begin < b.span.begin || (a.span.begin == b.span.begin && a.code <= b.code))
        << "diagnostic " << i << " (" << code_name(b.code) << ") is out of order";
  }
}

// ---------------------------------------------------------------- valid rulebooks

std::vector<std::string> example_rulebooks() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kRoot / "rules", ec))
    if (entry.is_regular_file() && entry.path().extension() == ".gradus")
      out.push_back((fs::path("rules") / entry.path().filename()).generic_string());
  std::sort(out.begin(), out.end());
  return out;
}

class ExampleRulebook : public ::testing::TestWithParam<std::string> {};

TEST_P(ExampleRulebook, CompilesWithoutAnyDiagnostic) {
  const std::string rel = GetParam();
  Compilation c = compile_source(Source(rel, read_file(kRoot / rel)));
  EXPECT_EQ(c.render(), "");
  EXPECT_TRUE(c.diagnostics.empty());
  EXPECT_TRUE(c.ok());
}

INSTANTIATE_TEST_SUITE_P(Rules, ExampleRulebook, ::testing::ValuesIn(example_rulebooks()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string s = fs::path(info.param).stem().string();
                           for (char& ch : s)
                             if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
                               ch = '_';
                           return s;
                         });

TEST(ExampleRulebooks, AllThreeArePresent) {
  auto files = example_rulebooks();
  for (const char* f : {"rules/w1.gradus", "rules/food_drug.gradus", "rules/construction.gradus"})
    EXPECT_NE(std::find(files.begin(), files.end(), f), files.end()) << f;
}

// ---------------------------------------------------------------- robustness

// Damaged rulebooks (a line missing, the text cut short) must give
// diagnostics, never an exception or a crash, and a plan only without errors.
TEST(CheckerRobustness, DamagedGoldenCasesNeverThrow) {
  std::vector<std::string> texts;
  for (const auto& stem : golden_cases()) texts.push_back(read_file(kRoot / kGoldenDir / (stem + ".gradus")));
  for (const auto& rel : example_rulebooks()) texts.push_back(read_file(kRoot / rel));
  std::size_t runs = 0;
  for (const auto& text : texts) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    if (lines.size() > 150) continue;  // the 65-override case adds nothing here
    for (std::size_t drop = 0; drop < lines.size(); ++drop) {
      std::string damaged;
      for (std::size_t i = 0; i < lines.size(); ++i)
        if (i != drop) damaged += lines[i] + "\n";
      Compilation c;
      ASSERT_NO_THROW(c = compile_source(Source("damaged.gradus", damaged))) << "without line " << drop + 1 << " of:\n"
                                                                           << text;
      EXPECT_EQ(c.ok(), !c.diagnostics.has_errors());
      ++runs;
    }
    for (std::size_t cut = text.size() / 7; cut < text.size(); cut += text.size() / 7 + 1) {
      ASSERT_NO_THROW(compile_source(Source("cut.gradus", text.substr(0, cut)))) << "cut at " << cut << " of:\n"
                                                                                 << text;
      ++runs;
    }
  }
  EXPECT_GT(runs, 500u);
}

}  // namespace
}  // namespace gradus
