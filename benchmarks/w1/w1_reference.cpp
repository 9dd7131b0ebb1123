#include "w1_reference.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace gradus::w1 {

namespace {

// Units: 1/40 point. A record contributes value x decay, with decay counted in
// quarters (4, 2, 1, 0), so value = points x weight-in-tenths for violations
// and 10 x points for the other kinds.
constexpr std::int32_t kUnitsPerPoint = 40;
constexpr std::int32_t kStart = 100 * kUnitsPerPoint;
constexpr std::int32_t kBonusCap = 10 * kUnitsPerPoint;
constexpr std::int32_t kMaxScore = 110 * kUnitsPerPoint;
constexpr std::int32_t kTierA = 90 * kUnitsPerPoint;
constexpr std::int32_t kTierB = 75 * kUnitsPerPoint;
constexpr std::int32_t kTierC = 60 * kUnitsPerPoint;
constexpr std::int64_t kMillionthsPerUnit = 1'000'000 / kUnitsPerPoint;
constexpr std::uint8_t kTierCIndex = 2, kTierDIndex = 3;

constexpr std::array<std::int32_t, 5> kPoints{0, 2, 5, 12, 25};                  // by severity
constexpr std::array<std::int32_t, kSectorCount> kWeightTenths{15, 12, 10, 12, 12,  // sector order
                                                               15, 10, 10, 10, 10};

// A record's whole effect is one 64-bit word of four counters, so a subject
// is one sum of table entries:
//   bits  0..31  deduction units      bits 48..55  grave violations in force
//   bits 32..47  bonus units          bits 56..63  court enforcements within a year
// The table is indexed by (sector, kind x 5 + severity, decay in quarters).
// The counters cannot carry into each other while a subject has at most
// kPackedMaxRecords records (255 x 1500 < 2^32, 255 x 200 < 2^16, 255 < 2^8);
// subjects with more take a plain loop.
constexpr unsigned kKeys = kKindCount * 5;  // kind x 5 + severity
constexpr unsigned kDecays = 5;             // decay in quarters: 0, 1, 2, (3 unused), 4
constexpr std::int64_t kPackedMaxRecords = 255;
constexpr int kBonusShift = 32, kGraveShift = 48, kCourtShift = 56;

using Packed = std::array<std::uint64_t, kKeys * kDecays>;

struct Effect {
  std::int32_t deduct = 0, bonus = 0;  // units at full weight (decay 4 quarters = 1)
  bool grave = false, court = false;
};

constexpr Effect effect(std::size_t sector, unsigned key) {
  Effect e;
  const unsigned kind = key / 5, severity = key % 5;
  if (kind == kViolation && severity >= 1) {
    e.deduct = kPoints[severity] * kWeightTenths[sector];
    e.grave = severity == 4;
  }
  if (kind == kCommitmentBreach) e.deduct = 8 * 10;
  if (kind == kCourtEnforcement) {
    e.deduct = 15 * 10;
    e.court = true;
  }
  if (kind == kAward) e.bonus = 3 * 10;
  if (kind == kCertification) e.bonus = 5 * 10;
  return e;
}

constexpr std::array<Packed, kSectorCount> make_packed() {
  std::array<Packed, kSectorCount> t{};
  for (std::size_t s = 0; s < kSectorCount; ++s) {
    for (unsigned key = 0; key < kKeys; ++key) {
      const Effect e = effect(s, key);
      for (unsigned d = 0; d < kDecays; ++d) {
        t[s][key * kDecays + d] =
            static_cast<std::uint64_t>(e.deduct * d) |
            static_cast<std::uint64_t>(e.bonus * d) << kBonusShift |
            static_cast<std::uint64_t>(e.grave && d > 0) << kGraveShift |  // age < 1095
            static_cast<std::uint64_t>(e.court && d == 4) << kCourtShift;   // age < 365
      }
    }
  }
  return t;
}

constexpr std::array<Packed, kSectorCount> kPacked = make_packed();

inline unsigned decay_quarters(unsigned age) {
  return 2 * (age < 365) + (age < 730) + (age < 1095);
}

/// Score (units), tier of a subject from its totals.
inline void finish(std::int64_t deductions, std::int64_t bonus, bool grave, bool court,
                   std::int64_t& score_out, std::uint8_t& tier_out, std::int32_t& ratio_out) {
  const std::int64_t s = std::clamp<std::int64_t>(
      kStart - deductions + std::min<std::int64_t>(bonus, kBonusCap), 0, kMaxScore);
  std::uint8_t t = s >= kTierA ? 0 : s >= kTierB ? 1 : s >= kTierC ? 2 : 3;
  if (court) t = std::max(t, kTierCIndex);
  if (grave) t = kTierDIndex;
  score_out = s * kMillionthsPerUnit;
  tier_out = t;
  ratio_out = kTierRatio[t];
}

}  // namespace

void score(const Data& data, Scores& out) {
  const std::size_t n = data.subject_count();
  out.score.resize(n);
  out.tier.resize(n);
  out.ratio.resize(n);

  const std::uint8_t* const sector = data.sector.data();
  const std::int64_t* const offsets = data.record_offsets.data();
  const std::uint8_t* const kind = data.kind.data();
  const std::uint8_t* const severity = data.severity.data();
  const std::uint16_t* const age = data.age_days.data();
  std::int64_t* const score_out = out.score.data();
  std::uint8_t* const tier_out = out.tier.data();
  std::int32_t* const ratio_out = out.ratio.data();

  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t begin = offsets[i], end = offsets[i + 1];
    const std::uint64_t* const table = kPacked[sector[i]].data();
    if (end - begin <= kPackedMaxRecords) [[likely]] {
      std::uint64_t sum = 0;
      for (std::int64_t r = begin; r < end; ++r) {
        const unsigned key = kind[r] * 5u + severity[r];
        sum += table[key * kDecays + decay_quarters(age[r])];
      }
      finish(static_cast<std::int64_t>(sum & 0xFFFF'FFFF),
             static_cast<std::int64_t>(sum >> kBonusShift & 0xFFFF),
             (sum >> kGraveShift & 0xFF) != 0, (sum >> kCourtShift) != 0, score_out[i],
             tier_out[i], ratio_out[i]);
    } else {
      std::int64_t deductions = 0, bonus = 0;
      bool grave = false, court = false;
      for (std::int64_t r = begin; r < end; ++r) {
        const Effect e = effect(sector[i], kind[r] * 5u + severity[r]);
        const unsigned d = decay_quarters(age[r]);
        deductions += std::int64_t{e.deduct} * d;
        bonus += std::int64_t{e.bonus} * d;
        grave |= e.grave && d > 0;
        court |= e.court && d == 4;
      }
      finish(deductions, bonus, grave, court, score_out[i], tier_out[i], ratio_out[i]);
    }
  }
}

Scores score(const Data& data) {
  Scores out;
  score(data, out);
  return out;
}

std::array<std::uint64_t, kTierCount> Check::tier_totals() const {
  std::array<std::uint64_t, kTierCount> totals{};
  for (const auto& row : counts) {
    for (std::size_t t = 0; t < kTierCount; ++t) totals[t] += row[t];
  }
  return totals;
}

Check check(const Data& data, const Scores& scores) {
  Check c;
  const std::size_t n = data.subject_count();
  for (std::size_t i = 0; i < n; ++i) {
    ++c.counts[data.sector[i]][scores.tier[i]];
    c.score_sum += scores.score[i];
  }
  return c;
}

std::string format_decimal(std::int64_t v) {
  std::string text = format_fixed6(v);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string format_fixed6(std::int64_t v) {
  const bool negative = v < 0;
  const std::uint64_t m =
      negative ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s%llu.%06llu", negative ? "-" : "",
                static_cast<unsigned long long>(m / 1'000'000),
                static_cast<unsigned long long>(m % 1'000'000));
  return buf;
}

std::string format_check(const Check& c) {
  std::array<std::size_t, kSectorCount> order{};
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [](std::size_t a, std::size_t b) { return kSectorNames[a] < kSectorNames[b]; });

  std::string text;
  char line[160];
  auto row = [&](std::string_view name, const std::array<std::uint64_t, kTierCount>& v) {
    std::snprintf(line, sizeof line, "%-14.*s %10llu %10llu %10llu %10llu\n",
                  static_cast<int>(name.size()), name.data(),
                  static_cast<unsigned long long>(v[0]), static_cast<unsigned long long>(v[1]),
                  static_cast<unsigned long long>(v[2]), static_cast<unsigned long long>(v[3]));
    text += line;
  };
  std::snprintf(line, sizeof line, "%-14s %10s %10s %10s %10s\n", "sector", "A", "B", "C", "D");
  text += line;
  for (std::size_t s : order) row(kSectorNames[s], c.counts[s]);
  row("total", c.tier_totals());
  text += "score_sum=" + format_fixed6(c.score_sum) + "\n";
  return text;
}

}  // namespace gradus::w1
