// Store reads. Each call reads from one snapshot so that the feed and the records it names
// agree even while writers run.
#include "common/status_macros.h"
#include "record/signed_record.h"
#include "rocksdb/db.h"
#include "storage/record_index.h"
#include "storage/rocksdb_status.h"
#include "storage/store.h"

namespace ldgs::storage {
namespace {

// Releases a snapshot when the read is done.
class SnapshotRead {
 public:
  explicit SnapshotRead(rocksdb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {
    options_.snapshot = snapshot_;
  }
  ~SnapshotRead() { db_->ReleaseSnapshot(snapshot_); }
  const rocksdb::ReadOptions& options() const { return options_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
  rocksdb::ReadOptions options_;
};

absl::StatusOr<StoredEntry> ReadEntry(rocksdb::DB* db, const rocksdb::ReadOptions& options,
                                      rocksdb::ColumnFamilyHandle* records, std::string_view key) {
  std::string value;
  rocksdb::Status s = db->Get(options, records, key, &value);
  if (s.IsNotFound()) return absl::NotFoundError("no such record");
  LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read record"));
  StoredEntry entry;
  if (!entry.stored.ParseFromString(value)) return absl::DataLossError("corrupt stored record");
  entry.seq = entry.stored.seq();
  absl::StatusOr<v1::Record> decoded = record::DecodeSignedRecord(entry.stored.signed_bytes());
  if (!decoded.ok()) return absl::DataLossError("corrupt stored record payload");
  entry.record = std::move(*decoded);
  return entry;
}

bool Matches(const StoredEntry& entry, const ListFilter& filter) {
  const v1::Record& r = entry.record;
  if (r.deleted() && !filter.include_deleted) return false;
  if (filter.kind != v1::KIND_UNSPECIFIED && r.kind() != filter.kind) return false;
  if (!filter.origin.empty() && r.origin() != filter.origin) return false;
  if (!filter.tag.empty()) {
    std::vector<std::string> tags = TagsOf(r);
    if (!std::binary_search(tags.begin(), tags.end(), filter.tag)) return false;
  }
  if (!filter.metric.empty()) {
    std::string metric, period;
    if (!MetricPeriodOf(r, &metric, &period) || metric != filter.metric) return false;
    if (!filter.period.empty() && period != filter.period) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<StoredEntry> Store::Get(std::string_view origin, std::string_view id) const {
  return ReadEntry(db_.get(), rocksdb::ReadOptions(), records_, RecordKey(origin, id));
}

absl::StatusOr<std::vector<StoredEntry>> Store::ReadSince(uint64_t after, size_t limit) const {
  SnapshotRead read(db_.get());
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read.options(), changes_));
  std::vector<StoredEntry> entries;
  for (it->Seek(EncodeU64(after + 1)); it->Valid() && entries.size() < limit; it->Next()) {
    LDGS_ASSIGN_OR_RETURN(StoredEntry entry, ReadEntry(db_.get(), read.options(), records_,
                                                       it->value().ToStringView()));
    entries.push_back(std::move(entry));
  }
  LDGS_RETURN_IF_ERROR(FromRocksDb(it->status(), "read change feed"));
  return entries;
}

absl::StatusOr<std::vector<StoredEntry>> Store::List(const ListFilter& filter,
                                                     bool* truncated) const {
  // Narrow the scan with the most selective index the filter allows, then check every field.
  rocksdb::ColumnFamilyHandle* cf = records_;
  std::string prefix = filter.origin.empty() ? "" : OriginPrefix(filter.origin);
  if (!filter.metric.empty()) {
    cf = index_;
    prefix = MetricIndexPrefix(filter.metric, filter.period);
  } else if (!filter.tag.empty()) {
    cf = index_;
    prefix = TagIndexPrefix(filter.tag);
  } else if (filter.kind != v1::KIND_UNSPECIFIED) {
    cf = index_;
    prefix = KindIndexPrefix(filter.kind);
  }
  SnapshotRead read(db_.get());
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read.options(), cf));
  std::vector<StoredEntry> entries;
  *truncated = false;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view key = it->key().ToStringView();
    if (cf == index_) key = RecordKeyFromIndexKey(key, prefix);
    LDGS_ASSIGN_OR_RETURN(StoredEntry entry, ReadEntry(db_.get(), read.options(), records_, key));
    if (!Matches(entry, filter)) continue;
    if (entries.size() == filter.limit) {
      *truncated = true;
      break;
    }
    entries.push_back(std::move(entry));
  }
  LDGS_RETURN_IF_ERROR(FromRocksDb(it->status(), "list records"));
  return entries;
}

absl::StatusOr<uint64_t> Store::ClockOf(std::string_view origin) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), clock_, origin, &value);
  if (s.IsNotFound()) return 0;
  LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read clock"));
  uint64_t version = 0;
  if (!DecodeU64(value, &version)) return absl::DataLossError("corrupt clock entry");
  return version;
}

absl::StatusOr<uint64_t> Store::Checkpoint(std::string_view peer, PeerDirection direction) const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), peers_, CheckpointKey(peer, direction), &value);
  if (s.IsNotFound()) return 0;
  LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read checkpoint"));
  uint64_t sequence = 0;
  if (!DecodeU64(value, &sequence)) return absl::DataLossError("corrupt checkpoint");
  return sequence;
}

}  // namespace ldgs::storage
