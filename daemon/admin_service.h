#pragma once

#include <string>

#include "ldgs/v1/admin.grpc.pb.h"
#include "record/local_writer.h"
#include "storage/store.h"

namespace ldgs::daemon {

// The Admin API of a node. Every call must carry "authorization: Bearer TOKEN" with the
// token from the data dir (UNAUTHENTICATED otherwise). Writes go through LocalWriter, reads
// through the store. Uses gRPC's synchronous API: admin traffic is a few calls from one
// operator, and the handlers do disk I/O that must not run on callback threads.
class AdminService final : public v1::Admin::Service {
 public:
  // `store` and `writer` must outlive the service.
  AdminService(storage::Store* store, record::LocalWriter* writer, std::string node_id,
               std::string token, int64_t started_us);

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::NodeStatus* response) override;
  grpc::Status PutRecord(grpc::ServerContext* context, const v1::PutRecordRequest* request,
                         v1::Record* response) override;
  grpc::Status GetRecord(grpc::ServerContext* context, const v1::GetRecordRequest* request,
                         v1::Record* response) override;
  grpc::Status ListRecords(grpc::ServerContext* context, const v1::ListRecordsRequest* request,
                           v1::ListRecordsResponse* response) override;
  grpc::Status ShareRecord(grpc::ServerContext* context, const v1::ShareRecordRequest* request,
                           v1::Record* response) override;
  grpc::Status DeleteRecord(grpc::ServerContext* context, const v1::DeleteRecordRequest* request,
                            v1::Record* response) override;

 private:
  grpc::Status CheckToken(const grpc::ServerContext& context) const;

  storage::Store* store_;
  record::LocalWriter* writer_;
  const std::string node_id_;
  const std::string token_;
  const int64_t started_us_;
};

}  // namespace ldgs::daemon
