#include "daemon/grpc_servers.h"

#include "common/status_macros.h"
#include "daemon/files.h"
#include "grpcpp/grpcpp.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon {

absl::StatusOr<NodeTls> LoadNodeTls(const NodeConfig& config) {
  NodeTls tls;
  if (config.insecure) {
    spdlog::warn("--insecure: node-to-node traffic is plaintext and unauthenticated by TLS");
    tls.listen = grpc::InsecureServerCredentials();
    return tls;
  }
  LDGS_ASSIGN_OR_RETURN(std::string ca, ReadSmallFile(config.tls_ca));
  LDGS_ASSIGN_OR_RETURN(std::string cert, ReadSmallFile(config.tls_cert));
  LDGS_ASSIGN_OR_RETURN(std::string key, ReadSmallFile(config.tls_key));
  grpc::SslServerCredentialsOptions server_tls(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  server_tls.pem_root_certs = ca;
  server_tls.pem_key_cert_pairs.push_back({key, cert});
  grpc::SslCredentialsOptions client_tls;
  client_tls.pem_root_certs = ca;
  client_tls.pem_private_key = key;
  client_tls.pem_cert_chain = cert;
  tls.enabled = true;
  tls.listen = grpc::SslServerCredentials(server_tls);
  tls.dial = grpc::SslCredentials(client_tls);
  return tls;
}

absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(
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

}  // namespace ldgs::daemon
