#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "ldgs/v1/storage.pb.h"

// Query auditing for one (metric, period) group: before a hub publishes a figure, it checks
// that everything it ever published of the group, taken together, still determines no
// chapter's value. Rules such as "two versions differ by at least min_reporting values"
// only look at pairs; a reader combines every version (S4 - S2 where S3 sat between), so
// the hub solves the same equations the reader would.
//
// The unknowns are the direct member chapters' observations, one per (chapter, version);
// a member hub's subtree sum is a figure the hub below already published, a constant here.
// Each figure is one equation: the sum of the unknowns it counts. Mean, change (against a
// published figure) and at-target counts (network only, over the same chapters) add no
// equation that the sums do not already give.
namespace ldgs::daemon::hub {

struct AuditCell {
  std::vector<std::pair<std::string, uint64_t>> unknowns;  // (chapter node id, version)
  bool published = false;
  double sum = 0;  // of those chapters' values
};

// The metric's bounds and the small-count threshold, which differences must keep too.
struct AuditLimits {
  std::optional<double> min_value;
  std::optional<double> max_value;
  double suppress_below = 0;
  uint32_t min_reporting = 3;
};

// Whether publishing `cells` on top of `history` keeps every rule: with every published
// figure (exact linear algebra, modulo a 61-bit prime),
//   - no chapter's value is determined;
//   - no chapter's correction (the difference of two of its versions) is determined;
//   - no withheld figure is determined;
//   - no member chapter, adding its own values, determines another chapter's value or
//     correction, or a withheld figure over fewer than min_reporting other chapters;
//   - where one published figure's chapters include another's, the rest's sum is no small
//     count and not every one of them at a bound.
bool AuditAdmits(const v1::PublishedGroup& history, const std::vector<AuditCell>& cells,
                 const AuditLimits& limits);

// DATA_LOSS when the history kept in `history` is inconsistent (an unknown named twice, a
// row pointing past the unknowns); AuditAdmits then admits nothing.
absl::Status ValidateAuditHistory(const v1::PublishedGroup& history);

// Adds `cells` to the history kept in `group` (identical figures are kept once).
void AuditRecord(const std::vector<AuditCell>& cells, v1::PublishedGroup* group);

}  // namespace ldgs::daemon::hub
