#include "daemon/http/http_server.h"
#include "gtest/gtest.h"

namespace ldgs::daemon::http {
namespace {

TEST(RouterTest, DispatchesExactPathsToTheirHandlersForGetAndHeadOnly) {
  Router router;
  router.Handle("/healthz", [](const Request& r) { return Response{200, "text/plain", r.query}; });
  router.Handle("/other", [](const Request&) { return Response{201, "text/plain", "other"}; });
  EXPECT_EQ(router.Dispatch({"GET", "/healthz", "x=1"}).body, "x=1");
  EXPECT_EQ(router.Dispatch({"GET", "/other", ""}).body, "other");
  EXPECT_EQ(router.Dispatch({"GET", "/other", ""}).status, 201);
  EXPECT_EQ(router.Dispatch({"HEAD", "/healthz", ""}).status, 200);
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get"}) {
    EXPECT_EQ(router.Dispatch({method, "/healthz", ""}).status, 405) << method;
  }
  EXPECT_EQ(router.Dispatch({"GET", "/healthz/", ""}).status, 404);
  EXPECT_EQ(router.Dispatch({"GET", "/", ""}).status, 404);
}

}  // namespace
}  // namespace ldgs::daemon::http
