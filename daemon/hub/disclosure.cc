#include "daemon/hub/disclosure.h"

#include <algorithm>
#include <cmath>
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
  // Of the chapters counted here directly (not in a subtree): a reader knows each
  // subtree's published count, so it can take them away.
  uint32_t direct_chapters = 0;
  uint32_t direct_at_target = 0;
  double direct_sum = 0;
  // Each contributor's (value, chapters): what a member knows of its own part.
  std::vector<std::pair<double, uint32_t>> parts;
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

bool Moved(const Snapshot& before, const Snapshot& after) {
  if (before.size() != after.size()) return true;
  for (const auto& [key, c] : after) {
    auto b = before.find(key);
    if (b == before.end() || !SameFigures(b->second, c) || b->second.version() != c.version()) {
      return true;
    }
  }
  return false;
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
      ++b.direct_chapters;
      b.direct_at_target += c.at_target();
      b.direct_sum += c.value();
    }
    b.parts.emplace_back(c.value(), c.chapters());
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
    total.direct_chapters += b.direct_chapters;
    total.direct_at_target += b.direct_at_target;
    total.direct_sum += b.direct_sum;
    total.parts.insert(total.parts.end(), b.parts.begin(), b.parts.end());
    total.expected += b.expected;
    total.sum += b.sum;
    total.values.insert(total.values.end(), b.values.begin(), b.values.end());
  }
  return total;
}

// Sums of the same values added in another order: equal within a relative 1e-9.
bool Near(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a)}); }

// Whether `sum` over `n` chapters is a small count or puts every one of them at a bound
// (a sum of 0 over counts that cannot be negative tells each chapter's value).
bool SmallOrAtBound(double sum, uint32_t n, const v1::MetricDefinition& d,
                    const RollupSettings& settings) {
  const double chapters = static_cast<double>(n);
  return (sum > 0 && !Near(sum, 0) && sum < settings.suppress_below) ||
         (d.has_min_value() && Near(sum, chapters * d.min_value())) ||
         (d.has_max_value() && Near(sum, chapters * d.max_value()));
}

// Why a figure over `b` may not be published on its own; empty when it may. Also what a
// member learns taking its own part away: the rest must not be small or at a bound either.
std::string PrimaryReason(const Block& b, const v1::MetricDefinition& d,
                          const RollupSettings& settings) {
  if (b.chapters < settings.min_reporting) {
    return "fewer than " + std::to_string(settings.min_reporting) + " chapters reporting";
  }
  if (SmallOrAtBound(b.sum, b.chapters, d, settings)) return "a small count or at a bound";
  for (const auto& [value, chapters] : b.parts) {
    if (chapters < b.chapters &&
        SmallOrAtBound(b.sum - value, b.chapters - chapters, d, settings)) {
      return "a member's part taken away leaves a small count or a bound";
    }
  }
  return "";
}

// The network's rules apply to its direct chapters: each subtree's figure is published
// below, so a reader takes it away (and a member hub chooses what it sends, so a rule over
// the total would answer its questions about the direct part).
std::string NetworkReason(const Block& total, const v1::MetricDefinition& d,
                          const RollupSettings& settings) {
  if (total.chapters < settings.min_reporting) {
    return "fewer than " + std::to_string(settings.min_reporting) + " chapters reporting";
  }
  if (total.direct_chapters == 0) return "";
  Block direct;
  direct.chapters = total.direct_chapters;
  direct.sum = total.direct_sum;
  for (double v : total.values) direct.parts.emplace_back(v, 1);
  return PrimaryReason(direct, d, settings);
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
    out.parts.insert(out.parts.end(), b.parts.begin(), b.parts.end());
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
  bool network = NetworkReason(total, inputs.definition, settings).empty();
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
    if (!NetworkReason(Total(blocks), inputs.definition, settings).empty() ||
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
    network.sum += c.value();
    AuditCell& region = regions[c.block()];
    region.published = IsPublished(state, c.block());
    region.unknowns.emplace_back(c.node_id(), c.version());
    region.sum += c.value();
  }
  std::vector<AuditCell> cells = {network};
  for (auto& [name, cell] : regions) cells.push_back(std::move(cell));
  return cells;
}

AuditLimits LimitsOf(const GroupInputs& inputs, const RollupSettings& settings) {
  AuditLimits limits;
  if (inputs.definition.has_min_value()) limits.min_value = inputs.definition.min_value();
  if (inputs.definition.has_max_value()) limits.max_value = inputs.definition.max_value();
  limits.suppress_below = settings.suppress_below;
  limits.min_reporting = settings.min_reporting;
  return limits;
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
  // A withheld cell says only how many are enrolled: more reporting than enrolled (a chapter
  // moving region) would give its count of reporting away.
  r.set_expected(published ? std::max(b.expected, b.chapters) : b.expected);
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
  // Quantiles never: with ties or a bound an order statistic pins values, and with the sum
  // it gives the rest away ({0,0,5,5,5,40}: q1 0, median and q3 5, so the sixth is 40).
  r.add_suppressed("median");
  r.add_suppressed("q1");
  r.add_suppressed("q3");
  // "k at target" reveals nothing when at least min_reporting are at it and as many not,
  // both over all and over the direct chapters (the subtrees' counts are published below).
  // Only for the network (per region, the network minus the regions would give a withheld
  // one's count away), and only in the group's first publication: two counts over sets
  // that differ by the movers tell, when they differ by the movers' number or not at all,
  // that every mover is at target, or none is.
  const auto enough = [&](uint32_t at, uint32_t of) {
    return at >= settings.min_reporting && of - at >= settings.min_reporting;
  };
  if (d.has_target() && scope == kNetworkScope && revision == 1 && !b.at_target_unknown &&
      enough(b.at_target, b.chapters) &&
      (b.direct_chapters == 0 || enough(b.direct_at_target, b.direct_chapters))) {
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
  const AuditLimits limits = LimitsOf(inputs, settings);
  GroupPublication out;
  Snapshot snapshot;
  if (previous == nullptr || previous->revision() == 0) {
    if (now.empty() || (!inputs.period_closed && !inputs.all_reported)) return std::nullopt;
    snapshot = now;
    ChoosePattern(BlocksOf(now, inputs), inputs, settings, &out.state);
    // The rules above are a first try; the audit has the last word. Failing it, the direct
    // regions are withheld, then the network as well.
    if (!AuditAdmits(out.state, AuditCells(snapshot, out.state), limits)) {
      const std::map<std::string, Block> blocks = BlocksOf(now, inputs);
      out.state.clear_published_blocks();
      for (const auto& [name, b] : blocks) {
        if (b.subtree && b.chapters > 0) out.state.add_published_blocks(name);
      }
      if (!AuditAdmits(out.state, AuditCells(snapshot, out.state), limits)) {
        out.state.set_network_published(false);
      }
    }
    out.state.set_revision(1);
    out.state.set_first_published_us(now_us);
  } else {
    out.state = *previous;
    const Snapshot before = ToSnapshot(previous->contributors());
    // A revision that a rule or the audit refuses waits; the subtrees' moves (figures
    // published below) may still go ahead alone. Either way the fallback is the same, so
    // which rule refused is not told.
    snapshot = NextSnapshot(before, now, *previous, inputs, settings, false);
    if (!Moved(before, snapshot) ||
        !AuditAdmits(*previous, AuditCells(snapshot, *previous), limits)) {
      snapshot = NextSnapshot(before, now, *previous, inputs, settings, true);
      if (!AuditAdmits(*previous, AuditCells(snapshot, *previous), limits)) snapshot = before;
    }
    if (Moved(before, snapshot)) out.state.set_revision(previous->revision() + 1);
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
