#include "daemon/replication/session_table.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "record/node_key.h"

namespace ldgs::daemon::replication {
namespace {

// A node's proof for `challenge` at the table's server.
std::string Proof(const record::NodeKey& key, const std::string& challenge) {
  return key.Sign(SessionProofMessage(challenge, "server"));
}

class SessionTableTest : public ::testing::Test {
 protected:
  bool Valid(const SessionTable& table, const record::NodeKey& key, const std::string& challenge) {
    return table.Check(key.node_id(), challenge, Proof(key, challenge)).ok();
  }
  record::NodeKey a_ = record::NodeKey::Generate();
  record::NodeKey b_ = record::NodeKey::Generate();
};

TEST_F(SessionTableTest, ANodeOverItsShareLosesItsOwnOldestSessionNotAnotherNodes) {
  SessionTable table("server", 100);
  const std::string b_session = table.Open(b_.node_id(), v1::ROLE_CHAPTER);
  std::vector<std::string> own;
  for (size_t i = 0; i < kMaxSessionsPerNode + 3; ++i) {
    own.push_back(table.Open(a_.node_id(), v1::ROLE_CHAPTER));
  }
  // The three oldest of a's went, one per Hello past its share; b's stays.
  for (size_t i = 0; i < own.size(); ++i) EXPECT_EQ(Valid(table, a_, own[i]), i >= 3) << i;
  EXPECT_TRUE(Valid(table, b_, b_session));
  EXPECT_EQ(table.size(), kMaxSessionsPerNode + 1);
}

TEST_F(SessionTableTest, AFullTableDropsTheOldestSessionOfAnyNode) {
  SessionTable table("server", 3);
  const std::string first = table.Open(a_.node_id(), v1::ROLE_CHAPTER);
  const std::string second = table.Open(b_.node_id(), v1::ROLE_CHAPTER);
  const std::string third = table.Open(b_.node_id(), v1::ROLE_CHAPTER);
  const std::string fourth = table.Open(b_.node_id(), v1::ROLE_CHAPTER);
  EXPECT_FALSE(Valid(table, a_, first));
  EXPECT_TRUE(Valid(table, b_, second));
  EXPECT_TRUE(Valid(table, b_, third));
  EXPECT_TRUE(Valid(table, b_, fourth));
  EXPECT_EQ(table.size(), 3u);
  // a's sessions are all gone, and a may open again (taking b's oldest).
  const std::string again = table.Open(a_.node_id(), v1::ROLE_CHAPTER);
  EXPECT_TRUE(Valid(table, a_, again));
  EXPECT_FALSE(Valid(table, b_, second));
}

TEST_F(SessionTableTest, ExpiredSessionsAreRefusedAndDroppedAtTheNextOpen) {
  SessionTable expired_at_once("server", 100, std::chrono::seconds(-1));
  const std::string old = expired_at_once.Open(a_.node_id(), v1::ROLE_CHAPTER);
  EXPECT_FALSE(Valid(expired_at_once, a_, old));
  expired_at_once.Open(b_.node_id(), v1::ROLE_CHAPTER);
  EXPECT_EQ(expired_at_once.size(), 1u);  // a's went when b opened
}

TEST_F(SessionTableTest, TenThousandMembersEachKeepTheirSessionUnderTheDefaultBound) {
  SessionTable table("server");
  std::vector<std::string> ids, challenges;
  for (int i = 0; i < 10001; ++i) {
    ids.push_back(std::string("node-") + std::to_string(i));
    challenges.push_back(table.Open(ids.back(), v1::ROLE_CHAPTER));
  }
  EXPECT_EQ(table.size(), 10001u);
  // The first is still known (a wrong proof, not an unknown session).
  absl::StatusOr<SessionTable::Session> first = table.Check(ids[0], challenges[0], "no proof");
  EXPECT_NE(first.status().message().find("does not verify"), std::string::npos) << first.status();
}

TEST_F(SessionTableTest, AProofForAnotherNodesSessionIsRefused) {
  SessionTable table("server");
  const std::string challenge = table.Open(a_.node_id(), v1::ROLE_CHAPTER);
  EXPECT_FALSE(table.Check(b_.node_id(), challenge, Proof(b_, challenge)).ok());
  EXPECT_FALSE(table.Check(a_.node_id(), challenge, Proof(b_, challenge)).ok());
  EXPECT_TRUE(Valid(table, a_, challenge));
}

}  // namespace
}  // namespace ldgs::daemon::replication
