#include "tests/support/raw_peer.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iterator>

#include "common/base32.h"
#include "daemon/replication/session_table.h"
#include "record/signed_record.h"
#include "tests/support/node_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace ldgs::testing {

using daemon::replication::HelloTranscript;
using daemon::replication::SessionProofMessage;

RawPeer::RawPeer(const std::string& address)
    : key_(record::NodeKey::Generate()),
      address_(address),
      channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
      stub_(v1::Replication::NewStub(channel_)) {}

::testing::AssertionResult RawPeer::UseTls(const std::string& ca_dir, const std::string& out_dir,
                                           const std::string& server_id,
                                           const std::string& trust_ca) {
  CommandResult issued = RunCommand({LdgsctlPath(), "ca", "issue", "--ca", ca_dir, "--node-id",
                                     node_id(), "--out", out_dir, "--host", "127.0.0.1"});
  if (issued.exit_code != 0) {
    return ::testing::AssertionFailure() << "ldgsctl ca issue: " << issued.err;
  }
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadFileOrEmpty(trust_ca.empty() ? out_dir + "/ca.crt" : trust_ca);
  tls.pem_private_key = ReadFileOrEmpty(out_dir + "/node.key");
  tls.pem_cert_chain = ReadFileOrEmpty(out_dir + "/node.crt");
  if (tls.pem_root_certs.empty() || tls.pem_private_key.empty() || tls.pem_cert_chain.empty()) {
    return ::testing::AssertionFailure() << "no certificate files in " << out_dir;
  }
  // As ldgsd dials (daemon/replication/channel.cc): the certificate must name the node ID.
  std::string expected = server_id;
  std::transform(expected.begin(), expected.end(), expected.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride(expected);
  channel_ = grpc::CreateCustomChannel(address_, grpc::SslCredentials(tls), args);
  stub_ = v1::Replication::NewStub(channel_);
  return ::testing::AssertionSuccess();
}

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
  return PullFrom(0, records, nullptr);
}

grpc::Status RawPeer::PullFrom(uint64_t since, std::vector<std::string>* records, uint64_t* up_to) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::PullRequest request;
  request.set_since(since);
  request.set_since_epoch(last_hello_.feed_epoch());
  auto reader = stub_->Pull(&context, request);
  v1::Batch batch;
  uint64_t reached = since;
  bool caught_up = false;
  while (reader->Read(&batch)) {
    records->insert(records->end(), batch.records().begin(), batch.records().end());
    reached = batch.up_to();
    if (batch.up_to() >= batch.head()) {
      caught_up = true;
      context.TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  if (up_to) *up_to = reached;
  if (caught_up && status.error_code() == grpc::StatusCode::CANCELLED) return grpc::Status::OK;
  return status;
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

grpc::Status RawPeer::PushPipelined(const std::vector<v1::Batch>& batches,
                                    const std::function<bool(const v1::PushAck&)>& enough,
                                    std::vector<v1::PushAck>* acks) {
  grpc::ClientContext context;
  Prepare(&context);
  // A node that never answers fails the test instead of hanging it.
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stream = stub_->Push(&context);
  bool written = true;
  for (const v1::Batch& batch : batches) written = written && stream->Write(batch);
  v1::PushAck ack;
  while (written && stream->Read(&ack)) {
    acks->push_back(ack);
    if (enough(ack)) {
      context.TryCancel();
      break;
    }
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
