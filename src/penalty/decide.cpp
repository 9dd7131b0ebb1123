// decide(): penalty decisions for a batch of breaches (rules/PENALTIES.md).
#include <algorithm>
#include <numeric>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "gradus/core/date.hpp"
#include "gradus/core/decimal.hpp"
#include "gradus/core/error.hpp"
#include "gradus/penalty/penalty.hpp"
#include "gradus/syntax/parser.hpp"
#include "model.hpp"
#include "text.hpp"

namespace gradus {

using namespace penalty;

void BreachTable::validate(const CheckedRulebook& checked) const {
  const Schema& s = checked.schema;
  std::size_t n = ids.size();
  if (parties.size() != n || dates.size() != n || penalties.size() != n || (!lines.empty() && lines.size() != n))
    throw UsageError("breach table: columns of different lengths");
  if (inputs.size() != s.breach_fields.size())
    throw UsageError(fmt::format("breach table: {} input columns for {} breach inputs", inputs.size(),
                                 s.breach_fields.size()));
  for (std::size_t f = 0; f < inputs.size(); ++f) {
    if (inputs[f].size() != n) throw UsageError(fmt::format("breach table: column '{}' has {} values for {} breaches",
                                                            s.breach_fields[f].name, inputs[f].size(), n));
    const Type& t = s.breach_fields[f].type;
    for (std::size_t i = 0; i < n; ++i) {
      std::int64_t v = inputs[f][i];
      bool ok = t.kind == TypeKind::boolean       ? (v == 0 || v == 1)
                : t.kind == TypeKind::enumeration ? (v >= 0 && v < static_cast<std::int64_t>(s.enums[t.enum_index].members.size()))
                : t.kind == TypeKind::integer     ? (v >= 0 && v % decimal::kScale == 0)
                : t.kind == TypeKind::date        ? true
                                                  : v >= 0;
      if (!ok)
        throw UsageError(fmt::format("breach {} ('{}'): input '{}' holds {}, which is not a valid {}{}", i + 1, ids[i],
                                     s.breach_fields[f].name, v, s.type_name(t),
                                     t.is_numeric() ? " (breach inputs are not negative)" : ""));
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    if (penalties[i] < 0 || static_cast<std::size_t>(penalties[i]) >= checked.ast->penalties.size())
      throw UsageError(fmt::format("breach {} ('{}'): penalty rule index {} out of range", i + 1, ids[i], penalties[i]));
}

namespace {

/// Whole calendar months from `d` to `date`: the largest k >= 0 with
/// add_months(date, -k) >= d, or -1 when d is after date.
std::int64_t months_since(std::int64_t d, std::int64_t date) {
  if (d > date) return -1;
  std::int64_t k = (date - d) / 28 + 1;  // an upper bound
  std::int64_t lo = 0, hi = k;
  while (lo < hi) {  // the largest k with add_months(date, -k) >= d
    std::int64_t mid = lo + (hi - lo + 1) / 2;
    if (date::add_months(date, -mid) >= d) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

struct Done {
  std::int32_t date;
  std::int32_t penalty;
  const Decision* decision;
};

class Decider {
 public:
  Decider(const CheckedRulebook& c, const BreachTable& t) : c_(c), t_(t), m_(c), full_(m_.full_box()) {}

  void party(const std::size_t* rows, std::size_t n, std::vector<Decision>& out) {
    std::vector<Done>& done = done_;
    done.clear();
    bans_.clear();
    for (std::size_t k = 0; k < n; ++k) {
      std::size_t i = rows[k];
      out[i] = one(i, done);
      done.push_back({t_.dates[i], t_.penalties[i], &out[i]});
      for (const ImposedMeasure& im : out[i].measures)
        if (c_.penalties.sanctions[im.sanction].unit == TypeKind::period)
          bans_.push_back({im.sanction, date::add_months(t_.dates[i], im.low)});
    }
  }

 private:
  Decision one(std::size_t i, const std::vector<Done>& done) {
    Decision d;
    std::int32_t p = t_.penalties[i];
    Box& box = box_;
    box = full_;
    for (std::size_t f = 0; f < m_.field_dim.size(); ++f) {
      std::int64_t v = t_.inputs[f][i];
      if (std::int32_t dd = m_.field_dim[f]; dd >= 0) {
        const Dim& dim = m_.dims[dd];
        if (dim.finite) box[dd] = Range{1ull << v};
        else {
          std::int64_t steps = dim.step == Q::of(1) && c_.schema.breach_fields[f].type.kind == TypeKind::integer
                                   ? v / decimal::kScale
                                   : v;
          box[dd] = Range{0, steps, steps};
        }
      }
      if (std::int32_t md = m_.months_dim[f]; md >= 0) {
        std::int64_t ms = months_since(v, t_.dates[i]);
        box[md] = Range{0, ms, ms};
      }
    }
    for (std::size_t dd = 0; dd < m_.dims.size(); ++dd) {
      const Dim& dim = m_.dims[dd];
      if (dim.kind == Dim::Kind::prior) {
        std::int64_t count = prior(*dim.expr, t_.dates[i], done);
        box[dd] = Range{0, count, count};
      } else if (dim.kind == Dim::Kind::after_ban) {
        box[dd] = Range{after_ban(*dim.expr, t_.dates[i]) ? 2ull : 1ull};
      }
    }
    try {
      d = to_decision(c_, evaluate(m_, p, box));
    } catch (const Failure& f) {
      d = Decision{};
      d.error = fmt::format("{}: {}", c_.ast->penalties[p].name.text, f.why);
    } catch (const Unsupported& u) {
      d = Decision{};
      d.error = fmt::format("{}: {}", c_.ast->penalties[p].name.text, u.why);
    } catch (const DoubleImposed& di) {
      d = Decision{};
      d.error = fmt::format("{}: '{}' imposed twice", c_.ast->penalties[p].name.text,
                            c_.ast->penalties[p].items[di.a].name.text);
    } catch (const Overflow&) {
      d = Decision{};
      d.error = fmt::format("{}: an amount exceeds the range of exact arithmetic", c_.ast->penalties[p].name.text);
    }
    return d;
  }

  static bool penalised(const Done& x) { return x.decision->error.empty() && !x.decision->measures.empty(); }

  std::int64_t prior(const ast::Expr& call, std::int32_t date, const std::vector<Done>& done) const {
    std::int64_t from = date::add_months(date, -period(*call.args[0]));
    std::int64_t n = 0;
    for (auto it = done.rbegin(); it != done.rend() && it->date > from; ++it) {
      if (!penalised(*it)) continue;
      bool named = call.args.size() == 1;
      for (std::size_t a = 1; a < call.args.size(); ++a)
        if (c_.bindings[call.args[a]->id].index == it->penalty) named = true;
      if (named) ++n;
    }
    return n;
  }

  bool after_ban(const ast::Expr& call, std::int32_t date) const {
    std::int32_t s = c_.bindings[call.args[0]->id].index;
    std::int64_t p = period(*call.args[1]);
    std::int64_t from = date::add_months(date, -p);
    for (const Ban& b : bans_)
      if (b.sanction == s && b.end <= date && from < b.end) return true;
    return false;
  }

  /// A period literal or constant, in months.
  std::int64_t period(const ast::Expr& e) const;

  const CheckedRulebook& c_;
  const BreachTable& t_;
  Model m_;
  Box full_, box_;          // every dimension unrestricted; the breach being decided
  std::vector<Done> done_;  // the party's decisions so far
  struct Ban {
    std::int32_t sanction;
    std::int64_t end;  // the day the ban ends: its start plus the low end of its range
  };
  std::vector<Ban> bans_;  // the party's bans so far
};

}  // namespace
}  // namespace gradus

#include "gradus/check/fold.hpp"

namespace gradus {
namespace {
std::int64_t Decider::period(const ast::Expr& e) const { return fold_constant(e, c_).value_or(0); }
}  // namespace

std::vector<Decision> decide(const CheckedRulebook& checked, const BreachTable& breaches, const DecideOptions& options) {
  breaches.validate(checked);
  std::size_t n = breaches.size();
  // parties by first appearance (parties are independent, so any order of them gives the same
  // decisions), each in date order, then input order
  std::unordered_map<std::string_view, std::uint32_t> party_ids;
  std::vector<std::uint32_t> party(n);
  for (std::size_t i = 0; i < n; ++i)
    party[i] = party_ids.emplace(breaches.parties[i], static_cast<std::uint32_t>(party_ids.size())).first->second;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (party[a] != party[b]) return party[a] < party[b];
    if (breaches.dates[a] != breaches.dates[b]) return breaches.dates[a] < breaches.dates[b];
    return a < b;
  });
  std::vector<std::size_t> starts;  // first row of each party in `order`
  for (std::size_t k = 0; k < n; ++k)
    if (k == 0 || party[order[k]] != party[order[k - 1]]) starts.push_back(k);
  starts.push_back(n);
  std::vector<Decision> out(n);
  unsigned threads = options.threads > 0 ? static_cast<unsigned>(options.threads)
                                         : std::max(1u, std::thread::hardware_concurrency());
  std::size_t parties = starts.size() - 1;
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(parties, 1)));
  auto work = [&](std::size_t first, std::size_t last) {
    Decider d(checked, breaches);
    for (std::size_t g = first; g < last; ++g) d.party(order.data() + starts[g], starts[g + 1] - starts[g], out);
  };
  if (threads <= 1) {
    work(0, parties);
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back(work, parties * t / threads, parties * (t + 1) / threads);
    for (auto& th : pool) th.join();
  }
  return out;
}

std::string format_measures(const CheckedRulebook& checked, const Decision& decision) {
  std::string out;
  for (const ImposedMeasure& m : decision.measures) {
    const SanctionDef& def = checked.penalties.sanctions[m.sanction];
    if (!out.empty()) out += "; ";
    if (m.escalation) out += '!';
    out += def.name;
    if (m.has_amount) out += fmt::format(" {}", range_text(def.unit, m.low, m.high));
  }
  return out;
}

std::string measure_basis(const CheckedRulebook& checked, std::int32_t penalty, const ImposedMeasure& measure) {
  const auto& P = checked.penalties;
  const auto p = static_cast<std::size_t>(penalty);
  std::vector<std::string_view> bases;  // each entry once, compared whole
  for (std::int32_t item : measure.items) {
    const std::string& b = P.item_basis[p][static_cast<std::size_t>(item)];
    std::string_view use = b.empty() ? P.basis[p] : b;
    if (!use.empty() && std::find(bases.begin(), bases.end(), use) == bases.end()) bases.push_back(use);
  }
  std::string basis;
  for (std::string_view b : bases) {
    if (!basis.empty()) basis += "; ";
    basis += b;
  }
  return basis;
}

const char* unit_name(TypeKind unit) {
  return unit == TypeKind::money ? "yuan" : unit == TypeKind::days ? "days" : "months";
}

std::string explain_decision(const CheckedRulebook& checked, const BreachTable& breaches, std::size_t row,
                             const Decision& d) {
  const auto& rb = *checked.ast;
  const auto& p = rb.penalties[breaches.penalties[row]];
  const auto& P = checked.penalties;
  std::string out = fmt::format("breach {} (party {}, {}): penalty {}{}\n", breaches.ids[row], breaches.parties[row],
                                date::format(breaches.dates[row]), p.name.text,
                                p.label.empty() ? "" : fmt::format(" \"{}\"", p.label));
  if (!P.basis[breaches.penalties[row]].empty()) out += fmt::format("  basis: {}\n", P.basis[breaches.penalties[row]]);
  if (!d.error.empty()) return out + fmt::format("  error: {}\n", d.error);
  std::size_t pi = static_cast<std::size_t>(breaches.penalties[row]);
  if (d.level_item >= 0) {
    const auto& item = p.items[d.level_item];
    out += fmt::format("  level: {} ({}) because {}", kLevels[d.level], kLevelLabels[d.level],
                       item.when ? print(*item.when) : "always");
    if (!P.item_basis[pi][d.level_item].empty()) out += fmt::format("; basis: {}", P.item_basis[pi][d.level_item]);
    out += '\n';
  } else {
    out += fmt::format("  level: {} ({}) (no level condition holds)\n", kLevels[d.level], kLevelLabels[d.level]);
  }
  if (d.measures.empty()) out += "  no measure\n";
  for (const ImposedMeasure& m : d.measures) {
    const SanctionDef& def = P.sanctions[m.sanction];
    out += fmt::format("  {}{} ({})", m.escalation ? "escalation: " : "", def.name, def.label);
    if (m.has_amount) {
      out += fmt::format(" {}", range_text(def.unit, m.low, m.high));
      if (m.low != m.statutory_low || m.high != m.statutory_high)
        out += fmt::format(" (statutory {})", range_text(def.unit, m.statutory_low, m.statutory_high));
    }
    out += '\n';
    for (std::int32_t i : m.items) {
      const auto& item = p.items[i];
      out += fmt::format("    rule: {}", item.when ? fmt::format("when {}", print(*item.when)) : item.otherwise ? "otherwise" : "always");
      const std::string& basis = !P.item_basis[pi][i].empty() ? P.item_basis[pi][i] : P.basis[pi];
      if (!basis.empty()) out += fmt::format("; basis: {}", basis);
      out += '\n';
    }
    if (!def.basis.empty()) out += fmt::format("    catalogue: {}\n", def.basis);
  }
  return out;
}

}  // namespace gradus
