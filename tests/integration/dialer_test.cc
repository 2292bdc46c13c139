// The dialer holds no thread per peer: a session waits on gRPC's callbacks and the change
// notifier, so a node may dial many peers (a chapter's sisters, say).
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "record/node_key.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_hub.h"
#include "tests/support/record_helpers.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::NodeProcess;
using ::ldgs::testing::RawHub;

// Listening sockets that accept connections and never answer: a dialer's Hello to them
// stays in flight until its deadline.
class SilentListeners {
 public:
  explicit SilentListeners(int count) {
    for (int i = 0; i < count; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t size = sizeof(address);
      EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
      EXPECT_EQ(listen(fd, 16), 0);
      EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
      listening_.push_back(fd);
      addresses_.push_back("127.0.0.1:" + std::to_string(ntohs(address.sin_port)));
    }
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~SilentListeners() {
    stop_ = true;
    acceptor_.join();
    for (int fd : listening_) close(fd);
    for (int fd : accepted_) close(fd);
  }

  const std::vector<std::string>& addresses() const { return addresses_; }
  // Waits until every listener was dialed at least once; false at the deadline.
  bool WaitAllDialed(std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return dialed_ == listening_.size(); });
  }

 private:
  void Accept() {
    std::vector<bool> seen(listening_.size(), false);
    while (!stop_) {
      std::vector<pollfd> fds;
      for (int fd : listening_) fds.push_back({fd, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 100) <= 0) continue;
      for (size_t i = 0; i < fds.size(); ++i) {
        if (!(fds[i].revents & POLLIN)) continue;
        const int conn = accept(listening_[i], nullptr, nullptr);
        if (conn < 0) continue;
        accepted_.push_back(conn);
        if (!seen[i]) {
          seen[i] = true;
          std::lock_guard<std::mutex> lock(mu_);
          ++dialed_;
          changed_.notify_all();
        }
      }
    }
  }

  std::vector<int> listening_;
  std::vector<std::string> addresses_;
  std::vector<int> accepted_;  // the acceptor's until it is joined
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable changed_;
  size_t dialed_ = 0;  // guarded by mu_
  std::thread acceptor_;
};

int ThreadsOf(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

// Starts `node` dialing each of `silent` and each of `sisters` as a sister. Returns its
// thread count once every silent listener was dialed (each Hello then waits for an answer
// that never comes) and every sister session is up (its Pull tailing, its Push caught up
// and waiting for a change); -1 if that does not happen within a minute.
int ThreadsWhileDialing(NodeProcess* node, SilentListeners* silent,
                        const std::vector<std::unique_ptr<RawHub>>& sisters) {
  for (const std::string& address : silent->addresses()) {
    node->DialAt(record::NodeKey::Generate().node_id(), address, "sister");
  }
  for (const auto& sister : sisters) node->DialAt(sister->node_id(), sister->address(), "sister");
  if (!node->Start()) return -1;
  if (!silent->WaitAllDialed(std::chrono::seconds(60))) return -1;
  for (const auto& sister : sisters) {
    if (!node->WaitForPeer(sister->node_id(),
                           [](const v1::PeerStatus& p) { return p.connected(); })) {
      return -1;
    }
  }
  const int threads = ThreadsOf(node->pid());
  node->Stop();
  return threads;
}

TEST(DialerTest, ANodeDialingManyPeersHoldsNoThreadPerPeerInHelloOrStreaming) {
  ldgs::testing::TempDir dir;
  ASSERT_EQ(ldgs::testing::RunCommand({ldgs::testing::LdgsctlPath(), "ca", "init", dir.Sub("ca")})
                .exit_code,
            0);
  auto sisters = [&](int count, const std::string& name) {
    std::vector<std::unique_ptr<RawHub>> hubs;
    for (int i = 0; i < count; ++i) {
      hubs.push_back(std::make_unique<RawHub>());
      EXPECT_TRUE(hubs.back()->Start(dir.Sub("ca"), dir.Sub(name + std::to_string(i))));
    }
    return hubs;
  };
  // Under mutual TLS as deployed: a silent peer's Hello waits in its TLS handshake.
  NodeProcess one(dir.Sub("one"), "One");
  ASSERT_TRUE(one.UseTls(dir.Sub("ca")));
  SilentListeners one_silent(1);
  const int with_one = ThreadsWhileDialing(&one, &one_silent, sisters(1, "one-sister"));
  ASSERT_GT(with_one, 0);

  constexpr int kSilent = 32;
  constexpr int kSisters = 16;
  NodeProcess many(dir.Sub("many"), "Many");
  ASSERT_TRUE(many.UseTls(dir.Sub("ca")));
  SilentListeners many_silent(kSilent);
  const int with_many = ThreadsWhileDialing(&many, &many_silent, sisters(kSisters, "sister"));
  ASSERT_GT(with_many, 0);

  // gRPC may start a few threads of its own under more connections. A thread per session
  // would add 46, and the three of a streaming session before (session, push loop, ack
  // reader) 78.
  EXPECT_LT(with_many - with_one, 16) << with_one << " threads dialing two peers, " << with_many
                                      << " dialing " << kSilent + kSisters;
}

// A chapter's push to a sister sleeps through its commits for the hub alone (never sent to
// a sister) and, woken, moves past them without sending anything. It must still go on.
TEST(DialerTest, APushToASisterGoesOnAfterItsWaitSkippedCommitsForTheHubAlone) {
  ldgs::testing::TempDir dir;
  ASSERT_EQ(ldgs::testing::RunCommand({ldgs::testing::LdgsctlPath(), "ca", "init", dir.Sub("ca")})
                .exit_code,
            0);
  RawHub hub(v1::PushAck(), RawHub::kEveryBatch);
  RawHub sister(v1::PushAck(), RawHub::kEveryBatch);
  ASSERT_TRUE(hub.Start(dir.Sub("ca"), dir.Sub("hub-tls")));
  ASSERT_TRUE(sister.Start(dir.Sub("ca"), dir.Sub("sister-tls")));
  NodeProcess chapter(dir.Sub("chapter"), "Chapter");
  ASSERT_TRUE(chapter.UseTls(dir.Sub("ca")));
  chapter.DialAt(hub.node_id(), hub.address());
  chapter.DialAt(sister.node_id(), sister.address(), "sister");
  ASSERT_TRUE(chapter.Start());
  auto caught_up = [](const v1::PeerStatus& p) {
    return p.connected() && p.outbound_behind() == 0;
  };
  ASSERT_TRUE(chapter.WaitForPeer(sister.node_id(), caught_up));

  // A commit for the hub alone: the push to the sister sleeps through it.
  ldgs::testing::PutStory(chapter, "for the hub", v1::VISIBILITY_HUB);
  ASSERT_TRUE(chapter.WaitForPeer(hub.node_id(), caught_up));
  // The hub's chain changes: every waiter is woken, the sister's push past that commit.
  hub.AnnounceHubsAbove({record::NodeKey::Generate().node_id()});
  ASSERT_TRUE(chapter.WaitForPeer(hub.node_id(), [](const v1::PeerStatus& p) {
    return p.last_error().find("new hub chain") != std::string::npos;
  }));

  // A record for the sister still reaches it.
  const size_t pushed = sister.PushedUpTo().size();
  ldgs::testing::PutStory(chapter, "for the sister", v1::VISIBILITY_NETWORK);
  ASSERT_TRUE(sister.WaitForPushes(pushed + 1)) << chapter.Ctl({"peers"}).out;
  EXPECT_EQ(sister.PushedUpTo().back(), chapter.LastSequence());
  EXPECT_TRUE(chapter.WaitForPeer(sister.node_id(), caught_up));
}

}  // namespace
}  // namespace ldgs
