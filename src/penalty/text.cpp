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

Decision to_decision(const CheckedRulebook& c, const Outcome& o) {
  Decision d;
  d.level = o.level;
  d.level_item = o.level_item;
  for (const Measure& meas : o.measures) {
    const TypeKind unit = c.penalties.sanctions[meas.sanction].unit;
    ImposedMeasure im;
    im.sanction = meas.sanction;
    im.has_amount = meas.has_amount;
    im.escalation = meas.escalation;
    im.items = meas.items;
    if (meas.has_amount) {
      im.low = amount_raw(unit, meas.low.c);
      im.high = amount_raw(unit, meas.high.c);
      im.statutory_low = amount_raw(unit, meas.statutory_low.c);
      im.statutory_high = amount_raw(unit, meas.statutory_high.c);
    }
    d.measures.push_back(std::move(im));
  }
  return d;
}

std::string describe(const CheckedRulebook& c, const Outcome& o) {
  std::string out = format_measures(c, to_decision(c, o));
  return out.empty() ? "no measure" : out;
}

}  // namespace gradus::penalty
