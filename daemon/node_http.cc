#include "daemon/node_http.h"

#include "daemon/http/prometheus_text.h"
#include "daemon/node_metrics.h"
#include "daemon/web_site.h"
#include "sodium.h"

namespace ldgs::daemon {
namespace {

bool SendsToken(const http::Request& request, const std::string& token) {
  constexpr std::string_view kBearer = "Bearer ";
  const std::string& header = request.authorization;
  if (token.empty() || header.size() != kBearer.size() + token.size() ||
      header.compare(0, kBearer.size(), kBearer) != 0) {
    return false;
  }
  return sodium_memcmp(header.data() + kBearer.size(), token.data(), token.size()) == 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<http::HttpServer>> StartNodeHttp(boost::asio::io_context* io,
                                                                const std::string& address,
                                                                NodeHttpDeps deps) {
  http::Router router;
  router.Handle("/healthz", [](const http::Request&) {
    return http::Response{200, "text/plain; charset=utf-8", "ok\n"};
  });
  router.Handle("/readyz", [ready = deps.ready](const http::Request&) {
    return ready() ? http::Response{200, "text/plain; charset=utf-8", "ready\n"}
                   : http::Response{503, "text/plain; charset=utf-8", "not ready\n"};
  });
  router.Handle("/metrics", [metrics = deps.metrics,
                             token = deps.metrics_token](const http::Request& request) {
    // What a node holds and whom it talks to is its operator's. No exception for loopback:
    // a proxy on this machine that adds no header, or a page in a browser here rebinding a
    // name to 127.0.0.1, would make it anyone's. A token of its own, not the admin token,
    // which would cross plain HTTP to reach a scraper elsewhere.
    if (!SendsToken(request, token)) {
      return http::Response{401,
                            "text/plain; charset=utf-8",
                            "/metrics needs 'Authorization: Bearer <token>', the token being the "
                            "metrics.token file of the node's data dir\n",
                            {{"WWW-Authenticate", "Bearer"}}};
    }
    NodeMetrics* source = metrics();
    if (source == nullptr) {
      return http::Response{503, "text/plain; charset=utf-8", "the node is starting\n"};
    }
    return http::Response{200, http::PrometheusText::kContentType, source->Render()};
  });
  WebSite::Register(&router, std::move(deps.site));
  return http::HttpServer::Start(io, address, std::move(router));
}

bool IsLoopbackAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace ldgs::daemon
