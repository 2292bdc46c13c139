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
  EXPECT_GE(registry.TakeRecords("p", 50, 60, 600), milliseconds(49900));  // still nothing
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
