// The hand-written W1 scorer: the baseline the gradus engine is measured
// against, written as a peer without a rule engine would write it (plain
// arrays, one tight scalar loop, exact integer arithmetic).
//
// W1 rules (the workload specification):
//   decay(age)  1 if age < 365; 0.5 if < 730; 0.25 if < 1095; else 0
//   violation   deducts points[severity] x sector_weight x decay,
//               points = {1: 2, 2: 5, 3: 12, 4: 25}
//   weight      food_drug, medical 1.5; construction, work_safety, fire_safety 1.2; else 1.0
//   commitment_breach deducts 8 x decay; court_enforcement 15 x decay
//   award adds 3 x decay, certification 5 x decay; these bonuses together at most 10
//   score       clamp(100 - deductions + bonus, 0, 110)
//   tier        A >= 90, B >= 75, C >= 60, else D
//   overrides   a grave (4) violation aged < 1095 forces D; a court_enforcement
//               aged < 365 caps the tier at C
//   ratio       inspection sampling by final tier: A 0.02, B 0.05, C 0.15, D 1
//
// Every score is a whole number of 1/40 points (weights are tenths, decay is
// quarters), so the scorer counts in 1/40 points and is exact: a score that
// lands on 90 is 90, never 89.99999999999999.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "w1_data.hpp"

namespace gradus::w1 {

/// Per subject results, parallel to the subjects of the scored Data.
struct Scores {
  std::vector<std::int64_t> score;  // millionths of a point (90.025 -> 90'025'000)
  std::vector<std::uint8_t> tier;   // final tier, index into kTierNames (0 = A .. 3 = D)
  std::vector<std::int32_t> ratio;  // sampling ratio of the final tier, millionths (0.02 -> 20'000)

  std::size_t size() const { return score.size(); }
};

/// Sampling ratio by tier, millionths.
inline constexpr std::array<std::int32_t, kTierCount> kTierRatio{20'000, 50'000, 150'000,
                                                                 1'000'000};

/// Scores every subject of `data` into `out` (resized to fit; reusing `out`
/// avoids reallocation). Single-threaded; pure function of `data`.
/// Expects codes in range (sector < 10, kind < 5, severity 0..4), as
/// generate() and the W1 loaders produce them.
void score(const Data& data, Scores& out);
/// The same, into fresh vectors.
Scores score(const Data& data);

/// The W1 check: subjects per (sector, tier) and the exact score sum.
struct Check {
  std::array<std::array<std::uint64_t, kTierCount>, kSectorCount> counts{};  // [sector][tier]
  std::int64_t score_sum = 0;  // millionths

  std::array<std::uint64_t, kTierCount> tier_totals() const;
  friend bool operator==(const Check&, const Check&) = default;
};

/// The check of `scores` (computed from `data` by score()).
Check check(const Data& data, const Scores& scores);

/// Text of a check: a table with one row per sector (sorted by name) and a
/// total row, columns A B C D, then `score_sum=<sum with 6 decimals>`.
std::string format_check(const Check& check);

/// Exact shortest decimal text of a value in millionths: 90, 87.5, 0.025, -1.2.
std::string format_decimal(std::int64_t millionths);
/// Exactly six decimals: 90501067.675000.
std::string format_fixed6(std::int64_t millionths);

}  // namespace gradus::w1
