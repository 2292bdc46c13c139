#include "daemon/hub/aggregator.h"

#include <map>
#include <sstream>

#include "common/status_macros.h"
#include "daemon/hub/disclosure_audit.h"
#include "daemon/hub/members.h"
#include "record/record_validation.h"

namespace ldgs::daemon::hub {
namespace {

constexpr size_t kFeedChunk = 1000;
constexpr char kPendingMarker[] = "aggregator/pending";
constexpr char kEnrollmentsMarker[] = "aggregator/enrollments";

std::string JoinGroups(const std::map<std::pair<std::string, std::string>, int64_t>& groups) {
  std::string out;
  for (const auto& [group, first_seen] : groups) {
    out += group.first + "\t" + group.second + "\t" + std::to_string(first_seen) + "\n";
  }
  return out;
}

std::map<std::pair<std::string, std::string>, int64_t> SplitGroups(const std::string& text) {
  std::map<std::pair<std::string, std::string>, int64_t> groups;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t tab = line.find('\t');
    const size_t second = tab == std::string::npos ? tab : line.find('\t', tab + 1);
    if (second == std::string::npos) continue;
    groups[{line.substr(0, tab), line.substr(tab + 1, second - tab - 1)}] =
        std::atoll(line.substr(second + 1).c_str());
  }
  return groups;
}

bool SameRollup(v1::Rollup a, v1::Rollup b) {
  a.clear_computed_us();
  b.clear_computed_us();
  return a.SerializeAsString() == b.SerializeAsString();
}

bool WithinBounds(const v1::MetricDefinition& d, double value, double chapters) {
  return (!d.has_min_value() || value >= d.min_value() * chapters) &&
         (!d.has_max_value() || value <= d.max_value() * chapters);
}

}  // namespace

std::string Aggregator::PublicationMarker(const std::string& metric, const std::string& period) {
  return "pub/" + metric + "/" + period;
}

Aggregator::Aggregator(storage::RecordStore* records, storage::NodeState* state,
                       storage::LocalWriter* writer, std::string self_id, RollupSettings settings,
                       bool has_hub_above, std::function<std::vector<std::string>()> hub_chain,
                       std::function<bool(const std::string&)> is_revoked,
                       std::function<uint64_t()> revocations_version)
    : store_(records),
      state_(state),
      writer_(writer),
      self_id_(std::move(self_id)),
      settings_(settings),
      has_hub_above_(has_hub_above),
      hub_chain_(std::move(hub_chain)),
      is_revoked_(std::move(is_revoked)),
      revocations_version_(std::move(revocations_version)) {}

std::optional<storage::StoredEntry> Aggregator::Definition(const std::string& metric) const {
  std::vector<std::string> authorities = {self_id_};
  for (const std::string& hub : hub_chain_()) authorities.push_back(hub);
  for (const std::string& origin : authorities) {
    absl::StatusOr<storage::StoredEntry> d = store_->Get(origin, "metric:" + metric);
    if (d.ok() && d->record.has_metric_definition()) return std::move(*d);
  }
  return std::nullopt;
}

absl::Status Aggregator::MarkAll(std::set<Group>* dirty) {
  for (v1::Kind kind : {v1::KIND_METRIC_OBSERVATION, v1::KIND_ROLLUP}) {
    storage::ListFilter filter;
    filter.kind = kind;
    filter.limit = SIZE_MAX;
    bool truncated = false;
    LDGS_ASSIGN_OR_RETURN(std::vector<storage::StoredEntry> all, store_->List(filter, &truncated));
    for (const storage::StoredEntry& e : all) {
      if (e.record.has_metric_observation()) {
        dirty->emplace(e.record.metric_observation().metric(),
                       e.record.metric_observation().period());
      } else if (e.record.has_rollup() && e.record.rollup().contribution()) {
        dirty->emplace(e.record.rollup().metric(), e.record.rollup().period());
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Aggregator::MarkDirty(const storage::StoredEntry& entry, std::set<Group>* dirty) {
  const v1::Record& r = entry.record;
  // A tombstone has no body, but its id names its group: obs:M:P, contrib:M:P.
  auto group_of_id = [&](const std::string& prefix) {
    if (r.id().rfind(prefix, 0) != 0) return;
    const std::string rest = r.id().substr(prefix.size());
    const size_t colon = rest.rfind(':');
    if (colon != std::string::npos) dirty->emplace(rest.substr(0, colon), rest.substr(colon + 1));
  };
  const std::vector<std::string> chain = hub_chain_();
  const bool authority =
      r.origin() == self_id_ || std::find(chain.begin(), chain.end(), r.origin()) != chain.end();
  switch (r.kind()) {
    case v1::KIND_METRIC_OBSERVATION:
      if (r.deleted()) {
        group_of_id("obs:");
      } else {
        dirty->emplace(r.metric_observation().metric(), r.metric_observation().period());
      }
      return absl::OkStatus();
    case v1::KIND_ROLLUP:
      if (r.origin() == self_id_) return absl::OkStatus();  // our own output
      if (r.deleted()) {
        group_of_id("contrib:");
      } else if (r.rollup().contribution()) {
        dirty->emplace(r.rollup().metric(), r.rollup().period());
      }
      return absl::OkStatus();
    // A rule or bound of a metric that counts here changed, or a member no longer counts:
    // everything is decided again. A definition from anyone else changes nothing here.
    case v1::KIND_METRIC_DEFINITION:
    case v1::KIND_REVOCATION:
      return authority ? MarkAll(dirty) : absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

absl::StatusOr<int> Aggregator::RunOnce(int64_t now_us) {
  LDGS_ASSIGN_OR_RETURN(uint64_t cursor, store_->FeedCursor(kCursorName));
  std::set<Group> dirty;
  bool revocation_seen = false;
  while (true) {
    // Only what can make a group dirty is read (MarkDirty's kinds).
    static const storage::FeedFilter kWanted{{v1::KIND_METRIC_OBSERVATION, v1::KIND_ROLLUP,
                                              v1::KIND_METRIC_DEFINITION, v1::KIND_REVOCATION},
                                             ""};
    uint64_t scanned = cursor;
    LDGS_ASSIGN_OR_RETURN(std::vector<storage::StoredEntry> entries,
                          store_->ReadSince(cursor, kFeedChunk, kWanted, &scanned));
    if (scanned == cursor) break;
    for (const storage::StoredEntry& entry : entries) {
      LDGS_RETURN_IF_ERROR(MarkDirty(entry, &dirty));
      if (entry.record.kind() == v1::KIND_REVOCATION) revocation_seen = true;
    }
    cursor = scanned;
  }
  // Enrollments live in node state, not the feed: a change of region or a revocation here
  // makes every group decide again.
  LDGS_ASSIGN_OR_RETURN(std::shared_ptr<const LoadedMembers> members,
                        CurrentMembers(revocation_seen));
  absl::StatusOr<std::string> seen = state_->GetMarker(kEnrollmentsMarker);
  const bool enrollments_changed = !seen.ok() || *seen != members->fingerprint;
  if (enrollments_changed) LDGS_RETURN_IF_ERROR(MarkAll(&dirty));
  // Groups waiting for their first publication, whose period may have closed since.
  PendingGroups pending;
  if (absl::StatusOr<std::string> saved = state_->GetMarker(kPendingMarker); saved.ok()) {
    pending = SplitGroups(*saved);
  }
  const std::string pending_before = JoinGroups(pending);
  for (const auto& [group, first_seen] : pending) {
    if (now_us >= ClosesAt(group.second, first_seen)) dirty.insert(group);
  }
  // A period's change depends on the one before: a touched group touches the next one.
  std::set<Group> with_next = dirty;
  for (const Group& group : dirty) with_next.emplace(group.first, NextPeriod(group.second));
  int written = 0;
  skipped_.clear();
  for (const Group& group : with_next) {
    absl::StatusOr<int> n = Publish(group, now_us, &pending);
    // A group whose publication state is unreadable stays as last published (starting it
    // over could contradict what went out); the others go on.
    if (absl::IsDataLoss(n.status())) {
      skipped_.push_back(group.first + " " + group.second + ": " + n.status().ToString());
      continue;
    }
    LDGS_RETURN_IF_ERROR(n.status());
    written += *n;
  }
  // The cursor moves only after the groups are written: a crash in between decides them
  // again (deciding is idempotent).
  storage::StateChange done;
  done.SetFeedCursor(kCursorName, cursor);
  if (JoinGroups(pending) != pending_before) done.SetMarker(kPendingMarker, JoinGroups(pending));
  if (enrollments_changed) done.SetMarker(kEnrollmentsMarker, members->fingerprint);
  LDGS_RETURN_IF_ERROR(store_->Apply({}, done).status());
  return written;
}

absl::StatusOr<std::shared_ptr<const Aggregator::LoadedMembers>> Aggregator::CurrentMembers(
    bool revocation_seen) {
  // The generation is read before the list: an enrollment landing in between reloads next
  // time rather than being missed.
  const uint64_t generation = state_->EnrollmentGeneration();
  const uint64_t revocations = revocations_version_ ? revocations_version_() : 0;
  std::vector<std::string> chain = hub_chain_();
  if (!members_ || !revocations_version_ || revocation_seen || generation != members_generation_ ||
      revocations != members_revocations_ || chain != members_chain_) {
    LDGS_ASSIGN_OR_RETURN(Members members, LoadMembers(*state_, is_revoked_));
    std::string fingerprint = members.Fingerprint();
    members_ = std::make_shared<const LoadedMembers>(
        LoadedMembers{std::move(members), std::move(fingerprint)});
    members_generation_ = generation;
    members_revocations_ = revocations;
    members_chain_ = std::move(chain);
  }
  return members_;
}

int64_t Aggregator::ClosesAt(const std::string& period, int64_t first_seen_us) const {
  return std::max(PeriodEndMicros(period), first_seen_us) + settings_.publish_delay_us;
}

absl::StatusOr<int> Aggregator::Publish(const Group& group, int64_t now_us,
                                        PendingGroups* pending) {
  const auto& [metric, period] = group;
  GroupInputs inputs;
  inputs.period = period;
  const int64_t first_seen = pending->count(group) ? pending->at(group) : now_us;
  inputs.period_closed = now_us >= ClosesAt(period, first_seen);

  // Only metrics of the catalogue count here (this hub's, else its chain's): a member's
  // made-up codes are not aggregated.
  std::optional<storage::StoredEntry> definition = Definition(metric);
  if (!definition) return 0;
  inputs.definition = definition->record.metric_definition();
  // The published figures of a public metric are public too (the open-data view).
  const v1::Visibility published_as = definition->record.visibility() == v1::VISIBILITY_PUBLIC
                                          ? v1::VISIBILITY_PUBLIC
                                          : v1::VISIBILITY_NETWORK;

  LDGS_ASSIGN_OR_RETURN(std::shared_ptr<const LoadedMembers> loaded, CurrentMembers(false));
  const Members& members = loaded->members;
  for (const auto& [node, region] : members.chapters) ++inputs.expected_direct[region];
  storage::ListFilter filter;
  filter.metric = metric;
  filter.period = period;
  filter.limit = SIZE_MAX;
  bool truncated = false;
  LDGS_ASSIGN_OR_RETURN(std::vector<storage::StoredEntry> entries,
                        store_->List(filter, &truncated));
  const std::string observation_id = "obs:" + metric + ":" + period;
  std::set<std::string> withheld_subtrees;
  const std::string contribution_id = "contrib:" + metric + ":" + period;
  for (const storage::StoredEntry& e : entries) {
    const v1::Record& r = e.record;
    if (r.has_metric_observation() && r.id() == observation_id &&
        members.chapters.count(r.origin()) &&
        WithinBounds(inputs.definition, r.metric_observation().value(), 1)) {
      Contributor c;
      c.set_node_id(r.origin());
      c.set_block(members.chapters.at(r.origin()));
      c.set_value(r.metric_observation().value());
      c.set_chapters(1);
      c.set_at_target(MeetsTarget(inputs.definition, r.metric_observation().value()) ? 1 : 0);
      c.set_version(r.version());
      inputs.contributors.push_back(c);
    } else if (r.has_rollup() && r.rollup().contribution() && r.id() == contribution_id &&
               members.hubs.count(r.origin())) {
      const v1::Rollup& sub = r.rollup();
      const std::string& region = members.hubs.at(r.origin());
      if (sub.withheld() || sub.reporting() == 0) {
        inputs.expected_withheld_subtrees[region] += sub.expected();
        withheld_subtrees.insert(r.origin());
        continue;
      }
      if (!WithinBounds(inputs.definition, sub.sum(), sub.reporting())) continue;
      Contributor c;
      c.set_node_id(r.origin());
      c.set_block(region);
      c.set_subtree(true);
      c.set_value(sub.sum());
      c.set_chapters(sub.reporting());
      c.set_at_target(sub.at_target());
      c.set_at_target_unknown(!sub.has_at_target());
      c.set_version(r.version());
      c.set_expected(sub.expected());
      inputs.contributors.push_back(c);
    }
  }

  v1::PublishedGroup previous;
  bool has_previous = false;
  if (absl::StatusOr<std::string> saved = state_->GetMarker(PublicationMarker(metric, period));
      saved.ok()) {
    if (!previous.ParseFromString(*saved)) return absl::DataLossError("corrupt publication state");
    LDGS_RETURN_IF_ERROR(ValidateAuditHistory(previous));
    has_previous = true;
  }
  // A store restored from a backup may keep publication state older than figures already
  // out (held again once peers hand them back): deciding from it could contradict them.
  absl::StatusOr<storage::StoredEntry> out_there =
      store_->Get(self_id_, "rollup:" + metric + ":" + period + ":" + kNetworkScope);
  if (out_there.ok() && !out_there->record.deleted() &&
      out_there->record.rollup().revision() > (has_previous ? previous.revision() : 0)) {
    return absl::DataLossError(
        "publication state is older than the figures published (restored from a backup?)");
  }
  // The previous period's published values, for `change`.
  PreviousValues previous_period;
  storage::ListFilter before = filter;
  before.period = PreviousPeriod(period);
  LDGS_ASSIGN_OR_RETURN(std::vector<storage::StoredEntry> earlier,
                        store_->List(before, &truncated));
  for (const storage::StoredEntry& e : earlier) {
    const v1::Record& r = e.record;
    if (r.origin() == self_id_ && r.has_rollup() && !r.rollup().contribution() &&
        !r.rollup().withheld() && r.rollup().has_value()) {
      previous_period[r.rollup().scope()] = r.rollup().value();
    }
  }

  std::set<std::string> reported;
  for (const Contributor& c : inputs.contributors) reported.insert(c.node_id());
  reported.insert(withheld_subtrees.begin(), withheld_subtrees.end());
  inputs.all_reported = true;
  for (const auto* nodes : {&members.chapters, &members.hubs}) {
    for (const auto& [node, region] : *nodes) {
      inputs.all_reported = inputs.all_reported && reported.count(node) > 0;
    }
  }
  std::optional<GroupPublication> publication =
      Decide(inputs, has_previous ? &previous : nullptr, previous_period, settings_, has_hub_above_,
             now_us);
  if (!publication) {
    if (!inputs.contributors.empty() || !withheld_subtrees.empty()) {
      pending->emplace(group, first_seen);
    }
    return 0;
  }
  pending->erase(group);
  std::vector<storage::PutItem> items;
  auto add = [&](const v1::Rollup& rollup, v1::Visibility visibility) -> absl::Status {
    storage::PutItem item;
    item.visibility = visibility;
    *item.body.mutable_rollup() = rollup;
    item.id = *record::RequiredRecordId(item.body);
    absl::StatusOr<storage::StoredEntry> held = store_->Get(self_id_, item.id);
    if (held.ok() && !held->record.deleted() && held->record.visibility() == visibility &&
        SameRollup(held->record.rollup(), rollup)) {
      return absl::OkStatus();
    }
    items.push_back(std::move(item));
    return absl::OkStatus();
  };
  for (const v1::Rollup& cell : publication->cells) LDGS_RETURN_IF_ERROR(add(cell, published_as));
  if (publication->subtree) LDGS_RETURN_IF_ERROR(add(*publication->subtree, v1::VISIBILITY_HUB));
  const std::string state = publication->state.SerializeAsString();
  if (items.empty() && has_previous && previous.SerializeAsString() == state) return 0;
  const int written = static_cast<int>(items.size());
  // The whole group in one batch, with the state it was decided from.
  LDGS_RETURN_IF_ERROR(
      writer_
          ->PutMany(std::move(items),
                    storage::StateChange().SetMarker(PublicationMarker(metric, period), state))
          .status());
  return written;
}

}  // namespace ldgs::daemon::hub
