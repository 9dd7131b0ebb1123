#include "gradus/core/decimal.hpp"

#include <cstdlib>

namespace gradus::decimal {

std::optional<std::int64_t> parse(std::string_view t) {
  bool neg = false;
  std::size_t i = 0;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) neg = t[i++] == '-';
  if (i >= t.size()) return std::nullopt;
  uint128 whole = 0;
  bool digits = false;
  for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) {
    whole = whole * 10 + static_cast<unsigned>(t[i] - '0');
    if (whole > (static_cast<uint128>(1) << 64)) return std::nullopt;
    digits = true;
  }
  std::int64_t frac = 0;
  int nfrac = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) {
      if (nfrac == kDigits) {
        if (t[i] != '0') return std::nullopt;  // more precision than kept
        continue;
      }
      frac = frac * 10 + (t[i] - '0');
      ++nfrac;
      digits = true;
    }
  }
  if (!digits || i != t.size()) return std::nullopt;
  for (int k = nfrac; k < kDigits; ++k) frac *= 10;
  uint128 mag = whole * kScale + static_cast<unsigned>(frac);
  uint128 limit = neg ? static_cast<uint128>(INT64_MAX) + 1 : INT64_MAX;
  if (mag > limit) return std::nullopt;
  return neg ? static_cast<std::int64_t>(-static_cast<int128>(mag)) : static_cast<std::int64_t>(mag);
}

std::string format_fixed(std::int64_t v, int digits) {
  if (digits < 0) digits = 0;
  if (digits > kDigits) digits = kDigits;
  int128 w = v;
  bool neg = w < 0;
  uint128 mag = static_cast<uint128>(neg ? -w : w);
  uint128 unit = 1;
  for (int k = digits; k < kDigits; ++k) unit *= 10;
  mag = (mag + unit / 2) / unit;  // half away from zero
  uint128 den = 1;
  for (int k = 0; k < digits; ++k) den *= 10;
  unsigned long long ip = static_cast<unsigned long long>(mag / den);
  unsigned long long fp = static_cast<unsigned long long>(mag % den);
  std::string out = (neg && mag != 0) ? "-" : "";
  out += std::to_string(ip);
  if (digits > 0) {
    std::string f = std::to_string(fp);
    out += '.';
    out.append(static_cast<std::size_t>(digits) - f.size(), '0');
    out += f;
  }
  return out;
}

std::string format(std::int64_t v) {
  std::string s = format_fixed(v, kDigits);
  std::size_t dot = s.find('.');
  std::size_t end = s.find_last_not_of('0');
  if (end == dot) end = dot - 1;
  s.resize(end + 1);
  return s;
}

}  // namespace gradus::decimal
