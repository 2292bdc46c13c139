#pragma once

#include <string>

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

}  // namespace ldgs::testing
