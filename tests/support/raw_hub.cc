#include "tests/support/raw_hub.h"

#include "daemon/replication/session_table.h"
#include "tests/support/node_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace ldgs::testing {

class RawHub::Service final : public v1::Replication::Service {
 public:
  explicit Service(RawHub* hub) : hub_(hub) {}

  grpc::Status Hello(grpc::ServerContext*, const v1::HelloRequest* request,
                     v1::HelloResponse* response) override {
    const std::string challenge = record::RandomBytes(daemon::replication::kNonceBytes);
    response->set_node_id(hub_->node_id());
    response->set_challenge(challenge);
    response->set_signature(hub_->key_.Sign(
        daemon::replication::HelloTranscript(request->nonce(), request->node_id(), challenge)));
    response->set_your_region("midwest");
    response->add_hub_chain(hub_->node_id());
    std::lock_guard<std::mutex> lock(hub_->mu_);
    for (const std::string& id : hub_->above_) response->add_hub_chain(id);
    return grpc::Status::OK;
  }

  grpc::Status Pull(grpc::ServerContext* context, const v1::PullRequest*,
                    grpc::ServerWriter<v1::Batch>* writer) override {
    writer->Write(v1::Batch());  // nothing to send: caught up at 0
    // Open until the dialer goes or the hub stops (re-checked: a cancel wakes no one here).
    std::unique_lock<std::mutex> lock(hub_->mu_);
    uint64_t told = hub_->announcements_;  // Hello told the dialer the chain
    while (!context->IsCancelled() && !hub_->stopping_) {
      if (told < hub_->announcements_) {
        told = hub_->announcements_;
        v1::Batch batch;
        batch.add_hub_chain(hub_->node_id());
        for (const std::string& id : hub_->above_) batch.add_hub_chain(id);
        lock.unlock();
        const bool written = writer->Write(batch);
        lock.lock();
        if (!written) break;
        continue;
      }
      hub_->pushed_.wait_for(lock, std::chrono::milliseconds(100));
    }
    return grpc::Status::OK;
  }

  grpc::Status Push(grpc::ServerContext*,
                    grpc::ServerReaderWriter<v1::PushAck, v1::Batch>* stream) override {
    v1::Batch batch;
    while (stream->Read(&batch)) {
      bool answer = false;
      {
        std::lock_guard<std::mutex> lock(hub_->mu_);
        hub_->pushed_up_to_.push_back(batch.up_to());
        answer = hub_->acks_ == kEveryBatch || hub_->answered_ < hub_->acks_;
        if (answer) ++hub_->answered_;
      }
      hub_->pushed_.notify_all();
      v1::PushAck ack = hub_->ack_;
      if (hub_->acks_ == kEveryBatch) ack.set_up_to(batch.up_to());
      if (answer && !stream->Write(ack)) break;
    }
    return grpc::Status::OK;
  }

 private:
  RawHub* hub_;
};

RawHub::RawHub(v1::PushAck ack, int acks)
    : key_(record::NodeKey::Generate()), ack_(std::move(ack)), acks_(acks) {}

RawHub::~RawHub() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  pushed_.notify_all();
  if (server_) server_->Shutdown(std::chrono::system_clock::now());
}

::testing::AssertionResult RawHub::Start(const std::string& ca_dir, const std::string& out_dir) {
  CommandResult issued = RunCommand({LdgsctlPath(), "ca", "issue", "--ca", ca_dir, "--node-id",
                                     node_id(), "--out", out_dir, "--host", "127.0.0.1"});
  if (issued.exit_code != 0) {
    return ::testing::AssertionFailure() << "ldgsctl ca issue: " << issued.err;
  }
  grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = ReadFileOrEmpty(out_dir + "/ca.crt");
  tls.pem_key_cert_pairs.push_back(
      {ReadFileOrEmpty(out_dir + "/node.key"), ReadFileOrEmpty(out_dir + "/node.crt")});
  service_ = std::make_unique<Service>(this);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port);
  builder.RegisterService(service_.get());
  // As ldgsd's server (grpc_servers.cc): dialers ping every 10 s on idle streams.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  server_ = builder.BuildAndStart();
  if (!server_ || port == 0) return ::testing::AssertionFailure() << "the raw hub did not start";
  address_ = "127.0.0.1:" + std::to_string(port);
  return ::testing::AssertionSuccess();
}

void RawHub::AnnounceHubsAbove(std::vector<std::string> above) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    above_ = std::move(above);
    ++announcements_;
  }
  pushed_.notify_all();
}

bool RawHub::WaitForPushes(size_t count, std::chrono::seconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return pushed_.wait_for(lock, timeout, [&] { return pushed_up_to_.size() >= count; });
}

std::vector<uint64_t> RawHub::PushedUpTo() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pushed_up_to_;
}

}  // namespace ldgs::testing
