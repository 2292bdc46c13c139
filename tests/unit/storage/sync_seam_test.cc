// Acknowledged means on disk: every write path of the store has synced the WAL when it
// returns. The crash test (storage_crash_test.cc) cannot tell: SIGKILL leaves unsynced
// writes in the page cache, and the next open reads them back. Here the store runs on a file
// system that counts the bytes appended to its WAL files and the bytes a Sync or Fsync made
// durable, and every write path is checked to leave none unsynced.
//
// Changing `options.sync = true` to false in Db::Commit (storage/db.cc) makes every test here
// fail (already in SetUp: Storage::Open commits the feed epoch); so does any write path that
// bypasses Db::Commit with default (unsynced) rocksdb::WriteOptions. The seam's own test
// shows that it sees such a write.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "ldgs/v1/peer.pb.h"
#include "record/node_key.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/options.h"
#include "storage/local_writer.h"
#include "storage/storage.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_records.h"

namespace ldgs::storage {
namespace {

using ::ldgs::testing::SignedStory;

// Bytes appended to one WAL file, and how many of them a sync made durable.
struct WalCounts {
  std::atomic<uint64_t> appended{0};
  std::atomic<uint64_t> synced{0};
};

// A WAL file that reports its appends and syncs to its WalCounts.
class WatchedWalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  WatchedWalFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::shared_ptr<WalCounts> counts)
      : FSWritableFileOwnerWrapper(std::move(file)), counts_(std::move(counts)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    return Appended(target()->Append(data, options, dbg), data.size());
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& verification_info,
                           rocksdb::IODebugContext* dbg) override {
    return Appended(target()->Append(data, options, verification_info, dbg), data.size());
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    return Appended(target()->PositionedAppend(data, offset, options, dbg), data.size());
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& verification_info,
                                     rocksdb::IODebugContext* dbg) override {
    return Appended(target()->PositionedAppend(data, offset, options, verification_info, dbg),
                    data.size());
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return Synced(target()->Sync(options, dbg));
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    return Synced(target()->Fsync(options, dbg));
  }
  // Not a sync: sync_file_range starts writeback of a range but makes nothing durable (no
  // metadata, no device cache flush), so it counts for nothing here.
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    return target()->RangeSync(offset, nbytes, options, dbg);
  }
  // Closing makes nothing durable either (a close without a sync leaves the bytes unsynced).
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    return target()->Close(options, dbg);
  }

 private:
  rocksdb::IOStatus Appended(rocksdb::IOStatus status, size_t bytes) {
    if (status.ok()) counts_->appended += bytes;
    return status;
  }
  // A sync makes everything appended to the file so far durable.
  rocksdb::IOStatus Synced(rocksdb::IOStatus status) {
    if (status.ok()) counts_->synced = counts_->appended.load();
    return status;
  }

  std::shared_ptr<WalCounts> counts_;
};

// The real file system, watching the WAL files (NNNNNN.log) of the RocksDB in `db_dir`.
class WalWatchingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  WalWatchingFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target, std::string db_dir)
      : FileSystemWrapper(target), db_dir_(std::move(db_dir)) {}

  static const char* kClassName() { return "WalWatchingFileSystem"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    return Watch(name, /*fresh=*/true, target()->NewWritableFile(name, options, result, dbg),
                 result);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    return Watch(name, /*fresh=*/false, target()->ReopenWritableFile(name, options, result, dbg),
                 result);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    return Watch(name, /*fresh=*/true,
                 target()->ReuseWritableFile(name, old_name, options, result, dbg), result);
  }

  // Bytes appended to the WAL so far, in every WAL file.
  uint64_t appended() const {
    uint64_t total = 0;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& file : files_) total += file.second->appended.load();
    return total;
  }
  // Bytes appended to the WAL that no sync has made durable yet.
  uint64_t unsynced() const {
    uint64_t total = 0;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& file : files_) total += file.second->appended - file.second->synced;
    return total;
  }
  size_t wal_files() const {
    std::lock_guard<std::mutex> lock(mu_);
    return files_.size();
  }

 private:
  bool IsWal(const std::string& name) const {
    const std::string prefix = db_dir_ + "/";
    const std::string suffix = ".log";  // "LOG" (the info log) is not a WAL
    return name.size() > prefix.size() + suffix.size() &&
           name.compare(0, prefix.size(), prefix) == 0 &&
           name.find('/', prefix.size()) == std::string::npos &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  }

  rocksdb::IOStatus Watch(const std::string& name, bool fresh, rocksdb::IOStatus status,
                          std::unique_ptr<rocksdb::FSWritableFile>* result) {
    if (!status.ok() || !IsWal(name)) return status;
    std::shared_ptr<WalCounts> counts;
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::shared_ptr<WalCounts>& slot = files_[name];
      // A new or reused file starts empty; a reopened one keeps what it held.
      if (!slot || fresh) slot = std::make_shared<WalCounts>();
      counts = slot;
    }
    *result = std::make_unique<WatchedWalFile>(std::move(*result), std::move(counts));
    return status;
  }

  const std::string db_dir_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<WalCounts>> files_;  // by file name
};

class SyncSeamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_ = std::make_shared<WalWatchingFileSystem>(rocksdb::FileSystem::Default(), dir_.Sub("db"));
    env_ = rocksdb::NewCompositeEnv(fs_);
    ASSERT_TRUE(env_ != nullptr);
    DbOptions options;
    options.env = env_.get();
    auto opened = Storage::Open(dir_.path(), options);
    ASSERT_OK(opened);
    storage_ = std::move(*opened);
    // Opening writes too (the schema version, a new store's feed epoch), through the seam.
    ASSERT_GE(fs_->wal_files(), 1u) << "the seam sees no WAL file in " << dir_.Sub("db");
    ASSERT_GT(fs_->appended(), 0u) << "the seam sees no WAL append while opening";
    ASSERT_EQ(fs_->unsynced(), 0u) << "Storage::Open returned with WAL bytes unsynced";
  }

  void TearDown() override {
    writer_.reset();
    storage_.reset();  // before the file system and Env it uses
  }

  // Runs `write`, which must succeed, and checks that it went through the watched WAL (so
  // that the check cannot pass vacuously) and left none of its bytes unsynced.
  template <typename Write>
  void ExpectSyncedWrite(const std::string& path, Write write) {
    const uint64_t before = fs_->appended();
    ASSERT_OK(write());
    EXPECT_GT(fs_->appended(), before) << path << " appended nothing to the watched WAL";
    EXPECT_EQ(fs_->unsynced(), 0u) << path << " returned with WAL bytes not synced";
  }

  LocalWriter& writer() {
    if (!writer_) {
      writer_ = std::make_unique<LocalWriter>(&storage_->records(), &key_, record::RecordLimits());
    }
    return *writer_;
  }

  static v1::Record Story(const std::string& title) {
    v1::Record body;
    body.mutable_story()->set_title(title);
    return body;
  }

  ldgs::testing::TempDir dir_;
  record::NodeKey key_ = record::NodeKey::Generate();
  std::shared_ptr<WalWatchingFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<LocalWriter> writer_;
};

// The seam can fail: a write RocksDB does not sync is seen as unsynced, and the next synced
// write makes it durable with its own.
TEST_F(SyncSeamTest, TheSeamSeesAWriteThatIsNotSynced) {
  const uint64_t before = fs_->appended();
  rocksdb::WriteOptions unsynced;
  unsynced.sync = false;
  ASSERT_TRUE(storage_->db().raw()->Put(unsynced, "sync-seam-probe", "x").ok());
  EXPECT_GT(fs_->appended(), before);
  EXPECT_GT(fs_->unsynced(), 0u);
  ExpectSyncedWrite("NodeState::Commit", [&] {
    return storage_->state().Commit(StateChange().SetMarker("probe", "synced"));
  });
}

TEST_F(SyncSeamTest, RecordStoreApplyIsSynced) {
  ExpectSyncedWrite("RecordStore::Apply (records)",
                    [&] { return storage_->records().Apply({SignedStory(key_, "a", 1, "one")}); });
  ExpectSyncedWrite("RecordStore::Apply (a newer version)",
                    [&] { return storage_->records().Apply({SignedStory(key_, "a", 2, "two")}); });
  ExpectSyncedWrite("RecordStore::Apply (records and a checkpoint)", [&] {
    return storage_->records().Apply(
        {SignedStory(key_, "b", 1, "b")},
        StateChange().SetCheckpoint("peer", PeerDirection::kInbound, FeedPosition{"E1", 1}));
  });
  // A batch whose records were all refused still moves the checkpoint.
  ExpectSyncedWrite("RecordStore::Apply (a checkpoint alone)", [&] {
    return storage_->records().Apply(
        {}, StateChange().SetCheckpoint("peer", PeerDirection::kInbound, FeedPosition{"E1", 2}));
  });
}

TEST_F(SyncSeamTest, NodeStateCommitIsSynced) {
  ExpectSyncedWrite("NodeState::Commit (marker)", [&] {
    return storage_->state().Commit(StateChange().SetMarker("marker", "value"));
  });
  v1::Enrollment enrollment;
  enrollment.set_node_id(record::NodeKey::Generate().node_id());
  enrollment.set_relation(v1::RELATION_MEMBER);
  ExpectSyncedWrite("NodeState::Commit (enrollment)", [&] {
    return storage_->state().Commit(StateChange().PutEnrollment(enrollment));
  });
  ExpectSyncedWrite("NodeState::Commit (checkpoint)", [&] {
    return storage_->state().Commit(StateChange().SetCheckpoint(
        enrollment.node_id(), PeerDirection::kOutbound, FeedPosition{"E2", 7}));
  });
  ExpectSyncedWrite("NodeState::Commit (feed cursor)", [&] {
    return storage_->state().Commit(StateChange().SetFeedCursor("aggregator", 3));
  });
}

TEST_F(SyncSeamTest, AdvanceClockIsSynced) {
  ExpectSyncedWrite("RecordStore::AdvanceClock",
                    [&] { return storage_->records().AdvanceClock(key_.node_id(), 1000); });
  ASSERT_EQ(*storage_->records().ClockOf(key_.node_id()), 1000u);
}

TEST_F(SyncSeamTest, LocalWritesAreSynced) {
  ExpectSyncedWrite("LocalWriter::Put",
                    [&] { return writer().Put("s", v1::VISIBILITY_NETWORK, Story("one")); });
  ExpectSyncedWrite("LocalWriter::PutMany", [&] {
    std::vector<PutItem> items(2);
    items[0] = {"s", v1::VISIBILITY_UNSPECIFIED, Story("two")};
    items[1] = {"t", v1::VISIBILITY_HUB, Story("other")};
    return writer().PutMany(std::move(items), StateChange().SetMarker("put_many", "1"));
  });
  ExpectSyncedWrite("LocalWriter::Share",
                    [&] { return writer().Share("t", v1::VISIBILITY_PRIVATE); });
  ExpectSyncedWrite("LocalWriter::Delete", [&] { return writer().Delete("s"); });
}

}  // namespace
}  // namespace ldgs::storage
