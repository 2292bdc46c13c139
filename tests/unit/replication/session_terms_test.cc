#include "daemon/replication/session_terms.h"

#include "gtest/gtest.h"

namespace ldgs::daemon::replication {
namespace {

BatchLimits Limits(size_t records, size_t bytes) {
  BatchLimits limits;
  limits.max_records = records;
  limits.max_bytes = bytes;
  return limits;
}

TEST(SessionTermsTest, EachSideSendsAtMostTheSmallerLimit) {
  const BatchLimits own = Limits(500, 4000000);
  EXPECT_EQ(NegotiateLimits(own, 50, 0).max_records, 50u);           // the peer's is smaller
  EXPECT_EQ(NegotiateLimits(own, 50, 0).max_bytes, 4000000u);        // 0: none of its own
  EXPECT_EQ(NegotiateLimits(own, 9000, 9000000).max_records, 500u);  // ours is smaller
  EXPECT_EQ(NegotiateLimits(own, 9000, 300000).max_bytes, 300000u);
  EXPECT_EQ(NegotiateLimits(own, 0, 0).max_records, 500u);
}

TEST(SessionTermsTest, APeerCannotAskForTinyBatches) {
  EXPECT_EQ(NegotiateLimits(Limits(500, 4000000), 1, 0).max_records, 16u);
  EXPECT_EQ(NegotiateLimits(Limits(500, 4000000), 0, 1).max_bytes, 256u * 1024);
  EXPECT_EQ(NegotiateLimits(Limits(500, 4000000), 0xffffffffULL, 0).max_records, 500u);
}

TEST(SessionTermsTest, ACheckpointCountsOnlyInTheEpochItWasReachedIn) {
  EXPECT_EQ(ResumeFrom({"E1", 42}, "E1"), 42u);
  EXPECT_EQ(ResumeFrom({"E1", 42}, "E2"), 0u);  // the feed was restored: from the start
  EXPECT_EQ(ResumeFrom({"", 42}, "E2"), 42u);   // from before epochs: as it was
  EXPECT_EQ(ResumeFrom({}, "E2"), 0u);
}

TEST(SessionTermsTest, AFeedWasReplacedOnlyWhenAPositionInAnotherKnownEpochIsHeld) {
  EXPECT_TRUE(FeedWasReplaced({"E1", 42}, "E2"));
  EXPECT_FALSE(FeedWasReplaced({"E1", 42}, "E1"));
  EXPECT_FALSE(FeedWasReplaced({"", 42}, "E2"));   // an upgrade, not a restore
  EXPECT_FALSE(FeedWasReplaced({"E1", 0}, "E2"));  // nothing read from it yet
}

}  // namespace
}  // namespace ldgs::daemon::replication
