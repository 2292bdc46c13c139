#include "daemon/node_http.h"

#include "daemon/web_site.h"

namespace ldgs::daemon {

absl::StatusOr<std::unique_ptr<http::HttpServer>> StartNodeHttp(boost::asio::io_context* io,
                                                                const std::string& address,
                                                                std::function<WebSite*()> site) {
  http::Router router;
  router.Handle("/healthz", [](const http::Request&) {
    return http::Response{200, "text/plain; charset=utf-8", "ok\n"};
  });
  WebSite::Register(&router, std::move(site));
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
