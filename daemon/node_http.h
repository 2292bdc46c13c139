#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/http/http_server.h"

namespace ldgs::daemon {

// The node's HTTP endpoint on `address`: what it serves and from which parts. Today
// /healthz ("ok" while the node runs); pages, open data and /metrics come next.
absl::StatusOr<std::unique_ptr<http::HttpServer>> StartNodeHttp(boost::asio::io_context* io,
                                                                const std::string& address);

}  // namespace ldgs::daemon
