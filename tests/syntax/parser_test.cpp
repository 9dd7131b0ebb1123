// Unit tests for parse(): precedence, node shapes, spans, ids, limits,
// diagnostics and recovery. Whole-file behaviour is in golden_test.cpp.
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gradus/syntax/parser.hpp"

namespace gradus {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A parse that keeps its Source alive, for spans and rendering.
struct Parsed {
  Source source;
  ParseResult result;

  explicit Parsed(std::string text, ParseLimits limits = {})
      : source("t.gradus", std::move(text)), result(parse(source, limits)) {}

  const ast::Rulebook& rb() const { return result.rulebook; }
  std::string diags() const { return render_all(source, result.diagnostics); }
  std::string_view slice(Span s) const { return source.slice(s); }
  std::vector<Code> codes() const {
    std::vector<Code> out;
    for (const auto& d : result.diagnostics.items()) out.push_back(d.code);
    return out;
  }
};

/// `let x = <text>` parsed; the expression printed.
std::string infix(const std::string& text) {
  Parsed p("rulebook \"t\"\nlet x = " + text + "\n");
  EXPECT_TRUE(p.result.ok()) << text << "\n" << p.diags();
  if (p.rb().lets.size() != 1 || !p.rb().lets[0].value) return "<no expression>";
  return print(*p.rb().lets[0].value);
}

std::string lone_error(const std::string& text) {
  Parsed p(text);
  EXPECT_EQ(p.result.diagnostics.items().size(), 1u) << p.diags();
  return p.result.diagnostics.items().empty() ? "" : p.result.diagnostics.items()[0].message;
}

// ---------------------------------------------------------------- precedence and associativity

TEST(Precedence, BinaryOperatorsAreLeftAssociative) {
  EXPECT_EQ(infix("a - b - c"), "((a - b) - c)");
  EXPECT_EQ(infix("a / b / c"), "((a / b) / c)");
  EXPECT_EQ(infix("a - b + c"), "((a - b) + c)");
  EXPECT_EQ(infix("a / b * c"), "((a / b) * c)");
  EXPECT_EQ(infix("a or b or c"), "((a or b) or c)");
  EXPECT_EQ(infix("a and b and c"), "((a and b) and c)");
}

TEST(Precedence, Levels) {
  EXPECT_EQ(infix("a + b * 2"), "(a + (b * 2))");
  EXPECT_EQ(infix("a * b + c"), "((a * b) + c)");
  EXPECT_EQ(infix("(a + b) * c"), "((a + b) * c)");
  EXPECT_EQ(infix("a + 1 < b * 2"), "((a + 1) < (b * 2))");
  EXPECT_EQ(infix("a < b and c >= d"), "((a < b) and (c >= d))");
  EXPECT_EQ(infix("a or b and c"), "(a or (b and c))");
  EXPECT_EQ(infix("a and b or c and d"), "((a and b) or (c and d))");
  EXPECT_EQ(infix("a = b or a != c"), "((a = b) or (a != c))");
  EXPECT_EQ(infix("a <= b"), "(a <= b)");
  EXPECT_EQ(infix("a > b"), "(a > b)");
}

TEST(Precedence, UnaryOperators) {
  EXPECT_EQ(infix("-a * b"), "((-a) * b)");
  EXPECT_EQ(infix("- -a"), "(-(-a))");
  EXPECT_EQ(infix("a - -b"), "(a - (-b))");
  EXPECT_EQ(infix("-2"), "(-2)");  // a negative literal stays a unary node
  EXPECT_EQ(infix("not a and b"), "((not a) and b)");
  EXPECT_EQ(infix("not a = b"), "(not (a = b))");
  EXPECT_EQ(infix("not not a"), "(not (not a))");
  EXPECT_EQ(infix("a and not b or c"), "((a and (not b)) or c)");
}

TEST(Precedence, IfInWithin) {
  EXPECT_EQ(infix("if a then b else c + 1"), "(if a then b else (c + 1))");
  EXPECT_EQ(infix("if a then if b then c else d else e"), "(if a then (if b then c else d) else e)");
  EXPECT_EQ(infix("if a > 1 then 1 else if a > 0 then 0 else -1"),
            "(if (a > 1) then 1 else (if (a > 0) then 0 else (-1)))");
  EXPECT_EQ(infix("1 + (if a then 2 else 3)"), "(1 + (if a then 2 else 3))");
  EXPECT_EQ(infix("x in [0, 5)"), "(x in [0, 5))");
  EXPECT_EQ(infix("x + 1 in (-inf, -5]"), "((x + 1) in (-inf, -5])");
  EXPECT_EQ(infix("x in [0, 1) and y in (1.5, inf)"), "((x in [0, 1)) and (y in (1.5, inf)))");
  EXPECT_EQ(infix("d within 2 years"), "(d within 2 years)");
  EXPECT_EQ(infix("d within n * 2 days and ok"), "((d within (n * 2 days)) and ok)");
}

TEST(Precedence, PrimariesAndAggregates) {
  EXPECT_EQ(infix("(a)"), "a");
  EXPECT_EQ(infix("f(a, b + 1)"), "f(a, (b + 1))");
  EXPECT_EQ(infix("t[k + 1] * 2"), "(t[(k + 1)] * 2)");
  EXPECT_EQ(infix("sum(points[severity] * weight over violation where age_days < 1095)"),
            "sum((points[severity] * weight) over violation where (age_days < 1095))");
  EXPECT_EQ(infix("max(x over a, b where y otherwise 0)"), "max(x over a, b where y otherwise 0)");
  EXPECT_EQ(infix("min(x over records otherwise -1)"), "min(x over records otherwise (-1))");
  EXPECT_EQ(infix("count(a, b where c)"), "count(a, b where c)");
  EXPECT_EQ(infix("any(records)"), "any(records)");
  EXPECT_EQ(infix("all(v where not x)"), "all(v where (not x))");
  EXPECT_EQ(infix("max(a, b)"), "max(a, b)");
  EXPECT_EQ(infix("min(a)"), "min(a)");
  EXPECT_EQ(infix("clamp(x, 0, 1)"), "clamp(x, 0, 1)");
  EXPECT_EQ(infix("sum + count"), "(sum + count)");
  EXPECT_EQ(infix("10-5"), "(10 - 5)");
}

TEST(Precedence, Literals) {
  EXPECT_EQ(infix("2%"), "2%");
  EXPECT_EQ(infix("2 %"), "2%");
  EXPECT_EQ(infix("365 days"), "365 days");
  EXPECT_EQ(infix("1 day + 2 weeks + 3 months + 1 year + 2 years"),
            "((((1 days + 2 weeks) + 3 months) + 1 years) + 2 years)");
  EXPECT_EQ(infix("5000 yuan"), "5000 yuan");
  EXPECT_EQ(infix("1.50"), "1.50");
  EXPECT_EQ(infix("2024-01-31"), "2024-01-31");
  EXPECT_EQ(infix("true or false"), "(true or false)");
  EXPECT_EQ(infix(R"("a\"b\\c\nd\te")"), R"("a\"b\\c\nd\te")");
}

// ---------------------------------------------------------------- node shapes

TEST(Nodes, NumberTextUnitAndKinds) {
  Parsed p("rulebook \"t\"\nlet a = 1.5\nlet b = 2%\nlet c = 30 days\nlet d = 2024-02-29\n"
           "let e = \"x\\ty\"\nlet f = true\n");
  ASSERT_TRUE(p.result.ok()) << p.diags();
  const auto& l = p.rb().lets;
  ASSERT_EQ(l.size(), 6u);
  EXPECT_EQ(l[0].value->kind, ast::ExprKind::number);
  EXPECT_EQ(l[0].value->text, "1.5");
  EXPECT_EQ(l[0].value->unit, ast::Unit::none);
  EXPECT_EQ(l[1].value->text, "2");
  EXPECT_EQ(l[1].value->unit, ast::Unit::percent);
  EXPECT_EQ(l[2].value->unit, ast::Unit::days);
  EXPECT_EQ(l[3].value->kind, ast::ExprKind::date);
  EXPECT_EQ(l[3].value->text, "2024-02-29");
  EXPECT_EQ(l[4].value->kind, ast::ExprKind::string);
  EXPECT_EQ(l[4].value->text, "x\ty");  // unescaped
  EXPECT_EQ(l[5].value->kind, ast::ExprKind::boolean);
  EXPECT_EQ(l[5].value->text, "true");
}

TEST(Nodes, CallsLookupsAndAggregates) {
  Parsed p("rulebook \"t\"\nlet a = max(x, y)\nlet b = max(x over v)\nlet c = count(records)\n"
           "let d = t[k]\nlet e = sum(x over a, b where c otherwise d)\n");
  ASSERT_TRUE(p.result.ok()) << p.diags();
  const auto& l = p.rb().lets;
  EXPECT_EQ(l[0].value->kind, ast::ExprKind::call);
  EXPECT_EQ(l[0].value->args.size(), 2u);
  EXPECT_EQ(l[1].value->kind, ast::ExprKind::aggregate);
  EXPECT_EQ(l[1].value->args.size(), 1u);
  ASSERT_EQ(l[1].value->kinds.size(), 1u);
  EXPECT_EQ(l[1].value->kinds[0].text, "v");
  EXPECT_EQ(l[2].value->kind, ast::ExprKind::aggregate);
  EXPECT_TRUE(l[2].value->kinds.empty());  // records: every kind
  EXPECT_TRUE(l[2].value->args.empty());
  EXPECT_EQ(l[3].value->kind, ast::ExprKind::lookup);
  EXPECT_EQ(l[3].value->text, "t");
  const ast::Expr& e = *l[4].value;
  EXPECT_EQ(e.text, "sum");
  EXPECT_EQ(e.kinds.size(), 2u);
  ASSERT_TRUE(e.where);
  ASSERT_TRUE(e.otherwise);
  EXPECT_EQ(e.where->text, "c");
  EXPECT_EQ(e.otherwise->text, "d");
}

TEST(Nodes, BandsAndBounds) {
  Parsed p("rulebook \"t\"\ntable t(x: integer) -> integer\n  (-inf, -5] -> 1\n  [-5, 2.5) -> 2\n"
           "  [2.5, inf) -> 3\n");
  ASSERT_TRUE(p.result.ok()) << p.diags();
  const auto& rows = p.rb().tables.at(0).rows;
  ASSERT_EQ(rows.size(), 3u);
  const ast::Band& b0 = rows[0].band;
  EXPECT_FALSE(b0.lo_closed);
  EXPECT_TRUE(b0.hi_closed);
  EXPECT_TRUE(b0.lo.infinite);
  EXPECT_TRUE(b0.lo.negative);
  EXPECT_TRUE(b0.lo.text.empty());
  EXPECT_FALSE(b0.hi.infinite);
  EXPECT_TRUE(b0.hi.negative);
  EXPECT_EQ(b0.hi.text, "-5");
  EXPECT_EQ(p.slice(b0.hi.span), "-5");
  EXPECT_EQ(p.slice(b0.span), "(-inf, -5]");
  const ast::Band& b1 = rows[1].band;
  EXPECT_TRUE(b1.lo_closed);
  EXPECT_FALSE(b1.hi_closed);
  EXPECT_EQ(b1.hi.text, "2.5");
  EXPECT_TRUE(rows[2].band.hi.infinite);
  EXPECT_FALSE(rows[2].band.hi.negative);
}

TEST(Nodes, ReservedWordsNeedWordBoundaries) {
  Parsed p("rulebook \"t\"\nlet order = index + android + notable + iffy + format + tiered + infinite\n"
           "let kind = days + key + subject + integer + sum\n");
  ASSERT_TRUE(p.result.ok()) << p.diags();
  EXPECT_EQ(p.rb().lets[0].name.text, "order");
  EXPECT_EQ(print(*p.rb().lets[0].value),
            "((((((index + android) + notable) + iffy) + format) + tiered) + infinite)");
  EXPECT_EQ(p.rb().lets[1].name.text, "kind");
}

TEST(Nodes, KindIsANameAndAType) {
  Parsed p("rulebook \"t\"\nrecords\n  kind: kind of a, b\n  other: kind\n  x: integer for a, b\n");
  ASSERT_TRUE(p.result.ok()) << p.diags();
  const auto& f = p.rb().schemas.at(0).fields;
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].name.text, "kind");
  EXPECT_EQ(f[0].type.name.text, "kind");
  ASSERT_EQ(f[0].type.kinds.size(), 2u);
  EXPECT_EQ(f[0].type.kinds[1].text, "b");
  EXPECT_EQ(f[1].type.name.text, "kind");
  EXPECT_TRUE(f[1].type.kinds.empty());
  EXPECT_EQ(f[2].for_kinds.size(), 2u);
}

TEST(Nodes, CallOrLookupNeedsItsBracketOnTheSameLine) {
  // `-> base` then a band row: not a lookup `base[0, 10)`.
  Parsed p("rulebook \"t\"\ntable t(x: integer) -> integer\n  [0, 10) -> base\n  [10, 20) -> f (x)\n"
           "  (20, 30) -> base\n  (30, inf) -> 0\n");
  ASSERT_TRUE(p.result.ok()) << p.diags();
  const auto& rows = p.rb().tables.at(0).rows;
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(print(*rows[0].value), "base");
  EXPECT_EQ(print(*rows[1].value), "f(x)");
  EXPECT_EQ(print(*rows[2].value), "base");
}

TEST(Nodes, UnitWordNeedsToBeOnTheSameLine) {
  Parsed p("rulebook \"t\"\nenum U: day, week\ntable t(u: U) -> integer\n  day -> 1\n  week -> 7\n");
  ASSERT_TRUE(p.result.ok()) << p.diags();
  const auto& rows = p.rb().tables.at(0).rows;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].value->unit, ast::Unit::none);
  EXPECT_EQ(rows[1].keys.at(0).text, "week");
}

TEST(Nodes, SupervisionRowsAndMeasureDeclarations) {
  Parsed p("rulebook \"t\"\nsupervision\n  tier A sampling 2% measure m\n  incentive i\n"
           "measure m \"label\"\n");
  ASSERT_TRUE(p.result.ok()) << p.diags();
  const auto& row = p.rb().supervision.at(0).rows.at(0);
  ASSERT_EQ(row.measures.size(), 1u);
  ASSERT_EQ(row.incentives.size(), 1u);
  EXPECT_EQ(row.incentives[0].text, "i");
  ASSERT_EQ(p.rb().measures.size(), 1u);  // `measure m "label"` starts a declaration
  EXPECT_EQ(p.rb().measures[0].label, "label");
}

TEST(Nodes, HeaderFields) {
  Parsed p("rulebook \"T\" version \"1\" effective 2024-01-01 to 2025-12-31 basis \"b\" basis law1\n");
  ASSERT_TRUE(p.result.ok()) << p.diags();
  const ast::Header& h = p.rb().header;
  EXPECT_EQ(h.title, "T");
  EXPECT_EQ(h.version, "1");
  EXPECT_EQ(h.effective_from, "2024-01-01");
  EXPECT_EQ(h.effective_to, "2025-12-31");
  ASSERT_EQ(h.basis.size(), 2u);
  EXPECT_EQ(h.basis[0].text, "b");
  EXPECT_FALSE(h.basis[0].law);
  ASSERT_TRUE(h.basis[1].law);
  EXPECT_EQ(h.basis[1].law->text, "law1");
  EXPECT_EQ(p.slice(h.basis[1].span), "basis law1");
  EXPECT_EQ(p.slice(h.span), p.source.text().substr(0, p.source.text().size() - 1));
}

TEST(Nodes, LeadingBomAndCrlf) {
  Parsed p("\xEF\xBB\xBFrulebook \"t\"\r\nlet a = 1 +\r\n  2\r\n");
  ASSERT_TRUE(p.result.ok()) << p.diags();
  EXPECT_EQ(p.slice(p.rb().lets.at(0).span), "let a = 1 +\r\n  2");
  EXPECT_EQ(p.slice(p.rb().header.span), "rulebook \"t\"");
}

// ---------------------------------------------------------------- spans

TEST(Spans, NamesAndExpressions) {
  Parsed p("rulebook \"t\"\nlet weight = sector_weight[sector] * (1 + 2)\nlet 违法 = -x + not_y\n"
           "let s = sum(a * 2 over v where b)\nlet u = 365 days + 2% + \"q\\\"\"\n"
           "let c = not a and (if a then b else c)\n");
  ASSERT_TRUE(p.result.ok()) << p.diags();
  const auto& l = p.rb().lets;
  EXPECT_EQ(p.slice(l[0].name.span), "weight");
  EXPECT_EQ(p.slice(l[0].span), "let weight = sector_weight[sector] * (1 + 2)");
  const ast::Expr& mul = *l[0].value;
  EXPECT_EQ(p.slice(mul.span), "sector_weight[sector] * (1 + 2)");
  EXPECT_EQ(p.slice(mul.args[0]->span), "sector_weight[sector]");
  EXPECT_EQ(p.slice(mul.args[0]->name_span), "sector_weight");
  EXPECT_EQ(p.slice(mul.args[0]->args[0]->span), "sector");
  EXPECT_EQ(p.slice(mul.args[1]->span), "(1 + 2)");  // parentheses belong to the node
  EXPECT_EQ(p.slice(l[1].name.span), "违法");
  EXPECT_EQ(p.slice(l[1].value->args[0]->span), "-x");
  const ast::Expr& s = *l[2].value;
  EXPECT_EQ(p.slice(s.span), "sum(a * 2 over v where b)");
  EXPECT_EQ(p.slice(s.name_span), "sum");
  EXPECT_EQ(p.slice(s.kinds[0].span), "v");
  EXPECT_EQ(p.slice(s.where->span), "b");
  const ast::Expr& u = *l[3].value;
  EXPECT_EQ(p.slice(u.args[0]->args[0]->span), "365 days");
  EXPECT_EQ(p.slice(u.args[0]->args[1]->span), "2%");
  EXPECT_EQ(p.slice(u.args[1]->span), "\"q\\\"\"");
  const ast::Expr& c = *l[4].value;
  EXPECT_EQ(p.slice(c.args[0]->span), "not a");
  EXPECT_EQ(p.slice(c.args[1]->span), "(if a then b else c)");
  EXPECT_EQ(p.slice(c.args[1]->args[2]->span), "c");
}

TEST(Spans, Declarations) {
  Parsed p(R"(rulebook "Spans"
  version "1"
law fsl "citation"
scale Severity: minor (1) < general (2) < grave
records
  kind: kind of violation, award
  severity: Severity for violation
table decay(age: days) -> decimal
  [0, 365)     -> 1.0
  a, b  -> 1.2
  otherwise    -> 0
measure m "label" basis fsl
score
  start at 100
  add awards in bonus: 3 * sum(decay[age_days] over award)
  clamp 0 to 110
tiers
  A "top" [90, inf) requires x
  D (-inf, 60)
overrides
  court_order: at most C
    when any(violation where age_days < 365)
    because "reason"
supervision
  tier D sampling 100% measure m
summary by sector
)");
  ASSERT_TRUE(p.result.ok()) << p.diags();
  const ast::Rulebook& rb = p.rb();
  EXPECT_EQ(p.slice(rb.header.span), "rulebook \"Spans\"\n  version \"1\"");
  EXPECT_EQ(p.slice(rb.laws[0].span), "law fsl \"citation\"");
  EXPECT_EQ(p.slice(rb.enums[0].span), "scale Severity: minor (1) < general (2) < grave");
  EXPECT_EQ(p.slice(rb.enums[0].members[1].span), "general (2)");
  EXPECT_EQ(p.slice(rb.enums[0].members[2].span), "grave");
  EXPECT_EQ(p.slice(rb.schemas[0].span),
            "records\n  kind: kind of violation, award\n  severity: Severity for violation");
  EXPECT_EQ(p.slice(rb.schemas[0].fields[0].span), "kind: kind of violation, award");
  EXPECT_EQ(p.slice(rb.schemas[0].fields[0].type.span), "kind of violation, award");
  EXPECT_EQ(p.slice(rb.schemas[0].fields[1].span), "severity: Severity for violation");
  EXPECT_EQ(p.slice(rb.tables[0].span).substr(0, 31), "table decay(age: days) -> decim");
  EXPECT_EQ(p.slice(rb.tables[0].key_type.span), "days");
  EXPECT_EQ(p.slice(rb.tables[0].param.span), "age");
  EXPECT_EQ(p.slice(rb.tables[0].rows[0].span), "[0, 365)     -> 1.0");
  EXPECT_EQ(p.slice(rb.tables[0].rows[1].span), "a, b  -> 1.2");
  EXPECT_EQ(p.slice(rb.tables[0].rows[2].span), "otherwise    -> 0");
  EXPECT_EQ(p.slice(rb.measures[0].span), "measure m \"label\" basis fsl");
  EXPECT_EQ(p.slice(rb.measures[0].basis->span), "basis fsl");
  EXPECT_EQ(p.slice(rb.measures[0].basis->law->span), "fsl");
  EXPECT_EQ(p.slice(rb.scores[0].items[0].span), "start at 100");
  EXPECT_EQ(p.slice(rb.scores[0].items[1].span), "add awards in bonus: 3 * sum(decay[age_days] over award)");
  EXPECT_EQ(p.slice(rb.scores[0].items[1].group->span), "bonus");
  EXPECT_EQ(p.slice(rb.scores[0].items[2].span), "clamp 0 to 110");
  EXPECT_EQ(p.slice(rb.tiers[0].tiers[0].span), "A \"top\" [90, inf) requires x");
  EXPECT_EQ(p.slice(rb.tiers[0].tiers[1].span), "D (-inf, 60)");
  EXPECT_EQ(p.slice(rb.tiers[0].tiers[1].band.lo.span), "-inf");
  EXPECT_EQ(p.slice(rb.overrides[0][0].span),
            "court_order: at most C\n    when any(violation where age_days < 365)\n    because \"reason\"");
  EXPECT_EQ(p.slice(rb.overrides[0][0].tier.span), "C");
  EXPECT_EQ(p.slice(rb.supervision[0].rows[0].span), "tier D sampling 100% measure m");
  EXPECT_EQ(p.slice(rb.supervision[0].rows[0].sampling->span), "100%");
  EXPECT_EQ(p.slice(rb.summaries[0].span), "summary by sector");
  EXPECT_EQ(p.slice(rb.summaries[0].field.span), "sector");
}

/// Checks span invariants on every node of a rulebook.
void check_spans(const Parsed& p) {
  const std::string& text = p.source.text();
  auto in_text = [&](Span s) { return s.begin <= s.end && s.end <= text.size(); };
  auto name = [&](const ast::Name& n) {
    EXPECT_TRUE(in_text(n.span));
    EXPECT_EQ(p.slice(n.span), n.text);
  };
  std::function<void(const ast::Expr&, Span)> expr = [&](const ast::Expr& e, Span parent) {
    EXPECT_TRUE(in_text(e.span));
    EXPECT_GE(e.span.begin, parent.begin);
    EXPECT_LE(e.span.end, parent.end);
    std::string_view s = p.slice(e.span);
    switch (e.kind) {
      case ast::ExprKind::name: EXPECT_TRUE(s == e.text || s.front() == '(') << s; break;
      case ast::ExprKind::number:
        EXPECT_NE(s.find(e.text), std::string_view::npos) << s;
        break;
      case ast::ExprKind::call:
      case ast::ExprKind::lookup:
      case ast::ExprKind::aggregate: EXPECT_EQ(p.slice(e.name_span), e.text); break;
      default: break;
    }
    for (const auto& a : e.args) expr(*a, e.span);
    if (e.where) expr(*e.where, e.span);
    if (e.otherwise) expr(*e.otherwise, e.span);
    for (const auto& k : e.kinds) name(k);
  };
  auto starts = [&](Span s, std::string_view word) {
    EXPECT_TRUE(in_text(s));
    EXPECT_EQ(p.slice(s).substr(0, word.size()), word);
  };
  const ast::Rulebook& rb = p.rb();
  for (const auto& l : rb.laws) { starts(l.span, "law"); name(l.name); }
  for (const auto& d : rb.enums) {
    starts(d.span, d.ordered ? "scale" : "enum");
    name(d.name);
    for (const auto& m : d.members) { name(m.name); starts(m.span, m.name.text); }
  }
  for (const auto& s : rb.schemas) {
    starts(s.span, s.records ? "records" : "subjects");
    for (const auto& f : s.fields) {
      name(f.name);
      name(f.type.name);
      starts(f.type.span, f.type.name.text);
      for (const auto& k : f.type.kinds) name(k);
      for (const auto& k : f.for_kinds) name(k);
    }
  }
  for (const auto& c : rb.consts) { starts(c.span, "const"); name(c.name); expr(*c.value, c.span); }
  for (const auto& l : rb.lets) { starts(l.span, "let"); name(l.name); expr(*l.value, l.span); }
  for (const auto& t : rb.tables) {
    starts(t.span, "table");
    name(t.name);
    name(t.param);
    for (const auto& r : t.rows) {
      for (const auto& k : r.keys) name(k);
      expr(*r.value, r.span);
    }
  }
  for (const auto& s : rb.scores) {
    starts(s.span, "score");
    for (const auto& i : s.items) {
      if (i.value) expr(*i.value, i.span);
      if (i.high) expr(*i.high, i.span);
    }
  }
  for (const auto& ts : rb.tiers) {
    for (const auto& t : ts.tiers) {
      name(t.name);
      if (!t.by_override) starts(t.band.span, t.band.lo_closed ? "[" : "(");
      if (t.requires_) expr(*t.requires_, t.span);
    }
  }
  for (const auto& block : rb.overrides) {
    for (const auto& o : block) {
      name(o.name);
      name(o.tier);
      expr(*o.when, o.span);
      if (o.basis) starts(o.basis->span, "basis");
    }
  }
  for (const auto& s : rb.supervision) {
    for (const auto& r : s.rows) {
      starts(r.span, "tier");
      name(r.tier);
      if (r.sampling) expr(*r.sampling, r.span);
      if (r.interval) expr(*r.interval, r.span);
      if (r.sampling_band) starts(r.sampling_band->span, r.sampling_band->lo_closed ? "[" : "(");
      if (r.checks) starts(r.checks->span, r.checks->lo_closed ? "[" : "(");
      for (const auto& c : r.conditional) {
        name(c.name);
        expr(*c.when, r.span);
      }
    }
    if (s.variant) name(*s.variant);
  }
  for (const auto& v : rb.variants) {
    starts(v.span, "variant");
    name(v.name);
    for (const auto& set : v.sets) {
      name(set.name);
      expr(*set.value, set.span);
    }
  }
  for (const auto& c : rb.categories) {
    name(c.name);
    starts(c.path_span, "\"");
    if (c.variant) name(*c.variant);
  }
}

TEST(Spans, InvariantsHoldOnEveryValidGolden) {
  std::vector<fs::path> files{fs::path(GRADUS_SOURCE_DIR) / "rules/w1.gradus"};
  for (const auto& e : fs::directory_iterator(fs::path(GRADUS_SOURCE_DIR) / "tests/golden/syntax/valid")) {
    if (e.path().extension() == ".gradus") files.push_back(e.path());
  }
  EXPECT_GE(files.size(), 9u);
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    Parsed p(read_file(f));
    ASSERT_TRUE(p.result.ok()) << p.diags();
    check_spans(p);
  }
}

// ---------------------------------------------------------------- ids

TEST(Ids, UniquePreOrderInSourceOrder) {
  Parsed p("rulebook \"t\"\nlet a = 1 + 2 * 3\nconst c = f(x, y)\nlet b = sum(x over v where y otherwise z)\n");
  ASSERT_TRUE(p.result.ok()) << p.diags();
  const ast::Rulebook& rb = p.rb();
  EXPECT_EQ(rb.expr_count, 12u);
  std::vector<std::uint32_t> order;
  std::function<void(const ast::Expr&)> walk = [&](const ast::Expr& e) {
    order.push_back(e.id);
    for (const auto& a : e.args) walk(*a);
    if (e.where) walk(*e.where);
    if (e.otherwise) walk(*e.otherwise);
  };
  walk(*rb.lets[0].value);  // source order: let a, const c, let b
  walk(*rb.consts[0].value);
  walk(*rb.lets[1].value);
  ASSERT_EQ(order.size(), 12u);
  for (std::uint32_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i + 1);
}

TEST(Ids, CoverEveryExpressionOfW1) {
  Parsed p(read_file(fs::path(GRADUS_SOURCE_DIR) / "rules/w1.gradus"));
  ASSERT_TRUE(p.result.ok());
  std::set<std::uint32_t> ids;
  std::size_t n = 0;
  std::function<void(const ast::Expr&)> walk = [&](const ast::Expr& e) {
    ids.insert(e.id);
    ++n;
    for (const auto& a : e.args) walk(*a);
    if (e.where) walk(*e.where);
    if (e.otherwise) walk(*e.otherwise);
  };
  const ast::Rulebook& rb = p.rb();
  for (const auto& t : rb.tables)
    for (const auto& r : t.rows) walk(*r.value);
  for (const auto& l : rb.lets) walk(*l.value);
  for (const auto& i : rb.scores[0].items) {
    walk(*i.value);
    if (i.high) walk(*i.high);
  }
  for (const auto& o : rb.overrides[0]) walk(*o.when);
  for (const auto& r : rb.supervision[0].rows) walk(*r.sampling);
  EXPECT_EQ(n, rb.expr_count);
  EXPECT_EQ(ids.size(), n);
  EXPECT_EQ(*ids.begin(), 1u);
  EXPECT_EQ(*ids.rbegin(), rb.expr_count);
}

// ---------------------------------------------------------------- limits

TEST(Limits, InvalidUtf8StopsAtTheFirstBadByte) {
  Parsed p("rulebook \"t\"\nlet a = )\nlet b = \"caf\xC3\x28\"\n");
  ASSERT_EQ(p.codes(), std::vector<Code>{Code::E0001}) << p.diags();
  EXPECT_EQ(p.result.diagnostics.items()[0].span.begin, p.source.text().find('\xC3'));
  EXPECT_TRUE(p.rb().lets.empty());
}

TEST(Limits, TooLarge) {
  ParseLimits limits;
  limits.max_bytes = 16;
  Parsed p("rulebook \"a title that is too long\"\n", limits);
  ASSERT_EQ(p.codes(), std::vector<Code>{Code::E0002});
  Parsed ok("rulebook \"t\"\n", limits);
  EXPECT_TRUE(ok.result.ok());
}

TEST(Limits, DeepParenthesesAreAnErrorNotACrash) {
  Parsed p("rulebook \"t\"\nlet a = " + std::string(100000, '(') + "1" + std::string(100000, ')') + "\nlet b = 2\n");
  ASSERT_EQ(p.codes(), std::vector<Code>{Code::E0104}) << p.diags();
  ASSERT_EQ(p.rb().lets.size(), 2u);  // recovered: b is still there
  EXPECT_EQ(p.rb().lets[1].name.text, "b");
}

TEST(Limits, DeepUnaryChainsAreAnErrorNotACrash) {
  std::string minus, nots;
  for (int i = 0; i < 100000; ++i) minus += "- ";
  for (int i = 0; i < 100000; ++i) nots += "not ";
  Parsed a("rulebook \"t\"\nlet a = " + minus + "1\n");
  Parsed b("rulebook \"t\"\nlet b = " + nots + "x\n");
  Parsed c("rulebook \"t\"\nlet c = " + std::string(100000, '-') + "1\n");
  Parsed d("rulebook \"t\"\nlet d = " + [] {
    std::string s;
    for (int i = 0; i < 50000; ++i) s += "f(t[";
    return s;
  }() + "\n");
  EXPECT_EQ(a.codes(), std::vector<Code>{Code::E0104});
  EXPECT_EQ(b.codes(), std::vector<Code>{Code::E0104});
  EXPECT_EQ(c.codes(), std::vector<Code>{Code::E0104});
  EXPECT_EQ(d.codes(), std::vector<Code>{Code::E0104});
}

TEST(Limits, HugeFlatExpressionDoesNotRecurse) {
  // 1e5 terms parse in a loop; the left-deep tree they make would be 1e5
  // levels high, which every later stage (and ~Expr) walks recursively, so
  // the tree height is held to max_depth as well.
  std::string flat = "1";
  for (int i = 1; i < 100000; ++i) flat += "+1";
  Parsed p("rulebook \"t\"\nlet a = " + flat + "\nlet b = 2\n");
  ASSERT_EQ(p.codes(), std::vector<Code>{Code::E0104});
  EXPECT_NE(p.result.diagnostics.items()[0].message.find("too deep"), std::string::npos);
  EXPECT_EQ(p.rb().lets.size(), 2u);
}

TEST(Limits, DepthLimitIsExact) {
  ParseLimits limits;
  limits.max_depth = 5;
  auto nested = [](int n) { return std::string(n, '(') + "x" + std::string(n, ')'); };
  auto chain = [](int n) {
    std::string s = "x";
    for (int i = 1; i < n; ++i) s += " + x";
    return s;
  };
  // The expression itself is level 1; each parenthesis one more.
  EXPECT_TRUE(Parsed("rulebook \"t\"\nlet a = " + nested(4) + "\n", limits).result.ok());
  EXPECT_EQ(Parsed("rulebook \"t\"\nlet a = " + nested(5) + "\n", limits).codes(), std::vector<Code>{Code::E0104});
  // A tree of height 5: four '+' over five terms.
  EXPECT_TRUE(Parsed("rulebook \"t\"\nlet a = " + chain(5) + "\n", limits).result.ok());
  EXPECT_EQ(Parsed("rulebook \"t\"\nlet a = " + chain(6) + "\n", limits).codes(), std::vector<Code>{Code::E0104});
  EXPECT_TRUE(Parsed("rulebook \"t\"\nlet a = - - - - x\n", limits).result.ok());
  EXPECT_EQ(Parsed("rulebook \"t\"\nlet a = - - - - - x\n", limits).codes(), std::vector<Code>{Code::E0104});
  EXPECT_TRUE(Parsed("rulebook \"t\"\nlet a = f(g(h(k(x))))\n", limits).result.ok());
  EXPECT_EQ(Parsed("rulebook \"t\"\nlet a = f(g(h(k(m(x)))))\n", limits).codes(),
            std::vector<Code>{Code::E0104});
  // The default allows 200.
  EXPECT_TRUE(Parsed("rulebook \"t\"\nlet a = " + nested(199) + "\n").result.ok());
  EXPECT_TRUE(Parsed("rulebook \"t\"\nlet a = " + chain(200) + "\n").result.ok());
}

// ---------------------------------------------------------------- diagnostics

TEST(Diagnostics, ExpectedAndFoundInWords) {
  EXPECT_EQ(lone_error("rulebook \"t\"\nsubjects\n  sector Sector\n"),
            "expected ':' after field name, found 'Sector'");
  EXPECT_EQ(lone_error("rulebook \"t\"\nlet x = f(1, )\n"), "expected an expression, found ')'");
  EXPECT_EQ(lone_error("rulebook \"t\"\nlet score = 1\n"), "expected a name after 'let', found reserved word 'score'");
  EXPECT_EQ(lone_error("rulebook \"t\"\nlet x = 1 2\n"), "expected an operator or a declaration, found '2'");
  EXPECT_EQ(lone_error("rulebook \"t\"\nlet x = (1\nlet y = 2\n"),
            "expected ')', found reserved word 'let' on line 3");
  EXPECT_EQ(lone_error("rulebook \"t\"\nlet x = \"abc\" \"long string literal that goes on and on\"\n"),
            "expected an operator or a declaration, found string \"long string literal that go...");
}

TEST(Diagnostics, UnfinishedLinePointsAtItsEnd) {
  Parsed p("rulebook \"t\"\nlet x = (1 + 2\nlet y = 3\n");
  ASSERT_EQ(p.codes(), std::vector<Code>{Code::E0101});
  Span s = p.result.diagnostics.items()[0].span;
  EXPECT_EQ(s.begin, p.source.text().find("2\n") + 1);
  EXPECT_EQ(s.end, s.begin);
}

TEST(Diagnostics, ChainedComparison) {
  Parsed p("rulebook \"t\"\nlet x = a < b < c\n");
  ASSERT_EQ(p.codes(), std::vector<Code>{Code::E0101});
  EXPECT_EQ(p.result.diagnostics.items()[0].message,
            "comparison operators do not chain, found '<' after a comparison; combine comparisons with 'and'");
  EXPECT_EQ(p.slice(p.result.diagnostics.items()[0].span), "<");
}

TEST(Diagnostics, UnterminatedStringAtItsOpeningQuote) {
  Parsed p("rulebook \"t\"\nlaw a \"never closed\nlet b = 1\n");
  ASSERT_EQ(p.codes(), std::vector<Code>{Code::E0103});
  EXPECT_EQ(p.result.diagnostics.items()[0].span.begin, p.source.text().find("\"never"));
  EXPECT_EQ(p.rb().lets.size(), 1u);
}

TEST(Diagnostics, MalformedLiterals) {
  EXPECT_EQ(Parsed("rulebook \"t\"\nlet a = 2024-1-5\n").codes(), std::vector<Code>{Code::E0102});
  EXPECT_EQ(Parsed("rulebook \"t\" effective 2024-1-05\n").codes(), std::vector<Code>{Code::E0102});
  EXPECT_EQ(Parsed("rulebook \"t\" effective 20240105\n").codes(), std::vector<Code>{Code::E0102});
  EXPECT_EQ(Parsed("rulebook \"t\"\nlet a = 1.\n").codes(), std::vector<Code>{Code::E0102});
  EXPECT_EQ(Parsed("rulebook \"t\"\nlet a = 1.2.3\n").codes(), std::vector<Code>{Code::E0102});
  EXPECT_EQ(Parsed("rulebook \"t\"\nlet a = \"\\x\"\n").codes(), std::vector<Code>{Code::E0102});
  EXPECT_EQ(Parsed("rulebook \"t\"\ntable t(x: integer) -> integer\n  [1., 2) -> 1\n").codes(),
            std::vector<Code>{Code::E0102});
}

TEST(Diagnostics, MissingHeader) {
  Parsed empty("");
  EXPECT_EQ(empty.codes(), std::vector<Code>{Code::E0105});
  Parsed p("# only a comment\nenum E: a\nlet x = 1\n");
  EXPECT_EQ(p.codes(), std::vector<Code>{Code::E0105});
  EXPECT_EQ(p.rb().enums.size(), 1u);  // the declarations are still read
  EXPECT_EQ(p.rb().lets.size(), 1u);
}

TEST(Diagnostics, RecoveryReportsEachBrokenDeclaration) {
  Parsed p("rulebook \"t\"\nlet a = 1\nlet b = (\nlet c = 3\nsubjects\n  x integer\n  y: integer\n"
           "let d = 4 4\nlet e = 5\n");
  EXPECT_EQ(p.codes(), (std::vector<Code>{Code::E0101, Code::E0101, Code::E0101})) << p.diags();
  // Partial tree: the broken let keeps its name, with no value.
  const auto& l = p.rb().lets;
  ASSERT_EQ(l.size(), 5u);
  EXPECT_EQ(l[1].name.text, "b");
  EXPECT_FALSE(l[1].value);
  EXPECT_EQ(p.slice(l[1].span), "let");  // only the keyword is certain
  EXPECT_EQ(l[2].name.text, "c");
  EXPECT_TRUE(l[2].value);
  EXPECT_EQ(l[4].name.text, "e");
  ASSERT_EQ(p.rb().schemas.size(), 1u);
  EXPECT_EQ(p.rb().schemas[0].fields.size(), 1u);  // `x` only: recovery skips the rest of the block
}

TEST(Diagnostics, StopsAfterFiftyErrors) {
  std::string text = "rulebook \"t\"\n";
  for (int i = 0; i < 80; ++i) text += "let x = )\n";
  Parsed p(text);
  ASSERT_EQ(p.result.diagnostics.error_count(), 50u);
  ASSERT_EQ(p.result.diagnostics.items().back().notes.size(), 1u);
  EXPECT_EQ(p.result.diagnostics.items().back().notes[0].message, "too many errors; stopping here");
}

TEST(Diagnostics, NeverThrowsOnMutatedInput) {
  // Deterministic mutation fuzzing of w1: no exception, no crash, spans in range.
  std::string w1 = read_file(fs::path(GRADUS_SOURCE_DIR) / "rules/w1.gradus");
  static const char* kTokens[] = {"(", ")", "[", "]", ",", ":", "->", "\"", "#", "\n", "-", "not ", "if ",
                                  "inf", "1.", "2024-1-1", "违", "\r\n", "let ", "score", " over ", "%",
                                  "sum(", "<", " in ", "\\", "tier ", "\xEF\xBB\xBF", "0", "=", "\t"};
  std::mt19937 rng(12345);
  for (int round = 0; round < 2000; ++round) {
    std::string text = w1;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t at = rng() % (text.size() + 1);
      switch (rng() % 3) {
        case 0: text.erase(at, 1 + rng() % 6); break;
        case 1: text.insert(at, kTokens[rng() % std::size(kTokens)]); break;
        default: text.insert(at, text.substr(rng() % text.size(), rng() % 12)); break;
      }
    }
    SCOPED_TRACE(text);
    Source source("fuzz.gradus", text);
    ParseResult r;
    ASSERT_NO_THROW(r = parse(source));
    for (const auto& d : r.diagnostics.items()) {
      ASSERT_LE(d.span.begin, d.span.end);
      ASSERT_LE(d.span.end, text.size());
    }
    ASSERT_NO_THROW((void)render_all(source, r.diagnostics));
    ASSERT_NO_THROW((void)print(r.rulebook));
  }
}

}  // namespace
}  // namespace gradus
