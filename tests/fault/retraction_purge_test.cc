// A retracted record's bytes leave every file of each honest node's data dir within the
// configured purge interval: the narrowed body at the hub and at a sister chapter's copy,
// the tags its index keys were made from, and a deleted record's bytes at its origin too.
// Compression is off here, so that a scan of the raw files finds any copy.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/federation.h"
#include "tests/support/node_process.h"
#include "tests/support/record_helpers.h"

namespace ldgs {
namespace {

using ::ldgs::testing::NodeProcess;

constexpr auto kPurgeDeadline = std::chrono::seconds(60);

// The files of `data_dir` that hold `needle` anywhere in their bytes.
std::vector<std::string> FilesHolding(const std::string& data_dir, const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data_dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) found.push_back(entry.path().string());
  }
  return found;
}

// Polls (with a deadline) until no file of `node` holds `needle`; the files left otherwise.
std::vector<std::string> WaitUntilGone(const NodeProcess& node, const std::string& needle) {
  const auto deadline = std::chrono::steady_clock::now() + kPurgeDeadline;
  std::vector<std::string> left = FilesHolding(node.data_dir(), needle);
  while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // poll interval, not a wait
    left = FilesHolding(node.data_dir(), needle);
  }
  return left;
}

v1::Record PutPractice(const NodeProcess& node, const std::string& title, const std::string& tag) {
  v1::PutRecordRequest request;
  request.set_visibility(v1::VISIBILITY_NETWORK);
  request.mutable_body()->mutable_practice()->set_title(title);
  request.mutable_body()->mutable_practice()->add_tags(tag);
  v1::Record written;
  grpc::Status status = node.Put(request, &written);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return written;
}

TEST(RetractionPurgeTest, RetractedBytesLeaveEveryFileOfEveryHonestNode) {
  ldgs::testing::Federation fed({.tls = true});
  NodeProcess& hub = fed.AddHub("Hub", "test-region");
  NodeProcess& a = fed.AddChapter("Chapter A", "test-region", &hub);
  NodeProcess& b = fed.AddChapter("Chapter B", "test-region", &hub);
  for (const NodeProcess* node : {&hub, &a, &b}) {
    std::ofstream(node->data_dir() + "/ldgsd.toml", std::ios::app)
        << "\n[storage]\npurge_interval_s = 1\ncompress = false\n";
  }
  ASSERT_TRUE(fed.Start());
  const std::string narrowed_body = "NARROWED-BODY-7f3a9c";
  const std::string narrowed_tag = "narrowed-tag-51e2";
  const std::string deleted_body = "DELETED-BODY-c40d17";
  v1::Record narrowed = PutPractice(a, narrowed_body, narrowed_tag);
  v1::Record deleted = PutPractice(a, deleted_body, "deleted-tag-90ab");
  for (const NodeProcess* node : {&hub, &b}) {
    ASSERT_TRUE(ldgs::testing::Arrives(*node, narrowed));
    ASSERT_TRUE(ldgs::testing::Arrives(*node, deleted));
  }
  // Every needle is on disk now (in the WAL at least) at every node: the scan can see them.
  for (const NodeProcess* node : {&hub, &a, &b}) {
    for (const std::string& needle : {narrowed_body, narrowed_tag, deleted_body}) {
      ASSERT_FALSE(FilesHolding(node->data_dir(), needle).empty()) << needle;
    }
  }

  // Narrowed to private: the hub and B get its tombstone; A keeps the body, its own.
  grpc::ClientContext share_call;
  a.Authorize(&share_call);
  v1::ShareRecordRequest share;
  share.set_id(narrowed.id());
  share.set_visibility(v1::VISIBILITY_PRIVATE);
  v1::Record tombstone;
  ASSERT_TRUE(a.AdminStub()->ShareRecord(&share_call, share, &tombstone).ok());
  grpc::ClientContext delete_call;
  a.Authorize(&delete_call);
  v1::DeleteRecordRequest del;
  del.set_id(deleted.id());
  v1::Record deletion;
  ASSERT_TRUE(a.AdminStub()->DeleteRecord(&delete_call, del, &deletion).ok());
  for (const NodeProcess* node : {&hub, &b}) {
    v1::Record copy;
    ASSERT_TRUE(ldgs::testing::Arrives(*node, deletion, &copy));
    ASSERT_TRUE(copy.deleted());
  }

  for (const NodeProcess* node : {&hub, &b}) {
    for (const std::string& needle : {narrowed_body, narrowed_tag, deleted_body}) {
      EXPECT_THAT(WaitUntilGone(*node, needle), ::testing::IsEmpty())
          << needle << " at " << node->data_dir();
    }
  }
  EXPECT_THAT(WaitUntilGone(a, deleted_body), ::testing::IsEmpty()) << "at the origin";
  EXPECT_FALSE(FilesHolding(a.data_dir(), narrowed_body).empty());  // private, still its own
  // A scan while RocksDB moves files could miss one: scan the stopped nodes again. Purged,
  // they still hold everything else and restart cleanly.
  for (NodeProcess* node : {&hub, &b}) {
    EXPECT_EQ(node->Stop(), 0);
    for (const std::string& needle : {narrowed_body, narrowed_tag, deleted_body}) {
      EXPECT_THAT(FilesHolding(node->data_dir(), needle), ::testing::IsEmpty()) << needle;
    }
    ASSERT_TRUE(node->Start());
  }
  v1::Record after = ldgs::testing::PutStory(a, "after the purge");
  EXPECT_TRUE(ldgs::testing::Arrives(b, after));
}

}  // namespace
}  // namespace ldgs
