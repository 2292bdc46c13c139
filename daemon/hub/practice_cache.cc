#include "daemon/hub/practice_cache.h"

#include "common/status_macros.h"
#include "daemon/hub/audience.h"

namespace ldgs::daemon::hub {
namespace {

constexpr size_t kFeedBatch = 1000;

}  // namespace

absl::Status PracticeCache::CatchUpLocked() {
  absl::StatusOr<std::string> epoch = sources_->state->FeedEpoch();
  const std::string feed = epoch.ok() ? *epoch : "";
  // Another feed, or a position past the store's end (not this store's): read it all again.
  if (!loaded_ || feed != epoch_ || cursor_ > sources_->store->LastSequence()) {
    // The position first: whatever commits during the scan is read again after it.
    const uint64_t through = sources_->store->LastSequence();
    practices_.clear();
    LDGS_RETURN_IF_ERROR(ForEachVisible(
        *sources_, v1::KIND_PRACTICE, v1::AUDIENCE_OPERATOR, [&](const v1::Record& r) {
          if (!r.deleted() && r.has_practice()) {
            practices_[{r.origin(), r.id()}] = std::make_shared<const v1::Record>(r);
          }
          return true;
        }));
    cursor_ = through;
    epoch_ = feed;
    loaded_ = true;
    ++changes_;
  }
  while (true) {
    static const storage::FeedFilter kPractices{{v1::KIND_PRACTICE}, ""};
    uint64_t scanned = cursor_;
    LDGS_ASSIGN_OR_RETURN(std::vector<storage::StoredEntry> entries,
                          sources_->store->ReadSince(cursor_, kFeedBatch, kPractices, &scanned));
    if (scanned == cursor_) return absl::OkStatus();
    cursor_ = scanned;
    for (storage::StoredEntry& e : entries) {
      if (e.record.kind() != v1::KIND_PRACTICE) continue;
      const PracticeKey key = {e.record.origin(), e.record.id()};
      // The feed holds each record's latest version only, in the order they came.
      if (e.record.deleted() || !e.record.has_practice() ||
          !VisibleTo(e.record, v1::AUDIENCE_OPERATOR)) {
        practices_.erase(key);
      } else {
        practices_[key] = std::make_shared<const v1::Record>(std::move(e.record));
      }
      ++changes_;
    }
  }
}

absl::StatusOr<std::shared_ptr<const PracticeForest>> PracticeCache::Forest(v1::Audience audience) {
  audience = Normalized(audience);
  std::lock_guard<std::mutex> lock(mu_);
  LDGS_RETURN_IF_ERROR(CatchUpLocked());
  Built& built = forests_[audience];
  if (!built.forest || built.at_change != changes_) {
    std::vector<std::shared_ptr<const v1::Record>> visible;
    for (const auto& [key, record] : practices_) {
      if (VisibleTo(*record, audience)) visible.push_back(record);
    }
    built.forest = std::make_shared<const PracticeForest>(std::move(visible));
    built.at_change = changes_;
  }
  return built.forest;
}

}  // namespace ldgs::daemon::hub
