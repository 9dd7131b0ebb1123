// Folding aggregations over small finite domains into tables (see fold.hpp).
#include "fold.hpp"

#include <algorithm>
#include <bit>
#include <map>
#include <numeric>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "gradus/core/date.hpp"
#include "gradus/core/decimal.hpp"
#include "gradus/eval/subject_table.hpp"
#include "runner.hpp"

namespace gradus::detail {

std::vector<std::int64_t> band_thresholds(const PlanBandTable& t) {
  // values are whole millionths, so "key > b" is "key >= b + 1": one threshold per bound
  std::vector<std::int64_t> out;
  for (std::size_t j = 0; j < t.bounds.size(); ++j) {
    if (!t.inclusive[j] && t.bounds[j] == INT64_MAX) break;  // never passed, nor anything after it
    out.push_back(t.inclusive[j] ? t.bounds[j] : t.bounds[j] + 1);
  }
  std::sort(out.begin(), out.end());  // a count does not depend on order; a binary search needs it
  return out;
}

namespace {

// Limits: keys of one fold (its table and its synthetic table), and the
// fewest records per subject packed lanes must hold before taking more words.
constexpr std::uint32_t kMaxKeys = 4096;
constexpr std::uint64_t kMinRecords = 32;
constexpr std::uint64_t kMaxRecords = 1u << 20;

bool writes_selection(Op op) {
  return op == Op::sel_true || op == Op::sel_false || op == Op::sel_kinds || op == Op::sel_minus ||
         op == Op::sel_cmp || op == Op::sel_owners;
}
bool is_aggregate(Op op) {
  return op == Op::agg_sum || op == Op::agg_count || op == Op::agg_min || op == Op::agg_max || op == Op::agg_any;
}
bool is_comparison(Op op) { return op >= Op::eq && op <= Op::ge; }

/// The registers and selections an instruction reads (besides a view's column).
struct Reads {
  std::int32_t regs[2] = {-1, -1};
  std::int32_t sels[2] = {-1, -1};  // sels[0] is the instruction's own selection
};

Reads reads(const Instr& in) {
  Reads r;
  r.sels[0] = in.sel;
  switch (in.op) {
    case Op::constant:
    case Op::as_of_offset:
    case Op::as_of_months:
    case Op::load_subject:
    case Op::load_record:
    case Op::sel_kinds:
      break;
    case Op::sel_minus:
    case Op::sel_owners:
      r.sels[1] = in.a;
      break;
    case Op::agg_count:
    case Op::agg_any:
      r.sels[1] = in.b;
      break;
    case Op::agg_sum:
    case Op::agg_min:
    case Op::agg_max:
      r.regs[0] = in.a;
      r.sels[1] = in.b;
      break;
    case Op::sel_cmp:  // b is the comparison
      r.regs[0] = in.a;
      break;
    default:  // unary operations have b = -1; binary ones with b < 0 take imm
      r.regs[0] = in.a;
      r.regs[1] = in.b;
      break;
  }
  return r;
}

/// A feature of one aggregation, before the features of a fold are merged.
struct Need {
  bool code = true;                  // the value is a code (kind, enum, bool)
  std::uint32_t size = 1;            // codes
  std::vector<std::int64_t> thresholds;  // for numbers
  std::int64_t lo = INT64_MIN, hi = INT64_MAX;  // numbers: the values no instruction on the way fails for
};
using FeatureKey = std::pair<Level, std::int32_t>;  // (level, column); column -1: the kind
using Needs = std::map<FeatureKey, Need>;

std::uint64_t keys_of(const Needs& needs) {
  std::uint64_t k = 1;
  for (const auto& [key, n] : needs) {
    k *= n.code ? n.size : n.thresholds.size() + 1;
    if (k > kMaxKeys) return kMaxKeys + 1;
  }
  return k;
}

void merge(Needs& into, const Needs& from) {
  for (const auto& [key, n] : from) {
    auto [it, fresh] = into.emplace(key, n);
    if (fresh || n.code) continue;
    it->second.lo = std::max(it->second.lo, n.lo);
    it->second.hi = std::min(it->second.hi, n.hi);
    auto& t = it->second.thresholds;
    t.insert(t.end(), n.thresholds.begin(), n.thresholds.end());
    std::sort(t.begin(), t.end());
    t.erase(std::unique(t.begin(), t.end()), t.end());
  }
}

class Analysis {
 public:
  Analysis(const Plan& plan, std::int64_t as_of) : plan_(plan), code_(plan.code), as_of_(as_of) {
    reg_writers_.resize(plan.register_level.size());
    sel_writers_.resize(plan.selection_level.size());
    for (std::size_t i = 0; i < code_.size(); ++i) {
      const Instr& in = code_[i];
      if (in.dst < 0) continue;
      auto& w = writes_selection(in.op) ? sel_writers_ : reg_writers_;
      if (static_cast<std::size_t>(in.dst) < w.size()) w[static_cast<std::size_t>(in.dst)].push_back(static_cast<std::int32_t>(i));
    }
  }

  /// The instructions an aggregation's value and selection depend on, and the
  /// features they read; nullopt when it cannot be folded.
  std::optional<Needs> needs(std::int32_t root, std::vector<char>& slice) const {
    const Instr& agg = code_[static_cast<std::size_t>(root)];
    if (agg.sel >= 0) return std::nullopt;  // only aggregations over every subject
    // the entries are read back after the whole plan ran: nothing may write them later
    auto written_after = [&](const std::vector<std::vector<std::int32_t>>& writers, std::int32_t x) {
      return x >= 0 && std::any_of(writers[static_cast<std::size_t>(x)].begin(), writers[static_cast<std::size_t>(x)].end(),
                                   [&](std::int32_t w) { return w > root; });
    };
    if (written_after(reg_writers_, reads(agg).regs[0]) || written_after(sel_writers_, agg.b)) return std::nullopt;
    slice.assign(code_.size(), 0);
    std::vector<std::int32_t> stack;
    auto push = [&](const std::vector<std::vector<std::int32_t>>& writers, std::int32_t x, std::int32_t before) {
      if (x < 0) return;
      for (std::int32_t w : writers[static_cast<std::size_t>(x)])
        if (w < before && !slice[static_cast<std::size_t>(w)]) {
          slice[static_cast<std::size_t>(w)] = 1;
          stack.push_back(w);
        }
    };
    const Reads rr = reads(agg);
    push(reg_writers_, rr.regs[0], root);
    push(sel_writers_, rr.sels[1], root);
    while (!stack.empty()) {
      const std::int32_t i = stack.back();
      stack.pop_back();
      const Instr& in = code_[static_cast<std::size_t>(i)];
      if (is_aggregate(in.op)) return std::nullopt;  // a value built from other records
      const Reads r = reads(in);
      for (std::int32_t x : r.regs) push(reg_writers_, x, i);
      for (std::int32_t s : r.sels) push(sel_writers_, s, i);
    }
    if (!exact(agg.b, root, slice)) return std::nullopt;
    for (std::size_t i = 0; i < code_.size(); ++i)  // "not in a" is not monotone in a
      if (slice[i] && code_[i].op == Op::sel_minus && !exact(code_[i].a, static_cast<std::int32_t>(i), slice))
        return std::nullopt;

    Needs needs;
    for (std::size_t i = 0; i < code_.size(); ++i) {
      if (!slice[i]) continue;
      const Instr& in = code_[i];
      if (in.op == Op::sel_kinds || (in.op == Op::load_record && in.a < 0)) {
        needs[{Level::record, -1}] = {true, kind_count(), {}};
        continue;
      }
      if (in.op != Op::load_record && in.op != Op::load_subject) continue;
      const Level level = in.op == Op::load_record ? Level::record : Level::subject;
      const auto& fields = level == Level::record ? plan_.schema.record_fields : plan_.schema.subject_fields;
      if (in.a < 0 || static_cast<std::size_t>(in.a) >= fields.size()) return std::nullopt;
      const Type t = fields[static_cast<std::size_t>(in.a)].type;
      Need n;
      if (t.kind == TypeKind::boolean) {
        n.size = 2;
      } else if (t.kind == TypeKind::enumeration && t.enum_index >= 0 &&
                 static_cast<std::size_t>(t.enum_index) < plan_.schema.enums.size()) {
        n.size = static_cast<std::uint32_t>(plan_.schema.enums[static_cast<std::size_t>(t.enum_index)].members.size());
      } else if (t.is_numeric() || t.kind == TypeKind::date) {
        n.code = false;
        if (!number(static_cast<std::int32_t>(i), root, slice, n) || n.lo > n.hi) return std::nullopt;
        if (n.thresholds.empty()) continue;  // one segment: the value does not matter
      } else {
        return std::nullopt;
      }
      merge(needs, {{{level, in.a}, n}});
    }
    return needs;
  }

 private:
  const Plan& plan_;
  const std::vector<Instr>& code_;
  std::int64_t as_of_;
  std::vector<std::vector<std::int32_t>> reg_writers_, sel_writers_;

  std::uint32_t kind_count() const {
    return static_cast<std::uint32_t>(std::max<std::size_t>(plan_.schema.kinds.size(), 1));
  }

  /// Is membership of selection s (read by instruction `before`) a function of
  /// the features alone? Subjects owning some record (sel_owners) are not: such
  /// a selection may only say where a subject value is computed.
  bool exact(std::int32_t s, std::int32_t before, const std::vector<char>& slice) const {
    if (s < 0) return true;
    for (std::int32_t w : sel_writers_[static_cast<std::size_t>(s)]) {
      if (w >= before || !slice[static_cast<std::size_t>(w)]) continue;
      const Instr& in = code_[static_cast<std::size_t>(w)];
      if (in.op == Op::sel_owners) return false;
      if (!exact(in.sel, w, slice)) return false;
      if (in.op == Op::sel_minus && !exact(in.a, w, slice)) return false;
    }
    return true;
  }

  /// The value of a register every writer of which (before `before`) sets
  /// the same constant (or spreads one to the records), if so.
  std::optional<std::int64_t> constant_of(std::int32_t reg, std::int32_t before) const {
    std::optional<std::int64_t> v;
    for (std::int32_t w : reg_writers_[static_cast<std::size_t>(reg)]) {
      if (w >= before) continue;
      const Instr& in = code_[static_cast<std::size_t>(w)];
      std::int64_t x;
      if (in.op == Op::constant) x = in.imm;
      else if (in.op == Op::as_of_offset) x = as_of_ + in.imm;
      else if (in.op == Op::as_of_months) x = date::add_months(as_of_, in.imm);
      else if (auto c = in.op == Op::broadcast ? constant_of(in.a, w) : std::nullopt) x = *c;
      else if (auto y = constant_step(in, w)) x = *y;
      else return std::nullopt;
      if (v && *v != x) return std::nullopt;
      v = x;
    }
    return v;
  }

  /// One monotone map on the way from a loaded number to a comparison: the
  /// instruction `op` with the number as one operand and the constant k as the other.
  struct Step {
    Op op = Op::add;
    std::int64_t k = 0;
    bool left = true;  // the number is the left operand (sub: u - k rather than k - u)
  };
  /// A comparison (or band lookup) of a number mapped by `chain`: y >= t for each test t.
  struct Use {
    std::vector<Step> chain;
    std::vector<std::int64_t> tests;
  };

  /// The step as the instruction computes it; false where the instruction fails.
  static bool apply(const Step& s, std::int64_t u, std::int64_t& y) {
    switch (s.op) {
      case Op::add: return decimal::add(u, s.k, y);
      case Op::sub: return s.left ? decimal::sub(u, s.k, y) : decimal::sub(s.k, u, y);
      case Op::neg: return !__builtin_sub_overflow(std::int64_t{0}, u, &y);
      case Op::mul_int: return !__builtin_mul_overflow(u, s.k, &y);
      case Op::scale_int: return decimal::from_int(u, y);
      case Op::year_of: return year_value(u, y);
      default: return false;
    }
  }

  /// The value of one of the steps' instructions over constants (`year(as_of) - 1`), if it has one.
  std::optional<std::int64_t> constant_step(const Instr& in, std::int32_t at) const {
    const bool unary = in.op == Op::neg || in.op == Op::scale_int || in.op == Op::year_of;
    if (!unary && in.op != Op::add && in.op != Op::sub && in.op != Op::mul_int) return std::nullopt;
    const auto u = constant_of(in.a, at);
    const auto k = unary ? std::optional<std::int64_t>(0) : in.b < 0 ? std::optional<std::int64_t>(in.imm) : constant_of(in.b, at);
    std::int64_t y;
    if (!u || !k || !apply(Step{in.op, *k, true}, *u, y)) return std::nullopt;
    return y;
  }

  /// The step an instruction takes on x, if it is one of the monotone maps.
  std::optional<Step> step_of(const Instr& in, std::int32_t x, std::int32_t before) const {
    auto constant = [&](std::int32_t reg) -> std::optional<std::int64_t> {
      if (reg < 0) return in.imm;  // binary operations with b < 0 take imm
      return reg == x ? std::nullopt : constant_of(reg, before);
    };
    switch (in.op) {
      case Op::add:
      case Op::sub:
      case Op::mul_int:
        if (in.a == x) {
          if (auto k = constant(in.b)) return Step{in.op, *k, true};
        } else if (in.b == x) {
          if (auto k = constant(in.a)) return Step{in.op, *k, false};
        }
        return std::nullopt;
      case Op::neg:
      case Op::scale_int:
      case Op::year_of:
        if (in.a == x) return Step{in.op, 0, true};
        return std::nullopt;
      default:
        return std::nullopt;
    }
  }

  /// The thresholds of a loaded number (and of its copies on the records, for a
  /// subject's): where the outcome of a comparison or band lookup of it, or of a
  /// monotone map of it, changes; and the interval of values none of those maps
  /// fails for. False when some use is none of these.
  bool number(std::int32_t load, std::int32_t root, const std::vector<char>& slice, Need& n) const {
    struct Value {
      std::int32_t reg, from;
      std::vector<Step> chain;
    };
    std::vector<Value> values{{code_[static_cast<std::size_t>(load)].dst, load, {}}};
    std::vector<Use> uses;
    for (std::size_t v = 0; v < values.size(); ++v) {
      const Value value = values[v];
      if (reads(code_[static_cast<std::size_t>(root)]).regs[0] == value.reg) return false;  // summed itself
      for (std::size_t i = static_cast<std::size_t>(value.from) + 1; i < static_cast<std::size_t>(root); ++i) {
        if (!slice[i]) continue;
        const Instr& in = code_[i];
        const Reads r = reads(in);
        if (r.regs[0] != value.reg && r.regs[1] != value.reg) continue;
        const auto at = static_cast<std::int32_t>(i);
        Use use{value.chain, {}};
        if (tests(in, value.reg, at, use.tests)) {
          uses.push_back(std::move(use));
        } else if (writes_selection(in.op) || reg_writers_[static_cast<std::size_t>(in.dst)].size() != 1) {
          return false;  // a value passed on must be the only one in its register
        } else if (in.op == Op::broadcast) {
          values.push_back({in.dst, at, value.chain});  // the same value on the records
        } else if (auto step = step_of(in, value.reg, at)) {
          values.push_back({in.dst, at, value.chain});
          values.back().chain.push_back(*step);
        } else {
          return false;
        }
      }
    }
    for (const Use& use : uses)
      if (!resolve(use, n)) return false;
    std::sort(n.thresholds.begin(), n.thresholds.end());
    n.thresholds.erase(std::unique(n.thresholds.begin(), n.thresholds.end()), n.thresholds.end());
    return true;
  }

  /// Adds to n the values of x at which a use's outcome changes: where its chain
  /// starts or stops failing (n's interval narrows to where it does not), and
  /// where each test y >= t on y = chain(x) changes. Each step is monotone, so
  /// failing is an interval's complement and each test changes once: both are
  /// found by binary search over the instructions' own arithmetic. False when
  /// the chain fails everywhere.
  bool resolve(const Use& use, Need& n) const {
    auto add = [&](std::int64_t t) {
      if (t != INT64_MIN) n.thresholds.push_back(t);  // every value reaches INT64_MIN
    };
    if (use.chain.empty()) {
      for (std::int64_t t : use.tests) add(t);
      return true;
    }
    auto map = [&](std::int64_t x, std::int64_t& y) {
      y = x;
      for (const Step& s : use.chain)
        if (!apply(s, y, y)) return false;
      return true;
    };
    auto valid = [&](std::int64_t x) {
      std::int64_t y;
      return map(x, y);
    };
    // the smallest x in [lo, hi] for which pred holds, pred being false then true there and true at hi
    auto first = [](std::int64_t lo, std::int64_t hi, auto pred) {
      while (lo < hi) {
        const std::int64_t mid =
            lo + static_cast<std::int64_t>((static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo)) / 2);
        if (pred(mid)) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    };
    std::optional<std::int64_t> inside;
    for (std::int64_t x : {std::int64_t{0}, as_of_, std::int64_t{1}, std::int64_t{-1}})
      if (!inside && valid(x)) inside = x;
    if (!inside) return false;
    const std::int64_t lo = first(INT64_MIN, *inside, valid);
    const std::int64_t hi = valid(INT64_MAX) ? INT64_MAX : first(*inside, INT64_MAX, [&](std::int64_t x) { return !valid(x); }) - 1;
    add(lo);
    if (hi != INT64_MAX) add(hi + 1);
    n.lo = std::max(n.lo, lo);
    n.hi = std::min(n.hi, hi);
    for (std::int64_t t : use.tests) {
      auto reached = [&](std::int64_t x) {
        std::int64_t y;
        map(x, y);
        return y >= t;
      };
      const bool at_hi = reached(hi);
      if (reached(lo) != at_hi) add(first(lo, hi, [&](std::int64_t x) { return reached(x) == at_hi; }));
    }
    return true;
  }

  /// The tests y >= t in which one use of y's value changes, if it is a
  /// comparison with a constant or a band lookup.
  bool tests(const Instr& in, std::int32_t y, std::int32_t before, std::vector<std::int64_t>& out) const {
    auto above = [&](std::int64_t k) {  // the first value greater than k
      if (k != INT64_MAX) out.push_back(k + 1);
    };
    // y OP k changes at k (y >= k) or k + 1 (y > k); equality at both
    auto compare = [&](Op op, std::int64_t k, bool y_left) {
      if (!y_left) op = op == Op::lt ? Op::gt : op == Op::gt ? Op::lt : op == Op::le ? Op::ge : op == Op::ge ? Op::le : op;
      if (op == Op::lt || op == Op::ge || op == Op::eq || op == Op::ne) out.push_back(k);
      if (op == Op::le || op == Op::gt || op == Op::eq || op == Op::ne) above(k);
    };
    if (in.op == Op::band && in.a == y) {
      for (std::int64_t t : band_thresholds(plan_.band_tables[static_cast<std::size_t>(in.imm)])) out.push_back(t);
    } else if (in.op == Op::sel_cmp && in.a == y) {
      compare(static_cast<Op>(in.b), in.imm, true);
    } else if (is_comparison(in.op) && in.a == y && in.b < 0) {
      compare(in.op, in.imm, true);
    } else if (is_comparison(in.op) && in.a == y && in.b != y && constant_of(in.b, before)) {
      compare(in.op, *constant_of(in.b, before), true);
    } else if (is_comparison(in.op) && in.b == y && in.a != y && constant_of(in.a, before)) {
      compare(in.op, *constant_of(in.a, before), false);
    } else {
      return false;
    }
    return true;
  }
};

/// A value of each code of a feature.
std::int64_t representative(const FoldFeature& f, std::uint32_t code) {
  if (f.thresholds.empty()) return code;
  return code == 0 ? f.thresholds[0] - 1 : f.thresholds[code - 1];
}

/// Builds the features (record features first, so a subject's keys are one
/// block) and the synthetic table with one record per key.
SubjectTable synthetic(const Plan& plan, const Needs& needs, Fold& fold) {
  std::uint32_t stride = 1;
  for (Level level : {Level::record, Level::subject}) {
    for (const auto& [key, n] : needs) {
      if (key.first != level) continue;
      FoldFeature f;
      f.level = level;
      f.column = key.second;
      f.thresholds = n.code ? std::vector<std::int64_t>{} : n.thresholds;
      f.size = n.code ? n.size : static_cast<std::uint32_t>(n.thresholds.size() + 1);
      f.stride = stride;
      f.first = f.size;
      f.last = 0;
      for (std::uint32_t c = 0; c < f.size; ++c) {  // a number's codes whose values no instruction fails for
        const std::int64_t v = representative(f, c);
        if (n.code || (v >= n.lo && v <= n.hi)) f.first = std::min(f.first, c), f.last = c;
      }
      f.lo = n.code ? INT64_MIN : n.lo;
      f.hi = n.code ? INT64_MAX : n.hi;
      stride *= f.size;
      fold.features.push_back(std::move(f));
    }
  }
  fold.keys = stride;
  std::uint32_t per_subject = 1;
  for (const FoldFeature& f : fold.features)
    if (f.level == Level::record) per_subject *= f.size;
  const std::uint32_t subjects = fold.keys / per_subject;

  SubjectTable t;
  t.subject_columns.assign(plan.schema.subject_fields.size(), std::vector<std::int64_t>(subjects, 0));
  t.record_columns.assign(plan.schema.record_fields.size(), std::vector<std::int64_t>(fold.keys, 0));
  t.record_kind = std::vector<std::int64_t>(fold.keys, 0);
  t.record_offsets.resize(subjects + 1);
  for (std::uint32_t s = 0; s <= subjects; ++s) t.record_offsets[s] = std::int64_t{s} * per_subject;
  for (std::uint32_t s = 0; s < subjects; ++s) t.ids.push_back(std::to_string(s));
  for (std::uint32_t key = 0; key < fold.keys; ++key) {
    for (const FoldFeature& f : fold.features) {
      const std::uint32_t code = key / f.stride % f.size;
      // a code outside the fold never uses its entries: any value no instruction fails for
      const std::int64_t v = std::clamp(representative(f, code), f.lo, f.hi);
      if (f.level == Level::subject) {
        t.subject_columns[static_cast<std::size_t>(f.column)].values()[key / per_subject] = v;
      } else if (f.column < 0) {
        t.record_kind.values()[key] = v;
      } else {
        t.record_columns[static_cast<std::size_t>(f.column)].values()[key] = v;
      }
    }
  }
  return t;
}

/// Bits that hold the sum of `records` lane values up to `top`.
unsigned lane_bits(std::uint64_t top, std::uint64_t records) {
  const decimal::uint128 m = static_cast<decimal::uint128>(top) * records;
  if (m >> 64) return 65;
  return static_cast<unsigned>(std::bit_width(static_cast<std::uint64_t>(m)));
}

/// Assigns lanes to words, widest first, each to the first word with room;
/// returns the number of words.
std::int32_t pack(std::vector<FoldLane>& lanes, const std::vector<std::uint64_t>& top, std::uint64_t records,
                  bool assign) {
  std::vector<std::size_t> order(lanes.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<unsigned> bits(lanes.size());
  for (std::size_t j = 0; j < lanes.size(); ++j) bits[j] = lane_bits(top[j], records);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return bits[a] > bits[b]; });
  std::vector<unsigned> used;
  for (std::size_t j : order) {
    if (bits[j] > 64) return INT32_MAX;
    std::size_t w = 0;
    while (w < used.size() && used[w] + bits[j] > 64) ++w;
    if (w == used.size()) used.push_back(0);
    if (assign) {
      lanes[j].word = static_cast<std::int32_t>(w);
      // a lane of no bits (every entry the same) reads nothing: shift 0, not the end of a full word
      lanes[j].shift = bits[j] == 0 ? 0 : static_cast<std::int32_t>(used[w]);
      lanes[j].mask = bits[j] == 64 ? ~0ull : (1ull << bits[j]) - 1;
    }
    used[w] += bits[j];
  }
  return static_cast<std::int32_t>(used.size());
}

/// Packs the lanes' entries; drops lanes whose values are too large to sum
/// kMinRecords of in int64. False when no lane is left.
bool build_packed(Fold& fold, std::vector<std::int32_t>& dropped_dst) {
  std::vector<FoldLane> kept;
  std::vector<std::uint64_t> top;
  std::uint64_t limit = kMaxRecords;  // records whose sum fits in int64 for every lane
  for (FoldLane& lane : fold.lanes) {
    const auto [lo, hi] = std::minmax_element(lane.entries.begin(), lane.entries.end());
    const std::int64_t low = *lo;
    std::uint64_t g = 0;
    for (std::int64_t v : lane.entries) g = std::gcd(g, static_cast<std::uint64_t>(v) - static_cast<std::uint64_t>(low));
    if (g == 0) g = 1;
    const std::uint64_t span = (static_cast<std::uint64_t>(*hi) - static_cast<std::uint64_t>(low)) / g;
    const std::uint64_t mag = std::max(low < 0 ? 0 - static_cast<std::uint64_t>(low) : static_cast<std::uint64_t>(low),
                                       *hi < 0 ? 0 - static_cast<std::uint64_t>(*hi) : static_cast<std::uint64_t>(*hi));
    const std::uint64_t fits = mag == 0 ? kMaxRecords : static_cast<std::uint64_t>(INT64_MAX) / mag;
    if (fits < kMinRecords || g > static_cast<std::uint64_t>(INT64_MAX) || lane_bits(span, kMinRecords) > 64) {
      dropped_dst.push_back(lane.dst);
      continue;
    }
    limit = std::min(limit, fits);
    lane.low = low;
    lane.step = static_cast<std::int64_t>(g);
    kept.push_back(std::move(lane));
    top.push_back(span);
  }
  fold.lanes = std::move(kept);
  if (fold.lanes.empty()) return false;
  // the fewest words that hold kMinRecords records, then as many records as they hold
  const std::int32_t words = pack(fold.lanes, top, kMinRecords, false);
  std::uint64_t lo = kMinRecords, hi = limit;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo + 1) / 2;
    if (pack(fold.lanes, top, mid, false) <= words) lo = mid;
    else hi = mid - 1;
  }
  fold.max_records = static_cast<std::int64_t>(lo);
  fold.words = pack(fold.lanes, top, lo, true);
  fold.packed.assign(std::size_t{fold.keys} * static_cast<std::size_t>(fold.words), 0);
  for (const FoldLane& lane : fold.lanes) {
    for (std::uint32_t key = 0; key < fold.keys; ++key) {
      const std::uint64_t u = (static_cast<std::uint64_t>(lane.entries[key]) - static_cast<std::uint64_t>(lane.low)) /
                              static_cast<std::uint64_t>(lane.step);
      fold.packed[std::size_t{key} * static_cast<std::size_t>(fold.words) + static_cast<std::size_t>(lane.word)] |=
          u << lane.shift;
    }
  }
  return true;
}

}  // namespace

Program fold(const Plan& plan, std::int64_t as_of) {
  Program program;
  const auto& code = plan.code;
  Analysis analysis(plan, as_of);

  // which aggregations fold, grouped by key space
  struct Group {
    Needs needs;
    std::vector<std::int32_t> aggs;
    std::vector<std::vector<char>> slices;
  };
  std::vector<Group> groups;
  std::vector<char> slice;
  for (std::size_t i = 0; i < code.size(); ++i) {
    const Op op = code[i].op;
    if (op != Op::agg_sum && op != Op::agg_count && op != Op::agg_any) continue;
    auto needs = analysis.needs(static_cast<std::int32_t>(i), slice);
    if (!needs || keys_of(*needs) > kMaxKeys) continue;
    Group* into = nullptr;
    for (Group& g : groups) {
      Needs merged = g.needs;
      merge(merged, *needs);
      if (keys_of(merged) <= kMaxKeys) {
        g.needs = std::move(merged);
        into = &g;
        break;
      }
    }
    if (!into) into = &groups.emplace_back(Group{*needs, {}, {}});
    into->aggs.push_back(static_cast<std::int32_t>(i));
    into->slices.push_back(slice);
  }

  // each group's entries: the plan's own instructions over one record per key
  std::map<std::int32_t, std::pair<std::int32_t, std::int32_t>> folded;  // instruction -> (fold, lane)
  std::vector<char> removable(code.size(), 0);  // in the slice of a folded aggregation: cannot fail
  for (const Group& g : groups) {
    Fold f;
    SubjectTable t = synthetic(plan, g.needs, f);
    Runner runner(plan, t, as_of);
    runner.run(0, t.subject_count());
    std::vector<std::int32_t> instrs;
    for (std::size_t k = 0; k < g.aggs.size(); ++k) {
      const Instr& agg = code[static_cast<std::size_t>(g.aggs[k])];
      bool failed = false;
      for (const PositionError& e : runner.errors())
        failed |= g.slices[k][static_cast<std::size_t>(e.instr)] != 0;
      if (failed) continue;  // some combination fails: the instructions report it
      FoldLane lane;
      lane.op = agg.op;
      lane.dst = agg.dst;
      lane.entries.assign(f.keys, 0);
      const std::int32_t* members = runner.sel(agg.b);
      const std::int64_t* value = agg.op == Op::agg_sum ? runner.reg(agg.a) : nullptr;
      for (std::size_t m = 0; m < runner.sel_size(agg.b); ++m) {
        const auto key = static_cast<std::size_t>(members[m]);
        lane.entries[key] = value ? value[key] : agg.op == Op::agg_count ? decimal::kScale : 1;
      }
      f.lanes.push_back(std::move(lane));
      instrs.push_back(g.aggs[k]);
    }
    std::vector<std::int32_t> dropped;
    if (f.lanes.empty() || !build_packed(f, dropped)) continue;
    const auto index = static_cast<std::int32_t>(program.folds.size());
    for (std::size_t j = 0, k = 0; k < instrs.size(); ++k) {
      const std::int32_t dst = code[static_cast<std::size_t>(instrs[k])].dst;
      if (std::find(dropped.begin(), dropped.end(), dst) != dropped.end()) continue;
      folded[instrs[k]] = {index, static_cast<std::int32_t>(j++)};
      const auto& sl = g.slices[static_cast<std::size_t>(std::find(g.aggs.begin(), g.aggs.end(), instrs[k]) - g.aggs.begin())];
      for (std::size_t i = 0; i < code.size(); ++i) removable[i] |= sl[i];
    }
    spdlog::debug("gradus: folded {} aggregations into {} keys x {} words ({} records per subject packed)",
                  f.lanes.size(), f.keys, f.words, f.max_records);
    program.folds.push_back(std::move(f));
  }
  if (program.folds.empty()) return program;

  // the steps: every instruction but those only folded aggregations needed (which
  // cannot fail, so leaving them out changes no outcome); folded aggregations read no operands
  std::vector<char> need_reg(plan.register_level.size(), 0), need_sel(plan.selection_level.size(), 0);
  auto need = [](std::vector<char>& v, std::int32_t x) {
    if (x >= 0 && static_cast<std::size_t>(x) < v.size()) v[static_cast<std::size_t>(x)] = 1;
  };
  need(need_reg, plan.score_reg);
  need(need_reg, plan.tier_reg);
  for (const PlanOverride& o : plan.overrides) need(need_reg, o.when_reg);  // what evaluate() reads
  for (const PlanConditional& c : plan.conditionals) need(need_reg, c.when_reg);
  std::vector<Program::Step> steps;
  for (std::size_t k = code.size(); k-- > 0;) {
    const Instr& in = code[k];
    const bool sel = writes_selection(in.op);
    const bool needed = in.dst >= 0 && (sel ? need_sel : need_reg)[static_cast<std::size_t>(in.dst)];
    Program::Step step;
    step.instr = static_cast<std::int32_t>(k);
    auto it = folded.find(step.instr);
    if (it == folded.end() && !needed && removable[k]) continue;
    if (it != folded.end()) {
      step.fold = it->second.first;
      step.lane = it->second.second;
    } else {
      const Reads r = reads(in);
      for (std::int32_t x : r.regs) need(need_reg, x);
      for (std::int32_t s : r.sels) need(need_sel, s);
    }
    steps.push_back(step);
  }
  std::reverse(steps.begin(), steps.end());
  program.steps = std::move(steps);
  return program;
}

}  // namespace gradus::detail
