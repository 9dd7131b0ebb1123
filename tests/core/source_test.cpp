#include "gradus/core/source.hpp"

#include <gtest/gtest.h>

namespace gradus {
namespace {

TEST(Source, LocatesOffsetsByLineAndCodePoint) {
  Source s("x.gradus", "ab\n违法 x\r\nlast");
  EXPECT_EQ(s.line_count(), 3u);
  auto l = s.location(0);
  EXPECT_EQ(l.line, 1u);
  EXPECT_EQ(l.column, 1u);
  l = s.location(10);  // 'x' after two 3-byte characters and a space
  EXPECT_EQ(l.line, 2u);
  EXPECT_EQ(l.column, 4u);
  EXPECT_EQ(s.line_text(2), "违法 x");  // CR stripped
  EXPECT_EQ(s.line_text(3), "last");
  EXPECT_EQ(s.line_offset(3), 13u);
  EXPECT_EQ(s.slice({3, 9}), "违法");
  EXPECT_EQ(s.location(100).line, 3u);  // clamped to the end
}

TEST(Source, ValidatesUtf8) {
  EXPECT_EQ(find_invalid_utf8("plain 违法"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("ab\xff"), 2u);
  EXPECT_EQ(find_invalid_utf8("a\xe8\xbf"), 1u);          // truncated sequence
  EXPECT_EQ(find_invalid_utf8("\xc0\xaf"), 0u);           // overlong
  EXPECT_EQ(find_invalid_utf8("\xed\xa0\x80"), 0u);       // surrogate
}

TEST(Source, MeasuresDisplayWidth) {
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("违法"), 4u);
}

}  // namespace
}  // namespace gradus
