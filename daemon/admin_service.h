#pragma once

#include <string>
#include <vector>

#include "daemon/hub/learnings.h"
#include "daemon/replication/change_notifier.h"
#include "daemon/replication/dial_peer.h"
#include "daemon/replication/peer_registry.h"
#include "daemon/replication/replication_context.h"
#include "ldgs/v1/admin.grpc.pb.h"
#include "storage/local_writer.h"
#include "storage/storage.h"

namespace ldgs::daemon {

// The Admin API of a node. Every call must carry "authorization: Bearer TOKEN" with the
// token from the data dir (UNAUTHENTICATED otherwise). Writes go through LocalWriter, reads
// through the store. Uses gRPC's synchronous API: admin traffic is a few calls from one
// operator, and the handlers do disk I/O that must not run on callback threads.
class AdminService final : public v1::Admin::Service {
 public:
  // What the service reads and drives; every pointer must outlive the service.
  struct Deps {
    storage::Storage* storage = nullptr;
    storage::LocalWriter* writer = nullptr;
    replication::ChangeNotifier* notifier = nullptr;
    replication::PeerRegistry* registry = nullptr;
    // The peers this node dials now, and how to add one (config and dialer) after a join.
    std::function<std::vector<replication::DialPeer>()> dial_peers;
    std::function<absl::Status(const replication::DialPeer&)> add_dial_peer;
    const replication::ReplicationContext* replication = nullptr;
    hub::Learnings* learnings = nullptr;
    std::string node_id;
    std::string data_dir;
    std::string token;
    int64_t started_us = 0;
  };
  explicit AdminService(Deps deps);

  // What ListPeers answers, for callers inside the node (the operator's web page).
  absl::StatusOr<v1::ListPeersResponse> Peers() const;

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::NodeStatus* response) override;
  grpc::Status PutRecord(grpc::ServerContext* context, const v1::PutRecordRequest* request,
                         v1::Record* response) override;
  grpc::Status ImportRecords(grpc::ServerContext* context, const v1::ImportRecordsRequest* request,
                             v1::ImportRecordsResponse* response) override;
  grpc::Status GetRecord(grpc::ServerContext* context, const v1::GetRecordRequest* request,
                         v1::Record* response) override;
  grpc::Status ListRecords(grpc::ServerContext* context, const v1::ListRecordsRequest* request,
                           v1::ListRecordsResponse* response) override;
  grpc::Status ShareRecord(grpc::ServerContext* context, const v1::ShareRecordRequest* request,
                           v1::Record* response) override;
  grpc::Status DeleteRecord(grpc::ServerContext* context, const v1::DeleteRecordRequest* request,
                            v1::Record* response) override;
  grpc::Status ListPeers(grpc::ServerContext* context, const v1::ListPeersRequest* request,
                         v1::ListPeersResponse* response) override;
  grpc::Status Enroll(grpc::ServerContext* context, const v1::EnrollRequest* request,
                      v1::Enrollment* response) override;
  grpc::Status Revoke(grpc::ServerContext* context, const v1::RevokeRequest* request,
                      v1::Enrollment* response) override;
  grpc::Status Backup(grpc::ServerContext* context, const v1::BackupRequest* request,
                      v1::BackupResponse* response) override;
  grpc::Status CreateInvite(grpc::ServerContext* context, const v1::CreateInviteRequest* request,
                            v1::InviteCode* response) override;
  grpc::Status JoinHub(grpc::ServerContext* context, const v1::JoinHubRequest* request,
                       v1::JoinHubResponse* response) override;

  grpc::Status SearchCatalogue(grpc::ServerContext* context,
                               const v1::SearchCatalogueRequest* request,
                               v1::SearchCatalogueResponse* response) override;
  grpc::Status RankPractices(grpc::ServerContext* context, const v1::RankPracticesRequest* request,
                             v1::RankPracticesResponse* response) override;
  grpc::Status GetProvenance(grpc::ServerContext* context, const v1::ProvenanceRequest* request,
                             v1::ProvenanceResponse* response) override;
  grpc::Status Compare(grpc::ServerContext* context, const v1::CompareRequest* request,
                       v1::CompareResponse* response) override;
  grpc::Status GetReport(grpc::ServerContext* context, const v1::ReportRequest* request,
                         v1::NetworkReport* response) override;
  grpc::Status AdaptPractice(grpc::ServerContext* context, const v1::AdaptPracticeRequest* request,
                             v1::Record* response) override;
  grpc::Status RecordOutcome(grpc::ServerContext* context, const v1::RecordOutcomeRequest* request,
                             v1::Record* response) override;

 private:
  grpc::Status CheckToken(const grpc::ServerContext& context) const;
  // FAILED_PRECONDITION when `region` would mix member chapters and a member hub (or hold
  // two member hubs) here; `node_id` is the node being (re-)enrolled, if any.
  absl::Status CheckRegionIsOfOneKind(v1::Relation relation, const std::string& region,
                                      const std::string& node_id) const;
  // INVALID_ARGUMENT for an observation outside its metric definition's bounds.
  // INVALID_ARGUMENT unless `body` is a body a put may write.
  grpc::Status CheckPutBody(const v1::Record& body) const;
  absl::Status CheckObservationBounds(const v1::Record& body) const;

  const Deps deps_;
};

}  // namespace ldgs::daemon
