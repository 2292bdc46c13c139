#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace boost::asio {
class io_context;
}

namespace ldgs::daemon::http {

// What a handler sees of a request (already parsed and bounded by the server).
struct Request {
  std::string method;  // "GET", "HEAD", "POST", ...
  std::string path;    // the target before any '?'
  std::string query;   // after the '?', undecoded
  std::string cookie;  // the Cookie header, as sent
  std::string authorization;  // the Authorization header, as sent
  std::string content_type;
  std::string body;            // POST: at most the server's body limit
  bool from_loopback = false;  // the TCP peer is on loopback
  bool forwarded = false;      // it says it forwards for someone (Forwarded, X-Forwarded-For)
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // More headers (Set-Cookie, Location); names and values from the handler, never a peer.
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// OK when `address` is one HttpServer::Start can bind ("IP:port", "[IPv6]:port",
// "localhost:port"); INVALID_ARGUMENT naming it otherwise.
absl::Status CheckListenAddress(const std::string& address);

// Maps exact paths to handlers: Handle for GET and HEAD, HandlePost for POST. Other methods
// get 405, unknown paths 404. Handlers run on the server's io_context thread.
class Router {
 public:
  using Handler = std::function<Response(const Request&)>;
  void Handle(std::string path, Handler handler);
  void HandlePost(std::string path, Handler handler);
  Response Dispatch(const Request& request) const;

 private:
  std::map<std::string, Handler> handlers_;
  std::map<std::string, Handler> post_handlers_;
};

// The parameters of a query string or form body (application/x-www-form-urlencoded), decoded
// ('+' and %XX), in order. Malformed escapes stay as written; at most `max_params`.
std::vector<std::pair<std::string, std::string>> ParseParams(std::string_view text,
                                                             size_t max_params = 64);
// The value of cookie `name` in a Cookie header; empty when absent.
std::string CookieValue(std::string_view header, std::string_view name);

// A small HTTP/1.1 server (Boost.Beast) on the node's Asio loop: bounded request headers and
// bodies, a deadline on every read and write, keep-alive, and one clear error when the
// address cannot be bound. Not thread-safe: start and stop it from the loop's owner.
class HttpServer {
 public:
  // Binds `address` ("host:port" or "[v6]:port"; port 0 picks a free one) and accepts on
  // `io` once it runs. INVALID_ARGUMENT for an address that does not parse, UNAVAILABLE when
  // it cannot be bound (a port another process holds).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(boost::asio::io_context* io,
                                                           const std::string& address,
                                                           Router router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The address it bound, e.g. "127.0.0.1:40123".
  const std::string& bound_address() const { return bound_; }

  // Stops accepting; connections in flight finish or time out on their own.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::shared_ptr<Impl> impl, std::string bound);
  std::shared_ptr<Impl> impl_;
  std::string bound_;
};

}  // namespace ldgs::daemon::http
