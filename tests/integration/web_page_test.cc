// The hub's web site through real processes and a plain socket client: what the public
// pages and the open data show (and never show), the operator's login, the pages as headless
// Chromium renders them, and the HTTP refusals.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/federation.h"
#include "tests/support/http_client.h"
#include "tests/support/node_process.h"
#include "tests/support/record_helpers.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::Arrives;
using ::ldgs::testing::CommandResult;
using ::ldgs::testing::HttpExchange;
using ::ldgs::testing::HttpGet;
using ::ldgs::testing::HttpResult;
using ::ldgs::testing::NodeProcess;
using ::ldgs::testing::Observe;
using ::ldgs::testing::RollupBecomes;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kDeadline = std::chrono::seconds(60);
constexpr char kChromium[] = "/usr/bin/chromium";

constexpr char kHubOnlyMarker[] = "HUBONLY-MARKER-PRACTICE";
constexpr char kPrivateMarker[] = "PRIVATE-MARKER-STORY";
constexpr char kPublicMetric[] = "people_housed";
// Sorts before the public metric's code: whatever picks "the first metric defined" for a
// page must pick among the ones its audience may see.
constexpr char kNetworkMetric[] = "eviction_filings";
constexpr char kPublicPractice[] = "Rapid rehousing landlord fund";
constexpr char kNetworkPractice[] = "Mobile outreach van rotation";
constexpr char kPublicStory[] = "A family housed before winter";

// people_housed by chapter (rows) and month 2026-01..03 (columns). The network sum of
// 2026-03, which the public pages publish: 401 + 412 + 421 = 1234.
constexpr double kHoused[3][3] = {{300, 350, 401}, {310, 360, 412}, {320, 370, 421}};
constexpr char kHousedMarch[] = "1234";

void DefineMetric(const NodeProcess& hub, const std::string& code, const std::string& name,
                  v1::Visibility visibility) {
  v1::PutRecordRequest request;
  request.set_visibility(visibility);
  v1::MetricDefinition* d = request.mutable_body()->mutable_metric_definition();
  d->set_code(code);
  d->set_name(name);
  d->set_direction(v1::DIRECTION_UP_IS_GOOD);
  d->set_aggregation(v1::AGGREGATION_SUM);
  d->set_min_value(0);
  v1::Record written;
  grpc::Status status = hub.Put(request, &written);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

v1::Record PutPractice(const NodeProcess& node, const std::string& title,
                       v1::Visibility visibility) {
  v1::PutRecordRequest request;
  request.set_visibility(visibility);
  request.mutable_body()->mutable_practice()->set_title(title);
  request.mutable_body()->mutable_practice()->set_summary("How it is done, step by step.");
  request.mutable_body()->mutable_practice()->add_issue_areas("homelessness");
  v1::Record written;
  grpc::Status status = node.Put(request, &written);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return written;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The value of header `name` (any case) in a response head; "" when absent.
std::string HeaderValue(const std::string& head, const std::string& name) {
  const std::string wanted = Lower(name) + ":";
  size_t start = head.find("\r\n");
  while (start != std::string::npos) {
    start += 2;
    const size_t end = head.find("\r\n", start);
    const std::string line = head.substr(start, end == std::string::npos ? end : end - start);
    if (Lower(line.substr(0, wanted.size())) == wanted) {
      std::string value = line.substr(wanted.size());
      value.erase(0, value.find_first_not_of(' '));
      return value;
    }
    start = end;
  }
  return "";
}

// The session id in a Set-Cookie value "ldgs_session=ID; HttpOnly; ...".
std::string SessionOf(const std::string& set_cookie) {
  const std::string prefix = "ldgs_session=";
  if (set_cookie.rfind(prefix, 0) != 0) return "";
  return set_cookie.substr(prefix.size(), set_cookie.find(';') - prefix.size());
}

std::string UrlEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// One request with Connection: close; `session` goes in a Cookie header when set.
HttpResult Request(const std::string& address, const std::string& method, const std::string& path,
                   const std::string& session = "", const std::string& body = "") {
  std::string raw = method + " " + path + " HTTP/1.1\r\nHost: " + address + "\r\n";
  if (!session.empty()) raw += "Cookie: ldgs_session=" + session + "\r\n";
  if (method == "POST") {
    raw += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n";
  }
  raw += "Connection: close\r\n\r\n" + body;
  return HttpExchange(address, raw);
}

// Whether some element with data-field="FIELD" holds exactly `text` (simple string search
// over HTML or a DOM dump: the element's text runs from its tag's '>' to the next '<').
bool HasFieldText(const std::string& html, const std::string& field, const std::string& text) {
  const std::string attribute = "data-field=\"" + field + "\"";
  for (size_t at = html.find(attribute); at != std::string::npos;
       at = html.find(attribute, at + 1)) {
    const size_t open = html.find('>', at);
    if (open == std::string::npos) return false;
    const size_t close = html.find('<', open);
    if (close == std::string::npos) return false;
    if (html.substr(open + 1, close - open - 1) == text) return true;
  }
  return false;
}

// The rollups.csv row of `metric`, `period` and `scope`, split at commas; empty when absent.
std::vector<std::string> CsvRow(const std::string& csv, const std::string& metric,
                                const std::string& period, const std::string& scope) {
  size_t start = 0;
  while (start < csv.size()) {
    size_t end = csv.find("\r\n", start);
    if (end == std::string::npos) end = csv.size();
    std::vector<std::string> fields;
    const std::string line = csv.substr(start, end - start);
    for (size_t from = 0;;) {
      const size_t comma = line.find(',', from);
      fields.push_back(line.substr(from, comma == std::string::npos ? comma : comma - from));
      if (comma == std::string::npos) break;
      from = comma + 1;
    }
    if (fields.size() > 3 && fields[1] == metric && fields[2] == period && fields[3] == scope) {
      return fields;
    }
    start = end + 2;
  }
  return {};
}

// A hub and three chapters under mutual TLS. The hub defines a public and a network metric;
// the chapters report three months of both; Riverside writes a public, a network and a
// hub-only practice, a private and a public story.
class WebPageTest : public ::testing::Test {
 protected:
  WebPageTest() {
    for (const char* name : {"Riverside", "Lakeview", "Hillcrest"}) {
      chapters_.push_back(&fed_.AddChapter(name, "valley", &hub_));
    }
  }

  void SetUpNetwork() {
    ASSERT_TRUE(fed_.Start());
    ASSERT_NO_FATAL_FAILURE(
        DefineMetric(hub_, kPublicMetric, "People housed", v1::VISIBILITY_PUBLIC));
    ASSERT_NO_FATAL_FAILURE(
        DefineMetric(hub_, kNetworkMetric, "Eviction filings", v1::VISIBILITY_NETWORK));
    for (int i = 0; i < 3; ++i) {
      for (int month = 1; month <= 3; ++month) {
        const std::string period = "2026-0" + std::to_string(month);
        ASSERT_NO_FATAL_FAILURE(
            Observe(*chapters_[i], kPublicMetric, period, kHoused[i][month - 1]));
        ASSERT_NO_FATAL_FAILURE(Observe(*chapters_[i], kNetworkMetric, period, 40 + i + 2 * month));
      }
    }
    const NodeProcess& writer = *chapters_[0];
    public_practice_ = PutPractice(writer, kPublicPractice, v1::VISIBILITY_PUBLIC);
    network_practice_ = PutPractice(writer, kNetworkPractice, v1::VISIBILITY_NETWORK);
    hub_only_practice_ = PutPractice(writer, kHubOnlyMarker, v1::VISIBILITY_HUB);
    ldgs::testing::PutStory(writer, kPrivateMarker, v1::VISIBILITY_PRIVATE);
    public_story_ = ldgs::testing::PutStory(writer, kPublicStory, v1::VISIBILITY_PUBLIC);
    ASSERT_FALSE(public_practice_.id().empty());
    ASSERT_FALSE(public_story_.id().empty());
    // Feeds are ordered: with the last record at the hub, everything before it that may go
    // there has gone (the network and hub-only practices included).
    ASSERT_TRUE(Arrives(hub_, public_story_));
    ASSERT_TRUE(Arrives(hub_, hub_only_practice_));
    for (const char* metric : {kPublicMetric, kNetworkMetric}) {
      ASSERT_TRUE(RollupBecomes(hub_, hub_.node_id(),
                                "rollup:" + std::string(metric) + ":2026-03:network",
                                [](const v1::Rollup& r) { return r.reporting() == 3; }));
    }
  }

  std::string PracticePath() const {
    return "/practice?origin=" + public_practice_.origin() + "&id=" + public_practice_.id();
  }

  ldgs::testing::Federation fed_{ldgs::testing::Federation::Options{.tls = true}};
  NodeProcess& hub_ = fed_.AddHub("Valley hub", "valley");
  std::vector<NodeProcess*> chapters_;
  v1::Record public_practice_, network_practice_, hub_only_practice_, public_story_;
};

TEST_F(WebPageTest, PublicPagesAndOpenDataShowPublicRecordsAndFiguresOnly) {
  ASSERT_NO_FATAL_FAILURE(SetUpNetwork());
  const std::string& at = hub_.http_address();
  const std::vector<std::string> paths = {"/",
                                          "/practices",
                                          "/practices?q=marker",
                                          "/stories",
                                          "/data",
                                          "/data/records.csv",
                                          "/data/records.json",
                                          "/data/rollups.csv",
                                          "/data/rollups.json",
                                          PracticePath()};
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    const HttpResult page = HttpGet(at, path);
    EXPECT_EQ(page.status, 200) << page.body;
    // Hub-only and private records never; network records and figures are not public either.
    EXPECT_THAT(page.body, Not(HasSubstr(kHubOnlyMarker)));
    EXPECT_THAT(page.body, Not(HasSubstr(kPrivateMarker)));
    EXPECT_THAT(page.body, Not(HasSubstr(kNetworkMetric)));
    EXPECT_THAT(page.body, Not(HasSubstr(kNetworkPractice)));
  }

  // What is public is there: the checks above bite.
  EXPECT_THAT(HttpGet(at, "/practices").body, HasSubstr(kPublicPractice));
  EXPECT_THAT(HttpGet(at, "/stories").body, HasSubstr(kPublicStory));
  EXPECT_THAT(HttpGet(at, PracticePath()).body, HasSubstr(kPublicPractice));
  EXPECT_THAT(HttpGet(at, "/data").body, HasSubstr(kPublicMetric));
  const std::string records = HttpGet(at, "/data/records.csv").body;
  EXPECT_THAT(records, HasSubstr(kPublicPractice));
  EXPECT_THAT(records, HasSubstr(kPublicStory));

  // The network sum of March, 401 + 412 + 421, in the open data and on the overview.
  const HttpResult csv = HttpGet(at, "/data/rollups.csv");
  const std::vector<std::string> row = CsvRow(csv.body, kPublicMetric, "2026-03", "network");
  ASSERT_GE(row.size(), 8u) << csv.body;
  EXPECT_EQ(row[0], hub_.node_id());
  EXPECT_EQ(row[4], "3");           // reporting
  EXPECT_EQ(row[5], "3");           // expected
  EXPECT_EQ(row[7], kHousedMarch);  // value
  const nlohmann::json rollups = nlohmann::json::parse(HttpGet(at, "/data/rollups.json").body);
  bool found = false;
  for (const nlohmann::json& r : rollups) {
    if (r.value("metric", std::string()) != kPublicMetric ||
        r.value("period", std::string()) != "2026-03" ||
        r.value("scope", std::string()) != "network") {
      continue;
    }
    found = true;
    ASSERT_TRUE(r.contains("value")) << r.dump();
    EXPECT_EQ(r.at("value").get<double>(), 1234.0);
  }
  EXPECT_TRUE(found) << rollups.dump();
  const std::string overview = HttpGet(at, "/").body;
  EXPECT_TRUE(HasFieldText(overview, "value", kHousedMarch)) << overview;
  EXPECT_THAT(overview, HasSubstr("data-value=\"1234\""));
  EXPECT_THAT(overview, HasSubstr(kPublicPractice));  // what's working lists it
}

TEST_F(WebPageTest, LoginWithTheAdminTokenOpensTheOperatorViewUntilLogout) {
  ASSERT_NO_FATAL_FAILURE(SetUpNetwork());
  const std::string& at = hub_.http_address();
  const HttpResult form = HttpGet(at, "/login");
  EXPECT_EQ(form.status, 200);
  EXPECT_THAT(form.body, HasSubstr("type=\"password\""));
  EXPECT_THAT(form.body, HasSubstr("name=\"token\""));

  // A wrong token of the right length: refused, and no session.
  const HttpResult wrong =
      Request(at, "POST", "/login", "", "token=" + std::string(hub_.token().size(), 'X'));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(HeaderValue(wrong.head, "Set-Cookie"), "") << wrong.head;

  const HttpResult right = Request(at, "POST", "/login", "", "token=" + UrlEncode(hub_.token()));
  EXPECT_EQ(right.status, 303) << right.head;
  EXPECT_EQ(HeaderValue(right.head, "Location"), "/operator");
  const std::string set_cookie = HeaderValue(right.head, "Set-Cookie");
  EXPECT_THAT(set_cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(set_cookie, HasSubstr("SameSite=Strict"));
  const std::string session = SessionOf(set_cookie);
  ASSERT_FALSE(session.empty()) << right.head;

  const HttpResult operator_view = Request(at, "GET", "/operator", session);
  EXPECT_EQ(operator_view.status, 200);
  for (const char* name : {"Riverside", "Lakeview", "Hillcrest"}) {
    EXPECT_THAT(operator_view.body, HasSubstr(name));
  }
  EXPECT_THAT(Request(at, "GET", "/practices?q=HUBONLY", session).body, HasSubstr(kHubOnlyMarker));
  EXPECT_THAT(Request(at, "GET", "/practices?q=HUBONLY").body, Not(HasSubstr(kHubOnlyMarker)));

  // Without the session: to the login form.
  const HttpResult anonymous = Request(at, "GET", "/operator");
  EXPECT_EQ(anonymous.status, 303);
  EXPECT_EQ(HeaderValue(anonymous.head, "Location"), "/login");
  EXPECT_THAT(anonymous.body, Not(HasSubstr("Riverside")));

  // Logged out: the same cookie opens nothing any more.
  EXPECT_EQ(Request(at, "POST", "/logout", session).status, 303);
  const HttpResult after = Request(at, "GET", "/operator", session);
  EXPECT_EQ(after.status, 303);
  EXPECT_EQ(HeaderValue(after.head, "Location"), "/login");
  EXPECT_THAT(Request(at, "GET", "/practices?q=HUBONLY", session).body,
              Not(HasSubstr(kHubOnlyMarker)));
}

TEST_F(WebPageTest, HeadlessChromiumRendersTheFiguresTheChartAndEachPage) {
  if (!std::filesystem::exists(kChromium)) {
    GTEST_SKIP() << kChromium << " is not installed (deploy/install-deps.sh installs it)";
  }
  ASSERT_NO_FATAL_FAILURE(SetUpNetwork());
  const ldgs::testing::TempDir& dir = fed_.dir();
  const std::string base = "http://" + hub_.http_address();
  auto chromium = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {kChromium,
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--disable-background-networking",
                                     "--disable-component-update",
                                     "--disable-sync",
                                     "--no-first-run",
                                     "--user-data-dir=" + dir.Sub("chromium"),
                                     "--window-size=1200,900"};
    argv.insert(argv.end(), args.begin(), args.end());
    return ldgs::testing::RunCommand(argv);
  };

  const CommandResult dom = chromium({"--dump-dom", base + "/"});
  ASSERT_THAT(dom.out, HasSubstr("</html>")) << dom.err;
  EXPECT_TRUE(HasFieldText(dom.out, "value", kHousedMarch)) << dom.out;
  EXPECT_THAT(dom.out, HasSubstr("<svg class=\"chart\""));

  const std::vector<std::pair<std::string, std::string>> pages = {
      {"overview", "/"}, {"practices", "/practices"}, {"practice", PracticePath()}};
  for (const auto& [name, path] : pages) {
    SCOPED_TRACE(path);
    const std::string png = dir.Sub(name + ".png");
    const CommandResult shot = chromium({"--screenshot=" + png, base + path});
    ASSERT_TRUE(std::filesystem::exists(png)) << shot.err;
    // A blank page compresses to a few hundred bytes; text, tables and charts do not.
    EXPECT_GT(std::filesystem::file_size(png), 20000u);
  }
}

TEST(WebRefusalTest, UnknownPathsOtherMethodsAndOversizedBodiesGetTheirStatus) {
  ldgs::testing::TempDir dir;
  NodeProcess hub(dir.Sub("hub"), "Hub", "hub");
  ASSERT_TRUE(hub.Start());
  const std::string& at = hub.http_address();
  EXPECT_EQ(HttpGet(at, "/no-such-page").status, 404);
  EXPECT_EQ(HttpGet(at, "/practices/extra").status, 404);
  EXPECT_EQ(Request(at, "POST", "/", "", "q=1").status, 405);
  // Over the server's 64 KiB body limit.
  EXPECT_EQ(Request(at, "POST", "/login", "", "token=" + std::string(100 * 1024, 'a')).status, 413);
  // And it goes on serving.
  EXPECT_EQ(HttpGet(at, "/").status, 200);
  EXPECT_EQ(HttpGet(at, "/login").status, 200);
}

}  // namespace
}  // namespace ldgs
