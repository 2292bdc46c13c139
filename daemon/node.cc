#include "daemon/node.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>
#include <utility>  // before Asio: Boost 1.74 with C++20 needs it (TOOLCHAIN.md)

#include "boost/asio/io_context.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/signal_set.hpp"
#include "boost/asio/thread_pool.hpp"
#include "common/clock.h"
#include "common/status_macros.h"
#include "daemon/admin_service.h"
#include "daemon/data_dir.h"
#include "daemon/hub/aggregator.h"
#include "daemon/replication/peer_link.h"
#include "daemon/replication/replication_service.h"
#include "grpcpp/grpcpp.h"
#include "record/node_key.h"
#include "spdlog/spdlog.h"
#include "storage/local_writer.h"
#include "storage/store.h"

namespace ldgs::daemon {

// Members in construction order; teardown is explicit in ~Node.
struct Node::State {
  NodeConfig config;
  boost::asio::io_context io;
  std::unique_ptr<storage::Store> store;
  std::optional<record::NodeKey> key;
  std::unique_ptr<storage::LocalWriter> writer;
  std::unique_ptr<replication::ChangeNotifier> notifier;
  replication::PeerRegistry registry;
  std::unique_ptr<replication::SessionTable> sessions;
  // Storage work of the replication streams runs here, off gRPC's callback threads.
  boost::asio::thread_pool storage_pool{4};
  replication::ReplicationContext replication;
  std::unique_ptr<replication::ReplicationService> replication_service;
  std::unique_ptr<grpc::Server> replication_server;
  std::unique_ptr<AdminService> admin_service;
  std::unique_ptr<grpc::Server> admin_server;
  std::mutex links_mu;  // joins add links while the node runs
  std::vector<std::unique_ptr<replication::PeerLink>> links ABSL_GUARDED_BY(links_mu);
  std::vector<replication::DialPeer> dial_peers ABSL_GUARDED_BY(links_mu);
  bool links_closed ABSL_GUARDED_BY(links_mu) = false;
  // Hubs only: keeps rollups current, woken by the change notifier.
  std::unique_ptr<hub::Aggregator> aggregator;
  std::thread aggregator_thread;
  std::atomic<bool> stopping{false};
};

namespace {

absl::StatusOr<std::string> ReadToken(const std::string& data_dir) {
  LDGS_ASSIGN_OR_RETURN(std::string token, ReadSmallFile(TokenPath(data_dir)));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.empty()) return absl::FailedPreconditionError(TokenPath(data_dir) + " is empty");
  return token;
}

// Binds `address` (port 0 picks a free one); returns the server and the bound address.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartServer(
    grpc::Service* service, const std::string& address, size_t max_message_bytes,
    std::shared_ptr<grpc::ServerCredentials> credentials, std::string* bound) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, credentials, &port);
  builder.RegisterService(service);
  builder.SetMaxReceiveMessageSize(static_cast<int>(max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(max_message_bytes));
  // Let dialers keep idle tailing streams alive with pings, and ping them in turn.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || (port == 0 && address.rfind("unix:", 0) != 0)) {
    return absl::UnavailableError("cannot listen on " + address);
  }
  if (address.rfind("unix:", 0) == 0) {
    *bound = address;
  } else {
    *bound = address.substr(0, address.rfind(':') + 1) + std::to_string(port);
  }
  return server;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Node>> Node::Start(const NodeConfig& config) {
  LDGS_RETURN_IF_ERROR(ValidateConfig(config));
  auto state = std::make_unique<State>();
  state->config = config;
  absl::StatusOr<record::NodeKey> key = record::NodeKey::Load(KeyPath(config.data_dir));
  if (absl::IsNotFound(key.status())) {
    return absl::NotFoundError(config.data_dir + " holds no node; run 'ldgsd init' first");
  }
  if (!key.ok()) return key.status();
  state->key.emplace(std::move(*key));
  LDGS_ASSIGN_OR_RETURN(state->store, storage::Store::Open(config.data_dir));
  state->store->SetMinFreeBytes(config.limits.min_free_disk_bytes);
  LDGS_ASSIGN_OR_RETURN(std::string token, ReadToken(config.data_dir));
  State& st = *state;
  st.writer = std::make_unique<storage::LocalWriter>(st.store.get(), &*st.key, config.limits);
  st.notifier = std::make_unique<replication::ChangeNotifier>(st.store->LastSequence());
  st.store->SetCommitListener(
      [notifier = st.notifier.get()](uint64_t seq) { notifier->Notify(seq); });
  st.sessions = std::make_unique<replication::SessionTable>(st.key->node_id());

  st.replication.store = st.store.get();
  st.replication.key = &*st.key;
  st.replication.self = {st.key->node_id(), config.role == v1::ROLE_HUB};
  st.replication.record_limits = config.limits;
  st.replication.batch_limits = config.batch_limits;
  st.replication.notifier = st.notifier.get();
  st.replication.registry = &st.registry;
  st.replication.sessions = st.sessions.get();
  st.replication.executor = [pool = &st.storage_pool](std::function<void()> task) {
    boost::asio::post(*pool, std::move(task));
  };
  // Node to node: mutual TLS with the federation CA, or plaintext when asked for.
  std::shared_ptr<grpc::ServerCredentials> listen_credentials = grpc::InsecureServerCredentials();
  if (config.insecure) {
    spdlog::warn("--insecure: node-to-node traffic is plaintext and unauthenticated by TLS");
  } else {
    LDGS_ASSIGN_OR_RETURN(std::string ca, ReadSmallFile(config.tls_ca));
    LDGS_ASSIGN_OR_RETURN(std::string cert, ReadSmallFile(config.tls_cert));
    LDGS_ASSIGN_OR_RETURN(std::string key, ReadSmallFile(config.tls_key));
    grpc::SslServerCredentialsOptions server_tls(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    server_tls.pem_root_certs = ca;
    server_tls.pem_key_cert_pairs.push_back({key, cert});
    listen_credentials = grpc::SslServerCredentials(server_tls);
    grpc::SslCredentialsOptions client_tls;
    client_tls.pem_root_certs = ca;
    client_tls.pem_private_key = key;
    client_tls.pem_cert_chain = cert;
    st.replication.tls = true;
    st.replication.dial_credentials = grpc::SslCredentials(client_tls);
  }
  st.replication_service = std::make_unique<replication::ReplicationService>(&st.replication);
  std::string listen_bound;
  LDGS_ASSIGN_OR_RETURN(
      st.replication_server,
      StartServer(st.replication_service.get(), config.listen,
                  config.batch_limits.max_message_bytes, listen_credentials, &listen_bound));

  AdminService::Deps deps;
  deps.store = st.store.get();
  deps.writer = st.writer.get();
  deps.notifier = st.notifier.get();
  deps.registry = &st.registry;
  deps.dial_peers = [&st] {
    std::lock_guard<std::mutex> lock(st.links_mu);
    return st.dial_peers;
  };
  deps.add_dial_peer = [&st](const replication::DialPeer& peer) -> absl::Status {
    std::lock_guard<std::mutex> lock(st.links_mu);
    if (st.links_closed) return absl::UnavailableError("the node is stopping");
    for (const replication::DialPeer& known : st.dial_peers) {
      if (known.node_id == peer.node_id) return absl::OkStatus();  // joined before
    }
    // Remembered in the config, so that the node dials it again after a restart.
    std::ofstream config(ConfigPath(st.config.data_dir), std::ios::app);
    config << "\n[[peers]]\nnode_id = \"" << peer.node_id << "\"\naddress = \"" << peer.address
           << "\"\nrelation = \"" << (peer.relation == v1::RELATION_SISTER ? "sister" : "hub")
           << "\"\n";
    config.close();
    if (!config) return absl::InternalError("cannot add the peer to the config file");
    st.dial_peers.push_back(peer);
    st.links.push_back(std::make_unique<replication::PeerLink>(&st.io, &st.replication, peer,
                                                               st.config.reconnect));
    st.links.back()->Start();
    return absl::OkStatus();
  };
  deps.replication = &st.replication;
  deps.node_id = st.key->node_id();
  deps.data_dir = config.data_dir;
  deps.token = token;
  deps.started_us = NowMicros();
  st.admin_service = std::make_unique<AdminService>(std::move(deps));
  std::string admin_bound;
  // The admin API is loopback-only (checked in ValidateConfig), guarded by its token.
  LDGS_ASSIGN_OR_RETURN(st.admin_server,
                        StartServer(st.admin_service.get(), config.admin_listen, 4 * 1024 * 1024,
                                    grpc::InsecureServerCredentials(), &admin_bound));

  if (config.role == v1::ROLE_HUB) {
    const bool has_hub_above =
        std::any_of(config.peers.begin(), config.peers.end(),
                    [](const replication::DialPeer& p) { return p.relation == v1::RELATION_HUB; });
    st.aggregator = std::make_unique<hub::Aggregator>(
        st.store.get(), st.writer.get(), st.key->node_id(), config.rollups, has_hub_above);
    st.aggregator_thread = std::thread([&st] {
      while (!st.stopping) {
        const uint64_t seen = st.notifier->last_seq();
        absl::StatusOr<int> written = st.aggregator->RunOnce(NowMicros());
        if (!written.ok()) spdlog::error("aggregator: {}", written.status().ToString());
        st.notifier->WaitBeyond(seen, std::chrono::steady_clock::now() + std::chrono::seconds(5));
      }
    });
  }
  std::lock_guard<std::mutex> links_lock(st.links_mu);
  st.dial_peers = config.peers;
  for (const replication::DialPeer& peer : config.peers) {
    st.links.push_back(
        std::make_unique<replication::PeerLink>(&st.io, &st.replication, peer, config.reconnect));
    st.links.back()->Start();
  }
  // Address files last: their presence tells scripts and tests the node is serving.
  LDGS_RETURN_IF_ERROR(
      WriteFileAtomically(ListenAddressPath(config.data_dir), listen_bound + "\n", 0644));
  LDGS_RETURN_IF_ERROR(
      WriteFileAtomically(AdminAddressPath(config.data_dir), admin_bound + "\n", 0644));
  spdlog::info("node {} ({}) serving replication on {}, admin on {}, dialing {} peer(s)",
               st.key->node_id(), RoleName(config.role), listen_bound, admin_bound,
               config.peers.size());
  return std::unique_ptr<Node>(new Node(std::move(state)));
}

Node::Node(std::unique_ptr<State> state) : state_(std::move(state)) {}

Node::~Node() {
  State& st = *state_;
  unlink(AdminAddressPath(st.config.data_dir).c_str());
  unlink(ListenAddressPath(st.config.data_dir).c_str());
  // Dialers first (they block on their own calls), then servers, then the storage pool
  // that their reactors post to; the store closes last, with the State.
  {
    std::lock_guard<std::mutex> lock(st.links_mu);
    st.links_closed = true;
  }
  for (auto& link : st.links) link->Stop();  // no link is added once closed
  st.stopping = true;
  if (st.notifier) st.notifier->WakeAll();
  if (st.aggregator_thread.joinable()) st.aggregator_thread.join();
  // Replication streams are endless by design: cancel them now rather than wait out a
  // drain (a batch being applied still commits whole; its dialer resends it, idempotently).
  if (st.replication_server) st.replication_server->Shutdown(std::chrono::system_clock::now());
  if (st.admin_server) {
    st.admin_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  if (st.notifier) st.notifier->WakeAll();
  if (st.replication_server) st.replication_server->Wait();
  if (st.admin_server) st.admin_server->Wait();
  st.storage_pool.join();
  std::lock_guard<std::mutex> lock(st.links_mu);
  st.links.clear();
}

const std::string& Node::node_id() const { return state_->key->node_id(); }

void Node::Run() {
  boost::asio::signal_set signals(state_->io, SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& error, int signal) {
    if (error) return;  // cancelled: Stop() was called
    spdlog::info("received signal {}, stopping", signal);
    state_->io.stop();
  });
  state_->io.run();
  spdlog::info("stopped");
}

void Node::Stop() { state_->io.stop(); }

}  // namespace ldgs::daemon
