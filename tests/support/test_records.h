#pragma once

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "record/node_key.h"
#include "record/signed_record.h"
#include "storage/record_store.h"
#include "tests/support/status_matchers.h"

namespace ldgs::testing {

// A signed story record of `key` with the given id, version and title, ready to apply.
inline storage::IncomingRecord SignedStory(const record::NodeKey& key, const std::string& id,
                                           uint64_t version, const std::string& title,
                                           v1::Visibility visibility = v1::VISIBILITY_NETWORK) {
  v1::Record r;
  r.set_origin(key.node_id());
  r.set_id(id);
  r.set_version(version);
  r.set_kind(v1::KIND_STORY);
  r.set_visibility(visibility);
  r.mutable_story()->set_title(title);
  storage::IncomingRecord in;
  in.record = r;
  in.signed_bytes = record::SealRecord(r, key);
  return in;
}

// The ids of `store`'s feed entries after `after`, in feed order.
inline std::vector<std::string> FeedIds(const storage::RecordStore& store, uint64_t after) {
  auto entries = store.ReadSince(after, 1000);
  EXPECT_TRUE(entries.ok()) << entries.status();
  std::vector<std::string> ids;
  if (entries.ok()) {
    for (const storage::StoredEntry& e : *entries) ids.push_back(e.record.id());
  }
  return ids;
}

}  // namespace ldgs::testing
