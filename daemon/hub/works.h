#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ldgs/v1/record.pb.h"
#include "ldgs/v1/storage.pb.h"

// "What's working": for one practice, metric and period, the change of the metric among the
// member chapters that adopted the practice against those that did not. Pure and
// deterministic; the rules and their reasons are in docs/decisions.md ("What's working").
namespace ldgs::daemon::hub {

// A chapter's relative change from `before` to `after`, signed so that positive is better
// (per `direction`) and clamped to +-kMaxChange; nullopt when `before` is 0.
std::optional<double> RelativeChange(double before, double after, v1::Direction direction);
inline constexpr double kMaxChange = 100;  // +-10,000 %

// The range a chapter's change can take under `definition` (a metric bounded below by zero
// cannot fall by more than 100 %), and whether a group's figure would show that every
// chapter in it, or every one but a member that knows its own, sits at a bound.
struct ChangeBounds {
  double min = -kMaxChange, max = kMaxChange;
};
ChangeBounds BoundsOf(const v1::MetricDefinition& definition);

// What a member hub said of its subtree (a works-contrib record).
struct SubtreeWorks {
  std::string hub;
  uint64_t version = 0;
  uint32_t adopters = 0, others = 0;
  double adopters_sum = 0, others_sum = 0;
  uint32_t expected = 0;
  std::string window_start;
};

// A chapter's change in one group, and what it was measured from (an audit unknown: the
// chapter, the base period and the versions of the two observations).
struct ChapterChange {
  double change = 0;
  uint64_t measure = 0;  // names the (base period, observation versions) behind it
};
using Part = std::map<std::string, ChapterChange>;  // node -> its change
bool RevealsABound(const Part& part, const ChangeBounds& bounds);

struct WorksInputs {
  v1::RecordRef practice;
  std::string metric;
  std::string period;
  std::string window_start;  // the earliest base period of any change
  Part adopters;             // direct member chapters
  Part others;
  std::vector<SubtreeWorks> subtrees;  // published (not withheld) subtree figures
  uint32_t expected = 0;               // chapters behind this hub, subtrees included
};

struct WorksPublication {
  v1::PublishedGroup state;                // the parts published, to decide the next version from
  v1::Rollup cell;                         // scope "practice"
  std::optional<v1::Rollup> contribution;  // for this hub's own hub
};

// Whether the direct part (both groups) may be published on top of everything published
// before: the hub's query audit over every what's-working figure of the metric and period.
using AdmitDirect = std::function<bool(const Part& adopters, const Part& others)>;

// Decides the cell. The figure pools parts that are each safe to publish alone: the direct
// chapters' part when both its groups hold at least `min_reporting` chapters and `admit`
// lets it out, and every subtree's published figure. The adopters' part moves only when at
// least min_reporting of them changed (joined, left, or changed value), or none did; a part
// that may not move keeps its last published figure. Nothing to pool: withheld.
WorksPublication DecideWorks(const WorksInputs& inputs, const v1::PublishedGroup* previous,
                             uint32_t min_reporting, bool has_hub_above, int64_t now_us,
                             const AdmitDirect& admit);

}  // namespace ldgs::daemon::hub
