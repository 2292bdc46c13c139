#include "daemon/http/http_server.h"
#include "gtest/gtest.h"

namespace ldgs::daemon::http {
namespace {

TEST(RouterTest, DispatchesExactPathsToTheirHandlersForGetAndHeadOnly) {
  Router router;
  router.Handle("/healthz", [](const Request& r) { return Response{200, "text/plain", r.query}; });
  EXPECT_EQ(router.Dispatch({"GET", "/healthz", "x=1"}).body, "x=1");
  EXPECT_EQ(router.Dispatch({"HEAD", "/healthz", ""}).status, 200);
  EXPECT_EQ(router.Dispatch({"POST", "/healthz", ""}).status, 405);
  EXPECT_EQ(router.Dispatch({"GET", "/healthz/", ""}).status, 404);
  EXPECT_EQ(router.Dispatch({"GET", "/", ""}).status, 404);
}

}  // namespace
}  // namespace ldgs::daemon::http
