// The node's HTTP endpoint, through a real ldgsd and a plain socket client.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_client.h"
#include "tests/support/node_process.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::HttpExchange;
using ::ldgs::testing::HttpGet;
using ::ldgs::testing::NodeProcess;
using ::testing::HasSubstr;

class HttpTest : public ::testing::Test {
 protected:
  HttpTest() : node_(dir_.Sub("node"), "Chapter") { EXPECT_TRUE(node_.Start()); }
  ldgs::testing::TempDir dir_;
  NodeProcess node_;
};

TEST_F(HttpTest, HealthzAnswersOkWhileTheNodeRuns) {
  ldgs::testing::HttpResult health = HttpGet(node_.http_address(), "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_THAT(health.head, HasSubstr("Content-Type: text/plain"));
  // Keep-alive: two requests on one connection both get an answer.
  ldgs::testing::HttpResult twice = HttpExchange(
      node_.http_address(),
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: "
      "close\r\n\r\n");
  EXPECT_EQ(twice.status, 200);
  EXPECT_THAT(twice.body, HasSubstr("HTTP/1.1 200"));  // the second response follows the first
  // HEAD: the headers of GET, no body.
  ldgs::testing::HttpResult head = HttpExchange(
      node_.http_address(), "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_THAT(head.head, HasSubstr("Content-Length: 3"));
  EXPECT_EQ(head.body, "");
  // Stopped: nothing answers, and the address file is gone.
  const std::string address = node_.http_address();
  EXPECT_EQ(node_.Stop(), 0);
  EXPECT_EQ(HttpGet(address, "/healthz").status, 0);
  EXPECT_FALSE(std::filesystem::exists(node_.data_dir() + "/http.addr"));
}

TEST_F(HttpTest, UnknownPathsOtherMethodsAndOversizedRequestsGetTheirStatus) {
  EXPECT_EQ(HttpGet(node_.http_address(), "/nothing-here").status, 404);
  EXPECT_EQ(HttpExchange(node_.http_address(),
                         "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: "
                         "close\r\n\r\nhi")
                .status,
            405);
  EXPECT_EQ(HttpExchange(node_.http_address(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                                   std::string(16 * 1024, 'a') + "\r\n\r\n")
                .status,
            431);
  EXPECT_EQ(HttpExchange(node_.http_address(),
                         "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                             std::string(100000, 'a'))
                .status,
            413);
  // Garbage gets the connection closed, and the server goes on serving.
  EXPECT_EQ(HttpExchange(node_.http_address(), "\x01\x02 not http\r\n\r\n").status, 0);
  EXPECT_EQ(HttpGet(node_.http_address(), "/healthz").status, 200);
}

TEST_F(HttpTest, SecondNodeOnTheSameHttpPortFailsToStartWithOneClearLine) {
  NodeProcess other(dir_.Sub("other"), "Other");
  ldgs::testing::Child run({ldgs::testing::LdgsdPath(), "run", "--data", other.data_dir(),
                            "--insecure", "--admin-listen", "127.0.0.1:0", "--listen",
                            "127.0.0.1:0", "--http-listen", node_.http_address()},
                           other.log_path());
  // It must exit on its own; serving (its address file appearing) is the bug.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::optional<int> exit_code;
  while (!(exit_code = run.Poll()) && std::chrono::steady_clock::now() < deadline &&
         !std::filesystem::exists(other.data_dir() + "/admin.addr")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // poll interval
  }
  ASSERT_TRUE(exit_code) << "a second ldgsd started on HTTP port " << node_.http_address();
  EXPECT_EQ(*exit_code, 1);
  std::ifstream log(other.log_path());
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("cannot serve HTTP on " + node_.http_address()));
  EXPECT_EQ(HttpGet(node_.http_address(), "/healthz").status, 200);
}

}  // namespace
}  // namespace ldgs
