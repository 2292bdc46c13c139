#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "daemon/hub/learning_sources.h"
#include "ldgs/v1/learnings.pb.h"

namespace Xapian {
class WritableDatabase;
}

namespace ldgs::daemon::hub {

// The practice and story catalogue's full-text index (Xapian: BM25 ranking, English
// stemming, facets). Derived from the store, never the other way round: it follows the
// store's change feed, remembers how far (and which feed: a restored store starts a new
// one), and is rebuilt from the store when missing, stale or unreadable. Thread-safe: one
// mutex around the database, which Xapian does not share between threads.
class CatalogueIndex {
 public:
  // Opens the index in `dir` (created when missing); `sources` must outlive it.
  static absl::StatusOr<std::unique_ptr<CatalogueIndex>> Open(const std::string& dir,
                                                              const LearningSources& sources);
  ~CatalogueIndex();

  // Brings the index up to the store's feed (rebuilding it first when it is of another
  // feed). Returns the records indexed again.
  absl::StatusOr<size_t> CatchUp();

  // Live records of `kind` (practices: originals) visible to `audience`.
  absl::StatusOr<uint32_t> Count(v1::Kind kind, v1::Audience audience);

  // Catches up, then answers: hits best first, facet counts over every match.
  absl::StatusOr<v1::SearchCatalogueResponse> Search(const v1::SearchCatalogueRequest& request);

 private:
  CatalogueIndex(std::string dir, const LearningSources& sources,
                 std::unique_ptr<Xapian::WritableDatabase> db);
  absl::StatusOr<size_t> CatchUpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RebuildLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Indexes the held version of (origin, id), or removes it when gone or not indexable.
  absl::Status Reindex(const std::string& origin, const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The practice an indexed adaptation was adapted from, as indexed.
  std::optional<std::pair<std::string, std::string>> IndexedParent(const std::string& origin,
                                                                   const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  const LearningSources& sources_;
  std::mutex mu_;
  std::unique_ptr<Xapian::WritableDatabase> db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ldgs::daemon::hub
