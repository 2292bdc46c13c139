#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "record/signed_record.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"

namespace ldgs::testing {

// A record as a feed sends it: origin, id, and whether the payload is a tombstone (a narrowed
// record may travel as its full version and a tombstone companion of that same version: two
// payloads of one record, not a duplicate).
using FeedKey = std::tuple<std::string, std::string, bool>;

// How many times each record occurs in `signed_records` (SignedRecord bytes, in the order a
// feed sent them). A list can hold a record twice where a store keyed by (origin, id)
// cannot; bytes that do not decode count under the empty key.
inline std::map<FeedKey, int> CountFeed(const std::vector<std::string>& signed_records) {
  std::map<FeedKey, int> counts;
  for (const std::string& bytes : signed_records) {
    absl::StatusOr<v1::Record> decoded = record::DecodeSignedRecord(bytes);
    if (!decoded.ok()) {
      ++counts[FeedKey()];
      continue;
    }
    ++counts[FeedKey(decoded->origin(), decoded->id(), decoded->deleted())];
  }
  return counts;
}

// Pulls `node`'s whole feed, as a new peer that `node` enrolls for the purpose: a member
// chapter in the node's region, or a sister with `sister`. With `ca_dir`, over mutual TLS
// with a certificate from that CA (issued into `scratch_dir`); plaintext when it is empty.
inline ::testing::AssertionResult PullFeedAsNewPeer(const NodeProcess& node, bool sister,
                                                    const std::string& ca_dir,
                                                    const std::string& scratch_dir,
                                                    std::vector<std::string>* records) {
  RawPeer peer(node.listen_address());
  if (!ca_dir.empty()) {
    ::testing::AssertionResult tls = peer.UseTls(ca_dir, scratch_dir, node.node_id());
    if (!tls) return tls;
  }
  std::vector<std::string> enroll = {"enroll", peer.node_id()};
  if (sister) {
    enroll.push_back("--sister");
  } else {
    enroll.insert(enroll.end(), {"--region", node.region()});
  }
  CommandResult enrolled = node.Ctl(enroll);
  if (enrolled.exit_code != 0) {
    return ::testing::AssertionFailure() << node.data_dir() << ": enroll: " << enrolled.err;
  }
  grpc::Status status = peer.Hello();
  if (status.ok()) status = peer.PullAll(records);
  if (!status.ok()) {
    return ::testing::AssertionFailure()
           << node.data_dir() << ": pulling the feed: " << status.error_message();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace ldgs::testing
