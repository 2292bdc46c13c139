#include "storage/node_state.h"

#include "common/base32.h"
#include "common/status_macros.h"
#include "record/node_key.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/rocksdb_status.h"

namespace ldgs::storage {
namespace {

constexpr char kFeedEpochMarker[] = "feed_epoch";
constexpr size_t kFeedEpochBytes = 16;

}  // namespace

std::string NewFeedEpoch() { return Base32Encode(record::RandomBytes(kFeedEpochBytes)); }

// A checkpoint's value: the sequence (8 bytes), then the epoch. Values written before epochs
// are the 8 bytes alone and decode with an empty epoch, which matches no feed: one resync.
StateChange& StateChange::SetCheckpoint(std::string_view peer, PeerDirection direction,
                                        const FeedPosition& position) {
  puts_.push_back({ColumnFamily::kNodeState, CheckpointKey(peer, direction),
                   EncodeU64(position.sequence) + position.epoch});
  return *this;
}

StateChange& StateChange::SetFeedEpoch(std::string_view epoch) {
  return SetMarker(kFeedEpochMarker, epoch);
}

StateChange& StateChange::SetFeedCursor(std::string_view name, uint64_t sequence) {
  puts_.push_back({ColumnFamily::kCursors, std::string(name), EncodeU64(sequence)});
  return *this;
}

StateChange& StateChange::PutEnrollment(const v1::Enrollment& enrollment) {
  puts_.push_back({ColumnFamily::kNodeState, EnrollmentKey(enrollment.node_id()),
                   enrollment.SerializeAsString()});
  changes_enrollments_ = true;
  return *this;
}

StateChange& StateChange::PutInvite(const v1::Invite& invite) {
  puts_.push_back(
      {ColumnFamily::kNodeState, InviteKey(invite.secret_hash()), invite.SerializeAsString()});
  return *this;
}

StateChange& StateChange::SetMarker(std::string_view name, std::string_view value) {
  puts_.push_back({ColumnFamily::kNodeState, MarkerKey(name), std::string(value)});
  return *this;
}

void StateChange::AddTo(const Db& db, rocksdb::WriteBatch* batch) const {
  for (const Put& put : puts_) batch->Put(db.cf(put.family), put.key, put.value);
}

absl::Status NodeState::Commit(const StateChange& change) {
  std::unique_lock<std::mutex> lock = db_->LockWrites();
  rocksdb::WriteBatch batch;
  change.AddTo(*db_, &batch);
  LDGS_RETURN_IF_ERROR(db_->Commit(lock, &batch, WriteClass::kNodeState));
  if (change.changes_enrollments()) db_->CountEnrollmentWrite();
  return absl::OkStatus();
}

absl::StatusOr<std::string> NodeState::Read(const std::string& key,
                                            std::string_view not_found) const {
  std::string value;
  rocksdb::Status s =
      db_->raw()->Get(rocksdb::ReadOptions(), db_->cf(ColumnFamily::kNodeState), key, &value);
  if (s.IsNotFound()) return absl::NotFoundError(std::string(not_found));
  LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read node state"));
  return value;
}

absl::StatusOr<FeedPosition> NodeState::Checkpoint(std::string_view peer,
                                                   PeerDirection direction) const {
  absl::StatusOr<std::string> value = Read(CheckpointKey(peer, direction), "checkpoint");
  if (absl::IsNotFound(value.status())) return FeedPosition();
  if (!value.ok()) return value.status();
  FeedPosition position;
  if (value->size() < 8 || !DecodeU64(std::string_view(*value).substr(0, 8), &position.sequence)) {
    return absl::DataLossError("corrupt checkpoint");
  }
  position.epoch = value->substr(8);
  return position;
}

absl::StatusOr<std::string> NodeState::FeedEpoch() const { return GetMarker(kFeedEpochMarker); }

absl::StatusOr<v1::Enrollment> NodeState::GetEnrollment(std::string_view node_id) const {
  absl::StatusOr<std::string> value =
      Read(EnrollmentKey(node_id), "node " + std::string(node_id) + " is not enrolled");
  if (!value.ok()) return value.status();
  v1::Enrollment enrollment;
  if (!enrollment.ParseFromString(*value)) return absl::DataLossError("corrupt enrollment");
  return enrollment;
}

absl::StatusOr<std::vector<v1::Enrollment>> NodeState::ListEnrollments() const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->raw()->NewIterator(rocksdb::ReadOptions(), db_->cf(ColumnFamily::kNodeState)));
  std::vector<v1::Enrollment> enrollments;
  for (it->Seek(kEnrollmentPrefix); it->Valid() && it->key().starts_with(kEnrollmentPrefix);
       it->Next()) {
    v1::Enrollment enrollment;
    if (!enrollment.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("corrupt enrollment");
    }
    enrollments.push_back(std::move(enrollment));
  }
  LDGS_RETURN_IF_ERROR(FromRocksDb(it->status(), "list enrollments"));
  return enrollments;
}

absl::StatusOr<v1::Invite> NodeState::GetInvite(std::string_view secret_hash) const {
  absl::StatusOr<std::string> value = Read(InviteKey(secret_hash), "unknown invite");
  if (!value.ok()) return value.status();
  v1::Invite invite;
  if (!invite.ParseFromString(*value)) return absl::DataLossError("corrupt invite");
  return invite;
}

absl::StatusOr<std::string> NodeState::GetMarker(std::string_view name) const {
  return Read(MarkerKey(name), "no marker " + std::string(name));
}

}  // namespace ldgs::storage
