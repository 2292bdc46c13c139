#include "daemon/replication/change_notifier.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace ldgs::daemon::replication {
namespace {

storage::FeedCommit HubOnly(uint64_t first, uint64_t last) { return {first, last, true}; }
storage::FeedCommit Wider(uint64_t first, uint64_t last) { return {first, last, false}; }

// Records every call of a callback: the skip point it was given.
struct Calls {
  std::vector<uint64_t> skips;
  ChangeNotifier::Callback Callback() {
    return [this](uint64_t skip_to) { skips.push_back(skip_to); };
  }
};

TEST(ChangeNotifierTest, AWaiterBeyondTheHubSleepsThroughCommitsForTheHubAloneAndSkipsThem) {
  ChangeNotifier notifier(10);
  Calls beyond, any;
  ASSERT_NE(notifier.CallWhenBeyond(10, true, beyond.Callback()), 0u);
  ASSERT_NE(notifier.CallWhenBeyond(10, false, any.Callback()), 0u);
  notifier.Notify(HubOnly(11, 20));
  EXPECT_TRUE(beyond.skips.empty());
  EXPECT_EQ(any.skips, std::vector<uint64_t>{10});  // woken, from where it was
  notifier.Notify(HubOnly(21, 25));
  EXPECT_TRUE(beyond.skips.empty());
  // A commit with an entry for the network wakes it, past the 15 entries for the hub only.
  notifier.Notify(Wider(26, 30));
  EXPECT_EQ(beyond.skips, std::vector<uint64_t>{25});
  EXPECT_EQ(notifier.last_seq(), 30u);
}

TEST(ChangeNotifierTest, ACommitToldOutOfOrderWakesWithoutSkippingTheGap) {
  ChangeNotifier notifier(10);
  Calls beyond;
  ASSERT_NE(notifier.CallWhenBeyond(10, true, beyond.Callback()), 0u);
  // 11..20 are not told yet (another commit's listener runs late): they may be wider.
  notifier.Notify(HubOnly(21, 30));
  EXPECT_EQ(beyond.skips, std::vector<uint64_t>{10});
  // The late one changes nothing; a waiter registered at the new head waits again, and the
  // run of commits for the hub alone starts after the out-of-order one.
  notifier.Notify(Wider(11, 20));
  Calls again;
  ASSERT_NE(notifier.CallWhenBeyond(30, true, again.Callback()), 0u);
  notifier.Notify(HubOnly(31, 35));
  EXPECT_TRUE(again.skips.empty());
  notifier.Notify(Wider(36, 36));
  EXPECT_EQ(again.skips, std::vector<uint64_t>{35});
}

TEST(ChangeNotifierTest, RegisteringBehindTheHeadRunsAtOnceUnlessAllBetweenIsForTheHubAlone) {
  ChangeNotifier notifier(10);
  notifier.Notify(Wider(11, 20));
  notifier.Notify(HubOnly(21, 30));
  Calls behind_wider, behind_hub_only, any;
  // 15..20 hold wider entries: it runs now, from where it stands.
  EXPECT_EQ(notifier.CallWhenBeyond(15, true, behind_wider.Callback()), 0u);
  EXPECT_EQ(behind_wider.skips, std::vector<uint64_t>{15});
  // 25..30 are for the hub only: it waits, and is later moved past them.
  const uint64_t id = notifier.CallWhenBeyond(25, true, behind_hub_only.Callback());
  EXPECT_NE(id, 0u);
  EXPECT_TRUE(behind_hub_only.skips.empty());
  // A waiter for any entry behind the head runs at once.
  EXPECT_EQ(notifier.CallWhenBeyond(25, false, any.Callback()), 0u);
  EXPECT_EQ(any.skips, std::vector<uint64_t>{25});
  notifier.Notify(Wider(31, 31));
  EXPECT_EQ(behind_hub_only.skips, std::vector<uint64_t>{30});
}

TEST(ChangeNotifierTest, RunCallbacksWakesEveryWaiterAndCancelRemovesOne) {
  ChangeNotifier notifier(5);
  notifier.Notify(HubOnly(6, 9));
  Calls beyond, any, cancelled;
  ASSERT_NE(notifier.CallWhenBeyond(9, true, beyond.Callback()), 0u);
  ASSERT_NE(notifier.CallWhenBeyond(9, false, any.Callback()), 0u);
  const uint64_t id = notifier.CallWhenBeyond(9, true, cancelled.Callback());
  EXPECT_TRUE(notifier.Cancel(id));
  EXPECT_FALSE(notifier.Cancel(id));
  notifier.Notify(HubOnly(10, 12));  // wakes `any` only
  EXPECT_EQ(any.skips, std::vector<uint64_t>{9});
  notifier.RunCallbacks();
  EXPECT_EQ(beyond.skips, std::vector<uint64_t>{12});
  EXPECT_TRUE(cancelled.skips.empty());
  notifier.Notify(Wider(13, 13));  // nobody is registered any more
  EXPECT_EQ(beyond.skips.size(), 1u);
  EXPECT_EQ(any.skips.size(), 1u);
}

}  // namespace
}  // namespace ldgs::daemon::replication
