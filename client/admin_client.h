#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ldgs/v1/admin.grpc.pb.h"

namespace ldgs::client {

// Where the node's Admin API is and the token it wants. Either `data_dir` (the address and
// token are read from admin.addr and admin.token there) or `address` + `token_file`.
struct Endpoint {
  std::string data_dir;
  std::string address;
  std::string token_file;
};

// A connection to one node's Admin API. Every call has a deadline and carries the token.
class AdminClient {
 public:
  // Reads the address and token. NOT_FOUND (with what to do) when the node is not running
  // or the token cannot be read.
  static absl::StatusOr<AdminClient> Connect(const Endpoint& endpoint);

  absl::StatusOr<v1::NodeStatus> GetStatus();
  absl::StatusOr<v1::Record> PutRecord(const v1::PutRecordRequest& request);
  absl::StatusOr<v1::ImportRecordsResponse> ImportRecords(const v1::ImportRecordsRequest& request);
  absl::StatusOr<v1::Record> GetRecord(const v1::GetRecordRequest& request);
  absl::StatusOr<v1::ListRecordsResponse> ListRecords(const v1::ListRecordsRequest& request);
  absl::StatusOr<v1::Record> ShareRecord(const v1::ShareRecordRequest& request);
  absl::StatusOr<v1::Record> DeleteRecord(const v1::DeleteRecordRequest& request);
  absl::StatusOr<v1::ListPeersResponse> ListPeers();
  absl::StatusOr<v1::Enrollment> Enroll(const v1::EnrollRequest& request);
  absl::StatusOr<v1::Enrollment> Revoke(const v1::RevokeRequest& request);
  absl::StatusOr<v1::BackupResponse> Backup(const v1::BackupRequest& request);
  absl::StatusOr<v1::InviteCode> CreateInvite(const v1::CreateInviteRequest& request);
  absl::StatusOr<v1::JoinHubResponse> JoinHub(const v1::JoinHubRequest& request);
  absl::StatusOr<v1::SearchCatalogueResponse> SearchCatalogue(
      const v1::SearchCatalogueRequest& request);
  absl::StatusOr<v1::RankPracticesResponse> RankPractices(const v1::RankPracticesRequest& request);
  absl::StatusOr<v1::ProvenanceResponse> GetProvenance(const v1::ProvenanceRequest& request);
  absl::StatusOr<v1::CompareResponse> Compare(const v1::CompareRequest& request);
  absl::StatusOr<v1::NetworkReport> GetReport(const v1::ReportRequest& request);
  absl::StatusOr<v1::Record> AdaptPractice(const v1::AdaptPracticeRequest& request);
  absl::StatusOr<v1::Record> RecordOutcome(const v1::RecordOutcomeRequest& request);

 private:
  AdminClient(std::unique_ptr<v1::Admin::Stub> stub, std::string token, std::string address);
  // One unary call with a deadline and the token; the status converted once.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (v1::Admin::Stub::*method)(grpc::ClientContext*,
                                                                        const Request&, Response*),
                                const Request& request);

  std::unique_ptr<v1::Admin::Stub> stub_;
  std::string token_;
  std::string address_;
};

}  // namespace ldgs::client
