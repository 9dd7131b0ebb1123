// Calendar dates as days since 1970-01-01 (proleptic Gregorian), the runtime
// representation of the `date` type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gradus::date {

/// Days since 1970-01-01 of a valid y-m-d.
std::int64_t from_civil(std::int64_t y, unsigned m, unsigned d);
/// Parses exactly YYYY-MM-DD (years 0001..9999); nullopt when malformed or not a real day.
std::optional<std::int64_t> parse(std::string_view text);
/// YYYY-MM-DD.
std::string format(std::int64_t days);
/// The calendar year of a day.
std::int64_t year_of(std::int64_t days);
/// Adds whole calendar months; the day is clamped to the month's length (Jan 31 + 1 month = Feb 28/29).
std::int64_t add_months(std::int64_t days, std::int64_t months);

}  // namespace gradus::date
