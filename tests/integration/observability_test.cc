// What an operator watches of a running node, read as their tools read it: /metrics parsed
// as Prometheus text and its figures checked against what the test did; /healthz, /readyz,
// and grpc.health.v1 on the replication port.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/support/federation.h"
#include "tests/support/http_client.h"
#include "tests/support/node_process.h"
#include "tests/support/raw_peer.h"
#include "tests/support/record_helpers.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::HttpExchange;
using ::ldgs::testing::HttpGet;
using ::ldgs::testing::NodeProcess;
using ::testing::HasSubstr;

// Samples of a Prometheus text page, keyed by `name{labels as sent}`. Parsed here by the
// format's rules (comment lines, then name, optional {labels}, value), not by ldgsd's code.
// A sample seen twice fails the test: a page must not repeat one.
std::map<std::string, double> ParseMetrics(const std::string& text) {
  std::map<std::string, double> samples;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    // The value follows the last space outside the label braces.
    size_t split = line.rfind(' ');
    const size_t brace = line.find('{');
    if (brace != std::string::npos) {
      const size_t close = line.rfind('}');
      EXPECT_NE(close, std::string::npos) << line;
      split = line.find(' ', close);
    }
    EXPECT_NE(split, std::string::npos) << line;
    const std::string key = line.substr(0, split);
    EXPECT_TRUE(samples.emplace(key, std::stod(line.substr(split + 1))).second)
        << "repeated sample " << key;
  }
  return samples;
}

double Sample(const std::map<std::string, double>& samples, const std::string& key) {
  auto it = samples.find(key);
  EXPECT_NE(it, samples.end()) << "no sample " << key;
  return it == samples.end() ? -1 : it->second;
}

class ObservabilityTest : public ::testing::Test {
 protected:
  ObservabilityTest()
      : fed_({.tls = true}),
        hub_(fed_.AddHub("Hub", "midwest")),
        chapter_(fed_.AddChapter("Chapter", "midwest", &hub_)) {}

  std::string MetricsToken() {
    std::string token = ldgs::testing::ReadFileOrEmpty(hub_.data_dir() + "/metrics.token");
    while (!token.empty() && token.back() == '\n') token.pop_back();
    EXPECT_FALSE(token.empty());
    return token;
  }

  ldgs::testing::HttpResult GetMetrics(const std::string& extra_headers) {
    return HttpExchange(hub_.http_address(), "GET /metrics HTTP/1.1\r\nHost: x\r\n" +
                                                 extra_headers + "Connection: close\r\n\r\n");
  }

  std::map<std::string, double> Metrics() {
    ldgs::testing::HttpResult page = GetMetrics("Authorization: Bearer " + MetricsToken() + "\r\n");
    EXPECT_EQ(page.status, 200) << page.head << page.body;
    EXPECT_THAT(page.head, HasSubstr("text/plain; version=0.0.4"));
    return ParseMetrics(page.body);
  }

  ldgs::testing::Federation fed_;
  NodeProcess& hub_;
  NodeProcess& chapter_;
};

TEST_F(ObservabilityTest, MetricsCountWhatTheHubReceivedAndRefused) {
  ASSERT_TRUE(fed_.Start());
  for (int i = 0; i < 3; ++i) {
    ldgs::testing::PutStory(chapter_, "story " + std::to_string(i), v1::VISIBILITY_HUB);
  }
  for (int i = 0; i < 2; ++i) {
    ldgs::testing::PutStory(chapter_, "shared " + std::to_string(i), v1::VISIBILITY_NETWORK);
  }
  ASSERT_TRUE(chapter_.SyncWait());
  // A member that sends a private record: refused, and counted so.
  ldgs::testing::RawPeer raw(hub_.listen_address());
  ASSERT_TRUE(raw.UseTls(fed_.ca_dir(), fed_.dir().Sub("raw-tls"), hub_.node_id()));
  ASSERT_EQ(hub_.Ctl({"enroll", raw.node_id(), "--region", "midwest"}).exit_code, 0);
  ASSERT_TRUE(raw.Hello().ok());
  // One batch of three: two private stories (refused, too few to cut the member off) and
  // a practice for the network (applied).
  v1::Batch batch;
  for (const std::string id : {"secret-1", "secret-2"}) {
    batch.add_records(raw.SealOwn(ldgs::testing::UnsignedStory(id, v1::VISIBILITY_PRIVATE)));
  }
  v1::Record practice;
  practice.set_id("shared-practice");
  practice.set_version(1);
  practice.set_kind(v1::KIND_PRACTICE);
  practice.set_visibility(v1::VISIBILITY_NETWORK);
  practice.mutable_practice()->set_title("a practice");
  batch.add_records(raw.SealOwn(practice));
  batch.set_up_to(3);
  v1::PushAck ack;
  ASSERT_TRUE(raw.Push(batch, &ack).ok());

  ASSERT_TRUE(hub_.WaitForPeer(chapter_.node_id(), [](const v1::PeerStatus& p) {
    return p.connected() && p.outbound_behind() == 0;
  }));

  const uint64_t head_before = hub_.LastSequence();
  const std::map<std::string, double> m = Metrics();
  const uint64_t head_after = hub_.LastSequence();  // the hub's own threads may write
  // The stories held: the chapter's three for the hub and two for the network (the hub
  // writes none of its own).
  EXPECT_EQ(Sample(m, "ldgs_records{kind=\"story\",visibility=\"hub\"}"), 3);
  EXPECT_EQ(Sample(m, "ldgs_records{kind=\"story\",visibility=\"network\"}"), 2);
  EXPECT_EQ(m.count("ldgs_records{kind=\"story\",visibility=\"private\"}"), 0u);
  EXPECT_EQ(Sample(m, "ldgs_records{kind=\"practice\",visibility=\"network\"}"), 1);
  EXPECT_GE(Sample(m, "ldgs_feed_head"), static_cast<double>(head_before));
  EXPECT_LE(Sample(m, "ldgs_feed_head"), static_cast<double>(head_after));
  EXPECT_EQ(Sample(m, "ldgs_info{node_id=\"" + hub_.node_id() + "\",role=\"hub\",version=\"" +
                          std::string(LDGS_VERSION_FOR_TESTS) + "\"}"),
            1);

  const std::string chapter = "peer=\"" + chapter_.node_id() + "\",relation=\"member\"";
  EXPECT_EQ(Sample(m, "ldgs_peer_connected{" + chapter + "}"), 1);
  EXPECT_EQ(Sample(m, "ldgs_peer_outbound_behind{" + chapter + "}"), 0);
  // The chapter's own records (its profile and the five stories) all came in its batches.
  EXPECT_GE(Sample(m, "ldgs_peer_records_received_total{" + chapter + "}"), 6);
  EXPECT_GE(Sample(m, "ldgs_peer_batches_received_total{" + chapter + "}"), 1);
  EXPECT_EQ(Sample(m, "ldgs_peer_records_refused_total{" + chapter + "}"), 0);
  const std::string raw_peer = "peer=\"" + raw.node_id() + "\",relation=\"member\"";
  EXPECT_EQ(Sample(m, "ldgs_peer_records_refused_total{" + raw_peer + "}"), 2);
  EXPECT_EQ(Sample(m, "ldgs_peer_records_received_total{" + raw_peer + "}"), 3);
  EXPECT_EQ(Sample(m, "ldgs_peer_batches_received_total{" + raw_peer + "}"), 1);
  EXPECT_GT(Sample(m, "ldgs_rocksdb_memtable_bytes"), 0);
  EXPECT_EQ(Sample(m, "ldgs_rocksdb_write_stopped"), 0);
  EXPECT_EQ(Sample(m, "ldgs_records_count_ok"), 1);
}

TEST_F(ObservabilityTest, MetricsNeedTheMetricsTokenFromAnywhere) {
  ASSERT_TRUE(fed_.Start());
  const std::string token = MetricsToken();
  // Not even from this machine without it: a proxy here may add no header.
  ldgs::testing::HttpResult bare = GetMetrics("");
  EXPECT_EQ(bare.status, 401);
  EXPECT_THAT(bare.body, HasSubstr("metrics.token"));
  EXPECT_EQ(bare.body.find("ldgs_"), std::string::npos);
  // The admin token is another power: it does not open /metrics.
  EXPECT_EQ(GetMetrics("Authorization: Bearer " + hub_.token() + "\r\n").status, 401);
  std::string wrong = token;  // as long as the token, one character off
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(GetMetrics("Authorization: Bearer " + wrong + "\r\n").status, 401);
  EXPECT_EQ(GetMetrics("Authorization: bearer " + token + "\r\n").status, 401);
  // With it, from wherever it says it comes.
  for (const std::string proxy :
       {"", "X-Forwarded-For: 203.0.113.9\r\n", "Forwarded: for=203.0.113.9\r\n"}) {
    ldgs::testing::HttpResult page = GetMetrics(proxy + "Authorization: Bearer " + token + "\r\n");
    EXPECT_EQ(page.status, 200) << proxy;
    EXPECT_THAT(page.body, HasSubstr("ldgs_feed_head ")) << proxy;
  }
}

TEST_F(ObservabilityTest, HealthzReadyzAndGrpcHealthAnswer) {
  ASSERT_TRUE(fed_.Start());
  ldgs::testing::HttpResult health = HttpGet(hub_.http_address(), "/healthz");
  EXPECT_EQ(health.status, 200);
  ldgs::testing::HttpResult ready = HttpGet(hub_.http_address(), "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ready\n");

  // grpc.health.v1.Health/Check on the replication port, under mutual TLS as a probe with
  // a federation certificate would call it. The request is empty (service ""); the answer
  // is HealthCheckResponse{status: SERVING}, field 1 = 1: the bytes 08 01.
  ldgs::testing::RawPeer probe(hub_.listen_address());
  ASSERT_TRUE(probe.UseTls(fed_.ca_dir(), fed_.dir().Sub("probe-tls"), hub_.node_id()));
  grpc::GenericStub stub(probe.channel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::Slice empty_message(std::string(""));
  grpc::ByteBuffer request(&empty_message, 1);  // a message of no bytes, not no message
  grpc::ByteBuffer response;
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = s;
                   done = true;
                   done_cv.notify_all();
                 });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(done_cv.wait_for(lock, std::chrono::seconds(40), [&] { return done; }));
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

}  // namespace
}  // namespace ldgs
