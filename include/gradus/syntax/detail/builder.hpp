// Builds the public AST from the grammar's semantic actions.
//
// Internal to the parser; Spirit-free. The grammar (grammar_def.hpp) calls
// one Builder member per semantic action. Declarations are appended to the
// Rulebook as soon as their keyword is read, so a declaration cut short by a
// syntax error stays in the tree with the fields parsed so far.
//
// Expressions are built on an operand stack: a leaf pushes a node, an
// operator pops its operands and pushes the combined node. Each operand
// carries the height of its tree so that no tree gets deeper than
// ParseLimits::max_depth (E0104), whichever way it was written: later stages
// may then recurse over expressions without risking the native stack.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "gradus/core/codes.hpp"
#include "gradus/core/diagnostic.hpp"
#include "gradus/core/source.hpp"
#include "gradus/syntax/ast.hpp"
#include "gradus/syntax/detail/chars.hpp"

namespace gradus::syntax::detail {

/// A number or date token as written.
struct Tok {
  std::string text;
  Span span;
};

/// A string literal: its unescaped value and the span of the quoted text.
struct Str {
  std::string value;
  Span span;
};

/// A unit word after a number.
struct UnitTok {
  ast::Unit unit = ast::Unit::none;
  Span span;
};

/// A set of allowed values `{0, 5, 10}`: the values and the span of the braces.
struct ValueSet {
  std::vector<ast::Bound> values;
  Span span;
};

/// A binary operator as read.
struct OpTok {
  std::string_view op;
  Span span;
};

/// A malformed token (E0102, E0103); thrown by the lexer, caught by the driver.
struct LexError {
  Code code;
  Span span;
  std::string message;
};

/// Nesting or tree height beyond ParseLimits::max_depth (E0104).
struct DepthError {
  Span span;
  std::string message;
};

class Builder {
 public:
  Builder(const Source& source, ast::Rulebook& rb, Diagnostics& diags, std::size_t max_depth)
      : source_(source),
        rb_(rb),
        diags_(diags),
        begin_(source.text().data()),
        end_(source.text().data() + source.text().size()),
        max_depth_(max_depth) {}

  // ------------------------------------------------------------ driver support

  Span span(Iter b, Iter e) const {
    return {static_cast<std::uint32_t>(b - begin_), static_cast<std::uint32_t>(e - begin_)};
  }
  Iter at(std::uint32_t offset) const { return begin_ + offset; }

  /// Forgets the expression state of a declaration that failed.
  void reset() {
    depth_ = 0;
    stack_.clear();
    opens_.clear();
    marks_.clear();
    ops_.clear();
  }

  /// Where the last reported error's token starts (for recovery).
  Iter error_at() const { return error_at_; }

  /// What may follow the last declaration, for "expected ..., found ..." at top level.
  const char* continuation() const { return continuation_; }

  /// Reports E0101 "expected <what>, found <token>". `where` is where the
  /// expected thing should have started: right after the previous token.
  /// When what follows on a later line is the next declaration (or the end
  /// of the text), the construct was left unfinished: the error then points
  /// at the end of the unfinished line and names the line of the token.
  void syntax_error(Iter where, std::string_view what) {
    Iter p = skip_blanks(where, end_);
    Iter e;
    std::string found = describe_token(p, end_, e);
    Span at = span(p, e);
    bool next_declaration = p == end_ || (at_decl_keyword(p, end_) && starts_line(p));
    if (next_declaration && std::find(where, p, '\n') != p) {
      at = span(where, where);
      if (p != end_) found += fmt::format(" on line {}", source_.location(span(p, p).begin).line);
    }
    std::string message;
    if (what == kChainMarker) {
      message = fmt::format("comparison operators do not chain, found {} after a comparison; "
                            "combine comparisons with 'and'",
                            found);
    } else {
      message = fmt::format("expected {}, found {}", what, found);
    }
    diags_.error(Code::E0101, at, std::move(message));
    error_at_ = p;
  }

  void report(Code code, Span s, std::string message) {
    diags_.error(code, s, std::move(message));
    error_at_ = at(s.begin);
  }

  /// Expression roots in source order (for numbering).
  const std::vector<ast::Expr*>& roots() const { return roots_; }

  /// Marker `want()` text for a second comparison operator.
  static constexpr std::string_view kChainMarker = "!chain";

  // ------------------------------------------------------------ nesting

  void enter(Iter where, Iter last) {
    if (++depth_ > max_depth_) {
      Iter e;
      describe_token(where, last, e);
      throw DepthError{span(where, e == where ? where : e),
                       fmt::format("expression nested too deeply (more than {} levels)", max_depth_)};
    }
  }
  void leave() { --depth_; }

  // ------------------------------------------------------------ expressions: leaves

  void push_number(const Tok& t) { push_leaf(ast::ExprKind::number, t.text, t.span); }
  void set_percent(const Span& s) { set_unit(UnitTok{ast::Unit::percent, s}); }
  void set_unit(const UnitTok& u) {
    ast::Expr& e = *stack_.back().expr;
    e.unit = u.unit;
    e.span.end = u.span.end;
  }
  void push_date(const Tok& t) { push_leaf(ast::ExprKind::date, t.text, t.span); }
  void push_string(const Str& s) { push_leaf(ast::ExprKind::string, s.value, s.span); }
  void push_true(const Span& s) { push_leaf(ast::ExprKind::boolean, "true", s); }
  void push_false(const Span& s) { push_leaf(ast::ExprKind::boolean, "false", s); }
  void push_name(const ast::Name& n) { push_leaf(ast::ExprKind::name, n.text, n.span); }
  /// `clamp(`: the reserved word used as a function name.
  void push_clamp(const Span& s) { push_leaf(ast::ExprKind::name, "clamp", s); }

  // ------------------------------------------------------------ calls, lookups, aggregates

  /// `count(` / `any(` / `all(`: the name on the stack becomes a kinds-only aggregate.
  bool open_kinds_aggregate(const Span&) {
    const std::string& name = stack_.back().expr->text;
    if (name != "count" && name != "any" && name != "all") return false;
    open(ast::ExprKind::aggregate);
    return true;
  }
  /// `f(`: the name on the stack becomes a call; arguments follow.
  void open_call(const Span&) { open(ast::ExprKind::call); }
  /// `sum(e over`: a call of sum/min/max with one argument becomes an aggregate.
  bool to_aggregate(const Span&) {
    ast::Expr& e = *stack_[opens_.back()].expr;
    if (e.args.size() != 1 || (e.text != "sum" && e.text != "min" && e.text != "max")) return false;
    e.kind = ast::ExprKind::aggregate;
    return true;
  }
  /// `t[`: the name on the stack becomes a lookup.
  void open_lookup(const Span&) { open(ast::ExprKind::lookup); }
  void aggregate_kind(const ast::Name& n) { stack_[opens_.back()].expr->kinds.push_back(n); }
  void attach_arg() { stack_[opens_.back()].expr->args.push_back(attach()); }
  void attach_where() { stack_[opens_.back()].expr->where = attach(); }
  void attach_otherwise() { stack_[opens_.back()].expr->otherwise = attach(); }
  void close_open(const Span& close) {
    stack_[opens_.back()].expr->span.end = close.end;
    opens_.pop_back();
  }
  /// The message when a call's argument list does not go on.
  const char* call_close_expected() const {
    const std::string& name = stack_[opens_.back()].expr->text;
    bool set = stack_[opens_.back()].expr->args.size() == 1 &&
               (name == "sum" || name == "min" || name == "max");
    return set ? "'over', ',' or ')' after the argument" : "',' or ')' after the argument";
  }

  // ------------------------------------------------------------ operators

  void mark(const Span& s) { marks_.push_back(s); }
  /// `( e )`: the node's span grows to cover the parentheses.
  void close_paren(const Span& close) {
    stack_.back().expr->span = {marks_.back().begin, close.end};
    marks_.pop_back();
  }
  void op(const OpTok& o) { ops_.push_back(o); }
  void op_and(const Span& s) { ops_.push_back({"and", s}); }
  void op_or(const Span& s) { ops_.push_back({"or", s}); }

  void reduce() {
    Operand rhs = pop(), lhs = pop();
    OpTok o = ops_.back();
    ops_.pop_back();
    auto e = node(ast::ExprKind::binary, std::string(o.op), gradus::join(lhs.expr->span, rhs.expr->span));
    std::uint32_t h = 1 + std::max(lhs.height, rhs.height);
    e->args.reserve(2);
    e->args.push_back(std::move(lhs.expr));
    e->args.push_back(std::move(rhs.expr));
    push(std::move(e), h, o.span);
  }
  void make_neg() { make_unary("-"); }
  void make_not() { make_unary("not"); }
  void make_in(const ast::Band& b) {
    Operand x = pop();
    auto e = node(ast::ExprKind::in_band, "in", gradus::join(x.expr->span, b.span));
    e->band = b;
    std::uint32_t h = x.height + 1;
    Span where = x.expr->span;
    e->args.push_back(std::move(x.expr));
    push(std::move(e), h, where);
  }
  void make_within() {
    Operand period = pop(), d = pop();
    auto e = node(ast::ExprKind::within, "within", gradus::join(d.expr->span, period.expr->span));
    std::uint32_t h = 1 + std::max(d.height, period.height);
    Span where = period.expr->span;
    e->args.reserve(2);
    e->args.push_back(std::move(d.expr));
    e->args.push_back(std::move(period.expr));
    push(std::move(e), h, where);
  }
  void make_if() {
    Operand otherwise = pop(), then = pop(), cond = pop();
    Span kw = marks_.back();
    marks_.pop_back();
    auto e = node(ast::ExprKind::if_else, "if", {kw.begin, otherwise.expr->span.end});
    std::uint32_t h = 1 + std::max({cond.height, then.height, otherwise.height});
    e->args.reserve(3);
    e->args.push_back(std::move(cond.expr));
    e->args.push_back(std::move(then.expr));
    e->args.push_back(std::move(otherwise.expr));
    push(std::move(e), h, kw);
  }

  // ------------------------------------------------------------ header

  void open_header(const Span& kw) {
    rb_.header.span = kw;
    continuation_ = "'version', 'effective', 'basis' or a declaration";
  }
  void header_title(const Str& s) { rb_.header.title = s.value; }
  // A second version or effective date would silently replace the first: an error instead.
  void header_version(const Str& s) {
    if (version_seen_) return diags_.error(Code::E0411, s.span, "a second 'version' in the header");
    version_seen_ = true;
    rb_.header.version = s.value;
  }
  void header_from(const Tok& t) {
    if (rb_.header.effective_from)
      return diags_.error(Code::E0411, t.span, "a second 'effective' in the header");
    rb_.header.effective_from = t.text;
    rb_.header.effective_from_span = t.span;
  }
  void header_to(const Tok& t) {
    rb_.header.effective_to = t.text;
    rb_.header.effective_to_span = t.span;
  }
  void header_basis(const Span& s) { rb_.header.basis.push_back(take_basis(s)); }
  void close_header(const Span& s) { rb_.header.span = s; }

  void basis_text(const Str& s) { basis_ = ast::Basis{std::nullopt, s.value, s.span}; }
  void basis_law(const ast::Name& n) { basis_ = ast::Basis{n, {}, n.span}; }

  // ------------------------------------------------------------ law, enum, scale

  void open_law(const Span& kw) {
    rb_.laws.emplace_back().span = kw;
    continuation_ = "a declaration";
  }
  void law_name(const ast::Name& n) { rb_.laws.back().name = n; }
  void law_text(const Str& s) { rb_.laws.back().text = s.value; }
  void close_law(const Span& s) { rb_.laws.back().span = s; }

  void open_enum(const Span& kw) {
    rb_.enums.emplace_back().span = kw;
    continuation_ = "',' or a declaration";
  }
  void open_scale(const Span& kw) {
    ast::EnumDecl& d = rb_.enums.emplace_back();
    d.span = kw;
    d.ordered = true;
    continuation_ = "'<' or a declaration";
  }
  void enum_name(const ast::Name& n) { rb_.enums.back().name = n; }
  void member_name(const ast::Name& n) {
    ast::Member& m = rb_.enums.back().members.emplace_back();
    m.name = n;
    m.span = n.span;
  }
  void member_label_string(const Str& s) { rb_.enums.back().members.back().label = s.value; }
  void member_label_number(const Tok& t) { rb_.enums.back().members.back().label = t.text; }
  void close_member(const Span& s) { rb_.enums.back().members.back().span = s; }
  void close_enum(const Span& s) { rb_.enums.back().span = s; }

  // ------------------------------------------------------------ types and schemas

  void type_name(const ast::Name& n) { type_ = ast::TypeRef{n, {}, n.span}; }
  bool type_is_kind(const Span&) { return type_.name.text == "kind"; }
  void type_kind(const ast::Name& n) { type_.kinds.push_back(n); }
  void close_type(const Span& s) { type_.span = s; }

  void open_subjects(const Span& kw) { open_schema(kw, false); }
  void open_records(const Span& kw) { open_schema(kw, true); }
  void field_name(const ast::Name& n) {
    ast::Field& f = rb_.schemas.back().fields.emplace_back();
    f.name = n;
    f.span = n.span;
  }
  void field_type() { rb_.schemas.back().fields.back().type = std::move(type_); }
  void field_for(const ast::Name& n) { rb_.schemas.back().fields.back().for_kinds.push_back(n); }
  void close_field(const Span& s) { rb_.schemas.back().fields.back().span = s; }
  void close_schema(const Span& s) { rb_.schemas.back().span = s; }

  // ------------------------------------------------------------ const, let

  void open_const(const Span& kw) {
    rb_.consts.emplace_back().span = kw;
    continuation_ = "an operator or a declaration";
  }
  void const_name(const ast::Name& n) { rb_.consts.back().name = n; }
  void const_value() { rb_.consts.back().value = take_root(); }
  void close_const(const Span& s) { rb_.consts.back().span = s; }

  void open_let(const Span& kw) {
    rb_.lets.emplace_back().span = kw;
    continuation_ = "an operator or a declaration";
  }
  void let_name(const ast::Name& n) { rb_.lets.back().name = n; }
  void let_value() { rb_.lets.back().value = take_root(); }
  void close_let(const Span& s) { rb_.lets.back().span = s; }

  // ------------------------------------------------------------ tables

  void open_table(const Span& kw) {
    rb_.tables.emplace_back().span = kw;
    continuation_ = "a table row or a declaration";
  }
  void table_name(const ast::Name& n) { rb_.tables.back().name = n; }
  void table_param(const ast::Name& n) { rb_.tables.back().param = n; }
  void table_key_type() { rb_.tables.back().key_type = std::move(type_); }
  void table_value_type() { rb_.tables.back().value_type = std::move(type_); }
  void row_band(const ast::Band& b) {
    ast::TableRow& r = rb_.tables.back().rows.emplace_back();
    r.kind = ast::TableRow::Kind::band;
    r.band = b;
    r.span = b.span;
  }
  void row_otherwise(const Span& kw) {
    ast::TableRow& r = rb_.tables.back().rows.emplace_back();
    r.kind = ast::TableRow::Kind::otherwise;
    r.span = kw;
  }
  void row_first_key(const ast::Name& n) {
    ast::TableRow& r = rb_.tables.back().rows.emplace_back();
    r.kind = ast::TableRow::Kind::keys;
    r.keys.push_back(n);
    r.span = n.span;
  }
  void row_key(const ast::Name& n) { rb_.tables.back().rows.back().keys.push_back(n); }
  void row_value() { rb_.tables.back().rows.back().value = take_root(); }
  void close_row(const Span& s) { rb_.tables.back().rows.back().span = s; }
  void close_table(const Span& s) { rb_.tables.back().span = s; }

  // ------------------------------------------------------------ measures

  void open_measure(const Span& kw) { open_measure_decl(kw, false); }
  void open_incentive(const Span& kw) { open_measure_decl(kw, true); }
  void measure_name(const ast::Name& n) { rb_.measures.back().name = n; }
  void measure_label(const Str& s) { rb_.measures.back().label = s.value; }
  void measure_basis(const Span& s) { rb_.measures.back().basis = take_basis(s); }
  void close_measure(const Span& s) { rb_.measures.back().span = s; }

  // ------------------------------------------------------------ penalties

  void open_sanction(const Span& kw) {
    rb_.sanctions.emplace_back().span = kw;
    continuation_ = "a declaration";
  }
  void sanction_name(const ast::Name& n) { rb_.sanctions.back().name = n; }
  void sanction_label(const Str& s) { rb_.sanctions.back().label = s.value; }
  void sanction_rank(const Tok& t) {
    push_number(t);
    rb_.sanctions.back().rank = take_root();
  }
  void sanction_unit(const Span& s) {
    rb_.sanctions.back().unit = ast::Name{std::string(source_.text().substr(s.begin, s.end - s.begin)), s};
  }
  void sanction_cap() { rb_.sanctions.back().cap = take_root(); }
  void sanction_basis(const Span& s) { rb_.sanctions.back().basis = take_basis(s); }
  void close_sanction(const Span& s) { rb_.sanctions.back().span = s; }

  void open_breaches(const Span& kw) {
    rb_.breaches.emplace_back().span = kw;
    continuation_ = "a breach input or a declaration";
  }
  void input_name(const ast::Name& n) {
    ast::BreachInput& i = rb_.breaches.back().inputs.emplace_back();
    i.name = n;
    i.span = n.span;
  }
  void input_type() { rb_.breaches.back().inputs.back().type = std::move(type_); }
  void input_increasing(const Span& s) { input_order(ast::BreachInput::Order::increasing, s); }
  void input_decreasing(const Span& s) { input_order(ast::BreachInput::Order::decreasing, s); }
  void close_input(const Span& s) { rb_.breaches.back().inputs.back().span = s; }
  void close_breaches(const Span& s) { rb_.breaches.back().span = s; }

  void open_penalty(const Span& kw) {
    rb_.penalties.emplace_back().span = kw;
    continuation_ = "a penalty item ('define', 'level', 'impose', 'escalate') or a declaration";
  }
  void penalty_name(const ast::Name& n) { rb_.penalties.back().name = n; }
  void penalty_label(const Str& s) { rb_.penalties.back().label = s.value; }
  void penalty_basis(const Span& s) { rb_.penalties.back().basis = take_basis(s); }
  void close_penalty(const Span& s) { rb_.penalties.back().span = s; }
  void item_define(const Span& kw) { open_penalty_item(kw, ast::PenaltyItem::Kind::define); }
  void item_level(const Span& kw) { open_penalty_item(kw, ast::PenaltyItem::Kind::level); }
  void item_impose(const Span& kw) { open_penalty_item(kw, ast::PenaltyItem::Kind::impose); }
  void item_escalate(const Span& kw) { open_penalty_item(kw, ast::PenaltyItem::Kind::escalate); }
  void pitem_name(const ast::Name& n) { penalty_item().name = n; }
  void pitem_value() { penalty_item().value = take_root(); }
  void pitem_from() {
    penalty_item().value = take_root();
    penalty_item().range = true;
  }
  void pitem_high() { penalty_item().high = take_root(); }
  void pitem_when() { penalty_item().when = take_root(); }
  void pitem_otherwise(const Span&) { penalty_item().otherwise = true; }
  void pitem_also(const Span&) { penalty_item().also = true; }
  void pitem_basis(const Span& s) { penalty_item().basis = take_basis(s); }
  void close_pitem(const Span& s) { penalty_item().span = s; }

  void open_proportion(const Span& kw) {
    rb_.proportions.emplace_back().span = kw;
    continuation_ = "'<=' or a declaration";
  }
  void proportion_rule(const ast::Name& n) { rb_.proportions.back().chain.push_back(n); }
  void close_proportion(const Span& s) { rb_.proportions.back().span = s; }

  void open_discretion(const Span& kw) {
    rb_.discretions.emplace_back().span = kw;
    continuation_ = "a discretion row (a level, 'from', 'to') or a declaration";
  }
  void drow_level(const ast::Name& n) {
    ast::DiscretionRow& r = rb_.discretions.back().rows.emplace_back();
    r.level = n;
    r.span = n.span;
  }
  void drow_low() { rb_.discretions.back().rows.back().low = take_root(); }
  void drow_high() { rb_.discretions.back().rows.back().high = take_root(); }
  void drow_of_minimum() { rb_.discretions.back().rows.back().of_minimum = true; }
  void close_drow(const Span& s) { rb_.discretions.back().rows.back().span = s; }
  void close_discretion(const Span& s) { rb_.discretions.back().span = s; }

  // ------------------------------------------------------------ score

  void open_score(const Span& kw) {
    rb_.scores.emplace_back().span = kw;
    continuation_ = "a score item ('start', 'add', 'deduct', 'cap', 'clamp') or a declaration";
  }
  void item_start(const Span& kw) { open_item(kw, ast::ScoreItem::Kind::start); }
  void item_add(const Span& kw) { open_item(kw, ast::ScoreItem::Kind::add); }
  void item_deduct(const Span& kw) { open_item(kw, ast::ScoreItem::Kind::deduct); }
  void item_cap(const Span& kw) { open_item(kw, ast::ScoreItem::Kind::cap); }
  void item_clamp(const Span& kw) { open_item(kw, ast::ScoreItem::Kind::clamp); }
  void item_name(const ast::Name& n) { rb_.scores.back().items.back().name = n; }
  void item_group(const ast::Name& n) { rb_.scores.back().items.back().group = n; }
  void item_value() { rb_.scores.back().items.back().value = take_root(); }
  void item_high() { rb_.scores.back().items.back().high = take_root(); }
  void close_item(const Span& s) { rb_.scores.back().items.back().span = s; }
  void close_score(const Span& s) { rb_.scores.back().span = s; }

  // ------------------------------------------------------------ tiers

  void open_tiers(const Span& kw) {
    rb_.tiers.emplace_back().span = kw;
    continuation_ = "a tier or a declaration";
  }
  void tier_name(const ast::Name& n) {
    ast::Tier& t = rb_.tiers.back().tiers.emplace_back();
    t.name = n;
    t.span = n.span;
  }
  void tier_label(const Str& s) { rb_.tiers.back().tiers.back().label = s.value; }
  void tier_band(const ast::Band& b) { rb_.tiers.back().tiers.back().band = b; }
  void tier_requires() { rb_.tiers.back().tiers.back().requires_ = take_root(); }
  void close_tier(const Span& s) { rb_.tiers.back().tiers.back().span = s; }
  void close_tiers(const Span& s) { rb_.tiers.back().span = s; }

  // ------------------------------------------------------------ overrides

  void open_overrides(const Span&) {
    rb_.overrides.emplace_back();
    continuation_ = "an override or a declaration";
  }
  void override_name(const ast::Name& n) {
    ast::Override& o = rb_.overrides.back().emplace_back();
    o.name = n;
    o.span = n.span;
  }
  void action_force(const Span&) { current_override().action = ast::Override::Action::force; }
  void action_at_most(const Span&) { current_override().action = ast::Override::Action::at_most; }
  void action_at_least(const Span&) { current_override().action = ast::Override::Action::at_least; }
  void override_tier(const ast::Name& n) { current_override().tier = n; }
  void override_when() { current_override().when = take_root(); }
  void override_because(const Str& s) { current_override().because = s.value; }
  void override_basis(const Span& s) { current_override().basis = take_basis(s); }
  void close_override(const Span& s) { current_override().span = s; }

  // ------------------------------------------------------------ supervision, summary

  void open_supervision(const Span& kw) {
    rb_.supervision.emplace_back().span = kw;
    continuation_ = "a supervision row ('tier ...') or a declaration";
  }
  void sup_row(const Span& kw) { rb_.supervision.back().rows.emplace_back().span = kw; }
  void sup_tier(const ast::Name& n) { rb_.supervision.back().rows.back().tier = n; }
  void sup_sampling() { set_once(rb_.supervision.back().rows.back().sampling, "sampling"); }
  void sup_interval() { set_once(rb_.supervision.back().rows.back().interval, "interval"); }
  void sup_incentive(const ast::Name& n) { rb_.supervision.back().rows.back().incentives.push_back(n); }
  void sup_measure(const ast::Name& n) { rb_.supervision.back().rows.back().measures.push_back(n); }
  void close_sup_row(const Span& s) { rb_.supervision.back().rows.back().span = s; }
  void close_supervision(const Span& s) { rb_.supervision.back().span = s; }

  void open_summary(const Span& kw) {
    rb_.summaries.emplace_back().span = kw;
    continuation_ = "a declaration";
  }
  void summary_field(const ast::Name& n) { rb_.summaries.back().field = n; }
  void close_summary(const Span& s) { rb_.summaries.back().span = s; }

  // ------------------------------------------------------------ value sets, tiers by override, score, supervision bands

  void field_allowed(const ValueSet& v) {
    ast::Field& f = rb_.schemas.back().fields.back();
    f.allowed = v.values;
    f.allowed_span = v.span;
  }
  void tier_by_override(const Span&) { rb_.tiers.back().tiers.back().by_override = true; }
  /// `score` in an expression: the subject's final score (tier requirements, overrides).
  void push_score(const Span& s) { push_leaf(ast::ExprKind::name, "score", s); }
  void sup_sampling_band(const ast::Band& b) {
    set_once(rb_.supervision.back().rows.back().sampling_band, b, "sampling");
  }
  void sup_checks(const ast::Band& b) { set_once(rb_.supervision.back().rows.back().checks, b, "checks"); }
  void supervision_for(const ast::Name& n) { rb_.supervision.back().variant = n; }
  /// `incentive x when c` / `measure x when c`: the entry just read becomes conditional.
  void sup_incentive_when() { make_conditional(true); }
  void sup_measure_when() { make_conditional(false); }

  // ------------------------------------------------------------ variants

  void open_variant(const Span& kw) {
    rb_.variants.emplace_back().span = kw;
    continuation_ = "a constant's value (name = value) or a declaration";
  }
  void variant_name(const ast::Name& n) { rb_.variants.back().name = n; }
  void variant_label(const Str& s) { rb_.variants.back().label = s.value; }
  void variant_basis(const Span& s) { rb_.variants.back().basis = take_basis(s); }
  void variant_set_name(const ast::Name& n) {
    ast::VariantSet& v = rb_.variants.back().sets.emplace_back();
    v.name = n;
    v.span = n.span;
  }
  void variant_set_value() { rb_.variants.back().sets.back().value = take_root(); }
  void close_variant_set(const Span& s) { rb_.variants.back().sets.back().span = s; }
  void close_variant(const Span& s) { rb_.variants.back().span = s; }

  // ------------------------------------------------------------ categories

  void open_categories(const Span&) { continuation_ = "a category (a name and a rulebook file) or a declaration"; }
  void category_name(const ast::Name& n) {
    ast::CategoryRef& c = rb_.categories.emplace_back();
    c.name = n;
    c.span = n.span;
  }
  void category_path(const Str& s) {
    rb_.categories.back().path = s.value;
    rb_.categories.back().path_span = s.span;
  }
  void category_variant(const ast::Name& n) { rb_.categories.back().variant = n; }
  void close_category(const Span& s) { rb_.categories.back().span = s; }

 private:
  struct Operand {
    ast::ExprPtr expr;
    std::uint32_t height = 1;  // of the tree rooted at expr
  };

  /// True when only blanks precede `p` on its line.
  bool starts_line(Iter p) const {
    while (p != begin_ && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r' || p[-1] == '\f' || p[-1] == '\v')) --p;
    return p == begin_ || p[-1] == '\n';
  }

  static ast::ExprPtr node(ast::ExprKind kind, std::string text, Span s) {
    auto e = std::make_unique<ast::Expr>();
    e->kind = kind;
    e->text = std::move(text);
    e->span = s;
    return e;
  }

  void push_leaf(ast::ExprKind kind, std::string text, Span s) {
    stack_.push_back({node(kind, std::move(text), s), 1});
  }

  void push(ast::ExprPtr e, std::uint32_t height, Span where) {
    check_height(height, where);
    stack_.push_back({std::move(e), height});
  }

  void check_height(std::uint32_t height, Span where) const {
    if (height > max_depth_) {
      throw DepthError{where, fmt::format("expression too deep: more than {} levels of operations "
                                          "(split it with 'let')",
                                          max_depth_)};
    }
  }

  Operand pop() {
    Operand o = std::move(stack_.back());
    stack_.pop_back();
    return o;
  }

  void open(ast::ExprKind kind) {
    ast::Expr& e = *stack_.back().expr;
    e.kind = kind;
    e.name_span = e.span;
    opens_.push_back(stack_.size() - 1);
  }

  /// Pops the finished sub-expression for the open call/lookup/aggregate.
  ast::ExprPtr attach() {
    Operand child = pop();
    Operand& parent = stack_[opens_.back()];
    parent.height = std::max(parent.height, child.height + 1);
    check_height(parent.height, parent.expr->name_span);
    return std::move(child.expr);
  }

  void make_unary(const char* op) {
    Operand x = pop();
    Span kw = marks_.back();
    marks_.pop_back();
    auto e = node(ast::ExprKind::unary, op, {kw.begin, x.expr->span.end});
    std::uint32_t h = x.height + 1;
    e->args.push_back(std::move(x.expr));
    push(std::move(e), h, kw);
  }

  /// The finished expression of a declaration field; remembered for numbering.
  ast::ExprPtr take_root() {
    ast::ExprPtr e = pop().expr;
    roots_.push_back(e.get());
    return e;
  }

  /// A supervision row's `sampling`, `interval` or `checks`: a second one is an error, not a silent replacement.
  void set_once(ast::ExprPtr& slot, std::string_view what) {
    ast::ExprPtr e = take_root();
    if (!slot) {
      slot = std::move(e);
      return;
    }
    roots_.pop_back();  // e is dropped here: it must not be numbered
    diags_.error(Code::E0411, e->span, fmt::format("a second '{}' in this row", what));
  }

  void set_once(std::optional<ast::Band>& slot, const ast::Band& b, std::string_view what) {
    if (slot) return diags_.error(Code::E0411, b.span, fmt::format("a second '{}' in this row", what));
    slot = b;
  }

  ast::Basis take_basis(Span s) {
    ast::Basis b = std::move(basis_);
    b.span = s;
    basis_ = {};
    return b;
  }

  void open_schema(Span kw, bool records) {
    ast::Schema& s = rb_.schemas.emplace_back();
    s.records = records;
    s.span = kw;
    continuation_ = "a field or a declaration";
  }

  void open_measure_decl(Span kw, bool incentive) {
    ast::MeasureDecl& m = rb_.measures.emplace_back();
    m.incentive = incentive;
    m.span = kw;
    continuation_ = "a declaration";
  }

  void open_item(Span kw, ast::ScoreItem::Kind kind) {
    ast::ScoreItem& i = rb_.scores.back().items.emplace_back();
    i.kind = kind;
    i.span = kw;
  }

  ast::Override& current_override() { return rb_.overrides.back().back(); }

  void input_order(ast::BreachInput::Order o, Span s) {
    ast::BreachInput& i = rb_.breaches.back().inputs.back();
    i.order = o;
    i.order_span = s;
  }

  void open_penalty_item(Span kw, ast::PenaltyItem::Kind kind) {
    ast::PenaltyItem& i = rb_.penalties.back().items.emplace_back();
    i.kind = kind;
    i.span = kw;
  }

  ast::PenaltyItem& penalty_item() { return rb_.penalties.back().items.back(); }

  void make_conditional(bool incentive) {
    ast::SupervisionRow& r = rb_.supervision.back().rows.back();
    std::vector<ast::Name>& names = incentive ? r.incentives : r.measures;
    r.conditional.push_back({incentive, names.back(), take_root()});
    names.pop_back();
  }

  const Source& source_;                // the text being parsed
  ast::Rulebook& rb_;                   // the tree being built
  Diagnostics& diags_;                  // where errors go
  Iter begin_;                          // offset 0 of the source
  Iter end_;                            // end of the source
  std::size_t max_depth_;               // ParseLimits::max_depth
  bool version_seen_ = false;           // the header's 'version' was given
  std::size_t depth_ = 0;               // nesting of the expression being parsed
  std::vector<Operand> stack_;          // operands of the expression being parsed
  std::vector<std::size_t> opens_;      // stack_ indices of open calls/lookups/aggregates
  std::vector<Span> marks_;             // first tokens of pending '(', '-', 'not', 'if'
  std::vector<OpTok> ops_;              // pending binary operators
  std::vector<ast::Expr*> roots_;       // declaration-level expressions, in source order
  ast::TypeRef type_;                   // the type being parsed
  ast::Basis basis_;                    // the basis being parsed
  const char* continuation_ = "a declaration";  // what may follow the last declaration
  Iter error_at_ = nullptr;             // token of the last error
};

}  // namespace gradus::syntax::detail
