// The rulebook AST: plain data as written, with a span on every node and no
// semantic information. The checker annotates it through side tables keyed
// by Expr::id; it never rewrites it.
//
// Ownership: a Rulebook owns its whole tree. Not thread-safe to mutate;
// concurrent reads are fine.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gradus/core/source.hpp"

namespace gradus::ast {

/// An identifier with its position.
struct Name {
  std::string text;  // UTF-8 as written
  Span span;
};

// ---------------------------------------------------------------- expressions

enum class ExprKind {
  number,     // 12, 1.5, 2% (text holds the digits; unit says what follows)
  date,       // 2024-01-31
  string,     // "text"
  boolean,    // true / false
  name,       // a field, let, const or enum member
  lookup,     // table[key]            args: {key}
  call,       // f(a, b, ...)          args: the arguments
  unary,      // op in {"-", "not"}    args: {operand}
  binary,     // op in {"+","-","*","/","=","!=","<","<=",">",">=","and","or"}
  if_else,    // if c then a else b    args: {c, a, b}
  in_band,    // x in [a, b)           args: {x}; band holds the interval
  within,     // d within 2 years      args: {d, period}
  aggregate,  // sum/min/max(e over K where c otherwise d), count/any/all(K where c)
};

/// What follows a number literal.
enum class Unit { none, percent, days, weeks, months, years, yuan };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// One end of an interval; `infinite` stands for -inf or inf.
struct Bound {
  bool infinite = false;  // true for inf / -inf
  bool negative = false;  // sign, for infinite bounds
  std::string text;       // the number as written (sign included), for finite bounds
  Span span;
  bool percent = false;   // written with '%': the value is text / 100
};

/// [lo, hi), (lo, hi], [lo, hi], (lo, hi).
struct Band {
  Bound lo, hi;
  bool lo_closed = true;   // '[' rather than '('
  bool hi_closed = false;  // ']' rather than ')'
  Span span;
};

struct Expr {
  ExprKind kind = ExprKind::number;
  Span span;
  std::uint32_t id = 0;        // unique in the rulebook, assigned by the parser, 1-based
  std::string text;            // number digits, date text, string value, name, function name, or operator
  Unit unit = Unit::none;      // number literals only
  Span name_span;              // lookup/call/aggregate: span of the table, function or aggregate name
  std::vector<ExprPtr> args;   // children, see ExprKind
  Band band;                   // in_band
  // aggregate only:
  std::vector<Name> kinds;     // record kinds; empty means every kind ("records")
  ExprPtr where;               // filter, may be null
  ExprPtr otherwise;           // value for an empty set (min/max), may be null
};

// ---------------------------------------------------------------- declarations

/// `law fsl "食品安全法 (2021) 第一百二十五条"`
struct Law {
  Name name;
  std::string text;
  Span span;
};

/// A legal basis: either a quoted citation or the name of a declared law.
struct Basis {
  std::optional<Name> law;  // `basis fsl`
  std::string text;         // `basis "..."`
  Span span;
};

/// An enum or scale member, with an optional label used in data files.
struct Member {
  Name name;
  std::optional<std::string> label;  // `minor ("1")` or `minor (1)`: text accepted in data
  Span span;
};

/// `enum Sector: a, b, c` or `scale Severity: minor < general < grave`.
struct EnumDecl {
  Name name;
  bool ordered = false;  // scale
  std::vector<Member> members;
  Span span;
};

/// A type as written: a builtin name, an enum/scale name, or a record-kind list.
struct TypeRef {
  Name name;                 // integer, decimal, money, bool, date, days, key, subject, kind, or an enum name
  std::vector<Name> kinds;   // for `kind of a, b, c`
  Span span;
};

/// `severity: Severity for violation, complaint`
struct Field {
  Name name;
  TypeRef type;
  std::vector<Name> for_kinds;  // empty: every kind (records) / not applicable (subjects)
  Span span;
  std::vector<Bound> allowed;   // `in {0, 5, 10}`: the only values data may hold; empty: any
  Span allowed_span;            // the braces and what is between them
};

/// `subjects` or `records` block.
struct Schema {
  bool records = false;
  std::vector<Field> fields;
  Span span;
};

/// `const name = expr`
struct Const {
  Name name;
  ExprPtr value;
  Span span;
};

/// `let name = expr`: a derived value per subject.
struct Let {
  Name name;
  ExprPtr value;
  Span span;
};

/// One row of a table: a band, a list of keys, or `otherwise`.
struct TableRow {
  enum class Kind { band, keys, otherwise } kind = Kind::keys;
  Band band;
  std::vector<Name> keys;
  ExprPtr value;
  Span span;
};

/// `table decay(age: days) -> decimal` followed by rows.
struct Table {
  Name name;
  Name param;
  TypeRef key_type;
  TypeRef value_type;
  std::vector<TableRow> rows;
  Span span;
};

/// One item of the score block.
struct ScoreItem {
  enum class Kind { start, add, deduct, cap, clamp } kind = Kind::add;
  Name name;             // add/deduct: contribution name; cap: group name
  std::optional<Name> group;  // add/deduct `in GROUP`
  ExprPtr value;         // start, add, deduct, cap; clamp: low
  ExprPtr high;          // clamp: high
  Span span;
};

struct Score {
  std::vector<ScoreItem> items;
  Span span;
};

/// `A "守信" [90, inf) requires years_active >= 3`
struct Tier {
  Name name;
  std::optional<std::string> label;
  Band band;
  ExprPtr requires_;  // may be null
  Span span;
  bool by_override = false;  // `M "..." by override`: no band; only an override gives this tier
};

struct Tiers {
  std::vector<Tier> tiers;  // best first
  Span span;
};

/// `name: force D when cond because "..." basis x`
struct Override {
  enum class Action { force, at_most, at_least } action = Action::force;
  Name name;
  Name tier;
  ExprPtr when;
  std::string because;
  std::optional<Basis> basis;
  Span span;
};

/// `measure key_supervision "重点监管" basis x` / `incentive ...`
struct MeasureDecl {
  bool incentive = false;
  Name name;
  std::string label;
  std::optional<Basis> basis;
  Span span;
};

/// `measure key_supervision when is_producer` in a supervision row: applies
/// only to the subjects of the tier for which the condition holds.
struct ConditionalMeasure {
  bool incentive = false;
  Name name;
  ExprPtr when;
};

/// `tier A sampling 2% interval 365 days incentive x measure y`
struct SupervisionRow {
  Name tier;
  ExprPtr sampling;                // may be null
  ExprPtr interval;                // may be null
  std::vector<Name> incentives;
  std::vector<Name> measures;
  Span span;
  std::optional<Band> sampling_band;  // `sampling [5%, 20%]` instead of one ratio
  std::optional<Band> checks;         // `checks [1, 2]`: inspections per year
  std::vector<ConditionalMeasure> conditional;  // `measure x when c`, `incentive y when c`
};

struct Supervision {
  std::vector<SupervisionRow> rows;
  Span span;
  std::optional<Name> variant;  // `supervision for city`: the section of that variant
};

/// `summary by sector`
struct Summary {
  Name field;
  Span span;
};

/// The header: `rulebook "name" version "1.0" effective 2024-01-01 to 2026-12-31 basis "..."`.
struct Header {
  std::string title;
  std::string version;
  std::optional<std::string> effective_from;  // date text
  std::optional<std::string> effective_to;
  Span effective_from_span, effective_to_span;  // where those dates are written
  std::vector<Basis> basis;
  Span span;
};

// ---------------------------------------------------------------- penalties (rules/PENALTIES.md)

/// `sanction daily_fine "按日连续罚款" rank 20 money cap 1000000 yuan basis x`
struct Sanction {
  Name name;
  std::string label;
  ExprPtr rank;
  std::optional<Name> unit;  // money, days or period; none: the measure has no amount
  ExprPtr cap;               // may be null
  std::optional<Basis> basis;
  Span span;
};

/// A breach input: `goods_value: money increasing`.
struct BreachInput {
  enum class Order { none, increasing, decreasing } order = Order::none;
  Name name;
  TypeRef type;
  Span order_span;  // where the order word is written
  Span span;
};

/// `breaches` block.
struct Breaches {
  std::vector<BreachInput> inputs;
  Span span;
};

/// One item of a penalty rule.
struct PenaltyItem {
  enum class Kind { define, level, impose, escalate } kind = Kind::impose;
  Name name;         // define: the name; level: the level; impose/escalate: the measure
  ExprPtr value;     // define: the value; impose: `for VALUE` or `from LOW`
  ExprPtr high;      // impose: `to HIGH` (null for `for VALUE` or no amount)
  bool range = false;      // `from .. to ..`
  ExprPtr when;      // level/impose: the condition, may be null
  bool otherwise = false;  // impose: `otherwise`
  bool also = false;       // impose: `also`
  std::optional<Basis> basis;
  Span span;
};

/// `penalty NAME "label" basis B` followed by its items.
struct Penalty {
  Name name;
  std::string label;
  std::optional<Basis> basis;
  std::vector<PenaltyItem> items;
  Span span;
};

/// `proportion a <= b <= c`
struct Proportion {
  std::vector<Name> chain;
  Span span;
};

/// A row of the `discretion` block: `lighter from 0% to 30%`, `mitigated from 0% to 100% of minimum`.
struct DiscretionRow {
  Name level;
  ExprPtr low, high;
  bool of_minimum = false;
  Span span;
};

struct Discretion {
  std::vector<DiscretionRow> rows;
  Span span;
};

/// `name = expr` inside a variant: the constant's value in that variant.
struct VariantSet {
  Name name;
  ExprPtr value;
  Span span;
};

/// `variant city "市级方案" basis x` followed by `const_name = expr` lines.
struct Variant {
  Name name;
  std::string label;
  std::optional<Basis> basis;
  std::vector<VariantSet> sets;
  Span span;
};

/// One row of `categories`: `tax "tax_credit.gradus" variant y2025`.
struct CategoryRef {
  Name name;
  std::string path;           // the rulebook file, relative to this rulebook's folder
  Span path_span;
  std::optional<Name> variant;
  Span span;
};

struct Rulebook {
  Header header;
  std::vector<Law> laws;
  std::vector<EnumDecl> enums;
  std::vector<Schema> schemas;
  std::vector<Const> consts;
  std::vector<Table> tables;
  std::vector<Let> lets;
  std::vector<MeasureDecl> measures;
  std::vector<Score> scores;              // exactly one expected; the checker says so
  std::vector<Tiers> tiers;               // exactly one expected
  std::vector<std::vector<Override>> overrides;  // each `overrides` block
  std::vector<Supervision> supervision;   // at most one expected
  std::vector<Summary> summaries;         // at most one expected
  std::vector<Sanction> sanctions;        // catalogue extensions
  std::vector<Breaches> breaches;         // at most one expected
  std::vector<Penalty> penalties;
  std::vector<Proportion> proportions;
  std::vector<Discretion> discretions;    // at most one expected
  std::uint32_t expr_count = 0;           // largest Expr::id
  std::vector<Variant> variants;          // `variant` declarations
  std::vector<CategoryRef> categories;    // rows of every `categories` block
};

}  // namespace gradus::ast
