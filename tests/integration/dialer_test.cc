// The dialer holds no thread per peer: a session waits on gRPC's callbacks and the change
// notifier, so a node may dial many peers (a hub's sisters, a regional hub's parents).
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "record/node_key.h"
#include "tests/support/node_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::NodeProcess;

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

// Starts `node` dialing each of `listeners` as a sister, waits until every one was dialed
// (each Hello then waits for an answer that never comes) and returns its thread count.
int ThreadsWhileDialing(NodeProcess* node, SilentListeners* listeners) {
  {
    std::ofstream config(node->data_dir() + "/ldgsd.toml", std::ios::app);
    for (const std::string& address : listeners->addresses()) {
      config << "\n[[peers]]\nnode_id = \"" << record::NodeKey::Generate().node_id()
             << "\"\naddress = \"" << address << "\"\nrelation = \"sister\"\n";
    }
  }
  EXPECT_TRUE(node->Start());
  EXPECT_TRUE(listeners->WaitAllDialed(std::chrono::seconds(60)));
  const int threads = ThreadsOf(node->pid());
  node->Stop();
  return threads;
}

TEST(DialerTest, ANodeDialingManyPeersHoldsNoThreadPerPeer) {
  ldgs::testing::TempDir dir;
  ASSERT_EQ(ldgs::testing::RunCommand({ldgs::testing::LdgsctlPath(), "ca", "init", dir.Sub("ca")})
                .exit_code,
            0);
  // Under mutual TLS as deployed: every Hello waits in its TLS handshake.
  NodeProcess one(dir.Sub("one"), "One");
  ASSERT_TRUE(one.UseTls(dir.Sub("ca")));
  SilentListeners single(1);
  const int with_one = ThreadsWhileDialing(&one, &single);

  constexpr int kPeers = 32;
  NodeProcess many(dir.Sub("many"), "Many");
  ASSERT_TRUE(many.UseTls(dir.Sub("ca")));
  SilentListeners all(kPeers);
  const int with_many = ThreadsWhileDialing(&many, &all);

  ASSERT_GT(with_one, 0);
  // gRPC may start a few threads of its own under more connections; a thread per session
  // would add at least one per peer.
  EXPECT_LT(with_many - with_one, kPeers / 2)
      << with_one << " threads dialing one peer, " << with_many << " dialing " << kPeers;
}

}  // namespace
}  // namespace ldgs
