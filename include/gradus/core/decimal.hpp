// Fixed-point decimal arithmetic: the one numeric representation of gradus.
//
// Every number that can decide a tier or a penalty (integers, decimals, money,
// durations in days) is an int64 count of millionths: 1.5 is 1'500'000. Sums
// and differences are exact; a product or quotient is rounded once to 6
// decimals, half away from zero, so it is exact whenever the true result has
// at most 6 decimals (as scores built from 3-decimal weights always do). The
// same rulebook and data therefore give the same bits whatever the summation
// order or thread count, and a score of exactly 90 is never 89.99999999.
//
// Range: +-9'223'372'036'854.775807. An operation whose exact result leaves
// that range reports overflow instead of wrapping.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gradus::decimal {

__extension__ typedef __int128 int128;            // exact intermediate products
__extension__ typedef unsigned __int128 uint128;

inline constexpr std::int64_t kScale = 1'000'000;  // units per 1
inline constexpr int kDigits = 6;                  // decimals kept

/// Rounded a*b/kScale; false on overflow.
inline bool mul(std::int64_t a, std::int64_t b, std::int64_t& out) {
  std::int64_t p;
  if (!__builtin_mul_overflow(a, b, &p)) [[likely]] {
    const std::int64_t q = p / kScale, r = p % kScale;
    // half away from zero, without branches: the remainder's sign follows p's
    out = q + static_cast<std::int64_t>(r >= kScale / 2) - static_cast<std::int64_t>(r <= -kScale / 2);
    return true;
  }
  int128 w = static_cast<int128>(a) * b;
  int128 q = w / kScale, r = w % kScale;
  if (r >= kScale / 2) ++q;
  else if (r <= -kScale / 2) --q;
  if (q > INT64_MAX || q < INT64_MIN) return false;
  out = static_cast<std::int64_t>(q);
  return true;
}

/// Rounded a*kScale/b; false on overflow or when b is zero.
inline bool div(std::int64_t a, std::int64_t b, std::int64_t& out) {
  if (b == 0) return false;
  int128 n = static_cast<int128>(a) * kScale;
  int128 q = n / b, r = n % b;
  // round half away from zero: compare 2|r| with |b|
  int128 r2 = r < 0 ? -2 * r : 2 * r;
  int128 bb = b < 0 ? -static_cast<int128>(b) : b;
  if (r2 >= bb) q += ((n < 0) != (b < 0)) ? -1 : 1;
  if (q > INT64_MAX || q < INT64_MIN) return false;
  out = static_cast<std::int64_t>(q);
  return true;
}

inline bool add(std::int64_t a, std::int64_t b, std::int64_t& out) {
  return !__builtin_add_overflow(a, b, &out);
}
inline bool sub(std::int64_t a, std::int64_t b, std::int64_t& out) {
  return !__builtin_sub_overflow(a, b, &out);
}

/// The nearest whole number (unscaled), halves away from zero: 10.5 -> 11.
inline std::int64_t round_whole(std::int64_t v) {
  const std::int64_t q = v / kScale, r = v % kScale;
  return q + static_cast<std::int64_t>(r >= kScale / 2) - static_cast<std::int64_t>(r <= -kScale / 2);
}

/// Scales a whole number; false on overflow.
inline bool from_int(std::int64_t v, std::int64_t& out) {
  return !__builtin_mul_overflow(v, kScale, &out);
}

/// Parses "-12", "3.25", "1e3" is not accepted. More than 6 decimals, an
/// empty string or a value out of range gives nullopt.
std::optional<std::int64_t> parse(std::string_view text);

/// Shortest exact text: 90, 87.5, -0.025.
std::string format(std::int64_t v);
/// Exactly `digits` decimals (0..6), rounded half away from zero.
std::string format_fixed(std::int64_t v, int digits);

}  // namespace gradus::decimal
