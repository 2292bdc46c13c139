#pragma once

#include <string>

#include "gtest/gtest.h"
#include "tests/support/node_process.h"

namespace ldgs::testing {

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

}  // namespace ldgs::testing
