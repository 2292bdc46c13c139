#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/http/http_server.h"
#include "daemon/hub/learnings.h"
#include "ldgs/v1/admin.pb.h"

namespace ldgs::daemon {

// The node's web page on its HTTP endpoint: the public view (no login) and the operator
// view (after logging in with the admin token; a session cookie, HttpOnly and
// SameSite=Strict, served only when the endpoint listens on loopback). Every page asks the
// node's learnings for the viewer's audience first and renders only that answer
// (daemon/web), so a public page cannot hold a hub-only record. Thread-safe.
class WebSite {
 public:
  struct Deps {
    hub::Learnings* learnings = nullptr;
    std::function<absl::StatusOr<v1::ListPeersResponse>()> peers;
    std::string admin_token;
    bool loopback = false;  // the endpoint is on loopback: the operator view may be served
    bool is_hub = false;
    std::string node_name;
  };
  explicit WebSite(Deps deps);

  // Adds the site's pages and files to `router`; they reach this object through `site`,
  // which may be null until the node is ready (then they answer 503).
  static void Register(http::Router* router, std::function<WebSite*()> site);

  http::Response Overview(const http::Request& request);
  http::Response Catalogue(const http::Request& request, v1::Kind kind);
  http::Response Practice(const http::Request& request);
  http::Response OpenData(const http::Request& request);
  http::Response RecordsFile(const http::Request& request, bool csv);
  http::Response RollupsFile(const http::Request& request, bool csv);
  http::Response LoginForm(const http::Request& request);
  http::Response Login(const http::Request& request);
  http::Response Logout(const http::Request& request);
  http::Response OperatorPage(const http::Request& request);
  http::Response Standing(const http::Request& request);

  static constexpr char kSessionCookie[] = "ldgs_session";

 private:
  bool OperatorReachable(const http::Request& request) const;
  // Whether the request carries a live operator session.
  bool IsOperator(const http::Request& request);
  v1::Audience AudienceOf(const http::Request& request);
  http::Response Html(const http::Request& request, const std::string& title,
                      const std::string& active, const std::string& body, int status = 200);
  http::Response Failure(const http::Request& request, const absl::Status& status);

  const Deps deps_;
  std::mutex mu_;
  std::map<std::string, int64_t> sessions_;  // session id -> expiry (us)
};

}  // namespace ldgs::daemon
