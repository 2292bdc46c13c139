#include "record/kind.h"

#include "gtest/gtest.h"

namespace ldgs::record {
namespace {

TEST(KindTest, EveryKindHasANameABodyAndRoundTrips) {
  for (int k = v1::Kind_MIN; k <= v1::Kind_MAX; ++k) {
    const v1::Kind kind = static_cast<v1::Kind>(k);
    if (kind == v1::KIND_UNSPECIFIED) continue;
    const std::string_view name = KindName(kind);
    ASSERT_NE(name, "unknown") << v1::Kind_Name(kind);
    EXPECT_EQ(KindFromName(name), kind);
    v1::Record record;
    ASSERT_NE(MutableBody(&record, kind), nullptr) << name;
    EXPECT_EQ(KindOfBody(record), kind) << name;
  }
  EXPECT_EQ(KindFromName("king"), std::nullopt);
  EXPECT_EQ(KindName(static_cast<v1::Kind>(99)), "unknown");
  EXPECT_EQ(KindOfBody(v1::Record()), v1::KIND_UNSPECIFIED);
  v1::Record record;
  EXPECT_EQ(MutableBody(&record, v1::KIND_UNSPECIFIED), nullptr);
}

TEST(KindTest, MutableBodySelectsTheFieldOfTheKind) {
  v1::Record record;
  record.mutable_practice()->set_title("was a practice");
  auto* body = MutableBody(&record, v1::KIND_STORY);
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->GetDescriptor(), v1::Story::descriptor());
  EXPECT_EQ(record.body_case(), v1::Record::kStory);
  EXPECT_FALSE(record.has_practice());
}

TEST(KindTest, BodyOnlyKeepsTheBodyAndClearsEveryIdentityField) {
  v1::Record record;
  record.set_origin("o");
  record.set_id("i");
  record.set_version(3);
  record.set_kind(v1::KIND_PRACTICE);
  record.set_visibility(v1::VISIBILITY_PUBLIC);
  record.set_deleted(true);
  record.set_created_us(1);
  record.set_updated_us(2);
  record.mutable_story()->set_title("kept");
  v1::Record expected;
  expected.mutable_story()->set_title("kept");
  EXPECT_EQ(BodyOnly(record).SerializeAsString(), expected.SerializeAsString());
}

}  // namespace
}  // namespace ldgs::record
