// Text of penalty outcomes, shared by decisions, explanations and proofs.
#pragma once

#include <string>

#include "gradus/penalty/penalty.hpp"
#include "model.hpp"

namespace gradus::penalty {

/// `5000` (money), `15 days`, `24 months`: an amount in its unit's runtime representation.
std::string amount_text(TypeKind unit, std::int64_t raw);

/// The runtime representation of an exact amount (money and days: millionths; periods: months).
std::int64_t amount_raw(TypeKind unit, Q q);

/// `5000..50000`, `12..24 months`, or one amount when both ends are equal.
std::string range_text(TypeKind unit, std::int64_t lo, std::int64_t hi);

/// The decision of an outcome evaluated at a point: amounts rounded to their runtime representation.
Decision to_decision(const CheckedRulebook& c, const Outcome& o);

/// `fine 5000..50000; warning; !closure_order` for an outcome evaluated at a point.
std::string describe(const CheckedRulebook& c, const Outcome& o);

}  // namespace gradus::penalty
