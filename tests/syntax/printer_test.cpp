// Unit tests for print(): the infix form of hand-built expressions and the
// tree form of partial rulebooks (as left by syntax errors).
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "gradus/syntax/parser.hpp"

namespace gradus {
namespace {

ast::ExprPtr leaf(ast::ExprKind kind, std::string text, ast::Unit unit = ast::Unit::none) {
  auto e = std::make_unique<ast::Expr>();
  e->kind = kind;
  e->text = std::move(text);
  e->unit = unit;
  return e;
}

ast::ExprPtr node(ast::ExprKind kind, std::string text, ast::ExprPtr a, ast::ExprPtr b = nullptr) {
  auto e = leaf(kind, std::move(text));
  e->args.push_back(std::move(a));
  if (b) e->args.push_back(std::move(b));
  return e;
}

TEST(Printer, InfixOfHandBuiltExpressions) {
  auto e = node(ast::ExprKind::binary, "+", leaf(ast::ExprKind::name, "a"),
                node(ast::ExprKind::binary, "*", leaf(ast::ExprKind::name, "b"), leaf(ast::ExprKind::number, "2")));
  EXPECT_EQ(print(*e), "(a + (b * 2))");
  EXPECT_EQ(print(*node(ast::ExprKind::unary, "not", leaf(ast::ExprKind::boolean, "true"))), "(not true)");
  EXPECT_EQ(print(*leaf(ast::ExprKind::string, "say \"hi\"\n")), R"("say \"hi\"\n")");
  EXPECT_EQ(print(*leaf(ast::ExprKind::number, "3", ast::Unit::weeks)), "3 weeks");
  EXPECT_EQ(print(*leaf(ast::ExprKind::number, "3", ast::Unit::months)), "3 months");
  EXPECT_EQ(print(*leaf(ast::ExprKind::number, "3", ast::Unit::yuan)), "3 yuan");

  auto band = node(ast::ExprKind::in_band, "in", leaf(ast::ExprKind::name, "x"));
  band->band.lo.infinite = band->band.lo.negative = true;
  band->band.lo_closed = false;
  band->band.hi.text = "0";
  band->band.hi_closed = true;
  EXPECT_EQ(print(*band), "(x in (-inf, 0])");

  auto agg = leaf(ast::ExprKind::aggregate, "count");
  agg->where = leaf(ast::ExprKind::name, "c");
  EXPECT_EQ(print(*agg), "count(records where c)");
}

TEST(Printer, MissingPartsPrintAsQuestionMarks) {
  auto e = leaf(ast::ExprKind::binary, "-");
  e->args.push_back(leaf(ast::ExprKind::name, "a"));
  e->args.push_back(nullptr);
  EXPECT_EQ(print(*e), "(a - ?)");
  EXPECT_EQ(print(*leaf(ast::ExprKind::if_else, "if")), "(if ? then ? else ?)");
}

TEST(Printer, PartialRulebookAfterErrors) {
  Source s("p.gradus", "rulebook \"p\"\nlet a = (\ntable t(\nscore\n  start at 1\n  deduct x: )\n");
  ParseResult r = parse(s);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(print(r.rulebook),
            "rulebook \"p\"\n"
            "table t(?: ?) -> ?\n"
            "let a\n"
            "  ?\n"
            "score\n"
            "  start at\n"
            "    #1 number 1\n"
            "  deduct x\n"
            "    ?\n"
            "expr_count 1\n");
}

TEST(Printer, IsDeterministic) {
  Source s("d.gradus", "rulebook \"d\"\nlet a = sum(x over v where y otherwise 0) + t[k]\n");
  EXPECT_EQ(print(parse(s).rulebook), print(parse(s).rulebook));
}

}  // namespace
}  // namespace gradus
