// Store: open, schema check, column families. Reads live in store_read.cc, the apply path
// in apply.cc.
#include "storage/store.h"

#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/utilities/checkpoint.h"
#include "storage/rocksdb_status.h"

namespace ldgs::storage {
namespace {
constexpr const char* kColumnFamilies[] = {"default", "records", "changes", "clock",
                                           "peers",   "index",   "meta"};
constexpr char kSchemaKey[] = "schema_version";
constexpr char kLastSeqKey[] = "last_seq";
}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.keep_log_file_num = 4;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kColumnFamilies) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::unique_ptr<Store> store(new Store());
  rocksdb::DB* db = nullptr;
  LDGS_RETURN_IF_ERROR(
      FromRocksDb(rocksdb::DB::Open(options, dir + "/db", descriptors, &store->handles_, &db),
                  "open store in " + dir));
  store->db_.reset(db);
  store->dir_ = dir;
  store->records_ = store->handles_[1];
  store->changes_ = store->handles_[2];
  store->clock_ = store->handles_[3];
  store->peers_ = store->handles_[4];
  store->index_ = store->handles_[5];
  store->meta_ = store->handles_[6];
  LDGS_RETURN_IF_ERROR(store->LoadMeta());
  return store;
}

Store::~Store() {
  if (!db_) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
}

absl::Status Store::LoadMeta() {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, kSchemaKey, &value);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    return FromRocksDb(db_->Put(sync, meta_, kSchemaKey, std::to_string(kSchemaVersion)),
                       "write schema version");
  }
  LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read schema version"));
  if (value != std::to_string(kSchemaVersion)) {
    return absl::FailedPreconditionError("store has schema version " + value +
                                         ", this build reads version " +
                                         std::to_string(kSchemaVersion));
  }
  s = db_->Get(rocksdb::ReadOptions(), meta_, kLastSeqKey, &value);
  if (s.IsNotFound()) return absl::OkStatus();
  LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read last sequence"));
  std::lock_guard<std::mutex> lock(write_mu_);
  if (!DecodeU64(value, &last_seq_)) return absl::DataLossError("corrupt last sequence in meta");
  return absl::OkStatus();
}

uint64_t Store::LastSequence() const {
  std::lock_guard<std::mutex> lock(write_mu_);
  return last_seq_;
}

}  // namespace ldgs::storage

namespace ldgs::storage {

void Store::SetCommitListener(std::function<void(uint64_t)> listener) {
  commit_listener_ = std::move(listener);
}

absl::Status Store::PutEnrollment(const v1::Enrollment& enrollment) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return FromRocksDb(
      db_->Put(sync, peers_, EnrollmentKey(enrollment.node_id()), enrollment.SerializeAsString()),
      "write enrollment");
}

absl::StatusOr<v1::Enrollment> Store::GetEnrollment(std::string_view node_id) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), peers_, EnrollmentKey(node_id), &value);
  if (s.IsNotFound())
    return absl::NotFoundError("node " + std::string(node_id) + " is not enrolled");
  LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read enrollment"));
  v1::Enrollment enrollment;
  if (!enrollment.ParseFromString(value)) return absl::DataLossError("corrupt enrollment");
  return enrollment;
}

absl::StatusOr<std::vector<v1::Enrollment>> Store::ListEnrollments() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), peers_));
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

}  // namespace ldgs::storage

namespace ldgs::storage {

absl::Status Store::CreateBackup(const std::string& db_dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  LDGS_RETURN_IF_ERROR(FromRocksDb(rocksdb::Checkpoint::Create(db_.get(), &raw), "backup"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocksDb(checkpoint->CreateCheckpoint(db_dir), "backup to " + db_dir);
}

absl::Status Store::AdvanceClock(std::string_view origin, uint64_t version) {
  std::lock_guard<std::mutex> lock(write_mu_);
  LDGS_ASSIGN_OR_RETURN(uint64_t held, ClockOf(origin));
  if (version <= held) return absl::OkStatus();
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return FromRocksDb(db_->Put(sync, clock_, origin, EncodeU64(version)), "advance clock");
}

absl::StatusOr<std::string> Store::GetMarker(std::string_view name) const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), meta_, "marker/" + std::string(name), &value);
  if (s.IsNotFound()) return absl::NotFoundError("no marker " + std::string(name));
  LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read marker"));
  return value;
}

absl::Status Store::PutMarker(std::string_view name, std::string_view value) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return FromRocksDb(db_->Put(sync, meta_, "marker/" + std::string(name), value), "write marker");
}

}  // namespace ldgs::storage

namespace ldgs::storage {

absl::Status Store::PutInvite(const v1::Invite& invite) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return FromRocksDb(db_->Put(sync, peers_, "v" + invite.secret_hash(), invite.SerializeAsString()),
                     "write invite");
}

absl::StatusOr<v1::Invite> Store::GetInvite(std::string_view secret_hash) const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), peers_, "v" + std::string(secret_hash), &value);
  if (s.IsNotFound()) return absl::NotFoundError("unknown invite");
  LDGS_RETURN_IF_ERROR(FromRocksDb(s, "read invite"));
  v1::Invite invite;
  if (!invite.ParseFromString(value)) return absl::DataLossError("corrupt invite");
  return invite;
}

}  // namespace ldgs::storage
