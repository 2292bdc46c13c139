// RecordStore: open and reads. Each multi-key read uses one snapshot so that the feed and the
// records it names agree even while writers run. The apply path is in apply.cc.
#include "storage/record_store.h"

#include <algorithm>

#include "common/status_macros.h"
#include "record/signed_record.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/keys.h"
#include "storage/record_index.h"
#include "storage/rocksdb_status.h"

namespace ldgs::storage {
namespace {

absl::StatusOr<StoredEntry> ParseEntry(std::string_view value) {
  StoredEntry entry;
  if (!entry.stored.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError("corrupt stored record");
  }
  entry.seq = entry.stored.seq();
  absl::StatusOr<v1::Record> decoded = record::DecodeSignedRecord(entry.stored.signed_bytes());
  if (!decoded.ok()) return absl::DataLossError("corrupt stored record payload");
  entry.record = std::move(*decoded);
  return entry;
}

absl::StatusOr<StoredEntry> ReadEntry(rocksdb::DB* db, const rocksdb::ReadOptions& options,
                                      rocksdb::ColumnFamilyHandle* records, std::string_view key) {
  std::string value;
  rocksdb::Status s = db->Get(options, records, key, &value);
  if (s.IsNotFound()) return absl::NotFoundError("no such record");
  LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read record"));
  return ParseEntry(value);
}

bool Matches(const StoredEntry& entry, const ListFilter& filter) {
  const v1::Record& r = entry.record;
  if (r.deleted() && !filter.include_deleted) return false;
  if (filter.kind != v1::KIND_UNSPECIFIED && r.kind() != filter.kind) return false;
  if (!filter.origin.empty() && r.origin() != filter.origin) return false;
  if (!filter.id_prefix.empty() && r.id().rfind(filter.id_prefix, 0) != 0) return false;
  if (!filter.tag.empty()) {
    std::vector<std::string> tags = TagsOf(r);
    if (!std::binary_search(tags.begin(), tags.end(), filter.tag)) return false;
  }
  if (!filter.metric.empty()) {
    std::string metric, period;
    if (!MetricPeriodOf(r, &metric, &period) || metric != filter.metric) return false;
    if (!filter.period.empty() && period != filter.period) return false;
  }
  if (!filter.adapted_from.id().empty()) {
    if (!r.has_practice() || r.practice().adapted_from().origin() != filter.adapted_from.origin() ||
        r.practice().adapted_from().id() != filter.adapted_from.id()) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<uint64_t> ReadU64(const Db& db, ColumnFamily family, std::string_view key,
                                 std::string_view what) {
  std::string value;
  rocksdb::Status s = db.raw()->Get(rocksdb::ReadOptions(), db.cf(family), key, &value);
  if (s.IsNotFound()) return 0;
  LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read " + std::string(what)));
  uint64_t number = 0;
  if (!DecodeU64(value, &number)) return absl::DataLossError("corrupt " + std::string(what));
  return number;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RecordStore>> RecordStore::Open(Db* db) {
  std::unique_ptr<RecordStore> store(new RecordStore(db));
  LDGS_ASSIGN_OR_RETURN(uint64_t last_seq,
                        ReadU64(*db, ColumnFamily::kMeta, kLastSeqKey, "last sequence"));
  std::string pending;
  rocksdb::Status s = db->raw()->Get(rocksdb::ReadOptions(), db->cf(ColumnFamily::kMeta),
                                     kPurgePendingKey, &pending);
  if (!s.IsNotFound()) LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read purge marker"));
  store->retracted_ = s.ok();
  std::lock_guard<std::mutex> lock(store->seq_mu_);
  store->last_seq_ = last_seq;
  std::lock_guard<std::mutex> told(store->told_mu_);
  store->told_through_ = last_seq;
  return store;
}

absl::Status RecordStore::ClearPurgePending() {
  std::unique_lock<std::mutex> lock = db_->LockWrites();
  if (retracted_) return absl::OkStatus();  // Apply sets it under this lock
  rocksdb::WriteBatch batch;
  batch.Delete(db_->cf(ColumnFamily::kMeta), kPurgePendingKey);
  return db_->Commit(lock, &batch, WriteClass::kNodeState);
}

uint64_t RecordStore::LastSequence() const {
  std::lock_guard<std::mutex> lock(seq_mu_);
  return last_seq_;
}

void RecordStore::SetCommitListener(std::function<void(const FeedCommit&)> listener) {
  commit_listener_ = std::move(listener);
}

absl::StatusOr<StoredEntry> RecordStore::Get(std::string_view origin, std::string_view id) const {
  return ReadEntry(db_->raw(), rocksdb::ReadOptions(), db_->cf(ColumnFamily::kRecords),
                   RecordKey(origin, id));
}

absl::StatusOr<std::vector<StoredEntry>> RecordStore::ReadSince(uint64_t after,
                                                                size_t limit) const {
  uint64_t scanned = 0;
  return ReadSince(after, limit, FeedFilter(), &scanned);
}

absl::StatusOr<std::vector<StoredEntry>> RecordStore::ReadSince(uint64_t after, size_t limit,
                                                                const FeedFilter& filter,
                                                                uint64_t* scanned_through) const {
  SnapshotRead read(*db_);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->raw()->NewIterator(read.options(), db_->cf(ColumnFamily::kChanges)));
  std::vector<StoredEntry> entries;
  *scanned_through = after;
  const std::string skip_prefix =
      filter.skip_origin.empty() ? "" : RecordKey(filter.skip_origin, "");
  size_t scanned = 0;
  for (it->Seek(EncodeU64(after + 1)); it->Valid() && scanned < limit; it->Next(), ++scanned) {
    const FeedValue value = DecodeFeedValue(it->value().ToStringView());
    DecodeU64(it->key().ToStringView(), scanned_through);
    if (!skip_prefix.empty() && value.key.substr(0, skip_prefix.size()) == skip_prefix) continue;
    if (!filter.kinds.empty() && value.kind != v1::KIND_UNSPECIFIED &&
        std::find(filter.kinds.begin(), filter.kinds.end(), value.kind) == filter.kinds.end()) {
      continue;
    }
    LDGS_ASSIGN_OR_RETURN(StoredEntry entry, ReadEntry(db_->raw(), read.options(),
                                                       db_->cf(ColumnFamily::kRecords), value.key));
    entries.push_back(std::move(entry));
  }
  LDGS_RETURN_IF_ERROR(FromRocksDb(it->status(), "read change feed"));
  return entries;
}

absl::Status RecordStore::Scan(const ListFilter& filter, const Visitor& visit) const {
  // Narrow the scan with the most selective index the filter allows, then check every field.
  rocksdb::ColumnFamilyHandle* const records = db_->cf(ColumnFamily::kRecords);
  rocksdb::ColumnFamilyHandle* const index = db_->cf(ColumnFamily::kIndex);
  rocksdb::ColumnFamilyHandle* cf = records;
  std::string prefix = filter.origin.empty() ? "" : OriginPrefix(filter.origin) + filter.id_prefix;
  // One origin's records are read in place, in key order, without an index lookup per
  // record: cheaper than any index for a chapter, and no worse for a hub's own records.
  if (!filter.adapted_from.id().empty()) {
    cf = index;
    prefix = AdaptedFromIndexPrefix(filter.adapted_from.origin(), filter.adapted_from.id());
  } else if (!filter.origin.empty()) {
    // the origin prefix set above
  } else if (!filter.metric.empty()) {
    cf = index;
    prefix = MetricIndexPrefix(filter.metric, filter.period);
  } else if (!filter.tag.empty()) {
    cf = index;
    prefix = TagIndexPrefix(filter.tag);
  } else if (filter.kind != v1::KIND_UNSPECIFIED) {
    cf = index;
    prefix = KindIndexPrefix(filter.kind);
  }
  SnapshotRead read(*db_);
  std::unique_ptr<rocksdb::Iterator> it(db_->raw()->NewIterator(read.options(), cf));
  // The position is the scanned family's key: a later page seeks to it and steps past.
  const std::string start = filter.after > prefix ? filter.after : prefix;
  for (it->Seek(start); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const std::string_view position = it->key().ToStringView();
    if (position == std::string_view(filter.after)) continue;
    const std::string_view key = cf == index ? RecordKeyFromIndexKey(position, prefix) : position;
    LDGS_ASSIGN_OR_RETURN(StoredEntry entry, ReadEntry(db_->raw(), read.options(), records, key));
    if (!Matches(entry, filter)) continue;
    if (!visit(entry, position)) break;
  }
  return FromRocksDb(it->status(), "list records");
}

absl::StatusOr<std::vector<StoredEntry>> RecordStore::List(const ListFilter& filter,
                                                           bool* truncated,
                                                           std::string* resume_after) const {
  std::vector<StoredEntry> entries;
  std::string last;
  *truncated = false;
  LDGS_RETURN_IF_ERROR(Scan(filter, [&](const StoredEntry& entry, std::string_view position) {
    if (entries.size() == filter.limit) {
      *truncated = true;
      return false;
    }
    entries.push_back(entry);
    entries.back().position.assign(position);
    last.assign(position);
    return true;
  }));
  if (resume_after) *resume_after = *truncated ? last : std::string();
  return entries;
}

absl::StatusOr<uint64_t> RecordStore::ClockOf(std::string_view origin) const {
  return ReadU64(*db_, ColumnFamily::kClock, origin, "clock entry");
}

absl::StatusOr<uint64_t> RecordStore::FeedCursor(std::string_view name) const {
  return ReadU64(*db_, ColumnFamily::kCursors, name, "feed cursor");
}

}  // namespace ldgs::storage
