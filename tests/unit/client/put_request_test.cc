#include "client/put_request.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ldgs::client {
namespace {

using ::testing::HasSubstr;

TEST(PutRequestTest, FlagsFillTheBodyOfTheKind) {
  PutFlags flags;
  flags.kind = "practice";
  flags.title = "By-name list";
  flags.strategies = {"co-design-with-community"};
  flags.visibility = "network";
  auto practice = BuildPutRequest(flags);
  ASSERT_TRUE(practice.ok()) << practice.status();
  EXPECT_EQ(practice->body().practice().title(), "By-name list");
  EXPECT_THAT(practice->body().practice().strategies(),
              ::testing::ElementsAre("co-design-with-community"));
  EXPECT_EQ(practice->visibility(), v1::VISIBILITY_NETWORK);

  PutFlags obs;
  obs.kind = "observation";
  obs.metric = "housed";
  obs.period = "2026-03";
  obs.value = 42;
  auto observation = BuildPutRequest(obs);
  ASSERT_TRUE(observation.ok()) << observation.status();
  EXPECT_EQ(observation->body().metric_observation().value(), 42);
  EXPECT_EQ(observation->body().metric_observation().metric(), "housed");
  EXPECT_EQ(observation->body().metric_observation().period(), "2026-03");
  EXPECT_EQ(observation->body().body_case(), v1::Record::kMetricObservation);
}

TEST(PutRequestTest, ImportLinesParseTheBodyOfTheirKind) {
  auto story = ParseImportLine(
      R"({"kind": "story", "visibility": "public", "id": "s1", "body": {"title": "Housed"}})");
  ASSERT_TRUE(story.ok()) << story.status();
  EXPECT_EQ(story->id(), "s1");
  EXPECT_EQ(story->body().story().title(), "Housed");
  EXPECT_EQ(story->visibility(), v1::VISIBILITY_PUBLIC);
  // Fields of another kind's body, unknown kinds and rollups are refused.
  EXPECT_TRUE(absl::IsInvalidArgument(
      ParseImportLine(R"({"kind": "story", "body": {"metric": "housed"}})").status()));
  auto unknown = ParseImportLine(R"({"kind": "king", "body": {}})");
  EXPECT_TRUE(absl::IsInvalidArgument(unknown.status()));
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("kind must be one of"));
  EXPECT_TRUE(
      absl::IsInvalidArgument(ParseImportLine(R"({"kind": "rollup", "body": {}})").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseImportLine("not json").status()));
}

}  // namespace
}  // namespace ldgs::client
