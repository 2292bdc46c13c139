#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/http/http_server.h"

namespace ldgs::daemon {

class WebSite;

// The node's HTTP endpoint on `address`: /healthz ("ok" while the node runs) and the web
// site's pages and open data, which reach the site through `site` (null until the node is
// ready: they answer 503 until then).
absl::StatusOr<std::unique_ptr<http::HttpServer>> StartNodeHttp(boost::asio::io_context* io,
                                                                const std::string& address,
                                                                std::function<WebSite*()> site);

// Whether an HTTP address ("host:port") is on loopback (127.0.0.0/8, ::1, localhost).
bool IsLoopbackAddress(const std::string& address);

}  // namespace ldgs::daemon
