// Kill -9 of a writer process: every batch it was told is durable must be there on reopen,
// and every batch is all or nothing.
#include <signal.h>

#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_records.h"

namespace ldgs::storage {
namespace {

constexpr int kRecordsPerBatch = 10;
constexpr uint64_t kAcksBeforeKill = 40;

TEST(StorageCrashTest, AcknowledgedBatchesSurviveKillNine) {
  ldgs::testing::TempDir dir;
  std::string origin;
  uint64_t last_ack = 0;
  {
    ldgs::testing::Child writer(
        {LDGS_STORAGE_WRITER_PATH, dir.path(), std::to_string(kRecordsPerBatch)},
        dir.Sub("writer.log"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    std::string line;
    ASSERT_TRUE(writer.ReadLine(&line, deadline));
    ASSERT_EQ(line.rfind("origin ", 0), 0u) << line;
    origin = line.substr(7);
    while (last_ack < kAcksBeforeKill && writer.ReadLine(&line, deadline)) {
      ASSERT_EQ(line.rfind("ack ", 0), 0u) << line;
      last_ack = std::stoull(line.substr(4));
    }
    ASSERT_EQ(last_ack, kAcksBeforeKill) << "writer stopped acknowledging";
    writer.Signal(SIGKILL);  // mid-write: it never stops between batches on its own
    EXPECT_EQ(writer.Wait(), -SIGKILL);
  }

  auto storage = Storage::Open(dir.path());
  ASSERT_OK(storage);
  const RecordStore* store = &(*storage)->records();
  auto checkpoint = (*storage)->state().Checkpoint("writer", PeerDirection::kInbound);
  ASSERT_OK(checkpoint);
  EXPECT_GE(checkpoint->sequence, last_ack);
  // Batches up to the checkpoint are complete; none after it has any record.
  for (uint64_t batch = 1; batch <= checkpoint->sequence + 2; ++batch) {
    int present = 0;
    for (int i = 0; i < kRecordsPerBatch; ++i) {
      const std::string id = "b" + std::to_string(batch) + "-r" + std::to_string(i);
      present += store->Get(origin, id).ok() ? 1 : 0;
    }
    EXPECT_EQ(present, batch <= checkpoint->sequence ? kRecordsPerBatch : 0) << "batch " << batch;
  }
  EXPECT_EQ(store->LastSequence(), checkpoint->sequence * kRecordsPerBatch);
}

}  // namespace
}  // namespace ldgs::storage
