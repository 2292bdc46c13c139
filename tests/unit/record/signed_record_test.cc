#include "record/signed_record.h"

#include <sys/stat.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_records.h"

namespace ldgs::record {
namespace {

using ::ldgs::testing::SignedStory;
using ::testing::HasSubstr;

std::string MessageOf(const absl::Status& status) { return std::string(status.message()); }

TEST(SignedRecordTest, SealedRecordOpensAndVerifies) {
  NodeKey key = NodeKey::Generate();
  auto opened = OpenSignedRecord(SignedStory(key, "s1", 3, "hello").signed_bytes, RecordLimits());
  ASSERT_OK(opened);
  EXPECT_EQ(opened->record.origin(), key.node_id());
  EXPECT_EQ(opened->record.story().title(), "hello");
}

TEST(SignedRecordTest, AnyFlippedPayloadOrSignatureByteFails) {
  NodeKey key = NodeKey::Generate();
  v1::SignedRecord sealed;
  ASSERT_TRUE(sealed.ParseFromString(SignedStory(key, "s1", 3, "hello").signed_bytes));
  int rejected = 0;
  const int total = static_cast<int>(sealed.payload().size() + sealed.signature().size());
  for (int i = 0; i < total; ++i) {
    v1::SignedRecord tampered = sealed;
    std::string* field = i < static_cast<int>(sealed.payload().size())
                             ? tampered.mutable_payload()
                             : tampered.mutable_signature();
    int at = i < static_cast<int>(sealed.payload().size()) ? i : i - sealed.payload().size();
    (*field)[at] ^= 0x01;
    rejected += OpenSignedRecord(tampered.SerializeAsString(), RecordLimits()).ok() ? 0 : 1;
  }
  EXPECT_EQ(rejected, total);
}

TEST(SignedRecordTest, RecordClaimingAnotherOriginFails) {
  NodeKey author = NodeKey::Generate();
  NodeKey victim = NodeKey::Generate();
  v1::Record r = SignedStory(author, "s1", 1, "x").record;
  r.set_origin(victim.node_id());
  v1::SignedRecord forged;
  forged.set_payload(r.SerializeAsString());
  forged.set_signature(author.Sign(forged.payload()));
  auto opened = OpenSignedRecord(forged.SerializeAsString(), RecordLimits());
  EXPECT_TRUE(absl::IsInvalidArgument(opened.status()));
  EXPECT_THAT(MessageOf(opened.status()), HasSubstr("does not verify"));
}

TEST(SignedRecordTest, GarbageAndOversizeAreInvalidArgument) {
  EXPECT_TRUE(absl::IsInvalidArgument(OpenSignedRecord("\xff\xff\xff", RecordLimits()).status()));
  NodeKey key = NodeKey::Generate();
  RecordLimits small;
  small.max_record_bytes = 50;
  auto opened = OpenSignedRecord(SignedStory(key, "s1", 1, "x").signed_bytes, small);
  EXPECT_TRUE(absl::IsInvalidArgument(opened.status()));
  EXPECT_THAT(MessageOf(opened.status()), HasSubstr("limit"));
}

TEST(SignedRecordTest, ValidationRejectsBadFieldsEvenWhenSigned) {
  NodeKey key = NodeKey::Generate();
  auto seal_and_open = [&](v1::Record r) {
    return OpenSignedRecord(SealRecord(r, key), RecordLimits()).status();
  };
  v1::Record good = SignedStory(key, "s1", 1, "x").record;
  v1::Record bad_id = good;
  bad_id.set_id("has space");
  v1::Record no_version = good;
  no_version.set_version(0);
  v1::Record wrong_kind = good;
  wrong_kind.set_kind(v1::KIND_PRACTICE);
  v1::Record deleted_with_body = good;
  deleted_with_body.set_deleted(true);
  v1::Record no_title = good;
  no_title.mutable_story()->clear_title();
  for (const v1::Record& r : {bad_id, no_version, wrong_kind, deleted_with_body, no_title}) {
    EXPECT_TRUE(absl::IsInvalidArgument(seal_and_open(r))) << r.DebugString();
  }
  EXPECT_TRUE(seal_and_open(good).ok());
}

TEST(NodeKeyTest, SavedKeyLoadsWithTheSameIdAndMode0600) {
  ldgs::testing::TempDir dir;
  NodeKey key = NodeKey::Generate();
  ASSERT_OK(key.Save(dir.Sub("node.key")));
  struct stat st;
  ASSERT_EQ(stat(dir.Sub("node.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = NodeKey::Load(dir.Sub("node.key"));
  ASSERT_OK(loaded);
  EXPECT_EQ(loaded->node_id(), key.node_id());
  EXPECT_TRUE(IsNodeId(key.node_id()));
  EXPECT_EQ(key.node_id().size(), 52u);
  EXPECT_TRUE(absl::IsAlreadyExists(key.Save(dir.Sub("node.key"))));
}

TEST(NodeKeyTest, RefusesAKeyReadableByOthers) {
  ldgs::testing::TempDir dir;
  ASSERT_OK(NodeKey::Generate().Save(dir.Sub("node.key")));
  chmod(dir.Sub("node.key").c_str(), 0644);
  EXPECT_TRUE(absl::IsFailedPrecondition(NodeKey::Load(dir.Sub("node.key")).status()));
}

TEST(NodeKeyTest, SignatureVerifiesOnlyForTheSignerAndMessage) {
  NodeKey a = NodeKey::Generate();
  NodeKey b = NodeKey::Generate();
  std::string signature = a.Sign("message");
  EXPECT_TRUE(VerifySignature(a.node_id(), "message", signature));
  EXPECT_FALSE(VerifySignature(b.node_id(), "message", signature));
  EXPECT_FALSE(VerifySignature(a.node_id(), "messagE", signature));
  EXPECT_FALSE(VerifySignature("NOT-AN-ID", "message", signature));
  EXPECT_FALSE(VerifySignature(a.node_id(), "message", "short"));
}

}  // namespace
}  // namespace ldgs::record
