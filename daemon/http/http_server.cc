// The Beast side of HttpServer: an acceptor and one session object per connection, each
// alive while an operation of its own is pending (shared_from_this).
#include "daemon/http/http_server.h"

#include <functional>
#include <optional>
#include <utility>  // before Asio: Boost 1.74 with C++20 needs it (TOOLCHAIN.md)

#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace ldgs::daemon::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxHeaderBytes = 8 * 1024;
constexpr size_t kMaxBodyBytes = 64 * 1024;
// A request must arrive whole, and an idle keep-alive connection closes, within this.
constexpr auto kReadDeadline = std::chrono::seconds(10);
constexpr auto kWriteDeadline = std::chrono::seconds(30);
// Connections served at once; more wait in the kernel's backlog. Keeps descriptors for the
// store and the gRPC servers however many clients come.
constexpr int kMaxSessions = 128;
// After an accept error (e.g. out of descriptors), wait before accepting again rather than
// spin on the same queued connection.
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

absl::StatusOr<tcp::endpoint> ParseEndpoint(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    return absl::InvalidArgumentError("http_listen '" + address + "' is not host:port");
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code error;
  const asio::ip::address ip = asio::ip::make_address(host, error);
  const std::string port_text = address.substr(colon + 1);
  char* end = nullptr;
  const unsigned long port = std::strtoul(port_text.c_str(), &end, 10);
  if (error || *end != '\0' || port > 65535) {
    return absl::InvalidArgumentError("http_listen '" + address +
                                      "' is not an IP address and port");
  }
  return tcp::endpoint(ip, static_cast<unsigned short>(port));
}

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const std::string host = endpoint.address().to_string();
  return (endpoint.address().is_v6() ? "[" + host + "]" : host) + ":" +
         std::to_string(endpoint.port());
}

// Counts open sessions; the acceptor waits while kMaxSessions are open.
struct SessionCount {
  int open = 0;
  std::function<void()> on_free;  // resumes a paused acceptor
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<const Router> router,
          std::shared_ptr<SessionCount> count)
      : stream_(std::move(socket)), router_(std::move(router)), count_(std::move(count)) {
    ++count_->open;
  }
  ~Session() {
    --count_->open;
    if (count_->on_free) std::exchange(count_->on_free, nullptr)();
  }

  void Start() { ReadNext(); }

 private:
  void ReadNext() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kReadDeadline);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnRead(error); });
  }

  void OnRead(beast::error_code error) {
    if (error == bhttp::error::end_of_stream) return Close();
    if (error == bhttp::error::header_limit || error == bhttp::error::body_limit) {
      return SendError(error == bhttp::error::header_limit ? 431 : 413, "request too large");
    }
    if (error) return;  // timeout, reset or garbage: drop the connection
    const bhttp::request<bhttp::string_body>& request = parser_->get();
    Request in;
    in.method = std::string(request.method_string());
    const std::string target(request.target());
    const size_t question = target.find('?');
    in.path = target.substr(0, question);
    if (question != std::string::npos) in.query = target.substr(question + 1);
    in.cookie = std::string(request[bhttp::field::cookie]);
    in.authorization = std::string(request[bhttp::field::authorization]);
    in.content_type = std::string(request[bhttp::field::content_type]);
    in.body = request.body();
    boost::system::error_code peer_error;
    const tcp::endpoint peer = stream_.socket().remote_endpoint(peer_error);
    in.from_loopback = !peer_error && peer.address().is_loopback();
    in.forwarded = request.find(bhttp::field::forwarded) != request.end() ||
                   request.find("X-Forwarded-For") != request.end();
    Send(router_->Dispatch(in), request.keep_alive(), request.method() == bhttp::verb::head);
  }

  void SendError(int status, const std::string& message) {
    Send(Response{status, "text/plain; charset=utf-8", message + "\n"}, false, false);
  }

  void Send(Response out, bool keep_alive, bool head_only) {
    auto response = std::make_shared<bhttp::response<bhttp::string_body>>();
    response->version(11);
    response->result(static_cast<unsigned>(out.status));
    response->set(bhttp::field::server, "ldgsd");
    response->set(bhttp::field::content_type, out.content_type);
    response->set(bhttp::field::cache_control, "no-store");
    response->set("X-Content-Type-Options", "nosniff");
    response->set("X-Frame-Options", "DENY");
    for (const auto& [name, value] : out.headers) response->insert(name, value);
    response->keep_alive(keep_alive);
    response->body() = std::move(out.body);
    response->prepare_payload();
    if (head_only) response->body().clear();  // Content-Length stays that of the body
    stream_.expires_after(kWriteDeadline);
    bhttp::async_write(
        stream_, *response,
        [self = shared_from_this(), response, keep_alive](beast::error_code error, size_t) {
          if (error) return;
          if (keep_alive) return self->ReadNext();
          self->Close();
        });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<const Router> router_;
  std::shared_ptr<SessionCount> count_;
};

}  // namespace

absl::Status CheckListenAddress(const std::string& address) {
  return ParseEndpoint(address).status();
}

void Router::Handle(std::string path, Handler handler) {
  handlers_[std::move(path)] = std::move(handler);
}

void Router::HandlePost(std::string path, Handler handler) {
  post_handlers_[std::move(path)] = std::move(handler);
}

Response Router::Dispatch(const Request& request) const {
  auto get = handlers_.find(request.path);
  auto post = post_handlers_.find(request.path);
  if (get == handlers_.end() && post == post_handlers_.end()) {
    return Response{404, "text/plain; charset=utf-8", "not found\n"};
  }
  if ((request.method == "GET" || request.method == "HEAD") && get != handlers_.end()) {
    return get->second(request);
  }
  if (request.method == "POST" && post != post_handlers_.end()) return post->second(request);
  return Response{405, "text/plain; charset=utf-8", "method not allowed\n"};
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ParseParams(std::string_view text,
                                                             size_t max_params) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start <= text.size() && params.size() < max_params) {
    size_t end = text.find('&', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = text.substr(start, end - start);
    if (!pair.empty()) {
      const size_t equals = pair.find('=');
      params.emplace_back(Decode(pair.substr(0, equals)),
                          equals == std::string_view::npos ? "" : Decode(pair.substr(equals + 1)));
    }
    start = end + 1;
  }
  return params;
}

std::string CookieValue(std::string_view header, std::string_view name) {
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find(';', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view part = header.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    start = end + 1;
  }
  return "";
}

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context* io, std::shared_ptr<const Router> router)
      : acceptor(*io), retry(*io), router(std::move(router)) {}

  void Accept() {
    if (!acceptor.is_open()) return;
    if (sessions->open >= kMaxSessions) {
      sessions->on_free = [weak = weak_from_this()] {
        if (auto self = weak.lock()) self->Accept();
      };
      return;
    }
    acceptor.async_accept(
        [self = shared_from_this()](boost::system::error_code error, tcp::socket socket) {
          if (error == asio::error::operation_aborted || !self->acceptor.is_open()) return;
          if (error) {
            self->retry.expires_after(kAcceptRetry);
            self->retry.async_wait([self](boost::system::error_code waited) {
              if (!waited) self->Accept();
            });
            return;
          }
          std::make_shared<Session>(std::move(socket), self->router, self->sessions)->Start();
          self->Accept();
        });
  }

  tcp::acceptor acceptor;
  asio::steady_timer retry;
  std::shared_ptr<const Router> router;
  std::shared_ptr<SessionCount> sessions = std::make_shared<SessionCount>();
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(asio::io_context* io,
                                                              const std::string& address,
                                                              Router router) {
  absl::StatusOr<tcp::endpoint> endpoint = ParseEndpoint(address);
  if (!endpoint.ok()) return endpoint.status();
  auto impl = std::make_shared<Impl>(io, std::make_shared<const Router>(std::move(router)));
  boost::system::error_code error;
  impl->acceptor.open(endpoint->protocol(), error);
  // SO_REUSEADDR only (never SO_REUSEPORT): a port another process listens on stays its own.
  if (!error) impl->acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) impl->acceptor.bind(*endpoint, error);
  if (!error) impl->acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError("cannot serve HTTP on " + address + ": " + error.message());
  }
  const std::string bound = FormatEndpoint(impl->acceptor.local_endpoint());
  impl->Accept();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl), bound));
}

HttpServer::HttpServer(std::shared_ptr<Impl> impl, std::string bound)
    : impl_(std::move(impl)), bound_(std::move(bound)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->retry.cancel();
  impl_->sessions->on_free = nullptr;
}

}  // namespace ldgs::daemon::http
