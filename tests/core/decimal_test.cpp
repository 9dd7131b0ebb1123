#include "gradus/core/decimal.hpp"

#include <gtest/gtest.h>

#include "gradus/core/date.hpp"

namespace gradus {
namespace {

TEST(Decimal, ParsesAndFormatsExactly) {
  EXPECT_EQ(decimal::parse("1.5"), 1'500'000);
  EXPECT_EQ(decimal::parse("-0.025"), -25'000);
  EXPECT_EQ(decimal::parse("90"), 90'000'000);
  EXPECT_EQ(decimal::parse("0.000001"), 1);
  EXPECT_EQ(decimal::parse("1.1000000"), 1'100'000);  // trailing zeros beyond 6 decimals are exact
  EXPECT_FALSE(decimal::parse("0.0000001"));           // a seventh significant decimal is refused
  EXPECT_FALSE(decimal::parse(""));
  EXPECT_FALSE(decimal::parse("-"));
  EXPECT_FALSE(decimal::parse("1e3"));
  EXPECT_FALSE(decimal::parse(" 1"));
  EXPECT_FALSE(decimal::parse("nan"));
  EXPECT_FALSE(decimal::parse("9223372036855"));  // beyond the range
  EXPECT_EQ(decimal::parse("9223372036854.775807"), INT64_MAX);
  EXPECT_EQ(decimal::parse("-9223372036854.775808"), INT64_MIN);
  EXPECT_EQ(decimal::format(90'000'000), "90");
  EXPECT_EQ(decimal::format(87'500'000), "87.5");
  EXPECT_EQ(decimal::format(-25'000), "-0.025");
  EXPECT_EQ(decimal::format(0), "0");
  EXPECT_EQ(decimal::format_fixed(90'501'067'675'000, 6), "90501067.675000");
  EXPECT_EQ(decimal::format_fixed(1'250'000, 1), "1.3");   // half away from zero
  EXPECT_EQ(decimal::format_fixed(-1'250'000, 1), "-1.3");
  EXPECT_EQ(decimal::format_fixed(-400'000, 0), "0");       // no "-0"
}

TEST(Decimal, ProductsAreExactWithinSixDecimals) {
  std::int64_t r;
  ASSERT_TRUE(decimal::mul(25'000'000, 1'500'000, r));  // 25 * 1.5
  EXPECT_EQ(r, 37'500'000);
  ASSERT_TRUE(decimal::mul(37'500'000, 250'000, r));    // * 0.25
  EXPECT_EQ(r, 9'375'000);
  // 0.1 * 0.2 + 0.7 == 0.72 exactly, unlike binary floating point
  ASSERT_TRUE(decimal::mul(100'000, 200'000, r));
  EXPECT_EQ(r + 700'000, 720'000);
  // rounding half away from zero at the 7th decimal
  ASSERT_TRUE(decimal::mul(1, 500'000, r));  // 0.000001 * 0.5
  EXPECT_EQ(r, 1);
  ASSERT_TRUE(decimal::mul(-1, 500'000, r));
  EXPECT_EQ(r, -1);
  // the wide path: 1e9 yuan * 1000
  ASSERT_TRUE(decimal::mul(1'000'000'000'000'000, 1'000'000'000, r));
  EXPECT_EQ(r, 1'000'000'000'000'000'000);
  EXPECT_FALSE(decimal::mul(INT64_MAX, 2'000'000, r));
}

TEST(Decimal, QuotientsRoundAndRefuseZero) {
  std::int64_t r;
  ASSERT_TRUE(decimal::div(1'000'000, 3'000'000, r));
  EXPECT_EQ(r, 333'333);
  ASSERT_TRUE(decimal::div(2'000'000, 3'000'000, r));
  EXPECT_EQ(r, 666'667);
  ASSERT_TRUE(decimal::div(-2'000'000, 3'000'000, r));
  EXPECT_EQ(r, -666'667);
  EXPECT_FALSE(decimal::div(1, 0, r));
  EXPECT_FALSE(decimal::div(INT64_MAX, 1, r));  // the result leaves the range
}

TEST(Decimal, SumsDetectOverflow) {
  std::int64_t r;
  EXPECT_FALSE(decimal::add(INT64_MAX, 1, r));
  EXPECT_FALSE(decimal::sub(INT64_MIN, 1, r));
  ASSERT_TRUE(decimal::add(89'975'000, 25'000, r));
  EXPECT_EQ(r, 90'000'000);
}

TEST(Date, ParsesRealDaysOnly) {
  EXPECT_EQ(date::parse("1970-01-01"), 0);
  EXPECT_EQ(date::parse("2024-02-29"), date::from_civil(2024, 2, 29));
  EXPECT_FALSE(date::parse("2023-02-29"));
  EXPECT_FALSE(date::parse("2024-13-01"));
  EXPECT_FALSE(date::parse("2024-1-5"));
  EXPECT_FALSE(date::parse("0000-01-01"));
  EXPECT_EQ(date::format(*date::parse("2025-12-31")), "2025-12-31");
  EXPECT_EQ(*date::parse("2025-01-01") - *date::parse("2024-01-01"), 366);
}

TEST(Date, AddsCalendarMonthsClampingTheDay) {
  auto d = *date::parse("2024-01-31");
  EXPECT_EQ(date::format(date::add_months(d, 1)), "2024-02-29");
  EXPECT_EQ(date::format(date::add_months(d, -2)), "2023-11-30");
  EXPECT_EQ(date::format(date::add_months(*date::parse("2025-03-15"), -36)), "2022-03-15");
  EXPECT_EQ(date::format(date::add_months(*date::parse("2025-03-15"), 12)), "2026-03-15");
}

}  // namespace
}  // namespace gradus
