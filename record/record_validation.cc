#include "record/record_validation.h"

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "common/status_macros.h"
#include "common/text.h"
#include "google/protobuf/message.h"
#include "record/kind.h"
#include "record/node_key.h"
#include "sodium.h"

namespace ldgs::record {
namespace {

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

bool IsDigits(std::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return !text.empty();
}

absl::Status CheckText(std::string_view field, const std::string& value, size_t max_bytes,
                       bool required = false) {
  if (required && value.empty())
    return absl::InvalidArgumentError(std::string(field) + " is required");
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(std::string(field) + " is " + std::to_string(value.size()) +
                                      " bytes, more than the limit of " +
                                      std::to_string(max_bytes));
  }
  return absl::OkStatus();
}

absl::Status CheckTags(std::string_view field,
                       const google::protobuf::RepeatedPtrField<std::string>& tags,
                       const RecordLimits& limits) {
  if (static_cast<size_t>(tags.size()) > limits.max_tags) {
    return absl::InvalidArgumentError(std::string(field) + " has " + std::to_string(tags.size()) +
                                      " entries, more than the limit of " +
                                      std::to_string(limits.max_tags));
  }
  for (const std::string& tag : tags) {
    if (!IsValidRecordId(tag, limits.max_tag_bytes)) {
      return absl::InvalidArgumentError(std::string(field) + " entry '" +
                                        std::string(TruncateUtf8(tag, 80)) + "' must be 1-" +
                                        std::to_string(limits.max_tag_bytes) +
                                        " characters of letters, digits, '.', '_', ':' or '-'");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckPractice(const v1::Practice& p, const RecordLimits& limits) {
  LDGS_RETURN_IF_ERROR(CheckText("practice title", p.title(), limits.max_short_text_bytes, true));
  LDGS_RETURN_IF_ERROR(CheckText("practice summary", p.summary(), limits.max_long_text_bytes));
  LDGS_RETURN_IF_ERROR(CheckText("outcome note", p.outcome_note(), limits.max_long_text_bytes));
  LDGS_RETURN_IF_ERROR(CheckTags("issue areas", p.issue_areas(), limits));
  LDGS_RETURN_IF_ERROR(CheckTags("communities", p.communities(), limits));
  LDGS_RETURN_IF_ERROR(CheckTags("strategies", p.strategies(), limits));
  LDGS_RETURN_IF_ERROR(CheckTags("tags", p.tags(), limits));
  if (!p.adapted_from().id().empty() || !p.adapted_from().origin().empty()) {
    if (!IsNodeId(p.adapted_from().origin()) ||
        !IsValidRecordId(p.adapted_from().id(), limits.max_id_bytes)) {
      return absl::InvalidArgumentError("adapted_from must name a node ID and a record id");
    }
  }
  if (!p.adopted_period().empty()) {
    if (p.adapted_from().id().empty()) {
      return absl::InvalidArgumentError("only an adaptation names the period it was adopted in");
    }
    if (!IsValidPeriod(p.adopted_period())) {
      return absl::InvalidArgumentError("adopted_period must be YYYY-MM or YYYY-Www");
    }
  }
  return absl::OkStatus();
}

// A "what's working" cell (a rollup naming a practice): a second group of chapters.
absl::Status CheckWorksFigures(const v1::Rollup& r, const RecordLimits& limits) {
  if (!IsNodeId(r.practice().origin()) ||
      !IsValidRecordId(r.practice().id(), limits.max_id_bytes)) {
    return absl::InvalidArgumentError("rollup practice must name a node ID and a record id");
  }
  if (!r.window_start().empty() && !IsValidPeriod(r.window_start())) {
    return absl::InvalidArgumentError("rollup window_start is not a period");
  }
  for (const auto& [name, set, value] :
       {std::tuple{"others_sum", r.has_others_sum(), r.others_sum()},
        std::tuple{"others_mean", r.has_others_mean(), r.others_mean()}}) {
    if (set && !std::isfinite(value)) {
      return absl::InvalidArgumentError(std::string("rollup ") + name + " must be finite");
    }
  }
  if (static_cast<uint64_t>(r.reporting()) + r.others() > r.expected()) {
    return absl::InvalidArgumentError("rollup compares more chapters than expected");
  }
  if (r.withheld() && (r.others() != 0 || r.has_others_sum() || r.has_others_mean())) {
    return absl::InvalidArgumentError("a withheld rollup carries no figure");
  }
  return absl::OkStatus();
}

// Metric codes are short enough that every rollup id of the metric fits an id
// ("rollup:" CODE ":" PERIOD ":region:" REGION, with 64-character regions).
constexpr size_t kMaxMetricCodeBytes = 40;
// Values are counts and amounts: this bound keeps every sum over a network finite.
constexpr double kMaxMagnitude = 1e12;
// Chapters behind one figure (a contribution's claim is bounded too).
constexpr uint32_t kMaxChapters = 1000000;

absl::Status CheckMetricCode(std::string_view field, const std::string& code, const RecordLimits&) {
  if (!IsValidRecordId(code, kMaxMetricCodeBytes)) {
    return absl::InvalidArgumentError(std::string(field) + " must be 1-" +
                                      std::to_string(kMaxMetricCodeBytes) +
                                      " letters, digits, '.', '_', ':' or '-'");
  }
  return absl::OkStatus();
}

absl::Status CheckMagnitude(std::string_view field, double value) {
  if (!std::isfinite(value) || std::fabs(value) > kMaxMagnitude) {
    return absl::InvalidArgumentError(std::string(field) +
                                      " must be a finite number of at most 1e12");
  }
  return absl::OkStatus();
}

// Unknown fields anywhere in the message tree (of the record or any message in it).
bool HasUnknownFields(const google::protobuf::Message& message) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  if (!reflection->GetUnknownFields(message).empty()) return true;
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        if (HasUnknownFields(reflection->GetRepeatedMessage(message, field, i))) return true;
      }
    } else if (HasUnknownFields(reflection->GetMessage(message, field))) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<std::string> RequiredRecordId(const v1::Record& record) {
  switch (record.body_case()) {
    case v1::Record::kMetricDefinition:
      return "metric:" + record.metric_definition().code();
    case v1::Record::kMetricObservation:
      return "obs:" + record.metric_observation().metric() + ":" +
             record.metric_observation().period();
    case v1::Record::kNodeProfile:
      return std::string("profile");
    case v1::Record::kRollup: {
      const v1::Rollup& r = record.rollup();
      if (r.has_practice()) {
        return (r.contribution() ? "works-contrib:" : "works:") + r.metric() + ":" + r.period() +
               ":" + PracticeKey(r.practice());
      }
      if (r.contribution()) return "contrib:" + r.metric() + ":" + r.period();
      return "rollup:" + r.metric() + ":" + r.period() + ":" + r.scope();
    }
    case v1::Record::kRevocation:
      return "revocation:" + record.revocation().node_id();
    case v1::Record::kPractice:
    case v1::Record::kStory:
    case v1::Record::BODY_NOT_SET:
      break;
  }
  return std::nullopt;
}

bool IsValidRecordId(std::string_view id, size_t max_bytes) {
  if (id.empty() || id.size() > max_bytes) return false;
  for (char c : id) {
    if (!IsIdChar(c)) return false;
  }
  return true;
}

std::string PracticeKey(const v1::RecordRef& practice) {
  if (sodium_init() < 0) return "";
  const std::string joined = practice.origin() + '\0' + practice.id();
  unsigned char hash[8];
  crypto_generichash(hash, sizeof(hash), reinterpret_cast<const unsigned char*>(joined.data()),
                     joined.size(), nullptr, 0);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  for (unsigned char byte : hash) {
    key.push_back(kHex[byte >> 4]);
    key.push_back(kHex[byte & 15]);
  }
  return key;
}

bool IsValidPeriod(std::string_view period) {
  // YYYY-MM or YYYY-Www
  if (period.size() == 7 && period[4] == '-' && IsDigits(period.substr(0, 4)) &&
      IsDigits(period.substr(5, 2))) {
    int month = std::stoi(std::string(period.substr(5, 2)));
    return month >= 1 && month <= 12;
  }
  if (period.size() == 8 && period[4] == '-' && period[5] == 'W' && IsDigits(period.substr(0, 4)) &&
      IsDigits(period.substr(6, 2))) {
    int week = std::stoi(std::string(period.substr(6, 2)));
    return week >= 1 && week <= 53;
  }
  return false;
}

absl::Status ValidateBody(const v1::Record& record, const RecordLimits& limits) {
  switch (record.body_case()) {
    case v1::Record::kPractice:
      return CheckPractice(record.practice(), limits);
    case v1::Record::kMetricDefinition: {
      const v1::MetricDefinition& d = record.metric_definition();
      LDGS_RETURN_IF_ERROR(CheckMetricCode("metric code", d.code(), limits));
      LDGS_RETURN_IF_ERROR(CheckText("metric name", d.name(), limits.max_short_text_bytes, true));
      LDGS_RETURN_IF_ERROR(CheckText("metric unit", d.unit(), limits.max_short_text_bytes));
      for (const auto& [name, set, value] :
           {std::tuple{"target", d.has_target(), d.target()},
            std::tuple{"min_value", d.has_min_value(), d.min_value()},
            std::tuple{"max_value", d.has_max_value(), d.max_value()}}) {
        if (set) LDGS_RETURN_IF_ERROR(CheckMagnitude(std::string("metric ") + name, value));
      }
      if (d.has_min_value() && d.has_max_value() && d.min_value() > d.max_value()) {
        return absl::InvalidArgumentError("metric min_value is above max_value");
      }
      return CheckText("metric description", d.description(), limits.max_long_text_bytes);
    }
    case v1::Record::kMetricObservation: {
      const v1::MetricObservation& o = record.metric_observation();
      LDGS_RETURN_IF_ERROR(CheckMetricCode("observation metric", o.metric(), limits));
      if (!IsValidPeriod(o.period())) {
        return absl::InvalidArgumentError("observation period '" +
                                          std::string(TruncateUtf8(o.period(), 40)) +
                                          "' must be YYYY-MM or YYYY-Www");
      }
      LDGS_RETURN_IF_ERROR(CheckMagnitude("observation value", o.value()));
      return CheckText("observation note", o.note(), limits.max_long_text_bytes);
    }
    case v1::Record::kStory: {
      const v1::Story& s = record.story();
      LDGS_RETURN_IF_ERROR(CheckText("story title", s.title(), limits.max_short_text_bytes, true));
      LDGS_RETURN_IF_ERROR(CheckText("story body", s.body(), limits.max_long_text_bytes));
      return CheckTags("story tags", s.tags(), limits);
    }
    case v1::Record::kNodeProfile: {
      const v1::NodeProfile& n = record.node_profile();
      LDGS_RETURN_IF_ERROR(CheckText("node name", n.name(), limits.max_short_text_bytes, true));
      return CheckText("node region", n.region(), limits.max_short_text_bytes);
    }
    case v1::Record::kRollup: {
      const v1::Rollup& r = record.rollup();
      LDGS_RETURN_IF_ERROR(CheckMetricCode("rollup metric", r.metric(), limits));
      if (!IsValidPeriod(r.period()))
        return absl::InvalidArgumentError("rollup period is not valid");
      LDGS_RETURN_IF_ERROR(CheckText("rollup scope", r.scope(), limits.max_short_text_bytes, true));
      LDGS_RETURN_IF_ERROR(
          CheckText("rollup withheld reason", r.withheld_reason(), limits.max_short_text_bytes));
      for (const auto& [name, set, value] :
           {std::tuple{"value", r.has_value(), r.value()}, std::tuple{"sum", r.has_sum(), r.sum()},
            std::tuple{"mean", r.has_mean(), r.mean()},
            std::tuple{"median", r.has_median(), r.median()}, std::tuple{"q1", r.has_q1(), r.q1()},
            std::tuple{"q3", r.has_q3(), r.q3()}, std::tuple{"change", r.has_change(), r.change()},
            std::tuple{"completeness", true, r.completeness()}}) {
        if (set && !std::isfinite(value)) {
          return absl::InvalidArgumentError(std::string("rollup ") + name + " must be finite");
        }
      }
      if (r.expected() > kMaxChapters) {
        return absl::InvalidArgumentError("rollup expects more than a million chapters");
      }
      // Never more reports than chapters, at any level.
      if (r.reporting() > r.expected()) {
        return absl::InvalidArgumentError("rollup reports " + std::to_string(r.reporting()) +
                                          " chapters of " + std::to_string(r.expected()) +
                                          " expected");
      }
      if (r.has_at_target() && r.at_target() > r.reporting()) {
        return absl::InvalidArgumentError("rollup has more chapters at target than reporting");
      }
      if (r.completeness() < 0 || r.completeness() > 1) {
        return absl::InvalidArgumentError("rollup completeness must be within 0..1");
      }
      if (r.withheld() &&
          (r.has_value() || r.has_sum() || r.has_mean() || r.has_median() || r.has_q1() ||
           r.has_q3() || r.has_change() || r.has_at_target() || r.reporting() != 0)) {
        return absl::InvalidArgumentError("a withheld rollup carries no figure");
      }
      if (r.has_practice()) return CheckWorksFigures(r, limits);
      if (r.others() != 0 || r.has_others_sum() || r.has_others_mean() ||
          !r.window_start().empty()) {
        return absl::InvalidArgumentError("only a what's-working rollup compares two groups");
      }
      return absl::OkStatus();
    }
    case v1::Record::kRevocation: {
      const v1::Revocation& r = record.revocation();
      if (!IsNodeId(r.node_id())) {
        return absl::InvalidArgumentError("revocation node_id is not a node ID");
      }
      return CheckText("revocation reason", r.reason(), limits.max_short_text_bytes);
    }
    case v1::Record::BODY_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("record has no body");
}

absl::Status ValidateRecord(const v1::Record& record, const RecordLimits& limits) {
  if (!IsNodeId(record.origin())) return absl::InvalidArgumentError("origin is not a node ID");
  if (!IsValidRecordId(record.id(), limits.max_id_bytes)) {
    return absl::InvalidArgumentError("record id must be 1-" + std::to_string(limits.max_id_bytes) +
                                      " characters of letters, digits, '.', '_', ':' or '-'");
  }
  if (record.version() == 0) return absl::InvalidArgumentError("record version is not set");
  if (!v1::Visibility_IsValid(record.visibility()) ||
      record.visibility() == v1::VISIBILITY_UNSPECIFIED) {
    return absl::InvalidArgumentError("record visibility is not set");
  }
  if (!v1::Kind_IsValid(record.kind()) || record.kind() == v1::KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("record kind is not set");
  }
  // Fields this build does not know would be signed, stored and relayed unchecked.
  if (HasUnknownFields(record)) {
    return absl::InvalidArgumentError("record carries fields this node does not know");
  }
  if (record.deleted()) {
    if (record.body_case() != v1::Record::BODY_NOT_SET) {
      return absl::InvalidArgumentError("a deleted record carries no body");
    }
    return absl::OkStatus();
  }
  if (KindOfBody(record) != record.kind()) {
    return absl::InvalidArgumentError("record kind does not match its body");
  }
  if (std::optional<std::string> required = RequiredRecordId(record);
      required && *required != record.id()) {
    return absl::InvalidArgumentError(
        "a " + std::string(KindName(record.kind())) + " record's id must be " +
        std::string(TruncateUtf8(*required, 120)) + ", not " + record.id());
  }
  return ValidateBody(record, limits);
}

}  // namespace ldgs::record
