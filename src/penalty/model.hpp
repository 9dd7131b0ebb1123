// The penalty model shared by decide() and prove(): exact values, the input
// dimensions of a penalty rule, boxes of inputs, and one evaluator.
//
// A penalty rule reads dimensions: its breach inputs, its history atoms
// (prior(...), after_ban(...)) and, for a date input used with `within`, the
// whole calendar months from that date to the breach date. A Box gives each
// dimension a set of values: a bitmask for finite ones (bool, enum, scale),
// an interval of steps for numeric ones. decide() evaluates a box of single
// points; prove() evaluates boxes of regions, and the evaluator splits a box
// (throws Split) wherever a condition of the rule is not constant on it, so
// that within each final box every condition is decided and every amount is
// an affine function of the numeric dimensions.
//
// Numbers are exact rationals (int128): amounts are rounded only when a
// decision is reported.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradus/check/checker.hpp"
#include "gradus/core/decimal.hpp"

namespace gradus::penalty {

using i128 = decimal::int128;

/// An exact rational n/d, d > 0, in lowest terms. Arithmetic throws
/// Overflow when a result leaves 2^100 in magnitude.
struct Q {
  i128 n = 0, d = 1;
  static Q of(std::int64_t v) { return {v, 1}; }
  static Q millionths(std::int64_t v);
};
struct Overflow {};
Q operator+(Q a, Q b);
Q operator-(Q a, Q b);
Q operator*(Q a, Q b);
Q operator/(Q a, Q b);
Q operator-(Q a);
int cmp(Q a, Q b);
inline bool operator==(Q a, Q b) { return cmp(a, b) == 0; }
inline bool operator<(Q a, Q b) { return cmp(a, b) < 0; }
inline bool operator<=(Q a, Q b) { return cmp(a, b) <= 0; }
/// Rounded to millionths, half away from zero (throws Overflow beyond int64).
std::int64_t to_millionths(Q q);
i128 floor_div(Q q);  // floor(n/d)
i128 ceil_div(Q q);   // ceil(n/d)
std::string format(Q q);  // exact decimal when it has at most 6 decimals, else a rounded one

/// c + sum(coef[i] x dim[i]) over numeric dimensions.
struct Affine {
  Q c;
  std::vector<std::pair<std::int32_t, Q>> terms;  // sorted by dimension, no zero coefficients
  bool constant() const { return terms.empty(); }
  Q coef(std::int32_t dim) const;
};
Affine operator+(const Affine& a, const Affine& b);
Affine operator-(const Affine& a, const Affine& b);
Affine scale(const Affine& a, Q k);

/// What a dimension is.
struct Dim {
  enum class Kind { input, prior, after_ban, months_since } kind = Kind::input;
  std::int32_t field = -1;        // input / months_since: the breach field
  const ast::Expr* expr = nullptr;  // prior / after_ban: the call
  bool finite = false;            // bool, enum or scale
  std::int32_t values = 0;        // finite: how many values (codes 0..values-1)
  Q step;                         // numeric: the distance between neighbouring values (real units)
  std::int64_t min = 0;           // numeric: the least value, in steps
  std::int64_t max = 0;           // numeric: the greatest value, in steps (what int64 data can hold)
  int order = 0;                  // +1 larger is more serious, -1 less serious, 0 unordered
  std::string name;               // for messages
};

/// The values a box allows in one dimension.
struct Range {
  std::uint64_t mask = 0;      // finite
  std::int64_t lo = 0, hi = 0;  // numeric, in steps; lo_inf / hi_inf: unbounded
  bool lo_inf = false, hi_inf = false;
  bool single() const;
};
using Box = std::vector<Range>;

/// The dimensions a penalty rule reads (every rule's, for a rulebook).
struct Model {
  const CheckedRulebook* checked = nullptr;
  std::vector<Dim> dims;
  std::vector<std::int32_t> field_dim;    // breach field -> dimension, -1 when no rule reads it
  std::vector<std::int32_t> months_dim;   // breach field -> its months_since dimension, or -1
  std::vector<std::int32_t> call_dim;     // Expr::id -> dimension of a history call, or -1

  explicit Model(const CheckedRulebook& c);
  /// The dimensions penalty `p` reads.
  std::vector<std::int32_t> dims_of(std::int32_t p) const;
  Box full_box() const;
};

/// Thrown by evaluate() when a condition is not constant on the box.
struct Split {
  std::int32_t dim;
  std::vector<Range> parts;  // the dimension's range cut so that the condition is constant on each
};

/// Thrown when the rule uses a construct the prover cannot decide on a region.
struct Unsupported {
  Span span;
  std::string why;
};

/// Thrown when two alternative lines of one measure apply together (E0704): the two items.
struct DoubleImposed {
  std::int32_t a, b;
};

/// Thrown when a breach cannot be decided (an error of its data, e.g. a division by zero).
struct Failure {
  Span span;
  std::string why;
};

struct Measure {
  std::int32_t sanction = -1;
  bool has_amount = false;
  Affine low, high;                  // after discretion
  Affine statutory_low, statutory_high;
  bool escalation = false;
  std::vector<std::int32_t> items;
};

struct Outcome {
  std::int32_t level = kLevelGeneral;
  std::int32_t level_item = -1;
  std::vector<Measure> measures;  // by sanction index
  const Measure* find(std::int32_t sanction) const;
};

/// Evaluates penalty `p` on `box`. With `forced_level` the level items are
/// skipped. Throws Split, Unsupported or Failure.
Outcome evaluate(const Model& m, std::int32_t p, const Box& box, std::optional<std::int32_t> forced_level = {});

/// The runtime value of a numeric dimension for a value in steps.
Q dim_value(const Dim& d, std::int64_t steps);

}  // namespace gradus::penalty
