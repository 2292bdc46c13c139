#include "daemon/hub/works.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace ldgs::daemon::hub {
namespace {

constexpr char kAdopter[] = "adopter";
constexpr char kOther[] = "other";

using Part = std::map<std::string, double>;  // node -> change

// How many chapters differ between two versions of a group: joined, left or changed.
size_t Changed(const Part& before, const Part& after) {
  size_t changed = 0;
  for (const auto& [node, value] : after) {
    auto it = before.find(node);
    if (it == before.end() || it->second != value) ++changed;
  }
  for (const auto& [node, value] : before) changed += after.count(node) ? 0 : 1;
  return changed;
}

void Previous(const v1::PublishedGroup* previous, Part* adopters, Part* others) {
  if (!previous) return;
  for (const auto& c : previous->contributors()) {
    if (c.subtree()) continue;
    (c.block() == kAdopter ? *adopters : *others)[c.node_id()] = c.value();
  }
}

double Sum(const Part& part) {
  double sum = 0;
  for (const auto& [node, value] : part) sum += value;
  return sum;
}

}  // namespace

std::optional<double> RelativeChange(double before, double after, v1::Direction direction) {
  if (before == 0 || !std::isfinite(before) || !std::isfinite(after)) return std::nullopt;
  double change = (after - before) / std::fabs(before);
  if (direction == v1::DIRECTION_DOWN_IS_GOOD) change = -change;
  return std::clamp(change, -kMaxChange, kMaxChange);
}

WorksPublication DecideWorks(const WorksInputs& inputs, const v1::PublishedGroup* previous,
                             uint32_t min_reporting, bool has_hub_above, int64_t now_us) {
  const size_t m = std::max<uint32_t>(min_reporting, 1);
  Part adopters, others;  // the direct part to publish
  const bool safe = inputs.adopters.size() >= m && inputs.others.size() >= m;
  if (safe) {
    adopters = inputs.adopters;
    others = inputs.others;
  }
  Part was_adopters, was_others;
  Previous(previous, &was_adopters, &was_others);
  const size_t moved_a = Changed(was_adopters, adopters), moved_o = Changed(was_others, others);
  // A version that differs by a few chapters would give those chapters away: keep the last.
  const bool stable = (moved_a == 0 || moved_a >= m) && (moved_o == 0 || moved_o >= m);
  if (!stable) {
    adopters = was_adopters;
    others = was_others;
  }

  WorksPublication out;
  for (const auto& [part, block] : {std::pair{&adopters, kAdopter}, std::pair{&others, kOther}}) {
    for (const auto& [node, value] : *part) {
      auto* c = out.state.add_contributors();
      c->set_node_id(node);
      c->set_block(block);
      c->set_value(value);
      c->set_chapters(1);
    }
  }
  uint64_t n_a = adopters.size(), n_o = others.size();
  double sum_a = Sum(adopters), sum_o = Sum(others);
  for (const SubtreeWorks& s : inputs.subtrees) {
    if (s.adopters < m || s.others < m) continue;  // not publishable below either
    for (const auto& [block, chapters, value] : {std::tuple{kAdopter, s.adopters, s.adopters_sum},
                                                 std::tuple{kOther, s.others, s.others_sum}}) {
      auto* c = out.state.add_contributors();
      c->set_node_id(s.hub);
      c->set_block(block);
      c->set_subtree(true);
      c->set_value(value);
      c->set_chapters(chapters);
      c->set_version(s.version);
    }
    n_a += s.adopters;
    n_o += s.others;
    sum_a += s.adopters_sum;
    sum_o += s.others_sum;
  }
  bool same_as_before = false;
  if (previous) {
    v1::PublishedGroup parts = *previous;
    parts.clear_revision();
    same_as_before = parts.SerializeAsString() == out.state.SerializeAsString();
  }
  out.state.set_revision(previous ? previous->revision() + (same_as_before ? 0 : 1) : 1);

  v1::Rollup& cell = out.cell;
  cell.set_metric(inputs.metric);
  cell.set_period(inputs.period);
  cell.set_scope("practice");
  *cell.mutable_practice() = inputs.practice;
  cell.set_aggregation(v1::AGGREGATION_MEAN);
  cell.set_expected(std::max<uint64_t>(inputs.expected, n_a + n_o));
  cell.set_computed_us(now_us);
  cell.set_revision(out.state.revision());
  cell.set_window_start(inputs.window_start);
  if (n_a == 0) {
    cell.set_withheld(true);
    cell.set_withheld_reason("fewer than " + std::to_string(m) +
                             " chapters adopted it, or too few did not, to compare");
  } else {
    cell.set_reporting(static_cast<uint32_t>(n_a));
    cell.set_others(static_cast<uint32_t>(n_o));
    cell.set_completeness(cell.expected() ? static_cast<double>(n_a + n_o) / cell.expected() : 0);
    cell.set_sum(sum_a);
    cell.set_mean(sum_a / static_cast<double>(n_a));
    cell.set_others_sum(sum_o);
    cell.set_others_mean(sum_o / static_cast<double>(n_o));
  }
  if (has_hub_above) {
    v1::Rollup up = cell;
    up.set_contribution(true);
    up.set_scope("subtree");
    up.clear_completeness();
    out.contribution = up;
  }
  return out;
}

}  // namespace ldgs::daemon::hub
