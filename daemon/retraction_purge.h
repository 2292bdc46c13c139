#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "storage/storage.h"

namespace ldgs::daemon {

// A retracted record's bytes (its narrowed body and the index keys made from it) stay in
// the store's WAL and SST files until they are flushed and compacted away. Within
// `interval` of a retraction this purges them (Db::PurgeOverwritten over the records and
// index families), on a thread of its own: a full compaction may take seconds.
class RetractionPurge {
 public:
  RetractionPurge(storage::Storage* storage, std::chrono::milliseconds interval);
  ~RetractionPurge();  // stops, waiting for a purge under way
  RetractionPurge(const RetractionPurge&) = delete;
  RetractionPurge& operator=(const RetractionPurge&) = delete;

 private:
  void Run();

  storage::Storage* const storage_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ldgs::daemon
