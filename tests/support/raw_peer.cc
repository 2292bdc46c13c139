#include "tests/support/raw_peer.h"

#include "common/base32.h"
#include "daemon/replication/session_table.h"
#include "record/signed_record.h"

namespace ldgs::testing {

using daemon::replication::HelloTranscript;
using daemon::replication::SessionProofMessage;

RawPeer::RawPeer(const std::string& address)
    : key_(record::NodeKey::Generate()),
      stub_(v1::Replication::NewStub(
          grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

grpc::Status RawPeer::Hello(v1::Role role, uint32_t protocol_version) {
  v1::HelloRequest request;
  request.set_protocol_version(protocol_version ? protocol_version
                                                : daemon::replication::kProtocolVersion);
  request.set_node_id(node_id());
  request.set_role(role);
  request.set_nonce(record::RandomBytes(32));
  v1::HelloResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status status = stub_->Hello(&context, request, &response);
  if (!status.ok()) return status;
  if (!record::VerifySignature(response.node_id(),
                               HelloTranscript(request.nonce(), node_id(), response.challenge()),
                               response.signature())) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "node's hello signature does not verify");
  }
  server_id_ = response.node_id();
  challenge_ = response.challenge();
  last_hello_ = response;
  return status;
}

grpc::Status RawPeer::PullAll(std::vector<std::string>* records) {
  grpc::ClientContext context;
  Prepare(&context);
  auto reader = stub_->Pull(&context, v1::PullRequest());
  v1::Batch batch;
  while (reader->Read(&batch)) {
    records->insert(records->end(), batch.records().begin(), batch.records().end());
    if (batch.up_to() >= batch.head()) {
      context.TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  return status.error_code() == grpc::StatusCode::CANCELLED ? grpc::Status::OK : status;
}

void RawPeer::Prepare(grpc::ClientContext* context) const {
  context->AddMetadata("ldgs-node-id", node_id());
  context->AddMetadata("ldgs-session", Base32Encode(challenge_));
  context->AddMetadata("ldgs-proof",
                       Base32Encode(key_.Sign(SessionProofMessage(challenge_, server_id_))));
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

grpc::Status RawPeer::Push(const v1::Batch& batch, v1::PushAck* ack) {
  grpc::ClientContext context;
  Prepare(&context);
  auto stream = stub_->Push(&context);
  if (stream->Write(batch) && stream->Read(ack)) {
    stream->WritesDone();
  }
  return stream->Finish();
}

RawPeer::~RawPeer() {
  for (OpenStream& stream : open_pulls_) stream.context->TryCancel();
  for (OpenStream& stream : open_pulls_) stream.reader->Finish().ok();
}

grpc::Status RawPeer::OpenPull() {
  OpenStream stream;
  stream.context = std::make_unique<grpc::ClientContext>();
  Prepare(stream.context.get());
  stream.reader = stub_->Pull(stream.context.get(), v1::PullRequest());
  v1::Batch first;
  if (!stream.reader->Read(&first)) return stream.reader->Finish();
  open_pulls_.push_back(std::move(stream));
  return grpc::Status::OK;
}

std::string RawPeer::SealOwn(v1::Record record) const {
  record.set_origin(node_id());
  return record::SealRecord(record, key_);
}

}  // namespace ldgs::testing
