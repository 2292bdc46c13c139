// Group commit: Apply calls that arrive while another commits are written together, in one
// synced batch, each as if it had committed alone. The store runs on a file system whose WAL
// syncs can be held: the first call stalls in its sync while the others queue behind it, so
// which calls form the next group is known, and its syncs are counted.
#include <sys/statvfs.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "storage/keys.h"
#include "storage/local_writer.h"
#include "storage/storage.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_records.h"

namespace ldgs::storage {
namespace {

using ::ldgs::testing::SignedStory;
using ::testing::ElementsAre;

constexpr auto kDeadline = std::chrono::seconds(30);

}  // namespace

bool operator==(const FeedCommit& a, const FeedCommit& b) {
  return a.first_seq == b.first_seq && a.last_seq == b.last_seq &&
         a.hub_audience_only == b.hub_audience_only;
}
void PrintTo(const FeedCommit& c, std::ostream* os) {
  *os << "{" << c.first_seq << ".." << c.last_seq << (c.hub_audience_only ? " hub only}" : "}");
}

namespace {

// Counts WAL syncs, and once armed holds the next one until released.
class SyncGate {
 public:
  void Arm() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = true;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    changed_.notify_all();
  }
  // Whether a sync is being held, waiting up to the deadline for one.
  bool WaitHolding() {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, kDeadline, [&] { return holding_; });
  }
  int syncs() {
    std::lock_guard<std::mutex> lock(mu_);
    return syncs_;
  }
  // A WAL file's Sync or Fsync, before it reaches the disk.
  void Pass() {
    std::unique_lock<std::mutex> lock(mu_);
    ++syncs_;
    if (!armed_) return;
    armed_ = false;
    holding_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_; });
    holding_ = false;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool armed_ = false;
  bool holding_ = false;
  bool released_ = false;
  int syncs_ = 0;
};

class GatedWalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  GatedWalFile(std::unique_ptr<rocksdb::FSWritableFile> file, SyncGate* gate)
      : FSWritableFileOwnerWrapper(std::move(file)), gate_(gate) {}
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    gate_->Pass();
    return target()->Sync(options, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    gate_->Pass();
    return target()->Fsync(options, dbg);
  }

 private:
  SyncGate* gate_;
};

// The real file system, with the syncs of WAL files (NNNNNN.log) through `gate`.
class GatedFileSystem : public rocksdb::FileSystemWrapper {
 public:
  GatedFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target, SyncGate* gate)
      : FileSystemWrapper(target), gate_(gate) {}
  static const char* kClassName() { return "GatedFileSystem"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus status = target()->NewWritableFile(name, options, result, dbg);
    const std::string suffix = ".log";  // "LOG", the info log, is not a WAL
    if (status.ok() && name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      *result = std::make_unique<GatedWalFile>(std::move(*result), gate_);
    }
    return status;
  }

 private:
  SyncGate* gate_;
};

// One Apply call on its own thread.
struct Call {
  std::thread thread;
  absl::StatusOr<ApplyResult> result = absl::UnknownError("not returned");
};

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_ = std::make_shared<GatedFileSystem>(rocksdb::FileSystem::Default(), &gate_);
    env_ = rocksdb::NewCompositeEnv(fs_);
    ASSERT_TRUE(env_ != nullptr);
    DbOptions options;
    options.env = env_.get();
    auto opened = Storage::Open(dir_.path(), options);
    ASSERT_OK(opened);
    storage_ = std::move(*opened);
    store_ = &storage_->records();
    first_seq_ = store_->LastSequence();
    store_->SetCommitListener([this](const FeedCommit& commit) {
      std::lock_guard<std::mutex> lock(told_mu_);
      told_.push_back(commit);
    });
  }

  void TearDown() override {
    gate_.Release();
    for (Call& call : calls_) {
      if (call.thread.joinable()) call.thread.join();
    }
  }

  // Starts one Apply and waits until it is queued (or, the first, holds the sync).
  Call& Start(std::vector<IncomingRecord> records, WriteClass write_class = WriteClass::kRecords) {
    const size_t queued = store_->QueuedWriters();
    Call& call = calls_.emplace_back();
    call.thread = std::thread([this, &call, records = std::move(records), write_class] {
      call.result = store_->Apply(records, StateChange(), write_class);
    });
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (store_->QueuedWriters() == queued && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    EXPECT_GT(store_->QueuedWriters(), queued) << "the call never queued";
    return call;
  }

  // Starts the call that holds the next sync, so that the ones started after it queue.
  void StartHeldCall() {
    gate_.Arm();
    Start({SignedStory(key_, "first", 1, "first")});
    ASSERT_TRUE(gate_.WaitHolding()) << "the first call never reached its WAL sync";
  }

  // Lets the held sync go and waits for every call; returns the WAL syncs made after it.
  int ReleaseAndJoin() {
    const int before = gate_.syncs();
    gate_.Release();
    for (Call& call : calls_) call.thread.join();
    return gate_.syncs() - before;
  }

  std::vector<FeedCommit> Told() {
    std::lock_guard<std::mutex> lock(told_mu_);
    return told_;
  }

  std::vector<std::string> IdsSince(uint64_t after) {
    return ldgs::testing::FeedIds(*store_, after);
  }

  ldgs::testing::TempDir dir_;
  SyncGate gate_;
  std::shared_ptr<GatedFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<Storage> storage_;
  RecordStore* store_ = nullptr;
  uint64_t first_seq_ = 0;
  record::NodeKey key_ = record::NodeKey::Generate();
  std::deque<Call> calls_;
  std::mutex told_mu_;
  std::vector<FeedCommit> told_;  // what the commit listener was told  // Start hands out
                                  // references: a deque keeps them valid
};

TEST_F(GroupCommitTest, QueuedCallsCommitInOneSyncEachSeeingTheOnesBefore) {
  StartHeldCall();
  Call& insert = Start({SignedStory(key_, "r", 1, "x", v1::VISIBILITY_HUB)});
  Call& again = Start({SignedStory(key_, "r", 1, "x", v1::VISIBILITY_HUB)});
  Call& fork = Start({SignedStory(key_, "r", 1, "y", v1::VISIBILITY_HUB)});
  Call& newer = Start({SignedStory(key_, "r", 2, "z")});  // for the network
  EXPECT_EQ(ReleaseAndJoin(), 1) << "the four queued calls should share one WAL sync";

  ASSERT_OK(insert.result);
  EXPECT_EQ(insert.result->applied, 1);
  ASSERT_OK(again.result);
  EXPECT_EQ(again.result->unchanged, 1);
  EXPECT_EQ(again.result->applied, 0);
  ASSERT_OK(fork.result);
  EXPECT_EQ(fork.result->forks, 1);
  ASSERT_OK(newer.result);
  EXPECT_EQ(newer.result->applied, 1);
  // first = +1, r v1 = +2, r v2 = +3 (its v1 entry gone from the feed).
  EXPECT_EQ(store_->LastSequence(), first_seq_ + 3);
  EXPECT_THAT(IdsSince(first_seq_), ElementsAre("first", "r"));
  auto r = store_->Get(key_.node_id(), "r");
  ASSERT_OK(r);
  EXPECT_EQ(r->record.story().title(), "z");
  EXPECT_EQ(r->seq, first_seq_ + 3);
  ASSERT_OK(store_->ClockOf(key_.node_id()));
  EXPECT_EQ(*store_->ClockOf(key_.node_id()), 2u);
  // Told once per commit, in order: the held call's entry, then the group's two (one of
  // them for the network).
  EXPECT_THAT(Told(), ElementsAre(FeedCommit{first_seq_ + 1, first_seq_ + 1, false},
                                  FeedCommit{first_seq_ + 2, first_seq_ + 3, false}));
}

TEST_F(GroupCommitTest, ACallThatFailsLeavesNothingAndTheOthersOfItsGroupCommit) {
  // A held record whose stored value is unreadable: reading it fails with DATA_LOSS.
  rocksdb::WriteOptions synced;
  synced.sync = true;
  ASSERT_TRUE(storage_->db()
                  .raw()
                  ->Put(synced, storage_->db().cf(ColumnFamily::kRecords),
                        RecordKey(key_.node_id(), "broken"), "\xff not a stored record")
                  .ok());
  StartHeldCall();
  Call& before = Start({SignedStory(key_, "p", 1, "p", v1::VISIBILITY_HUB)});
  // Its first record is for the network: rolled back, it must not count for the group.
  Call& failing = Start(
      {SignedStory(key_, "c1", 1, "c1"), SignedStory(key_, "broken", 2, "b", v1::VISIBILITY_HUB)});
  Call& after = Start({SignedStory(key_, "q", 1, "q", v1::VISIBILITY_HUB)});
  EXPECT_EQ(ReleaseAndJoin(), 1);

  ASSERT_OK(before.result);
  EXPECT_EQ(before.result->applied, 1);
  EXPECT_EQ(failing.result.status().code(), absl::StatusCode::kDataLoss) << failing.result.status();
  ASSERT_OK(after.result);
  EXPECT_EQ(after.result->applied, 1);
  // The failed call's first record, added to the batch before the failure, was taken out.
  EXPECT_TRUE(absl::IsNotFound(store_->Get(key_.node_id(), "c1").status()));
  // Sequences stay contiguous: the failed call used none.
  EXPECT_THAT(IdsSince(first_seq_), ElementsAre("first", "p", "q"));
  EXPECT_EQ(store_->LastSequence(), first_seq_ + 3);
  EXPECT_EQ(store_->Get(key_.node_id(), "q")->seq, first_seq_ + 3);
  // Nor did its clock (broken's version 2) or its audience count.
  EXPECT_EQ(*store_->ClockOf(key_.node_id()), 1u);
  EXPECT_THAT(Told(), ElementsAre(FeedCommit{first_seq_ + 1, first_seq_ + 1, false},
                                  FeedCommit{first_seq_ + 2, first_seq_ + 3, true}));
}

TEST_F(GroupCommitTest, ACallOfTheOtherWriteClassIsNotRefusedForThisClassesReserve) {
  StartHeldCall();
  // The first call has passed its disk check. Now records need more free space than there
  // is, node state (half the reserve) less.
  struct statvfs fs;
  ASSERT_EQ(statvfs(dir_.path().c_str(), &fs), 0);
  const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  storage_->db().SetMinFreeBytes(free_bytes + free_bytes / 2);
  Call& records = Start({SignedStory(key_, "a", 1, "a")});
  Call& node_state = Start({SignedStory(key_, "b", 1, "b")}, WriteClass::kNodeState);
  Call& more_records = Start({SignedStory(key_, "c", 1, "c")});
  EXPECT_EQ(ReleaseAndJoin(), 1) << "only the node-state call writes";

  EXPECT_EQ(records.result.status().code(), absl::StatusCode::kResourceExhausted);
  ASSERT_OK(node_state.result);
  EXPECT_EQ(node_state.result->applied, 1);
  EXPECT_EQ(more_records.result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(IdsSince(first_seq_), ElementsAre("first", "b"));
}

// Local writes (an admin's puts) are stamped one at a time under the writer's lock but wait
// for their commit without it: writes of different records share a sync.
TEST_F(GroupCommitTest, ConcurrentLocalWritesOfDifferentRecordsShareOneSync) {
  LocalWriter writer(store_, &key_, record::RecordLimits());
  v1::Record body;
  body.mutable_story()->set_title("t");
  StartHeldCall();
  absl::StatusOr<v1::Record> b = absl::UnknownError("not returned");
  absl::StatusOr<v1::Record> c = absl::UnknownError("not returned");
  std::thread put_b([&] { b = writer.Put("b", v1::VISIBILITY_HUB, body); });
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (store_->QueuedWriters() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  std::thread put_c([&] { c = writer.Put("c", v1::VISIBILITY_HUB, body); });
  while (store_->QueuedWriters() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(store_->QueuedWriters(), 3u) << "the second put did not join the commit queue";
  const int before = gate_.syncs();
  gate_.Release();
  put_b.join();
  put_c.join();
  for (Call& call : calls_) call.thread.join();
  EXPECT_EQ(gate_.syncs() - before, 1) << "the two puts should share one WAL sync";
  ASSERT_OK(b);
  ASSERT_OK(c);
  EXPECT_LT(b->version(), c->version()) << "versions are issued in commit order";
  EXPECT_THAT(IdsSince(first_seq_), ElementsAre("first", "b", "c"));
}

TEST_F(GroupCommitTest, ALocalWriteOfARecordStillCommittingBuildsOnIt) {
  LocalWriter writer(store_, &key_, record::RecordLimits());
  v1::Record body;
  body.mutable_story()->set_title("t");
  gate_.Arm();
  absl::StatusOr<v1::Record> put = absl::UnknownError("not returned");
  std::thread first([&] { put = writer.Put("x", v1::VISIBILITY_HUB, body); });
  EXPECT_TRUE(gate_.WaitHolding());  // not ASSERT: the threads must be joined
  // The put of x holds its sync, not the writer's lock: a delete of x must wait for it (read
  // now, x is not held yet and the delete would fail with NOT_FOUND).
  absl::StatusOr<v1::Record> deleted = absl::UnknownError("not returned");
  std::thread second([&] { deleted = writer.Delete("x"); });
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (writer.WaitingForInFlight() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(writer.WaitingForInFlight(), 1);
  gate_.Release();
  first.join();
  second.join();
  ASSERT_OK(put);
  ASSERT_OK(deleted);
  EXPECT_GT(deleted->version(), put->version());
  EXPECT_TRUE(store_->Get(key_.node_id(), "x")->record.deleted());
}

}  // namespace
}  // namespace ldgs::storage
