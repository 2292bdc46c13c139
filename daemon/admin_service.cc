#include "daemon/admin_service.h"

#include <map>

#include "daemon/grpc_status.h"
#include "record/node_key.h"
#include "record/record_validation.h"

namespace ldgs::daemon {
namespace {

constexpr uint32_t kDefaultListLimit = 1000;
constexpr uint32_t kMaxListLimit = 100000;

// Copies the body oneof of a put request into an otherwise empty Record.
v1::Record BodyOf(const v1::PutRecordRequest& request) {
  v1::Record body;
  switch (request.body_case()) {
    case v1::PutRecordRequest::kPractice:
      *body.mutable_practice() = request.practice();
      break;
    case v1::PutRecordRequest::kMetricDefinition:
      *body.mutable_metric_definition() = request.metric_definition();
      break;
    case v1::PutRecordRequest::kMetricObservation:
      *body.mutable_metric_observation() = request.metric_observation();
      break;
    case v1::PutRecordRequest::kStory:
      *body.mutable_story() = request.story();
      break;
    case v1::PutRecordRequest::kNodeProfile:
      *body.mutable_node_profile() = request.node_profile();
      break;
    case v1::PutRecordRequest::BODY_NOT_SET:
      break;
  }
  return body;
}

}  // namespace

AdminService::AdminService(storage::Store* store, record::LocalWriter* writer,
                           std::string node_id, std::string token, int64_t started_us)
    : store_(store),
      writer_(writer),
      node_id_(std::move(node_id)),
      token_(std::move(token)),
      started_us_(started_us) {}

grpc::Status AdminService::CheckToken(const grpc::ServerContext& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (it == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing admin token");
  }
  std::string_view value(it->second.data(), it->second.size());
  if (value.substr(0, kBearer.size()) != kBearer ||
      !record::ConstantTimeEquals(value.substr(kBearer.size()), token_)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "wrong admin token");
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest*,
                                     v1::NodeStatus* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  response->set_node_id(node_id_);
  absl::StatusOr<storage::StoredEntry> profile = store_->Get(node_id_, "profile");
  if (profile.ok() && profile->record.has_node_profile()) {
    response->set_name(profile->record.node_profile().name());
    response->set_region(profile->record.node_profile().region());
    response->set_role(profile->record.node_profile().role());
  }
  response->set_last_sequence(store_->LastSequence());
  response->set_started_us(started_us_);
  response->set_version(LDGS_VERSION);
  bool truncated = false;
  storage::ListFilter all;
  all.limit = SIZE_MAX;
  absl::StatusOr<std::vector<storage::StoredEntry>> records = store_->List(all, &truncated);
  if (!records.ok()) return ToGrpcStatus(records.status());
  std::map<v1::Kind, uint64_t> counts;
  for (const storage::StoredEntry& entry : *records) ++counts[entry.record.kind()];
  for (const auto& [kind, count] : counts) {
    v1::KindCount* kc = response->add_records();
    kc->set_kind(kind);
    kc->set_count(count);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::PutRecord(grpc::ServerContext* context,
                                     const v1::PutRecordRequest* request, v1::Record* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  if (request->body_case() == v1::PutRecordRequest::BODY_NOT_SET) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "put needs a record body");
  }
  absl::StatusOr<v1::Record> written =
      writer_->Put(request->id(), request->visibility(), BodyOf(*request));
  if (!written.ok()) return ToGrpcStatus(written.status());
  *response = std::move(*written);
  return grpc::Status::OK;
}

grpc::Status AdminService::GetRecord(grpc::ServerContext* context,
                                     const v1::GetRecordRequest* request, v1::Record* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  const std::string& origin = request->origin().empty() ? node_id_ : request->origin();
  if (!record::IsNodeId(origin)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "origin is not a node ID");
  }
  if (!record::IsValidRecordId(request->id(), record::RecordLimits().max_id_bytes)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "record id is not valid");
  }
  absl::StatusOr<storage::StoredEntry> entry = store_->Get(origin, request->id());
  if (absl::IsNotFound(entry.status())) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no record " + request->id() +
                                                         (request->origin().empty()
                                                              ? " on this node"
                                                              : " from " + origin));
  }
  if (!entry.ok()) return ToGrpcStatus(entry.status());
  *response = std::move(entry->record);
  return grpc::Status::OK;
}

grpc::Status AdminService::ListRecords(grpc::ServerContext* context,
                                       const v1::ListRecordsRequest* request,
                                       v1::ListRecordsResponse* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  if (!v1::Kind_IsValid(request->kind())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unknown record kind");
  }
  if (!request->origin().empty() && !record::IsNodeId(request->origin())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "origin is not a node ID");
  }
  if (request->limit() > kMaxListLimit) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "limit must be at most " + std::to_string(kMaxListLimit));
  }
  storage::ListFilter filter;
  filter.kind = request->kind();
  filter.tag = request->tag();
  filter.origin = request->origin();
  filter.include_deleted = request->include_deleted();
  filter.limit = request->limit() == 0 ? kDefaultListLimit : request->limit();
  bool truncated = false;
  absl::StatusOr<std::vector<storage::StoredEntry>> entries = store_->List(filter, &truncated);
  if (!entries.ok()) return ToGrpcStatus(entries.status());
  for (storage::StoredEntry& entry : *entries) *response->add_records() = std::move(entry.record);
  response->set_truncated(truncated);
  return grpc::Status::OK;
}

grpc::Status AdminService::ShareRecord(grpc::ServerContext* context,
                                       const v1::ShareRecordRequest* request,
                                       v1::Record* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  absl::StatusOr<v1::Record> written = writer_->Share(request->id(), request->visibility());
  if (!written.ok()) return ToGrpcStatus(written.status());
  *response = std::move(*written);
  return grpc::Status::OK;
}

grpc::Status AdminService::DeleteRecord(grpc::ServerContext* context,
                                        const v1::DeleteRecordRequest* request,
                                        v1::Record* response) {
  if (grpc::Status s = CheckToken(*context); !s.ok()) return s;
  absl::StatusOr<v1::Record> written = writer_->Delete(request->id());
  if (!written.ok()) return ToGrpcStatus(written.status());
  *response = std::move(*written);
  return grpc::Status::OK;
}

}  // namespace ldgs::daemon
