// Node: the composition of a running ldgsd. Start builds the parts in dependency order
// (storage and identity, replication, servers, peers, hub, HTTP) and writes the address
// files last; the destructor takes them down in reverse.
#include "daemon/node.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <functional>
#include <thread>
#include <utility>  // before Asio: Boost 1.74 with C++20 needs it (TOOLCHAIN.md)

#include "boost/asio/io_context.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/signal_set.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/thread_pool.hpp"
#include "common/base32.h"
#include "common/clock.h"
#include "common/data_dir_lock.h"
#include "common/status_macros.h"
#include "daemon/admin_service.h"
#include "daemon/data_dir.h"
#include "daemon/files.h"
#include "daemon/grpc_servers.h"
#include "daemon/hub_runner.h"
#include "daemon/node_http.h"
#include "daemon/node_metrics.h"
#include "daemon/peer_links.h"
#include "daemon/replication/replication_service.h"
#include "daemon/retraction_purge.h"
#include "daemon/web_site.h"
#include "record/node_key.h"
#include "spdlog/spdlog.h"
#include "storage/db_stats.h"
#include "storage/local_writer.h"
#include "storage/storage.h"

namespace ldgs::daemon {
namespace {

constexpr size_t kAdminMaxMessageBytes = 4 * 1024 * 1024;

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  LDGS_ASSIGN_OR_RETURN(std::string token, ReadSmallFile(path));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.empty()) return absl::FailedPreconditionError(path + " is empty");
  return token;
}

// The metrics token, made on the first start of a node that has none (older data dirs and
// restores too): a scraper holds this one, never the admin token.
absl::StatusOr<std::string> ReadOrMakeMetricsToken(const std::string& data_dir) {
  const std::string path = MetricsTokenPath(data_dir);
  if (access(path.c_str(), F_OK) != 0) {
    LDGS_RETURN_IF_ERROR(
        WriteFileAtomically(path, Base32Encode(record::RandomBytes(20)) + "\n", 0600));
  }
  return ReadToken(path);
}

}  // namespace

// Members in construction order; teardown is explicit in ~Node.
struct Node::State {
  NodeConfig config;
  std::unique_ptr<DataDirLock> lock;  // one node per data dir, for as long as it runs
  bool wrote_address_files = false;   // only then are they this node's to remove
  boost::asio::io_context io;
  // Storage and identity.
  std::unique_ptr<storage::Storage> storage;
  std::optional<record::NodeKey> key;
  std::unique_ptr<storage::LocalWriter> writer;
  std::unique_ptr<RetractionPurge> purge;
  // Replication: shared state, then the service and its server.
  std::unique_ptr<replication::ChangeNotifier> notifier;
  replication::PeerRegistry registry;
  std::unique_ptr<replication::SessionTable> sessions;
  std::unique_ptr<replication::HubChain> hub_chain;
  replication::Revocations revocations;
  // Storage work of the replication streams runs here, off gRPC's callback threads.
  boost::asio::thread_pool storage_pool{4};
  replication::ReplicationContext replication;
  std::unique_ptr<replication::ReplicationService> replication_service;
  std::unique_ptr<grpc::Server> replication_server;
  // Peers this node dials, the Admin API, the hub's aggregator, the HTTP endpoint.
  std::unique_ptr<PeerLinks> peers;
  std::unique_ptr<hub::Learnings> learnings;
  std::unique_ptr<AdminService> admin_service;
  std::unique_ptr<grpc::Server> admin_server;
  std::unique_ptr<HubRunner> hub;
  std::unique_ptr<WebSite> web;
  std::atomic<WebSite*> web_ready{nullptr};  // what the HTTP pages reach, once it exists
  std::unique_ptr<NodeMetrics> metrics;
  std::atomic<NodeMetrics*> metrics_ready{nullptr};  // what /metrics reaches, likewise
  std::atomic<bool> started{false};                  // Init is over: /readyz may say so
  boost::asio::io_context http_io;
  std::unique_ptr<http::HttpServer> http;
  std::thread http_thread;  // runs http_io
  // Handled from before the address files exist, so that a signal sent to a node that says
  // it is serving is never lost or fatal.
  std::unique_ptr<boost::asio::signal_set> signals;
};

absl::StatusOr<std::unique_ptr<Node>> Node::Start(const NodeConfig& config) {
  LDGS_RETURN_IF_ERROR(ValidateConfig(config));
  // The Node exists from the start, so that a failure at any step below is torn down by
  // ~Node like a stop (servers shut down with a deadline, links stopped), never left to
  // member destructors that would wait on endless streams.
  std::unique_ptr<Node> node(new Node(std::make_unique<State>()));
  LDGS_RETURN_IF_ERROR(node->Init(config));
  return node;
}

absl::Status Node::Init(const NodeConfig& config) {
  State& st = *state_;
  st.config = config;
  // Before anything else: a second ldgsd on this data dir stops here, touching nothing.
  LDGS_ASSIGN_OR_RETURN(st.lock, DataDirLock::Acquire(config.data_dir));
  // Everything that can be checked without the store is checked first: a node that cannot
  // start leaves its store untouched (no migration to a schema an older build refuses).
  absl::StatusOr<record::NodeKey> key = record::NodeKey::Load(KeyPath(config.data_dir));
  if (absl::IsNotFound(key.status())) {
    return absl::NotFoundError(config.data_dir + " holds no node; run 'ldgsd init' first");
  }
  if (!key.ok()) return key.status();
  st.key.emplace(std::move(*key));
  LDGS_ASSIGN_OR_RETURN(std::string token, ReadToken(TokenPath(config.data_dir)));
  LDGS_ASSIGN_OR_RETURN(std::string metrics_token, ReadOrMakeMetricsToken(config.data_dir));
  LDGS_ASSIGN_OR_RETURN(NodeTls tls, LoadNodeTls(config));
  if (!config.http_listen.empty()) {
    // Pages run on their own thread: a slow page never holds up signals or peer links.
    NodeHttpDeps http;
    http.site = [state = &st] { return state->web_ready.load(); };
    http.metrics = [state = &st] { return state->metrics_ready.load(); };
    http.ready = [state = &st] {
      return state->started.load() && !storage::ReadDbStats(state->storage->db()).writes_stopped;
    };
    http.metrics_token = metrics_token;
    LDGS_ASSIGN_OR_RETURN(st.http, StartNodeHttp(&st.http_io, config.http_listen, std::move(http)));
    st.http_thread = std::thread([io = &st.http_io] { io->run(); });
  }
  LDGS_ASSIGN_OR_RETURN(st.storage, storage::Storage::Open(config.data_dir, config.store));
  st.storage->db().SetMinFreeBytes(config.limits.min_free_disk_bytes);
  storage::RecordStore& records = st.storage->records();
  st.writer = std::make_unique<storage::LocalWriter>(&records, &*st.key, config.limits);
  // Helpers for signing and checking signatures: one per other core, at most the storage
  // pool's other threads.
  const int helpers =
      std::min(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())), 4) - 1;
  st.writer->SetSigningExecutor(
      [pool = &st.storage_pool](std::function<void()> task) {
        boost::asio::post(*pool, std::move(task));
      },
      helpers);
  st.purge = std::make_unique<RetractionPurge>(st.storage.get(), config.purge_interval);

  st.notifier = std::make_unique<replication::ChangeNotifier>(records.LastSequence());
  records.SetCommitListener(
      [notifier = st.notifier.get()](const storage::FeedCommit& c) { notifier->Notify(c); });
  st.sessions = std::make_unique<replication::SessionTable>(st.key->node_id());
  replication::ReplicationContext& r = st.replication;
  r.records = &records;
  r.state = &st.storage->state();
  r.key = &*st.key;
  r.is_hub = config.role == v1::ROLE_HUB;
  std::vector<std::string> configured_hubs;
  for (const replication::DialPeer& peer : config.peers) {
    if (peer.relation == v1::RELATION_HUB) configured_hubs.push_back(peer.node_id);
  }
  st.hub_chain = std::make_unique<replication::HubChain>(&st.storage->state(), configured_hubs);
  r.hub_chain = st.hub_chain.get();
  r.revocations = &st.revocations;
  r.record_limits = config.limits;
  r.batch_limits = config.batch_limits;
  r.notifier = st.notifier.get();
  r.registry = &st.registry;
  r.sessions = st.sessions.get();
  r.executor = [pool = &st.storage_pool](std::function<void()> task) {
    boost::asio::post(*pool, std::move(task));
  };
  // A batch's signatures are checked on every core: the calling task and one helper per
  // other core (the pool has threads to spare for them).
  r.verify_helpers = helpers;
  r.run_after = [pool = &st.storage_pool](std::chrono::milliseconds delay,
                                          std::function<void()> task) {
    auto timer = std::make_shared<boost::asio::steady_timer>(pool->get_executor(), delay);
    timer->async_wait(
        [timer, task = std::move(task)](const boost::system::error_code&) { task(); });
  };
  r.tls = tls.enabled;
  r.dial_credentials = tls.dial;
  LDGS_RETURN_IF_ERROR(r.ReloadRevocations());
  st.replication_service = std::make_unique<replication::ReplicationService>(&r);
  std::string listen_bound;
  LDGS_ASSIGN_OR_RETURN(
      st.replication_server,
      StartGrpcServer(st.replication_service.get(), config.listen,
                      config.batch_limits.max_message_bytes, tls.listen, &listen_bound));

  st.peers = std::make_unique<PeerLinks>(&st.io, &r, config.reconnect, ConfigPath(config.data_dir));
  hub::LearningSources sources;
  sources.store = &records;
  sources.state = &st.storage->state();
  sources.self_id = st.key->node_id();
  sources.hub_chain = [chain = st.hub_chain.get()] { return chain->NearestFirst(); };
  sources.enrolled_region = [state = &st.storage->state(), chain = st.hub_chain.get()] {
    const std::vector<std::string> hubs = chain->NearestFirst();
    if (hubs.empty()) return std::string();
    absl::StatusOr<std::string> region = state->GetMarker("enrolled_region/" + hubs.front());
    return region.ok() ? *region : std::string();
  };
  LDGS_ASSIGN_OR_RETURN(st.learnings,
                        hub::Learnings::Open(std::move(sources), CataloguePath(config.data_dir)));
  AdminService::Deps deps;
  deps.storage = st.storage.get();
  deps.writer = st.writer.get();
  deps.notifier = st.notifier.get();
  deps.registry = &st.registry;
  deps.dial_peers = [peers = st.peers.get()] { return peers->List(); };
  deps.add_dial_peer = [peers = st.peers.get(),
                        chain = st.hub_chain.get()](const replication::DialPeer& peer) {
    if (peer.relation == v1::RELATION_HUB) chain->AddConfigured(peer.node_id);
    return peers->Add(peer);
  };
  deps.replication = &r;
  deps.learnings = st.learnings.get();
  deps.node_id = st.key->node_id();
  deps.data_dir = config.data_dir;
  deps.token = token;
  deps.started_us = NowMicros();
  st.admin_service = std::make_unique<AdminService>(std::move(deps));
  std::string admin_bound;
  // The admin API is loopback-only (checked in ValidateConfig), guarded by its token.
  LDGS_ASSIGN_OR_RETURN(
      st.admin_server,
      StartGrpcServer(st.admin_service.get(), config.admin_listen, kAdminMaxMessageBytes,
                      grpc::InsecureServerCredentials(), &admin_bound));

  if (st.http) {
    WebSite::Deps web;
    web.learnings = st.learnings.get();
    web.peers = [admin = st.admin_service.get()] { return admin->Peers(); };
    web.admin_token = token;
    web.loopback = IsLoopbackAddress(st.http->bound_address());
    web.is_hub = config.role == v1::ROLE_HUB;
    absl::StatusOr<storage::StoredEntry> profile = records.Get(st.key->node_id(), "profile");
    if (profile.ok() && profile->record.has_node_profile()) {
      web.node_name = profile->record.node_profile().name();
    }
    st.web = std::make_unique<WebSite>(std::move(web));
    st.web_ready = st.web.get();
  }

  if (config.role == v1::ROLE_HUB) {
    const bool has_hub_above =
        std::any_of(config.peers.begin(), config.peers.end(),
                    [](const replication::DialPeer& p) { return p.relation == v1::RELATION_HUB; });
    auto chain = [chain = st.hub_chain.get()] { return chain->NearestFirst(); };
    auto is_revoked = [revocations = &st.revocations](const std::string& node_id) {
      return revocations->Contains(node_id);
    };
    st.hub = std::make_unique<HubRunner>(
        std::make_unique<hub::Aggregator>(
            &records, &st.storage->state(), st.writer.get(), st.key->node_id(), config.rollups,
            has_hub_above, chain, is_revoked,
            [revocations = &st.revocations] { return revocations->version(); }),
        std::make_unique<hub::WorksAggregator>(&records, &st.storage->state(), st.writer.get(),
                                               st.key->node_id(), config.rollups, has_hub_above,
                                               chain, is_revoked, st.learnings->practices()),
        st.notifier.get());
  }
  st.peers->StartConfigured(config.peers);
  NodeMetrics::Sources metrics;
  metrics.node_id = st.key->node_id();
  metrics.is_hub = config.role == v1::ROLE_HUB;
  metrics.version = LDGS_VERSION;
  metrics.started_us = NowMicros();
  metrics.records = &records;
  metrics.db = &st.storage->db();
  metrics.registry = &st.registry;
  metrics.peers = [admin = st.admin_service.get()] { return admin->Peers(); };
  st.metrics = std::make_unique<NodeMetrics>(std::move(metrics));
  st.metrics_ready = st.metrics.get();

  st.signals = std::make_unique<boost::asio::signal_set>(st.io, SIGINT, SIGTERM, SIGHUP);
  AwaitSignal();
  // Address files last: their presence tells scripts and tests the node is serving.
  if (st.http) {
    LDGS_RETURN_IF_ERROR(WriteFileAtomically(HttpAddressPath(config.data_dir),
                                             st.http->bound_address() + "\n", 0644));
  }
  LDGS_RETURN_IF_ERROR(
      WriteFileAtomically(ListenAddressPath(config.data_dir), listen_bound + "\n", 0644));
  st.wrote_address_files = true;
  LDGS_RETURN_IF_ERROR(
      WriteFileAtomically(AdminAddressPath(config.data_dir), admin_bound + "\n", 0644));
  st.started = true;
  spdlog::info(
      "node {} ({}) serving replication on {}, admin on {}, http on {}, dialing {} peer(s)",
      st.key->node_id(), RoleName(config.role), listen_bound, admin_bound,
      st.http ? st.http->bound_address() : "(off)", config.peers.size());
  return absl::OkStatus();
}

Node::Node(std::unique_ptr<State> state) : state_(std::move(state)) {}

Node::~Node() {
  State& st = *state_;
  if (st.wrote_address_files) {
    unlink(AdminAddressPath(st.config.data_dir).c_str());
    unlink(ListenAddressPath(st.config.data_dir).c_str());
    unlink(HttpAddressPath(st.config.data_dir).c_str());
  }
  // The page loop stops first (its connections end with it), then its server is closed on
  // this thread: nothing else runs it any more.
  st.http_io.stop();
  if (st.http_thread.joinable()) st.http_thread.join();
  if (st.http) st.http->Stop();
  st.web_ready = nullptr;
  st.metrics_ready = nullptr;
  // Dialers first (they block on their own calls), then the hub, then servers, then the
  // storage pool that their reactors post to; the store closes last, with the State.
  if (st.peers) st.peers->StopAll();
  if (st.hub) st.hub->Stop();
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
  st.peers.reset();
  st.purge.reset();
  // Asio puts back the default action when its signal set goes; a SIGHUP during the rest
  // of the stop must not kill the node either.
  st.signals.reset();
  std::signal(SIGHUP, SIG_IGN);
}

const std::string& Node::node_id() const { return state_->key->node_id(); }

void Node::AwaitSignal() {
  state_->signals->async_wait([this](const boost::system::error_code& error, int signal) {
    if (error) return;  // cancelled: the node is stopping
    if (signal == SIGHUP) {
      // Until reload exists, a SIGHUP (a closed terminal, a logrotate habit) must not take
      // the node down.
      spdlog::warn(
          "received SIGHUP: reloading the config is not supported yet; still running with "
          "the config read at start");
      AwaitSignal();
      return;
    }
    spdlog::info("received signal {}, stopping", signal);
    state_->io.stop();
  });
}

void Node::Run() {
  state_->io.run();
  spdlog::info("stopped");
}

void Node::Stop() { state_->io.stop(); }

}  // namespace ldgs::daemon
