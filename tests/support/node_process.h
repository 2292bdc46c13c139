#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ldgs/v1/admin.grpc.pb.h"
#include "tests/support/subprocess.h"

namespace ldgs::testing {

std::string LdgsdPath();
std::string LdgsctlPath();

// One real ldgsd process with its own data dir, on 127.0.0.1 with ports picked by the kernel.
class NodeProcess {
 public:
  // Runs `ldgsd init` into `data_dir`; the test fails (and aborts) if init fails.
  NodeProcess(std::string data_dir, std::string name, std::string role = "chapter",
              std::string region = "test-region");
  // Adopts a data dir that already holds node `node_id` (e.g. made by `ldgsd restore`).
  struct Existing {
    std::string node_id;
    std::string listen_address;  // where it listens (empty: a free port)
    bool tls = false;            // its config has a [tls] section already
  };
  NodeProcess(std::string data_dir, Existing existing);
  ~NodeProcess();

  // Starts `ldgsd run` and waits, with a deadline, until it reports its admin address.
  ::testing::AssertionResult Start(const std::vector<std::string>& extra_flags = {});
  // SIGTERM, then waits; returns the exit code (-signal when killed by one).
  int Stop();
  // SIGKILL, then waits.
  void Kill();
  // Sends `signal` to the running ldgsd.
  void Signal(int signal) const;
  bool running() const { return child_ != nullptr; }
  // The running ldgsd's process id (benchmarks read its CPU time and RSS); -1 when stopped.
  pid_t pid() const { return child_ ? child_->pid() : -1; }

  const std::string& data_dir() const { return data_dir_; }
  const std::string& node_id() const { return node_id_; }
  const std::string& admin_address() const { return admin_address_; }
  // The replication address it bound; kept across restarts so that dialers find it again.
  const std::string& listen_address() const { return listen_address_; }
  // The HTTP endpoint it bound (/healthz, pages).
  const std::string& http_address() const { return http_address_; }
  std::string token() const;
  std::string log_path() const { return data_dir_ + ".log"; }

  std::unique_ptr<v1::Admin::Stub> AdminStub() const;
  // Adds the bearer token and a deadline to a client context.
  void Authorize(grpc::ClientContext* context) const;

  // Adds `other` to this node's config as a peer to dial ("hub" or "sister"). Takes effect
  // at the next Start; `other` must have started once (its address is known). `address`
  // overrides where to dial it (e.g. a TcpProxy in front of it).
  void Dial(const NodeProcess& other, const std::string& relation = "hub",
            const std::string& address = "");
  // The same for a peer that is not a NodeProcess (a RawHub, a silent listener).
  void DialAt(const std::string& node_id, const std::string& address,
              const std::string& relation = "hub");
  // Switches this node to mutual TLS with certificates issued by the CA in `ca_dir` (made by
  // `ldgsctl ca init`); takes effect at the next Start. Without it nodes run --insecure.
  // `cert_node_id` (tests only) puts another node's ID in the certificate.
  ::testing::AssertionResult UseTls(const std::string& ca_dir,
                                    const std::string& cert_node_id = "");

  // How a node is enrolled: a member chapter (in the region it was made with), a member
  // hub (idem), or a sister chapter.
  enum class EnrollAs { kChapter, kHub, kSister };
  // Enrolls `member` on this (running) node.
  ::testing::AssertionResult Enroll(const NodeProcess& member,
                                    EnrollAs as = EnrollAs::kChapter) const;
  const std::string& region() const { return region_; }

  // Admin calls, for tests to read like a script.
  grpc::Status Put(const v1::PutRecordRequest& request, v1::Record* written) const;
  // Waits up to `wait_ms` for the record (at `min_version` or newer) to be held.
  grpc::Status Get(const std::string& origin, const std::string& id, v1::Record* record,
                   uint32_t wait_ms = 0, uint64_t min_version = 0) const;
  // Every record held, deleted ones included.
  std::vector<v1::Record> ListAll() const;
  uint64_t LastSequence() const;
  // Hubs: waits (polling, up to 60 s) until the aggregator has decided everything the node
  // held when called; false on the deadline.
  bool WaitAggregated() const;
  // Its peers view (Admin ListPeers), what `ldgsctl peers` shows.
  std::vector<v1::PeerStatus> ListPeers() const;
  // The entry for `peer_id` in it; nullopt when absent.
  std::optional<v1::PeerStatus> PeerStatusOf(const std::string& peer_id) const;
  // Polls the peers view (with a deadline) until `peer_id`'s entry satisfies `done`; `seen`
  // (optional) gets the entry last seen, which a failure shows too.
  ::testing::AssertionResult WaitForPeer(
      const std::string& peer_id, const std::function<bool(const v1::PeerStatus&)>& done,
      std::chrono::milliseconds timeout = std::chrono::seconds(60),
      v1::PeerStatus* seen = nullptr) const;
  // `ldgsctl sync --wait`; true when caught up within the deadline.
  ::testing::AssertionResult SyncWait(int timeout_s = 60) const;

  // Runs the real ldgsctl against this node: `ldgsctl --data DIR args...`.
  CommandResult Ctl(const std::vector<std::string>& args, const std::string& input = "") const;

 private:
  std::string data_dir_;
  std::string node_id_;
  std::string region_ = "test-region";
  std::string admin_address_;
  std::string listen_address_;
  std::string http_address_;
  bool tls_ = false;
  std::unique_ptr<Child> child_;
};

}  // namespace ldgs::testing
