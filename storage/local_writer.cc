#include "storage/local_writer.h"

#include <algorithm>
#include <map>
#include <optional>

#include "common/base32.h"
#include "common/clock.h"
#include "common/parallel_for.h"
#include "common/status_macros.h"
#include "record/kind.h"
#include "record/node_key.h"
#include "record/record_validation.h"
#include "record/signed_record.h"

namespace ldgs::storage {
namespace {

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

// The widest audience that has ever been sent this record: the held version's visibility,
// or the audience its retraction was addressed to.
v1::Visibility ReachOf(const StoredEntry& held) {
  v1::Visibility reach = held.record.visibility();
  if (!held.stored.retraction().empty()) {
    absl::StatusOr<v1::Record> retraction = record::DecodeSignedRecord(held.stored.retraction());
    if (retraction.ok()) reach = std::max(reach, retraction->visibility());
  }
  return reach;
}

}  // namespace

std::string DefaultRecordId(const v1::Record& body) {
  if (std::optional<std::string> required = record::RequiredRecordId(body)) return *required;
  const char* prefix = body.has_practice() ? "practice-" : body.has_story() ? "story-" : "record-";
  return prefix + Lowercase(Base32Encode(record::RandomBytes(5)));
}

LocalWriter::LocalWriter(RecordStore* store, const record::NodeKey* key,
                         record::RecordLimits limits)
    : store_(store), key_(key), limits_(limits) {}

absl::StatusOr<StoredEntry> LocalWriter::GetLive(const std::string& id) {
  if (!record::IsValidRecordId(id, limits_.max_id_bytes)) {
    return absl::InvalidArgumentError("record id must be 1-" +
                                      std::to_string(limits_.max_id_bytes) +
                                      " characters of letters, digits, '.', '_', ':' or '-'");
  }
  absl::StatusOr<StoredEntry> held = store_->Get(key_->node_id(), id);
  if (absl::IsNotFound(held.status()) || (held.ok() && held->record.deleted())) {
    return absl::NotFoundError("no record " + id + " on this node");
  }
  return held;
}

absl::StatusOr<v1::Record> LocalWriter::Put(std::string id, v1::Visibility visibility,
                                            const v1::Record& body) {
  std::vector<PutItem> items(1);
  items[0] = {std::move(id), visibility, body};
  LDGS_ASSIGN_OR_RETURN(std::vector<v1::Record> written, PutMany(std::move(items)));
  return std::move(written[0]);
}

absl::StatusOr<std::vector<v1::Record>> LocalWriter::PutMany(std::vector<PutItem> items,
                                                             const StateChange& also,
                                                             WriteClass write_class,
                                                             bool validate_only) {
  // An error names the record when there are several (an import says which line).
  auto at = [&](size_t i, const absl::Status& status) {
    if (items.size() == 1) return status;
    std::string where = "record " + std::to_string(i + 1);
    if (!items[i].id.empty()) where += " (" + items[i].id + ")";
    return absl::Status(status.code(), where + ": " + std::string(status.message()));
  };
  auto check = [&](PutItem& item) -> absl::Status {
    LDGS_RETURN_IF_ERROR(record::ValidateBody(item.body, limits_));
    if (!v1::Visibility_IsValid(item.visibility)) {
      return absl::InvalidArgumentError("unknown visibility");
    }
    if (item.id.empty()) item.id = DefaultRecordId(item.body);
    if (std::optional<std::string> required = record::RequiredRecordId(item.body);
        required && *required != item.id) {
      return absl::InvalidArgumentError(
          "a " + std::string(record::KindName(record::KindOfBody(item.body))) +
          " record's id is always " + *required + "; leave the id out");
    }
    if (!record::IsValidRecordId(item.id, limits_.max_id_bytes)) {
      return absl::InvalidArgumentError("record id must be 1-" +
                                        std::to_string(limits_.max_id_bytes) +
                                        " characters of letters, digits, '.', '_', ':' or '-'");
    }
    return absl::OkStatus();
  };
  for (size_t i = 0; i < items.size(); ++i) {
    if (absl::Status checked = check(items[i]); !checked.ok()) return at(i, checked);
  }
  std::unique_lock<std::mutex> lock(mu_);
  std::set<std::string> ids;
  for (const PutItem& item : items) ids.insert(item.id);
  WaitNotInFlight(lock, ids);
  LDGS_ASSIGN_OR_RETURN(uint64_t last_issued, LastIssued());
  std::map<std::string, size_t> pending;  // id -> its latest version earlier in this batch
  std::vector<Stamped> stamped;
  stamped.reserve(items.size());  // `held` below may point into it: no reallocation
  auto stamp = [&](PutItem& item) -> absl::Status {
    const v1::Record* held = nullptr;
    v1::Visibility reach = v1::VISIBILITY_UNSPECIFIED;
    std::optional<StoredEntry> stored;
    if (auto it = pending.find(item.id); it != pending.end()) {
      held = &stamped[it->second].record;
      reach = stamped[it->second].Reach();
    } else {
      absl::StatusOr<StoredEntry> got = store_->Get(key_->node_id(), item.id);
      if (got.ok()) {
        stored = std::move(*got);
        held = &stored->record;
        reach = ReachOf(*stored);
      } else if (!absl::IsNotFound(got.status())) {
        return got.status();
      }
    }
    const bool live = held && !held->deleted();
    v1::Record next = record::BodyOnly(item.body);
    next.set_kind(record::KindOfBody(item.body));
    if (live && held->kind() != next.kind()) {
      return absl::InvalidArgumentError("record " + item.id + " is a " +
                                        v1::Kind_Name(held->kind()) + ", not a " +
                                        v1::Kind_Name(next.kind()));
    }
    v1::Visibility visibility = item.visibility;
    if (visibility == v1::VISIBILITY_UNSPECIFIED) {
      visibility = live ? held->visibility() : v1::VISIBILITY_PRIVATE;
    }
    next.set_id(item.id);
    next.set_visibility(visibility);
    Stamped now = Stamp(std::move(next), held, reach, &last_issued);
    LDGS_RETURN_IF_ERROR(CheckSignedSize(now.record));
    stamped.push_back(std::move(now));
    pending[item.id] = stamped.size() - 1;
    return absl::OkStatus();
  };
  for (size_t i = 0; i < items.size(); ++i) {
    if (absl::Status stamped_ok = stamp(items[i]); !stamped_ok.ok()) return at(i, stamped_ok);
  }
  std::vector<v1::Record> written;
  written.reserve(stamped.size());
  if (validate_only) {
    for (Stamped& s : stamped) written.push_back(std::move(s.record));
    return written;
  }
  // Signing is most of a local write's work and each record's is its own: on every core.
  std::vector<IncomingRecord> incoming(stamped.size());
  ParallelFor(sign_executor_, sign_helpers_, stamped.size(),
              [&](size_t i) { incoming[i] = Sign(std::move(stamped[i])); });
  last_issued_ = last_issued;
  // In the commit order now; the sync is waited for without the lock, so that other writes
  // (of other records) can join the same group commit.
  std::unique_ptr<PendingApply> call = store_->Enqueue(incoming, also, write_class);
  in_flight_.insert(ids.begin(), ids.end());
  lock.unlock();
  absl::StatusOr<ApplyResult> result = store_->Finish(std::move(call));
  lock.lock();
  for (const std::string& id : ids) in_flight_.erase(id);
  lock.unlock();
  in_flight_done_.notify_all();
  LDGS_RETURN_IF_ERROR(result.status());
  // Versions grow under mu_, and no other write of these ids came between.
  LDGS_CHECK(result->applied == static_cast<int>(incoming.size()));
  for (const IncomingRecord& in : incoming) written.push_back(in.record);
  return written;
}

absl::StatusOr<v1::Record> LocalWriter::Share(const std::string& id, v1::Visibility visibility) {
  if (!v1::Visibility_IsValid(visibility) || visibility == v1::VISIBILITY_UNSPECIFIED) {
    return absl::InvalidArgumentError("visibility must be private, hub, network or public");
  }
  std::unique_lock<std::mutex> lock(mu_);
  WaitNotInFlight(lock, {id});
  LDGS_ASSIGN_OR_RETURN(StoredEntry held, GetLive(id));
  v1::Record next = held.record;
  next.set_visibility(visibility);
  return WriteVersion(std::move(next), &held);
}

absl::StatusOr<v1::Record> LocalWriter::Update(
    const std::string& id, const std::function<absl::Status(v1::Record*)>& change) {
  std::unique_lock<std::mutex> lock(mu_);
  WaitNotInFlight(lock, {id});
  LDGS_ASSIGN_OR_RETURN(StoredEntry held, GetLive(id));
  v1::Record next = held.record;
  LDGS_RETURN_IF_ERROR(change(&next));
  if (next.body_case() != held.record.body_case()) {
    return absl::InvalidArgumentError("an update keeps the record's kind");
  }
  LDGS_RETURN_IF_ERROR(record::ValidateBody(next, limits_));
  return WriteVersion(std::move(next), &held);
}

absl::StatusOr<v1::Record> LocalWriter::Delete(const std::string& id) {
  std::unique_lock<std::mutex> lock(mu_);
  WaitNotInFlight(lock, {id});
  LDGS_ASSIGN_OR_RETURN(StoredEntry held, GetLive(id));
  v1::Record next;
  next.set_id(id);
  next.set_kind(held.record.kind());
  next.set_deleted(true);
  // The tombstone goes to everyone who ever had a version.
  next.set_visibility(ReachOf(held));
  return WriteVersion(std::move(next), &held);
}

absl::StatusOr<v1::Record> LocalWriter::WriteVersion(v1::Record next, const StoredEntry* held) {
  LDGS_ASSIGN_OR_RETURN(uint64_t last_issued, LastIssued());
  LDGS_ASSIGN_OR_RETURN(IncomingRecord sealed, Seal(std::move(next), held, &last_issued));
  last_issued_ = last_issued;
  LDGS_ASSIGN_OR_RETURN(ApplyResult result, store_->Apply({sealed}));
  LDGS_CHECK(result.applied == 1);  // versions only grow under mu_
  return std::move(sealed.record);
}

void LocalWriter::WaitNotInFlight(std::unique_lock<std::mutex>& lock,
                                  const std::set<std::string>& ids) {
  auto free = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return std::none_of(ids.begin(), ids.end(),
                        [&](const std::string& id) { return in_flight_.count(id) > 0; });
  };
  if (free()) return;
  ++waiting_;
  in_flight_done_.wait(lock, free);
  --waiting_;
}

int LocalWriter::WaitingForInFlight() {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_;
}

absl::StatusOr<uint64_t> LocalWriter::LastIssued() {
  LDGS_ASSIGN_OR_RETURN(uint64_t clock, store_->ClockOf(key_->node_id()));
  return std::max(clock, last_issued_);
}

v1::Visibility LocalWriter::Stamped::Reach() const {
  return tombstone ? std::max(record.visibility(), tombstone->visibility()) : record.visibility();
}

LocalWriter::Stamped LocalWriter::Stamp(v1::Record next, const v1::Record* held,
                                        v1::Visibility held_reach, uint64_t* last_issued) const {
  const int64_t now = NowMicros();
  next.set_origin(key_->node_id());
  next.set_version(NextVersion(*last_issued, now));
  next.set_created_us(held ? held->created_us() : now);
  next.set_updated_us(now);
  Stamped stamped;
  // Narrower than an audience that had it: that audience gets a tombstone of this version,
  // and keeps getting one with every later version until the record is widened again.
  if (held && !next.deleted() && next.visibility() < held_reach) {
    v1::Record& tombstone = stamped.tombstone.emplace();
    tombstone.set_origin(next.origin());
    tombstone.set_id(next.id());
    tombstone.set_version(next.version());
    tombstone.set_kind(next.kind());
    tombstone.set_visibility(held_reach);
    tombstone.set_deleted(true);
    tombstone.set_created_us(next.created_us());
    tombstone.set_updated_us(now);
  }
  *last_issued = next.version();
  stamped.record = std::move(next);
  return stamped;
}

absl::Status LocalWriter::CheckSignedSize(const v1::Record& record) const {
  // Exactly the size SealRecord makes: the payload and a 64-byte signature.
  v1::SignedRecord sized;
  sized.set_payload(record.SerializeAsString());
  sized.set_signature(std::string(64, '\0'));
  const size_t bytes = sized.ByteSizeLong();
  if (bytes > limits_.max_record_bytes) {
    return absl::InvalidArgumentError("record is " + std::to_string(bytes) +
                                      " bytes signed, more than the limit of " +
                                      std::to_string(limits_.max_record_bytes));
  }
  return absl::OkStatus();
}

IncomingRecord LocalWriter::Sign(Stamped stamped) const {
  IncomingRecord incoming;
  incoming.signed_bytes = record::SealRecord(stamped.record, *key_);
  if (stamped.tombstone) incoming.retraction_bytes = record::SealRecord(*stamped.tombstone, *key_);
  incoming.record = std::move(stamped.record);
  return incoming;
}

absl::StatusOr<IncomingRecord> LocalWriter::Seal(v1::Record next, const StoredEntry* held,
                                                 uint64_t* last_issued) {
  Stamped stamped = Stamp(std::move(next), held ? &held->record : nullptr,
                          held ? ReachOf(*held) : v1::VISIBILITY_UNSPECIFIED, last_issued);
  LDGS_RETURN_IF_ERROR(CheckSignedSize(stamped.record));
  return Sign(std::move(stamped));
}

}  // namespace ldgs::storage
