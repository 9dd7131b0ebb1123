#include "gradus/plan/compiler.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "gradus/check/fold.hpp"
#include "gradus/check/types.hpp"
#include "gradus/core/date.hpp"
#include "gradus/core/decimal.hpp"
#include "gradus/core/error.hpp"

namespace gradus {
namespace {

using ast::Expr;
using ast::ExprKind;

constexpr std::int32_t kAll = -1;  // "every position" as a selection

class Compiler {
 public:
  Compiler(const CheckedRulebook& c, Plan& p) : c_(c), rb_(*c.ast), p_(p) {}

  void run() {
    p_.schema = c_.schema;
    p_.title = rb_.header.title;
    p_.version = rb_.header.version;
    measures();
    score();
    tiers();
    overrides();
    supervision();
    if (!rb_.summaries.empty()) p_.summary_field = p_.schema.subject_field(rb_.summaries[0].field.text);
    variants_and_categories();
  }

 private:
  const CheckedRulebook& c_;
  const ast::Rulebook& rb_;
  Plan& p_;
  std::map<std::pair<std::int32_t, std::int32_t>, std::int32_t> let_cache_;  // (let, subject sel) -> reg
  std::map<std::pair<std::int32_t, std::int32_t>, std::vector<PlanContribution::Feed>> let_feeds_;
  std::map<std::int32_t, std::int32_t> subject_load_cache_;                  // field -> view register
  std::map<std::pair<std::int32_t, std::int32_t>, std::int32_t> kind_sel_cache_;  // (mask, subject sel) -> sel
  PlanContribution* feeding_ = nullptr;  // contribution whose aggregations are being compiled

  Type type(const Expr& e) const { return c_.types[e.id]; }
  const Binding& binding(const Expr& e) const { return c_.bindings[e.id]; }

  std::int32_t reg(Level l) {
    p_.register_level.push_back(l);
    return static_cast<std::int32_t>(p_.register_level.size() - 1);
  }
  std::int32_t selection(Level l) {
    p_.selection_level.push_back(l);
    return static_cast<std::int32_t>(p_.selection_level.size() - 1);
  }
  void emit(Op op, Level l, std::int32_t dst, std::int32_t a, std::int32_t b, std::int32_t sel, std::int64_t imm,
            Span span) {
    p_.code.push_back({op, l, dst, a, b, sel, imm, span});
  }
  std::int32_t constant(std::int64_t v, Level l, std::int32_t sel, Span span) {
    std::int32_t r = reg(l);
    emit(Op::constant, l, r, -1, -1, sel, v, span);
    return r;
  }

  std::string basis(const std::optional<ast::Basis>& b) const {
    if (!b) return {};
    if (b->law) {
      for (const auto& l : rb_.laws)
        if (l.name.text == b->law->text) return l.text;
    }
    return b->text;
  }

  // ------------------------------------------------------------ constant folding
  /// The value of an expression that needs no data (one folding rule for checker and compiler).
  std::optional<std::int64_t> fold(const Expr& e) const { return fold_constant(e, c_); }

  // ------------------------------------------------------------ values
  /// Does the expression read record data (and so run per record)?
  bool per_record(const Expr& e) const {
    if (e.kind == ExprKind::aggregate) return false;
    if (e.kind == ExprKind::name) {
      auto k = binding(e).kind;
      return k == Binding::Kind::record_field || k == Binding::Kind::kind;
    }
    for (const auto& a : e.args)
      if (a && per_record(*a)) return true;
    return false;
  }

  /// Where an expression is computed.
  struct At {
    Level level = Level::subject;
    std::int32_t sel = kAll;          // selection at `level`
    std::int32_t subject_sel = kAll;  // for record level: the subjects being computed
  };

  /// Compiles e; returns the register holding its value at at.level.
  std::int32_t value(const Expr& e, At at) {
    if (at.level == Level::record && !per_record(e)) {
      // computed once per subject, then spread to the records; where it could fail
      // (arithmetic), only for the subjects owning a selected record, so that a
      // guard on the records also guards it
      std::int32_t owners = can_fail(e) ? owners_of(at.sel, at.subject_sel) : at.subject_sel;
      std::int32_t s = value(e, {Level::subject, owners, owners});
      std::int32_t r = reg(Level::record);
      emit(Op::broadcast, Level::record, r, s, -1, at.sel, 0, e.span);
      return r;
    }
    if (auto v = fold(e); v && e.kind != ExprKind::name) return constant(*v, at.level, at.sel, e.span);
    switch (e.kind) {
      case ExprKind::number:
      case ExprKind::boolean:
      case ExprKind::date:
      case ExprKind::string:
        throw UsageError(fmt::format("internal: cannot compile literal '{}'", e.text));
      case ExprKind::name: return name(e, at);
      case ExprKind::lookup: {
        std::int32_t ti = binding(e).index;
        std::int32_t k = value(*e.args[0], at);
        std::int32_t r = reg(at.level);
        bool by_enum = c_.table_enum[ti] >= 0;
        emit(by_enum ? Op::lookup : Op::band, at.level, r, k, -1, at.sel, table_slot(ti), e.span);
        return r;
      }
      case ExprKind::call: return call(e, at);
      case ExprKind::unary: {
        std::int32_t a = value(*e.args[0], at);
        std::int32_t r = reg(at.level);
        emit(e.text == "-" ? Op::neg : Op::logical_not, at.level, r, a, -1, at.sel, 0, e.span);
        return r;
      }
      case ExprKind::binary: return binary(e, at);
      case ExprKind::if_else: {
        std::int32_t cnd = value(*e.args[0], at);
        std::int32_t st = selection(at.level), sf = selection(at.level);
        emit(Op::sel_true, at.level, st, cnd, -1, at.sel, 0, e.args[0]->span);
        emit(Op::sel_false, at.level, sf, cnd, -1, at.sel, 0, e.args[0]->span);
        At att = at, atf = at;
        att.sel = st;
        atf.sel = sf;
        if (at.level == Level::subject) att.subject_sel = st, atf.subject_sel = sf;
        std::int32_t r = reg(at.level);
        std::int32_t a = value(*e.args[1], att);
        emit(Op::copy, at.level, r, a, -1, st, 0, e.args[1]->span);
        std::int32_t b = value(*e.args[2], atf);
        emit(Op::copy, at.level, r, b, -1, sf, 0, e.args[2]->span);
        return r;
      }
      case ExprKind::in_band: {
        std::int32_t x = value(*e.args[0], at);
        PlanBandTable t = band_of(e.band, 1, 0);
        p_.band_tables.push_back(std::move(t));
        std::int32_t r = reg(at.level);
        emit(Op::band, at.level, r, x, -1, at.sel, static_cast<std::int64_t>(p_.band_tables.size() - 1), e.span);
        return r;
      }
      case ExprKind::within: {
        // d within p  <=>  as_of - p < d <= as_of
        std::int32_t d = value(*e.args[0], at);
        std::int32_t today = reg(at.level);
        emit(Op::as_of_offset, at.level, today, -1, -1, at.sel, 0, e.span);
        std::int32_t cutoff = reg(at.level);
        if (type(*e.args[1]).kind == TypeKind::period) {
          emit(Op::as_of_months, at.level, cutoff, -1, -1, at.sel, -*fold(*e.args[1]), e.args[1]->span);
        } else if (auto days = fold(*e.args[1])) {
          emit(Op::as_of_offset, at.level, cutoff, -1, -1, at.sel, -decimal::round_whole(*days), e.args[1]->span);
        } else {
          // a computed number of days: as_of - whole days
          std::int32_t p = value(*e.args[1], at);
          // scaled days to whole days: a * kScale / kScale^2
          std::int32_t whole = reg(at.level);
          emit(Op::div, at.level, whole, p, -1, at.sel, decimal::kScale * decimal::kScale, e.args[1]->span);
          emit(Op::sub, at.level, cutoff, today, whole, at.sel, 0, e.args[1]->span);
        }
        std::int32_t after = reg(at.level), upto = reg(at.level), r = reg(at.level);
        emit(Op::gt, at.level, after, d, cutoff, at.sel, 0, e.span);
        emit(Op::le, at.level, upto, d, today, at.sel, 0, e.span);
        emit(Op::min, at.level, r, after, upto, at.sel, 0, e.span);
        return r;
      }
      case ExprKind::aggregate: return aggregate(e, at);
    }
    throw UsageError("internal: unknown expression kind");
  }

  /// Can computing e fail for some data (overflow, division by zero)? Lookups
  /// and comparisons cannot, arithmetic can.
  bool can_fail(const Expr& e) const {
    switch (e.kind) {
      case ExprKind::binary:
        if (e.text == "+" || e.text == "-" || e.text == "*" || e.text == "/") return true;
        break;
      case ExprKind::unary:
        if (e.text == "-") return true;
        break;
      case ExprKind::call:
        if (e.text == "abs" || e.text == "age") return true;
        break;
      case ExprKind::within:
        return true;
      case ExprKind::name:
        if (binding(e).kind == Binding::Kind::let) return can_fail(*rb_.lets[binding(e).index].value);
        return false;
      default:
        break;
    }
    for (const auto& a : e.args)
      if (a && can_fail(*a)) return true;
    return false;
  }

  /// The subjects that own at least one record of a record selection.
  std::int32_t owners_of(std::int32_t record_sel, std::int32_t subject_sel) {
    if (record_sel == kAll) return subject_sel;
    auto it = owners_cache_.find(record_sel);
    if (it != owners_cache_.end()) return it->second;
    std::int32_t s = selection(Level::subject);
    emit(Op::sel_owners, Level::subject, s, record_sel, -1, subject_sel, 0, {});
    return owners_cache_[record_sel] = s;
  }
  std::map<std::int32_t, std::int32_t> owners_cache_;

  std::int32_t name(const Expr& e, At at) {
    const Binding& b = binding(e);
    switch (b.kind) {
      case Binding::Kind::subject_field: {
        auto it = subject_load_cache_.find(b.index);
        if (it != subject_load_cache_.end()) return it->second;
        std::int32_t r = reg(Level::subject);
        emit(Op::load_subject, Level::subject, r, b.index, -1, kAll, 0, e.span);
        subject_load_cache_[b.index] = r;
        return r;
      }
      case Binding::Kind::record_field: {
        std::int32_t r = reg(Level::record);
        emit(Op::load_record, Level::record, r, b.index, -1, kAll, 0, e.span);
        return r;
      }
      case Binding::Kind::kind: {
        std::int32_t r = reg(Level::record);
        emit(Op::load_record, Level::record, r, -1, -1, kAll, 0, e.span);  // column -1: the kind
        return r;
      }
      case Binding::Kind::constant: return constant(c_.const_values[b.index], at.level, at.sel, e.span);
      case Binding::Kind::member: return constant(b.index, at.level, at.sel, e.span);
      case Binding::Kind::as_of: {
        std::int32_t r = reg(at.level);
        emit(Op::as_of_offset, at.level, r, -1, -1, at.sel, 0, e.span);
        return r;
      }
      case Binding::Kind::score: return p_.score_reg;  // computed before tiers and overrides
      case Binding::Kind::let: {
        // computed once per selection; the records its aggregations read feed every
        // contribution that uses it, for explanations
        auto key = std::make_pair(b.index, at.sel);
        auto it = let_cache_.find(key);
        if (it == let_cache_.end()) {
          PlanContribution* outer = feeding_;
          PlanContribution scratch;
          feeding_ = &scratch;
          std::int32_t r = value(*rb_.lets[b.index].value, at);
          feeding_ = outer;
          let_feeds_[key] = std::move(scratch.feeds);
          it = let_cache_.emplace(key, r).first;
        }
        if (feeding_) {
          const auto& feeds = let_feeds_[key];
          feeding_->feeds.insert(feeding_->feeds.end(), feeds.begin(), feeds.end());
        }
        return it->second;
      }
      default:
        throw UsageError(fmt::format("internal: name '{}' has no binding", e.text));
    }
  }

  std::int32_t call(const Expr& e, At at) {
    const std::string& f = e.text;
    if (f == "min" || f == "max") {
      std::int32_t r = value(*e.args[0], at);
      for (std::size_t i = 1; i < e.args.size(); ++i) {
        std::int32_t b = value(*e.args[i], at);
        std::int32_t n = reg(at.level);
        emit(f == "min" ? Op::min : Op::max, at.level, n, r, b, at.sel, 0, e.span);
        r = n;
      }
      return r;
    }
    if (f == "clamp") {
      std::int32_t x = value(*e.args[0], at), lo = value(*e.args[1], at), hi = value(*e.args[2], at);
      std::int32_t t = reg(at.level), r = reg(at.level);
      emit(Op::max, at.level, t, x, lo, at.sel, 0, e.span);
      emit(Op::min, at.level, r, t, hi, at.sel, 0, e.span);
      return r;
    }
    if (f == "abs") {
      std::int32_t x = value(*e.args[0], at), r = reg(at.level);
      emit(Op::abs, at.level, r, x, -1, at.sel, 0, e.span);
      return r;
    }
    if (f == "age") {
      std::int32_t d = value(*e.args[0], at);
      std::int32_t today = reg(at.level), diff = reg(at.level), r = reg(at.level);
      emit(Op::as_of_offset, at.level, today, -1, -1, at.sel, 0, e.span);
      emit(Op::sub, at.level, diff, today, d, at.sel, 0, e.span);
      emit(Op::scale_int, at.level, r, diff, -1, at.sel, 0, e.span);
      return r;
    }
    if (f == "year") {
      std::int32_t d = value(*e.args[0], at), r = reg(at.level);
      emit(Op::year_of, at.level, r, d, -1, at.sel, 0, e.span);
      return r;
    }
    throw UsageError(fmt::format("internal: unknown function '{}'", f));
  }

  /// The instruction of a comparison operator, if op is one.
  static std::optional<Op> comparison(const std::string& op) {
    static const std::map<std::string, Op> ops = {{"=", Op::eq}, {"!=", Op::ne}, {"<", Op::lt},
                                                  {"<=", Op::le}, {">", Op::gt}, {">=", Op::ge}};
    auto it = ops.find(op);
    return it == ops.end() ? std::nullopt : std::optional<Op>(it->second);
  }

  std::int32_t binary(const Expr& e, At at) {
    const std::string& op = e.text;
    const Expr& l = *e.args[0];
    const Expr& r = *e.args[1];
    if (op == "and" || op == "or") {
      // the right side only runs where the left side leaves the answer open
      std::int32_t a = value(l, at);
      std::int32_t open = selection(at.level);
      emit(op == "and" ? Op::sel_true : Op::sel_false, at.level, open, a, -1, at.sel, 0, l.span);
      At at2 = at;
      at2.sel = open;
      if (at.level == Level::subject) at2.subject_sel = open;
      std::int32_t res = reg(at.level);
      emit(Op::copy, at.level, res, a, -1, at.sel, 0, l.span);
      std::int32_t b = value(r, at2);
      emit(Op::copy, at.level, res, b, -1, open, 0, r.span);
      return res;
    }
    Type lt = type(l), rt = type(r);
    if (auto cmp = comparison(op)) {
      std::int32_t a = value(l, at);
      std::int32_t res = reg(at.level);
      if (auto k = fold(r)) {
        emit(*cmp, at.level, res, a, -1, at.sel, *k, e.span);
      } else {
        std::int32_t b = value(r, at);
        emit(*cmp, at.level, res, a, b, at.sel, 0, e.span);
      }
      return res;
    }
    // date arithmetic: dates are whole days, durations are scaled days
    if (lt.kind == TypeKind::date || rt.kind == TypeKind::date) {
      std::int32_t a = value(l, at), b = value(r, at);
      std::int32_t res = reg(at.level);
      if (lt.kind == TypeKind::date && rt.kind == TypeKind::date) {
        std::int32_t diff = reg(at.level);
        emit(Op::sub, at.level, diff, a, b, at.sel, 0, e.span);
        emit(Op::scale_int, at.level, res, diff, -1, at.sel, 0, e.span);
        return res;
      }
      // date +- days: scaled days to whole days (a * kScale / kScale^2, rounded), then add
      std::int32_t dur = lt.kind == TypeKind::date ? b : a;
      std::int32_t dat = lt.kind == TypeKind::date ? a : b;
      std::int32_t whole = reg(at.level);
      emit(Op::div, at.level, whole, dur, -1, at.sel, decimal::kScale * decimal::kScale, e.span);
      emit(op == "+" ? Op::add : Op::sub, at.level, res, dat, whole, at.sel, 0, e.span);
      return res;
    }
    static const std::map<std::string, Op> arith = {{"+", Op::add}, {"-", Op::sub}, {"*", Op::mul}, {"/", Op::div}};
    Op o = arith.at(op);
    if (o == Op::mul) {
      // a whole-number table (points per severity, say) multiplies without rescaling:
      // look up its unscaled values and multiply as integers
      auto whole_lookup = [&](const Expr& x) {
        return x.kind == ExprKind::lookup && type(x).kind == TypeKind::integer && c_.table_enum[binding(x).index] >= 0 &&
               per_record(x) == (at.level == Level::record);
      };
      const Expr* raw = whole_lookup(r) ? &r : whole_lookup(l) ? &l : nullptr;
      if (raw && !fold(raw == &r ? l : r)) {
        std::int32_t a = value(raw == &r ? l : r, at);
        std::int32_t key = value(*raw->args[0], at);
        std::int32_t units = reg(at.level), res = reg(at.level);
        emit(Op::lookup, at.level, units, key, -1, at.sel, raw_table_slot(binding(*raw).index), raw->span);
        emit(Op::mul_int, at.level, res, a, units, at.sel, 0, e.span);
        return res;
      }
    }
    std::int32_t a;
    std::optional<std::int64_t> k = fold(r);
    if (!k && (o == Op::add || o == Op::mul)) {
      // constant on the left of a commutative operator: swap it to the right
      if (auto kl = fold(l)) {
        k = kl;
        a = value(r, at);
      } else {
        a = value(l, at);
      }
    } else {
      a = value(l, at);
    }
    std::int32_t res = reg(at.level);
    if (k) {
      if (o == Op::mul && *k % decimal::kScale == 0) {
        emit(Op::mul_int, at.level, res, a, -1, at.sel, *k / decimal::kScale, e.span);
      } else {
        emit(o, at.level, res, a, -1, at.sel, *k, e.span);
      }
    } else {
      std::int32_t b = value(r, at);
      emit(o, at.level, res, a, b, at.sel, 0, e.span);
    }
    return res;
  }

  std::int32_t kinds_selection(std::uint64_t mask, std::int32_t subject_sel, Span span) {
    auto key = std::make_pair(static_cast<std::int32_t>(mask), subject_sel);
    if (mask < (1ull << 31)) {
      auto it = kind_sel_cache_.find(key);
      if (it != kind_sel_cache_.end()) return it->second;
    }
    std::int32_t s = selection(Level::record);
    emit(Op::sel_kinds, Level::record, s, -1, -1, subject_sel, static_cast<std::int64_t>(mask), span);
    if (mask < (1ull << 31)) kind_sel_cache_[key] = s;
    return s;
  }

  std::int32_t aggregate(const Expr& e, At at) {
    std::uint64_t mask = 0;
    if (e.kinds.empty()) {
      mask = p_.schema.kinds.size() >= 64 ? ~0ull : (1ull << p_.schema.kinds.size()) - 1;
    }
    for (const auto& k : e.kinds) mask |= 1ull << p_.schema.kind_index(k.text);
    std::int32_t subjects = at.sel;  // aggregations run at subject level
    std::int32_t s = kinds_selection(mask, subjects, e.span);
    At rat{Level::record, s, subjects};
    const std::string& f = e.text;
    if (e.where) {
      if (f == "all") {
        // all(K where c)  <=>  not any(K where not c)
        std::int32_t c = value(*e.where, rat);
        std::int32_t failing = selection(Level::record);
        emit(Op::sel_false, Level::record, failing, c, -1, s, 0, e.where->span);
        std::int32_t any = reg(Level::subject), res = reg(Level::subject);
        emit(Op::agg_any, Level::subject, any, -1, failing, subjects, 0, e.span);
        emit(Op::logical_not, Level::subject, res, any, -1, subjects, 0, e.span);
        if (feeding_) feeding_->feeds.push_back({failing, -1, e.span});
        return res;
      }
      s = filter(*e.where, rat);
      rat.sel = s;
    }
    std::int32_t res = reg(Level::subject);
    if (f == "count" || f == "any") {
      emit(f == "count" ? Op::agg_count : Op::agg_any, Level::subject, res, -1, s, subjects, 0, e.span);
      if (feeding_) feeding_->feeds.push_back({s, -1, e.span});
      return res;
    }
    std::int32_t v = value(*e.args[0], rat);
    if (f == "sum") {
      emit(Op::agg_sum, Level::subject, res, v, s, subjects, 0, e.span);
    } else {
      std::int32_t other = value(*e.otherwise, at);
      emit(Op::copy, Level::subject, res, other, -1, subjects, 0, e.otherwise->span);
      emit(f == "min" ? Op::agg_min : Op::agg_max, Level::subject, res, v, s, subjects, 0, e.span);
    }
    if (feeding_) feeding_->feeds.push_back({s, v, e.span, f == "sum" ? -1 : res});
    return res;
  }

  /// Narrows a record selection by a condition, `and` by `and`; a
  /// comparison with a constant selects in one step.
  std::int32_t filter(const Expr& c, At at) {
    if (c.kind == ExprKind::binary && c.text == "and") {
      std::int32_t s = filter(*c.args[0], at);
      at.sel = s;
      return filter(*c.args[1], at);
    }
    auto cmp = c.kind == ExprKind::binary ? comparison(c.text) : std::nullopt;
    if (cmp) {
      if (auto k = fold(*c.args[1])) {
        std::int32_t v = value(*c.args[0], at);
        std::int32_t s = selection(at.level);
        emit(Op::sel_cmp, at.level, s, v, static_cast<std::int32_t>(*cmp), at.sel, *k, c.span);
        return s;
      }
    }
    std::int32_t v = value(c, at);
    std::int32_t s = selection(at.level);
    emit(Op::sel_true, at.level, s, v, -1, at.sel, 0, c.span);
    return s;
  }

  // ------------------------------------------------------------ tables
  std::map<std::int32_t, std::int64_t> table_slots_;

  /// A band table from intervals and their values, `otherwise` in the gaps.
  static PlanBandTable segments(std::vector<std::pair<PlanBand, std::int64_t>> rows, std::int64_t otherwise) {
    std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) {
      if (a.first.lo != b.first.lo) return a.first.lo < b.first.lo;
      return a.first.lo_closed && !b.first.lo_closed;
    });
    PlanBandTable t;
    t.segment_values.push_back(otherwise);
    auto push = [&](std::int64_t bound, bool incl, std::int64_t v) {
      if (!t.bounds.empty() && t.bounds.back() == bound && t.inclusive.back() == incl) {
        t.segment_values.back() = v;
        return;
      }
      t.bounds.push_back(bound);
      t.inclusive.push_back(incl);
      t.segment_values.push_back(v);
    };
    for (const auto& [b, v] : rows) {
      if (b.lo == INT64_MIN && b.lo_closed) {
        t.segment_values[0] = v;
      } else {
        push(b.lo, b.lo_closed, v);
      }
      if (!(b.hi == INT64_MAX && b.hi_closed)) push(b.hi, !b.hi_closed, otherwise);
    }
    return t;
  }

  PlanBand band(const ast::Band& b) const {
    PlanBand r;
    r.lo = types::bound_value(b.lo).value_or(0);
    r.hi = types::bound_value(b.hi).value_or(0);
    r.lo_closed = b.lo_closed || b.lo.infinite;
    r.hi_closed = b.hi_closed || b.hi.infinite;
    return r;
  }

  PlanBandTable band_of(const ast::Band& b, std::int64_t inside, std::int64_t outside) const {
    return segments({{band(b), inside}}, outside);
  }

  /// A lookup table of whole numbers, unscaled (12 rather than 12'000'000), for mul_int.
  std::int64_t raw_table_slot(std::int32_t ti) {
    auto it = raw_table_slots_.find(ti);
    if (it != raw_table_slots_.end()) return it->second;
    PlanLookupTable raw = p_.lookup_tables[static_cast<std::size_t>(table_slot(ti))];
    for (auto& v : raw.values) v /= decimal::kScale;
    p_.lookup_tables.push_back(std::move(raw));
    return raw_table_slots_[ti] = static_cast<std::int64_t>(p_.lookup_tables.size() - 1);
  }
  std::map<std::int32_t, std::int64_t> raw_table_slots_;

  std::int64_t table_slot(std::int32_t ti) {
    auto it = table_slots_.find(ti);
    if (it != table_slots_.end()) return it->second;
    const ast::Table& t = rb_.tables[ti];
    std::int64_t slot;
    std::int64_t otherwise = 0;
    for (const auto& row : t.rows)
      if (row.kind == ast::TableRow::Kind::otherwise) otherwise = fold_value(*row.value);
    if (c_.table_enum[ti] >= 0) {
      PlanLookupTable lt;
      lt.values.assign(p_.schema.enums[c_.table_enum[ti]].members.size(), otherwise);
      const auto& members = p_.schema.enums[c_.table_enum[ti]].members;
      for (const auto& row : t.rows) {
        if (row.kind != ast::TableRow::Kind::keys) continue;
        std::int64_t v = fold_value(*row.value);
        for (const auto& k : row.keys) {
          auto code = std::find(members.begin(), members.end(), k.text) - members.begin();
          lt.values[static_cast<std::size_t>(code)] = v;
        }
      }
      p_.lookup_tables.push_back(std::move(lt));
      slot = static_cast<std::int64_t>(p_.lookup_tables.size() - 1);
    } else {
      std::vector<std::pair<PlanBand, std::int64_t>> rows;
      for (const auto& row : t.rows)
        if (row.kind == ast::TableRow::Kind::band) rows.push_back({band(row.band), fold_value(*row.value)});
      p_.band_tables.push_back(segments(std::move(rows), otherwise));
      slot = static_cast<std::int64_t>(p_.band_tables.size() - 1);
    }
    table_slots_[ti] = slot;
    return slot;
  }

  std::int64_t fold_value(const Expr& e) const {
    auto v = fold(e);
    if (!v) throw UsageError(fmt::format("internal: table value '{}' is not constant", e.text));
    return *v;
  }

  // ------------------------------------------------------------ sections
  void measures() {
    for (const auto& m : rb_.measures) p_.measures.push_back({m.name.text, m.label, basis(m.basis), m.incentive});
  }

  void score() {
    const ast::Score& sc = rb_.scores.at(0);
    At all;
    std::int32_t score = -1;
    std::map<std::string, std::int32_t> group_index;
    std::vector<std::int32_t> group_total;
    std::vector<bool> group_deduct;
    const ast::ScoreItem* clamp = nullptr;
    for (const auto& it : sc.items) {
      if (it.kind == ast::ScoreItem::Kind::start) {
        score = value(*it.value, all);
        p_.start_reg = score;
        p_.start_span = it.span;
      }
    }
    // contributions in order, each group summed where its first member stands
    for (const auto& it : sc.items) {
      if (it.kind == ast::ScoreItem::Kind::clamp) clamp = &it;
      if (it.kind != ast::ScoreItem::Kind::add && it.kind != ast::ScoreItem::Kind::deduct) continue;
      PlanContribution pc;
      pc.name = it.name.text;
      pc.deduct = it.kind == ast::ScoreItem::Kind::deduct;
      pc.span = it.span;
      feeding_ = &pc;
      pc.reg = value(*it.value, all);
      feeding_ = nullptr;
      if (it.group) {
        auto [g, fresh] = group_index.emplace(it.group->text, static_cast<std::int32_t>(p_.groups.size()));
        if (fresh) {
          p_.groups.push_back({it.group->text, -1, it.group->span});
          group_total.push_back(pc.reg);
          group_deduct.push_back(pc.deduct);
        } else {
          std::int32_t t = reg(Level::subject);
          emit(Op::add, Level::subject, t, group_total[g->second], pc.reg, kAll, 0, it.span);
          group_total[g->second] = t;
        }
        pc.group = g->second;
      } else {
        std::int32_t t = reg(Level::subject);
        emit(pc.deduct ? Op::sub : Op::add, Level::subject, t, score, pc.reg, kAll, 0, it.span);
        score = t;
      }
      p_.contributions.push_back(std::move(pc));
    }
    for (const auto& it : sc.items) {
      if (it.kind != ast::ScoreItem::Kind::cap) continue;
      std::int32_t g = group_index.at(it.name.text);
      std::int32_t cap = value(*it.value, all);
      p_.groups[g].cap_reg = cap;
      p_.groups[g].span = it.span;
      std::int32_t t = reg(Level::subject);
      emit(Op::min, Level::subject, t, group_total[g], cap, kAll, 0, it.span);
      group_total[g] = t;
    }
    for (std::size_t g = 0; g < group_total.size(); ++g) {
      std::int32_t t = reg(Level::subject);
      emit(group_deduct[g] ? Op::sub : Op::add, Level::subject, t, score, group_total[g], kAll, 0, p_.groups[g].span);
      score = t;
    }
    if (clamp) {
      std::int32_t lo = value(*clamp->value, all), hi = value(*clamp->high, all);
      std::int32_t t = reg(Level::subject), r = reg(Level::subject);
      emit(Op::max, Level::subject, t, score, lo, kAll, 0, clamp->span);
      emit(Op::min, Level::subject, r, t, hi, kAll, 0, clamp->span);
      score = r;
      p_.clamp_span = clamp->span;
    }
    p_.score_reg = score;
  }

  void tiers() {
    const auto& ts = rb_.tiers.at(0).tiers;
    std::vector<std::int32_t> ladder;  // the tiers with a band, best first; the others only overrides give
    for (std::size_t i = 0; i < ts.size(); ++i) {
      PlanTier pt;
      pt.name = ts[i].name.text;
      pt.label = ts[i].label.value_or("");
      pt.span = ts[i].span;
      pt.by_override = ts[i].by_override;
      if (!pt.by_override) {
        pt.band = band(ts[i].band);
        ladder.push_back(static_cast<std::int32_t>(i));
      }
      p_.tiers.push_back(std::move(pt));
    }
    const std::int32_t last = ladder.back();
    bool plain = std::none_of(ts.begin(), ts.end(), [](const ast::Tier& t) { return t.requires_ != nullptr; });
    if (plain) {
      // no requirements: the tier is a band lookup on the score
      std::vector<std::pair<PlanBand, std::int64_t>> rows;
      for (std::int32_t i : ladder) rows.push_back({p_.tiers[static_cast<std::size_t>(i)].band, i});
      p_.band_tables.push_back(segments(std::move(rows), last));
      p_.tier_reg = reg(Level::subject);
      emit(Op::band, Level::subject, p_.tier_reg, p_.score_reg, -1, kAll,
           static_cast<std::int64_t>(p_.band_tables.size() - 1), rb_.tiers[0].span);
      return;
    }
    std::int32_t tier = constant(last, Level::subject, kAll, ts[static_cast<std::size_t>(last)].span);
    std::int32_t remaining = kAll;
    for (std::size_t k = 0; k + 1 < ladder.size(); ++k) {
      const std::int32_t i = ladder[k];
      const ast::Tier& t = ts[static_cast<std::size_t>(i)];
      PlanBand b = p_.tiers[static_cast<std::size_t>(i)].band;
      // reached: the score lies in this band or fell through from a better one
      std::int32_t s = selection(Level::subject);
      emit(Op::sel_cmp, Level::subject, s, p_.score_reg, static_cast<std::int32_t>(b.lo_closed ? Op::ge : Op::gt),
           remaining, b.lo, t.band.span);
      std::int32_t req = -1;
      if (t.requires_) {
        req = value(*t.requires_, {Level::subject, s, s});
        std::int32_t ok = selection(Level::subject);
        emit(Op::sel_true, Level::subject, ok, req, -1, s, 0, t.requires_->span);
        s = ok;
      }
      emit(Op::constant, Level::subject, tier, -1, -1, s, i, t.span);
      std::int32_t rest = selection(Level::subject);
      emit(Op::sel_minus, Level::subject, rest, s, -1, remaining, 0, t.span);
      remaining = rest;
      p_.tiers[static_cast<std::size_t>(i)].requires_reg = req;
      if (t.requires_) p_.tiers[static_cast<std::size_t>(i)].requires_span = t.requires_->span;
    }
    p_.tier_reg = tier;
  }

  void overrides() {
    std::map<std::string, std::int32_t> tier_index;
    for (std::size_t i = 0; i < p_.tiers.size(); ++i) tier_index[p_.tiers[i].name] = static_cast<std::int32_t>(i);
    for (const auto& block : rb_.overrides) {
      for (const auto& o : block) {
        PlanOverride po;
        po.name = o.name.text;
        po.tier = tier_index.at(o.tier.text);
        po.action = o.action == ast::Override::Action::force     ? PlanOverride::Action::force
                    : o.action == ast::Override::Action::at_most ? PlanOverride::Action::at_most
                                                                 : PlanOverride::Action::at_least;
        po.because = o.because;
        po.basis = basis(o.basis);
        po.span = o.span;
        po.when_reg = value(*o.when, {});
        std::int32_t s = selection(Level::subject);
        emit(Op::sel_true, Level::subject, s, po.when_reg, -1, kAll, 0, o.when->span);
        switch (po.action) {
          case PlanOverride::Action::force:
            emit(Op::constant, Level::subject, p_.tier_reg, -1, -1, s, po.tier, o.span);
            break;
          case PlanOverride::Action::at_most:  // worse tiers have larger indices
            emit(Op::max, Level::subject, p_.tier_reg, p_.tier_reg, -1, s, po.tier, o.span);
            break;
          case PlanOverride::Action::at_least:
            emit(Op::min, Level::subject, p_.tier_reg, p_.tier_reg, -1, s, po.tier, o.span);
            break;
        }
        p_.overrides.push_back(std::move(po));
      }
    }
  }

  /// The supervision section of the variant compiled, else the one without a variant.
  const ast::Supervision* supervision_section() const {
    const std::string variant = c_.variant >= 0 ? rb_.variants[static_cast<std::size_t>(c_.variant)].name.text : "";
    const ast::Supervision* plain = nullptr;
    for (const auto& sv : rb_.supervision) {
      if (!sv.variant && !plain) plain = &sv;
      if (sv.variant && sv.variant->text == variant) return &sv;
    }
    return plain;
  }

  void supervision() {
    const ast::Supervision* section = supervision_section();
    if (!section) return;
    for (const auto& row : section->rows) {
      auto it = std::find_if(p_.tiers.begin(), p_.tiers.end(), [&](auto& t) { return t.name == row.tier.text; });
      PlanSupervision& s = it->supervision;
      if (row.sampling) {
        s.has_sampling = true;
        s.sampling = fold_const(*row.sampling);
      }
      if (row.interval) {
        s.has_interval = true;
        s.interval_days = fold_const(*row.interval) / decimal::kScale;
      }
      if (row.sampling_band) {
        s.has_sampling_band = true;
        s.sampling_band = band(*row.sampling_band);
      }
      if (row.checks) {
        s.has_checks = true;
        s.checks = band(*row.checks);
      }
      for (const auto& n : row.incentives) s.incentives.push_back(n.text);
      for (const auto& n : row.measures) s.measures.push_back(n.text);
      for (const auto& c : row.conditional) {
        PlanConditional pc;
        pc.tier = static_cast<std::int32_t>(it - p_.tiers.begin());
        pc.name = c.name.text;
        pc.incentive = c.incentive;
        pc.when_reg = value(*c.when, {});
        pc.span = c.when->span;
        p_.conditionals.push_back(std::move(pc));
      }
    }
  }

  std::int64_t fold_const(const Expr& e) const { return fold_value(e); }

  /// The variant compiled, and a combination rulebook's categories.
  void variants_and_categories() {
    for (const auto& v : rb_.variants) p_.variants.push_back(v.name.text);
    if (c_.variant >= 0) p_.variant = rb_.variants[static_cast<std::size_t>(c_.variant)].name.text;
    for (const auto& c : rb_.categories) {
      PlanCategory pc;
      pc.name = c.name.text;
      pc.path = c.path;
      pc.variant = c.variant ? c.variant->text : std::string();
      pc.kind = p_.schema.kind_index(c.name.text);
      pc.span = c.span;
      p_.categories.push_back(std::move(pc));
    }
    for (std::size_t f = 0; f < p_.schema.record_fields.size() && !p_.categories.empty(); ++f) {
      const TypeKind k = p_.schema.record_fields[f].type.kind;
      if (k == TypeKind::enumeration && p_.category_tier_field < 0) p_.category_tier_field = static_cast<std::int32_t>(f);
      if (k == TypeKind::decimal && p_.category_score_field < 0) p_.category_score_field = static_cast<std::int32_t>(f);
    }
  }
};

}  // namespace

Plan compile(const CheckedRulebook& checked, std::shared_ptr<const Source> source) {
  if (!checked.ast) throw UsageError("compile: the checked rulebook has no AST");
  if (checked.ast->scores.empty() || checked.ast->tiers.empty())
    throw UsageError("compile: the rulebook has no score and tiers to compile (its penalty rules run with decide())");
  Plan plan;
  plan.source = std::move(source);
  Compiler c(checked, plan);
  c.run();
  return plan;
}

}  // namespace gradus
