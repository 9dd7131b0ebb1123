#include "gradus/core/date.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace gradus::date {

// Howard Hinnant's days_from_civil / civil_from_days.
std::int64_t from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

static void to_civil(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

std::int64_t year_of(std::int64_t days) {
  std::int64_t y;
  unsigned m, d;
  to_civil(days, y, m, d);
  return y;
}

static unsigned month_length(std::int64_t y, unsigned m) {
  static const unsigned len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : len[m - 1];
}

std::optional<std::int64_t> parse(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  auto num = [&](std::size_t b, std::size_t n) -> int {
    int v = 0;
    for (std::size_t i = b; i < b + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (y < 1 || m < 1 || m > 12 || d < 1) return std::nullopt;
  if (static_cast<unsigned>(d) > month_length(y, static_cast<unsigned>(m))) return std::nullopt;
  return from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::string format(std::int64_t days) {
  std::int64_t y;
  unsigned m, d;
  to_civil(days, y, m, d);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

std::int64_t add_months(std::int64_t days, std::int64_t months) {
  std::int64_t y;
  unsigned m, d;
  to_civil(days, y, m, d);
  std::int64_t total = y * 12 + (m - 1) + months;
  std::int64_t ny = total >= 0 ? total / 12 : (total - 11) / 12;
  unsigned nm = static_cast<unsigned>(total - ny * 12) + 1;
  unsigned nd = std::min(d, month_length(ny, nm));
  return from_civil(ny, nm, nd);
}

}  // namespace gradus::date
