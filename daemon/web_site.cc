#include "daemon/web_site.h"

#include <algorithm>
#include <set>

#include "common/clock.h"
#include "common/status_macros.h"
#include "common/text.h"
#include "daemon/hub/audience.h"
#include "daemon/web/format.h"
#include "daemon/web/html.h"
#include "daemon/web/open_data.h"
#include "daemon/web/pages.h"
#include "record/kind.h"
#include "record/node_key.h"
#include "record/record_validation.h"
#include "sodium.h"
#include "spdlog/spdlog.h"

namespace ldgs::daemon {
namespace {

constexpr int64_t kSessionMicros = 12LL * 3600 * 1000000;
constexpr size_t kMaxSessions = 64;
constexpr uint32_t kPageSize = 20;
constexpr uint32_t kMaxOffset = 10000;

const char kHtml[] = "text/html; charset=utf-8";

std::vector<std::string> ValuesOf(const std::vector<std::pair<std::string, std::string>>& params,
                                  const std::string& name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : params) {
    if (key == name && !value.empty()) values.push_back(value);
  }
  return values;
}

std::string ValueOf(const std::vector<std::pair<std::string, std::string>>& params,
                    const std::string& name) {
  std::vector<std::string> values = ValuesOf(params, name);
  return values.empty() ? "" : values.front();
}

http::Response Redirect(const std::string& to) {
  http::Response out{303, "text/plain; charset=utf-8", "see " + to + "\n"};
  out.headers.emplace_back("Location", to);
  return out;
}

}  // namespace

WebSite::WebSite(Deps deps) : deps_(std::move(deps)) {}

void WebSite::Register(http::Router* router, std::function<WebSite*()> site) {
  auto page = [site](auto method) {
    return [site, method](const http::Request& request) {
      WebSite* w = site();
      if (!w) return http::Response{503, "text/plain; charset=utf-8", "starting\n"};
      return method(*w, request);
    };
  };
  router->Handle("/", page([](WebSite& w, const http::Request& r) { return w.Overview(r); }));
  router->Handle("/practices", page([](WebSite& w, const http::Request& r) {
                   return w.Catalogue(r, v1::KIND_PRACTICE);
                 }));
  router->Handle("/stories", page([](WebSite& w, const http::Request& r) {
                   return w.Catalogue(r, v1::KIND_STORY);
                 }));
  router->Handle("/practice",
                 page([](WebSite& w, const http::Request& r) { return w.Practice(r); }));
  router->Handle("/data", page([](WebSite& w, const http::Request& r) { return w.OpenData(r); }));
  router->Handle("/data/records.csv",
                 page([](WebSite& w, const http::Request& r) { return w.RecordsFile(r, true); }));
  router->Handle("/data/records.json",
                 page([](WebSite& w, const http::Request& r) { return w.RecordsFile(r, false); }));
  router->Handle("/data/rollups.csv",
                 page([](WebSite& w, const http::Request& r) { return w.RollupsFile(r, true); }));
  router->Handle("/data/rollups.json",
                 page([](WebSite& w, const http::Request& r) { return w.RollupsFile(r, false); }));
  router->Handle("/login", page([](WebSite& w, const http::Request& r) { return w.LoginForm(r); }));
  router->HandlePost("/login", page([](WebSite& w, const http::Request& r) { return w.Login(r); }));
  router->HandlePost("/logout",
                     page([](WebSite& w, const http::Request& r) { return w.Logout(r); }));
  router->Handle("/operator",
                 page([](WebSite& w, const http::Request& r) { return w.OperatorPage(r); }));
  router->Handle("/standing",
                 page([](WebSite& w, const http::Request& r) { return w.Standing(r); }));
}

// The operator view is for someone on this machine: a loopback listener, a loopback peer,
// and no proxy in between (one on this host would make it the internet's).
bool WebSite::OperatorReachable(const http::Request& request) const {
  return deps_.loopback && request.from_loopback && !request.forwarded;
}

bool WebSite::IsOperator(const http::Request& request) {
  if (!OperatorReachable(request)) return false;
  const std::string id = http::CookieValue(request.cookie, kSessionCookie);
  if (id.empty()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  if (it->second < NowMicros()) {
    sessions_.erase(it);
    return false;
  }
  return true;
}

v1::Audience WebSite::AudienceOf(const http::Request& request) {
  return IsOperator(request) ? v1::AUDIENCE_OPERATOR : v1::AUDIENCE_PUBLIC;
}

http::Response WebSite::Html(const http::Request& request, const std::string& title,
                             const std::string& active, const std::string& body, int status) {
  web::PageFrame frame;
  frame.title = title;
  frame.hub_name = deps_.node_name;
  frame.operator_view = IsOperator(request);
  frame.chapter_node = !deps_.is_hub;
  frame.active = active;
  return http::Response{status, kHtml, web::Page(frame, body)};
}

http::Response WebSite::Failure(const http::Request& request, const absl::Status& status) {
  const int code = absl::IsInvalidArgument(status) ? 400 : absl::IsNotFound(status) ? 404 : 500;
  // What went wrong inside (paths, store errors) is for the node's log, not for visitors.
  if (code == 500) spdlog::error("web page {}: {}", request.path, status.ToString());
  const std::string message = code == 500                ? "this page could not be made; try again"
                              : status.message().empty() ? "not available"
                                                         : std::string(status.message());
  return Html(request, "Not available", "",
              "<h1>Not available</h1><p class=\"err\">" + web::Escape(message) + "</p>", code);
}

http::Response WebSite::Overview(const http::Request& request) {
  v1::ReportRequest ask;
  ask.set_audience(AudienceOf(request));
  absl::StatusOr<v1::NetworkReport> report = deps_.learnings->Report(ask, NowMicros());
  if (!report.ok()) return Failure(request, report.status());
  return Html(request, "State of the network", "overview", web::OverviewBody(*report));
}

http::Response WebSite::Catalogue(const http::Request& request, v1::Kind kind) {
  const auto params = http::ParseParams(request.query);
  v1::SearchCatalogueRequest ask;
  ask.set_kind(kind);
  ask.set_query(ValueOf(params, "q"));
  for (const std::string& v : ValuesOf(params, "issue_area")) ask.add_issue_areas(v);
  for (const std::string& v : ValuesOf(params, "community")) ask.add_communities(v);
  for (const std::string& v : ValuesOf(params, "strategy")) ask.add_strategies(v);
  ask.set_region(ValueOf(params, "region"));
  ask.set_outcome(
      record::OutcomeFromName(ValueOf(params, "outcome")).value_or(v1::OUTCOME_UNSPECIFIED));
  const std::string offset = ValueOf(params, "offset");
  const uint64_t skip = std::strtoull(offset.c_str(), nullptr, 10);
  ask.set_offset(static_cast<uint32_t>(std::min<uint64_t>(skip, kMaxOffset)));
  ask.set_limit(kPageSize);
  ask.set_audience(AudienceOf(request));
  absl::StatusOr<v1::SearchCatalogueResponse> found = deps_.learnings->Search(ask);
  if (!found.ok()) return Failure(request, found.status());
  const bool practices = kind == v1::KIND_PRACTICE;
  return Html(request, practices ? "Practices" : "Stories", practices ? "practices" : "stories",
              web::CatalogueBody(ask, *found, practices ? "/practices" : "/stories"));
}

http::Response WebSite::Practice(const http::Request& request) {
  const auto params = http::ParseParams(request.query);
  v1::ProvenanceRequest ask;
  ask.mutable_practice()->set_origin(ValueOf(params, "origin"));
  ask.mutable_practice()->set_id(ValueOf(params, "id"));
  if (!record::IsNodeId(ask.practice().origin()) ||
      !record::IsValidRecordId(ask.practice().id(), record::RecordLimits().max_id_bytes)) {
    return Failure(request, absl::InvalidArgumentError("give a practice's origin and id"));
  }
  ask.set_audience(AudienceOf(request));
  absl::StatusOr<v1::ProvenanceResponse> tree = deps_.learnings->Provenance(ask);
  if (!tree.ok()) return Failure(request, tree.status());
  return Html(request, tree->root().practice().practice().title(), "practices",
              web::PracticeBody(*tree));
}

http::Response WebSite::OpenData(const http::Request& request) {
  v1::ReportRequest ask;
  ask.set_audience(v1::AUDIENCE_PUBLIC);
  absl::StatusOr<v1::NetworkReport> report = deps_.learnings->Report(ask, NowMicros());
  if (!report.ok()) return Failure(request, report.status());
  std::vector<std::string> codes;
  for (const v1::MetricReport& m : report->metrics()) codes.push_back(m.definition().code());
  return Html(request, "Open data", "data", web::OpenDataBody(codes));
}

http::Response WebSite::RecordsFile(const http::Request& request, bool csv) {
  // Open data is the public's, whoever asks.
  std::vector<v1::Record> records;
  absl::Status read;
  for (v1::Kind kind : {v1::KIND_PRACTICE, v1::KIND_STORY}) {
    read = hub::ForEachVisible(deps_.learnings->sources(), kind, v1::AUDIENCE_PUBLIC,
                               [&](const v1::Record& r) {
                                 if (!r.deleted()) records.push_back(r);
                                 return true;
                               });
    if (!read.ok()) return Failure(request, read);
  }
  return csv ? http::Response{200, "text/csv; charset=utf-8", web::RecordsCsv(records)}
             : http::Response{200, "application/json", web::RecordsJson(records)};
}

http::Response WebSite::RollupsFile(const http::Request& request, bool csv) {
  const std::string metric = ValueOf(http::ParseParams(request.query), "metric");
  if (!metric.empty() && !record::IsValidRecordId(metric, 40)) {
    return Failure(request, absl::InvalidArgumentError("metric is not a metric code"));
  }
  v1::ReportRequest ask;
  ask.set_audience(v1::AUDIENCE_PUBLIC);
  absl::StatusOr<v1::NetworkReport> report = deps_.learnings->Report(ask, NowMicros());
  if (!report.ok()) return Failure(request, report.status());
  std::vector<v1::Rollup> rollups;
  for (const v1::MetricReport& m : report->metrics()) {
    if (!metric.empty() && m.definition().code() != metric) continue;
    rollups.insert(rollups.end(), m.network().begin(), m.network().end());
    for (const v1::RegionSeries& region : m.regions()) {
      rollups.insert(rollups.end(), region.rollups().begin(), region.rollups().end());
    }
  }
  return csv ? http::Response{200, "text/csv; charset=utf-8",
                              web::RollupsCsv(rollups, report->hub_id())}
             : http::Response{200, "application/json", web::RollupsJson(rollups, report->hub_id())};
}

http::Response WebSite::LoginForm(const http::Request& request) {
  if (!OperatorReachable(request)) {
    return Html(request, "Log in", "login",
                "<h1>Log in</h1><p class=\"err\">The operator view is served only on loopback: "
                "open this page on the hub's own machine (or through an SSH tunnel).</p>",
                403);
  }
  return Html(request, "Log in", "login", web::LoginBody(""));
}

http::Response WebSite::Login(const http::Request& request) {
  if (!OperatorReachable(request)) return LoginForm(request);
  const std::string token = ValueOf(http::ParseParams(request.body), "token");
  const bool match = token.size() == deps_.admin_token.size() && !token.empty() &&
                     sodium_memcmp(token.data(), deps_.admin_token.data(), token.size()) == 0;
  if (!match) {
    return Html(request, "Log in", "login", web::LoginBody("That is not this node's admin token."),
                401);
  }
  const std::string id = HexEncode(record::RandomBytes(32));
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = NowMicros();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it = it->second < now ? sessions_.erase(it) : std::next(it);
    }
    while (sessions_.size() >= kMaxSessions) {
      sessions_.erase(
          std::min_element(sessions_.begin(), sessions_.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; }));
    }
    sessions_[id] = now + kSessionMicros;
  }
  http::Response out = Redirect(deps_.is_hub ? "/operator" : "/standing");
  out.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) + "=" + id +
                                             "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" +
                                             std::to_string(kSessionMicros / 1000000));
  return out;
}

http::Response WebSite::Logout(const http::Request& request) {
  const std::string id = http::CookieValue(request.cookie, kSessionCookie);
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(id);
  }
  http::Response out = Redirect("/");
  out.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) +
                                             "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
  return out;
}

http::Response WebSite::OperatorPage(const http::Request& request) {
  if (!IsOperator(request)) return Redirect("/login");
  absl::StatusOr<v1::ListPeersResponse> peers = deps_.peers();
  if (!peers.ok()) return Failure(request, peers.status());
  // Reporting completeness: which periods each member chapter reported, of the periods this
  // node published figures for.
  const hub::LearningSources& sources = deps_.learnings->sources();
  std::set<std::string> periods;
  storage::ListFilter own;
  own.origin = sources.self_id;
  own.kind = v1::KIND_ROLLUP;
  absl::Status read =
      sources.store->Scan(own, [&](const storage::StoredEntry& e, std::string_view) {
        if (!e.record.deleted() && e.record.rollup().scope() == "network") {
          periods.insert(e.record.rollup().period());
        }
        return true;
      });
  if (!read.ok()) return Failure(request, read);
  std::vector<web::ChapterReporting> chapters;
  for (const v1::PeerStatus& p : peers->peers()) {
    if (p.relation() != v1::RELATION_MEMBER || p.revoked()) continue;
    web::ChapterReporting row;
    row.node_id = p.node_id();
    row.name = p.name();
    row.region = p.region();
    std::set<std::string> reported;
    storage::ListFilter theirs;
    theirs.origin = p.node_id();
    theirs.kind = v1::KIND_METRIC_OBSERVATION;
    read = sources.store->Scan(theirs, [&](const storage::StoredEntry& e, std::string_view) {
      if (!e.record.deleted()) reported.insert(e.record.metric_observation().period());
      return true;
    });
    if (!read.ok()) return Failure(request, read);
    for (const std::string& period : periods) {
      (reported.count(period) ? row.periods_reported : row.periods_missing).push_back(period);
    }
    chapters.push_back(std::move(row));
  }
  return Html(request, "Sync health", "operator", web::OperatorBody(*peers, chapters));
}

http::Response WebSite::Standing(const http::Request& request) {
  if (!IsOperator(request)) return Redirect("/login");
  const hub::LearningSources& sources = deps_.learnings->sources();
  std::set<std::string> metrics;
  storage::ListFilter mine;
  mine.origin = sources.self_id;
  mine.kind = v1::KIND_METRIC_OBSERVATION;
  absl::Status read =
      sources.store->Scan(mine, [&](const storage::StoredEntry& e, std::string_view) {
        if (!e.record.deleted()) metrics.insert(e.record.metric_observation().metric());
        return true;
      });
  if (!read.ok()) return Failure(request, read);
  std::vector<v1::CompareResponse> standings;
  for (const std::string& metric : metrics) {
    v1::CompareRequest ask;
    ask.set_metric(metric);
    absl::StatusOr<v1::CompareResponse> standing = deps_.learnings->Compare(ask);
    if (standing.ok()) standings.push_back(std::move(*standing));
  }
  return Html(request, "Our standing", "standing", web::StandingBody(standings));
}

}  // namespace ldgs::daemon
