#include "daemon/node.h"

#include <unistd.h>

#include <utility>  // before Asio: Boost 1.74 with C++20 needs it (TOOLCHAIN.md)

#include "boost/asio/io_context.hpp"
#include "boost/asio/signal_set.hpp"
#include "common/clock.h"
#include "common/status_macros.h"
#include "daemon/admin_service.h"
#include "daemon/data_dir.h"
#include "grpcpp/grpcpp.h"
#include "record/local_writer.h"
#include "record/node_key.h"
#include "spdlog/spdlog.h"
#include "storage/store.h"

namespace ldgs::daemon {

struct Node::State {
  NodeConfig config;
  std::unique_ptr<storage::Store> store;
  std::optional<record::NodeKey> key;
  std::unique_ptr<record::LocalWriter> writer;
  std::unique_ptr<AdminService> admin_service;
  std::unique_ptr<grpc::Server> admin_server;
  boost::asio::io_context io;
};

namespace {

absl::StatusOr<std::string> ReadToken(const std::string& data_dir) {
  LDGS_ASSIGN_OR_RETURN(std::string token, ReadSmallFile(TokenPath(data_dir)));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.empty()) return absl::FailedPreconditionError(TokenPath(data_dir) + " is empty");
  return token;
}

// Binds `address` (port 0 picks a free one); returns the server and the bound address.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartServer(grpc::Service* service,
                                                          const std::string& address,
                                                          std::string* bound) {
  grpc::ServerBuilder builder;
  int port = 0;
  // The admin API is loopback-only (checked in ValidateConfig); its token is the guard.
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service);
  builder.SetMaxReceiveMessageSize(4 * 1024 * 1024);
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
  LDGS_ASSIGN_OR_RETURN(std::string token, ReadToken(config.data_dir));
  state->writer = std::make_unique<record::LocalWriter>(state->store.get(), &*state->key,
                                                        config.limits);
  state->admin_service = std::make_unique<AdminService>(
      state->store.get(), state->writer.get(), state->key->node_id(), token, NowMicros());
  std::string admin_bound;
  LDGS_ASSIGN_OR_RETURN(state->admin_server,
                        StartServer(state->admin_service.get(), config.admin_listen, &admin_bound));
  LDGS_RETURN_IF_ERROR(
      WriteFileAtomically(AdminAddressPath(config.data_dir), admin_bound + "\n", 0644));
  spdlog::info("node {} ({}) serving admin on {}", state->key->node_id(),
               RoleName(config.role), admin_bound);
  return std::unique_ptr<Node>(new Node(std::move(state)));
}

Node::Node(std::unique_ptr<State> state) : state_(std::move(state)) {}

Node::~Node() {
  unlink(AdminAddressPath(state_->config.data_dir).c_str());
  if (state_->admin_server) {
    state_->admin_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    state_->admin_server->Wait();
  }
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
