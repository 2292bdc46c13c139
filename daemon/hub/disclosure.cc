#include "daemon/hub/disclosure.h"

#include <algorithm>
#include <functional>
#include <set>

#include "common/status_macros.h"
#include "daemon/hub/disclosure_audit.h"

namespace ldgs::daemon::hub {
namespace {

// One region (block) of a group as a snapshot of contributors makes it.
struct Block {
  bool subtree = false;
  uint32_t chapters = 0;
  uint32_t at_target = 0;
  bool at_target_unknown = false;  // a subtree that did not say
  uint32_t expected = 0;
  double sum = 0;
  std::vector<double> values;  // direct chapters only
};

// Contributors by (node, region): a chapter that moved region is two entries while the move
// is pending, so each region's change is judged alone.
using Snapshot = std::map<std::pair<std::string, std::string>, Contributor>;

template <typename List>
Snapshot ToSnapshot(const List& list) {
  Snapshot out;
  for (const Contributor& c : list) out[{c.node_id(), c.block()}] = c;
  return out;
}

bool SameFigures(const Contributor& a, const Contributor& b) {
  return a.block() == b.block() && a.value() == b.value() && a.chapters() == b.chapters() &&
         a.at_target() == b.at_target() && a.expected() == b.expected();
}

std::map<std::string, Block> BlocksOf(const Snapshot& snapshot, const GroupInputs& inputs) {
  std::map<std::string, Block> blocks;
  for (const auto& [region, expected] : inputs.expected_direct) blocks[region].expected = expected;
  for (const auto& [key, c] : snapshot) {
    Block& b = blocks[c.block()];
    b.subtree = c.subtree();
    b.chapters += c.chapters();
    b.at_target += c.at_target();
    b.at_target_unknown = b.at_target_unknown || c.at_target_unknown();
    b.sum += c.value();
    if (c.subtree()) {
      b.expected += c.expected();
    } else {
      b.values.push_back(c.value());
    }
  }
  for (const auto& [region, expected] : inputs.expected_withheld_subtrees) {
    blocks[region].subtree = true;
    blocks[region].expected += expected;
  }
  return blocks;
}

Block Total(const std::map<std::string, Block>& blocks) {
  Block total;
  for (const auto& [name, b] : blocks) {
    total.subtree = total.subtree || b.subtree;
    total.chapters += b.chapters;
    total.at_target += b.at_target;
    total.at_target_unknown = total.at_target_unknown || b.at_target_unknown;
    total.expected += b.expected;
    total.sum += b.sum;
    total.values.insert(total.values.end(), b.values.begin(), b.values.end());
  }
  return total;
}

// Why a figure over `b` may not be published on its own; empty when it may.
std::string PrimaryReason(const Block& b, const v1::MetricDefinition& d,
                          const RollupSettings& settings) {
  if (b.chapters < settings.min_reporting) {
    return "fewer than " + std::to_string(settings.min_reporting) + " chapters reporting";
  }
  if (b.sum > 0 && b.sum < settings.suppress_below) {
    char text[64];
    std::snprintf(text, sizeof(text), "a small count (under %g)", settings.suppress_below);
    return text;
  }
  // Every chapter at a bound (a sum of 0 over counts that cannot be negative) tells each
  // chapter's value.
  const double n = static_cast<double>(b.chapters);
  if ((d.has_min_value() && b.sum == n * d.min_value()) ||
      (d.has_max_value() && b.sum == n * d.max_value())) {
    return "every chapter at the metric's bound";
  }
  return "";
}

// The reason a withheld record gives: only whether too few chapters reported (which the
// enrolled chapters tell anyway), else one generic text. Saying "a small count" or "all at
// the bound" would itself give values away.
constexpr char kProtected[] = "withheld so that no figure gives a chapter's value away";

std::string PublicReason(const Block& b, const RollupSettings& settings) {
  if (b.chapters < settings.min_reporting) {
    return "fewer than " + std::to_string(settings.min_reporting) + " chapters reporting";
  }
  return kProtected;
}

// The withheld direct regions taken together (what the network minus the published
// regions gives), by their blocks.
Block Complement(const std::map<std::string, Block>& blocks,
                 const std::function<bool(const std::string&, const Block&)>& withheld) {
  Block out;
  for (const auto& [name, b] : blocks) {
    if (b.subtree || b.chapters == 0 || !withheld(name, b)) continue;
    out.chapters += b.chapters;
    out.sum += b.sum;
  }
  return out;
}

// The first publication's pattern: which regions are published, and the network.
void ChoosePattern(const std::map<std::string, Block>& blocks, const GroupInputs& inputs,
                   const RollupSettings& settings, v1::PublishedGroup* state) {
  std::set<std::string> withheld;
  std::vector<std::string> published_direct;
  for (const auto& [name, b] : blocks) {
    if (b.subtree) continue;        // a subtree's figure is public below; it cannot be hidden here
    if (b.chapters == 0) continue;  // nothing reported: no figure either way
    if (PrimaryReason(b, inputs.definition, settings).empty()) {
      published_direct.push_back(name);
    } else {
      withheld.insert(name);
    }
  }
  const Block total = Total(blocks);
  bool network = PrimaryReason(total, inputs.definition, settings).empty();
  auto withheld_chapters = [&] {
    uint32_t n = 0;
    for (const std::string& name : withheld) n += blocks.at(name).chapters;
    return n;
  };
  auto withhold_smallest = [&] {
    if (published_direct.empty()) return false;
    auto smallest = std::min_element(published_direct.begin(), published_direct.end(),
                                     [&](const auto& a, const auto& b) {
                                       return std::make_pair(blocks.at(a).chapters, a) <
                                              std::make_pair(blocks.at(b).chapters, b);
                                     });
    withheld.insert(*smallest);
    published_direct.erase(smallest);
    return true;
  };
  if (network) {
    // The network minus the published regions is the withheld ones' total: it must hold at
    // least two regions and min_reporting chapters, or the network is withheld as well.
    while (!withheld.empty() &&
           (withheld.size() < 2 || withheld_chapters() < settings.min_reporting)) {
      if (!withhold_smallest()) break;
    }
    network =
        withheld.empty() || (withheld.size() >= 2 && withheld_chapters() >= settings.min_reporting);
    // And their total must itself be publishable: not a small count, not every chapter at
    // a bound.
    const Block rest = Complement(
        blocks, [&](const std::string& name, const Block&) { return withheld.count(name) > 0; });
    if (network && !withheld.empty() && !PrimaryReason(rest, inputs.definition, settings).empty()) {
      network = false;
    }
  }
  if (!network && withheld.empty()) {
    // A withheld network must not be the sum of published regions.
    withhold_smallest();
  }
  for (const std::string& name : published_direct) state->add_published_blocks(name);
  for (const auto& [name, b] : blocks) {
    if (b.subtree && b.chapters > 0) state->add_published_blocks(name);
  }
  state->set_network_published(network);
}

bool IsPublished(const v1::PublishedGroup& state, const std::string& block) {
  return std::find(state.published_blocks().begin(), state.published_blocks().end(), block) !=
         state.published_blocks().end();
}

// The next snapshot: each published region moves by its own changes when at least
// min_reporting of its chapters changed (a subtree whenever its published figure moved), and
// the withheld regions move together on the same terms. A chapter that moved between
// regions moves in both or in neither, so it is never counted twice. A move that would
// break a rule the pattern relies on waits. With `subtrees_only`, only subtrees move.
Snapshot NextSnapshot(const Snapshot& before, const Snapshot& now, const v1::PublishedGroup& state,
                      const GroupInputs& inputs, const RollupSettings& settings,
                      bool subtrees_only) {
  const std::string kWithheld = "\n(withheld)";
  // A subtree's figure is public below: it is its own unit, whenever it joined.
  auto unit_of = [&](const Contributor& c) {
    return IsPublished(state, c.block()) || c.subtree() ? c.block() : kWithheld;
  };
  std::map<std::string, std::set<std::pair<std::string, std::string>>> moves;  // unit -> keys
  std::map<std::string, std::set<std::string>> movers;                         // unit -> nodes
  std::map<std::string, std::set<std::string>> units_of_node;
  std::set<std::string> subtree_units;
  std::set<std::pair<std::string, std::string>> keys;
  for (const auto& [key, c] : before) keys.insert(key);
  for (const auto& [key, c] : now) keys.insert(key);
  for (const auto& key : keys) {
    auto b = before.find(key);
    auto n = now.find(key);
    if (b != before.end() && n != now.end() && SameFigures(b->second, n->second)) continue;
    const Contributor& c = b != before.end() ? b->second : n->second;
    const std::string unit = unit_of(c);
    if (c.subtree()) subtree_units.insert(unit);
    moves[unit].insert(key);
    movers[unit].insert(key.first);
    units_of_node[key.first].insert(unit);
  }
  auto apply = [&](Snapshot snapshot, const std::set<std::string>& units) {
    for (const std::string& unit : units) {
      for (const auto& key : moves[unit]) {
        snapshot.erase(key);
        if (auto n = now.find(key); n != now.end()) snapshot[key] = n->second;
      }
    }
    return snapshot;
  };
  std::set<std::string> admissible;
  for (const auto& [unit, unit_moves] : moves) {
    const std::map<std::string, Block> blocks = BlocksOf(apply(before, {unit}), inputs);
    bool ok = false;
    if (unit == kWithheld) {
      uint32_t chapters = 0, regions = 0;
      for (const auto& [name, b] : blocks) {
        if (IsPublished(state, name) || b.subtree || b.chapters == 0) continue;
        chapters += b.chapters;
        ++regions;
      }
      ok = movers[unit].size() >= settings.min_reporting &&
           (!state.network_published() || (regions >= 2 && chapters >= settings.min_reporting));
    } else if (blocks.count(unit) && blocks.at(unit).subtree) {
      ok = blocks.at(unit).chapters > 0;  // the hub below published this figure
    } else {
      ok = movers[unit].size() >= settings.min_reporting && blocks.count(unit) &&
           PrimaryReason(blocks.at(unit), inputs.definition, settings).empty();
    }
    if (ok && (!subtrees_only || subtree_units.count(unit))) admissible.insert(unit);
  }
  // Coupled units (a chapter moved between them) move together or not at all.
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& [node, units] : units_of_node) {
      const bool all = std::all_of(units.begin(), units.end(),
                                   [&](const std::string& u) { return admissible.count(u); });
      if (all) continue;
      for (const std::string& u : units) changed = admissible.erase(u) > 0 || changed;
    }
  }
  Snapshot next = apply(before, admissible);
  if (state.network_published()) {
    const std::map<std::string, Block> blocks = BlocksOf(next, inputs);
    const Block rest = Complement(
        blocks, [&](const std::string& name, const Block&) { return !IsPublished(state, name); });
    if (!PrimaryReason(Total(blocks), inputs.definition, settings).empty() ||
        (rest.chapters > 0 && !PrimaryReason(rest, inputs.definition, settings).empty())) {
      return before;
    }
  }
  return next;
}

// The figures of a snapshot as equations over this hub's direct chapters (subtree sums are
// published below: constants here).
std::vector<AuditCell> AuditCells(const Snapshot& snapshot, const v1::PublishedGroup& state) {
  AuditCell network;
  network.published = state.network_published();
  std::map<std::string, AuditCell> regions;
  for (const auto& [key, c] : snapshot) {
    if (c.subtree()) continue;
    network.unknowns.emplace_back(c.node_id(), c.version());
    AuditCell& region = regions[c.block()];
    region.published = IsPublished(state, c.block());
    region.unknowns.emplace_back(c.node_id(), c.version());
  }
  std::vector<AuditCell> cells = {network};
  for (auto& [name, cell] : regions) cells.push_back(std::move(cell));
  return cells;
}

double RuleValue(const v1::MetricDefinition& d, const Block& b) {
  return d.aggregation() == v1::AGGREGATION_MEAN ? b.sum / b.chapters : b.sum;
}

v1::Rollup Cell(const std::string& scope, const Block& b, bool published, const std::string& reason,
                const GroupInputs& inputs, const PreviousValues& previous_period,
                const RollupSettings& settings, uint32_t revision, int64_t now_us) {
  const v1::MetricDefinition& d = inputs.definition;
  v1::Rollup r;
  r.set_metric(d.code());
  r.set_period(inputs.period);
  r.set_scope(scope);
  r.set_expected(std::max(b.expected, b.chapters));
  r.set_aggregation(d.aggregation());
  r.set_previous_period(PreviousPeriod(inputs.period));
  r.set_revision(revision);
  r.set_computed_us(now_us);
  if (!published) {
    r.set_withheld(true);
    r.set_withheld_reason(reason);
    return r;
  }
  r.set_reporting(b.chapters);
  r.set_completeness(std::min(1.0, b.chapters / static_cast<double>(r.expected())));
  r.set_sum(b.sum);
  r.set_mean(b.sum / b.chapters);
  // The latest and max rules are one chapter's value: never published.
  if (d.aggregation() == v1::AGGREGATION_LATEST || d.aggregation() == v1::AGGREGATION_MAX) {
    r.add_suppressed("value");
  } else {
    r.set_value(RuleValue(d, b));
  }
  // Quantiles only where they hold no one's value alone: over 2 x min_reporting chapters,
  // and only where the chapters' values are held (not over subtrees).
  if (!b.subtree && b.values.size() == b.chapters && b.chapters >= 2 * settings.min_reporting) {
    std::vector<double> sorted = b.values;
    std::sort(sorted.begin(), sorted.end());
    r.set_median(NearestRankQuantile(sorted, 0.5));
    r.set_q1(NearestRankQuantile(sorted, 0.25));
    r.set_q3(NearestRankQuantile(sorted, 0.75));
  } else {
    r.add_suppressed("median");
    r.add_suppressed("q1");
    r.add_suppressed("q3");
  }
  // "k at target" reveals nothing when at least min_reporting are at it and as many not. It
  // is published for the network only: per region, the network minus the regions would
  // give a withheld one's count away.
  if (d.has_target() && scope == kNetworkScope && !b.at_target_unknown &&
      b.at_target >= settings.min_reporting && b.chapters - b.at_target >= settings.min_reporting) {
    r.set_at_target(b.at_target);
  } else if (d.has_target()) {
    r.add_suppressed("at_target");
  }
  if (r.has_value()) {
    if (auto it = previous_period.find(scope); it != previous_period.end()) {
      r.set_change(r.value() - it->second);
    }
  }
  return r;
}

}  // namespace

std::string RegionScope(const std::string& region) { return "region:" + region; }

std::optional<GroupPublication> Decide(const GroupInputs& inputs,
                                       const v1::PublishedGroup* previous,
                                       const PreviousValues& previous_period,
                                       const RollupSettings& settings, bool has_hub_above,
                                       int64_t now_us) {
  const Snapshot now = ToSnapshot(inputs.contributors);
  GroupPublication out;
  Snapshot snapshot;
  if (previous == nullptr || previous->revision() == 0) {
    if (now.empty() || (!inputs.period_closed && !inputs.all_reported)) return std::nullopt;
    snapshot = now;
    ChoosePattern(BlocksOf(now, inputs), inputs, settings, &out.state);
    // The rules above are a first try; the audit has the last word. Failing it, the direct
    // regions are withheld, then the network as well.
    if (!AuditAdmits(out.state, AuditCells(snapshot, out.state))) {
      const std::map<std::string, Block> blocks = BlocksOf(now, inputs);
      out.state.clear_published_blocks();
      for (const auto& [name, b] : blocks) {
        if (b.subtree && b.chapters > 0) out.state.add_published_blocks(name);
      }
      if (!AuditAdmits(out.state, AuditCells(snapshot, out.state))) {
        out.state.set_network_published(false);
      }
    }
    out.state.set_revision(1);
    out.state.set_first_published_us(now_us);
  } else {
    out.state = *previous;
    const Snapshot before = ToSnapshot(previous->contributors());
    // A revision the audit refuses waits; the subtrees' moves (figures published below)
    // may still go ahead alone.
    snapshot = NextSnapshot(before, now, *previous, inputs, settings, false);
    if (!AuditAdmits(*previous, AuditCells(snapshot, *previous))) {
      snapshot = NextSnapshot(before, now, *previous, inputs, settings, true);
      if (!AuditAdmits(*previous, AuditCells(snapshot, *previous))) snapshot = before;
    }
    bool moved = snapshot.size() != before.size();
    for (const auto& [key, c] : snapshot) {
      auto b = before.find(key);
      moved = moved || b == before.end() || !SameFigures(b->second, c) ||
              b->second.version() != c.version();
    }
    if (moved) out.state.set_revision(previous->revision() + 1);
  }
  out.state.clear_contributors();
  for (const auto& [key, c] : snapshot) *out.state.add_contributors() = c;
  AuditRecord(AuditCells(snapshot, out.state), &out.state);

  const std::map<std::string, Block> blocks = BlocksOf(snapshot, inputs);
  const Block total = Total(blocks);
  const uint32_t revision = out.state.revision();
  for (const auto& [name, b] : blocks) {
    const bool published = (IsPublished(out.state, name) || b.subtree) && b.chapters > 0;
    out.cells.push_back(Cell(RegionScope(name), b, published,
                             published ? "" : PublicReason(b, settings), inputs, previous_period,
                             settings, revision, now_us));
  }
  const std::string network_reason =
      out.state.network_published() ? "" : PublicReason(total, settings);
  v1::Rollup network = Cell(kNetworkScope, total, out.state.network_published(), network_reason,
                            inputs, previous_period, settings, revision, now_us);
  out.cells.insert(out.cells.begin(), network);
  if (has_hub_above) {
    // What the hub above gets: the subtree's counts and sum when this hub publishes its
    // network figure (so nothing the network does not already see), else counts only.
    v1::Rollup subtree;
    subtree.set_metric(inputs.definition.code());
    subtree.set_period(inputs.period);
    subtree.set_scope("subtree");
    subtree.set_contribution(true);
    subtree.set_aggregation(inputs.definition.aggregation());
    subtree.set_expected(network.expected());
    subtree.set_revision(revision);
    subtree.set_computed_us(now_us);
    if (network.withheld()) {
      subtree.set_withheld(true);
      subtree.set_withheld_reason(network.withheld_reason());
    } else {
      subtree.set_reporting(network.reporting());
      subtree.set_completeness(network.completeness());
      subtree.set_sum(total.sum);
      // Its at-target count only under the network's own rule; else the hub above shows none.
      if (network.has_at_target()) subtree.set_at_target(total.at_target);
    }
    out.subtree = subtree;
  }
  return out;
}

}  // namespace ldgs::daemon::hub
