#include "common/text.h"

#include "gtest/gtest.h"

namespace ldgs {
namespace {

TEST(TruncateUtf8Test, CutsAtTheLimitBetweenCharacters) {
  EXPECT_EQ(TruncateUtf8("abcdef", 4), "abcd");
  EXPECT_EQ(TruncateUtf8("abc", 4), "abc");
  EXPECT_EQ(TruncateUtf8("", 0), "");
}

TEST(TruncateUtf8Test, BacksOffToTheStartOfACharacterItWouldCut) {
  // "a" then U+00FC (2 bytes) then U+20AC (3 bytes) then U+1F600 (4 bytes).
  const std::string text = "a\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80";
  EXPECT_EQ(TruncateUtf8(text, 2), "a");                      // inside the 2-byte one
  EXPECT_EQ(TruncateUtf8(text, 3), "a\xc3\xbc");              // just after it
  EXPECT_EQ(TruncateUtf8(text, 5), "a\xc3\xbc");              // inside the 3-byte one
  EXPECT_EQ(TruncateUtf8(text, 9), "a\xc3\xbc\xe2\x82\xac");  // inside the 4-byte one
  EXPECT_EQ(TruncateUtf8(text, 10), text);
  EXPECT_EQ(TruncateUtf8("\xf0\x9f\x98\x80", 3), "");
}

}  // namespace
}  // namespace ldgs
