// Opening a store made by the schema-1 build (tests/data/schema_v1.tar.gz, made by
// tests/data/make_schema_v1.sh with commit fc3afdf) migrates it to the current schema with
// everything it held: records, enrollments, invites, checkpoints, the aggregator's feed
// position and the restore markers.
#include <fstream>
#include <iterator>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/keys.h"
#include "storage/schema.h"
#include "storage/storage.h"
#include "tests/support/status_matchers.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace ldgs::storage {
namespace {

using ::testing::Contains;
using ::testing::Not;

std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::vector<std::string> FamiliesOf(const std::string& db_dir) {
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db_dir, &names).ok());
  return names;
}

// Every (key, value) of one column family, read with plain RocksDB after the store closed.
std::map<std::string, std::string> Dump(const std::string& db_dir, const std::string& family) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : FamiliesOf(db_dir)) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  std::map<std::string, std::string> out;
  EXPECT_TRUE(
      rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), db_dir, descriptors, &handles, &db).ok());
  for (size_t i = 0; i < handles.size(); ++i) {
    if (descriptors[i].name != family) continue;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      out[it->key().ToString()] = it->value().ToString();
  }
  for (auto* handle : handles) EXPECT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  delete db;
  return out;
}

class SchemaMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::ldgs::testing::CommandResult untar = ::ldgs::testing::RunCommand(
        {"/bin/tar", "-xzf", std::string(LDGS_TEST_DATA_DIR) + "/schema_v1.tar.gz", "-C",
         dir_.path()});
    ASSERT_EQ(untar.exit_code, 0) << untar.err;
    hub_id_ = ReadLine(dir_.Sub("hub.id"));
    chapter_id_ = ReadLine(dir_.Sub("chapter.id"));
    joiner_id_ = ReadLine(dir_.Sub("joiner.id"));
  }

  ::ldgs::testing::TempDir dir_;
  std::string hub_id_, chapter_id_, joiner_id_;
};

TEST_F(SchemaMigrationTest, FixtureIsAVersionOneStore) {
  // Guards the fixture itself: a v1 layout, so that the tests below migrate something.
  const std::string db = dir_.Sub("hub/db");
  EXPECT_THAT(FamiliesOf(db), Contains("peers"));
  EXPECT_THAT(FamiliesOf(db), Not(Contains("node_state")));
  EXPECT_EQ(Dump(db, "meta")["schema_version"], "1");
  EXPECT_EQ(Dump(dir_.Sub("restored/db"), "meta").count("marker/restored"), 1u);
}

TEST_F(SchemaMigrationTest, EveryNodeStateEntryMovesByteForByte) {
  const std::string db = dir_.Sub("hub/db");
  const std::map<std::string, std::string> v1_peers = Dump(db, "peers");
  const std::string aggregator = CheckpointKey("~aggregator", PeerDirection::kInbound);
  ASSERT_TRUE(v1_peers.count(aggregator));
  ASSERT_GE(v1_peers.size(), 5u);  // checkpoints both ways, 2 enrollments, 2 invites
  { ASSERT_OK(Storage::Open(dir_.Sub("hub"))); }
  std::map<std::string, std::string> expected = v1_peers;
  expected.erase(aggregator);
  std::map<std::string, std::string> migrated = Dump(db, "node_state");
  // The one entry the schema-1 store had no equivalent of: its feed now has an epoch.
  EXPECT_EQ(migrated.erase(MarkerKey("feed_epoch")), 1u);
  EXPECT_EQ(migrated, expected);
  EXPECT_EQ(Dump(db, "cursors"),
            (std::map<std::string, std::string>{{"aggregator", v1_peers.at(aggregator)}}));
}

TEST_F(SchemaMigrationTest, HubKeepsRecordsEnrollmentsInvitesCheckpointsAndItsFeedCursor) {
  const uint64_t v1_aggregator = [&] {
    uint64_t seq = 0;
    EXPECT_TRUE(DecodeU64(
        Dump(dir_.Sub("hub/db"), "peers")[CheckpointKey("~aggregator", PeerDirection::kInbound)],
        &seq));
    return seq;
  }();
  ASSERT_GT(v1_aggregator, 0u);
  {
    auto storage = Storage::Open(dir_.Sub("hub"));
    ASSERT_OK(storage);
    const RecordStore& records = (*storage)->records();
    const NodeState& state = (*storage)->state();
    EXPECT_TRUE(records.Get(chapter_id_, "practice-fixture").ok());
    EXPECT_TRUE(records.Get(chapter_id_, "obs:actively_homeless:2026-03").ok());
    EXPECT_TRUE(absl::IsNotFound(records.Get(chapter_id_, "story-private").status()));
    EXPECT_GT(records.LastSequence(), 0u);

    auto enrollments = state.ListEnrollments();
    ASSERT_OK(enrollments);
    std::set<std::string> enrolled;
    for (const v1::Enrollment& e : *enrollments) enrolled.insert(e.node_id());
    EXPECT_EQ(enrolled, (std::set<std::string>{chapter_id_, joiner_id_}));

    auto checkpoint = state.Checkpoint(chapter_id_, PeerDirection::kInbound);
    ASSERT_OK(checkpoint);
    EXPECT_GT(checkpoint->sequence, 0u);
    EXPECT_EQ(checkpoint->epoch, "");  // from before epochs: void in any feed, one resync
    auto cursor = records.FeedCursor("aggregator");
    ASSERT_OK(cursor);
    EXPECT_EQ(*cursor, v1_aggregator);
    // The aggregator's position is no peer any more.
    EXPECT_EQ(*state.Checkpoint("~aggregator", PeerDirection::kInbound), FeedPosition());
  }
  const std::string db = dir_.Sub("hub/db");
  EXPECT_THAT(FamiliesOf(db), Not(Contains("peers")));
  EXPECT_EQ(Dump(db, "meta")["schema_version"], std::to_string(kSchemaVersion));
  // Both invites moved, the used one still used by the joiner.
  int invites = 0, used_by_joiner = 0;
  for (const auto& [key, value] : Dump(db, "node_state")) {
    if (key[0] != 'v') continue;
    ++invites;
    v1::Invite invite;
    ASSERT_TRUE(invite.ParseFromString(value));
    used_by_joiner += invite.used() && invite.used_by() == joiner_id_ ? 1 : 0;
  }
  EXPECT_EQ(invites, 2);
  EXPECT_EQ(used_by_joiner, 1);
}

TEST_F(SchemaMigrationTest, RestoredChapterKeepsItsMarkers) {
  const std::map<std::string, std::string> v1_meta = Dump(dir_.Sub("restored/db"), "meta");
  {
    auto storage = Storage::Open(dir_.Sub("restored"));
    ASSERT_OK(storage);
    EXPECT_EQ(*(*storage)->state().GetMarker("restored"), v1_meta.at("marker/restored"));
    EXPECT_EQ(*(*storage)->state().GetMarker("resynced/" + hub_id_),
              v1_meta.at("marker/resynced/" + hub_id_));
    EXPECT_TRUE((*storage)->records().Get(chapter_id_, "story-private").ok());
  }
  for (const auto& [key, value] : Dump(dir_.Sub("restored/db"), "meta")) {
    EXPECT_NE(key.rfind("marker/", 0), 0u) << key << " left in meta";
  }
}

TEST_F(SchemaMigrationTest, MigratedStoreReopensAndDropsALeftoverFamily) {
  { ASSERT_OK(Storage::Open(dir_.Sub("joiner"))); }
  const std::map<std::string, std::string> migrated = Dump(dir_.Sub("joiner/db"), "node_state");
  ASSERT_FALSE(migrated.empty());
  // As if the process died after the migration's batch and before the drop: the leftover
  // family still holds its (now stale) entries, which must not be migrated a second time.
  {
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const std::string& name : FamiliesOf(dir_.Sub("joiner/db"))) {
      descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), dir_.Sub("joiner/db"), descriptors, &handles, &db)
            .ok());
    rocksdb::ColumnFamilyHandle* peers = nullptr;
    ASSERT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "peers", &peers).ok());
    handles.push_back(peers);
    for (const auto& [key, value] : migrated) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), peers, key, "stale").ok());
    }
    for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
    delete db;
  }
  ASSERT_THAT(FamiliesOf(dir_.Sub("joiner/db")), Contains("peers"));
  { ASSERT_OK(Storage::Open(dir_.Sub("joiner"))); }
  EXPECT_THAT(FamiliesOf(dir_.Sub("joiner/db")), Not(Contains("peers")));
  EXPECT_EQ(Dump(dir_.Sub("joiner/db"), "node_state"), migrated);
}

TEST_F(SchemaMigrationTest, AStoreOfANewerSchemaIsRefusedAndLeftAsItWas) {
  const std::string db_dir = dir_.Sub("joiner/db");
  {
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const std::string& name : FamiliesOf(db_dir)) {
      descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), db_dir, descriptors, &handles, &db).ok());
    for (size_t i = 0; i < handles.size(); ++i) {
      if (descriptors[i].name == "meta") {
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i], "schema_version", "7").ok());
      }
    }
    for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
    delete db;
  }
  const std::vector<std::string> before = FamiliesOf(db_dir);
  auto opened = Storage::Open(dir_.Sub("joiner"));
  EXPECT_TRUE(absl::IsFailedPrecondition(opened.status())) << opened.status();
  EXPECT_EQ(FamiliesOf(db_dir), before);  // no family of this schema added to it
}

}  // namespace
}  // namespace ldgs::storage
