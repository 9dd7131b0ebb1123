// Folding aggregations over small finite domains into tables. Private to the eval stage.
//
// Many aggregations read records only through values with few possibilities:
// the kind, enumeration and bool fields, numbers compared with constants or
// looked up in band tables (also after monotone maps with constants: age(date),
// year(date), k - x, x * k), and subject values of the same sort. In W1,
//
//   sum(points[severity] * weight * decay[age_days] over violation)
//
// depends on a record only through (kind, severity, the decay band of
// age_days) and on its subject only through the sector (weight is
// sector_weight[sector]): 5 x 4 x 4 x 10 = 800 combinations. Such an
// aggregation is folded: the plan's own instructions are run once over a small
// synthetic table holding one record per combination, which gives what a
// record of each combination adds (0 when the aggregation does not select
// it). Evaluation then computes one key per record and sums table entries:
// one gather and one add per record instead of an instruction per operation.
//
// Aggregations sharing one key space form a Fold. Their entries are packed as
// lanes of one or more 64-bit words: lane value (entry - low) / step, with
// enough bits that the lane sums of a subject with at most max_records records
// cannot carry into the next lane, and max_records * |entry| fits in int64 so
// no such sum can overflow. A chunk's prefix sums of the packed words then give
// every subject's sums by one subtraction per subject (modular arithmetic
// makes the difference exact). Subjects with more records add their entries
// one by one in 128 bits and fail on overflow exactly as agg_sum does.
//
// A number's code is the count of thresholds it reaches: the values where a
// comparison's outcome changes, found for a mapped number by binary search
// over the instructions' own arithmetic (each map is monotone), and where a
// map starts or stops failing (overflow, a date outside the calendar); the
// fold covers only the codes no map fails for.
//
// Results equal those of the plan's instructions bit for bit: the table
// entries are those instructions' own results, a fold is only made when no
// instruction feeding it fails for any combination it covers, and a chunk
// whose data holds a value outside a fold (a kind or enum code out of range, a
// number a map fails for) runs the plan's instructions instead, which report
// it as they always do.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "gradus/core/date.hpp"
#include "gradus/core/decimal.hpp"
#include "gradus/plan/plan.hpp"

namespace gradus::detail {

/// One input of a folded key: a code per subject or per record.
struct FoldFeature {
  Level level = Level::record;
  std::int32_t column = -1;              // field index; -1: the records' kind
  std::uint32_t size = 1;                // codes 0..size-1
  std::vector<std::int64_t> thresholds;  // empty: the value is the code; else the code is how many it reaches
                                         // (a number's feature always has some)
  std::uint32_t stride = 1;              // key += code * stride
  std::uint32_t first = 0, last = 0;     // codes the fold covers; a value with another runs the instructions
  std::int64_t lo = INT64_MIN, hi = INT64_MAX;  // numbers: the values those codes hold
};

/// One folded aggregation: a lane of the packed table.
struct FoldLane {
  Op op = Op::agg_sum;              // agg_sum, agg_count or agg_any
  std::int32_t dst = -1;            // subject register written
  std::int32_t word = 0;            // packed word holding the lane
  std::int32_t shift = 0;
  std::uint64_t mask = 0;
  std::int64_t low = 0;             // entry = low + step * lane value
  std::int64_t step = 1;
  std::vector<std::int64_t> entries;  // by key: what one record adds (for subjects over max_records)
};

/// Aggregations computed from one key space.
struct Fold {
  std::vector<FoldFeature> features;
  std::uint32_t keys = 1;               // product of the features' sizes
  std::int32_t words = 1;               // packed words per key
  std::vector<std::uint64_t> packed;    // keys * words
  std::int64_t max_records = 0;         // records per subject the packed lanes hold
  std::vector<FoldLane> lanes;
};

/// What a Runner executes: the plan's instructions, some aggregations read
/// from folds, and without what only those aggregations needed.
struct Program {
  struct Step {
    std::int32_t instr = -1;  // index into Plan::code (errors and spans refer to it)
    std::int32_t fold = -1;   // >= 0: the aggregation is lane `lane` of fold `fold`
    std::int32_t lane = -1;
  };
  std::vector<Step> steps;
  std::vector<Fold> folds;

  bool empty() const { return folds.empty(); }
};

/// Folds what can be folded of `plan` for an evaluation on `as_of` (dates
/// relative to it are constants then). Returns an empty program when nothing
/// can: the Runner then runs the plan's instructions.
Program fold(const Plan& plan, std::int64_t as_of);

/// The year_of instruction: the calendar year of a day as a whole number
/// (scaled); false for a day far outside the calendar (from date arithmetic).
inline bool year_value(std::int64_t days, std::int64_t& out) {
  constexpr std::int64_t kFar = 3'000'000'000'000;  // days: years within ±8e9
  return days >= -kFar && days <= kFar && decimal::from_int(date::year_of(days), out);
}

/// A band table as thresholds, ascending: a key's segment is how many of them
/// it reaches (key >= threshold).
std::vector<std::int64_t> band_thresholds(const PlanBandTable& t);

/// Calls f(std::integral_constant<std::size_t, n>{}) for a threshold count n
/// up to 8 (so loops over the thresholds unroll) and returns true; returns
/// false for more.
template <class F>
bool with_count(std::size_t n, F&& f) {
  switch (n) {
    case 0: f(std::integral_constant<std::size_t, 0>{}); return true;
    case 1: f(std::integral_constant<std::size_t, 1>{}); return true;
    case 2: f(std::integral_constant<std::size_t, 2>{}); return true;
    case 3: f(std::integral_constant<std::size_t, 3>{}); return true;
    case 4: f(std::integral_constant<std::size_t, 4>{}); return true;
    case 5: f(std::integral_constant<std::size_t, 5>{}); return true;
    case 6: f(std::integral_constant<std::size_t, 6>{}); return true;
    case 7: f(std::integral_constant<std::size_t, 7>{}); return true;
    case 8: f(std::integral_constant<std::size_t, 8>{}); return true;
    default: return false;
  }
}

/// How many of the thresholds t[0..N) x reaches.
template <std::size_t N>
[[gnu::always_inline]] inline std::uint32_t reached(const std::int64_t* t, std::int64_t x) {
  std::uint32_t k = 0;
  for (std::size_t j = 0; j < N; ++j) k += x >= t[j];
  return k;
}

/// Calls body(segment) once, where segment(x) is how many of the ascending
/// thresholds th[0..n) x reaches: a fixed number of comparisons for up to 8,
/// a binary search beyond.
template <class Body>
void with_segments(const std::int64_t* th, std::size_t n, Body&& body) {
  const bool fixed = with_count(n, [&](auto count) {
    constexpr std::size_t N = decltype(count)::value;
    std::int64_t t[N > 0 ? N : 1] = {};
    for (std::size_t j = 0; j < N; ++j) t[j] = th[j];
    body([&t](std::int64_t x) { return reached<N>(t, x); });
  });
  if (!fixed)
    body([th, n](std::int64_t x) { return static_cast<std::uint32_t>(std::upper_bound(th, th + n, x) - th); });
}

}  // namespace gradus::detail
