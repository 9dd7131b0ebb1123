// Unit tests of the checker: the side tables it fills (types, bindings, let and
// const order, folded constants, the resolved schema), the unit rules for bare
// number literals, suggestions in messages, and what blocks compilation.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gradus/check/types.hpp"
#include "gradus/core/date.hpp"
#include "gradus/core/decimal.hpp"
#include "gradus/gradus.hpp"

namespace gradus {
namespace {

constexpr std::int64_t kOne = decimal::kScale;

// A small schema shared by most tests; each test adds its own definitions.
const char* const kPrelude = R"(rulebook "checker unit test"

enum Sector: food, building
scale Severity: minor < serious < grave

subjects
  id: key
  sector: Sector
  registered: date
  arrears: money
  years_active: integer

records
  subject_id: subject
  kind: kind of violation, award
  severity: Severity for violation
  amount: money for violation
  decided_on: date
  age_days: days

table weight(s: Sector) -> decimal
  food     -> 1.5
  building -> 1.0

)";

const char* const kTail = R"(
score
  start at 100
  clamp 0 to 100

tiers
  A [50, inf)
  B (-inf, 50)
)";

std::string rulebook(const std::string& definitions) { return kPrelude + definitions + kTail; }

/// A parsed and checked rulebook. Not movable: the checked side tables point
/// into the AST.
struct Checked {
  Source source;
  ParseResult parsed;
  CheckResult result;

  explicit Checked(std::string text) : source("unit.gradus", std::move(text)) {
    parsed = parse(source);
    // The checker runs only on rulebooks that parse, as in compile_source().
    if (parsed.ok()) result = check(parsed.rulebook);
  }
  Checked(const Checked&) = delete;
  Checked& operator=(const Checked&) = delete;

  const ast::Rulebook& ast() const { return parsed.rulebook; }
  const CheckedRulebook& cr() const {
    if (!result.checked) throw std::runtime_error("the rulebook did not check:\n" + rendered());
    return *result.checked;
  }

  std::int32_t let_index(const std::string& name) const {
    for (std::size_t i = 0; i < ast().lets.size(); ++i)
      if (ast().lets[i].name.text == name) return static_cast<std::int32_t>(i);
    ADD_FAILURE() << "no let " << name;
    return 0;
  }
  std::int32_t const_index(const std::string& name) const {
    for (std::size_t i = 0; i < ast().consts.size(); ++i)
      if (ast().consts[i].name.text == name) return static_cast<std::int32_t>(i);
    ADD_FAILURE() << "no const " << name;
    return 0;
  }
  std::int32_t table_index(const std::string& name) const {
    for (std::size_t i = 0; i < ast().tables.size(); ++i)
      if (ast().tables[i].name.text == name) return static_cast<std::int32_t>(i);
    ADD_FAILURE() << "no table " << name;
    return 0;
  }
  Type let_type(const std::string& name) const { return cr().let_types[let_index(name)]; }
  const ast::Expr& let_value(const std::string& name) const { return *ast().lets[let_index(name)].value; }
  std::string type_name(Type t) const { return result.checked ? cr().schema.type_name(t) : "?"; }

  std::vector<Code> errors() const {
    std::vector<Code> out;
    for (const auto& d : result.diagnostics.items())
      if (d.severity == Severity::error) out.push_back(d.code);
    return out;
  }
  std::string rendered() const {
    return render_all(source, parsed.ok() ? result.diagnostics : parsed.diagnostics);
  }
};

std::unique_ptr<Checked> check_text(const std::string& text) {
  auto c = std::make_unique<Checked>(text);
  EXPECT_TRUE(c->parsed.ok()) << "the test rulebook does not parse:\n" << render_all(c->source, c->parsed.diagnostics);
  return c;
}

/// A checked rulebook that must have no error (warnings are fine).
std::unique_ptr<Checked> check_ok(const std::string& definitions) {
  auto c = check_text(rulebook(definitions));
  EXPECT_TRUE(c->result.ok()) << c->rendered();
  return c;
}

/// The error codes of one `let x = <expr>`.
std::vector<Code> let_errors(const std::string& expr) { return check_text(rulebook("let x = " + expr + "\n"))->errors(); }

void collect_names(const ast::Expr* e, std::vector<std::string>& out) {
  if (!e) return;
  if (e->kind == ast::ExprKind::name) out.push_back(e->text);
  for (const auto& a : e->args) collect_names(a.get(), out);
  collect_names(e->where.get(), out);
  collect_names(e->otherwise.get(), out);
}

const ast::Expr* find_name(const ast::Expr* e, const std::string& name) {
  if (!e) return nullptr;
  if (e->kind == ast::ExprKind::name && e->text == name) return e;
  for (const auto& a : e->args)
    if (auto* f = find_name(a.get(), name)) return f;
  if (auto* f = find_name(e->where.get(), name)) return f;
  return find_name(e->otherwise.get(), name);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ---------------------------------------------------------------- types

TEST(CheckerTypes, LetsGetTheTypesOfTheirExpressions) {
  auto c = check_ok(R"(
let n = count(violation where severity >= serious)
let total = sum(amount over violation)
let largest = max(amount over violation otherwise 0 yuan)
let first = min(decided_on over violation otherwise as_of)
let elapsed = as_of - registered
let later = registered + 30 days
let ratio = arrears / arrears
let doubled = 2 * arrears
let per_month = arrears / 12
let half = years_active / 2
let w = weight[sector]
let big = total > 10000
let either = if big then 1 else 2
let mixed = if big then 1 else 2.5
let aged = age(registered)
let anything = any(award)
let size = abs(arrears)
let smallest = min(arrears, 5)
)");
  struct Want {
    const char* let;
    TypeKind kind;
  };
  const Want wants[] = {
      {"n", TypeKind::integer},       {"total", TypeKind::money},    {"largest", TypeKind::money},
      {"first", TypeKind::date},      {"elapsed", TypeKind::days},   {"later", TypeKind::date},
      {"ratio", TypeKind::decimal},   {"doubled", TypeKind::money},  {"per_month", TypeKind::money},
      {"half", TypeKind::decimal},    {"w", TypeKind::decimal},      {"big", TypeKind::boolean},
      {"either", TypeKind::integer},  {"mixed", TypeKind::decimal},  {"aged", TypeKind::days},
      {"anything", TypeKind::boolean}, {"size", TypeKind::money},    {"smallest", TypeKind::money},
  };
  for (const auto& w : wants) {
    Type t = c->let_type(w.let);
    EXPECT_EQ(t.kind, w.kind) << "let " << w.let << " is " << c->type_name(t);
    // the side table by Expr::id agrees with let_types
    EXPECT_EQ(c->cr().types.at(c->let_value(w.let).id), t) << "let " << w.let;
  }
  EXPECT_EQ(c->cr().types.size(), c->ast().expr_count + 1);
}

TEST(CheckerTypes, ComparisonOperandsKeepTheirOwnTypes) {
  auto c = check_ok("let big = sum(amount over violation) > 10000\n");
  const ast::Expr& cmp = c->let_value("big");
  ASSERT_EQ(cmp.kind, ast::ExprKind::binary);
  EXPECT_EQ(c->cr().types[cmp.id].kind, TypeKind::boolean);
  EXPECT_EQ(c->cr().types[cmp.args[0]->id].kind, TypeKind::money);
}

TEST(CheckerTypes, EnumFieldsAndMembersResolve) {
  auto c = check_ok("let grave_ones = count(violation where severity = grave)\nlet w = weight[sector]\n");
  const auto& schema = c->cr().schema;
  ASSERT_EQ(schema.enums.size(), 2u);
  EXPECT_EQ(schema.enums[0].name, "Sector");
  EXPECT_FALSE(schema.enums[0].ordered);
  EXPECT_TRUE(schema.enums[1].ordered);

  const ast::Expr* sev = find_name(&c->let_value("grave_ones"), "severity");
  const ast::Expr* grave = find_name(&c->let_value("grave_ones"), "grave");
  ASSERT_NE(sev, nullptr);
  ASSERT_NE(grave, nullptr);
  EXPECT_EQ(c->cr().bindings[sev->id].kind, Binding::Kind::record_field);
  EXPECT_EQ(c->cr().bindings[sev->id].index, schema.record_field("severity"));
  EXPECT_EQ(c->cr().types[sev->id], Type::enumeration_of(1));
  EXPECT_EQ(c->cr().bindings[grave->id].kind, Binding::Kind::member);
  EXPECT_EQ(c->cr().bindings[grave->id].index, 2);       // minor, serious, grave
  EXPECT_EQ(c->cr().bindings[grave->id].enum_index, 1);  // Severity

  const ast::Expr& lookup = c->let_value("w");
  ASSERT_EQ(lookup.kind, ast::ExprKind::lookup);
  EXPECT_EQ(c->cr().bindings[lookup.id].kind, Binding::Kind::table);
  EXPECT_EQ(c->cr().bindings[lookup.id].index, c->table_index("weight"));
  EXPECT_EQ(c->cr().bindings[lookup.args[0]->id].kind, Binding::Kind::subject_field);
}

TEST(CheckerTypes, TableSideTables) {
  auto c = check_ok(R"(
table points(s: Severity) -> integer
  minor   -> 1
  serious -> 5
  grave   -> 20
table decay(age: days) -> decimal
  [0, 365)  -> 1.0
  otherwise -> 0
let p = sum(points[severity] * decay[age_days] * weight[sector] over violation)
)");
  const auto& cr = c->cr();
  const auto points = c->table_index("points"), decay = c->table_index("decay"), weight = c->table_index("weight");
  EXPECT_EQ(cr.table_enum[points], 1);  // Severity
  EXPECT_EQ(cr.table_enum[weight], 0);  // Sector
  EXPECT_EQ(cr.table_enum[decay], -1);  // a band table
  EXPECT_EQ(cr.table_key_types[decay].kind, TypeKind::days);
  EXPECT_EQ(cr.table_value_types[points].kind, TypeKind::integer);
  EXPECT_EQ(cr.table_value_types[decay].kind, TypeKind::decimal);
  EXPECT_EQ(c->let_type("p").kind, TypeKind::decimal);
}

TEST(CheckerTypes, SchemaIsResolved) {
  auto c = check_ok("");
  const Schema& s = c->cr().schema;
  EXPECT_EQ(s.key_field, "id");
  EXPECT_EQ(s.link_field, "subject_id");
  EXPECT_EQ(s.kind_field, "kind");
  EXPECT_EQ(s.kinds, (std::vector<std::string>{"violation", "award"}));
  ASSERT_EQ(s.subject_fields.size(), 4u);  // the key is not among them
  EXPECT_EQ(s.subject_fields[0].name, "sector");
  EXPECT_EQ(s.subject_fields[0].type, Type::enumeration_of(0));
  ASSERT_GE(s.record_field("amount"), 0);
  const FieldDef& amount = s.record_fields[s.record_field("amount")];
  EXPECT_EQ(amount.type.kind, TypeKind::money);
  EXPECT_EQ(amount.kinds, 1ull << s.kind_index("violation"));
  EXPECT_EQ(s.record_fields[s.record_field("age_days")].kinds, ~0ull);
}

// ---------------------------------------------------------------- order

TEST(CheckerOrder, LetOrderRespectsDependencies) {
  auto c = check_ok(R"(
let c = b + a
let d = c + 1
let b = a * 2
let e = years_active
let a = years_active + e
)");
  const auto& order = c->cr().let_order;
  const auto n = c->ast().lets.size();
  ASSERT_EQ(order.size(), n);
  std::vector<std::int32_t> sorted(order);
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(sorted[i], static_cast<std::int32_t>(i)) << "not a permutation";
  std::vector<std::size_t> pos(n);
  for (std::size_t p = 0; p < n; ++p) pos[static_cast<std::size_t>(order[p])] = p;
  // every let comes after each let it uses
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::string> names;
    collect_names(c->ast().lets[i].value.get(), names);
    for (const auto& name : names) {
      for (std::size_t j = 0; j < n; ++j) {
        if (c->ast().lets[j].name.text == name) {
          EXPECT_LT(pos[j], pos[i]) << c->ast().lets[i].name.text << " uses " << name;
        }
      }
    }
  }
  EXPECT_LT(pos[c->let_index("e")], pos[c->let_index("a")]);
  EXPECT_LT(pos[c->let_index("a")], pos[c->let_index("b")]);
  EXPECT_LT(pos[c->let_index("b")], pos[c->let_index("c")]);
  EXPECT_LT(pos[c->let_index("c")], pos[c->let_index("d")]);
}

TEST(CheckerOrder, CycleNamesItsPathAndLeavesTheRestOrdered) {
  auto c = check_text(rulebook("let a = b + 1\nlet b = c\nlet c = a\nlet free = years_active\n"));
  EXPECT_FALSE(c->result.ok());
  std::vector<Code> errs = c->errors();
  ASSERT_EQ(errs, std::vector<Code>{Code::E0501});
  const Diagnostic& d = *std::find_if(c->result.diagnostics.items().begin(), c->result.diagnostics.items().end(),
                                      [](const Diagnostic& x) { return x.code == Code::E0501; });
  EXPECT_NE(d.message.find("a -> b -> c -> a"), std::string::npos) << d.message;
  EXPECT_EQ(d.notes.size(), 2u);
}

// ---------------------------------------------------------------- constants

TEST(CheckerConsts, FoldToTheirRuntimeValues) {
  auto c = check_ok(R"(
const a = 2 * 3 + b
const b = 1.5
const heavy = 100000 yuan
const year = 365 days
const fortnight = 2 weeks
const ratio = 2%
const opening = 2024-01-31
const later = opening + 10 days
const leap = 2024-03-01 - 2024-02-01
const neg = -b
const bigger = a > b
const pick = if a > 10 then 1 else 2
const third = 1 / 3
const whole = 7 - 2
)");
  const auto& cr = c->cr();
  auto value = [&](const char* n) { return cr.const_values[c->const_index(n)]; };
  auto type = [&](const char* n) { return cr.const_types[c->const_index(n)].kind; };
  EXPECT_EQ(value("b"), 1'500'000);
  EXPECT_EQ(value("a"), 7'500'000);
  EXPECT_EQ(type("a"), TypeKind::decimal);
  EXPECT_EQ(value("heavy"), 100'000 * kOne);
  EXPECT_EQ(type("heavy"), TypeKind::money);
  EXPECT_EQ(value("year"), 365 * kOne);
  EXPECT_EQ(type("year"), TypeKind::days);
  EXPECT_EQ(value("fortnight"), 14 * kOne);
  EXPECT_EQ(value("ratio"), 20'000);
  EXPECT_EQ(value("opening"), date::from_civil(2024, 1, 31));
  EXPECT_EQ(type("opening"), TypeKind::date);
  EXPECT_EQ(value("later"), date::from_civil(2024, 2, 10));
  EXPECT_EQ(value("leap"), 29 * kOne);
  EXPECT_EQ(type("leap"), TypeKind::days);
  EXPECT_EQ(value("neg"), -1'500'000);
  EXPECT_EQ(value("bigger"), 1);
  EXPECT_EQ(type("bigger"), TypeKind::boolean);
  EXPECT_EQ(value("pick"), 2 * kOne);
  EXPECT_EQ(value("third"), 333'333);
  EXPECT_EQ(value("whole"), 5 * kOne);
  EXPECT_EQ(type("whole"), TypeKind::integer);

  // const_order puts each const after the consts it uses
  const auto& order = cr.const_order;
  ASSERT_EQ(order.size(), c->ast().consts.size());
  auto pos = [&](const char* n) { return std::find(order.begin(), order.end(), c->const_index(n)) - order.begin(); };
  EXPECT_LT(pos("b"), pos("a"));
  EXPECT_LT(pos("opening"), pos("later"));
  EXPECT_LT(pos("a"), pos("bigger"));
  EXPECT_LT(pos("b"), pos("neg"));
}

TEST(CheckerConsts, ConstsMayNotUseData) {
  EXPECT_EQ(check_text(rulebook("const x = years_active\n"))->errors(), std::vector<Code>{Code::E0307});
  EXPECT_EQ(check_text(rulebook("let y = 1\nconst x = y\n"))->errors(), std::vector<Code>{Code::E0307});
  EXPECT_EQ(check_text(rulebook("const x = as_of\n"))->errors(), std::vector<Code>{Code::E0307});
}

// ---------------------------------------------------------------- units

TEST(CheckerUnits, BareNumbersAdoptTheOtherSidesUnit) {
  EXPECT_TRUE(let_errors("count(violation where amount > 10000)").empty());
  EXPECT_TRUE(let_errors("count(violation where age_days < 365)").empty());
  EXPECT_TRUE(let_errors("arrears + 10000").empty());
  EXPECT_TRUE(let_errors("-5 + arrears").empty());
  EXPECT_TRUE(let_errors("arrears - 0.5").empty());
  EXPECT_TRUE(let_errors("arrears > 10000 yuan").empty());
  EXPECT_TRUE(let_errors("if arrears > 0 then arrears else 0").empty());
  EXPECT_TRUE(let_errors("max(arrears, 0)").empty());
}

TEST(CheckerUnits, UnitsNeverMixSilently) {
  EXPECT_EQ(let_errors("sum(amount + age_days over violation)"), std::vector<Code>{Code::E0302});
  EXPECT_EQ(let_errors("arrears + years_active"), std::vector<Code>{Code::E0302});  // a field is not a literal
  EXPECT_EQ(let_errors("arrears > 5 days"), std::vector<Code>{Code::E0302});
  EXPECT_EQ(let_errors("arrears * arrears"), std::vector<Code>{Code::E0302});
  EXPECT_EQ(let_errors("count(violation where amount > age_days)"), std::vector<Code>{Code::E0302});
  EXPECT_EQ(let_errors("min(arrears, age(registered))"), std::vector<Code>{Code::E0302});
}

TEST(CheckerUnits, LiteralAdoptionGivesTheAdoptedType) {
  auto c = check_ok("let plus = arrears + 10000\nlet minus = 10000 - arrears\nlet scaled = arrears * 1.5\n");
  EXPECT_EQ(c->let_type("plus").kind, TypeKind::money);
  EXPECT_EQ(c->let_type("minus").kind, TypeKind::money);
  EXPECT_EQ(c->let_type("scaled").kind, TypeKind::money);
}

TEST(CheckerUnits, TypingRules) {
  const Type money = Type::of(TypeKind::money), days = Type::of(TypeKind::days),
             integer = Type::of(TypeKind::integer), dec = Type::of(TypeKind::decimal),
             date = Type::of(TypeKind::date);
  EXPECT_EQ(types::arithmetic('+', money, false, integer, true), money);
  EXPECT_EQ(types::arithmetic('+', integer, true, money, false), money);
  EXPECT_EQ(types::arithmetic('+', money, false, integer, false), std::nullopt);
  EXPECT_EQ(types::arithmetic('+', money, false, days, false), std::nullopt);
  EXPECT_EQ(types::arithmetic('*', money, false, money, false), std::nullopt);
  EXPECT_EQ(types::arithmetic('*', integer, false, dec, false), dec);
  EXPECT_EQ(types::arithmetic('*', integer, false, integer, false), integer);
  EXPECT_EQ(types::arithmetic('/', money, false, money, false), dec);
  EXPECT_EQ(types::arithmetic('/', integer, false, integer, false), dec);
  EXPECT_EQ(types::arithmetic('-', date, false, date, false), days);
  EXPECT_EQ(types::arithmetic('+', date, false, days, false), date);
  EXPECT_EQ(types::unify(days, false, integer, true), days);
  EXPECT_EQ(types::unify(days, false, integer, false), std::nullopt);
  EXPECT_EQ(types::unify(integer, false, dec, false), dec);
}

// ---------------------------------------------------------------- messages

std::string message_of(const Checked& c, Code code) {
  for (const auto& d : c.result.diagnostics.items())
    if (d.code == code) return d.message;
  ADD_FAILURE() << "no " << code_name(code) << " in:\n" << c.rendered();
  return {};
}

TEST(CheckerMessages, SuggestCloseNames) {
  auto c = check_text(rulebook("let x = count(violation where severty >= serious)\n"));
  EXPECT_EQ(message_of(*c, Code::E0203), "unknown name 'severty' (did you mean 'severity'?)");

  c = check_text(rulebook("let x = count(violaton)\n"));
  EXPECT_EQ(message_of(*c, Code::E0204), "unknown record kind 'violaton' (did you mean 'violation'?)");

  c = check_text(rulebook("let x = wieght[sector]\n"));
  EXPECT_NE(message_of(*c, Code::E0203).find("(did you mean 'weight'?)"), std::string::npos);

  c = check_text(rulebook("let x = years_activ + 1\n"));
  EXPECT_NE(message_of(*c, Code::E0203).find("(did you mean 'years_active'?)"), std::string::npos);
}

TEST(CheckerMessages, NoSuggestionWhenNothingIsClose) {
  auto c = check_text(rulebook("let x = qqqqqqqq + 1\n"));
  std::string m = message_of(*c, Code::E0203);
  EXPECT_EQ(m, "unknown name 'qqqqqqqq'");
}

TEST(CheckerMessages, RecordFieldsAreNotSuggestedOutsideAggregations) {
  // 'amount' is a record field: outside an aggregation the suggestion must not offer it
  auto c = check_text(rulebook("let x = amout + 1\n"));
  EXPECT_EQ(message_of(*c, Code::E0203).find("'amount'"), std::string::npos);
}

TEST(CheckerMessages, SpansPointAtTheOffendingText) {
  auto c = check_text(rulebook("let x = count(violation where severty >= serious)\n"));
  for (const auto& d : c->result.diagnostics.items()) {
    if (d.code != Code::E0203) continue;
    EXPECT_EQ(c->source.slice(d.span), "severty");
  }
}

// ---------------------------------------------------------------- what blocks compilation

TEST(CheckerBlocking, WarningsAloneDoNotBlockCompilation) {
  Compilation c = compile_source(Source("w.gradus", rulebook("let unused = years_active * 2\n")));
  ASSERT_FALSE(c.diagnostics.empty());
  EXPECT_EQ(c.diagnostics.error_count(), 0u);
  for (const auto& d : c.diagnostics.items()) EXPECT_EQ(d.severity, Severity::warning) << d.message;
  EXPECT_TRUE(c.ok());
  EXPECT_NE(c.plan, nullptr);
  EXPECT_NE(c.render().find("warning[W0001]: let 'unused' is never used"), std::string::npos);

  auto checked = check_text(rulebook("let unused = years_active * 2\n"));
  EXPECT_TRUE(checked->result.ok());
  EXPECT_NE(checked->result.checked, nullptr);
}

TEST(CheckerBlocking, OneErrorBlocksCompilation) {
  Compilation c = compile_source(Source("e.gradus", rulebook("let x = years_active / 0\n")));
  EXPECT_EQ(c.diagnostics.error_count(), 1u);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.plan, nullptr);

  auto checked = check_text(rulebook("let x = years_active / 0\n"));
  EXPECT_FALSE(checked->result.ok());
  EXPECT_EQ(checked->result.checked, nullptr);
  EXPECT_EQ(checked->errors(), std::vector<Code>{Code::E0308});
}

TEST(CheckerBlocking, CleanRulebookHasNoDiagnostics) {
  auto c = check_text(rulebook("let w = weight[sector]\nlet young = years_active < 3\n"));
  // only the unused lets warn
  for (const auto& d : c->result.diagnostics.items()) EXPECT_EQ(d.code, Code::W0001) << d.message;
  EXPECT_TRUE(c->result.ok());
}

// ---------------------------------------------------------------- limits

std::string with_overrides(int n) {
  std::string text = R"(rulebook "overrides"

subjects
  id: key
  years_active: integer

score
  start at 100
  clamp 0 to 100

tiers
  A [80, inf)
  B [50, 80)
  C (-inf, 50)

overrides
)";
  for (int i = 1; i <= n; ++i)
    text += "  rule" + std::to_string(i) + ": at most B when years_active = " + std::to_string(i) + " because \"r\"\n";
  return text;
}

TEST(CheckerLimits, SixtyFourOverridesAreAllowedSixtyFiveAreNot) {
  EXPECT_TRUE(check_text(with_overrides(64))->errors().empty());
  EXPECT_EQ(check_text(with_overrides(65))->errors(), std::vector<Code>{Code::E0412});
}

// ---------------------------------------------------------------- the W1 rulebook

TEST(CheckerW1, SideTablesOfTheStandardWorkload) {
  auto c = check_text(read_file(std::filesystem::path(GRADUS_SOURCE_DIR) / "rules" / "w1.gradus"));
  ASSERT_TRUE(c->result.ok()) << c->rendered();
  EXPECT_TRUE(c->result.diagnostics.empty()) << c->rendered();
  const auto& cr = c->cr();
  EXPECT_EQ(c->let_type("weight").kind, TypeKind::decimal);
  EXPECT_EQ(cr.let_order.size(), 1u);
  EXPECT_EQ(cr.schema.kinds.size(), 5u);
  EXPECT_EQ(cr.schema.enums.size(), 3u);
  EXPECT_EQ(cr.table_enum[c->table_index("decay")], -1);
  EXPECT_EQ(cr.schema.enums[cr.table_enum[c->table_index("points")]].name, "Severity");
  EXPECT_EQ(cr.schema.enums[cr.table_enum[c->table_index("sector_weight")]].name, "Sector");
  const FieldDef& severity = cr.schema.record_fields[cr.schema.record_field("severity")];
  EXPECT_EQ(severity.kinds, 1ull << cr.schema.kind_index("violation"));
  const EnumType& sev = cr.schema.enums[severity.type.enum_index];
  EXPECT_TRUE(sev.ordered);
  EXPECT_EQ(sev.code_of("3"), 2);
  EXPECT_EQ(sev.code_of("grave"), 3);
}

}  // namespace
}  // namespace gradus
