#include "record/kind.h"

namespace ldgs::record {
namespace {

struct KindInfo {
  v1::Kind kind;
  std::string_view name;
  v1::Record::BodyCase body;  // also the body field's number in Record
};

constexpr KindInfo kKinds[] = {
    {v1::KIND_PRACTICE, "practice", v1::Record::kPractice},
    {v1::KIND_METRIC_DEFINITION, "metric", v1::Record::kMetricDefinition},
    {v1::KIND_METRIC_OBSERVATION, "observation", v1::Record::kMetricObservation},
    {v1::KIND_STORY, "story", v1::Record::kStory},
    {v1::KIND_NODE_PROFILE, "profile", v1::Record::kNodeProfile},
    {v1::KIND_ROLLUP, "rollup", v1::Record::kRollup},
    {v1::KIND_REVOCATION, "revocation", v1::Record::kRevocation},
};

const KindInfo* Find(v1::Kind kind) {
  for (const KindInfo& info : kKinds) {
    if (info.kind == kind) return &info;
  }
  return nullptr;
}

}  // namespace

v1::Kind KindOfBody(const v1::Record& record) {
  for (const KindInfo& info : kKinds) {
    if (info.body == record.body_case()) return info.kind;
  }
  return v1::KIND_UNSPECIFIED;
}

std::string_view KindName(v1::Kind kind) {
  const KindInfo* info = Find(kind);
  return info ? info->name : "unknown";
}

std::optional<v1::Kind> KindFromName(std::string_view name) {
  for (const KindInfo& info : kKinds) {
    if (info.name == name) return info.kind;
  }
  return std::nullopt;
}

google::protobuf::Message* MutableBody(v1::Record* record, v1::Kind kind) {
  const KindInfo* info = Find(kind);
  if (info == nullptr) return nullptr;
  const google::protobuf::FieldDescriptor* field =
      v1::Record::descriptor()->FindFieldByNumber(static_cast<int>(info->body));
  return record->GetReflection()->MutableMessage(record, field);
}

v1::Record BodyOnly(const v1::Record& record) {
  v1::Record body = record;
  const google::protobuf::Descriptor* descriptor = v1::Record::descriptor();
  const google::protobuf::OneofDescriptor* oneof = descriptor->FindOneofByName("body");
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (field->containing_oneof() != oneof) body.GetReflection()->ClearField(&body, field);
  }
  // Unknown fields would be signed and replicated as if the node had written them.
  body.GetReflection()->MutableUnknownFields(&body)->Clear();
  return body;
}

std::string_view OutcomeName(v1::Outcome outcome) {
  switch (outcome) {
    case v1::OUTCOME_WORKED:
      return "worked";
    case v1::OUTCOME_MIXED:
      return "mixed";
    case v1::OUTCOME_DID_NOT_WORK_HERE:
      return "did-not-work-here";
    case v1::OUTCOME_TOO_EARLY:
      return "too-early";
    default:
      return "";
  }
}

std::optional<v1::Outcome> OutcomeFromName(std::string_view name) {
  for (v1::Outcome o : {v1::OUTCOME_WORKED, v1::OUTCOME_MIXED, v1::OUTCOME_DID_NOT_WORK_HERE,
                        v1::OUTCOME_TOO_EARLY}) {
    if (!name.empty() && OutcomeName(o) == name) return o;
  }
  return std::nullopt;
}

}  // namespace ldgs::record
