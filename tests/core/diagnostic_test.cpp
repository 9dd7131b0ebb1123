#include "gradus/core/diagnostic.hpp"

#include <gtest/gtest.h>

namespace gradus {
namespace {

TEST(Diagnostic, RendersPositionCodeAndCaret) {
  Source s("rules/x.gradus", "let a = 1\nlet b = severty * 2\n");
  Diagnostics ds;
  ds.error(Code::E0203, {18, 25}, "unknown name 'severty' (did you mean 'severity'?)");
  EXPECT_EQ(render(s, ds.items()[0]),
            "rules/x.gradus:2:9: error[E0203]: unknown name 'severty' (did you mean 'severity'?)\n"
            " 2 | let b = severty * 2\n"
            "   |         ^~~~~~~\n");
}

TEST(Diagnostic, CaretsAlignUnderWideCharacters) {
  Source s("c.gradus", "let 违法 = x\n");
  Diagnostics ds;
  ds.warning(Code::W0001, {4, 10}, "let '违法' is never used");
  EXPECT_EQ(render(s, ds.items()[0]),
            "c.gradus:1:5: warning[W0001]: let '违法' is never used\n"
            " 1 | let 违法 = x\n"
            "   |     ^~~~\n");
}

TEST(Diagnostic, NotesAndCounts) {
  Source s("n.gradus", "const a = 1\nconst a = 2\n");
  Diagnostics ds;
  Diagnostic d{Severity::error, Code::E0201, {18, 19}, "name 'a' is already defined", {{{6, 7}, "first defined here"}}};
  ds.add(d);
  ds.warning(Code::W0001, {6, 7}, "const 'a' is never used");
  ds.sort();
  EXPECT_EQ(ds.items()[0].code, Code::W0001);  // sorted by position
  EXPECT_EQ(ds.error_count(), 1u);
  std::string all = render_all(s, ds);
  EXPECT_NE(all.find("n.gradus:1:7: note: first defined here"), std::string::npos);
  EXPECT_NE(all.find("n.gradus: 1 error, 1 warning"), std::string::npos);
}

TEST(Diagnostic, CodesAreStable) {
  EXPECT_EQ(code_name(Code::E0203), "E0203");
  EXPECT_EQ(code_summary(Code::E0501), "dependency cycle");
  EXPECT_EQ(code_name(Code::W0001), "W0001");
}

TEST(Diagnostic, SuggestsCloseNamesOnly) {
  EXPECT_EQ(did_you_mean("severty", {"severity", "sector", "size"}), "severity");
  EXPECT_EQ(did_you_mean("zzz", {"severity", "sector"}), "");
  EXPECT_EQ(did_you_mean("size", {"size"}), "");  // an exact match is not a suggestion
}

}  // namespace
}  // namespace gradus
