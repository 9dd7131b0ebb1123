// The static proportionality proof (rules/PENALTIES.md, "The proof").
//
// Each rule is evaluated on boxes of inputs that the evaluator splits until
// every condition is constant on each box; amounts are then affine in the
// numeric inputs, so every property below is decided exactly by slopes and
// by values at box ends, and a failure comes with a concrete point.
#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "gradus/core/codes.hpp"
#include "gradus/penalty/penalty.hpp"
#include "gradus/syntax/parser.hpp"
#include "model.hpp"
#include "text.hpp"

namespace gradus {

using namespace penalty;

namespace {

constexpr std::size_t kMaxBoxes = 200'000;

struct Case {
  Box box;
  Outcome outcome;
};

struct Abort {};  // the rule got a diagnostic that stops its proof

class Prover {
 public:
  Prover(const CheckedRulebook& c, Diagnostics& d) : c_(c), d_(d), m_(c) {}

  ProofSummary run() {
    ProofSummary s;
    const auto& ps = c_.ast->penalties;
    std::vector<std::vector<Case>> general(ps.size());
    std::vector<bool> ok(ps.size(), false);
    for (std::size_t p = 0; p < ps.size(); ++p) {
      auto pi = static_cast<std::int32_t>(p);
      try {
        general[p] = enumerate(pi, std::nullopt);
        ok[p] = true;
        s.cases += general[p].size();
        bounds(pi, general[p]);
        for (std::int32_t d : m_.dims_of(pi))
          if (m_.dims[d].order != 0) monotone(pi, d, general[p]);
        levels(pi, s.cases);
      } catch (const Abort&) {
      } catch (const Overflow&) {
        out_of_range(pi);
      } catch (const Failure&) {
        out_of_range(pi);
      }
      ++s.rules;
    }
    for (const auto& chain : c_.penalties.chains)
      for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
        std::int32_t a = chain[i], b = chain[i + 1];
        if (!ok[a] || !ok[b]) continue;
        try {
          compare_all(general[a], a, general[b], b, Code::E0712,
                      fmt::format("rule '{}' is declared at least as heavy as '{}', but is lighter for the same inputs",
                                  name(b), name(a)));
        } catch (const Abort&) {
        } catch (const Overflow&) {
          out_of_range(b);
        } catch (const Failure&) {
          out_of_range(b);
        }
      }
    s.proved = !d_.has_errors();
    return s;
  }

 private:
  const std::string& name(std::int32_t p) const { return c_.ast->penalties[p].name.text; }

  void out_of_range(std::int32_t p) {
    d_.add({Severity::error, Code::E0714, c_.ast->penalties[p].name.span,
            fmt::format("penalty '{}' cannot be proved proportionate: its amounts leave the range of exact "
                        "arithmetic for some inputs; bound them (e.g. with min)", name(p)),
            {}});
  }

  std::vector<Case> enumerate(std::int32_t p, std::optional<std::int32_t> level) {
    std::vector<Case> out;
    std::vector<Box> work{m_.full_box()};
    while (!work.empty()) {
      Box box = std::move(work.back());
      work.pop_back();
      try {
        Outcome o = evaluate(m_, p, box, level);
        out.push_back({std::move(box), std::move(o)});
      } catch (const Split& s) {
        for (const Range& r : s.parts) {
          Box b = box;
          b[s.dim] = r;
          work.push_back(std::move(b));
        }
      } catch (const Unsupported& u) {
        d_.add({Severity::error, Code::E0714, u.span,
                fmt::format("penalty '{}' cannot be proved proportionate: {}", name(p), u.why),
                {{c_.ast->penalties[p].name.span, "the rule"}}});
        throw Abort{};
      } catch (const DoubleImposed& di) {
        Box point = any_point(box);
        const auto& items = c_.ast->penalties[p].items;
        d_.add({Severity::error, Code::E0704, items[di.b].span,
                fmt::format("penalty '{}' imposes '{}' twice for one breach, e.g. for {}; make the conditions "
                            "exclusive, use 'otherwise', or mark a line 'also' if the amounts add up",
                            name(p), items[di.a].name.text, inputs(p, point)),
                {{items[di.a].span, "the other line that applies"}}});
        throw Abort{};
      } catch (const Failure& f) {
        Box point = any_point(box);
        d_.add({Severity::error, Code::E0714, f.span,
                fmt::format("penalty '{}' fails for {}: {}", name(p), inputs(p, point), f.why), {}});
        throw Abort{};
      }
      if (out.size() + work.size() > kMaxBoxes) {
        d_.add({Severity::error, Code::E0714, c_.ast->penalties[p].name.span,
                fmt::format("penalty '{}' splits its inputs into more than {} cases; simplify its conditions",
                            name(p), kMaxBoxes),
                {}});
        throw Abort{};
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- points and bounds

  /// A point of the box: the least value of each dimension (or a finite one).
  Box any_point(const Box& box) const {
    Box p = box;
    for (std::size_t i = 0; i < p.size(); ++i) {
      Range& r = p[i];
      if (r.mask) {
        r.mask = r.mask & (~r.mask + 1);
      } else {
        std::int64_t v = !r.lo_inf ? r.lo : !r.hi_inf ? r.hi : 0;
        r = Range{0, v, v};
      }
    }
    return p;
  }

  static void set_point(Range& r, std::int64_t v) { r = Range{0, v, v}; }

  /// The least value of `a` over `box` and a point of the box where it is
  /// reached (or, when unbounded below, a point where it is below `below`).
  std::pair<std::optional<Q>, Box> minimum(const Affine& a, const Box& box, Q below = Q{}) const {
    Box point = any_point(box);
    std::optional<Q> lo = a.c;
    std::int32_t free_dim = -1;
    Q free_coef;
    for (const auto& [d, k] : a.terms) {
      const Range& r = box[d];
      bool pos = k.n > 0;
      bool inf = pos ? r.lo_inf : r.hi_inf;
      if (inf) {
        lo.reset();
        if (free_dim < 0) {
          free_dim = d;
          free_coef = k;
        }
        continue;
      }
      std::int64_t v = pos ? r.lo : r.hi;
      set_point(point[d], v);
      if (lo) lo = *lo + k * dim_value(m_.dims[d], v);
    }
    if (free_dim >= 0) {
      // every other term at its point; push the free one far enough
      Q rest = a.c;
      for (const auto& [d, k] : a.terms)
        if (d != free_dim) rest = rest + k * dim_value(m_.dims[d], point[d].lo);
      Q x = (below - rest) / free_coef / m_.dims[free_dim].step;  // where the value reaches `below`, in steps
      i128 v = free_coef.n > 0 ? floor_div(x) - 1 : ceil_div(x) + 1;
      const Range& r = box[free_dim];
      if (!r.lo_inf) v = std::max<i128>(v, r.lo);
      if (!r.hi_inf) v = std::min<i128>(v, r.hi);
      set_point(point[free_dim], static_cast<std::int64_t>(v));
    }
    if (lo && *lo < below) {
      // pull coordinates that sit at their upper end back down as far as the value stays below
      // `below`, so the counterexample uses the smallest numbers that show it
      Q value = *lo;
      for (const auto& [d, k] : a.terms) {
        if (k.n > 0 || box[d].lo_inf) continue;
        const Dim& dim = m_.dims[d];
        Q room = (below - value) / (-k) / dim.step;  // steps it may go down while staying below (exclusive)
        i128 down = ceil_div(room) - 1;
        i128 target = std::max<i128>(box[d].lo, i128(point[d].lo) - down);
        value = value + k * (dim_value(dim, static_cast<std::int64_t>(target)) - dim_value(dim, point[d].lo));
        set_point(point[d], static_cast<std::int64_t>(target));
      }
    }
    return {lo, point};
  }

  // ---------------------------------------------------------------- properties

  /// Amounts within [0, cap] and low <= high (E0713).
  void bounds(std::int32_t p, const std::vector<Case>& cases) {
    for (const Case& cs : cases)
      for (const Measure& meas : cs.outcome.measures) {
        if (!meas.has_amount) continue;
        const SanctionDef& def = c_.penalties.sanctions[meas.sanction];
        auto fail = [&](const Box& point, const std::string& what) {
          Outcome o = evaluate(m_, p, point);
          d_.add({Severity::error, Code::E0713, c_.ast->penalties[p].items[meas.items.front()].span,
                  fmt::format("penalty '{}': {} for {} ({})", name(p), what, inputs(p, point),
                              describe(c_, o)),
                  {}});
          throw Abort{};
        };
        if (auto [lo, pt] = minimum(meas.statutory_low, cs.box); !lo || *lo < Q{})
          fail(pt, fmt::format("the amount of '{}' is negative", def.name));
        if (auto [lo, pt] = minimum(meas.statutory_high - meas.statutory_low, cs.box); !lo || *lo < Q{})
          fail(pt, fmt::format("the range of '{}' ends below its start", def.name));
        if (def.cap) {
          Q cap = def.unit == TypeKind::period ? Q::of(*def.cap) : Q::millionths(*def.cap);
          for (const Affine* hi : {&meas.statutory_high, &meas.high}) {
            auto [lo, pt] = minimum(Affine{cap, {}} - *hi, cs.box);
            if (!lo || *lo < Q{})
              fail(pt, fmt::format("the amount of '{}' exceeds its cap of {}", def.name,
                                   amount_text(def.unit, *def.cap)));
          }
        }
      }
  }

  /// Monotone in ordered dimension d (E0710).
  void monotone(std::int32_t p, std::int32_t d, const std::vector<Case>& cases) {
    const Dim& dim = m_.dims[d];
    const std::string msg = fmt::format("penalty '{}' is not proportionate: a breach more serious in {} gets a "
                                        "lighter outcome", name(p), dim.name);
    // numeric: the cases starting (order > 0) or ending (order < 0) at each value of d
    std::unordered_map<std::int64_t, std::vector<std::size_t>> next;
    if (!dim.finite)
      for (std::size_t j = 0; j < cases.size(); ++j) next[dim.order > 0 ? cases[j].box[d].lo : cases[j].box[d].hi].push_back(j);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const Case& a = cases[i];
      const Range& ra = a.box[d];
      if (!dim.finite) {
        // within the box: one step in the serious direction
        if (!(ra.single())) {
          std::int64_t v = !ra.lo_inf ? ra.lo : !ra.hi_inf ? ra.hi - 1 : 0;
          std::int64_t x = dim.order > 0 ? v : v + 1, y = dim.order > 0 ? v + 1 : v;
          pair(p, a, p, a, d, x, y, Code::E0710, msg);
        }
      }
      if (!dim.finite) {
        // the neighbour one step more serious than a's last value
        if (dim.order > 0 ? ra.hi == dim.max : ra.lo == dim.min) continue;
        std::int64_t x = dim.order > 0 ? ra.hi : ra.lo, y = dim.order > 0 ? x + 1 : x - 1;
        auto it = next.find(y);
        if (it == next.end()) continue;
        for (std::size_t j : it->second) pair(p, a, p, cases[j], d, x, y, Code::E0710, msg);
        continue;
      }
      for (std::size_t j = 0; j < cases.size(); ++j) {
        if (i == j) continue;
        const Case& b = cases[j];
        const Range& rb = b.box[d];
        for (std::int32_t v = 0; v < dim.values; ++v) {
          std::int32_t w = v + dim.order;
          if (w < 0 || w >= dim.values || !(ra.mask >> v & 1) || !(rb.mask >> w & 1)) continue;
          pair(p, a, p, b, d, v, w, Code::E0710, msg);
        }
      }
    }
  }

  /// Forcing mitigated < lighter < general < heavier never gives a lighter outcome (E0711).
  void levels(std::int32_t p, std::size_t& count) {
    std::vector<std::vector<Case>> by_level;
    for (std::int32_t l = 1; l < static_cast<std::int32_t>(std::size(kLevels)); ++l) {
      by_level.push_back(enumerate(p, l));
      count += by_level.back().size();
    }
    for (std::size_t l = 0; l + 1 < by_level.size(); ++l)
      compare_all(by_level[l], p, by_level[l + 1], p, Code::E0711,
                  fmt::format("penalty '{}': at level '{}' the outcome is lighter than at level '{}' for the same "
                              "inputs",
                              name(p), kLevels[l + 2], kLevels[l + 1]),
                  static_cast<std::int32_t>(l + 1));
  }

  /// Every case of `bs` at least as heavy as every overlapping case of `as`.
  void compare_all(const std::vector<Case>& as, std::int32_t pa, const std::vector<Case>& bs, std::int32_t pb,
                   Code code, const std::string& msg, std::int32_t level_a = -1) {
    for (const Case& a : as)
      for (const Case& b : bs) pair(pa, a, pb, b, -1, 0, 0, code, msg, level_a);
  }

  /// Checks that b (at d = y) is at least as heavy as a (at d = x) wherever
  /// their boxes overlap in the other dimensions; reports and aborts if not.
  void pair(std::int32_t pa, const Case& a, std::int32_t pb, const Case& b, std::int32_t d, std::int64_t x,
            std::int64_t y, Code code, const std::string& msg, std::int32_t level_a = -1) {
    Box region(a.box.size());
    for (std::size_t k = 0; k < region.size(); ++k) {
      if (static_cast<std::int32_t>(k) == d) continue;
      const Range &u = a.box[k], &v = b.box[k];
      Range& r = region[k];
      if (u.mask || v.mask) {
        r.mask = u.mask & v.mask;
        if (!r.mask) return;
        continue;
      }
      r.lo_inf = u.lo_inf && v.lo_inf;
      r.lo = u.lo_inf ? v.lo : v.lo_inf ? u.lo : std::max(u.lo, v.lo);
      r.hi_inf = u.hi_inf && v.hi_inf;
      r.hi = u.hi_inf ? v.hi : v.hi_inf ? u.hi : std::min(u.hi, v.hi);
      if (!r.lo_inf && !r.hi_inf && r.lo > r.hi) return;
    }
    const Dim* dd = d >= 0 ? &m_.dims[d] : nullptr;
    auto at = [&](const Affine& f, std::int64_t v) {
      if (!dd || dd->finite) return f;
      Q k = f.coef(d);
      Affine g = f;
      g.terms.erase(std::remove_if(g.terms.begin(), g.terms.end(), [&](auto& t) { return t.first == d; }),
                    g.terms.end());
      g.c = g.c + k * dim_value(*dd, v);
      return g;
    };
    auto with_d = [&](Box point, std::int64_t v) {
      if (d >= 0) point[d] = dd->finite ? Range{1ull << v} : Range{0, v, v};
      return point;
    };
    for (const Measure& ma : a.outcome.measures) {
      const SanctionDef& def = c_.penalties.sanctions[ma.sanction];
      bool higher = false;
      for (const Measure& mb : b.outcome.measures)
        if (c_.penalties.sanctions[mb.sanction].rank > def.rank) higher = true;
      if (higher) continue;
      const Measure* mb = b.outcome.find(ma.sanction);
      if (!mb) {
        report(pa, with_d(any_point(region), x), pb, with_d(any_point(region), y), code, msg, ma, nullptr,
               level_a);
        continue;
      }
      if (!ma.has_amount) continue;
      for (auto pick : {&Measure::low, &Measure::high}) {
        Affine diff = at(mb->*pick, y) - at(ma.*pick, x);
        auto [lo, point] = minimum(diff, region);
        if (lo && !(*lo < Q{})) continue;
        report(pa, with_d(point, x), pb, with_d(point, y), code, msg, ma, mb, level_a);
      }
    }
  }

  [[noreturn]] void report(std::int32_t pa, const Box& pta, std::int32_t pb, const Box& ptb, Code code,
                           const std::string& msg, const Measure& ma, const Measure* mb, std::int32_t level_a) {
    std::optional<std::int32_t> la, lb;
    if (level_a >= 0) {
      la = level_a;
      lb = level_a + 1;
    }
    Outcome oa = evaluate(m_, pa, pta, la), ob = evaluate(m_, pb, ptb, lb);
    const auto& ia = c_.ast->penalties[pa].items[ma.items.front()];
    Span at = mb ? c_.ast->penalties[pb].items[mb->items.front()].span : c_.ast->penalties[pb].name.span;
    std::string who_a = pa == pb ? "A" : fmt::format("A ({})", name(pa));
    std::string who_b = pa == pb ? "B" : fmt::format("B ({})", name(pb));
    auto level_text = [&](const std::optional<std::int32_t>& l, const Outcome& o) {
      return fmt::format("level {}", kLevels[l ? *l : o.level]);
    };
    d_.add({Severity::error, code, at, msg,
            {{ia.span, fmt::format("{}: {} -> {}: {}", who_a, inputs(pa, pta), level_text(la, oa), describe(c_, oa))},
             {at, fmt::format("{}: {} -> {}: {}", who_b, inputs(pb, ptb), level_text(lb, ob), describe(c_, ob))}}});
    throw Abort{};
  }

  /// `goods_value = 10000, harm = slight` for the dimensions rule p reads.
  std::string inputs(std::int32_t p, const Box& point) const {
    std::string out;
    for (std::int32_t d : m_.dims_of(p)) {
      const Dim& dim = m_.dims[d];
      const Range& r = point[d];
      std::string v;
      if (dim.finite) {
        auto code = static_cast<std::int32_t>(__builtin_ctzll(r.mask));
        const Type* t = dim.kind == Dim::Kind::input ? &c_.schema.breach_fields[dim.field].type : nullptr;
        v = t && t->kind == TypeKind::enumeration ? c_.schema.enums[t->enum_index].members[code]
                                                  : (code ? "true" : "false");
      } else {
        v = format(dim_value(dim, r.lo));
      }
      std::string label = dim.kind == Dim::Kind::input ? dim.name
                          : dim.kind == Dim::Kind::months_since
                              ? fmt::format("months from {} to the breach", c_.schema.breach_fields[dim.field].name)
                              : dim.name;
      out += fmt::format("{}{} = {}", out.empty() ? "" : ", ", label, v);
    }
    return out.empty() ? "any breach" : out;
  }

  const CheckedRulebook& c_;
  Diagnostics& d_;
  Model m_;
};

}  // namespace

ProofSummary prove(const CheckedRulebook& checked, Diagnostics& diagnostics) {
  if (!checked.ast || checked.ast->penalties.empty()) return {0, 0, true};
  return Prover(checked, diagnostics).run();
}

}  // namespace gradus
