#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "google/protobuf/message.h"
#include "ldgs/v1/admin.pb.h"

namespace ldgs::client {

// One line of JSON in protobuf's JSON mapping, with the .proto field names.
std::string ToJson(const google::protobuf::Message& message);

// Human-readable output for the terminal.
std::string FormatRecordTable(const std::vector<v1::Record>& records);
std::string FormatRecordDetail(const v1::Record& record);
std::string FormatStatus(const v1::NodeStatus& status);
std::string FormatPeers(const v1::ListPeersResponse& peers);

// True when every peer this node dials is connected and nothing is left to send or
// receive with any connected peer. `summary` gets a one-line progress description.
bool IsCaughtUp(const v1::ListPeersResponse& peers, std::string* summary);

// "practice", "metric", "observation", "story", "profile", "rollup".
std::string KindName(v1::Kind kind);

// "private", "hub", "network", "public".
std::string VisibilityName(v1::Visibility visibility);

}  // namespace ldgs::client
