#include "storage/local_writer.h"

#include <mutex>
#include <thread>

#include "common/clock.h"
#include "gtest/gtest.h"
#include "record/signed_record.h"
#include "storage/storage.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_records.h"

namespace ldgs::storage {
namespace {

class LocalWriterTest : public ::testing::Test {
 protected:
  LocalWriterTest() : key_(record::NodeKey::Generate()) {
    storage_ = std::move(*Storage::Open(dir_.path()));
    store_ = &storage_->records();
    writer_ = std::make_unique<LocalWriter>(store_, &key_, record::RecordLimits());
  }

  static v1::Record Story(const std::string& title) {
    v1::Record body;
    body.mutable_story()->set_title(title);
    return body;
  }

  storage::StoredEntry Held(const std::string& id) { return *store_->Get(key_.node_id(), id); }

  ldgs::testing::TempDir dir_;
  record::NodeKey key_;
  std::unique_ptr<Storage> storage_;
  RecordStore* store_ = nullptr;
  std::unique_ptr<LocalWriter> writer_;
};

TEST_F(LocalWriterTest, NewRecordIsPrivateSignedAndVersionedFromTheClock) {
  const int64_t before = NowMicros();
  auto written = writer_->Put("", v1::VISIBILITY_UNSPECIFIED, Story("first"));
  ASSERT_OK(written);
  EXPECT_EQ(written->visibility(), v1::VISIBILITY_PRIVATE);
  EXPECT_EQ(written->kind(), v1::KIND_STORY);
  EXPECT_EQ(written->origin(), key_.node_id());
  EXPECT_GE(written->version(), static_cast<uint64_t>(before));
  EXPECT_EQ(written->id().rfind("story-", 0), 0u);
  // What is stored is what the origin signed.
  auto reopened =
      record::OpenSignedRecord(Held(written->id()).stored.signed_bytes(), record::RecordLimits());
  ASSERT_OK(reopened);
  EXPECT_EQ(reopened->record.SerializeAsString(), written->SerializeAsString());
}

TEST_F(LocalWriterTest, VersionsStrictlyIncreaseEvenWhenTheClockWasAhead) {
  // A version far in the future (clock stepped back since) must still be exceeded.
  const uint64_t future = static_cast<uint64_t>(NowMicros()) + 3600ull * 1000000;
  ASSERT_OK(store_->Apply({ldgs::testing::SignedStory(key_, "s", future, "t")}));
  auto next = writer_->Put("s", v1::VISIBILITY_UNSPECIFIED, Story("t2"));
  ASSERT_OK(next);
  EXPECT_EQ(next->version(), future + 1);
  uint64_t last = 0;
  for (int i = 0; i < 50; ++i) {
    auto w = writer_->Put("s", v1::VISIBILITY_UNSPECIFIED, Story("again"));
    ASSERT_OK(w);
    EXPECT_GT(w->version(), last);
    last = w->version();
  }
}

TEST_F(LocalWriterTest, UpdateKeepsVisibilityAndCreationTime) {
  auto first = writer_->Put("s", v1::VISIBILITY_NETWORK, Story("one"));
  auto second = writer_->Put("s", v1::VISIBILITY_UNSPECIFIED, Story("two"));
  ASSERT_OK(second);
  EXPECT_EQ(second->visibility(), v1::VISIBILITY_NETWORK);
  EXPECT_EQ(second->created_us(), first->created_us());
  EXPECT_GT(second->version(), first->version());
}

TEST_F(LocalWriterTest, NarrowingSignsATombstoneForTheWiderAudience) {
  ASSERT_OK(writer_->Put("s", v1::VISIBILITY_NETWORK, Story("shared")));
  auto narrowed = writer_->Share("s", v1::VISIBILITY_HUB);
  ASSERT_OK(narrowed);
  storage::StoredEntry held = Held("s");
  ASSERT_FALSE(held.stored.retraction().empty());
  auto tombstone = record::OpenSignedRecord(held.stored.retraction(), record::RecordLimits());
  ASSERT_OK(tombstone);
  EXPECT_TRUE(tombstone->record.deleted());
  EXPECT_EQ(tombstone->record.version(), narrowed->version());
  EXPECT_EQ(tombstone->record.visibility(), v1::VISIBILITY_NETWORK);
  // Later versions keep retracting from the wider audience until widened again.
  auto edited = writer_->Put("s", v1::VISIBILITY_UNSPECIFIED, Story("edited"));
  ASSERT_OK(edited);
  EXPECT_FALSE(Held("s").stored.retraction().empty());
  ASSERT_OK(writer_->Share("s", v1::VISIBILITY_PUBLIC));
  EXPECT_TRUE(Held("s").stored.retraction().empty());
}

TEST_F(LocalWriterTest, DeleteWritesATombstoneForEveryoneWhoHadIt) {
  ASSERT_OK(writer_->Put("s", v1::VISIBILITY_NETWORK, Story("shared")));
  ASSERT_OK(writer_->Share("s", v1::VISIBILITY_PRIVATE));
  auto deleted = writer_->Delete("s");
  ASSERT_OK(deleted);
  EXPECT_TRUE(deleted->deleted());
  EXPECT_EQ(deleted->visibility(), v1::VISIBILITY_NETWORK);
  EXPECT_EQ(deleted->body_case(), v1::Record::BODY_NOT_SET);
  EXPECT_TRUE(absl::IsNotFound(writer_->Delete("s").status()));
  EXPECT_TRUE(absl::IsNotFound(writer_->Share("s", v1::VISIBILITY_HUB).status()));
}

TEST_F(LocalWriterTest, BadInputChangesNothing) {
  ASSERT_OK(writer_->Put("s", v1::VISIBILITY_NETWORK, Story("story")));
  const uint64_t seq = store_->LastSequence();
  v1::Record practice;
  practice.mutable_practice()->set_title("a practice");
  EXPECT_TRUE(
      absl::IsInvalidArgument(writer_->Put("s", v1::VISIBILITY_UNSPECIFIED, practice).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      writer_->Put("bad id", v1::VISIBILITY_UNSPECIFIED, Story("x")).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(writer_->Put("", v1::VISIBILITY_UNSPECIFIED, Story("")).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(writer_->Put("", v1::VISIBILITY_UNSPECIFIED, v1::Record()).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      writer_->Put("", static_cast<v1::Visibility>(42), Story("x")).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(writer_->Share("s", v1::VISIBILITY_UNSPECIFIED).status()));
  v1::Record huge = Story("huge");
  huge.mutable_story()->set_body(std::string(40 * 1024, 'x'));
  EXPECT_TRUE(absl::IsInvalidArgument(writer_->Put("", v1::VISIBILITY_UNSPECIFIED, huge).status()));
  EXPECT_EQ(store_->LastSequence(), seq);
}

TEST_F(LocalWriterTest, DerivedIdsNameTheRecord) {
  v1::Record obs;
  obs.mutable_metric_observation()->set_metric("housed");
  obs.mutable_metric_observation()->set_period("2026-04");
  obs.mutable_metric_observation()->set_value(12);
  EXPECT_EQ(DefaultRecordId(obs), "obs:housed:2026-04");
  v1::Record def;
  def.mutable_metric_definition()->set_code("housed");
  EXPECT_EQ(DefaultRecordId(def), "metric:housed");
  // A correction of an observation is a new version of the same record.
  ASSERT_OK(writer_->Put("", v1::VISIBILITY_UNSPECIFIED, obs));
  obs.mutable_metric_observation()->set_value(13);
  auto corrected = writer_->Put("", v1::VISIBILITY_UNSPECIFIED, obs);
  ASSERT_OK(corrected);
  EXPECT_EQ(Held("obs:housed:2026-04").record.metric_observation().value(), 13);
}

TEST_F(LocalWriterTest, PutManyWritesEveryItemAndTheStateChangeInOneBatch) {
  ASSERT_OK(writer_->Put("narrowed", v1::VISIBILITY_NETWORK, Story("shared")));
  const uint64_t seq = store_->LastSequence();
  std::vector<PutItem> items = {{"a", v1::VISIBILITY_NETWORK, Story("a1")},
                                {"b", v1::VISIBILITY_UNSPECIFIED, Story("b1")},
                                {"a", v1::VISIBILITY_UNSPECIFIED, Story("a2")},
                                {"narrowed", v1::VISIBILITY_HUB, Story("shared")}};
  // One batch: the store tells its listener once, with everything (cursor too) in place.
  std::vector<uint64_t> commits;
  uint64_t cursor_at_commit = 0;
  store_->SetCommitListener([&](const FeedCommit& commit) {
    commits.push_back(commit.last_seq);
    cursor_at_commit = *store_->FeedCursor("reader");
  });
  auto written = writer_->PutMany(items, StateChange().SetFeedCursor("reader", 7));
  ASSERT_OK(written);
  ASSERT_EQ(written->size(), 4u);
  EXPECT_EQ(commits, (std::vector<uint64_t>{seq + 4}));
  EXPECT_EQ(cursor_at_commit, 7u);
  // The second "a" is a newer version of the first, keeping its visibility.
  EXPECT_GT((*written)[2].version(), (*written)[0].version());
  EXPECT_EQ((*written)[2].visibility(), v1::VISIBILITY_NETWORK);
  EXPECT_EQ(Held("a").record.story().title(), "a2");
  EXPECT_EQ(Held("a").record.version(), (*written)[2].version());
  EXPECT_EQ(Held("b").record.visibility(), v1::VISIBILITY_PRIVATE);
  // Narrowed within the batch: the network that had it gets a tombstone.
  EXPECT_FALSE(Held("narrowed").stored.retraction().empty());
  EXPECT_EQ(*store_->FeedCursor("reader"), 7u);
  EXPECT_EQ(store_->LastSequence(), seq + 4);
  // Versions strictly increase across the batch.
  for (size_t i = 1; i < written->size(); ++i) {
    EXPECT_GT((*written)[i].version(), (*written)[i - 1].version());
  }
}

TEST_F(LocalWriterTest, PutManyWithOneBadItemWritesNothing) {
  const uint64_t seq = store_->LastSequence();
  std::vector<PutItem> items = {{"good", v1::VISIBILITY_NETWORK, Story("fine")},
                                {"bad id", v1::VISIBILITY_NETWORK, Story("refused")}};
  EXPECT_TRUE(absl::IsInvalidArgument(
      writer_->PutMany(items, StateChange().SetFeedCursor("reader", 7)).status()));
  // A kind change is found only against the held record: still nothing written.
  ASSERT_OK(writer_->Put("held", v1::VISIBILITY_NETWORK, Story("a story")));
  const uint64_t after_held = store_->LastSequence();
  v1::Record practice;
  practice.mutable_practice()->set_title("now a practice");
  std::vector<PutItem> kind_change = {{"fresh", v1::VISIBILITY_NETWORK, Story("x")},
                                      {"held", v1::VISIBILITY_NETWORK, practice}};
  EXPECT_TRUE(absl::IsInvalidArgument(writer_->PutMany(kind_change).status()));
  EXPECT_EQ(store_->LastSequence(), after_held);
  EXPECT_EQ(after_held, seq + 1);
  EXPECT_TRUE(absl::IsNotFound(store_->Get(key_.node_id(), "good").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->Get(key_.node_id(), "fresh").status()));
  EXPECT_EQ(*store_->FeedCursor("reader"), 0u);
}

TEST_F(LocalWriterTest, OnlyTheBodyOfWhatAnAdminSuppliesIsTaken) {
  const int64_t before = NowMicros();
  v1::Record body = Story("content");
  body.set_deleted(true);
  body.set_origin("someone-else");
  body.set_id("other-id");
  body.set_version(1);
  body.set_kind(v1::KIND_PRACTICE);
  body.set_visibility(v1::VISIBILITY_PUBLIC);
  body.set_created_us(1);
  auto written = writer_->Put("s", v1::VISIBILITY_UNSPECIFIED, body);
  ASSERT_OK(written);
  EXPECT_EQ(written->id(), "s");
  EXPECT_EQ(written->visibility(), v1::VISIBILITY_PRIVATE);
  EXPECT_GE(written->created_us(), before);
  EXPECT_FALSE(written->deleted());
  EXPECT_EQ(written->origin(), key_.node_id());
  EXPECT_EQ(written->kind(), v1::KIND_STORY);
  EXPECT_GT(written->version(), 1u);
  EXPECT_FALSE(Held("s").record.deleted());
}

}  // namespace
}  // namespace ldgs::storage

namespace ldgs::storage {
namespace {

// Signing on helper threads gives the same records as signing alone: every one verifies
// against the origin, in item order, with strictly increasing versions.
TEST_F(LocalWriterTest, ManyRecordsSignedOnHelperThreadsAllVerifyInOrder) {
  std::vector<std::thread> threads;
  std::mutex mu;
  writer_->SetSigningExecutor(
      [&](std::function<void()> task) {
        std::lock_guard<std::mutex> lock(mu);
        threads.emplace_back(std::move(task));
      },
      3);
  std::vector<PutItem> items;
  for (int i = 0; i < 200; ++i) {
    items.push_back({"s" + std::to_string(i), v1::VISIBILITY_NETWORK, Story(std::to_string(i))});
  }
  auto written = writer_->PutMany(items);
  for (std::thread& t : threads) t.join();
  ASSERT_OK(written);
  ASSERT_EQ(written->size(), 200u);
  uint64_t last = 0;
  for (int i = 0; i < 200; ++i) {
    const StoredEntry held = Held("s" + std::to_string(i));
    auto opened = record::OpenSignedRecord(held.stored.signed_bytes(), record::RecordLimits());
    ASSERT_OK(opened);
    EXPECT_EQ(opened->record.story().title(), std::to_string(i));
    EXPECT_GT(opened->record.version(), last);
    last = opened->record.version();
  }
}

// A check-only PutMany says what a write would refuse, naming the record, and writes
// nothing: no record, no feed entry, no version used.
TEST_F(LocalWriterTest, ValidateOnlyChecksEveryItemAndWritesNothing) {
  ASSERT_OK(writer_->Put("kept", v1::VISIBILITY_NETWORK, Story("a story")));
  const uint64_t seq = store_->LastSequence();
  const uint64_t clock = *store_->ClockOf(key_.node_id());
  std::vector<PutItem> items = {{"new", v1::VISIBILITY_NETWORK, Story("fine")}};
  auto checked = writer_->PutMany(items, StateChange(), WriteClass::kRecords, true);
  ASSERT_OK(checked);
  EXPECT_EQ(checked->size(), 1u);
  v1::Record practice;
  practice.mutable_practice()->set_title("not a story");
  items.push_back({"kept", v1::VISIBILITY_NETWORK, practice});
  auto refused = writer_->PutMany(items, StateChange(), WriteClass::kRecords, true);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message().rfind("record 2 (kept): ", 0), 0u)
      << refused.status().message();
  EXPECT_EQ(store_->LastSequence(), seq);
  EXPECT_EQ(*store_->ClockOf(key_.node_id()), clock);
  EXPECT_TRUE(absl::IsNotFound(store_->Get(key_.node_id(), "new").status()));
}

}  // namespace
}  // namespace ldgs::storage
