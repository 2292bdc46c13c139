// The Admin API of a real ldgsd process on 127.0.0.1, called over gRPC.
#include <signal.h>

#include <filesystem>
#include <thread>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/support/node_process.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::NodeProcess;
using ::testing::HasSubstr;

class AdminApiTest : public ::testing::Test {
 protected:
  AdminApiTest() : node_(dir_.Sub("chapter"), "Rockford, IL", "chapter", "midwest") {
    EXPECT_TRUE(node_.Start());
    stub_ = node_.AdminStub();
  }

  grpc::Status Put(const v1::PutRecordRequest& request, v1::Record* out = nullptr) {
    grpc::ClientContext context;
    node_.Authorize(&context);
    v1::Record response;
    grpc::Status status = stub_->PutRecord(&context, request, &response);
    if (out) *out = response;
    return status;
  }

  grpc::Status Get(const std::string& id, v1::Record* out) {
    grpc::ClientContext context;
    node_.Authorize(&context);
    v1::GetRecordRequest request;
    request.set_id(id);
    return stub_->GetRecord(&context, request, out);
  }

  v1::NodeStatus Status() {
    grpc::ClientContext context;
    node_.Authorize(&context);
    v1::NodeStatus status;
    EXPECT_TRUE(stub_->GetStatus(&context, v1::GetStatusRequest(), &status).ok());
    return status;
  }

  static v1::PutRecordRequest Practice(const std::string& title) {
    v1::PutRecordRequest request;
    request.mutable_body()->mutable_practice()->set_title(title);
    request.mutable_body()->mutable_practice()->add_strategies("co-design-with-community");
    return request;
  }

  ldgs::testing::TempDir dir_;
  NodeProcess node_;
  std::unique_ptr<v1::Admin::Stub> stub_;
};

TEST_F(AdminApiTest, StatusNamesTheNodeFromItsProfile) {
  v1::NodeStatus status = Status();
  EXPECT_EQ(status.node_id(), node_.node_id());
  EXPECT_EQ(status.name(), "Rockford, IL");
  EXPECT_EQ(status.region(), "midwest");
  EXPECT_EQ(status.role(), v1::ROLE_CHAPTER);
  EXPECT_EQ(status.last_sequence(), 1u);  // the profile written at init
}

TEST_F(AdminApiTest, PutGetListShareDelete) {
  v1::Record written;
  ASSERT_TRUE(Put(Practice("By-name list"), &written).ok());
  EXPECT_EQ(written.visibility(), v1::VISIBILITY_PRIVATE);

  v1::Record read;
  ASSERT_TRUE(Get(written.id(), &read).ok());
  EXPECT_EQ(read.SerializeAsString(), written.SerializeAsString());

  grpc::ClientContext list_context;
  node_.Authorize(&list_context);
  v1::ListRecordsRequest list;
  list.set_tag("co-design-with-community");
  v1::ListRecordsResponse listed;
  ASSERT_TRUE(stub_->ListRecords(&list_context, list, &listed).ok());
  ASSERT_EQ(listed.records_size(), 1);
  EXPECT_EQ(listed.records(0).id(), written.id());

  grpc::ClientContext share_context;
  node_.Authorize(&share_context);
  v1::ShareRecordRequest share;
  share.set_id(written.id());
  share.set_visibility(v1::VISIBILITY_NETWORK);
  v1::Record shared;
  ASSERT_TRUE(stub_->ShareRecord(&share_context, share, &shared).ok());
  EXPECT_EQ(shared.visibility(), v1::VISIBILITY_NETWORK);
  EXPECT_GT(shared.version(), written.version());

  grpc::ClientContext delete_context;
  node_.Authorize(&delete_context);
  v1::DeleteRecordRequest del;
  del.set_id(written.id());
  v1::Record deleted;
  ASSERT_TRUE(stub_->DeleteRecord(&delete_context, del, &deleted).ok());
  EXPECT_TRUE(deleted.deleted());
  ASSERT_TRUE(Get(written.id(), &read).ok());
  EXPECT_TRUE(read.deleted());
  EXPECT_FALSE(read.has_practice());
}

TEST_F(AdminApiTest, BadInputIsInvalidArgumentAndWritesNothing) {
  const uint64_t before = Status().last_sequence();
  v1::PutRecordRequest no_body;
  v1::PutRecordRequest no_title = Practice("");
  v1::PutRecordRequest bad_id = Practice("x");
  bad_id.set_id("has spaces");
  v1::PutRecordRequest bad_period;
  bad_period.mutable_body()->mutable_metric_observation()->set_metric("housed");
  bad_period.mutable_body()->mutable_metric_observation()->set_period("March");
  v1::PutRecordRequest bad_tag = Practice("x");
  bad_tag.mutable_body()->mutable_practice()->add_tags("Not A Tag!");
  v1::PutRecordRequest too_big = Practice("x");
  too_big.mutable_body()->mutable_practice()->set_summary(std::string(100 * 1024, 'a'));
  v1::PutRecordRequest bad_visibility = Practice("x");
  bad_visibility.set_visibility(static_cast<v1::Visibility>(9));
  // Rollups are the aggregator's: an admin may not forge one, contribution or not.
  v1::PutRecordRequest rollup;
  rollup.set_visibility(v1::VISIBILITY_HUB);
  rollup.mutable_body()->mutable_rollup()->set_metric("housed");
  rollup.mutable_body()->mutable_rollup()->set_period("2026-03");
  rollup.mutable_body()->mutable_rollup()->set_scope("region:midwest");
  rollup.mutable_body()->mutable_rollup()->set_contribution(true);
  rollup.mutable_body()->mutable_rollup()->set_expected(4294967295u);
  for (const auto& request :
       {no_body, no_title, bad_id, bad_period, bad_tag, too_big, bad_visibility, rollup}) {
    grpc::Status status = Put(request);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << request.DebugString();
    EXPECT_FALSE(status.error_message().empty());
  }
  EXPECT_EQ(Status().last_sequence(), before);
}

// An import is a put of many: a rollup or a revocation anywhere in it refuses all of it,
// checked or written, naming the record; so does an empty one.
TEST_F(AdminApiTest, AnImportOfWhatAPutMayNotWriteIsRefusedWhole) {
  const uint64_t before = Status().last_sequence();
  v1::PutRecordRequest practice;
  practice.mutable_body()->mutable_practice()->set_title("ok");
  v1::PutRecordRequest rollup;
  rollup.mutable_body()->mutable_rollup()->set_metric("housed");
  v1::PutRecordRequest revocation;
  revocation.mutable_body()->mutable_revocation()->set_node_id("X");
  auto import = [&](std::vector<v1::PutRecordRequest> records, bool validate_only) {
    v1::ImportRecordsRequest request;
    for (v1::PutRecordRequest& r : records) *request.add_records() = std::move(r);
    request.set_validate_only(validate_only);
    grpc::ClientContext context;
    node_.Authorize(&context);
    v1::ImportRecordsResponse response;
    return stub_->ImportRecords(&context, request, &response);
  };
  for (bool validate_only : {true, false}) {
    grpc::Status empty = import({}, validate_only);
    EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(empty.error_message(), HasSubstr("at least one record"));
    grpc::Status forged = import({practice, rollup}, validate_only);
    EXPECT_EQ(forged.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(forged.error_message(), HasSubstr("record 2: rollups are made"));
    grpc::Status revoking = import({revocation}, validate_only);
    EXPECT_EQ(revoking.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(revoking.error_message(), HasSubstr("record 1: rollups are made"));
  }
  EXPECT_EQ(Status().last_sequence(), before);
  EXPECT_TRUE(import({practice}, true).ok());
  EXPECT_EQ(Status().last_sequence(), before);  // checked, not written
  EXPECT_TRUE(import({practice}, false).ok());
  EXPECT_EQ(Status().last_sequence(), before + 1);
}

TEST_F(AdminApiTest, WrongOrMissingTokenIsUnauthenticatedAndWritesNothing) {
  const uint64_t before = Status().last_sequence();
  for (const std::string& header : {std::string(""), std::string("Bearer wrong"),
                                    "Bearer " + node_.token() + "x", node_.token()}) {
    grpc::ClientContext context;
    if (!header.empty()) context.AddMetadata("authorization", header);
    v1::Record response;
    grpc::Status status = stub_->PutRecord(&context, Practice("sneaky"), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << header;
  }
  EXPECT_EQ(Status().last_sequence(), before);
}

TEST_F(AdminApiTest, MissingRecordIsNotFound) {
  v1::Record read;
  EXPECT_EQ(Get("practice-none", &read).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext context;
  node_.Authorize(&context);
  v1::DeleteRecordRequest del;
  del.set_id("practice-none");
  EXPECT_EQ(stub_->DeleteRecord(&context, del, &read).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(AdminApiTest, SigtermStopsCleanlyAndDataSurvivesRestart) {
  v1::Record written;
  ASSERT_TRUE(Put(Practice("Landlord engagement"), &written).ok());
  EXPECT_EQ(node_.Stop(), 0);
  ASSERT_TRUE(node_.Start());
  stub_ = node_.AdminStub();
  v1::Record read;
  ASSERT_TRUE(Get(written.id(), &read).ok());
  EXPECT_EQ(read.practice().title(), "Landlord engagement");
}

TEST_F(AdminApiTest, AcknowledgedWritesSurviveKillNine) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    v1::Record written;
    ASSERT_TRUE(Put(Practice("practice " + std::to_string(i)), &written).ok());
    ids.push_back(written.id());
  }
  node_.Kill();
  ASSERT_TRUE(node_.Start());
  stub_ = node_.AdminStub();
  for (const std::string& id : ids) {
    v1::Record read;
    EXPECT_TRUE(Get(id, &read).ok()) << id;
  }
  // Versions keep increasing after the crash.
  v1::Record after;
  ASSERT_TRUE(Put(Practice("after restart"), &after).ok());
  v1::Record last;
  ASSERT_TRUE(Get(ids.back(), &last).ok());
  EXPECT_GT(after.version(), last.version());
}

TEST(AdminApiStartTest, SecondDaemonOnTheSameDataDirIsRefused) {
  ldgs::testing::TempDir dir;
  NodeProcess node(dir.Sub("chapter"), "Solo");
  ASSERT_TRUE(node.Start());
  auto second = ldgs::testing::RunCommand({ldgs::testing::LdgsdPath(), "run", "--data",
                                           node.data_dir(), "--admin-listen", "127.0.0.1:0",
                                           "--insecure", "--http-listen", "127.0.0.1:0"});
  EXPECT_NE(second.exit_code, 0);
  EXPECT_THAT(second.err, HasSubstr("ldgsd: "));
  EXPECT_THAT(second.err, HasSubstr("is in use by another ldgsd (pid "));
}

TEST(AdminApiStartTest, AdminApiOffLoopbackIsRefused) {
  ldgs::testing::TempDir dir;
  NodeProcess node(dir.Sub("chapter"), "Solo");
  auto run = ldgs::testing::RunCommand({ldgs::testing::LdgsdPath(), "run", "--data",
                                        node.data_dir(), "--admin-listen", "0.0.0.0:0",
                                        "--insecure", "--http-listen", "127.0.0.1:0"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("must be a loopback address"));
}

TEST(AdminApiStartTest, InitRefusesAnExistingNodeAndBadInput) {
  ldgs::testing::TempDir dir;
  NodeProcess node(dir.Sub("chapter"), "Solo");
  auto again = ldgs::testing::RunCommand(
      {ldgs::testing::LdgsdPath(), "init", "--data", node.data_dir(), "--name", "Other"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("already holds a node"));
  auto bad_role = ldgs::testing::RunCommand({ldgs::testing::LdgsdPath(), "init", "--data",
                                             dir.Sub("x"), "--name", "X", "--role", "king"});
  EXPECT_NE(bad_role.exit_code, 0);
  auto empty_name = ldgs::testing::RunCommand(
      {ldgs::testing::LdgsdPath(), "init", "--data", dir.Sub("y"), "--name", ""});
  EXPECT_EQ(empty_name.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("y")));  // nothing half made
}

}  // namespace
}  // namespace ldgs

namespace ldgs {
namespace {

TEST(AdminApiStartTest, AdminApiServesOnAUnixSocket) {
  ldgs::testing::TempDir dir;
  NodeProcess node(dir.Sub("chapter"), "Solo");
  const std::string socket = dir.Sub("admin.sock");
  ldgs::testing::Child daemon(
      {ldgs::testing::LdgsdPath(), "run", "--data", node.data_dir(), "--admin-listen",
       "unix:" + socket, "--listen", "127.0.0.1:0", "--insecure", "--http-listen", "127.0.0.1:0"},
      dir.Sub("daemon.log"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!std::filesystem::exists(node.data_dir() + "/admin.addr") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // poll interval
  }
  ldgs::testing::CommandResult status = node.Ctl({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr(node.node_id()));
  EXPECT_TRUE(std::filesystem::exists(socket));
  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.Wait(), 0);
}

}  // namespace
}  // namespace ldgs
