#include "common/base32.h"

#include "gtest/gtest.h"

namespace ldgs {
namespace {

TEST(Base32Test, MatchesRfc4648Vectors) {
  EXPECT_EQ(Base32Encode(""), "");
  EXPECT_EQ(Base32Encode("f"), "MY");
  EXPECT_EQ(Base32Encode("fo"), "MZXQ");
  EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");
}

TEST(Base32Test, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(Base32Decode(Base32Encode(bytes)), bytes) << "length " << i;
    bytes.push_back(static_cast<char>(i * 37 + 11));
  }
}

TEST(Base32Test, RejectsForeignAndNonCanonicalText) {
  EXPECT_FALSE(Base32Decode("MZXQ=").has_value());
  EXPECT_FALSE(Base32Decode("mzxq").has_value());
  EXPECT_FALSE(Base32Decode("MZ1Q").has_value());
  // "MZ" is "f"; "M3" decodes to the same byte with non-zero padding bits.
  EXPECT_FALSE(Base32Decode("M3").has_value());
  EXPECT_FALSE(Base32Decode("M").has_value());
}

}  // namespace
}  // namespace ldgs
