#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ldgs/v1/admin.pb.h"

namespace ldgs::client {

// What `ldgsctl put KIND` collected from its flags. Only the fields of the chosen kind are
// read; `json_file` ("-" for stdin), when set, supplies the whole body instead.
struct PutFlags {
  std::string kind;  // practice, metric, observation, story
  std::string id;
  std::string visibility;
  std::string json_file;
  // practice and story
  std::string title, summary, body, adapted_from, outcome, outcome_note;
  std::vector<std::string> issue_areas, communities, strategies, tags;
  // metric definition
  std::string code, name, unit, aggregation, direction, description;
  std::optional<double> target, min_value, max_value;
  // observation
  std::string metric, period, note;
  std::optional<double> value;
};

// Builds the request; INVALID_ARGUMENT (one line naming the flag or JSON field) on bad
// input. Checks only what the CLI must know to build the request; the node validates the
// rest.
absl::StatusOr<v1::PutRecordRequest> BuildPutRequest(const PutFlags& flags);

// One line of an import file: {"kind": "practice", "visibility": "network", "id": "...",
// "body": {...}} with the body in protobuf's JSON mapping. INVALID_ARGUMENT naming the
// problem otherwise.
absl::StatusOr<v1::PutRecordRequest> ParseImportLine(const std::string& line);

// "private", "hub", "network", "public" to Visibility; INVALID_ARGUMENT otherwise.
absl::StatusOr<v1::Visibility> ParseVisibility(const std::string& text);
// "practice", "metric", "observation", "story", "profile" to Kind; INVALID_ARGUMENT otherwise.
absl::StatusOr<v1::Kind> ParseKind(const std::string& text);

}  // namespace ldgs::client
