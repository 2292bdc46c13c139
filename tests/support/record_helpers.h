#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/node_process.h"

namespace ldgs::testing {

// A story record, not yet signed: for a raw peer to seal (RawPeer::SealOwn) and send.
inline v1::Record UnsignedStory(const std::string& id, v1::Visibility visibility,
                                uint64_t version = 1) {
  v1::Record r;
  r.set_id(id);
  r.set_version(version);
  r.set_kind(v1::KIND_STORY);
  r.set_visibility(visibility);
  r.mutable_story()->set_title("story " + id);
  return r;
}

// Writes a story at `node` through its Admin API (the test fails if the node refuses).
inline v1::Record PutStory(const NodeProcess& node, const std::string& title,
                           v1::Visibility visibility = v1::VISIBILITY_NETWORK,
                           const std::string& id = "") {
  v1::PutRecordRequest request;
  request.set_id(id);
  request.set_visibility(visibility);
  request.mutable_body()->mutable_story()->set_title(title);
  v1::Record written;
  grpc::Status status = node.Put(request, &written);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return written;
}

// Waits (on the node's change notifier, up to 60 s) until `node` holds `record` at its
// version or newer; `held` gets the copy.
inline ::testing::AssertionResult Arrives(const NodeProcess& node, const v1::Record& record,
                                          v1::Record* held = nullptr) {
  v1::Record got;
  grpc::Status status = node.Get(record.origin(), record.id(), &got, 60000, record.version());
  if (!status.ok()) {
    return ::testing::AssertionFailure()
           << record.id() << " did not reach " << node.data_dir() << ": " << status.error_message();
  }
  if (held) *held = got;
  return ::testing::AssertionSuccess();
}

// Writes `chapter`'s observation of `metric` for `period` (hub visibility, as chapters
// share them) through its Admin API; the test fails if the node refuses.
inline void Observe(const NodeProcess& chapter, const std::string& metric,
                    const std::string& period, double value) {
  v1::PutRecordRequest request;
  request.set_visibility(v1::VISIBILITY_HUB);
  request.mutable_body()->mutable_metric_observation()->set_metric(metric);
  request.mutable_body()->mutable_metric_observation()->set_period(period);
  request.mutable_body()->mutable_metric_observation()->set_value(value);
  v1::Record written;
  grpc::Status status = chapter.Put(request, &written);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

// Polls `node` (up to `timeout`) until its rollup `id` from `origin` satisfies `ready`;
// `out` gets it. Each wait returns when the node's feed moves (or after 1 s): not a sleep.
inline ::testing::AssertionResult RollupBecomes(
    const NodeProcess& node, const std::string& origin, const std::string& id,
    const std::function<bool(const v1::Rollup&)>& ready, v1::Rollup* out = nullptr,
    std::chrono::seconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  v1::Record record;
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::Status status = node.Get(origin, id, &record, 1000, record.version() + 1);
    if (status.ok() && ready(record.rollup())) {
      if (out) *out = record.rollup();
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << id << " never became ready at " << node.data_dir()
                                       << "; last: " << record.ShortDebugString();
}

}  // namespace ldgs::testing
