#include "client/admin_client.h"

#include <chrono>
#include <fstream>
#include <iterator>

#include "common/data_dir_lock.h"
#include "grpcpp/grpcpp.h"
#include "proto/grpc_status.h"

namespace ldgs::client {
namespace {

constexpr auto kCallDeadline = std::chrono::seconds(30);

absl::StatusOr<std::string> ReadTrimmed(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read " + what + " " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  if (text.empty()) return absl::NotFoundError(what + " " + path + " is empty");
  return text;
}

}  // namespace

absl::StatusOr<AdminClient> AdminClient::Connect(const Endpoint& endpoint) {
  std::string address = endpoint.address;
  std::string token_file = endpoint.token_file;
  if (address.empty()) {
    absl::StatusOr<std::string> read =
        ReadTrimmed(endpoint.data_dir + "/admin.addr", "address file");
    if (!read.ok()) {
      return absl::UnavailableError("no node running on " + endpoint.data_dir +
                                    " (no admin.addr); start it with 'ldgsd run --data " +
                                    endpoint.data_dir + "'");
    }
    // A node killed with SIGKILL (or a lost machine) leaves admin.addr behind; a running
    // node holds the data dir's lock.
    absl::StatusOr<pid_t> holder = DataDirLock::Holder(endpoint.data_dir);
    if (holder.ok() && *holder == 0) {
      return absl::UnavailableError("no node running on " + endpoint.data_dir +
                                    " (admin.addr is left from one that did not stop cleanly); "
                                    "start it with 'ldgsd run --data " +
                                    endpoint.data_dir + "'");
    }
    address = *read;
  }
  if (token_file.empty()) token_file = endpoint.data_dir + "/admin.token";
  absl::StatusOr<std::string> token = ReadTrimmed(token_file, "admin token");
  if (!token.ok()) return token.status();
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  return AdminClient(v1::Admin::NewStub(channel), *token, address);
}

AdminClient::AdminClient(std::unique_ptr<v1::Admin::Stub> stub, std::string token,
                         std::string address)
    : stub_(std::move(stub)), token_(std::move(token)), address_(std::move(address)) {}

template <typename Request, typename Response>
absl::StatusOr<Response> AdminClient::Call(
    grpc::Status (v1::Admin::Stub::*method)(grpc::ClientContext*, const Request&, Response*),
    const Request& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  context.AddMetadata("authorization", "Bearer " + token_);
  Response response;
  grpc::Status status = (stub_.get()->*method)(&context, request, &response);
  if (status.ok()) return response;
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return FromGrpcStatus(status, "cannot reach the node at " + address_);
  }
  return FromGrpcStatus(status);
}

absl::StatusOr<v1::NodeStatus> AdminClient::GetStatus() {
  return Call(&v1::Admin::Stub::GetStatus, v1::GetStatusRequest());
}
absl::StatusOr<v1::Record> AdminClient::PutRecord(const v1::PutRecordRequest& request) {
  return Call(&v1::Admin::Stub::PutRecord, request);
}
absl::StatusOr<v1::ImportRecordsResponse> AdminClient::ImportRecords(
    const v1::ImportRecordsRequest& request) {
  return Call(&v1::Admin::Stub::ImportRecords, request);
}
absl::StatusOr<v1::Record> AdminClient::GetRecord(const v1::GetRecordRequest& request) {
  return Call(&v1::Admin::Stub::GetRecord, request);
}
absl::StatusOr<v1::ListRecordsResponse> AdminClient::ListRecords(
    const v1::ListRecordsRequest& request) {
  return Call(&v1::Admin::Stub::ListRecords, request);
}
absl::StatusOr<v1::Record> AdminClient::ShareRecord(const v1::ShareRecordRequest& request) {
  return Call(&v1::Admin::Stub::ShareRecord, request);
}
absl::StatusOr<v1::ListPeersResponse> AdminClient::ListPeers() {
  return Call(&v1::Admin::Stub::ListPeers, v1::ListPeersRequest());
}
absl::StatusOr<v1::Enrollment> AdminClient::Enroll(const v1::EnrollRequest& request) {
  return Call(&v1::Admin::Stub::Enroll, request);
}
absl::StatusOr<v1::Enrollment> AdminClient::Revoke(const v1::RevokeRequest& request) {
  return Call(&v1::Admin::Stub::Revoke, request);
}
absl::StatusOr<v1::BackupResponse> AdminClient::Backup(const v1::BackupRequest& request) {
  return Call(&v1::Admin::Stub::Backup, request);
}
absl::StatusOr<v1::InviteCode> AdminClient::CreateInvite(const v1::CreateInviteRequest& request) {
  return Call(&v1::Admin::Stub::CreateInvite, request);
}
absl::StatusOr<v1::JoinHubResponse> AdminClient::JoinHub(const v1::JoinHubRequest& request) {
  return Call(&v1::Admin::Stub::JoinHub, request);
}
absl::StatusOr<v1::Record> AdminClient::DeleteRecord(const v1::DeleteRecordRequest& request) {
  return Call(&v1::Admin::Stub::DeleteRecord, request);
}
absl::StatusOr<v1::SearchCatalogueResponse> AdminClient::SearchCatalogue(
    const v1::SearchCatalogueRequest& request) {
  return Call(&v1::Admin::Stub::SearchCatalogue, request);
}
absl::StatusOr<v1::RankPracticesResponse> AdminClient::RankPractices(
    const v1::RankPracticesRequest& request) {
  return Call(&v1::Admin::Stub::RankPractices, request);
}
absl::StatusOr<v1::ProvenanceResponse> AdminClient::GetProvenance(
    const v1::ProvenanceRequest& request) {
  return Call(&v1::Admin::Stub::GetProvenance, request);
}
absl::StatusOr<v1::CompareResponse> AdminClient::Compare(const v1::CompareRequest& request) {
  return Call(&v1::Admin::Stub::Compare, request);
}
absl::StatusOr<v1::NetworkReport> AdminClient::GetReport(const v1::ReportRequest& request) {
  return Call(&v1::Admin::Stub::GetReport, request);
}
absl::StatusOr<v1::Record> AdminClient::AdaptPractice(const v1::AdaptPracticeRequest& request) {
  return Call(&v1::Admin::Stub::AdaptPractice, request);
}
absl::StatusOr<v1::Record> AdminClient::RecordOutcome(const v1::RecordOutcomeRequest& request) {
  return Call(&v1::Admin::Stub::RecordOutcome, request);
}

}  // namespace ldgs::client
