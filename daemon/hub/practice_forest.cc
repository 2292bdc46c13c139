#include "daemon/hub/practice_forest.h"

#include "common/clock.h"
#include "common/status_macros.h"

namespace ldgs::daemon::hub {
namespace {

PracticeKey KeyOf(const v1::Record& r) { return {r.origin(), r.id()}; }

PracticeKey ParentOf(const v1::Record& r) {
  return {r.practice().adapted_from().origin(), r.practice().adapted_from().id()};
}

bool IsAdaptation(const v1::Record& r) { return !r.practice().adapted_from().id().empty(); }

}  // namespace

std::string AdoptedPeriodOf(const v1::Record& adaptation) {
  if (!adaptation.practice().adopted_period().empty()) {
    return adaptation.practice().adopted_period();
  }
  return FormatUtc(adaptation.created_us(), "%Y-%m");
}

absl::StatusOr<PracticeForest> PracticeForest::Load(const LearningSources& sources,
                                                    v1::Audience audience) {
  std::vector<v1::Record> practices;
  LDGS_RETURN_IF_ERROR(
      ForEachVisible(sources, v1::KIND_PRACTICE, audience, [&](const v1::Record& r) {
        if (!r.deleted() && r.has_practice()) practices.push_back(r);
        return true;
      }));
  return PracticeForest(std::move(practices));
}

PracticeForest::PracticeForest(std::vector<v1::Record> practices) {
  for (v1::Record& r : practices) {
    if (r.deleted() || !r.has_practice()) continue;
    PracticeKey key = KeyOf(r);
    practices_.emplace(std::move(key), std::make_shared<const v1::Record>(std::move(r)));
  }
  Build();
}

PracticeForest::PracticeForest(std::vector<std::shared_ptr<const v1::Record>> practices) {
  for (std::shared_ptr<const v1::Record>& r : practices) {
    if (!r || r->deleted() || !r->has_practice()) continue;
    practices_.emplace(KeyOf(*r), std::move(r));
  }
  Build();
}

void PracticeForest::Build() {
  for (const auto& [key, r] : practices_) {
    if (IsAdaptation(*r)) children_[ParentOf(*r)].push_back(key);
  }
  for (const auto& [key, r] : practices_) {
    if (!IsAdaptation(*r)) continue;
    if (std::optional<PracticeKey> root = RootOf(key)) members_[*root].push_back(key);
  }
}

std::optional<PracticeKey> PracticeForest::RootOf(const PracticeKey& key) const {
  PracticeKey at = key;
  for (int depth = 0; depth <= kMaxDepth; ++depth) {
    auto it = practices_.find(at);
    if (it == practices_.end()) return std::nullopt;
    if (!IsAdaptation(*it->second)) return at;
    at = ParentOf(*it->second);
  }
  return std::nullopt;  // too deep, or a loop
}

const v1::Record* PracticeForest::Find(const PracticeKey& key) const {
  auto it = practices_.find(key);
  return it == practices_.end() ? nullptr : it->second.get();
}

std::vector<PracticeKey> PracticeForest::Originals() const {
  std::vector<PracticeKey> out;
  for (const auto& [key, r] : practices_) {
    if (!IsAdaptation(*r)) out.push_back(key);
  }
  return out;
}

const std::vector<PracticeKey>& PracticeForest::AdaptationsOf(const PracticeKey& key) const {
  static const std::vector<PracticeKey> kNone;
  auto it = children_.find(key);
  return it == children_.end() ? kNone : it->second;
}

std::map<std::string, std::string> PracticeForest::AdoptersOf(const PracticeKey& root) const {
  std::map<std::string, std::string> adopters;
  auto it = members_.find(root);
  if (it == members_.end()) return adopters;
  for (const PracticeKey& key : it->second) {
    if (key.first == root.first) continue;  // the original's own chapter did not adopt it
    const std::string period = AdoptedPeriodOf(*practices_.at(key));
    auto [at, inserted] = adopters.emplace(key.first, period);
    if (!inserted && period < at->second) at->second = period;
  }
  return adopters;
}

v1::PracticeStanding PracticeForest::Tally(const PracticeKey& root, bool with_record) const {
  v1::PracticeStanding standing;
  const v1::Record* original = Find(root);
  if (original && with_record) *standing.mutable_practice() = *original;
  // Each adopter's latest adaptation says how it went there.
  std::map<std::string, const v1::Record*> latest;
  auto it = members_.find(root);
  if (it != members_.end()) {
    for (const PracticeKey& key : it->second) {
      if (key.first == root.first) continue;
      const v1::Record& r = *practices_.at(key);
      const v1::Record*& held = latest[key.first];
      if (!held || r.updated_us() > held->updated_us()) held = &r;
    }
  }
  standing.set_adoptions(static_cast<uint32_t>(latest.size()));
  for (const auto& [node, r] : latest) {
    switch (r->practice().outcome()) {
      case v1::OUTCOME_WORKED:
        standing.set_worked(standing.worked() + 1);
        break;
      case v1::OUTCOME_MIXED:
        standing.set_mixed(standing.mixed() + 1);
        break;
      case v1::OUTCOME_DID_NOT_WORK_HERE:
        standing.set_did_not_work(standing.did_not_work() + 1);
        break;
      case v1::OUTCOME_TOO_EARLY:
        standing.set_too_early(standing.too_early() + 1);
        break;
      default:
        break;
    }
  }
  return standing;
}

}  // namespace ldgs::daemon::hub
