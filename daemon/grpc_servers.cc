#include "daemon/grpc_servers.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/status_macros.h"
#include "daemon/files.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon {
namespace {

// gRPC unlinks a socket file in its way and takes the path over, so a second node would
// silently steal the first one's admin socket. A path some process still accepts on is
// refused; a socket file nothing listens on (left by a killed node) may be replaced.
absl::Status CheckUnixSocketFree(const std::string& path) {
  struct stat info;
  if (lstat(path.c_str(), &info) != 0) return absl::OkStatus();  // nothing there
  if (!S_ISSOCK(info.st_mode)) {
    return absl::FailedPreconditionError("cannot listen on unix:" + path +
                                         ": a file that is not a socket is in the way");
  }
  sockaddr_un address;
  std::memset(&address, 0, sizeof(address));
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError("unix socket path is too long: " + path);
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::OkStatus();
  const bool refused = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 &&
                       errno == ECONNREFUSED;
  close(fd);
  if (!refused) {  // accepted, or busy, or not ours to test: someone may be serving it
    return absl::FailedPreconditionError("cannot listen on unix:" + path +
                                         ": another process is serving it");
  }
  return absl::OkStatus();
}

}  // namespace

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
  if (address.rfind("unix:", 0) == 0) {
    LDGS_RETURN_IF_ERROR(CheckUnixSocketFree(address.substr(5)));
  }
  // grpc.health.v1.Health on every server (SERVING while it runs), for load balancers and
  // probes. Set before the builder: gRPC reads it when the server is built.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second process could then bind the same port and
  // the kernel would split connections between the two.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
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
    return absl::UnavailableError("cannot listen on " + address +
                                  ": the address is in use or not available here");
  }
  if (address.rfind("unix:", 0) == 0) {
    *bound = address;
  } else {
    *bound = address.substr(0, address.rfind(':') + 1) + std::to_string(port);
  }
  return server;
}

}  // namespace ldgs::daemon
