// Crash faults: real ldgsd processes (a hub and two chapters on 127.0.0.1) are SIGKILLed at
// random points while they write and replicate, and restarted. At the end every write that
// was acknowledged must be on every node that may hold it, at the acknowledged version, and
// the stores must agree, and no feed may hold a record twice. The nodes run mutual TLS, as
// deployed. Rounds and seed: LDGS_FAULT_ROUNDS (default 50), LDGS_FAULT_SEED.
#include <cstdlib>
#include <map>
#include <random>

#include "gtest/gtest.h"
#include "tests/support/federation.h"
#include "tests/support/feed_check.h"
#include "tests/support/node_process.h"

namespace ldgs {
namespace {

using ::ldgs::testing::FeedKey;
using ::ldgs::testing::NodeProcess;

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value ? std::atoi(value) : fallback;
}

struct Acked {
  uint64_t version;
  v1::Visibility visibility;
  bool deleted;
};

class KillTest : public ::testing::Test {
 protected:
  KillTest() {
    EXPECT_TRUE(fed_.Start());
    nodes_ = {&hub_, &a_, &b_};
  }

  // One write at `node`: a new record, an update, a narrowing or a deletion, chosen at
  // random. Remembered only if the node acknowledged it.
  void RandomWrite(NodeProcess& node, std::mt19937& random) {
    auto& mine = acked_[node.node_id()];
    const int action = static_cast<int>(random() % 10);
    std::string id;
    if (!mine.empty() && action >= 6) {
      auto it = mine.begin();
      std::advance(it, random() % mine.size());
      id = it->first;
      if (it->second.deleted) return;
    }
    grpc::Status status;
    v1::Record written;
    if (id.empty() || action < 8) {
      static const v1::Visibility kVisibilities[] = {v1::VISIBILITY_NETWORK, v1::VISIBILITY_NETWORK,
                                                     v1::VISIBILITY_HUB, v1::VISIBILITY_PRIVATE};
      v1::PutRecordRequest request;
      request.set_id(id.empty() ? "s" + std::to_string(next_id_++) : id);
      request.set_visibility(kVisibilities[random() % 4]);
      request.mutable_body()->mutable_story()->set_title("round story " +
                                                         std::to_string(random() % 1000));
      status = node.Put(request, &written);
    } else {
      grpc::ClientContext context;
      node.Authorize(&context);
      v1::DeleteRecordRequest request;
      request.set_id(id);
      status = node.AdminStub()->DeleteRecord(&context, request, &written);
    }
    if (status.ok()) {
      mine[written.id()] = {written.version(), written.visibility(), written.deleted()};
    }
  }

  // Whether `holder` may hold `origin`'s record with this visibility.
  bool MayHold(const NodeProcess& holder, const std::string& origin, v1::Visibility visibility) {
    if (holder.node_id() == origin) return true;
    if (visibility == v1::VISIBILITY_NETWORK) return true;
    return visibility == v1::VISIBILITY_HUB && &holder == &hub_;
  }

  ldgs::testing::Federation fed_{ldgs::testing::Federation::Options{.tls = true}};
  NodeProcess& hub_ = fed_.AddHub("Hub", "test-region");
  NodeProcess& a_ = fed_.AddChapter("Chapter A", "test-region", &hub_);
  NodeProcess& b_ = fed_.AddChapter("Chapter B", "test-region", &hub_);
  std::vector<NodeProcess*> nodes_;
  std::map<std::string, std::map<std::string, Acked>> acked_;  // origin -> id -> last ack
  int next_id_ = 0;
};

TEST_F(KillTest, AcknowledgedWritesSurviveRandomKillsAndStoresConverge) {
  const int rounds = EnvInt("LDGS_FAULT_ROUNDS", 50);
  const unsigned seed = static_cast<unsigned>(EnvInt("LDGS_FAULT_SEED", 20261124));
  std::mt19937 random(seed);
  std::printf("fault: %d rounds, seed %u\n", rounds, seed);
  int kills = 0;
  for (int round = 0; round < rounds; ++round) {
    NodeProcess* victim = nodes_[random() % nodes_.size()];
    const int before_kill = static_cast<int>(random() % 12);
    for (int i = 0; i < before_kill; ++i) RandomWrite(random() % 2 ? a_ : b_, random);
    victim->Kill();  // while the writes above are still being pushed and pulled
    ++kills;
    for (int i = 0, n = static_cast<int>(random() % 6); i < n; ++i) {
      NodeProcess& writer = random() % 2 ? a_ : b_;
      if (writer.running()) RandomWrite(writer, random);
    }
    ASSERT_TRUE(victim->Start()) << "round " << round;
  }
  for (NodeProcess* node : {&a_, &b_}) ASSERT_TRUE(node->SyncWait(120));
  // A last network write from each chapter, awaited everywhere: feeds are ordered, so
  // everything acknowledged before it that may travel has arrived.
  for (NodeProcess* writer : {&a_, &b_}) {
    v1::PutRecordRequest request;
    request.set_id("final");
    request.set_visibility(v1::VISIBILITY_NETWORK);
    request.mutable_body()->mutable_story()->set_title("final");
    v1::Record final_record, held;
    ASSERT_TRUE(writer->Put(request, &final_record).ok());
    for (NodeProcess* node : nodes_) {
      ASSERT_TRUE(node->Get(writer->node_id(), "final", &held, 60000).ok());
    }
  }

  int checked = 0;
  for (NodeProcess* holder : nodes_) {
    std::map<std::pair<std::string, std::string>, v1::Record> held;  // the store: one per key
    for (const v1::Record& r : holder->ListAll()) held[{r.origin(), r.id()}] = r;
    for (const auto& [origin, records] : acked_) {
      for (const auto& [id, ack] : records) {
        auto it = held.find({origin, id});
        const bool should = MayHold(*holder, origin, ack.visibility);
        if (!should) {
          // Never had it, or holds only a tombstone: no body of a record it may not see.
          if (it != held.end()) {
            EXPECT_TRUE(it->second.deleted()) << holder->data_dir() << " holds " << id;
          }
          continue;
        }
        ++checked;
        ASSERT_NE(it, held.end()) << holder->data_dir() << " lost acknowledged " << id;
        EXPECT_EQ(it->second.version(), ack.version) << holder->data_dir() << " " << id;
        EXPECT_EQ(it->second.deleted(), ack.deleted) << holder->data_dir() << " " << id;
      }
    }
  }
  // Converged: wherever two nodes hold the same record, they hold the same version (a node
  // that may not see a narrowed record holds its tombstone, of that same version).
  std::vector<std::map<std::pair<std::string, std::string>, uint64_t>> views;
  for (NodeProcess* node : nodes_) {
    views.emplace_back();
    for (const v1::Record& r : node->ListAll()) views.back()[{r.origin(), r.id()}] = r.version();
  }
  int compared = 0;
  for (size_t i = 0; i < views.size(); ++i) {
    for (size_t j = i + 1; j < views.size(); ++j) {
      for (const auto& [key, version] : views[i]) {
        auto it = views[j].find(key);
        if (it == views[j].end()) continue;
        ++compared;
        EXPECT_EQ(it->second, version) << key.second << " differs between nodes " << i << ", " << j;
      }
    }
  }
  EXPECT_GT(compared, 0);

  // Exactly once in every feed. The store above is keyed by (origin, id) and cannot show a
  // duplicate; a feed pulled as a list can: a record applied twice, or a feed entry left
  // behind when a newer version replaced it, shows up in it twice. The hub's feed as a new
  // member chapter sees it (every origin's network records), each chapter's as a new sister
  // sees it (its own network records).
  int listed = 0;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    NodeProcess* node = nodes_[n];
    const bool sister = node != &hub_;
    std::vector<std::string> feed;
    ASSERT_TRUE(ldgs::testing::PullFeedAsNewPeer(
        *node, sister, fed_.ca_dir(), fed_.dir().Sub("listener-" + std::to_string(n)), &feed));
    const std::map<FeedKey, int> counts = ldgs::testing::CountFeed(feed);
    for (const auto& [key, times] : counts) {
      EXPECT_EQ(times, 1) << node->data_dir() << " feed sends " << std::get<1>(key) << " of "
                          << std::get<0>(key) << " " << times << " times";
    }
    // And it sends every live network record such a peer may see, once.
    for (const v1::Record& r : node->ListAll()) {
      if (r.visibility() != v1::VISIBILITY_NETWORK || r.deleted()) continue;
      if (sister && r.origin() != node->node_id()) continue;
      auto it = counts.find(FeedKey(r.origin(), r.id(), false));
      EXPECT_TRUE(it != counts.end()) << node->data_dir() << " feed lacks " << r.id();
      ++listed;
    }
  }
  EXPECT_GT(listed, 0);
  std::printf("fault: %d kills survived, %d acknowledged records checked on every node\n", kills,
              checked);
  EXPECT_GT(checked, rounds);
}

}  // namespace
}  // namespace ldgs
