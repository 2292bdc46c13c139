#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ldgs/v1/replication.grpc.pb.h"
#include "record/node_key.h"

namespace ldgs::testing {

// A hand-driven replication client with its own key, for feeding a real node what an honest
// ldgsd never would: forged signatures, other nodes' records, unenrolled identities. Also a
// listener that lists every record a node's feed sends it.
class RawPeer {
 public:
  explicit RawPeer(const std::string& address);

  const record::NodeKey& key() const { return key_; }
  // The channel it dials on (TLS once UseTls was called), for calls of other services.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const std::string& node_id() const { return key_.node_id(); }

  // Dials over mutual TLS from now on, as deployed: with a certificate for this peer's node
  // ID issued by the CA in `ca_dir` (`ldgsctl ca issue`, into `out_dir`), expecting the
  // node's certificate to name `server_id`. `trust_ca` is the CA certificate file it trusts
  // (default: the issuing CA's), e.g. to present a certificate of a CA the node never trusted.
  ::testing::AssertionResult UseTls(const std::string& ca_dir, const std::string& out_dir,
                                    const std::string& server_id, const std::string& trust_ca = "");

  // Hello as `role` (a claim, which grants nothing); keeps the session for Push and Pull.
  // Verifies the node's signature.
  grpc::Status Hello(v1::Role role = v1::ROLE_CHAPTER, uint32_t protocol_version = 0);
  const v1::HelloResponse& last_hello() const { return last_hello_; }

  // Pulls the node's feed from the start until it reports it is caught up, collecting
  // every record it sent this peer (SignedRecord bytes).
  grpc::Status PullAll(std::vector<std::string>* records);
  // The same from `since` (a position in the node's feed, in the epoch of the last Hello):
  // appends what it sent to `records`; `up_to` (optional) gets the position reached.
  grpc::Status PullFrom(uint64_t since, std::vector<std::string>* records, uint64_t* up_to);

  // Pushes one batch and returns how the node answered: OK with the ack, or the status it
  // ended the stream with.
  grpc::Status Push(const v1::Batch& batch, v1::PushAck* ack);
  // Pushes `batches` on one stream without waiting for acks (as a pipelining dialer does),
  // then reads acks into `acks` until `enough` says so (or the stream ends), and cancels
  // the stream. Returns the stream's status (CANCELLED when `enough` ended it).
  grpc::Status PushPipelined(const std::vector<v1::Batch>& batches,
                             const std::function<bool(const v1::PushAck&)>& enough,
                             std::vector<v1::PushAck>* acks);

  // Opens a Pull stream and waits for its first batch. OK keeps the stream open in this
  // peer (until it is destroyed); otherwise the status the node ended it with.
  grpc::Status OpenPull();

  // A record of this peer's own, signed by it.
  std::string SealOwn(v1::Record record) const;

 private:
  void Prepare(grpc::ClientContext* context) const;

  record::NodeKey key_;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Replication::Stub> stub_;
  std::string server_id_;
  std::string challenge_;
  v1::HelloResponse last_hello_;
  struct OpenStream {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<v1::Batch>> reader;
  };
  std::vector<OpenStream> open_pulls_;

 public:
  ~RawPeer();
};

}  // namespace ldgs::testing
