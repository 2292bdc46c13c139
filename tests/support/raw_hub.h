#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ldgs/v1/replication.grpc.pb.h"
#include "record/node_key.h"

namespace ldgs::testing {

// A hand-driven replication server with its own key, for a real chapter to dial as its hub:
// it answers Hello as a hub does (and signs it), then says what no honest hub says. Its Pull
// sends one empty batch and stays open; its Push keeps every batch it is sent and answers
// the first `acks` of them (over all its streams) with `ack`, or every one with its own
// `up_to` (kEveryBatch), as an honest hub does. Serves mutual TLS, as deployed, with the
// keepalive terms of ldgsd's server.
class RawHub {
 public:
  static constexpr int kEveryBatch = -1;
  explicit RawHub(v1::PushAck ack = v1::PushAck(), int acks = 0);
  ~RawHub();

  const std::string& node_id() const { return key_.node_id(); }
  const std::string& address() const { return address_; }

  // Serves on 127.0.0.1 (a free port) with a certificate for this hub's node ID issued by
  // the CA in `ca_dir` (into `out_dir`), asking dialers for theirs.
  ::testing::AssertionResult Start(const std::string& ca_dir, const std::string& out_dir);

  // From now on it says `above` are the hubs above it: in Hello, and in a batch on each
  // open Pull.
  void AnnounceHubsAbove(std::vector<std::string> above);

  // Waits until at least `count` batches were pushed to it; false at the deadline.
  bool WaitForPushes(size_t count, std::chrono::seconds timeout = std::chrono::seconds(30));
  // The `up_to` of each batch pushed so far, in order.
  std::vector<uint64_t> PushedUpTo() const;

 private:
  class Service;

  record::NodeKey key_;
  const v1::PushAck ack_;
  const int acks_;
  std::string address_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;

  mutable std::mutex mu_;
  std::condition_variable pushed_;
  std::vector<uint64_t> pushed_up_to_;
  int answered_ = 0;  // acks sent, over all streams
  std::vector<std::string> above_;
  uint64_t announcements_ = 0;  // how often `above_` changed
  bool stopping_ = false;
};

}  // namespace ldgs::testing
