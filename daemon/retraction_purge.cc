#include "daemon/retraction_purge.h"

#include "spdlog/spdlog.h"

namespace ldgs::daemon {

RetractionPurge::RetractionPurge(storage::Storage* storage, std::chrono::milliseconds interval)
    : storage_(storage), interval_(interval), thread_([this] { Run(); }) {}

RetractionPurge::~RetractionPurge() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  storage_->db().CancelPurges();  // a compaction under way would hold up the stop
  thread_.join();
}

void RetractionPurge::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    if (!storage_->records().TakeRetractedSinceLastCall()) continue;
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    absl::Status purged = storage_->db().PurgeOverwritten(
        {storage::ColumnFamily::kRecords, storage::ColumnFamily::kIndex});
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    if (purged.ok()) purged = storage_->records().ClearPurgePending();
    if (purged.ok()) {
      spdlog::info("purged retracted records' bytes from the store's files in {} ms", ms);
    } else {
      // Tried again at the next interval; the retraction itself is already in force.
      spdlog::warn("purging retracted bytes failed: {}", purged.ToString());
      storage_->records().MarkRetracted();
    }
    lock.lock();
  }
}

}  // namespace ldgs::daemon
