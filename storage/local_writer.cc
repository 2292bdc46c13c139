#include "storage/local_writer.h"

#include <algorithm>
#include <map>
#include <optional>

#include "common/base32.h"
#include "common/clock.h"
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
                                                             WriteClass write_class) {
  for (PutItem& item : items) {
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
  }
  std::lock_guard<std::mutex> lock(mu_);
  LDGS_ASSIGN_OR_RETURN(uint64_t last_issued, store_->ClockOf(key_->node_id()));
  std::map<std::string, StoredEntry> pending;  // versions written earlier in this batch
  std::vector<IncomingRecord> incoming;
  std::vector<v1::Record> written;
  for (PutItem& item : items) {
    std::optional<StoredEntry> held;
    if (auto it = pending.find(item.id); it != pending.end()) {
      held = it->second;
    } else {
      absl::StatusOr<StoredEntry> got = store_->Get(key_->node_id(), item.id);
      if (got.ok()) {
        held = std::move(*got);
      } else if (!absl::IsNotFound(got.status())) {
        return got.status();
      }
    }
    const bool live = held && !held->record.deleted();
    v1::Record next = record::BodyOnly(item.body);
    next.set_kind(record::KindOfBody(item.body));
    if (live && held->record.kind() != next.kind()) {
      return absl::InvalidArgumentError("record " + item.id + " is a " +
                                        v1::Kind_Name(held->record.kind()) + ", not a " +
                                        v1::Kind_Name(next.kind()));
    }
    v1::Visibility visibility = item.visibility;
    if (visibility == v1::VISIBILITY_UNSPECIFIED) {
      visibility = live ? held->record.visibility() : v1::VISIBILITY_PRIVATE;
    }
    next.set_id(item.id);
    next.set_visibility(visibility);
    LDGS_ASSIGN_OR_RETURN(IncomingRecord sealed,
                          Seal(std::move(next), held ? &*held : nullptr, &last_issued));
    StoredEntry& now_held = pending[item.id];
    now_held.record = sealed.record;
    now_held.stored.set_signed_bytes(sealed.signed_bytes);
    now_held.stored.set_retraction(sealed.retraction_bytes);
    written.push_back(sealed.record);
    incoming.push_back(std::move(sealed));
  }
  LDGS_ASSIGN_OR_RETURN(ApplyResult result, store_->Apply(incoming, also, write_class));
  LDGS_CHECK(result.applied == static_cast<int>(incoming.size()));  // versions grow under mu_
  return written;
}

absl::StatusOr<v1::Record> LocalWriter::Share(const std::string& id, v1::Visibility visibility) {
  if (!v1::Visibility_IsValid(visibility) || visibility == v1::VISIBILITY_UNSPECIFIED) {
    return absl::InvalidArgumentError("visibility must be private, hub, network or public");
  }
  std::lock_guard<std::mutex> lock(mu_);
  LDGS_ASSIGN_OR_RETURN(StoredEntry held, GetLive(id));
  v1::Record next = held.record;
  next.set_visibility(visibility);
  return WriteVersion(std::move(next), &held);
}

absl::StatusOr<v1::Record> LocalWriter::Update(
    const std::string& id, const std::function<absl::Status(v1::Record*)>& change) {
  std::lock_guard<std::mutex> lock(mu_);
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
  std::lock_guard<std::mutex> lock(mu_);
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
  LDGS_ASSIGN_OR_RETURN(uint64_t last_issued, store_->ClockOf(key_->node_id()));
  LDGS_ASSIGN_OR_RETURN(IncomingRecord sealed, Seal(std::move(next), held, &last_issued));
  LDGS_ASSIGN_OR_RETURN(ApplyResult result, store_->Apply({sealed}));
  LDGS_CHECK(result.applied == 1);  // versions only grow under mu_
  return std::move(sealed.record);
}

absl::StatusOr<IncomingRecord> LocalWriter::Seal(v1::Record next, const StoredEntry* held,
                                                 uint64_t* last_issued) {
  const int64_t now = NowMicros();
  next.set_origin(key_->node_id());
  next.set_version(NextVersion(*last_issued, now));
  next.set_created_us(held ? held->record.created_us() : now);
  next.set_updated_us(now);

  IncomingRecord incoming;
  incoming.signed_bytes = record::SealRecord(next, *key_);
  if (incoming.signed_bytes.size() > limits_.max_record_bytes) {
    return absl::InvalidArgumentError("record is " + std::to_string(incoming.signed_bytes.size()) +
                                      " bytes signed, more than the limit of " +
                                      std::to_string(limits_.max_record_bytes));
  }
  // Narrower than an audience that had it: that audience gets a tombstone of this version,
  // and keeps getting one with every later version until the record is widened again.
  if (held && !next.deleted()) {
    const v1::Visibility reach = ReachOf(*held);
    if (next.visibility() < reach) {
      v1::Record tombstone;
      tombstone.set_origin(next.origin());
      tombstone.set_id(next.id());
      tombstone.set_version(next.version());
      tombstone.set_kind(next.kind());
      tombstone.set_visibility(reach);
      tombstone.set_deleted(true);
      tombstone.set_created_us(next.created_us());
      tombstone.set_updated_us(now);
      incoming.retraction_bytes = record::SealRecord(tombstone, *key_);
    }
  }
  *last_issued = next.version();
  incoming.record = std::move(next);
  return incoming;
}

}  // namespace ldgs::storage
