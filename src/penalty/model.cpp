#include "model.hpp"

#include <algorithm>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "gradus/check/fold.hpp"
#include "gradus/check/types.hpp"
#include "gradus/core/decimal.hpp"
#include "gradus/syntax/parser.hpp"

namespace gradus::penalty {

using ast::Expr;
using ast::ExprKind;

// ---------------------------------------------------------------- rationals

namespace {

constexpr i128 kLimit = i128(1) << 100;

i128 abs128(i128 v) { return v < 0 ? -v : v; }

i128 gcd128(i128 a, i128 b) {
  a = abs128(a);
  b = abs128(b);
  while (b != 0) {
    i128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

i128 mul_checked(i128 a, i128 b) {
  i128 r;
  if (__builtin_mul_overflow(a, b, &r) || abs128(r) > kLimit) throw Overflow{};
  return r;
}

Q make(i128 n, i128 d) {
  if (d == 0) throw Overflow{};
  if (d < 0) {
    n = -n;
    d = -d;
  }
  if (d == 1) {
    if (abs128(n) > kLimit) throw Overflow{};
    return {n, 1};
  }
  i128 g = gcd128(n, d);
  if (g > 1) {
    n /= g;
    d /= g;
  }
  if (abs128(n) > kLimit || d > kLimit) throw Overflow{};
  return {n, d};
}

}  // namespace

Q Q::millionths(std::int64_t v) { return make(v, decimal::kScale); }

Q operator+(Q a, Q b) {
  i128 g = gcd128(a.d, b.d);
  return make(mul_checked(a.n, b.d / g) + mul_checked(b.n, a.d / g), mul_checked(a.d / g, b.d));
}
Q operator-(Q a) { return {-a.n, a.d}; }
Q operator-(Q a, Q b) { return a + (-b); }
Q operator*(Q a, Q b) {
  i128 g1 = gcd128(a.n, b.d), g2 = gcd128(b.n, a.d);
  if (g1 == 0) g1 = 1;
  if (g2 == 0) g2 = 1;
  return make(mul_checked(a.n / g1, b.n / g2), mul_checked(a.d / g2, b.d / g1));
}
Q operator/(Q a, Q b) {
  if (b.n == 0) throw Overflow{};
  return a * Q{b.d, b.n} * Q{1, 1};  // make() normalises the sign below
}
int cmp(Q a, Q b) {
  i128 l = mul_checked(a.n, b.d), r = mul_checked(b.n, a.d);
  return l < r ? -1 : l > r ? 1 : 0;
}
i128 floor_div(Q q) {
  i128 f = q.n / q.d;
  if (q.n % q.d != 0 && q.n < 0) --f;
  return f;
}
i128 ceil_div(Q q) { return -floor_div(-q); }

std::int64_t to_millionths(Q q) {
  i128 scaled = mul_checked(q.n, decimal::kScale);
  i128 whole = scaled / q.d, rem = scaled % q.d;
  if (abs128(rem) * 2 >= q.d) whole += scaled < 0 ? -1 : 1;
  if (whole > INT64_MAX || whole < INT64_MIN) throw Overflow{};
  return static_cast<std::int64_t>(whole);
}

std::string format(Q q) {
  std::string s = decimal::format(to_millionths(q));
  if (cmp(Q::millionths(to_millionths(q)), q) != 0) s.insert(0, "≈");
  return s;
}

Q Affine::coef(std::int32_t dim) const {
  for (const auto& [d, k] : terms)
    if (d == dim) return k;
  return {};
}

namespace {

Affine combine(const Affine& a, const Affine& b, Q kb) {
  Affine r;
  r.c = a.c + b.c * kb;
  std::size_t i = 0, j = 0;
  while (i < a.terms.size() || j < b.terms.size()) {
    if (j == b.terms.size() || (i < a.terms.size() && a.terms[i].first < b.terms[j].first)) {
      r.terms.push_back(a.terms[i++]);
    } else if (i == a.terms.size() || b.terms[j].first < a.terms[i].first) {
      r.terms.emplace_back(b.terms[j].first, b.terms[j].second * kb);
      ++j;
    } else {
      Q k = a.terms[i].second + b.terms[j].second * kb;
      if (k.n != 0) r.terms.emplace_back(a.terms[i].first, k);
      ++i;
      ++j;
    }
  }
  return r;
}

}  // namespace

Affine operator+(const Affine& a, const Affine& b) { return combine(a, b, Q::of(1)); }
Affine operator-(const Affine& a, const Affine& b) { return combine(a, b, Q::of(-1)); }
Affine scale(const Affine& a, Q k) {
  Affine r;
  r.c = a.c * k;
  if (k.n == 0) return r;
  for (const auto& [d, c] : a.terms) r.terms.emplace_back(d, c * k);
  return r;
}

bool Range::single() const {
  if (mask != 0) return (mask & (mask - 1)) == 0;
  return !lo_inf && !hi_inf && lo == hi;
}

Q dim_value(const Dim& d, std::int64_t steps) { return d.step * Q::of(steps); }

const Measure* Outcome::find(std::int32_t sanction) const {
  for (const Measure& m : measures)
    if (m.sanction == sanction) return &m;
  return nullptr;
}

// ---------------------------------------------------------------- the model

namespace {

void walk(const Expr* e, const std::function<void(const Expr&)>& f) {
  if (!e) return;
  f(*e);
  for (const auto& a : e->args) walk(a.get(), f);
  walk(e->where.get(), f);
  walk(e->otherwise.get(), f);
}

template <class F>
void each_expr(const ast::Penalty& p, F&& f) {
  for (const auto& item : p.items)
    for (const Expr* e : {item.value.get(), item.high.get(), item.when.get()}) walk(e, f);
}

}  // namespace

Model::Model(const CheckedRulebook& c) : checked(&c) {
  const Schema& schema = c.schema;
  field_dim.assign(schema.breach_fields.size(), -1);
  months_dim.assign(schema.breach_fields.size(), -1);
  call_dim.assign(c.ast->expr_count + 1, -1);
  auto field_dim_of = [&](std::int32_t f) {
    if (field_dim[f] >= 0) return;
    const FieldDef& fd = schema.breach_fields[f];
    Dim d;
    d.kind = Dim::Kind::input;
    d.field = f;
    d.name = fd.name;
    d.order = schema.breach_order[f];
    d.max = INT64_MAX;  // money, decimal, days: millionths
    switch (fd.type.kind) {
      case TypeKind::boolean: d.finite = true; d.values = 2; break;
      case TypeKind::enumeration:
        d.finite = true;
        d.values = static_cast<std::int32_t>(schema.enums[fd.type.enum_index].members.size());
        break;
      case TypeKind::integer: d.step = Q::of(1); d.max = INT64_MAX / decimal::kScale; break;
      default: d.step = Q::millionths(1); break;  // decimal, money, days
    }
    field_dim[f] = static_cast<std::int32_t>(dims.size());
    dims.push_back(std::move(d));
  };
  std::map<std::string, std::int32_t> history_dims;
  for (const auto& p : c.ast->penalties) {
    each_expr(p, [&](const Expr& e) {
      const Binding& b = c.bindings[e.id];
      if (e.kind == ExprKind::name && b.kind == Binding::Kind::input &&
          c.schema.breach_fields[b.index].type.kind != TypeKind::date)
        field_dim_of(b.index);
      if (e.kind == ExprKind::within && e.args[0]->kind == ExprKind::name &&
          c.bindings[e.args[0]->id].kind == Binding::Kind::input) {
        std::int32_t f = c.bindings[e.args[0]->id].index;
        if (months_dim[f] < 0) {
          Dim d;
          d.kind = Dim::Kind::months_since;
          d.field = f;
          d.name = fmt::format("whole months from {} to the breach date", schema.breach_fields[f].name);
          d.step = Q::of(1);
          d.min = -1;  // -1: the date is after the breach date
          d.max = 12 * 20000;
          d.order = -schema.breach_order[f];
          months_dim[f] = static_cast<std::int32_t>(dims.size());
          dims.push_back(std::move(d));
        }
      }
      if (e.kind == ExprKind::call && (e.text == "prior" || e.text == "after_ban") &&
          b.kind == Binding::Kind::function) {
        // one dimension per distinct history question, shared by every rule that asks it
        std::string key = fmt::format("{}({} months", e.text, fold_constant(*e.args[e.text == "prior" ? 0 : 1], c).value_or(-1));
        std::vector<std::string> names;
        for (std::size_t a = e.text == "prior" ? 1 : 0; a < e.args.size() && (e.text == "prior" || a < 1); ++a)
          names.push_back(e.args[a]->text);
        std::sort(names.begin(), names.end());
        for (const auto& n : names) key += ", " + n;
        key += ")";
        if (auto it = history_dims.find(key); it != history_dims.end()) {
          call_dim[e.id] = it->second;
          return;
        }
        history_dims.emplace(key, static_cast<std::int32_t>(dims.size()));
        Dim d;
        d.expr = &e;
        d.order = 1;  // more history is more serious
        if (e.text == "prior") {
          d.kind = Dim::Kind::prior;
          d.step = Q::of(1);
          d.max = INT32_MAX;
          d.name = key;
        } else {
          d.kind = Dim::Kind::after_ban;
          d.finite = true;
          d.values = 2;
          d.name = key;
        }
        call_dim[e.id] = static_cast<std::int32_t>(dims.size());
        dims.push_back(std::move(d));
      }
    });
  }
}

std::vector<std::int32_t> Model::dims_of(std::int32_t p) const {
  std::vector<std::int32_t> out;
  each_expr(checked->ast->penalties[p], [&](const Expr& e) {
    const Binding& b = checked->bindings[e.id];
    std::int32_t d = -1;
    if (e.kind == ExprKind::name && b.kind == Binding::Kind::input) d = field_dim[b.index];
    if (e.kind == ExprKind::within && e.args[0]->kind == ExprKind::name &&
        checked->bindings[e.args[0]->id].kind == Binding::Kind::input)
      d = months_dim[checked->bindings[e.args[0]->id].index];
    if (call_dim[e.id] >= 0) d = call_dim[e.id];
    if (d >= 0 && std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  });
  std::sort(out.begin(), out.end());
  return out;
}

Box Model::full_box() const {
  Box box(dims.size());
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const Dim& d = dims[i];
    if (d.finite) {
      box[i].mask = d.values >= 64 ? ~0ull : (1ull << d.values) - 1;
    } else {
      box[i].lo = d.min;
      box[i].hi = d.max;
    }
  }
  return box;
}

// ---------------------------------------------------------------- the evaluator

namespace {

/// A value: a number (affine), a bool, or an enum code.
struct V {
  enum class K { num, boolean, code } k = K::num;
  Affine a;
  bool b = false;
  std::int32_t code = 0;
};

V num(Affine a) { return {V::K::num, std::move(a), false, 0}; }
V num(Q q) { return num(Affine{q, {}}); }
V boolean(bool b) { return {V::K::boolean, {}, b, 0}; }
V code(std::int32_t c) { return {V::K::code, {}, false, c}; }

class Evaluator {
 public:
  Evaluator(const Model& m, std::int32_t p, const Box& box, std::optional<std::int32_t> forced)
      : m_(m),
        c_(*m.checked),
        p_(c_.ast->penalties[p]),
        pi_(p),
        box_(box),
        forced_(forced),
        defines_(p_.items.size()) {}

  Outcome run() {
    Outcome out;
    const auto& refs = c_.penalties.item_ref[pi_];
    if (forced_) {
      out.level = *forced_;
    } else {
      for (std::size_t i = 0; i < p_.items.size(); ++i) {
        const auto& item = p_.items[i];
        if (item.kind != ast::PenaltyItem::Kind::level) continue;
        if (item.when && !truth(*item.when)) continue;
        out.level = refs[i];
        out.level_item = static_cast<std::int32_t>(i);
        break;
      }
    }
    level_ = out.level;
    if (out.level == 0) return out;  // none: nothing is imposed
    // per sanction: the lines that apply
    // the lines that apply, as (sanction, role, item): role 0 a line, 1 `also`, 2 `otherwise`
    struct Line {
      std::int32_t sanction, role, item;
      bool operator<(const Line& o) const {
        return sanction != o.sanction ? sanction < o.sanction : role != o.role ? role < o.role : item < o.item;
      }
    };
    std::vector<Line> lines;
    for (std::size_t i = 0; i < p_.items.size(); ++i) {
      const auto& item = p_.items[i];
      if (item.kind != ast::PenaltyItem::Kind::impose && item.kind != ast::PenaltyItem::Kind::escalate) continue;
      if (refs[i] < 0) continue;
      if (!item.otherwise && item.when && !truth(*item.when)) continue;
      lines.push_back({refs[i], item.otherwise ? 2 : item.also ? 1 : 0, static_cast<std::int32_t>(i)});
    }
    std::sort(lines.begin(), lines.end());
    for (std::size_t first = 0; first < lines.size();) {
      std::size_t last = first;
      while (last < lines.size() && lines[last].sanction == lines[first].sanction) ++last;
      std::int32_t s = lines[first].sanction;
      std::vector<std::int32_t> items;  // the applying line (or the first `otherwise`), then the `also` lines
      std::size_t plain = 0;
      for (std::size_t k = first; k < last; ++k) plain += lines[k].role == 0;
      if (plain > 1) throw DoubleCount{lines[first].item, lines[first + 1].item};
      bool otherwise_taken = false;
      for (std::size_t k = first; k < last; ++k) {
        if (lines[k].role == 0) items.push_back(lines[k].item);
        if (lines[k].role == 2 && plain == 0 && !otherwise_taken) {
          items.push_back(lines[k].item);
          otherwise_taken = true;
        }
      }
      for (std::size_t k = first; k < last; ++k)
        if (lines[k].role == 1) items.push_back(lines[k].item);
      first = last;
      if (items.empty()) continue;
      Measure meas;
      meas.sanction = s;
      for (std::int32_t i : items) {
        const auto& item = p_.items[i];
        meas.items.push_back(i);
        if (item.kind == ast::PenaltyItem::Kind::escalate) meas.escalation = true;
        if (!item.value) continue;
        meas.has_amount = true;
        Affine lo = number(*item.value);
        Affine hi = item.high ? number(*item.high) : lo;
        meas.statutory_low = meas.statutory_low + lo;
        meas.statutory_high = meas.statutory_high + hi;
      }
      meas.low = meas.statutory_low;
      meas.high = meas.statutory_high;
      const SanctionDef& def = c_.penalties.sanctions[s];
      if (meas.has_amount && def.unit == TypeKind::money) narrow(meas, out.level);
      out.measures.push_back(std::move(meas));
    }
    return out;
  }

  /// Two lines of one measure that apply together (E0704).
  struct DoubleCount {
    std::int32_t a, b;
  };

 private:
  void narrow(Measure& meas, std::int32_t level) {
    const DiscretionDef& d = c_.penalties.discretion[level];
    Q lo = Q::millionths(d.low), hi = Q::millionths(d.high);
    if (d.of_minimum) {
      meas.low = scale(meas.statutory_low, lo);
      meas.high = scale(meas.statutory_low, hi);
    } else {
      Affine width = meas.statutory_high - meas.statutory_low;
      meas.low = meas.statutory_low + scale(width, lo);
      meas.high = meas.statutory_low + scale(width, hi);
    }
  }

  [[noreturn]] void unsupported(const Expr& e, std::string why) { throw Unsupported{e.span, std::move(why)}; }

  bool truth(const Expr& e) {
    V v = eval(e);
    return v.b;
  }

  Affine number(const Expr& e) {
    V v = eval(e);
    if (v.k != V::K::num) unsupported(e, "expected a number");
    return v.a;
  }

  /// The bounds of an affine value over the box: nullopt = unbounded.
  std::pair<std::optional<Q>, std::optional<Q>> bounds(const Affine& a) const {
    std::optional<Q> lo = a.c, hi = a.c;
    for (const auto& [d, k] : a.terms) {
      const Range& r = box_[d];
      const Dim& dim = m_.dims[d];
      std::optional<Q> rl, rh;
      if (!r.lo_inf) rl = dim_value(dim, r.lo);
      if (!r.hi_inf) rh = dim_value(dim, r.hi);
      bool pos = k.n > 0;
      auto at_lo = pos ? rl : rh;  // where the term is least
      auto at_hi = pos ? rh : rl;
      if (lo) lo = at_lo ? std::optional<Q>(*lo + k * *at_lo) : std::nullopt;
      if (hi) hi = at_hi ? std::optional<Q>(*hi + k * *at_hi) : std::nullopt;
    }
    return {lo, hi};
  }

  /// `diff op 0`, decided on the box, or a Split.
  bool decide(const Affine& diff, std::string_view op, const Expr& at) {
    auto [lo, hi] = bounds(diff);
    Q zero;
    auto lt0 = [](const std::optional<Q>& q, bool strict) { return q && (strict ? *q < Q{} : *q <= Q{}); };
    auto gt0 = [](const std::optional<Q>& q, bool strict) { return q && (strict ? Q{} < *q : Q{} <= *q); };
    std::optional<bool> r;
    if (op == "<") r = lt0(hi, true) ? std::optional(true) : gt0(lo, false) ? std::optional(false) : std::nullopt;
    if (op == "<=") r = lt0(hi, false) ? std::optional(true) : gt0(lo, true) ? std::optional(false) : std::nullopt;
    if (op == ">") r = gt0(lo, true) ? std::optional(true) : lt0(hi, false) ? std::optional(false) : std::nullopt;
    if (op == ">=") r = gt0(lo, false) ? std::optional(true) : lt0(hi, true) ? std::optional(false) : std::nullopt;
    if (op == "=" || op == "!=") {
      bool eq = lo && hi && *lo == zero && *hi == zero;
      bool ne = gt0(lo, true) || lt0(hi, true);
      if (eq || ne) r = (op == "=") == eq;
    }
    if (r) return *r;
    if (diff.terms.size() != 1)
      unsupported(at, "it compares inputs with each other, so the points where it changes are not fixed");
    auto [d, k] = diff.terms[0];
    const Dim& dim = m_.dims[d];
    Q root = -diff.c / k / dim.step;  // in steps
    const Range& r0 = box_[d];
    std::vector<Range> parts;
    auto add = [&](i128 a, bool a_inf, i128 b, bool b_inf) {  // [a, b] within the range, in i128
      i128 lo = r0.lo, hi = r0.hi;
      if (!a_inf && a > lo) lo = a;
      if (!b_inf && b < hi) hi = b;
      if (lo > hi) return;
      Range p = r0;
      p.lo = static_cast<std::int64_t>(lo);
      p.hi = static_cast<std::int64_t>(hi);
      parts.push_back(p);
    };
    i128 below = ceil_div(root) - 1, above = floor_div(root) + 1;
    add(0, true, below, false);
    if (root.d == 1) add(root.n, false, root.n, false);
    add(above, false, 0, true);
    throw Split{d, std::move(parts)};
  }

  V input_dim(std::int32_t d, const Expr& at) {
    if (d < 0) unsupported(at, "internal: an input without a dimension");
    const Range& r = box_[d];
    const Dim& dim = m_.dims[d];
    if (dim.finite) {
      if (!r.single()) {
        std::vector<Range> parts;
        for (std::int32_t v = 0; v < dim.values; ++v)
          if (r.mask >> v & 1) parts.push_back(Range{1ull << v});
        throw Split{d, std::move(parts)};
      }
      auto v = static_cast<std::int32_t>(__builtin_ctzll(r.mask));
      const Type& t = dim.kind == Dim::Kind::input ? c_.schema.breach_fields[dim.field].type : Type::of(TypeKind::boolean);
      return t.kind == TypeKind::boolean ? boolean(v == 1) : code(v);
    }
    if (r.single()) return num(dim_value(dim, r.lo));
    return num(Affine{{}, {{d, Q::of(1)}}});
  }

  V literal(const Expr& e) {
    auto v = decimal::parse(e.text);
    if (!v) unsupported(e, "malformed number");
    Q q = Q::millionths(*v);
    switch (e.unit) {
      case ast::Unit::percent: q = q / Q::of(100); break;
      case ast::Unit::years: q = q * Q::of(12); break;
      case ast::Unit::weeks: q = q * Q::of(7); break;
      default: break;
    }
    return num(q);
  }

  V constant_value(std::int64_t raw, Type t, const Expr& e) {
    switch (t.kind) {
      case TypeKind::boolean: return boolean(raw != 0);
      case TypeKind::enumeration: return code(static_cast<std::int32_t>(raw));
      case TypeKind::period: return num(Q::of(raw));
      case TypeKind::date: unsupported(e, "a date constant in a penalty rule");
      default: return num(Q::millionths(raw));
    }
  }

  V eval(const Expr& e) {
    const Binding& b = c_.bindings[e.id];
    switch (e.kind) {
      case ExprKind::number: return literal(e);
      case ExprKind::boolean: return boolean(e.text == "true");
      case ExprKind::date:
      case ExprKind::string:
      case ExprKind::aggregate: unsupported(e, "not available in a penalty rule");
      case ExprKind::name:
        switch (b.kind) {
          case Binding::Kind::input: {
            if (c_.schema.breach_fields[b.index].type.kind == TypeKind::date)
              unsupported(e, "a date input is usable only with 'within'");
            return input_dim(m_.field_dim[b.index], e);
          }
          case Binding::Kind::define: {
            auto& slot = defines_[b.index];
            if (!slot) slot = eval(*p_.items[b.index].value);
            return *slot;
          }
          case Binding::Kind::level:
            if (!level_) unsupported(e, "'level' is not decided yet while the level is being decided");
            return code(*level_);
          case Binding::Kind::constant: return constant_value(c_.const_values[b.index], c_.const_types[b.index], e);
          case Binding::Kind::member: return code(b.index);
          default: unsupported(e, "the breach date is usable only through 'within' and prior()");
        }
      case ExprKind::lookup: return lookup(e, b);
      case ExprKind::call: return call(e);
      case ExprKind::unary: {
        V v = eval(*e.args[0]);
        if (e.text == "not") return boolean(!v.b);
        return num(scale(v.a, Q::of(-1)));
      }
      case ExprKind::binary: return binary(e);
      case ExprKind::if_else: return truth(*e.args[0]) ? eval(*e.args[1]) : eval(*e.args[2]);
      case ExprKind::in_band: return boolean(in_band(number(*e.args[0]), e.band, e));
      case ExprKind::within: return within(e);
    }
    unsupported(e, "unknown expression");
  }

  bool in_band(const Affine& x, const ast::Band& band, const Expr& at) {
    auto bound = [&](const ast::Bound& bd) { return Q::millionths(types::bound_value(bd).value_or(0)); };
    if (!band.lo.infinite && !decide(x - Affine{bound(band.lo), {}}, band.lo_closed ? ">=" : ">", at)) return false;
    if (!band.hi.infinite && !decide(x - Affine{bound(band.hi), {}}, band.hi_closed ? "<=" : "<", at)) return false;
    return true;
  }

  V lookup(const Expr& e, const Binding& b) {
    const ast::Table& t = c_.ast->tables[b.index];
    V key = eval(*e.args[0]);
    const EnumType* en = c_.table_enum[b.index] >= 0 ? &c_.schema.enums[c_.table_enum[b.index]] : nullptr;
    for (const auto& row : t.rows) {
      bool hit = false;
      switch (row.kind) {
        case ast::TableRow::Kind::otherwise: hit = true; break;
        case ast::TableRow::Kind::band: hit = in_band(key.a, row.band, e); break;
        case ast::TableRow::Kind::keys:
          for (const auto& k : row.keys) {
            if (!en) break;
            auto it = std::find(en->members.begin(), en->members.end(), k.text);
            if (it != en->members.end() && it - en->members.begin() == key.code) hit = true;
          }
          break;
      }
      if (hit) return eval(*row.value);
    }
    throw Failure{e.span, fmt::format("no row of table '{}' matches", t.name.text)};
  }

  V call(const Expr& e) {
    const std::string& f = e.text;
    if (f == "prior" || f == "after_ban") return input_dim(m_.call_dim[e.id], e);
    if (f == "abs") {
      Affine x = number(*e.args[0]);
      return num(decide(x, "<", e) ? scale(x, Q::of(-1)) : x);
    }
    if (f == "min" || f == "max" || f == "clamp") {
      auto pick = [&](const Affine& a, const Affine& b, bool want_min) {
        bool a_le_b = decide(a - b, "<=", e);
        return (a_le_b == want_min) ? a : b;
      };
      if (f == "clamp") {
        Affine x = number(*e.args[0]);
        return num(pick(pick(x, number(*e.args[1]), false), number(*e.args[2]), true));
      }
      Affine r = number(*e.args[0]);
      for (std::size_t i = 1; i < e.args.size(); ++i) r = pick(r, number(*e.args[i]), f == "min");
      return num(r);
    }
    unsupported(e, fmt::format("'{}' is not available in a penalty rule", f));
  }

  V binary(const Expr& e) {
    const std::string& op = e.text;
    if (op == "and") return boolean(truth(*e.args[0]) && truth(*e.args[1]));
    if (op == "or") return boolean(truth(*e.args[0]) || truth(*e.args[1]));
    V l = eval(*e.args[0]), r = eval(*e.args[1]);
    bool cmp_op = op == "=" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=";
    if (cmp_op) {
      if (l.k == V::K::num) return boolean(decide(l.a - r.a, op, e));
      std::int32_t a = l.k == V::K::boolean ? l.b : l.code, c = r.k == V::K::boolean ? r.b : r.code;
      if (op == "=") return boolean(a == c);
      if (op == "!=") return boolean(a != c);
      if (op == "<") return boolean(a < c);
      if (op == "<=") return boolean(a <= c);
      if (op == ">") return boolean(a > c);
      return boolean(a >= c);
    }
    if (op == "+") return num(l.a + r.a);
    if (op == "-") return num(l.a - r.a);
    if (op == "*") {
      if (l.a.constant()) return num(scale(r.a, l.a.c));
      if (r.a.constant()) return num(scale(l.a, r.a.c));
      unsupported(e, "it multiplies two inputs, so an amount is not piecewise linear");
    }
    // division
    if (!r.a.constant()) unsupported(e, "it divides by an input, so an amount is not piecewise linear");
    if (r.a.c.n == 0) throw Failure{e.span, "division by zero"};
    return num(scale(l.a, Q::of(1) / r.a.c));
  }

  V within(const Expr& e) {
    const Expr& d = *e.args[0];
    const Binding& b = c_.bindings[d.id];
    if (d.kind != ExprKind::name || b.kind != Binding::Kind::input)
      unsupported(e, "'within' in a penalty rule needs a date input on its left");
    auto months = fold_constant(*e.args[1], c_);
    if (!months || c_.types[e.args[1]->id].kind != TypeKind::period)
      unsupported(*e.args[1], "'within' in a penalty rule needs a period of months or years");
    // 0 <= months since < period
    Affine m = input_dim(m_.months_dim[b.index], e).a;
    return boolean(decide(m, ">=", e) && decide(m - Affine{Q::of(*months), {}}, "<", e));
  }

  const Model& m_;
  const CheckedRulebook& c_;
  const ast::Penalty& p_;
  std::int32_t pi_;
  const Box& box_;
  std::optional<std::int32_t> forced_;
  std::optional<std::int32_t> level_;
  std::vector<std::optional<V>> defines_;
};

}  // namespace

Outcome evaluate(const Model& m, std::int32_t p, const Box& box, std::optional<std::int32_t> forced_level) {
  try {
    return Evaluator(m, p, box, forced_level).run();
  } catch (const Evaluator::DoubleCount& dc) {
    throw DoubleImposed{dc.a, dc.b};
  } catch (const Overflow&) {
    throw Failure{m.checked->ast->penalties[p].name.span, "an amount exceeds the range of exact arithmetic"};
  }
}

}  // namespace gradus::penalty
