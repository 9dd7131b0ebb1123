#include "text.hpp"

#include <fmt/format.h>

#include "gradus/core/decimal.hpp"

namespace gradus::penalty {

std::string amount_text(TypeKind unit, std::int64_t raw) {
  switch (unit) {
    case TypeKind::period: return fmt::format("{} months", raw);
    case TypeKind::days: return fmt::format("{} days", decimal::format(raw));
    default: return decimal::format(raw);
  }
}

std::int64_t amount_raw(TypeKind unit, Q q) {
  if (unit == TypeKind::period) return decimal::round_whole(to_millionths(q));
  return to_millionths(q);
}

std::string range_text(TypeKind unit, std::int64_t lo, std::int64_t hi) {
  if (lo == hi) return amount_text(unit, lo);
  std::string a = amount_text(unit, lo), b = amount_text(unit, hi);
  // `12..24 months`, `5..10 days`: the unit once
  if (unit == TypeKind::period || unit == TypeKind::days) a.resize(a.find(' '));
  return fmt::format("{}..{}", a, b);
}

std::string describe(const CheckedRulebook& c, const Outcome& o) {
  std::string out;
  for (const Measure& m : o.measures) {
    const SanctionDef& def = c.penalties.sanctions[m.sanction];
    if (!out.empty()) out += "; ";
    if (m.escalation) out += '!';
    out += def.name;
    if (m.has_amount)
      out += fmt::format(" {}", range_text(def.unit, amount_raw(def.unit, m.low.c), amount_raw(def.unit, m.high.c)));
  }
  return out.empty() ? "no measure" : out;
}

}  // namespace gradus::penalty
