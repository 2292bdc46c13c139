#pragma once

#include <optional>
#include <string_view>

#include "google/protobuf/message.h"
#include "ldgs/v1/record.pb.h"

// The kinds of record and the body field each one carries: the one table that maps a Kind,
// its name on the command line and in files, and the Record body oneof onto each other.
// Adding a kind means adding a row here (and its validation and formatting).
namespace ldgs::record {

// The kind a body belongs to (KIND_UNSPECIFIED when no body is set).
v1::Kind KindOfBody(const v1::Record& record);

// "practice", "metric", "observation", "story", "profile", "rollup", "revocation";
// "unknown" otherwise.
std::string_view KindName(v1::Kind kind);

// The inverse of KindName; nullopt for a name no kind has.
std::optional<v1::Kind> KindFromName(std::string_view name);

// An outcome as written on the command line, in URLs and facets: "worked", "mixed",
// "did-not-work-here", "too-early"; "" for OUTCOME_UNSPECIFIED or an unknown value.
std::string_view OutcomeName(v1::Outcome outcome);
// The inverse of OutcomeName; nullopt for any other name (and for "").
std::optional<v1::Outcome> OutcomeFromName(std::string_view name);

// Selects `kind`'s body field of `record` (clearing any other) and returns it to be filled.
// nullptr for KIND_UNSPECIFIED or an unknown kind.
google::protobuf::Message* MutableBody(v1::Record* record, v1::Kind kind);

// A copy of `record` holding only its body oneof: what an admin supplies as content, with
// every identity field (origin, id, version, kind, visibility, deleted, times) and every
// unknown field cleared.
v1::Record BodyOnly(const v1::Record& record);

}  // namespace ldgs::record
