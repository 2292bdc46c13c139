#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/keys.h"
#include "storage/storage.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_records.h"

namespace ldgs::storage {
namespace {

using ::ldgs::testing::SignedStory;
using ::testing::ElementsAre;

class StoreTest : public ::testing::Test {
 protected:
  StoreTest() : key_(record::NodeKey::Generate()), other_(record::NodeKey::Generate()) { Reopen(); }

  void Reopen() {
    store_ = nullptr;
    storage_.reset();
    auto opened = Storage::Open(dir_.path());
    LDGS_CHECK(opened.ok());
    storage_ = std::move(*opened);
    store_ = &storage_->records();
  }

  ApplyResult Apply(const std::vector<IncomingRecord>& records,
                    const StateChange& also = StateChange()) {
    auto result = store_->Apply(records, also);
    EXPECT_TRUE(result.ok()) << result.status().message();
    return result.ok() ? *result : ApplyResult{};
  }

  // Ids in the change feed after `after`, in feed order.
  std::vector<std::string> IdsSince(uint64_t after) {
    return ldgs::testing::FeedIds(*store_, after);
  }

  std::string TitleOf(const std::string& id) {
    auto entry = store_->Get(key_.node_id(), id);
    return entry.ok() ? entry->record.story().title() : "<" + entry.status().ToString() + ">";
  }

  ldgs::testing::TempDir dir_;
  record::NodeKey key_;
  record::NodeKey other_;
  std::unique_ptr<Storage> storage_;
  RecordStore* store_ = nullptr;
};

TEST_F(StoreTest, AppliedRecordReadsBackByteForByte) {
  IncomingRecord in = SignedStory(key_, "a", 1, "first");
  EXPECT_EQ(Apply({in}).applied, 1);
  auto entry = store_->Get(key_.node_id(), "a");
  ASSERT_OK(entry);
  EXPECT_EQ(entry->stored.signed_bytes(), in.signed_bytes);
  EXPECT_EQ(entry->record.story().title(), "first");
  EXPECT_EQ(entry->seq, 1u);
  EXPECT_TRUE(absl::IsNotFound(store_->Get(key_.node_id(), "b").status()));
}

TEST_F(StoreTest, FeedListsChangesInSequenceOrder) {
  Apply({SignedStory(key_, "c", 1, "c"), SignedStory(key_, "a", 1, "a")});
  Apply({SignedStory(other_, "b", 7, "b")});
  EXPECT_THAT(IdsSince(0), ElementsAre("c", "a", "b"));
  EXPECT_THAT(IdsSince(1), ElementsAre("a", "b"));
  EXPECT_THAT(IdsSince(3), ElementsAre());
  EXPECT_EQ(store_->LastSequence(), 3u);
}

TEST_F(StoreTest, NewerVersionSupersedesAndMovesToFeedEnd) {
  Apply({SignedStory(key_, "a", 1, "old"), SignedStory(key_, "b", 1, "b")});
  Apply({SignedStory(key_, "a", 2, "new")});
  // One feed entry per live record: a's old entry is gone.
  EXPECT_THAT(IdsSince(0), ElementsAre("b", "a"));
  EXPECT_EQ(TitleOf("a"), "new");
  EXPECT_EQ(store_->LastSequence(), 3u);
}

TEST_F(StoreTest, OlderOrRepeatedVersionChangesNothing) {
  IncomingRecord v2 = SignedStory(key_, "a", 2, "v2");
  Apply({v2});
  ApplyResult stale = Apply({SignedStory(key_, "a", 1, "v1")});
  ApplyResult repeat = Apply({v2});
  EXPECT_EQ(stale.stale, 1);
  EXPECT_EQ(repeat.unchanged, 1);
  EXPECT_EQ(TitleOf("a"), "v2");
  EXPECT_EQ(store_->LastSequence(), 1u);
}

TEST_F(StoreTest, SameVersionWithOtherPayloadIsAForkAndKeepsTheHeldOne) {
  Apply({SignedStory(key_, "a", 5, "mine")});
  ApplyResult result = Apply({SignedStory(key_, "a", 5, "forged elsewhere")});
  EXPECT_EQ(result.forks, 1);
  EXPECT_EQ(result.applied, 0);
  EXPECT_EQ(TitleOf("a"), "mine");
}

TEST_F(StoreTest, SeveralVersionsInOneBatchKeepTheNewest) {
  ApplyResult result = Apply({SignedStory(key_, "a", 1, "one"), SignedStory(key_, "a", 3, "three"),
                              SignedStory(key_, "a", 2, "two")});
  EXPECT_EQ(result.applied, 2);
  EXPECT_EQ(result.stale, 1);
  EXPECT_EQ(TitleOf("a"), "three");
  EXPECT_THAT(IdsSince(0), ElementsAre("a"));
}

TEST_F(StoreTest, ClockTracksHighestVersionPerOrigin) {
  Apply({SignedStory(key_, "a", 4, "a"), SignedStory(key_, "b", 9, "b"),
         SignedStory(other_, "c", 2, "c")});
  EXPECT_EQ(*store_->ClockOf(key_.node_id()), 9u);
  EXPECT_EQ(*store_->ClockOf(other_.node_id()), 2u);
  EXPECT_EQ(*store_->ClockOf("nobody"), 0u);
}

TEST_F(StoreTest, CheckpointIsWrittenWithTheBatch) {
  Apply({SignedStory(key_, "a", 1, "a")},
        StateChange().SetCheckpoint("peer", PeerDirection::kInbound, FeedPosition{"E1", 42}));
  EXPECT_EQ(*storage_->state().Checkpoint("peer", PeerDirection::kInbound),
            (FeedPosition{"E1", 42}));
  EXPECT_EQ(*storage_->state().Checkpoint("peer", PeerDirection::kOutbound), FeedPosition());
  Reopen();
  EXPECT_EQ(*storage_->state().Checkpoint("peer", PeerDirection::kInbound),
            (FeedPosition{"E1", 42}));
}

TEST_F(StoreTest, AStoreHasAFeedEpochThatSurvivesReopening) {
  absl::StatusOr<std::string> epoch = storage_->state().FeedEpoch();
  ASSERT_OK(epoch);
  EXPECT_EQ(epoch->size(), 26u);
  Reopen();
  EXPECT_EQ(*storage_->state().FeedEpoch(), *epoch);
  EXPECT_NE(NewFeedEpoch(), NewFeedEpoch());
}

TEST_F(StoreTest, EverythingSurvivesReopen) {
  Apply({SignedStory(key_, "a", 1, "a"), SignedStory(key_, "b", 2, "b")});
  Apply({SignedStory(key_, "a", 3, "a3")});
  Reopen();
  EXPECT_THAT(IdsSince(0), ElementsAre("b", "a"));
  EXPECT_EQ(TitleOf("a"), "a3");
  EXPECT_EQ(store_->LastSequence(), 3u);
  // Sequences continue after reopen rather than restarting.
  Apply({SignedStory(key_, "c", 1, "c")});
  EXPECT_EQ(store_->Get(key_.node_id(), "c")->seq, 4u);
}

TEST_F(StoreTest, ListFiltersByKindTagAndOrigin) {
  v1::Record practice;
  practice.set_origin(other_.node_id());
  practice.set_id("p");
  practice.set_version(1);
  practice.set_kind(v1::KIND_PRACTICE);
  practice.set_visibility(v1::VISIBILITY_NETWORK);
  practice.mutable_practice()->set_title("by-name list");
  practice.mutable_practice()->add_strategies("co-design");
  practice.mutable_practice()->add_communities("veterans");
  IncomingRecord p{practice, record::SealRecord(practice, other_), ""};
  Apply({p, SignedStory(key_, "s", 1, "story")});

  auto list = [&](ListFilter filter) {
    bool truncated = false;
    std::vector<std::string> ids;
    auto entries = store_->List(filter, &truncated);
    EXPECT_TRUE(entries.ok());
    for (const StoredEntry& e : *entries) ids.push_back(e.record.id());
    return ids;
  };
  EXPECT_THAT(list({.kind = v1::KIND_PRACTICE}), ElementsAre("p"));
  EXPECT_THAT(list({.tag = "veterans"}), ElementsAre("p"));
  EXPECT_THAT(list({.tag = "nothing"}), ElementsAre());
  EXPECT_THAT(list({.origin = key_.node_id()}), ElementsAre("s"));
  EXPECT_THAT(list({.kind = v1::KIND_STORY, .origin = other_.node_id()}), ElementsAre());

  // A new version without the tag drops it from the tag index.
  practice.set_version(2);
  practice.mutable_practice()->clear_communities();
  Apply({IncomingRecord{practice, record::SealRecord(practice, other_), ""}});
  EXPECT_THAT(list({.tag = "veterans"}), ElementsAre());
  EXPECT_THAT(list({.tag = "co-design"}), ElementsAre("p"));
}

TEST_F(StoreTest, ListHidesDeletedUnlessAskedAndHonoursLimit) {
  Apply({SignedStory(key_, "a", 1, "a"), SignedStory(key_, "b", 1, "b"),
         SignedStory(key_, "c", 1, "c")});
  v1::Record tombstone;
  tombstone.set_origin(key_.node_id());
  tombstone.set_id("b");
  tombstone.set_version(2);
  tombstone.set_kind(v1::KIND_STORY);
  tombstone.set_visibility(v1::VISIBILITY_NETWORK);
  tombstone.set_deleted(true);
  Apply({IncomingRecord{tombstone, record::SealRecord(tombstone, key_), ""}});
  bool truncated = false;
  EXPECT_EQ(store_->List({}, &truncated)->size(), 2u);
  EXPECT_EQ(store_->List({.include_deleted = true}, &truncated)->size(), 3u);
  EXPECT_EQ(store_->List({.limit = 1}, &truncated)->size(), 1u);
  EXPECT_TRUE(truncated);
}

TEST_F(StoreTest, NarrowedRecordAndItsTombstoneAreCompanionsNotAFork) {
  IncomingRecord full = SignedStory(key_, "a", 5, "kept for the hub", v1::VISIBILITY_HUB);
  v1::Record tomb;
  tomb.set_origin(key_.node_id());
  tomb.set_id("a");
  tomb.set_version(5);
  tomb.set_kind(v1::KIND_STORY);
  tomb.set_visibility(v1::VISIBILITY_NETWORK);
  tomb.set_deleted(true);
  IncomingRecord tombstone{tomb, record::SealRecord(tomb, key_), ""};
  Apply({tombstone});
  ApplyResult merged = Apply({full});
  EXPECT_EQ(merged.applied, 1);
  EXPECT_EQ(merged.forks, 0);
  auto entry = store_->Get(key_.node_id(), "a");
  EXPECT_EQ(entry->stored.signed_bytes(), full.signed_bytes);
  EXPECT_EQ(entry->stored.retraction(), tombstone.signed_bytes);
  EXPECT_EQ(Apply({tombstone}).unchanged, 1);
  EXPECT_EQ(Apply({full}).unchanged, 1);
}

TEST_F(StoreTest, RefusesAStoreWithAnotherSchemaVersion) {
  store_ = nullptr;
  storage_.reset();
  {
    // Rewrite the schema version behind the store's back.
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name :
         {"default", "records", "changes", "clock", "index", "meta", "cursors", "node_state"}) {
      cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir_.Sub("db"), cfs, &handles, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[5], "schema_version", "99").ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
  }
  auto opened = Storage::Open(dir_.path());
  EXPECT_TRUE(absl::IsFailedPrecondition(opened.status()));
  EXPECT_THAT(std::string(opened.status().message()), ::testing::HasSubstr("schema version 99"));
}

TEST_F(StoreTest, SecondOpenOfTheSameDirIsRefused) {
  auto second = Storage::Open(dir_.path());
  EXPECT_TRUE(absl::IsUnavailable(second.status())) << second.status();
}

}  // namespace
}  // namespace ldgs::storage

namespace ldgs::storage {
namespace {

TEST_F(StoreTest, ListByMetricWithOrWithoutPeriod) {
  auto observation = [&](const std::string& period, double value) {
    v1::Record r;
    r.set_origin(key_.node_id());
    r.set_id("obs:housed:" + period);
    r.set_version(1);
    r.set_kind(v1::KIND_METRIC_OBSERVATION);
    r.set_visibility(v1::VISIBILITY_HUB);
    r.mutable_metric_observation()->set_metric("housed");
    r.mutable_metric_observation()->set_period(period);
    r.mutable_metric_observation()->set_value(value);
    return IncomingRecord{r, record::SealRecord(r, key_), ""};
  };
  Apply({observation("2026-03", 1), observation("2026-04", 2), SignedStory(key_, "s", 1, "s")});
  bool truncated = false;
  auto all = store_->List({.metric = "housed"}, &truncated);
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 2u);
  auto april = store_->List({.metric = "housed", .period = "2026-04"}, &truncated);
  ASSERT_OK(april);
  ASSERT_EQ(april->size(), 1u);
  EXPECT_EQ((*april)[0].record.metric_observation().value(), 2);
  EXPECT_EQ(store_->List({.origin = key_.node_id(), .metric = "housed"}, &truncated)->size(), 2u);
}

}  // namespace
}  // namespace ldgs::storage

namespace ldgs::storage {
namespace {

IncomingRecord SignedObservation(const record::NodeKey& key, const std::string& period,
                                 uint64_t version) {
  v1::Record r;
  r.set_origin(key.node_id());
  r.set_id("obs:housed:" + period);
  r.set_version(version);
  r.set_kind(v1::KIND_METRIC_OBSERVATION);
  r.set_visibility(v1::VISIBILITY_HUB);
  r.mutable_metric_observation()->set_metric("housed");
  r.mutable_metric_observation()->set_period(period);
  r.mutable_metric_observation()->set_value(1);
  IncomingRecord in;
  in.record = r;
  in.signed_bytes = record::SealRecord(r, key);
  return in;
}

// The filter is checked against a brute-force filter of the unfiltered feed: same entries,
// same order, and the scan ends where the unfiltered one does.
TEST_F(StoreTest, AFilteredFeedReadGivesWhatTheFilterWantsAndScansThroughTheRest) {
  std::vector<IncomingRecord> records;
  for (int i = 0; i < 30; ++i) {
    const record::NodeKey& origin = i % 3 == 0 ? other_ : key_;
    records.push_back(i % 2 == 0 ? testing::SignedStory(origin, "s" + std::to_string(i), 1, "t")
                                 : SignedObservation(origin, "2026-" + std::to_string(10 + i), 1));
  }
  Apply(records);
  auto all = store_->ReadSince(0, 1000);
  ASSERT_OK(all);
  for (const FeedFilter& filter :
       {FeedFilter{{v1::KIND_METRIC_OBSERVATION}, ""}, FeedFilter{{}, other_.node_id()},
        FeedFilter{{v1::KIND_STORY}, key_.node_id()},
        FeedFilter{{v1::KIND_PRACTICE, v1::KIND_STORY}, ""}}) {
    std::vector<uint64_t> expected;
    for (const StoredEntry& e : *all) {
      bool kind_ok = filter.kinds.empty();
      for (v1::Kind kind : filter.kinds) kind_ok = kind_ok || e.record.kind() == kind;
      if (kind_ok && e.record.origin() != filter.skip_origin) expected.push_back(e.seq);
    }
    uint64_t through = 0;
    auto got = store_->ReadSince(0, 1000, filter, &through);
    ASSERT_OK(got);
    std::vector<uint64_t> seqs;
    for (const StoredEntry& e : *got) seqs.push_back(e.seq);
    EXPECT_EQ(seqs, expected);
    EXPECT_EQ(through, all->back().seq);
  }
  // The limit bounds what is looked at, wanted or not.
  uint64_t through = 0;
  auto first = store_->ReadSince(0, 4, FeedFilter{{v1::KIND_REVOCATION}, ""}, &through);
  ASSERT_OK(first);
  EXPECT_TRUE(first->empty());
  EXPECT_EQ(through, (*all)[3].seq);
}

// A feed entry from before kinds were kept (its value only the record key) is read, so
// that its reader decides on the record itself.
TEST_F(StoreTest, AFeedEntryWithoutItsKindIsReadWhateverTheFilter) {
  Apply({testing::SignedStory(key_, "old", 1, "from an older build")});
  const uint64_t seq = store_->LastSequence();
  ASSERT_TRUE(storage_->db()
                  .raw()
                  ->Put(rocksdb::WriteOptions(), storage_->db().cf(ColumnFamily::kChanges),
                        EncodeU64(seq), RecordKey(key_.node_id(), "old"))
                  .ok());
  uint64_t through = 0;
  auto got = store_->ReadSince(0, 100, FeedFilter{{v1::KIND_METRIC_OBSERVATION}, ""}, &through);
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().record.id(), "old");
}

}  // namespace
}  // namespace ldgs::storage
