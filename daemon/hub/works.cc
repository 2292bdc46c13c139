#include "daemon/hub/works.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace ldgs::daemon::hub {
namespace {

constexpr char kAdopter[] = "adopter";
constexpr char kOthers[] = "others";  // one row: the others' count and sum, as published

// How many adopters differ between two versions: joined, left or changed value.
size_t Changed(const std::map<std::string, double>& before, const Part& after) {
  size_t changed = 0;
  for (const auto& [node, value] : after) {
    auto it = before.find(node);
    if (it == before.end() || it->second != value.change) ++changed;
  }
  for (const auto& [node, value] : before) changed += after.count(node) ? 0 : 1;
  return changed;
}

// The direct part as last published.
struct Direct {
  std::map<std::string, double> adopters;
  uint32_t others = 0;
  double others_sum = 0;
};

Direct Previous(const v1::PublishedGroup* previous) {
  Direct d;
  if (!previous) return d;
  for (const auto& c : previous->contributors()) {
    if (c.subtree()) continue;
    if (c.block() == kAdopter) d.adopters[c.node_id()] = c.value();
    if (c.block() == kOthers) {
      d.others = c.chapters();
      d.others_sum = c.value();
    }
  }
  return d;
}

Direct FromParts(const Part& adopters, const Part& others) {
  Direct d;
  for (const auto& [node, c] : adopters) d.adopters[node] = c.change;
  d.others = static_cast<uint32_t>(others.size());
  for (const auto& [node, c] : others) d.others_sum += c.change;
  return d;
}

bool Same(const Direct& a, const Direct& b) {
  return a.adopters == b.adopters && a.others == b.others && a.others_sum == b.others_sum;
}

}  // namespace

std::optional<double> RelativeChange(double before, double after, v1::Direction direction) {
  if (before == 0 || !std::isfinite(before) || !std::isfinite(after)) return std::nullopt;
  double change = (after - before) / std::fabs(before);
  if (direction == v1::DIRECTION_DOWN_IS_GOOD) change = -change;
  // On a grid of 0.1 %: an exact ratio of two counts could be factored back out of a sum.
  change = std::round(std::clamp(change, -kMaxChange, kMaxChange) * 1000) / 1000;
  return change == 0 ? 0 : change;  // no -0
}

ChangeBounds BoundsOf(const v1::MetricDefinition& definition) {
  ChangeBounds bounds;
  // A metric that cannot go below zero cannot fall by more than all of it.
  if (definition.has_min_value() && definition.min_value() >= 0) {
    if (definition.direction() == v1::DIRECTION_DOWN_IS_GOOD) {
      bounds.max = 1;
    } else {
      bounds.min = -1;
    }
  }
  return bounds;
}

bool RevealsABound(const Part& part, const ChangeBounds& bounds) {
  const size_t n = part.size();
  double sum = 0;
  for (const auto& [node, c] : part) sum += c.change;
  auto at = [](double total, double each, size_t count) {
    return std::fabs(total - each * static_cast<double>(count)) < 1e-9;
  };
  for (double bound : {bounds.min, bounds.max}) {
    if (n > 0 && at(sum, bound, n)) return true;  // every one of them at the bound
    // A member takes its own change away: the others all at the bound.
    for (const auto& [node, c] : part) {
      if (n > 1 && at(sum - c.change, bound, n - 1)) return true;
    }
  }
  return false;
}

WorksPublication DecideWorks(const WorksInputs& inputs, const v1::PublishedGroup* previous,
                             uint32_t min_reporting, bool has_hub_above, int64_t now_us,
                             const AdmitDirect& admit) {
  const size_t m = std::max<uint32_t>(min_reporting, 1);
  const bool safe = inputs.adopters.size() >= m && inputs.others.size() >= m;
  const Direct was = Previous(previous);
  Direct direct;  // empty: no direct part
  if (safe) {
    const Direct now = FromParts(inputs.adopters, inputs.others);
    const size_t moved = Changed(was.adopters, inputs.adopters);
    // A version that differs by a few adopters would give those adopters away.
    const bool may_move = moved == 0 || moved >= m;
    if (Same(now, was)) {
      direct = was;
    } else if (may_move && admit(inputs.adopters, inputs.others)) {
      direct = now;
    } else {
      direct = was;  // the last published figure stands (it passed the audit then)
    }
  }

  WorksPublication out;
  for (const auto& [node, value] : direct.adopters) {
    auto* c = out.state.add_contributors();
    c->set_node_id(node);
    c->set_block(kAdopter);
    c->set_value(value);
    c->set_chapters(1);
  }
  if (!direct.adopters.empty()) {
    auto* c = out.state.add_contributors();
    c->set_block(kOthers);
    c->set_value(direct.others_sum);
    c->set_chapters(direct.others);
  }
  uint64_t n_a = direct.adopters.size(), n_o = direct.adopters.empty() ? 0 : direct.others;
  double sum_a = 0, sum_o = direct.adopters.empty() ? 0 : direct.others_sum;
  for (const auto& [node, value] : direct.adopters) sum_a += value;
  for (const SubtreeWorks& s : inputs.subtrees) {
    if (s.adopters < m || s.others < m) continue;  // not publishable below either
    for (const auto& [block, chapters, value] : {std::tuple{kAdopter, s.adopters, s.adopters_sum},
                                                 std::tuple{kOthers, s.others, s.others_sum}}) {
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
    cell.set_window_start(inputs.window_start);
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
