#include "client/put_request.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <map>

#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "record/kind.h"

namespace ldgs::client {
namespace {

template <typename Enum>
absl::StatusOr<Enum> Lookup(const std::map<std::string, Enum>& names, const std::string& text,
                            const std::string& what) {
  auto it = names.find(text);
  if (it != names.end()) return it->second;
  std::string choices;
  for (const auto& [name, value] : names) choices += (choices.empty() ? "" : ", ") + name;
  return absl::InvalidArgumentError(what + " must be one of " + choices + ", not '" + text + "'");
}

absl::StatusOr<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    return std::string((std::istreambuf_iterator<char>(std::cin)),
                       std::istreambuf_iterator<char>());
  }
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError("cannot read " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Parses `json` (protobuf's JSON mapping, field names as in the .proto) into `message`.
absl::Status ParseJson(const std::string& json, const std::string& source,
                       google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a typo must not silently drop a field
  auto status = google::protobuf::util::JsonStringToMessage(json, message, options);
  if (!status.ok()) {
    std::string reason(status.message());
    return absl::InvalidArgumentError(source + ": " + reason);
  }
  return absl::OkStatus();
}

absl::Status FillPractice(const PutFlags& f, v1::Practice* p) {
  p->set_title(f.title);
  p->set_summary(f.summary.empty() ? f.body : f.summary);
  for (const auto& v : f.issue_areas) p->add_issue_areas(v);
  for (const auto& v : f.communities) p->add_communities(v);
  for (const auto& v : f.strategies) p->add_strategies(v);
  for (const auto& v : f.tags) p->add_tags(v);
  if (!f.adapted_from.empty()) {
    size_t slash = f.adapted_from.find('/');
    if (slash == std::string::npos) {
      return absl::InvalidArgumentError("--adapted-from must be ORIGIN/ID");
    }
    p->mutable_adapted_from()->set_origin(f.adapted_from.substr(0, slash));
    p->mutable_adapted_from()->set_id(f.adapted_from.substr(slash + 1));
  }
  if (!f.outcome.empty()) {
    static const std::map<std::string, v1::Outcome> kOutcomes = {
        {"worked", v1::OUTCOME_WORKED},
        {"mixed", v1::OUTCOME_MIXED},
        {"did-not-work-here", v1::OUTCOME_DID_NOT_WORK_HERE},
        {"too-early", v1::OUTCOME_TOO_EARLY}};
    LDGS_ASSIGN_OR_RETURN(v1::Outcome outcome, Lookup(kOutcomes, f.outcome, "--outcome"));
    p->set_outcome(outcome);
  }
  p->set_outcome_note(f.outcome_note);
  return absl::OkStatus();
}

absl::Status FillMetric(const PutFlags& f, v1::MetricDefinition* d) {
  static const std::map<std::string, v1::Aggregation> kAggregations = {
      {"sum", v1::AGGREGATION_SUM},
      {"mean", v1::AGGREGATION_MEAN},
      {"latest", v1::AGGREGATION_LATEST},
      {"max", v1::AGGREGATION_MAX}};
  static const std::map<std::string, v1::Direction> kDirections = {
      {"up", v1::DIRECTION_UP_IS_GOOD}, {"down", v1::DIRECTION_DOWN_IS_GOOD}};
  d->set_code(f.code);
  d->set_name(f.name);
  d->set_unit(f.unit);
  d->set_description(f.description);
  LDGS_ASSIGN_OR_RETURN(
      v1::Aggregation aggregation,
      Lookup(kAggregations, f.aggregation.empty() ? "sum" : f.aggregation, "--aggregation"));
  d->set_aggregation(aggregation);
  if (!f.direction.empty()) {
    LDGS_ASSIGN_OR_RETURN(v1::Direction direction, Lookup(kDirections, f.direction, "--direction"));
    d->set_direction(direction);
  }
  if (f.target) d->set_target(*f.target);
  if (f.min_value) d->set_min_value(*f.min_value);
  if (f.max_value) d->set_max_value(*f.max_value);
  return absl::OkStatus();
}

absl::Status FillObservation(const PutFlags& f, v1::MetricObservation* o) {
  if (!f.value) return absl::InvalidArgumentError("--value is required for an observation");
  o->set_metric(f.metric);
  o->set_period(f.period);
  o->set_value(*f.value);
  o->set_note(f.note);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Visibility> ParseVisibility(const std::string& text) {
  static const std::map<std::string, v1::Visibility> kNames = {{"private", v1::VISIBILITY_PRIVATE},
                                                               {"hub", v1::VISIBILITY_HUB},
                                                               {"network", v1::VISIBILITY_NETWORK},
                                                               {"public", v1::VISIBILITY_PUBLIC}};
  return Lookup(kNames, text, "visibility");
}

absl::StatusOr<v1::Kind> ParseKind(const std::string& text) {
  std::optional<v1::Kind> kind = record::KindFromName(text);
  if (!kind) {
    return absl::InvalidArgumentError(
        "kind must be one of metric, observation, practice, profile, rollup, story, not '" + text +
        "'");
  }
  return *kind;
}

namespace {

// Sets the id and visibility of `request` from `flags` and selects the body for the kind;
// returns the body message to fill.
absl::StatusOr<google::protobuf::Message*> StartRequest(const PutFlags& flags,
                                                        v1::PutRecordRequest* request) {
  request->set_id(flags.id);
  if (!flags.visibility.empty()) {
    LDGS_ASSIGN_OR_RETURN(v1::Visibility visibility, ParseVisibility(flags.visibility));
    request->set_visibility(visibility);
  }
  LDGS_ASSIGN_OR_RETURN(v1::Kind kind, ParseKind(flags.kind));
  google::protobuf::Message* body =
      kind == v1::KIND_ROLLUP ? nullptr : record::MutableBody(request->mutable_body(), kind);
  if (body == nullptr)
    return absl::InvalidArgumentError("cannot put a record of kind " + flags.kind);
  return body;
}

}  // namespace

absl::StatusOr<v1::PutRecordRequest> ParseImportLine(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError("not a JSON object");
  if (!j.contains("kind") || !j["kind"].is_string() || !j.contains("body") ||
      !j["body"].is_object()) {
    return absl::InvalidArgumentError("needs \"kind\" and a \"body\" object");
  }
  PutFlags flags;
  flags.kind = j["kind"].get<std::string>();
  if (j.contains("id") && j["id"].is_string()) flags.id = j["id"].get<std::string>();
  if (j.contains("visibility") && j["visibility"].is_string()) {
    flags.visibility = j["visibility"].get<std::string>();
  }
  v1::PutRecordRequest request;
  LDGS_ASSIGN_OR_RETURN(google::protobuf::Message * body, StartRequest(flags, &request));
  LDGS_RETURN_IF_ERROR(ParseJson(j["body"].dump(), "body", body));
  return request;
}

absl::StatusOr<v1::PutRecordRequest> BuildPutRequest(const PutFlags& flags) {
  v1::PutRecordRequest request;
  LDGS_ASSIGN_OR_RETURN(google::protobuf::Message * body, StartRequest(flags, &request));
  const v1::Kind kind = record::KindOfBody(request.body());
  if (!flags.json_file.empty()) {
    LDGS_ASSIGN_OR_RETURN(std::string json, ReadInput(flags.json_file));
    LDGS_RETURN_IF_ERROR(ParseJson(json, flags.json_file, body));
    return request;
  }
  switch (kind) {
    case v1::KIND_PRACTICE:
      LDGS_RETURN_IF_ERROR(FillPractice(flags, request.mutable_body()->mutable_practice()));
      break;
    case v1::KIND_METRIC_DEFINITION:
      LDGS_RETURN_IF_ERROR(FillMetric(flags, request.mutable_body()->mutable_metric_definition()));
      break;
    case v1::KIND_METRIC_OBSERVATION:
      LDGS_RETURN_IF_ERROR(
          FillObservation(flags, request.mutable_body()->mutable_metric_observation()));
      break;
    case v1::KIND_STORY:
      request.mutable_body()->mutable_story()->set_title(flags.title);
      request.mutable_body()->mutable_story()->set_body(flags.body.empty() ? flags.summary
                                                                           : flags.body);
      for (const auto& tag : flags.tags) request.mutable_body()->mutable_story()->add_tags(tag);
      break;
    default:
      return absl::InvalidArgumentError("put " + flags.kind + " takes --json FILE");
  }
  return request;
}

}  // namespace ldgs::client
