#include <chrono>

#include "daemon/replication/peer_registry.h"
#include "gtest/gtest.h"

namespace ldgs::daemon::replication {
namespace {

using std::chrono::milliseconds;

// A bucket of 600 records refilled at 60 a minute (one a second). The waits are worked out
// by hand; the few microseconds between calls refill a negligible part of a record.
TEST(RateLimitTest, ABurstGoesAtOnceThenTheRateHoldsAndTheWaitSaysHowLong) {
  PeerRegistry registry;
  EXPECT_EQ(registry.TakeRecords("p", 500, 60, 600), milliseconds(0));  // 100 left
  EXPECT_EQ(registry.TakeRecords("p", 100, 60, 600), milliseconds(0));  // 0 left
  // 50 more need 50 s of refill; nothing is taken meanwhile.
  const milliseconds wait = registry.TakeRecords("p", 50, 60, 600);
  EXPECT_GE(wait, milliseconds(49900));
  EXPECT_LE(wait, milliseconds(50001));
  // Still nothing: the refused take took nothing (else this wait would be about 100 s).
  const milliseconds again = registry.TakeRecords("p", 50, 60, 600);
  EXPECT_GE(again, milliseconds(49900));
  EXPECT_LE(again, milliseconds(50001));
  // Another peer has its own bucket.
  EXPECT_EQ(registry.TakeRecords("q", 600, 60, 600), milliseconds(0));
  // A take larger than the bucket waits for it full, then goes: a fresh peer's goes at once.
  EXPECT_EQ(registry.TakeRecords("r", 900, 60, 600), milliseconds(0));
  const milliseconds refill = registry.TakeRecords("r", 900, 60, 600);  // 300 owed + 600
  EXPECT_GE(refill, milliseconds(899000));
  EXPECT_LE(refill, milliseconds(900001));
}

}  // namespace
}  // namespace ldgs::daemon::replication

namespace ldgs::daemon::replication {
namespace {

// Refill at the sustained rate, not the bucket's size: 600 a minute is 10 a second, so
// after at least 1 s of the clock, a take of 600 from an empty bucket of 1,000 waits at
// most 59 s (it would be 0.6 s if refill went at the bucket's size a minute).
TEST(RateLimitTest, TheBucketRefillsAtTheSustainedRate) {
  PeerRegistry registry;
  ASSERT_EQ(registry.TakeRecords("p", 1000, 600, 1000), std::chrono::milliseconds(0));
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1000)) {
  }
  const std::chrono::milliseconds wait = registry.TakeRecords("p", 600, 600, 1000);
  EXPECT_LE(wait, std::chrono::milliseconds(59001));
  EXPECT_GE(wait, std::chrono::milliseconds(1000));
}

}  // namespace
}  // namespace ldgs::daemon::replication
