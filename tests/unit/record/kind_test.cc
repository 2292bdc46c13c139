#include "record/kind.h"

#include <iterator>

#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace ldgs::record {
namespace {

// Written out by hand: the table in kind.cc must agree with it row by row.
struct Expected {
  v1::Kind kind;
  const char* name;
  const google::protobuf::Descriptor* body;
};
const Expected kExpected[] = {
    {v1::KIND_PRACTICE, "practice", v1::Practice::descriptor()},
    {v1::KIND_METRIC_DEFINITION, "metric", v1::MetricDefinition::descriptor()},
    {v1::KIND_METRIC_OBSERVATION, "observation", v1::MetricObservation::descriptor()},
    {v1::KIND_STORY, "story", v1::Story::descriptor()},
    {v1::KIND_NODE_PROFILE, "profile", v1::NodeProfile::descriptor()},
    {v1::KIND_ROLLUP, "rollup", v1::Rollup::descriptor()},
    {v1::KIND_REVOCATION, "revocation", v1::Revocation::descriptor()},
};

TEST(KindTest, EachKindMapsToItsNameAndBodyMessage) {
  for (const Expected& e : kExpected) {
    EXPECT_EQ(KindName(e.kind), e.name);
    EXPECT_EQ(KindFromName(e.name), e.kind);
    v1::Record record;
    google::protobuf::Message* body = MutableBody(&record, e.kind);
    ASSERT_NE(body, nullptr) << e.name;
    EXPECT_EQ(body->GetDescriptor(), e.body) << e.name;
    EXPECT_EQ(KindOfBody(record), e.kind) << e.name;
  }
}

TEST(KindTest, EveryBodyFieldOfRecordHasAKind) {
  // A body added to record.proto without a row in the table is caught here.
  const google::protobuf::OneofDescriptor* oneof =
      v1::Record::descriptor()->FindOneofByName("body");
  ASSERT_NE(oneof, nullptr);
  EXPECT_EQ(static_cast<size_t>(oneof->field_count()), std::size(kExpected));
  for (int i = 0; i < oneof->field_count(); ++i) {
    v1::Record record;
    record.GetReflection()->MutableMessage(&record, oneof->field(i));
    EXPECT_NE(KindOfBody(record), v1::KIND_UNSPECIFIED) << oneof->field(i)->name();
  }
}

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
  record.GetReflection()->MutableUnknownFields(&record)->AddVarint(99, 7);
  v1::Record expected;
  expected.mutable_story()->set_title("kept");
  EXPECT_EQ(BodyOnly(record).SerializeAsString(), expected.SerializeAsString());
}

}  // namespace
}  // namespace ldgs::record
