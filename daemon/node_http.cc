#include "daemon/node_http.h"

namespace ldgs::daemon {

absl::StatusOr<std::unique_ptr<http::HttpServer>> StartNodeHttp(boost::asio::io_context* io,
                                                                const std::string& address) {
  http::Router router;
  router.Handle("/healthz", [](const http::Request&) {
    return http::Response{200, "text/plain; charset=utf-8", "ok\n"};
  });
  return http::HttpServer::Start(io, address, std::move(router));
}

}  // namespace ldgs::daemon
