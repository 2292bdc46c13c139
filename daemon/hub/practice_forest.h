#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/hub/learning_sources.h"
#include "ldgs/v1/learnings.pb.h"

// The practices a node holds, as adaptation trees: who adapted what from whom. An
// adaptation of an adaptation belongs to the tree of the original, so a practice's adoption
// counts everyone who took it up, directly or not.
namespace ldgs::daemon::hub {

using PracticeKey = std::pair<std::string, std::string>;  // (origin, id)

class PracticeForest {
 public:
  // Every live practice visible to `audience`.
  static absl::StatusOr<PracticeForest> Load(const LearningSources& sources, v1::Audience audience);
  // From records already read (tests, and callers that hold them).
  explicit PracticeForest(std::vector<v1::Record> practices);
  // From shared records (PracticeCache): several forests hold one copy.
  explicit PracticeForest(std::vector<std::shared_ptr<const v1::Record>> practices);

  // The original at the root of `key`'s tree; nullopt when `key` is not held or its chain
  // leads to a practice not held here (or loops, or is deeper than kMaxDepth).
  std::optional<PracticeKey> RootOf(const PracticeKey& key) const;
  const v1::Record* Find(const PracticeKey& key) const;
  // The originals (practices adapted from nothing), in key order.
  std::vector<PracticeKey> Originals() const;
  // The practices adapted directly from `key`, in key order.
  const std::vector<PracticeKey>& AdaptationsOf(const PracticeKey& key) const;

  // Adoption and outcome counts of the tree rooted at `root`: one adoption per node other
  // than the original's, with that node's latest adaptation's outcome.
  // `with_record`: the original's record in `practice` too (else left empty).
  v1::PracticeStanding Tally(const PracticeKey& root, bool with_record = true) const;

  // Nodes that adopted the tree of `root` (not its origin), each with the period of its
  // earliest adoption (adopted_period, else the month it was written).
  std::map<std::string, std::string> AdoptersOf(const PracticeKey& root) const;

  static constexpr int kMaxDepth = 16;

 private:
  void Build();
  std::map<PracticeKey, std::shared_ptr<const v1::Record>> practices_;
  std::map<PracticeKey, std::vector<PracticeKey>> children_;
  std::map<PracticeKey, std::vector<PracticeKey>> members_;  // root -> every adaptation in it
};

// The period an adaptation was adopted in: its adopted_period, else the month it was written.
std::string AdoptedPeriodOf(const v1::Record& adaptation);

}  // namespace ldgs::daemon::hub
