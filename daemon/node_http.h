#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/http/http_server.h"

namespace ldgs::daemon {

class NodeMetrics;
class WebSite;

// What the node's HTTP endpoint reaches. The getters return null (or false) until the
// node has started: the pages and /metrics answer 503 until then.
struct NodeHttpDeps {
  std::function<WebSite*()> site;
  std::function<NodeMetrics*()> metrics;
  // Whether the node has started and its store takes writes.
  std::function<bool()> ready;
  std::string metrics_token;  // what /metrics asks for (metrics.token of the data dir)
};

// The node's HTTP endpoint on `address`:
// - /healthz: "ok" while the process serves (liveness);
// - /readyz: 200 once the node has started and its store takes writes, 503 before or
//   while RocksDB stops writes (readiness);
// - /metrics: the Prometheus text (node_metrics.h), to a client sending
//   `Authorization: Bearer <metrics token>`, wherever it is;
// - the web site's pages and open data.
absl::StatusOr<std::unique_ptr<http::HttpServer>> StartNodeHttp(boost::asio::io_context* io,
                                                                const std::string& address,
                                                                NodeHttpDeps deps);

// Whether an HTTP address ("host:port") is on loopback (127.0.0.0/8, ::1, localhost).
bool IsLoopbackAddress(const std::string& address);

}  // namespace ldgs::daemon
